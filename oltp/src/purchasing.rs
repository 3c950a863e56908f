//! Purchasing: purchase orders and receiving against them (which creates pieces and cost layers exactly as a
//! direct receipt does), vendor invoices (accounts payable) and vendor payments applied to them.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::catalog::style;
use crate::db::Dialect;
use crate::error::{Error, Result};
use crate::inventory::flow::{self, Movement};
use crate::inventory::{self, NewPiece};
use crate::types::Money;
use crate::writer::{Outcome, Writer};
use crate::{check, q};

/// Orders goods from a vendor for a store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePurchaseOrder {
    /// The org.
    pub org_id: i64,
    /// The store the goods will be received at.
    pub store_id: i64,
    /// The vendor (a contact marked vendor).
    pub vendor_id: i64,
    /// Order date (default today).
    pub ordered_on: Option<NaiveDate>,
    /// Free text.
    pub note: Option<String>,
    /// What is ordered, at least one line.
    pub lines: Vec<PurchaseOrderLine>,
}

/// One line of a purchase order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderLine {
    /// The style ordered.
    pub style_id: i64,
    /// Units ordered.
    pub qty: i64,
    /// Agreed cost per unit.
    pub unit_cost: Money,
}

impl CreatePurchaseOrder {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.ordered_on.unwrap_or(w.today);
        w.check_open(self.org_id, "ordered_on", on).await?;
        if self.lines.is_empty() {
            return Err(Error::invalid("lines", "[]", "a purchase order needs at least one line"));
        }
        for (i, l) in self.lines.iter().enumerate() {
            check::positive_qty(&format!("lines[{i}].qty"), l.qty)?;
            check::not_negative(&format!("lines[{i}].unit_cost"), l.unit_cost)?;
            line_cost(l.unit_cost, l.qty, &format!("lines[{i}]"))?;
        }
        store_of_org(w, self.org_id, self.store_id).await?;
        check::vendor(w, self.org_id, self.vendor_id, "vendor_id").await?;
        for (i, l) in self.lines.iter().enumerate() {
            style(w, self.org_id, l.style_id, &format!("lines[{i}].style_id")).await?;
        }
        let po_no = w.next_number(self.org_id, "po", "PO-").await?;
        let id = w
            .insert(
                "purchase_orders",
                self.org_id,
                q!(
                    "insert into purchase_orders (org_id, store_id, vendor_id, po_no, ordered_on, status, note)
                     values ($1, $2, $3, $4, $5, 'open', $6) returning *",
                    self.org_id,
                    self.store_id,
                    self.vendor_id,
                    &po_no,
                    on,
                    &self.note
                ),
            )
            .await?;
        let mut ids = Vec::with_capacity(self.lines.len());
        for l in &self.lines {
            let line_id = w
                .insert(
                    "purchase_order_lines",
                    self.org_id,
                    q!(
                        "insert into purchase_order_lines (org_id, po_id, style_id, qty_ordered, unit_cost_cents)
                         values ($1, $2, $3, $4, $5) returning *",
                        self.org_id,
                        id,
                        l.style_id,
                        l.qty,
                        l.unit_cost.0
                    ),
                )
                .await?;
            ids.push(line_id);
        }
        Ok(Outcome { id, number: Some(po_no), ids, ..Outcome::default() })
    }
}

/// Receives goods against an open purchase order at its store, at the ordered unit cost: one piece per unit
/// of a serialized style, a cost layer in the store's lot otherwise. The order closes once every line is in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceivePurchaseOrder {
    /// The org.
    pub org_id: i64,
    /// The purchase order.
    pub po_id: i64,
    /// Receipt date (default today).
    pub received_on: Option<NaiveDate>,
    /// What arrived, at least one line.
    pub lines: Vec<ReceivePurchaseOrderLine>,
}

/// Units received against one purchase order line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceivePurchaseOrderLine {
    /// The purchase order line.
    pub po_line_id: i64,
    /// Units received (at most what is still to come).
    pub qty: i64,
    /// Tag numbers for the pieces of a serialized style, one per unit; assigned (`S-000001`) when left out.
    pub stock_nos: Option<Vec<String>>,
}

