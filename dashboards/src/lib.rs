//! Owner dashboards (a later issue): pages that render what `reports` returns; no database access.

pub use reports::Scope;
