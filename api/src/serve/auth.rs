//! Who is asking: sign-in and sign-out, the caller of every other request (a session cookie from a browser, or
//! `Authorization: Bearer` from a point-of-sale client or a script), a user's sessions and tokens.
//!
//! A write made with a cookie must come from the app's own pages: a browser says where a request comes from
//! (`Sec-Fetch-Site`, `Origin`), and a cross-site one is refused, so another site cannot make a signed-in
//! browser post a command. A bearer token is never sent by a browser on its own, so it needs no such check.

use std::net::SocketAddr;

use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, body::Bytes};
use oltp::auth::Caller;
use serde::{Deserialize, Serialize};

use super::{Served, Shared, body_as, body_json, books_problem, json, unix_now};
use crate::problem::Problem;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "loupe_session";

/// The caller of a request, and how they proved it.
#[derive(Debug, Clone)]
pub(crate) struct Who {
    /// Who, as the books say now.
    pub(crate) caller: Caller,
    /// The session's secret, when they came with a cookie (for sign-out).
    pub(crate) session: Option<String>,
}

/// The value of the session cookie, if the request carries one.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (name, value) = c.trim().split_once('=')?;
        (name == COOKIE && !value.is_empty()).then(|| value.to_string())
    })
}

/// The bearer token, if the request carries one.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

/// Whether a request a browser may have made on another site's behalf comes from this one: `Sec-Fetch-Site`
/// when the browser sends it, else `Origin` against `Host`; a client that sends neither is not a browser.
pub(crate) fn same_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let origin_host = origin.split_once("://").map_or("", |(_, h)| h).trim_end_matches('/');
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

fn cross_site() -> Problem {
    Problem::forbidden("a cross-site request may not change anything: send it from Loupe's own pages or with a token")
}

/// Resolves the caller of every route behind it: a bearer token or a session cookie, checked against the books
/// now (a signed-out, revoked, expired or disabled one is refused with 401). A cookie's unsafe request must be
/// same-site.
pub(crate) async fn authenticate(State(app): State<Shared>, mut req: Request, next: Next) -> Response {
    let now = unix_now();
    let headers = req.headers();
    let (found, session) = if let Some(token) = bearer(headers) {
        (oltp::auth::token(&app.db, &token, now).await, None)
    } else if let Some(secret) = session_cookie(headers) {
        (oltp::auth::session(&app.db, &secret, now, app.policy).await, Some(secret))
    } else {
        return Problem::unauthenticated("sign in (POST /api/v1/session) or send Authorization: Bearer TOKEN")
            .into_response();
    };
    let caller = match found {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Problem::unauthenticated("the session or token has ended (signed out, expired or revoked)")
                .into_response();
        }
        Err(e) => return books_problem(&e).into_response(),
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if session.is_some() && !safe && !same_site(req.headers()) {
        return cross_site().into_response();
    }
    let user = caller.user_id;
    req.extensions_mut().insert(Who { caller, session });
    let mut response = next.run(req).await;
    response.extensions_mut().insert(Served(user));
    response
}

/// The `Set-Cookie` value of a new session: HttpOnly, SameSite=Lax, living as long as the session may (and
/// `Secure` behind HTTPS).
pub(crate) fn set_session_cookie(app: &super::App, issued: &oltp::auth::Issued, now: i64) -> Option<HeaderValue> {
    let max_age = issued.expires_at.map_or(app.policy.absolute, |e| e - now);
    let secure = if app.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        issued.secret
    ))
    .ok()
}

/// What a sign-in sends.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SignIn {
    username: String,
    password: String,
    /// Needed only when the username is used in several orgs.
    org_id: Option<i64>,
}

/// What a sign-in answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SignedIn {
    user: Caller,
    session_id: i64,
    expires_at: Option<i64>,
}

/// `POST /api/v1/session`: checks a username and password and sets the session cookie. Failures count against
/// the account and the client address; past the limit the answer is 429 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", security(()),
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in: the session cookie is set", body = SignedIn),
        (status = 401, description = "Username or password wrong", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Posted from another site", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins: wait Retry-After seconds", body = crate::problem::Problem,
         content_type = "application/problem+json"),
        crate::serve::openapi::Refused))]
pub(crate) async fn sign_in(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !same_site(&headers) {
        return cross_site().into_response();
    }
    let form: SignIn = match body_json(body).and_then(body_as) {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    let account = format!("{}/{}", form.org_id.unwrap_or(0), form.username.trim().to_lowercase());
    let address = peer.ip().to_string();
    if let Err(wait) = app.sign_ins.check(&account, &address) {
        return Problem::too_many("too many failed sign-ins; wait before trying again", wait.as_secs()).into_response();
    }
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let client = format!("{address} {agent}");
    let now = unix_now();
    match oltp::auth::sign_in(&app.db, form.org_id, &form.username, &form.password, &client, now, app.policy).await {
        Ok((user, issued)) => {
            app.sign_ins.succeeded(&account);
            let mut response = json(200, &SignedIn { user, session_id: issued.id, expires_at: issued.expires_at });
            if let Some(v) = set_session_cookie(&app, &issued, now) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
        }
        Err(e @ oltp::Error::Unauthenticated(_)) => {
            app.sign_ins.failed(&account, &address);
            books_problem(&e).into_response()
        }
        Err(e) => books_problem(&e).into_response(),
    }
}

/// `GET /api/v1/session`: who the caller is.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, description = "Who the caller is", body = oltp::auth::Caller), crate::serve::openapi::Guarded))]
pub(crate) async fn me(Extension(who): Extension<Who>) -> Response {
    json(200, &who.caller)
}

/// `DELETE /api/v1/session`: signs the browser session out and clears its cookie; the cookie signs nobody in
/// again, even if replayed.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Signed out; the cookie is cleared"), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn sign_out(State(app): State<Shared>, Extension(who): Extension<Who>) -> Response {
    let Some(secret) = who.session else {
        return Problem::invalid(
            "session",
            "(a bearer token)",
            "sign-out ends a browser session; revoke a token with DELETE /api/v1/tokens/{id}",
        )
        .into_response();
    };
    if let Err(e) = oltp::auth::sign_out(&app.db, &secret, unix_now()).await {
        return books_problem(&e).into_response();
    }
    let clear = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// An id in a path: a number, or the thing is not found.
pub(crate) fn path_id(kind: &str, raw: &str) -> Result<i64, Problem> {
    raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| Problem::not_found(format!("no {kind} {raw}")))
}

