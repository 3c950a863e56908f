//! SQLite through rusqlite, in the calling thread.
//!
//! A write transaction is a run of short statements; handing each one to a driver thread and back (as an async
//! driver must) costs more than the statement itself on a small machine. So SQLite statements run inline: one
//! writer connection behind an async mutex (SQLite has one writer at a time anyway, and its page cache stays
//! warm between transactions), and reader connections used from blocking threads, beside it under WAL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags, ffi};
use tokio::sync::OwnedMutexGuard;

use super::{Arg, Column, ColumnType, Q};
use crate::error::{Error, Result};

/// The connections to one SQLite file.
#[derive(Debug)]
pub(super) struct SqliteDb {
    path: String,
    writer: Arc<tokio::sync::Mutex<Connection>>,
    readers: Mutex<Vec<Connection>>,
    /// Tells the checkpointer thread to finish.
    stop: Arc<AtomicBool>,
    /// The checkpointer thread, joined before the closing checkpoint.
    checkpointer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

const READERS_KEPT: usize = 8;

/// How often the checkpointer folds the log back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

impl SqliteDb {
    pub(super) fn open(path: &str) -> Result<SqliteDb> {
        let writer = connect(path, true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let checkpointer = checkpointer(path, stop.clone())?;
        Ok(SqliteDb {
            path: path.to_string(),
            writer: Arc::new(tokio::sync::Mutex::new(writer)),
            readers: Mutex::new(Vec::new()),
            stop,
            checkpointer: Mutex::new(checkpointer),
        })
    }

    /// Takes the writer and opens a transaction that holds the write lock from its first statement.
    pub(super) async fn begin(&self) -> Result<SqliteTx> {
        let conn = self.writer.clone().lock_owned().await;
        control(&conn, "begin immediate")?;
        Ok(SqliteTx { conn, done: false })
    }

    /// Runs a read on a reader connection, off the async threads.
    pub(super) async fn read(self: &Arc<Self>, q: Q) -> Result<Vec<SqliteRow>> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = match me.readers.lock().map_err(|_| poisoned())?.pop() {
                Some(c) => c,
                None => connect(&me.path, false)?,
            };
            let out = query(&conn, &q);
            let mut idle = me.readers.lock().map_err(|_| poisoned())?;
            if idle.len() < READERS_KEPT {
                idle.push(conn);
            }
            out
        })
        .await
        .map_err(|e| Error::Database(format!("read task failed: {e}")))?
    }

    /// A read transaction on a reader connection: every query in it sees the books as of its first one.
    pub(super) fn snapshot(self: &Arc<Self>) -> Result<SqliteRead> {
        let conn = match self.readers.lock().map_err(|_| poisoned())?.pop() {
            Some(c) => c,
            None => connect(&self.path, false)?,
        };
        control(&conn, "begin")?;
        Ok(SqliteRead { conn: Some(conn), db: self.clone() })
    }

    /// Runs trusted SQL (several statements allowed) on the writer.
    pub(super) async fn batch(&self, sql: &str) -> Result<()> {
        self.writer.lock().await.execute_batch(sql).map_err(err)
    }

    /// Folds the write-ahead log back into the database file. The checkpointer thread is stopped first: a
    /// truncating checkpoint waits for every other connection's read mark, and the checkpointer's connection
    /// keeps one on a new database (the first `loupe init` waited out the whole busy timeout on it).
    pub(super) async fn checkpoint(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.checkpointer.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread
            && tokio::task::spawn_blocking(move || thread.join()).await.is_err()
        {
            tracing::warn!("the wal checkpoint thread did not finish");
        }
        let conn = self.writer.lock().await;
        if let Err(e) = conn.query_row("pragma wal_checkpoint(truncate)", [], |_| Ok(())) {
            tracing::warn!("wal checkpoint failed: {e}");
        }
    }
}

