//! `layer_move`: units and cost a stock movement put into or took from one cost layer (a receipt adds its
//! layer's units; a sale takes from the oldest layers; a return puts them back), dated by the movement — so a
//! layer's remaining units and cost on any past date are the sum of its moves up to it.

use crate::table::{Column, Kind::*, Role, Table, req};

/// The table.
pub const TABLE: Table =
    Table { name: "layer_move", role: Role::Fact, grain: "a movement's share of a cost layer", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("store_id", Id),
    req("item_id", Id),
    req("layer_id", Id),
    req("movement_id", Id),
    req("moved_on", Date),
    req("qty", Int),
    req("cost", Money),
    // units of the layer going out on memo (+) or back (−) with a memo movement (whose qty and cost are 0)
    req("memo_qty", Int),
    req("month", MonthOf("moved_on")),
];
