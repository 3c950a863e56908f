//! `sales_line`: one row per invoice line, with the invoice's number, date, status, finalization and void dates,
//! store, customer and salesperson beside it, and the facts of its piece or lot that never change after it is
//! received (serialized or not, stock number, style, base cost), so the reports that live on lines (gross
//! profit, realization, RFM) need neither the invoice nor the item to filter and cost them.

use crate::table::{Column, Kind::*, Role, Table, columns, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "sales_line", role: Role::Fact, grain: "an invoice line", columns: COLUMNS };

const COLUMNS: &[Column] = &columns::<34>(&[
    &[
        req("org_id", Id),
        req("id", Id),
        req("invoice_id", Id),
        req("line_no", Int),
        req("invoice_date", Date),
        req("invoice_no", Text),
        req("status", Text),
        opt("finalized_on", Date),
        opt("voided_on", Date),
    ],
    LINE,
    &[req("month", MonthOf("invoice_date"))],
]);

/// A line's own columns, from its invoice's store to its trade-in: the same in [`super::sales_line_version`].
pub(crate) const LINE: &[Column] = &[
    req("store_id", Id),
    req("customer_id", Id),
    opt("salesperson_id", Id),
    req("kind", Text),
    opt("item_id", Id),
    opt("serialized", Bool),
    opt("stock_no", Text),
    opt("item_style_id", Id),
    opt("base_cost", Money),
    opt("style_id", Id),
    req("description", Text),
    req("qty", Int),
    req("unit_price", Money),
    req("adjustment", Money),
    req("trade_concession", Money),
    opt("list_price", Money),
    req("taxable", Bool),
    req("amount", Money),
    req("cost", Money),
    opt("returned_line_id", Id),
    opt("memo_line_id", Id),
    opt("work_order_id", Id),
    opt("trade_in_actual", Money),
    opt("trade_in_item_id", Id),
];
