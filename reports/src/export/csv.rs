//! CSV (RFC 4180): UTF-8, a header row of column labels, plain numbers (no currency symbols or thousands
//! separators; percents as ratios, 0.1234), ISO dates. Rows only: no title or totals lines, so the file loads
//! as data anywhere.

use std::io::Write;

use warehouse::arrow::array::RecordBatch;

use crate::error::{Error, Result};
use crate::model::{Header, Value};

/// A streaming CSV writer.
pub struct Writer<W: Write> {
    inner: ::csv::Writer<W>,
}

fn err(e: ::csv::Error) -> Error {
    Error::Export { format: "csv", why: e.to_string() }
}

impl<W: Write> Writer<W> {
    /// Writes the header row, after a UTF-8 byte-order mark when `bom` (Excel on Windows reads a CSV without
    /// one in the machine's code page, and "0–30" comes out garbled).
    pub fn new(h: &Header, mut out: W, bom: bool) -> Result<Writer<W>> {
        if bom {
            out.write_all("\u{feff}".as_bytes()).map_err(crate::export::io("csv"))?;
        }
        let mut inner = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(out);
        inner.write_record(h.shown().map(|(_, c)| c.label.as_ref())).map_err(err)?;
        Ok(Writer { inner })
    }

    /// Writes a batch's rows.
    pub fn batch(&mut self, h: &Header, b: &RecordBatch) -> Result<()> {
        for r in 0..b.num_rows() {
            self.inner.write_record(h.shown().map(|(i, c)| Value::at(c.ty, b.column(i), r).plain())).map_err(err)?;
        }
        Ok(())
    }

    /// Flushes.
    pub fn finish(mut self) -> Result<()> {
        self.inner.flush().map_err(crate::export::io("csv"))
    }
}

/// Writes text cells under a header as RFC 4180 CSV, CRLF line ends (what `loupe sql --format csv` prints).
pub fn text(out: &mut dyn Write, header: &[String], rows: &[Vec<String>]) -> Result<()> {
    let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(out);
    for r in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        w.write_record(r).map_err(err)?;
    }
    w.flush().map_err(crate::export::io("csv"))
}
