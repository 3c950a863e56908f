//! Subscriptions: reports that arrive by email on a schedule. One or more reports (each a report, its view
//! and its parameters as given — relative dates stay words and resolve when it is sent), a format, recipients
//! (users of the org or addresses), a cron schedule in an IANA time zone, whether each recipient user gets it
//! with their own stores, and whether an empty result is sent at all. It runs with its owner's scope; the books
//! keep when it is next due. Whether the reports, views and parameters exist is the report engine's to say: the
//! caller checks them before saving (the books know no report catalog), as for saved reports.

use std::collections::BTreeMap;
use std::str::FromStr as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::{Error, Result};
use crate::saved::identifier;
use crate::writer::{Outcome, Writer};
use crate::{check, q};

/// What a subscription's mail carries.
pub const FORMATS: &[&str] = &["pdf", "xlsx", "csv", "html"];
/// The most reports one subscription bundles.
pub const MAX_REPORTS: usize = 10;
/// The most recipients of one subscription.
pub const MAX_RECIPIENTS: usize = 50;

/// A report as a subscription sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscribed {
    /// The report's id (`ar_aging`).
    pub report: String,
    /// Its view; absent: the report's first.
    pub view: Option<String>,
    /// Parameters as given (`as_of` → `yesterday`).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// Who gets it: a user of the org, or an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// A user of the org (their email comes from the user, their stores from their access).
    pub user_id: Option<i64>,
    /// An address outside the users: it gets what the owner may see.
    pub email: Option<String>,
}

/// Sends reports by email on a schedule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    /// The org.
    pub org_id: i64,
    /// Whose scope it runs with; absent: the user acting.
    pub owner_id: Option<i64>,
    /// Its name, unique in the org.
    pub name: String,
    /// The reports it sends, in order (several arrive as one workbook or one PDF).
    pub reports: Vec<Subscribed>,
    /// pdf, xlsx, csv or html (the summary in the mail's body, the files attached).
    pub format: String,
    /// Who gets it.
    pub recipients: Vec<Recipient>,
    /// When: a cron expression (minute hour day-of-month month day-of-week).
    pub cron: String,
    /// The IANA time zone the schedule and the relative dates are read in.
    pub time_zone: String,
    /// Each recipient user gets it run with their own stores.
    #[serde(default)]
    pub per_recipient: bool,
    /// Nothing is sent when every report is empty.
    #[serde(default)]
    pub skip_if_empty: bool,
}

impl CreateSubscription {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        check::org_exists(w, self.org_id).await?;
        let name = self.name.trim();
        check::non_empty("name", name)?;
        let owner = match (self.owner_id, w.actor) {
            (Some(o), _) => o,
            (None, Some(a)) => a,
            (None, None) => return Err(Error::invalid("owner_id", "(none)", "the operator names the owner")),
        };
        user_in(w, self.org_id, "owner_id", owner).await?;
        if w.actor.is_some_and(|a| a != owner) {
            return Err(Error::Forbidden("a subscription runs as the user who keeps it".into()));
        }
        reports(&self.reports)?;
        let format = format(&self.format)?;
        recipients(w, self.org_id, &self.recipients).await?;
        let next = next_run(&self.cron, &self.time_zone, Utc::now())?;
        let taken = w
            .fetch_optional(q!("select id from subscriptions where org_id = $1 and name = $2", self.org_id, name))
            .await?;
        if taken.is_some() {
            return Err(Error::invalid("name", format!("{name:?}"), "the org already has a subscription by this name"));
        }
        let now = Utc::now();
        let reports = serde_json::to_string(&self.reports).map_err(|e| Error::Database(e.to_string()))?;
        let id = w
            .insert(
                "subscriptions",
                self.org_id,
                q!(
                    "insert into subscriptions (org_id, owner_id, name, reports, format, cron, time_zone,
                     per_recipient, skip_if_empty, active, next_run_at, created_at, updated_at)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, $10, $11, $11) returning *",
                    self.org_id,
                    owner,
                    name,
                    reports,
                    format,
                    self.cron.trim(),
                    self.time_zone.trim(),
                    self.per_recipient,
                    self.skip_if_empty,
                    next.timestamp(),
                    now
                ),
            )
            .await?;
        insert_recipients(w, self.org_id, id, &self.recipients).await?;
        Ok(Outcome::id(id))
    }
}

