//! `payment`: one row per payment in (received) or out (refund).

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "payment", role: Role::Fact, grain: "a payment or refund", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("store_id", Id),
    req("customer_id", Id),
    req("paid_on", Date),
    req("direction", Text),
    req("method", Text),
    req("amount", Money),
    req("status", Text),
    // its applications and refunds not voided, whatever their date: what is left on account is amount − applied
    // − refunded
    req("applied", Money),
    req("refunded", Money),
    opt("voided_on", Date),
    opt("refund_of_payment_id", Id),
    opt("work_order_id", Id),
    opt("gift_card_id", Id),
    // nothing left on account now (a refund, or a voided payment, keeps its amount, so it is not settled)
    req("settled", ZeroOf("amount - applied - refunded")),
    req("month", MonthOf("paid_on")),
];
