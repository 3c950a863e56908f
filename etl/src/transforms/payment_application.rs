use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::payment_application::TABLE,
    select: "select a.org_id, a.id, i.store_id, a.payment_id, a.invoice_id, a.amount_cents as amount, a.applied_on,
             a.voided_on from payment_applications a join invoices i on i.id = a.invoice_id where {filter}",
    key: "a.id",
    sources: &[("payment_applications", Source::Same)],
};
