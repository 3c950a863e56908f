//! `loupe schedule`: reports sent by email on a schedule — add one (each report checked by the engine as its
//! owner would run it today), list them with when each is next due, send one now, read the delivery log, pause,
//! resume and remove.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use oltp::Db;
use oltp::subscriptions::{Recipient, Subscribed};
use reports::{Request, Scope};

use etl::Lake;

/// `loupe schedule …`.
#[derive(Debug, Subcommand)]
pub enum ScheduleCmd {
    /// Send reports by email on a schedule, e.g. `--name "Monday AR" --report ar_aging --param as_of=yesterday
    /// --format xlsx --to maya --to books@example.com --cron "0 7 * * 1" --tz America/New_York`
    Add {
        /// Its name, unique in the org.
        #[arg(long)]
        name: String,
        /// A report by id, or a saved report by name (repeat: several arrive as one workbook or one PDF).
        #[arg(long = "report", required = true)]
        reports: Vec<String>,
        /// The view of each report given by id (default: its first).
        #[arg(long)]
        view: Option<String>,
        /// A parameter of each report given by id: key=value, relative dates as words (as_of=yesterday).
        #[arg(long = "param")]
        params: Vec<String>,
        /// pdf, xlsx, csv or html (the summary in the mail, the files attached).
        #[arg(long)]
        format: String,
        /// A recipient: a username of the org, or an email address (repeat).
        #[arg(long = "to", required = true)]
        to: Vec<String>,
        /// When: minute hour day-of-month month day-of-week ("0 7 * * 1": Mondays at 07:00).
        #[arg(long)]
        cron: String,
        /// The IANA time zone of the schedule and of relative dates (default: the org's).
        #[arg(long)]
        tz: Option<String>,
        /// Whose scope it runs with (a username; default: the org's first owner who sees every store).
        #[arg(long)]
        owner: Option<String>,
        /// Each recipient user gets it run with their own stores.
        #[arg(long)]
        per_recipient: bool,
        /// Send nothing when every report is empty.
        #[arg(long)]
        skip_if_empty: bool,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// The org's subscriptions, with when each is next due.
    List {
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// Stop one sending until it is resumed.
    Pause {
        /// The subscription: its id or its name.
        #[arg(value_name = "ID|NAME")]
        subscription: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// Let a paused one send again, from its next slot.
    Resume {
        /// The subscription: its id or its name.
        #[arg(value_name = "ID|NAME")]
        subscription: String,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// Send one now, through the same code as the scheduler (a paused one too, to try it); exits 1 when it
    /// failed.
    RunNow {
        /// The subscription: its id or its name.
        #[arg(value_name = "ID|NAME")]
        subscription: String,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// The delivery log: the latest runs, newest first, with to whom, the size, the message id or why not.
    Log {
        /// Only this subscription's runs (its id or its name).
        #[arg(long, value_name = "ID|NAME")]
        id: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// Remove one.
    Remove {
        /// The subscription: its id or its name.
        #[arg(value_name = "ID|NAME")]
        subscription: String,
        /// The org (default: the books' only org).
        #[arg(long)]
        org: Option<i64>,
    },
}

/// Runs `loupe schedule …` on the books (and, to check reports, the lake).
pub(crate) async fn run(db: &Db, lake: &Lake, command: &ScheduleCmd, cli: &crate::cli::Cli) -> Result<ExitCode> {
    let operator = oltp::Ctx::operator();
    match command {
        ScheduleCmd::Add {
            name,
            reports,
            view,
            params,
            format,
            to,
            cron,
            tz,
            owner,
            per_recipient,
            skip_if_empty,
            org,
        } => {
            let org_id = crate::users::org_in_books(db, *org).await?;
            let (owner_id, owner) = match owner {
                Some(o) => {
                    (oltp::org::user_by_name(db, org_id, o).await.with_context(|| format!("--owner {o:?}"))?, o.clone())
                }
                None => first_owner(db, org_id).await?,
            };
            let caller =
                oltp::auth::caller(db, owner_id).await?.with_context(|| format!("--owner {owner:?} is disabled"))?;
            let mut given = BTreeMap::new();
            for p in params {
                let Some((k, v)) = p.split_once('=') else {
                    bail!("--param {p:?}: write key=value, e.g. as_of=yesterday")
                };
                given.insert(k.trim().to_string(), v.to_string());
            }
            let saved = oltp::saved::list(db, org_id, Some(owner_id)).await?;
            let mut subscribed = Vec::new();
            for r in reports {
                let s = match saved.iter().find(|s| s.name == r.trim()) {
                    Some(s) => Subscribed { report: s.report.clone(), view: s.view.clone(), params: s.params.clone() },
                    None => Subscribed { report: r.trim().to_string(), view: view.clone(), params: given.clone() },
                };
                subscribed.push(s);
            }
            // each report as the owner would run it today: an unknown report, view or parameter is said now
            let snapshot = lake.snapshot().await?;
            let scope = Scope::Org { org_id, stores: caller.stores.clone() };
            let cx = reports::Context::at(&snapshot, scope, chrono::Utc::now()).await?;
            for s in &mut subscribed {
                reports::catalog::get(&s.report).with_context(|| format!("--report {}", s.report))?;
                crate::authz::may_see(&caller, &s.report).map_err(|d| anyhow::anyhow!("--report {}: {d}", s.report))?;
                let req = Request { report: s.report.clone(), view: s.view.clone(), params: s.params.clone() };
                let view =
                    reports::prepare(&cx, &req).await.with_context(|| format!("--report {}", s.report))?.header.view;
                s.view = Some(view.to_string());
            }
            let mut recipients = Vec::new();
            for t in to {
                recipients.push(if t.contains('@') {
                    Recipient { user_id: None, email: Some(t.trim().to_string()) }
                } else {
                    let id = oltp::org::user_by_name(db, org_id, t).await.with_context(|| format!("--to {t:?}"))?;
                    Recipient { user_id: Some(id), email: None }
                });
            }
            let cmd = oltp::subscriptions::CreateSubscription {
                org_id,
                owner_id: Some(owner_id),
                name: name.clone(),
                reports: subscribed,
                format: format.clone(),
                recipients,
                cron: cron.clone(),
                time_zone: tz.clone().unwrap_or_else(|| caller.time_zone.clone()),
                per_recipient: *per_recipient,
                skip_if_empty: *skip_if_empty,
            };
            let id = oltp::ops::execute(db, &operator, &cmd.into()).await?.id;
            let kept = oltp::subscriptions::list(db, org_id, None).await?;
            let s = kept.iter().find(|s| s.id == id).context("the subscription just made is not in the books")?;
            println!("created subscription {id} {:?}: next sent {}", s.name, when(s.next_run_at, &s.time_zone));
            Ok(ExitCode::SUCCESS)
        }
        ScheduleCmd::List { org } => {
            let org_id = crate::users::org_in_books(db, *org).await?;
            let list = oltp::subscriptions::list(db, org_id, None).await?;
            if list.is_empty() {
                println!("no subscriptions");
            }
            for s in &list {
                let state = if s.active {
                    format!("next {}", when(s.next_run_at, &s.time_zone))
                } else {
                    format!("paused ({})", s.paused_reason.as_deref().unwrap_or("paused"))
                };
                let reports: Vec<String> = s
                    .reports
                    .iter()
                    .map(|r| format!("{}{}", r.report, r.view.as_deref().map(|v| format!("/{v}")).unwrap_or_default()))
                    .collect();
                println!(
                    "{:>4}  {}  {}  [{}] {} to {} recipient(s), \"{}\" {}",
                    s.id,
                    s.name,
                    state,
                    reports.join(", "),
                    s.format,
                    s.recipients.len(),
                    s.cron,
                    s.time_zone
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ScheduleCmd::Pause { subscription, reason, org } => {
            let org_id = crate::users::org_in_books(db, *org).await?;
            let id = &pick(db, org_id, subscription).await?;
            let cmd = oltp::subscriptions::PauseSubscription { org_id, subscription_id: *id, reason: reason.clone() };
            oltp::ops::execute(db, &operator, &cmd.into()).await?;
            println!("paused subscription {id}");
            Ok(ExitCode::SUCCESS)
        }
        ScheduleCmd::Resume { subscription, org } => {
            let org_id = crate::users::org_in_books(db, *org).await?;
            let id = &pick(db, org_id, subscription).await?;
            let cmd = oltp::subscriptions::ResumeSubscription { org_id, subscription_id: *id };
            oltp::ops::execute(db, &operator, &cmd.into()).await?;
            println!("resumed subscription {id}");
            Ok(ExitCode::SUCCESS)
        }
        ScheduleCmd::RunNow { subscription, org } => {
            let org_id = crate::users::org_in_books(db, *org).await?;
            let id = &pick(db, org_id, subscription).await?;
            let outbox = cli.outbox()?.with_context(|| {
                format!(
                    "no mail settings: set --smtp-url or LOUPE_SMTP_URL (smtp://user:pass@host:port?tls=starttls, or \
                     file:///dir), or smtp_url in {}/settings.json",
                    cli.data.display()
                )
            })?;
            let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
            let sender = crate::deliver::Sender {
                db: db.clone(),
                lake: lake.clone(),
                outbox,
                backoff: crate::deliver::BACKOFF.to_vec(),
                lake_work: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)),
            };
            let mut claimed =
                oltp::subscriptions::claim_now(db, org_id, *id, chrono::Utc::now(), "loupe schedule run-now").await?;
            let f = crate::deliver::deliver(&sender, &mut claimed).await?;
            match f.status {
                "sent" => println!("sent subscription {id} to {} ({} bytes)", f.recipients, f.bytes),
                other => println!("{other}: {}", f.error.as_deref().unwrap_or("")),
            }
            Ok(if f.status == "failed" { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        ScheduleCmd::Log { id, limit, org } => {
            let org_id = crate::users::org_in_books(db, *org).await?;
            let id = match id {
                Some(key) => Some(pick(db, org_id, key).await?),
                None => None,
            };
            let list = oltp::subscriptions::deliveries(db, org_id, id, None, *limit).await?;
            if list.is_empty() {
                println!("no deliveries");
            }
            let zone = oltp::subscriptions::list(db, org_id, None).await?;
            for d in &list {
                let tz = zone.iter().find(|s| s.id == d.subscription_id).map_or("UTC", |s| s.time_zone.as_str());
                let what = match d.status.as_str() {
                    "sent" => format!("to {} ({} bytes)", d.recipients.as_deref().unwrap_or(""), d.bytes.unwrap_or(0)),
                    _ => d.error.clone().unwrap_or_default(),
                };
                let run = crate::deliver::as_run(d.resolved.as_deref());
                let what = if run.is_empty() { what } else { format!("{what}; {run}") };
                println!(
                    "{:>5}  {}  {:<20}  {:<7}  tries {}  {what}",
                    d.id,
                    when(d.slot_at, tz),
                    d.subscription,
                    d.status,
                    d.attempts
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ScheduleCmd::Remove { subscription, org } => {
            let org_id = crate::users::org_in_books(db, *org).await?;
            let id = &pick(db, org_id, subscription).await?;
            let cmd = oltp::subscriptions::DeleteSubscription { org_id, subscription_id: *id };
            oltp::ops::execute(db, &operator, &cmd.into()).await?;
            println!("removed subscription {id}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The org's first active owner who sees every store (id, username): whom a subscription runs as by default.
async fn first_owner(db: &Db, org_id: i64) -> Result<(i64, String)> {
    let row = db
        .fetch_optional(oltp::q!(
            "select id, username from users u where org_id = $1 and active and groups like '%owner%'
             and not exists (select 1 from user_stores s where s.user_id = u.id) order by id limit 1",
            org_id
        ))
        .await?
        .context("--owner: the org has no active owner who sees every store; name the user it runs as")?;
    Ok((row.i64("id")?, row.text("username")?))
}

/// The org's subscription `key` names: its id, or else its name.
async fn pick(db: &Db, org_id: i64, key: &str) -> Result<i64> {
    let kept = oltp::subscriptions::list(db, org_id, None).await?;
    let by_id = key.trim().parse::<i64>().ok().and_then(|n| kept.iter().find(|s| s.id == n));
    match by_id.or_else(|| kept.iter().find(|s| s.name == key.trim())) {
        Some(s) => Ok(s.id),
        None => {
            bail!("subscription {key:?}: no subscription of this org has that id or name (see loupe schedule list)")
        }
    }
}

/// A Unix time as people read it in `tz`.
fn when(unix: i64, tz: &str) -> String {
    reports::dates::in_zone(chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default(), tz, "%Y-%m-%d %H:%M")
}