impl Drop for SqliteDb {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Checkpoints the write-ahead log from a thread of its own, beside the writer (WAL lets them run at once), so
/// a commit never pays for copying pages into the database file; the writer checkpoints itself only if this
/// thread falls far behind (`wal_autocheckpoint`).
fn checkpointer(path: &str, stop: Arc<AtomicBool>) -> Result<Option<std::thread::JoinHandle<()>>> {
    if path.contains(":memory:") {
        return Ok(None);
    }
    let conn = connect(path, false)?;
    let thread = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let tick = CHECKPOINT_EVERY / 10;
            let mut waited = Duration::ZERO;
            while !stop.load(Ordering::Relaxed) {
                // short sleeps, so a closing database is not kept waiting for the next checkpoint
                std::thread::sleep(tick);
                waited += tick;
                if waited < CHECKPOINT_EVERY {
                    continue;
                }
                waited = Duration::ZERO;
                if let Err(e) = conn.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(())) {
                    tracing::warn!("wal checkpoint failed: {e}");
                }
            }
        })
        .map_err(|e| Error::Database(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(Some(thread))
}

fn poisoned() -> Error {
    Error::Database("sqlite reader pool lock poisoned".into())
}

fn connect(path: &str, writer: bool) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| Error::Database(format!("cannot open sqlite database {path}: {e}")))?;
    conn.busy_timeout(Duration::from_secs(60)).map_err(err)?;
    // small pages: a command touches a row or two in each of a dozen tables and indexes, and every page it
    // dirties is written whole to the log at commit (set before the file's first write; later it is a no-op)
    conn.execute_batch("pragma page_size = 1024").map_err(err)?;
    conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get::<_, String>(0)).map_err(err)?;
    conn.execute_batch(
        "pragma synchronous = normal; pragma foreign_keys = on;
         pragma mmap_size = 268435456; pragma temp_store = memory;
         pragma wal_autocheckpoint = 20000; pragma cache_size = -16384;",
    )
    .map_err(err)?;
    if !writer {
        // readers scan whole tables (the lake's loads): map as much of the file as SQLite allows (2 GB by
        // default) so pages are read in place rather than copied through its cache
        conn.execute_batch("pragma mmap_size = 2147418112").map_err(err)?;
    }
    conn.set_prepared_statement_cache_capacity(if writer { 256 } else { 64 });
    Ok(conn)
}

/// A read transaction on a reader connection, given back to the pool when dropped.
pub(super) struct SqliteRead {
    conn: Option<Connection>,
    db: Arc<SqliteDb>,
}

impl SqliteRead {
    pub(super) fn fetch_all(&mut self, q: &Q) -> Result<Vec<SqliteRow>> {
        match &self.conn {
            Some(c) => query(c, q),
            None => Err(Error::Database("read transaction already closed".into())),
        }
    }

    pub(super) fn fetch_columns(&mut self, q: &Q, want: &[(&str, ColumnType)]) -> Result<Vec<Column>> {
        let Some(conn) = &self.conn else { return Err(Error::Database("read transaction already closed".into())) };
        let mut stmt = conn.prepare_cached(&numbered(&q.sql)).map_err(err)?;
        bind(&mut stmt, &q.args)?;
        let names = stmt.column_names();
        let mut at = Vec::with_capacity(want.len());
        for (name, _) in want {
            at.push(names.iter().position(|c| c == name).ok_or_else(|| Error::Database(format!("no column {name}")))?);
        }
        let mut out: Vec<Column> = want.iter().map(|(_, t)| Column::new(*t)).collect();
        let mut rows = stmt.raw_query();
        while let Some(r) = rows.next().map_err(err)? {
            for ((c, i), (name, _)) in out.iter_mut().zip(&at).zip(want) {
                let v = r.get_ref(*i).map_err(err)?;
                let bad = |wanted: &str| {
                    Error::Database(format!("column {name}: expected {wanted}, found {:?}", v.data_type()))
                };
                match (c, v) {
                    (Column::Int(col), ValueRef::Null) => col.push(None),
                    (Column::Int(col), ValueRef::Integer(x)) => col.push(Some(x)),
                    (Column::Bool(col), ValueRef::Null) => col.push(None),
                    (Column::Bool(col), ValueRef::Integer(x)) => col.push(Some(x != 0)),
                    (Column::Text(col), ValueRef::Null) => col.push(None),
                    (Column::Text(col), ValueRef::Text(t)) => {
                        col.push(Some(std::str::from_utf8(t).map_err(|_| bad("UTF-8 text"))?.to_string()))
                    }
                    (Column::Date(col), ValueRef::Null) => col.push(None),
                    (Column::Date(col), ValueRef::Text(t)) => col.push(Some(iso_date(t).ok_or_else(|| {
                        Error::Database(format!("column {name}: {:?} is not a date", String::from_utf8_lossy(t)))
                    })?)),
                    (Column::Int(_) | Column::Bool(_), _) => return Err(bad("an integer")),
                    (Column::Text(_) | Column::Date(_), _) => return Err(bad("text")),
                }
            }
        }
        Ok(out)
    }
}

