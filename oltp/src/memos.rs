//! Memos: goods out to a customer on approval. Each line goes out whole and resolves once, invoiced
//! (converted by a sale) or returned; either resolution can be reversed, and the line keeps aging from the
//! memo date. Stock on memo is owned but not in stock: it leaves `qty_on_hand` for `qty_on_memo` through a
//! `memo_out` movement and comes back through `memo_back`, and its cost never leaves the pool.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::inventory::flow::{self, Item, Movement};
use crate::inventory::piece::{self, Status};
use crate::types::Money;
use crate::writer::{Outcome, Writer};
use crate::{check, q};

/// Sends stock out to a customer on approval.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueMemo {
    /// The org.
    pub org_id: i64,
    /// The store the goods leave from; every line's stock must be there.
    pub store_id: i64,
    /// Who takes the goods (a contact marked customer).
    pub customer_id: i64,
    /// Who sent them out.
    pub salesperson_id: Option<i64>,
    /// Memo date (default today); lines age from it.
    pub memo_date: Option<NaiveDate>,
    /// When the goods are due back or to be paid for.
    pub due_date: Option<NaiveDate>,
    /// Free text.
    pub note: Option<String>,
    /// The goods, at least one line.
    pub lines: Vec<IssueMemoLine>,
}

/// One line of a memo.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueMemoLine {
    /// The stock record: a serialized piece or a lot, owned or consigned.
    pub item_id: i64,
    /// Units (default 1; a serialized piece goes out whole).
    #[serde(default = "one")]
    pub qty: i64,
    /// Price per unit the customer pays if they keep the goods.
    pub memo_price: Money,
}

fn one() -> i64 {
    1
}

impl IssueMemo {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.memo_date.unwrap_or(w.today);
        w.check_open(self.org_id, "memo_date", on).await?;
        if let Some(due) = self.due_date
            && due < on
        {
            return Err(Error::invalid("due_date", due, format!("is before the memo date {on}")));
        }
        if self.lines.is_empty() {
            return Err(Error::invalid("lines", "[]", "a memo needs at least one line"));
        }
        for (i, l) in self.lines.iter().enumerate() {
            check::positive_qty(&format!("lines[{i}].qty"), l.qty)?;
            check::not_negative(&format!("lines[{i}].memo_price"), l.memo_price)?;
            // the line's value (qty × memo price) is what memo reports add up
            l.memo_price.times(l.qty, &format!("lines[{i}]"), format!("{} × {}", l.qty, l.memo_price), "the line")?;
        }
        store_of_org(w, self.org_id, self.store_id, "store_id").await?;
        check::customer(w, self.org_id, self.customer_id, "customer_id").await?;
        if let Some(s) = self.salesperson_id {
            check::salesperson(w, self.org_id, s, "salesperson_id").await?;
        }
        let memo_no = w.next_number(self.org_id, "memo", "M-").await?;
        let memo_id = w
            .insert(
                "memos",
                self.org_id,
                q!(
                    "insert into memos (org_id, store_id, memo_no, customer_id, salesperson_id, memo_date, due_date,
                     note) values ($1, $2, $3, $4, $5, $6, $7, $8) returning *",
                    self.org_id,
                    self.store_id,
                    &memo_no,
                    self.customer_id,
                    self.salesperson_id,
                    on,
                    self.due_date,
                    &self.note
                ),
            )
            .await?;
        let mut ids = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.iter().enumerate() {
            let field = format!("lines[{i}].item_id");
            let it = flow::item(w, self.org_id, l.item_id, &field).await?;
            if it.store_id != self.store_id {
                return Err(Error::invalid(
                    field,
                    l.item_id,
                    format!(
                        "stock {} is at store {}, not at the memo's store {}",
                        it.stock_no, it.store_id, self.store_id
                    ),
                ));
            }
            if it.serialized {
                if l.qty != 1 {
                    return Err(Error::invalid(format!("lines[{i}].qty"), l.qty, "a serialized piece goes out whole"));
                }
                if it.status != "in_stock" {
                    return Err(Error::invalid(
                        field,
                        l.item_id,
                        format!("stock {} is {}, not in stock", it.stock_no, it.status),
                    ));
                }
            } else if l.qty > it.qty_on_hand {
                return Err(Error::invalid(
                    format!("lines[{i}].qty"),
                    l.qty,
                    format!("stock {} has {} on hand", it.stock_no, it.qty_on_hand),
                ));
            }
            let line_id = w
                .insert(
                    "memo_lines",
                    self.org_id,
                    q!(
                        "insert into memo_lines (org_id, memo_id, line_no, item_id, qty, memo_price_cents, status)
                         values ($1, $2, $3, $4, $5, $6, 'out') returning *",
                        self.org_id,
                        memo_id,
                        i64::try_from(i + 1).unwrap_or(i64::MAX),
                        l.item_id,
                        l.qty,
                        l.memo_price.0
                    ),
                )
                .await?;
            send_out(w, &it, l.qty, on, line_id).await?;
            event(w, self.org_id, line_id, "issue", on, None).await?;
            ids.push(line_id);
        }
        Ok(Outcome { id: memo_id, number: Some(memo_no), ids, ..Outcome::default() })
    }
}

