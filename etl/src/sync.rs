//! Landing the books in the lake: incremental syncs after the lake's watermark, and full rebuilds.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use oltp::db::Q;
use oltp::{Db, ReadTx};
use warehouse::tables::date::TABLE as CALENDAR;
use warehouse::tables::sales_month::TABLE as SALES_MONTH;
use warehouse::{Lake, Landing, State};

use crate::error::Result;
use crate::transforms::{self, Source, Transform};
use crate::{derive, extract};

/// Changes read per chunk of a batch.
pub const BATCH: i64 = 50_000;
/// Rows per part of a table in a full load: the memory a load holds per table, twice over (one part being
/// written while the next is read).
const PART: usize = 200_000;
/// A table is compacted when a landing brings it to a multiple of this many versions, so each partition holds
/// a few large files rather than one small file per batch.
pub const COMPACT_EVERY: u64 = 32;

/// How a sync went.
#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    /// Batches landed.
    pub batches: usize,
    /// Changes they covered.
    pub changes: u64,
    /// Lake rows written (put or taken out).
    pub rows: u64,
    /// The lake's watermark afterwards.
    pub watermark: i64,
    /// Small files merged away by compaction.
    pub compacted: u64,
    /// Whether the run stopped on request before catching up.
    pub stopped: bool,
    /// Wall time.
    pub elapsed: Duration,
}

/// Where a sync stands, for progress bars: changes done of those pending when it started.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Changes landed so far.
    pub done: u64,
    /// Changes pending when the sync started.
    pub total: u64,
}

/// The lake against the books: what `loupe etl status` prints.
#[derive(Debug, Clone)]
pub struct Status {
    /// The lake's watermark (0: empty lake).
    pub watermark: i64,
    /// The books' last change.
    pub last_change: i64,
    /// Changes not yet in the lake.
    pub pending: i64,
    /// When the oldest pending change was made (RFC 3339), if any.
    pub oldest_pending_at: Option<String>,
    /// When the lake's last batch landed.
    pub landed_at: Option<String>,
}

/// Where the lake stands against the books.
pub async fn status(db: &Db, lake: &Lake) -> Result<Status> {
    let state = lake.state().await?;
    let watermark = state.as_ref().map_or(0, |s| s.watermark);
    let r = db
        .fetch_one(
            Q::new("select cast(count(*) as bigint) as n, min(at) as oldest from change_log where seq > $1")
                .bind(watermark),
        )
        .await?;
    Ok(Status {
        watermark,
        last_change: db.last_change().await?,
        pending: r.i64("n")?,
        oldest_pending_at: r.opt_text("oldest").ok().flatten(),
        landed_at: state.map(|s| s.landed_at),
    })
}

