//! Reports: a catalog of report definitions ([`catalog`]) run by one engine ([`engine`]) over the lake's
//! snapshot, scoped to the caller's org and stores, into one result model ([`model`]) that every writer
//! ([`export`]) reads. It reads only the lake, never the transactional database.

pub mod catalog;
pub mod dates;
pub mod define;
pub mod engine;
mod error;
pub mod export;
pub mod model;
pub mod param;

pub use engine::{Context, Request, drill, prepare, run};
pub use error::{Error, Result};
pub use model::{Output, Type, Value};
pub use warehouse::{Scope, Snapshot};