/// Changes a subscription: each field given replaces the old (`recipients` the whole list); a new schedule or
/// time zone moves its next run to the new schedule's first slot after now.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSubscription {
    /// The org.
    pub org_id: i64,
    /// The subscription.
    pub subscription_id: i64,
    /// Its new name, unique in the org.
    pub name: Option<String>,
    /// The reports it sends.
    pub reports: Option<Vec<Subscribed>>,
    /// pdf, xlsx, csv or html.
    pub format: Option<String>,
    /// Who gets it (the whole list).
    pub recipients: Option<Vec<Recipient>>,
    /// When.
    pub cron: Option<String>,
    /// The schedule's time zone.
    pub time_zone: Option<String>,
    /// Each recipient user gets their own stores.
    pub per_recipient: Option<bool>,
    /// Nothing is sent when every report is empty.
    pub skip_if_empty: Option<bool>,
}

impl UpdateSubscription {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let k = kept(w, self.org_id, self.subscription_id).await?;
        // it runs with its owner's scope: another may change what it sends, and to whom, only when they see at
        // least as much — an owner of the org with every store
        if let Some(actor) = w.actor.filter(|a| *a != k.owner) {
            let every_store =
                w.fetch_optional(q!("select store_id from user_stores where user_id = $1", actor)).await?.is_none();
            if !every_store || !check::actor_in(w, self.org_id, &["owner"]).await? {
                return Err(Error::Forbidden(
                    "a subscription runs with its owner's scope, so it is changed by its owner or by an owner of \
                     the org with every store (a manager may pause, resume, send or remove it)"
                        .into(),
                ));
            }
        }
        let name = self.name.as_deref().map(str::trim);
        if let Some(n) = name {
            check::non_empty("name", n)?;
            let taken = w
                .fetch_optional(q!(
                    "select id from subscriptions where org_id = $1 and name = $2 and id <> $3",
                    self.org_id,
                    n,
                    self.subscription_id
                ))
                .await?;
            if taken.is_some() {
                return Err(Error::invalid(
                    "name",
                    format!("{n:?}"),
                    "the org already has a subscription by this name",
                ));
            }
        }
        if let Some(r) = &self.reports {
            reports(r)?;
        }
        let format = self.format.as_deref().map(format).transpose()?;
        if let Some(r) = &self.recipients {
            recipients(w, self.org_id, r).await?;
        }
        let cron = self.cron.as_deref().map(str::trim).unwrap_or(&k.cron);
        let zone = self.time_zone.as_deref().map(str::trim).unwrap_or(&k.time_zone);
        let moved = cron != k.cron || zone != k.time_zone;
        let next = next_run(cron, zone, Utc::now())?;
        let reports = self
            .reports
            .as_ref()
            .map(|r| serde_json::to_string(r).map_err(|e| Error::Database(e.to_string())))
            .transpose()?;
        w.update(
            "subscriptions",
            self.org_id,
            self.subscription_id,
            q!(
                "update subscriptions set name = coalesce($1, name), reports = coalesce($2, reports),
                 format = coalesce($3, format), cron = $4, time_zone = $5,
                 per_recipient = coalesce($6, per_recipient), skip_if_empty = coalesce($7, skip_if_empty),
                 next_run_at = case when $8 then $9 else next_run_at end, updated_at = $10
                 where id = $11",
                name,
                reports,
                format,
                cron,
                zone,
                self.per_recipient,
                self.skip_if_empty,
                moved,
                next.timestamp(),
                Utc::now(),
                self.subscription_id
            ),
        )
        .await?;
        if let Some(list) = &self.recipients {
            let old = w
                .fetch_all(q!(
                    "select id from subscription_recipients where subscription_id = $1",
                    self.subscription_id
                ))
                .await?;
            for r in old {
                w.delete("subscription_recipients", self.org_id, r.i64("id")?).await?;
            }
            insert_recipients(w, self.org_id, self.subscription_id, list).await?;
        }
        Ok(Outcome::id(self.subscription_id))
    }
}

/// Stops a subscription sending until it is resumed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseSubscription {
    /// The org.
    pub org_id: i64,
    /// The subscription.
    pub subscription_id: i64,
    /// Why (shown beside it).
    pub reason: Option<String>,
}

impl PauseSubscription {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        kept(w, self.org_id, self.subscription_id).await?;
        let reason = self.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).unwrap_or("paused");
        w.update(
            "subscriptions",
            self.org_id,
            self.subscription_id,
            q!(
                "update subscriptions set active = false, paused_reason = $1, updated_at = $2 where id = $3",
                reason,
                Utc::now(),
                self.subscription_id
            ),
        )
        .await?;
        Ok(Outcome::id(self.subscription_id))
    }
}

