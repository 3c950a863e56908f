//! XLSX: a worksheet named after the report (a workbook of several reports has a sheet each), streamed in
//! one starts, so a million rows never sit in memory). On top the title, org, stores, filters and data as of;
//! then a bold header row that stays frozen and carries an autofilter; then the rows as real numbers and dates
//! with money (`#,##0.00`), percent (`0.00%`, the ratio 0.1234 shows 12.34%) and date (`yyyy-mm-dd`) formats;
//! then a bold totals row. More rows than Excel holds is an error, never a truncation.
//!
//! The totals are formulas that follow Excel's filters, each with the engine's exact total cached (what a reader
//! that does not calculate shows): a sum is `SUBTOTAL(109,D8:D157)` (109 leaves out hidden and filtered-out
//! rows); a percent is the ratio of its terms' subtotals, rounded to 4 places as the engine rounds, blank over
//! zero. A total stays a plain value when no formula can say it: a percent whose terms are not all shown (the
//! sheet has no hidden columns: a formula over columns people cannot see would be a riddle, and every format
//! shows the same columns), a figure from the report's own footer query (a distinct count: it differs from the
//! sum of its rows), and the totals of a sheet without rows. A footer-query figure that equals the sum of its
//! rows is written as a sum, which is still exact under any filter: a distinct count equal to the sum of the
//! rows' counts means no item is counted in two rows.
//!
//! Constant-memory mode writes rows strictly in order (a cell for an earlier row is dropped), so cells are
//! written top to bottom. Sheet metadata — column widths, page setup, the autofilter — goes into the file at
//! save (rust_xlsxwriter writes a constant-memory sheet's `<cols>` then, ahead of the rows it streamed to a temp
//! file), so it is set in [`Writer::finish`], when every row has been seen: columns are as wide as their widest
//! header, cell or total as Excel displays it (within bounds), and the page turns landscape when the columns
//! would not fit across a portrait page.
//!
//! Printing: fitted to one page wide (as many pages down as it takes), on the org's paper, the header row
//! repeated on every page, the title and "Page x of y" in the footer.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet, XlsxError, column_number_to_name,
};
use warehouse::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};

use crate::error::{Error, Result};
use crate::model::{Column, Header, Paper, Source, Terms, Total, Totals, Type, Value};

/// Excel's rows per sheet (header lines and the totals row included).
const MAX_ROWS: u32 = 1_048_576;
/// Excel's columns per sheet.
const MAX_COLS: usize = 16_384;
/// The widest a column gets, in characters: longer text is cut at the cell's edge, never wrapped.
const MAX_WIDTH: f64 = 50.0;
/// The narrowest a column gets, in characters.
const MIN_WIDTH: f64 = 6.0;
/// More shown columns than this print landscape (as the PDF does).
const PORTRAIT_COLUMNS: usize = 6;
/// Excel's footers hold at most 255 characters (UTF-16 units), control codes included.
const MAX_FOOTER: usize = 255;

/// A streaming XLSX writer: [`Writer::new`], [`Writer::batch`] for each batch in order, then [`Writer::finish`].
/// A workbook of several reports, a sheet each: [`Writer::book`], then for each report [`Writer::sheet`], its
/// batches and [`Writer::end_sheet`]; then [`Writer::save`].
pub struct Writer {
    book: Workbook,
    /// How data rows look.
    data: Cells,
    /// How the totals row looks.
    total: Cells,
    /// The sheets' names so far, lowercased (Excel's names are unique whatever their case).
    names: Vec<String>,
    /// The sheet being written.
    open: Option<Sheet>,
}

/// The sheet being written.
struct Sheet {
    /// Its position in the workbook.
    index: usize,
    /// The header row (0-based).
    header_row: u32,
    /// The next row to write (0-based).
    next_row: u32,
    /// Shown columns.
    cols: u16,
    /// Data rows written so far.
    rows: u64,
    /// What the rows add up to, by column: a total that differs came from the report's footer query.
    sums: Totals,
    /// The widest cell of each shown column so far.
    extents: Vec<Extent>,
}

/// Formats for one kind of row, by value type.
struct Cells {
    /// `None`: text cells take the default format, which spares a format look-up (a hash of the whole
    /// `Format`) per cell.
    text: Option<Format>,
    money: Format,
    percent: Format,
    count: Format,
    date: Format,
    /// What an empty cell gets (the totals row's border runs under every column); `None` leaves it unwritten.
    blank: Option<Format>,
}

impl Cells {
    fn new(base: &Format, blank: bool) -> Cells {
        Cells {
            text: (*base != Format::new()).then(|| base.clone()),
            money: base.clone().set_num_format("#,##0.00"),
            percent: base.clone().set_num_format("0.00%"),
            count: base.clone().set_num_format("#,##0"),
            date: base.clone().set_num_format("yyyy-mm-dd"),
            blank: blank.then(|| base.clone()),
        }
    }

    /// The number format of a numeric column's cells.
    fn number(&self, ty: Type) -> &Format {
        match ty {
            Type::Money => &self.money,
            Type::Percent => &self.percent,
            _ => &self.count,
        }
    }
}

/// The widest cell of a column, kept cheaply while rows stream past: the longest text in characters, and the
/// smallest and largest number (the widest number shown is one of the two).
#[derive(Debug, Clone, Default)]
struct Extent {
    text: usize,
    lo: i128,
    hi: i128,
}

impl Extent {
    fn text(&mut self, s: &str) {
        // a string has no more characters than bytes: most cells are dismissed without counting, and none once
        // the column is as wide as it gets
        if s.len() > self.text && self.text < MAX_WIDTH as usize {
            self.text = self.text.max(s.chars().count());
        }
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Money(n) | Value::Percent(n) => self.number(*n),
            Value::Count(n) => self.number(i128::from(*n)),
            // Excel shows `yyyy-mm-dd`; a date it cannot hold is written as its ISO text
            Value::Date(d) if (1900..=9999).contains(&d.year()) => self.text = self.text.max(10),
            Value::Date(d) => self.text(&d.to_string()),
            Value::Text(s) => self.text(s),
            Value::Null => {}
        }
    }

    fn number(&mut self, n: i128) {
        self.lo = self.lo.min(n);
        self.hi = self.hi.max(n);
    }

    /// The widest cell as Excel displays it (the number formats show what [`Value::display`] shows), in
    /// characters.
    fn chars(&self, ty: Type) -> usize {
        let shown = |n: i128| match ty {
            Type::Money => Value::Money(n).display(),
            Type::Percent => Value::Percent(n).display(),
            Type::Count => Value::Count(i64::try_from(n).unwrap_or(i64::MAX)).display(),
            Type::Date | Type::Text => String::new(),
        };
        self.text.max(shown(self.lo).len()).max(shown(self.hi).len())
    }
}

