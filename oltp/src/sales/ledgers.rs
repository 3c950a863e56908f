//! The balance ledgers money moves through besides payments: a gift card's (its `balance_cents`, and a
//! `gift_card_entries` row for every issue, redemption and void) and a customer's store credit
//! (`store_credit_entries`, whose sum is the balance). Invoices issue and take back gift cards, payments spend
//! both as tenders and put them back when voided, refunds and goodwill credits add to store credit.

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::q;
use crate::types::Money;
use crate::writer::Writer;

/// The gift card `code` of this org, refused unless its balance covers `amount`; its id.
pub(crate) async fn gift_card(w: &mut Writer, org_id: i64, code: &str, amount: Money) -> Result<i64> {
    let r = w
        .fetch_optional(q!(
            "select id, balance_cents from gift_cards where org_id = $1 and code = $2",
            org_id,
            code.trim()
        ))
        .await?
        .ok_or_else(|| Error::invalid("gift_card_code", code, "no such gift card"))?;
    let balance = Money(r.i64("balance_cents")?);
    if amount > balance {
        return Err(Error::invalid("amount", amount, format!("gift card {code} has a balance of {balance}")));
    }
    r.i64("id")
}

/// Moves a gift card's balance by `amount` (refused below zero) and writes the ledger row that says why.
pub(crate) async fn card_entry(
    w: &mut Writer,
    org_id: i64,
    card: i64,
    on: NaiveDate,
    amount: Money,
    kind: &str,
    source: i64,
) -> Result<()> {
    let changed = w
        .update(
            "gift_cards",
            org_id,
            card,
            q!(
                "update gift_cards set balance_cents = balance_cents + $2 where id = $1 and balance_cents + $2 >= 0 returning *",
                card,
                amount.0
            ),
        )
        .await?;
    if !changed {
        return Err(Error::Conflict("the gift card's balance would go below zero".into()));
    }
    gift_card_entry(w, org_id, card, on, amount, kind, source).await
}

/// One row of a gift card's balance ledger (`issue`, `redeem`, `void`); the caller keeps the balance in step.
pub(crate) async fn gift_card_entry(
    w: &mut Writer,
    org_id: i64,
    card: i64,
    on: NaiveDate,
    amount: Money,
    kind: &str,
    source: i64,
) -> Result<()> {
    w.insert(
        "gift_card_entries",
        org_id,
        q!(
            "insert into gift_card_entries (org_id, gift_card_id, entry_date, amount_cents, source_kind, source_id)
             values ($1, $2, $3, $4, $5, $6) returning *",
            org_id,
            card,
            on,
            amount.0,
            kind,
            source
        ),
    )
    .await?;
    Ok(())
}

/// A customer's store-credit balance now: the ledger summed.
pub(crate) async fn store_credit(w: &mut Writer, customer_id: i64) -> Result<Money> {
    let r = w
        .fetch_one(q!(
            "select cast(coalesce(sum(amount_cents), 0) as bigint) as b from store_credit_entries where customer_id = $1",
            customer_id
        ))
        .await?;
    Ok(Money(r.i64("b")?))
}

/// One row of a customer's store-credit ledger (`issue`, `redeem`, `void`, `goodwill`, `goodwill_void`).
pub(crate) async fn credit_entry(
    w: &mut Writer,
    org_id: i64,
    customer: i64,
    on: NaiveDate,
    amount: Money,
    kind: &str,
    source: i64,
) -> Result<()> {
    if amount > Money::ZERO {
        // a customer's store credit is a balance the books and the lake keep
        store_credit(w, customer).await?.plus(amount, "amount", amount, "the customer's store credit")?;
    }
    w.insert(
        "store_credit_entries",
        org_id,
        q!(
            "insert into store_credit_entries (org_id, customer_id, entry_date, amount_cents, source_kind, source_id)
             values ($1, $2, $3, $4, $5, $6) returning *",
            org_id,
            customer,
            on,
            amount.0,
            kind,
            source
        ),
    )
    .await?;
    Ok(())
}

/// The lowest store-credit balance the customer holds from the end of `from` on (entries on the same date
/// count in the order they were recorded, and a void recorded now comes after them), and the date it falls to it.
pub(crate) async fn lowest_balance_from(
    w: &mut Writer,
    org_id: i64,
    customer: i64,
    from: NaiveDate,
) -> Result<(Money, NaiveDate)> {
    let rows = w
        .fetch_all(q!(
            "select entry_date, amount_cents from store_credit_entries where org_id = $1 and customer_id = $2
             order by entry_date, id",
            org_id,
            customer
        ))
        .await?;
    let mut balance = 0_i64;
    let mut low: Option<(i64, NaiveDate)> = None;
    let keep = |b: i64, d: NaiveDate, low: &mut Option<(i64, NaiveDate)>| {
        if low.is_none_or(|(l, _)| b < l) {
            *low = Some((b, d));
        }
    };
    let mut reached = false;
    for r in rows {
        let (d, amount) = (r.date("entry_date")?, r.i64("amount_cents")?);
        if d > from && !reached {
            keep(balance, from, &mut low);
            reached = true;
        }
        balance += amount;
        if d > from {
            keep(balance, d, &mut low);
        }
    }
    if !reached {
        keep(balance, from, &mut low);
    }
    let (b, d) = low.unwrap_or((balance, from));
    Ok((Money(b), d))
}
