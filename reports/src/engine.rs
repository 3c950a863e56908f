//! The engine: a report is data (views with parameters, columns, drills and a query built from checked
//! parameters); the engine checks the parameters, plans the query in DataFusion on a session scoped to the
//! caller's org and stores, shapes every batch to the declared column types, derives percent columns, sums the
//! footer and makes the drill links. Results stream, so an export of a million rows never holds them all.

use std::collections::{BTreeMap, BTreeSet};
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

use crate::define::{Bind, NONE, Report, View};
use crate::error::{Error, Result};
use crate::model::{Header, Link, Output, Paper, Source, Terms, Totals, Value, ratio};
use crate::param::{self, Kind, Param, Values};

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
    /// A context for `scope` on `snapshot` at the instant `now`: today is the calendar day in the org's time
    /// zone, and the org's name and paper come from the lake.
    pub async fn at(snapshot: &'a Snapshot, scope: Scope, now: chrono::DateTime<chrono::Utc>) -> Result<Context<'a>> {
        let session = snapshot.session(&scope).await?;
        let settings = org_settings(&session).await?;
        let today = crate::dates::today_in(&settings.time_zone, now);
        Context::open(snapshot, scope, session, today, settings.name, settings.paper).await
    }

    /// A context for `scope` on `snapshot` on the day `today`; `org_name` is printed on exports.
    pub async fn new(snapshot: &'a Snapshot, scope: Scope, today: NaiveDate, org_name: String) -> Result<Context<'a>> {
        let session = snapshot.session(&scope).await?;
        let paper = match &scope {
            Scope::Org { .. } => org_settings(&session).await?.paper,
            Scope::Operator => Paper::default(),
        };
        Context::open(snapshot, scope, session, today, org_name, paper).await
    }

    /// The context on a session already made for `scope`.
    async fn open(
        snapshot: &'a Snapshot,
        scope: Scope,
        session: SessionContext,
        today: NaiveDate,
        org_name: String,
        paper: Paper,
    ) -> Result<Context<'a>> {
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
                return Err(Error::unseen("store", s, "no such store in this org"));
            }
        }
        let stores = stores_shown(&session, &scope).await?;
        Ok(Context { snapshot, scope, today, org_name, stores, paper, session })
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
    pub async fn collect_at_most(self, max: usize, format: &'static str) -> Result<Output> {
        self.gather(max, format, |_, _| {}).await
    }

    /// Reads every row with, for each, the keys of the columns whose cell drills (what a screen marks).
    pub async fn collect_marked(self) -> Result<(Output, Vec<BTreeSet<&'static str>>)> {
        let mut marks = Vec::new();
        let o = self
            .gather(usize::MAX, "", |p, b| {
                marks.extend((0..b.num_rows()).map(|r| p.links(b, r).into_keys().collect::<BTreeSet<_>>()));
            })
            .await?;
        Ok((o, marks))
    }

    /// Reads every row (at most `max`), showing each batch to `each` as it arrives.
    async fn gather(
        mut self,
        max: usize,
        format: &'static str,
        mut each: impl FnMut(&Prepared, &RecordBatch),
    ) -> Result<Output> {
        let mut totals = Totals::new(&self.header.columns);
        let mut batches = Vec::new();
        let mut rows = 0;
        while let Some(b) = self.next().await? {
            each(&self, &b);
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
    pub async fn footer(&mut self, sums: &Totals) -> Result<Vec<Value>> {
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
    let mut params = by_name(&cx.session, view.params, &req.params).await?;
    // a bucket given by its label (`31–60`) is its key under this run's edges
    if let Some(given) = params.get("bucket").cloned()
        && view.params.iter().any(|p| p.name == "bucket" && matches!(p.kind, Kind::Choice(_)))
    {
        let mut others = params.clone();
        others.remove("bucket");
        let buckets = crate::catalog::buckets::Buckets::of(&Values::check(view.params, &others, cx.today)?);
        if let Some(key) = buckets.key_named(&given) {
            params.insert("bucket".to_string(), key.to_string());
        }
    }
    let values = Values::check(view.params, &params, cx.today)?;
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
    // a column by its key (`b2`) or by its label as shown (`31–60`, `31-60`, `Customer`)
    let by_label = p.header.shown().find(|(_, c)| crate::model::loose(&c.label) == crate::model::loose(column));
    let Some(column) = p.header.shown().find(|(_, c)| c.key == column).or(by_label).map(|(_, c)| c.key) else {
        let keys = p.header.shown().map(|(_, c)| format!("{} ({})", c.key, c.label)).collect::<Vec<_>>().join(", ");
        let hint = crate::error::Hint::nearest(column, p.header.shown().map(|(_, c)| c.key));
        return Err(bad(format!("no column {column}{hint} (columns: {keys})")));
    };
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
        let shown = match (p.kind, named(p.name).map(|n| (n.table, n.shown))) {
            (Kind::Date, _) => values.shown(p.name).unwrap_or(v),
            (Kind::IdOrNone, _) if v == "0" => "(none)".to_string(),
            (Kind::Choice(_), _) if p.name == "bucket" => {
                let labels = crate::catalog::buckets::Buckets::of(values).labels();
                match (v.as_str(), labels.iter().find(|(k, _)| *k == v)) {
                    (_, Some((_, label))) => label.clone(),
                    ("current", None) => "Current".to_string(),
                    ("open", None) => "All open".to_string(),
                    _ => v,
                }
            }
            (_, _) if v == NONE => "(none)".to_string(),
            (Kind::Id | Kind::IdOrNone, Some((table, name_col))) => {
                let sql = format!("select {name_col} as n from {table} where id = {v}");
                let mut names = Vec::new();
                for b in session.sql(&sql).await?.collect().await? {
                    names.extend(texts(b.column(0))?);
                }
                match names.into_iter().next() {
                    Some(n) => format!("{n} (#{v})"),
                    // the scoped session does not see it: another org's, or a store not permitted
                    None => return Err(Error::unseen(p.name, &v, format!("no such {table} among those you may see"))),
                }
            }
            _ => v,
        };
        out.push((p.label.to_string(), shown));
    }
    Ok(out)
}

/// When the snapshot landed, as people read it: `2026-01-31 18:04:05 UTC`.
fn landed(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// A text column's values, whichever string type the query produced (`varchar` casts give views).
fn texts(column: &ArrayRef) -> Result<Vec<String>> {
    let a = cast(column, &warehouse::arrow::datatypes::DataType::Utf8)?;
    let a = a.as_string::<i32>();
    Ok((0..a.len()).map(|i| if a.is_null(i) { String::new() } else { a.value(i).to_string() }).collect())
}

/// What the org's row in the lake says about how its reports read.
struct OrgSettings {
    name: String,
    time_zone: String,
    paper: Paper,
}

/// The settings of the org a scoped session sees.
async fn org_settings(session: &SessionContext) -> Result<OrgSettings> {
    let sql = "select cast(name as varchar), cast(time_zone as varchar), cast(paper_size as varchar) from org";
    let batches = session.sql(sql).await?.collect().await?;
    let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Err(Error::param("org", "", "the lake holds no org for this scope: run `loupe etl sync`"));
    };
    let text = |c: usize| texts(b.column(c)).map(|t| t.into_iter().next().unwrap_or_default());
    Ok(OrgSettings { name: text(0)?, time_zone: text(1)?, paper: text(2)?.parse().unwrap_or_default() })
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
        names.extend(texts(b.column(0))?);
    }
    Ok(names.join(", "))
}

