//! Every report on a demo business, checked against an independent computation: SQL over the books (the
//! transactional database the lake was landed from), and drill rows summing to the cells they came from.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::Days;
use reports::{Output, Value};

use oltp::types::CostingMethod;

use crate::support::Books;

/// Column `key` of every row as integers (cents for money), keyed by column `by` (ids and text as text).
fn pairs(o: &Output, by: &str, key: &str) -> BTreeMap<String, i64> {
    o.column(by).into_iter().zip(o.column(key)).map(|(k, v)| (k.plain(), number(&v))).collect()
}

fn number(v: &Value) -> i64 {
    match v {
        Value::Money(c) | Value::Percent(c) => i64::try_from(*c).unwrap_or(i64::MAX),
        Value::Count(n) => *n,
        _ => 0,
    }
}

#[tokio::test]
async fn every_report_agrees_with_sql_over_the_books() -> Result<()> {
    let (books, spec) = Books::demo(11).await?;
    agrees_with_the_books(&books, &spec).await
}

/// The same on a business that costs its lots by weighted average.
#[tokio::test]
async fn every_report_agrees_with_sql_over_the_books_under_weighted_average() -> Result<()> {
    let (books, spec) = Books::demo_costed(12, CostingMethod::Average).await?;
    assert_eq!(books.books_i64("select count(*) as v from orgs where costing_method = 'average'").await?, 1);
    agrees_with_the_books(&books, &spec).await
}

