//! Work orders: repairs, custom jobs and production on a status board. Bench costs accumulate on the order;
//! customer deposits wait on account and become credits on the final invoice; production closes out to
//! inventory at the accumulated bench cost.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::style;
use crate::error::{Error, Result};
use crate::inventory::{self, flow, flow::Movement};
use crate::sales::{CreateInvoice, LineInput, invoices, payments};
use crate::types::{BenchCostKind, LineKind, Money, WorkOrderKind, WorkOrderStatus};
use crate::writer::{Outcome, Writer};
use crate::{check, q};

/// Opens a work order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkOrder {
    /// The org.
    pub org_id: i64,
    /// The store doing the work.
    pub store_id: i64,
    /// repair, custom or production.
    pub kind: WorkOrderKind,
    /// The customer (repairs and custom jobs).
    pub customer_id: Option<i64>,
    /// What is to be done.
    pub description: String,
    /// Date taken in (default today).
    pub opened_on: Option<NaiveDate>,
    /// Date promised to the customer.
    pub promised_on: Option<NaiveDate>,
    /// Estimate given.
    #[serde(default)]
    pub estimate: Money,
    /// Production: the style the work produces.
    pub style_id: Option<i64>,
}

impl CreateWorkOrder {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.opened_on.unwrap_or(w.today);
        w.check_open(self.org_id, "opened_on", on).await?;
        check::non_empty("description", &self.description)?;
        check::not_negative("estimate", self.estimate)?;
        check::store(w, self.org_id, self.store_id).await?;
        if let Some(p) = self.promised_on
            && p < on
        {
            return Err(Error::invalid("promised_on", p, "before the day it was taken in"));
        }
        match (self.kind, self.customer_id, self.style_id) {
            (WorkOrderKind::Production, _, None) => {
                return Err(Error::invalid("style_id", "(missing)", "a production order names the style it makes"));
            }
            (WorkOrderKind::Production, c, Some(s)) => {
                style(w, self.org_id, s, "style_id").await?;
                if let Some(c) = c {
                    check::customer(w, self.org_id, c, "customer_id").await?;
                }
            }
            (_, None, _) => {
                return Err(Error::invalid("customer_id", "(missing)", "repairs and custom jobs are for a customer"));
            }
            (_, Some(c), s) => {
                check::customer(w, self.org_id, c, "customer_id").await?;
                if let Some(s) = s {
                    style(w, self.org_id, s, "style_id").await?;
                }
            }
        }
        let number = w.next_number(self.org_id, "work_order", "WO-").await?;
        let id = w
            .insert(
                "work_orders",
                self.org_id,
                q!(
                    "insert into work_orders (org_id, store_id, wo_no, customer_id, kind, status, description, opened_on,
                     promised_on, estimate_cents, style_id) values ($1, $2, $3, $4, $5, 'received', $6, $7, $8, $9, $10)
                     returning *",
                    self.org_id,
                    self.store_id,
                    &number,
                    self.customer_id,
                    self.kind,
                    self.description.trim(),
                    on,
                    self.promised_on,
                    self.estimate.0,
                    self.style_id
                ),
            )
            .await?;
        Ok(Outcome::numbered(id, number))
    }
}

/// A work order's essentials.
struct Order {
    id: i64,
    store_id: i64,
    number: String,
    customer_id: Option<i64>,
    kind: WorkOrderKind,
    status: WorkOrderStatus,
    style_id: Option<i64>,
    description: String,
}

async fn order(w: &mut Writer, org_id: i64, id: i64) -> Result<Order> {
    let r = w
        .fetch_optional(q!(
            "select id, store_id, wo_no, customer_id, kind, status, style_id, description from work_orders
             where id = $1 and org_id = $2",
            id,
            org_id
        ))
        .await?
        .ok_or_else(|| Error::invalid("work_order_id", id, "no such work order in this org"))?;
    Ok(Order {
        id: r.i64("id")?,
        store_id: r.i64("store_id")?,
        number: r.text("wo_no")?,
        customer_id: r.opt_i64("customer_id")?,
        kind: r.text("kind")?.parse()?,
        status: r.text("status")?.parse()?,
        style_id: r.opt_i64("style_id")?,
        description: r.text("description")?,
    })
}

fn still_open(o: &Order) -> Result<()> {
    if matches!(o.status, WorkOrderStatus::Completed | WorkOrderStatus::Cancelled) {
        return Err(Error::Conflict(format!("work order {} is {}", o.number, o.status)));
    }
    Ok(())
}