fn err(e: XlsxError) -> Error {
    Error::Export { format: "xlsx", why: e.to_string() }
}

/// The open sheet: an error, never a panic, when the writer is used out of order.
fn open(open: &mut Option<Sheet>) -> Result<&mut Sheet> {
    open.as_mut().ok_or_else(|| Error::Export { format: "xlsx", why: "no sheet is open".into() })
}

/// The lines above the table: title, org, stores, one per filter, data as of.
fn preamble(h: &Header) -> Vec<String> {
    let mut out = vec![h.title.clone()];
    if !h.org.is_empty() {
        out.push(h.org.clone());
    }
    if !h.stores.is_empty() {
        out.push(format!("Stores: {}", h.stores));
    }
    out.extend(h.filters.iter().map(|(label, value)| format!("{label}: {value}")));
    out.push(format!("Data as of {}", h.data_as_of));
    out
}

impl Writer {
    /// Starts a workbook with one constant-memory sheet: preamble rows, then the header row.
    pub fn new(h: &Header) -> Result<Writer> {
        let mut w = Writer::book();
        w.sheet(h)?;
        Ok(w)
    }

    /// Starts a workbook without sheets.
    pub fn book() -> Writer {
        let mut book = Workbook::new();
        // The fastest deflate level: a million-row sheet compresses in a fraction of the time of the default
        // level 6, for a file about a fifth larger (docs/BENCHMARKS.md).
        book.set_zip_compression_level(3);
        let total = Format::new().set_bold().set_border_top(FormatBorder::Thin);
        Writer {
            book,
            data: Cells::new(&Format::new(), false),
            total: Cells::new(&total, true),
            names: Vec::new(),
            open: None,
        }
    }

    /// Adds a constant-memory sheet for the report `h` heads, named after its title (made unique in the
    /// workbook): preamble rows, then the header row. The sheet before it must have ended.
    pub fn sheet(&mut self, h: &Header) -> Result<()> {
        if self.open.is_some() {
            return Err(Error::Export { format: "xlsx", why: "a sheet began before the last one ended".into() });
        }
        let shown: Vec<&Column> = h.shown().map(|(_, c)| c).collect();
        if shown.len() > MAX_COLS {
            return Err(Error::Export {
                format: "xlsx",
                why: format!("{} columns exceed Excel's {MAX_COLS}-column limit", shown.len()),
            });
        }
        let name = unique_name(&sheet_name(&h.title), &self.names);
        self.names.push(name.to_lowercase());
        let index = self.names.len() - 1;
        let ws = self.book.add_worksheet_with_constant_memory().map_err(err)?;
        ws.set_name(name).map_err(err)?;

        let mut row = 0u32;
        for (n, line) in preamble(h).iter().enumerate() {
            if n == 0 {
                ws.write_string_with_format(row, 0, line, &Format::new().set_bold().set_font_size(14)).map_err(err)?;
            } else {
                ws.write_string(row, 0, line).map_err(err)?;
            }
            row += 1;
        }
        row += 1; // a blank row between the preamble and the table

        let head = Format::new().set_bold().set_border_bottom(FormatBorder::Thin);
        let head_num = head.clone().set_align(FormatAlign::Right);
        for (col, c) in (0u16..).zip(&shown) {
            let f = if c.ty.is_numeric() { &head_num } else { &head };
            ws.write_string_with_format(row, col, &*c.label, f).map_err(err)?;
        }
        ws.set_freeze_panes(row + 1, 0).map_err(err)?;
        self.open = Some(Sheet {
            index,
            header_row: row,
            next_row: row + 1,
            cols: u16::try_from(shown.len()).unwrap_or(u16::MAX),
            rows: 0,
            sums: Totals::new(&h.columns),
            extents: vec![Extent::default(); shown.len()],
        });
        Ok(())
    }

    /// Appends a batch's rows (batches are already shaped to header.columns, hidden ones included).
    pub fn batch(&mut self, h: &Header, b: &RecordBatch) -> Result<()> {
        if b.num_columns() != h.columns.len() {
            return Err(Error::Export {
                format: "xlsx",
                why: format!("batch has {} columns, the report declares {}", b.num_columns(), h.columns.len()),
            });
        }
        for (i, c) in h.columns.iter().enumerate() {
            // every column, hidden ones too: the running sums read them all
            let got = b.column(i).data_type();
            if *got != c.ty.arrow() {
                return Err(Error::Export {
                    format: "xlsx",
                    why: format!("column {} is {got}, expected {}", c.key, c.ty.arrow()),
                });
            }
        }
        let sheet = open(&mut self.open)?;
        let n = b.num_rows() as u64;
        if !fits(sheet.next_row, n) {
            let lines = u64::from(sheet.header_row) + 2; // preamble, blank row, header, totals row
            return Err(Error::Export {
                format: "xlsx",
                why: format!(
                    "more than {} rows: with the {lines} title, header and totals rows they exceed Excel's \
                     1,048,576-row limit; export as CSV instead (no row limit)",
                    u64::from(MAX_ROWS) - lines
                ),
            });
        }
        sheet.sums.add(&h.columns, b);
        let ws = self.book.worksheet_from_index(sheet.index).map_err(err)?;
        let shown: Vec<(&ArrayRef, Type)> = h.shown().map(|(i, c)| (b.column(i), c.ty)).collect();
        for r in 0..b.num_rows() {
            for ((col, (a, ty)), extent) in (0u16..).zip(&shown).zip(&mut sheet.extents) {
                if *ty == Type::Text && !a.is_null(r) {
                    // text straight from the batch, without a copy per cell
                    let s = a.as_string::<i32>().value(r);
                    extent.text(s);
                    text(ws, sheet.next_row, col, s, &self.data).map_err(err)?;
                } else {
                    let v = Value::at(*ty, a, r);
                    extent.value(&v);
                    put(ws, sheet.next_row, col, &v, &self.data)?;
                }
            }
            sheet.next_row += 1;
        }
        sheet.rows += n;
        Ok(())
    }

