//! PDF: the report laid out by typst from one template (`report.typ`): title, org, filters and data as of on
//! top; a table whose header row repeats on every page, numbers right-aligned in their display form (the
//! screen's `1,234.56`, `12.34%`), the totals row in bold; "Page x of y" and the title in every footer.
//! Portrait for narrow reports, landscape past six columns or when the text would not fit.
//!
//! The data reaches the template as a JSON file in typst's in-memory file system, never spliced into markup,
//! so no name or filter value can be read as typst syntax. Fonts come from typst-assets, embedded in the
//! binary: the output does not depend on the machine's fonts or clock. A PDF is laid out whole, so it has a
//! row limit ([`MAX_ROWS`]); CSV and XLSX stream any size.

use std::sync::LazyLock;

use serde::Serialize;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};

use crate::error::{Error, Result};
use crate::model::{Output, Value};

/// The most rows a PDF takes; larger results are refused with a clear error (export CSV or XLSX instead).
pub const MAX_ROWS: usize = 5_000;

/// The template, compiled into the binary.
const TEMPLATE: &str = include_str!("report.typ");
/// Where the template reads its data.
const DATA: &str = "/data.json";

/// Page widths inside the margins (US Letter, half-inch side margins), in points.
const PORTRAIT_WIDTH: f64 = 540.0;
const LANDSCAPE_WIDTH: f64 = 720.0;
/// Up to this many rows a PDF is tagged (its table readable by screen readers); past it, untagged: tags make a
/// 20,000-row PDF some fifteen times larger (33 MB instead of 2 MB).
const TAGGED_ROWS: usize = 2_000;
/// More shown columns than this always go landscape.
const PORTRAIT_COLUMNS: usize = 6;
/// Font sizes tried, largest first, until the estimated table fits the page; the last one is the floor
/// (past it, text cells wrap at their spaces).
const SIZES: [f64; 5] = [9.0, 8.5, 8.0, 7.5, 7.0];

/// Renders a collected result as a PDF document.
pub fn render(o: &Output) -> Result<Vec<u8>> {
    if o.rows > MAX_ROWS {
        return Err(err(format!(
            "{} rows exceed the PDF limit of {}; export CSV or XLSX for results this large",
            grouped(o.rows),
            grouped(MAX_ROWS)
        )));
    }
    let data = Data::new(o)?;
    let json = serde_json::to_string(&data).map_err(|e| err(e.to_string()))?;
    compile(TEMPLATE, json, o.rows <= TAGGED_ROWS)
}

/// What the template reads from `/data.json`: display strings only, so the PDF says what the screen says.
#[derive(Debug, Serialize)]
struct Data<'a> {
    title: &'a str,
    org: &'a str,
    filters: &'a [(String, String)],
    as_of: &'a str,
    landscape: bool,
    size: f64,
    columns: Vec<DataColumn<'a>>,
    rows: Vec<Vec<String>>,
    totals: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
struct DataColumn<'a> {
    label: &'a str,
    numeric: bool,
}

