//! Step: create (being written).
