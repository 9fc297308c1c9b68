//! One execution per database.
//!
//! The lock is an item of the stack's lock table keyed on the database's canonical identity
//! ([`key`]), so every spelling of one database, every action and every fleet child meet on one
//! item. The state machine takes it with a conditional PutItem after [`identify`] (read-only)
//! resolved the key; every step that changes something holds it again right before acting
//! ([`table::LockTable::hold`]), so a redrive or a resume after the lock was released re-takes
//! it (only if free, expired or already its own) instead of acting unlocked. Each stage moves
//! the item's `stage` and `expiresAt` forward, so the item is also the board of what is in flight.

pub mod claim;
pub mod guard;
pub mod identify;
pub mod key;
pub mod table;

pub use claim::Claim;
pub use guard::LockUse;
pub use key::DatabaseKey;
pub use table::LockTable;
