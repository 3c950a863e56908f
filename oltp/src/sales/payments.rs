//! Money in and out: payments applied oldest-first or by choice (when taken, or later from what is left on
//! account), voids (NSF), refunds, store credit and gift cards as tenders, and write-offs of uncollectable
//! balances.
//!
//! An invoice's balance = total − live applications − live write-offs. A payment's unapplied remainder =
//! amount − live applications − refunds of it. A customer's balance in the books = invoices − payments +
//! refunds − write-offs − store credit balance.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sales::invoices::header::invoice;
use crate::sales::ledgers::{card_entry, credit_entry, gift_card, store_credit};
use crate::types::{Money, PaymentMethod};
use crate::writer::{Outcome, Writer};
use crate::{check, q};

/// Where a payment goes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Apply {
    /// `"oldest_first"` over the customer's open invoices, or `"none"` to leave it all on account.
    Rule(ApplyRule),
    /// Chosen invoices and amounts.
    To(Vec<Application>),
}

/// An automatic application rule.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ApplyRule {
    /// Oldest invoice first (by date, then number).
    OldestFirst,
    /// Leave it unapplied, on the customer's account.
    None,
}

/// An amount of a payment applied to one invoice.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The invoice.
    pub invoice_id: i64,
    /// The amount applied.
    pub amount: Money,
}

fn oldest_first() -> Apply {
    Apply::Rule(ApplyRule::OldestFirst)
}

/// Money taken at the counter with a sale (`create_invoice` with `payments`): applied to that invoice.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Tender {
    /// cash, check, card, store_credit, gift_card or other.
    pub method: PaymentMethod,
    /// Amount (default: what the invoice still owes after the tenders before it).
    pub amount: Option<Money>,
    /// Check number, card authorization.
    pub reference: Option<String>,
    /// Gift card tendered (method gift_card).
    pub gift_card_code: Option<String>,
}

impl Tender {
    /// Records this tender as a payment applied to the just-finalized `invoice_id`; returns the payment's id.
    pub(crate) async fn take(
        &self,
        w: &mut Writer,
        org_id: i64,
        store_id: i64,
        customer_id: i64,
        invoice_id: i64,
        on: NaiveDate,
    ) -> Result<i64> {
        let owed = invoice_balance(w, invoice_id).await?;
        let amount = match self.amount {
            Some(a) if a > owed => {
                return Err(Error::invalid("amount", a, format!("the invoice owes {owed}")));
            }
            Some(a) => a,
            None if owed.0 <= 0 => return Err(Error::invalid("amount", "(missing)", "the invoice owes nothing")),
            None => owed,
        };
        let payment = RecordPayment {
            org_id,
            store_id,
            customer_id,
            paid_on: Some(on),
            method: self.method,
            amount,
            reference: self.reference.clone(),
            gift_card_code: self.gift_card_code.clone(),
            work_order_id: None,
            apply: Apply::To(vec![Application { invoice_id, amount }]),
        };
        check::positive_money("amount", amount)?;
        // the store, the customer and the invoice are the sale's own, checked as it was entered
        Ok(payment.post(w, on, &[(invoice_id, amount)]).await?.id)
    }
}

/// Records money received from a customer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordPayment {
    /// The org.
    pub org_id: i64,
    /// The store taking it.
    pub store_id: i64,
    /// The customer paying.
    pub customer_id: i64,
    /// Date received (default today).
    pub paid_on: Option<NaiveDate>,
    /// cash, check, card, store_credit, gift_card or other.
    pub method: PaymentMethod,
    /// Amount received.
    pub amount: Money,
    /// Check number, card authorization.
    pub reference: Option<String>,
    /// Gift card tendered (method gift_card).
    pub gift_card_code: Option<String>,
    /// A deposit on a work order: stays on account until the work order's invoice.
    pub work_order_id: Option<i64>,
    /// `"oldest_first"` (default), `"none"`, or a list of `{invoice_id, amount}`.
    #[serde(default = "oldest_first")]
    pub apply: Apply,
}

