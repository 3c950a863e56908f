use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::cost_layer::TABLE,
    select: "select c.org_id, c.id, c.item_id, c.acquired_on, c.qty_received, c.cost_received_cents as cost_received,
             c.qty_remaining, c.cost_remaining_cents as cost_remaining from cost_layers c where {filter}",
    key: "c.id",
    sources: &[("cost_layers", Source::Same)],
};
