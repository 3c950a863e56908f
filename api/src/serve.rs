//! `loupe serve`: the HTTP API. One process answers every route and lands the books' changes in the lake as they
//! are committed (the `etl sync --follow` loop, in-process), so a change posted here shows in a report within
//! the loop's pause. Every route under `/api/v1` but sign-in goes through [`auth::authenticate`]: the caller comes
//! from a session cookie or a bearer token, never from the request's words, and [`crate::authz`] decides what
//! they may do. Errors are RFC 9457 problems ([`crate::problem`]). With mail settings the scheduler runs beside
//! them too ([`crate::scheduler`]), sending subscriptions' due runs. Ctrl-C or SIGTERM stops taking connections,
//! lets the requests in flight finish, and stops the lake's loop at a batch boundary.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use etl::Lake;
use oltp::Db;
use oltp::auth::Policy;
use serde::Serialize;

use crate::problem::Problem;

mod auth;
mod limit;
mod mailing;
mod openapi;
mod ops;
mod pages;
mod reads;
mod reports;
mod sql;

/// The largest request body taken: a command with a few thousand lines fits well within it.
pub const MAX_BODY: usize = 1024 * 1024;

/// What every handler shares.
pub struct App {
    /// The books.
    pub db: Db,
    /// The lake.
    pub lake: Lake,
    /// How long sessions live.
    pub policy: Policy,
    /// Mark the session cookie `Secure` (the server is reached over HTTPS, through a proxy that terminates it).
    pub secure_cookies: bool,
    /// Failed sign-ins, per account and per client address.
    pub(crate) sign_ins: limit::SignIns,
    /// Report runs, exports and console queries at once: one per core. Each reads whole tables of the lake
    /// and holds what it reads until it answers, so the process's memory is bounded by this many of them
    /// rather than by how many arrive together; the rest wait their turn.
    pub(crate) lake_work: Arc<tokio::sync::Semaphore>,
    /// Sends subscriptions' runs (the scheduler and "send now"); `None` without mail settings.
    pub(crate) sender: Option<Arc<crate::deliver::Sender>>,
}

impl App {
    /// An app over `db` and `lake` with the default session policy and sign-in limits.
    pub fn new(db: Db, lake: Lake, secure_cookies: bool) -> App {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        App {
            db,
            lake,
            policy: Policy::default(),
            secure_cookies,
            sign_ins: limit::SignIns::default(),
            lake_work: Arc::new(tokio::sync::Semaphore::new(cores)),
            sender: None,
        }
    }

    /// The app with mail: the scheduler runs beside the server and "send now" sends, through `outbox`, pausing
    /// `backoff` between tries ([`crate::deliver::BACKOFF`]).
    #[must_use]
    pub fn with_mail(mut self, outbox: crate::mail::Outbox, backoff: Vec<std::time::Duration>) -> App {
        self.sender = Some(Arc::new(crate::deliver::Sender {
            db: self.db.clone(),
            lake: self.lake.clone(),
            outbox,
            backoff,
            lake_work: self.lake_work.clone(),
        }));
        self
    }
}

type Shared = Arc<App>;

/// What `loupe serve` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The lake loop's pause between syncs.
    pub etl_every: Duration,
}

/// Every route.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/session", get(auth::me).delete(auth::sign_out))
        .route("/sessions", get(auth::sessions))
        .route("/sessions/{id}", delete(auth::revoke_session))
        .route("/tokens", get(auth::tokens).post(auth::create_token))
        .route("/tokens/{id}", delete(auth::revoke_token))
        .route("/ops/{op}", post(ops::run))
        .route("/items/{code}", get(reads::item))
        .route("/invoices", get(reads::invoices))
        .route("/invoices/{id}", get(reads::invoice))
        .route("/contacts", get(reads::contacts))
        .route("/memos", get(reads::memos))
        .route("/work-orders", get(reads::work_orders))
        .route("/subscriptions", get(reads::subscriptions))
        .route("/subscriptions/{id}/deliveries", get(reads::deliveries))
        .route("/subscriptions/{id}/send", post(mailing::api_send))
        .route("/find", get(reads::find))
        .route("/reports", get(reports::catalog))
        .route("/reports/{id}", get(reports::describe))
        .route("/reports/{id}/{action}", get(reports::run))
        .route("/sql", post(sql::run))
        .route_layer(middleware::from_fn_with_state(app.clone(), auth::authenticate))
        // signing in and the API's description are the routes without a caller
        .route("/session", post(auth::sign_in))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(openapi::docs));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .nest("/api/v1", api)
        .merge(pages::routes(app.clone()))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(log))
        .with_state(app)
}

