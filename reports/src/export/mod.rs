//! Writers: every format reads the same [`Header`], typed batches and footer, so CSV, XLSX, PDF, JSON and the
//! screen agree about what is money, a percent or a date. CSV and XLSX stream (a million rows never sit in
//! memory); the screen, JSON and PDF lay out a collected result.

use std::io::Write;

use crate::engine::Prepared;
use crate::error::{Error, Result};
use crate::model::Header;

pub mod csv;
pub mod json;
pub mod pdf;
pub mod table;
pub mod xlsx;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An aligned text table for a terminal.
    Table,
    /// RFC 4180 CSV.
    Csv,
    /// The result model as JSON (what the API serves).
    Json,
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        Ok(match s {
            "table" => Format::Table,
            "csv" => Format::Csv,
            "json" => Format::Json,
            other => return Err(Error::param("format", other, "must be one of: table, csv, json")),
        })
    }
}

/// Writes a prepared report in `format` to `out`; returns the number of rows written.
pub async fn write(mut p: Prepared, format: Format, out: &mut dyn Write) -> Result<usize> {
    match format {
        Format::Csv => {
            let mut w = csv::Writer::new(&p.header, out)?;
            let mut rows = 0;
            while let Some(b) = p.next().await? {
                w.batch(&p.header, &b)?;
                rows += b.num_rows();
            }
            w.finish()?;
            Ok(rows)
        }
        Format::Table => {
            let o = p.collect().await?;
            table::write(&o, out)?;
            Ok(o.rows)
        }
        Format::Json => {
            let rows = json::write(p, out).await?;
            Ok(rows)
        }
    }
}

/// An I/O failure while writing `format`.
pub(crate) fn io(format: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |e| Error::Export { format, why: e.to_string() }
}

/// The header lines every document starts with: title, org, filters, data as of.
pub fn preamble(h: &Header) -> Vec<String> {
    let mut out = vec![h.title.clone()];
    if !h.org.is_empty() {
        out.push(h.org.clone());
    }
    out.push(h.filters.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(" · "));
    out.push(format!("Data as of {}", h.data_as_of));
    out
}
