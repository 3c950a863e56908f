//! Invoices: Open → Finalized → (Voided), with reopen for users allowed to. Finalizing commits inventory
//! (a serialized piece sells once), takes in trade-ins, issues gift cards and books each line's cost;
//! voiding and reopening put everything back exactly.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::catalog::style;
use crate::error::{Error, Result};
use crate::inventory::piece::{self, Status};
use crate::inventory::{self, flow, flow::Movement};
use crate::sales::ledgers;
use crate::sales::payments::Tender;
use crate::sales::tax::{self, TaxLine};
use crate::types::{LineKind, Money, prorate};
use crate::writer::{Outcome, Writer};
use crate::{check, q};

/// One line of an invoice as entered.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// sale, return, trade_in, service, gift_card or misc.
    pub kind: Option<LineKind>,
    /// Sale: the stock record sold (a piece, or a lot at the invoice's store).
    pub item_id: Option<i64>,
    /// Return: the sale line the item was previously purchased on.
    pub returned_line_id: Option<i64>,
    /// Sale of a piece out on memo to this customer: the memo line it converts.
    pub memo_line_id: Option<i64>,
    /// Service: the work order whose bench cost is this line's cost.
    pub work_order_id: Option<i64>,
    /// Trade-in: the (serialized) style of the piece taken in.
    pub style_id: Option<i64>,
    /// Text on the invoice (defaults from the item, style or kind).
    pub description: Option<String>,
    /// Quantity: default 1; a return's is negative (default: all of the sale line not yet returned).
    pub qty: Option<i64>,
    /// Unit price: a sale defaults to the item's retail price, a return to the original price.
    pub unit_price: Option<Money>,
    /// A dollar discount on the line that leaves the unit price intact.
    #[serde(default)]
    pub adjustment: Money,
    /// The part of a trade-in over-allowance charged to this line: lowers revenue for gross profit, not the
    /// invoice.
    #[serde(default)]
    pub trade_concession: Money,
    /// List (retail) price per unit, for realization (default: the item's retail price on sale lines).
    pub list_price: Option<Money>,
    /// Override of the line's taxability (sale, return, service and misc lines are taxable by default).
    pub taxable: Option<bool>,
    /// Trade-in: the allowance shown to the customer.
    pub allowance: Option<Money>,
    /// Trade-in: what the piece is really worth; becomes its cost.
    pub actual_value: Option<Money>,
    /// Gift card: the card's code (assigned when left out).
    pub gift_card_code: Option<String>,
}

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

async fn open_invoice(w: &mut Writer, org_id: i64, id: i64) -> Result<Invoice> {
    let inv = invoice(w, org_id, id, "invoice_id").await?;
    if inv.status != "open" {
        return Err(Error::Conflict(format!("invoice {} is {}; only open invoices change", inv.number, inv.status)));
    }
    w.check_open(org_id, "invoice_date", inv.date).await?;
    Ok(inv)
}

/// Validates and inserts lines after the invoice's last (`last_no`, when the caller knows it: 0 for a new
/// invoice); returns their ids.
async fn add_lines(w: &mut Writer, inv: &Invoice, lines: &[LineInput], last_no: Option<i64>) -> Result<Vec<i64>> {
    let mut next_no = match last_no {
        Some(n) => n,
        None => w
            .fetch_one(q!(
                "select cast(coalesce(max(line_no), 0) as bigint) as n from invoice_lines where invoice_id = $1",
                inv.id
            ))
            .await?
            .i64("n")?,
    };
    let mut ids = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        next_no += 1;
        let line = resolve_line(w, inv, l, i).await?;
        let id = w
            .insert(
                "invoice_lines",
                inv.org_id,
                q!(
                    "insert into invoice_lines (org_id, invoice_id, line_no, kind, item_id, style_id, description, qty,
                     unit_price_cents, adjustment_cents, trade_concession_cents, list_price_cents, taxable, amount_cents,
                     returned_line_id, memo_line_id, work_order_id, gift_card_code, trade_in_actual_cents)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
                     returning *",
                    inv.org_id,
                    inv.id,
                    next_no,
                    line.kind,
                    line.item_id,
                    line.style_id,
                    line.description,
                    line.qty,
                    line.unit_price.0,
                    line.adjustment.0,
                    line.trade_concession.0,
                    line.list_price.map(|m| m.0),
                    line.taxable,
                    line.amount.0,
                    line.returned_line_id,
                    line.memo_line_id,
                    line.work_order_id,
                    line.gift_card_code,
                    line.actual_value.map(|m| m.0)
                ),
            )
            .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// A line with its defaults filled and its references checked.
