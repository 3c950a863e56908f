//! The subscriptions page (`/subscriptions`): the user's subscriptions (an owner's or a manager's: the org's)
//! with their next run and last delivery, "send now" (the scheduler's own code, in the background), pause and
//! resume; a form that previews the mail a subscription would send now and saves it through the same command
//! and checks as the API; and the delivery log.

use std::collections::BTreeMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use dashboards::mailing::{Form, Preview, Row, Subscriptions};
use dashboards::{Chrome, Grid, render};
use oltp::subscriptions::{Recipient, Subscribed, Subscription};

use super::Shared;
use super::auth::Who;
use super::pages::{chrome, ctx, html, page_error, see_other};
use crate::problem::Problem;

/// Deliveries the log shows.
const LOG_ROWS: i64 = 30;

/// `GET /subscriptions` (`sent=`, `made=`, `paused=`, `resumed=`: what just happened).
pub(crate) async fn page(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let chrome = match frame(&app, &who, &query).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let list = match mine(&app, &who).await {
        Ok(l) => l,
        Err(p) => return page_error(Some(chrome), &p),
    };
    let name_of = |id: &str| {
        let id: i64 = id.parse().unwrap_or_default();
        list.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_else(|| format!("subscription {id}"))
    };
    let notice = query.iter().find_map(|(k, v)| match k.as_str() {
        "sent" => Some(format!("Sending \"{}\" now: the delivery log below shows how it went.", name_of(v))),
        "made" => Some(format!("Saved \"{}\".", name_of(v))),
        "changed" => Some(format!("Changed \"{}\".", name_of(v))),
        "paused" => Some(format!("Paused \"{}\".", name_of(v))),
        "resumed" => Some(format!("Resumed \"{}\": it goes at its next slot.", name_of(v))),
        "busy" => Some(format!("\"{}\" is still being sent: the delivery log below shows it when done.", name_of(v))),
        _ => None,
    });
    let editing = query.iter().find(|(k, _)| k == "edit").and_then(|(_, v)| v.parse::<i64>().ok());
    let form = match editing.and_then(|id| list.iter().find(|s| s.id == id && may_edit(&who, s))) {
        Some(s) => match filled(&app, &who, s).await {
            Ok(f) => f,
            Err(p) => return page_error(Some(chrome), &p),
        },
        None => Form {
            format: "xlsx".into(),
            cron: "0 7 * * 1".into(),
            time_zone: who.caller.time_zone.clone(),
            reports: offered(&who, &[]),
            ..Form::default()
        },
    };
    show(&app, &who, chrome, list, form, None, notice, None).await
}

/// `POST /subscriptions` (a form; `action=preview` shows what it would send now, `action=create` saves it).
pub(crate) async fn submit(State(app): State<Shared>, Extension(who): Extension<Who>, body: Bytes) -> Response {
    let chrome = match frame(&app, &who, &[]).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let one = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let chosen: Vec<String> = pairs.iter().filter(|(k, _)| k == "report").map(|(_, v)| v.clone()).collect();
    let editing = one("id").parse::<i64>().ok();
    let form = Form {
        editing,
        name: one("name"),
        reports: offered(&who, &chosen),
        params: one("params"),
        format: one("format"),
        to: one("to"),
        cron: one("cron"),
        time_zone: one("time_zone"),
        per_recipient: !one("per_recipient").is_empty(),
        skip_if_empty: !one("skip_if_empty").is_empty(),
    };
    let list = match mine(&app, &who).await {
        Ok(l) => l,
        Err(p) => return page_error(Some(chrome), &p),
    };
    let cmd = match command(&app, &who, &form, &chosen).await {
        Ok(c) => c,
        Err(e) => return show(&app, &who, chrome, list, form, None, None, Some(e)).await,
    };
    if one("action") == "preview" {
        // in the scope it will run with: its owner's (an owner of the org may be changing another's)
        let owner = match editing.and_then(|id| list.iter().find(|s| s.id == id)) {
            // only one who may change it previews it as its owner (never more than the user sees: an owner of
            // the org with every store)
            Some(s) if s.owner_id != who.caller.user_id && may_edit(&who, s) => {
                oltp::auth::caller(&app.db, s.owner_id).await.ok().flatten().unwrap_or_else(|| who.caller.clone())
            }
            _ => who.caller.clone(),
        };
        return match preview(&app, &who, &owner, &cmd).await {
            Ok(p) => show(&app, &who, chrome, list, form, Some(p), None, None).await,
            Err(e) => show(&app, &who, chrome, list, form, None, None, Some(e)).await,
        };
    }
    let cmd = match editing {
        None => oltp::ops::Command::CreateSubscription(cmd),
        Some(id) => {
            // a report kept keeps its view
            let Some(old) = list.iter().find(|s| s.id == id && may_edit(&who, s)) else {
                return page_error(Some(chrome), &Problem::not_found(format!("no subscription {id}")));
            };
            let reports = cmd
                .reports
                .into_iter()
                .map(|r| {
                    let view = old.reports.iter().find(|o| o.report == r.report).and_then(|o| o.view.clone());
                    Subscribed { view, ..r }
                })
                .collect();
            oltp::ops::Command::UpdateSubscription(oltp::subscriptions::UpdateSubscription {
                org_id: cmd.org_id,
                subscription_id: id,
                name: Some(cmd.name),
                reports: Some(reports),
                format: Some(cmd.format),
                recipients: Some(cmd.recipients),
                cron: Some(cmd.cron),
                time_zone: Some(cmd.time_zone),
                per_recipient: Some(cmd.per_recipient),
                skip_if_empty: Some(cmd.skip_if_empty),
            })
        }
    };
    if let Err(p) = super::ops::check_reports(&app, &who, &cmd).await {
        return show(&app, &who, chrome, list, form, None, None, Some(words(&p))).await;
    }
    let done = if editing.is_some() { "changed" } else { "made" };
    match oltp::execute(&app.db, &ctx(&who), &cmd).await {
        Ok(out) => see_other(&format!("/subscriptions?{done}={}", out.id)),
        Err(e) => {
            let p = super::books_problem(&e);
            show(&app, &who, chrome, list, form, None, None, Some(words(&p))).await
        }
    }
}

