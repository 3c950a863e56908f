//! `transfer_out`: one row per piece leaving a store for another — the stock ledger's `transfer_out` entries
//! alone, so a store-scoped reader finds the pieces its stores once held without reading the whole ledger.

use crate::table::{Column, Kind::*, Role, Table, req};

/// The table.
pub const TABLE: Table =
    Table { name: "transfer_out", role: Role::Fact, grain: "a stock record leaving a store", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    // the stock movement's id
    req("id", Id),
    // the store it left
    req("store_id", Id),
    req("item_id", Id),
    req("moved_on", Date),
];
