//! The lake against the books, for every org and day, to the cent: sales and tax of finalized invoices, money
//! received (net of refunds), the AR balance at the end of each day, and stock units and owned cost at the end
//! of each day. Each figure is computed twice, by SQL over the books and by DataFusion over the lake, from
//! one snapshot of the books at the lake's watermark.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use oltp::Db;
use oltp::db::Q;
use warehouse::arrow::array::{Array, Date32Array, Decimal128Array, Int64Array, RecordBatch};
use warehouse::arrow::datatypes::DataType;
use warehouse::{Lake, Scope};

use crate::error::{Error, Result};

/// One figure of one org on one day that differs between the books and the lake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The org.
    pub org_id: i64,
    /// The day.
    pub day: NaiveDate,
    /// Which figure (`sales`, `tax`, `payments`, `ar_balance`, `stock_units`, `stock_cost`).
    pub figure: &'static str,
    /// In the books (cents, or units for `stock_units`).
    pub books: i64,
    /// In the lake.
    pub lake: i64,
}

/// What reconciliation compared and found.
#[derive(Debug, Clone, Default)]
pub struct Reconciliation {
    /// The watermark compared at.
    pub watermark: i64,
    /// (org, day, figure) cells compared.
    pub cells: usize,
    /// The cells that differ.
    pub differences: Vec<Difference>,
}

/// Daily flows: (figure, books SQL, lake SQL); each query yields (org_id, day, value) rows.
const FLOWS: &[(&str, &str, &str)] = &[
    (
        "sales",
        "select org_id, invoice_date as day, cast(sum(subtotal_cents) as bigint) as v from invoices
         where status = 'finalized' group by org_id, invoice_date",
        "select org_id, invoice_date as day, sum(subtotal) as v from invoice where status = 'finalized'
         group by org_id, invoice_date",
    ),
    (
        "tax",
        "select org_id, invoice_date as day, cast(sum(tax_cents + surtax_cents) as bigint) as v from invoices
         where status = 'finalized' group by org_id, invoice_date",
        "select org_id, invoice_date as day, sum(tax + surtax) as v from invoice where status = 'finalized'
         group by org_id, invoice_date",
    ),
    (
        "payments",
        "select org_id, paid_on as day,
                cast(sum(case when direction = 'in' then amount_cents else -amount_cents end) as bigint) as v
         from payments where status = 'posted' group by org_id, paid_on",
        "select org_id, paid_on as day, sum(case when direction = 'in' then amount else -amount end) as v
         from payment where status = 'posted' group by org_id, paid_on",
    ),
    (
        "ar_balance",
        "select org_id, day, cast(sum(v) as bigint) as v from (
           select org_id, invoice_date as day, total_cents as v from invoices where status = 'finalized'
           union all
           select a.org_id, a.applied_on, -a.amount_cents from payment_applications a
             join payments p on p.id = a.payment_id where a.voided_on is null and p.status = 'posted'
           union all
           select org_id, written_on, -amount_cents from write_offs where voided_on is null
         ) x group by org_id, day",
        "select org_id, day, sum(v) as v from (
           select org_id, invoice_date as day, total as v from invoice where status = 'finalized'
           union all
           select a.org_id, a.applied_on as day, -a.amount as v from payment_application a
             join payment p on p.id = a.payment_id where a.voided_on is null and p.status = 'posted'
           union all
           select org_id, written_on as day, -amount as v from write_off where voided_on is null
         ) x group by org_id, day",
    ),
    (
        "stock_units",
        "select org_id, moved_on as day, cast(sum(qty_delta + memo_delta) as bigint) as v from stock_movements
         group by org_id, moved_on",
        "select org_id, moved_on as day, sum(qty_delta + memo_delta) as v from stock_movement
         group by org_id, moved_on",
    ),
    (
        "stock_cost",
        "select org_id, moved_on as day, cast(sum(cost_cents) as bigint) as v from stock_movements
         group by org_id, moved_on",
        "select org_id, moved_on as day, sum(cost) as v from stock_movement group by org_id, moved_on",
    ),
];

