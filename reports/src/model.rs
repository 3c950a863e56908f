//! The result model every report returns and every writer reads: typed columns, rows as Arrow batches,
//! totals, drill links and the header (title, echoed filters, data as of). One model, so the screen, CSV,
//! XLSX and PDF never disagree about what is money or a percent.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use warehouse::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use warehouse::arrow::datatypes::{DataType, Date32Type, Decimal128Type, Int64Type};

/// What a column holds, which decides how every writer shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    /// Exact money, two decimals (Arrow `Decimal128(18, 2)`).
    Money,
    /// A ratio with four decimals, shown as a percent (0.1234 → 12.34%) (Arrow `Decimal128(10, 4)`).
    Percent,
    /// A whole number: units, counts, days, scores (Arrow `Int64`).
    Count,
    /// A calendar date (Arrow `Date32`).
    Date,
    /// Text (Arrow `Utf8`).
    Text,
}

impl Type {
    /// The Arrow type rows carry for this column.
    pub fn arrow(self) -> DataType {
        match self {
            Type::Money => DataType::Decimal128(18, 2),
            Type::Percent => DataType::Decimal128(10, 4),
            Type::Count => DataType::Int64,
            Type::Date => DataType::Date32,
            Type::Text => DataType::Utf8,
        }
    }

    /// Numbers are right-aligned wherever they are shown.
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Money | Type::Percent | Type::Count)
    }
}

/// A linear combination of money (or count) columns: `[(+1, "retail"), (-1, "cost")]` is retail − cost.
pub type Terms = &'static [(i8, &'static str)];

/// How a column's footer is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// No total (text, dates, unit prices).
    None,
    /// The word "Total" (the first text column usually).
    Label,
    /// The column's sum.
    Sum,
    /// A ratio of sums (a percent column's total is never a sum of percents).
    Ratio,
}

/// How a column gets its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The report's query returns it under the column's key.
    Query,
    /// Σ`num` ÷ Σ`den` of this row's columns, rounded half-up to 4 places; empty when the denominator is zero.
    Ratio {
        /// Numerator terms.
        num: Terms,
        /// Denominator terms.
        den: Terms,
    },
}

/// One column of a report view.
#[derive(Debug, Clone)]
pub struct Column {
    /// Stable key (CSV header of the JSON form, drill bindings).
    pub key: &'static str,
    /// What people read (made from the parameters for bucket columns).
    pub label: Cow<'static, str>,
    /// The value type.
    pub ty: Type,
    /// The footer.
    pub total: Total,
    /// Where values come from.
    pub source: Source,
    /// A key used only for drill links (an id), not shown.
    pub hidden: bool,
}

impl Column {
    /// A column from its parts, taken from the query.
    pub const fn new(key: &'static str, label: &'static str, ty: Type, total: Total) -> Column {
        Column { key, label: Cow::Borrowed(label), ty, total, source: Source::Query, hidden: false }
    }
    /// A text column; its footer says "Total" when it is the first shown column.
    pub const fn text(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label: Cow::Borrowed(label),
            ty: Type::Text,
            total: Total::None,
            source: Source::Query,
            hidden: false,
        }
    }
    /// A money column totalled by its sum.
    pub const fn money(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label: Cow::Borrowed(label),
            ty: Type::Money,
            total: Total::Sum,
            source: Source::Query,
            hidden: false,
        }
    }
    /// A count totalled by its sum.
    pub const fn count(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label: Cow::Borrowed(label),
            ty: Type::Count,
            total: Total::Sum,
            source: Source::Query,
            hidden: false,
        }
    }
    /// A date.
    pub const fn date(key: &'static str, label: &'static str) -> Column {
        Column {
            key,
            label: Cow::Borrowed(label),
            ty: Type::Date,
            total: Total::None,
            source: Source::Query,
            hidden: false,
        }
    }
    /// A percent computed from this row's columns (and in the footer from the totals).
    pub const fn ratio(key: &'static str, label: &'static str, num: Terms, den: Terms) -> Column {
        Column {
            key,
            label: Cow::Borrowed(label),
            ty: Type::Percent,
            total: Total::Ratio,
            source: Source::Ratio { num, den },
            hidden: false,
        }
    }
    /// An id kept for drill links.
    pub const fn id(key: &'static str) -> Column {
        Column {
            key,
            label: Cow::Borrowed(key),
            ty: Type::Count,
            total: Total::None,
            source: Source::Query,
            hidden: true,
        }
    }
    /// A text key kept for drill links (a family, a category), not shown.
    pub const fn text_key(key: &'static str) -> Column {
        Column {
            key,
            label: Cow::Borrowed(key),
            ty: Type::Text,
            total: Total::None,
            source: Source::Query,
            hidden: true,
        }
    }
    /// The same column without a footer (unit prices, days, scores).
    pub fn no_total(self) -> Column {
        Column { total: Total::None, ..self }
    }
    /// The same column with "Total" in the footer.
    pub fn labelled(self) -> Column {
        Column { total: Total::Label, ..self }
    }
}

