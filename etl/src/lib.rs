//! Change capture from the transactional core into the lake: reads `change_log` after the lake's watermark in
//! one consistent snapshot of the books, works out which lake rows those changes touch, reads them as they now
//! are, and lands each table's share of the batch in one Delta commit (see `warehouse::Lake` for why that is
//! exactly once). A rebuild loads every table whole instead.

mod derive;
mod error;
mod extract;
pub mod reconcile;
mod sync;
mod transforms;

pub use error::{Error, Result};
pub use sync::{BATCH, COMPACT_EVERY, Progress, Status, SyncReport, compact, follow, rebuild, status, sync};
pub use warehouse::Lake;
