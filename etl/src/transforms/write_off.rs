use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::write_off::TABLE,
    select: "select w.org_id, w.id, i.store_id, w.invoice_id, w.customer_id, w.written_on, w.amount_cents as amount,
             w.voided_on from write_offs w join invoices i on i.id = w.invoice_id where {filter}",
    key: "w.id",
    sources: &[("write_offs", Source::Same)],
};
