use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::work_order::TABLE,
    select: "select w.org_id, w.id, w.wo_no, w.store_id, w.customer_id, w.kind, w.status, w.opened_on,
             w.promised_on, w.closed_on, w.estimate_cents as estimate,
             cast(coalesce((select sum(c.amount_cents) from work_order_costs c where c.work_order_id = w.id), 0)
               as bigint) as bench_cost,
             w.invoice_id, w.item_id from work_orders w where {filter}",
    key: "w.id",
    // the bench cost is the sum of the order's costs: a new cost touches its order
    sources: &[
        ("work_orders", Source::Same),
        ("work_order_costs", Source::Via("select work_order_id as id from work_order_costs where id in ({ids})")),
    ],
};
