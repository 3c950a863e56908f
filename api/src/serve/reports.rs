//! Reports over HTTP: the catalog (what the caller may see), one report's help, a run as JSON — title, echoed
//! filters, data-as-of, typed columns, a page of rows, the totals of all of them, and every drillable cell as a
//! URL that opens the rows behind it — and downloads (`export.csv`, `export.xlsx`, `export.pdf`). The same engine,
//! the same scope (the caller's org and stores) and the same writers as `loupe report run`.
//!
//! The query string holds the view (`view=`), the report's parameters by name (`as_of=last_month`,
//! `customer=Maya Levin`), and for a run the page (`limit=`, `offset=`) or a drill to follow (`drill=total:31–60`).

use std::collections::BTreeMap;
use std::io::Read as _;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use reports::export::Format;
use reports::model::{Link, Totals, Value};
use reports::{Request, Scope};
use serde::Serialize;
use serde_json::Value as Json;

use super::auth::Who;
use super::{Shared, json, report_problem};
use crate::problem::Problem;

/// Rows in a page when the request does not say.
const PAGE: usize = 500;
/// The most rows a page may hold (a download has no such limit).
const MAX_PAGE: usize = 10_000;

/// A parameter as the catalog shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ParamDoc {
    name: &'static str,
    label: &'static str,
    help: &'static str,
    accepts: String,
    default: Option<String>,
}

/// A view as the catalog shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ViewDoc {
    name: &'static str,
    title: &'static str,
    params: Vec<ParamDoc>,
}

/// A report as the catalog shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ReportDoc {
    id: &'static str,
    title: &'static str,
    help: &'static str,
    run: String,
    views: Vec<ViewDoc>,
}

