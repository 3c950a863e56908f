//! `store_credit_entry`: one row per change of a customer's store credit (+ issued, − redeemed).

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table =
    Table { name: "store_credit_entry", role: Role::Fact, grain: "a store credit entry", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("customer_id", Id),
    req("entry_date", Date),
    req("amount", Money),
    req("source_kind", Text),
    opt("source_id", Id),
];