/// `POST /subscriptions/{id}/send|pause|resume`.
pub(crate) async fn act(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path((id, action)): Path<(i64, String)>,
) -> Response {
    let org_id = who.caller.org_id;
    let list = match mine(&app, &who).await {
        Ok(l) => l,
        Err(p) => return page_error(None, &p),
    };
    let Some(sub) = list.iter().find(|s| s.id == id) else {
        return page_error(None, &Problem::not_found(format!("no subscription {id}")));
    };
    if !may_change(&who, sub) {
        return page_error(
            None,
            &Problem::forbidden("a subscription is sent or changed by its owner, an owner or a manager"),
        );
    }
    match action.as_str() {
        "send" => {
            let Some(sender) = app.sender.clone() else {
                return page_error(
                    None,
                    &Problem::bad_request(503, "this server has no mail settings, so nothing is sent"),
                );
            };
            let by = format!("send now: {}", who.caller.username);
            let mut claimed = match oltp::subscriptions::claim_now(&app.db, org_id, id, chrono::Utc::now(), &by).await {
                Ok(c) => c,
                // a second click while the first run is still going: said on the page, nothing sent twice
                Err(oltp::Error::Conflict(_)) => return see_other(&format!("/subscriptions?busy={id}")),
                Err(e) => return page_error(None, &super::books_problem(&e)),
            };
            // the run goes on after the answer: a slow or failing mail server keeps no page waiting
            tokio::spawn(async move {
                if let Err(e) = crate::deliver::deliver(&sender, &mut claimed).await {
                    tracing::error!(target: "loupe_mail", "a delivery could not be recorded: {e:#}");
                }
            });
            see_other(&format!("/subscriptions?sent={id}"))
        }
        "pause" | "resume" => {
            let cmd = if action == "pause" {
                oltp::ops::Command::PauseSubscription(oltp::subscriptions::PauseSubscription {
                    org_id,
                    subscription_id: id,
                    reason: Some(format!("paused by {}", who.caller.display_name)),
                })
            } else {
                oltp::ops::Command::ResumeSubscription(oltp::subscriptions::ResumeSubscription {
                    org_id,
                    subscription_id: id,
                })
            };
            match oltp::execute(&app.db, &ctx(&who), &cmd).await {
                Ok(_) => {
                    see_other(&format!("/subscriptions?{}={id}", if action == "pause" { "paused" } else { "resumed" }))
                }
                Err(e) => page_error(None, &super::books_problem(&e)),
            }
        }
        other => page_error(None, &Problem::not_found(format!("no action {other:?}"))),
    }
}

/// What `POST /api/v1/subscriptions/{id}/send` answers: the run taken, sending in the background.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Sending {
    /// The delivery row of the run.
    delivery_id: i64,
    /// Where its outcome shows.
    deliveries: String,
}

