//! PDF: the report laid out by typst from one template (`report.typ`): title, org, stores, filters and data as
//! of on top; a table whose header row repeats on every page, numbers right-aligned in their display form (the
//! screen's `1,234.56`, `12.34%`), the totals row in bold at the end; "Page x of y" and the title in every
//! footer. On the org's paper (Letter or A4); portrait for narrow reports, landscape past six columns or when
//! the text would not fit.
//!
//! The data reaches the template as a JSON file in typst's in-memory file system, never spliced into markup,
//! so no name or filter value can be read as typst syntax. Fonts come from typst-assets, embedded in the
//! binary: the output does not depend on the machine's fonts or clock.
//!
//! Up to [`TAGGED_ROWS`] rows a report is one typst compilation. A longer one is laid out in chunks of
//! [`CHUNK_ROWS`] rows, one compilation each, so typst's layout state stays the size of a chunk whatever the
//! report's (one compilation of 20,000 rows peaks near 2.6 GB; see docs/BENCHMARKS.md). Each chunk is written as
//! a PDF of its own, without footers, and only its bytes are kept; its last page is dropped and the rows on it
//! begin the next chunk (the template marks each row with its number, so the page a row landed on is known), so
//! no page in the middle is left part-filled. A last compilation makes the document: every kept page, in order,
//! as the background of one of its pages, under the footers ("Page x of y", counted by typst over the whole
//! document). Everything that shapes a page is decided once, before the first chunk: orientation and font size
//! from every row, the labels and the totals, and each column's width from its widest cells in the whole report,
//! so every page looks the same.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::LazyLock;

use serde::Serialize;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, NativeElement as _, Smart};
use typst::introspection::{Introspector as _, MetadataElem};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use warehouse::arrow::array::RecordBatch;
use warehouse::arrow::datatypes::DataType;

use crate::error::{Error, Result};
use crate::model::{Header, Output, Paper, Type, Value};

/// The most rows a PDF takes: some 22,000 Letter pages, far past what anyone prints or reads. Past the chunks,
/// the last compilation and the PDF writer hold every page of the document at once (about 145 KB a page,
/// docs/BENCHMARKS.md), so this keeps one export's memory to a few GB; larger results are refused with a clear
/// error (CSV and XLSX stream any size).
pub const MAX_ROWS: usize = 1_000_000;

/// Rows laid out per typst compilation of a long report: about 11 landscape pages. Measured on 20,000 rows
/// (docs/BENCHMARKS.md): 500 was the fastest and took the least memory of 250 to 4,000 (a chunk's compilation
/// grows faster than its rows); smaller chunks repeat more fonts in the file (each chunk's PDF carries its own
/// subsets) and lay out more dropped last pages again.
const CHUNK_ROWS: usize = 500;
/// Up to this many rows a PDF is one compilation, and tagged (its table readable by screen readers); past it,
/// chunked and untagged: a tagged PDF's tag tree is built from one document's elements, and tags make a PDF
/// several times larger (3.3 MB instead of 0.3 MB at 2,000 rows).
const TAGGED_ROWS: usize = 2_000;

/// The template, compiled into the binary.
const TEMPLATE: &str = include_str!("report.typ");
/// Where the template reads its data.
const DATA: &str = "/data.json";

/// More shown columns than this always go landscape.
const PORTRAIT_COLUMNS: usize = 6;
/// Font sizes tried, largest first, until the estimated table fits the page; the last one is the floor
/// (past it, text cells wrap at their spaces).
const SIZES: [f64; 5] = [9.0, 8.5, 8.0, 7.5, 7.0];
/// A text cell counts up to this many characters in the width estimate; longer ones wrap.
const WRAP: usize = 40;

/// Renders a collected result as a PDF document.
pub fn render(o: &Output) -> Result<Vec<u8>> {
    Ok(document(o)?.bytes)
}

/// A written PDF and its page count.
#[derive(Debug, Clone)]
pub struct Document {
    /// The PDF file.
    pub bytes: Vec<u8>,
    /// Its pages.
    pub pages: usize,
}

/// [`render`], telling the pages too.
pub fn document(o: &Output) -> Result<Document> {
    if o.rows > MAX_ROWS {
        return Err(err(format!(
            "{} rows exceed the PDF limit of {}; export CSV or XLSX for results this large",
            grouped(o.rows),
            grouped(MAX_ROWS)
        )));
    }
    let plan = Plan::new(o)?;
    if o.rows <= TAGGED_ROWS {
        return write(&plan.lay_out(o, 0..o.rows, false)?, true);
    }
    let chunks = plan.chunks(o)?;
    plan.compose(vec![(&plan, chunks)])
}

/// Several reports as one PDF, a section each beginning on a page of its own, in order: each section laid out
/// as its report's PDF would be (its title block, its columns, its orientation, its totals), every page's
/// footer naming its section, pages counted over the whole document. Untagged, as a long report is.
pub fn bundle(outputs: &[Output]) -> Result<Document> {
    if outputs.is_empty() {
        return Err(err("a bundle of no reports".into()));
    }
    let total: usize = outputs.iter().map(|o| o.rows).sum();
    if total > MAX_ROWS {
        return Err(err(format!(
            "{} rows exceed the PDF limit of {}; send CSV or XLSX for results this large",
            grouped(total),
            grouped(MAX_ROWS)
        )));
    }
    let plans = outputs.iter().map(Plan::new).collect::<Result<Vec<_>>>()?;
    let mut sections = Vec::with_capacity(plans.len());
    for (plan, o) in plans.iter().zip(outputs) {
        sections.push((plan, plan.chunks(o)?));
    }
    plans[0].compose(sections)
}