/// Lets a paused subscription send again, from its next slot after now (the slots it missed are not sent).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeSubscription {
    /// The org.
    pub org_id: i64,
    /// The subscription.
    pub subscription_id: i64,
}

impl ResumeSubscription {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let k = kept(w, self.org_id, self.subscription_id).await?;
        let next = next_run(&k.cron, &k.time_zone, Utc::now())?;
        w.update(
            "subscriptions",
            self.org_id,
            self.subscription_id,
            q!(
                "update subscriptions set active = true, paused_reason = null, next_run_at = $1, updated_at = $2
                 where id = $3",
                next.timestamp(),
                Utc::now(),
                self.subscription_id
            ),
        )
        .await?;
        Ok(Outcome::id(self.subscription_id))
    }
}

/// Removes a subscription, its recipients and its delivery log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteSubscription {
    /// The org.
    pub org_id: i64,
    /// The subscription.
    pub subscription_id: i64,
}

impl DeleteSubscription {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        kept(w, self.org_id, self.subscription_id).await?;
        let ids = w
            .fetch_all(q!("select id from subscription_recipients where subscription_id = $1", self.subscription_id))
            .await?;
        for r in ids {
            w.delete("subscription_recipients", self.org_id, r.i64("id")?).await?;
        }
        // the log is the scheduler's bookkeeping, not the business's: it goes unaudited, with its subscription
        w.execute_untracked(q!("delete from deliveries where subscription_id = $1", self.subscription_id)).await?;
        w.delete("subscriptions", self.org_id, self.subscription_id).await?;
        Ok(Outcome::id(self.subscription_id))
    }
}

/// A subscription as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Subscription {
    /// Its id.
    pub id: i64,
    /// Whose scope it runs with.
    pub owner_id: i64,
    /// Its name.
    pub name: String,
    /// The reports it sends.
    pub reports: Vec<Subscribed>,
    /// pdf, xlsx, csv or html.
    pub format: String,
    /// Who gets it.
    pub recipients: Vec<Recipient>,
    /// Its cron expression.
    pub cron: String,
    /// Its time zone.
    pub time_zone: String,
    /// Each recipient user gets their own stores.
    pub per_recipient: bool,
    /// An empty result is not sent.
    pub skip_if_empty: bool,
    /// Sending (not paused).
    pub active: bool,
    /// Why it is paused.
    pub paused_reason: Option<String>,
    /// When it is next due (Unix seconds).
    pub next_run_at: i64,
}

/// The org's subscriptions, by name; `owner`: only that user's.
pub async fn list(db: &Db, org_id: i64, owner: Option<i64>) -> Result<Vec<Subscription>> {
    let rows = db
        .fetch_all(q!(
            "select id, owner_id, name, reports, format, cron, time_zone, per_recipient, skip_if_empty, active,
             paused_reason, next_run_at from subscriptions
             where org_id = $1 and ($2 = 0 or owner_id = $2) order by name, id",
            org_id,
            owner.unwrap_or(0)
        ))
        .await?;
    let people = db
        .fetch_all(q!(
            "select subscription_id, user_id, email from subscription_recipients where org_id = $1 order by id",
            org_id
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let id = r.i64("id")?;
            let reports = r.text("reports")?;
            Ok(Subscription {
                id,
                owner_id: r.i64("owner_id")?,
                name: r.text("name")?,
                reports: serde_json::from_str(&reports)
                    .map_err(|e| Error::Database(format!("subscription reports {reports:?}: {e}")))?,
                format: r.text("format")?,
                recipients: people
                    .iter()
                    .filter(|p| p.i64("subscription_id").is_ok_and(|s| s == id))
                    .map(|p| Ok(Recipient { user_id: p.opt_i64("user_id")?, email: p.opt_text("email")? }))
                    .collect::<Result<Vec<_>>>()?,
                cron: r.text("cron")?,
                time_zone: r.text("time_zone")?,
                per_recipient: r.bool("per_recipient")?,
                skip_if_empty: r.bool("skip_if_empty")?,
                active: r.bool("active")?,
                paused_reason: r.opt_text("paused_reason")?,
                next_run_at: r.i64("next_run_at")?,
            })
        })
        .collect()
}

/// A run of a subscription one scheduler claimed: its delivery row (status `pending`) and the slot it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The delivery row to fill in.
    pub delivery_id: i64,
    /// The subscription.
    pub subscription_id: i64,
    /// Its org.
    pub org_id: i64,
    /// The slot (Unix seconds) the run is for.
    pub slot: i64,
    /// When it was claimed (Unix seconds): [`start`] holds the claim only if no one has taken it over since.
    pub claimed_at: i64,
    /// Who claimed it (a server, or who asked for it now).
    pub claimed_by: String,
    /// Asked for now ("send now", `loupe schedule run-now`): sent even while the subscription is paused.
    pub manual: bool,
}

