//! The invoice commands: create, add and remove lines, finalize, void, reopen. Each checks the invoice's
//! state and the period, then leaves the lines to `lines` and the effects on the books to `effects`.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::effects::{finalize_open, unwind};
use super::header::{Invoice, invoice, open_invoice, recompute};
use super::lines::{LineInput, add_lines};
use crate::error::{Error, Result};
use crate::sales::payments::Tender;
use crate::types::Money;
use crate::writer::{Outcome, Writer};
use crate::{check, q};

/// Opens an invoice with its lines (and finalizes it at once with `finalize: true`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInvoice {
    /// The org.
    pub org_id: i64,
    /// The selling store (its tax rates apply).
    pub store_id: i64,
    /// The customer.
    pub customer_id: i64,
    /// The salesperson.
    pub salesperson_id: Option<i64>,
    /// Invoice date (default today).
    pub invoice_date: Option<NaiveDate>,
    /// Payment terms in days (default: the customer's; without terms the invoice is due on receipt).
    pub terms_days: Option<i64>,
    /// Shipped out of state: no sales tax.
    #[serde(default)]
    pub out_of_state: bool,
    /// Freight charged (not taxed).
    #[serde(default)]
    pub freight: Money,
    /// Other fees charged (not taxed).
    #[serde(default)]
    pub fees: Money,
    /// Free text.
    pub note: Option<String>,
    /// The lines.
    #[serde(default)]
    pub lines: Vec<LineInput>,
    /// Finalize in the same transaction.
    #[serde(default)]
    pub finalize: bool,
    /// Money taken at the counter, applied to this invoice in the same transaction (needs `finalize`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<Tender>,
}

impl CreateInvoice {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let date = self.invoice_date.unwrap_or(w.today);
        w.check_open(self.org_id, "invoice_date", date).await?;
        check::store(w, self.org_id, self.store_id).await?;
        let customer = check::customer(w, self.org_id, self.customer_id, "customer_id").await?;
        if let Some(s) = self.salesperson_id {
            check::salesperson(w, self.org_id, s, "salesperson_id").await?;
        }
        check::not_negative("freight", self.freight)?;
        check::not_negative("fees", self.fees)?;
        let terms = self.terms_days.or(customer.terms_days);
        if let Some(t) = terms
            && !(0..=3650).contains(&t)
        {
            return Err(Error::invalid("terms_days", t, "must be between 0 and 3650"));
        }
        let due = date.checked_add_days(Days::new(terms.unwrap_or(0) as u64)).unwrap_or(date);
        let number = w.next_number(self.org_id, "invoice", "INV-").await?;
        let id = w
            .insert(
                "invoices",
                self.org_id,
                q!(
                    "insert into invoices (org_id, store_id, invoice_no, customer_id, salesperson_id, invoice_date,
                     terms_days, due_date, status, out_of_state, tax_exempt, freight_cents, fees_cents, note)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11, $12, $13) returning *",
                    self.org_id,
                    self.store_id,
                    &number,
                    self.customer_id,
                    self.salesperson_id,
                    date,
                    terms,
                    due,
                    self.out_of_state,
                    customer.resale_certificate.is_some(),
                    self.freight.0,
                    self.fees.0,
                    &self.note
                ),
            )
            .await?;
        let inv = Invoice {
            id,
            org_id: self.org_id,
            store_id: self.store_id,
            number: number.clone(),
            customer_id: self.customer_id,
            date,
            status: "open".into(),
            finalized_on: None,
        };
        if !self.payments.is_empty() && !self.finalize {
            return Err(Error::invalid(
                "payments",
                self.payments.len(),
                "payments apply to a finalized invoice: set finalize",
            ));
        }
        let ids = add_lines(w, &inv, &self.lines, Some(0)).await?;
        if self.finalize {
            finalize_open(w, inv, date).await?;
        } else {
            recompute(w, self.org_id, id).await?;
        }
        let mut payments = Vec::with_capacity(self.payments.len());
        for (i, t) in self.payments.iter().enumerate() {
            let taken = t.take(w, self.org_id, self.store_id, self.customer_id, id, date).await;
            payments.push(taken.map_err(|e| e.within(&format!("payments[{i}]")))?);
        }
        Ok(Outcome { id, number: Some(number), ids, payments })
    }
}