impl ReceivePurchaseOrder {
    /// The outcome's `ids` are the stock records received into, per unit for pieces, per line for lots.
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.received_on.unwrap_or(w.today);
        w.check_open(self.org_id, "received_on", on).await?;
        if self.lines.is_empty() {
            return Err(Error::invalid("lines", "[]", "a receipt needs at least one line"));
        }
        for (i, l) in self.lines.iter().enumerate() {
            check::positive_qty(&format!("lines[{i}].qty"), l.qty)?;
        }
        let po = w
            .fetch_optional(q!(
                "select id, store_id, vendor_id, po_no, status from purchase_orders where id = $1 and org_id = $2",
                self.po_id,
                self.org_id
            ))
            .await?
            .ok_or_else(|| Error::invalid("po_id", self.po_id, "no such purchase order in this org"))?;
        let (store_id, vendor_id, po_no) = (po.i64("store_id")?, po.i64("vendor_id")?, po.text("po_no")?);
        let status = po.text("status")?;
        if status != "open" {
            return Err(Error::Conflict(format!("purchase order {po_no} is {status}")));
        }
        let mut ids = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            let pl = w
                .fetch_optional(q!(
                    "select style_id, qty_ordered, qty_received, unit_cost_cents from purchase_order_lines
                     where id = $1 and po_id = $2",
                    l.po_line_id,
                    self.po_id
                ))
                .await?
                .ok_or_else(|| {
                    Error::invalid(format!("lines[{i}].po_line_id"), l.po_line_id, format!("no such line on {po_no}"))
                })?;
            let (style_id, ordered, received) = (pl.i64("style_id")?, pl.i64("qty_ordered")?, pl.i64("qty_received")?);
            let unit_cost = Money(pl.i64("unit_cost_cents")?);
            if l.qty > ordered - received {
                return Err(Error::invalid(
                    format!("lines[{i}].qty"),
                    l.qty,
                    format!("only {} of {ordered} ordered remain to be received", ordered - received),
                ));
            }
            let taken = w
                .update(
                    "purchase_order_lines",
                    self.org_id,
                    l.po_line_id,
                    q!(
                        "update purchase_order_lines set qty_received = qty_received + $2
                         where id = $1 and qty_received + $2 <= qty_ordered returning *",
                        l.po_line_id,
                        l.qty
                    ),
                )
                .await?;
            if !taken {
                return Err(Error::Conflict(format!("line {} of {po_no} was received meanwhile", l.po_line_id)));
            }
            let st = style(w, self.org_id, style_id, &format!("lines[{i}].po_line_id")).await?;
            if st.serialized {
                let given = l.stock_nos.as_deref().unwrap_or_default();
                if l.stock_nos.is_some() && usize::try_from(l.qty).ok() != Some(given.len()) {
                    return Err(Error::invalid(
                        format!("lines[{i}].stock_nos"),
                        given.len(),
                        format!("stock numbers given for {} unit(s) received", l.qty),
                    ));
                }
                for u in 0..l.qty {
                    let field = format!("lines[{i}].stock_nos[{u}]");
                    let stock_no = match usize::try_from(u).ok().and_then(|u| given.get(u)) {
                        Some(s) => {
                            check::non_empty(&field, s)?;
                            let s = s.trim().to_string();
                            let taken = w
                                .fetch_optional(q!(
                                    "select id from items where org_id = $1 and stock_no = $2",
                                    self.org_id,
                                    &s
                                ))
                                .await?;
                            if taken.is_some() {
                                return Err(Error::invalid(field, &s, "stock number already in use"));
                            }
                            s
                        }
                        None => w.next_number(self.org_id, "piece", "S-").await?,
                    };
                    let id = inventory::new_piece(
                        w,
                        NewPiece {
                            org_id: self.org_id,
                            store_id,
                            style_id,
                            stock_no: &stock_no,
                            consignor_id: None,
                            acquired_on: Some(on),
                            cost: unit_cost,
                            retail: st.retail_price,
                            description: None,
                            created_on: on,
                        },
                    )
                    .await?;
                    let it = flow::item(w, self.org_id, id, "item_id").await?;
                    let m = flow::record(
                        w,
                        Movement {
                            item: &it,
                            store_id,
                            on,
                            kind: "receive",
                            qty_delta: 1,
                            memo_delta: 0,
                            cost: unit_cost,
                            ref_kind: "receipt",
                            ref_id: None,
                        },
                    )
                    .await?;
                    inventory::receipt(w, &it, Some(vendor_id), Some(l.po_line_id), on, 1, unit_cost, m).await?;
                    ids.push(id);
                }
            } else {
                if l.stock_nos.is_some() {
                    return Err(Error::invalid(
                        format!("lines[{i}].stock_nos"),
                        "(present)",
                        "only pieces of a serialized style take stock numbers",
                    ));
                }
                let cost = line_cost(unit_cost, l.qty, &format!("lines[{i}]"))?;
                let it = flow::lot(w, self.org_id, store_id, style_id, None, st.retail_price, on).await?;
                let m = Movement {
                    item: &it,
                    store_id,
                    on,
                    kind: "receive",
                    qty_delta: 0,
                    memo_delta: 0,
                    cost: Money::ZERO,
                    ref_kind: "receipt",
                    ref_id: None,
                };
                let movement = flow::add_to_lot(w, &it, Some(on), l.qty, cost, m, &format!("lines[{i}].qty")).await?;
                inventory::receipt(w, &it, Some(vendor_id), Some(l.po_line_id), on, l.qty, cost, movement).await?;
                ids.push(it.id);
            }
        }
        let open = w
            .fetch_one(q!(
                "select count(*) as n from purchase_order_lines where po_id = $1 and qty_received < qty_ordered",
                self.po_id
            ))
            .await?
            .i64("n")?;
        if open == 0 {
            w.update(
                "purchase_orders",
                self.org_id,
                self.po_id,
                q!(
                    "update purchase_orders set status = 'closed' where id = $1 and status = 'open' returning *",
                    self.po_id
                ),
            )
            .await?;
        }
        Ok(Outcome { id: self.po_id, number: Some(po_no), ids, ..Outcome::default() })
    }
}