/// One cell's value, read from a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Empty (a percent over zero, a missing date).
    Null,
    /// Cents.
    Money(i128),
    /// Ten-thousandths (0.1234 = 1234).
    Percent(i128),
    /// A whole number.
    Count(i64),
    /// A date.
    Date(NaiveDate),
    /// Text.
    Text(String),
}

impl Value {
    /// The value at `row` of a column of type `ty`.
    pub fn at(ty: Type, array: &ArrayRef, row: usize) -> Value {
        if array.is_null(row) {
            return Value::Null;
        }
        match ty {
            Type::Money => Value::Money(array.as_primitive::<Decimal128Type>().value(row)),
            Type::Percent => Value::Percent(array.as_primitive::<Decimal128Type>().value(row)),
            Type::Count => Value::Count(array.as_primitive::<Int64Type>().value(row)),
            Type::Date => {
                let days = array.as_primitive::<Date32Type>().value(row);
                Value::Date(NaiveDate::from_num_days_from_ce_opt(days + EPOCH_CE).unwrap_or_default())
            }
            Type::Text => Value::Text(array.as_string::<i32>().value(row).to_string()),
        }
    }

    /// Plain form for CSV and JSON: `1234.56`, `0.1234`, `2026-01-31`; empty for null.
    pub fn plain(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Money(c) => fixed(*c, 2, false),
            Value::Percent(p) => fixed(*p, 4, false),
            Value::Count(n) => n.to_string(),
            Value::Date(d) => d.to_string(),
            Value::Text(s) => s.clone(),
        }
    }

    /// Display form for screens and PDF: `1,234.56`, `12.34%`, `2026-01-31`.
    pub fn display(&self) -> String {
        match self {
            Value::Money(c) => fixed(*c, 2, true),
            Value::Percent(p) => format!("{}%", fixed(*p, 2, false)),
            Value::Count(n) => group(&n.unsigned_abs().to_string(), *n < 0),
            other => other.plain(),
        }
    }

    /// Money in cents, or `None`.
    pub fn cents(&self) -> Option<i128> {
        match self {
            Value::Money(c) => Some(*c),
            _ => None,
        }
    }
}

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const EPOCH_CE: i32 = 719_163;

/// `units` with `scale` decimals, as text; `grouped` adds thousands separators.
fn fixed(units: i128, scale: u32, grouped: bool) -> String {
    let neg = units < 0;
    let abs = units.unsigned_abs();
    let div = 10u128.pow(scale);
    let int = (abs / div).to_string();
    let int = if grouped { group(&int, false) } else { int };
    let sign = if neg { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{int}");
    }
    format!("{sign}{int}.{:0width$}", abs % div, width = scale as usize)
}

fn group(digits: &str, neg: bool) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if neg {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `num ÷ den` rounded half-up (away from zero) to 4 places, in ten-thousandths; `None` when `den` is zero.
pub fn ratio(num: i128, den: i128) -> Option<i128> {
    if den == 0 {
        return None;
    }
    let (n, d) = (num * 10_000, den);
    let q = n / d;
    let r = n % d;
    // half-up on the magnitude: compare twice the remainder with the divisor
    if 2 * r.abs() >= d.abs() { Some(q + if (n < 0) != (d < 0) { -1 } else { 1 }) } else { Some(q) }
}

/// A link from a cell to the rows behind it: the same report in another view with more filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The report.
    pub report: &'static str,
    /// The view to open.
    pub view: &'static str,
    /// Every parameter of the target, as `--param key=value` would give it.
    pub params: BTreeMap<String, String>,
}

