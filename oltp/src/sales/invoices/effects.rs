//! What finalizing an invoice does to the rest of the books — stock sold (a piece once) and taken back,
//! trade-ins received, gift cards issued, consigned pieces' settlements, each line's cost — and what a void or
//! reopen puts back, exactly.

use chrono::NaiveDate;

use super::header::{Invoice, recompute_as};
use crate::catalog::style;
use crate::error::{Error, Result};
use crate::inventory::piece::{self, Status};
use crate::inventory::{self, flow, flow::Movement};
use crate::q;
use crate::sales::ledgers;
use crate::types::{LineKind, Money, prorate};
use crate::writer::{Outcome, Writer};

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
pub(super) async fn finalize_open(w: &mut Writer, inv: Invoice, on: NaiveDate) -> Result<Outcome> {
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

/// Puts back everything finalizing did: stock, trade-ins, gift cards, settlements.
pub(super) async fn unwind(w: &mut Writer, inv: &Invoice, on: NaiveDate) -> Result<()> {
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