impl Drop for SqliteRead {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && control(&conn, "rollback").is_ok()
            && let Ok(mut idle) = self.db.readers.lock()
            && idle.len() < READERS_KEPT
        {
            idle.push(conn);
        }
    }
}

/// An open write transaction on the writer connection; rolled back if dropped before [`SqliteTx::commit`].
pub(super) struct SqliteTx {
    conn: OwnedMutexGuard<Connection>,
    done: bool,
}

impl SqliteTx {
    pub(super) fn execute(&mut self, q: &Q) -> Result<u64> {
        let mut stmt = self.conn.prepare_cached(&numbered(&q.sql)).map_err(err)?;
        bind(&mut stmt, &q.args)?;
        Ok(stmt.raw_execute().map_err(err)? as u64)
    }

    pub(super) fn fetch_all(&mut self, q: &Q) -> Result<Vec<SqliteRow>> {
        query(&self.conn, q)
    }

    pub(super) fn batch(&mut self, sql: &str) -> Result<()> {
        control(&self.conn, sql)
    }

    pub(super) fn commit(mut self) -> Result<()> {
        self.done = true;
        control(&self.conn, "commit")
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if !self.done && !self.conn.is_autocommit() {
            // nothing of a failed or abandoned command may stay behind
            if let Err(e) = self.conn.execute_batch("rollback") {
                tracing::error!("rollback failed: {e}");
            }
        }
    }
}

/// One transaction-control statement, prepared once per connection (they run several times per command).
fn control(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql).and_then(|mut st| st.raw_execute()).map(|_| ()).map_err(err)
}

fn query(conn: &Connection, q: &Q) -> Result<Vec<SqliteRow>> {
    let mut stmt = conn.prepare_cached(&numbered(&q.sql)).map_err(err)?;
    bind(&mut stmt, &q.args)?;
    let cols: Arc<[String]> = stmt.column_names().into_iter().map(str::to_string).collect();
    let n = cols.len();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(err)? {
        let mut vals = Vec::with_capacity(n);
        for i in 0..n {
            vals.push(r.get::<_, Value>(i).map_err(err)?);
        }
        out.push(SqliteRow { cols: cols.clone(), vals });
    }
    Ok(out)
}