struct Line {
    kind: LineKind,
    item_id: Option<i64>,
    style_id: Option<i64>,
    description: String,
    qty: i64,
    unit_price: Money,
    adjustment: Money,
    trade_concession: Money,
    list_price: Option<Money>,
    taxable: bool,
    returned_line_id: Option<i64>,
    memo_line_id: Option<i64>,
    work_order_id: Option<i64>,
    gift_card_code: Option<String>,
    actual_value: Option<Money>,
    /// qty × unit price − adjustment, a figure inside the books' bounds.
    amount: Money,
}

async fn resolve_line(w: &mut Writer, inv: &Invoice, l: &LineInput, index: usize) -> Result<Line> {
    let p = |f: &str| format!("lines[{index}].{f}");
    let kind = l.kind.ok_or_else(|| Error::invalid(p("kind"), "(missing)", "every line needs a kind"))?;
    check::not_negative(&p("trade_concession"), l.trade_concession)?;
    if let Some(lp) = l.list_price {
        check::not_negative(&p("list_price"), lp)?;
    }
    let default_taxable = matches!(kind, LineKind::Sale | LineKind::Return | LineKind::Service | LineKind::Misc);
    let mut line = Line {
        kind,
        item_id: None,
        style_id: None,
        description: l.description.clone().unwrap_or_default(),
        qty: l.qty.unwrap_or(1),
        unit_price: l.unit_price.unwrap_or(Money::ZERO),
        adjustment: l.adjustment,
        trade_concession: l.trade_concession,
        list_price: l.list_price,
        taxable: l.taxable.unwrap_or(default_taxable),
        returned_line_id: None,
        memo_line_id: None,
        work_order_id: None,
        gift_card_code: None,
        actual_value: None,
        amount: Money::ZERO,
    };
    check::qty_bound(&p("qty"), line.qty)?;
    let only = |field: &str, present: bool| -> Result<()> {
        if present {
            return Err(Error::invalid(p(field), "(present)", format!("not used on a {kind} line")));
        }
        Ok(())
    };
    only("returned_line_id", l.returned_line_id.is_some() && kind != LineKind::Return)?;
    only("memo_line_id", l.memo_line_id.is_some() && kind != LineKind::Sale)?;
    only("allowance", l.allowance.is_some() && kind != LineKind::TradeIn)?;
    only("actual_value", l.actual_value.is_some() && kind != LineKind::TradeIn)?;
    only("gift_card_code", l.gift_card_code.is_some() && kind != LineKind::GiftCard)?;
    only("work_order_id", l.work_order_id.is_some() && kind != LineKind::Service)?;
    only("item_id", l.item_id.is_some() && !matches!(kind, LineKind::Sale))?;
    only("style_id", l.style_id.is_some() && kind != LineKind::TradeIn)?;
    match kind {
        LineKind::Sale => {
            let memo = match l.memo_line_id {
                Some(m) => {
                    Some(crate::memos::peek_for_invoice(w, inv.org_id, m, inv.customer_id, &p("memo_line_id")).await?)
                }
                None => None,
            };
            let item_id = match (l.item_id, &memo) {
                (Some(i), Some(m)) if i != m.item_id => {
                    return Err(Error::invalid(
                        p("item_id"),
                        i,
                        format!("memo line {} is stock {}", m.memo_line_id, m.item_id),
                    ));
                }
                (Some(i), _) => i,
                (None, Some(m)) => m.item_id,
                (None, None) => return Err(Error::invalid(p("item_id"), "(missing)", "a sale line sells an item")),
            };
            if let Some(m) = &memo {
                // a memo line resolves whole
                line.qty = l.qty.unwrap_or(m.qty);
                if line.qty != m.qty {
                    return Err(Error::invalid(p("qty"), line.qty, format!("the memo line is for {} unit(s)", m.qty)));
                }
            }
            check::positive_qty(&p("qty"), line.qty)?;
            let it = flow::item(w, inv.org_id, item_id, &p("item_id")).await?;
            if it.serialized && line.qty != 1 {
                return Err(Error::invalid(p("qty"), line.qty, "a serialized piece sells as quantity 1"));
            }
            if it.store_id != inv.store_id {
                return Err(Error::invalid(
                    p("item_id"),
                    item_id,
                    format!(
                        "stock {} is at store {}, not the invoice's store; transfer it first",
                        it.stock_no, it.store_id
                    ),
                ));
            }
            if l.memo_line_id.is_none() {
                let available = if it.serialized { i64::from(it.status == "in_stock") } else { it.qty_on_hand };
                if line.qty > available {
                    return Err(Error::invalid(
                        p("item_id"),
                        item_id,
                        if it.serialized {
                            format!("stock {} is {}, not in stock", it.stock_no, it.status)
                        } else {
                            format!("stock {} has {} on hand", it.stock_no, it.qty_on_hand)
                        },
                    ));
                }
            }
            line.memo_line_id = l.memo_line_id;
            line.unit_price = l.unit_price.or(memo.as_ref().map(|m| m.memo_price)).unwrap_or(it.retail_price);
            line.list_price = Some(l.list_price.unwrap_or(it.retail_price));
            if line.description.is_empty() {
                line.description = style(w, inv.org_id, it.style_id, &p("item_id")).await?.description;
            }
            line.item_id = Some(item_id);
            line.style_id = Some(it.style_id);
        }
        LineKind::Return => {
            let orig_id = l
                .returned_line_id
                .ok_or_else(|| Error::invalid(p("returned_line_id"), "(missing)", "a return names the sale line"))?;
            let o = w
                .fetch_optional(q!(
                    "select l.item_id, l.style_id, l.description, l.qty, l.unit_price_cents, l.adjustment_cents,
                     l.trade_concession_cents, l.taxable, l.kind, i.customer_id, i.status
                     from invoice_lines l join invoices i on i.id = l.invoice_id
                     where l.id = $1 and l.org_id = $2",
                    orig_id,
                    inv.org_id
                ))
                .await?
                .ok_or_else(|| Error::invalid(p("returned_line_id"), orig_id, "no such invoice line in this org"))?;
            if o.text("kind")? != "sale" || o.text("status")? != "finalized" {
                return Err(Error::invalid(p("returned_line_id"), orig_id, "not a sale line of a finalized invoice"));
            }
            if o.i64("customer_id")? != inv.customer_id {
                return Err(Error::invalid(p("returned_line_id"), orig_id, "sold to another customer"));
            }
            let sold = o.i64("qty")?;
            let returned = returned_qty(w, orig_id).await?;
            let open = sold - returned;
            line.qty = l.qty.unwrap_or(-open);
            if line.qty >= 0 {
                return Err(Error::invalid(p("qty"), line.qty, "a return's quantity is negative"));
            }
            if -line.qty > open {
                return Err(Error::invalid(
                    p("qty"),
                    line.qty,
                    format!("only {open} of the {sold} sold remain to return"),
                ));
            }
            let back = -line.qty;
            line.unit_price = l.unit_price.unwrap_or(Money(o.i64("unit_price_cents")?));
            // the discount and concession come back in proportion, so the refund is what was paid
            if l.adjustment == Money::ZERO {
                line.adjustment = Money(-prorate(Money(o.i64("adjustment_cents")?), back, sold).0);
            }
            if l.trade_concession == Money::ZERO {
                line.trade_concession = Money(-prorate(Money(o.i64("trade_concession_cents")?), back, sold).0);
            }
            line.taxable = l.taxable.unwrap_or(o.bool("taxable")?);
            line.list_price = None;
            line.item_id = o.opt_i64("item_id")?;
            line.style_id = o.opt_i64("style_id")?;
            if line.description.is_empty() {
                line.description = format!("Return: {}", o.text("description")?);
            }
            line.returned_line_id = Some(orig_id);
        }
        LineKind::TradeIn => {
            line.qty = 1;
            if l.qty.is_some_and(|q| q != 1) {
                return Err(Error::invalid(p("qty"), l.qty.unwrap_or(0), "a trade-in is one piece"));
            }
            let allowance = l
                .allowance
                .ok_or_else(|| Error::invalid(p("allowance"), "(missing)", "a trade-in needs an allowance"))?;
            check::not_negative(&p("allowance"), allowance)?;
            let actual = l
                .actual_value
                .ok_or_else(|| Error::invalid(p("actual_value"), "(missing)", "a trade-in needs its actual value"))?;
            check::not_negative(&p("actual_value"), actual)?;
            let style_id =
                l.style_id.ok_or_else(|| Error::invalid(p("style_id"), "(missing)", "the style it comes in as"))?;
            let st = style(w, inv.org_id, style_id, &p("style_id")).await?;
            if !st.serialized {
                return Err(Error::invalid(
                    p("style_id"),
                    style_id,
                    "a traded-in piece comes in as a serialized style",
                ));
            }
            line.unit_price = Money(-allowance.0);
            line.taxable = false;
            line.style_id = Some(style_id);
            line.actual_value = Some(actual);
            if line.description.is_empty() {
                line.description = format!("Trade-in: {}", st.description);
            }
        }
        LineKind::Service => {
            check::positive_qty(&p("qty"), line.qty)?;
            if let Some(wo) = l.work_order_id {
                check::exists(w, "work_orders", "work order", inv.org_id, wo)
                    .await
                    .map_err(|_| Error::invalid(p("work_order_id"), wo, "no such work order in this org"))?;
                line.work_order_id = Some(wo);
            }
            if line.description.is_empty() {
                line.description = "Service".into();
            }
        }
        LineKind::GiftCard => {
            if line.qty != 1 {
                return Err(Error::invalid(p("qty"), line.qty, "a gift card line sells one card"));
            }
            let amount =
                l.unit_price.ok_or_else(|| Error::invalid(p("unit_price"), "(missing)", "the card's amount"))?;
            check::positive_money(&p("unit_price"), amount)?;
            if l.adjustment != Money::ZERO {
                return Err(Error::invalid(p("adjustment"), l.adjustment, "a gift card is sold at face value"));
            }
            line.taxable = false;
            line.gift_card_code = l.gift_card_code.as_ref().map(|c| c.trim().to_string());
            if line.description.is_empty() {
                line.description = "Gift card".into();
            }
        }
        LineKind::Misc => {
            check::positive_qty(&p("qty"), line.qty)?;
            if line.description.is_empty() {
                return Err(Error::invalid(p("description"), "(missing)", "a misc line says what it is"));
            }
        }
    }
    // the customer-facing amount, worked out wide so no quantity or price can wrap it
    let gross = i128::from(line.qty) * i128::from(line.unit_price.0);
    let what = format!("{} × {}", line.qty, line.unit_price);
    line.amount = Money::figure(gross - i128::from(line.adjustment.0), &format!("lines[{index}]"), what, "the line")?;
    if matches!(kind, LineKind::Sale | LineKind::Service | LineKind::Misc) {
        check::not_negative(&p("unit_price"), line.unit_price)?;
        check::not_negative(&p("adjustment"), line.adjustment)?;
        if i128::from(line.adjustment.0) > gross {
            return Err(Error::invalid(p("adjustment"), line.adjustment, "larger than the line's amount"));
        }
    }
    Ok(line)
}

