//! `POST /api/v1/ops/{op}`: every operation of docs/OPERATIONS.md, with the journal's JSON as the body. The org
//! and the acting user come from the caller: a body without `org_id` gets the caller's, one naming another org
//! is refused. Which stores the command may touch the books decide (a user limited to stores writes no row of
//! another store, whatever the command). `Idempotency-Key` makes a retry safe: the same key and body answer the
//! first outcome without applying anything again — across restarts, since the key is kept in the books with the
//! outcome, in the command's own transaction — and the same key with another body is refused (422).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use oltp::{Ctx, Error};

use super::auth::Who;
use super::{Shared, body_json, books_problem, json};
use crate::problem::Problem;

/// The header a client sends a retry's key in.
pub(crate) const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// How many times a keyed command that lost a race is tried again (the winner's key then answers it).
const RACE_RETRIES: usize = 3;

/// Runs the operation `op` as the caller.
#[utoipa::path(post, path = "/api/v1/ops/{op}", tag = "commands",
    params(
        ("op" = String, Path, description = "The operation (docs/OPERATIONS.md), e.g. create_invoice"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body answer the first outcome")),
    request_body(content = Object, description = "The operation's fields, as in the journal; org_id may be left out"),
    responses(
        (status = 200, description = "What the command created or changed", body = oltp::Outcome),
        (status = 409, description = "Conflicts with the books (a piece already sold, a closed period)", body = crate::problem::Problem,
         content_type = "application/problem+json"),
        crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn run(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path(op): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match apply(&app, &who, &op, &headers, body).await {
        Ok((outcome, replayed)) => {
            let mut response = json(200, &outcome);
            if replayed {
                response.headers_mut().insert("idempotent-replayed", axum::http::HeaderValue::from_static("true"));
            }
            response
        }
        Err(p) => p.into_response(),
    }
}

async fn apply(
    app: &super::App,
    who: &Who,
    op: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(oltp::Outcome, bool), Problem> {
    let caller = &who.caller;
    crate::authz::may_run(caller, op).map_err(|d| Problem::from(&d))?;
    let mut fields = body_json(body)?;
    let Some(obj) = fields.as_object_mut() else {
        return Err(Problem::invalid("body", "(not an object)", "a command is a JSON object of its fields"));
    };
    match obj.get("org_id") {
        None => {
            obj.insert("org_id".into(), caller.org_id.into());
        }
        Some(v) if v.as_i64() == Some(caller.org_id) => {}
        Some(v) => {
            return Err(Problem::invalid(
                "org_id",
                &v.to_string(),
                &format!("must be your own org ({}) or left out", caller.org_id),
            ));
        }
    }
    let cmd = oltp::ops::parse_fields(op, fields).map_err(|e| books_problem(&e))?;
    check_reports(app, who, &cmd).await?;
    let key = match headers.get(IDEMPOTENCY_KEY) {
        None => None,
        Some(v) => {
            let k = v.to_str().map_err(|_| Problem::invalid("Idempotency-Key", "(not text)", "printable ASCII"))?;
            // keys are the caller's own: another user's (or org's) identical key is another key
            Some(format!("{}/{}/{k}", caller.org_id, caller.user_id))
        }
    };
    let ctx =
        Ctx { actor: Some(caller.user_id), today: reports::dates::today_in(&caller.time_zone, chrono::Utc::now()) };
    let mut tries = 0;
    loop {
        match oltp::execute_keyed(&app.db, &ctx, key.as_deref(), &cmd).await {
            Ok(a) => return Ok((a.outcome, a.replayed)),
            // two requests with one key ran at once and this one lost: its retry finds the winner's key
            Err(Error::Conflict(_)) if key.is_some() && tries < RACE_RETRIES => tries += 1,
            Err(Error::Invalid { field, value, rule }) if field == "key" => {
                let shown = value.rsplit('/').next().unwrap_or_default().to_string();
                return Err(Problem::invalid("Idempotency-Key", &shown, &rule));
            }
            Err(e) => return Err(books_problem(&e)),
        }
    }
}

/// The reports a command keeps (a saved report, a subscription's), checked as the caller would run them now:
/// an unknown report, view or parameter, or a report the caller may not see, is refused before anything is
/// kept — the books know no report catalog.
pub(crate) async fn check_reports(app: &super::App, who: &Who, cmd: &oltp::ops::Command) -> Result<(), Problem> {
    use oltp::ops::Command;
    let asked: Vec<(String, reports::Request)> = match cmd {
        Command::CreateSubscription(c) => c
            .reports
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let req = reports::Request { report: r.report.clone(), view: r.view.clone(), params: r.params.clone() };
                (format!("reports[{i}]"), req)
            })
            .collect(),
        Command::UpdateSubscription(c) => c
            .reports
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, r)| {
                let req = reports::Request { report: r.report.clone(), view: r.view.clone(), params: r.params.clone() };
                (format!("reports[{i}]"), req)
            })
            .collect(),
        Command::CreateSavedReport(c) => {
            let req = reports::Request { report: c.report.clone(), view: c.view.clone(), params: c.params.clone() };
            vec![("report".to_string(), req)]
        }
        _ => return Ok(()),
    };
    let caller = &who.caller;
    for (field, req) in &asked {
        reports::catalog::get(&req.report).map_err(|e| Problem::invalid(field, &req.report, &e.to_string()))?;
        crate::authz::may_see(caller, &req.report).map_err(|d| Problem::from(&d))?;
    }
    let _turn = app.lake_work.acquire().await.map_err(|_| Problem::internal())?;
    let snapshot = app.lake.snapshot().await.map_err(|e| super::lake_problem(&e))?;
    let scope = reports::Scope::Org { org_id: caller.org_id, stores: caller.stores.clone() };
    let cx = reports::Context::at(&snapshot, scope, chrono::Utc::now()).await.map_err(|e| super::report_problem(&e))?;
    for (field, req) in &asked {
        reports::prepare(&cx, req).await.map_err(|e| Problem::invalid(field, &req.report, &e.to_string()))?;
    }
    Ok(())
}
