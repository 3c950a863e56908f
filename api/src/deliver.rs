//! Sending one run of a subscription: the scheduler's claimed runs and "send now" alike come here. The run
//! reads the subscription as it is now, checks its owner still may see every report (or pauses it, saying why),
//! works out who gets what — one run with the owner's stores, or with `per_recipient` one for each recipient
//! user with their own stores within the owner's, addresses outside the org getting the owner's — runs the
//! reports on the lake with relative dates resolved on the slot's day in the org's time zone, lays them out
//! (one workbook with a sheet each, one PDF with a section each, a CSV each, or the summary in the body with the
//! workbook attached), and mails them: a subject with the report and period, the org, data as of and totals in
//! the body. Sending is tried three times with growing pauses; after the last the owner gets a failure notice.
//! The delivery row says what happened.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use chrono::{DateTime, Utc};
use etl::Lake;
use oltp::Db;
use oltp::auth::Caller;
use oltp::subscriptions::{Claimed, Finished, Subscription};
use reports::model::{Output, Type, Value};
use reports::{Request, Scope};
use tokio::sync::Semaphore;

use crate::mail::{File, Letter, Outbox};

/// The pauses between tries at sending: three tries in all.
pub const BACKOFF: [Duration; 2] = [Duration::from_secs(10), Duration::from_secs(60)];
/// The most rows a mailed report carries (the PDF's limit; a mail server takes some tens of MB at most).
const MAX_ROWS: usize = reports::export::pdf::MAX_ROWS;
/// Rows of each report shown in an HTML body.
const BODY_ROWS: usize = 25;

/// What sending needs: the books, the lake, the outbox, and the turns at the lake it shares with the server.
pub struct Sender {
    /// The books.
    pub db: Db,
    /// The lake.
    pub lake: Lake,
    /// Where mail goes.
    pub outbox: Outbox,
    /// The pauses between tries at sending.
    pub backoff: Vec<Duration>,
    /// Report runs at once (the server's own turns, so mail and pages share the memory bound).
    pub lake_work: Arc<Semaphore>,
}

/// Who gets one mail, run with which stores.
#[derive(Debug, Clone)]
struct Run {
    /// The stores the reports cover: `None`, the org's.
    stores: Option<Vec<i64>>,
    /// The addresses.
    to: Vec<String>,
}

/// Sends the claimed run and records how it ended; the error is only the books' (the run's own failures are
/// recorded as a `failed` delivery).
pub async fn deliver(s: &Sender, c: &mut Claimed) -> Result<Finished> {
    let finished = match attempt(s, c).await {
        Ok(f) => f,
        Err(e) => Finished {
            status: "failed",
            attempts: 0,
            recipients: String::new(),
            resolved: String::new(),
            bytes: 0,
            message_id: None,
            error: Some(format!("{e:#}")),
            at: Utc::now(),
        },
    };
    if !oltp::subscriptions::finish(&s.db, c, &finished).await? {
        tracing::warn!(
            target: "loupe_mail",
            delivery = c.delivery_id,
            subscription = c.subscription_id,
            "the run was taken over by another look before it ended here; it finishes there"
        );
        return Ok(finished);
    }
    if finished.status == "failed" {
        tracing::warn!(
            target: "loupe_mail",
            delivery = c.delivery_id,
            subscription = c.subscription_id,
            error = finished.error.as_deref().unwrap_or(""),
            "delivery failed"
        );
        if let Err(e) = notify_owner(s, c, &finished).await {
            tracing::warn!(target: "loupe_mail", delivery = c.delivery_id, "the failure notice was not sent: {e:#}");
        }
    } else {
        tracing::info!(
            target: "loupe_mail",
            delivery = c.delivery_id,
            subscription = c.subscription_id,
            status = finished.status,
            bytes = finished.bytes,
            to = finished.recipients.as_str(),
            "delivery"
        );
    }
    Ok(finished)
}

