//! `invoice_version`: one row per finalization of an invoice that a reopen ended, as it stood — counted on
//! [`finalized_on`, `reopened_on`). The invoice's current (or last) finalization is in `invoice`; a report as
//! of a date reads a version only when one is in effect then, which as of today none is.

use crate::table::{Column, Kind::*, Role, Table, columns, opt, req};

/// The table.
pub const TABLE: Table =
    Table { name: "invoice_version", role: Role::Fact, grain: "a finalization a reopen ended", columns: COLUMNS };

const COLUMNS: &[Column] = &columns::<23>(&[
    &[
        req("org_id", Id),
        req("id", Id),
        req("invoice_id", Id),
        req("version", Int),
        req("store_id", Id),
        req("invoice_no", Text),
        req("customer_id", Id),
        opt("salesperson_id", Id),
        req("invoice_date", Date),
        req("due_date", Date),
        req("finalized_on", Date),
        req("reopened_on", Date),
    ],
    // `net_sales` is its revenue lines' amounts, as `invoice.net_sales`
    super::invoice::FIGURES,
    &[req("month", MonthOf("invoice_date"))],
]);