impl RecordPayment {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.paid_on.unwrap_or(w.today);
        w.check_open(self.org_id, "paid_on", on).await?;
        check::positive_money("amount", self.amount)?;
        check::store(w, self.org_id, self.store_id).await?;
        check::customer(w, self.org_id, self.customer_id, "customer_id").await?;
        if let Some(wo) = self.work_order_id {
            let r = w
                .fetch_optional(q!(
                    "select customer_id from work_orders where id = $1 and org_id = $2",
                    wo,
                    self.org_id
                ))
                .await?
                .ok_or_else(|| Error::invalid("work_order_id", wo, "no such work order in this org"))?;
            if r.opt_i64("customer_id")? != Some(self.customer_id) {
                return Err(Error::invalid("work_order_id", wo, "the work order is another customer's"));
            }
        }
        let plan = match (&self.apply, self.work_order_id) {
            (_, Some(_)) | (Apply::Rule(ApplyRule::None), _) => Vec::new(),
            (Apply::Rule(ApplyRule::OldestFirst), None) => {
                oldest_first_plan(w, self.org_id, self.customer_id, self.amount, on).await?
            }
            (Apply::To(list), None) => list.iter().map(|a| (a.invoice_id, a.amount)).collect(),
        };
        // every application is checked before anything is written
        check_plan(w, self.org_id, self.customer_id, self.amount, (on, "paid_on"), &plan).await?;
        self.post(w, on, &plan).await
    }

    /// Records the payment once the payer and the plan are known good: the tender's own rules (a gift card's
    /// balance, the customer's store credit), then the payment, its ledger entries and its applications.
    async fn post(&self, w: &mut Writer, on: NaiveDate, plan: &[(i64, Money)]) -> Result<Outcome> {
        let card = match (self.method, &self.gift_card_code) {
            (PaymentMethod::GiftCard, Some(code)) => Some(gift_card(w, self.org_id, code, self.amount).await?),
            (PaymentMethod::GiftCard, None) => {
                return Err(Error::invalid("gift_card_code", "(missing)", "a gift card payment names the card"));
            }
            (_, Some(code)) => return Err(Error::invalid("gift_card_code", code, "only for method gift_card")),
            _ => None,
        };
        if self.method == PaymentMethod::StoreCredit {
            let available = store_credit(w, self.customer_id).await?;
            if self.amount > available {
                return Err(Error::invalid(
                    "amount",
                    self.amount,
                    format!("the customer has {available} of store credit"),
                ));
            }
        }
        let id = w
            .insert(
                "payments",
                self.org_id,
                q!(
                    "insert into payments (org_id, store_id, customer_id, paid_on, direction, method, amount_cents,
                     reference, status, gift_card_id, work_order_id) values ($1, $2, $3, $4, 'in', $5, $6, $7, 'posted',
                     $8, $9) returning *",
                    self.org_id,
                    self.store_id,
                    self.customer_id,
                    on,
                    self.method,
                    self.amount.0,
                    &self.reference,
                    card,
                    self.work_order_id
                ),
            )
            .await?;
        if let Some(card) = card {
            card_entry(w, self.org_id, card, on, Money(-self.amount.0), "redeem", id).await?;
        }
        if self.method == PaymentMethod::StoreCredit {
            credit_entry(w, self.org_id, self.customer_id, on, Money(-self.amount.0), "redeem", id).await?;
        }
        let ids = insert_applications(w, self.org_id, id, on, plan).await?;
        Ok(Outcome { id, number: None, ids, ..Outcome::default() })
    }
}

/// Applies what is left of a posted payment — a deposit, an overpayment, money taken with `apply: "none"` — to
/// the customer's invoices after the fact, oldest first or to chosen invoices. The applications are dated
/// `applied_on`, not the payment's date: until then the money stays on account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyPayment {
    /// The org.
    pub org_id: i64,
    /// The payment received.
    pub payment_id: i64,
    /// Date of the applications (default today).
    pub applied_on: Option<NaiveDate>,
    /// `"oldest_first"` (default) or a list of `{invoice_id, amount}`.
    #[serde(default = "oldest_first")]
    pub apply: Apply,
}

