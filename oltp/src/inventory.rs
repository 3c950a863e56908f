//! Inventory: receiving serialized pieces and counted lots (owned or on memo from a vendor), costs added
//! after receipt, partnerships, transfers, counts, scrap and returns to vendor. Every change of quantity is
//! a row in the stock-movement ledger.

pub(crate) mod flow;
pub(crate) mod piece;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::style;
use crate::error::{Error, Result};
use crate::types::{Money, Rate, ShareKind};
use crate::writer::{Outcome, Writer};
use crate::{check, q};
use flow::Movement;
use piece::Status;

/// Receives one serialized piece: its own stock number, quantity one, its own exact cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveItem {
    /// The org.
    pub org_id: i64,
    /// The store it arrives at.
    pub store_id: i64,
    /// Its style (must be serialized).
    pub style_id: i64,
    /// Tag number; assigned (`S-000001`) when left out.
    pub stock_no: Option<String>,
    /// Who sold it to us.
    pub vendor_id: Option<i64>,
    /// A vendor whose piece this is, held on memo (consignment in): in stock and salable but not owned.
    pub consignor_id: Option<i64>,
    /// Receipt date (default today).
    pub received_on: Option<NaiveDate>,
    /// Acquisition date for aging, when it differs from the receipt (default: the receipt date).
    pub acquired_on: Option<NaiveDate>,
    /// Imported stock whose acquisition date is unknown (ages in its own bucket).
    #[serde(default)]
    pub unknown_acquisition: bool,
    /// Our cost (for a consigned piece: the vendor's memo price, payable when it sells).
    pub cost: Money,
    /// Retail price (default: the style's, else cost × the store's retail multiplier).
    pub retail_price: Option<Money>,
    /// Piece-specific description (certificate, measurements).
    pub description: Option<String>,
}

impl ReceiveItem {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.received_on.unwrap_or(w.today);
        w.check_open(self.org_id, "received_on", on).await?;
        check::not_negative("cost", self.cost)?;
        let st = style(w, self.org_id, self.style_id, "style_id").await?;
        if !st.serialized {
            return Err(Error::invalid("style_id", self.style_id, "style is not serialized; use receive_stock"));
        }
        let store = check::store(w, self.org_id, self.store_id).await?;
        if let Some(v) = self.vendor_id {
            check::vendor(w, self.org_id, v, "vendor_id").await?;
        }
        if let Some(v) = self.consignor_id {
            check::vendor(w, self.org_id, v, "consignor_id").await?;
        }
        // a piece priced by the store's multiplier when neither it nor its style carries a price
        let retail = self.retail_price.unwrap_or(if st.retail_price > Money::ZERO {
            st.retail_price
        } else {
            store.retail_multiplier.price(self.cost, "cost")?
        });
        check::not_negative("retail_price", retail)?;
        let stock_no = match &self.stock_no {
            Some(s) => {
                check::non_empty("stock_no", s)?;
                s.trim().to_string()
            }
            None => w.next_number(self.org_id, "piece", "S-").await?,
        };
        let acquired = if self.unknown_acquisition { None } else { Some(self.acquired_on.unwrap_or(on)) };
        let id = new_piece(
            w,
            NewPiece {
                org_id: self.org_id,
                store_id: self.store_id,
                style_id: self.style_id,
                stock_no: &stock_no,
                consignor_id: self.consignor_id,
                acquired_on: acquired,
                cost: self.cost,
                retail,
                description: self.description.as_deref(),
                created_on: on,
            },
        )
        .await?;
        let it = flow::item(w, self.org_id, id, "item_id").await?;
        let kind = if self.consignor_id.is_some() { "consign_in" } else { "receive" };
        let m = flow::record(
            w,
            Movement {
                item: &it,
                store_id: self.store_id,
                on,
                kind,
                qty_delta: 1,
                memo_delta: 0,
                cost: self.cost,
                ref_kind: "receipt",
                ref_id: None,
            },
        )
        .await?;
        receipt(w, &it, self.vendor_id.or(self.consignor_id).or(st.vendor_id), None, on, 1, self.cost, m).await?;
        Ok(Outcome::numbered(id, stock_no))
    }
}

