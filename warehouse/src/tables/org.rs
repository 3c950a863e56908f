//! `org`: one row per tenant, with the settings reports follow (its name on every export, the aging basis it
//! defaults to, how non-serialized stock is costed, the books-closed date, the time zone relative dates resolve
//! in and the paper its printed reports take).

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "org", role: Role::Dimension, grain: "an org", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("name", Text),
    req("costing_method", Text),
    req("aging_basis", Text),
    opt("books_closed_through", Date),
    req("time_zone", Text),
    req("paper_size", Text),
];
