use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::item::TABLE,
    select: "select i.org_id, i.id, i.store_id, i.style_id, i.stock_no, i.serialized, i.ownership, i.consignor_id,
             i.status, i.qty_on_hand, i.qty_on_memo, i.acquired_on, i.base_cost_cents as base_cost,
             i.pool_cost_cents as pool_cost, i.retail_price_cents as retail_price, i.description, i.created_on
             from items i where {filter}",
    key: "i.id",
    sources: &[("items", Source::Same)],
};
