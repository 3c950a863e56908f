use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::payment_application::TABLE,
    select: "select a.org_id, a.id, a.payment_id, a.invoice_id, a.amount_cents as amount, a.applied_on, a.voided_on
             from payment_applications a where {filter}",
    key: "a.id",
    sources: &[("payment_applications", Source::Same)],
};