    /// Writes the totals row (bold, only where a column has a total), sizes the columns, sets up printing and
    /// saves the file.
    pub fn finish(mut self, h: &Header, totals: &[Value], path: &Path) -> Result<()> {
        self.end_sheet(h, totals)?;
        self.save(path)
    }

    /// Ends the open sheet: the totals row (bold, only where a column has a total), the columns sized, printing
    /// set up.
    pub fn end_sheet(&mut self, h: &Header, totals: &[Value]) -> Result<()> {
        let Some(mut sheet) = self.open.take() else {
            return Err(Error::Export { format: "xlsx", why: "no sheet is open".into() });
        };
        let shown: Vec<(usize, &Column)> = h.shown().collect();
        let shown_totals: Vec<&Value> = shown.iter().map(|(i, _)| totals.get(*i).unwrap_or(&Value::Null)).collect();
        let summed = sheet.sums.finish(&h.columns);
        let rows = (sheet.rows > 0).then(|| (sheet.header_row + 2, sheet.next_row)); // 1-based, as formulas say
        let ws = self.book.worksheet_from_index(sheet.index).map_err(err)?;

        if shown_totals.iter().any(|v| **v != Value::Null) {
            let row = sheet.next_row;
            for (col, ((i, c), v)) in (0u16..).zip(shown.iter().zip(&shown_totals)) {
                let formula = match rows {
                    // only where the total is what the rows add up to (not a footer query's figure)
                    Some(rows) if summed.get(*i) == Some(*v) => total_formula(&shown, c, rows),
                    _ => None,
                };
                match formula {
                    Some(f) => {
                        // the cached result is the engine's exact total in decimal text ("1084.50", "0.3135");
                        // a percent over zero caches an empty string, not the writer's default 0
                        ws.set_formula_result_default("");
                        let f = Formula::new(f).set_result(v.plain());
                        ws.write_formula_with_format(row, col, f, self.total.number(c.ty)).map_err(err)?;
                    }
                    None => put(ws, row, col, v, &self.total)?,
                }
            }
        }

        let mut widths = Vec::with_capacity(shown.len());
        for ((col, ((_, c), v)), extent) in (0u16..).zip(shown.iter().zip(&shown_totals)).zip(&mut sheet.extents) {
            extent.value(v);
            let w = width(c, extent);
            ws.set_column_width(col, w).map_err(err)?;
            widths.push(w);
        }
        page_setup(ws, h, &widths, sheet.header_row)?;

        if sheet.cols > 0 {
            // Header and data only: sorting or filtering never moves the totals row.
            ws.autofilter(sheet.header_row, 0, sheet.next_row - 1, sheet.cols - 1).map_err(err)?;
        }
        tracing::debug!(rows = sheet.rows, sheet = sheet.index, "xlsx sheet written");
        Ok(())
    }

    /// Saves the workbook to `path` (every sheet ended).
    pub fn save(mut self, path: &Path) -> Result<()> {
        if self.open.is_some() {
            return Err(Error::Export { format: "xlsx", why: "the workbook was saved with a sheet open".into() });
        }
        self.book.save(path).map_err(err)?;
        Ok(())
    }
}

