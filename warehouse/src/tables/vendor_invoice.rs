//! `vendor_invoice`: one row per vendor bill (accounts payable).

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table =
    Table { name: "vendor_invoice", role: Role::Fact, grain: "a vendor invoice", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("vendor_id", Id),
    req("vendor_ref", Text),
    req("invoice_date", Date),
    req("due_date", Date),
    req("amount", Money),
    req("status", Text),
    opt("voided_on", Date),
];
