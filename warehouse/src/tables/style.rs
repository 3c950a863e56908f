//! `style`: one row per catalog style.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "style", role: Role::Dimension, grain: "a style", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("style_no", Text),
    req("family", Text),
    req("category", Text),
    req("description", Text),
    opt("vendor_id", Id),
    req("serialized", Bool),
    req("retail_price", Money),
];
