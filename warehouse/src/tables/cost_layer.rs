//! `cost_layer`: one row per receipt layer of non-serialized stock, with what is left of it.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "cost_layer", role: Role::Fact, grain: "a cost layer", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("store_id", Id),
    req("item_id", Id),
    opt("acquired_on", Date),
    req("qty_received", Int),
    req("cost_received", Money),
    req("qty_remaining", Int),
    req("cost_remaining", Money),
    // no unit left in the layer now
    req("empty", ZeroOf("qty_remaining")),
];
