//! `loupe bench serve`: the HTTP server measured from the outside, with the server in this process on a loopback
//! port and clients on threads of their own, each over one kept-alive HTTP/1.1 connection:
//!
//! - writes: a sale (three lines, finalized, paid by a tender taken with it) posted by each client as fast as the
//!   server answers, on fresh books in a temp directory — invoices per second, p50 and p99;
//! - reads (`--data` books with a lake, e.g. the medium demo): each report's default view run over HTTP by every
//!   client in turn, p50 and p99, beside the engine's own time for the same request in-process — the server's
//!   overhead;
//! - a soak (`--soak-secs`): reads and writes mixed at a fixed rate, counting errors and sampling the process's
//!   resident memory.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use oltp::Db;
use serde_json::json;

use crate::serve::App;

/// One kept-alive connection.
struct Conn {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: SocketAddr) -> Result<Conn> {
        let s = TcpStream::connect(addr).with_context(|| format!("cannot connect to {addr}"))?;
        s.set_nodelay(true)?;
        Ok(Conn { addr, reader: BufReader::new(s) })
    }

    /// One request; the status and the body.
    fn send(&mut self, method: &str, path: &str, token: &str, body: Option<&str>) -> Result<(u16, Vec<u8>)> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {token}\r\n", self.addr);
        if let Some(b) = body {
            head.push_str(&format!("content-type: application/json\r\ncontent-length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        head.push_str(body.unwrap_or_default());
        self.reader.get_mut().write_all(head.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("no HTTP status")?;
        let (mut length, mut chunked) = (0usize, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse()?,
                    "transfer-encoding" => chunked = v.contains("chunked"),
                    _ => {}
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16)?;
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk)?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            body.resize(length, 0);
            self.reader.read_exact(&mut body)?;
        }
        Ok((status, body))
    }
}

/// Latencies, sorted, and their percentiles.
struct Latencies(Vec<Duration>);

impl Latencies {
    fn new(mut v: Vec<Duration>) -> Latencies {
        v.sort();
        Latencies(v)
    }

    fn at(&self, q: f64) -> Duration {
        let i = ((self.0.len() as f64 * q).ceil() as usize).saturating_sub(1).min(self.0.len().saturating_sub(1));
        self.0.get(i).copied().unwrap_or_default()
    }

    fn ms(&self, q: f64) -> f64 {
        self.at(q).as_secs_f64() * 1e3
    }
}

/// A server in this process over `db` and `lake`; stops when the sender is dropped or sent to.
struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<Result<()>>,
}

impl Running {
    fn start(db: &Db, lake: &etl::Lake) -> Result<Running> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let app = Arc::new(App::new(db.clone(), lake.clone(), false));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let stop = async move {
            let _ = rx.await;
        };
        let done = tokio::spawn(crate::serve::serve(listener, app, Duration::from_millis(500), stop));
        Ok(Running { addr, stop: Some(tx), done })
    }

    async fn stop(mut self) -> Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.done.await?
    }
}

/// A token for a new owner of org 1 (made by the operator), for the clients.
async fn owner_token(db: &Db) -> Result<String> {
    let ctx = oltp::Ctx::operator();
    let username = format!("bench-{}", std::process::id());
    let cmd = oltp::ops::parse(
        &json!({"op": "create_user", "org_id": 1, "username": username, "display_name": "Bench", "groups": ["owner"]})
            .to_string(),
    )?;
    let user = oltp::execute(db, &ctx, &cmd).await?.id;
    let now = chrono::Utc::now().timestamp();
    Ok(oltp::auth::create_token(db, 1, user, "loupe bench serve", Some(now + 86_400), now).await?.secret)
}

/// The sale each write posts: the same three lines as `loupe bench invoices`, paid by card with the sale.
fn sale(customer: i64) -> String {
    json!({
        "store_id": 1, "customer_id": customer, "invoice_date": "2026-02-01", "finalize": true,
        "lines": [
            {"kind": "sale", "item_id": 1, "qty": 2},
            {"kind": "sale", "item_id": 2, "adjustment": "15.00"},
            {"kind": "misc", "description": "Gift wrap", "unit_price": "5.00"}
        ],
        "payments": [{"method": "card"}]
    })
    .to_string()
}

/// Runs `clients` threads, each calling `work(client, conn)` until it returns `false`; their latencies.
async fn clients<F>(addr: SocketAddr, clients: usize, work: F) -> Result<Vec<Duration>>
where
    F: Fn(usize, &mut Conn, &mut Vec<Duration>) -> Result<bool> + Send + Sync + 'static,
{
    let work = Arc::new(work);
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let work = work.clone();
            tokio::task::spawn_blocking(move || -> Result<Vec<Duration>> {
                let mut conn = Conn::open(addr)?;
                let mut lat = Vec::new();
                while work(c, &mut conn, &mut lat)? {}
                Ok(lat)
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await??);
    }
    Ok(all)
}

/// What `loupe bench serve` was asked.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) invoices: usize,
    pub(crate) clients: usize,
    pub(crate) rounds: usize,
    pub(crate) soak: Duration,
    pub(crate) rate: u32,
}

