//! Step: poll_status (being written).
