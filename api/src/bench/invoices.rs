//! `loupe bench invoices`: how many invoices (three lines, finalized, and a payment applied) the books take
//! per second, from one client and from several at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use oltp::sales::{Application, Apply, CreateInvoice, LineInput, RecordPayment, Tender};
use oltp::types::{LineKind, Money, PaymentMethod};
use oltp::{Command, Ctx, Db};
use serde_json::json;

/// What one run measured.
#[derive(Debug, Clone)]
pub struct InvoiceBench {
    /// Invoices finalized and paid.
    pub invoices: usize,
    /// Concurrent clients.
    pub clients: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Median latency of one invoice + payment.
    pub p50: Duration,
    /// 95th percentile latency.
    pub p95: Duration,
}

impl InvoiceBench {
    /// Invoices per second.
    pub fn rate(&self) -> f64 {
        self.invoices as f64 / self.elapsed.as_secs_f64()
    }
}

async fn run(db: &Db, ctx: &Ctx, cmd: serde_json::Value) -> Result<oltp::Outcome> {
    let c: Command = oltp::ops::parse(&cmd.to_string())?;
    Ok(oltp::execute(db, ctx, &c).await?)
}

/// Sets up an org with one store, `customers` customers and two lots deep enough for every sale.
/// The database must be empty.
pub async fn prepare(db: &Db, customers: usize, invoices: usize) -> Result<()> {
    let ctx = bench_ctx();
    let orgs = db.fetch_one(oltp::db::Q::new("select count(*) as n from orgs")).await?.i64("n")?;
    if orgs > 0 {
        bail!("the benchmark needs an empty database; this one has {orgs} org(s)");
    }
    run(db, &ctx, json!({"op":"create_org","name":"Bench Jewelers"})).await?;
    run(db, &ctx, json!({"op":"create_store","org_id":1,"code":"B","name":"Bench","tax_rate":"6","surtax_rate":"1","surtax_threshold":"5000.00"})).await?;
    run(db, &ctx, json!({"op":"create_contact","org_id":1,"name":"Vendor","vendor":true})).await?;
    run(db, &ctx, json!({"op":"create_style","org_id":1,"style_no":"E-1","family":"jewelry","category":"earrings","description":"Studs","serialized":false,"retail_price":"120.00"})).await?;
    run(db, &ctx, json!({"op":"create_style","org_id":1,"style_no":"C-1","family":"jewelry","category":"chains","description":"Chain","serialized":false,"retail_price":"300.00"})).await?;
    // several layers each, so FIFO walks layers as a real store's would
    let per_layer = (invoices as i64 * 2 / 8).max(1) + 1;
    for day in 1..=8 {
        let d = format!("2026-01-{day:02}");
        run(db, &ctx, json!({"op":"receive_stock","org_id":1,"store_id":1,"style_id":1,"qty":per_layer,"cost":format!("{}.00", per_layer * 40),"received_on":d})).await?;
        run(db, &ctx, json!({"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":per_layer,"cost":format!("{}.00", per_layer * 110),"received_on":d})).await?;
    }
    for i in 0..customers {
        run(db, &ctx, json!({"op":"create_contact","org_id":1,"name":format!("Customer {i}"),"customer":true})).await?;
    }
    Ok(())
}

fn bench_ctx() -> Ctx {
    Ctx { actor: None, today: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap_or_default() }
}

/// One sale: two lots and a misc line, finalized and paid in full: by a tender taken with it (one command), or
/// by a payment recorded after it (`separate`: two commands, two transactions).
async fn one_sale(db: &Db, ctx: &Ctx, customer: i64, separate: bool) -> Result<()> {
    let invoice = CreateInvoice {
        org_id: 1,
        store_id: 1,
        customer_id: customer,
        salesperson_id: None,
        invoice_date: Some(ctx.today),
        terms_days: None,
        out_of_state: false,
        freight: Money::ZERO,
        fees: Money::ZERO,
        note: None,
        lines: vec![
            LineInput { kind: Some(LineKind::Sale), item_id: Some(1), qty: Some(2), ..LineInput::default() },
            LineInput {
                kind: Some(LineKind::Sale),
                item_id: Some(2),
                adjustment: Money::dollars(15),
                ..LineInput::default()
            },
            LineInput {
                kind: Some(LineKind::Misc),
                description: Some("Gift wrap".into()),
                unit_price: Some(Money::dollars(5)),
                ..LineInput::default()
            },
        ],
        finalize: true,
        payments: if separate {
            Vec::new()
        } else {
            vec![Tender { method: PaymentMethod::Card, amount: None, reference: None, gift_card_code: None }]
        },
    };
    let out = oltp::execute(db, ctx, &Command::CreateInvoice(invoice)).await?;
    if !separate {
        return Ok(());
    }
    let total = Money(
        db.fetch_one(oltp::db::Q::new("select total_cents from invoices where id = $1").bind(out.id))
            .await?
            .i64("total_cents")?,
    );
    let pay = RecordPayment {
        org_id: 1,
        store_id: 1,
        customer_id: customer,
        paid_on: Some(ctx.today),
        method: PaymentMethod::Card,
        amount: total,
        reference: None,
        gift_card_code: None,
        work_order_id: None,
        apply: Apply::To(vec![Application { invoice_id: out.id, amount: total }]),
    };
    oltp::execute(db, ctx, &Command::RecordPayment(pay)).await?;
    Ok(())
}

/// Runs `invoices` sales from `clients` concurrent clients against a prepared database.
pub async fn invoices(
    db: &Db,
    invoices: usize,
    clients: usize,
    customers: usize,
    separate_payment: bool,
) -> Result<InvoiceBench> {
    let ctx = Arc::new(bench_ctx());
    let first_customer = 2_i64; // contact 1 is the vendor
    let bar = ProgressBar::new(invoices as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} invoices {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (db, ctx, bar) = (db.clone(), ctx.clone(), bar.clone());
        let share = invoices / clients + usize::from(c < invoices % clients);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(share);
            for i in 0..share {
                let customer = first_customer + ((c * 7919 + i) % customers) as i64;
                let t = Instant::now();
                one_sale(&db, &ctx, customer, separate_payment)
                    .await
                    .with_context(|| format!("client {c}, sale {i}"))?;
                lat.push(t.elapsed());
                bar.inc(1);
            }
            anyhow::Ok(lat)
        }));
    }
    let mut lat = Vec::with_capacity(invoices);
    for t in tasks {
        lat.extend(t.await??);
    }
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    lat.sort();
    let at = |q: f64| {
        lat.get(((lat.len() as f64 * q) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or_default()
    };
    Ok(InvoiceBench { invoices, clients, elapsed, p50: at(0.5), p95: at(0.95) })
}
