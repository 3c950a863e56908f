//! `sales_line_version`: the lines of a finalization a reopen ended ([`super::invoice_version`]), in
//! `sales_line`'s shape — the version's number, dates, store, customer and salesperson beside each, and its
//! piece's fixed facts — with `status` = 'reopened', and the line's id (`line_id`), its version's id and the
//! reopen date. The sales reports read a version's lines as a finalization voided on its reopen date.

use crate::table::{Column, Kind::*, Role, Table, columns, opt, req};

/// The table.
pub const TABLE: Table = Table {
    name: "sales_line_version",
    role: Role::Fact,
    grain: "an invoice line of a finalization a reopen ended",
    columns: COLUMNS,
};

const COLUMNS: &[Column] = &columns::<37>(&[
    &[
        req("org_id", Id),
        req("id", Id),
        req("line_id", Id),
        req("version_id", Id),
        req("invoice_id", Id),
        req("line_no", Int),
        req("invoice_date", Date),
        req("invoice_no", Text),
        req("status", Text),
        req("finalized_on", Date),
        opt("voided_on", Date),
        req("reopened_on", Date),
    ],
    super::sales_line::LINE,
    &[req("month", MonthOf("invoice_date"))],
]);
