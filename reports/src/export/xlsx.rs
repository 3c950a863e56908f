//! XLSX: one worksheet named after the report, streamed in constant memory (each row goes to disk as the next
//! one starts, so a million rows never sit in memory). On top the title, org, filters and data as of; then a
//! bold header row that stays frozen and carries an autofilter; then the rows as real numbers and dates with
//! money (`#,##0.00`), percent (`0.00%`, the ratio 0.1234 shows 12.34%) and date (`yyyy-mm-dd`) formats; then a
//! bold totals row. More rows than Excel holds is an error, never a truncation.
//!
//! Constant-memory mode writes rows strictly in order (a cell for an earlier row is dropped), so everything is
//! written top to bottom; column widths, the frozen pane and the sheet name are set before the first row. The
//! autofilter is set at the end, when its last row is known (it is sheet metadata, not row data).

use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use warehouse::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};

use crate::error::{Error, Result};
use crate::model::{Column, Header, Type, Value};

/// Excel's rows per sheet (header lines and the totals row included).
const MAX_ROWS: u32 = 1_048_576;
/// Excel's columns per sheet.
const MAX_COLS: usize = 16_384;

/// A streaming XLSX writer: [`Writer::new`], [`Writer::batch`] for each batch in order, then [`Writer::finish`].
pub struct Writer {
    book: Workbook,
    /// How data rows look.
    data: Cells,
    /// How the totals row looks.
    total: Cells,
    /// The header row (0-based).
    header_row: u32,
    /// The next row to write (0-based).
    next_row: u32,
    /// Shown columns.
    cols: u16,
    /// Data rows written so far.
    rows: u64,
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
}

fn err(e: XlsxError) -> Error {
    Error::Export { format: "xlsx", why: e.to_string() }
}

fn sheet(book: &mut Workbook) -> Result<&mut Worksheet> {
    book.worksheet_from_index(0).map_err(err)
}

impl Writer {
    /// Starts a workbook with one constant-memory sheet: preamble rows, then the header row.
    pub fn new(h: &Header) -> Result<Writer> {
        let shown: Vec<&Column> = h.shown().map(|(_, c)| c).collect();
        if shown.len() > MAX_COLS {
            return Err(Error::Export {
                format: "xlsx",
                why: format!("{} columns exceed Excel's {MAX_COLS}-column limit", shown.len()),
            });
        }
        let mut book = Workbook::new();
        // The fastest deflate level: a million-row sheet compresses in a fraction of the time of the default
        // level 6, for a file about a fifth larger (docs/BENCHMARKS.md).
        book.set_zip_compression_level(3);
        let ws = book.add_worksheet_with_constant_memory().map_err(err)?;
        ws.set_name(sheet_name(&h.title)).map_err(err)?;

        // Widths before any row: they belong to the sheet's head, which constant-memory mode lays out first.
        for (col, c) in (0u16..).zip(&shown) {
            ws.set_column_width(col, width(c)).map_err(err)?;
        }

        let mut row = 0u32;
        ws.write_string_with_format(row, 0, &h.title, &Format::new().set_bold().set_font_size(14)).map_err(err)?;
        row += 1;
        if !h.org.is_empty() {
            ws.write_string(row, 0, &h.org).map_err(err)?;
            row += 1;
        }
        for (label, value) in &h.filters {
            ws.write_string(row, 0, format!("{label}: {value}")).map_err(err)?;
            row += 1;
        }
        ws.write_string(row, 0, format!("Data as of {}", h.data_as_of)).map_err(err)?;
        row += 2; // a blank row between the preamble and the table

        let head = Format::new().set_bold().set_border_bottom(FormatBorder::Thin);
        let head_num = head.clone().set_align(FormatAlign::Right);
        for (col, c) in (0u16..).zip(&shown) {
            let f = if c.ty.is_numeric() { &head_num } else { &head };
            ws.write_string_with_format(row, col, &*c.label, f).map_err(err)?;
        }
        ws.set_freeze_panes(row + 1, 0).map_err(err)?;

        let total = Format::new().set_bold().set_border_top(FormatBorder::Thin);
        Ok(Writer {
            book,
            data: Cells::new(&Format::new(), false),
            total: Cells::new(&total, true),
            header_row: row,
            next_row: row + 1,
            cols: u16::try_from(shown.len()).unwrap_or(u16::MAX),
            rows: 0,
        })
    }

