//! `user`: one row per user (salespeople among them), without anything secret.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "user", role: Role::Dimension, grain: "a user", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("username", Text),
    req("display_name", Text),
    req("is_salesperson", Bool),
    opt("commission_rate", Percent),
    req("active", Bool),
];