impl ApplyPayment {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.applied_on.unwrap_or(w.today);
        w.check_open(self.org_id, "applied_on", on).await?;
        let p = w
            .fetch_optional(q!(
                "select customer_id, paid_on, direction, status from payments where id = $1 and org_id = $2",
                self.payment_id,
                self.org_id
            ))
            .await?
            .ok_or_else(|| Error::invalid("payment_id", self.payment_id, "no such payment in this org"))?;
        if p.text("direction")? != "in" {
            return Err(Error::invalid(
                "payment_id",
                self.payment_id,
                "a refund pays out; only a payment received applies",
            ));
        }
        if p.text("status")? != "posted" {
            return Err(Error::invalid("payment_id", self.payment_id, "the payment is voided"));
        }
        let paid_on = p.date("paid_on")?;
        if on < paid_on {
            return Err(Error::invalid("applied_on", on, format!("before the payment date {paid_on}")));
        }
        let customer = p.i64("customer_id")?;
        // what is left after its live applications and the refunds paid out of it
        let open = unapplied(w, self.payment_id).await?;
        if open <= Money::ZERO {
            return Err(Error::invalid(
                "payment_id",
                self.payment_id,
                format!("payment {} has {open} unapplied", self.payment_id),
            ));
        }
        let plan = match &self.apply {
            Apply::Rule(ApplyRule::None) => {
                return Err(Error::invalid(
                    "apply",
                    "none",
                    "apply_payment applies: oldest_first or a list of invoices",
                ));
            }
            Apply::Rule(ApplyRule::OldestFirst) => {
                let plan = oldest_first_plan(w, self.org_id, customer, open, on).await?;
                if plan.is_empty() {
                    return Err(Error::invalid(
                        "apply",
                        "oldest_first",
                        format!("the customer has no finalized invoice dated on or before {on} with a balance"),
                    ));
                }
                plan
            }
            Apply::To(list) if list.is_empty() => return Err(Error::invalid("apply", "[]", "names no invoice")),
            Apply::To(list) => {
                let total = applied_total(list.iter().map(|a| a.amount))?;
                if total > open {
                    return Err(Error::invalid(
                        "apply",
                        total,
                        format!("payment {} has {open} unapplied", self.payment_id),
                    ));
                }
                list.iter().map(|a| (a.invoice_id, a.amount)).collect()
            }
        };
        // the engine record_payment applies with: every application checked, then written
        let ids = apply(w, self.org_id, customer, self.payment_id, open, on, &plan).await?;
        Ok(Outcome { id: self.payment_id, number: None, ids, ..Outcome::default() })
    }
}

/// Applies a plan of (invoice, amount) to a payment on `on` after checking each against the invoice's balance.
pub(crate) async fn apply(
    w: &mut Writer,
    org_id: i64,
    customer_id: i64,
    payment_id: i64,
    amount: Money,
    on: NaiveDate,
    plan: &[(i64, Money)],
) -> Result<Vec<i64>> {
    check_plan(w, org_id, customer_id, amount, (on, "applied_on"), plan).await?;
    insert_applications(w, org_id, payment_id, on, plan).await
}

