//! `sales_month`: the sales lines of a month summed by store, salesperson, family and category — derived by
//! the ETL from the lake's own lines ([`crate::sales::month_rows_sql`]), not read from the books. Gross profit
//! and realization read whole months from it and only the period's partial months from the lines.
//!
//! Its figures are those known now: lines finalized and not voided, live cost with every additional cost.
//! `changed_on` is the latest date any of them depends on (a finalization, a void, an additional cost), so a
//! report as of an earlier date knows to read that month's lines instead.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table {
    name: "sales_month",
    role: Role::Fact,
    grain: "a month's revenue lines of one store, salesperson, family and category",
    columns: COLUMNS,
};

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    // the month's first day in days since 1970 × 1,000,000 + the group's rank within its month
    req("id", Id),
    req("store_id", Id),
    opt("salesperson_id", Id),
    opt("family", Text),
    opt("category", Text),
    // revenue lines (sale, return, service, misc) counted now, with revenue, live cost, and the partners'
    // payouts and part of GP as the gross-profit report rounds them, line by line
    req("lines", Int),
    req("revenue", Money),
    req("cost", Money),
    req("payouts", Money),
    req("partner_gp", Money),
    // of those, the sale lines with a list price: list total, net and cost, as realization counts them
    req("list_lines", Int),
    req("list", Money),
    req("list_net", Money),
    req("list_cost", Money),
    req("changed_on", Date),
    req("first_day", Date),
    req("month", MonthOf("first_day")),
];
