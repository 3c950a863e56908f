//! `write_off`: one row per bad-debt write-off.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "write_off", role: Role::Fact, grain: "a write-off", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("store_id", Id),
    req("invoice_id", Id),
    req("customer_id", Id),
    req("written_on", Date),
    req("amount", Money),
    opt("voided_on", Date),
];
