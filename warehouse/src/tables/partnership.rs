//! `partnership`: a partner's share in a co-owned piece — percent (in percent points, 30.0000 = 30 %), kind
//! (`owner`: gets the percent of the cost basis back plus the percent of GP; `profit_only`: the percent of GP)
//! and, for owners, the agreed cost basis (empty: the sale line's cost).

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table =
    Table { name: "partnership", role: Role::Fact, grain: "a partner's share in a piece", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("store_id", Id),
    req("item_id", Id),
    req("partner_id", Id),
    req("share", Percent),
    req("kind", Text),
    opt("cost_basis", Money),
];
