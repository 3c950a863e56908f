//! The catalog: one file per report, each with its help text, views and queries.

use crate::engine::Report;
use crate::error::{Error, Result};

mod ar_aging;

/// Every report, in the order `loupe report list` shows them.
pub fn all() -> &'static [Report] {
    CATALOG
}

static CATALOG: &[Report] = &[ar_aging::REPORT];

/// The report with this id.
pub fn get(id: &str) -> Result<&'static Report> {
    CATALOG.iter().find(|r| r.id == id).ok_or_else(|| Error::UnknownReport(id.to_string()))
}
