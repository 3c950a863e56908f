//! Loupe's transactional core: the books of a jewelry business.
//!
//! Every operation is a [`ops::Command`] executed by [`ops::execute`] in one transaction that also writes
//! the audit log and `change_log`. Only this crate knows SQL dialects; `sqlx` types never leave it.

pub mod auth;
pub mod bounds;
pub mod catalog;
mod check;
pub mod db;
pub mod demo;
pub mod error;
pub mod inventory;
pub mod memos;
pub mod ops;
pub mod org;
pub mod purchasing;
pub mod read;
pub mod reconcile;
pub mod restore;
pub mod sales;
pub mod saved;
pub mod stats;
pub mod subscriptions;
pub mod types;
pub mod visits;
pub mod work_orders;
pub mod writer;

pub use db::{Db, Dialect, ReadTx};
pub use error::{Error, Result};
pub use ops::{Applied, Batch, BatchError, Command, execute, execute_keyed};
pub use writer::{Ctx, Outcome};
