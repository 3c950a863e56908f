use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Result;
use etl::Lake;
use oltp::demo::{DemoSpec, START, generate};
use oltp::{Command, Ctx, Db};
use warehouse::Scope;
use warehouse::arrow::array::{Int64Array, RecordBatch};

struct Books {
    db: Db,
    ctx: Ctx,
    dir: tempfile::TempDir,
}

impl Books {
    /// A small demo business: two stores for three months.
    async fn demo(seed: u64) -> Result<Books> {
        let dir = tempfile::tempdir()?;
        let db = Db::connect(dir.path().join("loupe.db").to_str().unwrap_or_default()).await?;
        db.migrate().await?;
        let spec =
            DemoSpec { seed, stores: 2, start: START, days: 90, lines: 400, costing: oltp::types::CostingMethod::Fifo };
        generate(&db, &spec, &AtomicBool::new(false), &mut |_| {}).await.map_err(|f| anyhow::anyhow!("{}", f.error))?;
        let ctx = Ctx { actor: None, today: spec.end() };
        Ok(Books { db, ctx, dir })
    }

    fn lake(&self, name: &str) -> Lake {
        Lake::at(self.dir.path().join(name))
    }

    async fn run(&self, json: &str) -> Result<oltp::Outcome> {
        let cmd: Command = oltp::ops::parse(json)?;
        Ok(oltp::execute(&self.db, &self.ctx, &cmd).await?)
    }

    async fn scalar(&self, sql: &str) -> Result<i64> {
        Ok(self.db.fetch_one(oltp::db::Q::built(sql.to_string())).await?.i64("v")?)
    }
}

async fn sync(books: &Books, lake: &Lake) -> Result<etl::SyncReport> {
    Ok(etl::sync(&books.db, lake, &AtomicBool::new(false), &mut |_| {}).await?)
}

/// Every table of a lake, sorted by key.
async fn contents(lake: &Lake) -> Result<Vec<(String, Vec<RecordBatch>)>> {
    let ctx = lake.snapshot().await?.session(&Scope::Operator).await?;
    let mut out = Vec::new();
    for t in warehouse::tables::all() {
        let order = if t.is_tenant_data() { "org_id, id" } else { "id" };
        let batches = ctx.sql(&format!("select * from \"{}\" order by {order}", t.name)).await?.collect().await?;
        out.push((t.name.to_string(), batches));
    }
    Ok(out)
}

fn rows(c: &[(String, Vec<RecordBatch>)]) -> usize {
    c.iter().flat_map(|(_, b)| b).map(RecordBatch::num_rows).sum()
}

/// Concatenates each table's batches so two lakes compare by content, not by how rows were split.
fn flat(c: Vec<(String, Vec<RecordBatch>)>) -> Result<Vec<(String, Option<RecordBatch>)>> {
    c.into_iter()
        .map(|(n, b)| {
            let one = match b.first() {
                Some(first) => Some(warehouse::arrow::compute::concat_batches(&first.schema(), &b)?),
                None => None,
            };
            Ok((n, one.filter(|b| b.num_rows() > 0)))
        })
        .collect()
}