/// Figures that are balances: the daily flows summed from the first day on.
const BALANCES: &[&str] = &["ar_balance", "stock_units", "stock_cost"];

type Cells = BTreeMap<(i64, NaiveDate, &'static str), i64>;

/// Compares the lake with the books. The lake must hold every change (run a sync first): otherwise this is an
/// error saying how far behind it is.
pub async fn reconcile(db: &Db, lake: &Lake) -> Result<Reconciliation> {
    let snapshot = lake.snapshot().await?;
    let watermark = snapshot.state().watermark;
    let mut rt = db.read_snapshot().await?;
    let last = rt.last_change().await?;
    if last != watermark {
        return Err(Error::Behind { watermark, last });
    }
    let ctx = snapshot.session(&Scope::Operator).await?;
    let (mut books, mut lake_cells) = (Cells::new(), Cells::new());
    for (figure, books_sql, lake_sql) in FLOWS {
        for r in rt.fetch_all(Q::new(books_sql)).await? {
            *books.entry((r.i64("org_id")?, r.date("day")?, *figure)).or_default() += r.i64("v")?;
        }
        for b in ctx.sql(lake_sql).await?.collect().await? {
            add_batch(&mut lake_cells, figure, &b)?;
        }
    }
    drop(rt);
    running(&mut books);
    running(&mut lake_cells);
    let keys: BTreeSet<_> = books.keys().chain(lake_cells.keys()).copied().collect();
    let mut differences = Vec::new();
    for k in &keys {
        let (b, l) = (books.get(k).copied().unwrap_or(0), lake_cells.get(k).copied().unwrap_or(0));
        if b != l {
            differences.push(Difference { org_id: k.0, day: k.1, figure: k.2, books: b, lake: l });
        }
    }
    Ok(Reconciliation { watermark, cells: keys.len(), differences })
}

/// Turns the daily flows of balance figures into end-of-day balances (on every day either side has a flow).
fn running(cells: &mut Cells) {
    for figure in BALANCES {
        let mut total: BTreeMap<i64, i64> = BTreeMap::new();
        for ((org, _, f), v) in cells.iter_mut() {
            if f == figure {
                let t = total.entry(*org).or_default();
                *t += *v;
                *v = *t;
            }
        }
    }
}

fn add_batch(cells: &mut Cells, figure: &'static str, b: &RecordBatch) -> Result<()> {
    let orgs = b.column(0).as_any().downcast_ref::<Int64Array>().ok_or_else(|| shape(figure, "org_id"))?;
    let days = b.column(1).as_any().downcast_ref::<Date32Array>().ok_or_else(|| shape(figure, "day"))?;
    let values = b.column(2);
    for i in 0..b.num_rows() {
        let day = days.value_as_date(i).ok_or_else(|| shape(figure, "day"))?;
        let v = match values.data_type() {
            // money: the raw decimal at scale 2 is cents
            DataType::Decimal128(_, 2) => {
                let d = values.as_any().downcast_ref::<Decimal128Array>().ok_or_else(|| shape(figure, "v"))?;
                if d.is_null(i) { 0 } else { i64::try_from(d.value(i)).map_err(|_| shape(figure, "v"))? }
            }
            DataType::Int64 => {
                let d = values.as_any().downcast_ref::<Int64Array>().ok_or_else(|| shape(figure, "v"))?;
                if d.is_null(i) { 0 } else { d.value(i) }
            }
            _ => return Err(shape(figure, "v")),
        };
        *cells.entry((orgs.value(i), day, figure)).or_default() += v;
    }
    Ok(())
}

fn shape(figure: &str, column: &str) -> Error {
    Error::Shape(format!("reconcile {figure}: unexpected type or value in column {column}"))
}
