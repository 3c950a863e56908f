use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::payment::TABLE,
    select: "select p.org_id, p.id, p.store_id, p.customer_id, p.paid_on, p.direction, p.method,
             p.amount_cents as amount, p.status,
             cast(coalesce((select sum(a.amount_cents) from payment_applications a
                       where a.payment_id = p.id and a.voided_on is null), 0) as bigint) as applied,
             cast(coalesce((select sum(r.amount_cents) from payments r
                       where r.refund_of_payment_id = p.id and r.voided_on is null), 0) as bigint) as refunded,
             p.voided_on, p.refund_of_payment_id, p.work_order_id, p.gift_card_id
             from payments p where {filter}",
    key: "p.id",
    // applied and refunded change with the payment's applications and refunds
    sources: &[
        ("payments", Source::Same),
        (
            "payments",
            Source::Via(
                "select refund_of_payment_id as id from payments where id in ({ids}) and refund_of_payment_id is not null",
            ),
        ),
        ("payment_applications", Source::Via("select payment_id as id from payment_applications where id in ({ids})")),
    ],
};
