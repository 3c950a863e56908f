//! The engine: a report is data (views with parameters, columns, drills and a query built from checked
//! parameters); the engine checks the parameters, plans the query in DataFusion on a session scoped to the
//! caller's org and stores, shapes every batch to the declared column types, derives percent columns, sums the
//! footer and makes the drill links. Results stream, so an export of a million rows never holds them all.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use futures::StreamExt as _;
use warehouse::arrow::array::{Array, ArrayRef, AsArray, Decimal128Array, RecordBatch};
use warehouse::arrow::compute::cast;
use warehouse::arrow::datatypes::{Decimal128Type, Field, Int64Type, Schema, SchemaRef};
use warehouse::datafusion::datasource::MemTable;
use warehouse::datafusion::execution::SendableRecordBatchStream;
use warehouse::datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use warehouse::datafusion::prelude::{DataFrame, SessionContext};
use warehouse::{Scope, Snapshot};

use crate::error::{Error, Result};
use crate::model::{Column, Header, Link, Output, Paper, Source, Terms, Totals, Value, ratio};
use crate::param::{self, Kind, Param, Values};

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

/// Who runs a report, on what: the snapshot, the scope every query goes through, and "today". It holds one
/// DataFusion session made for the scope, so the reports and drills of one context share it.
pub struct Context<'a> {
    snapshot: &'a Snapshot,
    scope: Scope,
    today: NaiveDate,
    org_name: String,
    stores: String,
    paper: Paper,
    session: SessionContext,
}

impl<'a> Context<'a> {
    /// A context for `scope` on `snapshot`; `org_name` is printed on exports.
    pub async fn new(snapshot: &'a Snapshot, scope: Scope, today: NaiveDate, org_name: String) -> Result<Context<'a>> {
        let session = snapshot.session(&scope).await?;
        // a store the scope names must be one of its org's: a store of another org, or none, would see nothing
        // of the stores yet the org's store-less rows
        if let Scope::Org { stores: Some(stores), .. } = &scope {
            let known =
                session.sql("select id from store").await.map_err(Box::new)?.collect().await.map_err(Box::new)?;
            let known: Vec<i64> = known
                .iter()
                .filter_map(|b| b.column(0).as_any().downcast_ref::<warehouse::arrow::array::Int64Array>())
                .flat_map(|a| a.iter().flatten())
                .collect();
            if let Some(s) = stores.iter().find(|s| !known.contains(s)) {
                return Err(Error::param("store", s, "no such store in this org"));
            }
        }
        let stores = stores_shown(&session, &scope).await?;
        Ok(Context { snapshot, scope, today, org_name, stores, paper: Paper::default(), session })
    }

    /// Whose data this context sees.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Report id.
    pub report: String,
    /// View name (default: the report's first).
    pub view: Option<String>,
    /// Parameters as text.
    pub params: BTreeMap<String, String>,
}

impl From<&Link> for Request {
    fn from(l: &Link) -> Request {
        Request { report: l.report.to_string(), view: Some(l.view.to_string()), params: l.params.clone() }
    }
}

/// A planned run: the header is known, rows stream.
pub struct Prepared {
    /// Title, filters, columns.
    pub header: Header,
    view: &'static View,
    report: &'static Report,
    stream: SendableRecordBatchStream,
    schema: SchemaRef,
    session: SessionContext,
    values: Values,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").field("header", &self.header).finish_non_exhaustive()
    }
}

/// Checks the request, plans its query on a session scoped to the caller, and returns the header with the
/// row stream.
pub async fn prepare(cx: &Context<'_>, req: &Request) -> Result<Prepared> {
    let (report, view, values, session) = resolve(cx, req).await?;
    let filters = echo(&session, view, &values).await?;
    let columns = (view.columns)(&values);
    let header = Header {
        report: report.id,
        view: view.name,
        title: format!("{} — {}", report.title, view.title),
        org: cx.org_name.clone(),
        stores: cx.stores.clone(),
        paper: cx.paper,
        filters,
        params: values.as_strings(),
        data_as_of: landed(&cx.snapshot.state().landed_at),
        columns,
    };
    let sql = (view.sql)(&values);
    tracing::debug!(report = report.id, view = view.name, %sql, "report query");
    let stream = session.sql(&sql).await?.execute_stream().await?;
    let schema =
        Arc::new(Schema::new(header.columns.iter().map(|c| Field::new(c.key, c.ty.arrow(), true)).collect::<Vec<_>>()));
    Ok(Prepared { header, view, report, stream, schema, session, values })
}