/// The formula of a total over data rows `first..=last` (1-based), or `None` where a plain value must do.
fn total_formula(shown: &[(usize, &Column)], c: &Column, (first, last): (u32, u32)) -> Option<String> {
    let subtotal = |key: &str| -> Option<String> {
        let col = shown.iter().position(|(_, c)| c.key == key)?;
        let c = shown[col].1;
        let col = column_number_to_name(u16::try_from(col).ok()?);
        matches!(c.ty, Type::Money | Type::Count).then(|| format!("SUBTOTAL(109,{col}{first}:{col}{last})"))
    };
    // Σ sign × subtotal, as the engine forms a ratio's numerator and denominator
    let terms = |t: Terms| -> Option<String> {
        let mut out = String::new();
        for (sign, key) in t {
            match sign {
                1 if out.is_empty() => {}
                1 => out.push('+'),
                -1 => out.push('-'),
                s if *s > 0 && !out.is_empty() => write!(out, "+{s}*").ok()?,
                s => write!(out, "{s}*").ok()?,
            }
            out.push_str(&subtotal(key)?);
        }
        (!out.is_empty()).then_some(out)
    };
    match (c.total, c.source) {
        (Total::Sum, _) => subtotal(c.key),
        (Total::Ratio, Source::Ratio { num, den }) => {
            let (num, den) = (terms(num)?, terms(den)?);
            // ROUND(den,2)=0: money sums that cancel leave a float residue, not an exact zero
            Some(format!(r#"IF(ROUND({den},2)=0,"",ROUND(({num})/({den}),4))"#))
        }
        _ => None,
    }
}

/// A column's width in characters: its widest header (with room for the filter button), cell or total as
/// Excel shows it, with a little padding; within [`MIN_WIDTH`] and [`MAX_WIDTH`].
fn width(c: &Column, extent: &Extent) -> f64 {
    let label = c.label.chars().count() + 3;
    let cells = extent.chars(c.ty) + if c.ty.is_numeric() { 2 } else { 1 };
    (label.max(cells) as f64).clamp(MIN_WIDTH, MAX_WIDTH)
}

/// Printing: the org's paper, one page wide, landscape when the columns would not fit across a portrait page,
/// the header row on every page, the title and "Page x of y" at the foot.
fn page_setup(ws: &mut Worksheet, h: &Header, widths: &[f64], header_row: u32) -> Result<()> {
    ws.set_paper_size(match h.paper {
        Paper::Letter => 1,
        Paper::A4 => 9,
    });
    if widths.len() > PORTRAIT_COLUMNS || pixels(widths) > portrait_pixels(h.paper) {
        ws.set_landscape();
    }
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row).map_err(err)?;
    ws.set_footer(footer(&h.title));
    Ok(())
}

/// How wide columns print, in pixels at 96 dpi: Excel's 7-pixel digit plus 5 pixels of padding per column
/// (Calibri 11, the default font).
fn pixels(widths: &[f64]) -> f64 {
    widths.iter().map(|w| (w * 7.0).round() + 5.0).sum()
}

/// The printable width of a portrait page, in pixels at 96 dpi: the paper less Excel's default 0.7-inch side
/// margins.
fn portrait_pixels(paper: Paper) -> f64 {
    let inches = match paper {
        Paper::Letter => 8.5,
        Paper::A4 => 210.0 / 25.4,
    };
    (inches - 1.4) * 96.0
}

/// The page footer: the title on the left (its `&` doubled, as Excel reads `&` as a control code; cut to fit
/// Excel's 255 characters), "Page x of y" on the right.
fn footer(title: &str) -> String {
    const PAGE: &str = "&RPage &P of &N";
    let mut out = String::from("&L");
    let mut units = out.len() + PAGE.len();
    for ch in title.chars() {
        let piece = if ch == '&' { "&&".to_string() } else { ch.to_string() };
        units += piece.encode_utf16().count();
        if units > MAX_FOOTER {
            break;
        }
        out.push_str(&piece);
    }
    out.push_str(PAGE);
    out
}

/// Whether `n` more data rows starting at `next_row` still leave room for the totals row.
fn fits(next_row: u32, n: u64) -> bool {
    u64::from(next_row) + n < u64::from(MAX_ROWS)
}

/// One cell. Numbers become spreadsheet numbers (IEEE doubles) only here, at the last moment.
fn put(ws: &mut Worksheet, row: u32, col: u16, v: &Value, f: &Cells) -> Result<()> {
    let written = match v {
        Value::Null => match &f.blank {
            Some(blank) => ws.write_blank(row, col, blank),
            None => return Ok(()),
        },
        Value::Money(c) => ws.write_number_with_format(row, col, *c as f64 / 100.0, &f.money),
        Value::Percent(p) => ws.write_number_with_format(row, col, *p as f64 / 10_000.0, &f.percent),
        Value::Count(n) => ws.write_number_with_format(row, col, *n as f64, &f.count),
        Value::Date(d) => match excel_date(*d) {
            Some(d) => ws.write_datetime_with_format(row, col, d, &f.date),
            // Excel has no dates before 1900 or after 9999: the ISO text is still exact.
            None => text(ws, row, col, &d.to_string(), f),
        },
        Value::Text(s) => text(ws, row, col, s, f),
    };
    written.map_err(err)?;
    Ok(())
}

fn text<'a>(ws: &'a mut Worksheet, row: u32, col: u16, s: &str, f: &Cells) -> Result<&'a mut Worksheet, XlsxError> {
    match &f.text {
        Some(format) => ws.write_string_with_format(row, col, s, format),
        None => ws.write_string(row, col, s),
    }
}

fn excel_date(d: NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(d.year()).ok()?;
    let month = u8::try_from(d.month()).ok()?;
    let day = u8::try_from(d.day()).ok()?;
    ExcelDateTime::from_ymd(year, month, day).ok()
}