/// Moves a work order on the board (received, in_progress, ready, cancelled). Completion goes through
/// `complete_work_order` or `close_production`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetWorkOrderStatus {
    /// The org.
    pub org_id: i64,
    /// The work order.
    pub work_order_id: i64,
    /// The new status.
    pub status: WorkOrderStatus,
}

impl SetWorkOrderStatus {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let o = order(w, self.org_id, self.work_order_id).await?;
        still_open(&o)?;
        if self.status == WorkOrderStatus::Completed {
            return Err(Error::invalid(
                "status",
                self.status,
                "completion goes through complete_work_order or close_production",
            ));
        }
        let closed = (self.status == WorkOrderStatus::Cancelled).then_some(w.today);
        w.update(
            "work_orders",
            self.org_id,
            o.id,
            q!(
                "update work_orders set status = $2, closed_on = $3 where id = $1 returning *",
                o.id,
                self.status,
                closed
            ),
        )
        .await?;
        Ok(Outcome::numbered(o.id, o.number))
    }
}

/// Books a bench cost (labor, material, an outside shop's bill) to an open work order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBenchCost {
    /// The org.
    pub org_id: i64,
    /// The work order.
    pub work_order_id: i64,
    /// labor, material or outside.
    pub kind: BenchCostKind,
    /// Amount.
    pub amount: Money,
    /// Date (default today).
    pub cost_date: Option<NaiveDate>,
    /// Free text.
    pub note: Option<String>,
}

impl AddBenchCost {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.cost_date.unwrap_or(w.today);
        w.check_open(self.org_id, "cost_date", on).await?;
        check::positive_money("amount", self.amount)?;
        let o = order(w, self.org_id, self.work_order_id).await?;
        still_open(&o)?;
        // the bench cost becomes a line's cost or a piece's: a figure the books keep
        let so_far = invoices::bench_cost(w, o.id).await?;
        so_far.plus(self.amount, "amount", self.amount, &format!("the bench cost of {}", o.number))?;
        let id = w
            .insert(
                "work_order_costs",
                self.org_id,
                q!(
                    "insert into work_order_costs (org_id, work_order_id, cost_date, kind, amount_cents, note)
                     values ($1, $2, $3, $4, $5, $6) returning *",
                    self.org_id,
                    o.id,
                    on,
                    self.kind,
                    self.amount.0,
                    &self.note
                ),
            )
            .await?;
        Ok(Outcome::id(id))
    }
}

/// Completes a repair or custom job to a finalized invoice: one service line carrying the bench cost, and
/// the order's deposits applied to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteWorkOrder {
    /// The org.
    pub org_id: i64,
    /// The work order.
    pub work_order_id: i64,
    /// What the customer is charged for the work.
    pub price: Money,
    /// Invoice date (default today).
    pub invoice_date: Option<NaiveDate>,
    /// The salesperson credited.
    pub salesperson_id: Option<i64>,
    /// Whether the service is taxable (default yes).
    pub taxable: Option<bool>,
}

impl CompleteWorkOrder {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let o = order(w, self.org_id, self.work_order_id).await?;
        still_open(&o)?;
        check::not_negative("price", self.price)?;
        let customer = match (o.kind, o.customer_id) {
            (WorkOrderKind::Production, _) | (_, None) => {
                return Err(Error::invalid(
                    "work_order_id",
                    o.id,
                    "production orders close to inventory (close_production)",
                ));
            }
            (_, Some(c)) => c,
        };
        let date = self.invoice_date.unwrap_or(w.today);
        let invoice = CreateInvoice {
            org_id: self.org_id,
            store_id: o.store_id,
            customer_id: customer,
            salesperson_id: self.salesperson_id,
            invoice_date: Some(date),
            terms_days: None,
            out_of_state: false,
            freight: Money::ZERO,
            fees: Money::ZERO,
            note: Some(format!("Work order {}", o.number)),
            lines: vec![LineInput {
                kind: Some(LineKind::Service),
                work_order_id: Some(o.id),
                description: Some(format!("{} — {}", o.number, o.description)),
                unit_price: Some(self.price),
                taxable: self.taxable,
                ..LineInput::default()
            }],
            finalize: true,
            payments: Vec::new(),
        }
        .run(w)
        .await?;
        // deposits taken on the order become credits on its invoice, oldest first
        let deposits = w
            .fetch_all(q!(
                "select id from payments where work_order_id = $1 and status = 'posted' and direction = 'in' order by paid_on, id",
                o.id
            ))
            .await?;
        for d in deposits {
            let pay = d.i64("id")?;
            let open = payments::unapplied(w, pay).await?;
            let balance = payments::invoice_balance(w, invoice.id).await?;
            let amount = open.min(balance);
            if amount > Money::ZERO {
                payments::apply(w, self.org_id, customer, pay, open, date, &[(invoice.id, amount)]).await?;
            }
        }
        w.update(
            "work_orders",
            self.org_id,
            o.id,
            q!(
                "update work_orders set status = 'completed', invoice_id = $2, closed_on = $3 where id = $1 returning *",
                o.id,
                invoice.id,
                date
            ),
        )
        .await?;
        Ok(Outcome { id: o.id, number: Some(o.number), ids: vec![invoice.id], ..Outcome::default() })
    }
}

