use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::sales_line::TABLE,
    select: "select l.org_id, l.id, l.invoice_id, l.line_no, i.invoice_date, i.invoice_no, i.status, i.finalized_on,
             i.voided_on, i.store_id, i.customer_id, i.salesperson_id, l.kind, l.item_id, it.serialized,
             it.stock_no, it.style_id as item_style_id, it.base_cost_cents as base_cost, l.style_id, l.description, l.qty,
             l.unit_price_cents as unit_price, l.adjustment_cents as adjustment,
             l.trade_concession_cents as trade_concession, l.list_price_cents as list_price, l.taxable,
             l.amount_cents as amount, l.cost_cents as cost, l.returned_line_id, l.memo_line_id, l.work_order_id,
             l.trade_in_actual_cents as trade_in_actual, l.trade_in_item_id
             from invoice_lines l join invoices i on i.id = l.invoice_id left join items it on it.id = l.item_id
             where {filter}",
    key: "l.id",
    // a line carries its invoice's number, dates, status, store and customer: a change of the invoice touches its
    // lines. The item facts it carries are fixed when the item is received, so a change of the item (its
    // status, store or quantities) does not.
    sources: &[
        ("invoice_lines", Source::Same),
        ("invoices", Source::Via("select id from invoice_lines where invoice_id in ({ids})")),
    ],
};