/// A serialized piece about to exist.
pub(crate) struct NewPiece<'a> {
    pub(crate) org_id: i64,
    pub(crate) store_id: i64,
    pub(crate) style_id: i64,
    pub(crate) stock_no: &'a str,
    pub(crate) consignor_id: Option<i64>,
    pub(crate) acquired_on: Option<NaiveDate>,
    pub(crate) cost: Money,
    pub(crate) retail: Money,
    pub(crate) description: Option<&'a str>,
    pub(crate) created_on: NaiveDate,
}

/// Inserts a serialized piece in stock (its movement is the caller's).
pub(crate) async fn new_piece(w: &mut Writer, p: NewPiece<'_>) -> Result<i64> {
    let ownership = if p.consignor_id.is_some() { "consigned" } else { "owned" };
    w.insert(
        "items",
        p.org_id,
        q!(
            "insert into items (org_id, store_id, style_id, stock_no, serialized, ownership, consignor_id, status,
             qty_on_hand, acquired_on, base_cost_cents, retail_price_cents, description, created_on)
             values ($1, $2, $3, $4, true, $5, $6, 'in_stock', 1, $7, $8, $9, $10, $11) returning *",
            p.org_id,
            p.store_id,
            p.style_id,
            p.stock_no,
            ownership,
            p.consignor_id,
            p.acquired_on,
            p.cost.0,
            p.retail.0,
            p.description,
            p.created_on
        ),
    )
    .await
}

/// Records a received line (the purchase-line fact) and points the movement at it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn receipt(
    w: &mut Writer,
    it: &flow::Item,
    vendor_id: Option<i64>,
    po_line_id: Option<i64>,
    on: NaiveDate,
    qty: i64,
    cost: Money,
    movement_id: i64,
) -> Result<i64> {
    let id = w
        .insert(
            "receipts",
            it.org_id,
            q!(
                "insert into receipts (org_id, store_id, vendor_id, po_line_id, item_id, received_on, qty, cost_cents,
                 consignment) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning *",
                it.org_id,
                it.store_id,
                vendor_id,
                po_line_id,
                it.id,
                on,
                qty,
                cost.0,
                !it.owned
            ),
        )
        .await?;
    w.update(
        "stock_movements",
        it.org_id,
        movement_id,
        q!("update stock_movements set ref_id = $2 where id = $1 returning *", movement_id, id),
    )
    .await?;
    Ok(id)
}

/// Receives units of a non-serialized style into its lot at a store: a new cost layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveStock {
    /// The org.
    pub org_id: i64,
    /// The store.
    pub store_id: i64,
    /// The style (must not be serialized).
    pub style_id: i64,
    /// Units received.
    pub qty: i64,
    /// Total cost of the units (a unit cost is total ÷ qty, kept exact by the layer).
    pub cost: Money,
    /// Who sold them to us.
    pub vendor_id: Option<i64>,
    /// A vendor whose goods these are, on memo (consignment in).
    pub consignor_id: Option<i64>,
    /// Receipt date (default today).
    pub received_on: Option<NaiveDate>,
    /// Acquisition date of the layer, when it differs from the receipt.
    pub acquired_on: Option<NaiveDate>,
    /// Imported stock whose acquisition date is unknown.
    #[serde(default)]
    pub unknown_acquisition: bool,
}

impl ReceiveStock {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.received_on.unwrap_or(w.today);
        w.check_open(self.org_id, "received_on", on).await?;
        check::positive_qty("qty", self.qty)?;
        check::not_negative("cost", self.cost)?;
        let st = style(w, self.org_id, self.style_id, "style_id").await?;
        if st.serialized {
            return Err(Error::invalid("style_id", self.style_id, "style is serialized; use receive_item"));
        }
        check::store(w, self.org_id, self.store_id).await?;
        if let Some(v) = self.vendor_id {
            check::vendor(w, self.org_id, v, "vendor_id").await?;
        }
        if let Some(v) = self.consignor_id {
            check::vendor(w, self.org_id, v, "consignor_id").await?;
        }
        let it =
            flow::lot(w, self.org_id, self.store_id, self.style_id, self.consignor_id, st.retail_price, on).await?;
        let acquired = if self.unknown_acquisition { None } else { Some(self.acquired_on.unwrap_or(on)) };
        let kind = if self.consignor_id.is_some() { "consign_in" } else { "receive" };
        let m = Movement::at(&it, on, kind, "receipt", None);
        let movement = flow::add_to_lot(w, &it, acquired, self.qty, self.cost, m, "cost").await?;
        receipt(w, &it, self.vendor_id.or(self.consignor_id).or(st.vendor_id), None, on, self.qty, self.cost, movement)
            .await?;
        Ok(Outcome::numbered(it.id, it.stock_no))
    }
}