/// Closes a production order to inventory: a new serialized piece (or units of a lot) of the order's style at
/// the accumulated bench cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseProduction {
    /// The org.
    pub org_id: i64,
    /// The work order.
    pub work_order_id: i64,
    /// Date (default today).
    pub closed_on: Option<NaiveDate>,
    /// Units made, for a non-serialized style (default 1).
    pub qty: Option<i64>,
    /// Tag number of the piece made (assigned when left out).
    pub stock_no: Option<String>,
    /// Retail price (default: the style's).
    pub retail_price: Option<Money>,
}

impl CloseProduction {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.closed_on.unwrap_or(w.today);
        w.check_open(self.org_id, "closed_on", on).await?;
        let o = order(w, self.org_id, self.work_order_id).await?;
        still_open(&o)?;
        let (WorkOrderKind::Production, Some(style_id)) = (o.kind, o.style_id) else {
            return Err(Error::invalid("work_order_id", o.id, "not a production order"));
        };
        let st = style(w, self.org_id, style_id, "style_id").await?;
        let cost = invoices::bench_cost(w, o.id).await?;
        let qty = self.qty.unwrap_or(1);
        check::positive_qty("qty", qty)?;
        let retail = self.retail_price.unwrap_or(st.retail_price);
        let item_id = if st.serialized {
            if qty != 1 {
                return Err(Error::invalid("qty", qty, "a serialized style is made one piece per order"));
            }
            let stock_no = match &self.stock_no {
                Some(s) => {
                    check::non_empty("stock_no", s)?;
                    s.trim().to_string()
                }
                None => w.next_number(self.org_id, "piece", "S-").await?,
            };
            let id = inventory::new_piece(
                w,
                inventory::NewPiece {
                    org_id: self.org_id,
                    store_id: o.store_id,
                    style_id,
                    stock_no: &stock_no,
                    consignor_id: None,
                    acquired_on: Some(on),
                    cost,
                    retail,
                    description: Some(&format!("Made on {}", o.number)),
                    created_on: on,
                },
            )
            .await?;
            let it = flow::item(w, self.org_id, id, "item_id").await?;
            flow::record(
                w,
                Movement {
                    item: &it,
                    store_id: o.store_id,
                    on,
                    kind: "production",
                    qty_delta: 1,
                    memo_delta: 0,
                    cost,
                    ref_kind: "work_order",
                    ref_id: Some(o.id),
                },
            )
            .await?;
            id
        } else {
            if self.stock_no.is_some() {
                return Err(Error::invalid("stock_no", "(present)", "units of a lot carry no tag of their own"));
            }
            let it = flow::lot(w, self.org_id, o.store_id, style_id, None, retail, on).await?;
            let m = Movement {
                item: &it,
                store_id: o.store_id,
                on,
                kind: "production",
                qty_delta: 0,
                memo_delta: 0,
                cost: Money::ZERO,
                ref_kind: "work_order",
                ref_id: Some(o.id),
            };
            flow::add_to_lot(w, &it, Some(on), qty, cost, m, "work_order_id").await?;
            it.id
        };
        w.update(
            "work_orders",
            self.org_id,
            o.id,
            q!(
                "update work_orders set status = 'completed', item_id = $2, closed_on = $3 where id = $1 returning *",
                o.id,
                item_id,
                on
            ),
        )
        .await?;
        Ok(Outcome { id: o.id, number: Some(o.number), ids: vec![item_id], ..Outcome::default() })
    }
}