impl Prepared {
    /// The next batch of rows, shaped to the declared columns; `None` at the end.
    pub async fn next(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            match self.stream.next().await {
                None => return Ok(None),
                Some(b) => {
                    let b = b?;
                    if b.num_rows() > 0 {
                        return Ok(Some(self.shape(&b)?));
                    }
                }
            }
        }
    }

    /// The drill links of row `row` of `batch`, by column key.
    pub fn links(&self, batch: &RecordBatch, row: usize) -> BTreeMap<&'static str, Link> {
        links(self.report, self.view, &self.header, |key| {
            let i = self.header.columns.iter().position(|c| c.key == key)?;
            match Value::at(self.header.columns[i].ty, batch.column(i), row) {
                Value::Null => None,
                v => Some(v.plain()),
            }
        })
    }

    /// The drill links of the footer's cells.
    pub fn total_links(&self) -> BTreeMap<&'static str, Link> {
        links(self.report, self.view, &self.header, |_| None)
    }

    /// Reads every row (for screens, JSON and tests; exports stream through [`Prepared::next`]).
    pub async fn collect(self) -> Result<Output> {
        self.collect_at_most(usize::MAX, "").await
    }

    /// Reads every row, refusing (before reading them all) a result of more than `max` rows for `format`.
    pub async fn collect_at_most(mut self, max: usize, format: &'static str) -> Result<Output> {
        let mut totals = Totals::new(&self.header.columns);
        let mut batches = Vec::new();
        let mut rows = 0;
        while let Some(b) = self.next().await? {
            totals.add(&self.header.columns, &b);
            rows += b.num_rows();
            batches.push(b);
            if rows > max {
                return Err(Error::Export {
                    format,
                    why: format!(
                        "more than {max} rows exceed the {format} limit; export CSV or XLSX for results this large"
                    ),
                });
            }
        }
        let total_links = self.total_links();
        let totals = self.footer(&totals).await?;
        Ok(Output { header: self.header, batches, totals, total_links, rows })
    }

    /// The footer from the running sums, with the view's own footer query where it has one (distinct counts).
    pub async fn footer(&self, sums: &Totals) -> Result<Vec<Value>> {
        let mut out = sums.finish(&self.header.columns);
        if let Some(sql) = self.view.footer {
            let batches = self.session.sql(&sql(&self.values)).await?.collect().await?;
            if let Some(b) = batches.iter().find(|b| b.num_rows() > 0) {
                for (i, c) in self.header.columns.iter().enumerate() {
                    if let Some(a) = b.column_by_name(c.key) {
                        out[i] = Value::at(c.ty, &cast(a, &c.ty.arrow())?, 0);
                    }
                }
            }
        }
        Ok(out)
    }

    fn shape(&self, b: &RecordBatch) -> Result<RecordBatch> {
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(self.header.columns.len());
        for c in &self.header.columns {
            match c.source {
                Source::Query => {
                    let a = b.column_by_name(c.key).ok_or(Error::Shape {
                        report: self.report.id,
                        view: self.view.name,
                        column: c.key,
                    })?;
                    cols.push(if a.data_type() == &c.ty.arrow() { a.clone() } else { cast(a, &c.ty.arrow())? });
                }
                Source::Ratio { num, den } => {
                    let n = b.num_rows();
                    let terms = |t: Terms, r: usize| -> i128 {
                        t.iter()
                            .map(|(s, k)| {
                                let i = self.header.columns.iter().position(|c| c.key == *k);
                                i128::from(*s) * i.map(|i| number(&cols[i], r)).unwrap_or(0)
                            })
                            .sum()
                    };
                    let values: Decimal128Array =
                        (0..n).map(|r| ratio(terms(num, r), terms(den, r))).collect::<Decimal128Array>();
                    cols.push(Arc::new(values.with_precision_and_scale(10, 4)?));
                }
            }
        }
        Ok(RecordBatch::try_new(self.schema.clone(), cols)?)
    }
}

/// A money cell in cents or a count, as a number (ratio terms refer to earlier columns only).
fn number(a: &ArrayRef, r: usize) -> i128 {
    if a.is_null(r) {
        return 0;
    }
    match a.data_type() {
        warehouse::arrow::datatypes::DataType::Decimal128(..) => a.as_primitive::<Decimal128Type>().value(r),
        _ => i128::from(a.as_primitive::<Int64Type>().value(r)),
    }
}

/// A request's report and view, its checked parameters, and the session it runs on.
async fn resolve(cx: &Context<'_>, req: &Request) -> Result<(&'static Report, &'static View, Values, SessionContext)> {
    let report = crate::catalog::get(&req.report)?;
    let view = report.view(req.view.as_deref())?;
    let values = Values::check(view.params, &req.params, cx.today)?;
    let session = staged(&cx.session, view, &values).await?;
    Ok((report, view, values, session))
}

