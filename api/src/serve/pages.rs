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
use dashboards::report::{Catalog, Drawer, ReportPage, Rows, Tab, Table};
use dashboards::{Chrome, ErrorPage, FindResults, Match, SignIn, StoreChoice, render};
use reports::Scope;
use reports::model::{Link, Value};

use super::auth::{COOKIE, Who, same_site, session_cookie, set_session_cookie};
use super::reports::{Ran, asked, prepared, ran, scope_of};
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
        .route("/find", get(find))
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

fn see_other(to: &str) -> Response {
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

fn html(status: u16, body: String) -> Response {
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
fn page_error(chrome: Option<Chrome>, p: &Problem) -> Response {
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
async fn chrome(
    app: &Shared,
    who: &Who,
    section: &'static str,
    path: &str,
    query: &[(String, String)],
) -> Result<Chrome, Problem> {
    let scope = query.iter().find(|(k, _)| k == "scope").and_then(|(_, v)| v.parse::<i64>().ok());
    let within = oltp::read::Within { org_id: who.caller.org_id, stores: who.caller.stores.clone() };
    let (org, stores) = oltp::read::place(&app.db, &within).await.map_err(|e| super::books_problem(&e))?;
    if let Some(s) = scope
        && !stores.iter().any(|st| st.id == s)
    {
        return Err(Problem::not_found(format!("no store {s} among yours")));
    }
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
    html(200, render(&Dashboard { chrome, figures }))
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

/// One report run for a counter: its totals and rows (at most `rows`) on the caller's scope.
async fn run_for(
    app: &Shared,
    who: &Who,
    scope: Option<i64>,
    report: &str,
    params: &[(&str, &str)],
) -> Result<Ran, Problem> {
    let mut q: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    if let Some(s) = scope {
        q.push(("scope".into(), s.to_string()));
    }
    let a = asked(report, q)?;
    crate::authz::may_see(&who.caller, report).map_err(|d| Problem::from(&d))?;
    let _turn = app.lake_work.acquire().await.map_err(|_| Problem::internal())?;
    let (p, _) = prepared(app, who, a.scope, a.req, None).await?;
    ran(p, SCREEN_ROWS.max(800), 0, None).await
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
    let scope = query.iter().find(|(k, _)| k == "scope").and_then(|(_, v)| v.parse::<i64>().ok());
    scope_of(&who.caller, scope)?;
    let state = app.lake.state().await.map_err(|e| super::lake_problem(&e))?;
    let version = state.as_ref().map_or(0, |s| s.watermark);
    if query.iter().any(|(k, v)| k == "since" && v.parse::<i64>().ok() == Some(version)) {
        return Ok(None);
    }
    let today = reports::dates::today_in(&who.caller.time_zone, chrono::Utc::now());
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let t = day(today);
    let may = |r: &str| crate::authz::may_see(&who.caller, r).is_ok();
    let mut counters = Vec::new();
    if may("gross_profit") {
        let r = run_for(app, who, scope, "gross_profit", &[("by", "day"), ("from", &t), ("to", &t)]).await?;
        counters.push(Counter {
            id: "sales_today",
            label: "Today's sales".into(),
            value: total(&r, "revenue").display(),
            href: page_of(&this(&r), scope),
            part: None,
        });
    }
    if may("ar_aging") {
        let open = run_for(app, who, scope, "ar_aging", &[("view", "invoices"), ("bucket", "open")]).await?;
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
        let ar = run_for(app, who, scope, "ar_aging", &[]).await?;
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
    if may("memo_liability") {
        let m = run_for(app, who, scope, "memo_liability", &[]).await?;
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
    if may("inventory_aging") {
        let inv = run_for(app, who, scope, "inventory_aging", &[]).await?;
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
    let within = oltp::read::Within {
        org_id: who.caller.org_id,
        stores: match scope_of(&who.caller, scope)? {
            Scope::Org { stores, .. } => stores,
            Scope::Operator => None,
        },
    };
    let mut lanes = Vec::new();
    for lane in ["received", "in_progress", "ready"] {
        let page = oltp::read::Page { limit: 1, offset: 0 };
        let n =
            oltp::read::work_orders(&app.db, &within, Some(lane), page).await.map_err(|e| super::books_problem(&e))?;
        lanes.push((lane.replace('_', " "), n.total, format!("/api/v1/work-orders?lane={lane}")));
    }
    let chart = if may("gross_profit") { sales_chart(app, who, scope, today).await? } else { SalesChart::default() };
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
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else { return rfc3339.to_string() };
    match tz.parse::<chrono_tz::Tz>() {
        Ok(z) => t.with_timezone(&z).format("%Y-%m-%d %H:%M:%S %Z").to_string(),
        Err(_) => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    }
}

/// Sales by day for the last 30 days and by month for the last 24, each beside the same period a year earlier:
/// gross profit's revenue, by day and by month.
async fn sales_chart(
    app: &Shared,
    who: &Who,
    scope: Option<i64>,
    today: chrono::NaiveDate,
) -> Result<SalesChart, Problem> {
    use chrono::{Datelike as _, Days, Months};
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
    // daily: the last 30 days, and the same 30 days a year earlier
    let first = today.checked_sub_days(Days::new(29)).unwrap_or(today);
    let now =
        run_for(app, who, scope, "gross_profit", &[("by", "day"), ("from", &iso(first)), ("to", &iso(today))]).await?;
    let (f0, t0) = (first.checked_sub_months(year).unwrap_or(first), today.checked_sub_months(year).unwrap_or(today));
    let before =
        run_for(app, who, scope, "gross_profit", &[("by", "day"), ("from", &iso(f0)), ("to", &iso(t0))]).await?;
    let (now, before) = (by(&now), by(&before));
    let mut daily = Series::default();
    let mut d = first;
    while d <= today {
        let key = iso(d);
        let earlier = d.checked_sub_months(year).map(iso).unwrap_or_default();
        let (sales, link) = now.get(&key).cloned().unwrap_or_else(|| ("0".into(), String::new()));
        daily.periods.push(key);
        daily.sales.push(sales);
        daily.links.push(link);
        daily.year_before.push(before.get(&earlier).map_or_else(|| "0".into(), |(s, _)| s.clone()));
        d = d.succ_opt().unwrap_or(today.succ_opt().unwrap_or(today));
        if d == first {
            break;
        }
    }
    // monthly: 24 months to this one, and the 24 before each by a year — one run over 36 months
    let this_month = today.with_day(1).unwrap_or(today);
    let start = this_month.checked_sub_months(Months::new(35)).unwrap_or(this_month);
    let months =
        by(&run_for(app, who, scope, "gross_profit", &[("by", "month"), ("from", &iso(start)), ("to", &iso(today))])
            .await?);
    let mut monthly = Series::default();
    for i in (0..24).rev() {
        let m = this_month.checked_sub_months(Months::new(i)).unwrap_or(this_month);
        let key = m.format("%Y-%m").to_string();
        let earlier = m.checked_sub_months(year).map(|e| e.format("%Y-%m").to_string()).unwrap_or_default();
        let (sales, link) = months.get(&key).cloned().unwrap_or_else(|| ("0".into(), String::new()));
        monthly.periods.push(key);
        monthly.sales.push(sales);
        monthly.links.push(link);
        monthly.year_before.push(months.get(&earlier).map_or_else(|| "0".into(), |(s, _)| s.clone()));
    }
    Ok(SalesChart { daily, monthly })
}

/// `GET /reports`: the catalog by area.
async fn catalog(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    match chrome(&app, &who, "reports", "/reports", &query).await {
        Ok(c) => html(200, render(&Catalog::new(c, |id| crate::authz::may_see(&who.caller, id).is_ok()))),
        Err(p) => page_error(None, &p),
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
    let scope = query.get("scope").and_then(|s| s.parse::<i64>().ok());
    let stores = match scope_of(&who.caller, scope) {
        Ok(Scope::Org { stores, .. }) => stores,
        Ok(Scope::Operator) => None,
        Err(p) => return html(p.status, escape(&p.detail)),
    };
    let within = oltp::read::Within { org_id: who.caller.org_id, stores };
    let found = match oltp::read::find(&app.db, &within, &text).await {
        Ok(f) => f,
        Err(e) => return html(super::books_problem(&e).status, escape(&super::books_problem(&e).detail)),
    };
    let scoped = |s: String| match scope {
        Some(n) => format!("{s}&scope={n}"),
        None => s,
    };
    let matches = found
        .into_iter()
        .map(|f| {
            let (kind, href) = match f.kind {
                "invoice" => ("Invoice", Some(scoped(format!("/reports/ar_aging?view=history&invoice={}", f.id)))),
                "contact" => ("Customer", Some(scoped(format!("/reports/ar_aging?view=invoices&customer={}", f.id)))),
                "item" => ("Item", None),
                "memo" => ("Memo", None),
                _ => ("Work order", None),
            };
            Match { kind: kind.into(), label: f.label, detail: f.detail, href }
        })
        .collect();
    html(200, render(&FindResults { q: text, matches }))
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