/// Checks a plan of (invoice, amount) applied on a date (and the field that gave it): the invoices are this
/// customer's, finalized, dated on or before the application (AR aging counts an invoice from its date and an
/// application from its own), and not over-applied, and together they take no more than `amount`.
async fn check_plan(
    w: &mut Writer,
    org_id: i64,
    customer_id: i64,
    amount: Money,
    (on, date_field): (NaiveDate, &str),
    plan: &[(i64, Money)],
) -> Result<()> {
    let total = applied_total(plan.iter().map(|(_, a)| *a))?;
    if total > amount {
        return Err(Error::invalid("apply", total, format!("applies more than the payment's {amount}")));
    }
    for (i, (invoice_id, amt)) in plan.iter().enumerate() {
        let field = format!("apply[{i}].amount");
        check::positive_money(&field, *amt)?;
        let inv = invoice(w, org_id, *invoice_id, &format!("apply[{i}].invoice_id")).await?;
        if inv.customer_id != customer_id {
            return Err(Error::invalid(
                format!("apply[{i}].invoice_id"),
                invoice_id,
                "the invoice is another customer's",
            ));
        }
        if inv.status == "voided" {
            return Err(Error::invalid(
                format!("apply[{i}].invoice_id"),
                invoice_id,
                "a voided invoice takes no payments",
            ));
        }
        if inv.status != "finalized" {
            return Err(Error::invalid(
                format!("apply[{i}].invoice_id"),
                invoice_id,
                format!("invoice {} is {}; only a finalized invoice takes payments", inv.number, inv.status),
            ));
        }
        if inv.date > on {
            return Err(Error::invalid(
                format!("apply[{i}].invoice_id"),
                invoice_id,
                format!("invoice {} is dated {}, after {date_field} {on}", inv.number, inv.date),
            ));
        }
        // the same invoice twice in one plan counts both amounts against its balance
        // (within the plan's total, checked above)
        let earlier: i64 = plan[..i].iter().filter(|(other, _)| other == invoice_id).map(|(_, a)| a.0).sum();
        let balance = Money(invoice_balance(w, inv.id).await?.0 - earlier);
        if *amt > balance {
            return Err(Error::invalid(field, amt, format!("invoice {} has a balance of {balance}", inv.number)));
        }
    }
    Ok(())
}

/// What a list of applications takes in all, summed wide: a sum the books cannot keep is refused.
fn applied_total(amounts: impl Iterator<Item = Money>) -> Result<Money> {
    let (mut n, mut total) = (0, 0_i128);
    for a in amounts {
        n += 1;
        total += i128::from(a.0);
    }
    Money::figure(total, "apply", format!("({n} applications)"), "the applications' total")
}

async fn insert_applications(
    w: &mut Writer,
    org_id: i64,
    payment_id: i64,
    on: NaiveDate,
    plan: &[(i64, Money)],
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(plan.len());
    for (invoice_id, amt) in plan {
        ids.push(
            w.insert(
                "payment_applications",
                org_id,
                q!(
                    "insert into payment_applications (org_id, payment_id, invoice_id, amount_cents, applied_on)
                     values ($1, $2, $3, $4, $5) returning *",
                    org_id,
                    payment_id,
                    *invoice_id,
                    amt.0,
                    on
                ),
            )
            .await?,
        );
    }
    Ok(ids)
}

/// The customer's finalized invoices dated on or before `on` with a balance, oldest first (by date, then
/// number), each taking what it owes until `amount` is spent.
async fn oldest_first_plan(
    w: &mut Writer,
    org_id: i64,
    customer_id: i64,
    amount: Money,
    on: NaiveDate,
) -> Result<Vec<(i64, Money)>> {
    let rows = w
        .fetch_all(q!(
            "select i.id, i.total_cents
               - cast(coalesce((select sum(a.amount_cents) from payment_applications a join payments p on p.id = a.payment_id
                   where a.invoice_id = i.id and a.voided_on is null and p.status = 'posted'), 0) as bigint)
               - cast(coalesce((select sum(x.amount_cents) from write_offs x where x.invoice_id = i.id and x.voided_on is null), 0) as bigint)
               as balance
             from invoices i where i.org_id = $1 and i.customer_id = $2 and i.status = 'finalized'
               and i.invoice_date <= $3
             order by i.invoice_date, i.invoice_no, i.id",
            org_id,
            customer_id,
            on
        ))
        .await?;
    let mut left = amount.0;
    let mut plan = Vec::new();
    for r in rows {
        if left == 0 {
            break;
        }
        let balance = r.i64("balance")?;
        if balance > 0 {
            let take = balance.min(left);
            plan.push((r.i64("id")?, Money(take)));
            left -= take;
        }
    }
    Ok(plan)
}

