use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::item_cost::TABLE,
    select: "select c.org_id, c.id, c.item_id, c.cost_date, c.kind, c.amount_cents as amount, c.note
             from item_costs c where {filter}",
    key: "c.id",
    sources: &[("item_costs", Source::Same)],
};