/// The first row (by the `metadata` the template puts in its first cell) that begins on page `page`.
fn first_row_on(doc: &PagedDocument, page: usize) -> Option<usize> {
    let introspector = doc.introspector();
    introspector
        .query(&MetadataElem::ELEM.select())
        .iter()
        .filter(|m| m.location().and_then(|at| introspector.position(at)).is_some_and(|at| at.page.get() == page))
        .filter_map(|m| match m.to_packed::<MetadataElem>()?.value {
            typst::foundations::Value::Int(row) => usize::try_from(row).ok(),
            _ => None,
        })
        .min()
}

/// A chunk of a document written as a PDF of its own, and how many of its pages the document takes.
type Chunk = (Vec<u8>, usize);

/// What every chunk of a document shares: the header, the columns, the totals and the layout.
struct Plan<'a> {
    header: &'a Header,
    /// The shown columns' positions in the batches, and types.
    shown: Vec<(usize, Type)>,
    columns: Vec<DataColumn<'a>>,
    totals: Option<Vec<String>>,
    /// Each column's widest cells over the whole document.
    widest: Vec<Vec<String>>,
    sheet: Sheet,
    landscape: bool,
    size: f64,
}

impl<'a> Plan<'a> {
    /// The layout for every row of `o`, its header and totals.
    fn new(o: &'a Output) -> Result<Plan<'a>> {
        let h = &o.header;
        let shown: Vec<_> = h.shown().map(|(i, c)| (i, c.ty)).collect();
        if shown.is_empty() {
            return Err(err(format!("report {} view {} shows no columns", h.report, h.view)));
        }
        // a batch that does not match its header is a defect upstream: an error, never a panic in `Value::at`
        for b in &o.batches {
            if let Some((i, ty)) =
                shown.iter().find(|(i, ty)| !b.columns().get(*i).is_some_and(|a| readable(*ty, a.data_type())))
            {
                return Err(err(format!("column {} of report {} is not {ty:?} in its rows", i + 1, h.report)));
            }
        }
        let columns: Vec<DataColumn<'a>> =
            h.shown().map(|(_, c)| DataColumn { label: c.label.as_ref(), numeric: c.ty.is_numeric() }).collect();
        let totals = o
            .totals
            .iter()
            .any(|v| *v != Value::Null)
            .then(|| shown.iter().map(|(i, _)| cell(&o.totals, *i)).collect::<Vec<_>>());
        let mut widths = Widths::new(&columns);
        let mut widest = Widest::new(columns.len());
        each_row(&o.batches, 0..o.rows, |b, r| {
            for (c, (i, ty)) in shown.iter().enumerate() {
                let s = Value::at(*ty, b.column(*i), r).display();
                widths.cell(c, &s);
                widest.cell(c, s);
            }
        });
        widths.row(totals.as_deref().unwrap_or_default());
        let sheet = Sheet::of(h.paper);
        let (landscape, size) = widths.layout(&sheet);
        Ok(Plan { header: h, shown, columns, totals, widest: widest.finish(), sheet, landscape, size })
    }

    /// Lays out `rows` of `o`: the whole document, or (`chunk`) a chunk of it without footers and with each row
    /// marked by its number.
    fn lay_out(&self, o: &Output, rows: Range<usize>, chunk: bool) -> Result<PagedDocument> {
        let mut cells = Vec::with_capacity(rows.len());
        each_row(&o.batches, rows.clone(), |b, r| {
            cells.push(self.shown.iter().map(|(i, ty)| Value::at(*ty, b.column(*i), r).display()).collect());
        });
        let data = Data {
            rows: cells,
            top: rows.start == 0,
            end: rows.end >= o.rows,
            offset: rows.start,
            chunk,
            ..self.data()
        };
        let json = serde_json::to_string(&data).map_err(|e| err(e.to_string()))?;
        lay_out(TEMPLATE, json, Vec::new())
    }

    /// `o` laid out in chunks of [`CHUNK_ROWS`] rows without footers, each written as a PDF, with the number of
    /// its pages to keep: every page of a chunk but the last, whose rows begin the next chunk (so no page in the
    /// middle of the document is left part-filled). A report without rows is one chunk.
    fn chunks(&self, o: &Output) -> Result<Vec<Chunk>> {
        let mut chunks = Vec::new();
        let mut start = 0;
        loop {
            let end = (start + CHUNK_ROWS).min(o.rows);
            let doc = self.lay_out(o, start..end, true)?;
            let pages = doc.pages().len();
            let (kept, next) = match first_row_on(&doc, pages) {
                Some(row) if end < o.rows && row > start => (pages - 1, row),
                _ => (pages, end),
            };
            chunks.push((write(&doc, false)?.bytes, kept));
            start = next;
            if start >= o.rows {
                return Ok(chunks);
            }
        }
    }

    /// The document made of sections of chunks' PDFs (each with the number of its pages to take), under the
    /// footers: each page's names its section's title; the paper and margins are this plan's.
    fn compose(&self, sections: Vec<(&Plan<'_>, Vec<Chunk>)>) -> Result<Document> {
        let mut files = Vec::new();
        let mut bytes = Vec::new();
        for (plan, chunks) in sections {
            for (pdf, pages) in chunks {
                let file = format!("/chunk-{}.pdf", files.len());
                files.push((file, pages, plan.header.title.as_str(), plan.landscape));
                bytes.push(pdf);
            }
        }
        let pages = files
            .iter()
            .map(|(file, pages, title, landscape)| Pages { file, pages: *pages, title, landscape: *landscape })
            .collect();
        let data = Data { pages: Some(pages), ..self.data() };
        let json = serde_json::to_string(&data).map_err(|e| err(e.to_string()))?;
        let files = files.iter().zip(bytes).map(|((file, ..), pdf)| (file.clone(), Bytes::new(pdf))).collect();
        write(&lay_out(TEMPLATE, json, files)?, false)
    }

    /// What every document and chunk reads, with no rows.
    fn data(&self) -> Data<'_> {
        let h = self.header;
        Data {
            title: &h.title,
            org: &h.org,
            stores: &h.stores,
            filters: &h.filters,
            as_of: &h.data_as_of,
            sheet: self.sheet,
            landscape: self.landscape,
            size: self.size,
            width: self.sheet.inside(self.landscape),
            columns: &self.columns,
            widest: &self.widest,
            rows: Vec::new(),
            totals: self.totals.as_deref(),
            top: true,
            end: true,
            offset: 0,
            chunk: false,
            pages: None,
        }
    }
}

/// Whether [`Value::at`] reads a `ty` value from an array of type `dt`.
fn readable(ty: Type, dt: &DataType) -> bool {
    matches!(
        (ty, dt),
        (Type::Money | Type::Percent, DataType::Decimal128(..))
            | (Type::Count, DataType::Int64)
            | (Type::Date, DataType::Date32)
            | (Type::Text, DataType::Utf8)
    )
}

/// Calls `f` with each row in `rows` (numbered across the batches) as a batch and a row in it.
fn each_row(batches: &[RecordBatch], rows: Range<usize>, mut f: impl FnMut(&RecordBatch, usize)) {
    let mut start = 0;
    for b in batches {
        let end = start + b.num_rows();
        for r in rows.start.max(start)..rows.end.min(end) {
            f(b, r - start);
        }
        if end >= rows.end {
            return;
        }
        start = end;
    }
}

/// What the template reads from `/data.json` for one chunk: display strings only, so the PDF says what the
/// screen says.
#[derive(Debug, Serialize)]
struct Data<'a> {
    title: &'a str,
    org: &'a str,
    stores: &'a str,
    filters: &'a [(String, String)],
    as_of: &'a str,
    sheet: Sheet,
    landscape: bool,
    size: f64,
    /// The width inside the margins, in points.
    width: f64,
    columns: &'a [DataColumn<'a>],
    /// Each column's widest cells in the whole document: every chunk sizes its columns by these, the labels and
    /// the totals, so the columns stand where they stand on every page.
    widest: &'a [Vec<String>],
    rows: Vec<Vec<String>>,
    totals: Option<&'a [String]>,
    /// Whether this chunk begins the document (and shows the title, org, stores and filters above its rows).
    top: bool,
    /// Whether this chunk ends the document (and shows the totals below its rows).
    end: bool,
    /// The rows before this chunk's (for the stripes and the row marks).
    offset: usize,
    /// Whether these rows are a chunk of a longer document: no footers, each row marked with its number.
    chunk: bool,
    /// The pages to take from the chunks' PDFs, in order, when this is the document made of them.
    pages: Option<Vec<Pages<'a>>>,
}