/// The session a view runs on: the context's own, or, when the view has stages, a session of its own with the
/// same tables (and so the same scope) plus each stage computed and held in memory under its name.
async fn staged(base: &SessionContext, view: &View, values: &Values) -> Result<SessionContext> {
    if view.stages.is_empty() {
        return Ok(base.clone());
    }
    // the same runtime, so the Parquet footers it has cached are not read and decoded again
    let local = SessionContext::new_with_config_rt(base.copied_config(), base.runtime_env());
    for t in warehouse::tables::all() {
        local.register_table(t.name, base.table_provider(t.name).await?)?;
    }
    for stage in view.stages {
        let sql = (stage.sql)(values);
        tracing::debug!(stage = stage.name, %sql, "report stage");
        let started = std::time::Instant::now();
        let query = local.sql(&sql).await?;
        let (held, rows) = match stage.fold {
            None => {
                let held = query.cache().await?;
                let rows = held.clone().count().await?;
                (held, rows)
            }
            Some(make) => {
                let mut fold = make(values);
                let mut stream = query.execute_stream().await?;
                while let Some(b) = stream.next().await {
                    fold.add(&b?)?;
                }
                let folded = started.elapsed();
                let held = fold.finish()?;
                tracing::debug!(stage = stage.name, ?folded, finished = ?started.elapsed() - folded, "stage fold");
                let table = in_partitions(&held, local.copied_config().target_partitions())?;
                (local.read_table(Arc::new(table))?, held.num_rows())
            }
        };
        tracing::debug!(stage = stage.name, rows, took = ?started.elapsed(), "stage held");
        // an empty stage is planned as nothing at all, so whatever joins it is planned away and never read
        let held = if rows == 0 {
            let empty = EmptyRelation { produce_one_row: false, schema: Arc::new(held.schema().clone()) };
            DataFrame::new(local.state(), LogicalPlan::EmptyRelation(empty))
        } else {
            held
        };
        local.register_table(stage.name, held.into_view())?;
    }
    Ok(local)
}

/// A batch held as a table of `n` partitions of batch-size slices dealt in turn, so the queries over it run
/// on every core.
fn in_partitions(batch: &RecordBatch, n: usize) -> Result<MemTable> {
    const SLICE: usize = 8192;
    let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); n.max(1)];
    let len = parts.len();
    for (i, at) in (0..batch.num_rows()).step_by(SLICE).enumerate() {
        parts[i % len].push(batch.slice(at, SLICE.min(batch.num_rows() - at)));
    }
    Ok(MemTable::try_new(batch.schema(), parts)?)
}

/// Runs a request's query to the end and returns DataFusion's plan with each operator's output rows and time
/// (`EXPLAIN ANALYZE`): where a slow report spends its time.
pub async fn explain(cx: &Context<'_>, req: &Request) -> Result<String> {
    let (_, view, values, session) = resolve(cx, req).await?;
    let sql = format!("explain analyze {}", (view.sql)(&values));
    let batches = session.sql(&sql).await?.collect().await?;
    let mut out = String::new();
    for b in &batches {
        let plans = cast(b.column(1), &warehouse::arrow::datatypes::DataType::Utf8)?;
        for i in 0..b.num_rows() {
            out.push_str(plans.as_string::<i32>().value(i));
            out.push('\n');
        }
    }
    Ok(out)
}

/// Runs a request to the end.
pub async fn run(cx: &Context<'_>, req: &Request) -> Result<Output> {
    prepare(cx, req).await?.collect().await
}

/// Runs a request, then follows the drill link at `at` (`ROW:COLUMN`, the row 1-based as shown, or
/// `total:COLUMN` for the footer) and runs where it leads.
pub async fn drill(cx: &Context<'_>, req: &Request, at: &str) -> Result<Output> {
    let link = follow(cx, req, at).await?;
    run(cx, &Request::from(&link)).await
}