impl<'a> Data<'a> {
    fn new(o: &'a Output) -> Result<Data<'a>> {
        let h = &o.header;
        let shown: Vec<_> = h.shown().collect();
        if shown.is_empty() {
            return Err(err(format!("report {} view {} shows no columns", h.report, h.view)));
        }
        let rows: Vec<Vec<String>> =
            o.values().iter().map(|row| shown.iter().map(|(i, _)| cell(row, *i)).collect()).collect();
        let totals = o
            .totals
            .iter()
            .any(|v| *v != Value::Null)
            .then(|| shown.iter().map(|(i, _)| cell(&o.totals, *i)).collect::<Vec<_>>());
        let columns: Vec<DataColumn<'a>> =
            shown.iter().map(|(_, c)| DataColumn { label: c.label.as_ref(), numeric: c.ty.is_numeric() }).collect();
        let (landscape, size) = layout(&columns, &rows, totals.as_deref());
        Ok(Data {
            title: &h.title,
            org: &h.org,
            filters: &h.filters,
            as_of: &h.data_as_of,
            landscape,
            size,
            columns,
            rows,
            totals,
        })
    }
}

/// The display form of `values[i]` (empty when a footer is shorter than the columns, which is a defect upstream
/// but not worth a failed export).
fn cell(values: &[Value], i: usize) -> String {
    values.get(i).map(Value::display).unwrap_or_default()
}

/// Orientation and font size: portrait at the largest size when the table fits, otherwise landscape at the
/// largest size that fits (or the smallest size, letting text wrap).
///
/// The width is an estimate: about half an em per character (near the width of Libertinus figures), a text cell
/// counted up to 40 characters (longer ones wrap), a header label by its longest word (labels wrap at spaces),
/// plus the cell insets.
fn layout(columns: &[DataColumn<'_>], rows: &[Vec<String>], totals: Option<&[String]>) -> (bool, f64) {
    let chars: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(c, col)| {
            let label = col.label.split_whitespace().map(|w| w.chars().count()).max().unwrap_or(0);
            let cells = rows.iter().map(|r| r.as_slice()).chain(totals);
            let widest = cells.filter_map(|r| r.get(c)).map(|s| s.chars().count().min(40)).max().unwrap_or(0);
            label.max(widest)
        })
        .collect();
    let width = |size: f64| chars.iter().map(|n| *n as f64 * 0.5 * size + 8.0).sum::<f64>();
    if columns.len() <= PORTRAIT_COLUMNS && width(SIZES[0]) <= PORTRAIT_WIDTH {
        return (false, SIZES[0]);
    }
    let size = SIZES.into_iter().find(|s| width(*s) <= LANDSCAPE_WIDTH).unwrap_or(SIZES[SIZES.len() - 1]);
    (true, size)
}

/// Lays out `template` with `data` as `/data.json` and writes the PDF, `tagged` or not.
fn compile(template: &str, data: String, tagged: bool) -> Result<Vec<u8>> {
    let world = Doc::new(template, data)?;
    let result = typst::compile(&world).output;
    // typst memoizes across compilations in a process-wide cache: drop what the last renders did not reuse, so
    // a server's memory does not grow with every report it prints.
    typst::comemo::evict(2);
    let document = result.map_err(|errors| err(diagnostics(&world, &errors)))?;
    let options = typst_pdf::PdfOptions { creator: Smart::Custom(Some("Loupe".into())), tagged, ..Default::default() };
    typst_pdf::pdf(&document, &options).map_err(|errors| err(diagnostics(&world, &errors)))
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

/// One document's world: the template as the main file, the data beside it, nothing else (no packages, no
/// disk, no system fonts, no clock).
struct Doc {
    main: Source,
    data_id: FileId,
    data: Bytes,
}

impl Doc {
    fn new(template: &str, data: String) -> Result<Doc> {
        let id = |path: &str| {
            VirtualPath::new(path)
                .map(|p| RootedPath::new(VirtualRoot::Project, p).intern())
                .map_err(|e| err(format!("{path}: {e}")))
        };
        Ok(Doc {
            main: Source::new(id("/report.typ")?, template.to_string()),
            data_id: id(DATA)?,
            data: Bytes::from_string(data),
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
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::process::Command;
    use std::sync::Arc;

    use anyhow::{Context, bail, ensure};
    use chrono::{Days, NaiveDate};
    use warehouse::arrow::array::{ArrayRef, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray};

    use super::*;
    use crate::model::{Column, Header, Totals, Type, ratio};

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
            stores: "All stores".into(),
            paper: crate::model::Paper::Letter,
            filters: vec![("As of".into(), "2026-01-31".into()), ("Stores".into(), "Main & Annex [2]".into())],
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
        for top in [
            "Sales register — Q1 <draft> *all*",
            "Gem & Co. #1",
            "As of: 2026-01-31",
            "Stores: Main & Annex [2]",
            "Data as of 2026-02-01T06:00:00Z",
        ] {
            assert!(first.contains(top), "page 1 lacks {top:?}:\n{first}");
        }
        for (k, page) in page_texts.iter().enumerate() {
            // the header row repeats: one line with every label, in order
            let header = page.lines().any(|l| {
                let mut at = 0;
                LABELS.iter().all(|label| match l[at..].find(label) {
                    Some(i) => {
                        at += i + label.len();
                        true
                    }
                    None => false,
                })
            });
            assert!(header, "page {} lacks the header row:\n{page}", k + 1);
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

    #[test]
    fn wide_columns_go_landscape_and_shrink_the_font_to_fit() {
        let col = |label| DataColumn { label, numeric: false };
        let columns = [col("Customer"), col("Address"), col("Note")];
        let narrow = vec![vec!["Plain Jewelers".to_string(), "1 Main St".into(), String::new()]];
        assert_eq!(layout(&columns, &narrow, None), (false, 9.0));
        // three 40-character cells: 3 × (40 × 4.5 + 8) = 564 pt at 9 pt, wider than portrait's 540
        let wide = vec![vec!["x".repeat(60); 3]];
        assert_eq!(layout(&columns, &wide, None), (true, 9.0));
        // ten such columns: landscape at the smallest size, text wrapping
        let ten: Vec<_> = (0..10).map(|_| col("Note")).collect();
        assert_eq!(layout(&ten, &[vec!["x".repeat(40); 10]], None), (true, 7.0));
    }

    #[test]
    fn more_rows_than_the_limit_are_refused() -> anyhow::Result<()> {
        let o = output(MAX_ROWS + 1)?;
        let e = render(&o).err().context("20,001 rows rendered")?;
        let msg = e.to_string();
        assert!(matches!(e, Error::Export { format: "pdf", .. }), "{e:?}");
        assert!(msg.contains("5,001 rows exceed the PDF limit of 5,000; export CSV or XLSX"), "{msg}");
        Ok(())
    }

    #[test]
    fn template_errors_are_errors_with_typst_messages() {
        let e = compile("#let x = 1\n#undefined-thing", "{}".into(), true).err().map(|e| e.to_string());
        let msg = e.unwrap_or_default();
        assert!(msg.starts_with("pdf export: report.typ:2: unknown variable: undefined-thing"), "{msg}");
        // data of the wrong shape: the template's error, not a panic
        let e = compile(TEMPLATE, "{}".into(), true).err().map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("does not contain key"));
    }
}
