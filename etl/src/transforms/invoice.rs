use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::invoice::TABLE,
    select: "select i.org_id, i.id, i.store_id, i.invoice_no, i.customer_id, i.salesperson_id, i.invoice_date,
             i.due_date, i.status, i.finalized_on, i.voided_on, i.out_of_state, i.tax_exempt,
             i.subtotal_cents as subtotal, i.taxable_cents as taxable, i.tax_cents as tax, i.surtax_cents as surtax,
             i.freight_cents as freight, i.fees_cents as fees, i.total_cents as total, i.work_order_id
             from invoices i where {filter}",
    key: "i.id",
    sources: &[("invoices", Source::Same)],
};