/// Claims the runs due at `now` (at most `limit`), for the scheduler `by`: for each active subscription whose
/// next slot has come, a conditional update moves its next slot to the first one after `now` — only if no other
/// scheduler moved it first — and a `pending` delivery row for the slot is written in the same transaction. So
/// two servers on one database never claim the same run, and a subscription whose slots passed while no server
/// ran is sent once, for its latest slot, not once per missed slot.
pub async fn claim_due(db: &Db, now: DateTime<Utc>, by: &str, limit: i64) -> Result<Vec<Claimed>> {
    let due = db
        .fetch_all(q!(
            "select id, org_id, cron, time_zone, next_run_at from subscriptions
             where active and next_run_at <= $1 order by next_run_at, id limit $2",
            now.timestamp(),
            limit
        ))
        .await?;
    let mut claimed = Vec::new();
    for d in due {
        let id = d.i64("id")?;
        // one subscription the books cannot claim (a schedule no longer valid) holds up no other
        match claim_one(db, &d, now, by).await {
            Ok(Some(c)) => claimed.push(c),
            Ok(None) => {}
            Err(e) => tracing::warn!(target: "loupe_mail", subscription = id, "its due run was not claimed: {e}"),
        }
    }
    Ok(claimed)
}

/// Claims the due run of the subscription row `d` (id, org_id, cron, time_zone, next_run_at) for `by`: `None`
/// when another scheduler took it first, or when a run asked for at that very second already covers the slot.
async fn claim_one(db: &Db, d: &crate::db::Row, now: DateTime<Utc>, by: &str) -> Result<Option<Claimed>> {
    let (id, org_id, was) = (d.i64("id")?, d.i64("org_id")?, d.i64("next_run_at")?);
    // the latest slot that has come: a run missed while no server ran is sent once, for it
    let slot = latest_slot(&d.text("cron")?, &d.text("time_zone")?, was, now)?;
    let next = next_run(&d.text("cron")?, &d.text("time_zone")?, now)?;
    let mut tx = db.begin().await?;
    let won = tx
        .execute(q!(
            "update subscriptions set next_run_at = $1 where id = $2 and next_run_at = $3 and active",
            next.timestamp(),
            id,
            was
        ))
        .await?;
    if won != 1 {
        return Ok(None);
    }
    let covered = tx
        .fetch_optional(q!("select id from deliveries where subscription_id = $1 and slot_at = $2", id, slot))
        .await?;
    if covered.is_some() {
        tx.commit().await?;
        return Ok(None);
    }
    let claimed = pending(&mut tx, org_id, id, slot, now.timestamp(), by, false).await?;
    tx.commit().await?;
    Ok(Some(claimed))
}

/// The `pending` delivery row of a run of `subscription_id` for `slot`, claimed by `by` at `at`.
async fn pending(
    tx: &mut crate::db::Tx,
    org_id: i64,
    subscription_id: i64,
    slot: i64,
    at: i64,
    by: &str,
    manual: bool,
) -> Result<Claimed> {
    let delivery_id = tx
        .insert(q!(
            "insert into deliveries (org_id, subscription_id, slot_at, claimed_at, claimed_by, status)
             values ($1, $2, $3, $4, $5, 'pending') returning id",
            org_id,
            subscription_id,
            slot,
            at,
            by
        ))
        .await?;
    Ok(Claimed { delivery_id, subscription_id, org_id, slot, claimed_at: at, claimed_by: by.into(), manual })
}

/// A run claimed this long ago (seconds) and still pending was left by a process that stopped: a scheduler takes
/// it over, and a run asked for now closes it.
pub const STALE_SECS: i64 = 15 * 60;