/// Adds lines to an open invoice.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddInvoiceLines {
    /// The org.
    pub org_id: i64,
    /// The open invoice.
    pub invoice_id: i64,
    /// The lines to add.
    pub lines: Vec<LineInput>,
}

impl AddInvoiceLines {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let inv = open_invoice(w, self.org_id, self.invoice_id).await?;
        let ids = add_lines(w, &inv, &self.lines, None).await?;
        recompute(w, self.org_id, inv.id).await?;
        Ok(Outcome { id: inv.id, number: Some(inv.number), ids, ..Outcome::default() })
    }
}

/// Removes a line from an open invoice.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveInvoiceLine {
    /// The org.
    pub org_id: i64,
    /// The line.
    pub line_id: i64,
}

impl RemoveInvoiceLine {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let r = w
            .fetch_optional(q!(
                "select invoice_id from invoice_lines where id = $1 and org_id = $2",
                self.line_id,
                self.org_id
            ))
            .await?
            .ok_or_else(|| Error::invalid("line_id", self.line_id, "no such invoice line in this org"))?;
        let inv = open_invoice(w, self.org_id, r.i64("invoice_id")?).await?;
        forget_reversed(w, self.org_id, self.line_id).await?;
        w.delete("invoice_lines", self.org_id, self.line_id).await?;
        recompute(w, self.org_id, inv.id).await?;
        Ok(Outcome::numbered(inv.id, inv.number))
    }
}

/// Before a line of a reopened invoice goes: what its finalization created and the reopen reversed (a
/// consigned piece's settlement, a gift card) no longer belongs to any line — the settlement is deleted (the
/// audit log keeps it) and the emptied gift card stays with its ledger but without the line. A sale line that a
/// return on a voided invoice still names stays, as that invoice's history does.
async fn forget_reversed(w: &mut Writer, org_id: i64, line_id: i64) -> Result<()> {
    let returned = w
        .fetch_optional(q!(
            "select i.invoice_no from invoice_lines r join invoices i on i.id = r.invoice_id
             where r.returned_line_id = $1 order by i.id limit 1",
            line_id
        ))
        .await?;
    if let Some(r) = returned {
        return Err(Error::Conflict(format!(
            "line {line_id} was returned on invoice {}; a returned sale line stays on its invoice",
            r.text("invoice_no")?
        )));
    }
    for s in w.fetch_all(q!("select id from consignment_settlements where invoice_line_id = $1", line_id)).await? {
        w.delete("consignment_settlements", org_id, s.i64("id")?).await?;
    }
    for c in w.fetch_all(q!("select id from gift_cards where invoice_line_id = $1", line_id)).await? {
        let id = c.i64("id")?;
        w.update(
            "gift_cards",
            org_id,
            id,
            q!("update gift_cards set invoice_line_id = null where id = $1 returning *", id),
        )
        .await?;
    }
    Ok(())
}

/// Finalizes an open invoice: commits inventory and books costs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinalizeInvoice {
    /// The org.
    pub org_id: i64,
    /// The invoice.
    pub invoice_id: i64,
    /// The date the invoice counts from, which dates every effect of finalizing (default: the invoice date
    /// for a first finalization, today for one after a reopen). Never before the invoice date or the last
    /// reopen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalized_on: Option<NaiveDate>,
}

impl FinalizeInvoice {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let inv = open_invoice(w, self.org_id, self.invoice_id).await?;
        let reopened = last_reopen(w, inv.id).await?;
        // a first finalization counts from the invoice date; a later one from when it happens, as a reopen
        // counts from its own date
        let on = self.finalized_on.unwrap_or(if reopened.is_some() { w.today } else { inv.date });
        if let Some(r) = reopened
            && on < r
        {
            return Err(Error::invalid("finalized_on", on, format!("before the reopen date {r}")));
        }
        if on < inv.date {
            return Err(Error::invalid("finalized_on", on, format!("before the invoice date {}", inv.date)));
        }
        w.check_open(self.org_id, "finalized_on", on).await?;
        finalize_open(w, inv, on).await
    }
}

