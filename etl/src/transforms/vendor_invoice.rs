use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::vendor_invoice::TABLE,
    select: "select v.org_id, v.id, v.vendor_id, v.vendor_ref, v.invoice_date, v.due_date, v.amount_cents as amount,
             v.status, v.voided_on from vendor_invoices v where {filter}",
    key: "v.id",
    sources: &[("vendor_invoices", Source::Same)],
};