/// The first `pages` pages of the PDF at `file` (in the document's world), of the report titled `title`, laid
/// out `landscape` or not.
#[derive(Debug, Serialize)]
struct Pages<'a> {
    file: &'a str,
    pages: usize,
    title: &'a str,
    landscape: bool,
}

#[derive(Debug, Serialize)]
struct DataColumn<'a> {
    label: &'a str,
    numeric: bool,
}

/// The display form of `values[i]` (empty when a footer is shorter than the columns, which is a defect upstream
/// but not worth a failed export).
fn cell(values: &[Value], i: usize) -> String {
    values.get(i).map(Value::display).unwrap_or_default()
}

/// Points per millimetre.
const MM: f64 = 72.0 / 25.4;

/// A paper's portrait page and margins, in points. The template sets its page from these, so the width estimate
/// and the page agree.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct Sheet {
    /// typst's name for the paper.
    paper: &'static str,
    width: f64,
    height: f64,
    /// Left and right margins.
    x: f64,
    top: f64,
    /// Room for the footer.
    bottom: f64,
}

impl Sheet {
    fn of(paper: Paper) -> Sheet {
        match paper {
            // half an inch around, 0.7 in at the bottom
            Paper::Letter => {
                Sheet { paper: "us-letter", width: 612.0, height: 792.0, x: 36.0, top: 36.0, bottom: 50.4 }
            }
            // the metric neighbours of Letter's: 12 mm around, 18 mm at the bottom
            Paper::A4 => Sheet {
                paper: "a4",
                width: 210.0 * MM,
                height: 297.0 * MM,
                x: 12.0 * MM,
                top: 12.0 * MM,
                bottom: 18.0 * MM,
            },
        }
    }

    /// The width inside the side margins.
    fn inside(&self, landscape: bool) -> f64 {
        (if landscape { self.height } else { self.width }) - 2.0 * self.x
    }
}

/// Each column's width estimate in characters, as rows go past.
///
/// About half an em per character (near the width of Libertinus figures), a text cell counted up to [`WRAP`]
/// characters (longer ones wrap), a header label by its longest word (labels wrap at spaces), plus the cell
/// insets.
#[derive(Debug, Clone)]
struct Widths(Vec<usize>);

