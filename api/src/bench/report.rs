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
    super::status_mib("VmHWM:")
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

/// Runs the benchmark: `rounds` warm runs of each report (of `only`, when it names any) after one to warm up,
/// beside DuckDB and (when `sqlite`) SQLite.
pub(crate) async fn run(db: &Db, lake: &Lake, rounds: usize, only: &[String], sqlite: bool) -> Result<()> {
    let all = cases(0, "", "", "");
    if let Some(unknown) = only.iter().find(|r| !all.iter().any(|c| c.report == r.as_str())) {
        let known: Vec<&str> = all.iter().map(|c| c.report).collect();
        bail!("--report: no report {unknown:?} in the benchmark (it has {})", known.join(", "));
    }
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
    // RFM's default lookback, as the report takes it: three years back from the as-of date
    let rfm_from = end.checked_sub_months(chrono::Months::new(36)).unwrap_or(chrono::NaiveDate::MIN).to_string();
    for case in cases(org, &last, &year_ago, &rfm_from) {
        if !only.is_empty() && !only.iter().any(|r| r == case.report) {
            continue;
        }
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
        if let Some(sql) = case.sqlite.as_ref().filter(|_| sqlite) {
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
            x_sqlite = format!("{:.1}", m.as_secs_f64() / df.as_secs_f64());
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

/// The cases, as of `d`; periods from `from`, and RFM's default window from `rfm_from` (excluded).
fn cases(org: i64, d: &str, from: &str, rfm_from: &str) -> Vec<Case> {
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
            total: "our_gp",
            sqlite: Some(gp_sql(org, from, d, Engine::Sqlite)),
            duckdb: Some(gp_sql(org, from, d, Engine::Duck)),
        },
        Case {
            report: "inventory_valuation",
            view: "summary",
            params: p(&[("as_of", d)]),
            total: "cost",
            sqlite: Some(valuation_sql(org, d, Engine::Sqlite)),
            duckdb: Some(valuation_sql(org, d, Engine::Duck)),
        },
        Case {
            report: "inventory_aging",
            view: "summary",
            params: p(&[("as_of", d)]),
            total: "cost",
            sqlite: Some(aging_sql(org, d, Engine::Sqlite)),
            duckdb: Some(aging_sql(org, d, Engine::Duck)),
        },
        Case {
            report: "memo_aging",
            view: "summary",
            params: p(&[("as_of", d)]),
            total: "retail",
            sqlite: Some(memo_aging_sql(org, d, Engine::Sqlite)),
            duckdb: Some(memo_aging_sql(org, d, Engine::Duck)),
        },
        Case {
            report: "memo_liability",
            view: "lines",
            params: p(&[("as_of", d)]),
            total: "retail",
            sqlite: Some(memo_liability_sql(org, d, Engine::Sqlite)),
            duckdb: Some(memo_liability_sql(org, d, Engine::Duck)),
        },
        Case {
            report: "memo_conversion",
            view: "summary",
            params: p(&[("from", from), ("to", d), ("as_of", d)]),
            total: "issued",
            sqlite: Some(memo_conversion_sql(org, from, d, Engine::Sqlite)),
            duckdb: Some(memo_conversion_sql(org, from, d, Engine::Duck)),
        },
        Case {
            report: "pricing_realization",
            view: "summary",
            params: p(&[("from", from), ("to", d), ("as_of", d)]),
            total: "net",
            sqlite: Some(realization_sql(org, from, d, Engine::Sqlite)),
            duckdb: Some(realization_sql(org, from, d, Engine::Duck)),
        },
        Case {
            report: "rfm",
            view: "customers",
            params: p(&[("as_of", d)]),
            total: "monetary",
            sqlite: Some(rfm_sql(org, rfm_from, d, Engine::Sqlite, false)),
            duckdb: Some(rfm_sql(org, rfm_from, d, Engine::Duck, false)),
        },
        Case {
            report: "rfm",
            view: "segments",
            params: p(&[("as_of", d)]),
            total: "monetary",
            sqlite: Some(rfm_sql(org, rfm_from, d, Engine::Sqlite, true)),
            duckdb: Some(rfm_sql(org, rfm_from, d, Engine::Duck, true)),
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
            "stock_movement" => ("stock_movements", "stock_movement"),
            "cost_layer" => ("cost_layers", "cost_layer"),
            "memo_line_event" => ("memo_line_events", "memo_line_event"),
            "work_order" => ("work_orders", "work_order"),
            "partnership" => ("partnerships", "partnership"),
            "user" => ("users", "\"user\""),
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

/// `extra` and `lines`: the lines of `kinds` of the invoices counted on `d` (finalized, not voided) dated from
/// `from` to `d`, with salesperson, family, revenue and live cost in cents, as the report reads them: in the
/// books through the invoices and items, in the lake from the line's own copies of their facts.
fn sales_lines_sql(org: i64, from: &str, d: &str, e: Engine, kinds: &str) -> String {
    let n = names(e);
    let c = n("cents");
    let (dd, ff) = (day(e, d), day(e, from));
    let counted = |a: &str| {
        format!(
            "{a}.org_id = {org} and {a}.status in ('finalized', 'voided') and {a}.finalized_on <= {dd}
             and ({a}.voided_on is null or {a}.voided_on > {dd}) and {a}.invoice_date >= {ff} and {a}.invoice_date <= {dd}"
        )
    };
    // (lines joined to what they need, counted, serialized, base cost, style, salesperson, a service's bench cost)
    let (from_lines, counted, serialized, base_cost, style, salesperson, bench) = if e == Engine::Sqlite {
        (
            "invoice_lines l join invoices i on i.id = l.invoice_id left join items it on it.id = l.item_id",
            counted("i"),
            "coalesce(it.serialized, 0) = 1",
            "it.base_cost_cents",
            "coalesce(l.style_id, it.style_id)",
            "i.salesperson_id",
            "case when l.work_order_id is null then l.cost_cents
                  else (select coalesce(sum(w.amount_cents), 0) from work_order_costs w
                        where w.work_order_id = l.work_order_id) end",
        )
    } else {
        (
            "sales_line l left join work_order wo on wo.id = l.work_order_id",
            counted("l"),
            "coalesce(l.serialized, false)",
            "l.base_cost",
            "coalesce(l.style_id, l.item_style_id)",
            "l.salesperson_id",
            "coalesce(wo.bench_cost, l.cost)",
        )
    };
    let cents = |x: &str| if e == Engine::Sqlite { x.to_string() } else { format!("cast(({x}) * 100 as bigint)") };
    let cost = format!(
        "case when l.kind = 'misc' then 0
              when l.kind = 'service' then {bench}
              when {serialized} and l.kind in ('sale', 'return')
                then (case when l.qty < 0 then -1 else 1 end) * ({base_cost} + coalesce(x.v, 0))
              else l.cost{c} end"
    );
    format!(
        "extra as (select item_id, sum(amount{c}) as v from {item_cost} where cost_date <= {dd} group by item_id),
         lines as (
           select l.id, l.kind, l.item_id, {salesperson} as salesperson_id, s.family, l.qty, {serialized} as serialized,
                  {list_price} as list_price, {revenue} as revenue, {cost_cents} as cost
           from {from_lines} left join {style} s on s.id = {style_of}
                left join extra x on x.item_id = l.item_id
           where {counted} and l.kind in ({kinds})
         )",
        item_cost = n("item_cost"),
        style = n("style"),
        style_of = style,
        list_price = cents(&format!("l.list_price{c}")),
        revenue = cents(&format!("l.amount{c} - l.trade_concession{c}")),
        cost_cents = cents(&cost),
    )
}

/// Money in cents summed: whole cents from SQLite, a decimal from DuckDB, as the bench prints them.
fn cents_total(e: Engine, expr: &str) -> String {
    if e == Engine::Sqlite {
        format!("cast({expr} as integer)")
    } else {
        format!("cast(cast({expr} as decimal(38, 0)) * cast(0.01 as decimal(3, 2)) as decimal(18, 2))")
    }
}

fn gp_sql(org: i64, from: &str, d: &str, e: Engine) -> String {
    let n = names(e);
    let (ppm, basis) = if e == Engine::Sqlite {
        ("p.share_ppm", "p.cost_basis_cents")
    } else {
        ("cast(p.share * 10000 as bigint)", "cast(p.cost_basis * 100 as bigint)")
    };
    let q = div(e);
    // a partner's part of `x` cents: x × ppm ÷ 1,000,000, rounded half away from zero, per partner
    let part = |x: &str| {
        format!(
            "(case when ({x}) * r.ppm >= 0 then (({x}) * r.ppm + 500000) {q} 1000000
                   else -((-(({x}) * r.ppm) + 500000) {q} 1000000) end)"
        )
    };
    let gp = "(r.revenue - r.cost)";
    let basis_of =
        "(case when r.basis is null then r.cost else (case when r.qty < 0 then -1 else 1 end) * r.basis end)";
    format!(
        "with {lines},
         partner as (
           select item_id, kind, {ppm} as ppm, {basis} as basis,
                  row_number() over (partition by item_id order by id) as nth
           from {partnership} p where org_id = {org}
         ),
         r as (
           select ln.family, ln.qty, ln.revenue, ln.cost, coalesce(p.nth, 1) = 1 as first_row, p.kind, p.ppm, p.basis
           from lines ln left join partner p
             on p.item_id = case when ln.serialized and ln.kind in ('sale', 'return') then ln.item_id end
         ),
         per as (
           select r.family, sum(case when r.first_row then {gp} else 0 end) as gp,
                  sum(case when r.ppm is null then 0 else {gp_part} end) as partner_gp,
                  sum(case when r.ppm is null then 0
                           else (case when r.kind = 'owner' then {basis_part} else 0 end) + {gp_part} end) as payouts
           from r group by r.family
         )
         select count(*) as families, {payouts} as payouts, {total} as total from per",
        lines = sales_lines_sql(org, from, d, e, "'sale', 'return', 'service', 'misc'"),
        partnership = n("partnership"),
        gp_part = part(gp),
        basis_part = part(basis_of),
        payouts = cents_total(e, "sum(payouts)"),
        total = cents_total(e, "sum(gp) - sum(partner_gp)"),
    )
}

/// `(item_id, store_id, qty, ledger)` held on `d`, as the report takes it: the stock records' current figures
/// rolled back by the moves dated after `d`.
fn held_sql(org: i64, d: &str, e: Engine) -> String {
    let n = names(e);
    let c = n("cents");
    format!(
        "select item_id, store_id, sum(qty) as qty, sum(ledger) as ledger from (
           select id as item_id, store_id, qty_on_hand + qty_on_memo as qty, pool_cost{c} as ledger
           from {item} where org_id = {org}
           union all
           select item_id, store_id, -(qty_delta + memo_delta), -cost{c} from {stock_movement}
           where org_id = {org} and moved_on > {dd}
         ) p group by item_id, store_id",
        item = n("item"),
        stock_movement = n("stock_movement"),
        dd = day(e, d),
    )
}

/// `(item_id, store_id, layer_id, qty, cost)` left in each cost layer on `d`, rolled back the same way (a layer
/// move carries its movement's item, store and date in the lake).
fn layers_sql(org: i64, d: &str, e: Engine) -> String {
    let (layers, moves) = if e == Engine::Sqlite {
        (
            "select cl.item_id, it.store_id, cl.id as layer_id, cl.qty_remaining as qty, cl.cost_remaining_cents as cost
             from cost_layers cl join items it on it.id = cl.item_id where cl.org_id = {org}",
            "select m.item_id, m.store_id, lm.layer_id, -lm.qty, -lm.cost_cents
             from layer_moves lm join stock_movements m on m.id = lm.movement_id where lm.org_id = {org} and m.moved_on > {dd}",
        )
    } else {
        (
            "select item_id, store_id, id as layer_id, qty_remaining as qty, cost_remaining as cost
             from cost_layer where org_id = {org}",
            "select item_id, store_id, layer_id, -qty, -cost from layer_move where org_id = {org} and moved_on > {dd}",
        )
    };
    let fill = |q: &str| q.replace("{org}", &org.to_string()).replace("{dd}", &day(e, d));
    format!(
        "select item_id, store_id, layer_id, sum(qty) as qty, sum(cost) as cost from ({} union all {}) p
         group by item_id, store_id, layer_id",
        fill(layers),
        fill(moves)
    )
}

fn valuation_sql(org: i64, d: &str, e: Engine) -> String {
    let n = names(e);
    let c = n("cents");
    format!(
        "with held as ({held}),
         extra as (select item_id, sum(amount{c}) as v from {item_cost} where cost_date <= {dd} group by item_id),
         k as (select s.family, h.qty,
                      case when {serialized} then (it.base_cost{c} + coalesce(x.v, 0)) * h.qty else h.ledger end as cost
               from held h join {item} it on it.id = h.item_id join {style} s on s.id = it.style_id
                    left join extra x on x.item_id = it.id
               where it.org_id = {org} and it.ownership = 'owned' and h.qty <> 0),
         per as (select family, sum(qty) as qty, sum(cost) as cost from k group by family)
         select count(*) as families, {total} as total from per",
        held = held_sql(org, d, e),
        dd = day(e, d),
        item_cost = n("item_cost"),
        item = n("item"),
        style = n("style"),
        serialized = is(e, "it.serialized"),
        total = total_expr(e, "sum(cost)"),
    )
}

/// A date literal.
fn day(e: Engine, d: &str) -> String {
    if e == Engine::Sqlite { format!("'{d}'") } else { format!("date '{d}'") }
}

/// Whole days from the date `col` to the day `d`.
fn days_to(e: Engine, d: &str, col: &str) -> String {
    if e == Engine::Sqlite {
        format!("cast(julianday('{d}') - julianday({col}) as integer)")
    } else {
        format!("(date '{d}' - {col})")
    }
}

/// A flag as a condition (the books keep booleans as 0 and 1).
fn is(e: Engine, col: &str) -> String {
    if e == Engine::Sqlite { format!("{col} = 1") } else { col.to_string() }
}

/// Integer division (DuckDB's `/` divides as a double).
fn div(e: Engine) -> &'static str {
    if e == Engine::Sqlite { "/" } else { "//" }
}

/// `a ÷ b` in whole numbers, rounded half away from zero (as a decimal cast to cents rounds).
fn round_div(e: Engine, a: &str, b: &str) -> String {
    let q = format!("(2 * abs({a}) + abs({b})) {} (2 * abs({b}))", div(e));
    format!("(case when ({a} < 0) = ({b} < 0) then {q} else -({q}) end)")
}

/// The age bucket of `age` (days) by ascending edges, as the reports' buckets cut it: its key, or its label.
fn bucket(age: &str, edges: &[i64], label: bool) -> String {
    let mut s = String::from("case");
    let mut lo = 0;
    for (i, hi) in edges.iter().enumerate() {
        let v = if label { format!("{lo}–{hi}") } else { format!("b{}", i + 1) };
        s.push_str(&format!(" when {age} <= {hi} then '{v}'"));
        lo = hi + 1;
    }
    let v = if label { format!("{lo}+") } else { format!("b{}", edges.len() + 1) };
    s.push_str(&format!(" else '{v}' end"));
    s
}

fn aging_sql(org: i64, d: &str, e: Engine) -> String {
    let n = names(e);
    let c = n("cents");
    let dd = day(e, d);
    let age = days_to(e, d, "p.acquired");
    format!(
        "with held as (select * from ({held}) h where qty <> 0),
         extra as (select item_id, sum(amount{c}) as v from {item_cost} where org_id = {org} and cost_date <= {dd}
                   group by item_id),
         layers as (select * from ({layers}) l where qty <> 0),
         parts as (
           select it.id, h.store_id, it.acquired_on as acquired, h.qty,
                  (it.base_cost{c} + coalesce(x.v, 0)) * h.qty as cost, h.qty * it.retail_price{c} as retail
           from held h join {item} it on it.id = h.item_id left join extra x on x.item_id = it.id
           where {serialized} and it.ownership = 'owned'
           union all
           select it.id, l.store_id, cl.acquired_on, l.qty, l.cost, l.qty * it.retail_price{c}
           from layers l join {item} it on it.id = l.item_id join {cost_layer} cl on cl.id = l.layer_id
           where not ({serialized}) and it.ownership = 'owned'
         ),
         aged as (
           select p.*, {age} as age, case when p.acquired is null then 'none' else {key} end as bucket_key
           from parts p join {item} it on it.id = p.id join {style} s on s.id = it.style_id
         ),
         per as (select bucket_key, count(distinct id) as items, sum(qty) as qty, sum(cost) as cost,
                        sum(retail) as retail
                 from aged group by bucket_key)
         select count(*) as buckets, (select count(distinct id) from aged) as items, sum(qty) as qty,
                {retail} as retail, {total} as total
         from per",
        held = held_sql(org, d, e),
        layers = layers_sql(org, d, e),
        item_cost = n("item_cost"),
        item = n("item"),
        cost_layer = n("cost_layer"),
        style = n("style"),
        serialized = is(e, "it.serialized"),
        key = bucket(&age, &[90, 180, 365], false),
        retail = total_expr(e, "sum(retail)"),
        total = total_expr(e, "sum(cost)"),
    )
}

/// The memo reports' `lines`: every memo line dated on or before `on` (`more` narrows them), with its status
/// then from its last event on or before it.
fn memo_lines_cte(org: i64, on: &str, more: &str, e: Engine) -> String {
    let n = names(e);
    let memo_line = if e == Engine::Sqlite {
        "(select l.org_id, l.id, l.memo_id, m.memo_no, m.memo_date, m.store_id, m.customer_id, l.item_id, l.qty,
                 l.memo_price_cents as memo_price
          from memo_lines l join memos m on m.id = l.memo_id)"
    } else {
        "memo_line"
    };
    format!(
        "last_event as (
           select memo_line_id, event, event_date from (
             select memo_line_id, event, event_date,
                    row_number() over (partition by memo_line_id order by event_date desc, id desc) as rn
             from {event} where org_id = {org} and event_date <= {dd}
           ) e where rn = 1
         ),
         lines as (
           select l.id, l.memo_no, l.memo_date, l.customer_id, l.item_id, l.qty, l.qty * l.memo_price as retail,
                  case e.event when 'invoice' then 'invoiced' when 'return' then 'returned' else 'out' end as status,
                  coalesce(e.event_date, l.memo_date) as changed_on
           from {memo_line} l left join last_event e on e.memo_line_id = l.id
           where l.org_id = {org} and l.memo_date <= {dd}{more}
         )",
        event = n("memo_line_event"),
        dd = day(e, on),
    )
}