/// Writes over HTTP on fresh books: invoices per second with `plan.clients` clients.
pub(crate) async fn writes(plan: &Plan) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let db = Db::connect(&tmp.path().join("bench.db").display().to_string()).await?;
    db.migrate().await?;
    let customers = 500;
    super::invoices::prepare(&db, customers, plan.invoices).await?;
    let lake = etl::Lake::at(tmp.path().join("lake"));
    let token = owner_token(&db).await?;
    let server = Running::start(&db, &lake)?;
    let (total, per) = (plan.invoices, plan.invoices.div_ceil(plan.clients));
    let started = Instant::now();
    let lat = clients(server.addr, plan.clients, move |c, conn, lat| {
        let i = lat.len();
        if i >= per || c * per + i >= total {
            return Ok(false);
        }
        let customer = 2 + ((c * 7919 + i) % customers) as i64;
        let t = Instant::now();
        let (status, body) = conn.send("POST", "/api/v1/ops/create_invoice", &token, Some(&sale(customer)))?;
        if status != 200 {
            bail!("client {c}, sale {i}: {status} {}", String::from_utf8_lossy(&body));
        }
        lat.push(t.elapsed());
        Ok(true)
    })
    .await?;
    let elapsed = started.elapsed();
    server.stop().await?;
    let l = Latencies::new(lat);
    let sold = db.fetch_one(oltp::db::Q::new("select count(*) as n from invoices where status = 'finalized'")).await?;
    println!(
        "writes over HTTP (SQLite): {} sales (3 lines, finalized, paid) by {} clients in {:.2} s = {:.0} invoices/s; \
         p50 {:.2} ms, p99 {:.2} ms; {} finalized in the books",
        l.0.len(),
        plan.clients,
        elapsed.as_secs_f64(),
        l.0.len() as f64 / elapsed.as_secs_f64(),
        l.ms(0.5),
        l.ms(0.99),
        sold.i64("n")?
    );
    db.close().await;
    Ok(())
}

/// Runs of `path` by `n` clients, `rounds` each (after one warm-up run).
async fn runs(addr: SocketAddr, token: &str, path: &str, n: usize, rounds: usize) -> Result<Latencies> {
    Conn::open(addr)?.send("GET", path, token, None)?;
    let (p, t) = (path.to_string(), token.to_string());
    let lat = clients(addr, n, move |_, conn, lat| {
        if lat.len() >= rounds {
            return Ok(false);
        }
        let t0 = Instant::now();
        let (status, body) = conn.send("GET", &p, &t, None)?;
        if status != 200 {
            bail!("{p}: {status} {}", String::from_utf8_lossy(&body));
        }
        lat.push(t0.elapsed());
        Ok(true)
    })
    .await?;
    Ok(Latencies::new(lat))
}

/// Each report's default view over HTTP on `db`'s org 1: the engine's own time for the request in-process, the
/// same request over HTTP from one client (the difference is the server's overhead), and from `plan.clients`.
pub(crate) async fn reads(db: &Db, lake: &etl::Lake, plan: &Plan) -> Result<()> {
    let token = owner_token(db).await?;
    let server = Running::start(db, lake)?;
    println!(
        "{:<22} {:>10} {:>10} {:>9} {:>10} {:>10}   ({} runs each; p50 unless said)",
        "report",
        "engine",
        "HTTP, 1",
        "overhead",
        format!("HTTP, {}", plan.clients),
        format!("p99, {}", plan.clients),
        plan.rounds
    );
    for r in reports::catalog::all() {
        let path = format!("/api/v1/reports/{}/run", r.id);
        let mut engine = Vec::new();
        for _ in 0..plan.rounds.max(3) {
            let t0 = Instant::now();
            let snapshot = lake.snapshot().await?;
            let scope = reports::Scope::Org { org_id: 1, stores: None };
            let cx = reports::Context::at(&snapshot, scope, chrono::Utc::now()).await?;
            let req = reports::Request { report: r.id.to_string(), view: None, params: Default::default() };
            reports::prepare(&cx, &req).await?.collect().await?;
            engine.push(t0.elapsed());
        }
        let engine = Latencies::new(engine);
        let one = runs(server.addr, &token, &path, 1, plan.rounds).await?;
        let many = runs(server.addr, &token, &path, plan.clients, plan.rounds).await?;
        println!(
            "{:<22} {:>8.1}ms {:>8.1}ms {:>7.1}ms {:>8.1}ms {:>8.1}ms",
            r.id,
            engine.ms(0.5),
            one.ms(0.5),
            one.ms(0.5) - engine.ms(0.5),
            many.ms(0.5),
            many.ms(0.99)
        );
    }
    server.stop().await?;
    Ok(())
}