/// The run, up to its end: sent, skipped or failed.
async fn attempt(s: &Sender, c: &mut Claimed) -> Result<Finished> {
    let sub = oltp::subscriptions::one(&s.db, c.org_id, c.subscription_id).await?;
    let slot = DateTime::from_timestamp(c.slot, 0).unwrap_or_else(Utc::now);
    let fail = |why: String| Finished {
        status: "failed",
        attempts: 0,
        recipients: String::new(),
        resolved: String::new(),
        bytes: 0,
        message_id: None,
        error: Some(why),
        at: Utc::now(),
    };

    // paused after the run was claimed: a scheduled run is not sent (one asked for now is: it tries it)
    if !sub.active && !c.manual {
        return Ok(Finished {
            status: "skipped",
            error: Some("the subscription was paused".into()),
            ..fail(String::new())
        });
    }

    // The owner's access now: one who lost it pauses the subscription rather than mailing what they may not see.
    let owner = oltp::auth::caller(&s.db, sub.owner_id).await?;
    let lost = match &owner {
        None => Some("its owner can no longer sign in".to_string()),
        Some(o) => sub.reports.iter().find_map(|r| {
            crate::authz::may_see(o, &r.report).err().map(|d| format!("its owner may not see {}: {d}", r.report))
        }),
    };
    let (Some(owner), None) = (owner, lost.as_ref()) else {
        let why = lost.unwrap_or_default();
        pause(&s.db, &sub, c.org_id, &why).await?;
        return Ok(fail(format!("{why}; the subscription is paused")));
    };

    let (runs, mut errors) = runs(s, c.org_id, &sub, &owner).await?;
    let mut resolved = Vec::new();
    // a run taken over from a server that stopped mid-way sends only what that one had not
    let earlier = oltp::subscriptions::sent_so_far(&s.db, c.delivery_id).await?;
    let (mut sent, mut skipped, mut failed, mut bytes, mut attempts) = (earlier.clone(), 0, 0, 0i64, 0i64);
    let mut ids = Vec::new();
    for (n, run) in runs.iter().enumerate() {
        if run.to.iter().all(|to| earlier.contains(to)) {
            continue;
        }
        // still this run's to send (the claim renewed), before the reports are run and before each letter
        hold(s, c, None, ids.len()).await?;
        let outputs = match render_run(&s.lake, &s.lake_work, c.org_id, &sub, run.stores.clone(), slot).await {
            Ok(o) => o,
            Err(e) => {
                failed += 1;
                errors.push(format!("{}: {e:#}", run.to.join(", ")));
                continue;
            }
        };
        if resolved.is_empty() {
            resolved = outputs
                .iter()
                .map(|o| serde_json::json!({"report": o.header.report, "view": o.header.view, "params": o.header.params}))
                .collect();
        }
        if sub.skip_if_empty && outputs.iter().all(|o| o.rows == 0) {
            skipped += 1;
            continue;
        }
        // a letter each, so no recipient sees who else gets it
        for (m, to) in run.to.iter().enumerate().filter(|(_, to)| !earlier.contains(to)) {
            hold(s, c, None, ids.len()).await?;
            let letter = letter(&sub, &outputs, std::slice::from_ref(to), &owner.display_name)?;
            let id = s.outbox.message_id(&format!("{}.{}.{}", c.delivery_id, n + 1, m + 1));
            let (tries, result) = send_with_retries(s, &letter, &id).await;
            attempts += tries;
            match result {
                Ok(()) => {
                    sent.push(to.clone());
                    bytes += i64::try_from(letter.size()).unwrap_or(i64::MAX);
                    ids.push(id);
                    // kept at once, so a server taking the run over does not mail this address again
                    hold(s, c, Some(&sent.join(", ")), ids.len()).await?;
                }
                Err(e) => {
                    failed += 1;
                    errors.push(format!("to {to} after {tries} tries: {e:#}"));
                }
            }
        }
    }
    let status = if failed > 0 || (sent.is_empty() && skipped == 0) {
        "failed"
    } else if sent.is_empty() {
        "skipped"
    } else {
        "sent"
    };
    if status == "skipped" {
        errors.push("every report was empty (skip if empty)".into());
    }
    if runs.is_empty() {
        errors.push("no recipient has an email address".into());
    }
    Ok(Finished {
        status,
        attempts,
        recipients: sent.join(", "),
        resolved: serde_json::Value::Array(resolved).to_string(),
        bytes,
        message_id: (!ids.is_empty()).then(|| ids.join(" ")),
        error: (!errors.is_empty()).then(|| errors.join("; ")),
        at: Utc::now(),
    })
}

