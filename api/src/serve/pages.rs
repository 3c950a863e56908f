//! The web pages: sign-in, the dashboard, the reports module with its drawer, the quick find, and the assets
//! they load. Every route is listed in [`routes`]; pages are signed in by the session cookie alone (a page is
//! never opened with a token), and each reads through the same scope, permissions and report engine as the
//! API — the pages render with `dashboards`, which never reads anything itself.
//!
//! Without a session a page answers `303 See Other` to the sign-in page with the page to come back to
//! (`next=`); an htmx request (a partial) answers `HX-Redirect` instead, so the whole page goes there.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, body::Bytes};
use dashboards::home::{Counter, Dashboard, Figures, Part, SalesChart, Series};
use dashboards::report::{Catalog, Drawer, ReportPage, Rows, Shortcut, Tab, Table};
use dashboards::{Chrome, ErrorPage, FindResults, Grid, Lane, Match, Peek, SignIn, StoreChoice, WorkOrders, render};
use reports::Scope;
use reports::model::{Link, Value};

use super::auth::{COOKIE, Who, same_site, session_cookie, set_session_cookie};
use super::reports::{Ran, asked, prepared, ran, scope_param};
use super::{Shared, unix_now};
use crate::problem::Problem;

/// Rows in a page of a report on screen.
const SCREEN_ROWS: usize = 200;

/// Every page route, behind the session check, and the routes without one (sign-in, assets).
pub(crate) fn routes(app: Shared) -> Router<Shared> {
    let pages = Router::new()
        .route("/", get(dashboard))
        .route("/dashboard/figures", get(figures))
        .route("/reports", get(catalog))
        .route("/reports/{id}", get(report))
        .route("/reports/{id}/drawer", get(drawer))
        .route("/reports/{id}/pin", axum::routing::post(pin))
        .route("/saved/{id}/delete", axum::routing::post(unpin))
        .route("/find", get(find))
        .route("/work-orders", get(work_orders))
        .route("/peek/{kind}/{key}", get(peek))
        .route("/subscriptions", get(super::mailing::page).post(super::mailing::submit))
        .route("/subscriptions/{id}/{action}", axum::routing::post(super::mailing::act))
        .route("/sign-out", axum::routing::post(sign_out))
        .route_layer(middleware::from_fn_with_state(app, viewer));
    Router::new().merge(pages).route("/sign-in", get(sign_in_page).post(sign_in)).route("/assets/{name}", get(asset))
}

/// The signed-in user of a page, from the session cookie; without one, the way to the sign-in page.
async fn viewer(State(app): State<Shared>, mut req: Request, next: Next) -> Response {
    let secret = session_cookie(req.headers());
    let found = match &secret {
        Some(s) => oltp::auth::session(&app.db, s, unix_now(), app.policy).await,
        None => Ok(None),
    };
    let caller = match found {
        Ok(Some(c)) => c,
        Ok(None) => return to_sign_in(req.headers(), req.uri(), secret.is_some()),
        Err(e) => return page_error(None, &super::books_problem(&e)),
    };
    let safe = req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD;
    if !safe && !same_site(req.headers()) {
        return page_error(None, &Problem::forbidden("a form from another site may not change anything here"));
    }
    let user = caller.user_id;
    req.extensions_mut().insert(Who { caller, session: secret });
    let mut response = next.run(req).await;
    response.extensions_mut().insert(super::Served(user));
    response
}

/// To the sign-in page, coming back to this page (for a partial, the page it is part of) after.
fn to_sign_in(headers: &HeaderMap, uri: &axum::http::Uri, ended: bool) -> Response {
    let partial = headers.contains_key("hx-request");
    let back = if partial {
        headers
            .get("hx-current-url")
            .and_then(|v| v.to_str().ok())
            .and_then(|u| url::Url::parse(u).ok())
            .map(|u| format!("{}{}", u.path(), u.query().map(|q| format!("?{q}")).unwrap_or_default()))
            .unwrap_or_else(|| "/".into())
    } else {
        uri.path_and_query().map_or("/", |p| p.as_str()).to_string()
    };
    let mut to = format!("/sign-in?{}", dashboards::report::encode(&[("next", &back)]));
    if ended {
        to.push_str("&notice=ended");
    }
    if partial {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        if let Ok(v) = HeaderValue::from_str(&to) {
            r.headers_mut().insert("hx-redirect", v);
        }
        return r;
    }
    see_other(&to)
}

pub(crate) fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A path of this app to come back to: anything else (another site, `//host`) goes to the dashboard.
fn local(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next.to_string()
    } else {
        "/".into()
    }
}

pub(crate) fn html(status: u16, body: String) -> Response {
    let mut r = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
             font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r
}

/// A problem as a page, in plain words.
pub(crate) fn page_error(chrome: Option<Chrome>, p: &Problem) -> Response {
    let title = match p.status {
        404 => "Not found",
        403 => "Not allowed",
        400 | 422 => "Cannot show that",
        503 => "Not ready yet",
        _ => "Something went wrong",
    };
    html(p.status, render(&ErrorPage { chrome, status: p.status, title: title.into(), detail: p.detail.clone() }))
}

/// `GET /sign-in`.
async fn sign_in_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let next = local(q.get("next").map_or("/", String::as_str));
    // already signed in: straight on
    if let Some(s) = session_cookie(&headers)
        && let Ok(Some(_)) = oltp::auth::session(&app.db, &s, unix_now(), app.policy).await
    {
        return see_other(&next);
    }
    let notice = match q.get("notice").map(String::as_str) {
        Some("ended") => Some("Your session ended. Sign in again to go on where you were.".to_string()),
        Some("signed-out") => Some("You are signed out.".to_string()),
        _ => None,
    };
    html(200, render(&SignIn { next, username: String::new(), error: None, notice }))
}

