use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::sales_line::TABLE,
    select: "select l.org_id, l.id, l.invoice_id, l.line_no, i.invoice_date, i.status, i.voided_on, i.store_id,
             i.customer_id, i.salesperson_id, l.kind, l.item_id, l.style_id, l.description, l.qty,
             l.unit_price_cents as unit_price, l.adjustment_cents as adjustment,
             l.trade_concession_cents as trade_concession, l.list_price_cents as list_price, l.taxable,
             l.amount_cents as amount, l.cost_cents as cost, l.returned_line_id, l.memo_line_id, l.work_order_id,
             l.trade_in_actual_cents as trade_in_actual, l.trade_in_item_id
             from invoice_lines l join invoices i on i.id = l.invoice_id where {filter}",
    key: "l.id",
    // a line carries its invoice's date, status, store and customer: a change of the invoice touches its lines
    sources: &[
        ("invoice_lines", Source::Same),
        ("invoices", Source::Via("select id from invoice_lines where invoice_id in ({ids})")),
    ],
};
