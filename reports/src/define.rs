//! What a report is, as data: its views with their parameters, columns, drills, stages and queries, and the
//! small SQL helpers the queries are written with. The catalog defines reports with these; the engine runs them.
//! Nothing here runs a query or knows a report by name.

use chrono::NaiveDate;
use warehouse::arrow::array::RecordBatch;

use crate::error::{Error, Result};
use crate::model::Column;
use crate::param::{self, Param, Values};

/// A report in the catalog.
#[derive(Debug)]
pub struct Report {
    /// Stable id (`ar_aging`).
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// What it shows and how each number is made: the user-facing help.
    pub help: &'static str,
    /// Its views; the first is the default.
    pub views: &'static [View],
}

/// One way of looking at a report: its own parameters, columns and query.
#[derive(Debug)]
pub struct View {
    /// Name (`summary`, `detail`, `invoices` …).
    pub name: &'static str,
    /// What it shows, one line.
    pub title: &'static str,
    /// Parameters it takes.
    pub params: &'static [Param],
    /// Its columns (a function of the parameters where a choice changes the first column).
    pub columns: fn(&Values) -> Vec<Column>,
    /// Cells that open other views.
    pub drills: &'static [Drill],
    /// The query: DataFusion SQL over the lake's tables returning every `Source::Query` column by key, in the
    /// view's order (a deterministic tie-break last).
    pub sql: fn(&Values) -> String,
    /// A query for footer values that are not sums (distinct counts), one row, columns by key; the other
    /// columns' footers are the sums.
    pub footer: Option<fn(&Values) -> String>,
    /// Intermediate results the query (and footer) read several times, each computed once per run, in order,
    /// and seen by the later queries as a table of its name. DataFusion plans a CTE again at every reference;
    /// a stage runs once.
    pub stages: &'static [Stage],
}

/// A named intermediate result of a view, computed once per run (see [`View::stages`]).
#[derive(Debug)]
pub struct Stage {
    /// The table name later queries use.
    pub name: &'static str,
    /// Its query, over the lake's tables and the stages before it.
    pub sql: fn(&Values) -> String,
    /// What is held: the query's rows as they are (`None`), or what a fold makes of them, for work SQL plans
    /// poorly (grouping millions of rows by a dense key, quantiles and scores over the groups).
    pub fold: Option<MakeFold>,
}

/// Makes a stage's fold for the checked parameters.
pub type MakeFold = fn(&Values) -> Box<dyn Fold>;

/// A stage's own computation over its query's rows: fed every batch in turn, then asked for the rows to hold.
pub trait Fold: Send {
    /// Takes one batch of the stage query's rows.
    fn add(&mut self, batch: &RecordBatch) -> Result<()>;
    /// The rows the stage holds (none is an empty batch of the stage's schema).
    fn finish(self: Box<Self>) -> Result<RecordBatch>;
}

/// Drillable cells: a cell of any of `columns` opens `view` with `bind` added to the current parameters.
#[derive(Debug)]
pub struct Drill {
    /// The columns whose cells drill.
    pub columns: &'static [&'static str],
    /// The view opened.
    pub view: &'static str,
    /// Parameters set from the row (or fixed).
    pub bind: &'static [(&'static str, Bind)],
}

/// Where a drill parameter's value comes from.
#[derive(Debug, Clone, Copy)]
pub enum Bind {
    /// The value of this row's column (in a footer: no value, so the filter is left off).
    Row(&'static str),
    /// A fixed value.
    Fixed(&'static str),
    /// The key of the column whose cell was followed (a bucket column opens that bucket).
    Column,
}

impl Report {
    /// The view called `name`, or the default.
    pub fn view(&self, name: Option<&str>) -> Result<&'static View> {
        let views: &'static [View] = self.views;
        match name {
            None => Ok(&views[0]),
            Some(n) => views.iter().find(|v| v.name == n).ok_or_else(|| Error::UnknownView {
                report: self.id.to_string(),
                view: n.to_string(),
                known: views.iter().map(|v| v.name).collect::<Vec<_>>().join(", "),
                hint: crate::error::Hint::nearest(n, views.iter().map(|v| v.name)),
            }),
        }
    }
}

/// The SQL condition for an optional id filter (`and store_id = 3`; 0 = none: `and salesperson_id is null`),
/// or nothing.
pub fn and_id(column: &str, values: &Values, param: &str) -> String {
    match values.int(param) {
        Some(0) => format!(" and {column} is null"),
        Some(v) => format!(" and {column} = {v}"),
        None => String::new(),
    }
}

/// A date as a SQL literal.
pub fn date(d: NaiveDate) -> String {
    format!("date '{d}'")
}

/// An optional text filter (`and family = 'pearls'`; `none`: `and family is null`), or nothing.
pub fn and_text(column: &str, values: &Values, param: &str) -> String {
    match values.text(param) {
        Some(NONE) => format!(" and {column} is null"),
        Some(v) => format!(" and {column} = {}", param::quote(v)),
        None => String::new(),
    }
}

/// The value a text filter takes for "has none" (lines without a family or category).
pub const NONE: &str = "none";

/// Days from 1970-01-01 (what Arrow's `Date32` counts) to `d`.
pub fn epoch_days(d: NaiveDate) -> i64 {
    d.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days()
}