/// Units of a sale line already returned on finalized (or open) invoices.
pub(crate) async fn returned_qty(w: &mut Writer, line_id: i64) -> Result<i64> {
    Ok(-w
        .fetch_one(q!(
            "select cast(coalesce(sum(l.qty), 0) as bigint) as q from invoice_lines l join invoices i on i.id = l.invoice_id
             where l.returned_line_id = $1 and i.status <> 'voided'",
            line_id
        ))
        .await?
        .i64("q")?)
}

/// Recomputes an invoice's subtotal, tax, surtax and total from its lines.
pub(crate) async fn recompute(w: &mut Writer, org_id: i64, invoice_id: i64) -> Result<Money> {
    recompute_as(w, org_id, invoice_id, None).await
}

/// Recomputes the totals and sets the status in one update: open, or finalized on `finalized` (stamped as
/// `finalized_on`).
async fn recompute_as(w: &mut Writer, org_id: i64, invoice_id: i64, finalized: Option<NaiveDate>) -> Result<Money> {
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

/// A stored line as finalize and unwind need it.
struct StoredLine {
    id: i64,
    kind: LineKind,
    item_id: Option<i64>,
    style_id: Option<i64>,
    qty: i64,
    unit_price: Money,
    cost: Money,
    returned_line_id: Option<i64>,
    memo_line_id: Option<i64>,
    work_order_id: Option<i64>,
    gift_card_code: Option<String>,
    actual_value: Option<Money>,
    trade_in_item_id: Option<i64>,
    movement_id: Option<i64>,
}

async fn stored_lines(w: &mut Writer, invoice_id: i64) -> Result<Vec<StoredLine>> {
    let rows = w
        .fetch_all(q!(
            "select id, kind, item_id, style_id, qty, unit_price_cents, cost_cents, returned_line_id, memo_line_id, work_order_id,
             gift_card_code, trade_in_actual_cents, trade_in_item_id, movement_id
             from invoice_lines where invoice_id = $1 order by line_no, id",
            invoice_id
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredLine {
                id: r.i64("id")?,
                kind: r.text("kind")?.parse()?,
                item_id: r.opt_i64("item_id")?,
                style_id: r.opt_i64("style_id")?,
                qty: r.i64("qty")?,
                unit_price: Money(r.i64("unit_price_cents")?),
                cost: Money(r.i64("cost_cents")?),
                returned_line_id: r.opt_i64("returned_line_id")?,
                memo_line_id: r.opt_i64("memo_line_id")?,
                work_order_id: r.opt_i64("work_order_id")?,
                gift_card_code: r.opt_text("gift_card_code")?,
                actual_value: r.opt_i64("trade_in_actual_cents")?.map(Money),
                trade_in_item_id: r.opt_i64("trade_in_item_id")?,
                movement_id: r.opt_i64("movement_id")?,
            })
        })
        .collect()
}