/// Serves on `options.listen` until Ctrl-C or SIGTERM.
pub async fn run(app: Arc<App>, options: Options) -> Result<()> {
    let listener =
        std::net::TcpListener::bind(options.listen).with_context(|| format!("cannot listen on {}", options.listen))?;
    eprintln!("loupe serves http://{} (Ctrl-C stops)", listener.local_addr()?);
    match &app.sender {
        Some(s) => eprintln!("scheduled reports are mailed to {}", s.outbox.target),
        None => eprintln!(
            "scheduled reports are not sent: no mail settings (--smtp-url, LOUPE_SMTP_URL, or smtp_url in the data \
             directory's settings.json)"
        ),
    }
    serve(listener, app, options.etl_every, shutdown()).await?;
    eprintln!("stopped: the requests in flight finished and the lake's loop stopped at a batch boundary");
    Ok(())
}

/// Serves on `listener` until `stop` resolves, with the lake's loop beside it (a sync every `etl_every`); then
/// lets the requests in flight finish and stops the loop at its next batch boundary.
pub async fn serve(
    listener: std::net::TcpListener,
    app: Arc<App>,
    etl_every: Duration,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let halt = Arc::new(AtomicBool::new(false));
    let etl = tokio::spawn(follow(app.clone(), halt.clone(), etl_every));
    let scheduler = app.sender.clone().map(|sender| {
        let scheduler = crate::scheduler::Scheduler::new(sender, crate::scheduler::Scheduler::this_server());
        tokio::spawn(scheduler.run(halt.clone(), crate::scheduler::EVERY))
    });
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service).with_graceful_shutdown(stop).await;
    halt.store(true, Ordering::Relaxed);
    if let Err(e) = etl.await {
        tracing::error!(target: "loupe_etl", "the lake's loop failed: {e}");
    }
    if let Some(Err(e)) = match scheduler {
        Some(s) => Some(s.await),
        None => None,
    } {
        tracing::error!(target: "loupe_mail", "the scheduler failed: {e}");
    }
    served.context("the server failed")
}

/// The lake's loop: lands changes as they are committed until `stop`; a failure is logged and retried, so the
/// API keeps answering (and `/readyz` shows the lag) while the lake is unreachable.
async fn follow(app: Arc<App>, stop: Arc<AtomicBool>, every: Duration) {
    while !stop.load(Ordering::Relaxed) {
        let landed = &mut |r: &etl::SyncReport| {
            tracing::info!(
                target: "loupe_etl",
                changes = r.changes,
                batches = r.batches,
                ms = r.elapsed.as_millis() as u64,
                watermark = r.watermark,
                "landed"
            );
        };
        match etl::follow(&app.db, &app.lake, &stop, every, landed).await {
            Ok(()) => return,
            Err(e) => tracing::error!(target: "loupe_etl", "landing changes failed, retrying in 5 s: {e}"),
        }
        let until = Instant::now() + Duration::from_secs(5);
        while !stop.load(Ordering::Relaxed) && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The user a response was made for, for the request log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Served(pub(crate) i64);

/// One line per request: method, path, status, milliseconds and the user — never the query string, a body or a
/// header, where passwords, tokens and cookies travel.
async fn log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let response = next.run(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let user = response.extensions().get::<Served>().map_or_else(|| "-".to_string(), |u| u.0.to_string());
    tracing::info!(target: "loupe_http", "{method} {path} {} {ms:.1}ms user={user}", response.status().as_u16());
    response
}

/// `GET /healthz`: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, description = "The process is up", body = String, content_type = "text/plain")))]
async fn healthz() -> &'static str {
    "ok\n"
}

/// What `/readyz` answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Ready {
    /// `ready`, or `unavailable` when the books or the lake cannot be read.
    status: &'static str,
    /// The books answer.
    books: bool,
    /// The lake's state can be read.
    lake: bool,
    /// The books' last change.
    last_change: Option<i64>,
    /// The last change the lake holds.
    watermark: Option<i64>,
    /// Changes not yet in the lake.
    pending: Option<i64>,
    /// When the oldest of them was made.
    oldest_pending_at: Option<String>,
    /// When the lake last landed a batch.
    landed_at: Option<String>,
}

