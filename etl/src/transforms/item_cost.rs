use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::item_cost::TABLE,
    select: "select c.org_id, c.id, it.store_id, c.item_id, c.cost_date, c.kind, c.amount_cents as amount, c.note
             from item_costs c join items it on it.id = c.item_id where {filter}",
    key: "c.id",
    // the cost's store is its piece's, which a transfer changes
    sources: &[
        ("item_costs", Source::Same),
        ("items", Source::Via("select id from item_costs where item_id in ({ids})")),
    ],
};