/// The customer brings a memo line back: its stock is in stock again and the line is resolved.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnMemoLine {
    /// The org.
    pub org_id: i64,
    /// The memo line (it must be out).
    pub memo_line_id: i64,
    /// Return date (default today).
    pub returned_on: Option<NaiveDate>,
}

impl ReturnMemoLine {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.returned_on.unwrap_or(w.today);
        w.check_open(self.org_id, "returned_on", on).await?;
        let line = memo_line(w, self.org_id, self.memo_line_id, "memo_line_id").await?;
        if line.status != "out" {
            return Err(Error::Conflict(format!("memo line {} is already {}", line.id, line.status)));
        }
        if on < line.memo_date {
            return Err(Error::invalid(
                "returned_on",
                on,
                format!("is before the date of memo {} ({})", line.memo_no, line.memo_date),
            ));
        }
        let resolved = w
            .update(
                "memo_lines",
                self.org_id,
                line.id,
                q!(
                    "update memo_lines set status = 'returned', resolved_on = $2 where id = $1 and status = 'out'
                     returning *",
                    line.id,
                    on
                ),
            )
            .await?;
        if !resolved {
            return Err(Error::Conflict(format!("memo line {} was resolved meanwhile", line.id)));
        }
        let it = flow::item(w, self.org_id, line.item_id, "memo_line_id").await?;
        bring_back(w, &it, line.qty, on, line.id).await?;
        event(w, self.org_id, line.id, "return", on, None).await?;
        Ok(Outcome::id(line.id))
    }
}

/// Undoes a memo line's return (entered in error, or the customer takes the goods again): the stock goes back
/// out on memo and the line is out again, still aging from the memo date.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReverseMemoReturn {
    /// The org.
    pub org_id: i64,
    /// The returned memo line.
    pub memo_line_id: i64,
    /// Date of the reversal (default today).
    pub reversed_on: Option<NaiveDate>,
}

impl ReverseMemoReturn {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.reversed_on.unwrap_or(w.today);
        w.check_open(self.org_id, "reversed_on", on).await?;
        let line = memo_line(w, self.org_id, self.memo_line_id, "memo_line_id").await?;
        if line.status != "returned" {
            return Err(Error::Conflict(format!("memo line {} is {}, not returned", line.id, line.status)));
        }
        // undoing a return changes the return itself, which a closed period protects
        let returned_on = line.resolved_on.unwrap_or(line.memo_date);
        w.check_open(self.org_id, "memo_line_id", returned_on).await?;
        if on < returned_on {
            return Err(Error::invalid("reversed_on", on, format!("is before the return on {returned_on}")));
        }
        let reopened = w
            .update(
                "memo_lines",
                self.org_id,
                line.id,
                q!(
                    "update memo_lines set status = 'out', resolved_on = null where id = $1 and status = 'returned'
                     returning *",
                    line.id
                ),
            )
            .await?;
        if !reopened {
            return Err(Error::Conflict(format!("memo line {} changed meanwhile", line.id)));
        }
        let it = flow::item(w, self.org_id, line.item_id, "memo_line_id").await?;
        send_out(w, &it, line.qty, on, line.id).await?;
        event(w, self.org_id, line.id, "reverse_return", on, None).await?;
        Ok(Outcome::id(line.id))
    }
}

/// What an invoice needs to sell a memo line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemoLineInfo {
    /// The memo line.
    pub(crate) memo_line_id: i64,
    /// Its stock record.
    pub(crate) item_id: i64,
    /// Units on the line.
    pub(crate) qty: i64,
    /// Price per unit agreed on the memo.
    pub(crate) memo_price: Money,
    /// For a lot: the layers its units came back to, as (layer, units), which the sale takes.
    pub(crate) layers: Vec<(i64, i64)>,
}

