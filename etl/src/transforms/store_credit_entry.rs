use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::store_credit_entry::TABLE,
    select: "select e.org_id, e.id, e.customer_id, e.entry_date, e.amount_cents as amount, e.source_kind, e.source_id
             from store_credit_entries e where {filter}",
    key: "e.id",
    sources: &[("store_credit_entries", Source::Same)],
};
