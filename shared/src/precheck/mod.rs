//! Prechecks (being written).
