//! `item_cost`: one row per cost added to a piece after its receipt (recert, repair, setting labor …).

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "item_cost", role: Role::Fact, grain: "an additional cost", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("store_id", Id),
    req("item_id", Id),
    req("cost_date", Date),
    req("kind", Text),
    req("amount", Money),
    opt("note", Text),
];
