//! `loupe bench report`: warm latency and peak memory of each report over the lake (DataFusion), side by side
//! with the same report written as SQL on the SQLite books and as SQL in DuckDB over the same lake files — and
//! the three engines' totals, which must agree.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use etl::Lake;
use oltp::Db;
use oltp::db::Q;
use reports::{Request, Scope};
use warehouse::arrow::array::AsArray;
use warehouse::arrow::compute::cast;
use warehouse::arrow::datatypes::{DataType, Int64Type};

/// One report timed three ways.
struct Case {
    report: &'static str,
    view: &'static str,
    params: Vec<(&'static str, String)>,
    /// The footer column whose total the engines must agree on.
    total: &'static str,
    /// The same report over the books (SQLite), and over the lake in DuckDB; each returns a `total` column.
    sqlite: Option<String>,
    duckdb: Option<String>,
}

/// Peak resident memory since the last reset, in MiB (Linux: VmHWM, reset through clear_refs).
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// Runs the benchmark: `rounds` warm runs of each report after one to warm up.
pub(crate) async fn run(db: &Db, lake: &Lake, rounds: usize) -> Result<()> {
    let snapshot = lake.snapshot().await?;
    let ctx = snapshot.session(&Scope::Operator).await?;
    let b = ctx.sql("select min(org_id) as org, max(invoice_date) as last from invoice").await?.collect().await?;
    let Some(first) = b.iter().find(|b| b.num_rows() > 0) else { bail!("the lake has no invoices: run a demo first") };
    let org = first.column(0).as_primitive::<Int64Type>().value(0);
    let last = cast(first.column(1), &DataType::Utf8)?.as_string::<i32>().value(0).to_string();
    let end = chrono::NaiveDate::parse_from_str(&last, "%Y-%m-%d")?;
    let year_ago = (end - chrono::Days::new(364)).to_string();
    let lines: i64 = ctx.sql("select count(*) from sales_line").await?.collect().await?[0]
        .column(0)
        .as_primitive::<Int64Type>()
        .value(0);
    let scope = Scope::Org { org_id: org, stores: None };
    let cx = reports::Context::new(&snapshot, scope.clone(), end, String::new()).await?;
    let duck = snapshot.duckdb(&scope).await?;
    println!("org {org}, {lines} invoice lines in the lake, as of {end}; {rounds} warm runs each (median, p95)");
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>7} {:>11} {:>11} {:>9} {:>9}  totals (DataFusion / SQLite / DuckDB)",
        "report", "DF ms", "DF p95", "peak MiB", "rows", "SQLite ms", "DuckDB ms", "×SQLite", "×DuckDB"
    );
    for case in cases(org, &last, &year_ago) {
        let req = Request {
            report: case.report.into(),
            view: Some(case.view.into()),
            params: case.params.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect(),
        };
        let first = reports::run(&cx, &req).await?;
        let mut times = Vec::with_capacity(rounds);
        reset_peak();
        for _ in 0..rounds {
            let t = Instant::now();
            let o = reports::run(&cx, &req).await?;
            times.push(t.elapsed());
            std::hint::black_box(o.rows);
        }
        let peak = peak_mib();
        let df = median(times.clone());
        times.sort();
        let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
        let total = first.total(case.total).plain();
        let (mut sqlite_ms, mut duck_ms, mut x_sqlite, mut x_duck) =
            ("—".to_string(), "—".to_string(), "—".to_string(), "—".to_string());
        let (mut sqlite_total, mut duck_total) = ("—".to_string(), "—".to_string());
        if let Some(sql) = &case.sqlite {
            let mut t = Vec::new();
            for _ in 0..rounds.min(3) {
                let s = Instant::now();
                let rows =
                    db.fetch_all(Q::built(sql.clone())).await.with_context(|| format!("SQLite {}", case.report))?;
                t.push(s.elapsed());
                sqlite_total = rows.first().map(|r| r.i64("total").map(cents).unwrap_or_default()).unwrap_or_default();
            }
            let m = median(t);
            sqlite_ms = ms(m);
            x_sqlite = format!("{:.0}", m.as_secs_f64() / df.as_secs_f64());
        }
        if let Some(sql) = &case.duckdb {
            let _ = warehouse::duck::query(&duck, sql)?;
            let mut t = Vec::new();
            for _ in 0..rounds {
                let s = Instant::now();
                let out = warehouse::duck::query(&duck, sql).with_context(|| format!("DuckDB {}", case.report))?;
                t.push(s.elapsed());
                if let Some(b) = out.iter().find(|b| b.num_rows() > 0) {
                    let c = cast(b.column_by_name("total").context("no total column")?, &DataType::Utf8)?;
                    duck_total = c.as_string::<i32>().value(0).to_string();
                }
            }
            let m = median(t);
            duck_ms = ms(m);
            x_duck = format!("{:.1}", m.as_secs_f64() / df.as_secs_f64());
        }
        println!(
            "{:<22} {:>9} {:>9} {:>9.0} {:>7} {:>11} {:>11} {:>9} {:>9}  {total} / {sqlite_total} / {duck_total}",
            format!("{}.{}", case.report, case.view),
            ms(df),
            ms(p95),
            peak,
            first.rows,
            sqlite_ms,
            duck_ms,
            x_sqlite,
            x_duck
        );
    }
    Ok(())
}

