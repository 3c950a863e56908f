//! `loupe bench mail`: scheduled reports on the books and lake in --data, mailed to the server --smtp-url names.
//! First a three-report bundle (AR aging, last month's gross profit, inventory valuation) sent as one workbook
//! and as one PDF, several times each: the time to render and to send. Then a thousand subscriptions (one report
//! each, in turn the nine reports' first views) all due at one minute, claimed and sent by one scheduler: the
//! time until the last is sent. The subscriptions it makes are removed after (with their delivery rows), so the
//! books are left as they were.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use chrono::Utc;
use etl::Lake;
use oltp::subscriptions::{CreateSubscription, Recipient, Subscribed};
use oltp::{Command, Ctx, Db};

use crate::deliver::Sender;
use crate::mail::Outbox;
use crate::scheduler::Scheduler;

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Sends of the bundle in each format.
    pub(crate) rounds: usize,
    /// Subscriptions due at one minute.
    pub(crate) subscriptions: usize,
}

/// Runs the measurements; `outbox` is where mail goes.
pub(crate) async fn run(db: &Db, lake: &Lake, outbox: Outbox, plan: Plan) -> Result<()> {
    let org: i64 = db
        .fetch_one(oltp::db::Q::built("select min(id) as v from orgs".into()))
        .await?
        .i64("v")
        .context("no org in the books: make the demo first")?;
    let owner = db
        .fetch_one(oltp::q!("select min(id) as v from users where org_id = $1 and groups like '%owner%'", org))
        .await?
        .i64("v")
        .context("the org has no owner")?;
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let target = outbox.target.clone();
    let sender = Arc::new(Sender {
        db: db.clone(),
        lake: lake.clone(),
        outbox,
        backoff: crate::deliver::BACKOFF.to_vec(),
        lake_work: Arc::new(tokio::sync::Semaphore::new(cores)),
    });
    println!("mail to {target}; {cores} cores");
    let mut made = Vec::new();
    let result = measure(db, &sender, org, owner, plan, &mut made).await;
    // the books as they were: every subscription made here goes, with its deliveries
    for id in made {
        let cmd =
            Command::DeleteSubscription(oltp::subscriptions::DeleteSubscription { org_id: org, subscription_id: id });
        oltp::execute(db, &Ctx::operator(), &cmd).await?;
    }
    result
}

async fn measure(db: &Db, sender: &Arc<Sender>, org: i64, owner: i64, plan: Plan, made: &mut Vec<i64>) -> Result<()> {
    let bundle = vec![
        Subscribed { report: "ar_aging".into(), view: None, params: Default::default() },
        Subscribed {
            report: "gross_profit".into(),
            view: None,
            params: [("period".to_string(), "last_month".to_string())].into(),
        },
        Subscribed { report: "inventory_valuation".into(), view: None, params: Default::default() },
    ];
    let tag = Utc::now().timestamp();
    for format in ["xlsx", "pdf"] {
        let id =
            subscribe(db, org, owner, &format!("bench bundle {format} {tag}"), bundle.clone(), format, "0 7 * * 1")
                .await?;
        made.push(id);
        let sub = oltp::subscriptions::one(db, org, id).await?;
        let mut renders = Vec::new();
        let mut sends = Vec::new();
        let mut bytes = 0;
        for round in 0..plan.rounds {
            let t = Instant::now();
            let (_, outputs) = crate::deliver::preview(
                &sender.lake,
                &sender.lake_work,
                org,
                &sub,
                None,
                &["bench@loupe.example".into()],
                "loupe bench mail",
            )
            .await?;
            renders.push(t.elapsed());
            let rows: usize = outputs.iter().map(|o| o.rows).sum();
            let at = Utc::now() + chrono::Duration::seconds(round as i64);
            let mut claimed = oltp::subscriptions::claim_now(db, org, id, at, "loupe bench mail").await?;
            let t = Instant::now();
            let f = crate::deliver::deliver(sender, &mut claimed).await?;
            sends.push(t.elapsed());
            if f.status != "sent" {
                bail!("the bundle was not sent: {:?}", f.error);
            }
            bytes = f.bytes;
            if round == 0 {
                println!("bundle as {format}: 3 reports, {rows} rows, {:.1} KB mailed", bytes as f64 / 1024.0);
            }
        }
        renders.sort();
        sends.sort();
        println!(
            "bundle as {format}: run the three reports p50 {} ms; run, lay out and send p50 {} ms, max {} ms ({} rounds, {:.1} KB)",
            renders[renders.len() / 2].as_millis(),
            sends[sends.len() / 2].as_millis(),
            sends.last().copied().unwrap_or_default().as_millis(),
            plan.rounds,
            bytes as f64 / 1024.0
        );
    }

    // a thousand due at one minute
    let ids: Vec<&str> = reports::catalog::all().iter().map(|r| r.id).collect();
    let t = Instant::now();
    let mut due = Vec::new();
    for n in 0..plan.subscriptions {
        let report = ids[n % ids.len()];
        let one = vec![Subscribed { report: report.into(), view: None, params: Default::default() }];
        let id = subscribe(db, org, owner, &format!("bench {tag} {n}"), one, "xlsx", "0 7 * * *").await?;
        made.push(id);
        due.push(id);
    }
    println!("{} subscriptions made in {:.1} s", due.len(), t.elapsed().as_secs_f64());
    let minute = Utc::now() + chrono::Duration::days(2);
    let mut tx = db.begin().await?;
    for id in &due {
        tx.execute(oltp::q!("update subscriptions set next_run_at = $1 where id = $2", minute.timestamp() - 30, *id))
            .await?;
    }
    tx.commit().await?;
    let scheduler = Scheduler::new(sender.clone(), "loupe bench mail");
    let peak_before = super::status_mib("VmHWM:");
    let t = Instant::now();
    let mut finished = Vec::new();
    // as the server does: a look claims up to its limit, the next look the rest
    while finished.len() < due.len() {
        let got = scheduler.tick(minute).await?;
        if got.is_empty() {
            break;
        }
        finished.extend(got);
    }
    let took = t.elapsed();
    let sent = finished.iter().filter(|f| f.status == "sent").count();
    let bytes: i64 = finished.iter().map(|f| f.bytes).sum();
    println!(
        "{} due at one minute: {sent} sent, {} not, in {:.1} s ({:.1} a second; {:.1} MB mailed); peak memory {:.0} MiB (before: {:.0})",
        due.len(),
        finished.len() - sent,
        took.as_secs_f64(),
        sent as f64 / took.as_secs_f64().max(1e-9),
        bytes as f64 / 1e6,
        super::status_mib("VmHWM:"),
        peak_before
    );
    if took > Duration::from_secs(300) {
        println!("more than five minutes");
    }
    Ok(())
}

async fn subscribe(
    db: &Db,
    org: i64,
    owner: i64,
    name: &str,
    reports: Vec<Subscribed>,
    format: &str,
    cron: &str,
) -> Result<i64> {
    let cmd = Command::CreateSubscription(CreateSubscription {
        org_id: org,
        owner_id: Some(owner),
        name: name.into(),
        reports,
        format: format.into(),
        recipients: vec![Recipient { user_id: None, email: Some("bench@loupe.example".into()) }],
        cron: cron.into(),
        time_zone: "UTC".into(),
        per_recipient: false,
        skip_if_empty: false,
    });
    Ok(oltp::execute(db, &Ctx::operator(), &cmd).await?.id)
}