/// A run asked for now (`loupe schedule run-now`, "send now"), outside the schedule: a `pending` delivery row
/// for this second, claimed by `by`; the subscription's next slot stays where it is. Sent by the same code as a
/// scheduled run. Paused subscriptions may be sent this way (to try one before resuming it).
pub async fn claim_now(db: &Db, org_id: i64, subscription_id: i64, now: DateTime<Utc>, by: &str) -> Result<Claimed> {
    db.fetch_optional(q!("select id from subscriptions where id = $1 and org_id = $2", subscription_id, org_id))
        .await?
        .ok_or_else(|| Error::not_found("subscription", subscription_id))?;
    let slot = now.timestamp();
    let mut tx = db.begin().await?;
    // the subscription's row locked first, so two asking at once take turns (PostgreSQL's read committed)
    tx.execute(q!("update subscriptions set updated_at = updated_at where id = $1", subscription_id)).await?;
    // a run left pending past the stale limit by a process that stopped (a `run-now` cut short where no server
    // takes runs over) is closed, rather than holding every later "send now" off
    tx.execute(q!(
        "update deliveries set status = 'failed', error = $1, finished_at = $2
         where subscription_id = $3 and status = 'pending' and claimed_at < $4",
        "the run stopped before it ended (the process sending it stopped); a later run was asked for",
        slot,
        subscription_id,
        slot - STALE_SECS
    ))
    .await?;
    let taken = tx
        .fetch_optional(q!(
            "select id from deliveries where subscription_id = $1 and (slot_at = $2 or status = 'pending')",
            subscription_id,
            slot
        ))
        .await?;
    if taken.is_some() {
        return Err(Error::Conflict(format!(
            "subscription {subscription_id} is being sent now: wait for that run to end (see its delivery log)"
        )));
    }
    let claimed = pending(&mut tx, org_id, subscription_id, slot, slot, by, true).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// Takes over the runs another scheduler claimed before `stale` and never finished (it stopped mid-run): each
/// by a conditional update of its claim, so of two servers looking only one takes it.
pub async fn reclaim_stale(db: &Db, stale: DateTime<Utc>, now: DateTime<Utc>, by: &str) -> Result<Vec<Claimed>> {
    let rows = db
        .fetch_all(q!(
            "select id, org_id, subscription_id, slot_at, claimed_at from deliveries
             where status = 'pending' and claimed_at < $1 order by claimed_at, id limit 100",
            stale.timestamp()
        ))
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let (id, was) = (r.i64("id")?, r.i64("claimed_at")?);
        let mut tx = db.begin().await?;
        let won = tx
            .execute(q!(
                "update deliveries set claimed_at = $1, claimed_by = $2
                 where id = $3 and status = 'pending' and claimed_at = $4",
                now.timestamp(),
                by,
                id,
                was
            ))
            .await?;
        tx.commit().await?;
        if won == 1 {
            out.push(Claimed {
                delivery_id: id,
                subscription_id: r.i64("subscription_id")?,
                org_id: r.i64("org_id")?,
                slot: r.i64("slot_at")?,
                claimed_at: now.timestamp(),
                claimed_by: by.into(),
                manual: false,
            });
        }
    }
    Ok(out)
}

/// Renews the claim on a run about to be sent (after waiting its turn, before each render and each letter) to
/// `now`, only if it is still as `c` holds it (pending, by `c.claimed_by`, at `c.claimed_at`), keeping `sent`
/// (the addresses mailed so far, comma-separated) as its progress. `false` when another look took it over
/// meanwhile (it waited or ran past the stale limit): whoever holds the claim sends what is left ([`sent_so_far`]),
/// so nothing is sent twice.
pub async fn start(db: &Db, c: &mut Claimed, now: DateTime<Utc>, sent: Option<&str>) -> Result<bool> {
    let mut tx = db.begin().await?;
    let won = tx
        .execute(q!(
            "update deliveries set claimed_at = $1, recipients = coalesce($2, recipients)
             where id = $3 and status = 'pending' and claimed_by = $4 and claimed_at = $5",
            now.timestamp(),
            sent,
            c.delivery_id,
            c.claimed_by.as_str(),
            c.claimed_at
        ))
        .await?;
    tx.commit().await?;
    if won == 1 {
        c.claimed_at = now.timestamp();
    }
    Ok(won == 1)
}

/// The addresses a pending run has mailed so far (its progress, kept by [`start`]): a run taken over skips them.
pub async fn sent_so_far(db: &Db, delivery_id: i64) -> Result<Vec<String>> {
    let row = db
        .fetch_optional(q!("select recipients from deliveries where id = $1 and status = 'pending'", delivery_id))
        .await?;
    let list = match row {
        Some(r) => r.opt_text("recipients")?.unwrap_or_default(),
        None => String::new(),
    };
    Ok(list.split(", ").filter(|a| !a.is_empty()).map(str::to_string).collect())
}

/// How a run ended, for its delivery row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// `sent`, `skipped` or `failed`.
    pub status: &'static str,
    /// Tries at sending.
    pub attempts: i64,
    /// Who it went to (addresses, comma-separated).
    pub recipients: String,
    /// The reports as run: JSON, each report, view and its parameters as resolved.
    pub resolved: String,
    /// Bytes sent (attachments and bodies).
    pub bytes: i64,
    /// The sent messages' ids.
    pub message_id: Option<String>,
    /// Why it failed or was skipped.
    pub error: Option<String>,
    /// When it ended.
    pub at: DateTime<Utc>,
}