/// How the records an id parameter names are found by what people call them, and shown (echoed filters).
struct Named {
    /// The lake table.
    table: &'static str,
    /// What a record is called in errors.
    noun: &'static str,
    /// The column shown beside the id: in the echoed filters, and among candidates.
    shown: &'static str,
    /// Columns matched (case-insensitively, whole value).
    matched: &'static [&'static str],
    /// Which rows are candidates at all.
    filter: &'static str,
}

/// The records each id parameter takes by name, number or stock number.
fn named(param: &str) -> Option<Named> {
    let n = |table, noun, shown, matched, filter| Named { table, noun, shown, matched, filter };
    Some(match param {
        "store" => n("store", "store", "name", &["name", "code"], "true"),
        "customer" => n("contact", "customer", "name", &["name", "email", "phone"], "is_customer"),
        "vendor" => n("contact", "vendor", "name", &["name", "email", "phone"], "is_vendor"),
        "invoice" => n("invoice", "invoice", "invoice_no", &["invoice_no"], "true"),
        "item" => n("item", "item", "stock_no", &["stock_no"], "true"),
        "salesperson" => n("\"user\"", "salesperson", "display_name", &["username", "display_name"], "is_salesperson"),
        _ => return None,
    })
}

/// The parameters with every record given by name, number or stock number replaced by its id, found through
/// the caller's scoped session: a name no record of the scope has is "not found" (another org's, or a store
/// the caller may not see, is not even hinted at), and a name several records share is refused with them listed.
/// An id is given as digits, or `#12`.
async fn by_name(
    session: &SessionContext,
    declared: &[Param],
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut out = given.clone();
    for p in declared.iter().filter(|p| matches!(p.kind, Kind::Id | Kind::IdOrNone)) {
        let Some(raw) = given.get(p.name) else { continue };
        let value = raw.trim();
        let digits = value.strip_prefix('#').unwrap_or(value);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            out.insert(p.name.to_string(), digits.to_string());
            continue;
        }
        let Some(n) = named(p.name) else { continue };
        if value.is_empty() {
            continue;
        }
        let wanted = param::quote(&value.to_lowercase());
        let test = n.matched.iter().map(|c| format!("lower(cast({c} as varchar)) = {wanted}")).collect::<Vec<_>>();
        let sql = format!(
            "select id, cast({} as varchar) as shown from {} where {} and ({}) order by id limit 11",
            n.shown,
            n.table,
            n.filter,
            test.join(" or ")
        );
        let mut found: Vec<(i64, String)> = Vec::new();
        for b in session.sql(&sql).await?.collect().await? {
            let ids = b.column(0).as_primitive::<Int64Type>();
            found.extend((0..b.num_rows()).map(|i| ids.value(i)).zip(texts(b.column(1))?));
        }
        match found.as_slice() {
            [] => {
                return Err(Error::unseen(
                    p.name,
                    value,
                    format!("no {} by this name among those you may see", n.noun),
                ));
            }
            [(id, _)] => {
                out.insert(p.name.to_string(), id.to_string());
            }
            many => {
                let listed = many.iter().take(10).map(|(id, s)| format!("{s} (#{id})")).collect::<Vec<_>>();
                let (count, more) =
                    if many.len() > 10 { ("more than 10".into(), ", …") } else { (many.len().to_string(), "") };
                return Err(Error::param(
                    p.name,
                    value,
                    format!("{count} {}s go by this name: {}{more}; give the id", n.noun, listed.join(", ")),
                ));
            }
        }
    }
    Ok(out)
}
