//! The report catalog (issue 4): parameters → DataFusion plans over the lake → typed results with totals,
//! drilldowns and exports. It reads only the lake, never the transactional database.

pub use warehouse::{Scope, Snapshot};