async fn set_line_result(
    w: &mut Writer,
    org_id: i64,
    line: i64,
    cost: Money,
    movement: Option<i64>,
    trade_in_item: Option<i64>,
) -> Result<()> {
    w.update(
        "invoice_lines",
        org_id,
        line,
        q!(
            "update invoice_lines set cost_cents = $2, movement_id = $3, trade_in_item_id = $4 where id = $1 returning *",
            line,
            cost.0,
            movement,
            trade_in_item
        ),
    )
    .await?;
    Ok(())
}

/// Finalizes `inv`, known to be open and in an open period, as of `on` (also in an open period): every dated
/// effect — stock movements, memo conversions, settlements, trade-ins, gift cards — is dated `on`.
async fn finalize_open(w: &mut Writer, inv: Invoice, on: NaiveDate) -> Result<Outcome> {
    let org_id = inv.org_id;
    let lines = stored_lines(w, inv.id).await?;
    if lines.is_empty() {
        return Err(Error::invalid("invoice_id", inv.id, "an invoice without lines cannot be finalized"));
    }
    for l in &lines {
        match l.kind {
            LineKind::Sale => sell(w, &inv, l, on).await?,
            LineKind::Return => take_back(w, &inv, l, on).await?,
            LineKind::TradeIn => trade_in(w, &inv, l, on).await?,
            LineKind::GiftCard => issue_gift_card(w, &inv, l, on).await?,
            LineKind::Service => {
                let cost = match l.work_order_id {
                    Some(wo) => bench_cost(w, wo).await?,
                    None => Money::ZERO,
                };
                set_line_result(w, org_id, l.id, cost, None, None).await?;
            }
            LineKind::Misc => {}
        }
    }
    recompute_as(w, org_id, inv.id, Some(on)).await?;
    Ok(Outcome::numbered(inv.id, inv.number))
}