/// The drill link at `at` (`ROW:COLUMN` or `total:COLUMN`) of a request's result.
pub async fn follow(cx: &Context<'_>, req: &Request, at: &str) -> Result<Link> {
    let bad = |why: String| Error::Drill { at: at.to_string(), why };
    let (row, column) =
        at.split_once(':').ok_or_else(|| bad("write ROW:COLUMN, e.g. 3:customer or total:b2".into()))?;
    let mut p = prepare(cx, req).await?;
    if !p.header.columns.iter().any(|c| c.key == column && !c.hidden) {
        let keys = p.header.shown().map(|(_, c)| c.key).collect::<Vec<_>>().join(", ");
        let hint = crate::error::Hint::nearest(column, p.header.shown().map(|(_, c)| c.key));
        return Err(bad(format!("no column {column}{hint} (columns: {keys})")));
    }
    let link = if row == "total" {
        p.total_links().remove(column)
    } else {
        let n: usize =
            row.parse().ok().filter(|n| *n > 0).ok_or_else(|| bad(format!("row {row:?} is not a row number")))?;
        let mut seen = 0;
        let mut found = None;
        while let Some(b) = p.next().await? {
            if n <= seen + b.num_rows() {
                found = Some(p.links(&b, n - seen - 1).remove(column));
                break;
            }
            seen += b.num_rows();
        }
        found.ok_or_else(|| bad(format!("the result has {seen} rows")))?
    };
    link.ok_or_else(|| bad(format!("the {column} cell of row {row} does not drill")))
}

fn links(
    report: &'static Report,
    view: &'static View,
    header: &Header,
    row: impl Fn(&str) -> Option<String>,
) -> BTreeMap<&'static str, Link> {
    let mut out = BTreeMap::new();
    for d in view.drills {
        let Ok(target) = report.view(Some(d.view)) else { continue };
        for column in d.columns {
            let mut params: BTreeMap<String, String> = header
                .params
                .iter()
                .filter(|(k, _)| target.params.iter().any(|p| p.name == k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (name, bind) in d.bind {
                let v = match bind {
                    Bind::Row(col) => row(col),
                    Bind::Fixed(v) => Some((*v).to_string()),
                    Bind::Column => Some((*column).to_string()),
                };
                // no value (a footer, a row without that key): the filter in force stays as it is
                if let Some(v) = v {
                    params.insert((*name).to_string(), v);
                }
            }
            // a view that needs a value this row has none of (an unapplied payment's invoice) is not offered
            if target.params.iter().any(|p| {
                matches!(p.default, param::Default::Required) && params.get(p.name).is_none_or(|v| v.is_empty())
            }) {
                continue;
            }
            out.insert(*column, Link { report: report.id, view: target.name, params });
        }
    }
    out
}

/// The filters in force as people read them: ids shown with their names.
async fn echo(session: &SessionContext, view: &View, values: &Values) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for p in view.params {
        let Some(v) = values.get(p.name) else { continue };
        let shown = match (p.kind, lookup(p.name)) {
            (Kind::Date, _) => values.shown(p.name).unwrap_or(v),
            (Kind::IdOrNone, _) if v == "0" => "(none)".to_string(),
            (_, _) if v == NONE => "(none)".to_string(),
            (Kind::Id | Kind::IdOrNone, Some((table, name_col))) => {
                let sql = format!("select {name_col} as n from {table} where id = {v}");
                let name = session.sql(&sql).await?.collect().await?;
                let name = name.iter().find(|b| b.num_rows() > 0).map(|b| {
                    let a = cast(b.column(0), &warehouse::arrow::datatypes::DataType::Utf8);
                    a.map(|a| a.as_string::<i32>().value(0).to_string()).unwrap_or_default()
                });
                match name {
                    Some(n) => format!("{n} (#{v})"),
                    // the scoped session does not see it: another org's, or a store not permitted
                    None => return Err(Error::param(p.name, &v, format!("no such {table} among those you may see"))),
                }
            }
            _ => v,
        };
        out.push((p.label.to_string(), shown));
    }
    Ok(out)
}

/// The stores a scope covers as people read them: "All stores", or their names in order.
async fn stores_shown(session: &SessionContext, scope: &Scope) -> Result<String> {
    let Scope::Org { stores: Some(ids), .. } = scope else { return Ok("All stores".to_string()) };
    if ids.is_empty() {
        return Ok("No stores".to_string());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let sql = format!("select cast(name as varchar) as n from store where id in ({list}) order by name");
    let mut names = Vec::new();
    for b in session.sql(&sql).await?.collect().await? {
        let a = b.column(0).as_string::<i32>();
        names.extend((0..b.num_rows()).map(|i| a.value(i).to_string()));
    }
    Ok(names.join(", "))
}

/// Where an id parameter's display name is found.
fn lookup(param: &str) -> Option<(&'static str, &'static str)> {
    Some(match param {
        "store" => ("store", "name"),
        "customer" => ("contact", "name"),
        "invoice" => ("invoice", "invoice_no"),
        "item" => ("item", "stock_no"),
        "salesperson" => ("\"user\"", "display_name"),
        _ => return None,
    })
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

/// When the snapshot landed, as people read it: `2026-01-31 18:04:05 UTC`.
fn landed(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// Days from 1970-01-01 (what Arrow's `Date32` counts) to `d`.
pub fn epoch_days(d: NaiveDate) -> i64 {
    d.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days()
}
