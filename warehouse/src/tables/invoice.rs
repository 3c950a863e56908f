//! `invoice`: one row per invoice, with its totals as the books hold them.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "invoice", role: Role::Fact, grain: "an invoice", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("store_id", Id),
    req("invoice_no", Text),
    req("customer_id", Id),
    opt("salesperson_id", Id),
    req("invoice_date", Date),
    req("due_date", Date),
    req("status", Text),
    opt("finalized_on", Date),
    opt("voided_on", Date),
    req("out_of_state", Bool),
    req("tax_exempt", Bool),
    req("subtotal", Money),
    req("taxable", Money),
    req("tax", Money),
    req("surtax", Money),
    req("freight", Money),
    req("fees", Money),
    req("total", Money),
    opt("work_order_id", Id),
    req("month", MonthOf("invoice_date")),
];
