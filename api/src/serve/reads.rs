//! Reads the clients need, on the books (the transactional view, as of this moment): an item by the stock
//! number on its tag, invoices (a list with filters, one whole), contacts by name, phone or email, memos, the
//! work-order board by lane, and a quick find across them all. Each within the caller's org and stores, each
//! list paged (`limit`, `offset`) and bounded.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use oltp::read::{self, Page, Within};
use serde::Deserialize;

use super::auth::{Who, path_id};
use super::{Shared, books_problem, json};
use crate::problem::Problem;

fn within(who: &Who) -> Within {
    Within { org_id: who.caller.org_id, stores: who.caller.stores.clone() }
}

fn may(who: &Who, kind: &str) -> Result<(), Problem> {
    crate::authz::may_read(&who.caller, kind).map_err(|d| Problem::from(&d))
}

/// A query string's values, refused by name when they do not parse.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Params {
    limit: Option<String>,
    offset: Option<String>,
    q: Option<String>,
    customer: Option<String>,
    store: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    number: Option<String>,
    open: Option<String>,
    lane: Option<String>,
}

fn int(field: &str, v: &Option<String>) -> Result<Option<i64>, Problem> {
    v.as_deref().map(|s| s.trim().parse::<i64>().map_err(|_| Problem::invalid(field, s, "a whole number"))).transpose()
}

fn date(field: &str, v: &Option<String>) -> Result<Option<chrono::NaiveDate>, Problem> {
    v.as_deref().map(|s| s.trim().parse().map_err(|_| Problem::invalid(field, s, "a date (YYYY-MM-DD)"))).transpose()
}

impl Params {
    fn page(&self) -> Result<Page, Problem> {
        Page::new(int("limit", &self.limit)?, int("offset", &self.offset)?).map_err(|e| books_problem(&e))
    }

    fn q(&self) -> Result<&str, Problem> {
        self.q.as_deref().ok_or_else(|| Problem::invalid("q", "(missing)", "give something to look for: ?q=…"))
    }
}

/// A query string, or a problem naming the unknown or malformed parameter.
fn params(q: Result<Query<Params>, axum::extract::rejection::QueryRejection>) -> Result<Params, Problem> {
    q.map(|Query(p)| p).map_err(|e| Problem::bad_request(400, e.body_text()))
}

