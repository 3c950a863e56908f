//! `loupe bench lake`: how fast the books reach the lake. On a copy of the books in the data directory (they
//! are never touched): a full load into an empty lake (rows per second), the lake's size beside the books',
//! incremental batches of a given number of changes (latency of each sync), and freshness — the time from a
//! committed sale to the moment a DataFusion query over the lake's snapshot sees it, with the sync loop running.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use etl::Lake;
use oltp::db::Q;
use oltp::{Command, Ctx, Db};
use serde_json::json;
use warehouse::Scope;

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Changes per incremental batch.
    pub(crate) changes: usize,
    /// Incremental batches timed.
    pub(crate) rounds: usize,
    /// Sales whose freshness is timed.
    pub(crate) samples: usize,
    /// The sync loop's pause between looks at the books.
    pub(crate) every: Duration,
    /// Work on the books themselves (adding the benchmark's sales to them) instead of a copy.
    pub(crate) in_place: bool,
}

fn size(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path).into_iter().flatten().flatten().map(|e| size(&e.path())).sum(),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

/// The value at quantile `q` of sorted durations.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).copied().unwrap_or_default()
}

/// Where sales go in the copied books: the first org's first store and customer, on its last business day.
struct Till {
    ctx: Ctx,
    store: i64,
    customer: i64,
    day: chrono::NaiveDate,
}

impl Till {
    async fn find(db: &Db) -> Result<Till> {
        let r = db
            .fetch_one(Q::new(
                "select min(store_id) as store, min(customer_id) as customer, max(invoice_date) as day
                 from invoices where org_id = 1",
            ))
            .await
            .context("the benchmark needs books with sales (run `loupe demo` first)")?;
        let (Some(store), Some(customer), Some(day)) =
            (r.opt_i64("store")?, r.opt_i64("customer")?, r.opt_date("day")?)
        else {
            bail!("the benchmark needs books with sales in org 1 (run `loupe demo` first)");
        };
        Ok(Till { ctx: Ctx { actor: None, today: day }, store, customer, day })
    }

    /// A sale of two lines, finalized and paid by card; returns the invoice's id.
    async fn sale(&self, db: &Db, n: usize) -> Result<i64> {
        let cmd = json!({"op":"create_invoice","org_id":1,"store_id":self.store,"customer_id":self.customer,
            "invoice_date":self.day,"finalize":true,"payments":[{"method":"card"}],
            "lines":[{"kind":"service","description":format!("Ring sizing #{n}"),"unit_price":"45.00"},
                     {"kind":"misc","description":"Gift box","unit_price":"5.00"}]});
        let c: Command = oltp::ops::parse(&cmd.to_string())?;
        Ok(oltp::execute(db, &self.ctx, &c).await?.id)
    }
}

/// Copies the SQLite books at `url` into `dir` (`VACUUM INTO`: a consistent copy, even while written).
async fn copy_books(url: &str, dir: &Path) -> Result<String> {
    if url.starts_with("postgres") {
        bail!("bench lake runs on a copy of SQLite books; for PostgreSQL, point it at a scratch database's data dir");
    }
    let source = Db::connect(url).await?;
    let to = dir.join("loupe.db");
    source.execute_trusted(&format!("vacuum into '{}'", to.display().to_string().replace('\'', "''"))).await?;
    source.close().await;
    Ok(to.display().to_string())
}

/// Runs the benchmark and prints its figures.
pub(crate) async fn run(url: &str, data: &Path, plan: Plan) -> Result<()> {
    let work = tempfile::Builder::new()
        .prefix(".loupe-bench-")
        .tempdir_in(data)
        .with_context(|| format!("cannot make a work directory in {}", data.display()))?;
    let books = if plan.in_place {
        url.to_string()
    } else {
        let t = Instant::now();
        let books = copy_books(url, work.path()).await?;
        println!("copied the books ({}) in {:.1} s", mb(size(Path::new(&books))), t.elapsed().as_secs_f64());
        books
    };
    let db = Db::connect(&books).await?;
    let lake = Lake::at(work.path().join("lake"));

    // full load
    let r = etl::rebuild(&db, &lake, &mut |_| {}).await?;
    let rate = r.rows as f64 / r.elapsed.as_secs_f64();
    println!(
        "full load: {} rows in {:.2} s = {:.0} rows/s; lake {} vs books {}",
        r.rows,
        r.elapsed.as_secs_f64(),
        rate,
        mb(size(work.path().join("lake").as_path())),
        mb(size(Path::new(&books)))
    );

    // incremental batches
    let till = Till::find(&db).await?;
    let mut sales = 0;
    let mut lat = Vec::with_capacity(plan.rounds);
    let stop = AtomicBool::new(false);
    for _ in 0..plan.rounds {
        let from = db.last_change().await?;
        while db.last_change().await? - from < plan.changes as i64 {
            till.sale(&db, sales).await?;
            sales += 1;
        }
        let r = etl::sync(&db, &lake, &stop, &mut |_| {}).await?;
        lat.push(r.elapsed);
        println!("  incremental: {} changes, {} lake rows in {}", r.changes, r.rows, ms(r.elapsed));
    }
    lat.sort();
    println!(
        "incremental batches of ≥ {} changes: median {}, max {} over {} rounds",
        plan.changes,
        ms(quantile(&lat, 0.5)),
        ms(quantile(&lat, 1.0)),
        lat.len()
    );

    // freshness, with the sync loop running beside the till
    let db = Arc::new(db);
    let stop = Arc::new(AtomicBool::new(false));
    let follower = {
        let (db, lake, stop, every) = (db.clone(), lake.clone(), stop.clone(), plan.every);
        tokio::spawn(async move { etl::follow(&db, &lake, &stop, every, &mut |_| {}).await })
    };
    let scope = Scope::Org { org_id: 1, stores: None };
    let mut fresh = Vec::with_capacity(plan.samples);
    for i in 0..plan.samples {
        // sales arrive at uneven moments relative to the loop's pauses
        tokio::time::sleep(Duration::from_millis((i as u64 * 7919) % 300)).await;
        let id = till.sale(&db, sales + i).await?;
        let committed = Instant::now();
        loop {
            let ctx = lake.snapshot().await?.session(&scope).await?;
            let seen = ctx.sql(&format!("select id from invoice where id = {id}")).await?.count().await?;
            if seen == 1 {
                break;
            }
            if committed.elapsed() > Duration::from_secs(120) {
                bail!("sale {id} not visible after 120 s");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        fresh.push(committed.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    follower.await??;
    fresh.sort();
    println!(
        "freshness (commit → visible in a DataFusion query; sync loop every {}): p50 {}, p95 {}, max {} over {} sales",
        ms(plan.every),
        ms(quantile(&fresh, 0.5)),
        ms(quantile(&fresh, 0.95)),
        ms(quantile(&fresh, 1.0)),
        fresh.len()
    );
    Ok(())
}
