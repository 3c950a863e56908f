//! Line resolution: a line as entered (`LineInput`) checked against the books and completed with its
//! defaults — the item's price and description, a return's original price and proportional discount, a
//! trade-in's style, a gift card's face value — then stored after the invoice's last line.

use serde::{Deserialize, Serialize};

use super::header::Invoice;
use crate::catalog::style;
use crate::error::{Error, Result};
use crate::inventory::flow;
use crate::types::{LineKind, Money, prorate};
use crate::writer::Writer;
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

/// Validates and inserts lines after the invoice's last (`last_no`, when the caller knows it: 0 for a new
/// invoice); returns their ids.
pub(super) async fn add_lines(
    w: &mut Writer,
    inv: &Invoice,
    lines: &[LineInput],
    last_no: Option<i64>,
) -> Result<Vec<i64>> {
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