/// `POST /sign-in` (a form): sets the session cookie and goes on to `next`.
async fn sign_in(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !same_site(&headers) {
        return page_error(None, &Problem::forbidden("a form from another site may not sign anyone in"));
    }
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (username, password, next) = (field("username"), field("password"), local(&field("next")));
    let again = |status: u16, error: String| {
        html(
            status,
            render(&SignIn { next: next.clone(), username: username.clone(), error: Some(error), notice: None }),
        )
    };
    let account = format!("0/{}", username.trim().to_lowercase());
    let address = peer.ip().to_string();
    if let Err(wait) = app.sign_ins.check(&account, &address) {
        return again(429, format!("Too many failed sign-ins. Try again in {} minutes.", wait.as_secs().div_ceil(60)));
    }
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let now = unix_now();
    let client = format!("{address} {agent}");
    match oltp::auth::sign_in(&app.db, None, &username, &password, &client, now, app.policy).await {
        Ok((_, issued)) => {
            app.sign_ins.succeeded(&account);
            let mut r = see_other(&next);
            if let Some(v) = set_session_cookie(&app, &issued, now) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(oltp::Error::Unauthenticated(_)) => {
            app.sign_ins.failed(&account, &address);
            again(401, "The username or password is not right.".into())
        }
        Err(e) => again(super::books_problem(&e).status, super::books_problem(&e).detail),
    }
}

/// `POST /sign-out`.
async fn sign_out(State(app): State<Shared>, Extension(who): Extension<Who>) -> Response {
    if let Some(secret) = &who.session
        && let Err(e) = oltp::auth::sign_out(&app.db, secret, unix_now()).await
    {
        return page_error(None, &super::books_problem(&e));
    }
    let mut r = see_other("/sign-in?notice=signed-out");
    if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// `GET /assets/{name}`: a built-in file, compressed when the browser takes gzip, kept a year when asked for
/// by its versioned URL.
async fn asset(Path(name): Path<String>, headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let Some(a) = dashboards::assets::get(&name) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let etag = format!("\"{}\"", a.hash());
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let (body, encoded) = match (gzip, a.gzipped()) {
        (true, Some(z)) => (z.to_vec(), true),
        _ => (a.body.to_vec(), false),
    };
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.content_type));
    if encoded {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let versioned = q.get("v").map(String::as_str) == Some(a.hash());
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if versioned { "public, max-age=31536000, immutable" } else { "no-cache" }),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    r
}

/// The frame of a page for `who`, narrowed to the store `scope=` names.
pub(crate) async fn chrome(
    app: &Shared,
    who: &Who,
    section: &'static str,
    path: &str,
    query: &[(String, String)],
) -> Result<Chrome, Problem> {
    let scope = scope_in(query)?;
    let (org, stores, _) = narrowed(app, who, scope).await?;
    Ok(Chrome {
        user: who.caller.display_name.clone(),
        org,
        stores: stores
            .into_iter()
            .map(|s| StoreChoice {
                id: s.id, label: format!("{} — {}", s.code, s.name), selected: Some(s.id) == scope
            })
            .collect(),
        scope,
        section,
        path: path.to_string(),
        query: query.iter().filter(|(k, _)| k != "scope" && k != "offset").cloned().collect(),
    })
}

/// `scope=` of a page's query.
fn scope_in(query: &[(String, String)]) -> Result<Option<i64>, Problem> {
    scope_param(query.iter().find(|(k, _)| k == "scope").map(|(_, v)| v.as_str()))
}

/// The caller's org name and stores, and what a page narrowed to the store `scope` reads within: a store that is
/// not one of theirs (another org's, or none) is not found.
async fn narrowed(
    app: &Shared,
    who: &Who,
    scope: Option<i64>,
) -> Result<(String, Vec<oltp::read::StoreRef>, oltp::read::Within), Problem> {
    let c = &who.caller;
    let mine = oltp::read::Within { org_id: c.org_id, stores: c.stores.clone() };
    let (org, stores) = oltp::read::place(&app.db, &mine).await.map_err(|e| super::books_problem(&e))?;
    if let Some(s) = scope
        && !stores.iter().any(|st| st.id == s)
    {
        return Err(Problem::not_found(format!("no store {s} among yours")));
    }
    let within = oltp::read::Within { org_id: c.org_id, stores: scope.map(|s| vec![s]).or_else(|| c.stores.clone()) };
    Ok((org, stores, within))
}

/// `GET /`: the dashboard's frame; its figures load beside it.
async fn dashboard(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let chrome = match chrome(&app, &who, "dashboard", "/", &query).await {
        Ok(c) => c,
        Err(p) => return page_error(None, &p),
    };
    let figures = chrome.link("/dashboard/figures");
    let failures = match failed_lately(&app, &who).await {
        Ok(f) => f,
        Err(e) => return page_error(Some(chrome), &super::books_problem(&e)),
    };
    html(200, render(&Dashboard { chrome, figures, failures }))
}

/// The user's own subscriptions whose last run in the past week failed, in words.
async fn failed_lately(app: &Shared, who: &Who) -> oltp::Result<Vec<String>> {
    let c = &who.caller;
    let week = unix_now() - 7 * 24 * 3600;
    let log = oltp::subscriptions::deliveries(&app.db, c.org_id, None, Some(c.user_id), 200).await?;
    let mut seen = std::collections::BTreeSet::new();
    Ok(log
        .iter()
        .filter(|d| d.claimed_at >= week && seen.insert(d.subscription_id) && d.status == "failed")
        .map(|d| {
            let when = reports::dates::in_zone(
                chrono::DateTime::from_timestamp(d.claimed_at, 0).unwrap_or_default(),
                &c.time_zone,
                "%Y-%m-%d %H:%M",
            );
            format!("“{}” on {when}: {}", d.subscription, d.error.as_deref().unwrap_or("no reason given"))
        })
        .collect())
}