fn doc(r: &reports::define::Report) -> ReportDoc {
    ReportDoc {
        id: r.id,
        title: r.title,
        help: r.help,
        run: format!("/api/v1/reports/{}/run", r.id),
        views: r
            .views
            .iter()
            .map(|v| ViewDoc {
                name: v.name,
                title: v.title,
                params: v
                    .params
                    .iter()
                    .map(|p| ParamDoc {
                        name: p.name,
                        label: p.label,
                        help: p.help,
                        accepts: p.kind.describe(),
                        default: p.default.describe(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// `GET /api/v1/reports`: the reports the caller may see, with their views and parameters.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports",
    responses((status = 200, description = "The reports the caller may see", body = Vec<ReportDoc>), crate::serve::openapi::Guarded))]
pub(crate) async fn catalog(Extension(who): Extension<Who>) -> Response {
    let docs: Vec<ReportDoc> =
        reports::catalog::all().iter().filter(|r| crate::authz::may_see(&who.caller, r.id).is_ok()).map(doc).collect();
    json(200, &docs)
}

/// `GET /api/v1/reports/{id}`: one report's help.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports",
    params(("id" = String, Path, description = "The report's id, e.g. ar_aging")),
    responses((status = 200, description = "The report's help, views and parameters", body = ReportDoc), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn describe(Extension(who): Extension<Who>, Path(id): Path<String>) -> Response {
    let report = match visible(&who, &id) {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    json(200, &doc(report))
}

/// The report `id`, if the caller may see it.
fn visible(who: &Who, id: &str) -> Result<&'static reports::define::Report, Problem> {
    let report = reports::catalog::get(id).map_err(|e| report_problem(&e))?;
    crate::authz::may_see(&who.caller, id).map_err(|d| Problem::from(&d))?;
    Ok(report)
}

/// What a run's query string asked, apart from the report's parameters.
pub(crate) struct Asked {
    pub(crate) req: Request,
    pub(crate) drill: Option<String>,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
    /// `scope=STORE`: only this one of the caller's stores (the pages' store switcher).
    pub(crate) scope: Option<i64>,
}

pub(crate) fn asked(id: &str, query: Vec<(String, String)>) -> Result<Asked, Problem> {
    let mut a = Asked {
        req: Request { report: id.to_string(), view: None, params: BTreeMap::new() },
        drill: None,
        limit: PAGE,
        offset: 0,
        scope: None,
    };
    for (k, v) in query {
        match k.as_str() {
            "view" => a.req.view = Some(v),
            "drill" => a.drill = Some(v),
            "scope" => a.scope = scope_param(Some(&v))?,
            "limit" => {
                a.limit = v.parse().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or_else(|| {
                    Problem::invalid("limit", &v, &format!("rows in a page: 1 to {MAX_PAGE} (download for more)"))
                })?;
            }
            "offset" => {
                a.offset = v.parse().map_err(|_| Problem::invalid("offset", &v, "rows to skip: a whole number"))?;
            }
            _ => {
                a.req.params.insert(k, v);
            }
        }
    }
    Ok(a)
}

/// A row of a run (or its totals): the cells people see by column key — money and percents as exact decimal
/// strings, counts as numbers, dates ISO — and each drillable cell's link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct RunRow {
    /// Cells by column key.
    #[schema(value_type = Object)]
    cells: Json,
    /// Column key → the URL of the rows behind that cell.
    drill: BTreeMap<String, String>,
}

/// Where a run leads.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct RunLinks {
    /// This page.
    #[serde(rename = "self")]
    this: String,
    /// The next page, if there is one.
    next: Option<String>,
    /// The whole report as csv, xlsx and pdf.
    export: BTreeMap<String, String>,
}

/// A page of a report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct RunPage {
    /// Title, org, stores, the filters in force, data-as-of, typed columns.
    #[schema(value_type = Object)]
    header: Json,
    /// The drill followed to get here (`drill=`), if any.
    drilled_from: Option<String>,
    /// Rows in the whole result.
    row_count: usize,
    /// Rows before this page.
    offset: usize,
    /// The page's size.
    limit: usize,
    /// This page's rows.
    rows: Vec<RunRow>,
    /// The totals of every row, not only this page's.
    totals: RunRow,
    /// This page, the next, and the downloads.
    links: RunLinks,
}

/// A link as the URL that runs it.
pub(crate) fn href(link: &Link) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("view", link.view);
    for (k, v) in &link.params {
        q.append_pair(k, v);
    }
    format!("/api/v1/reports/{}/run?{}", link.report, q.finish())
}

/// `GET /api/v1/reports/{id}/run` (JSON) or `…/export.csv|xlsx|pdf` (a download).
#[utoipa::path(get, path = "/api/v1/reports/{id}/{action}", tag = "reports",
    params(
        ("id" = String, Path, description = "The report's id, e.g. ar_aging"),
        ("action" = String, Path, description = "run (JSON), export.csv, export.xlsx or export.pdf"),
        ("view" = Option<String>, Query, description = "The view (default: the report's first)"),
        ("drill" = Option<String>, Query, description = "Follow a drill: ROW:COLUMN or total:COLUMN"),
        ("limit" = Option<usize>, Query, description = "Rows in a page of a run: 1 to 10,000 (default 500)"),
        ("offset" = Option<usize>, Query, description = "Rows of a run to skip"),
        ("scope" = Option<i64>, Query, description = "Only this one of your stores (a store id)")),
    responses(
        (status = 200, description = "A page of the report (run), or the whole of it as a file (export.*); the report's own parameters go in the query string by name (as_of=last_month, customer=Ann Lee)",
         content(
            (RunPage = "application/json"),
            (String = "text/csv; charset=utf-8"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/pdf"))),
        crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn run(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path((id, action)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let format = match action.as_str() {
        "run" => None,
        "export.csv" => Some(Format::Csv),
        "export.xlsx" => Some(Format::Xlsx),
        "export.pdf" => Some(Format::Pdf),
        other => {
            return Problem::not_found(format!("no {other} for a report: run, export.csv, export.xlsx or export.pdf"))
                .into_response();
        }
    };
    match answer(&app, &who, &id, query, format).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

/// `scope=`: a store id, or nothing (an empty value too).
pub(crate) fn scope_param(raw: Option<&str>) -> Result<Option<i64>, Problem> {
    match raw.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| Problem::invalid("scope", v, "a store id: the figures of that one of your stores")),
    }
}

/// The caller's scope, narrowed to one of their stores when `scope=` asks: a store outside them (or another
/// org's) is not found, as anything else of theirs would be.
pub(crate) fn scope_of(caller: &oltp::auth::Caller, store: Option<i64>) -> Result<Scope, Problem> {
    let stores = match (store, &caller.stores) {
        (None, stores) => stores.clone(),
        (Some(s), Some(allowed)) if !allowed.contains(&s) => {
            return Err(Problem::not_found(format!("no store {s} among yours")));
        }
        (Some(s), _) => Some(vec![s]),
    };
    Ok(Scope::Org { org_id: caller.org_id, stores })
}

async fn answer(
    app: &super::App,
    who: &Who,
    id: &str,
    query: Vec<(String, String)>,
    format: Option<Format>,
) -> Result<Response, Problem> {
    visible(who, id)?;
    let asked = asked(id, query)?;
    let _turn = app.lake_work.acquire().await.map_err(|_| Problem::internal())?;
    let (prepared, drilled_from) = prepared(app, who, asked.scope, asked.req, asked.drill.as_deref()).await?;
    match format {
        None => {
            let r = ran(prepared, asked.limit, asked.offset, drilled_from).await?;
            Ok(page(Ran { scope: asked.scope, ..r }))
        }
        Some(f) => download(prepared, f).await,
    }
}

/// The run `req` asks for (after following `drill`, when given) planned on the caller's scope, narrowed to
/// the store `scope` names; with the drill followed. The caller takes a turn of `lake_work` first.
pub(crate) async fn prepared(
    app: &super::App,
    who: &Who,
    scope: Option<i64>,
    mut req: Request,
    drill: Option<&str>,
) -> Result<(reports::engine::Prepared, Option<String>), Problem> {
    let scope = scope_of(&who.caller, scope)?;
    let snapshot = app.lake.snapshot().await.map_err(|e| super::lake_problem(&e))?;
    let cx = reports::Context::at(&snapshot, scope, chrono::Utc::now()).await.map_err(|e| report_problem(&e))?;
    let mut drilled_from = None;
    if let Some(at) = drill {
        let link = reports::engine::follow(&cx, &req, at).await.map_err(|e| report_problem(&e))?;
        visible(who, link.report)?;
        drilled_from = Some(at.to_string());
        req = Request::from(&link);
    }
    let prepared = reports::prepare(&cx, &req).await.map_err(|e| report_problem(&e))?;
    Ok((prepared, drilled_from))
}

/// One page of a run: its rows with their drill links, the count and the footer of all of them.
pub(crate) struct Ran {
    /// Title, filters, columns.
    pub(crate) header: reports::model::Header,
    /// The page's rows: values by column (hidden ones included) and the drill link of each drillable cell.
    pub(crate) rows: Vec<(Vec<Value>, BTreeMap<&'static str, Link>)>,
    /// Rows in the whole result.
    pub(crate) row_count: usize,
    /// The footer of all of them, and its drill links.
    pub(crate) totals: (Vec<Value>, BTreeMap<&'static str, Link>),
    /// Rows before the page.
    pub(crate) offset: usize,
    /// The page's size.
    pub(crate) limit: usize,
    /// The drill followed, if any.
    pub(crate) drilled_from: Option<String>,
    /// The store the run was narrowed to (`scope=`), kept in the links it gives.
    pub(crate) scope: Option<i64>,
}

/// Reads `limit` rows after `offset` of a prepared run, and the totals of all of them.
pub(crate) async fn ran(
    mut p: reports::engine::Prepared,
    limit: usize,
    offset: usize,
    drilled_from: Option<String>,
) -> Result<Ran, Problem> {
    let mut rows = Vec::new();
    let mut totals = Totals::new(&p.header.columns);
    let mut seen = 0usize;
    while let Some(b) = p.next().await.map_err(|e| report_problem(&e))? {
        totals.add(&p.header.columns, &b);
        for r in 0..b.num_rows() {
            if seen >= offset && rows.len() < limit {
                let values: Vec<Value> =
                    p.header.columns.iter().enumerate().map(|(i, c)| Value::at(c.ty, b.column(i), r)).collect();
                rows.push((values, p.links(&b, r)));
            }
            seen += 1;
        }
    }
    let footer = p.footer(&totals).await.map_err(|e| report_problem(&e))?;
    let total_links = p.total_links();
    Ok(Ran {
        header: p.header,
        rows,
        row_count: seen,
        totals: (footer, total_links),
        offset,
        limit,
        drilled_from,
        scope: None,
    })
}

/// One page of rows as JSON, with the totals of all of them.
fn page(r: Ran) -> Response {
    let this = Link { report: r.header.report, view: r.header.view, params: r.header.params.clone() };
    let scoped = |link: &Link| match r.scope {
        Some(s) => format!("{}&scope={s}", href(link)),
        None => href(link),
    };
    let more = r.offset + r.rows.len() < r.row_count;
    let next = more.then(|| format!("{}&offset={}&limit={}", scoped(&this), r.offset + r.rows.len(), r.limit));
    let export = ["csv", "xlsx", "pdf"]
        .into_iter()
        .map(|f| (f.to_string(), scoped(&this).replacen("/run?", &format!("/export.{f}?"), 1)))
        .collect();
    let header = match serde_json::to_value(&r.header) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("a report header as JSON: {e}");
            return Problem::internal().into_response();
        }
    };
    let rows = r
        .rows
        .iter()
        .map(|(values, links)| RunRow {
            cells: reports::export::json::row(&r.header, values),
            drill: links.iter().map(|(k, l)| (k.to_string(), scoped(l))).collect(),
        })
        .collect();
    let totals = RunRow {
        cells: reports::export::json::row(&r.header, &r.totals.0),
        drill: r.totals.1.iter().map(|(k, l)| (k.to_string(), scoped(l))).collect(),
    };
    let doc = RunPage {
        header,
        drilled_from: r.drilled_from.clone(),
        row_count: r.row_count,
        offset: r.offset,
        limit: r.limit,
        rows,
        totals,
        links: RunLinks { this: scoped(&this), next, export },
    };
    json(200, &doc)
}

/// The whole report in `format`, written to a temporary file by the export writers and streamed from it.
async fn download(p: reports::engine::Prepared, format: Format) -> Result<Response, Problem> {
    let name = filename(&p.header, format);
    let file = tempfile::NamedTempFile::new().map_err(|e| {
        tracing::error!("no temporary file for an export: {e}");
        Problem::internal()
    })?;
    reports::export::write_file_with(p, format, file.path(), reports::export::Options::default())
        .await
        .map_err(|e| report_problem(&e))?;
    let reader = file.reopen().map_err(|e| {
        tracing::error!("cannot reopen an export: {e}");
        Problem::internal()
    })?;
    let len = reader.metadata().map(|m| m.len()).unwrap_or(0);
    // the temporary file lives as long as the stream reading it, and is removed after
    let chunks = futures::stream::unfold((reader, file), |(mut reader, file)| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match reader.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), (reader, file)))
            }
            Err(e) => Some((Err(e), (reader, file))),
        }
    });
    let mut response = Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(format)));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

fn content_type(format: Format) -> &'static str {
    match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Format::Pdf => "application/pdf",
        Format::Json => "application/json",
        Format::Table => "text/plain; charset=utf-8",
    }
}

/// `ar_aging-customers-2026-12-07.csv`: the report, the view and the as-of date, in characters every file system
/// and every `Content-Disposition` parser takes.
fn filename(h: &reports::model::Header, format: Format) -> String {
    let as_of = h.params.get("as_of").or_else(|| h.params.get("to")).cloned().unwrap_or_default();
    let stem: String = format!("{}-{}-{as_of}", h.report, h.view)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .collect();
    format!("{}.{}", stem.trim_end_matches('-'), format.name())
}