/// `POST /api/v1/subscriptions/{id}/send`: sends one now through the scheduler's code (a paused one too), in
/// the background; its delivery shows in the log. The subscription's owner, an owner or a manager may.
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/send", tag = "books",
    params(("id" = i64, Path, description = "The subscription")),
    responses((status = 202, description = "Taken: sending", body = Sending), crate::serve::openapi::Guarded, crate::serve::openapi::Refused))]
pub(crate) async fn api_send(
    State(app): State<Shared>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Response {
    use axum::response::IntoResponse as _;
    let run = async {
        let id = super::auth::path_id("subscription", &id)?;
        let sub = super::reads::subscription_of(&app, &who, id).await?;
        if !may_change(&who, &sub) {
            return Err(Problem::forbidden("a subscription is sent by its owner, an owner or a manager"));
        }
        let sender = app
            .sender
            .clone()
            .ok_or_else(|| Problem::bad_request(503, "this server has no mail settings, so nothing is sent"))?;
        let by = format!("send now: {}", who.caller.username);
        let mut claimed = oltp::subscriptions::claim_now(&app.db, who.caller.org_id, id, chrono::Utc::now(), &by)
            .await
            .map_err(|e| super::books_problem(&e))?;
        let delivery_id = claimed.delivery_id;
        tokio::spawn(async move {
            if let Err(e) = crate::deliver::deliver(&sender, &mut claimed).await {
                tracing::error!(target: "loupe_mail", "a delivery could not be recorded: {e:#}");
            }
        });
        Ok(Sending { delivery_id, deliveries: format!("/api/v1/subscriptions/{id}/deliveries") })
    };
    match run.await {
        Ok(s) => super::json(202, &s),
        Err(p) => p.into_response(),
    }
}

/// The frame, for a user who may see subscriptions.
async fn frame(app: &Shared, who: &Who, query: &[(String, String)]) -> Result<Chrome, Response> {
    let chrome = chrome(app, who, "subscriptions", "/subscriptions", query).await.map_err(|p| page_error(None, &p))?;
    if let Err(d) = crate::authz::may_read(&who.caller, "subscriptions") {
        return Err(page_error(Some(chrome), &Problem::from(&d)));
    }
    Ok(chrome)
}

/// The subscriptions the user sees: the org's for an owner or a manager, their own for anyone else.
async fn mine(app: &Shared, who: &Who) -> Result<Vec<Subscription>, Problem> {
    oltp::subscriptions::list(&app.db, who.caller.org_id, owner_filter(who)).await.map_err(|e| super::books_problem(&e))
}

fn owner_filter(who: &Who) -> Option<i64> {
    (!who.caller.in_any(&["owner", "manager"])).then_some(who.caller.user_id)
}

fn may_change(who: &Who, s: &Subscription) -> bool {
    s.owner_id == who.caller.user_id || who.caller.in_any(&["owner", "manager"])
}

/// Whether the user may change what `s` sends and to whom: it runs with its owner's scope, so its owner, or an
/// owner of the org who sees every store (`update_subscription` holds the same rule).
fn may_edit(who: &Who, s: &Subscription) -> bool {
    s.owner_id == who.caller.user_id || (who.caller.in_any(&["owner"]) && who.caller.stores.is_none())
}

/// The reports the user may subscribe to, with those chosen marked.
fn offered(who: &Who, chosen: &[String]) -> Vec<(String, String, bool)> {
    reports::catalog::all()
        .iter()
        .filter(|r| crate::authz::may_see(&who.caller, r.id).is_ok())
        .map(|r| (r.id.to_string(), r.title.to_string(), chosen.iter().any(|c| c == r.id)))
        .collect()
}

/// The form filled with subscription `s`, to change it.
async fn filled(app: &Shared, who: &Who, s: &Subscription) -> Result<Form, Problem> {
    let users = oltp::read::user_names(&app.db, who.caller.org_id).await.map_err(|e| super::books_problem(&e))?;
    let chosen: Vec<String> = s.reports.iter().map(|r| r.report.clone()).collect();
    // a parameter every report has alike is written once; the rest as report.key=value
    let mut lines = Vec::new();
    if let Some(first) = s.reports.first() {
        let alike = |k: &String, v: &String| s.reports.iter().all(|r| r.params.get(k) == Some(v));
        lines.extend(first.params.iter().filter(|(k, v)| alike(k, v)).map(|(k, v)| format!("{k}={v}")));
        for r in &s.reports {
            lines.extend(r.params.iter().filter(|(k, v)| !alike(k, v)).map(|(k, v)| format!("{}.{k}={v}", r.report)));
        }
    }
    let params = lines.join("\n");
    let to = s
        .recipients
        .iter()
        .filter_map(|r| match (r.user_id, &r.email) {
            (Some(u), _) => users.get(&u).map(|(username, _)| username.clone()),
            (None, Some(e)) => Some(e.clone()),
            (None, None) => None,
        })
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Form {
        editing: Some(s.id),
        name: s.name.clone(),
        reports: offered(who, &chosen),
        params,
        format: s.format.clone(),
        to,
        cron: s.cron.clone(),
        time_zone: s.time_zone.clone(),
        per_recipient: s.per_recipient,
        skip_if_empty: s.skip_if_empty,
    })
}

