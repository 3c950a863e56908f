use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::sales_line_version::TABLE,
    select:
        "select lv.org_id, lv.id, lv.line_id, lv.version_id, lv.invoice_id, lv.line_no, v.invoice_date, v.invoice_no,
             'reopened' as status, v.finalized_on, cast(null as date) as voided_on, v.reopened_on, v.store_id,
             v.customer_id, v.salesperson_id, lv.kind, lv.item_id, it.serialized, it.stock_no,
             it.style_id as item_style_id, it.base_cost_cents as base_cost, lv.style_id, lv.description, lv.qty,
             lv.unit_price_cents as unit_price, lv.adjustment_cents as adjustment,
             lv.trade_concession_cents as trade_concession, lv.list_price_cents as list_price, lv.taxable,
             lv.amount_cents as amount, lv.cost_cents as cost, lv.returned_line_id, lv.memo_line_id, lv.work_order_id,
             lv.trade_in_actual_cents as trade_in_actual, lv.trade_in_item_id
             from invoice_line_versions lv join invoice_versions v on v.id = lv.version_id
                  left join items it on it.id = lv.item_id
             where {filter}",
    key: "lv.id",
    // a version line carries its version's number, dates, store and customer; both are only ever inserted, and
    // the item facts it carries never change after receipt
    sources: &[
        ("invoice_line_versions", Source::Same),
        ("invoice_versions", Source::Via("select id from invoice_line_versions where version_id in ({ids})")),
    ],
};