async fn agrees_with_the_books(books: &Books, spec: &oltp::demo::DemoSpec) -> Result<()> {
    let end = spec.end();
    let mid = spec.start.checked_add_days(Days::new(60)).unwrap_or(end);

    // AR aging: each customer's net as of a date inside the history and at its end, computed over the books
    // and around the first reopens (the demo reopens some trade invoices to add a fee): the day before each, on
    // which the old figures count, and the day itself
    let reopened = books
        .books_pairs("select reopened_on as k, count(*) as v from invoice_versions group by reopened_on".into())
        .await?;
    assert!(!reopened.is_empty(), "the demo reopens and finalizes again some invoices");
    let mut dates = vec![mid, end];
    for r in reopened.keys().take(3) {
        let r = chrono::NaiveDate::parse_from_str(r, "%Y-%m-%d")?;
        dates.extend([r.pred_opt().unwrap_or(r), r]);
    }
    for d in dates {
        let o = books.run("ar_aging", "summary", &[("as_of", &d.to_string())]).await?;
        let lake: BTreeMap<String, i64> =
            pairs(&o, "customer_id", "net").into_iter().filter(|(_, v)| *v != 0).collect();
        let sql = format!(
            "with inv as (
               select i.customer_id, i.total_cents
                 - coalesce((select sum(a.amount_cents) from payment_applications a where a.invoice_id = i.id
                             and a.applied_on <= '{d}' and (a.voided_on is null or a.voided_on > '{d}')), 0)
                 - coalesce((select sum(w.amount_cents) from write_offs w where w.invoice_id = i.id
                             and w.written_on <= '{d}' and (w.voided_on is null or w.voided_on > '{d}')), 0) as v
               from invoices i where i.status in ('finalized', 'voided') and i.finalized_on <= '{d}'
                 and (i.voided_on is null or i.voided_on > '{d}')
               union all
               -- a finalization a reopen ended after d counts with the figures it had
               select v.customer_id, v.total_cents
                 - coalesce((select sum(a.amount_cents) from payment_applications a where a.invoice_id = v.invoice_id
                             and a.applied_on <= '{d}' and (a.voided_on is null or a.voided_on > '{d}')), 0) as v
               from invoice_versions v where v.finalized_on <= '{d}' and v.reopened_on > '{d}'
             ),
             pay as (
               select p.customer_id, p.amount_cents
                 - coalesce((select sum(a.amount_cents) from payment_applications a where a.payment_id = p.id
                             and a.applied_on <= '{d}' and (a.voided_on is null or a.voided_on > '{d}')), 0)
                 - coalesce((select sum(r.amount_cents) from payments r where r.refund_of_payment_id = p.id
                             and r.paid_on <= '{d}' and (r.voided_on is null or r.voided_on > '{d}')), 0) as v
               from payments p where p.direction = 'in' and p.paid_on <= '{d}'
                 and (p.voided_on is null or p.voided_on > '{d}')
             )
             select cast(customer_id as text) as k, cast(sum(v) as bigint) as v from (
               select customer_id, v from inv
               union all select customer_id, -v from pay
               union all select customer_id, -amount_cents from store_credit_entries where entry_date <= '{d}'
             ) x group by customer_id having sum(v) <> 0"
        );
        assert_eq!(lake, books.books_pairs(sql).await?, "AR net per customer as of {d}");
        // each bucket's total drills to invoices whose balances sum to it
        for b in ["b1", "b2", "b3", "b4"] {
            let d_out = books.drill("ar_aging", "summary", &[("as_of", &d.to_string())], &format!("total:{b}")).await?;
            assert_eq!(d_out.total("balance"), o.total(b), "bucket {b} as of {d}");
        }
    }
    // at the end the grand net total is the customers' balance in the books
    let o = books.run("ar_aging", "summary", &[("as_of", &end.to_string())]).await?;
    let balance = books
        .books_i64(
            "select (select coalesce(sum(total_cents), 0) from invoices where status = 'finalized')
                  - (select coalesce(sum(amount_cents), 0) from payments where status = 'posted' and direction = 'in')
                  + (select coalesce(sum(amount_cents), 0) from payments where status = 'posted' and direction = 'out')
                  - (select coalesce(sum(amount_cents), 0) from write_offs where voided_on is null)
                  - (select coalesce(sum(amount_cents), 0) from store_credit_entries) as v",
        )
        .await?;
    assert_eq!(number(&o.total("net")), balance);
    assert!(balance != 0 && o.rows > 10, "the demo has receivables to age");

    // Gross profit by salesperson over the whole history, cost as booked at the sale
    let period = [("from", spec.start.to_string()), ("to", end.to_string()), ("as_of", end.to_string())];
    let mut params: Vec<(&str, &str)> = period.iter().map(|(k, v)| (*k, v.as_str())).collect();
    params.push(("cost_basis", "sale"));
    let o = books.run("gross_profit", "summary", &params).await?;
    let by_sp = |col: &str| -> BTreeMap<String, i64> { pairs(&o, "salesperson_key", col) };
    let lines = "from invoice_lines l join invoices i on i.id = l.invoice_id
                 where i.status = 'finalized' and l.kind in ('sale', 'return', 'service', 'misc')";
    let revenue = books
        .books_pairs(format!(
            "select cast(coalesce(i.salesperson_id, 0) as text) as k,
                    cast(sum(l.amount_cents - l.trade_concession_cents) as bigint) as v {lines} group by 1"
        ))
        .await?;
    assert_eq!(by_sp("revenue"), revenue);
    let cost = books
        .books_pairs(format!(
            "select cast(coalesce(i.salesperson_id, 0) as text) as k,
                    cast(sum(case when l.kind = 'misc' then 0 else l.cost_cents end) as bigint) as v {lines} group by 1"
        ))
        .await?;
    assert_eq!(by_sp("cost"), cost);
    // live cost: pieces at base plus every additional cost, service lines at bench cost
    let params: Vec<(&str, &str)> = period.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let live = books.run("gross_profit", "summary", &params).await?;
    let live_cost = books
        .books_i64(
            "select cast(sum(case when l.kind = 'misc' then 0
                     when l.kind = 'service' then coalesce((select sum(c.amount_cents) from work_order_costs c
                                                    where c.work_order_id = l.work_order_id), l.cost_cents)
                     when it.serialized = 1 and l.kind in ('sale', 'return')
                       then (case when l.qty < 0 then -1 else 1 end) * (it.base_cost_cents
                            + coalesce((select sum(c.amount_cents) from item_costs c where c.item_id = it.id), 0))
                     else l.cost_cents end) as bigint) as v
             from invoice_lines l join invoices i on i.id = l.invoice_id left join items it on it.id = l.item_id
             where i.status = 'finalized' and l.kind in ('sale', 'return', 'service', 'misc')",
        )
        .await?;
    assert_eq!(number(&live.total("cost")), live_cost);
    // a row's detail sums to it
    let d = books.drill("gross_profit", "summary", &params, "1:group").await?;
    assert_eq!(d.total("gp"), live.values()[0][live.header.columns.iter().position(|c| c.key == "gp").unwrap_or(0)]);

    // Inventory valuation at the end: owned quantities and costs by family, from the stock records
    let o = books.run("inventory_valuation", "summary", &[("as_of", &end.to_string())]).await?;
    let stock = "from items it join styles s on s.id = it.style_id
                 where it.ownership = 'owned' and it.qty_on_hand + it.qty_on_memo <> 0";
    let qty = books
        .books_pairs(format!(
            "select s.family as k, cast(sum(it.qty_on_hand + it.qty_on_memo) as bigint) as v {stock} group by 1"
        ))
        .await?;
    assert_eq!(pairs(&o, "family_key", "qty"), qty);
    let cost = books
        .books_pairs(format!(
            "select s.family as k, cast(sum(case when it.serialized = 1
                 then it.base_cost_cents + coalesce((select sum(c.amount_cents) from item_costs c where c.item_id = it.id), 0)
                 else it.pool_cost_cents end) as bigint) as v {stock} group by 1"
        ))
        .await?;
    assert_eq!(pairs(&o, "family_key", "cost"), cost);
    let d = books.drill("inventory_valuation", "summary", &[("as_of", &end.to_string())], "1:group").await?;
    assert_eq!(d.total("cost"), o.values()[0][o.header.columns.iter().position(|c| c.key == "cost").unwrap_or(0)]);

    // Inventory aging (layer by layer) holds the same units and cost as the valuation (ledger by item)
    let a = books.run("inventory_aging", "summary", &[("as_of", &end.to_string())]).await?;
    assert_eq!((a.total("qty"), a.total("cost")), (o.total("qty"), o.total("cost")));
    assert_eq!(a.total("items"), o.total("items"));

    // … and six weeks before the end (of four months), rolled back from the stock records by the moves since, they agree with
    // the ledgers summed up to that date in the books
    let back = end - Days::new(42);
    let back_s = back.to_string();
    let at = [("as_of", back_s.as_str())];
    let o = books.run("inventory_valuation", "summary", &at).await?;
    let held = format!(
        "from (select item_id, sum(qty_delta + memo_delta) as q, sum(cost_cents) as c from stock_movements
               where moved_on <= '{back}' group by item_id) m
              join items it on it.id = m.item_id join styles s on s.id = it.style_id
         where it.ownership = 'owned' and m.q <> 0"
    );
    let qty =
        books.books_pairs(format!("select s.family as k, cast(sum(m.q) as bigint) as v {held} group by 1")).await?;
    assert!(!qty.is_empty());
    assert_eq!(pairs(&o, "family_key", "qty"), qty);
    let cost = books
        .books_pairs(format!(
            "select s.family as k, cast(sum(case when it.serialized = 1
                 then (it.base_cost_cents + coalesce((select sum(c.amount_cents) from item_costs c
                                                      where c.item_id = it.id and c.cost_date <= '{back}'), 0)) * m.q
                 else m.c end) as bigint) as v {held} group by 1"
        ))
        .await?;
    assert_eq!(pairs(&o, "family_key", "cost"), cost);
    let a = books.run("inventory_aging", "summary", &at).await?;
    assert_eq!((a.total("qty"), a.total("cost")), (o.total("qty"), o.total("cost")));

    // Memo liability at the end: the lines out, by count and retail
    let o = books.run("memo_liability", "lines", &[("as_of", &end.to_string())]).await?;
    let out = books
        .books_pairs(
            "select 'out' as k, cast(coalesce(sum(qty * memo_price_cents), 0) as bigint) as v from memo_lines where status = 'out'"
                .into(),
        )
        .await?;
    assert_eq!(number(&o.total("retail")), out["out"]);
    let n = books.books_i64("select count(*) as v from memo_lines where status = 'out'").await?;
    assert_eq!(i64::try_from(o.rows)?, n);
    let aging = books.run("memo_aging", "summary", &[("as_of", &end.to_string())]).await?;
    assert_eq!(aging.total("retail"), o.total("retail"));

    // Memo conversion over the whole history: issued = every line; invoiced and returned by status now
    let conv =
        books.run("memo_conversion", "summary", &[("from", &spec.start.to_string()), ("to", &end.to_string())]).await?;
    let by_status = books
        .books_pairs(
            "select status as k, cast(sum(qty * memo_price_cents) as bigint) as v from memo_lines group by status"
                .into(),
        )
        .await?;
    assert_eq!(number(&conv.total("invoiced")), by_status.get("invoiced").copied().unwrap_or(0));
    assert_eq!(number(&conv.total("returned")), by_status.get("returned").copied().unwrap_or(0));
    assert_eq!(number(&conv.total("still_out")), by_status.get("out").copied().unwrap_or(0));

    // RFM: frequency and monetary per customer from the books, and the scores recomputed here
    let o = books.run("rfm", "customers", &[("as_of", &end.to_string())]).await?;
    let nets = "select i.id, i.customer_id, i.invoice_date,
                       coalesce((select sum(l.amount_cents) from invoice_lines l where l.invoice_id = i.id
                                 and l.kind in ('sale', 'return', 'service', 'misc')), 0) as net
                from invoices i where i.status = 'finalized'";
    let freq = books
        .books_pairs(format!(
            "select cast(customer_id as text) as k, cast(sum(case when net > 0 then 1 else 0 end) as bigint) as v
             from ({nets}) n group by customer_id having sum(case when net > 0 then 1 else 0 end) > 0"
        ))
        .await?;
    assert_eq!(pairs(&o, "customer_id", "frequency"), freq);
    let monetary = books
        .books_pairs(format!(
            "select cast(customer_id as text) as k, cast(sum(net) as bigint) as v from ({nets}) n group by customer_id
             having sum(case when net > 0 then 1 else 0 end) > 0"
        ))
        .await?;
    assert_eq!(pairs(&o, "customer_id", "monetary"), monetary);
    let f_scores = scores(&freq.values().copied().collect::<Vec<_>>());
    for (customer, f) in pairs(&o, "customer_id", "f") {
        assert_eq!(f, f_scores(freq[&customer]), "F of customer {customer}");
    }
    let m_scores = scores(&monetary.values().copied().collect::<Vec<_>>());
    for (customer, m) in pairs(&o, "customer_id", "m") {
        assert_eq!(m, m_scores(monetary[&customer]), "M of customer {customer}");
    }
    // recency: days from the last invoice of positive net to the end; R = 6 − its score; the segment from the
    // FM × R grid of DESIGN §4, written out here
    let recency = books
        .books_pairs(format!(
            "select cast(customer_id as text) as k,
                    cast(julianday('{end}') - julianday(max(invoice_date)) as bigint) as v
             from ({nets}) n where net > 0 group by customer_id"
        ))
        .await?;
    assert_eq!(pairs(&o, "customer_id", "recency"), recency);
    let r_scores = scores(&recency.values().copied().collect::<Vec<_>>());
    let grid = [
        ["Lost", "Hibernating", "About to sleep", "Promising", "New customers"],
        ["Hibernating", "Hibernating", "About to sleep", "Potential loyalist", "Promising"],
        ["At risk", "At risk", "Need attention", "Potential loyalist", "Potential loyalist"],
        ["At risk", "At risk", "Loyal", "Loyal", "Champions"],
        ["Can't lose", "Can't lose", "Loyal", "Loyal", "Champions"],
    ];
    let mut per_segment: BTreeMap<String, i64> = BTreeMap::new();
    let segments = o.column("segment");
    for (i, customer) in o.column("customer_id").iter().enumerate() {
        let c = customer.plain();
        let r = 6 - r_scores(recency[&c]);
        let fm = (f_scores(freq[&c]) + m_scores(monetary[&c]) + 1) / 2;
        let segment = grid[usize::try_from(fm - 1)?][usize::try_from(r - 1)?];
        assert_eq!(segments[i].plain(), segment, "segment of customer {c} (R {r}, FM {fm})");
        *per_segment.entry(segment.to_string()).or_default() += 1;
    }
    // the segments view counts the same customers
    let s = books.run("rfm", "segments", &[("as_of", &end.to_string())]).await?;
    assert_eq!(pairs(&s, "segment", "customers"), per_segment);
    Ok(())
}