/// Records a vendor's bill (accounts payable).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateVendorInvoice {
    /// The org.
    pub org_id: i64,
    /// The vendor (a contact marked vendor).
    pub vendor_id: i64,
    /// The vendor's invoice number, unique per vendor.
    pub vendor_ref: String,
    /// The vendor's invoice date.
    pub invoice_date: NaiveDate,
    /// When it is due (default: the invoice date plus the vendor's terms, or the invoice date).
    pub due_date: Option<NaiveDate>,
    /// Amount owed.
    pub amount: Money,
    /// Free text.
    pub note: Option<String>,
}

impl CreateVendorInvoice {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        w.check_open(self.org_id, "invoice_date", self.invoice_date).await?;
        check::non_empty("vendor_ref", &self.vendor_ref)?;
        check::positive_money("amount", self.amount)?;
        let vendor = check::vendor(w, self.org_id, self.vendor_id, "vendor_id").await?;
        let due = match (self.due_date, vendor.terms_days) {
            (Some(d), _) => d,
            (None, None) => self.invoice_date,
            (None, Some(days)) => u64::try_from(days)
                .ok()
                .and_then(|d| self.invoice_date.checked_add_days(Days::new(d)))
                .ok_or_else(|| {
                    Error::invalid("due_date", "(missing)", format!("the vendor's terms ({days} days) give no date"))
                })?,
        };
        if due < self.invoice_date {
            return Err(Error::invalid("due_date", due, format!("is before the invoice date {}", self.invoice_date)));
        }
        let vendor_ref = self.vendor_ref.trim();
        let dup = w
            .fetch_optional(q!(
                "select id from vendor_invoices where org_id = $1 and vendor_id = $2 and vendor_ref = $3",
                self.org_id,
                self.vendor_id,
                vendor_ref
            ))
            .await?;
        if dup.is_some() {
            return Err(Error::invalid("vendor_ref", vendor_ref, "the vendor already has an invoice with this number"));
        }
        let id = w
            .insert(
                "vendor_invoices",
                self.org_id,
                q!(
                    "insert into vendor_invoices (org_id, vendor_id, vendor_ref, invoice_date, due_date, amount_cents,
                     status, note) values ($1, $2, $3, $4, $5, $6, 'open', $7) returning *",
                    self.org_id,
                    self.vendor_id,
                    vendor_ref,
                    self.invoice_date,
                    due,
                    self.amount.0,
                    &self.note
                ),
            )
            .await?;
        Ok(Outcome::numbered(id, vendor_ref.to_string()))
    }
}

/// Pays a vendor, applying the payment to their open invoices; what is not applied stays on account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordVendorPayment {
    /// The org.
    pub org_id: i64,
    /// The vendor paid.
    pub vendor_id: i64,
    /// Payment date (default today).
    pub paid_on: Option<NaiveDate>,
    /// Amount paid.
    pub amount: Money,
    /// How it was paid (`check`, `wire`, `card` …).
    pub method: String,
    /// Check number, wire reference.
    pub reference: Option<String>,
    /// Which invoices it pays, and how much of each (at most the payment in total).
    #[serde(default)]
    pub applications: Vec<VendorPaymentApplication>,
}