    /// Appends a batch's rows (batches are already shaped to header.columns, hidden ones included).
    pub fn batch(&mut self, h: &Header, b: &RecordBatch) -> Result<()> {
        if b.num_columns() != h.columns.len() {
            return Err(Error::Export {
                format: "xlsx",
                why: format!("batch has {} columns, the report declares {}", b.num_columns(), h.columns.len()),
            });
        }
        for (i, c) in h.shown() {
            let got = b.column(i).data_type();
            if *got != c.ty.arrow() {
                return Err(Error::Export {
                    format: "xlsx",
                    why: format!("column {} is {got}, expected {}", c.key, c.ty.arrow()),
                });
            }
        }
        let n = b.num_rows() as u64;
        if !fits(self.next_row, n) {
            let lines = u64::from(self.header_row) + 2; // preamble, blank row, header, totals row
            return Err(Error::Export {
                format: "xlsx",
                why: format!(
                    "more than {} rows: with the {lines} title, header and totals rows they exceed Excel's \
                     1,048,576-row limit; export as CSV instead (no row limit)",
                    u64::from(MAX_ROWS) - lines
                ),
            });
        }
        let ws = sheet(&mut self.book)?;
        let shown: Vec<(&ArrayRef, Type)> = h.shown().map(|(i, c)| (b.column(i), c.ty)).collect();
        for r in 0..b.num_rows() {
            for (col, (a, ty)) in (0u16..).zip(&shown) {
                if *ty == Type::Text && !a.is_null(r) {
                    // text straight from the batch, without a copy per cell
                    text(ws, self.next_row, col, a.as_string::<i32>().value(r), &self.data).map_err(err)?;
                } else {
                    put(ws, self.next_row, col, &Value::at(*ty, a, r), &self.data)?;
                }
            }
            self.next_row += 1;
        }
        self.rows += n;
        Ok(())
    }