/// `GET /dashboard/figures`: the counters and the chart, each the total of the report it links to; `since=`
/// the lake version the page shows, answered 204 (htmx keeps the page as it is) until the lake moves on.
async fn figures(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    match figures_of(&app, &who, &query).await {
        Ok(Some(f)) => html(200, render(&f)),
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(p) => html(
            p.status,
            format!("<div id=\"figures\"><p class=\"error\" role=\"alert\">{}</p></div>", escape(&p.detail)),
        ),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One report run for the dashboard on its context: its rows (at most 800) and totals, or `None` when the user may
/// not see the report.
async fn run_in(
    cx: &reports::Context<'_>,
    who: &Who,
    report: &str,
    params: Vec<(&str, String)>,
) -> Result<Option<Ran>, Problem> {
    if crate::authz::may_see(&who.caller, report).is_err() {
        return Ok(None);
    }
    let a = asked(report, params.into_iter().map(|(k, v)| (k.to_string(), v)).collect())?;
    let p = reports::prepare(cx, &a.req).await.map_err(|e| super::report_problem(&e))?;
    Ok(Some(ran(p, 800, 0, None).await?))
}

/// The page URL of a run's link, narrowed like the page.
fn page_of(link: &Link, scope: Option<i64>) -> String {
    dashboards::report::drill_urls(link, scope).0
}

fn total(r: &Ran, key: &str) -> Value {
    r.header.columns.iter().position(|c| c.key == key).map_or(Value::Null, |i| r.totals.0[i].clone())
}

fn this(r: &Ran) -> Link {
    Link { report: r.header.report, view: r.header.view, params: r.header.params.clone() }
}

async fn figures_of(app: &Shared, who: &Who, query: &[(String, String)]) -> Result<Option<Figures>, Problem> {
    let scope = scope_in(query)?;
    let (_, _, within) = narrowed(app, who, scope).await?;
    let state = app.lake.state().await.map_err(|e| super::lake_problem(&e))?;
    let version = state.as_ref().map_or(0, |s| s.watermark);
    if query.iter().any(|(k, v)| k == "since" && v.parse::<i64>().ok() == Some(version)) {
        return Ok(None);
    }
    let scoped = Scope::Org { org_id: within.org_id, stores: within.stores.clone() };
    let today = reports::dates::today_in(&who.caller.time_zone, chrono::Utc::now());
    let iso = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let t = iso(today);
    // every figure from one snapshot, the runs side by side (one turn of the lake's work: they are small)
    let _turn = app.lake_work.acquire().await.map_err(|_| Problem::internal())?;
    let snapshot = app.lake.snapshot().await.map_err(|e| super::lake_problem(&e))?;
    let cx =
        reports::Context::at(&snapshot, scoped, chrono::Utc::now()).await.map_err(|e| super::report_problem(&e))?;
    let window = ChartWindow::ending(today);
    let lanes = async {
        let mut lanes = Vec::new();
        for lane in ["received", "in_progress", "ready"] {
            let page = oltp::read::Page { limit: 1, offset: 0 };
            let n = oltp::read::work_orders(&app.db, &within, Some(lane), page)
                .await
                .map_err(|e| super::books_problem(&e))?;
            let mut href = format!("/work-orders?lane={lane}");
            if let Some(s) = scope {
                href.push_str(&format!("&scope={s}"));
            }
            lanes.push((lane.replace('_', " "), n.total, href));
        }
        Ok::<_, Problem>(lanes)
    };
    let day = |from: chrono::NaiveDate, to: chrono::NaiveDate| {
        vec![("by", "day".into()), ("from", iso(from)), ("to", iso(to))]
    };
    let (sold, open, ar, memo, inv, days, days_before, months, lanes) = tokio::try_join!(
        run_in(&cx, who, "gross_profit", day(today, today)),
        run_in(&cx, who, "ar_aging", vec![("view", "invoices".into()), ("bucket", "open".into())]),
        run_in(&cx, who, "ar_aging", vec![]),
        run_in(&cx, who, "memo_liability", vec![]),
        run_in(&cx, who, "inventory_aging", vec![]),
        run_in(&cx, who, "gross_profit", day(window.first, today)),
        run_in(&cx, who, "gross_profit", day(window.first_before, window.today_before)),
        run_in(
            &cx,
            who,
            "gross_profit",
            vec![("by", "month".into()), ("from", iso(window.months_from)), ("to", t.clone())]
        ),
        lanes,
    )?;
    let mut counters = Vec::new();
    if let Some(r) = sold {
        counters.push(Counter {
            id: "sales_today",
            label: "Today's sales".into(),
            value: total(&r, "revenue").display(),
            href: page_of(&this(&r), scope),
            part: None,
        });
    }
    if let Some(open) = open {
        counters.push(Counter {
            id: "open_invoices",
            label: "Open invoices".into(),
            value: Value::Count(open.row_count as i64).display(),
            href: page_of(&this(&open), scope),
            part: Some(Part {
                label: "Owed on them".into(),
                value: total(&open, "balance").display(),
                href: page_of(&this(&open), scope),
            }),
        });
    }
    if let Some(ar) = ar {
        // the oldest bucket: the last age column before the total
        let oldest = ar.header.columns.iter().rposition(|c| c.key.len() == 2 && c.key.starts_with('b'));
        counters.push(Counter {
            id: "ar_balance",
            label: "AR balance".into(),
            value: total(&ar, "net").display(),
            href: page_of(&this(&ar), scope),
            part: oldest.map(|i| {
                let c = &ar.header.columns[i];
                Part {
                    label: format!("{} days", c.label),
                    value: ar.totals.0[i].display(),
                    href: ar.totals.1.get(c.key).map_or_else(|| page_of(&this(&ar), scope), |l| page_of(l, scope)),
                }
            }),
        });
    }
    if let Some(m) = memo {
        counters.push(Counter {
            id: "memo_exposure",
            label: "Out on memo (cost)".into(),
            value: total(&m, "cost").display(),
            href: page_of(&this(&m), scope),
            part: Some(Part {
                label: "At retail".into(),
                value: total(&m, "retail").display(),
                href: page_of(&this(&m), scope),
            }),
        });
    }
    if let Some(inv) = inv {
        // the oldest age bucket (366+ days with the default edges): its row, or nothing in it
        let edges = inv.header.params.get("edges").map_or(3, |e| e.split(',').count());
        let oldest = format!("b{}", edges + 1);
        let (key, cost, label) = (col(&inv, "bucket_key"), col(&inv, "cost"), col(&inv, "bucket"));
        let row = inv.rows.iter().find(|(v, _)| key.is_some_and(|k| v[k] == Value::Text(oldest.clone())));
        let mut items = this(&inv);
        items.view = "items";
        items.params.insert("bucket".into(), oldest.clone());
        let last_edge = inv.header.params.get("edges").and_then(|e| e.rsplit(',').next()?.trim().parse::<i64>().ok());
        counters.push(Counter {
            id: "inventory",
            label: "Inventory at cost".into(),
            value: total(&inv, "cost").display(),
            href: page_of(&this(&inv), scope),
            part: Some(Part {
                label: match (row, label) {
                    (Some((v, _)), Some(l)) => format!("{} days", v[l].display()),
                    _ => format!("{}+ days", last_edge.map_or(366, |e| e + 1)),
                },
                value: row.zip(cost).map_or_else(|| Value::Money(0).display(), |((v, _), c)| v[c].display()),
                href: page_of(&items, scope),
            }),
        });
    }
    let chart = match (days, days_before, months) {
        (Some(d), Some(b), Some(m)) => sales_chart(&window, &d, &b, &m, scope),
        _ => SalesChart::default(),
    };
    let as_of = state.as_ref().map_or_else(|| "—".to_string(), |s| shown_time(&s.landed_at, &who.caller.time_zone));
    let mut refresh = format!("/dashboard/figures?since={version}");
    if let Some(s) = scope {
        refresh.push_str(&format!("&scope={s}"));
    }
    Ok(Some(Figures { counters, lanes, chart, as_of, refresh }))
}

fn col(r: &Ran, key: &str) -> Option<usize> {
    r.header.columns.iter().position(|c| c.key == key)
}

/// An RFC 3339 instant as people read it in the org's time zone.
fn shown_time(rfc3339: &str, tz: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => reports::dates::in_zone(t.with_timezone(&chrono::Utc), tz, "%Y-%m-%d %H:%M:%S"),
        Err(_) => rfc3339.to_string(),
    }
}

/// The sales chart's periods: the last 30 days to today, the same days a year earlier, and the 36 months whose last
/// 24 are shown (the 12 before them are the year-earlier line of the first 12).
struct ChartWindow {
    today: chrono::NaiveDate,
    first: chrono::NaiveDate,
    first_before: chrono::NaiveDate,
    today_before: chrono::NaiveDate,
    this_month: chrono::NaiveDate,
    months_from: chrono::NaiveDate,
}

impl ChartWindow {
    fn ending(today: chrono::NaiveDate) -> ChartWindow {
        use chrono::{Datelike as _, Days, Months};
        let year = Months::new(12);
        let first = today.checked_sub_days(Days::new(29)).unwrap_or(today);
        let this_month = today.with_day(1).unwrap_or(today);
        ChartWindow {
            today,
            first,
            first_before: first.checked_sub_months(year).unwrap_or(first),
            today_before: today.checked_sub_months(year).unwrap_or(today),
            this_month,
            months_from: this_month.checked_sub_months(Months::new(35)).unwrap_or(this_month),
        }
    }
}

/// Sales by day for the last 30 days and by month for the last 24, each beside the same period a year earlier,
/// from gross profit's revenue by day (`days`, `before`: the same days a year earlier) and by month (`months`).
fn sales_chart(w: &ChartWindow, days: &Ran, before: &Ran, months: &Ran, scope: Option<i64>) -> SalesChart {
    use chrono::Months;
    let year = Months::new(12);
    let iso = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let by = |r: &Ran| -> BTreeMap<String, (String, String)> {
        let (g, rev) = (col(r, "group").unwrap_or(0), col(r, "revenue").unwrap_or(0));
        r.rows
            .iter()
            .map(|(v, links)| {
                (v[g].display(), (v[rev].plain(), links.get("group").map(|l| page_of(l, scope)).unwrap_or_default()))
            })
            .collect()
    };
    let (now, before, months) = (by(days), by(before), by(months));
    let mut daily = Series::default();
    for d in w.first.iter_days().take_while(|d| *d <= w.today) {
        let key = iso(d);
        let earlier = d.checked_sub_months(year).map(iso).unwrap_or_default();
        let (sales, link) = now.get(&key).cloned().unwrap_or_else(|| ("0".into(), String::new()));
        daily.periods.push(key);
        daily.sales.push(sales);
        daily.links.push(link);
        daily.year_before.push(before.get(&earlier).map_or_else(|| "0".into(), |(s, _)| s.clone()));
    }
    let mut monthly = Series::default();
    for i in (0..24).rev() {
        let m = w.this_month.checked_sub_months(Months::new(i)).unwrap_or(w.this_month);
        let key = m.format("%Y-%m").to_string();
        let earlier = m.checked_sub_months(year).map(|e| e.format("%Y-%m").to_string()).unwrap_or_default();
        let (sales, link) = months.get(&key).cloned().unwrap_or_else(|| ("0".into(), String::new()));
        monthly.periods.push(key);
        monthly.sales.push(sales);
        monthly.links.push(link);
        monthly.year_before.push(months.get(&earlier).map_or_else(|| "0".into(), |(s, _)| s.clone()));
    }
    SalesChart { daily, monthly }
}

/// `GET /reports`: the user's pinned and recent reports, then the catalog by area.
async fn catalog(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let chrome = match chrome(&app, &who, "reports", "/reports", &query).await {
        Ok(c) => c,
        Err(p) => return page_error(None, &p),
    };
    let (org, user) = (who.caller.org_id, who.caller.user_id);
    let may = |id: &str| crate::authz::may_see(&who.caller, id).is_ok();
    let saved = match oltp::saved::list(&app.db, org, Some(user)).await {
        Ok(s) => s,
        Err(e) => return page_error(Some(chrome), &super::books_problem(&e)),
    };
    let visits = match oltp::visits::recent(&app.db, org, user, 8).await {
        Ok(v) => v,
        Err(e) => return page_error(Some(chrome), &super::books_problem(&e)),
    };
    let pinned = saved
        .into_iter()
        .filter(|s| may(&s.report))
        .map(|s| {
            let mut pairs: Vec<(&str, &str)> = s.view.as_deref().map(|v| vec![("view", v)]).unwrap_or_default();
            pairs.extend(s.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Shortcut {
                title: s.name.clone(),
                href: chrome.link(&format!("/reports/{}?{}", s.report, dashboards::report::encode(&pairs))),
                unpin: s.user_id.map(|_| s.id),
                note: if s.user_id.is_some() { "yours".into() } else { "shared with the org".into() },
            }
        })
        .collect();
    let recent = visits
        .into_iter()
        .filter(|v| may(&v.report))
        .map(|v| Shortcut {
            title: v.title,
            href: format!("/reports/{}?{}", v.report, v.query),
            unpin: None,
            note: chrono::DateTime::from_timestamp(v.visited_at, 0)
                .map(|t| reports::dates::in_zone(t, &who.caller.time_zone, "%Y-%m-%d %H:%M:%S"))
                .unwrap_or_default(),
        })
        .collect();
    let page = Catalog { pinned, recent, ..Catalog::new(chrome, may) };
    html(200, render(&page))
}

/// `POST /reports/{id}/pin` (a form: `name`, `query`): keeps the page as the user had it among their saved
/// reports, and goes back to it.
async fn pin(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let query = form.get("query").cloned().unwrap_or_default();
    let mut view = None;
    let mut params = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()).into_owned() {
        match k.as_str() {
            "view" => view = Some(v),
            "scope" | "limit" | "offset" | "drill" => {}
            _ => {
                params.insert(k, v);
            }
        }
    }
    if let Err(p) = crate::authz::may_see(&who.caller, &id).map_err(|d| Problem::from(&d)) {
        return page_error(None, &p);
    }
    let name = form.get("name").map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).unwrap_or_else(|| id.clone());
    let (org_id, user) = (who.caller.org_id, who.caller.user_id);
    // pinned again under the same name: the pin takes the filters on screen now
    let cmd = match oltp::saved::own(&app.db, org_id, Some(user), &name).await {
        Ok(Some(kept)) => oltp::ops::Command::UpdateSavedReport(oltp::saved::UpdateSavedReport {
            org_id,
            saved_report_id: kept.id,
            name: None,
            report: Some(id.clone()),
            view,
            params: Some(params),
            format: None,
        }),
        Ok(None) => oltp::ops::Command::CreateSavedReport(oltp::saved::CreateSavedReport {
            org_id,
            user_id: Some(user),
            name,
            report: id.clone(),
            view,
            params,
            format: None,
        }),
        Err(e) => return page_error(None, &super::books_problem(&e)),
    };
    match oltp::execute(&app.db, &ctx(&who), &cmd).await {
        Ok(_) => see_other(&format!("/reports/{id}?{query}")),
        Err(e) => page_error(None, &super::books_problem(&e)),
    }
}