/// Records how the claimed run `c` ended: only while it is pending and still `c`'s to finish (`false` when another
/// server took it over), so a run is finished once.
pub async fn finish(db: &Db, c: &Claimed, f: &Finished) -> Result<bool> {
    let mut tx = db.begin().await?;
    let won = tx
        .execute(q!(
            "update deliveries set status = $1, attempts = $2, recipients = $3, resolved = $4, bytes = $5,
             message_id = $6, error = $7, finished_at = $8
             where id = $9 and status = 'pending' and claimed_by = $10 and claimed_at = $11",
            f.status,
            f.attempts,
            f.recipients.as_str(),
            f.resolved.as_str(),
            f.bytes,
            f.message_id.as_deref(),
            f.error.as_deref(),
            f.at.timestamp(),
            c.delivery_id,
            c.claimed_by.as_str(),
            c.claimed_at
        ))
        .await?;
    tx.commit().await?;
    Ok(won == 1)
}

/// One run of a subscription, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    /// The run.
    pub id: i64,
    /// Its subscription.
    pub subscription_id: i64,
    /// The subscription's name.
    pub subscription: String,
    /// The slot it was for (Unix seconds).
    pub slot_at: i64,
    /// Which server took it, and when (Unix seconds).
    pub claimed_by: String,
    /// When it was taken (Unix seconds).
    pub claimed_at: i64,
    /// Tries at sending.
    pub attempts: i64,
    /// `pending`, `sent`, `skipped` or `failed`.
    pub status: String,
    /// Who it went to.
    pub recipients: Option<String>,
    /// The reports as run, with their parameters as resolved (JSON).
    pub resolved: Option<String>,
    /// Bytes sent.
    pub bytes: Option<i64>,
    /// The sent messages' ids.
    pub message_id: Option<String>,
    /// Why it failed or was skipped.
    pub error: Option<String>,
    /// When it ended (Unix seconds).
    pub finished_at: Option<i64>,
}

/// The org's latest runs, newest first: of one subscription, of those `owner` keeps, or all.
pub async fn deliveries(
    db: &Db,
    org_id: i64,
    subscription: Option<i64>,
    owner: Option<i64>,
    limit: i64,
) -> Result<Vec<Delivery>> {
    let rows = db
        .fetch_all(q!(
            "select d.id, d.subscription_id, s.name, d.slot_at, d.claimed_by, d.claimed_at, d.attempts, d.status,
             d.recipients, d.resolved, d.bytes, d.message_id, d.error, d.finished_at
             from deliveries d join subscriptions s on s.id = d.subscription_id
             where d.org_id = $1 and ($2 = 0 or d.subscription_id = $2) and ($3 = 0 or s.owner_id = $3)
             order by d.claimed_at desc, d.id desc limit $4",
            org_id,
            subscription.unwrap_or(0),
            owner.unwrap_or(0),
            limit
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Delivery {
                id: r.i64("id")?,
                subscription_id: r.i64("subscription_id")?,
                subscription: r.text("name")?,
                slot_at: r.i64("slot_at")?,
                claimed_by: r.text("claimed_by")?,
                claimed_at: r.i64("claimed_at")?,
                attempts: r.i64("attempts")?,
                status: r.text("status")?,
                recipients: r.opt_text("recipients")?,
                resolved: r.opt_text("resolved")?,
                bytes: r.opt_i64("bytes")?,
                message_id: r.opt_text("message_id")?,
                error: r.opt_text("error")?,
                finished_at: r.opt_i64("finished_at")?,
            })
        })
        .collect()
}

/// A recipient as the mail finds them at send time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressed {
    /// The user, when the recipient is one.
    pub user_id: Option<i64>,
    /// Where the mail goes: the user's address now (`None`: they have none, or are disabled), or the address.
    pub email: Option<String>,
}

/// The recipients of subscription `id`, each with where their mail goes now.
pub async fn addressed(db: &Db, org_id: i64, id: i64) -> Result<Vec<Addressed>> {
    let rows = db
        .fetch_all(q!(
            "select r.user_id, case when u.active then u.email end as user_email, r.email
             from subscription_recipients r left join users u on u.id = r.user_id and u.org_id = r.org_id
             where r.org_id = $1 and r.subscription_id = $2 order by r.id",
            org_id,
            id
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let user_id = r.opt_i64("user_id")?;
            let email = if user_id.is_some() { r.opt_text("user_email")? } else { r.opt_text("email")? };
            Ok(Addressed { user_id, email })
        })
        .collect()
}

