//! One interface over the two databases Loupe runs on. Domain code writes SQL once, lowercase with `$N`
//! placeholders (both dialects accept them), binds [`Arg`]s and reads [`Row`]s; only this module knows
//! which driver is underneath. `sqlx` types never leave it. SQLite runs through rusqlite in the calling
//! thread (see `db::sqlite`), PostgreSQL through sqlx.

mod sqlite;

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Column as _, Postgres, Row as _, TypeInfo as _, ValueRef as _};

use crate::error::{Error, Result};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The embedded default: one SQLite file in WAL mode.
    Sqlite,
    /// PostgreSQL for larger deployments.
    Postgres,
}

/// A pool of connections to the transactional database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: PoolKind,
    /// The SQLite file, for the migration connection.
    sqlite_path: Option<String>,
}

#[derive(Clone, Debug)]
enum PoolKind {
    /// SQLite has one writer at a time: writes go through a single connection (whose page cache then stays
    /// valid between transactions), reads through reader connections that WAL lets run beside it.
    Sqlite(Arc<sqlite::SqliteDb>),
    Postgres(PgPool),
}

impl Db {
    /// Opens `url`: `postgres://…` / `postgresql://…` for PostgreSQL, anything else (`sqlite://path`, a plain
    /// file path) for SQLite, created if missing.
    pub async fn connect(url: &str) -> Result<Db> {
        Db::connect_pool(url, 16, 8).await
    }

    /// Opens `url` for a single sequential writer (the demo generator, bulk loads): one PostgreSQL connection,
    /// and on SQLite one reader beside the one writer connection every `Db` has (whose page cache stays warm
    /// between transactions).
    pub async fn connect_single(url: &str) -> Result<Db> {
        Db::connect_pool(url, 1, 1).await
    }