/// The form as a command: the user keeps it; recipients by username or address.
async fn command(
    app: &Shared,
    who: &Who,
    form: &Form,
    chosen: &[String],
) -> Result<oltp::subscriptions::CreateSubscription, String> {
    let org_id = who.caller.org_id;
    if chosen.is_empty() {
        return Err("Reports: choose at least one.".into());
    }
    // key=value for every report, report.key=value for one
    let mut params: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
    let mut all = BTreeMap::new();
    for line in form.params.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!("Parameters: {line:?} is not key=value (as_of=yesterday)."));
        };
        let (k, v) = (k.trim(), v.trim().to_string());
        match k.split_once('.') {
            Some((report, key)) => {
                let Some(r) = chosen.iter().find(|c| c.as_str() == report.trim()) else {
                    return Err(format!(
                        "Parameters: {line:?} names {report:?}, which is not one of the reports chosen."
                    ));
                };
                params.entry(r.as_str()).or_default().insert(key.trim().to_string(), v);
            }
            None => {
                all.insert(k.to_string(), v);
            }
        }
    }
    let mut recipients = Vec::new();
    for t in form.to.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        recipients.push(if t.contains('@') {
            Recipient { user_id: None, email: Some(t.to_string()) }
        } else {
            let id = oltp::org::user_by_name(&app.db, org_id, t)
                .await
                .map_err(|_| format!("To: no user {t:?} in this org."))?;
            Recipient { user_id: Some(id), email: None }
        });
    }
    Ok(oltp::subscriptions::CreateSubscription {
        org_id,
        owner_id: Some(who.caller.user_id),
        name: form.name.clone(),
        reports: chosen
            .iter()
            .map(|r| {
                let mut p = all.clone();
                p.extend(params.get(r.as_str()).cloned().unwrap_or_default());
                Subscribed { report: r.clone(), view: None, params: p }
            })
            .collect(),
        format: form.format.clone(),
        recipients,
        cron: form.cron.clone(),
        time_zone: form.time_zone.clone(),
        per_recipient: form.per_recipient,
        skip_if_empty: form.skip_if_empty,
    })
}

/// The mail the command's subscription would send now with its owner's stores — or, each recipient getting
/// their own, as the first recipient user would get it.
async fn preview(
    app: &Shared,
    who: &Who,
    owner: &oltp::auth::Caller,
    cmd: &oltp::subscriptions::CreateSubscription,
) -> Result<Preview, String> {
    if let Err(p) = super::ops::check_reports(app, who, &oltp::ops::Command::CreateSubscription(cmd.clone())).await {
        return Err(words(&p));
    }
    let sub = Subscription {
        id: 0,
        owner_id: who.caller.user_id,
        name: if cmd.name.is_empty() { "New subscription".into() } else { cmd.name.clone() },
        reports: cmd.reports.clone(),
        format: cmd.format.clone(),
        recipients: cmd.recipients.clone(),
        cron: cmd.cron.clone(),
        time_zone: cmd.time_zone.clone(),
        per_recipient: cmd.per_recipient,
        skip_if_empty: cmd.skip_if_empty,
        active: true,
        paused_reason: None,
        next_run_at: 0,
    };
    if !oltp::subscriptions::FORMATS.contains(&sub.format.as_str()) {
        return Err(format!("Format: {:?} is not one of pdf, xlsx, csv, html.", sub.format));
    }
    let mut to = Vec::new();
    for r in &cmd.recipients {
        match (r.user_id, &r.email) {
            (Some(u), _) => match oltp::subscriptions::addressed_user(&app.db, who.caller.org_id, u).await {
                Ok(Some(e)) => to.push(e),
                _ => return Err(format!("To: user {u} has no email address.")),
            },
            (None, Some(e)) => to.push(e.clone()),
            (None, None) => {}
        }
    }
    let mut stores = owner.stores.clone();
    if cmd.per_recipient
        && let Some(user) = cmd.recipients.iter().find_map(|r| r.user_id)
        && let Ok(Some(them)) = oltp::auth::caller(&app.db, user).await
        && let Ok(Some(address)) = oltp::subscriptions::addressed_user(&app.db, who.caller.org_id, user).await
    {
        stores = crate::deliver::within(owner.stores.as_deref(), them.stores.as_deref());
        to = vec![address];
    }
    let (letter, outputs) =
        crate::deliver::preview(&app.lake, &app.lake_work, who.caller.org_id, &sub, stores, &to, &owner.display_name)
            .await
            .map_err(|e| format!("{e:#}"))?;
    let names: Vec<&str> = letter.files.iter().map(|f| f.name.as_str()).collect();
    let body = letter
        .html
        .clone()
        .unwrap_or_else(|| crate::deliver::summary_html(&sub, &outputs, &letter.subject, &names, &owner.display_name));
    Ok(Preview {
        subject: letter.subject.clone(),
        to: letter.to.join(", "),
        body,
        files: letter.files.iter().map(|f| (f.name.clone(), size(f.bytes.len()))).collect(),
    })
}

