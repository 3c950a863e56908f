//! An invoice's header: looked up within its org, and its totals (subtotal, tax, surtax, total) worked out
//! from its lines.

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::q;
use crate::sales::tax::{self, TaxLine};
use crate::types::Money;
use crate::writer::Writer;

/// An invoice header.
#[derive(Debug, Clone)]
pub(crate) struct Invoice {
    pub(crate) id: i64,
    pub(crate) org_id: i64,
    pub(crate) store_id: i64,
    pub(crate) number: String,
    pub(crate) customer_id: i64,
    pub(crate) date: NaiveDate,
    pub(crate) status: String,
    /// When the finalization in effect began (none while open).
    pub(crate) finalized_on: Option<NaiveDate>,
}

/// The invoice `id` of this org; `field` names the command field for errors.
pub(crate) async fn invoice(w: &mut Writer, org_id: i64, id: i64, field: &str) -> Result<Invoice> {
    let r = w
        .fetch_optional(q!(
            "select id, org_id, store_id, invoice_no, customer_id, invoice_date, status, finalized_on
             from invoices where id = $1 and org_id = $2",
            id,
            org_id
        ))
        .await?
        .ok_or_else(|| Error::invalid(field, id, "no such invoice in this org"))?;
    Ok(Invoice {
        id: r.i64("id")?,
        org_id: r.i64("org_id")?,
        store_id: r.i64("store_id")?,
        number: r.text("invoice_no")?,
        customer_id: r.i64("customer_id")?,
        date: r.date("invoice_date")?,
        status: r.text("status")?,
        finalized_on: r.opt_date("finalized_on")?,
    })
}

/// The invoice `id` of this org, refused unless it is open and dated in an open period.
pub(super) async fn open_invoice(w: &mut Writer, org_id: i64, id: i64) -> Result<Invoice> {
    let inv = invoice(w, org_id, id, "invoice_id").await?;
    if inv.status != "open" {
        return Err(Error::Conflict(format!("invoice {} is {}; only open invoices change", inv.number, inv.status)));
    }
    w.check_open(org_id, "invoice_date", inv.date).await?;
    Ok(inv)
}

/// Recomputes an invoice's subtotal, tax, surtax and total from its lines.
pub(crate) async fn recompute(w: &mut Writer, org_id: i64, invoice_id: i64) -> Result<Money> {
    recompute_as(w, org_id, invoice_id, None).await
}

/// Recomputes the totals and sets the status in one update: open, or finalized on `finalized` (stamped as
/// `finalized_on`).
pub(super) async fn recompute_as(
    w: &mut Writer,
    org_id: i64,
    invoice_id: i64,
    finalized: Option<NaiveDate>,
) -> Result<Money> {
    let status = if finalized.is_some() { "finalized" } else { "open" };
    // the header once per line (or once with no lines), in one statement
    let rows = w
        .fetch_all(q!(
            "select s.tax_rate_ppm, s.surtax_rate_ppm, s.surtax_threshold_cents, i.out_of_state, i.tax_exempt,
             i.freight_cents, i.fees_cents, l.id as line_id, l.qty, l.amount_cents, l.taxable
             from invoices i join stores s on s.id = i.store_id left join invoice_lines l on l.invoice_id = i.id
             where i.id = $1",
            invoice_id
        ))
        .await?;
    let head = rows.first().ok_or_else(|| Error::not_found("invoice", invoice_id))?;
    let mut lines = Vec::with_capacity(rows.len());
    let mut subtotal: i128 = 0;
    for r in &rows {
        if r.opt_i64("line_id")?.is_none() {
            continue;
        }
        let l = TaxLine { qty: r.i64("qty")?, amount: Money(r.i64("amount_cents")?), taxable: r.bool("taxable")? };
        subtotal += i128::from(l.amount.0);
        lines.push(l);
    }
    // every sum is a figure the books must be able to keep (and the lake to hold)
    let count = format!("({} lines)", lines.len());
    let subtotal = Money::figure(subtotal, "lines", &count, "the invoice's subtotal")?;
    let t = tax::compute(
        &lines,
        crate::types::Rate(head.i64("tax_rate_ppm")?),
        crate::types::Rate(head.i64("surtax_rate_ppm")?),
        Money(head.i64("surtax_threshold_cents")?),
        head.bool("out_of_state")? || head.bool("tax_exempt")?,
        ("lines", &count),
    )?;
    let total = Money::figure(
        [subtotal.0, t.tax.0, t.surtax.0, head.i64("freight_cents")?, head.i64("fees_cents")?]
            .into_iter()
            .map(i128::from)
            .sum(),
        "lines",
        &count,
        "the invoice's total",
    )?;
    w.update(
        "invoices",
        org_id,
        invoice_id,
        q!(
            "update invoices set subtotal_cents = $2, taxable_cents = $3, tax_cents = $4, surtax_cents = $5,
             total_cents = $6, status = $7, finalized_on = $8
             where id = $1 returning *",
            invoice_id,
            subtotal.0,
            t.taxable.0,
            t.tax.0,
            t.surtax.0,
            total.0,
            status,
            finalized
        ),
    )
    .await?;
    Ok(total)
}
