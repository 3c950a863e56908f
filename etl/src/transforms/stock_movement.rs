use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::stock_movement::TABLE,
    select: "select m.org_id, m.id, m.item_id, m.store_id, m.moved_on, m.kind, m.qty_delta, m.memo_delta,
             m.cost_cents as cost, m.ref_kind, m.ref_id from stock_movements m where {filter}",
    key: "m.id",
    sources: &[("stock_movements", Source::Same)],
};
