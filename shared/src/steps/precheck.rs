//! Step: precheck (being written).
