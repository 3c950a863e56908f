//! `payment_application`: one row per amount of a payment applied to an invoice (negative for a refund of a
//! credit balance).

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table =
    Table { name: "payment_application", role: Role::Fact, grain: "an application of a payment", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("store_id", Id),
    req("payment_id", Id),
    req("invoice_id", Id),
    req("amount", Money),
    req("applied_on", Date),
    opt("voided_on", Date),
    req("month", MonthOf("applied_on")),
];