/// Renews the run's claim (keeping `sent` as its progress), or stops it: another look took it over after
/// `letters` letters were mailed here.
async fn hold(s: &Sender, c: &mut Claimed, sent: Option<&str>, letters: usize) -> Result<()> {
    if !oltp::subscriptions::start(&s.db, c, Utc::now(), sent).await? {
        bail!("taken over by another look after {letters} letter(s)");
    }
    Ok(())
}

/// A delivery's reports as they were run, for its log: "AR aging (as_of 2026-12-06); RFM" from the JSON the
/// delivery row keeps (each report, view and parameters as resolved).
pub fn as_run(resolved: Option<&str>) -> String {
    let list: Vec<serde_json::Value> = resolved.and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default();
    list.iter()
        .map(|r| {
            let id = r["report"].as_str().unwrap_or_default();
            let title = reports::catalog::get(id).map_or(id, |c| c.title);
            let params: Vec<String> = r["params"]
                .as_object()
                .map(|p| p.iter().map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or_default())).collect())
                .unwrap_or_default();
            if params.is_empty() { title.to_string() } else { format!("{title} ({})", params.join(", ")) }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Pauses `sub` for `why`, as the books' operator (journaled like any pause).
async fn pause(db: &Db, sub: &Subscription, org_id: i64, why: &str) -> Result<()> {
    let cmd = oltp::subscriptions::PauseSubscription { org_id, subscription_id: sub.id, reason: Some(why.into()) };
    oltp::ops::execute(db, &oltp::Ctx::operator(), &cmd.into()).await?;
    Ok(())
}

/// The mails a run makes: who gets which stores' figures, and why someone gets nothing.
async fn runs(s: &Sender, org_id: i64, sub: &Subscription, owner: &Caller) -> Result<(Vec<Run>, Vec<String>)> {
    let mut errors = Vec::new();
    let mut by_stores: BTreeMap<Option<Vec<i64>>, Vec<String>> = BTreeMap::new();
    for r in oltp::subscriptions::addressed(&s.db, org_id, sub.id).await? {
        let Some(email) = r.email else {
            errors.push(format!("user {} has no email address or is disabled", r.user_id.unwrap_or_default()));
            continue;
        };
        let stores = match (sub.per_recipient, r.user_id) {
            (true, Some(user)) => {
                let Some(them) = oltp::auth::caller(&s.db, user).await? else {
                    errors.push(format!("user {user} is disabled"));
                    continue;
                };
                if let Some(r) = sub.reports.iter().find(|r| crate::authz::may_see(&them, &r.report).is_err()) {
                    errors.push(format!("{} may not see {}", them.username, r.report));
                    continue;
                }
                within(owner.stores.as_deref(), them.stores.as_deref())
            }
            _ => owner.stores.clone(),
        };
        if stores.as_ref().is_some_and(Vec::is_empty) {
            errors.push(format!("{email} shares no store with the subscription's owner"));
            continue;
        }
        let to = by_stores.entry(stores).or_default();
        if !to.contains(&email) {
            to.push(email);
        }
    }
    Ok((by_stores.into_iter().map(|(stores, to)| Run { stores, to }).collect(), errors))
}

/// The stores a recipient with `theirs` gets under an owner with `owners` (`None`: every store).
pub(crate) fn within(owners: Option<&[i64]>, theirs: Option<&[i64]>) -> Option<Vec<i64>> {
    match (owners, theirs) {
        (None, None) => None,
        (Some(o), None) => Some(o.to_vec()),
        (None, Some(t)) => Some(t.to_vec()),
        (Some(o), Some(t)) => Some(t.iter().copied().filter(|s| o.contains(s)).collect()),
    }
}

/// The subscription's reports run for `run` at `slot`: relative dates resolve on the slot's day in the org's
/// time zone.
async fn render_run(
    lake: &Lake,
    lake_work: &Semaphore,
    org_id: i64,
    sub: &Subscription,
    stores: Option<Vec<i64>>,
    slot: DateTime<Utc>,
) -> Result<Vec<Output>> {
    let _turn = lake_work.acquire().await?;
    let snapshot = lake.snapshot().await?;
    let scope = Scope::Org { org_id, stores };
    let cx = reports::Context::at(&snapshot, scope, slot).await?;
    let mut outputs = Vec::with_capacity(sub.reports.len());
    for r in &sub.reports {
        let req = Request { report: r.report.clone(), view: r.view.clone(), params: r.params.clone() };
        let p = reports::prepare(&cx, &req).await.with_context(|| format!("report {}", r.report))?;
        outputs.push(p.collect_at_most(MAX_ROWS, "mail").await.with_context(|| format!("report {}", r.report))?);
    }
    Ok(outputs)
}

/// What `sub` would send now with `stores`' figures (`None`: every store) to `to`: the letter, built as a run
/// builds it (the web page's preview).
pub async fn preview(
    lake: &Lake,
    lake_work: &Semaphore,
    org_id: i64,
    sub: &Subscription,
    stores: Option<Vec<i64>>,
    to: &[String],
    owner: &str,
) -> Result<(Letter, Vec<Output>)> {
    let outputs = render_run(lake, lake_work, org_id, sub, stores, Utc::now()).await?;
    let letter = letter(sub, &outputs, to, owner)?;
    Ok((letter, outputs))
}

/// Tries to send `letter` (as many times as the backoff allows, pausing between); how many tries it took.
async fn send_with_retries(s: &Sender, letter: &Letter, id: &str) -> (i64, Result<()>) {
    let mut tries = 0;
    loop {
        tries += 1;
        match s.outbox.send(letter, id).await {
            Ok(()) => return (tries, Ok(())),
            Err(e) => match s.backoff.get(usize::try_from(tries - 1).unwrap_or(usize::MAX)) {
                Some(pause) => {
                    tracing::info!(target: "loupe_mail", try_ = tries, "sending failed, trying again in {pause:?}: {e:#}");
                    tokio::time::sleep(*pause).await;
                }
                None => return (tries, Err(e)),
            },
        }
    }
}

/// Tells the owner their subscription failed, by mail (once; the dashboard shows it too).
async fn notify_owner(s: &Sender, c: &Claimed, f: &Finished) -> Result<()> {
    let sub = oltp::subscriptions::one(&s.db, c.org_id, c.subscription_id).await?;
    let owner = oltp::subscriptions::addressed_user(&s.db, c.org_id, sub.owner_id).await?;
    let Some(to) = owner else {
        return Ok(()); // no address to tell: the dashboard still shows it
    };
    let when = DateTime::from_timestamp(c.slot, 0).unwrap_or_default();
    let letter = Letter {
        to: vec![to],
        subject: format!("Not sent: {}", sub.name),
        text: format!(
            "Loupe could not send \"{}\" (the run for {}).\n\n{}\n\nThe delivery log on the Subscriptions page has \
             the details; \"Send now\" tries again.\n",
            sub.name,
            reports::dates::in_zone(when, &sub.time_zone, "%Y-%m-%d %H:%M"),
            f.error.as_deref().unwrap_or("no reason was given")
        ),
        html: None,
        files: Vec::new(),
    };
    s.outbox.send(&letter, &s.outbox.message_id(&format!("{}.notice", c.delivery_id))).await
}

/// The mail for one run: subject, bodies and files.
fn letter(sub: &Subscription, outputs: &[Output], to: &[String], owner: &str) -> Result<Letter> {
    let first = outputs.first().context("a subscription without reports")?;
    let period = period(&first.header.params);
    let what = if outputs.len() == 1 { first.header.title.clone() } else { sub.name.clone() };
    let subject = match &period {
        Some(p) => format!("{what} — {p}"),
        None => what.clone(),
    };
    let name =
        if outputs.len() == 1 { format!("{}-{}", first.header.report, first.header.view) } else { sub.name.clone() };
    let stem = stem(&name, &first.header.params);
    let files = files(&sub.format, outputs, &stem)?;

    let mut text = String::new();
    let _ = writeln!(text, "{}", first.header.org);
    let _ = writeln!(text, "{subject}");
    let _ = writeln!(text, "Data as of {}\n", first.header.data_as_of);
    for o in outputs {
        let _ = writeln!(text, "{}", o.header.title);
        if !o.header.stores.is_empty() {
            let _ = writeln!(text, "  {}", o.header.stores);
        }
        for (label, value) in &o.header.filters {
            let _ = writeln!(text, "  {label}: {value}");
        }
        let sums = totals(o);
        let _ = writeln!(text, "  {} rows{}", o.rows, if sums.is_empty() { "" } else { "; totals:" });
        for (label, value) in sums {
            let _ = writeln!(text, "    {label}: {value}");
        }
        text.push('\n');
    }
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let _ = writeln!(text, "Attached: {}", names.join(", "));
    let _ = writeln!(text, "\n— {}", footer(sub, owner));
    let html = (sub.format == "html").then(|| summary_html(sub, outputs, &subject, &names, owner));
    Ok(Letter { to: to.to_vec(), subject, text, html, files })
}

/// Who the mail comes from and how to stop it, for whoever gets it (an address outside the org too).
fn footer(sub: &Subscription, owner: &str) -> String {
    format!("Sent by Loupe for {owner} (subscription \"{}\"): ask them to change or stop it.", sub.name)
}

/// The period the parameters cover, as people say it: "2026-11-01 to 2026-11-30", "as of 2026-12-06".
fn period(params: &BTreeMap<String, String>) -> Option<String> {
    match (params.get("from"), params.get("to"), params.get("as_of")) {
        (Some(f), Some(t), _) => Some(format!("{f} to {t}")),
        (_, _, Some(a)) => Some(format!("as of {a}")),
        _ => None,
    }
}

/// A file name's stem: `what` and the period (`2026-11-01-to-2026-11-30`, or its one day), in characters every
/// mail reader and file system take.
fn stem(what: &str, params: &BTreeMap<String, String>) -> String {
    let period = match (params.get("from"), params.get("to"), params.get("as_of")) {
        (Some(f), Some(t), _) if f != t => format!("{f}-to-{t}"),
        (_, Some(t), _) => t.clone(),
        (_, _, Some(a)) => a.clone(),
        _ => String::new(),
    };
    let raw = format!("{what}-{period}");
    let mut out = String::new();
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c.to_ascii_lowercase() } else { '-' };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches('-').to_string()
}