/// Adds a cost to an owned serialized piece (recert, repair, setting labor …). It may come after the sale:
/// gross profit uses the live total.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddItemCost {
    /// The org.
    pub org_id: i64,
    /// The piece.
    pub item_id: i64,
    /// When the cost was incurred (default today).
    pub cost_date: Option<NaiveDate>,
    /// What it was for (`recert`, `repair`, `setting` …).
    pub kind: String,
    /// Amount (negative for a credit from the vendor).
    pub amount: Money,
    /// Free text.
    pub note: Option<String>,
}

impl AddItemCost {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.cost_date.unwrap_or(w.today);
        w.check_open(self.org_id, "cost_date", on).await?;
        check::non_empty("kind", &self.kind)?;
        if self.amount == Money::ZERO {
            return Err(Error::invalid("amount", self.amount, "must not be zero"));
        }
        let it = flow::item(w, self.org_id, self.item_id, "item_id").await?;
        if !it.serialized || !it.owned {
            return Err(Error::invalid("item_id", self.item_id, "costs attach to owned serialized pieces"));
        }
        // the piece's live cost (base + every added cost) is a figure the books keep
        let live = flow::piece_cost(w, &it, None).await?;
        live.plus(self.amount, "amount", self.amount, &format!("the cost of {}", it.stock_no))?;
        let id = w
            .insert(
                "item_costs",
                self.org_id,
                q!(
                    "insert into item_costs (org_id, item_id, cost_date, kind, amount_cents, note)
                     values ($1, $2, $3, $4, $5, $6) returning *",
                    self.org_id,
                    self.item_id,
                    on,
                    self.kind.trim(),
                    self.amount.0,
                    &self.note
                ),
            )
            .await?;
        Ok(Outcome::id(id))
    }
}

/// Records a partner's share in an owned serialized piece.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddPartnership {
    /// The org.
    pub org_id: i64,
    /// The piece.
    pub item_id: i64,
    /// The partner (a contact marked partner).
    pub partner_id: i64,
    /// The partner's percent.
    pub share: Rate,
    /// `owner` (percent of cost basis back plus percent of GP) or `profit_only` (percent of GP).
    pub kind: ShareKind,
    /// For an owner share: the agreed cost basis (default: the sale line's cost).
    pub cost_basis: Option<Money>,
}

impl AddPartnership {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        if self.share <= Rate::ZERO || self.share >= Rate::ONE {
            return Err(Error::invalid("share", self.share, "must be above 0 and below 100"));
        }
        if let Some(b) = self.cost_basis {
            check::not_negative("cost_basis", b)?;
            if self.kind == ShareKind::ProfitOnly {
                return Err(Error::invalid("cost_basis", b, "a profit-only partner claims no cost"));
            }
        }
        let it = flow::item(w, self.org_id, self.item_id, "item_id").await?;
        if !it.serialized || !it.owned {
            return Err(Error::invalid("item_id", self.item_id, "partnerships attach to owned serialized pieces"));
        }
        let c = check::contact(w, self.org_id, self.partner_id, "partner_id").await?;
        if !c.partner {
            return Err(Error::invalid("partner_id", self.partner_id, "contact is not a partner"));
        }
        let held = w
            .fetch_one(q!(
                "select cast(coalesce(sum(share_ppm), 0) as bigint) as s from partnerships where item_id = $1",
                self.item_id
            ))
            .await?
            .i64("s")?;
        if held + self.share.ppm() >= Rate::ONE.ppm() {
            return Err(Error::invalid(
                "share",
                self.share,
                format!("partners would hold {} of 100; our share must stay above zero", Rate(held + self.share.ppm())),
            ));
        }
        let id = w
            .insert(
                "partnerships",
                self.org_id,
                q!(
                    "insert into partnerships (org_id, item_id, partner_id, share_ppm, kind, cost_basis_cents)
                     values ($1, $2, $3, $4, $5, $6) returning *",
                    self.org_id,
                    self.item_id,
                    self.partner_id,
                    self.share.ppm(),
                    self.kind,
                    self.cost_basis.map(|m| m.0)
                ),
            )
            .await?;
        Ok(Outcome::id(id))
    }
}