/// Where a user of the org gets mail now: `None` when they have no address or are disabled.
pub async fn addressed_user(db: &Db, org_id: i64, user_id: i64) -> Result<Option<String>> {
    let r = db
        .fetch_optional(q!(
            "select email from users where id = $1 and org_id = $2 and active and email is not null",
            user_id,
            org_id
        ))
        .await?;
    r.map(|r| r.text("email")).transpose()
}

/// One of the org's subscriptions.
pub async fn one(db: &Db, org_id: i64, id: i64) -> Result<Subscription> {
    list(db, org_id, None).await?.into_iter().find(|s| s.id == id).ok_or_else(|| Error::not_found("subscription", id))
}

/// The last slot of `cron` at or before `now` (and not before `first`, the slot that came due).
fn latest_slot(cron: &str, time_zone: &str, first: i64, now: DateTime<Utc>) -> Result<i64> {
    let (c, tz) = parse(cron, time_zone)?;
    let last = c
        .find_previous_occurrence(&now.with_timezone(&tz), true)
        .map_err(|e| Error::invalid("cron", cron, format!("never came: {e}")))?;
    Ok(last.timestamp().max(first))
}

/// The first slot of `cron` in `time_zone` strictly after `after`: read on the wall clock of that zone, so a
/// daily 07:00 stays at 07:00 across daylight-saving changes, a slot in a skipped hour is not invented and one
/// in a repeated hour comes once.
pub fn next_run(cron: &str, time_zone: &str, after: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let (c, tz) = parse(cron, time_zone)?;
    let next = c
        .find_next_occurrence(&after.with_timezone(&tz), false)
        .map_err(|e| Error::invalid("cron", cron, format!("never comes: {e}")))?;
    Ok(next.with_timezone(&Utc))
}

/// A schedule and its zone, or the field at fault.
fn parse(cron: &str, time_zone: &str) -> Result<(croner::Cron, chrono_tz::Tz)> {
    let tz: chrono_tz::Tz = time_zone
        .trim()
        .parse()
        .map_err(|_| Error::invalid("time_zone", time_zone, "an IANA time zone (America/New_York)"))?;
    let c = croner::Cron::from_str(cron.trim()).map_err(|e| {
        Error::invalid(
            "cron",
            cron,
            format!("minute hour day-of-month month day-of-week, as 0 7 * * 1 for Mondays at 07:00 ({e})"),
        )
    })?;
    Ok((c, tz))
}

struct Kept {
    owner: i64,
    cron: String,
    time_zone: String,
}

async fn kept(w: &mut Writer, org_id: i64, id: i64) -> Result<Kept> {
    let r = w
        .fetch_optional(q!(
            "select owner_id, cron, time_zone from subscriptions where id = $1 and org_id = $2",
            id,
            org_id
        ))
        .await?
        .ok_or_else(|| Error::not_found("subscription", id))?;
    let owner = r.i64("owner_id")?;
    if w.actor.is_some_and(|a| a != owner) && !check::actor_in(w, org_id, &["owner", "manager"]).await? {
        return Err(Error::Forbidden("a subscription is changed by its owner, an owner or a manager".into()));
    }
    Ok(Kept { owner, cron: r.text("cron")?, time_zone: r.text("time_zone")? })
}

/// Keeps `list` as the recipients of subscription `id`.
async fn insert_recipients(w: &mut Writer, org_id: i64, id: i64, list: &[Recipient]) -> Result<()> {
    for r in list {
        w.insert(
            "subscription_recipients",
            org_id,
            q!(
                "insert into subscription_recipients (org_id, subscription_id, user_id, email)
                 values ($1, $2, $3, $4) returning *",
                org_id,
                id,
                r.user_id,
                r.email.as_deref().map(str::trim)
            ),
        )
        .await?;
    }
    Ok(())
}

async fn user_in(w: &mut Writer, org_id: i64, field: &str, user: i64) -> Result<()> {
    w.fetch_optional(q!("select id from users where id = $1 and org_id = $2 and active", user, org_id))
        .await?
        .ok_or_else(|| Error::invalid(field, user, "no such active user in this org"))?;
    Ok(())
}

