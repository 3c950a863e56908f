//! `item`: one row per stock record — a serialized piece, or a style's lot at a store.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "item", role: Role::Dimension, grain: "a stock record", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("store_id", Id),
    req("style_id", Id),
    req("stock_no", Text),
    req("serialized", Bool),
    req("ownership", Text),
    opt("consignor_id", Id),
    req("status", Text),
    req("qty_on_hand", Int),
    req("qty_on_memo", Int),
    opt("acquired_on", Date),
    req("base_cost", Money),
    req("pool_cost", Money),
    req("retail_price", Money),
    opt("description", Text),
    req("created_on", Date),
    // no unit held now, in stock or on memo: the stock reports read the rest, and of these only the few
    // moved after their date
    req("empty", ZeroOf("qty_on_hand + qty_on_memo")),
];