/// Part of a vendor payment applied to one vendor invoice.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorPaymentApplication {
    /// The vendor invoice (of the same vendor, open).
    pub vendor_invoice_id: i64,
    /// Amount applied (at most what the invoice still owes).
    pub amount: Money,
}

impl RecordVendorPayment {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.paid_on.unwrap_or(w.today);
        w.check_open(self.org_id, "paid_on", on).await?;
        check::positive_money("amount", self.amount)?;
        check::non_empty("method", &self.method)?;
        let mut total = Money::ZERO;
        for (i, a) in self.applications.iter().enumerate() {
            let field = format!("applications[{i}].amount");
            check::positive_money(&field, a.amount)?;
            total = total.plus(a.amount, &field, a.amount, "the applications' total")?;
        }
        if total > self.amount {
            return Err(Error::invalid(
                "applications",
                total,
                format!("applications total more than the payment of {}", self.amount),
            ));
        }
        check::vendor(w, self.org_id, self.vendor_id, "vendor_id").await?;
        let id = w
            .insert(
                "vendor_payments",
                self.org_id,
                q!(
                    "insert into vendor_payments (org_id, vendor_id, paid_on, amount_cents, method, reference, status)
                     values ($1, $2, $3, $4, $5, $6, 'posted') returning *",
                    self.org_id,
                    self.vendor_id,
                    on,
                    self.amount.0,
                    self.method.trim(),
                    &self.reference
                ),
            )
            .await?;
        let mut ids = Vec::with_capacity(self.applications.len());
        for (i, a) in self.applications.iter().enumerate() {
            let field = format!("applications[{i}].vendor_invoice_id");
            // two payments applied to one invoice at once must not both see it unpaid; SQLite's write lock is
            // already held by the transaction
            if w.dialect() == Dialect::Postgres {
                w.fetch_optional(q!(
                    "select id from vendor_invoices where id = $1 and org_id = $2 for update",
                    a.vendor_invoice_id,
                    self.org_id
                ))
                .await?;
            }
            let inv = w
                .fetch_optional(q!(
                    "select i.vendor_id, i.vendor_ref, i.status, i.amount_cents,
                            cast(coalesce((select sum(a.amount_cents) from vendor_payment_applications a
                               join vendor_payments p on p.id = a.vendor_payment_id
                               where a.vendor_invoice_id = i.id and p.status = 'posted'), 0) as bigint) as applied
                     from vendor_invoices i where i.id = $1 and i.org_id = $2",
                    a.vendor_invoice_id,
                    self.org_id
                ))
                .await?
                .ok_or_else(|| Error::invalid(&field, a.vendor_invoice_id, "no such vendor invoice in this org"))?;
            let vendor_ref = inv.text("vendor_ref")?;
            if inv.i64("vendor_id")? != self.vendor_id {
                return Err(Error::invalid(
                    field,
                    a.vendor_invoice_id,
                    format!("vendor invoice {vendor_ref} is another vendor's"),
                ));
            }
            if inv.text("status")? != "open" {
                return Err(Error::invalid(
                    field,
                    a.vendor_invoice_id,
                    format!("vendor invoice {vendor_ref} is voided"),
                ));
            }
            let owed = Money(inv.i64("amount_cents")? - inv.i64("applied")?);
            if a.amount > owed {
                return Err(Error::invalid(
                    format!("applications[{i}].amount"),
                    a.amount,
                    format!("vendor invoice {vendor_ref} has {owed} left to pay"),
                ));
            }
            let app = w
                .insert(
                    "vendor_payment_applications",
                    self.org_id,
                    q!(
                        "insert into vendor_payment_applications (org_id, vendor_payment_id, vendor_invoice_id,
                         amount_cents) values ($1, $2, $3, $4) returning *",
                        self.org_id,
                        id,
                        a.vendor_invoice_id,
                        a.amount.0
                    ),
                )
                .await?;
            ids.push(app);
        }
        Ok(Outcome { id, number: None, ids, ..Outcome::default() })
    }
}

/// Voids a vendor payment (a stopped check, an entry in error): its applications stop counting, so the
/// invoices it paid are owed again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidVendorPayment {
    /// The org.
    pub org_id: i64,
    /// The payment.
    pub vendor_payment_id: i64,
    /// Date of the void (default today).
    pub voided_on: Option<NaiveDate>,
}

