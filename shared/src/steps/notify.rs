//! Step: notify (being written by the notifications work).