/// An invoice's open balance now: total − live applications − live write-offs.
pub(crate) async fn invoice_balance(w: &mut Writer, invoice_id: i64) -> Result<Money> {
    let r = w
        .fetch_one(q!(
            "select i.total_cents
               - cast(coalesce((select sum(a.amount_cents) from payment_applications a join payments p on p.id = a.payment_id
                   where a.invoice_id = i.id and a.voided_on is null and p.status = 'posted'), 0) as bigint)
               - cast(coalesce((select sum(x.amount_cents) from write_offs x where x.invoice_id = i.id and x.voided_on is null), 0) as bigint)
               as balance
             from invoices i where i.id = $1",
            invoice_id
        ))
        .await?;
    Ok(Money(r.i64("balance")?))
}

/// A payment's unapplied remainder: amount − live applications − refunds paid out of it.
pub(crate) async fn unapplied(w: &mut Writer, payment_id: i64) -> Result<Money> {
    let r = w
        .fetch_one(q!(
            "select p.amount_cents
               - cast(coalesce((select sum(a.amount_cents) from payment_applications a
                   where a.payment_id = p.id and a.voided_on is null), 0) as bigint)
               - cast(coalesce((select sum(r.amount_cents) from payments r
                   where r.refund_of_payment_id = p.id and r.status = 'posted'), 0) as bigint) as open
             from payments p where p.id = $1",
            payment_id
        ))
        .await?;
    Ok(Money(r.i64("open")?))
}

/// Voids a payment (a bounced check, a reversal): the balances it paid reopen.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidPayment {
    /// The org.
    pub org_id: i64,
    /// The payment.
    pub payment_id: i64,
    /// Date of the void (default today).
    pub voided_on: Option<NaiveDate>,
    /// Why (NSF, chargeback, entered in error).
    pub reason: Option<String>,
}

impl VoidPayment {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.voided_on.unwrap_or(w.today);
        let p = w
            .fetch_optional(q!(
                "select id, customer_id, paid_on, method, amount_cents, status, direction, gift_card_id
                 from payments where id = $1 and org_id = $2",
                self.payment_id,
                self.org_id
            ))
            .await?
            .ok_or_else(|| Error::invalid("payment_id", self.payment_id, "no such payment in this org"))?;
        if p.text("status")? != "posted" {
            return Err(Error::Conflict(format!("payment {} is already voided", self.payment_id)));
        }
        let paid_on = p.date("paid_on")?;
        if on < paid_on {
            return Err(Error::invalid("voided_on", on, format!("before the payment date {paid_on}")));
        }
        w.check_open(self.org_id, "paid_on", paid_on).await?;
        w.check_open(self.org_id, "voided_on", on).await?;
        let refunds = w
            .fetch_one(q!(
                "select count(*) as n from payments where refund_of_payment_id = $1 and status = 'posted'",
                self.payment_id
            ))
            .await?
            .i64("n")?;
        if refunds > 0 {
            return Err(Error::Conflict(format!(
                "payment {} has been refunded; void the refund first",
                self.payment_id
            )));
        }
        let (customer, amount, method) = (p.i64("customer_id")?, Money(p.i64("amount_cents")?), p.text("method")?);
        let direction = p.text("direction")?;
        // store credit issued by a refund must still be there to take back
        if direction == "out" && method == "store_credit" && store_credit(w, customer).await? < amount {
            return Err(Error::Conflict("the store credit this refund issued has been spent".into()));
        }
        let apps = w
            .fetch_all(q!(
                "select id from payment_applications where payment_id = $1 and voided_on is null",
                self.payment_id
            ))
            .await?;
        for a in apps {
            let id = a.i64("id")?;
            w.update(
                "payment_applications",
                self.org_id,
                id,
                q!("update payment_applications set voided_on = $2 where id = $1 returning *", id, on),
            )
            .await?;
        }
        w.update(
            "payments",
            self.org_id,
            self.payment_id,
            q!(
                "update payments set status = 'voided', voided_on = $2, void_reason = $3 where id = $1 returning *",
                self.payment_id,
                on,
                &self.reason
            ),
        )
        .await?;
        let sign = if direction == "in" { 1 } else { -1 };
        if let Some(card) = p.opt_i64("gift_card_id")? {
            card_entry(w, self.org_id, card, on, Money(sign * amount.0), "void", self.payment_id).await?;
        }
        if method == "store_credit" {
            credit_entry(w, self.org_id, customer, on, Money(sign * amount.0), "void", self.payment_id).await?;
        }
        Ok(Outcome::id(self.payment_id))
    }
}

