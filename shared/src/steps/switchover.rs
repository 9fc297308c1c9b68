//! Step: switchover (being written).
