use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::memo_line::TABLE,
    select: "select l.org_id, l.id, l.memo_id, m.memo_no, m.memo_date, m.store_id, m.customer_id, m.salesperson_id,
             l.item_id, l.qty, l.memo_price_cents as memo_price, l.status, l.resolved_on, l.invoice_line_id
             from memo_lines l join memos m on m.id = l.memo_id where {filter}",
    key: "l.id",
    sources: &[
        ("memo_lines", Source::Same),
        ("memos", Source::Via("select id from memo_lines where memo_id in ({ids})")),
    ],
};