/// An invoice converts memo line `memo_line_id` of customer `customer_id`: checks the line is out on a memo
/// of that customer and brings its units back on hand (`memo_back`) so the sale can take them as from stock.
/// The caller then records the sale and calls [`mark_invoiced`]. Errors name the field `memo_line_id`.
pub(crate) async fn bring_back_for_sale(
    w: &mut Writer,
    org_id: i64,
    memo_line_id: i64,
    customer_id: i64,
    on: NaiveDate,
) -> Result<MemoLineInfo> {
    let line = memo_line(w, org_id, memo_line_id, "memo_line_id").await?;
    if line.customer_id != customer_id {
        return Err(Error::invalid(
            "memo_line_id",
            memo_line_id,
            format!("memo {} is to another customer ({})", line.memo_no, line.customer_id),
        ));
    }
    if line.status != "out" {
        return Err(Error::Conflict(format!("memo line {} is already {}", line.id, line.status)));
    }
    if on < line.memo_date {
        return Err(Error::invalid(
            "memo_line_id",
            memo_line_id,
            format!("memo {} is dated {}, after {on}", line.memo_no, line.memo_date),
        ));
    }
    let it = flow::item(w, org_id, line.item_id, "memo_line_id").await?;
    let layers = bring_back(w, &it, line.qty, on, line.id).await?;
    Ok(MemoLineInfo {
        memo_line_id: line.id,
        item_id: line.item_id,
        qty: line.qty,
        memo_price: line.memo_price,
        layers,
    })
}

/// Checks, without moving anything, that a memo line can be invoiced to `customer_id` (it is out, on a memo
/// of that customer); `field` names the invoice field for errors.
pub(crate) async fn peek_for_invoice(
    w: &mut Writer,
    org_id: i64,
    memo_line_id: i64,
    customer_id: i64,
    field: &str,
) -> Result<MemoLineInfo> {
    let line = memo_line(w, org_id, memo_line_id, field).await?;
    if line.customer_id != customer_id {
        return Err(Error::invalid(field, memo_line_id, format!("memo {} is to another customer", line.memo_no)));
    }
    if line.status != "out" {
        return Err(Error::invalid(field, memo_line_id, format!("memo line is already {}", line.status)));
    }
    Ok(MemoLineInfo {
        memo_line_id: line.id,
        item_id: line.item_id,
        qty: line.qty,
        memo_price: line.memo_price,
        layers: Vec::new(),
    })
}

/// Marks a memo line converted by invoice line `invoice_line_id` (after [`bring_back_for_sale`] and the sale).
pub(crate) async fn mark_invoiced(
    w: &mut Writer,
    org_id: i64,
    memo_line_id: i64,
    invoice_line_id: i64,
    on: NaiveDate,
) -> Result<()> {
    let line = memo_line(w, org_id, memo_line_id, "memo_line_id").await?;
    let done = w
        .update(
            "memo_lines",
            org_id,
            line.id,
            q!(
                "update memo_lines set status = 'invoiced', resolved_on = $2, invoice_line_id = $3
                 where id = $1 and status = 'out' returning *",
                line.id,
                on,
                invoice_line_id
            ),
        )
        .await?;
    if !done {
        return Err(Error::Conflict(format!("memo line {} is {}, not out on memo", line.id, line.status)));
    }
    event(w, org_id, line.id, "invoice", on, Some(invoice_line_id)).await
}

/// Undoes a conversion when its invoice is voided or reopened: the line is out again and its units go back
/// out on memo (`memo_out`). The caller has already put the units back on hand (the sale reversed).
pub(crate) async fn unmark_invoiced(w: &mut Writer, org_id: i64, memo_line_id: i64, on: NaiveDate) -> Result<()> {
    let line = memo_line(w, org_id, memo_line_id, "memo_line_id").await?;
    let invoice_line_id = line.invoice_line_id;
    let reopened = w
        .update(
            "memo_lines",
            org_id,
            line.id,
            q!(
                "update memo_lines set status = 'out', resolved_on = null, invoice_line_id = null
                 where id = $1 and status = 'invoiced' returning *",
                line.id
            ),
        )
        .await?;
    if !reopened {
        return Err(Error::Conflict(format!("memo line {} is {}, not invoiced", line.id, line.status)));
    }
    let it = flow::item(w, org_id, line.item_id, "memo_line_id").await?;
    send_out(w, &it, line.qty, on, line.id).await?;
    event(w, org_id, line.id, "reverse_invoice", on, invoice_line_id).await
}

/// A memo line with what its memo says.
struct MemoLine {
    id: i64,
    item_id: i64,
    qty: i64,
    memo_price: Money,
    status: String,
    resolved_on: Option<NaiveDate>,
    invoice_line_id: Option<i64>,
    memo_no: String,
    memo_date: NaiveDate,
    customer_id: i64,
}

