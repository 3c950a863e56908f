//! `loupe bench pdf`: how long a long report takes to print, and the memory it takes. A synthetic sales
//! register (eight shown columns: customer, date, note, amount, paid, margin %, items, due; a hidden id; a
//! totals row) of a given number of rows, in batches as a query streams them, rendered by the PDF exporter.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use reports::export::pdf;
use reports::model::{Column, Header, Output, Paper, Totals, ratio};
use warehouse::arrow::array::{ArrayRef, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray};

/// Rows per batch, as DataFusion streams them.
const BATCH: usize = 8192;

const NAMES: [&str; 5] = ["O'Brien & Sons", "Plain Jewelers", "Ruby Tuesday", "Gem & Co.", "Atelier Demo"];

/// The peak resident set (VmHWM) and the resident set (VmRSS), in MiB.
fn memory_mib() -> (f64, f64) {
    (super::status_mib("VmHWM:"), super::status_mib("VmRSS:"))
}

/// A sales register of `rows` rows: amounts with cents (every seventh negative), whole-dollar payments, a margin
/// (empty in one row of eleven), item counts, dates, a note on every fifth row and a due date on five of six.
fn register(rows: usize, paper: Paper) -> Result<Output> {
    let columns = vec![
        Column::id("customer_id"),
        Column::text("customer", "Customer").labelled(),
        Column::date("date", "Date"),
        Column::text("note", "Note"),
        Column::money("amount", "Amount"),
        Column::money("paid", "Paid"),
        Column::ratio("margin", "Margin %", &[(1, "paid")], &[(1, "amount")]),
        Column::count("items", "Items"),
        Column::date("due", "Due"),
    ];
    // 2026-01-01 as days since 1970-01-01
    let day0 = 20_454_i32;
    let mut totals = Totals::new(&columns);
    let mut batches = Vec::with_capacity(rows.div_ceil(BATCH));
    for start in (0..rows).step_by(BATCH) {
        let ids: Vec<i64> = (start..(start + BATCH).min(rows)).map(|i| i as i64).collect();
        let amount = |i: i64| {
            let a = i128::from(i * 12_345 + 678);
            if i % 7 == 3 { -a } else { a }
        };
        let day = |i: i64| day0 + (i % 31) as i32;
        let arrays: Vec<(&str, ArrayRef)> = vec![
            ("customer_id", Arc::new(Int64Array::from(ids.clone()))),
            ("customer", Arc::new(ids.iter().map(|i| Some(NAMES[*i as usize % NAMES.len()])).collect::<StringArray>())),
            ("date", Arc::new(ids.iter().map(|i| Some(day(*i))).collect::<Date32Array>())),
            (
                "note",
                Arc::new(
                    ids.iter()
                        .map(|i| Some(if i % 5 == 0 { "50% deposit; balance on pickup" } else { "" }))
                        .collect::<StringArray>(),
                ),
            ),
            (
                "amount",
                Arc::new(
                    ids.iter()
                        .map(|i| Some(amount(*i)))
                        .collect::<Decimal128Array>()
                        .with_precision_and_scale(18, 2)?,
                ),
            ),
            (
                "paid",
                Arc::new(
                    ids.iter()
                        .map(|i| Some(i128::from(*i) * 1000))
                        .collect::<Decimal128Array>()
                        .with_precision_and_scale(18, 2)?,
                ),
            ),
            (
                "margin",
                Arc::new(
                    ids.iter()
                        .map(|i| if i % 11 == 4 { None } else { ratio(i128::from(*i) * 1000, amount(*i)) })
                        .collect::<Decimal128Array>()
                        .with_precision_and_scale(10, 4)?,
                ),
            ),
            (
                "items",
                Arc::new(ids.iter().map(|i| Some(if i % 7 == 3 { -1 } else { i % 4 + 1 })).collect::<Int64Array>()),
            ),
            ("due", Arc::new(ids.iter().map(|i| (i % 6 != 0).then(|| day(*i) + 30)).collect::<Date32Array>())),
        ];
        let batch = RecordBatch::try_from_iter(arrays)?;
        totals.add(&columns, &batch);
        batches.push(batch);
    }
    let header = Header {
        report: "sales_register",
        view: "detail",
        title: "Sales register — benchmark".into(),
        org: "Bench Jewelers".into(),
        stores: "All stores".into(),
        paper,
        filters: vec![("From".into(), "2026-01-01".into()), ("To".into(), "2026-01-31".into())],
        params: BTreeMap::new(),
        data_as_of: "2026-02-01T06:00:00Z".into(),
        columns,
    };
    let totals = totals.finish(&header.columns);
    Ok(Output { header, batches, totals, total_links: BTreeMap::new(), rows })
}

/// Renders a register of `rows` rows on `paper` and prints the figures; keeps the PDF at `out` when given.
pub(crate) fn run(rows: usize, paper: Paper, out: Option<&Path>) -> Result<()> {
    let t = Instant::now();
    let o = register(rows, paper)?;
    let made = t.elapsed();
    let (_, before) = memory_mib();
    let t = Instant::now();
    let doc = pdf::document(&o)?;
    let took = t.elapsed();
    let (peak, _) = memory_mib();
    if let Some(path) = out {
        std::fs::write(path, &doc.bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "pdf: {rows} rows, {} pages, {} bytes ({:.1} MB), {:.2} s ({:.0} rows/s; data made in {:.2} s); \
         peak RSS {peak:.0} MiB (VmHWM; {before:.0} MiB before rendering), paper {}",
        doc.pages,
        doc.bytes.len(),
        doc.bytes.len() as f64 / 1e6,
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64(),
        made.as_secs_f64(),
        paper.as_str()
    );
    Ok(())
}
