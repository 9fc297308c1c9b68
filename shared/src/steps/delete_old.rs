//! Step: delete_old (being written).
