//! Waits that listen: a waiting state holds a Step Functions task token, stored with its
//! purpose and expiry in the database's lock item, so whatever may end the wait (an RDS event
//! through EventBridge, a person, the fallback timer: the task's own timeout) finds it by
//! database.
//!
//! A wake-up is only a hint: after it the execution re-reads the world with the step that
//! would have polled (AWS's callback pattern: "Wait for a Callback with Task Token",
//! <https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token>).
//! A hint that arrives between that read and the token's storing is not lost: the waker
//! stamps `hintAt` on the item, and [`store::TokenStore::store`] refuses to wait (`WokenEarly`)
//! when a hint is newer than the read, so the state machine reads again at once.

pub mod answer;
pub mod purpose;
pub mod store;

pub use answer::{Answer, Decision};
pub use purpose::{ApprovalFor, Purpose};
pub use store::{TokenStore, WaitRequest, Waiting};