/// `POST /saved/{id}/delete`: unpins one of the user's saved reports.
async fn unpin(State(app): State<Shared>, Extension(who): Extension<Who>, Path(id): Path<String>) -> Response {
    let Ok(saved_report_id) = id.parse::<i64>() else {
        return page_error(None, &Problem::not_found(format!("no saved report {id}")));
    };
    let cmd = oltp::ops::Command::DeleteSavedReport(oltp::saved::DeleteSavedReport {
        org_id: who.caller.org_id,
        saved_report_id,
    });
    match oltp::execute(&app.db, &ctx(&who), &cmd).await {
        Ok(_) => see_other("/reports"),
        Err(e) => page_error(None, &super::books_problem(&e)),
    }
}

/// The caller acting today in their org's time zone.
pub(crate) fn ctx(who: &Who) -> oltp::Ctx {
    oltp::Ctx {
        actor: Some(who.caller.user_id),
        today: reports::dates::today_in(&who.caller.time_zone, chrono::Utc::now()),
    }
}

/// The rows of a run as the views take them.
fn rows(r: &Ran) -> Rows<'_> {
    Rows {
        header: &r.header,
        rows: &r.rows,
        totals: &r.totals,
        row_count: r.row_count,
        offset: r.offset,
        limit: r.limit,
    }
}

