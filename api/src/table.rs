//! Arrow results on a terminal (`loupe sql`): cells in Arrow's display form, printed by the reports' own table
//! printer and CSV writer, so the CLI has one of each.

use anyhow::Result;
use reports::export::table::Grid;
use warehouse::arrow::array::RecordBatch;
use warehouse::arrow::datatypes::DataType;
use warehouse::arrow::util::display::{ArrayFormatter, FormatOptions};

/// A result as text: column names, which columns are numbers (right-aligned), and the formatted cells.
fn grid(batches: &[RecordBatch]) -> Result<Grid> {
    let Some(first) = batches.first() else { return Ok(Grid::default()) };
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
    Ok(Grid { header, numeric, rows, ..Grid::default() })
}

/// Aligned columns under a header, fitted to `width` when given.
pub(crate) fn aligned(batches: &[RecordBatch], width: Option<usize>) -> Result<String> {
    let mut out = Vec::new();
    grid(batches)?.write(&mut out, width)?;
    Ok(String::from_utf8(out)?)
}

/// RFC 4180: a header row, fields quoted when they hold a comma, a quote or a line break.
pub(crate) fn csv(batches: &[RecordBatch]) -> Result<String> {
    let g = grid(batches)?;
    let mut out = Vec::new();
    if !g.header.is_empty() {
        reports::export::csv::text(&mut out, &g.header, &g.rows)?;
    }
    Ok(String::from_utf8(out)?)
}

/// The terminal's width when standard output is one (a pipe or file gets whole lines).
pub(crate) fn terminal_width() -> Option<usize> {
    console::Term::stdout().size_checked().map(|(_, cols)| usize::from(cols))
}