    async fn connect_pool(url: &str, max_pg: u32, max_sqlite: u32) -> Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(max_pg)
                .acquire_timeout(Duration::from_secs(60))
                .connect(url)
                .await
                .map_err(|e| Error::Database(format!("cannot connect to postgresql: {e}")))?;
            return Ok(Db { pool: PoolKind::Postgres(pool), sqlite_path: None });
        }
        let _ = max_sqlite;
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        if path.is_empty() {
            return Err(Error::invalid("database_url", url, "names no database file"));
        }
        let db = sqlite::SqliteDb::open(path)?;
        Ok(Db { pool: PoolKind::Sqlite(Arc::new(db)), sqlite_path: Some(path.to_string()) })
    }

    /// The database underneath.
    pub fn dialect(&self) -> Dialect {
        match self.pool {
            PoolKind::Sqlite(_) => Dialect::Sqlite,
            PoolKind::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Creates the schema or brings it up to date (on SQLite through a connection of its own).
    pub async fn migrate(&self) -> Result<()> {
        let failed = |e: sqlx::migrate::MigrateError| Error::Database(format!("migration failed: {e}"));
        match (&self.pool, &self.sqlite_path) {
            (PoolKind::Sqlite(_), Some(path)) => {
                let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
                    .map_err(|e| Error::invalid("database_url", path, format!("not a database path: {e}")))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(60));
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await
                    .map_err(|e| Error::Database(format!("cannot open sqlite database {path}: {e}")))?;
                let out = SQLITE_MIGRATIONS.run(&pool).await.map_err(failed);
                pool.close().await;
                out
            }
            (PoolKind::Postgres(p), _) => POSTGRES_MIGRATIONS.run(p).await.map_err(failed),
            (PoolKind::Sqlite(_), None) => Err(Error::Database("sqlite database without a path".into())),
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`) so a
    /// transaction that reads before it writes never fails to upgrade its lock.
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match &self.pool {
            PoolKind::Sqlite(db) => TxKind::Sqlite(db.begin().await?),
            PoolKind::Postgres(p) => TxKind::Postgres(p.begin().await.map_err(db_err)?),
        };
        Ok(Tx { inner })
    }

    /// A consistent read-only view of the books: every query in it sees them as of one instant (SQLite: a read
    /// transaction under WAL; PostgreSQL: `repeatable read`), while writers go on.
    pub async fn read_snapshot(&self) -> Result<ReadTx> {
        let inner = match &self.pool {
            PoolKind::Sqlite(db) => ReadKind::Sqlite(db.snapshot()?),
            PoolKind::Postgres(p) => {
                let mut tx = p.begin().await.map_err(db_err)?;
                sqlx::raw_sql("set transaction isolation level repeatable read, read only")
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                ReadKind::Postgres(tx)
            }
        };
        Ok(ReadTx { inner })
    }

    /// The sequence number of the last change the books hold (0 for empty books).
    pub async fn last_change(&self) -> Result<i64> {
        self.fetch_one(Q::new(LAST_CHANGE)).await?.i64("v")
    }

    /// `n` read-only views of the books that all see the same instant, for reading in parallel.
    /// PostgreSQL: the first exports its snapshot and the others adopt it (`set transaction snapshot`).
    /// SQLite: each starts its own read transaction; they are the same instant when the last `change_log`
    /// entry each sees is the same (every write commits one), else they are opened again.
    pub async fn read_snapshots(&self, n: usize) -> Result<Vec<ReadTx>> {
        match &self.pool {
            PoolKind::Sqlite(_) => {
                for _ in 0..100 {
                    let mut all = Vec::with_capacity(n);
                    let mut seen = Vec::with_capacity(n);
                    for _ in 0..n {
                        let mut rt = self.read_snapshot().await?;
                        seen.push(rt.last_change().await?);
                        all.push(rt);
                    }
                    if seen.windows(2).all(|w| w[0] == w[1]) {
                        return Ok(all);
                    }
                    tokio::task::yield_now().await;
                }
                Err(Error::Database("the books kept changing while opening parallel reads; try again".into()))
            }
            PoolKind::Postgres(p) => {
                let mut first = self.read_snapshot().await?;
                let id = first.fetch_all(Q::new("select pg_export_snapshot() as id")).await?;
                let id = id.first().map(|r| r.text("id")).transpose()?.unwrap_or_default();
                let mut all = vec![first];
                for _ in 1..n {
                    let mut tx = p.begin().await.map_err(db_err)?;
                    sqlx::raw_sql(AssertSqlSafe(format!(
                        "set transaction isolation level repeatable read, read only; set transaction snapshot '{}'",
                        id.replace('\'', "")
                    )))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    all.push(ReadTx { inner: ReadKind::Postgres(tx) });
                }
                Ok(all)
            }
        }
    }

    /// Runs a read-only query outside any transaction.
    pub async fn fetch_all(&self, q: Q) -> Result<Vec<Row>> {
        match &self.pool {
            PoolKind::Sqlite(db) => Ok(db.read(q).await?.into_iter().map(|r| Row(RowKind::Sqlite(r))).collect()),
            PoolKind::Postgres(p) => Ok(bind_pg(q)
                .fetch_all(p)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|r| Row(RowKind::Postgres(r)))
                .collect()),
        }
    }

    /// Runs a read-only query expected to return at most one row.
    pub async fn fetch_optional(&self, q: Q) -> Result<Option<Row>> {
        match &self.pool {
            PoolKind::Sqlite(db) => Ok(db.read(q).await?.into_iter().next().map(|r| Row(RowKind::Sqlite(r)))),
            PoolKind::Postgres(p) => {
                Ok(bind_pg(q).fetch_optional(p).await.map_err(db_err)?.map(|r| Row(RowKind::Postgres(r))))
            }
        }
    }

    /// Runs a read-only query that returns exactly one row.
    pub async fn fetch_one(&self, q: Q) -> Result<Row> {
        self.fetch_optional(q).await?.ok_or_else(|| Error::Database("query returned no row".into()))
    }

    /// Runs one statement of trusted SQL written by the operator or a test (never user input), such as
    /// `create database`.
    pub async fn execute_trusted(&self, sql: &str) -> Result<()> {
        match &self.pool {
            PoolKind::Sqlite(db) => db.batch(sql).await,
            PoolKind::Postgres(p) => {
                sqlx::raw_sql(AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()).map_err(db_err)
            }
        }
    }

    /// Closes every connection (SQLite checkpoints its WAL).
    pub async fn close(&self) {
        match &self.pool {
            PoolKind::Sqlite(db) => db.checkpoint().await,
            PoolKind::Postgres(p) => p.close().await,
        }
    }
}

/// A consistent read-only view of the books (see [`Db::read_snapshot`]); ends when dropped.
pub struct ReadTx {
    inner: ReadKind,
}

enum ReadKind {
    Sqlite(sqlite::SqliteRead),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// What a column of a [`ReadTx::fetch_columns`] result holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Integers (ids, quantities, cents, parts per million).
    Int,
    /// Text.
    Text,
    /// Yes or no.
    Bool,
    /// Calendar dates (a longer ISO timestamp is cut to its date).
    Date,
}

/// One column of a result, read whole.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// See [`ColumnType::Int`].
    Int(Vec<Option<i64>>),
    /// See [`ColumnType::Text`].
    Text(Vec<Option<String>>),
    /// See [`ColumnType::Bool`].
    Bool(Vec<Option<bool>>),
    /// See [`ColumnType::Date`].
    Date(Vec<Option<NaiveDate>>),
}

impl Column {
    pub(crate) fn new(t: ColumnType) -> Column {
        match t {
            ColumnType::Int => Column::Int(Vec::new()),
            ColumnType::Text => Column::Text(Vec::new()),
            ColumnType::Bool => Column::Bool(Vec::new()),
            ColumnType::Date => Column::Date(Vec::new()),
        }
    }

    /// Rows in the column.
    pub fn len(&self) -> usize {
        match self {
            Column::Int(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Date(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The last change's sequence number, as column `v`.
const LAST_CHANGE: &str = "select cast(coalesce(max(seq), 0) as bigint) as v from change_log";

impl ReadTx {
    /// Which database this view reads.
    pub fn dialect(&self) -> Dialect {
        match &self.inner {
            ReadKind::Sqlite(_) => Dialect::Sqlite,
            ReadKind::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The sequence number of the last change this view sees (0 for empty books).
    pub async fn last_change(&mut self) -> Result<i64> {
        let rows = self.fetch_all(Q::new(LAST_CHANGE)).await?;
        Ok(rows.first().map(|r| r.i64("v")).transpose()?.unwrap_or(0))
    }

    /// Runs a query in the snapshot and returns the named columns of its rows, each read whole into a typed
    /// vector — for bulk reads (the lake's loads), without a row object per row.
    pub async fn fetch_columns(&mut self, q: Q, want: &[(&str, ColumnType)]) -> Result<Vec<Column>> {
        match &mut self.inner {
            ReadKind::Sqlite(t) => t.fetch_columns(&q, want),
            ReadKind::Postgres(_) => {
                let rows = self.fetch_all(q).await?;
                let mut out: Vec<Column> = want.iter().map(|(_, t)| Column::new(*t)).collect();
                for r in &rows {
                    for ((name, _), c) in want.iter().zip(out.iter_mut()) {
                        match c {
                            Column::Int(v) => v.push(r.opt_i64(name)?),
                            Column::Text(v) => v.push(r.opt_text(name)?),
                            Column::Bool(v) => v.push(r.opt_bool(name)?),
                            Column::Date(v) => v.push(r.opt_date(name)?),
                        }
                    }
                }
                Ok(out)
            }
        }
    }

    /// Runs a query in the snapshot and returns all its rows.
    pub async fn fetch_all(&mut self, q: Q) -> Result<Vec<Row>> {
        match &mut self.inner {
            ReadKind::Sqlite(t) => Ok(t.fetch_all(&q)?.into_iter().map(|r| Row(RowKind::Sqlite(r))).collect()),
            ReadKind::Postgres(t) => Ok(bind_pg(q)
                .fetch_all(&mut **t)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|r| Row(RowKind::Postgres(r)))
                .collect()),
        }
    }
}

/// An open write transaction. Dropped without [`Tx::commit`], it rolls back and leaves no trace.
pub struct Tx {
    inner: TxKind,
}

enum TxKind {
    Sqlite(sqlite::SqliteTx),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    /// The database underneath.
    pub fn dialect(&self) -> Dialect {
        match self.inner {
            TxKind::Sqlite(_) => Dialect::Sqlite,
            TxKind::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Executes a statement and returns the number of rows it changed.
    pub async fn execute(&mut self, q: Q) -> Result<u64> {
        match &mut self.inner {
            TxKind::Sqlite(t) => t.execute(&q),
            TxKind::Postgres(t) => Ok(bind_pg(q).execute(&mut **t).await.map_err(db_err)?.rows_affected()),
        }
    }

    /// Runs a query and returns all its rows.
    pub async fn fetch_all(&mut self, q: Q) -> Result<Vec<Row>> {
        match &mut self.inner {
            TxKind::Sqlite(t) => Ok(t.fetch_all(&q)?.into_iter().map(|r| Row(RowKind::Sqlite(r))).collect()),
            TxKind::Postgres(t) => Ok(bind_pg(q)
                .fetch_all(&mut **t)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|r| Row(RowKind::Postgres(r)))
                .collect()),
        }
    }

    /// Runs a query expected to return at most one row.
    pub async fn fetch_optional(&mut self, q: Q) -> Result<Option<Row>> {
        match &mut self.inner {
            TxKind::Sqlite(t) => Ok(t.fetch_all(&q)?.into_iter().next().map(|r| Row(RowKind::Sqlite(r)))),
            TxKind::Postgres(t) => {
                Ok(bind_pg(q).fetch_optional(&mut **t).await.map_err(db_err)?.map(|r| Row(RowKind::Postgres(r))))
            }
        }
    }

    /// Runs a query that must return exactly one row (an `insert … returning id`, an aggregate).
    pub async fn fetch_one(&mut self, q: Q) -> Result<Row> {
        self.fetch_optional(q).await?.ok_or_else(|| Error::Database("query returned no row".into()))
    }

    /// Runs an `insert … returning id` and returns the id.
    pub async fn insert(&mut self, q: Q) -> Result<i64> {
        self.fetch_one(q).await?.i64("id")
    }

    /// Runs a transaction-control statement (`savepoint c`, `release c`, `rollback to c`).
    pub(crate) async fn control(&mut self, sql: &'static str) -> Result<()> {
        match &mut self.inner {
            TxKind::Sqlite(t) => t.batch(sql),
            TxKind::Postgres(t) => sqlx::raw_sql(sql).execute(&mut **t).await.map(|_| ()).map_err(db_err),
        }
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxKind::Sqlite(t) => t.commit(),
            TxKind::Postgres(t) => t.commit().await.map_err(db_err),
        }
    }
}

/// A statement and its bound values.
#[derive(Debug, Clone)]
pub struct Q {
    sql: Cow<'static, str>,
    args: Vec<Arg>,
}

impl Q {
    /// A statement written in the source.
    pub fn new(sql: &'static str) -> Q {
        Q { sql: Cow::Borrowed(sql), args: Vec::new() }
    }

    /// A statement assembled at run time from trusted pieces (table names from code, never user input).
    pub fn built(sql: String) -> Q {
        Q { sql: Cow::Owned(sql), args: Vec::new() }
    }

    /// The statement's text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Binds the next `$N`.
    pub fn bind(mut self, value: impl Into<Arg>) -> Q {
        self.args.push(value.into());
        self
    }
}

/// Builds a [`Q`] from SQL and its arguments: `q!("select … where id = $1", id)`.
#[macro_export]
macro_rules! q {
    ($sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::db::Q::new($sql)$(.bind($arg))*
    };
}

/// A value bound to a placeholder. Nulls are typed so PostgreSQL sees the right parameter type.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A 64-bit integer (ids, cents, quantities, rates).
    I64(Option<i64>),
    /// Text.
    Text(Option<String>),
    /// A boolean.
    Bool(Option<bool>),
    /// A calendar date.
    Date(Option<NaiveDate>),
    /// An instant.
    Time(Option<DateTime<Utc>>),
}

macro_rules! arg_from {
    ($variant:ident, $t:ty) => {
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                Arg::$variant(Some(v.into()))
            }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Arg {
                Arg::$variant(v.map(Into::into))
            }
        }
    };
}
arg_from!(I64, i64);
arg_from!(I64, i32);
arg_from!(Text, String);
arg_from!(Text, &str);
arg_from!(Bool, bool);
arg_from!(Date, NaiveDate);
arg_from!(Time, DateTime<Utc>);

impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(Some(v.clone()))
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Arg {
        Arg::Text(v.clone())
    }
}

fn bind_pg(q: Q) -> sqlx::query::Query<'static, Postgres, sqlx::postgres::PgArguments> {
    let mut query = match q.sql {
        Cow::Borrowed(s) => sqlx::query(s),
        Cow::Owned(s) => sqlx::query(AssertSqlSafe(s)),
    };
    for a in q.args {
        query = match a {
            Arg::I64(v) => query.bind(v),
            Arg::Text(v) => query.bind(v),
            Arg::Bool(v) => query.bind(v),
            Arg::Date(v) => query.bind(v),
            Arg::Time(v) => query.bind(v),
        };
    }
    query
}

/// A result row from either database.
pub struct Row(RowKind);

enum RowKind {
    Sqlite(sqlite::SqliteRow),
    Postgres(PgRow),
}

impl Row {
    fn pg(r: &PgRow, name: &str) -> Result<Option<i64>> {
        let raw = r.try_get_raw(name).map_err(db_err)?;
        if !raw.is_null() && raw.type_info().name() == "INT4" {
            return Ok(r.try_get::<Option<i32>, _>(name).map_err(db_err)?.map(i64::from));
        }
        r.try_get(name).map_err(|e| Error::Database(format!("column {name}: {e}")))
    }

    fn pg_get<T>(r: &PgRow, name: &str) -> Result<T>
    where
        T: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
    {
        r.try_get(name).map_err(|e| Error::Database(format!("column {name}: {e}")))
    }

    fn required<T>(name: &str, v: Option<T>) -> Result<T> {
        v.ok_or_else(|| Error::Database(format!("column {name} is null")))
    }

    /// An integer column (PostgreSQL's `int4` results of literals and `case` widen to `i64`).
    pub fn i64(&self, name: &str) -> Result<i64> {
        Row::required(name, self.opt_i64(name)?)
    }

    /// A nullable integer column.
    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>> {
        match &self.0 {
            RowKind::Sqlite(r) => r.opt_i64(name),
            RowKind::Postgres(r) => Row::pg(r, name),
        }
    }

    /// A text column.
    pub fn text(&self, name: &str) -> Result<String> {
        Row::required(name, self.opt_text(name)?)
    }

    /// A nullable text column.
    pub fn opt_text(&self, name: &str) -> Result<Option<String>> {
        match &self.0 {
            RowKind::Sqlite(r) => r.opt_text(name),
            RowKind::Postgres(r) => Row::pg_get(r, name),
        }
    }

    /// A boolean column.
    pub fn bool(&self, name: &str) -> Result<bool> {
        Row::required(name, self.opt_bool(name)?)
    }

    /// A boolean column that may be null (SQLite stores 0/1).
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>> {
        match &self.0 {
            RowKind::Sqlite(r) => r.opt_bool(name),
            RowKind::Postgres(r) => Row::pg_get(r, name),
        }
    }

    /// A date column.
    pub fn date(&self, name: &str) -> Result<NaiveDate> {
        Row::required(name, self.opt_date(name)?)
    }

    /// A nullable date column.
    pub fn opt_date(&self, name: &str) -> Result<Option<NaiveDate>> {
        match &self.0 {
            RowKind::Sqlite(r) => r.opt_date(name),
            RowKind::Postgres(r) => Row::pg_get(r, name),
        }
    }

    /// The whole row as a JSON object (for the audit log), typed by what each value holds.
    pub fn to_json(&self) -> Result<serde_json::Value> {
        let mut map = serde_json::Map::new();
        match &self.0 {
            RowKind::Sqlite(r) => return Ok(r.to_json()),
            RowKind::Postgres(r) => {
                for c in r.columns() {
                    let raw = r.try_get_raw(c.ordinal()).map_err(db_err)?;
                    let v = if raw.is_null() {
                        serde_json::Value::Null
                    } else {
                        match raw.type_info().name() {
                            "INT8" => r.try_get::<i64, _>(c.ordinal()).map_err(db_err)?.into(),
                            "INT4" => r.try_get::<i32, _>(c.ordinal()).map_err(db_err)?.into(),
                            // booleans are stored as 0/1 on SQLite; keep one JSON shape for both
                            "BOOL" => i64::from(r.try_get::<bool, _>(c.ordinal()).map_err(db_err)?).into(),
                            "DATE" => r.try_get::<NaiveDate, _>(c.ordinal()).map_err(db_err)?.to_string().into(),
                            "TIMESTAMPTZ" => {
                                r.try_get::<DateTime<Utc>, _>(c.ordinal()).map_err(db_err)?.to_rfc3339().into()
                            }
                            _ => r.try_get::<String, _>(c.ordinal()).map_err(db_err)?.into(),
                        }
                    };
                    map.insert(c.name().to_string(), v);
                }
            }
        }
        Ok(serde_json::Value::Object(map))
    }
}

/// Maps a driver error to ours: constraint violations become conflicts naming the constraint, the rest is a
/// database error whose text is for the log.
pub(crate) fn db_err(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(d) = &e {
        match d.kind() {
            sqlx::error::ErrorKind::UniqueViolation => {
                return Error::Conflict(format!("already exists: {}", d.message()));
            }
            sqlx::error::ErrorKind::ForeignKeyViolation => {
                return Error::Conflict(format!("refers to a missing record: {}", d.message()));
            }
            sqlx::error::ErrorKind::CheckViolation => {
                return Error::Conflict(format!("breaks a rule of the books: {}", d.message()));
            }
            _ => {}
        }
        // connection exceptions (08), insufficient resources such as a full disk (53), system errors (58)
        if d.code().is_some_and(|c| c.starts_with("08") || c.starts_with("53") || c.starts_with("58")) {
            return Error::Storage(e.to_string());
        }
    }
    if matches!(
        e,
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed
    ) {
        return Error::Storage(e.to_string());
    }
    Error::Database(e.to_string())
}