/// Scores 1–5 by the 20/40/60/80 % quantiles with linear interpolation (as PERCENTILE_CONT), computed in
/// exact fractions: 1 + the number of cuts strictly below the value.
fn scores(values: &[i64]) -> impl Fn(i64) -> i64 + use<> {
    let mut xs = values.to_vec();
    xs.sort_unstable();
    let n = xs.len() as i64;
    // each cut as a fraction over 5: cut × 5 = 5·x[lo] + rem·(x[lo+1] − x[lo])
    let cuts5: Vec<i128> = (1..=4)
        .map(|k| {
            let pos = k * (n - 1);
            let (lo, rem) = ((pos / 5) as usize, i128::from(pos % 5));
            let a = i128::from(xs[lo]);
            let b = i128::from(*xs.get(lo + 1).unwrap_or(&xs[lo]));
            5 * a + rem * (b - a)
        })
        .collect();
    move |v| 1 + cuts5.iter().filter(|c| **c < 5 * i128::from(v)).count() as i64
}

/// Gross profit and realization take whole months from the lake's `sales_month` and the rest of the period from
/// the lines. Over a period with part-months at both ends, as of its end and as of a date inside it (when
/// voids, finalizations and costs dated later send some months back to the lines), every summary row equals
/// the lines behind it, read through its drill (which always reads the lines).
#[tokio::test]
async fn summaries_from_whole_months_equal_the_lines_behind_them() -> Result<()> {
    let (books, spec) = Books::demo(11).await?;
    let end = spec.end();
    let from = spec.start.checked_add_days(Days::new(10)).unwrap_or(end).to_string();
    let to = end.checked_sub_days(Days::new(5)).unwrap_or(end).to_string();
    let early = spec.start.checked_add_days(Days::new(50)).unwrap_or(end).to_string();
    let later = spec.start.checked_add_days(Days::new(80)).unwrap_or(end).to_string();
    let mut checked = 0;
    for as_of in [early.as_str(), later.as_str(), &end.to_string()] {
        for by in ["month", "family", "store", "salesperson"] {
            let params = [("from", from.as_str()), ("to", to.as_str()), ("as_of", as_of), ("by", by)];
            let rows =
                rows_equal_their_drills(&books, "gross_profit", &params, &["revenue", "cost", "payouts", "our_gp"])
                    .await?;
            assert!(rows > 0, "gross profit by {by} as of {as_of} has rows");
            checked += rows;
        }
        let params = [("from", from.as_str()), ("to", to.as_str()), ("as_of", as_of), ("by", "salesperson")];
        checked +=
            rows_equal_their_drills(&books, "pricing_realization", &params, &["lines", "list", "net", "cost"]).await?;
    }
    assert!(checked > 20, "only {checked} rows checked");
    Ok(())
}