impl Widths {
    /// The labels' widths.
    fn new(columns: &[DataColumn<'_>]) -> Widths {
        Widths(
            columns.iter().map(|c| c.label.split_whitespace().map(|w| w.chars().count()).max().unwrap_or(0)).collect(),
        )
    }

    fn cell(&mut self, c: usize, s: &str) {
        if let Some(w) = self.0.get_mut(c) {
            *w = (*w).max(s.chars().count().min(WRAP));
        }
    }

    fn row(&mut self, row: &[String]) {
        for (c, s) in row.iter().enumerate() {
            self.cell(c, s);
        }
    }

    /// Orientation and font size: portrait at the largest size when the table fits, otherwise landscape at the
    /// largest size that fits (or the smallest size, letting text wrap).
    fn layout(&self, sheet: &Sheet) -> (bool, f64) {
        let width = |size: f64| self.0.iter().map(|n| *n as f64 * 0.5 * size + 8.0).sum::<f64>();
        if self.0.len() <= PORTRAIT_COLUMNS && width(SIZES[0]) <= sheet.inside(false) {
            return (false, SIZES[0]);
        }
        let size = SIZES.into_iter().find(|s| width(*s) <= sheet.inside(true)).unwrap_or(SIZES[SIZES.len() - 1]);
        (true, size)
    }
}

/// Cells measured per column for its width (see [`Widest`]).
const WIDEST: usize = 16;

/// Each column's widest cells, for typst to measure, so that every chunk gives a column the same width: the
/// [`WIDEST`] cells with the most characters, one of each shape (digits count alike: with tabular figures
/// `1,234.56` and `9,999.99` are equally wide, so a money column keeps a handful of cells whatever its rows).
#[derive(Debug, Clone)]
struct Widest(Vec<BTreeMap<(usize, String), String>>);

impl Widest {
    fn new(columns: usize) -> Widest {
        Widest(vec![BTreeMap::new(); columns])
    }

    fn cell(&mut self, c: usize, s: String) {
        let Some(keep) = self.0.get_mut(c) else { return };
        let chars = s.chars().count();
        if keep.len() >= WIDEST && keep.first_key_value().is_some_and(|((n, _), _)| chars < *n) {
            return;
        }
        let shape: String = s.chars().map(|ch| if ch.is_ascii_digit() { '0' } else { ch }).collect();
        keep.entry((chars, shape)).or_insert(s);
        if keep.len() > WIDEST {
            keep.pop_first();
        }
    }

