//! `stock_movement`: one row per entry of the stock ledger: units on hand and on memo in or out, with the
//! owned cost that came in (+) or went out (−).

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table =
    Table { name: "stock_movement", role: Role::Fact, grain: "a stock ledger entry", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("item_id", Id),
    req("store_id", Id),
    req("moved_on", Date),
    req("kind", Text),
    req("qty_delta", Int),
    req("memo_delta", Int),
    req("cost", Money),
    opt("ref_kind", Text),
    opt("ref_id", Id),
    req("month", MonthOf("moved_on")),
];