/// Runs `report`'s summary with `params` and checks that every row's `keys` equal the totals of the rows its
/// drill opens; returns how many rows it checked.
async fn rows_equal_their_drills(books: &Books, report: &str, params: &[(&str, &str)], keys: &[&str]) -> Result<usize> {
    let o = books.run(report, "summary", params).await?;
    for (i, row) in o.values().iter().enumerate() {
        let d = books.drill(report, "summary", params, &format!("{}:group", i + 1)).await?;
        for key in keys {
            let at = o.header.columns.iter().position(|c| c.key == *key).unwrap_or(0);
            assert_eq!(d.total(key), row[at], "{report} {params:?}, row {}: {key}", i + 1);
        }
    }
    Ok(o.rows)
}

/// Every drill of every view, from the first rows and the footer of each view on a demo business: a cell that
/// drills opens a view that runs, has rows when the cell holds a number other than zero, and, where the opened
/// view has a column of the same key, its total equals the cell. A cell whose row lacks what the opened view
/// needs (an unapplied payment has no invoice) is not offered a drill at all.
#[tokio::test]
async fn every_drill_of_every_view_opens_the_rows_behind_its_cell() -> Result<()> {
    let (books, spec) = Books::demo(11).await?;
    let (start, end) = (spec.start.to_string(), spec.end().to_string());
    let mut followed = 0;
    for report in reports::catalog::all() {
        for view in report.views {
            if view.params.iter().any(|p| matches!(p.default, reports::param::Default::Required)) {
                continue; // reached through drills only
            }
            let params: Vec<(&str, &str)> = [("as_of", end.as_str()), ("from", start.as_str()), ("to", end.as_str())]
                .into_iter()
                .filter(|(k, _)| view.params.iter().any(|p| p.name == *k))
                .collect();
            let o = books.run(report.id, view.name, &params).await?;
            let rows: Vec<String> = (1..=o.rows.min(4)).map(|r| r.to_string()).chain(["total".into()]).collect();
            let values = o.values();
            for drill in view.drills {
                // a drill's column may be one a choice of parameters leaves out (the due-date basis's "Current")
                for column in drill.columns.iter().filter(|c| o.header.shown().any(|(_, s)| s.key == **c)) {
                    for row in &rows {
                        let at = format!("{row}:{column}");
                        let opened = match books.drill(report.id, view.name, &params, &at).await {
                            Ok(opened) => opened,
                            Err(e) if e.to_string().contains("does not drill") => continue,
                            Err(e) => return Err(e.context(format!("{} {} {at}", report.id, view.name))),
                        };
                        followed += 1;
                        let i = o.header.columns.iter().position(|c| c.key == *column).unwrap_or(0);
                        let cell = if row == "total" {
                            o.totals[i].clone()
                        } else {
                            values[row.parse::<usize>()? - 1][i].clone()
                        };
                        if cell.cents().is_some_and(|c| c != 0) {
                            assert!(opened.rows > 0, "{} {} {at} opened no rows", report.id, view.name);
                        }
                        if o.header.columns[i].ty.is_numeric()
                            && opened.header.columns.iter().any(|c| c.key == *column && c.ty.is_numeric())
                        {
                            assert_eq!(opened.total(column), cell, "{} {} {at}", report.id, view.name);
                        }
                    }
                }
            }
        }
    }
    assert!(followed > 40, "only {followed} drills followed");
    Ok(())
}