fn memo_aging_sql(org: i64, d: &str, e: Engine) -> String {
    let edges = [30, 60, 90];
    let key = bucket(&days_to(e, d, "l.memo_date"), &edges, false);
    let keys: Vec<String> = (1..=edges.len() + 1).map(|i| format!("b{i}")).collect();
    let sums: String =
        keys.iter().map(|k| format!("sum(case when {key} = '{k}' then l.retail else 0 end) as {k}, ")).collect();
    let totals: String = keys.iter().map(|k| format!("{} as {k}, ", total_expr(e, &format!("sum({k})")))).collect();
    format!(
        "with {lines},
         per as (
           select l.customer_id, c.name as customer, {sums} sum(l.retail) as retail, count(*) as lines
           from lines l join {contact} c on c.id = l.customer_id
           where l.status = 'out'
           group by l.customer_id, c.name
         )
         select count(*) as customers, {totals} sum(lines) as lines, {total} as total from per",
        lines = memo_lines_cte(org, d, "", e),
        contact = names(e)("contact"),
        total = total_expr(e, "sum(retail)"),
    )
}

fn memo_liability_sql(org: i64, d: &str, e: Engine) -> String {
    let n = names(e);
    let c = n("cents");
    let dd = day(e, d);
    let age = days_to(e, d, "l.memo_date");
    // a lot's cost is its cost on the date ÷ its units then, rounded to the cent once multiplied by the quantity
    let lot = if e == Engine::Sqlite {
        round_div(e, "l.qty * u.lot_cost", "u.units")
    } else {
        let cents = round_div(e, "l.qty * cast(u.lot_cost * 100 as bigint)", "u.units");
        format!("cast({cents} as decimal(18, 0)) * cast(0.01 as decimal(3, 2))")
    };
    format!(
        "with {lines},
         unit_cost as (
           select it.id as item_id, it.serialized, it.base_cost{c} + coalesce(ac.v, 0) as piece, lot.cost as lot_cost,
                  lot.units
           from {item} it
           left join (select item_id, sum(amount{c}) as v from {item_cost}
                      where cost_date <= {dd} and item_id in (select item_id from lines) group by item_id) ac
             on ac.item_id = it.id
           left join (select item_id, sum(cost{c}) as cost, sum(qty_delta + memo_delta) as units from {stock_movement}
                      where moved_on <= {dd} and item_id in (select item_id from lines) group by item_id) lot
             on lot.item_id = it.id
           where it.id in (select item_id from lines)
         ),
         per as (
           select l.customer_id, l.memo_no, l.memo_date, c.name as customer, it.stock_no, s.description, s.family,
                  l.qty, {age} as age, {label} as bucket,
                  case when {serialized} then l.qty * u.piece when u.units <> 0 then {lot} else 0 end as cost,
                  l.retail
           from lines l join {contact} c on c.id = l.customer_id join {item} it on it.id = l.item_id
                join {style} s on s.id = it.style_id left join unit_cost u on u.item_id = l.item_id
           where l.status = 'out'
         )
         select count(*) as lines, {cost} as cost, {total} as total from per",
        lines = memo_lines_cte(org, d, "", e),
        item = n("item"),
        item_cost = n("item_cost"),
        stock_movement = n("stock_movement"),
        contact = n("contact"),
        style = n("style"),
        serialized = is(e, "u.serialized"),
        label = bucket(&age, &[30, 60, 90], true),
        cost = total_expr(e, "sum(cost)"),
        total = total_expr(e, "sum(retail)"),
    )
}