/// Pays money back to a customer: out of a negative invoice balance (a return not yet refunded) or out of a
/// payment's unapplied remainder. Method store_credit issues store credit instead of cash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refund {
    /// The org.
    pub org_id: i64,
    /// The store paying it.
    pub store_id: i64,
    /// The customer.
    pub customer_id: i64,
    /// Date (default today).
    pub paid_on: Option<NaiveDate>,
    /// cash, check, card, store_credit or other.
    pub method: PaymentMethod,
    /// Amount paid back.
    pub amount: Money,
    /// The invoice whose negative balance is paid out.
    pub invoice_id: Option<i64>,
    /// The payment whose unapplied remainder is paid back.
    pub payment_id: Option<i64>,
    /// Check number, card authorization.
    pub reference: Option<String>,
}

impl Refund {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.paid_on.unwrap_or(w.today);
        w.check_open(self.org_id, "paid_on", on).await?;
        check::positive_money("amount", self.amount)?;
        check::store(w, self.org_id, self.store_id).await?;
        check::customer(w, self.org_id, self.customer_id, "customer_id").await?;
        if self.method == PaymentMethod::GiftCard {
            return Err(Error::invalid("method", self.method, "refund to cash, check, card, store credit or other"));
        }
        match (self.invoice_id, self.payment_id) {
            (Some(inv_id), None) => {
                let inv = invoice(w, self.org_id, inv_id, "invoice_id").await?;
                if inv.customer_id != self.customer_id {
                    return Err(Error::invalid("invoice_id", inv_id, "the invoice is another customer's"));
                }
                if inv.status != "finalized" {
                    return Err(Error::invalid("invoice_id", inv_id, format!("invoice is {}", inv.status)));
                }
                let balance = invoice_balance(w, inv.id).await?;
                if Money(-balance.0) < self.amount {
                    return Err(Error::invalid(
                        "amount",
                        self.amount,
                        format!("invoice {} owes the customer {}", inv.number, Money((-balance.0).max(0))),
                    ));
                }
                let id = self.insert(w, on, None).await?;
                w.insert(
                    "payment_applications",
                    self.org_id,
                    q!(
                        "insert into payment_applications (org_id, payment_id, invoice_id, amount_cents, applied_on)
                         values ($1, $2, $3, $4, $5) returning *",
                        self.org_id,
                        id,
                        inv.id,
                        -self.amount.0,
                        on
                    ),
                )
                .await?;
                Ok(Outcome::id(id))
            }
            (None, Some(pay_id)) => {
                let p = w
                    .fetch_optional(q!(
                        "select customer_id, status, direction from payments where id = $1 and org_id = $2",
                        pay_id,
                        self.org_id
                    ))
                    .await?
                    .ok_or_else(|| Error::invalid("payment_id", pay_id, "no such payment in this org"))?;
                if p.i64("customer_id")? != self.customer_id {
                    return Err(Error::invalid("payment_id", pay_id, "the payment is another customer's"));
                }
                if p.text("status")? != "posted" || p.text("direction")? != "in" {
                    return Err(Error::invalid("payment_id", pay_id, "not a posted payment received"));
                }
                let open = unapplied(w, pay_id).await?;
                if self.amount > open {
                    return Err(Error::invalid(
                        "amount",
                        self.amount,
                        format!("payment {pay_id} has {open} unapplied"),
                    ));
                }
                let id = self.insert(w, on, Some(pay_id)).await?;
                Ok(Outcome::id(id))
            }
            (Some(_), Some(p)) => Err(Error::invalid(
                "payment_id",
                p,
                "a refund pays out either an invoice's balance or a payment, not both",
            )),
            (None, None) => {
                Err(Error::invalid("invoice_id", "(missing)", "a refund names either invoice_id or payment_id"))
            }
        }
    }

    async fn insert(&self, w: &mut Writer, on: NaiveDate, of_payment: Option<i64>) -> Result<i64> {
        let id = w
            .insert(
                "payments",
                self.org_id,
                q!(
                    "insert into payments (org_id, store_id, customer_id, paid_on, direction, method, amount_cents,
                     reference, status, refund_of_payment_id) values ($1, $2, $3, $4, 'out', $5, $6, $7, 'posted', $8)
                     returning *",
                    self.org_id,
                    self.store_id,
                    self.customer_id,
                    on,
                    self.method,
                    self.amount.0,
                    &self.reference,
                    of_payment
                ),
            )
            .await?;
        if self.method == PaymentMethod::StoreCredit {
            credit_entry(w, self.org_id, self.customer_id, on, self.amount, "issue", id).await?;
        }
        Ok(id)
    }
}