    /// Writes the totals row (bold, only where a column has a total) and saves the file.
    pub fn finish(mut self, h: &Header, totals: &[Value], path: &Path) -> Result<()> {
        let ws = sheet(&mut self.book)?;
        let shown: Vec<&Value> = h.shown().map(|(i, _)| totals.get(i).unwrap_or(&Value::Null)).collect();
        if shown.iter().any(|v| **v != Value::Null) {
            for (col, v) in (0u16..).zip(shown) {
                put(ws, self.next_row, col, v, &self.total)?;
            }
        }
        if self.cols > 0 {
            // Header and data only: sorting or filtering never moves the totals row.
            ws.autofilter(self.header_row, 0, self.next_row - 1, self.cols - 1).map_err(err)?;
        }
        self.book.save(path).map_err(err)?;
        tracing::debug!(rows = self.rows, path = %path.display(), "xlsx written");
        Ok(())
    }
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

/// A column's width in characters: by type, wide enough for the label and the filter arrow, at most 40.
fn width(c: &Column) -> f64 {
    let floor = match c.ty {
        Type::Money => 14.0,
        Type::Percent => 10.0,
        Type::Date => 11.0,
        Type::Count => 10.0,
        Type::Text => 12.0,
    };
    let label = c.label.chars().count() as f64 + 3.0;
    label.max(floor).min(40.0)
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::process::Command;
    use std::sync::Arc;

    use serde_json::Value as Json;
    use warehouse::arrow::array::{ArrayRef, Date32Array, Decimal128Array, Int64Array, StringArray, new_null_array};
    use warehouse::arrow::datatypes::{Field, Schema};

    use super::*;
    use crate::model::Totals;

    fn header() -> Header {
        Header {
            report: "gross_profit",
            view: "by_customer",
            title: "Gross profit — by customer".into(),
            org: "Atelier Demo".into(),
            stores: "All stores".into(),
            paper: crate::model::Paper::Letter,
            filters: vec![("Period".into(), "2026-01-01 – 2026-02-28".into()), ("Stores".into(), "all".into())],
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

    /// Writes `batches` as the exporter would be driven by the engine; returns what openpyxl reads back.
    fn export(h: &Header, batches: &[RecordBatch]) -> Json {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.xlsx");
        let mut totals = Totals::new(&h.columns);
        let mut w = Writer::new(h).unwrap();
        for b in batches {
            totals.add(&h.columns, b);
            w.batch(h, b).unwrap();
        }
        w.finish(h, &totals.finish(&h.columns), &path).unwrap();
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
def cell(c):
    v = c.value
    if isinstance(v, (datetime.datetime, datetime.date)):
        v = v.isoformat()
    return {"v": v, "t": c.data_type, "f": c.number_format, "bold": bool(c.font.b), "size": c.font.sz,
            "top": c.border.top.style, "bottom": c.border.bottom.style}
print(json.dumps({
    "sheets": wb.sheetnames,
    "freeze": ws.freeze_panes,
    "filter": ws.auto_filter.ref,
    "max_col": ws.max_column,
    # adjacent columns of equal width are stored as one range
    "widths": {openpyxl.utils.get_column_letter(i): d.width
               for d in ws.column_dimensions.values() for i in range(d.min, d.max + 1)},
    "rows": [[cell(c) for c in row] for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)],
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

    fn cell(x: &Json, r: usize, col: usize) -> &Json {
        &row(x, r)[col]
    }

    #[test]
    fn xlsx_has_typed_cells_formats_frozen_header_filter_and_totals() {
        let h = header();
        let b1 = batch(
            &h,
            &[
                (11, r#"Smith, "Jo" & Co"#, day(2026, 1, 5), 123_450, 40_000, Some(3240), 3),
                (12, "Bijoux Ltd", None, -15_000, -6_000, Some(4000), -1),
            ],
        );
        let b2 = batch(&h, &[(13, "Ōrin Gems", day(2026, 2, 28), 0, 0, None, 0)]);
        let x = export(&h, &[b1, b2]);

        assert_eq!(x["sheets"], serde_json::json!(["Gross profit — by customer"]));
        // preamble
        assert_eq!(cell(&x, 1, 0)["v"], "Gross profit — by customer");
        assert_eq!(cell(&x, 1, 0)["bold"], true);
        assert_eq!(cell(&x, 1, 0)["size"], 14.0);
        assert_eq!(cell(&x, 2, 0)["v"], "Atelier Demo");
        assert_eq!(cell(&x, 3, 0)["v"], "Period: 2026-01-01 – 2026-02-28");
        assert_eq!(cell(&x, 4, 0)["v"], "Stores: all");
        assert_eq!(cell(&x, 5, 0)["v"], "Data as of 2026-03-01T06:00:00Z");
        assert!(values(&x, 6).iter().all(Json::is_null), "blank row before the table");

        // header: shown columns only, the hidden id absent
        assert_eq!(values(&x, 7), ["Customer", "Last sale", "Sales", "GP", "GP %", "Units"]);
        assert_eq!(x["max_col"], 6);
        assert!(row(&x, 7).iter().all(|c| c["bold"] == true && c["bottom"] == "thin"));
        assert_eq!(x["freeze"], "A8");
        assert_eq!(x["filter"], "A7:F10");

        // data rows: numbers are numbers, dates are dates, text is text, null is empty
        let r8 = row(&x, 8);
        assert_eq!(r8[0]["v"], r#"Smith, "Jo" & Co"#);
        assert_eq!(r8[0]["t"], "s");
        assert_eq!(r8[1]["v"], "2026-01-05T00:00:00");
        assert_eq!(r8[1]["t"], "d");
        assert_eq!(r8[1]["f"], "yyyy-mm-dd");
        assert_eq!(r8[2]["v"].as_f64(), Some(1234.5));
        assert_eq!(r8[2]["t"], "n");
        assert_eq!(r8[2]["f"], "#,##0.00");
        assert_eq!(r8[3]["v"].as_f64(), Some(400.0));
        assert_eq!(r8[4]["v"].as_f64(), Some(0.324));
        assert_eq!(r8[4]["t"], "n");
        assert_eq!(r8[4]["f"], "0.00%");
        assert_eq!(r8[5]["v"].as_f64(), Some(3.0));
        assert_eq!(r8[5]["f"], "#,##0");
        let r9 = row(&x, 9);
        assert_eq!(r9[0]["v"], "Bijoux Ltd");
        assert!(r9[1]["v"].is_null(), "a null date is an empty cell");
        assert_eq!(r9[2]["v"].as_f64(), Some(-150.0));
        assert_eq!(r9[3]["v"].as_f64(), Some(-60.0));
        assert_eq!(r9[5]["v"].as_f64(), Some(-1.0));
        let r10 = row(&x, 10);
        assert_eq!(r10[0]["v"], "Ōrin Gems");
        assert_eq!(r10[1]["v"], "2026-02-28T00:00:00");
        assert_eq!(r10[2]["v"].as_f64(), Some(0.0));
        assert!(r10[4]["v"].is_null(), "a percent over zero is an empty cell");
        assert!(row(&x, 8).iter().all(|c| c["bold"] == false));

        // totals: sums, the ratio of sums, "Total" under the label column, bold over a top border
        let t = row(&x, 11);
        assert_eq!(t[0]["v"], "Total");
        assert!(t[1]["v"].is_null());
        assert_eq!(t[2]["v"].as_f64(), Some(1084.5));
        assert_eq!(t[2]["f"], "#,##0.00");
        assert_eq!(t[3]["v"].as_f64(), Some(340.0));
        assert_eq!(t[4]["v"].as_f64(), Some(0.3135)); // 340 ÷ 1084.50, rounded half-up to 4 places
        assert_eq!(t[4]["f"], "0.00%");
        assert_eq!(t[5]["v"].as_f64(), Some(2.0));
        assert!(t.iter().all(|c| c["bold"] == true && c["top"] == "thin"));
        assert_eq!(x["rows"].as_array().unwrap().len(), 11, "nothing after the totals row");

        // widths by type and label
        let w = |col: &str| x["widths"][col].as_f64().unwrap_or_else(|| panic!("no width for {col}: {}", x["widths"]));
        assert!((12.0..13.0).contains(&w("A")), "text: {}", w("A"));
        assert!((12.0..13.0).contains(&w("B")), "date, wide enough for its label: {}", w("B"));
        assert!((14.0..15.0).contains(&w("C")), "money: {}", w("C"));
        assert!((14.0..15.0).contains(&w("D")), "money: {}", w("D"));
        assert!((10.0..11.0).contains(&w("E")), "percent: {}", w("E"));
        assert!((10.0..11.0).contains(&w("F")), "count: {}", w("F"));
    }

    #[test]
    fn xlsx_with_no_rows_has_header_and_zero_totals() {
        let mut h = header();
        h.org.clear();
        h.filters.clear();
        let x = export(&h, &[]);
        assert_eq!(cell(&x, 1, 0)["v"], "Gross profit — by customer");
        assert_eq!(cell(&x, 2, 0)["v"], "Data as of 2026-03-01T06:00:00Z");
        assert_eq!(values(&x, 4), ["Customer", "Last sale", "Sales", "GP", "GP %", "Units"]);
        assert_eq!(x["freeze"], "A5");
        assert_eq!(x["filter"], "A4:F4");
        let t = row(&x, 5);
        assert_eq!(t[0]["v"], "Total");
        assert_eq!(t[2]["v"].as_f64(), Some(0.0));
        assert!(t[4]["v"].is_null(), "no percent over a zero total");
        assert_eq!(t[5]["v"].as_f64(), Some(0.0));
        assert_eq!(x["rows"].as_array().unwrap().len(), 5);
    }

    #[test]
    fn xlsx_refuses_more_rows_than_excel_holds() {
        let h = header();
        let mut w = Writer::new(&h).unwrap();
        let n = MAX_ROWS as usize;
        let cols: Vec<ArrayRef> = h.columns.iter().map(|c| new_null_array(&c.ty.arrow(), n)).collect();
        let big = RecordBatch::try_new(schema(&h), cols).unwrap();
        let e = w.batch(&h, &big).unwrap_err().to_string();
        assert!(e.starts_with("xlsx export: more than 1048568 rows"), "{e}");
        assert!(e.contains("1,048,576-row limit"), "{e}");
        // the preamble is 7 rows (title, org, 2 filters, data as of, blank, header): data starts at row 7
        assert!(fits(7, u64::from(MAX_ROWS) - 8), "the last data row leaves the last sheet row for the totals");
        assert!(!fits(7, u64::from(MAX_ROWS) - 7));
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
