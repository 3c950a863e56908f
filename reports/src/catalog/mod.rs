//! The catalog: one file per report, each with its help text, views and queries.

use crate::define::Report;
use crate::error::{Error, Result};

mod ar_aging;
pub(crate) mod buckets;
mod gross_profit;
mod inventory_aging;
mod inventory_valuation;
mod memo;
mod memo_aging;
mod memo_conversion;
mod memo_liability;
mod pricing_realization;
mod rfm;
mod sales;
mod stock;

/// Every report, in the order `loupe report list` shows them.
pub fn all() -> &'static [Report] {
    CATALOG
}

static CATALOG: &[Report] = &[
    ar_aging::REPORT,
    memo_aging::REPORT,
    memo_liability::REPORT,
    memo_conversion::REPORT,
    inventory_valuation::REPORT,
    inventory_aging::REPORT,
    gross_profit::REPORT,
    pricing_realization::REPORT,
    rfm::REPORT,
];

/// The report with this id.
pub fn get(id: &str) -> Result<&'static Report> {
    CATALOG.iter().find(|r| r.id == id).ok_or_else(|| {
        Error::UnknownReport(id.to_string(), crate::error::Hint::nearest(id, CATALOG.iter().map(|r| r.id)))
    })
}