/// `GET /reports/{id}`: a report's page — its filters (from the URL), a page of its rows with the totals of all,
/// a chart where one helps, and the downloads of exactly this.
async fn report(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let path = format!("/reports/{id}");
    let chrome = match chrome(&app, &who, "reports", &path, &query).await {
        Ok(c) => c,
        Err(p) => return page_error(None, &p),
    };
    let Ok(def) = reports::catalog::get(&id) else {
        return page_error(Some(chrome), &Problem::not_found(format!("no report {id}")));
    };
    if let Err(d) = crate::authz::may_see(&who.caller, &id) {
        return page_error(Some(chrome), &Problem::from(&d));
    }
    let mut q: Vec<(String, String)> = query.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
    if !q.iter().any(|(k, _)| k == "limit") {
        q.push(("limit".into(), SCREEN_ROWS.to_string()));
    }
    let r = async {
        let a = asked(&id, q)?;
        let _turn = app.lake_work.acquire().await.map_err(|_| Problem::internal())?;
        let (p, from) = prepared(&app, &who, a.scope, a.req, a.drill.as_deref()).await?;
        ran(p, a.limit, a.offset, from).await
    }
    .await;
    let r = match r {
        Ok(r) => r,
        // a record of another org, or none: not found, whatever the filter
        Err(p) if p.status == 404 || p.status == 403 => return page_error(Some(chrome), &p),
        Err(p) => {
            let view = query.iter().find(|(k, _)| k == "view").map(|(_, v)| v.as_str()).unwrap_or(def.views[0].name);
            let values: BTreeMap<String, String> = query.iter().cloned().collect();
            let page = ReportPage {
                fields: dashboards::report::fields(def, view, &values, &chrome.stores),
                chrome,
                id: def.id,
                title: def.title.to_string(),
                help: def.help.split("\n\n").map(str::to_string).collect(),
                tabs: tabs(def, view),
                view: def.views.iter().find(|v| v.name == view).map_or(def.views[0].name, |v| v.name),
                filters: Vec::new(),
                as_of: String::new(),
                table: empty_table(),
                chart: None,
                exports: Vec::new(),
                error: Some(p.detail),
                query: dashboards::report::encode(
                    &query
                        .iter()
                        .filter(|(k, _)| k != "offset")
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect::<Vec<_>>(),
                ),
            };
            return html(p.status, render(&page));
        }
    };
    let scope = chrome.scope;
    let here = this(&r);
    let page_url = |offset: usize| {
        let (url, _) = dashboards::report::drill_urls(&here, scope);
        format!("{url}&offset={offset}")
    };
    let table = Table::new(&rows(&r), scope, page_url);
    let q = dashboards::report::link_query(&here, scope);
    let exports = vec![
        ("PDF", format!("/api/v1/reports/{}/export.pdf?{q}", r.header.report)),
        ("Excel", format!("/api/v1/reports/{}/export.xlsx?{q}", r.header.report)),
        ("CSV", format!("/api/v1/reports/{}/export.csv?{q}", r.header.report)),
    ];
    let view = r.header.view;
    // the page as asked (a date left out stays "today" when it is opened again), without its paging and store
    let given: Vec<(&str, &str)> = query
        .iter()
        .filter(|(k, v)| !v.is_empty() && !matches!(k.as_str(), "offset" | "limit" | "scope"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let visit = dashboards::report::encode(&given);
    if let Err(e) = oltp::visits::record(
        &app.db,
        who.caller.org_id,
        who.caller.user_id,
        def.id,
        &r.header.title,
        &visit,
        unix_now(),
    )
    .await
    {
        tracing::warn!("recording a report visit: {e}");
    }
    let page = ReportPage {
        fields: dashboards::report::fields(def, view, &r.header.params, &chrome.stores),
        chart: dashboards::report::chart(&rows(&r)),
        chrome,
        id: def.id,
        title: r.header.title.clone(),
        help: def.help.split("\n\n").map(str::to_string).collect(),
        tabs: tabs(def, view),
        view,
        filters: r.header.filters.clone(),
        as_of: shown_time(&r.header.data_as_of, &who.caller.time_zone),
        table,
        exports,
        error: None,
        query: q,
    };
    html(200, render(&page))
}

fn tabs(def: &reports::define::Report, view: &str) -> Vec<Tab> {
    // the views that need a record (an invoice's lines) are reached by drilling, not offered as tabs
    def.views
        .iter()
        .filter(|v| !v.params.iter().any(|p| p.default == reports::param::Default::Required))
        .map(|v| Tab { name: v.name, title: v.title, current: v.name == view })
        .collect()
}

fn empty_table() -> Table {
    Table { columns: Vec::new(), rows: Vec::new(), totals: Vec::new(), row_count: 0, offset: 0, prev: None, next: None }
}

/// `GET /reports/{id}/drawer`: the rows behind a drilled cell, for the drawer.
async fn drawer(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let mut q: Vec<(String, String)> = query.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
    if !q.iter().any(|(k, _)| k == "limit") {
        q.push(("limit".into(), SCREEN_ROWS.to_string()));
    }
    let r = async {
        crate::authz::may_see(&who.caller, &id).map_err(|d| Problem::from(&d))?;
        let a = asked(&id, q)?;
        let _turn = app.lake_work.acquire().await.map_err(|_| Problem::internal())?;
        let (p, from) = prepared(&app, &who, a.scope, a.req, a.drill.as_deref()).await?;
        let r = ran(p, a.limit, a.offset, from).await?;
        Ok::<_, Problem>((r, a.scope))
    }
    .await;
    match r {
        Ok((r, scope)) => {
            let here = this(&r);
            let (page, _) = dashboards::report::drill_urls(&here, scope);
            let table = Table::new(&rows(&r), scope, |offset| format!("{page}&offset={offset}"));
            let d =
                Drawer { title: r.header.title.clone(), filters: r.header.filters.clone(), page, table, error: None };
            html(200, render(&d))
        }
        Err(p) => {
            let d = Drawer {
                title: "Cannot show these rows".into(),
                filters: Vec::new(),
                page: String::new(),
                table: empty_table(),
                error: Some(p.detail),
            };
            html(p.status, render(&d))
        }
    }
}

/// `GET /find?q=`: the quick find's matches under the search box.
async fn find(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let text = query.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    if text.is_empty() {
        return html(200, render(&FindResults { q: text, matches: Vec::new() }));
    }
    let within = match scope_param(query.get("scope").map(String::as_str)) {
        Ok(scope) => match narrowed(&app, &who, scope).await {
            Ok((_, _, within)) => within,
            Err(p) => return html(p.status, escape(&p.detail)),
        },
        Err(p) => return html(p.status, escape(&p.detail)),
    };
    let found = match oltp::read::find(&app.db, &within, &text).await {
        Ok(f) => f,
        Err(e) => return html(super::books_problem(&e).status, escape(&super::books_problem(&e).detail)),
    };
    let matches = found
        .into_iter()
        .map(|f| {
            let (kind, href) = match f.kind {
                "invoice" => ("Invoice", Some(format!("/peek/invoice/{}", f.id))),
                "contact" => ("Customer", Some(format!("/peek/customer/{}", f.id))),
                "item" => ("Item", Some(item_peek(&f.label))),
                "memo" => ("Memo", Some(format!("/peek/memo/{}", f.id))),
                _ => ("Work order", None),
            };
            Match { kind: kind.into(), label: f.label, detail: f.detail, href }
        })
        .collect();
    html(200, render(&FindResults { q: text, matches }))
}

/// `GET /work-orders?lane=`: one lane of the work-order board (open ones without a lane), promised first.
async fn work_orders(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let chrome = match chrome(&app, &who, "dashboard", "/work-orders", &query).await {
        Ok(c) => c,
        Err(p) => return page_error(None, &p),
    };
    if let Err(d) = crate::authz::may_read(&who.caller, "work_orders") {
        return page_error(Some(chrome), &Problem::from(&d));
    }
    let lane = query.iter().find(|(k, _)| k == "lane").map(|(_, v)| v.as_str()).filter(|v| !v.is_empty());
    let within = oltp::read::Within {
        org_id: who.caller.org_id,
        stores: chrome.scope.map(|s| vec![s]).or_else(|| who.caller.stores.clone()),
    };
    let page = oltp::read::Page { limit: 200, offset: 0 };
    let list = match oltp::read::work_orders(&app.db, &within, lane, page).await {
        Ok(l) => l,
        Err(e) => return page_error(Some(chrome), &super::books_problem(&e)),
    };
    let rows = list
        .rows
        .iter()
        .map(|w| {
            vec![
                plain(w.wo_no.clone()),
                plain(w.kind.clone()),
                plain(w.status.replace('_', " ")),
                match (&w.customer, w.customer_id) {
                    (Some(c), Some(id)) => (c.clone(), Some(format!("/peek/customer/{id}"))),
                    _ => plain(""),
                },
                plain(w.description.clone()),
                plain(w.opened_on.to_string()),
                plain(w.promised_on.map(|d| d.to_string()).unwrap_or_default()),
                plain(money(w.estimate)),
            ]
        })
        .collect();
    let grid = grid(
        "Work orders",
        &[
            ("Number", false),
            ("Kind", false),
            ("Lane", false),
            ("Customer", false),
            ("Description", false),
            ("Opened", false),
            ("Promised", false),
            ("Estimate", true),
        ],
        rows,
    );
    let lanes = std::iter::once((None, "open".to_string()))
        .chain(oltp::read::LANES.iter().map(|l| (Some(*l), l.replace('_', " "))))
        .map(|(l, label)| Lane {
            href: chrome.link(&l.map_or_else(|| "/work-orders".to_string(), |l| format!("/work-orders?lane={l}"))),
            current: l == lane,
            label,
        })
        .collect();
    let range = if list.total as usize > list.rows.len() {
        format!("Showing {} of {} work orders", list.rows.len(), count(list.total))
    } else {
        format!("{} work orders", count(list.total))
    };
    html(200, render(&WorkOrders { chrome, lanes, grid, range }))
}

/// The peek of a stock number (a path segment: a space is `%20`, never `+`).
fn item_peek(code: &str) -> String {
    format!("/peek/item/{}", dashboards::report::form(code).replace('+', "%20"))
}

fn money(m: oltp::types::Money) -> String {
    Value::Money(i128::from(m.as_cents())).display()
}

fn count(n: i64) -> String {
    Value::Count(n).display()
}

fn grid(caption: &str, head: &[(&str, bool)], rows: Vec<Vec<(String, Option<String>)>>) -> Grid {
    Grid { caption: caption.into(), head: head.iter().map(|(h, n)| (h.to_string(), *n)).collect(), rows }
}

fn plain(s: impl Into<String>) -> (String, Option<String>) {
    (s.into(), None)
}

/// `GET /peek/{invoice|customer|item|memo}/{id or stock number}`: a record at a glance, for the drawer, if it is the
/// caller's to see (another org's, or a store not theirs, is not found).
async fn peek(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path((kind, key)): Path<(String, String)>,
) -> Response {
    let within = oltp::read::Within { org_id: who.caller.org_id, stores: who.caller.stores.clone() };
    let id = || key.parse::<i64>().map_err(|_| Problem::not_found(format!("no {kind} {key}")));
    let found: Result<Peek, Problem> = async {
        let books = |e: oltp::Error| super::books_problem(&e);
        match kind.as_str() {
            "invoice" => {
                crate::authz::may_read(&who.caller, "invoices").map_err(|d| Problem::from(&d))?;
                let i = oltp::read::invoice(&app.db, &within, id()?).await.map_err(books)?;
                let h = &i.head;
                let balance = oltp::types::Money::cents(h.total.as_cents() - h.paid.as_cents());
                let lines = i
                    .lines
                    .iter()
                    .map(|l| {
                        vec![
                            plain(count(l.line_no)),
                            plain(l.kind.replace('_', " ")),
                            match &l.stock_no {
                                Some(s) => (s.clone(), Some(item_peek(s))),
                                None => plain(""),
                            },
                            plain(l.description.clone()),
                            plain(count(l.qty)),
                            plain(money(l.unit_price)),
                            plain(money(l.amount)),
                        ]
                    })
                    .collect();
                let payments = i
                    .payments
                    .iter()
                    .map(|p| {
                        vec![
                            plain(p.paid_on.to_string()),
                            plain(p.method.replace('_', " ")),
                            plain(p.reference.clone().unwrap_or_default()),
                            plain(money(p.amount)),
                            plain(p.voided_on.map(|d| format!("voided {d}")).unwrap_or_default()),
                        ]
                    })
                    .collect();
                let history = i
                    .history
                    .iter()
                    .map(|e| {
                        vec![
                            plain(shown_time(&e.at, &who.caller.time_zone)),
                            plain(e.actor.clone().unwrap_or_else(|| "operator".into())),
                            plain(format!("{} {}", e.entity.replace('_', " "), e.action)),
                        ]
                    })
                    .collect();
                Ok(Peek {
                    title: format!("Invoice {}", h.invoice_no),
                    facts: vec![
                        ("Customer".into(), h.customer.clone()),
                        ("Date".into(), h.invoice_date.to_string()),
                        ("Due".into(), h.due_date.to_string()),
                        ("Status".into(), h.status.clone()),
                        ("Subtotal".into(), money(i.subtotal)),
                        ("Tax".into(), money(oltp::types::Money::cents(i.tax.as_cents() + i.surtax.as_cents()))),
                        ("Total".into(), money(h.total)),
                        ("Paid".into(), money(h.paid)),
                        ("Balance".into(), money(balance)),
                    ],
                    grids: vec![
                        grid(
                            "Lines",
                            &[
                                ("Line", true),
                                ("Kind", false),
                                ("Stock no", false),
                                ("Description", false),
                                ("Qty", true),
                                ("Unit price", true),
                                ("Amount", true),
                            ],
                            lines,
                        ),
                        grid(
                            "Payments",
                            &[
                                ("Paid on", false),
                                ("Method", false),
                                ("Reference", false),
                                ("Amount", true),
                                ("", false),
                            ],
                            payments,
                        ),
                        grid("History", &[("When", false), ("Who", false), ("What", false)], history),
                    ],
                    error: None,
                })
            }
            "customer" => {
                crate::authz::may_read(&who.caller, "contacts").map_err(|d| Problem::from(&d))?;
                let c = oltp::read::contact(&app.db, &within, id()?).await.map_err(books)?;
                let filter = oltp::read::InvoiceFilter { customer_id: Some(c.id), ..Default::default() };
                let invoices = match crate::authz::may_read(&who.caller, "invoices") {
                    Ok(()) => {
                        oltp::read::invoices(&app.db, &within, &filter, oltp::read::Page { limit: 10, offset: 0 })
                            .await
                            .map_err(books)?
                            .rows
                    }
                    Err(_) => Vec::new(),
                };
                let rows = invoices
                    .iter()
                    .map(|i| {
                        vec![
                            (i.invoice_no.clone(), Some(format!("/peek/invoice/{}", i.id))),
                            plain(i.invoice_date.to_string()),
                            plain(i.status.clone()),
                            plain(money(i.total)),
                            plain(money(i.paid)),
                        ]
                    })
                    .collect();
                let mut kinds = Vec::new();
                if c.customer {
                    kinds.push("customer");
                }
                if c.vendor {
                    kinds.push("vendor");
                }
                Ok(Peek {
                    title: c.name.clone(),
                    facts: vec![
                        ("Email".into(), c.email.clone().unwrap_or_default()),
                        ("Phone".into(), c.phone.clone().unwrap_or_default()),
                        ("Kind".into(), kinds.join(", ")),
                    ],
                    grids: vec![grid(
                        "Latest invoices",
                        &[("Invoice", false), ("Date", false), ("Status", false), ("Total", true), ("Paid", true)],
                        rows,
                    )],
                    error: None,
                })
            }
            "item" => {
                crate::authz::may_read(&who.caller, "items").map_err(|d| Problem::from(&d))?;
                let i = oltp::read::item(&app.db, &within, &key).await.map_err(books)?;
                Ok(Peek {
                    title: format!("Stock {}", i.stock_no),
                    facts: vec![
                        ("Description".into(), i.description.clone()),
                        ("Style".into(), i.style_no.clone()),
                        ("Family".into(), i.family.clone()),
                        ("Category".into(), i.category.clone()),
                        ("Store".into(), i.store.clone()),
                        ("Status".into(), i.status.replace('_', " ")),
                        ("On hand".into(), count(i.qty_on_hand)),
                        ("On memo".into(), count(i.qty_on_memo)),
                        ("Retail".into(), money(i.retail_price)),
                        ("Ownership".into(), i.ownership.clone()),
                    ],
                    grids: Vec::new(),
                    error: None,
                })
            }
            "memo" => {
                crate::authz::may_read(&who.caller, "memos").map_err(|d| Problem::from(&d))?;
                let (m, lines) = oltp::read::memo(&app.db, &within, id()?).await.map_err(books)?;
                let rows = lines
                    .iter()
                    .map(|l| {
                        vec![
                            plain(count(l.line_no)),
                            (l.stock_no.clone(), Some(item_peek(&l.stock_no))),
                            plain(l.description.clone()),
                            plain(count(l.qty)),
                            plain(money(l.memo_price)),
                            plain(l.status.clone()),
                            plain(l.resolved_on.map(|d| d.to_string()).unwrap_or_default()),
                        ]
                    })
                    .collect();
                Ok(Peek {
                    title: format!("Memo {}", m.memo_no),
                    facts: vec![
                        ("Customer".into(), m.customer.clone()),
                        ("Date".into(), m.memo_date.to_string()),
                        ("Due back".into(), m.due_date.map(|d| d.to_string()).unwrap_or_default()),
                        ("Lines out".into(), count(m.lines_out)),
                        ("Out at memo price".into(), money(m.value_out)),
                    ],
                    grids: vec![grid(
                        "Lines",
                        &[
                            ("Line", true),
                            ("Stock no", false),
                            ("Description", false),
                            ("Qty", true),
                            ("Memo price", true),
                            ("Status", false),
                            ("Resolved", false),
                        ],
                        rows,
                    )],
                    error: None,
                })
            }
            _ => Err(Problem::not_found(format!("nothing to peek at called {kind}"))),
        }
    }
    .await;
    match found {
        Ok(p) => html(200, render(&p)),
        Err(p) => {
            let title = if p.status == 404 { "Not found" } else { "Cannot show this" };
            html(
                p.status,
                render(&Peek { title: title.into(), facts: Vec::new(), grids: Vec::new(), error: Some(p.detail) }),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_path_of_this_app_is_gone_back_to() {
        assert_eq!(local("/reports/ar_aging?view=invoices"), "/reports/ar_aging?view=invoices");
        for away in ["https://evil.example/", "//evil.example", "/\\evil.example", "reports", ""] {
            assert_eq!(local(away), "/", "{away}");
        }
    }
}