/// The date of an invoice's last reopen, if it was ever reopened.
async fn last_reopen(w: &mut Writer, invoice_id: i64) -> Result<Option<NaiveDate>> {
    let r = w
        .fetch_optional(q!(
            "select reopened_on from invoice_versions where invoice_id = $1 order by version desc limit 1",
            invoice_id
        ))
        .await?;
    r.map(|r| r.date("reopened_on")).transpose()
}

/// Voids a finalized (or open) invoice: inventory and everything it created go back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidInvoice {
    /// The org.
    pub org_id: i64,
    /// The invoice.
    pub invoice_id: i64,
    /// Date of the void (default today).
    pub voided_on: Option<NaiveDate>,
}

impl VoidInvoice {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.voided_on.unwrap_or(w.today);
        let inv = invoice(w, self.org_id, self.invoice_id, "invoice_id").await?;
        if inv.status == "voided" {
            return Err(Error::Conflict(format!("invoice {} is already voided", inv.number)));
        }
        if on < inv.date {
            return Err(Error::invalid("voided_on", on, format!("before the invoice date {}", inv.date)));
        }
        w.check_open(self.org_id, "invoice_date", inv.date).await?;
        // a void ends the finalization in effect (or the reopened invoice), never before it began, so the
        // dated windows in which each finalization counts stay in order
        if let Some(f) = inv.finalized_on
            && on < f
        {
            return Err(Error::invalid("voided_on", on, format!("before the finalization date {f}")));
        }
        if inv.status == "open"
            && let Some(r) = last_reopen(w, inv.id).await?
            && on < r
        {
            return Err(Error::invalid("voided_on", on, format!("before the reopen date {r}")));
        }
        w.check_open(self.org_id, "voided_on", on).await?;
        if inv.status == "finalized" {
            refuse_if_referenced(w, &inv).await?;
            unwind(w, &inv, on).await?;
        }
        w.update(
            "invoices",
            self.org_id,
            inv.id,
            q!("update invoices set status = 'voided', voided_on = $2 where id = $1 returning *", inv.id, on),
        )
        .await?;
        Ok(Outcome::numbered(inv.id, inv.number))
    }
}

/// Reopens a finalized invoice for changes (owner, manager or accounting only; never in a closed period).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReopenInvoice {
    /// The org.
    pub org_id: i64,
    /// The invoice.
    pub invoice_id: i64,
    /// Date of the reopen (default today).
    pub reopened_on: Option<NaiveDate>,
}

impl ReopenInvoice {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        if !check::actor_in(w, self.org_id, crate::org::REOPEN_GROUPS).await? {
            return Err(Error::Forbidden(format!(
                "reopening a finalized invoice needs one of the groups {}",
                crate::org::REOPEN_GROUPS.join(", ")
            )));
        }
        let on = self.reopened_on.unwrap_or(w.today);
        let inv = invoice(w, self.org_id, self.invoice_id, "invoice_id").await?;
        if inv.status != "finalized" {
            return Err(Error::Conflict(format!("invoice {} is {}, not finalized", inv.number, inv.status)));
        }
        if on < inv.date {
            return Err(Error::invalid("reopened_on", on, format!("before the invoice date {}", inv.date)));
        }
        w.check_open(self.org_id, "invoice_date", inv.date).await?;
        let finalized_on = inv.finalized_on.unwrap_or(inv.date);
        if on < finalized_on {
            return Err(Error::invalid("reopened_on", on, format!("before the finalization date {finalized_on}")));
        }
        w.check_open(self.org_id, "reopened_on", on).await?;
        refuse_if_referenced(w, &inv).await?;
        // the finalization this reopen ends stays, as it stood (costs and movements included), before unwinding
        // takes its results off the lines
        keep_version(w, &inv, on).await?;
        unwind(w, &inv, on).await?;
        w.update(
            "invoices",
            self.org_id,
            inv.id,
            q!("update invoices set status = 'open', finalized_on = null where id = $1 returning *", inv.id),
        )
        .await?;
        Ok(Outcome::numbered(inv.id, inv.number))
    }
}