/// `$N` placeholders as `?N`. SQLite numbers `$N` parameters in order of first appearance (so `$2` may be
/// parameter 1) and finding a parameter's name is a linear search, which made binding a long multi-row insert
/// quadratic; `?N` is parameter N.
fn numbered(sql: &str) -> String {
    let mut out = sql.as_bytes().to_vec();
    let mut quoted = false;
    for i in 0..out.len() {
        match out[i] {
            b'\'' => quoted = !quoted,
            b'$' if !quoted && out.get(i + 1).is_some_and(u8::is_ascii_digit) => out[i] = b'?',
            _ => {}
        }
    }
    // only ASCII bytes were replaced by ASCII bytes
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Binds `?N` parameters: parameter N takes the N-th value.
fn bind(stmt: &mut rusqlite::CachedStatement<'_>, args: &[Arg]) -> Result<()> {
    for i in 1..=stmt.parameter_count() {
        let arg = args.get(i - 1).ok_or_else(|| Error::Database(format!("no value bound for ${i}")))?;
        stmt.raw_bind_parameter(i, value(arg)).map_err(err)?;
    }
    Ok(())
}

fn value(a: &Arg) -> Value {
    match a {
        Arg::I64(Some(v)) => Value::Integer(*v),
        Arg::Text(Some(v)) => Value::Text(v.clone()),
        Arg::Bool(Some(v)) => Value::Integer(i64::from(*v)),
        Arg::Date(Some(v)) => Value::Text(v.format("%Y-%m-%d").to_string()),
        Arg::Time(Some(v)) => Value::Text(v.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        Arg::I64(None) | Arg::Text(None) | Arg::Bool(None) | Arg::Date(None) | Arg::Time(None) => Value::Null,
    }
}

/// A result row, owned.
#[derive(Debug, Clone)]
pub(crate) struct SqliteRow {
    cols: Arc<[String]>,
    vals: Vec<Value>,
}

impl SqliteRow {
    fn get(&self, name: &str) -> Result<&Value> {
        self.cols
            .iter()
            .position(|c| c == name)
            .map(|i| &self.vals[i])
            .ok_or_else(|| Error::Database(format!("no column {name}")))
    }

    pub(super) fn opt_i64(&self, name: &str) -> Result<Option<i64>> {
        match self.get(name)? {
            Value::Null => Ok(None),
            Value::Integer(i) => Ok(Some(*i)),
            other => Err(mismatch(name, "an integer", other)),
        }
    }

    pub(super) fn opt_text(&self, name: &str) -> Result<Option<String>> {
        match self.get(name)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(mismatch(name, "text", other)),
        }
    }

    pub(super) fn opt_bool(&self, name: &str) -> Result<Option<bool>> {
        Ok(self.opt_i64(name)?.map(|i| i != 0))
    }

    pub(super) fn opt_date(&self, name: &str) -> Result<Option<NaiveDate>> {
        match self.opt_text(name)? {
            None => Ok(None),
            Some(s) => NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d")
                .map(Some)
                .map_err(|e| Error::Database(format!("column {name}: {s:?} is not a date: {e}"))),
        }
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::with_capacity(self.cols.len());
        for (c, v) in self.cols.iter().zip(&self.vals) {
            let j = match v {
                Value::Null => serde_json::Value::Null,
                Value::Integer(i) => (*i).into(),
                Value::Real(r) => (*r).into(),
                Value::Text(s) => s.clone().into(),
                Value::Blob(b) => b.iter().map(|x| format!("{x:02x}")).collect::<String>().into(),
            };
            map.insert(c.clone(), j);
        }
        serde_json::Value::Object(map)
    }
}

/// `YYYY-MM-DD` (and anything after it, as in a timestamp) as a date, without a format parser.
fn iso_date(t: &[u8]) -> Option<NaiveDate> {
    let n = |r: std::ops::Range<usize>| -> Option<u32> {
        t.get(r)?.iter().try_fold(0_u32, |acc, b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
    };
    if t.get(4) != Some(&b'-') || t.get(7) != Some(&b'-') {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(n(0..4)?).ok()?, n(5..7)?, n(8..10)?)
}

fn mismatch(name: &str, wanted: &str, got: &Value) -> Error {
    Error::Database(format!("column {name}: expected {wanted}, found {:?}", got.data_type()))
}

/// Constraint violations become conflicts naming the constraint; the rest is a database error.
fn err(e: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        let msg = msg.clone().unwrap_or_default();
        match f.extended_code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                return Error::Conflict(format!("already exists: {msg}"));
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => return Error::Conflict(format!("refers to a missing record: {msg}")),
            ffi::SQLITE_CONSTRAINT_CHECK | ffi::SQLITE_CONSTRAINT_NOTNULL => {
                return Error::Conflict(format!("breaks a rule of the books: {msg}"));
            }
            _ => {}
        }
        if matches!(
            f.code,
            rusqlite::ErrorCode::DiskFull
                | rusqlite::ErrorCode::SystemIoFailure
                | rusqlite::ErrorCode::ReadOnly
                | rusqlite::ErrorCode::CannotOpen
                | rusqlite::ErrorCode::DatabaseCorrupt
                | rusqlite::ErrorCode::NotADatabase
        ) {
            return Error::Storage(e.to_string());
        }
    }
    Error::Database(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_parse_without_a_format_parser_and_nonsense_is_refused() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(iso_date(b"2024-02-29"), d(2024, 2, 29));
        assert_eq!(iso_date(b"2026-11-24T06:32:35.123456Z"), d(2026, 11, 24));
        assert_eq!(iso_date(b"2023-02-29"), None); // not a leap year
        assert_eq!(iso_date(b"2023-13-01"), None);
        assert_eq!(iso_date(b"2023-1-01"), None);
        assert_eq!(iso_date(b"20230101"), None);
        assert_eq!(iso_date(b"2023-01-0x"), None);
        assert_eq!(iso_date(b""), None);
    }
}