/// The report title as an Excel sheet name: no `[]:*?/\`, at most 31 characters (UTF-16 units), no quote at
/// either end, never blank or the reserved "History".
fn sheet_name(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|ch| match ch {
            '/' | '\\' => '-',
            '[' | ']' | ':' | '*' | '?' => ' ',
            ch if ch.is_control() => ' ',
            ch => ch,
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut name = String::new();
    let mut units = 0;
    for ch in cleaned.chars() {
        units += ch.len_utf16();
        if units > 31 {
            break;
        }
        name.push(ch);
    }
    let name = name.trim_matches(|ch: char| ch == '\'' || ch.is_whitespace());
    if name.is_empty() || name.eq_ignore_ascii_case("history") { "Report".to_string() } else { name.to_string() }
}

/// `name`, or when the workbook has a sheet by that name (in any case) `name (2)`, `name (3)`…, still within
/// Excel's 31 characters.
fn unique_name(name: &str, taken: &[String]) -> String {
    let mut n = 1;
    loop {
        let candidate = if n == 1 {
            name.to_string()
        } else {
            let suffix = format!(" ({n})");
            let mut stem = String::new();
            let mut units = suffix.len();
            for ch in name.chars() {
                units += ch.len_utf16();
                if units > 31 {
                    break;
                }
                stem.push(ch);
            }
            format!("{}{suffix}", stem.trim_end())
        };
        if !taken.contains(&candidate.to_lowercase()) {
            return candidate;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::process::Command;
    use std::sync::Arc;

    use serde_json::Value as Json;
    use warehouse::arrow::array::{ArrayRef, Date32Array, Decimal128Array, Int64Array, StringArray, new_null_array};
    use warehouse::arrow::datatypes::{Field, Schema};

    use super::*;

    fn header() -> Header {
        Header {
            report: "gross_profit",
            view: "by_customer",
            title: "Gross profit — by customer".into(),
            org: "Atelier Demo".into(),
            stores: "All stores".into(),
            paper: Paper::Letter,
            filters: vec![("Period".into(), "2026-01-01 – 2026-02-28".into()), ("By".into(), "customer".into())],
            params: BTreeMap::new(),
            data_as_of: "2026-03-01T06:00:00Z".into(),
            columns: vec![
                Column::id("customer_id"),
                Column::text("customer", "Customer").labelled(),
                Column::date("last_sale", "Last sale"),
                Column::money("sales", "Sales"),
                Column::money("gp", "GP"),
                Column::ratio("gp_pct", "GP %", &[(1, "gp")], &[(1, "sales")]),
                Column::count("units", "Units"),
            ],
        }
    }

    fn schema(h: &Header) -> Arc<Schema> {
        Arc::new(Schema::new(h.columns.iter().map(|c| Field::new(c.key, c.ty.arrow(), true)).collect::<Vec<_>>()))
    }

    fn day(y: i32, m: u32, d: u32) -> Option<i32> {
        NaiveDate::from_ymd_opt(y, m, d).map(|d| d.num_days_from_ce() - 719_163)
    }

    type Row<'a> = (i64, &'a str, Option<i32>, i128, i128, Option<i128>, i64);

    fn batch(h: &Header, rows: &[Row]) -> RecordBatch {
        let dec = |v: Vec<Option<i128>>, s| -> ArrayRef {
            Arc::new(Decimal128Array::from(v).with_precision_and_scale(18, s).unwrap())
        };
        let pct = Decimal128Array::from(rows.iter().map(|r| r.5).collect::<Vec<_>>())
            .with_precision_and_scale(10, 4)
            .unwrap();
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(rows.iter().map(|r| r.0).collect::<Vec<_>>())),
            Arc::new(StringArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>())),
            Arc::new(Date32Array::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())),
            dec(rows.iter().map(|r| Some(r.3)).collect(), 2),
            dec(rows.iter().map(|r| Some(r.4)).collect(), 2),
            Arc::new(pct),
            Arc::new(Int64Array::from(rows.iter().map(|r| r.6).collect::<Vec<_>>())),
        ];
        RecordBatch::try_new(schema(h), cols).unwrap()
    }

    /// Three customers: sales 1,234.50 − 150.00 + 0.00 = 1,084.50; GP 400.00 − 60.00 + 0.00 = 340.00; units
    /// 3 − 1 + 0 = 2.
    fn three_customers(h: &Header) -> Vec<RecordBatch> {
        vec![
            batch(
                h,
                &[
                    (11, r#"Smith, "Jo" & Co"#, day(2026, 1, 5), 123_450, 40_000, Some(3240), 3),
                    (12, "Bijoux Ltd", None, -15_000, -6_000, Some(4000), -1),
                ],
            ),
            batch(h, &[(13, "Ōrin Gems", day(2026, 2, 28), 0, 0, None, 0)]),
        ]
    }

    /// Writes `batches` as the engine drives the exporter, with the footer the engine would give; returns what
    /// openpyxl reads back.
    fn export(h: &Header, batches: &[RecordBatch]) -> Json {
        let mut totals = Totals::new(&h.columns);
        for b in batches {
            totals.add(&h.columns, b);
        }
        export_with(h, batches, &totals.finish(&h.columns))
    }

    /// The same with the footer `totals`.
    fn export_with(h: &Header, batches: &[RecordBatch], totals: &[Value]) -> Json {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.xlsx");
        let mut w = Writer::new(h).unwrap();
        for b in batches {
            w.batch(h, b).unwrap();
        }
        w.finish(h, totals, &path).unwrap();
        read(&path)
    }

    const READER: &str = r#"
import datetime, json, sys
try:
    import openpyxl
except ImportError:
    sys.exit(3)
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
# the values a reader that does not calculate shows: for a formula, the result cached in the file
cached = openpyxl.load_workbook(sys.argv[1], data_only=True).worksheets[0]
def cell(c):
    v = cached.cell(c.row, c.column).value
    if isinstance(v, (datetime.datetime, datetime.date)):
        v = v.isoformat()
    return {"v": v, "formula": c.value if c.data_type == "f" else None, "t": c.data_type, "f": c.number_format,
            "bold": bool(c.font.b), "size": c.font.sz, "top": c.border.top.style, "bottom": c.border.bottom.style}
ps = ws.page_setup
fit = ws.sheet_properties.pageSetUpPr
print(json.dumps({
    "sheets": wb.sheetnames,
    "freeze": ws.freeze_panes,
    "filter": ws.auto_filter.ref,
    "max_col": ws.max_column,
    # adjacent columns of equal width are stored as one range
    "widths": {openpyxl.utils.get_column_letter(i): d.width
               for d in ws.column_dimensions.values() for i in range(d.min, d.max + 1)},
    "rows": [[cell(c) for c in row] for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)],
    "print": {"orientation": ps.orientation, "paper": ps.paperSize, "fit_to_page": bool(fit and fit.fitToPage),
              "fit_width": ps.fitToWidth, "fit_height": ps.fitToHeight, "title_rows": ws.print_title_rows,
              "footer_left": ws.oddFooter.left.text, "footer_center": ws.oddFooter.center.text,
              "footer_right": ws.oddFooter.right.text},
}))
"#;

    /// Reads the file with openpyxl, a reader independent of the writer.
    fn read(path: &Path) -> Json {
        let out = match Command::new("python3").arg("-c").arg(READER).arg(path).output() {
            Ok(out) => out,
            Err(e) => panic!("cannot run python3 ({e}): run scripts/setup.sh to install python3 and openpyxl"),
        };
        if out.status.code() == Some(3) {
            panic!("python3 has no openpyxl: run scripts/setup.sh to install it");
        }
        assert!(out.status.success(), "openpyxl failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Row `r` (1-based, as Excel numbers them).
    fn row(x: &Json, r: usize) -> &[Json] {
        x["rows"][r - 1].as_array().unwrap()
    }

    fn values(x: &Json, r: usize) -> Vec<Json> {
        row(x, r).iter().map(|c| c["v"].clone()).collect()
    }

    fn formulas(x: &Json, r: usize) -> Vec<Json> {
        row(x, r).iter().map(|c| c["formula"].clone()).collect()
    }

    fn cell(x: &Json, r: usize, col: usize) -> &Json {
        &row(x, r)[col]
    }

    /// Column `col`'s width in characters as stored (Excel adds its padding: 10 is stored as 10.71).
    fn width_of(x: &Json, col: &str) -> f64 {
        x["widths"][col].as_f64().unwrap_or_else(|| panic!("no width for {col}: {}", x["widths"]))
    }

    #[test]
    fn xlsx_has_typed_cells_formats_frozen_header_filter_and_totals() {
        let h = header();
        let x = export(&h, &three_customers(&h));

        assert_eq!(x["sheets"], serde_json::json!(["Gross profit — by customer"]));
        // preamble
        assert_eq!(cell(&x, 1, 0)["v"], "Gross profit — by customer");
        assert_eq!(cell(&x, 1, 0)["bold"], true);
        assert_eq!(cell(&x, 1, 0)["size"], 14.0);
        assert_eq!(cell(&x, 2, 0)["v"], "Atelier Demo");
        assert_eq!(cell(&x, 3, 0)["v"], "Stores: All stores");
        assert_eq!(cell(&x, 4, 0)["v"], "Period: 2026-01-01 – 2026-02-28");
        assert_eq!(cell(&x, 5, 0)["v"], "By: customer");
        assert_eq!(cell(&x, 6, 0)["v"], "Data as of 2026-03-01T06:00:00Z");
        assert!(values(&x, 7).iter().all(Json::is_null), "blank row before the table");

        // header: shown columns only, the hidden id absent
        assert_eq!(values(&x, 8), ["Customer", "Last sale", "Sales", "GP", "GP %", "Units"]);
        assert_eq!(x["max_col"], 6);
        assert!(row(&x, 8).iter().all(|c| c["bold"] == true && c["bottom"] == "thin"));
        assert_eq!(x["freeze"], "A9");
        assert_eq!(x["filter"], "A8:F11");

        // data rows: numbers are numbers, dates are dates, text is text, null is empty
        let r9 = row(&x, 9);
        assert_eq!(r9[0]["v"], r#"Smith, "Jo" & Co"#);
        assert_eq!(r9[0]["t"], "s");
        assert_eq!(r9[1]["v"], "2026-01-05T00:00:00");
        assert_eq!(r9[1]["t"], "d");
        assert_eq!(r9[1]["f"], "yyyy-mm-dd");
        assert_eq!(r9[2]["v"].as_f64(), Some(1234.5));
        assert_eq!(r9[2]["t"], "n");
        assert_eq!(r9[2]["f"], "#,##0.00");
        assert_eq!(r9[3]["v"].as_f64(), Some(400.0));
        assert_eq!(r9[4]["v"].as_f64(), Some(0.324));
        assert_eq!(r9[4]["t"], "n");
        assert_eq!(r9[4]["f"], "0.00%");
        assert_eq!(r9[5]["v"].as_f64(), Some(3.0));
        assert_eq!(r9[5]["f"], "#,##0");
        let r10 = row(&x, 10);
        assert_eq!(r10[0]["v"], "Bijoux Ltd");
        assert!(r10[1]["v"].is_null(), "a null date is an empty cell");
        assert_eq!(r10[2]["v"].as_f64(), Some(-150.0));
        assert_eq!(r10[3]["v"].as_f64(), Some(-60.0));
        assert_eq!(r10[5]["v"].as_f64(), Some(-1.0));
        let r11 = row(&x, 11);
        assert_eq!(r11[0]["v"], "Ōrin Gems");
        assert_eq!(r11[1]["v"], "2026-02-28T00:00:00");
        assert_eq!(r11[2]["v"].as_f64(), Some(0.0));
        assert!(r11[4]["v"].is_null(), "a percent over zero is an empty cell");
        assert!(row(&x, 9).iter().all(|c| c["bold"] == false && c["formula"].is_null()));

        // totals: "Total" under the label column, bold over a top border
        let t = row(&x, 12);
        assert_eq!(t[0]["v"], "Total");
        assert!(t[1]["v"].is_null());
        assert_eq!(t[2]["f"], "#,##0.00");
        assert_eq!(t[4]["f"], "0.00%");
        assert_eq!(t[5]["f"], "#,##0");
        assert!(t.iter().all(|c| c["bold"] == true && c["top"] == "thin"));
        assert_eq!(x["rows"].as_array().unwrap().len(), 12, "nothing after the totals row");
    }

    #[test]
    fn xlsx_totals_are_subtotal_formulas_over_the_data_rows_with_the_exact_totals_cached() {
        let h = header();
        let x = export(&h, &three_customers(&h));
        // data rows 9–11; the percent is GP's subtotal over Sales', rounded as the engine rounds
        assert_eq!(
            formulas(&x, 12),
            [
                Json::Null,
                Json::Null,
                "=SUBTOTAL(109,C9:C11)".into(),
                "=SUBTOTAL(109,D9:D11)".into(),
                r#"=IF(ROUND(SUBTOTAL(109,C9:C11),2)=0,"",ROUND((SUBTOTAL(109,D9:D11))/(SUBTOTAL(109,C9:C11)),4))"#
                    .into(),
                "=SUBTOTAL(109,F9:F11)".into(),
            ]
        );
        let t = row(&x, 12);
        assert_eq!(t[2]["v"].as_f64(), Some(1084.5)); // 1,234.50 − 150.00 + 0.00
        assert_eq!(t[3]["v"].as_f64(), Some(340.0)); // 400.00 − 60.00 + 0.00
        assert_eq!(t[4]["v"].as_f64(), Some(0.3135)); // 340 ÷ 1,084.50 = 0.313508…, to 4 places
        assert_eq!(t[5]["v"].as_f64(), Some(2.0)); // 3 − 1 + 0
        assert!(t[2..].iter().all(|c| c["t"] == "f"));
    }

    #[test]
    fn xlsx_percent_total_over_zero_caches_an_empty_string() {
        let h = header();
        let x = export(
            &h,
            &[batch(&h, &[(1, "Ann", None, 5_000, 1_000, Some(2000), 1), (2, "Bo", None, -5_000, 0, None, 1)])],
        );
        // sales 50.00 − 50.00 = 0: no percent, and not a cached 0 either
        assert_eq!(
            cell(&x, 11, 4)["formula"].as_str().map(|f| f.starts_with("=IF(ROUND(SUBTOTAL(109,C9:C10)")),
            Some(true)
        );
        assert!(matches!(cell(&x, 11, 4)["v"], Json::Null) || cell(&x, 11, 4)["v"] == "", "{}", cell(&x, 11, 4));
        assert_eq!(cell(&x, 11, 2)["v"].as_f64(), Some(0.0));
        assert_eq!(cell(&x, 11, 3)["v"].as_f64(), Some(10.0));
    }

    #[test]
    fn xlsx_totals_no_formula_can_say_are_plain_values() {
        // a percent over a hidden column: the sheet has no GP column to subtotal
        let mut h = header();
        h.columns[4].hidden = true;
        let x = export(&h, &three_customers(&h));
        assert_eq!(values(&x, 8), ["Customer", "Last sale", "Sales", "GP %", "Units"]);
        assert_eq!(formulas(&x, 12)[2], "=SUBTOTAL(109,C9:C11)");
        assert!(cell(&x, 12, 3)["formula"].is_null());
        assert_eq!(cell(&x, 12, 3)["v"].as_f64(), Some(0.3135));
        assert_eq!(cell(&x, 12, 3)["f"], "0.00%");

        // a figure from a footer query (a distinct count of 5, though the rows' units add up to 2): as given
        let h = header();
        let batches = three_customers(&h);
        let mut totals = Totals::new(&h.columns);
        for b in &batches {
            totals.add(&h.columns, b);
        }
        let mut given = totals.finish(&h.columns);
        given[6] = Value::Count(5);
        let x = export_with(&h, &batches, &given);
        assert!(cell(&x, 12, 5)["formula"].is_null());
        assert_eq!(cell(&x, 12, 5)["v"].as_f64(), Some(5.0));
        assert_eq!(cell(&x, 12, 5)["f"], "#,##0");
        assert_eq!(formulas(&x, 12)[2], "=SUBTOTAL(109,C9:C11)", "the other totals are still formulas");
    }

    #[test]
    fn xlsx_with_no_rows_has_header_and_zero_totals() {
        let mut h = header();
        h.org.clear();
        h.stores.clear();
        h.filters.clear();
        let x = export(&h, &[]);
        assert_eq!(cell(&x, 1, 0)["v"], "Gross profit — by customer");
        assert_eq!(cell(&x, 2, 0)["v"], "Data as of 2026-03-01T06:00:00Z");
        assert_eq!(values(&x, 4), ["Customer", "Last sale", "Sales", "GP", "GP %", "Units"]);
        assert_eq!(x["freeze"], "A5");
        assert_eq!(x["filter"], "A4:F4");
        let t = row(&x, 5);
        assert_eq!(t[0]["v"], "Total");
        // no rows to subtotal: plain zeros, no formula over an empty range
        assert!(formulas(&x, 5).iter().all(Json::is_null), "{:?}", formulas(&x, 5));
        assert_eq!(t[2]["v"].as_f64(), Some(0.0));
        assert!(t[4]["v"].is_null(), "no percent over a zero total");
        assert_eq!(t[5]["v"].as_f64(), Some(0.0));
        assert_eq!(x["rows"].as_array().unwrap().len(), 5);
    }

    #[test]
    fn xlsx_columns_are_as_wide_as_their_widest_label_cell_or_total() {
        let h = header();
        let x = export(&h, &three_customers(&h));
        // stored widths carry Excel's padding (10 is stored as 10.71): each lies in [chars, chars + 1)
        let expect = [
            ("A", 17.0, r#"Smith, "Jo" & Co: 16 characters + 1"#),
            ("B", 12.0, "Last sale: 9 characters + 3 for the filter button (a date is 10 + 1)"),
            ("C", 10.0, "1,234.50 and the total 1,084.50: 8 characters + 2"),
            ("D", 8.0, "400.00, -60.00 and the total 340.00: 6 characters + 2 (GP + 3 is only 5)"),
            ("E", 8.0, "32.40%, 40.00% and 31.35%: 6 characters + 2"),
            ("F", 8.0, "Units: 5 characters + 3 (the numbers are at most 2 wide)"),
        ];
        for (col, chars, why) in expect {
            let w = width_of(&x, col);
            assert!((chars..chars + 1.0).contains(&w), "{col}: {w}, expected {chars} ({why})");
        }

        // a long description is cut at 50 characters; a big total widens its column
        let mut h = header();
        h.columns[1] = Column::text("customer", "Customer").labelled();
        let long = "A".repeat(80);
        let b =
            batch(&h, &[(1, &long, None, 999_999_999_999, 1, None, 1), (2, "B", None, 999_999_999_999, 1, None, 1)]);
        let x = export(&h, &[b]);
        assert!((50.0..51.0).contains(&width_of(&x, "A")), "{}", width_of(&x, "A"));
        // rows 9,999,999,999.99 (17 characters); the total 19,999,999,999.98 (17): 17 + 2
        assert!((19.0..20.0).contains(&width_of(&x, "C")), "{}", width_of(&x, "C"));
    }

    #[test]
    fn widest_cell_is_the_widest_number_shown() {
        let mut e = Extent::default();
        for n in [5, -1_234_567, 99_999, 0, 12_345] {
            e.value(&Value::Money(n));
        }
        // -12,345.67 (10) is wider than 999.99 (6)
        assert_eq!(e.chars(Type::Money), "-12,345.67".len());
        let mut e = Extent::default();
        e.value(&Value::Count(1_000_000));
        e.value(&Value::Count(-5));
        assert_eq!(e.chars(Type::Count), "1,000,000".len());
        let mut e = Extent::default();
        e.value(&Value::Percent(-1234));
        assert_eq!(e.chars(Type::Percent), "-12.34%".len());
        let mut e = Extent::default();
        e.text("Ōrin");
        e.text("abc");
        assert_eq!(e.chars(Type::Text), 4, "characters, not bytes");
        e.value(&Value::Date(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()));
        assert_eq!(e.chars(Type::Text), 10);
    }

    #[test]
    fn xlsx_prints_one_page_wide_with_the_header_on_every_page() {
        let h = header();
        let x = export(&h, &three_customers(&h));
        let p = &x["print"];
        // six narrow columns (17 + 12 + 10 + 8 + 8 + 8 characters: 63 × 7 + 6 × 5 = 471 px) fit a portrait Letter page (681 px)
        assert_eq!(p["orientation"], "portrait");
        assert_eq!(p["paper"], 1, "US Letter");
        assert_eq!(p["fit_to_page"], true);
        // fitToWidth is left out of the file when it is 1 (the schema's default); 0 pages down is "as many as it
        // takes"
        assert!(p["fit_width"].is_null() || p["fit_width"] == 1, "{p}");
        assert_eq!(p["fit_height"], 0);
        assert_eq!(p["title_rows"], "$8:$8");
        assert_eq!(p["footer_left"], "Gross profit — by customer");
        assert_eq!(p["footer_right"], "Page &P of &N");

        // A4, and seven shown columns: landscape
        let mut h = header();
        h.paper = Paper::A4;
        h.columns[0].hidden = false;
        let x = export(&h, &three_customers(&h));
        assert_eq!(x["print"]["orientation"], "landscape");
        assert_eq!(x["print"]["paper"], 9, "A4");
        assert_eq!(x["print"]["title_rows"], "$8:$8");

        // six columns, but wider than a portrait page: landscape
        let mut h = header();
        h.filters.clear();
        let long = "Long customer name, ".repeat(4);
        let big = 999_999_999_999_999; // 9,999,999,999,999.99
        let x = export(&h, &[batch(&h, &[(1, &long, None, big, big, None, 1)])]);
        let px: f64 = ["A", "B", "C", "D", "E", "F"].iter().map(|c| width_of(&x, c).floor() * 7.0 + 5.0).sum();
        assert!(px > 681.0, "wider than Letter less its margins: {px}");
        assert_eq!(x["print"]["orientation"], "landscape");
        assert_eq!(x["print"]["title_rows"], "$6:$6");
    }

    #[test]
    fn the_footer_escapes_ampersands_and_fits_excel_s_limit() {
        assert_eq!(footer("Sales — Q1"), "&LSales — Q1&RPage &P of &N");
        assert_eq!(footer("Gem & Co"), "&LGem && Co&RPage &P of &N");
        let long = footer(&"&".repeat(300));
        assert_eq!(long.encode_utf16().count(), 255);
        assert!(long.ends_with("&&&RPage &P of &N"), "an ampersand is never cut in half");
    }

    #[test]
    fn xlsx_refuses_more_rows_than_excel_holds() {
        let h = header();
        let mut w = Writer::new(&h).unwrap();
        let n = MAX_ROWS as usize;
        let cols: Vec<ArrayRef> = h.columns.iter().map(|c| new_null_array(&c.ty.arrow(), n)).collect();
        let big = RecordBatch::try_new(schema(&h), cols).unwrap();
        let e = w.batch(&h, &big).unwrap_err().to_string();
        assert!(e.starts_with("xlsx export: more than 1048567 rows"), "{e}");
        assert!(e.contains("1,048,576-row limit"), "{e}");
        // title, org, stores, 2 filters, data as of, a blank row and the header: data starts at row 8 (0-based)
        assert!(fits(8, u64::from(MAX_ROWS) - 9), "the last data row leaves the last sheet row for the totals");
        assert!(!fits(8, u64::from(MAX_ROWS) - 8));
    }

    #[test]
    fn xlsx_refuses_a_batch_of_the_wrong_shape() {
        let h = header();
        let mut w = Writer::new(&h).unwrap();
        let mut other = header();
        other.columns[3] = Column::count("sales", "Sales");
        let cols: Vec<ArrayRef> = other.columns.iter().map(|c| new_null_array(&c.ty.arrow(), 1)).collect();
        let b = RecordBatch::try_new(schema(&other), cols).unwrap();
        let e = w.batch(&h, &b).unwrap_err().to_string();
        assert_eq!(e, "xlsx export: column sales is Int64, expected Decimal128(18, 2)");
        // a hidden column of the wrong type is refused too (the running sums read it), never a panic
        let mut other = header();
        other.columns[0] = Column::text_key("customer_id");
        let cols: Vec<ArrayRef> = other.columns.iter().map(|c| new_null_array(&c.ty.arrow(), 1)).collect();
        let b = RecordBatch::try_new(schema(&other), cols).unwrap();
        let e = w.batch(&h, &b).unwrap_err().to_string();
        assert_eq!(e, "xlsx export: column customer_id is Utf8, expected Int64");
    }

    #[test]
    fn sheet_names_in_one_workbook_are_unique_in_any_case_within_31_characters() {
        assert_eq!(unique_name("AR aging", &[]), "AR aging");
        assert_eq!(unique_name("AR aging", &["ar aging".to_string()]), "AR aging (2)");
        let taken = vec!["ar aging".to_string(), "ar aging (2)".to_string()];
        assert_eq!(unique_name("AR aging", &taken), "AR aging (3)");
        let long = "A".repeat(31);
        assert_eq!(unique_name(&long, &[long.to_lowercase()]), format!("{} (2)", "A".repeat(27)));
    }

    #[test]
    fn a_sheet_begun_before_the_last_ended_is_an_error_not_a_panic() {
        let h = header();
        let mut w = Writer::book();
        w.sheet(&h).unwrap();
        assert!(w.sheet(&h).unwrap_err().to_string().contains("before the last one ended"));
        let mut w = Writer::book();
        assert!(w.end_sheet(&h, &[]).unwrap_err().to_string().contains("no sheet is open"));
    }

    #[test]
    fn sheet_names_follow_excel_rules() {
        assert_eq!(sheet_name("AR aging — by customer"), "AR aging — by customer");
        assert_eq!(sheet_name("Sales: 2026/01 [draft]*?"), "Sales 2026-01 draft");
        assert_eq!(sheet_name("'Quoted'"), "Quoted");
        assert_eq!(sheet_name("A very long report title that goes on and on"), "A very long report title that g");
        assert_eq!(sheet_name("[]"), "Report");
        assert_eq!(sheet_name("History"), "Report");
        for t in ["Sales: 2026/01 [draft]*?", "x".repeat(40).as_str(), "💎".repeat(20).as_str()] {
            let mut wb = Workbook::new();
            wb.add_worksheet().set_name(sheet_name(t)).unwrap();
        }
    }
}
