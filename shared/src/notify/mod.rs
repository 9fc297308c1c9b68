//! Notifications people read, at every stage of the workflow: SNS (mail, AWS Chatbot, any
//! subscriber) and Slack.
//!
//! An event becomes one [`Message`](message::Message) ([`stages::compose`]); each channel
//! renders it its own way. Delivery never fails the workflow: what happened is reported in
//! the step's answer and logged, and a notification that cannot be sent is not retried for
//! long (no function sleeps for long).

pub mod event;
pub mod failure;
pub mod findings;
pub mod format;
pub mod links;
pub mod message;
pub mod stages;