impl VoidVendorPayment {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.voided_on.unwrap_or(w.today);
        w.check_open(self.org_id, "voided_on", on).await?;
        let p = w
            .fetch_optional(q!(
                "select paid_on, status from vendor_payments where id = $1 and org_id = $2",
                self.vendor_payment_id,
                self.org_id
            ))
            .await?
            .ok_or_else(|| {
                Error::invalid("vendor_payment_id", self.vendor_payment_id, "no such vendor payment in this org")
            })?;
        let paid_on = p.date("paid_on")?;
        // a payment inside a closed period stays as the books were closed with it
        w.check_open(self.org_id, "vendor_payment_id", paid_on).await?;
        if on < paid_on {
            return Err(Error::invalid("voided_on", on, format!("is before the payment date {paid_on}")));
        }
        let voided = w
            .update(
                "vendor_payments",
                self.org_id,
                self.vendor_payment_id,
                q!(
                    "update vendor_payments set status = 'voided', voided_on = $2 where id = $1 and status = 'posted'
                     returning *",
                    self.vendor_payment_id,
                    on
                ),
            )
            .await?;
        if !voided {
            return Err(Error::Conflict(format!("vendor payment {} is already voided", self.vendor_payment_id)));
        }
        Ok(Outcome::id(self.vendor_payment_id))
    }
}

/// Voids a vendor invoice entered in error (or cancelled by the vendor); it stays in the books, marked void,
/// and no longer counts as owed. Payments applied to it must be voided first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidVendorInvoice {
    /// The org.
    pub org_id: i64,
    /// The vendor invoice.
    pub vendor_invoice_id: i64,
    /// Date of the void (default today).
    pub voided_on: Option<NaiveDate>,
}

impl VoidVendorInvoice {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let on = self.voided_on.unwrap_or(w.today);
        w.check_open(self.org_id, "voided_on", on).await?;
        let inv = w
            .fetch_optional(q!(
                "select vendor_ref, invoice_date, status from vendor_invoices where id = $1 and org_id = $2",
                self.vendor_invoice_id,
                self.org_id
            ))
            .await?
            .ok_or_else(|| {
                Error::invalid("vendor_invoice_id", self.vendor_invoice_id, "no such vendor invoice in this org")
            })?;
        let (vendor_ref, dated) = (inv.text("vendor_ref")?, inv.date("invoice_date")?);
        w.check_open(self.org_id, "vendor_invoice_id", dated).await?;
        if on < dated {
            return Err(Error::invalid("voided_on", on, format!("is before the invoice date {dated}")));
        }
        let paid = w
            .fetch_optional(q!(
                "select p.id, a.amount_cents from vendor_payment_applications a
                 join vendor_payments p on p.id = a.vendor_payment_id
                 where a.vendor_invoice_id = $1 and p.status = 'posted' order by p.id limit 1",
                self.vendor_invoice_id
            ))
            .await?;
        if let Some(p) = paid {
            return Err(Error::invalid(
                "vendor_invoice_id",
                self.vendor_invoice_id,
                format!(
                    "{} of vendor invoice {vendor_ref} is paid by vendor payment {}: void the payment first",
                    Money(p.i64("amount_cents")?),
                    p.i64("id")?
                ),
            ));
        }
        let voided = w
            .update(
                "vendor_invoices",
                self.org_id,
                self.vendor_invoice_id,
                q!(
                    "update vendor_invoices set status = 'voided', voided_on = $2 where id = $1 and status = 'open'
                     returning *",
                    self.vendor_invoice_id,
                    on
                ),
            )
            .await?;
        if !voided {
            return Err(Error::Conflict(format!("vendor invoice {vendor_ref} is already voided")));
        }
        Ok(Outcome::numbered(self.vendor_invoice_id, vendor_ref))
    }
}

/// `unit_cost × qty`, refused (as `field`) if it is more than the books keep.
fn line_cost(unit_cost: Money, qty: i64, field: &str) -> Result<Money> {
    unit_cost.times(qty, field, format!("{qty} × {unit_cost}"), "the line's cost")
}

/// Refuses a store of another org (or none) as an invalid `store_id`.
async fn store_of_org(w: &mut Writer, org_id: i64, store_id: i64) -> Result<()> {
    match check::store(w, org_id, store_id).await {
        Ok(_) => Ok(()),
        Err(Error::NotFound { .. }) => Err(Error::invalid("store_id", store_id, "no such store in this org")),
        Err(e) => Err(e),
    }
}