/// Lands every change after the lake's watermark. Each batch is every change up to the last one committed when
/// it starts, read from one consistent snapshot of the books (in chunks of [`BATCH`] changes, one commit per
/// table per chunk), and is published — the state moved to it — only whole: a reader never sees part of one,
/// not even part of one operation. A crash or kill at any point leaves the lake at its last published batch;
/// the next run first undoes whatever was committed after it ([`Lake::align`]). Setting `stop` ends the run at
/// the next chunk; an unfinished batch is undone the same way.
pub async fn sync(
    db: &Db,
    lake: &Lake,
    stop: &AtomicBool,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<SyncReport> {
    let _lock = lake.lock()?;
    catch_up(db, lake, stop, usize::MAX, progress).await
}

/// [`sync`] under a lock the caller holds, landing at most `max_batches` batches: changes committed while a
/// batch lands make another batch, so a run under a steady stream of writes ends only at this bound.
async fn catch_up(
    db: &Db,
    lake: &Lake,
    stop: &AtomicBool,
    max_batches: usize,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<SyncReport> {
    let started = Instant::now();
    let mut report = SyncReport::default();
    let saved = lake.state().await?;
    lake.align(saved.as_ref()).await?;
    let mut state = saved.unwrap_or_default();
    let total = status(db, lake).await?.pending.max(0) as u64;
    progress(Progress { done: 0, total });
    'batches: while report.batches < max_batches {
        let mut rt = db.read_snapshot().await?;
        let top = rt.last_change().await?;
        if top <= state.watermark {
            break;
        }
        let mut versions = state.versions.clone();
        if !versions.contains_key(CALENDAR.name) {
            versions.insert(CALENDAR.name.to_string(), calendar(lake, top).await?);
        }
        let mut from = state.watermark;
        while from < top {
            if stop.load(Ordering::Relaxed) {
                report.stopped = true;
                break 'batches;
            }
            let changes = rt
                .fetch_all(
                    Q::new(
                        "select seq, org_id, entity, entity_id from change_log
                         where seq > $1 and seq <= $2 order by seq limit $3",
                    )
                    .bind(from)
                    .bind(top)
                    .bind(BATCH),
                )
                .await?;
            let Some(last) = changes.last() else { break };
            let chunk = last.i64("seq")?;
            let mut touched: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
            for c in &changes {
                touched.entry(c.text("entity")?).or_default().push((c.i64("org_id")?, c.i64("entity_id")?));
            }
            for tr in transforms::all() {
                let landing = landing(&mut rt, tr, &touched).await?;
                if landing.is_empty() {
                    continue;
                }
                report.rows +=
                    landing.rows.iter().map(|b| b.num_rows() as u64).sum::<u64>() + landing.removed.len() as u64;
                let mut version = lake.land(tr.table, landing, chunk).await?;
                if version % COMPACT_EVERY == 0 {
                    let c = lake.compact(tr.table).await?;
                    report.compacted += c.files_removed;
                    version = c.version;
                }
                versions.insert(tr.table.name.to_string(), version);
            }
            // the derived table, from the lines as just landed
            let months = derive::sales_months(&mut rt, &touched).await?;
            if !months.is_empty() {
                versions.insert(SALES_MONTH.name.to_string(), lake.derive_sales_month(Some(&months), chunk).await?);
            }
            report.changes += changes.len() as u64;
            progress(Progress { done: report.changes, total: total.max(report.changes) });
            from = chunk;
        }
        drop(rt);
        for t in transforms::all().iter().map(|tr| tr.table).chain([&SALES_MONTH]) {
            if !versions.contains_key(t.name) {
                versions.insert(t.name.to_string(), lake.table(t).await?.version().unwrap_or_default());
            }
        }
        state = State { watermark: top, versions, landed_at: chrono::Utc::now().to_rfc3339() };
        lake.save_state(&state).await?;
        report.batches += 1;
    }
    report.watermark = state.watermark;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Keeps landing changes as they are committed until `stop` is set: one batch (everything committed when it
/// starts), then a pause of `every` (or less, if asked to stop), again and again — under a steady stream of
/// writes the lake lands a batch per `every` plus the batch's own time, not back to back, and a change is in
/// it within twice that. `landed` hears of every batch.
pub async fn follow(
    db: &Db,
    lake: &Lake,
    stop: &AtomicBool,
    every: Duration,
    landed: &mut (dyn FnMut(&SyncReport) + Send),
) -> Result<()> {
    let _lock = lake.lock()?;
    while !stop.load(Ordering::Relaxed) {
        let r = catch_up(db, lake, stop, 1, &mut |_| {}).await?;
        if r.batches > 0 {
            landed(&r);
        }
        let until = Instant::now() + every;
        while !stop.load(Ordering::Relaxed) && Instant::now() < until {
            tokio::time::sleep(every.min(Duration::from_millis(100))).await;
        }
    }
    Ok(())
}

/// Compacts every table and deletes the files neither the versions of the last `retain` nor the state's
/// versions need. Returns (small files merged away, files deleted).
pub async fn compact(lake: &Lake, retain: chrono::Duration) -> Result<(u64, usize)> {
    let _lock = lake.lock()?;
    let Some(mut state) = lake.state().await? else { return Ok((0, 0)) };
    // what a crashed run left after the state is undone first, so each table's latest version is the state's
    lake.align(Some(&state)).await?;
    let mut merged = 0;
    for t in warehouse::tables::all() {
        let c = lake.compact(t).await?;
        merged += c.files_removed;
        if c.files_removed > 0 {
            state.versions.insert(t.name.to_string(), c.version);
        }
    }
    // the compacted versions hold the same rows as the state's: readers move to them (fewer files)
    lake.save_state(&state).await?;
    let mut deleted = 0;
    for t in warehouse::tables::all() {
        let keep: Vec<u64> = state.versions.get(t.name).copied().into_iter().collect();
        deleted += lake.vacuum(t, retain, &keep).await?;
    }
    Ok((merged, deleted))
}

/// The calendar is not fed from the books: it is written whole when the lake first lands a batch (or is
/// rebuilt) and stays as it is after. Returns its version.
async fn calendar(lake: &Lake, watermark: i64) -> Result<u64> {
    Ok(lake.replace(&CALENDAR, vec![warehouse::tables::date::rows()?], watermark).await?)
}

/// What one batch changes in one table: the rows its changes touch, as they are now, and those deleted.
async fn landing(rt: &mut ReadTx, tr: &Transform, touched: &HashMap<String, Vec<(i64, i64)>>) -> Result<Landing> {
    let mut keys = BTreeSet::new();
    let mut own: BTreeMap<i64, i64> = BTreeMap::new();
    for (entity, source) in tr.sources {
        let Some(ids) = touched.get(*entity) else { continue };
        match source {
            Source::Same => {
                for (org, id) in ids {
                    keys.insert(*id);
                    own.insert(*id, *org);
                }
            }
            Source::Via(sql) => {
                let ids: BTreeSet<i64> = ids.iter().map(|(_, id)| *id).collect();
                let ids: Vec<i64> = ids.into_iter().collect();
                for chunk in ids.chunks(extract::IDS_PER_QUERY) {
                    let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
                    for r in rt.fetch_all(Q::built(sql.replace("{ids}", &list))).await? {
                        keys.insert(r.i64("id")?);
                    }
                }
            }
        }
    }
    if keys.is_empty() {
        return Ok(Landing::default());
    }
    let keys: Vec<i64> = keys.into_iter().collect();
    let rows = extract::by_keys(rt, tr, &keys).await?;
    let mut found = BTreeSet::new();
    for b in &rows {
        if let Some(ids) = b.column(1).as_any().downcast_ref::<warehouse::arrow::array::Int64Array>() {
            found.extend(ids.values().iter().copied());
        }
    }
    // a key of the table's own entity that the books no longer have was deleted there
    let removed = own.into_iter().filter(|(id, _)| !found.contains(id)).map(|(id, org)| (org, id)).collect();
    Ok(Landing { rows, removed })
}

/// Work on another task; dropped unfinished (the rebuild failed or was dropped), it is stopped rather than
/// left writing without the lock.
struct Task<T: Send + 'static>(Option<tokio::task::JoinHandle<Result<T>>>);

impl<T: Send + 'static> Task<T> {
    fn spawn(work: impl std::future::Future<Output = Result<T>> + Send + 'static) -> Task<T> {
        Task(Some(tokio::spawn(work)))
    }

    async fn finish(mut self) -> Result<T> {
        match self.0.take() {
            Some(handle) => handle.await.map_err(|e| crate::Error::Task(e.to_string()))?,
            None => Err(crate::Error::Task("finished twice".into())),
        }
    }
}

impl<T: Send + 'static> Drop for Task<T> {
    fn drop(&mut self) {
        if let Some(h) = &self.0 {
            h.abort();
        }
    }
}

/// Connections reading the books in parallel during a full load (each one core's worth of SQLite).
const READERS: usize = 2;
/// The tables a full load reads, largest first (dealt to the readers in turn, so their work is even).
const LARGEST_FIRST: &[&str] = &["stock_movement", "sales_line", "payment", "payment_application", "invoice", "item"];

/// Rebuilds the lake from scratch: every table loaded whole from one snapshot of the books, at the watermark of
/// that snapshot, read by [`READERS`] connections that share that snapshot. Gives the same rows as any sequence
/// of incremental syncs up to the same watermark.
pub async fn rebuild(db: &Db, lake: &Lake, progress: &mut (dyn FnMut(Progress) + Send)) -> Result<SyncReport> {
    let _lock = lake.lock()?;
    let started = Instant::now();
    let mut readers = db.read_snapshots(READERS).await?;
    let first = readers.first_mut().ok_or_else(|| crate::Error::Task("no reader".into()))?;
    let watermark = first.last_change().await?;
    let mut report = SyncReport { watermark, ..SyncReport::default() };
    let mut versions = BTreeMap::new();
    versions.insert(CALENDAR.name.to_string(), calendar(lake, watermark).await?);

    let all = transforms::all();
    let mut order: Vec<&'static Transform> = all.to_vec();
    order.sort_by_key(|tr| LARGEST_FIRST.iter().position(|n| *n == tr.table.name).unwrap_or(LARGEST_FIRST.len()));
    let (done, mut finished) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut tasks = Vec::with_capacity(READERS);
    for (r, rt) in readers.into_iter().enumerate() {
        let mine: Vec<&'static Transform> = order.iter().skip(r).step_by(READERS).copied().collect();
        tasks.push(Task::spawn(load(rt, mine, lake.clone(), watermark, done.clone())));
    }
    drop(done);
    let mut n = 0;
    while finished.recv().await.is_some() {
        n += 1;
        progress(Progress { done: n, total: all.len() as u64 });
    }
    for t in tasks {
        let (v, rows) = t.finish().await?;
        versions.extend(v);
        report.rows += rows;
    }
    // the derived table, from the lines just loaded
    versions.insert(SALES_MONTH.name.to_string(), lake.derive_sales_month(None, watermark).await?);
    lake.save_state(&State { watermark, versions, landed_at: chrono::Utc::now().to_rfc3339() }).await?;
    report.batches = 1;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// One reader's share of a full load. A table is written in parts of about [`PART`] rows — the first replaces
/// what was there, the others add to it — each part written on another task while the next is read; the state
/// moves only when every table is loaded, so a reader never sees a part, and a run that dies is undone by the
/// next. Returns each table's version and the rows loaded.
async fn load(
    mut rt: ReadTx,
    tables: Vec<&'static Transform>,
    lake: Lake,
    watermark: i64,
    done: tokio::sync::mpsc::UnboundedSender<()>,
) -> Result<(BTreeMap<String, u64>, u64)> {
    let mut versions = BTreeMap::new();
    let mut loaded = 0;
    // the part being written: its table, the task, and whether it is the table's last
    let mut writing: Option<(&'static str, Task<u64>, bool)> = None;
    for tr in tables {
        let mut after = i64::MIN;
        let mut first = true;
        loop {
            let mut part = Vec::new();
            let mut rows = 0;
            let mut more = true;
            while more && rows < PART {
                let (batch, last) = extract::page(&mut rt, tr, after).await?;
                rows += batch.num_rows();
                more = batch.num_rows() == extract::PAGE;
                if let Some(k) = last {
                    after = k;
                }
                part.push(batch);
            }
            loaded += rows as u64;
            if let Some((name, write, last)) = writing.take() {
                versions.insert(name.to_string(), write.finish().await?);
                if last {
                    // the channel only feeds a progress bar: a closed one is no error
                    let _ = done.send(());
                }
            }
            let (lake, table, replace) = (lake.clone(), tr.table, first);
            let write = Task::spawn(async move {
                let v = if replace {
                    lake.replace(table, part, watermark).await?
                } else {
                    lake.append(table, part, watermark).await?
                };
                Ok(v)
            });
            writing = Some((table.name, write, !more));
            first = false;
            if !more {
                break;
            }
        }
    }
    if let Some((name, write, _)) = writing.take() {
        versions.insert(name.to_string(), write.finish().await?);
        let _ = done.send(());
    }
    Ok((versions, loaded))
}