/// Bench cost of a work order: every cost booked to it.
pub(crate) async fn bench_cost(w: &mut Writer, work_order_id: i64) -> Result<Money> {
    Ok(Money(
        w.fetch_one(q!(
            "select cast(coalesce(sum(amount_cents), 0) as bigint) as c from work_order_costs where work_order_id = $1",
            work_order_id
        ))
        .await?
        .i64("c")?,
    ))
}

async fn sell(w: &mut Writer, inv: &Invoice, l: &StoredLine, on: NaiveDate) -> Result<()> {
    let item_id = l.item_id.ok_or_else(|| Error::Database(format!("sale line {} has no item", l.id)))?;
    let from_memo = if let Some(memo_line) = l.memo_line_id {
        // the units come back from the customer's approval and are sold in the same breath, from the layers
        // they went out from
        crate::memos::bring_back_for_sale(w, inv.org_id, memo_line, inv.customer_id, on).await?.layers
    } else {
        Vec::new()
    };
    let it = flow::item(w, inv.org_id, item_id, "item_id").await?;
    let m = Movement::at(&it, on, "sale", "invoice_line", Some(l.id));
    let (movement, cost) = if it.serialized {
        // the conditional update is what makes a piece sell once, even under concurrent finalizations
        piece::move_piece(w, &it, Status::InStock, Status::Sold, |now| {
            format!("stock {} is {now}, not in stock: it cannot be sold", it.stock_no)
        })
        .await?;
        let cost = flow::piece_cost(w, &it, None).await?;
        (flow::record(w, Movement { qty_delta: -1, cost: Money(-cost.0), ..m }).await?, cost)
    } else {
        let (movement, cost, _) = flow::take_from_layers(w, &it, l.qty, m, &from_memo).await?;
        (movement, cost)
    };
    set_line_result(w, inv.org_id, l.id, cost, Some(movement), None).await?;
    if let Some(memo_line) = l.memo_line_id {
        crate::memos::mark_invoiced(w, inv.org_id, memo_line, l.id, on).await?;
    }
    if !it.owned
        && let Some(vendor) = it.consignor_id
    {
        w.insert(
            "consignment_settlements",
            inv.org_id,
            q!(
                "insert into consignment_settlements (org_id, vendor_id, item_id, invoice_line_id, created_on, amount_cents,
                 status) values ($1, $2, $3, $4, $5, $6, 'due') returning *",
                inv.org_id,
                vendor,
                it.id,
                l.id,
                on,
                cost.0
            ),
        )
        .await?;
    }
    Ok(())
}

