//! `purchase_line`: one row per receipt of stock — direct, or against a purchase order line — at its cost.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table =
    Table { name: "purchase_line", role: Role::Fact, grain: "a receipt of stock", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("store_id", Id),
    opt("vendor_id", Id),
    opt("po_id", Id),
    opt("po_line_id", Id),
    req("item_id", Id),
    req("style_id", Id),
    req("received_on", Date),
    req("qty", Int),
    req("cost", Money),
    req("consignment", Bool),
];