/// The query string of a read of `kind`, if the caller may read that kind.
fn asked(
    who: &Who,
    kind: &str,
    q: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Params, Problem> {
    may(who, kind)?;
    params(q)
}

fn answer<T: serde::Serialize>(r: Result<T, Problem>) -> Response {
    match r {
        Ok(v) => json(200, &v),
        Err(p) => p.into_response(),
    }
}

/// `GET /api/v1/items/{code}`: the item whose tag reads `code`.
#[utoipa::path(get, path = "/api/v1/items/{code}", tag = "books",
    params(("code" = String, Path, description = "The stock number on the item's tag (its barcode)")),
    responses((status = 200, description = "The item", body = oltp::read::Item), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn item(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path(code): Path<String>,
) -> Response {
    answer(
        async {
            may(&who, "items")?;
            read::item(&app.db, &within(&who), &code).await.map_err(|e| books_problem(&e))
        }
        .await,
    )
}

/// `GET /api/v1/invoices?customer=&store=&status=&from=&to=&number=&limit=&offset=`.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "books",
    params(("customer" = Option<i64>, Query, description = "One customer's (id)"),
        ("store" = Option<i64>, Query, description = "One store's (id)"),
        ("status" = Option<String>, Query, description = "open, finalized or voided"),
        ("from" = Option<String>, Query, description = "Dated on or after (YYYY-MM-DD)"),
        ("to" = Option<String>, Query, description = "Dated on or before (YYYY-MM-DD)"),
        ("number" = Option<String>, Query, description = "Its number contains this"),
        ("limit" = Option<i64>, Query, description = "Rows in a page: 1 to 200 (default 50)"),
        ("offset" = Option<i64>, Query, description = "Rows to skip")),
    responses((status = 200, description = "Invoices, newest first", body = oltp::read::Paged<oltp::read::InvoiceRow>), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn invoices(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    q: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Response {
    answer(
        async {
            let p = asked(&who, "invoices", q)?;
            let filter = read::InvoiceFilter {
                customer_id: int("customer", &p.customer)?,
                store_id: int("store", &p.store)?,
                status: p.status.clone(),
                from: date("from", &p.from)?,
                to: date("to", &p.to)?,
                number: p.number.clone(),
            };
            read::invoices(&app.db, &within(&who), &filter, p.page()?).await.map_err(|e| books_problem(&e))
        }
        .await,
    )
}

/// `GET /api/v1/invoices/{id}`: one invoice with its lines, payments and history.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "books",
    params(("id" = String, Path, description = "The invoice's id")),
    responses((status = 200, description = "The invoice with its lines, payments and history", body = oltp::read::Invoice), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn invoice(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            may(&who, "invoices")?;
            let id = path_id("invoice", &id)?;
            read::invoice(&app.db, &within(&who), id).await.map_err(|e| books_problem(&e))
        }
        .await,
    )
}

/// `GET /api/v1/contacts?q=`: contacts by name, email or phone.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "books",
    params(("q" = String, Query, description = "Part of a name, email or phone number"),
        ("limit" = Option<i64>, Query, description = "Rows in a page: 1 to 200 (default 50)"),
        ("offset" = Option<i64>, Query, description = "Rows to skip")),
    responses((status = 200, description = "Contacts by name", body = oltp::read::Paged<oltp::read::Contact>), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn contacts(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    q: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Response {
    answer(
        async {
            let p = asked(&who, "contacts", q)?;
            read::contacts(&app.db, &within(&who), p.q()?, p.page()?).await.map_err(|e| books_problem(&e))
        }
        .await,
    )
}

/// `GET /api/v1/memos?customer=&open=true`.
#[utoipa::path(get, path = "/api/v1/memos", tag = "books",
    params(("customer" = Option<i64>, Query, description = "One customer's (id)"),
        ("open" = Option<bool>, Query, description = "Only memos with goods still out"),
        ("limit" = Option<i64>, Query, description = "Rows in a page: 1 to 200 (default 50)"),
        ("offset" = Option<i64>, Query, description = "Rows to skip")),
    responses((status = 200, description = "Memos, newest first", body = oltp::read::Paged<oltp::read::Memo>), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn memos(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    q: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Response {
    answer(
        async {
            let p = asked(&who, "memos", q)?;
            let open = match p.open.as_deref() {
                None | Some("false") => false,
                Some("true") => true,
                Some(other) => return Err(Problem::invalid("open", other, "true or false")),
            };
            let customer = int("customer", &p.customer)?;
            read::memos(&app.db, &within(&who), customer, open, p.page()?).await.map_err(|e| books_problem(&e))
        }
        .await,
    )
}

/// `GET /api/v1/work-orders?lane=`: the board's lane (the open lanes when not given).
#[utoipa::path(get, path = "/api/v1/work-orders", tag = "books",
    params(("lane" = Option<String>, Query, description = "received, in_progress, ready, completed or cancelled (default: the open lanes)"),
        ("limit" = Option<i64>, Query, description = "Rows in a page: 1 to 200 (default 50)"),
        ("offset" = Option<i64>, Query, description = "Rows to skip")),
    responses((status = 200, description = "The lane's work orders, soonest promised first", body = oltp::read::Paged<oltp::read::WorkOrder>), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn work_orders(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    q: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Response {
    answer(
        async {
            let p = asked(&who, "work_orders", q)?;
            read::work_orders(&app.db, &within(&who), p.lane.as_deref(), p.page()?).await.map_err(|e| books_problem(&e))
        }
        .await,
    )
}

/// `GET /api/v1/subscriptions`: the org's subscriptions for an owner or a manager, the caller's own for anyone
/// else — with their reports, recipients, schedule and when each is next due.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "books",
    responses((status = 200, description = "Subscriptions, by name", body = Vec<oltp::subscriptions::Subscription>), crate::serve::openapi::Guarded))]
pub(crate) async fn subscriptions(State(app): State<Shared>, Extension(who): Extension<Who>) -> Response {
    answer(
        async {
            may(&who, "subscriptions")?;
            let c = &who.caller;
            let owner = if c.in_any(&["owner", "manager"]) { None } else { Some(c.user_id) };
            oltp::subscriptions::list(&app.db, c.org_id, owner).await.map_err(|e| books_problem(&e))
        }
        .await,
    )
}

/// The subscription `id` if the caller may see it: their own, or any of the org's for an owner or a manager.
pub(crate) async fn subscription_of(
    app: &Shared,
    who: &Who,
    id: i64,
) -> Result<oltp::subscriptions::Subscription, Problem> {
    may(who, "subscriptions")?;
    let c = &who.caller;
    let owner = if c.in_any(&["owner", "manager"]) { None } else { Some(c.user_id) };
    oltp::subscriptions::list(&app.db, c.org_id, owner)
        .await
        .map_err(|e| books_problem(&e))?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| Problem::not_found(format!("subscription {id} not found")))
}

/// `GET /api/v1/subscriptions/{id}/deliveries`: the delivery log of one subscription the caller may see, newest
/// first (the latest 100): to whom, the reports with their parameters as resolved, the size, the message id,
/// the status and why not.
#[utoipa::path(get, path = "/api/v1/subscriptions/{id}/deliveries", tag = "books",
    params(("id" = i64, Path, description = "The subscription")),
    responses((status = 200, description = "Its runs, newest first", body = Vec<oltp::subscriptions::Delivery>), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn deliveries(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            let s = subscription_of(&app, &who, super::auth::path_id("subscription", &id)?).await?;
            oltp::subscriptions::deliveries(&app.db, who.caller.org_id, Some(s.id), None, 100)
                .await
                .map_err(|e| books_problem(&e))
        }
        .await,
    )
}

/// `GET /api/v1/find?q=`: items, contacts, invoices, memos and work orders matching `q` — of the kinds the
/// caller may read.
#[utoipa::path(get, path = "/api/v1/find", tag = "books",
    params(("q" = String, Query, description = "A number, name, description, email or phone")),
    responses((status = 200, description = "A few matches of each kind the caller may read", body = Vec<oltp::read::Found>), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn find(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    q: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Response {
    answer(
        async {
            let p = params(q)?;
            let found = read::find(&app.db, &within(&who), p.q()?).await.map_err(|e| books_problem(&e))?;
            let kind = |k: &str| match k {
                "item" => "items",
                "contact" => "contacts",
                "invoice" => "invoices",
                "memo" => "memos",
                _ => "work_orders",
            };
            Ok(found
                .into_iter()
                .filter(|f| crate::authz::may_read(&who.caller, kind(f.kind)).is_ok())
                .collect::<Vec<_>>())
        }
        .await,
    )
}
