//! `invoice`: one row per invoice, with its totals as the books hold them and what has been paid and written off.

use crate::table::{Column, Kind::*, Role, Table, columns, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "invoice", role: Role::Fact, grain: "an invoice", columns: COLUMNS };

const COLUMNS: &[Column] = &columns::<26>(&[
    &[
        req("org_id", Id),
        req("id", Id),
        req("store_id", Id),
        req("invoice_no", Text),
        req("customer_id", Id),
        opt("salesperson_id", Id),
        req("invoice_date", Date),
        req("due_date", Date),
        req("status", Text),
        opt("finalized_on", Date),
        opt("voided_on", Date),
    ],
    FIGURES,
    &[
        // applications and write-offs not voided, whatever their date: the balance now is total − paid −
        // written_off, and on an earlier date it is that plus what was applied or written off after it, less
        // what was voided after it
        req("paid", Money),
        req("written_off", Money),
        opt("work_order_id", Id),
        // nothing owed either way now (a voided invoice keeps its total, so it is not settled): receivables read
        // the rest, and of these only the few paid or written off after their date
        req("settled", ZeroOf("total - paid - written_off")),
        req("month", MonthOf("invoice_date")),
    ],
]);

/// An invoice's own figures, from its exemptions to its net sales: the same in [`super::invoice_version`].
pub(crate) const FIGURES: &[Column] = &[
    req("out_of_state", Bool),
    req("tax_exempt", Bool),
    req("subtotal", Money),
    req("taxable", Money),
    req("tax", Money),
    req("surtax", Money),
    req("freight", Money),
    req("fees", Money),
    req("total", Money),
    // what its revenue lines (sale, return, service, misc) add up to: qty × price − adjustment, before tax,
    // freight and fees, and without trade-ins and gift cards — what the customer bought, net of returns
    req("net_sales", Money),
];