/// Writes off an uncollectable balance as bad debt; the invoice and its history stay.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteOff {
    /// The org.
    pub org_id: i64,
    /// The invoice.
    pub invoice_id: i64,
    /// Date (default today).
    pub written_on: Option<NaiveDate>,
    /// Amount (default: the whole open balance).
    pub amount: Option<Money>,
    /// Why.
    pub reason: Option<String>,
}

impl WriteOff {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.written_on.unwrap_or(w.today);
        w.check_open(self.org_id, "written_on", on).await?;
        let inv = invoice(w, self.org_id, self.invoice_id, "invoice_id").await?;
        if inv.status != "finalized" {
            return Err(Error::invalid("invoice_id", self.invoice_id, format!("invoice is {}", inv.status)));
        }
        let balance = invoice_balance(w, inv.id).await?;
        let amount = self.amount.unwrap_or(balance);
        check::positive_money("amount", amount)?;
        if amount > balance {
            return Err(Error::invalid("amount", amount, format!("invoice {} has a balance of {balance}", inv.number)));
        }
        let id = w
            .insert(
                "write_offs",
                self.org_id,
                q!(
                    "insert into write_offs (org_id, invoice_id, customer_id, written_on, amount_cents, reason)
                     values ($1, $2, $3, $4, $5, $6) returning *",
                    self.org_id,
                    inv.id,
                    inv.customer_id,
                    on,
                    amount.0,
                    &self.reason
                ),
            )
            .await?;
        Ok(Outcome::id(id))
    }
}

/// Takes back a write-off (the customer paid after all, or it was entered in error): the invoice owes the
/// amount again. The write-off stays in the books, marked void.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidWriteOff {
    /// The org.
    pub org_id: i64,
    /// The write-off.
    pub write_off_id: i64,
    /// Date of the void (default today).
    pub voided_on: Option<NaiveDate>,
}

impl VoidWriteOff {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.voided_on.unwrap_or(w.today);
        w.check_open(self.org_id, "voided_on", on).await?;
        let x = w
            .fetch_optional(q!(
                "select written_on, voided_on from write_offs where id = $1 and org_id = $2",
                self.write_off_id,
                self.org_id
            ))
            .await?
            .ok_or_else(|| Error::invalid("write_off_id", self.write_off_id, "no such write-off in this org"))?;
        let written_on = x.date("written_on")?;
        // a write-off inside a closed period stays as the books were closed with it
        w.check_open(self.org_id, "write_off_id", written_on).await?;
        if on < written_on {
            return Err(Error::invalid("voided_on", on, format!("is before the write-off date {written_on}")));
        }
        let voided = w
            .update(
                "write_offs",
                self.org_id,
                self.write_off_id,
                q!(
                    "update write_offs set voided_on = $2 where id = $1 and voided_on is null returning *",
                    self.write_off_id,
                    on
                ),
            )
            .await?;
        if !voided {
            return Err(Error::Conflict(format!("write-off {} is already voided", self.write_off_id)));
        }
        Ok(Outcome::id(self.write_off_id))
    }
}