#[tokio::test]
async fn incremental_syncs_equal_a_rebuild_and_reconcile_to_the_cent() -> Result<()> {
    let books = Books::demo(3).await?;
    let lake = books.lake("lake");
    let first = sync(&books, &lake).await?;
    assert!(first.changes > 1000, "{first:?}");
    let r = etl::reconcile::reconcile(&books.db, &lake).await?;
    assert!(r.differences.is_empty(), "{:?}", &r.differences[..r.differences.len().min(5)]);
    assert!(r.cells > 100);

    // rows that change after they landed: a voided invoice and payment, a line deleted from an open invoice,
    // a cost added after the sale, two customers merged, a write-off and its void; then a payment applied
    // after it landed and a goodwill credit voided
    let inv = books.scalar("select min(id) as v from invoices where status = 'finalized' and id not in (select invoice_id from payment_applications) and total_cents > 0").await?;
    books.run(&format!(r#"{{"op":"write_off","org_id":1,"invoice_id":{inv},"written_on":"2023-03-31"}}"#)).await?;
    books.run(r#"{"op":"void_write_off","org_id":1,"write_off_id":1,"voided_on":"2023-03-31"}"#).await?;
    let pay = books
        .scalar("select max(id) as v from payments where status = 'posted' and direction = 'in' and method = 'cash'")
        .await?;
    books
        .run(&format!(
            r#"{{"op":"void_payment","org_id":1,"payment_id":{pay},"voided_on":"2023-03-31","reason":"counterfeit"}}"#
        ))
        .await?;
    let customer = books.scalar("select min(customer_id) as v from invoices").await?;
    let open = books
        .run(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":{customer},"invoice_date":"2023-03-31","lines":[{{"kind":"misc","description":"Cleaning","unit_price":"25.00"}},{{"kind":"misc","description":"Polish","unit_price":"15.00"}}]}}"#))
        .await?;
    books.run(&format!(r#"{{"op":"remove_invoice_line","org_id":1,"line_id":{}}}"#, open.ids[1])).await?;
    let sold = books.scalar("select min(l.item_id) as v from invoice_lines l join items i on i.id = l.item_id where i.serialized and i.status = 'sold' and i.ownership = 'owned'").await?;
    books.run(&format!(r#"{{"op":"add_item_cost","org_id":1,"item_id":{sold},"cost_date":"2023-03-31","kind":"appraisal","amount":"45.00"}}"#)).await?;
    let a = books.scalar("select min(customer_id) as v from invoices where status = 'finalized'").await?;
    let b = books.scalar("select max(customer_id) as v from invoices where status = 'finalized'").await?;
    books.run(&format!(r#"{{"op":"merge_contacts","org_id":1,"from_id":{b},"into_id":{a}}}"#)).await?;
    // money taken on account and a goodwill credit, both landed before they are applied and voided
    let owed = books
        .scalar(
            "select min(i.id) as v from invoices i where i.status = 'finalized' and i.total_cents
               - coalesce((select sum(a.amount_cents) from payment_applications a join payments p on p.id = a.payment_id
                           where a.invoice_id = i.id and a.voided_on is null and p.status = 'posted'), 0)
               - coalesce((select sum(w.amount_cents) from write_offs w where w.invoice_id = i.id and w.voided_on is null), 0)
               > 100",
        )
        .await?;
    let owner = books.scalar(&format!("select customer_id as v from invoices where id = {owed}")).await?;
    let deposit = books
        .run(&format!(r#"{{"op":"record_payment","org_id":1,"store_id":1,"customer_id":{owner},"paid_on":"2023-03-31","method":"cash","amount":"1.00","apply":"none"}}"#))
        .await?;
    let credit = books
        .run(&format!(r#"{{"op":"issue_store_credit","org_id":1,"customer_id":{owner},"amount":"20.00","issued_on":"2023-03-31","reason":"Late repair"}}"#))
        .await?;
    // a finalized invoice reopened, a line added and finalized again: the finalization it ended lands as a
    // version, with its lines, and its month is derived again
    let reopened = books.scalar("select max(id) as v from invoices i where status = 'finalized' and invoice_date < '2023-03-01'
        and not exists (select 1 from payment_applications a where a.invoice_id = i.id and a.voided_on is null)
        and not exists (select 1 from write_offs w where w.invoice_id = i.id and w.voided_on is null)
        and not exists (select 1 from invoice_lines l where l.invoice_id = i.id and l.kind in ('return', 'trade_in', 'gift_card'))
        and not exists (select 1 from invoice_lines r join invoice_lines s on s.id = r.returned_line_id where s.invoice_id = i.id)").await?;
    books
        .run(&format!(r#"{{"op":"reopen_invoice","org_id":1,"invoice_id":{reopened},"reopened_on":"2023-03-30"}}"#))
        .await?;
    books.run(&format!(r#"{{"op":"add_invoice_lines","org_id":1,"invoice_id":{reopened},"lines":[{{"kind":"misc","description":"Polish","unit_price":"15.00"}}]}}"#)).await?;
    books
        .run(&format!(r#"{{"op":"finalize_invoice","org_id":1,"invoice_id":{reopened},"finalized_on":"2023-03-31"}}"#))
        .await?;
    let second = sync(&books, &lake).await?;
    assert!(second.changes > 5 && second.changes < 200, "{second:?}");
    let r = etl::reconcile::reconcile(&books.db, &lake).await?;
    assert!(r.differences.is_empty(), "{:?}", r.differences);
    books
        .run(&format!(r#"{{"op":"apply_payment","org_id":1,"payment_id":{},"applied_on":"2023-03-31","apply":[{{"invoice_id":{owed},"amount":"1.00"}}]}}"#, deposit.id))
        .await?;
    books
        .run(&format!(
            r#"{{"op":"void_store_credit","org_id":1,"store_credit_id":{},"voided_on":"2023-03-31"}}"#,
            credit.id
        ))
        .await?;
    let third = sync(&books, &lake).await?;
    // the application, the credit's void and its ledger entry; the payment and the invoice land again with them
    assert_eq!((third.changes, third.rows), (3, 4), "{third:?}");
    let r = etl::reconcile::reconcile(&books.db, &lake).await?;
    assert!(r.differences.is_empty(), "{:?}", r.differences);
    // the payment landed again with its application, and the credit's two entries cancel out
    let ctx = lake.snapshot().await?.session(&Scope::Operator).await?;
    let sql = format!(
        "select (select cast(applied * 100 as bigint) from payment where id = {pay})
              + (select count(*) from payment_application where payment_id = {pay} and applied_on = date '2023-03-31') * 1000
              + (select count(*) from store_credit_entry where source_id = {credit} and source_kind in ('goodwill', 'goodwill_void')
                 and customer_id = {owner} and entry_date = date '2023-03-31') * 100000
              + (select cast(sum(amount) * 100 as bigint) from store_credit_entry where source_id = {credit}
                 and source_kind in ('goodwill', 'goodwill_void')) as n",
        pay = deposit.id,
        credit = credit.id,
    );
    let n = ctx.sql(&sql).await?.collect().await?;
    let n = n[0].column(0).as_any().downcast_ref::<Int64Array>().map(|a| a.value(0));
    assert_eq!(n, Some(100 + 1000 + 2 * 100_000));

    // the deleted line is gone from the lake, the merged customer's lines moved, nothing doubled
    equals_a_rebuild(&books, &lake, "rebuilt").await?;
    let lines = books.scalar("select count(*) as v from invoice_lines").await?;
    let ctx = lake.snapshot().await?.session(&Scope::Operator).await?;
    let n = ctx.sql("select count(*) as n from sales_line").await?.collect().await?;
    let n = n[0].column(0).as_any().downcast_ref::<warehouse::arrow::array::Int64Array>().map(|a| a.value(0));
    assert_eq!(n, Some(lines));
    let kept = books.scalar("select count(*) as v from invoice_line_versions").await?;
    assert!(kept > 0);
    // the demo's own corrections and the one above
    let versions = books.scalar("select count(*) as v from invoice_versions").await?;
    assert!(versions > 1);
    for (table, rows) in [("invoice_version", versions), ("sales_line_version", kept)] {
        let n = ctx.sql(&format!("select count(*) as n from {table}")).await?.collect().await?;
        let n = n[0].column(0).as_any().downcast_ref::<warehouse::arrow::array::Int64Array>().map(|a| a.value(0));
        assert_eq!(n, Some(rows), "{table}");
    }
    Ok(())
}

#[tokio::test]
async fn a_tampered_lake_row_is_named_by_day_and_figure() -> Result<()> {
    let books = Books::demo(4).await?;
    let lake = books.lake("lake");
    sync(&books, &lake).await?;
    // change one invoice's subtotal and total in the lake only, by 1.00
    let id = books.scalar("select min(id) as v from invoices where status = 'finalized'").await?;
    let day = books
        .db
        .fetch_one(oltp::db::Q::new("select invoice_date as d from invoices where id = $1").bind(id))
        .await?
        .date("d")?;
    let ctx = lake.snapshot().await?.session(&Scope::Operator).await?;
    let table = warehouse::tables::by_name("invoice").ok_or_else(|| anyhow::anyhow!("no invoice table"))?;
    let columns = table
        .column_names()
        .map(|c| if c == "subtotal" || c == "total" { format!("{c} + 1 as {c}") } else { c.to_string() })
        .collect::<Vec<_>>()
        .join(", ");
    let tampered = ctx.sql(&format!("select {columns} from invoice where id = {id}")).await?.collect().await?;
    let cast: Vec<RecordBatch> = tampered
        .into_iter()
        .map(|b| {
            RecordBatch::try_new(
                table.schema(),
                b.columns()
                    .iter()
                    .zip(table.schema().fields())
                    .map(|(c, f)| warehouse::arrow::compute::cast(c, f.data_type()))
                    .collect::<Result<Vec<_>, _>>()?,
            )
        })
        .collect::<Result<_, _>>()?;
    let state = lake.state().await?.ok_or_else(|| anyhow::anyhow!("no state"))?;
    let v = lake.land(table, warehouse::Landing { rows: cast, removed: vec![] }, state.watermark).await?;
    let mut state = state;
    state.versions.insert("invoice".into(), v);
    lake.save_state(&state).await?;

    let r = etl::reconcile::reconcile(&books.db, &lake).await?;
    let sales: Vec<_> = r.differences.iter().filter(|d| d.figure == "sales").collect();
    assert_eq!(sales.len(), 1, "{:?}", r.differences);
    assert_eq!((sales[0].org_id, sales[0].day, sales[0].lake - sales[0].books), (1, day, 100));
    // the AR balance is off by 1.00 from that day on, and only from that day on
    let ar: Vec<_> = r.differences.iter().filter(|d| d.figure == "ar_balance").collect();
    assert!(!ar.is_empty() && ar.iter().all(|d| d.day >= day && d.lake - d.books == 100), "{ar:?}");
    assert!(r.differences.iter().all(|d| d.figure == "sales" || d.figure == "ar_balance"));
    Ok(())
}

#[tokio::test]
async fn a_sync_killed_anywhere_loses_and_doubles_nothing() -> Result<()> {
    let books = Books::demo(5).await?;
    let lake = books.lake("lake");
    // kill the sync at growing points in its run (dropping it mid-await, as a crash would), then let it finish
    for ms in [1_u64, 3, 7, 15, 30, 60, 120, 250] {
        let (stop, mut quiet) = (AtomicBool::new(false), |_| {});
        let run = etl::sync(&books.db, &lake, &stop, &mut quiet);
        let _ = tokio::time::timeout(Duration::from_millis(ms), run).await;
    }
    sync(&books, &lake).await?;
    let r = etl::reconcile::reconcile(&books.db, &lake).await?;
    assert!(r.differences.is_empty(), "{:?}", r.differences);
    equals_a_rebuild(&books, &lake, "rebuilt").await
}

/// Each batch's cells as text, so results of two engines compare exactly (decimals print with their scale).
fn text(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>> {
    use warehouse::arrow::util::display::{ArrayFormatter, FormatOptions};
    let options = FormatOptions::default();
    let mut out = Vec::new();
    for b in batches {
        let f =
            b.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options)).collect::<Result<Vec<_>, _>>()?;
        for i in 0..b.num_rows() {
            out.push(f.iter().map(|x| x.value(i).to_string()).collect());
        }
    }
    Ok(out)
}

#[tokio::test]
async fn datafusion_and_duckdb_agree_over_one_snapshot_and_both_keep_tenants_apart() -> Result<()> {
    let books = Books::demo(6).await?;
    // a second tenant with one sale of 100.00 + 8% tax
    books.run(r#"{"op":"create_org","name":"Other Jewelers"}"#).await?;
    let other: oltp::Outcome =
        books.run(r#"{"op":"create_store","org_id":2,"code":"O","name":"Other","tax_rate":"8"}"#).await?;
    let who = books.run(r#"{"op":"create_contact","org_id":2,"name":"Zed","customer":true}"#).await?;
    books
        .run(&format!(r#"{{"op":"create_invoice","org_id":2,"store_id":{},"customer_id":{},"invoice_date":"2023-03-31","lines":[{{"kind":"misc","description":"Appraisal","unit_price":"100.00"}}],"finalize":true}}"#, other.id, who.id))
        .await?;
    let lake = books.lake("lake");
    sync(&books, &lake).await?;
    let snapshot = lake.snapshot().await?;
    let queries = [
        "select org_id, sum(amount) as s, count(*) as n from sales_line where status = 'finalized' group by org_id order by org_id",
        "select method, direction, sum(amount) as a, count(*) as n from payment where status = 'posted' group by method, direction order by method, direction",
        "select store_id, sum(qty_delta) as q, sum(cost) as c from stock_movement group by store_id order by store_id",
        "select customer_id, sum(total) as t from invoice where status = 'finalized' group by customer_id order by t desc, customer_id limit 20",
        "select s.family, sum(l.amount) as revenue, sum(l.cost) as cost from sales_line l join style s on s.id = l.style_id where l.status = 'finalized' and l.kind = 'sale' group by s.family order by s.family",
        "select invoice_date, count(*) as n, sum(tax + surtax) as tax from invoice where status = 'finalized' group by invoice_date order by invoice_date",
        "select d.year, d.quarter, d.day_name, count(*) as n, sum(l.amount) as a from sales_line l join date d on d.date = l.invoice_date group by d.year, d.quarter, d.day_name order by d.year, d.quarter, d.day_name",
        "select month, count(*) as n, sum(amount) as a from payment group by month order by month",
        // a store sees the records of the pieces it holds or has held, and their costs, layers and partners
        "select store_id, count(*) as n, sum(base_cost) as c from item group by store_id order by store_id",
        "select count(*) as n, sum(amount) as a from item_cost",
        "select count(*) as n, sum(cost_remaining) as c from cost_layer",
        "select count(*) as n, sum(share) as s from partnership",
        // the scan picks files by partition value (exactly) and by the log's min/max statistics (the rows are
        // still filtered): the answers must not change
        "select count(*) as n, sum(total) as t from invoice where not settled and invoice_date <= date '2023-02-15'",
        "select count(*) as n, sum(amount) as a from sales_line where month between date '2023-02-01' and date '2023-02-28' and invoice_date > date '2023-02-10'",
        "select count(*) as n, sum(amount) as a from payment where settled and paid_on >= date '2023-03-20'",
        "select count(*) as n, sum(total) as t from invoice where settled or total > 500",
        "select count(*) as n, sum(total) as t from invoice where total between 100 and 250.50 and month <> date '2023-01-01'",
        "select count(*) as n from contact where name >= 'M' and name < 'T'",
        "select count(*) as n, sum(amount) as a from payment where voided_on is not null or month in (date '2023-01-01', date '2023-03-01')",
    ];
    let store = |s: i64| Scope::Org { org_id: 1, stores: Some(vec![s]) };
    for scope in [Scope::Operator, Scope::Org { org_id: 1, stores: None }, store(1), store(2)] {
        let ctx = snapshot.session(&scope).await?;
        let duck = snapshot.duckdb(&scope).await?;
        for q in queries {
            let df = text(&ctx.sql(q).await?.collect().await?)?;
            let dd = text(&warehouse::duck::query(&duck, q)?)?;
            assert!(!df.is_empty(), "{q}");
            assert_eq!(df, dd, "{q} under {scope:?}");
        }
    }
    // the large facts live in one directory per org and month, and each row's month is its date's
    let misfiled = "select count(*) as n from sales_line where extract(day from month) <> 1 \
                    or extract(year from month) <> extract(year from invoice_date) \
                    or extract(month from month) <> extract(month from invoice_date)";
    let ctx = snapshot.session(&Scope::Operator).await?;
    assert_eq!(text(&ctx.sql(misfiled).await?.collect().await?)?, vec![vec!["0".to_string()]]);
    let (_, sales) =
        snapshot.tables().find(|(t, _)| t.name == "sales_line").ok_or_else(|| anyhow::anyhow!("no sales"))?;
    let files: Vec<String> = sales.get_file_uris()?.collect();
    assert!(files.iter().all(|f| f.contains("/sales_line/org_id=") && f.contains("/month=20")), "{files:?}");
    assert!(files.iter().any(|f| f.contains("/month=2023-03-01/")), "{files:?}");
    // a month's query reads that month's files and no others
    let march: Vec<&String> = files.iter().filter(|f| f.contains("/month=2023-03-01/")).collect();
    let plan = ctx.sql("explain select sum(amount) from sales_line where month = date '2023-03-01'").await?;
    let plan = text(&plan.collect().await?)?.concat().concat();
    assert_eq!(plan.matches(".parquet").count(), march.len(), "{plan}");
    assert!(march.iter().all(|f| plan.contains(f.rsplit('/').next().unwrap_or_default())), "{plan}");
    // the calendar is everyone's, and the same in both engines
    let q = "select count(*) as n, min(date) as first, max(date) as last from date where weekend";
    let two = Scope::Org { org_id: 2, stores: None };
    let df = text(&snapshot.session(&two).await?.sql(q).await?.collect().await?)?;
    assert_eq!(df, vec![vec!["7408".to_string(), "1990-01-06".to_string(), "2060-12-26".to_string()]]);
    assert_eq!(text(&warehouse::duck::query(&snapshot.duckdb(&two).await?, q)?)?, df);

    // org 2 sees its one invoice and nothing of org 1, in both engines
    let q = "select count(*) as n, sum(total) as t from invoice";
    let df = text(&snapshot.session(&two).await?.sql(q).await?.collect().await?)?;
    let dd = text(&warehouse::duck::query(&snapshot.duckdb(&two).await?, q)?)?;
    assert_eq!(df, vec![vec!["1".to_string(), "108.00".to_string()]]);
    assert_eq!(dd, df);
    // a store that is not permitted is not seen
    let none = Scope::Org { org_id: 2, stores: Some(vec![other.id + 100]) };
    let q = "select (select count(*) from invoice) as i, (select count(*) from store) as s";
    let df = text(&snapshot.session(&none).await?.sql(q).await?.collect().await?)?;
    assert_eq!(df, vec![vec!["0".to_string(), "0".to_string()]]);
    assert_eq!(text(&warehouse::duck::query(&snapshot.duckdb(&none).await?, q)?)?, df);
    let mine = Scope::Org { org_id: 2, stores: Some(vec![other.id]) };
    let df = text(&snapshot.session(&mine).await?.sql(q).await?.collect().await?)?;
    assert_eq!(df, vec![vec!["1".to_string(), "1".to_string()]]);
    Ok(())
}

/// The same content as a fresh rebuild of the same books, table by table.
async fn equals_a_rebuild(books: &Books, lake: &Lake, name: &str) -> Result<()> {
    let rebuilt = books.lake(name);
    etl::rebuild(&books.db, &rebuilt, &mut |_| {}).await?;
    let (inc, full) = (contents(lake).await?, contents(&rebuilt).await?);
    assert_eq!(rows(&inc), rows(&full));
    for ((t, x), (_, y)) in flat(inc)?.into_iter().zip(flat(full)?) {
        assert_eq!(x, y, "table {t} differs from a rebuild");
    }
    Ok(())
}

#[tokio::test]
async fn many_small_syncs_are_compacted_and_vacuumed_without_changing_a_row() -> Result<()> {
    let books = Books::demo(4).await?;
    let lake = books.lake("lake");
    sync(&books, &lake).await?;
    let sales = warehouse::tables::by_name("sales_line").ok_or_else(|| anyhow::anyhow!("no sales_line"))?;
    let customer = books.scalar("select min(customer_id) as v from invoices").await?;
    // one sale per sync, all in one month: each sync adds a file to that month's partition until the table's
    // 32nd version compacts them
    let first = lake.table(sales).await?.version().unwrap_or_default();
    let mut compacted = 0;
    for i in 0..(etl::COMPACT_EVERY + 3) {
        books
            .run(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":{customer},"invoice_date":"2023-03-30","lines":[{{"kind":"misc","description":"Cleaning {i}","unit_price":"25.00"}}],"finalize":true}}"#))
            .await?;
        compacted += sync(&books, &lake).await?.compacted;
    }
    let version = lake.table(sales).await?.version().unwrap_or_default();
    assert!(version > first + etl::COMPACT_EVERY - 1, "{first} → {version}");
    assert!(compacted > 0, "no compaction in {} syncs", etl::COMPACT_EVERY + 3);
    equals_a_rebuild(&books, &lake, "rebuilt-1").await?;

    // an explicit compaction leaves one file per partition; vacuum with no retention deletes the rest
    let partitions = |uris: Vec<String>| {
        uris.iter()
            .map(|u| u.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let before: Vec<String> = lake.table(sales).await?.get_file_uris()?.collect();
    let on_disk = |dir: &std::path::Path| walk(dir).into_iter().filter(|p| p.ends_with(".parquet")).count();
    let (merged, deleted) = etl::compact(&lake, chrono::Duration::zero()).await?;
    let after: Vec<String> = lake.table(sales).await?.get_file_uris()?.collect();
    assert!(merged > 0 && deleted > 0, "{merged} {deleted}");
    assert_eq!(after.len(), partitions(after.clone()));
    assert_eq!(partitions(after.clone()), partitions(before.clone()));
    assert_eq!(on_disk(&lake.dir().map(|d| d.join("sales_line")).unwrap_or_default()), after.len());
    equals_a_rebuild(&books, &lake, "rebuilt-2").await?;
    let r = etl::reconcile::reconcile(&books.db, &lake).await?;
    assert!(r.differences.is_empty(), "{:?}", r.differences);
    Ok(())
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[tokio::test]
async fn one_writer_at_a_time_and_follow_lands_what_is_committed() -> Result<()> {
    let books = std::sync::Arc::new(Books::demo(5).await?);
    let lake = books.lake("lake");
    // a second writer is refused while the first holds the lake, and nothing is written
    let held = lake.lock()?;
    let err = etl::sync(&books.db, &lake, &AtomicBool::new(false), &mut |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("another loupe process is syncing"), "{err}");
    assert!(lake.state().await?.is_none());
    drop(held);

    // follow: every committed command reaches the lake without anyone asking
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let follower = {
        let (books, lake, stop) = (books.clone(), lake.clone(), stop.clone());
        tokio::spawn(async move { etl::follow(&books.db, &lake, &stop, Duration::from_millis(50), &mut |_| {}).await })
    };
    let customer = books.scalar("select min(customer_id) as v from invoices").await?;
    for i in 0..3 {
        let sale = books
            .run(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":{customer},"invoice_date":"2023-03-30","lines":[{{"kind":"misc","description":"Sizing {i}","unit_price":"40.00"}}],"finalize":true}}"#))
            .await?;
        let last = books.scalar("select max(seq) as v from change_log").await?;
        let mut waited = Duration::ZERO;
        while lake.state().await?.map_or(0, |s| s.watermark) < last {
            assert!(waited < Duration::from_secs(60), "change {last} never landed");
            tokio::time::sleep(Duration::from_millis(20)).await;
            waited += Duration::from_millis(20);
        }
        let ctx = lake.snapshot().await?.session(&Scope::Org { org_id: 1, stores: None }).await?;
        let q = format!("select sum(amount) as a from sales_line where invoice_id = {}", sale.id);
        assert_eq!(text(&ctx.sql(&q).await?.collect().await?)?, vec![vec!["40.00".to_string()]]);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    follower.await??;
    // the follower let go of the lake
    drop(lake.lock()?);
    equals_a_rebuild(&books, &lake, "rebuilt").await?;
    Ok(())
}

/// The S3 leg: `TEST_S3_ENDPOINT` names a local S3 (scripts/s3.sh starts moto's) with a `loupe-test` bucket.
fn s3_lake(books: &Books) -> Result<Option<Lake>> {
    let Ok(endpoint) = std::env::var("TEST_S3_ENDPOINT") else {
        eprintln!("S3 leg skipped: set TEST_S3_ENDPOINT (scripts/s3.sh starts a local S3)");
        return Ok(None);
    };
    let prefix = books.dir.path().file_name().and_then(|n| n.to_str()).unwrap_or("lake").trim_start_matches('.');
    let options = [
        ("aws_endpoint", endpoint.as_str()),
        ("aws_allow_http", "true"),
        ("aws_region", "us-east-1"),
        ("aws_access_key_id", "loupe"),
        ("aws_secret_access_key", "loupe"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Ok(Some(Lake::open(&format!("s3://loupe-test/{prefix}/lake"), &books.dir.path().join("local"), options)?))
}

#[tokio::test]
async fn a_lake_in_s3_syncs_reconciles_compacts_and_reads_in_both_engines() -> Result<()> {
    let books = Books::demo(7).await?;
    let Some(lake) = s3_lake(&books)? else { return Ok(()) };
    assert!(lake.location().starts_with("s3://loupe-test/") && lake.dir().is_none());
    sync(&books, &lake).await?;
    let customer = books.scalar("select min(customer_id) as v from invoices").await?;
    books
        .run(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":{customer},"invoice_date":"2023-03-30","lines":[{{"kind":"misc","description":"Engraving","unit_price":"60.00"}}],"finalize":true}}"#))
        .await?;
    let second = sync(&books, &lake).await?;
    assert!(second.changes > 0 && second.rows > 0, "{second:?}");
    let r = etl::reconcile::reconcile(&books.db, &lake).await?;
    assert!(r.differences.is_empty() && r.cells > 100, "{:?}", r.differences);
    equals_a_rebuild(&books, &lake, "rebuilt").await?;

    // the state lives beside the tables in the bucket: a second handle on the same URL sees the same batch
    let again = s3_lake(&books)?.ok_or_else(|| anyhow::anyhow!("no S3"))?;
    assert_eq!(again.state().await?, lake.state().await?);

    // DuckDB reads local copies of exactly the snapshot's files and agrees with DataFusion
    let snapshot = lake.snapshot().await?;
    let q = "select store_id, count(*) as n, sum(total) as t from invoice group by store_id order by store_id";
    let df = text(&snapshot.session(&Scope::Operator).await?.sql(q).await?.collect().await?)?;
    let dd = text(&warehouse::duck::query(&snapshot.duckdb(&Scope::Operator).await?, q)?)?;
    assert!(!df.is_empty());
    assert_eq!(df, dd);

    // compaction and vacuum work on the bucket too, and change no row
    let (merged, _) = etl::compact(&lake, chrono::Duration::zero()).await?;
    assert!(merged > 0);
    equals_a_rebuild(&books, &lake, "rebuilt-2").await?;
    Ok(())
}

#[tokio::test]
async fn what_a_crashed_run_left_after_the_state_is_undone_never_published() -> Result<()> {
    let books = Books::demo(8).await?;
    let lake = books.lake("lake");
    sync(&books, &lake).await?;
    let published = contents(&lake).await?;
    let state = lake.state().await?;

    // a rebuild killed part way: some tables already overwritten from a later snapshot of the books
    let customer = books.scalar("select min(customer_id) as v from invoices").await?;
    books
        .run(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":{customer},"invoice_date":"2023-03-30","lines":[{{"kind":"misc","description":"Appraisal","unit_price":"80.00"}}],"finalize":true}}"#))
        .await?;
    for ms in [20_u64, 60, 150] {
        let _ = tokio::time::timeout(Duration::from_millis(ms), etl::rebuild(&books.db, &lake, &mut |_| {})).await;
    }
    // a file write already handed to the blocking pool finishes after its task is dropped; a killed process's
    // would be over before the next run starts
    tokio::time::sleep(Duration::from_millis(500)).await;
    // a stray commit after the state, as a sync killed between its tables would leave (made under the writer
    // lock, as every writer's)
    let held = lake.lock()?;
    let invoice = warehouse::tables::by_name("invoice").ok_or_else(|| anyhow::anyhow!("no invoice"))?;
    let table = lake.table(invoice).await?;
    let before = table.version().unwrap_or_default();
    let removed = vec![(1, 1)];
    lake.land(invoice, warehouse::Landing { rows: Vec::new(), removed }, 999_999).await?;
    assert!(lake.table(invoice).await?.version().unwrap_or_default() > before);
    drop(held);

    // readers still see exactly what was published
    assert_eq!(lake.state().await?, state);
    assert_eq!(flat(contents(&lake).await?)?, flat(published)?);

    // compaction first undoes the leftovers, so it never publishes them
    etl::compact(&lake, chrono::Duration::hours(1)).await?;
    let ctx = lake.snapshot().await?.session(&Scope::Operator).await?;
    assert_eq!(
        text(&ctx.sql("select count(*) as n from invoice where id = 1").await?.collect().await?)?,
        vec![vec!["1".to_string()]]
    );

    // and the next sync lands the new sale on top of the published batch: the same lake as a rebuild
    sync(&books, &lake).await?;
    equals_a_rebuild(&books, &lake, "rebuilt").await?;
    let r = etl::reconcile::reconcile(&books.db, &lake).await?;
    assert!(r.differences.is_empty(), "{:?}", r.differences);
    Ok(())
}

/// `payment_application` as an older Loupe wrote it: no `store_id`, no month partition.
static OLD_APPLICATIONS: warehouse::Table = warehouse::Table {
    name: "payment_application",
    role: warehouse::Role::Fact,
    grain: "an application of a payment",
    columns: &[
        warehouse::req("org_id", warehouse::Kind::Id),
        warehouse::req("id", warehouse::Kind::Id),
        warehouse::req("payment_id", warehouse::Kind::Id),
        warehouse::req("invoice_id", warehouse::Kind::Id),
        warehouse::req("amount", warehouse::Kind::Money),
        warehouse::req("applied_on", warehouse::Kind::Date),
        warehouse::opt("voided_on", warehouse::Kind::Date),
    ],
};

#[tokio::test]
async fn a_lake_from_an_older_loupe_is_refused_by_reports_and_sync_and_brought_up_to_date_by_a_rebuild() -> Result<()> {
    let books = Books::demo(9).await?;
    let lake = books.lake("lake");
    sync(&books, &lake).await?;
    {
        let _held = lake.lock()?;
        let dir = lake.dir().map(|d| d.join("payment_application")).unwrap_or_default();
        std::fs::remove_dir_all(&dir)?;
        lake.replace(&OLD_APPLICATIONS, Vec::new(), 0).await?;
    }
    // reports refuse it by name rather than fail on a missing column
    let err = lake.snapshot().await.map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("payment_application table") && err.contains("loupe etl rebuild"), "{err}");
    let customer = books.scalar("select min(customer_id) as v from invoices").await?;
    books
        .run(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":{customer},"invoice_date":"2023-03-30","lines":[{{"kind":"misc","description":"Repair","unit_price":"30.00"}}],"finalize":true,"payments":[{{"method":"cash"}}]}}"#))
        .await?;
    let err = sync(&books, &lake).await.unwrap_err().to_string();
    assert!(err.contains("payment_application table") && err.contains("loupe etl rebuild"), "{err}");
    etl::rebuild(&books.db, &lake, &mut |_| {}).await?;
    equals_a_rebuild(&books, &lake, "rebuilt").await
}

/// A seeded random walk over the commands that change rows already in the lake, with a sync after a random
/// number of them: after every sync the lake equals a rebuild of the same books and reconciles to the cent. Some
/// commands carry the largest figures the books take, or a step past them (refused, writing nothing): the
/// lake takes whatever the books took, to the cent.
#[tokio::test]
async fn random_commands_with_syncs_between_equal_a_rebuild_every_time() -> Result<()> {
    use rand::{Rng, SeedableRng};
    let books = Books::demo(6).await?;
    let lake = books.lake("lake");
    sync(&books, &lake).await?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261124);
    let day = "2023-03-31";
    let (mut applied, mut refunds, mut large) = (0, 0, 0);
    for round in 0..4 {
        for _ in 0..rng.random_range(3..12) {
            // each pick reads the books' current state; a command refused by the rules writes nothing
            let nth = rng.random_range(0..40);
            let few = nth % 3;
            let json = match rng.random_range(0..13) {
                0 => {
                    let piece = books.scalar(&format!("select coalesce((select id from items where serialized and status = 'in_stock' and ownership = 'owned' and store_id = 1 order by id limit 1 offset {nth}), 0) as v")).await?;
                    let customer = books.scalar(&format!("select coalesce((select id from contacts where is_customer and merged_into is null order by id limit 1 offset {nth}), 0) as v")).await?;
                    let price: i64 = rng.random_range(100..900_000);
                    format!(
                        r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":{customer},"invoice_date":"{day}","lines":[{{"kind":"sale","item_id":{piece},"unit_price":"{}.{:02}"}},{{"kind":"misc","description":"Engraving","unit_price":"35.00"}}],"finalize":true}}"#,
                        price / 100,
                        price % 100
                    )
                }
                1 => {
                    let inv = books.scalar(&format!("select coalesce((select id from invoices i where status = 'finalized' and not exists (select 1 from payment_applications a where a.invoice_id = i.id and a.voided_on is null) order by id desc limit 1 offset {few}), 0) as v")).await?;
                    format!(r#"{{"op":"void_invoice","org_id":1,"invoice_id":{inv},"voided_on":"{day}"}}"#)
                }
                2 => {
                    let inv = books.scalar(&format!("select coalesce((select id from invoices where status = 'finalized' order by id desc limit 1 offset {nth}), 0) as v")).await?;
                    format!(r#"{{"op":"reopen_invoice","org_id":1,"invoice_id":{inv},"reopened_on":"{day}"}}"#)
                }
                3 => {
                    let inv = books.scalar("select coalesce((select id from invoices where status = 'open' order by id limit 1), 0) as v").await?;
                    format!(r#"{{"op":"finalize_invoice","org_id":1,"invoice_id":{inv}}}"#)
                }
                4 => {
                    let pay = books.scalar(&format!("select coalesce((select id from payments where status = 'posted' and direction = 'in' order by id desc limit 1 offset {nth}), 0) as v")).await?;
                    format!(
                        r#"{{"op":"void_payment","org_id":1,"payment_id":{pay},"voided_on":"{day}","reason":"bounced"}}"#
                    )
                }
                5 => {
                    let customer = books.scalar(&format!("select coalesce((select customer_id from invoices where status = 'finalized' and total_cents > 0 order by id limit 1 offset {nth}), 0) as v")).await?;
                    let cents: i64 = rng.random_range(100..200_000);
                    format!(
                        r#"{{"op":"record_payment","org_id":1,"store_id":1,"customer_id":{customer},"paid_on":"{day}","method":"check","amount":"{}.{:02}"}}"#,
                        cents / 100,
                        cents % 100
                    )
                }
                6 => {
                    let item = books.scalar(&format!("select coalesce((select l.item_id from invoice_lines l join items t on t.id = l.item_id where t.serialized and t.ownership = 'owned' order by l.id desc limit 1 offset {nth}), 0) as v")).await?;
                    let cents: i64 = rng.random_range(-2_000..20_000);
                    let sign = if cents < 0 { "-" } else { "" };
                    format!(
                        r#"{{"op":"add_item_cost","org_id":1,"item_id":{item},"cost_date":"{day}","kind":"repair","amount":"{sign}{}.{:02}"}}"#,
                        cents.abs() / 100,
                        cents.abs() % 100
                    )
                }
                7 => {
                    let inv = books.scalar(&format!("select coalesce((select id from invoices i where status = 'finalized' and total_cents > 0 and not exists (select 1 from payment_applications a where a.invoice_id = i.id and a.voided_on is null) order by id limit 1 offset {few}), 0) as v")).await?;
                    format!(r#"{{"op":"write_off","org_id":1,"invoice_id":{inv},"written_on":"{day}"}}"#)
                }
                8 => {
                    // 1.00 of a payment's unapplied remainder paid back
                    let pay = books.scalar(&format!("select coalesce((select id from payments p where direction = 'in' and status = 'posted' and amount_cents > 100 + coalesce((select sum(a.amount_cents) from payment_applications a where a.payment_id = p.id and a.voided_on is null), 0) + coalesce((select sum(r.amount_cents) from payments r where r.refund_of_payment_id = p.id and r.voided_on is null), 0) order by id desc limit 1 offset {few}), 0) as v")).await?;
                    let customer = books
                        .scalar(&format!(
                            "select coalesce((select customer_id from payments where id = {pay}), 0) as v"
                        ))
                        .await?;
                    format!(
                        r#"{{"op":"refund","org_id":1,"store_id":1,"customer_id":{customer},"paid_on":"{day}","method":"cash","amount":"1.00","payment_id":{pay}}}"#
                    )
                }
                // the largest amount, or a cent past it, as a payment, a lot's cost and a price of many units
                10 => {
                    let customer = books.scalar(&format!("select coalesce((select customer_id from invoices where status = 'finalized' order by id limit 1 offset {nth}), 0) as v")).await?;
                    let amount: i64 = 9_999_999_999 + rng.random_range(-1..=1);
                    format!(
                        r#"{{"op":"record_payment","org_id":1,"store_id":1,"customer_id":{customer},"paid_on":"{day}","method":"other","amount":"{}.{:02}"}}"#,
                        amount / 100,
                        amount % 100
                    )
                }
                11 => {
                    let style = books.scalar(&format!("select coalesce((select style_id from items where not serialized and store_id = 1 order by id limit 1 offset {few}), 0) as v")).await?;
                    let cents: i64 = 9_999_999_999 + rng.random_range(-1..=1);
                    format!(
                        r#"{{"op":"receive_stock","org_id":1,"store_id":1,"style_id":{style},"qty":{},"cost":"{}.{:02}","received_on":"{day}"}}"#,
                        rng.random_range(1..=1_000_000),
                        cents / 100,
                        cents % 100
                    )
                }
                12 => {
                    let customer = books.scalar(&format!("select coalesce((select id from contacts where is_customer and merged_into is null order by id limit 1 offset {nth}), 0) as v")).await?;
                    // up to 50 × the largest price: with tax, inside the largest total; 95 and more are past it
                    let qty = [1, 50, 95, 1_000_000][rng.random_range(0..4)];
                    format!(
                        r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":{customer},"invoice_date":"{day}","lines":[{{"kind":"misc","description":"Gold","qty":{qty},"unit_price":"99999999.99"}}],"finalize":true}}"#
                    )
                }
                _ => {
                    let from = books.scalar(&format!("select coalesce((select customer_id from invoices order by id desc limit 1 offset {nth}), 0) as v")).await?;
                    let into = books.scalar(&format!("select coalesce((select customer_id from invoices order by id limit 1 offset {nth}), 0) as v")).await?;
                    format!(r#"{{"op":"merge_contacts","org_id":1,"from_id":{from},"into_id":{into}}}"#)
                }
            };
            let before = books.scalar("select count(*) as v from change_log").await?;
            let ok = books.run(&json).await.is_ok();
            if !ok {
                assert_eq!(books.scalar("select count(*) as v from change_log").await?, before, "{json} wrote");
            }
            applied += usize::from(ok);
            large += usize::from(ok && json.contains("99999999."));
            refunds += usize::from(ok && json.contains(r#""op":"refund""#));
        }
        sync(&books, &lake).await?;
        let r = etl::reconcile::reconcile(&books.db, &lake).await?;
        assert!(r.differences.is_empty(), "round {round}: {:?}", r.differences);
        equals_a_rebuild(&books, &lake, &format!("rebuilt-{round}")).await?;
    }
    assert!(applied >= 20, "only {applied} commands were accepted: the walk tests too little");
    assert!(refunds > 0, "no refund was accepted: the payments' refunded figure went untested");
    assert!(large > 0, "no command with the largest amount was accepted: the lake never saw one");
    // the partition flags, read from where the rows sit, say what the rows' own figures say, and both sides
    // of each are in use
    let ctx = lake.snapshot().await?.session(&Scope::Operator).await?;
    for (table, flag, zero) in [
        ("invoice", "settled", "total - paid - written_off"),
        ("payment", "settled", "amount - applied - refunded"),
        ("item", "empty", "qty_on_hand + qty_on_memo"),
        ("cost_layer", "empty", "qty_remaining"),
    ] {
        let sql = format!(
            "select count(case when {flag} <> ({zero} = 0) then 1 end) as wrong,
                    count(case when {flag} then 1 end) as yes, count(case when not {flag} then 1 end) as no
             from {table}"
        );
        let b = ctx.sql(&sql).await?.collect().await?;
        let n = |c: usize| b[0].column(c).as_any().downcast_ref::<Int64Array>().map(|a| a.value(0));
        assert_eq!(n(0), Some(0), "{table}.{flag} disagrees with {zero}");
        assert!(n(1) > Some(0) && n(2) > Some(0), "{table}.{flag}: one side is empty");
    }
    // the derived monthly sales count the lines and revenue that the lines of finalized invoices add up to,
    // month by month, and each month's change date is no earlier than its last finalization or void
    let sql = "with m as (
                 select first_day, sum(lines) as lines, sum(revenue) as revenue, max(changed_on) as changed_on
                 from sales_month group by first_day
               ),
               l as (
                 select cast(date_trunc('month', invoice_date) as date) as first_day,
                        count(case when status = 'finalized' then 1 end) as lines,
                        sum(case when status = 'finalized' then amount - trade_concession else 0 end) as revenue,
                        max(greatest(finalized_on, coalesce(voided_on, finalized_on))) as last_on
                 from sales_line
                 where kind in ('sale', 'return', 'service', 'misc') and status in ('finalized', 'voided')
                 group by 1
               )
               select count(*) as months,
                      count(case when m.lines = l.lines and m.revenue = l.revenue and m.changed_on >= l.last_on
                                 then 1 end) as agree
               from l left join m on m.first_day = l.first_day";
    let b = ctx.sql(sql).await?.collect().await?;
    let n = |c: usize| b[0].column(c).as_any().downcast_ref::<Int64Array>().map(|a| a.value(0));
    assert!(n(0) >= Some(3), "the walk's lines span {:?} months", n(0));
    assert_eq!(n(1), n(0), "sales_month disagrees with the lines");
    Ok(())
}

/// The SQL console an org's users get holds as if they were hostile: it answers their queries over the org's
/// own rows, and refuses every way out — another org's files read directly, the books read as a blob, any file
/// read or listed, a file written, a database attached, an extension installed or loaded, the settings
/// changed, anything but one read-only statement — and a user allowed only some stores gets no console.
#[tokio::test]
async fn the_org_console_answers_its_own_rows_and_refuses_every_escape() -> Result<()> {
    let books = Books::demo(6).await?;
    books.run(r#"{"op":"create_org","name":"Other Jewelers"}"#).await?;
    books.run(r#"{"op":"create_store","org_id":2,"code":"O","name":"Other"}"#).await?;
    books.run(r#"{"op":"create_contact","org_id":2,"name":"Zed Secret","customer":true}"#).await?;
    let lake = books.lake("lake");
    sync(&books, &lake).await?;
    let snapshot = lake.snapshot().await?;
    let console = snapshot.console(&Scope::Org { org_id: 1, stores: None }).await?;
    let limits = warehouse::duck::ConsoleLimits::default();
    let count = |sql: &str| -> Result<i64> {
        let a = console.query(sql, limits)?;
        Ok(a.batches[0].column(0).as_any().downcast_ref::<Int64Array>().map(|c| c.value(0)).unwrap_or(-1))
    };
    // the org's own rows, as SQL over the books counts them
    let contacts = books.scalar("select count(*) as v from contacts where org_id = 1").await?;
    assert_eq!(count("select count(*) from contact")?, contacts);
    assert_eq!(count("  -- a comment first\n select count(*) from contact where org_id = 2;  ")?, 0);
    assert_eq!(count("with c as (select * from contact) select count(*) from c")?, contacts);
    // a result over the row limit is cut, and says so
    let small = warehouse::duck::ConsoleLimits { rows: 3, ..limits };
    let a = console.query("select id from contact order by id", small)?;
    assert!(a.cut && a.batches.iter().map(|b| b.num_rows()).sum::<usize>() == 3);
    // a query over the time limit is stopped
    let quick = warehouse::duck::ConsoleLimits { time: std::time::Duration::from_millis(200), ..limits };
    let slow = console.query("select count(*) from range(10000000000) a", quick).unwrap_err().to_string();
    assert!(slow.contains("longer than"), "{slow}");

    let root = books.dir.path().join("lake").display().to_string();
    let books_file = books.dir.path().join("loupe.db").display().to_string();
    let escapes = [
        format!("select * from read_parquet('{root}/contact/**/*.parquet')"),
        format!("select * from read_parquet('{root}/contact/org_id=2/*.parquet')"),
        format!("select * from read_blob('{books_file}')"),
        "select * from read_csv('/etc/passwd')".to_string(),
        "select * from read_text('/etc/hostname')".to_string(),
        format!("select * from glob('{root}/**')"),
        format!("copy (select 1) to '{root}/../stolen.csv'"),
        format!("attach '{books_file}' as books"),
        format!("attach '{books_file}' as books (type sqlite)"),
        "install sqlite".to_string(),
        "load httpfs".to_string(),
        "create view mine as select 1".to_string(),
        "select 1; select 2".to_string(),
        "set enable_external_access = true".to_string(),
        "select set_config('enable_external_access', 'true')".to_string(),
        "pragma version".to_string(),
        "drop view contact".to_string(),
        // the same, dressed as a query
        format!("select * from query('copy (select 1) to ''{root}/../stolen.csv''')"),
        format!("select * from query('attach ''{books_file}'' as books')"),
        "summarize select * from read_csv('/etc/passwd')".to_string(),
        "describe select * from read_text('/etc/hostname')".to_string(),
        format!("from read_parquet('{root}/contact/org_id=2/*.parquet')"),
        format!("with x as (select 1) select * from read_blob('{books_file}')"),
    ];
    for sql in &escapes {
        let refused = console.query(sql, limits);
        assert!(refused.is_err(), "the console ran {sql}");
    }
    assert!(!std::path::Path::new(&format!("{root}/../stolen.csv")).exists());
    // the other org's name is nowhere the console can reach
    assert_eq!(count("select count(*) from contact where name = 'Zed Secret'")?, 0);
    // store-restricted users get reports, not the console
    assert!(snapshot.console(&Scope::Org { org_id: 1, stores: Some(vec![1]) }).await.is_err());
    Ok(())
}

/// A row the lake cannot take — books written by an older Loupe, or by hand — stops the sync with the row named
/// by org, table and id: nothing of the batch lands, for any org, and nothing panics, however often it is run. Once
/// the row is corrected in the books, the next sync lands everything, another org's change with it.
#[tokio::test]
async fn a_row_the_lake_cannot_take_stops_the_batch_naming_its_org_table_and_id() -> Result<()> {
    let books = Books::demo(7).await?;
    books.run(r#"{"op":"create_org","name":"Other Jewelers"}"#).await?;
    let store = books.run(r#"{"op":"create_store","org_id":2,"code":"O","name":"Other","tax_rate":"8"}"#).await?;
    let who = books.run(r#"{"op":"create_contact","org_id":2,"name":"Zed","customer":true}"#).await?;
    let lake = books.lake("lake");
    sync(&books, &lake).await?;
    let landed = || async { anyhow::Ok((lake.state().await?.map(|s| s.watermark), flat(contents(&lake).await?)?)) };
    let before = landed().await?;

    // an older Loupe stored a line of 90,000,000,000,000,000.00: whole cents, but past the lake's Decimal128(18, 2)
    let customer = books.scalar("select min(customer_id) as v from invoices").await?;
    let inv = books.run(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":{customer},"invoice_date":"2023-03-31","lines":[{{"kind":"misc","description":"Cleaning","unit_price":"25.00"}}],"finalize":true}}"#)).await?;
    let line = inv.ids[0];
    books
        .db
        .execute_trusted(&format!("update invoice_lines set amount_cents = 9000000000000000000 where id = {line}"))
        .await?;
    // meanwhile the other org sells something
    books.run(&format!(r#"{{"op":"create_invoice","org_id":2,"store_id":{},"customer_id":{},"invoice_date":"2023-03-31","lines":[{{"kind":"misc","description":"Appraisal","unit_price":"100.00"}}],"finalize":true}}"#, store.id, who.id)).await?;
    let refused = format!(
        "org 1, invoice {}: net_sales 90000000000000000.00 is outside the lake's money type (at most \
         9999999999999999.99 either side of zero); nothing of this batch landed: correct the row in the books and \
         sync again",
        inv.id
    );
    for _ in 0..2 {
        let e = etl::sync(&books.db, &lake, &AtomicBool::new(false), &mut |_| {}).await.expect_err("refused");
        assert_eq!(e.to_string(), refused);
        assert!(landed().await? == before, "a refused sync changed the lake");
    }
    let e = etl::rebuild(&books.db, &books.lake("rebuilt"), &mut |_| {}).await.expect_err("refused");
    assert_eq!(e.to_string(), refused);
    books.db.execute_trusted(&format!("update invoice_lines set amount_cents = 2500 where id = {line}")).await?;

    // an older Loupe let SQLite turn a lot's pool cost into a float
    let lot =
        books.scalar("select min(id) as v from items where not serialized and qty_on_hand > 0 and org_id = 1").await?;
    let style = books.scalar(&format!("select style_id as v from items where id = {lot}")).await?;
    let at = books.scalar(&format!("select store_id as v from items where id = {lot}")).await?;
    let again = books
        .run(&format!(
            r#"{{"op":"receive_stock","org_id":1,"store_id":{at},"style_id":{style},"qty":1,"cost":"1.00"}}"#
        ))
        .await?;
    assert_eq!(again.id, lot);
    let pool = books.scalar(&format!("select pool_cost_cents as v from items where id = {lot}")).await?;
    books.db.execute_trusted(&format!("update items set pool_cost_cents = 9.3e18 where id = {lot}")).await?;
    let e = etl::sync(&books.db, &lake, &AtomicBool::new(false), &mut |_| {}).await.expect_err("refused");
    assert_eq!(
        e.to_string(),
        format!(
            "org 1, item {lot}: column pool_cost: expected an integer, found Real; nothing of this batch landed: \
             correct the row in the books and sync again"
        )
    );
    assert!(landed().await? == before, "a refused sync changed the lake");

    // corrected, everything lands: the other org's sale too
    books.db.execute_trusted(&format!("update items set pool_cost_cents = {pool} where id = {lot}")).await?;
    sync(&books, &lake).await?;
    let ctx = lake.snapshot().await?.session(&Scope::Operator).await?;
    let b = ctx.sql("select count(*) as n from sales_line where org_id = 2").await?.collect().await?;
    assert_eq!(b[0].column(0).as_any().downcast_ref::<Int64Array>().map(|a| a.value(0)), Some(1));
    let r = etl::reconcile::reconcile(&books.db, &lake).await?;
    assert!(r.differences.is_empty(), "{:?}", r.differences);
    equals_a_rebuild(&books, &lake, "rebuilt-after").await
}
