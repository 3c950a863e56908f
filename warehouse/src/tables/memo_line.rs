//! `memo_line`: one row per line of a memo (goods out on approval), with its memo's date and customer and its
//! outcome as the books hold it now.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "memo_line", role: Role::Fact, grain: "a memo line", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("memo_id", Id),
    req("memo_no", Text),
    req("memo_date", Date),
    req("store_id", Id),
    req("customer_id", Id),
    opt("salesperson_id", Id),
    req("item_id", Id),
    req("qty", Int),
    req("memo_price", Money),
    req("status", Text),
    opt("resolved_on", Date),
    opt("invoice_line_id", Id),
];
