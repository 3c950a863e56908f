//! The scheduler inside `loupe serve`: every few seconds it claims the subscriptions' due runs in the books
//! (a conditional update each, so of several servers on one PostgreSQL exactly one takes a run; a run missed
//! while no server ran is claimed once, for its latest slot) and takes over runs a stopped server left pending;
//! each claimed run is sent by [`crate::deliver`], a bounded number at once. The clock is a parameter of
//! [`Scheduler::tick`], so tests walk it through daylight-saving nights.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use oltp::subscriptions::{Claimed, Finished};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::deliver::{Sender, deliver};

/// How often the scheduler looks for due runs.
pub const EVERY: Duration = Duration::from_secs(15);
/// A run claimed this long ago and still pending was left by a server that stopped: another takes it over.
pub const STALE: Duration = Duration::from_secs(oltp::subscriptions::STALE_SECS.unsigned_abs());
/// Runs claimed per look (the rest wait for the next look, a few seconds later).
const CLAIM: i64 = 500;
/// Runs sent at once: rendering takes turns at the lake (one per core); sending waits on the mail server.
const AT_ONCE: usize = 16;

/// Claims due runs and sends them.
pub struct Scheduler {
    sender: Arc<Sender>,
    /// This server, as the delivery log names who claimed a run.
    name: String,
    at_once: Arc<Semaphore>,
}

impl Scheduler {
    /// A scheduler sending through `sender`, naming itself `name` in the books.
    pub fn new(sender: Arc<Sender>, name: impl Into<String>) -> Scheduler {
        Scheduler { sender, name: name.into(), at_once: Arc::new(Semaphore::new(AT_ONCE)) }
    }

    /// This machine and process, e.g. `shop-server:4121`.
    pub fn this_server() -> String {
        let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
        let host = if host.is_empty() { "loupe".to_string() } else { host };
        format!("{host}:{}", std::process::id())
    }

    /// The runs due at `now` and those left stale, claimed for this server.
    pub async fn claim(&self, now: DateTime<Utc>) -> Result<Vec<Claimed>> {
        let stale = now - chrono::Duration::from_std(STALE)?;
        let mut claimed = oltp::subscriptions::reclaim_stale(&self.sender.db, stale, now, &self.name).await?;
        claimed.extend(oltp::subscriptions::claim_due(&self.sender.db, now, &self.name, CLAIM).await?);
        Ok(claimed)
    }

    /// One look at the clock reading `now`: claims what is due and sends it, waiting for every run to end.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<Vec<Finished>> {
        let mut set = JoinSet::new();
        for c in self.claim(now).await? {
            self.spawn(&mut set, c);
        }
        let mut out = Vec::new();
        while let Some(done) = set.join_next().await {
            out.extend(done??);
        }
        Ok(out)
    }

    /// Sends `c` when its turn comes — unless, having waited past [`STALE`], another look took it over.
    fn spawn(&self, set: &mut JoinSet<Result<Option<Finished>>>, mut c: Claimed) {
        let sender = self.sender.clone();
        let at_once = self.at_once.clone();
        set.spawn(async move {
            let _turn = at_once.acquire_owned().await?;
            if !oltp::subscriptions::start(&sender.db, &mut c, Utc::now(), None).await? {
                tracing::info!(target: "loupe_mail", delivery = c.delivery_id, "taken over while it waited; not sent here");
                return Ok(None);
            }
            deliver(&sender, &mut c).await.map(Some)
        });
    }

    /// Looks every `every` until `stop`; runs in flight then get a few seconds to end (one cut short stays
    /// pending in the books, and is taken over after [`STALE`]).
    pub async fn run(self, stop: Arc<AtomicBool>, every: Duration) {
        let mut set = JoinSet::new();
        while !stop.load(Ordering::Relaxed) {
            match self.claim(Utc::now()).await {
                Ok(claimed) => {
                    for c in claimed {
                        self.spawn(&mut set, c);
                    }
                }
                Err(e) => tracing::error!(target: "loupe_mail", "claiming due subscriptions failed: {e:#}"),
            }
            while let Some(done) = set.try_join_next() {
                if let Ok(Err(e)) | Err(e) = done.map_err(anyhow::Error::from) {
                    tracing::error!(target: "loupe_mail", "a delivery could not be recorded: {e:#}");
                }
            }
            let until = tokio::time::Instant::now() + every;
            while !stop.load(Ordering::Relaxed) && tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let grace = tokio::time::timeout(Duration::from_secs(10), async { while set.join_next().await.is_some() {} });
        if grace.await.is_err() {
            tracing::warn!(target: "loupe_mail", "runs still sending at stop were cut short; another look takes them over");
            set.abort_all();
        }
    }
}
