//! `memo_line_event`: what happened to a memo line and when — issued, invoiced, returned, and the reversals —
//! so memo reports can say where every line stood on any past date.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table =
    Table { name: "memo_line_event", role: Role::Fact, grain: "an event of a memo line", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("store_id", Id),
    req("memo_line_id", Id),
    req("event", Text),
    req("event_date", Date),
    opt("invoice_line_id", Id),
];