/// `GET /api/v1/sessions`: the caller's open sessions.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "session",
    responses((status = 200, description = "The caller's open sessions", body = Vec<oltp::auth::SessionInfo>), crate::serve::openapi::Guarded))]
pub(crate) async fn sessions(State(app): State<Shared>, Extension(who): Extension<Who>) -> Response {
    match oltp::auth::sessions(&app.db, who.caller.user_id, unix_now(), app.policy).await {
        Ok(list) => json(200, &list),
        Err(e) => books_problem(&e).into_response(),
    }
}

/// `DELETE /api/v1/sessions/{id}`: ends one of the caller's sessions (another browser's, say).
#[utoipa::path(delete, path = "/api/v1/sessions/{id}", tag = "session",
    params(("id" = String, Path, description = "The session's id")),
    responses((status = 204, description = "The session has ended"), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn revoke_session(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Response {
    let id = match path_id("session", &id) {
        Ok(id) => id,
        Err(p) => return p.into_response(),
    };
    match oltp::auth::revoke_session(&app.db, who.caller.user_id, id, unix_now()).await {
        Ok(()) => axum::http::StatusCode::NO_CONTENT.into_response(),
        Err(e) => books_problem(&e).into_response(),
    }
}

/// What creating a token sends.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewToken {
    /// What it is for ("front counter iPad").
    name: String,
    /// Days until it ends; without it, it lasts until revoked.
    expires_days: Option<u32>,
}

/// A token as created: the secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Created {
    id: i64,
    token: String,
    expires_at: Option<i64>,
}

/// The longest a token may be made to last.
const MAX_TOKEN_DAYS: u32 = 3650;

/// `POST /api/v1/tokens`: an API token for the caller, shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "session", request_body = NewToken,
    responses((status = 201, description = "The token, shown this once", body = Created), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn create_token(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let form: NewToken = match body_json(body).and_then(body_as) {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    if let Some(d) = form.expires_days
        && !(1..=MAX_TOKEN_DAYS).contains(&d)
    {
        return Problem::invalid("expires_days", &d.to_string(), &format!("from 1 to {MAX_TOKEN_DAYS} days"))
            .into_response();
    }
    let now = unix_now();
    let expires_at = form.expires_days.map(|d| now + i64::from(d) * 86_400);
    let c = &who.caller;
    match oltp::auth::create_token(&app.db, c.org_id, c.user_id, &form.name, expires_at, now).await {
        Ok(t) => json(201, &Created { id: t.id, token: t.secret, expires_at: t.expires_at }),
        Err(e) => books_problem(&e).into_response(),
    }
}

/// `GET /api/v1/tokens`: the caller's tokens (names and prefixes, never secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "session",
    responses((status = 200, description = "The caller's tokens (never their secrets)", body = Vec<oltp::auth::TokenInfo>), crate::serve::openapi::Guarded))]
pub(crate) async fn tokens(State(app): State<Shared>, Extension(who): Extension<Who>) -> Response {
    match oltp::auth::tokens(&app.db, who.caller.user_id, unix_now()).await {
        Ok(list) => json(200, &list),
        Err(e) => books_problem(&e).into_response(),
    }
}

/// `DELETE /api/v1/tokens/{id}`: revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "session",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "The token no longer works"), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn revoke_token(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Response {
    let id = match path_id("token", &id) {
        Ok(id) => id,
        Err(p) => return p.into_response(),
    };
    match oltp::auth::revoke_token(&app.db, who.caller.user_id, id, unix_now()).await {
        Ok(()) => axum::http::StatusCode::NO_CONTENT.into_response(),
        Err(e) => books_problem(&e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")));
        }
        h
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "theme=dark; loupe_session=abc123; x=1")]);
        assert_eq!(session_cookie(&h).as_deref(), Some("abc123"));
        assert_eq!(session_cookie(&headers(&[("cookie", "loupe_session=")])), None);
        assert_eq!(session_cookie(&headers(&[("cookie", "xloupe_session=abc")])), None);
        assert_eq!(bearer(&headers(&[("authorization", "Bearer loupe_ab")])).as_deref(), Some("loupe_ab"));
        assert_eq!(bearer(&headers(&[("authorization", "Basic dXNlcg==")])), None);
    }

    #[test]
    fn a_cross_site_request_is_told_apart_from_a_same_site_one() {
        assert!(same_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(same_site(&headers(&[("origin", "http://shop.example:8080"), ("host", "shop.example:8080")])));
        assert!(!same_site(&headers(&[("origin", "https://evil.example"), ("host", "shop.example:8080")])));
        assert!(!same_site(&headers(&[("origin", "null"), ("host", "shop.example")])));
        // curl, a script: neither header, not a browser
        assert!(same_site(&headers(&[("host", "shop.example")])));
    }
}