impl Link {
    /// The shell command that opens this link; a value with a space or a quote (a segment such as `Can't
    /// lose`) is quoted so the command can be pasted as it is.
    pub fn command(&self) -> String {
        let mut s = format!("loupe report run {} --view {}", self.report, self.view);
        for (k, v) in &self.params {
            s.push_str(&format!(" --param {}", shell_word(&format!("{k}={v}"))));
        }
        s
    }
}

/// A label as typed loosely: case, spaces and the kind of dash do not matter (`31-60` finds "31–60").
pub(crate) fn loose(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if matches!(c, '–' | '—' | '‐' | '−') { '-' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}

/// `w` as one POSIX shell word: as it is when every character is safe, otherwise in single quotes (a quote
/// inside closes, escapes and reopens them).
pub fn shell_word(w: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_=.,:/+@%".contains(c);
    if !w.is_empty() && w.chars().all(safe) {
        return w.to_string();
    }
    format!("'{}'", w.replace('\'', r"'\''"))
}

/// The paper size of printed exports, an org setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// US Letter, 8.5 × 11 in (the default: most of Loupe's stores are US jewelers).
    #[default]
    Letter,
    /// ISO A4, 210 × 297 mm.
    A4,
}

impl Paper {
    /// The setting's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Paper::Letter => "letter",
            Paper::A4 => "a4",
        }
    }
}

impl std::str::FromStr for Paper {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> crate::error::Result<Paper> {
        match s {
            "letter" => Ok(Paper::Letter),
            "a4" => Ok(Paper::A4),
            other => Err(crate::error::Error::param("paper", other, "must be letter or a4")),
        }
    }
}

/// What a report's header says: enough to read any export on its own.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    /// The report's id.
    pub report: &'static str,
    /// The view shown.
    pub view: &'static str,
    /// Title, e.g. "AR aging — by customer".
    pub title: String,
    /// The org's name or number (shown on PDFs).
    pub org: String,
    /// The stores the figures cover as people read them: "All stores", or their names.
    pub stores: String,
    /// The paper a printed export takes (the org's setting).
    pub paper: Paper,
    /// The filters in force, as label → value (every parameter, defaults included).
    pub filters: Vec<(String, String)>,
    /// The parameters as given to the engine (for links).
    #[serde(skip)]
    pub params: BTreeMap<String, String>,
    /// When the lake's snapshot landed (RFC 3339).
    pub data_as_of: String,
    /// The columns, hidden ones included.
    #[serde(serialize_with = "ser_columns")]
    pub columns: Vec<Column>,
}

fn ser_columns<S: serde::Serializer>(cols: &[Column], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(None)?;
    for c in cols.iter().filter(|c| !c.hidden) {
        seq.serialize_element(&serde_json::json!({"key": c.key, "label": &c.label, "type": c.ty}))?;
    }
    seq.end()
}

impl Header {
    /// The columns people see, with their positions in the batches.
    pub fn shown(&self) -> impl Iterator<Item = (usize, &Column)> {
        self.columns.iter().enumerate().filter(|(_, c)| !c.hidden)
    }
}

/// A report's rows, collected, with their footer.
#[derive(Debug, Clone)]
pub struct Output {
    /// Title, filters, columns.
    pub header: Header,
    /// The rows, in the report's order, columns as declared.
    pub batches: Vec<RecordBatch>,
    /// The footer: one value per column (`Null` where a column has no total).
    pub totals: Vec<Value>,
    /// Drill links of the footer's cells, by column key.
    pub total_links: BTreeMap<&'static str, Link>,
    /// How many rows.
    pub rows: usize,
}

impl Output {
    /// Every row as values, in order (for small results, tests and screens).
    pub fn values(&self) -> Vec<Vec<Value>> {
        let mut out = Vec::with_capacity(self.rows);
        for b in &self.batches {
            for r in 0..b.num_rows() {
                out.push(
                    self.header.columns.iter().enumerate().map(|(i, c)| Value::at(c.ty, b.column(i), r)).collect(),
                );
            }
        }
        out
    }