async fn memo_line(w: &mut Writer, org_id: i64, id: i64, field: &str) -> Result<MemoLine> {
    let r = w
        .fetch_optional(q!(
            "select l.id, l.item_id, l.qty, l.memo_price_cents, l.status, l.resolved_on, l.invoice_line_id,
                    m.memo_no, m.memo_date, m.customer_id
             from memo_lines l join memos m on m.id = l.memo_id
             where l.id = $1 and l.org_id = $2 and m.org_id = $2",
            id,
            org_id
        ))
        .await?
        .ok_or_else(|| Error::invalid(field, id, "no such memo line in this org"))?;
    Ok(MemoLine {
        id: r.i64("id")?,
        item_id: r.i64("item_id")?,
        qty: r.i64("qty")?,
        memo_price: Money(r.i64("memo_price_cents")?),
        status: r.text("status")?,
        resolved_on: r.opt_date("resolved_on")?,
        invoice_line_id: r.opt_i64("invoice_line_id")?,
        memo_no: r.text("memo_no")?,
        memo_date: r.date("memo_date")?,
        customer_id: r.i64("customer_id")?,
    })
}

/// Refuses a store of another org (or none) as an invalid `field`.
async fn store_of_org(w: &mut Writer, org_id: i64, store_id: i64, field: &str) -> Result<()> {
    match check::store(w, org_id, store_id).await {
        Ok(_) => Ok(()),
        Err(Error::NotFound { .. }) => Err(Error::invalid(field, store_id, "no such store in this org")),
        Err(e) => Err(e),
    }
}

/// Moves `qty` units of `it` from on hand to out on memo, or refuses if they are not in stock. The cost stays
/// in the pool: memo stock is still owned. A lot's units go out from its oldest layers holding units on hand
/// (`flow::memo_out_layers`).
async fn send_out(w: &mut Writer, it: &Item, qty: i64, on: NaiveDate, line_id: i64) -> Result<()> {
    if it.serialized {
        piece::move_piece(w, it, Status::InStock, Status::OnMemo, |now| {
            format!("stock {} is {now}, not in stock", it.stock_no)
        })
        .await?;
    } else {
        let moved = w
            .update(
                "items",
                it.org_id,
                it.id,
                q!(
                    "update items set qty_on_hand = qty_on_hand - $2, qty_on_memo = qty_on_memo + $2
                     where id = $1 and qty_on_hand >= $2 returning *",
                    it.id,
                    qty
                ),
            )
            .await?;
        if !moved {
            let now = flow::item(w, it.org_id, it.id, "item_id").await?;
            return Err(Error::Conflict(format!(
                "stock {} has {} on hand; cannot put {qty} on memo",
                now.stock_no, now.qty_on_hand
            )));
        }
    }
    let movement = movement(w, it, "memo_out", -qty, on, line_id).await?;
    if !it.serialized {
        flow::memo_out_layers(w, it, qty, movement).await?;
    }
    Ok(())
}

/// Moves `qty` units of `it` from out on memo back to on hand; for a lot, returns the layers they came back to.
async fn bring_back(w: &mut Writer, it: &Item, qty: i64, on: NaiveDate, line_id: i64) -> Result<Vec<(i64, i64)>> {
    // a line that is out always has its units on memo; anything else is a broken ledger
    let broken = || format!("stock {} does not have {qty} unit(s) out on memo", it.stock_no);
    if it.serialized {
        piece::move_piece(w, it, Status::OnMemo, Status::InStock, |_| broken()).await?;
    } else {
        let moved = w
            .update(
                "items",
                it.org_id,
                it.id,
                q!(
                    "update items set qty_on_hand = qty_on_hand + $2, qty_on_memo = qty_on_memo - $2
                     where id = $1 and qty_on_memo >= $2 returning *",
                    it.id,
                    qty
                ),
            )
            .await?;
        if !moved {
            return Err(Error::Conflict(broken()));
        }
    }
    let movement = movement(w, it, "memo_back", qty, on, line_id).await?;
    if it.serialized {
        return Ok(Vec::new());
    }
    flow::memo_back_layers(w, it, qty, line_id, movement).await
}

/// A memo movement: `qty_delta` units on hand, the opposite out on memo, no cost (it stays in the pool).
async fn movement(
    w: &mut Writer,
    it: &Item,
    kind: &'static str,
    qty_delta: i64,
    on: NaiveDate,
    line_id: i64,
) -> Result<i64> {
    flow::record(
        w,
        Movement {
            item: it,
            store_id: it.store_id,
            on,
            kind,
            qty_delta,
            memo_delta: -qty_delta,
            cost: Money::ZERO,
            ref_kind: "memo_line",
            ref_id: Some(line_id),
        },
    )
    .await
}

async fn event(
    w: &mut Writer,
    org_id: i64,
    line_id: i64,
    event: &'static str,
    on: NaiveDate,
    invoice_line_id: Option<i64>,
) -> Result<()> {
    w.insert(
        "memo_line_events",
        org_id,
        q!(
            "insert into memo_line_events (org_id, memo_line_id, event, event_date, invoice_line_id)
             values ($1, $2, $3, $4, $5) returning *",
            org_id,
            line_id,
            event,
            on,
            invoice_line_id
        ),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests;
