use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::invoice::TABLE,
    select: "select i.org_id, i.id, i.store_id, i.invoice_no, i.customer_id, i.salesperson_id, i.invoice_date,
             i.due_date, i.status, i.finalized_on, i.voided_on, i.out_of_state, i.tax_exempt,
             i.subtotal_cents as subtotal, i.taxable_cents as taxable, i.tax_cents as tax, i.surtax_cents as surtax,
             i.freight_cents as freight, i.fees_cents as fees, i.total_cents as total,
             cast(coalesce((select sum(l.amount_cents) from invoice_lines l
                       where l.invoice_id = i.id and l.kind in ('sale', 'return', 'service', 'misc')), 0) as bigint)
               as net_sales,
             cast(coalesce((select sum(a.amount_cents) from payment_applications a
                       where a.invoice_id = i.id and a.voided_on is null), 0) as bigint) as paid,
             cast(coalesce((select sum(w.amount_cents) from write_offs w
                       where w.invoice_id = i.id and w.voided_on is null), 0) as bigint) as written_off,
             i.work_order_id
             from invoices i where {filter}",
    key: "i.id",
    // net sales change with its lines, paid and written off with its applications and write-offs
    sources: &[
        ("invoices", Source::Same),
        ("invoice_lines", Source::Via("select invoice_id as id from invoice_lines where id in ({ids})")),
        ("payment_applications", Source::Via("select invoice_id as id from payment_applications where id in ({ids})")),
        ("write_offs", Source::Via("select invoice_id as id from write_offs where id in ({ids})")),
    ],
};