    /// The value of column `key` in every row.
    pub fn column(&self, key: &str) -> Vec<Value> {
        let Some(i) = self.header.columns.iter().position(|c| c.key == key) else { return Vec::new() };
        self.values().into_iter().map(|mut r| r.swap_remove(i)).collect()
    }

    /// The footer value of column `key`.
    pub fn total(&self, key: &str) -> Value {
        self.header.columns.iter().position(|c| c.key == key).map(|i| self.totals[i].clone()).unwrap_or(Value::Null)
    }
}

/// Running footer sums while rows stream past, for writers that never hold all rows.
#[derive(Debug, Clone)]
pub struct Totals {
    sums: Vec<i128>,
}

impl Totals {
    /// Zero sums for `columns`.
    pub fn new(columns: &[Column]) -> Totals {
        Totals { sums: vec![0; columns.len()] }
    }

    /// Adds a batch's summable columns.
    pub fn add(&mut self, columns: &[Column], batch: &RecordBatch) {
        for (i, c) in columns.iter().enumerate() {
            if c.ty == Type::Percent || c.ty == Type::Text || c.ty == Type::Date {
                continue;
            }
            let a = batch.column(i);
            self.sums[i] += match c.ty {
                Type::Money => a.as_primitive::<Decimal128Type>().iter().flatten().sum::<i128>(),
                _ => a.as_primitive::<Int64Type>().iter().flatten().map(i128::from).sum::<i128>(),
            };
        }
    }

    /// The footer: sums where a column sums, ratios of sums for percents, "Total" under the label column.
    pub fn finish(&self, columns: &[Column]) -> Vec<Value> {
        let sum = |key: &str| columns.iter().position(|c| c.key == key).map(|i| self.sums[i]).unwrap_or(0);
        let terms = |t: Terms| t.iter().map(|(s, k)| i128::from(*s) * sum(k)).sum::<i128>();
        columns
            .iter()
            .enumerate()
            .map(|(i, c)| match (c.total, c.source) {
                (Total::Label, _) => Value::Text("Total".into()),
                (Total::Sum, _) if c.ty == Type::Money => Value::Money(self.sums[i]),
                (Total::Sum, _) => Value::Count(i64::try_from(self.sums[i]).unwrap_or(i64::MAX)),
                (Total::Ratio, Source::Ratio { num, den }) => {
                    ratio(terms(num), terms(den)).map(Value::Percent).unwrap_or(Value::Null)
                }
                _ => Value::Null,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_a_command_the_shell_reads_back_as_it_was() {
        let params = [("as_of", "2026-11-25"), ("segment", "Can't lose")];
        let link = Link {
            report: "rfm",
            view: "customers",
            params: params.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
        };
        assert_eq!(
            link.command(),
            r"loupe report run rfm --view customers --param as_of=2026-11-25 --param 'segment=Can'\''t lose'"
        );
    }

    #[test]
    fn ratios_round_half_up_to_four_places() {
        assert_eq!(ratio(1, 3), Some(3333)); // 0.33333
        assert_eq!(ratio(2, 3), Some(6667)); // 0.66667
        assert_eq!(ratio(1, 8), Some(1250));
        assert_eq!(ratio(123_455, 1_000_000), Some(1235)); // 0.123455 → 0.1235 (half up)
        assert_eq!(ratio(-123_455, 1_000_000), Some(-1235)); // away from zero
        assert_eq!(ratio(5, 0), None);
    }

    #[test]
    fn values_show_plainly_for_files_and_grouped_for_people() {
        assert_eq!(Value::Money(123_456_789).plain(), "1234567.89");
        assert_eq!(Value::Money(123_456_789).display(), "1,234,567.89");
        assert_eq!(Value::Money(-5).display(), "-0.05");
        assert_eq!(Value::Percent(1234).display(), "12.34%");
        assert_eq!(Value::Percent(1234).plain(), "0.1234");
        assert_eq!(Value::Percent(-50).display(), "-0.50%");
        assert_eq!(Value::Count(-1234567).display(), "-1,234,567");
        assert_eq!(Value::Null.display(), "");
    }
}