fn memo_conversion_sql(org: i64, from: &str, d: &str, e: Engine) -> String {
    let sum = |status: &str| format!("sum(case when l.status = '{status}' then l.retail else 0 end)");
    let count = |status: &str| format!("sum(case when l.status = '{status}' then 1 else 0 end)");
    format!(
        "with {lines},
         per as (
           select l.customer_id, c.name as customer, count(*) as issued_lines, sum(l.retail) as issued,
                  {inv} as invoiced, {ret} as returned, {out} as still_out,
                  {inv_n} as invoiced_lines, {ret_n} as returned_lines, {out_n} as out_lines
           from lines l join {contact} c on c.id = l.customer_id
           group by l.customer_id, c.name
         )
         select count(*) as customers, sum(issued_lines) as issued_lines, {invoiced} as invoiced,
                {returned} as returned, {still_out} as still_out, sum(invoiced_lines) as invoiced_lines,
                sum(returned_lines) as returned_lines, sum(out_lines) as out_lines, {total} as total
         from per",
        lines = memo_lines_cte(org, d, &format!(" and l.memo_date >= {}", day(e, from)), e),
        contact = names(e)("contact"),
        inv = sum("invoiced"),
        ret = sum("returned"),
        out = sum("out"),
        inv_n = count("invoiced"),
        ret_n = count("returned"),
        out_n = count("out"),
        invoiced = total_expr(e, "sum(invoiced)"),
        returned = total_expr(e, "sum(returned)"),
        still_out = total_expr(e, "sum(still_out)"),
        total = total_expr(e, "sum(issued)"),
    )
}