    fn finish(self) -> Vec<Vec<String>> {
        self.0.into_iter().map(|keep| keep.into_values().collect()).collect()
    }
}

/// Lays out `template` with `data` as `/data.json` and `files` beside it.
fn lay_out(template: &str, data: String, files: Vec<(String, Bytes)>) -> Result<PagedDocument> {
    let world = Doc::new(template, data, files)?;
    let result = typst::compile::<PagedDocument>(&world).output;
    // typst memoizes across compilations in a process-wide cache; a report's chunks have nothing to share (their
    // rows differ), and keeping the last ones' results took more memory and time (docs/BENCHMARKS.md): clear it,
    // so neither a long report nor a server's memory grows with every compilation.
    typst::comemo::evict(0);
    result.map_err(|errors| err(diagnostics(&world, &errors)))
}

/// Writes the PDF, `tagged` or not.
fn write(document: &PagedDocument, tagged: bool) -> Result<Document> {
    let options = typst_pdf::PdfOptions { creator: Smart::Custom(Some("Loupe".into())), tagged, ..Default::default() };
    match typst_pdf::pdf(document, &options) {
        Ok(bytes) => Ok(Document { bytes, pages: document.pages().len() }),
        Err(errors) => Err(err(diagnostics(&Doc::new(TEMPLATE, String::new(), Vec::new())?, &errors))),
    }
}

/// Compiler errors as one line: each message with its line in the template and its hints.
fn diagnostics(world: &Doc, errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|d| {
            let mut s = d.message.to_string();
            let at = d.span.id().filter(|id| *id == world.main.id()).and_then(|_| world.range(d.span));
            if let Some(line) = at.and_then(|r| world.main.lines().byte_to_line(r.start)) {
                s = format!("report.typ:{}: {s}", line + 1);
            }
            for hint in &d.hints {
                s.push_str(&format!(" (hint: {})", hint.v));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn err(why: String) -> Error {
    Error::Export { format: "pdf", why }
}

/// `n` with thousands separators, as the screen shows counts.
fn grouped(n: usize) -> String {
    Value::Count(i64::try_from(n).unwrap_or(i64::MAX)).display()
}

/// The standard library and the embedded fonts, loaded once per process.
struct Assets {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts().flat_map(|data| Font::iter(Bytes::new(data))).collect();
    Assets {
        library: LazyHash::new(<Library as LibraryExt>::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

/// One document's world: the template as the main file, the data and the chunks' PDFs beside it, nothing else
/// (no packages, no disk, no system fonts, no clock).
struct Doc {
    main: Source,
    data_id: FileId,
    data: Bytes,
    files: Vec<(FileId, Bytes)>,
}

impl Doc {
    fn new(template: &str, data: String, files: Vec<(String, Bytes)>) -> Result<Doc> {
        let id = |path: &str| {
            VirtualPath::new(path)
                .map(|p| RootedPath::new(VirtualRoot::Project, p).intern())
                .map_err(|e| err(format!("{path}: {e}")))
        };
        Ok(Doc {
            main: Source::new(id("/report.typ")?, template.to_string()),
            data_id: id(DATA)?,
            data: Bytes::from_string(data),
            files: files.into_iter().map(|(path, bytes)| Ok((id(&path)?, bytes))).collect::<Result<_>>()?,
        })
    }
}

impl World for Doc {
    fn library(&self) -> &LazyHash<Library> {
        &ASSETS.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &ASSETS.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.data_id {
            Err(FileError::NotSource)
        } else {
            Err(FileError::NotFound(id.vpath().get_with_slash().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.text().to_string()))
        } else if let Some((_, bytes)) = self.files.iter().find(|(f, _)| *f == id) {
            Ok(bytes.clone())
        } else {
            Err(FileError::NotFound(id.vpath().get_with_slash().into()))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        ASSETS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::path::Path;
    use std::process::Command;
    use std::sync::Arc;

    use anyhow::{Context, bail, ensure};
    use chrono::{Days, NaiveDate};
    use warehouse::arrow::array::{ArrayRef, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray};

    use super::*;
    use crate::model::{Column, Totals, ratio};

    /// Names that are typst syntax if spliced into markup: they must print as written.
    const NAMES: [&str; 3] =
        ["O'Brien & Sons *VIP* #1 $5", r"Ruby_Tuesday <rings> [gold] @home \ back", "Plain Jewelers"];
    const LABELS: [&str; 8] = ["Customer", "Date", "Note", "Amount", "Paid", "Margin %", "Items", "Due"];
    /// Where the sample documents are kept for people to look at.
    const KEEP: &str = "/tmp/loupe-pdf-test";

    fn columns() -> Vec<Column> {
        vec![
            Column::id("customer_id"),
            Column::text("customer", "Customer").labelled(),
            Column::date("date", "Date"),
            Column::text("note", "Note"),
            Column::money("amount", "Amount"),
            Column::money("paid", "Paid"),
            Column::ratio("margin", "Margin %", &[(1, "paid")], &[(1, "amount")]),
            Column::count("items", "Items"),
            Column::date("due", "Due"),
        ]
    }

    /// Row `i`'s amount in cents: every seventh (from the fourth) negative; never a whole-dollar amount, so
    /// no amount shows like a `paid` value (always `.00`).
    fn amount(i: i64) -> i128 {
        let a = i128::from(i * 12_345 + 678);
        if i % 7 == 3 { -a } else { a }
    }

    /// `n` rows of a sales-register-like report with a hidden id, money (negatives too), a percent (one null
    /// in eleven), a count, dates (a null due date in six) and text full of typst syntax.
    fn output(n: usize) -> anyhow::Result<Output> {
        let columns = columns();
        let day0 = NaiveDate::from_ymd_opt(2026, 1, 1).context("date")?;
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).context("date")?;
        let days = |d: NaiveDate| i32::try_from((d - epoch).num_days()).unwrap_or(0);
        let mut rows: Vec<Vec<Value>> = Vec::with_capacity(n);
        for i in 0..i64::try_from(n)? {
            let date = day0 + Days::new(u64::try_from(i % 31)?);
            let (amount, paid) = (amount(i), i128::from(i) * 1000);
            rows.push(vec![
                Value::Count(i),
                Value::Text(NAMES[usize::try_from(i % 3)?].into()),
                Value::Date(date),
                Value::Text(if i % 5 == 0 { "50% deposit; balance on pickup".into() } else { String::new() }),
                Value::Money(amount),
                Value::Money(paid),
                if i % 11 == 4 { Value::Null } else { ratio(paid, amount).map(Value::Percent).unwrap_or(Value::Null) },
                Value::Count(if i % 7 == 3 { -1 } else { i % 4 + 1 }),
                if i % 6 == 0 { Value::Null } else { Value::Date(date + Days::new(30)) },
            ]);
        }
        let arrays: Vec<(&str, ArrayRef)> = columns
            .iter()
            .enumerate()
            .map(|(c, col)| -> anyhow::Result<(&str, ArrayRef)> {
                let cells = rows.iter().map(|r| &r[c]);
                let array: ArrayRef = match col.ty {
                    Type::Money | Type::Percent => {
                        let scale = if col.ty == Type::Money { (18, 2) } else { (10, 4) };
                        let v: Decimal128Array = cells
                            .map(|v| match v {
                                Value::Money(x) | Value::Percent(x) => Some(*x),
                                _ => None,
                            })
                            .collect();
                        Arc::new(v.with_precision_and_scale(scale.0, scale.1)?)
                    }
                    Type::Count => Arc::new(
                        cells
                            .map(|v| match v {
                                Value::Count(x) => Some(*x),
                                _ => None,
                            })
                            .collect::<Int64Array>(),
                    ),
                    Type::Date => Arc::new(
                        cells
                            .map(|v| match v {
                                Value::Date(d) => Some(days(*d)),
                                _ => None,
                            })
                            .collect::<Date32Array>(),
                    ),
                    Type::Text => Arc::new(
                        cells
                            .map(|v| match v {
                                Value::Text(s) => Some(s.as_str()),
                                _ => None,
                            })
                            .collect::<StringArray>(),
                    ),
                };
                Ok((col.key, array))
            })
            .collect::<anyhow::Result<_>>()?;
        let batch = RecordBatch::try_from_iter(arrays)?;
        let mut totals = Totals::new(&columns);
        totals.add(&columns, &batch);
        let totals = totals.finish(&columns);
        let header = Header {
            report: "sales_register",
            view: "detail",
            title: "Sales register — Q1 <draft> *all*".into(),
            org: "Gem & Co. #1".into(),
            stores: "Main & Annex [2]".into(),
            paper: Paper::Letter,
            filters: vec![("As of".into(), "2026-01-31".into()), ("Salesperson".into(), "Any <one> *".into())],
            params: BTreeMap::new(),
            data_as_of: "2026-02-01T06:00:00Z".into(),
            columns,
        };
        Ok(Output { header, batches: vec![batch], totals, total_links: BTreeMap::new(), rows: n })
    }

    /// Runs a poppler tool; a missing one fails the test (never a silent skip).
    fn poppler(tool: &str, args: &[&str]) -> anyhow::Result<String> {
        let out = match Command::new(tool).args(args).output() {
            Ok(out) => out,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!(
                    "{tool} not found: run scripts/setup.sh (it installs poppler-utils, the PDF reader these tests use)"
                )
            }
            Err(e) => return Err(e).context(tool.to_string()),
        };
        ensure!(out.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        Ok(String::from_utf8(out.stdout)?)
    }

    /// Renders `o`, keeps the PDF and a PNG of page 1 under /tmp/loupe-pdf-test as `name`, and returns the
    /// PDF's path there with `pdfinfo`'s page count and page size in points.
    fn render_and_keep(o: &Output, name: &str) -> anyhow::Result<(String, usize, (f64, f64))> {
        let pdf = render(o)?;
        ensure!(pdf.starts_with(b"%PDF-"), "not a PDF");
        let mut file = tempfile::NamedTempFile::new()?;
        std::io::Write::write_all(&mut file, &pdf)?;
        std::fs::create_dir_all(KEEP)?;
        let kept = format!("{KEEP}/{name}.pdf");
        std::fs::copy(file.path(), &kept)?;
        let png = format!("{KEEP}/{name}-page1");
        poppler("pdftoppm", &["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", &kept, &png])?;
        ensure!(Path::new(&format!("{png}.png")).exists(), "pdftoppm wrote no {png}.png");
        println!("sample PDF: {kept}\npage 1 as PNG: {png}.png");
        let info = poppler("pdfinfo", &[&kept])?;
        let field = |name: &str| {
            info.lines().find_map(|l| l.strip_prefix(name)).map(str::trim).with_context(|| format!("pdfinfo: {info}"))
        };
        let pages: usize = field("Pages:")?.parse()?;
        // "792 x 612 pts (letter)"
        let size: Vec<f64> = field("Page size:")?.split_whitespace().filter_map(|w| w.parse().ok()).collect();
        ensure!(size.len() == 2, "page size: {size:?}");
        Ok((kept, pages, (size[0], size[1])))
    }

    /// Words `pdftotext -bbox` found: (text, xMin, xMax).
    fn words(pdf: &str) -> anyhow::Result<Vec<(String, f64, f64)>> {
        let html = poppler("pdftotext", &["-bbox", pdf, "-"])?;
        let attr = |line: &str, name: &str| -> Option<f64> {
            let rest = &line[line.find(&format!("{name}=\""))? + name.len() + 2..];
            rest[..rest.find('"')?].parse().ok()
        };
        Ok(html
            .lines()
            .filter(|l| l.trim_start().starts_with("<word "))
            .filter_map(|l| {
                let text = &l[l.find('>')? + 1..l.rfind("</word>")?];
                Some((text.to_string(), attr(l, "xMin")?, attr(l, "xMax")?))
            })
            .collect())
    }

    /// Whether `page` (pdftotext -layout) has the header row: one line with every label, in order.
    fn has_header_row(page: &str) -> bool {
        page.lines().any(|l| {
            let mut at = 0;
            LABELS.iter().all(|label| match l[at..].find(label) {
                Some(i) => {
                    at += i + label.len();
                    true
                }
                None => false,
            })
        })
    }

    #[test]
    fn a_wide_report_prints_landscape_with_its_header_on_every_page_and_totals_at_the_end() -> anyhow::Result<()> {
        let o = output(150)?;
        // the footer, worked by hand: Σ amount = 1,001,788.29; Σ paid = 111,750.00; 111,750.00 ÷ 1,001,788.29 =
        // 0.111550… → 11.16%; Σ items = 298
        assert_eq!(o.total("amount"), Value::Money(100_178_829));
        let (pdf, pages, (w, h)) = render_and_keep(&o, "sales-register")?;
        assert!(w > h, "8 columns go landscape, got {w} x {h}");
        assert!(pages >= 3, "150 rows span 3+ pages, got {pages}");

        let text = poppler("pdftotext", &["-layout", &pdf, "-"])?;
        let page_texts: Vec<&str> = text.split('\x0c').filter(|p| !p.trim().is_empty()).collect();
        assert_eq!(page_texts.len(), pages);
        let first = page_texts[0];
        // the org and the stores, each on a line of its own
        for line in ["Gem & Co. #1", "Main & Annex [2]"] {
            assert!(first.lines().any(|l| l.trim() == line), "page 1 lacks the line {line:?}:\n{first}");
        }
        for top in [
            "Sales register — Q1 <draft> *all*",
            "As of: 2026-01-31",
            "Salesperson: Any <one> *",
            "Data as of 2026-02-01T06:00:00Z",
        ] {
            assert!(first.contains(top), "page 1 lacks {top:?}:\n{first}");
        }
        for (k, page) in page_texts.iter().enumerate() {
            assert!(has_header_row(page), "page {} lacks the header row:\n{page}", k + 1);
            let footer = format!("Page {} of {pages}", k + 1);
            assert!(page.contains(&footer), "page {} lacks {footer:?}:\n{page}", k + 1);
            assert!(page.contains("Sales register — Q1 <draft> *all*"), "page {} lacks the title in its footer", k + 1);
        }
        // typst syntax in the data prints literally
        for literal in [NAMES[0], NAMES[1], "50% deposit; balance on pickup", "-377.13"] {
            assert!(text.contains(literal), "the PDF lacks {literal:?}:\n{text}");
        }
        // the totals row, on the last page only
        let last = page_texts[pages - 1];
        let totals = last.lines().find(|l| l.trim_start().starts_with("Total")).context("no totals row")?;
        let cells: Vec<&str> = totals.split_whitespace().collect();
        assert_eq!(cells, ["Total", "1,001,788.29", "111,750.00", "11.16%", "298"]);
        assert!(page_texts[..pages - 1].iter().all(|p| !p.contains("1,001,788.29")));

        // numbers right-aligned: every amount (its header and total too) ends at the same x; text starts at one x
        let words = words(&pdf)?;
        let amounts: Vec<String> = (0..150).map(|i| Value::Money(amount(i)).display()).collect();
        let ends: Vec<f64> = words
            .iter()
            .filter(|(t, _, _)| amounts.contains(t) || t == "1,001,788.29" || t == "Amount")
            .map(|(_, _, x)| *x)
            .collect();
        assert_eq!(ends.len(), 150 + 1 + pages, "every amount, the total and a header per page");
        let spread =
            |xs: &[f64]| xs.iter().cloned().fold(f64::MIN, f64::max) - xs.iter().cloned().fold(f64::MAX, f64::min);
        assert!(spread(&ends) < 0.5, "amounts' right edges differ by {}", spread(&ends));
        let wider = words.iter().find(|(t, _, _)| t == "12,351.78").context("12,351.78")?;
        let narrower = words.iter().find(|(t, _, _)| t == "6.78").context("6.78")?;
        assert!(wider.1 < narrower.1, "a longer number starts further left");
        let starts: Vec<f64> = words
            .iter()
            .filter(|(t, _, _)| ["Customer", "Ruby_Tuesday", "Plain", "Total"].contains(&t.as_str()))
            .map(|(_, x, _)| *x)
            .collect();
        assert!(starts.len() > 100 && spread(&starts) < 0.5, "text left-aligned: {starts:?}");
        Ok(())
    }

    #[test]
    fn a_narrow_report_prints_portrait() -> anyhow::Result<()> {
        let mut o = output(10)?;
        for c in &mut o.header.columns {
            c.hidden = !["customer", "amount", "items"].contains(&c.key);
        }
        let (pdf, pages, (w, h)) = render_and_keep(&o, "narrow")?;
        assert!(w < h, "3 columns stay portrait, got {w} x {h}");
        assert_eq!(pages, 1);
        let text = poppler("pdftotext", &["-layout", &pdf, "-"])?;
        assert!(text.contains("Page 1 of 1"), "{text}");
        assert!(!text.contains("Margin %"), "hidden columns stay hidden:\n{text}");
        Ok(())
    }

    /// The layout `rows` under `columns` take on `paper`.
    fn layout(columns: &[DataColumn<'_>], rows: &[Vec<String>], paper: Paper) -> (bool, f64) {
        let mut widths = Widths::new(columns);
        for row in rows {
            widths.row(row);
        }
        widths.layout(&Sheet::of(paper))
    }

    #[test]
    fn wide_columns_go_landscape_and_shrink_the_font_to_fit() {
        let col = |label| DataColumn { label, numeric: false };
        let columns = [col("Customer"), col("Address"), col("Note")];
        let narrow = vec![vec!["Plain Jewelers".to_string(), "1 Main St".into(), String::new()]];
        assert_eq!(layout(&columns, &narrow, Paper::Letter), (false, 9.0));
        // three 40-character cells: 3 × (40 × 4.5 + 8) = 564 pt at 9 pt, wider than portrait's 540
        let wide = vec![vec!["x".repeat(60); 3]];
        assert_eq!(layout(&columns, &wide, Paper::Letter), (true, 9.0));
        // ten such columns: landscape at the smallest size, text wrapping
        let ten: Vec<_> = (0..10).map(|_| col("Note")).collect();
        assert_eq!(layout(&ten, &[vec!["x".repeat(40); 10]], Paper::Letter), (true, 7.0));
    }

    #[test]
    fn the_width_that_fits_follows_the_paper() {
        let col = |label| DataColumn { label, numeric: false };
        let columns = [col("Customer"), col("Address"), col("Note")];
        // three 38-character cells: 3 × (38 × 4.5 + 8) = 537 pt at 9 pt: inside Letter's 612 − 72 = 540, past
        // A4's 595.28 − 2 × 34.02 = 527.24 (and inside A4 landscape's 841.89 − 68.03 = 773.86)
        let rows = vec![vec!["x".repeat(38); 3]];
        assert_eq!(layout(&columns, &rows, Paper::Letter), (false, 9.0));
        assert_eq!(layout(&columns, &rows, Paper::A4), (true, 9.0));
    }

    #[test]
    fn a4_and_letter_pages_have_their_sizes() -> anyhow::Result<()> {
        let mut o = output(10)?;
        for c in &mut o.header.columns {
            c.hidden = !["customer", "amount", "items"].contains(&c.key);
        }
        // pdfinfo: A4 is 210 × 297 mm = 595.28 × 841.89 pt, Letter 8.5 × 11 in = 612 × 792 pt
        for (paper, size) in [(Paper::A4, (595, 842)), (Paper::Letter, (612, 792))] {
            o.header.paper = paper;
            let (pdf, pages, (w, h)) = render_and_keep(&o, &format!("paper-{}", paper.as_str()))?;
            assert_eq!(pages, 1);
            assert_eq!((w.round() as i64, h.round() as i64), size, "{paper:?}: {w} x {h}");
            let text = poppler("pdftotext", &["-layout", &pdf, "-"])?;
            for line in ["Gem & Co. #1", "Main & Annex [2]"] {
                assert!(text.lines().any(|l| l.trim() == line), "{paper:?} lacks the line {line:?}:\n{text}");
            }
        }
        Ok(())
    }

    #[test]
    fn twenty_thousand_rows_make_one_document_paged_across_its_chunks() -> anyhow::Result<()> {
        const N: usize = 20_000;
        let o = output(N)?;
        let (pdf, pages, (w, h)) = render_and_keep(&o, "twenty-thousand")?;
        assert!(w > h, "landscape, got {w} x {h}");
        assert!(pages > N / 60, "{N} rows on {pages} pages");

        // every page the same size
        let info = poppler("pdfinfo", &["-f", "1", "-l", &pages.to_string(), &pdf])?;
        let sizes: Vec<&str> =
            info.lines().filter(|l| l.starts_with("Page ")).filter_map(|l| l.split(" size: ").nth(1)).collect();
        assert_eq!(sizes.len(), pages);
        assert!(sizes.iter().all(|s| *s == sizes[0]), "page sizes differ: {sizes:?}");

        let text = poppler("pdftotext", &["-layout", &pdf, "-"])?;
        let page_texts: Vec<&str> = text.split('\x0c').filter(|p| !p.trim().is_empty()).collect();
        assert_eq!(page_texts.len(), pages, "pdftotext and pdfinfo disagree on the pages");
        for (k, page) in page_texts.iter().enumerate() {
            let footer = format!("Page {} of {pages}", k + 1);
            assert!(page.contains(&footer), "page {} lacks {footer:?}:\n{page}", k + 1);
            assert!(has_header_row(page), "page {} lacks the header row:\n{page}", k + 1);
            // the title block once, on page 1
            assert_eq!(page.contains("Data as of 2026-02-01T06:00:00Z"), k == 0, "page {}:\n{page}", k + 1);
        }

        // every row once, in order: each row's amount is its own (never a whole dollar, so never a `paid`), and
        // the amounts read in page order are rows 0, 1, …, N − 1
        let amounts: HashMap<String, usize> = (0..N).map(|i| (Value::Money(amount(i as i64)).display(), i)).collect();
        let mut page_of = vec![0; N];
        let mut seen = Vec::with_capacity(N);
        for (k, page) in page_texts.iter().enumerate() {
            for i in page.split_whitespace().filter_map(|w| amounts.get(w)) {
                page_of[*i] = k + 1;
                seen.push(*i);
            }
        }
        assert_eq!(seen.len(), N, "rows read back");
        let out_of_order = seen.iter().enumerate().find(|(at, i)| at != *i);
        assert!(
            out_of_order.is_none(),
            "row {:?} read where row {:?} belongs",
            out_of_order.map(|x| x.1),
            out_of_order.map(|x| x.0)
        );
        assert_eq!(page_of[N - 1], pages, "the last row is on the last page");
        // no part-filled page where one chunk gives way to the next: no row here wraps, so every page between the
        // first (under the title block) and the last holds as many rows as the second
        let mut per_page = vec![0; pages + 1];
        for p in &page_of {
            per_page[*p] += 1;
        }
        let full = per_page[2];
        assert!(full > 30, "{full} rows on page 2");
        let short: Vec<(usize, usize)> = (2..pages).map(|p| (p, per_page[p])).filter(|(_, n)| *n != full).collect();
        assert!(short.is_empty(), "pages (page, rows) holding other than {full} rows: {short:?}");
        assert!(per_page[1] < full && per_page[pages] <= full);

        // the totals row once, on the last page, with sums worked out here
        let (mut amount_sum, mut paid_sum, mut items) = (0_i128, 0_i128, 0_i64);
        for i in 0..N as i64 {
            amount_sum += amount(i);
            paid_sum += i128::from(i) * 1000;
            items += if i % 7 == 3 { -1 } else { i % 4 + 1 };
        }
        let totals: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("Total")).collect();
        assert_eq!(totals.len(), 1, "{totals:?}");
        assert!(page_texts[pages - 1].contains(totals[0]), "the totals row is on the last page");
        let cells: Vec<&str> = totals[0].split_whitespace().collect();
        let margin = ratio(paid_sum, amount_sum).map(Value::Percent).context("margin")?.display();
        let expected = [
            "Total".to_string(),
            Value::Money(amount_sum).display(),
            Value::Money(paid_sum).display(),
            margin,
            Value::Count(items).display(),
        ];
        assert_eq!(cells, expected);

        // one layout on every page: the Amount column's right edge is at the same x on each
        let edges: Vec<f64> = words(&pdf)?.into_iter().filter(|(t, _, _)| t == "Amount").map(|(_, _, x)| x).collect();
        assert_eq!(edges.len(), pages, "an Amount header on every page");
        assert!(edges.iter().all(|x| (x - edges[0]).abs() < 0.5), "the columns move between pages: {edges:?}");
        Ok(())
    }

    #[test]
    fn more_rows_than_the_limit_are_refused() -> anyhow::Result<()> {
        // 1,001 batches of the same 1,000 rows: 1,001,000 rows without building a million
        let mut o = output(1_000)?;
        o.batches = vec![o.batches[0].clone(); 1_001];
        o.rows = 1_001_000;
        let e = render(&o).err().context("1,001,000 rows rendered")?;
        let msg = e.to_string();
        assert!(matches!(e, Error::Export { format: "pdf", .. }), "{e:?}");
        assert!(msg.contains("1,001,000 rows exceed the PDF limit of 1,000,000; export CSV or XLSX"), "{msg}");
        Ok(())
    }

    #[test]
    fn rows_that_do_not_match_their_header_are_an_error() -> anyhow::Result<()> {
        let mut o = output(3)?;
        // the id, customer and date columns only: the note (4th) is missing
        o.batches = vec![o.batches[0].project(&[0, 1, 2])?];
        let e = render(&o).err().context("rendered")?;
        assert!(e.to_string().contains("column 4 of report sales_register is not Text in its rows"), "{e}");
        Ok(())
    }

    #[test]
    fn template_errors_are_errors_with_typst_messages() {
        let e = lay_out("#let x = 1\n#undefined-thing", "{}".into(), Vec::new()).err().map(|e| e.to_string());
        let msg = e.unwrap_or_default();
        assert!(msg.starts_with("pdf export: report.typ:2: unknown variable: undefined-thing"), "{msg}");
        // data of the wrong shape: the template's error, not a panic
        let e = lay_out(TEMPLATE, "{}".into(), Vec::new()).err().map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("does not contain key"));
    }
}