/// A problem as the page says it.
fn words(p: &Problem) -> String {
    match &p.fault {
        Some(f) => format!("{}: {}", f.field, p.detail),
        None => p.detail.clone(),
    }
}

/// "12.4 KB".
fn size(bytes: usize) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The page: the list with each one's last delivery, the form, the preview, the log.
#[allow(clippy::too_many_arguments)]
async fn show(
    app: &Shared,
    who: &Who,
    chrome: Chrome,
    list: Vec<Subscription>,
    form: Form,
    preview: Option<Preview>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let org_id = who.caller.org_id;
    let log = match oltp::subscriptions::deliveries(&app.db, org_id, None, owner_filter(who), 1000).await {
        Ok(l) => l,
        Err(e) => return page_error(Some(chrome), &super::books_problem(&e)),
    };
    let users = match oltp::read::user_names(&app.db, org_id).await {
        Ok(u) => u,
        Err(e) => return page_error(Some(chrome), &super::books_problem(&e)),
    };
    let at = |unix: i64, tz: &str| {
        reports::dates::in_zone(chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default(), tz, "%Y-%m-%d %H:%M")
    };
    let titles: BTreeMap<&str, &str> = reports::catalog::all().iter().map(|r| (r.id, r.title)).collect();
    let rows = list
        .iter()
        .map(|s| {
            let last = log.iter().find(|d| d.subscription_id == s.id);
            Row {
                id: s.id,
                name: s.name.clone(),
                reports: s
                    .reports
                    .iter()
                    .map(|r| titles.get(r.report.as_str()).copied().unwrap_or(&r.report))
                    .collect::<Vec<_>>()
                    .join(", "),
                format: s.format.clone(),
                to: s
                    .recipients
                    .iter()
                    .map(|r| match (r.user_id, &r.email) {
                        (Some(u), _) => users.get(&u).map_or_else(|| format!("user {u}"), |(_, name)| name.clone()),
                        (None, Some(e)) => e.clone(),
                        (None, None) => String::new(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                schedule: format!("{} ({})", s.cron, s.time_zone),
                next: if s.active {
                    at(s.next_run_at, &s.time_zone)
                } else {
                    s.paused_reason.clone().unwrap_or_default()
                },
                active: s.active,
                last: last.map_or_else(|| "never sent".to_string(), |d| at(d.claimed_at, &s.time_zone)),
                last_status: last.map(|d| d.status.clone()).unwrap_or_default(),
                may_change: may_change(who, s),
                may_edit: may_edit(who, s),
            }
        })
        .collect();
    let tz = who.caller.time_zone.as_str();
    let grid = Grid {
        caption: "Delivery log".into(),
        head: ["When", "Subscription", "Status", "Tries", "To", "Reports as run", "Size", "Message or error"]
            .iter()
            .map(|h| (h.to_string(), matches!(*h, "Tries" | "Size")))
            .collect(),
        rows: log
            .iter()
            .take(LOG_ROWS as usize)
            .map(|d| {
                vec![
                    (at(d.claimed_at, tz), None),
                    (d.subscription.clone(), None),
                    (d.status.clone(), None),
                    (d.attempts.to_string(), None),
                    (d.recipients.clone().unwrap_or_default(), None),
                    (crate::deliver::as_run(d.resolved.as_deref()), None),
                    (d.bytes.map(|b| size(usize::try_from(b).unwrap_or(0))).unwrap_or_default(), None),
                    (d.error.clone().or_else(|| d.message_id.clone()).unwrap_or_default(), None),
                ]
            })
            .collect(),
    };
    let page =
        Subscriptions { chrome, notice, error, mail: app.sender.is_some(), list: rows, form, preview, log: grid };
    html(200, render(&page))
}
