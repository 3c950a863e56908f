//! `invoice_version`: one row per finalization of an invoice that a reopen ended, as it stood — counted on
//! [`finalized_on`, `reopened_on`). The invoice's current (or last) finalization is in `invoice`; a report as
//! of a date reads a version only when one is in effect then, which as of today none is.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table =
    Table { name: "invoice_version", role: Role::Fact, grain: "a finalization a reopen ended", columns: COLUMNS };

const COLUMNS: &[Column] = &[
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
    req("out_of_state", Bool),
    req("tax_exempt", Bool),
    req("subtotal", Money),
    req("taxable", Money),
    req("tax", Money),
    req("surtax", Money),
    req("freight", Money),
    req("fees", Money),
    req("total", Money),
    // its revenue lines' amounts, as `invoice.net_sales`
    req("net_sales", Money),
    req("month", MonthOf("invoice_date")),
];