async fn take_back(w: &mut Writer, inv: &Invoice, l: &StoredLine, on: NaiveDate) -> Result<()> {
    let orig_id =
        l.returned_line_id.ok_or_else(|| Error::Database(format!("return line {} has no sale line", l.id)))?;
    let orig = w
        .fetch_one(q!("select qty, cost_cents, movement_id, item_id from invoice_lines where id = $1", orig_id))
        .await?;
    let (sold, sold_cost) = (orig.i64("qty")?, Money(orig.i64("cost_cents")?));
    let Some(item_id) = orig.opt_i64("item_id")? else {
        return Ok(()); // a return of a line without stock (none today) moves nothing
    };
    let it = flow::item(w, inv.org_id, item_id, "returned_line_id").await?;
    let back = -l.qty;
    // open = what of the sale has not come back on other finalized returns
    let prior = w
        .fetch_one(q!(
            "select cast(coalesce(sum(-l.qty), 0) as bigint) as q, cast(coalesce(sum(-l.cost_cents), 0) as bigint) as c
             from invoice_lines l join invoices i on i.id = l.invoice_id
             where l.returned_line_id = $1 and i.status = 'finalized' and l.id <> $2",
            orig_id,
            l.id
        ))
        .await?;
    let (prior_qty, prior_cost) = (prior.i64("q")?, Money(prior.i64("c")?));
    if back > sold - prior_qty {
        return Err(Error::Conflict(format!("only {} of the {sold} sold remain to return", sold - prior_qty)));
    }
    let m = Movement::at(&it, on, "return", "invoice_line", Some(l.id));
    let (movement, cost) = if it.serialized {
        piece::move_piece_to(w, &it, Status::Sold, Status::InStock, inv.store_id, |now| {
            format!("stock {} is {now}, not sold: it cannot come back", it.stock_no)
        })
        .await?;
        let moved = flow::item(w, inv.org_id, it.id, "item_id").await?;
        let cost = prorate(Money(sold_cost.0 - prior_cost.0), back, sold - prior_qty);
        (flow::record(w, Movement { item: &moved, store_id: inv.store_id, qty_delta: 1, cost, ..m }).await?, cost)
    } else {
        let source =
            orig.opt_i64("movement_id")?.ok_or_else(|| Error::Database("sale line without movement".into()))?;
        flow::put_back_to_lot(w, &it, source, back, m).await?
    };
    set_line_result(w, inv.org_id, l.id, Money(-cost.0), Some(movement), None).await
}

