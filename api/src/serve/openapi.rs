//! The API described: an OpenAPI 3.1 document derived from the handlers' own annotations and the types they
//! read and answer (`/api/v1/openapi.json`), and a plain page of it for people (`/api/v1/docs`).

use axum::response::{Html, IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::problem::Problem;

/// Refusals every route behind sign-in may answer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub(crate) enum Guarded {
    /// No session or token, or one that has ended.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// The caller's groups may not; or a cookie's write from another site.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
}

/// Refusals of what a request says.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub(crate) enum Refused {
    /// A body that is not JSON, or a query string that does not parse.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No such record, route, report or operation — or not the caller's to see.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// A body over 1 MiB.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// A value that breaks a rule: the field, the value and the rule.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
    /// The books or the lake cannot answer now (a new server's lake still filling: see Retry-After).
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Loupe",
        description = "The books of a jewelry business and the reports over them. Sign in with a password \
                       (a session cookie) or send an API token as `Authorization: Bearer`; every request acts as \
                       one user of one org, within their groups and stores. Errors are RFC 9457 problems.",
    ),
    paths(
        super::healthz,
        super::readyz,
        super::auth::sign_in,
        super::auth::me,
        super::auth::sign_out,
        super::auth::sessions,
        super::auth::revoke_session,
        super::auth::tokens,
        super::auth::create_token,
        super::auth::revoke_token,
        super::ops::run,
        super::reads::item,
        super::reads::invoices,
        super::reads::invoice,
        super::reads::contacts,
        super::reads::memos,
        super::reads::work_orders,
        super::reads::subscriptions,
        super::reads::deliveries,
        super::mailing::api_send,
        super::reads::find,
        super::reports::catalog,
        super::reports::describe,
        super::reports::run,
        super::sql::run,
        openapi_json,
        docs,
    ),
    modifiers(&Security),
    security(("bearer" = []), ("cookie" = []))
)]
pub(crate) struct ApiDoc;

/// The two ways in: a bearer token, or the session cookie.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(super::auth::COOKIE))),
        );
    }
}

/// The document as JSON.
pub(crate) fn document() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

/// `GET /api/v1/openapi.json`: this API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "docs", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub(crate) async fn openapi_json() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], document()).into_response()
}

/// `GET /api/v1/docs`: the document as a page — every route, what it takes and what it answers.
#[utoipa::path(get, path = "/api/v1/docs", tag = "docs", security(()),
    responses((status = 200, description = "The API's routes as a page", content_type = "text/html")))]
pub(crate) async fn docs() -> Html<String> {
    Html(page(&ApiDoc::openapi()))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The routes as HTML, in the document's order: method and path, summary, description, parameters, answers.
fn page(doc: &utoipa::openapi::OpenApi) -> String {
    let mut out = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Loupe API</title><style>\
         body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
         h2{font-size:1.05rem;margin:2rem 0 .25rem}code{background:#f3f3f3;padding:0 .25rem}\
         .m{display:inline-block;min-width:4.5rem;font-weight:600}table{border-collapse:collapse}\
         td{padding:.1rem .75rem .1rem 0;vertical-align:top}</style></head><body><h1>Loupe API</h1>",
    );
    if let Some(d) = &doc.info.description {
        out.push_str(&format!("<p>{}</p>", escape(d)));
    }
    out.push_str("<p>The machine-readable document: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p>");
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            out.push_str(&format!("<h2><span class=\"m\">{method}</span> <code>{}</code></h2>", escape(path)));
            for text in [&op.summary, &op.description].into_iter().flatten() {
                out.push_str(&format!("<p>{}</p>", escape(text)));
            }
            if let Some(params) = &op.parameters {
                out.push_str("<table>");
                for p in params.iter().filter_map(|p| match p {
                    utoipa::openapi::RefOr::T(p) => Some(p),
                    utoipa::openapi::RefOr::Ref(_) => None,
                }) {
                    let desc = p.description.as_deref().unwrap_or_default();
                    out.push_str(&format!(
                        "<tr><td><code>{}</code></td><td>{}</td></tr>",
                        escape(&p.name),
                        escape(desc)
                    ));
                }
                out.push_str("</table>");
            }
            let answers: Vec<String> = op.responses.responses.keys().map(|k| escape(k)).collect();
            out.push_str(&format!("<p>Answers: {}</p>", answers.join(", ")));
        }
    }
    out.push_str("</body></html>");
    out
}