fn realization_sql(org: i64, from: &str, d: &str, e: Engine) -> String {
    let n = names(e);
    format!(
        "with {lines},
         per as (
           select coalesce(l.salesperson_id, 0) as salesperson_key, coalesce(u.display_name, '(none)') as \"group\",
                  count(*) as lines, sum(l.qty * l.list_price) as list, sum(l.revenue) as net, sum(l.cost) as cost,
                  sum(l.qty * l.list_price) - sum(l.revenue) as impact
           from lines l left join {user} u on u.id = l.salesperson_id
           where l.list_price is not null and l.qty > 0
           group by l.salesperson_id, u.display_name
         )
         select count(*) as groups, sum(lines) as lines, {list} as list, {cost} as cost, {impact} as impact,
                {total} as total
         from per",
        lines = sales_lines_sql(org, from, d, e, "'sale'"),
        user = n("user"),
        list = cents_total(e, "sum(list)"),
        cost = cents_total(e, "sum(cost)"),
        impact = cents_total(e, "sum(impact)"),
        total = cents_total(e, "sum(net)"),
    )
}

/// RFM's segments by FM (rows, 5 first) and R (columns 1…5), as the report names them.
const RFM_GRID: [[&str; 5]; 5] = [
    ["Can't lose", "Can't lose", "Loyal", "Loyal", "Champions"],
    ["At risk", "At risk", "Loyal", "Loyal", "Champions"],
    ["At risk", "At risk", "Need attention", "Potential loyalist", "Potential loyalist"],
    ["Hibernating", "Hibernating", "About to sleep", "Potential loyalist", "Promising"],
    ["Lost", "Hibernating", "About to sleep", "Promising", "New customers"],
];