async fn trade_in(w: &mut Writer, inv: &Invoice, l: &StoredLine, on: NaiveDate) -> Result<()> {
    let style_id = l.style_id.ok_or_else(|| Error::Database(format!("trade-in line {} has no style", l.id)))?;
    let st = style(w, inv.org_id, style_id, "style_id").await?;
    let actual = l.actual_value.unwrap_or(Money::ZERO);
    let stock_no = w.next_number(inv.org_id, "piece", "S-").await?;
    let piece = inventory::new_piece(
        w,
        inventory::NewPiece {
            org_id: inv.org_id,
            store_id: inv.store_id,
            style_id,
            stock_no: &stock_no,
            consignor_id: None,
            acquired_on: Some(inv.date),
            cost: actual,
            retail: st.retail_price,
            description: Some(&format!("Traded in on {}", inv.number)),
            created_on: on,
        },
    )
    .await?;
    let it = flow::item(w, inv.org_id, piece, "item_id").await?;
    let movement = flow::record(
        w,
        Movement {
            item: &it,
            store_id: inv.store_id,
            on,
            kind: "trade_in",
            qty_delta: 1,
            memo_delta: 0,
            cost: actual,
            ref_kind: "invoice_line",
            ref_id: Some(l.id),
        },
    )
    .await?;
    set_line_result(w, inv.org_id, l.id, Money::ZERO, Some(movement), Some(piece)).await
}