/// The files a format attaches: one workbook (a sheet each), one PDF (a section each), a CSV each; the HTML
/// summary comes with the workbook.
fn files(format: &str, outputs: &[Output], stem: &str) -> Result<Vec<File>> {
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    Ok(match format {
        "xlsx" | "html" => {
            let tmp = tempfile::NamedTempFile::new()?;
            reports::export::xlsx_book(outputs, tmp.path())?;
            vec![File { name: format!("{stem}.xlsx"), content_type: XLSX, bytes: std::fs::read(tmp.path())? }]
        }
        "pdf" => {
            let bytes = match outputs {
                [one] => reports::export::pdf::render(one)?,
                many => reports::export::pdf::bundle(many)?.bytes,
            };
            vec![File { name: format!("{stem}.pdf"), content_type: "application/pdf", bytes }]
        }
        "csv" => {
            let mut out = Vec::new();
            for o in outputs {
                let name = if outputs.len() == 1 {
                    format!("{stem}.csv")
                } else {
                    format!("{}.csv", self::stem(&format!("{}-{}", o.header.report, o.header.view), &o.header.params))
                };
                out.push(File { name, content_type: "text/csv", bytes: reports::export::csv_bytes(o)? });
            }
            out
        }
        other => anyhow::bail!("format {other:?} is not one of pdf, xlsx, csv, html"),
    })
}