/// RFM's customers, scored; with `segments`, counted and summed by segment instead.
fn rfm_sql(org: i64, from: &str, d: &str, e: Engine, segments: bool) -> String {
    let n = names(e);
    let dd = day(e, d);
    let mut segment = String::from("case");
    for (row, fm) in RFM_GRID.iter().zip([5, 4, 3, 2, 1]) {
        for (r, name) in row.iter().enumerate() {
            segment.push_str(&format!(" when fm = {fm} and r = {} then '{}'", r + 1, name.replace('\'', "''")));
        }
    }
    segment.push_str(" end");
    // a score is 1 + the number of cuts strictly below the value (cuts are kept five times over, exactly)
    let above = |m: &str, x: &str| {
        (1..=4).map(|k| format!("case when k.{m}{k} < 5 * c.{x} then 1 else 0 end")).collect::<Vec<_>>().join(" + ")
    };
    let picks: Vec<String> = ["r", "f", "m"]
        .iter()
        .flat_map(|m| (1..=4).map(move |k| format!("max(case when metric = '{m}' and k = {k} then c5 end) as {m}{k}")))
        .collect();
    // scored in whole cents in both engines
    let cents = if e == Engine::Sqlite { "monetary" } else { "cast(monetary * 100 as bigint)" };
    let q = div(e);
    let ff = day(e, from);
    let total = total_expr(e, "sum(monetary)");
    // the books net each invoice from its lines; the lake keeps that net on the invoice
    let counted = |a: &str| {
        format!(
            "{a}.org_id = {org} and {a}.status in ('finalized', 'voided') and {a}.finalized_on <= {dd}
             and ({a}.voided_on is null or {a}.voided_on > {dd}) and {a}.invoice_date > {ff} and {a}.invoice_date <= {dd}"
        )
    };
    let nets = if e == Engine::Sqlite {
        format!(
            "select i.id, i.customer_id, i.invoice_date, coalesce(sum(l.amount_cents), 0) as net
             from invoices i
                  left join invoice_lines l on l.invoice_id = i.id and l.kind in ('sale', 'return', 'service', 'misc')
             where {} group by i.id, i.customer_id, i.invoice_date",
            counted("i")
        )
    } else {
        format!("select i.id, i.customer_id, i.invoice_date, i.net_sales as net from invoice i where {}", counted("i"))
    };
    format!(
        "with nets as ({nets}),
         per as (
           select customer_id, max(case when net > 0 then invoice_date end) as last_purchase,
                  sum(case when net > 0 then 1 else 0 end) as frequency, sum(net) as monetary
           from nets group by customer_id having sum(case when net > 0 then 1 else 0 end) > 0
         ),
         cust as (
           select customer_id, last_purchase, {recency} as recency, frequency, monetary, {cents} as m_cents from per
         ),
         n as (select count(*) as n from cust),
         ks as (select 1 as k union all select 2 union all select 3 union all select 4),
         pos as (select ks.k, (ks.k * (n.n - 1)) {q} 5 as lo, (ks.k * (n.n - 1)) % 5 as rem from ks cross join n),
         vals as (
           select 'r' as metric, recency as x from cust
           union all select 'f', frequency from cust
           union all select 'm', m_cents from cust
         ),
         sorted as (select metric, x, row_number() over (partition by metric order by x) - 1 as i from vals),
         near as (select metric, x, i from sorted where i in (select lo from pos) or i in (select lo + 1 from pos)),
         cuts as (
           select a.metric, p.k, 5 * a.x + p.rem * (coalesce(b.x, a.x) - a.x) as c5
           from pos p join near a on a.i = p.lo left join near b on b.metric = a.metric and b.i = p.lo + 1
         ),
         cut as (select {picks} from cuts),
         rfm as (
           select c.customer_id, c.last_purchase, c.recency, c.frequency, c.monetary,
                  6 - (1 + {r}) as r, 1 + {f} as f, 1 + {m} as m
           from cust c cross join cut k
         ),
         fm as (select rfm.*, (f + m + 1) {q} 2 as fm from rfm),
         scored as (select fm.*, {segment} as segment from fm),
         {last}",
        last = if segments {
            format!(
                "per_segment as (
                   select segment, count(*) as customers, sum(monetary) as monetary from scored group by segment
                 )
                 select count(*) as segments, sum(customers) as customers, {total} as total from per_segment",
            )
        } else {
            format!(
                "per_customer as (
                   select s.customer_id, c.name as customer, s.last_purchase, s.recency, s.frequency, s.monetary,
                          s.r, s.f, s.m, s.fm, s.segment
                   from scored s join {contact} c on c.id = s.customer_id
                 )
                 select count(*) as customers, sum(frequency) as frequency, sum(r) as r, sum(f) as f, sum(m) as m,
                        sum(fm) as fm, count(distinct segment) as segments, {total} as total
                 from per_customer",
                contact = n("contact"),
            )
        },
        recency = days_to(e, d, "last_purchase"),
        picks = picks.join(", "),
        r = above("r", "recency"),
        f = above("f", "frequency"),
        m = above("m", "m_cents"),
    )
}