async fn issue_gift_card(w: &mut Writer, inv: &Invoice, l: &StoredLine, on: NaiveDate) -> Result<()> {
    let code = match &l.gift_card_code {
        Some(c) => c.clone(),
        None => w.next_number(inv.org_id, "gift_card", "GC-").await?,
    };
    let amount = l.unit_price;
    // a reopened invoice finalized again brings its own card back to life rather than issuing a twin
    let earlier = w.fetch_optional(q!("select id from gift_cards where invoice_line_id = $1", l.id)).await?;
    if let Some(card) = earlier {
        let card = card.i64("id")?;
        w.update(
            "gift_cards",
            inv.org_id,
            card,
            q!(
                "update gift_cards set code = $2, issued_on = $3, initial_cents = $4, balance_cents = $4 where id = $1
                 returning *",
                card,
                &code,
                on,
                amount.0
            ),
        )
        .await?;
        return ledgers::gift_card_entry(w, inv.org_id, card, on, amount, "issue", l.id).await;
    }
    let card = w
        .insert(
            "gift_cards",
            inv.org_id,
            q!(
                "insert into gift_cards (org_id, code, issued_on, initial_cents, balance_cents, invoice_line_id)
                 values ($1, $2, $3, $4, $4, $5) returning *",
                inv.org_id,
                &code,
                on,
                amount.0,
                l.id
            ),
        )
        .await?;
    ledgers::gift_card_entry(w, inv.org_id, card, on, amount, "issue", l.id).await?;
    if l.gift_card_code.is_none() {
        w.update(
            "invoice_lines",
            inv.org_id,
            l.id,
            q!("update invoice_lines set gift_card_code = $2 where id = $1 returning *", l.id, code),
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

/// Puts back everything finalizing did: stock, trade-ins, gift cards, settlements.
async fn unwind(w: &mut Writer, inv: &Invoice, on: NaiveDate) -> Result<()> {
    let lines = stored_lines(w, inv.id).await?;
    for l in lines.iter().rev() {
        match l.kind {
            LineKind::Sale => unsell(w, inv, l, on).await?,
            LineKind::Return => unreturn(w, inv, l, on).await?,
            LineKind::TradeIn => {
                if let Some(traded) = l.trade_in_item_id {
                    let it = flow::item(w, inv.org_id, traded, "item_id").await?;
                    piece::move_piece(w, &it, Status::InStock, Status::Voided, |now| {
                        format!("traded-in piece {} is {now}; it must be in stock to undo the trade-in", it.stock_no)
                    })
                    .await?;
                    flow::record(
                        w,
                        Movement {
                            item: &it,
                            store_id: it.store_id,
                            on,
                            kind: "trade_in",
                            qty_delta: -1,
                            memo_delta: 0,
                            cost: Money(-it.base_cost.0),
                            ref_kind: "reversal",
                            ref_id: l.movement_id,
                        },
                    )
                    .await?;
                }
                set_line_result(w, inv.org_id, l.id, Money::ZERO, None, None).await?;
            }
            LineKind::GiftCard => {
                let card = w
                    .fetch_one(q!(
                        "select id, initial_cents, balance_cents from gift_cards where invoice_line_id = $1",
                        l.id
                    ))
                    .await?;
                let (id, initial, balance) = (card.i64("id")?, card.i64("initial_cents")?, card.i64("balance_cents")?);
                if balance != initial {
                    return Err(Error::Conflict(format!(
                        "gift card {} has been used; it cannot be taken back",
                        l.gift_card_code.clone().unwrap_or_default()
                    )));
                }
                w.update(
                    "gift_cards",
                    inv.org_id,
                    id,
                    q!("update gift_cards set balance_cents = 0 where id = $1 returning *", id),
                )
                .await?;
                ledgers::gift_card_entry(w, inv.org_id, id, on, Money(-initial), "void", l.id).await?;
            }
            LineKind::Service | LineKind::Misc => {}
        }
    }
    Ok(())
}

async fn unsell(w: &mut Writer, inv: &Invoice, l: &StoredLine, on: NaiveDate) -> Result<()> {
    let Some(item_id) = l.item_id else { return Ok(()) };
    let it = flow::item(w, inv.org_id, item_id, "item_id").await?;
    let m = Movement::at(&it, on, "void_sale", "reversal", l.movement_id);
    if it.serialized {
        piece::move_piece(w, &it, Status::Sold, Status::InStock, |now| {
            format!("stock {} is {now}, not sold", it.stock_no)
        })
        .await?;
        flow::record(w, Movement { qty_delta: 1, cost: l.cost, ..m }).await?;
    } else {
        let source = l.movement_id.ok_or_else(|| Error::Database(format!("sale line {} has no movement", l.id)))?;
        flow::put_back_to_lot(w, &it, source, l.qty, m).await?;
    }
    if let Some(memo_line) = l.memo_line_id {
        // an invoiced memo line goes back out on memo when its invoice is voided or reopened
        crate::memos::unmark_invoiced(w, inv.org_id, memo_line, on).await?;
    }
    let settled = w
        .fetch_all(q!("select id from consignment_settlements where invoice_line_id = $1 and status = 'due'", l.id))
        .await?;
    for s in settled {
        let id = s.i64("id")?;
        w.update(
            "consignment_settlements",
            inv.org_id,
            id,
            q!("update consignment_settlements set status = 'reversed' where id = $1 returning *", id),
        )
        .await?;
    }
    set_line_result(w, inv.org_id, l.id, Money::ZERO, None, None).await
}

async fn unreturn(w: &mut Writer, inv: &Invoice, l: &StoredLine, on: NaiveDate) -> Result<()> {
    let Some(item_id) = l.item_id else { return Ok(()) };
    let it = flow::item(w, inv.org_id, item_id, "item_id").await?;
    let m = Movement::at(&it, on, "void_return", "reversal", l.movement_id);
    if it.serialized {
        piece::move_piece(w, &it, Status::InStock, Status::Sold, |now| {
            format!("returned piece {} is {now}; it must be in stock to undo the return", it.stock_no)
        })
        .await?;
        flow::record(w, Movement { qty_delta: -1, cost: l.cost, ..m }).await?;
    } else {
        let source = l.movement_id.ok_or_else(|| Error::Database(format!("return line {} has no movement", l.id)))?;
        flow::reverse_exactly(w, &it, source, m).await?;
    }
    set_line_result(w, inv.org_id, l.id, Money::ZERO, None, None).await
}