/// A report's totals as label and display value, where its columns have one (not the totals row's label).
fn totals(o: &Output) -> Vec<(String, String)> {
    o.header
        .shown()
        .filter_map(|(i, c)| match o.totals.get(i) {
            Some(Value::Null | Value::Text(_)) | None => None,
            Some(v) => Some((c.label.to_string(), v.display())),
        })
        .collect()
}

/// The HTML body: each report's title, filters, first rows and totals as a table.
pub fn summary_html(sub: &Subscription, outputs: &[Output], subject: &str, files: &[&str], owner: &str) -> String {
    let first = &outputs[0];
    let mut h = String::from(
        "<!doctype html><html><body style=\"font-family:Helvetica,Arial,sans-serif;color:#1f2328;font-size:14px\">",
    );
    let _ = write!(
        h,
        "<p style=\"color:#57606a;margin:0\">{}</p><h2 style=\"margin:4px 0 2px\">{}</h2>\
         <p style=\"color:#57606a;margin:0 0 16px\">Data as of {}</p>",
        esc(&first.header.org),
        esc(subject),
        esc(&first.header.data_as_of)
    );
    for o in outputs {
        let _ = write!(h, "<h3 style=\"margin:18px 0 4px\">{}</h3>", esc(&o.header.title));
        let filters: Vec<String> = o.header.filters.iter().map(|(k, v)| format!("{}: {}", esc(k), esc(v))).collect();
        let _ = write!(h, "<p style=\"color:#57606a;margin:0 0 6px\">{}</p>", filters.join(" · "));
        h.push_str("<table cellpadding=\"4\" cellspacing=\"0\" style=\"border-collapse:collapse\"><tr>");
        let shown: Vec<(usize, Type, String)> = o.header.shown().map(|(i, c)| (i, c.ty, c.label.to_string())).collect();
        for (_, ty, label) in &shown {
            let _ = write!(h, "<th style=\"{}border-bottom:1px solid #888\">{}</th>", align(*ty), esc(label));
        }
        h.push_str("</tr>");
        let mut n = 0;
        'rows: for b in &o.batches {
            for r in 0..b.num_rows() {
                if n == BODY_ROWS {
                    break 'rows;
                }
                h.push_str("<tr>");
                for (i, ty, _) in &shown {
                    let v = Value::at(*ty, b.column(*i), r).display();
                    let _ = write!(h, "<td style=\"{}\">{}</td>", align(*ty), esc(&v));
                }
                h.push_str("</tr>");
                n += 1;
            }
        }
        if o.totals.iter().any(|v| *v != Value::Null) {
            h.push_str("<tr>");
            for (i, ty, _) in &shown {
                let v = o.totals.get(*i).map(Value::display).unwrap_or_default();
                let _ = write!(
                    h,
                    "<td style=\"{}font-weight:bold;border-top:1px solid #888\">{}</td>",
                    align(*ty),
                    esc(&v)
                );
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
        if o.rows > BODY_ROWS {
            let _ = write!(
                h,
                "<p style=\"color:#57606a\">The first {BODY_ROWS} of {} rows; all of them are attached.</p>",
                o.rows
            );
        }
    }
    let _ = write!(
        h,
        "<p style=\"color:#57606a;margin-top:20px\">Attached: {}<br>{}</p></body></html>",
        esc(&files.join(", ")),
        esc(&footer(sub, owner))
    );
    h
}

fn align(ty: Type) -> &'static str {
    if ty.is_numeric() { "text-align:right;" } else { "text-align:left;" }
}