/// Moves stock to another store: a serialized piece, or units of a lot (the oldest, with their layers).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferStock {
    /// The org.
    pub org_id: i64,
    /// The stock record.
    pub item_id: i64,
    /// Destination store.
    pub to_store_id: i64,
    /// Units (lots only; a piece moves whole).
    pub qty: Option<i64>,
    /// Date (default today).
    pub moved_on: Option<NaiveDate>,
}

impl TransferStock {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.moved_on.unwrap_or(w.today);
        w.check_open(self.org_id, "moved_on", on).await?;
        let it = flow::item(w, self.org_id, self.item_id, "item_id").await?;
        check::store(w, self.org_id, self.to_store_id)
            .await
            .map_err(|_| Error::invalid("to_store_id", self.to_store_id, "no such store in this org"))?;
        if self.to_store_id == it.store_id {
            return Err(Error::invalid("to_store_id", self.to_store_id, "the stock is already at that store"));
        }
        let base = Movement::at(&it, on, "transfer_out", "transfer", None);
        if it.serialized {
            if it.status != "in_stock" {
                return Err(Error::Conflict(format!("stock {} is {}, not in stock", it.stock_no, it.status)));
            }
            if self.qty.is_some_and(|q| q != 1) {
                return Err(Error::invalid("qty", self.qty.unwrap_or(0), "a serialized piece moves whole"));
            }
            let cost = flow::piece_cost(w, &it, None).await?;
            flow::record(w, Movement { qty_delta: -1, cost: Money(-cost.0), ..base }).await?;
            w.update(
                "items",
                self.org_id,
                it.id,
                q!("update items set store_id = $2 where id = $1 returning *", it.id, self.to_store_id),
            )
            .await?;
            let moved = flow::item(w, self.org_id, it.id, "item_id").await?;
            flow::record(
                w,
                Movement { item: &moved, store_id: self.to_store_id, kind: "transfer_in", qty_delta: 1, cost, ..base },
            )
            .await?;
            return Ok(Outcome::id(it.id));
        }
        let qty = self.qty.ok_or_else(|| Error::invalid("qty", "(missing)", "required to transfer units of a lot"))?;
        check::positive_qty("qty", qty)?;
        // the source is relieved of the cost its method books (the layers' own under FIFO, the average under
        // weighted average) and the destination gains exactly that, so a transfer neither creates nor loses cost
        let (_, booked, layers) = flow::take_from_lot(w, &it, qty, base).await?;
        let consignor = if it.owned { None } else { it.consignor_id };
        let dest = flow::lot(w, self.org_id, self.to_store_id, it.style_id, consignor, it.retail_price, on).await?;
        let total = booked.0;
        flow::grown_pool(&dest, booked, "qty")?;
        let layers = flow::spread(booked, layers);
        let movement = flow::record(
            w,
            Movement {
                item: &dest,
                store_id: self.to_store_id,
                on,
                kind: "transfer_in",
                qty_delta: qty,
                memo_delta: 0,
                cost: Money(total),
                ref_kind: "transfer",
                ref_id: Some(it.id),
            },
        )
        .await?;
        for (acquired, n, cost) in layers {
            flow::add_layer(w, &dest, acquired, n, cost, movement).await?;
        }
        w.update(
            "items",
            self.org_id,
            dest.id,
            q!(
                "update items set qty_on_hand = qty_on_hand + $2, pool_cost_cents = pool_cost_cents + $3
                 where id = $1 returning *",
                dest.id,
                qty,
                total
            ),
        )
        .await?;
        Ok(Outcome::id(dest.id))
    }
}

/// Sets a lot's quantity on hand to a physical count; a loss is costed out FIFO (or at average), a gain comes
/// in as a new layer at the lot's current unit cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountStock {
    /// The org.
    pub org_id: i64,
    /// The lot.
    pub item_id: i64,
    /// Units counted on hand.
    pub counted: i64,
    /// Count date (default today).
    pub counted_on: Option<NaiveDate>,
}

