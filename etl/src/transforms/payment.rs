use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::payment::TABLE,
    select: "select p.org_id, p.id, p.store_id, p.customer_id, p.paid_on, p.direction, p.method,
             p.amount_cents as amount, p.status, p.voided_on, p.refund_of_payment_id, p.work_order_id, p.gift_card_id
             from payments p where {filter}",
    key: "p.id",
    sources: &[("payments", Source::Same)],
};
