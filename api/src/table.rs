//! Printing Arrow results on a terminal: aligned columns (numbers to the right) or RFC 4180 CSV.

use anyhow::Result;
use warehouse::arrow::array::RecordBatch;
use warehouse::arrow::datatypes::DataType;
use warehouse::arrow::util::display::{ArrayFormatter, FormatOptions};

/// A result as text: column names, which columns are numbers (right-aligned), and the formatted cells.
#[derive(Default)]
struct Cells {
    header: Vec<String>,
    numeric: Vec<bool>,
    rows: Vec<Vec<String>>,
}

fn cells(batches: &[RecordBatch]) -> Result<Cells> {
    let Some(first) = batches.first() else { return Ok(Cells::default()) };
    let schema = first.schema();
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let numeric: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().is_numeric() || matches!(f.data_type(), DataType::Decimal128(..)))
        .collect();
    let options = FormatOptions::default().with_null("");
    let mut rows = Vec::new();
    for b in batches {
        let formatters =
            b.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options)).collect::<Result<Vec<_>, _>>()?;
        for i in 0..b.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(i).to_string()).collect());
        }
    }
    Ok(Cells { header, numeric, rows })
}

/// Aligned columns under a header.
pub(crate) fn aligned(batches: &[RecordBatch]) -> Result<String> {
    let Cells { header, numeric, rows } = cells(batches)?;
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |r: &[String]| {
        r.iter()
            .enumerate()
            .map(|(i, c)| if numeric[i] { format!("{c:>w$}", w = width[i]) } else { format!("{c:<w$}", w = width[i]) })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = String::new();
    out.push_str(&line(&header));
    out.push('\n');
    out.push_str(&width.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out.push_str(&format!("({} row{})\n", rows.len(), if rows.len() == 1 { "" } else { "s" }));
    Ok(out)
}

/// RFC 4180: a header row, fields quoted when they hold a comma, a quote or a line break.
pub(crate) fn csv(batches: &[RecordBatch]) -> Result<String> {
    let Cells { header, rows, .. } = cells(batches)?;
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    };
    let mut out = String::new();
    for r in std::iter::once(&header).chain(rows.iter()) {
        out.push_str(&r.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}