impl CountStock {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.counted_on.unwrap_or(w.today);
        w.check_open(self.org_id, "counted_on", on).await?;
        if self.counted < 0 {
            return Err(Error::invalid("counted", self.counted, "must not be negative"));
        }
        check::qty_bound("counted", self.counted)?;
        let it = flow::item(w, self.org_id, self.item_id, "item_id").await?;
        if it.serialized {
            return Err(Error::invalid("item_id", self.item_id, "count applies to lots; scrap a missing piece"));
        }
        let delta = self.counted - it.qty_on_hand;
        let m = Movement::at(&it, on, "count_adjust", "count", None);
        if delta < 0 {
            flow::take_from_lot(w, &it, -delta, m).await?;
        } else if delta > 0 {
            let pool_qty = it.qty_on_hand + it.qty_on_memo;
            let unit = if pool_qty > 0 {
                crate::types::prorate(it.pool_cost, 1, pool_qty)
            } else {
                last_unit_cost(w, it.id).await?
            };
            let cost = unit.times(delta, "counted", self.counted, &format!("{delta} unit(s) found at {unit}"))?;
            flow::add_to_lot(w, &it, Some(on), delta, cost, m, "counted").await?;
        }
        Ok(Outcome::id(it.id))
    }
}

async fn last_unit_cost(w: &mut Writer, item_id: i64) -> Result<Money> {
    let r = w
        .fetch_optional(q!(
            "select qty_received, cost_received_cents from cost_layers where item_id = $1 order by id desc limit 1",
            item_id
        ))
        .await?;
    Ok(match r {
        Some(r) => crate::types::prorate(Money(r.i64("cost_received_cents")?), 1, r.i64("qty_received")?.max(1)),
        None => Money::ZERO,
    })
}

/// Takes stock out of inventory for good (broken, lost, melted): a piece, or units of a lot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrapStock {
    /// The org.
    pub org_id: i64,
    /// The stock record.
    pub item_id: i64,
    /// Units (lots only).
    pub qty: Option<i64>,
    /// Date (default today).
    pub scrapped_on: Option<NaiveDate>,
}

impl ScrapStock {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.scrapped_on.unwrap_or(w.today);
        remove_stock(w, self.org_id, self.item_id, self.qty, on, "scrap", "scrapped_on").await
    }
}

/// Sends stock back to the vendor: owned stock leaves at its cost; a consigned piece goes back to its owner.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnToVendor {
    /// The org.
    pub org_id: i64,
    /// The stock record.
    pub item_id: i64,
    /// Units (lots only).
    pub qty: Option<i64>,
    /// Date (default today).
    pub returned_on: Option<NaiveDate>,
}

impl ReturnToVendor {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.returned_on.unwrap_or(w.today);
        remove_stock(w, self.org_id, self.item_id, self.qty, on, "return_to_vendor", "returned_on").await
    }
}

async fn remove_stock(
    w: &mut Writer,
    org_id: i64,
    item_id: i64,
    qty: Option<i64>,
    on: NaiveDate,
    kind: &'static str,
    date_field: &str,
) -> Result<Outcome> {
    w.check_open(org_id, date_field, on).await?;
    let it = flow::item(w, org_id, item_id, "item_id").await?;
    let kind = if kind == "return_to_vendor" && !it.owned { "consign_return" } else { kind };
    let m = Movement::at(&it, on, kind, "adjustment", None);
    if it.serialized {
        if qty.is_some_and(|q| q != 1) {
            return Err(Error::invalid("qty", qty.unwrap_or(0), "a serialized piece goes whole"));
        }
        let to = if kind == "scrap" { Status::Scrapped } else { Status::ReturnedToVendor };
        piece::move_piece(w, &it, Status::InStock, to, |now| format!("stock {} is {now}, not in stock", it.stock_no))
            .await?;
        let cost = flow::piece_cost(w, &it, None).await?;
        flow::record(w, Movement { qty_delta: -1, cost: Money(-cost.0), ..m }).await?;
        return Ok(Outcome::id(it.id));
    }
    let qty = qty.ok_or_else(|| Error::invalid("qty", "(missing)", "required for units of a lot"))?;
    check::positive_qty("qty", qty)?;
    flow::take_from_lot(w, &it, qty, m).await?;
    Ok(Outcome::id(it.id))
}
