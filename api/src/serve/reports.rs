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
use serde_json::{Value as Json, json};

use super::auth::Who;
use super::{Shared, json, report_problem};
use crate::problem::Problem;

/// Rows in a page when the request does not say.
const PAGE: usize = 500;
/// The most rows a page may hold (a download has no such limit).
const MAX_PAGE: usize = 10_000;

/// A parameter as the catalog shows it.
#[derive(Debug, Serialize)]
struct ParamDoc {
    name: &'static str,
    label: &'static str,
    help: &'static str,
    accepts: String,
    default: Option<String>,
}

/// A view as the catalog shows it.
#[derive(Debug, Serialize)]
struct ViewDoc {
    name: &'static str,
    title: &'static str,
    params: Vec<ParamDoc>,
}

/// A report as the catalog shows it.
#[derive(Debug, Serialize)]
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
pub(crate) async fn catalog(Extension(who): Extension<Who>) -> Response {
    let docs: Vec<ReportDoc> =
        reports::catalog::all().iter().filter(|r| crate::authz::may_see(&who.caller, r.id).is_ok()).map(doc).collect();
    json(200, &docs)
}

/// `GET /api/v1/reports/{id}`: one report's help.
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
struct Asked {
    req: Request,
    drill: Option<String>,
    limit: usize,
    offset: usize,
}

fn asked(id: &str, query: Vec<(String, String)>) -> Result<Asked, Problem> {
    let mut a = Asked {
        req: Request { report: id.to_string(), view: None, params: BTreeMap::new() },
        drill: None,
        limit: PAGE,
        offset: 0,
    };
    for (k, v) in query {
        match k.as_str() {
            "view" => a.req.view = Some(v),
            "drill" => a.drill = Some(v),
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

/// A link as the URL that runs it.
pub(crate) fn href(link: &Link) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("view", link.view);
    for (k, v) in &link.params {
        q.append_pair(k, v);
    }
    format!("/api/v1/reports/{}/run?{}", link.report, q.finish())
}

fn hrefs(links: BTreeMap<&'static str, Link>) -> Json {
    Json::Object(links.into_iter().map(|(k, l)| (k.to_string(), Json::String(href(&l)))).collect())
}

/// `GET /api/v1/reports/{id}/run` (JSON) or `…/export.csv|xlsx|pdf` (a download).
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

async fn answer(
    app: &super::App,
    who: &Who,
    id: &str,
    query: Vec<(String, String)>,
    format: Option<Format>,
) -> Result<Response, Problem> {
    visible(who, id)?;
    let mut asked = asked(id, query)?;
    let snapshot = app.lake.snapshot().await.map_err(|e| {
        tracing::error!("lake: {e}");
        Problem::internal()
    })?;
    let caller = &who.caller;
    let scope = Scope::Org { org_id: caller.org_id, stores: caller.stores.clone() };
    let cx = reports::Context::at(&snapshot, scope, chrono::Utc::now()).await.map_err(|e| report_problem(&e))?;
    let mut drilled_from = None;
    if let Some(at) = &asked.drill {
        let link = reports::engine::follow(&cx, &asked.req, at).await.map_err(|e| report_problem(&e))?;
        visible(who, link.report)?;
        drilled_from = Some(at.clone());
        asked.req = Request::from(&link);
    }
    let prepared = reports::prepare(&cx, &asked.req).await.map_err(|e| report_problem(&e))?;
    match format {
        None => page(prepared, asked.limit, asked.offset, drilled_from).await,
        Some(f) => download(prepared, f).await,
    }
}

/// One page of rows as JSON, with the totals of all of them.
async fn page(
    mut p: reports::engine::Prepared,
    limit: usize,
    offset: usize,
    drilled_from: Option<String>,
) -> Result<Response, Problem> {
    let mut rows = Vec::new();
    let mut totals = Totals::new(&p.header.columns);
    let mut seen = 0usize;
    while let Some(b) = p.next().await.map_err(|e| report_problem(&e))? {
        totals.add(&p.header.columns, &b);
        for r in 0..b.num_rows() {
            if seen >= offset && rows.len() < limit {
                let values: Vec<Value> =
                    p.header.columns.iter().enumerate().map(|(i, c)| Value::at(c.ty, b.column(i), r)).collect();
                let cells = reports::export::json::row(&p.header, &values);
                rows.push(json!({"cells": cells, "drill": hrefs(p.links(&b, r))}));
            }
            seen += 1;
        }
    }
    let footer = p.footer(&totals).await.map_err(|e| report_problem(&e))?;
    let this = Link { report: p.header.report, view: p.header.view, params: p.header.params.clone() };
    let more = offset + rows.len() < seen;
    let next = more.then(|| format!("{}&offset={}&limit={limit}", href(&this), offset + rows.len()));
    let downloads: BTreeMap<&str, String> = ["csv", "xlsx", "pdf"]
        .into_iter()
        .map(|f| (f, href(&this).replacen("/run?", &format!("/export.{f}?"), 1)))
        .collect();
    let doc = json!({
        "header": &p.header,
        "drilled_from": drilled_from,
        "row_count": seen,
        "offset": offset,
        "limit": limit,
        "rows": rows,
        "totals": {"cells": reports::export::json::row(&p.header, &footer), "drill": hrefs(p.total_links())},
        "links": {"self": href(&this), "next": next, "export": downloads},
    });
    Ok(json(200, &doc))
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