fn cents(c: i64) -> String {
    let sign = if c < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", c.unsigned_abs() / 100, c.unsigned_abs() % 100)
}

fn cases(org: i64, d: &str, from: &str) -> Vec<Case> {
    let p = |kv: &[(&'static str, &str)]| kv.iter().map(|(k, v)| (*k, (*v).to_string())).collect::<Vec<_>>();
    vec![
        Case {
            report: "ar_aging",
            view: "summary",
            params: p(&[("as_of", d)]),
            total: "net",
            sqlite: Some(ar_sql(org, d, Engine::Sqlite)),
            duckdb: Some(ar_sql(org, d, Engine::Duck)),
        },
        Case {
            report: "gross_profit",
            view: "summary",
            params: p(&[("from", from), ("to", d), ("as_of", d), ("by", "family")]),
            total: "revenue",
            sqlite: Some(gp_sql(org, from, d, Engine::Sqlite)),
            duckdb: Some(gp_sql(org, from, d, Engine::Duck)),
        },
        Case {
            report: "inventory_valuation",
            view: "summary",
            params: p(&[("as_of", d)]),
            total: "cost",
            sqlite: Some(valuation_sql(org, Engine::Sqlite)),
            duckdb: Some(valuation_sql(org, Engine::Duck)),
        },
        Case {
            report: "inventory_aging",
            view: "summary",
            params: p(&[("as_of", d)]),
            total: "cost",
            sqlite: None,
            duckdb: None,
        },
        Case {
            report: "memo_aging",
            view: "summary",
            params: p(&[("as_of", d)]),
            total: "retail",
            sqlite: None,
            duckdb: None,
        },
        Case {
            report: "memo_liability",
            view: "lines",
            params: p(&[("as_of", d)]),
            total: "retail",
            sqlite: None,
            duckdb: None,
        },
        Case {
            report: "memo_conversion",
            view: "summary",
            params: p(&[("from", from), ("to", d)]),
            total: "issued",
            sqlite: None,
            duckdb: None,
        },
        Case {
            report: "pricing_realization",
            view: "summary",
            params: p(&[("from", from), ("to", d), ("as_of", d)]),
            total: "net",
            sqlite: None,
            duckdb: None,
        },
        Case {
            report: "rfm",
            view: "customers",
            params: p(&[("as_of", d)]),
            total: "monetary",
            sqlite: None,
            duckdb: None,
        },
    ]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Duck,
}

/// Table and money names in each engine: the books keep cents in `*_cents` columns of plural tables.
fn names(e: Engine) -> impl Fn(&str) -> String {
    move |n: &str| {
        let (books, lake) = match n {
            "invoice" => ("invoices", "invoice"),
            "app" => ("payment_applications", "payment_application"),
            "write_off" => ("write_offs", "write_off"),
            "payment" => ("payments", "payment"),
            "credit" => ("store_credit_entries", "store_credit_entry"),
            "contact" => ("contacts", "contact"),
            "line" => ("invoice_lines", "sales_line"),
            "item" => ("items", "item"),
            "style" => ("styles", "style"),
            "item_cost" => ("item_costs", "item_cost"),
            "cents" => ("_cents", ""),
            other => (other, other),
        };
        if e == Engine::Sqlite { books.to_string() } else { lake.to_string() }
    }
}

/// Money as a decimal in either engine (the books' cents divided by 100 only at the very end).
fn total_expr(e: Engine, expr: &str) -> String {
    if e == Engine::Sqlite { format!("cast({expr} as integer)") } else { format!("cast({expr} as decimal(18, 2))") }
}

fn ar_sql(org: i64, d: &str, e: Engine) -> String {
    let n = names(e);
    let c = n("cents");
    let age = if e == Engine::Sqlite {
        format!("cast(julianday('{d}') - julianday(i.invoice_date) as integer)")
    } else {
        format!("date '{d}' - i.invoice_date")
    };
    let d = if e == Engine::Sqlite { format!("'{d}'") } else { format!("date '{d}'") };
    format!(
        "with inv as (
           select i.customer_id, {age} as age, i.total{c} - coalesce(a.v, 0) - coalesce(w.v, 0) as bal
           from {invoice} i
           left join (select invoice_id, sum(amount{c}) as v from {app} where applied_on <= {d}
                      and (voided_on is null or voided_on > {d}) group by invoice_id) a on a.invoice_id = i.id
           left join (select invoice_id, sum(amount{c}) as v from {wo} where written_on <= {d}
                      and (voided_on is null or voided_on > {d}) group by invoice_id) w on w.invoice_id = i.id
           where i.org_id = {org} and i.status in ('finalized', 'voided') and i.finalized_on <= {d}
             and (i.voided_on is null or i.voided_on > {d})
         ),
         applied as (select payment_id, sum(amount{c}) as v from {app} where applied_on <= {d}
                     and (voided_on is null or voided_on > {d}) group by payment_id),
         refunded as (select refund_of_payment_id as payment_id, sum(amount{c}) as v from {payment}
                      where direction = 'out' and refund_of_payment_id is not null and paid_on <= {d}
                        and (voided_on is null or voided_on > {d}) group by refund_of_payment_id),
         un as (select p.customer_id, p.amount{c} - coalesce(a.v, 0) - coalesce(r.v, 0) as v
                from {payment} p left join applied a on a.payment_id = p.id left join refunded r on r.payment_id = p.id
                where p.org_id = {org} and p.direction = 'in' and p.paid_on <= {d} and (p.voided_on is null or p.voided_on > {d})),
         cred as (select customer_id, sum(v) as v from (
                    select customer_id, bal as v from inv where bal < 0
                    union all select customer_id, -v from un
                    union all select customer_id, -amount{c} from {credit} where org_id = {org} and entry_date <= {d}
                  ) x group by customer_id),
         owed as (select customer_id,
                    sum(case when bal > 0 and age <= 30 then bal else 0 end) as b1,
                    sum(case when bal > 0 and age > 30 and age <= 60 then bal else 0 end) as b2,
                    sum(case when bal > 0 and age > 60 and age <= 90 then bal else 0 end) as b3,
                    sum(case when bal > 0 and age > 90 then bal else 0 end) as b4,
                    sum(case when bal > 0 then bal else 0 end) as open
                  from inv group by customer_id),
         who as (select customer_id from owed union select customer_id from cred),
         per as (select c.name, o.b1, o.b2, o.b3, o.b4, coalesce(o.open, 0) as open, coalesce(k.v, 0) as credits,
                        coalesce(o.open, 0) + coalesce(k.v, 0) as net
                 from who w join {contact} c on c.id = w.customer_id left join owed o on o.customer_id = w.customer_id
                      left join cred k on k.customer_id = w.customer_id
                 where coalesce(o.open, 0) <> 0 or coalesce(k.v, 0) <> 0)
         select count(*) as customers, {total} as total from per",
        invoice = n("invoice"),
        app = n("app"),
        wo = n("write_off"),
        payment = n("payment"),
        credit = n("credit"),
        contact = n("contact"),
        total = total_expr(e, "sum(net)"),
    )
}

fn gp_sql(org: i64, from: &str, d: &str, e: Engine) -> String {
    let n = names(e);
    let c = n("cents");
    let q = |x: &str| if e == Engine::Sqlite { format!("'{x}'") } else { format!("date '{x}'") };
    let serialized = if e == Engine::Sqlite { "it.serialized = 1" } else { "it.serialized" };
    format!(
        "with extra as (select item_id, sum(amount{c}) as v from {item_cost} where cost_date <= {dd} group by item_id),
         g as (
           select s.family, l.amount{c} - l.trade_concession{c} as revenue,
                  case when l.kind = 'misc' then 0
                       when {serialized} and l.kind in ('sale', 'return')
                         then (case when l.qty < 0 then -1 else 1 end) * (it.base_cost{c} + coalesce(x.v, 0))
                       else l.cost{c} end as cost
           from {line} l join {invoice} i on i.id = l.invoice_id
                left join {item} it on it.id = l.item_id left join {style} s on s.id = coalesce(l.style_id, it.style_id)
                left join extra x on x.item_id = l.item_id
           where i.org_id = {org} and i.status in ('finalized', 'voided') and i.finalized_on <= {dd}
             and (i.voided_on is null or i.voided_on > {dd}) and i.invoice_date >= {ff} and i.invoice_date <= {dd}
             and l.kind in ('sale', 'return', 'service', 'misc')
         ),
         per as (select family, sum(revenue) as revenue, sum(cost) as cost from g group by family)
         select count(*) as families, {total} as total from per",
        dd = q(d),
        ff = q(from),
        item_cost = n("item_cost"),
        line = n("line"),
        invoice = n("invoice"),
        item = n("item"),
        style = n("style"),
        total = total_expr(e, "sum(revenue)"),
    )
}

fn valuation_sql(org: i64, e: Engine) -> String {
    let n = names(e);
    let c = n("cents");
    let (held, cost) = if e == Engine::Sqlite {
        (
            "select it.id as item_id, it.qty_on_hand + it.qty_on_memo as qty, it.pool_cost_cents as ledger
             from items it"
                .to_string(),
            "it.serialized = 1",
        )
    } else {
        ("select item_id, sum(qty_delta + memo_delta) as qty, sum(cost) as ledger from stock_movement group by item_id"
            .to_string(), "it.serialized")
    };
    format!(
        "with held as ({held}),
         extra as (select item_id, sum(amount{c}) as v from {item_cost} group by item_id),
         k as (select s.family, h.qty,
                      case when {cost} then (it.base_cost{c} + coalesce(x.v, 0)) * h.qty else h.ledger end as cost
               from held h join {item} it on it.id = h.item_id join {style} s on s.id = it.style_id
                    left join extra x on x.item_id = it.id
               where it.org_id = {org} and it.ownership = 'owned' and h.qty <> 0),
         per as (select family, sum(qty) as qty, sum(cost) as cost from k group by family)
         select count(*) as families, {total} as total from per",
        item_cost = n("item_cost"),
        item = n("item"),
        style = n("style"),
        total = total_expr(e, "sum(cost)"),
    )
}