/// A lot deep enough for every sale of a soak, received by the operator at org 1's first store; (store, the lot,
/// a customer).
async fn soak_stock(db: &Db) -> Result<(i64, i64, i64)> {
    let ctx = oltp::Ctx::operator();
    let one = |sql: &'static str| async move { db.fetch_one(oltp::db::Q::new(sql)).await?.i64("n") };
    let store = one("select min(id) as n from stores where org_id = 1").await?;
    let customer = one("select min(id) as n from contacts where org_id = 1 and is_customer").await?;
    let run = |v: serde_json::Value| {
        let ctx = ctx.clone();
        async move { anyhow::Ok(oltp::execute(db, &ctx, &oltp::ops::parse(&v.to_string())?).await?.id) }
    };
    let style = run(json!({"op": "create_style", "org_id": 1, "style_no": format!("SOAK-{}", std::process::id()),
        "family": "jewelry", "category": "soak", "description": "Soak studs", "serialized": false,
        "retail_price": "100.00"}))
    .await?;
    let lot = run(json!({"op": "receive_stock", "org_id": 1, "store_id": store, "style_id": style,
        "qty": 1_000_000, "cost": "40000000.00"}))
    .await?;
    Ok((store, lot, customer))
}

/// Reads and writes mixed at `plan.rate` requests a second for `plan.soak`: errors, and resident memory sampled
/// every 10 s.
pub(crate) async fn soak(db: &Db, lake: &etl::Lake, plan: &Plan) -> Result<()> {
    let token = owner_token(db).await?;
    let (store, lot, customer) = soak_stock(db).await?;
    let server = Running::start(db, lake)?;
    let (addr, rate, soak) = (server.addr, plan.rate.max(1), plan.soak);
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        let start = Instant::now();
        while start.elapsed() < soak {
            tokio::time::sleep(Duration::from_secs(10)).await;
            samples.push((start.elapsed().as_secs(), super::status_mib("VmRSS:"), super::status_mib("RssAnon:")));
        }
        samples
    });
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let errs = errors.clone();
    let by_kind: Arc<std::sync::Mutex<std::collections::BTreeMap<&'static str, Vec<Duration>>>> = Arc::default();
    let kinds = by_kind.clone();
    let started = Instant::now();
    // an open schedule: request k is due at k / rate, whatever the earlier ones take, and enough client threads
    // take them that a slow answer does not hold the schedule back. A shop's day: of every 25 requests 16 sales,
    // 7 pages of the invoice list, one AR aging page and one quick find.
    let kind_of = |k: u64| match k % 25 {
        0 => "report",
        12 => "find",
        r if r % 3 == 0 => "invoices",
        _ => "sale",
    };
    let every = Duration::from_secs_f64(1.0 / f64::from(rate));
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let threads = (rate as usize / 2).clamp(4, 64);
    let lat = clients(addr, threads, move |_, conn, lat| {
        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let due = started + every.mul_f64(k as f64);
        if due.duration_since(started) >= soak || started.elapsed() >= soak {
            return Ok(false);
        }
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let n = k as i64;
        let t0 = Instant::now();
        let kind = kind_of(k);
        let (status, body) = match kind {
            "sale" => {
                let body = json!({"store_id": store, "customer_id": customer, "finalize": true,
                    "lines": [{"kind": "sale", "item_id": lot, "qty": 1 + n % 3, "unit_price": "100.00"}],
                    "payments": [{"method": "card"}]});
                conn.send("POST", "/api/v1/ops/create_invoice", &token, Some(&body.to_string()))?
            }
            "report" => conn.send("GET", "/api/v1/reports/ar_aging/run?limit=50", &token, None)?,
            "invoices" => conn.send("GET", &format!("/api/v1/invoices?offset={}", n % 100), &token, None)?,
            _ => conn.send("GET", "/api/v1/find?q=an", &token, None)?,
        };
        if status != 200 {
            errs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            eprintln!("{kind}: {status} {}", String::from_utf8_lossy(&body));
        }
        let took = t0.elapsed();
        lat.push(took);
        if let Ok(mut m) = kinds.lock() {
            m.entry(kind).or_default().push(took);
        }
        Ok(true)
    })
    .await?;
    let samples = sampler.await?;
    server.stop().await?;
    let l = Latencies::new(lat);
    println!(
        "soak: {} requests in {:.0} s ({:.1}/s), {} errors; p50 {:.1} ms, p99 {:.1} ms",
        l.0.len(),
        started.elapsed().as_secs_f64(),
        l.0.len() as f64 / started.elapsed().as_secs_f64(),
        errors.load(std::sync::atomic::Ordering::Relaxed),
        l.ms(0.5),
        l.ms(0.99)
    );
    let by_kind = std::mem::take(&mut *by_kind.lock().map_err(|_| anyhow::anyhow!("latencies lock poisoned"))?);
    for (kind, lat) in by_kind {
        let l = Latencies::new(lat);
        println!("  {kind:<9} {:>6} requests; p50 {:.1} ms, p99 {:.1} ms", l.0.len(), l.ms(0.5), l.ms(0.99));
    }
    println!(
        "resident memory every 10 s, MiB (all / anonymous — the heap, without the books' file pages mapped by the \
         readers): {}",
        samples.iter().map(|(s, m, a)| format!("{s}s {m:.0}/{a:.0}")).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
