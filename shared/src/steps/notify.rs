//! Step: notify (being written).
