//! `work_order`: one row per repair, custom job or production order, with its bench cost so far.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "work_order", role: Role::Fact, grain: "a work order", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("wo_no", Text),
    req("store_id", Id),
    opt("customer_id", Id),
    req("kind", Text),
    req("status", Text),
    req("opened_on", Date),
    opt("promised_on", Date),
    opt("closed_on", Date),
    req("estimate", Money),
    req("bench_cost", Money),
    opt("invoice_id", Id),
    opt("item_id", Id),
];