fn reports(list: &[Subscribed]) -> Result<()> {
    if list.is_empty() || list.len() > MAX_REPORTS {
        return Err(Error::invalid("reports", format!("({} reports)", list.len()), format!("1 to {MAX_REPORTS}")));
    }
    for (i, r) in list.iter().enumerate() {
        identifier(&format!("reports[{i}].report"), &r.report)?;
        if let Some(v) = &r.view {
            identifier(&format!("reports[{i}].view"), v)?;
        }
        for k in r.params.keys() {
            identifier(&format!("reports[{i}].params.{k}"), k)?;
        }
    }
    Ok(())
}

async fn recipients(w: &mut Writer, org_id: i64, list: &[Recipient]) -> Result<()> {
    if list.is_empty() || list.len() > MAX_RECIPIENTS {
        return Err(Error::invalid(
            "recipients",
            format!("({} recipients)", list.len()),
            format!("1 to {MAX_RECIPIENTS}"),
        ));
    }
    for (i, r) in list.iter().enumerate() {
        match (r.user_id, r.email.as_deref()) {
            (Some(u), None) => {
                let field = format!("recipients[{i}].user_id");
                user_in(w, org_id, &field, u).await?;
                let has = w.fetch_optional(q!("select id from users where id = $1 and email is not null", u)).await?;
                if has.is_none() {
                    return Err(Error::invalid(field, u, "the user has no email address (update_user sets one)"));
                }
            }
            (None, Some(e)) => check::email(&format!("recipients[{i}].email"), e)?,
            _ => {
                return Err(Error::invalid(
                    format!("recipients[{i}]"),
                    "(both or neither)",
                    "a user_id or an email, one of them",
                ));
            }
        }
    }
    Ok(())
}

fn format(f: &str) -> Result<&'static str> {
    FORMATS
        .iter()
        .find(|x| **x == f.trim())
        .copied()
        .ok_or_else(|| Error::invalid("format", format!("{f:?}"), format!("one of {}", FORMATS.join(", "))))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn a_daily_seven_oclock_stays_at_seven_across_both_daylight_saving_changes() {
        // New York springs forward on 2026-03-08 (02:00 → 03:00) and falls back on 2026-11-01
        let mut t = at("2026-03-06T13:00:00Z");
        let mut got = Vec::new();
        for _ in 0..4 {
            t = next_run("0 7 * * *", "America/New_York", t).unwrap_or_default();
            got.push(t.with_timezone(&chrono_tz::America::New_York).format("%Y-%m-%d %H:%M %Z").to_string());
        }
        assert_eq!(
            got,
            ["2026-03-07 07:00 EST", "2026-03-08 07:00 EDT", "2026-03-09 07:00 EDT", "2026-03-10 07:00 EDT"]
        );
        let autumn = next_run("0 7 * * *", "America/New_York", at("2026-10-31T12:00:00Z")).unwrap_or_default();
        assert_eq!(
            autumn,
            chrono_tz::America::New_York.with_ymd_and_hms(2026, 11, 1, 7, 0, 0).unwrap().with_timezone(&Utc)
        );
    }

    #[test]
    fn a_slot_in_the_skipped_hour_is_not_invented_and_one_in_the_repeated_hour_comes_once() {
        // 02:30 does not exist on 2026-03-08 in New York; 01:30 happens twice on 2026-11-01
        let tz = chrono_tz::America::New_York;
        let spring = next_run("30 2 * * *", "America/New_York", at("2026-03-07T12:00:00Z")).unwrap_or_default();
        assert_ne!(spring.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(), "2026-03-08 02:30");
        let first = next_run("30 1 * * *", "America/New_York", at("2026-11-01T04:00:00Z")).unwrap_or_default();
        let second = next_run("30 1 * * *", "America/New_York", first).unwrap_or_default();
        assert_eq!(first.with_timezone(&tz).format("%m-%d %H:%M").to_string(), "11-01 01:30");
        assert_eq!(second.with_timezone(&tz).format("%m-%d %H:%M").to_string(), "11-02 01:30");
    }

    #[test]
    fn bad_schedules_and_addresses_are_named() {
        let now = at("2026-03-06T13:00:00Z");
        let e = next_run("61 7 * * *", "UTC", now).unwrap_err().to_string();
        assert!(e.starts_with("cron: 61 7 * * *"), "{e}");
        let e = next_run("0 7 * * *", "Mars/Olympus", now).unwrap_err().to_string();
        assert!(e.starts_with("time_zone: Mars/Olympus"), "{e}");
        for bad in
            ["ann", "ann@", "@example.com", "ann@example", "ann@@example.com", "a b@example.com", "a@b.com, c@d.com"]
        {
            assert!(check::email("email", bad).is_err(), "{bad}");
        }
        assert!(check::email("email", "ann.lee+reports@example.co.uk").is_ok());
    }
}
