//! Writers: every format reads the same [`Header`], typed batches and footer, so CSV, XLSX, PDF, JSON and the
//! screen agree about what is money, a percent or a date. CSV and XLSX stream (a million rows never sit in
//! memory); the screen, JSON and PDF lay out a collected result (the PDF in chunks of pages, from its rows kept
//! as Arrow batches).

use std::io::Write;
use std::path::Path;

use crate::engine::Prepared;
use crate::error::{Error, Result};
use crate::model::{Header, Output, Totals};

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
    /// An Excel workbook (streamed in constant memory).
    Xlsx,
    /// A PDF document (at most [`pdf::MAX_ROWS`] rows, laid out in chunks).
    Pdf,
}

impl Format {
    /// The format's name, as `--format` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }

    /// Binary formats go to a file, never a terminal.
    pub fn needs_file(self) -> bool {
        matches!(self, Format::Xlsx | Format::Pdf)
    }
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        Ok(match s {
            "table" => Format::Table,
            "csv" => Format::Csv,
            "json" => Format::Json,
            "xlsx" => Format::Xlsx,
            "pdf" => Format::Pdf,
            other => return Err(Error::param("format", other, "must be one of: table, csv, json, xlsx, pdf")),
        })
    }
}

/// Writes a prepared report in `format` to `out`; returns the number of rows written.
pub async fn write<W: Write>(p: Prepared, format: Format, out: &mut W) -> Result<usize> {
    write_with(p, format, out, Options::default()).await
}

/// Choices a writer takes beyond the format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// CSV: begin with a UTF-8 byte-order mark, for Excel on Windows.
    pub bom: bool,
    /// Table: the terminal's width in characters, to fit the table to (text columns are cut).
    pub width: Option<usize>,
}

/// [`write`] with `options`.
pub async fn write_with<W: Write>(mut p: Prepared, format: Format, out: &mut W, options: Options) -> Result<usize> {
    match format {
        Format::Csv => {
            let mut w = csv::Writer::new(&p.header, out, options.bom)?;
            let mut rows = 0;
            while let Some(b) = p.next().await? {
                w.batch(&p.header, &b)?;
                rows += b.num_rows();
            }
            w.finish()?;
            Ok(rows)
        }
        Format::Table => {
            let (o, drills) = p.collect_marked().await?;
            table::write(&o, &drills, out, options.width)?;
            Ok(o.rows)
        }
        Format::Json => {
            let rows = json::write(p, out).await?;
            Ok(rows)
        }
        Format::Xlsx => {
            let tmp = tempfile::NamedTempFile::new().map_err(io("xlsx"))?;
            let rows = xlsx_file(p, tmp.path()).await?;
            let mut f = std::fs::File::open(tmp.path()).map_err(io("xlsx"))?;
            std::io::copy(&mut f, out).map_err(io("xlsx"))?;
            Ok(rows)
        }
        Format::Pdf => {
            let (bytes, rows) = pdf_bytes(p).await?;
            out.write_all(&bytes).map_err(io("pdf"))?;
            Ok(rows)
        }
    }
}

/// Streams a workbook to `path`.
async fn xlsx_file(mut p: Prepared, path: &Path) -> Result<usize> {
    let mut w = xlsx::Writer::new(&p.header)?;
    let mut totals = Totals::new(&p.header.columns);
    let mut rows = 0;
    while let Some(b) = p.next().await? {
        totals.add(&p.header.columns, &b);
        w.batch(&p.header, &b)?;
        rows += b.num_rows();
    }
    let footer = p.footer(&totals).await?;
    w.finish(&p.header, &footer, path)?;
    Ok(rows)
}

/// Lays out a PDF (refusing more than [`pdf::MAX_ROWS`] rows before reading them all). The rows are read first
/// and kept as Arrow batches (about a hundred bytes a row): every page's layout is chosen from the whole
/// result's widest cells and its totals before the first is laid out.
async fn pdf_bytes(p: Prepared) -> Result<(Vec<u8>, usize)> {
    let o = p.collect_at_most(pdf::MAX_ROWS, "pdf").await?;
    Ok((pdf::render(&o)?, o.rows))
}

/// Writes a prepared report in `format` to the file at `path` (created or replaced); returns the rows
/// written. XLSX streams batch by batch; the others as [`write`] does.
pub async fn write_file(p: Prepared, format: Format, path: &Path) -> Result<usize> {
    write_file_with(p, format, path, Options::default()).await
}

/// [`write_file`] with `options`.
pub async fn write_file_with(p: Prepared, format: Format, path: &Path, options: Options) -> Result<usize> {
    match format {
        Format::Xlsx => xlsx_file(p, path).await,
        Format::Pdf => {
            let (bytes, rows) = pdf_bytes(p).await?;
            std::fs::write(path, bytes).map_err(io("pdf"))?;
            Ok(rows)
        }
        _ => {
            let file = std::fs::File::create(path).map_err(io("file"))?;
            let mut out = std::io::BufWriter::new(file);
            let rows = write_with(p, format, &mut out, options).await?;
            out.flush().map_err(io("file"))?;
            Ok(rows)
        }
    }
}

/// Several collected reports as one workbook at `path`, a sheet each, in order (a subscription's bundle).
pub fn xlsx_book(outputs: &[Output], path: &Path) -> Result<()> {
    let mut w = xlsx::Writer::book();
    for o in outputs {
        w.sheet(&o.header)?;
        for b in &o.batches {
            w.batch(&o.header, b)?;
        }
        w.end_sheet(&o.header, &o.totals)?;
    }
    w.save(path)
}

/// A collected report as CSV.
pub fn csv_bytes(o: &Output) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut w = csv::Writer::new(&o.header, &mut out, false)?;
    for b in &o.batches {
        w.batch(&o.header, b)?;
    }
    w.finish()?;
    Ok(out)
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