/// Text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_gets_their_stores_within_the_owner_s() {
        assert_eq!(within(None, None), None);
        assert_eq!(within(None, Some(&[2])), Some(vec![2]));
        assert_eq!(within(Some(&[1, 2]), None), Some(vec![1, 2]));
        assert_eq!(within(Some(&[1, 2]), Some(&[2, 3])), Some(vec![2]));
        assert_eq!(within(Some(&[1]), Some(&[3])), Some(vec![]));
    }

    #[test]
    fn periods_and_file_names_come_from_the_resolved_dates() {
        let p = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(
            period(&p(&[("from", "2026-11-01"), ("to", "2026-11-30")])).as_deref(),
            Some("2026-11-01 to 2026-11-30")
        );
        assert_eq!(period(&p(&[("as_of", "2026-12-06")])).as_deref(), Some("as of 2026-12-06"));
        assert_eq!(period(&p(&[])), None);
        assert_eq!(stem("Monday AR & GP!", &p(&[("as_of", "2026-12-06")])), "monday-ar-gp-2026-12-06");
        assert_eq!(stem("ar_aging-customers", &p(&[])), "ar_aging-customers");
        let month = p(&[("from", "2026-11-01"), ("to", "2026-11-30")]);
        assert_eq!(stem("gross_profit-summary", &month), "gross_profit-summary-2026-11-01-to-2026-11-30");
    }

    #[test]
    fn the_log_says_each_report_with_its_parameters_as_run() {
        let resolved = r#"[{"report":"ar_aging","view":"summary","params":{"as_of":"2026-12-06"}},
            {"report":"rfm","view":"segments","params":{}}]"#;
        assert_eq!(as_run(Some(resolved)), "AR aging (as_of 2026-12-06); RFM");
        assert_eq!(as_run(None), "");
        assert_eq!(as_run(Some("not json")), "");
    }

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(esc("O'Brien & <Sons>"), "O&#39;Brien &amp; &lt;Sons&gt;");
    }
}
