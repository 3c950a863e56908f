//! `POST /api/v1/sql`: the SQL console over the lake for the owner and accounting groups — DuckDB holding views
//! over the caller's org's own files only, one read-only statement, at most the console's rows and seconds (the
//! walls are `warehouse::duck`'s). It answers JSON (columns with their types, rows of cells as text, `null` for
//! none) or CSV.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use warehouse::arrow::array::{Array as _, RecordBatch};
use warehouse::arrow::util::display::{ArrayFormatter, FormatOptions};

use super::auth::Who;
use super::{Shared, body_as, body_json, json};
use crate::problem::Problem;

/// What the console is sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Ask {
    /// One SELECT (or WITH …) statement.
    query: String,
    /// `json` (the default) or `csv`.
    format: Option<String>,
}

/// A column of the answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Column {
    name: String,
    #[serde(rename = "type")]
    ty: String,
}

/// The console's answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Answer {
    columns: Vec<Column>,
    rows: Cells,
    /// More rows were found than the console returns: only the first are here.
    cut: bool,
    /// The most rows the console returns.
    row_limit: usize,
}

/// Runs the caller's query.
#[utoipa::path(post, path = "/api/v1/sql", tag = "reports", request_body = Ask,
    responses(
        (status = 200, description = "The statement's rows (at most 10,000)",
         content((Answer = "application/json"), (String = "text/csv; charset=utf-8"))),
        crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn run(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match answer(&app, &who, body).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn answer(app: &super::App, who: &Who, body: Result<Bytes, BytesRejection>) -> Result<Response, Problem> {
    crate::authz::may_query(&who.caller).map_err(|d| Problem::from(&d))?;
    if who.caller.stores.is_some() {
        return Err(Problem::forbidden(
            "the SQL console reads every store's rows: it is for users allowed all of the org's stores",
        ));
    }
    let ask: Ask = body_as(body_json(body)?)?;
    let csv = match ask.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(Problem::invalid("format", other, "json or csv")),
    };
    let _turn = app.lake_work.acquire().await.map_err(|_| Problem::internal())?;
    let snapshot = app.lake.snapshot().await.map_err(|e| super::lake_problem(&e))?;
    let scope = warehouse::Scope::Org { org_id: who.caller.org_id, stores: None };
    let console = snapshot.console(&scope).await.map_err(|e| {
        tracing::error!("console: {e}");
        Problem::internal()
    })?;
    let limits = warehouse::duck::ConsoleLimits::default();
    let query = ask.query;
    // DuckDB runs on a thread of its own, not on one that answers other requests
    let answer = tokio::task::spawn_blocking(move || console.query(&query, limits))
        .await
        .map_err(|e| {
            tracing::error!("console thread: {e}");
            Problem::internal()
        })?
        .map_err(|e| Problem::invalid("query", "(the statement)", &e.to_string()))?;
    if csv {
        let text = crate::table::csv(&answer.batches).map_err(|e| {
            tracing::error!("console csv: {e}");
            Problem::internal()
        })?;
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response());
    }
    let (columns, rows) = cells(&answer.batches).map_err(|e| {
        tracing::error!("console answer: {e}");
        Problem::internal()
    })?;
    Ok(json(200, &Answer { columns, rows, cut: answer.cut, row_limit: limits.rows }))
}

/// A result's rows of cells as text (`None`: null).
type Cells = Vec<Vec<Option<String>>>;

/// Columns and cells of a result, each cell in Arrow's display form (exact for decimals), `None` for null.
fn cells(batches: &[RecordBatch]) -> anyhow::Result<(Vec<Column>, Cells)> {
    let Some(first) = batches.first() else { return Ok((Vec::new(), Vec::new())) };
    let columns = first
        .schema()
        .fields()
        .iter()
        .map(|f| Column { name: f.name().clone(), ty: f.data_type().to_string() })
        .collect();
    let options = FormatOptions::default();
    let mut rows = Vec::new();
    for b in batches {
        let formatters =
            b.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options)).collect::<Result<Vec<_>, _>>()?;
        for i in 0..b.num_rows() {
            rows.push(
                b.columns()
                    .iter()
                    .zip(&formatters)
                    .map(|(c, f)| (!c.is_null(i)).then(|| f.value(i).to_string()))
                    .collect(),
            );
        }
    }
    Ok((columns, rows))
}