/// Keeps the finalization of `inv` that a reopen dated `on` ends: the header and every line as they stand, as
/// version `1 + the last`, counted on [its finalization date, `on`).
async fn keep_version(w: &mut Writer, inv: &Invoice, on: NaiveDate) -> Result<()> {
    let version = w
        .fetch_one(q!(
            "select cast(coalesce(max(version), 0) + 1 as bigint) as n from invoice_versions where invoice_id = $1",
            inv.id
        ))
        .await?
        .i64("n")?;
    let version_id = w
        .insert(
            "invoice_versions",
            inv.org_id,
            q!(
                "insert into invoice_versions (org_id, invoice_id, version, finalized_on, reopened_on, store_id,
                 invoice_no, customer_id, salesperson_id, invoice_date, due_date, out_of_state, tax_exempt,
                 freight_cents, fees_cents, subtotal_cents, taxable_cents, tax_cents, surtax_cents, total_cents)
                 select org_id, id, $2, finalized_on, $3, store_id, invoice_no, customer_id, salesperson_id,
                 invoice_date, due_date, out_of_state, tax_exempt, freight_cents, fees_cents, subtotal_cents,
                 taxable_cents, tax_cents, surtax_cents, total_cents
                 from invoices where id = $1 returning *",
                inv.id,
                version,
                on
            ),
        )
        .await?;
    let lines = w.fetch_all(q!("select id from invoice_lines where invoice_id = $1 order by id", inv.id)).await?;
    for l in lines {
        w.insert(
            "invoice_line_versions",
            inv.org_id,
            q!(
                "insert into invoice_line_versions (org_id, version_id, invoice_id, line_id, line_no, kind, item_id,
                 style_id, description, qty, unit_price_cents, adjustment_cents, trade_concession_cents,
                 list_price_cents, taxable, amount_cents, cost_cents, returned_line_id, memo_line_id, work_order_id,
                 gift_card_code, trade_in_actual_cents, trade_in_item_id, movement_id)
                 select org_id, $2, invoice_id, id, line_no, kind, item_id, style_id, description, qty,
                 unit_price_cents, adjustment_cents, trade_concession_cents, list_price_cents, taxable, amount_cents,
                 cost_cents, returned_line_id, memo_line_id, work_order_id, gift_card_code, trade_in_actual_cents,
                 trade_in_item_id, movement_id
                 from invoice_lines where id = $1 returning *",
                l.i64("id")?,
                version_id
            ),
        )
        .await?;
    }
    Ok(())
}

/// Voiding or reopening is refused while payments, credits, write-offs or returns stand against the invoice.
async fn refuse_if_referenced(w: &mut Writer, inv: &Invoice) -> Result<()> {
    let r = w
        .fetch_one(q!(
            "select
               (select count(*) from payment_applications a join payments p on p.id = a.payment_id
                 where a.invoice_id = $1 and a.voided_on is null and p.status = 'posted') as payments,
               (select count(*) from write_offs where invoice_id = $1 and voided_on is null) as write_offs,
               (select count(*) from invoice_lines r join invoice_lines s on s.id = r.returned_line_id
                  join invoices ri on ri.id = r.invoice_id
                 where s.invoice_id = $1 and ri.status <> 'voided') as returns",
            inv.id
        ))
        .await?;
    let mut reasons = Vec::new();
    for (col, what) in
        [("payments", "payment application(s)"), ("write_offs", "write-off(s)"), ("returns", "return line(s)")]
    {
        let n = r.i64(col)?;
        if n > 0 {
            reasons.push(format!("{n} live {what}"));
        }
    }
    if !reasons.is_empty() {
        return Err(Error::Conflict(format!(
            "invoice {} has {} against it; void or reverse them first",
            inv.number,
            reasons.join(", ")
        )));
    }
    Ok(())
}
