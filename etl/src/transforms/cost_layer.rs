use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::cost_layer::TABLE,
    select: "select c.org_id, c.id, it.store_id, c.item_id, c.acquired_on, c.qty_received,
             c.cost_received_cents as cost_received, c.qty_remaining, c.cost_remaining_cents as cost_remaining
             from cost_layers c join items it on it.id = c.item_id where {filter}",
    key: "c.id",
    // the layer's store is its stock record's, which a transfer of a piece changes
    sources: &[
        ("cost_layers", Source::Same),
        ("items", Source::Via("select id from cost_layers where item_id in ({ids})")),
    ],
};
