use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::layer_move::TABLE,
    select: "select lm.org_id, lm.id, m.store_id, m.item_id, lm.layer_id, lm.movement_id, m.moved_on, lm.qty,
             lm.cost_cents as cost, lm.memo_qty
             from layer_moves lm join stock_movements m on m.id = lm.movement_id where {filter}",
    key: "lm.id",
    sources: &[("layer_moves", Source::Same)],
};
