//! `store`: one row per store, with its tax rates.

use crate::table::{Column, Kind::*, Role, Table, req};

/// The table.
pub const TABLE: Table = Table { name: "store", role: Role::Dimension, grain: "a store", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("code", Text),
    req("name", Text),
    req("tax_rate", Percent),
    req("surtax_rate", Percent),
    req("surtax_threshold", Money),
    req("active", Bool),
];
