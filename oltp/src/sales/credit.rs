//! Goodwill store credit: credit given to a customer with no invoice or payment behind it (a repair that ran
//! late, an apology), and its void.
//!
//! A credit is a `store_credits` row (who gave it, when, how much, why) and an entry of the customer's
//! store-credit ledger (`store_credit_entries`, source `goodwill`) that the customer then spends as a tender like
//! any other store credit. Its void marks the row and adds the opposite entry (`goodwill_void`) dated the void
//! date, so the ledger summed through any date is what the customer held then.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sales::ledgers::{credit_entry, lowest_balance_from};
use crate::types::Money;
use crate::writer::{Outcome, Writer};
use crate::{check, q};

/// Gives a customer store credit as goodwill, with no invoice or payment behind it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueStoreCredit {
    /// The org.
    pub org_id: i64,
    /// The customer credited.
    pub customer_id: i64,
    /// Amount of credit.
    pub amount: Money,
    /// Date given (default today).
    pub issued_on: Option<NaiveDate>,
    /// Why it was given.
    pub reason: String,
}

impl IssueStoreCredit {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.issued_on.unwrap_or(w.today);
        w.check_open(self.org_id, "issued_on", on).await?;
        check::positive_money("amount", self.amount)?;
        check::non_empty("reason", &self.reason)?;
        check::customer(w, self.org_id, self.customer_id, "customer_id").await?;
        // the acting user gave it; none when the operator did
        let by = w.actor;
        let id = w
            .insert(
                "store_credits",
                self.org_id,
                q!(
                    "insert into store_credits (org_id, customer_id, issued_on, amount_cents, reason, issued_by)
                     values ($1, $2, $3, $4, $5, $6) returning *",
                    self.org_id,
                    self.customer_id,
                    on,
                    self.amount.0,
                    self.reason.trim(),
                    by
                ),
            )
            .await?;
        credit_entry(w, self.org_id, self.customer_id, on, self.amount, "goodwill", id).await?;
        Ok(Outcome::id(id))
    }
}

/// Takes back a goodwill store credit (given in error, or to the wrong customer), as long as the customer
/// still holds it: the credit stays in the books, marked void.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidStoreCredit {
    /// The org.
    pub org_id: i64,
    /// The store credit (`issue_store_credit`'s id).
    pub store_credit_id: i64,
    /// Date of the void (default today).
    pub voided_on: Option<NaiveDate>,
}

impl VoidStoreCredit {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.voided_on.unwrap_or(w.today);
        w.check_open(self.org_id, "voided_on", on).await?;
        let c = w
            .fetch_optional(q!(
                "select customer_id, issued_on, amount_cents, voided_on from store_credits where id = $1 and org_id = $2",
                self.store_credit_id,
                self.org_id
            ))
            .await?
            .ok_or_else(|| Error::invalid("store_credit_id", self.store_credit_id, "no such store credit in this org"))?;
        let issued_on = c.date("issued_on")?;
        // a credit inside a closed period stays as the books were closed with it
        w.check_open(self.org_id, "store_credit_id", issued_on).await?;
        if on < issued_on {
            return Err(Error::invalid("voided_on", on, format!("is before the issue date {issued_on}")));
        }
        if c.opt_date("voided_on")?.is_some() {
            return Err(Error::Conflict(format!("store credit {} is already voided", self.store_credit_id)));
        }
        let (customer, amount) = (c.i64("customer_id")?, Money(c.i64("amount_cents")?));
        // taking the credit back on `on` must leave the customer's balance at zero or above on that date and
        // on every later one: it can only be taken back while it has not been spent
        let (low, low_on) = lowest_balance_from(w, self.org_id, customer, on).await?;
        if low < amount {
            return Err(Error::Conflict(format!(
                "store credit {} has been spent: the customer holds {low} of store credit on {low_on}, less than its {amount}",
                self.store_credit_id
            )));
        }
        let voided = w
            .update(
                "store_credits",
                self.org_id,
                self.store_credit_id,
                q!(
                    "update store_credits set voided_on = $2 where id = $1 and voided_on is null returning *",
                    self.store_credit_id,
                    on
                ),
            )
            .await?;
        if !voided {
            return Err(Error::Conflict(format!("store credit {} is already voided", self.store_credit_id)));
        }
        credit_entry(w, self.org_id, customer, on, Money(-amount.0), "goodwill_void", self.store_credit_id).await?;
        Ok(Outcome::id(self.store_credit_id))
    }
}
