use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::invoice_version::TABLE,
    select: "select v.org_id, v.id, v.invoice_id, v.version, v.store_id, v.invoice_no, v.customer_id, v.salesperson_id,
             v.invoice_date, v.due_date, v.finalized_on, v.reopened_on, v.out_of_state, v.tax_exempt,
             v.subtotal_cents as subtotal, v.taxable_cents as taxable, v.tax_cents as tax, v.surtax_cents as surtax,
             v.freight_cents as freight, v.fees_cents as fees, v.total_cents as total,
             cast(coalesce((select sum(lv.amount_cents) from invoice_line_versions lv
                       where lv.version_id = v.id and lv.kind in ('sale', 'return', 'service', 'misc')), 0) as bigint)
               as net_sales
             from invoice_versions v where {filter}",
    key: "v.id",
    // versions are only ever inserted, with their lines, which make its net sales
    sources: &[
        ("invoice_versions", Source::Same),
        (
            "invoice_line_versions",
            Source::Via("select version_id as id from invoice_line_versions where id in ({ids})"),
        ),
    ],
};