/// `GET /readyz`: the books open, the lake readable, and how far the lake is behind the books.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()), responses(
    (status = 200, description = "The books and the lake can be read; how far the lake is behind", body = Ready),
    (status = 503, description = "The books or the lake cannot be read", body = Ready)))]
async fn readyz(State(app): State<Shared>) -> Response {
    let status = etl::status(&app.db, &app.lake).await;
    let ready = match status {
        Ok(s) => Ready {
            status: "ready",
            books: true,
            lake: true,
            last_change: Some(s.last_change),
            watermark: Some(s.watermark),
            pending: Some(s.pending),
            oldest_pending_at: s.oldest_pending_at,
            landed_at: s.landed_at,
        },
        Err(e) => {
            tracing::warn!("not ready: {e}");
            let books = app.db.last_change().await.is_ok();
            let lake = app.lake.state().await.is_ok();
            Ready {
                status: "unavailable",
                books,
                lake,
                last_change: None,
                watermark: None,
                pending: None,
                oldest_pending_at: None,
                landed_at: None,
            }
        }
    };
    let code = if ready.books && ready.lake { 200 } else { 503 };
    json(code, &ready)
}

/// Any other path.
async fn not_found(req: Request) -> Problem {
    Problem::not_found(format!("no route {} {}", req.method(), req.uri().path()))
}

/// `value` as a JSON response with `status`.
fn json<T: Serialize>(status: u16, value: &T) -> Response {
    let code = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
    match serde_json::to_vec(value) {
        Ok(body) => (code, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => {
            tracing::error!("cannot write a JSON answer: {e}");
            Problem::internal().into_response()
        }
    }
}

/// A problem from the books, logged when it is the server's own failure.
fn books_problem(e: &oltp::Error) -> Problem {
    let p = Problem::from(e);
    if p.status >= 500 {
        tracing::error!("books: {e}");
    }
    p
}

/// A problem from the report engine, logged when it is the server's own failure.
fn report_problem(e: &::reports::Error) -> Problem {
    let p = Problem::from(e);
    if p.status >= 500 {
        tracing::error!("reports: {e}");
    }
    p
}

/// A problem from the lake, logged when it is the server's own failure.
fn lake_problem(e: &warehouse::Error) -> Problem {
    let p = Problem::from(e);
    if p.status >= 500 && p.status != 503 {
        tracing::error!("lake: {e}");
    }
    p
}

/// The time now, as the books keep it (Unix seconds).
fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A JSON body, read by the handler itself so every refusal is a problem naming what is wrong: not JSON (400),
/// too large (413).
fn body_json(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<serde_json::Value, Problem> {
    let bytes = body.map_err(|e| Problem::bad_request(e.status().as_u16(), e.body_text()))?;
    if bytes.len() > MAX_BODY {
        return Err(Problem::bad_request(413, format!("the body is over {MAX_BODY} bytes")));
    }
    serde_json::from_slice(&bytes).map_err(|e| Problem::bad_request(400, format!("the body is not JSON: {e}")))
}

/// A body as a `T`, naming the field at fault.
fn body_as<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let why = e.into_inner().to_string();
        let field =
            if path.is_empty() || path == "." { why.split('`').nth(1).unwrap_or("body").to_string() } else { path };
        Problem::invalid(&field, "(given)", &why)
    })
}
