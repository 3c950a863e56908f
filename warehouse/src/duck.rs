//! DuckDB over one snapshot of the lake: every table a view over exactly the Parquet files of its version in
//! that snapshot (DuckDB's own Delta reader is an extension fetched from the network; reading the files the
//! Delta log names gives the same rows, and no network), seen through the same [`Scope`] as DataFusion.

use deltalake::arrow::array::RecordBatch;

use crate::error::{Error, Result};
use crate::snapshot::{Scope, Snapshot};
use crate::table::{Kind, StoreScope, Table};

fn duck_err(e: duckdb::Error) -> Error {
    Error::Duck(e.to_string())
}

fn sql_type(k: Kind) -> &'static str {
    match k {
        Kind::Id | Kind::Int => "bigint",
        Kind::Text => "varchar",
        Kind::Date | Kind::MonthOf(_) => "date",
        Kind::Money => "decimal(18, 2)",
        Kind::Percent => "decimal(10, 4)",
        Kind::Bool | Kind::ZeroOf(_) => "boolean",
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The `select` that reads table `t` from `files` in its schema (the partition column comes from the paths),
/// seen through `scope`; `moved` reads the transfers out of the stores the scope sees (see [`StoreScope::Piece`]).
fn read(t: &Table, files: &[String], scope: &Scope, moved: Option<&str>) -> String {
    let cols = t
        .columns
        .iter()
        .map(|c| format!("cast(\"{0}\" as {1}) as \"{0}\"", c.name, sql_type(c.kind)))
        .collect::<Vec<_>>()
        .join(", ");
    let from = if files.is_empty() {
        // an empty table: its columns, no rows
        let empty = t
            .columns
            .iter()
            .map(|c| format!("cast(null as {}) as \"{}\"", sql_type(c.kind), c.name))
            .collect::<Vec<_>>()
            .join(", ");
        format!("(select {empty} where false)")
    } else {
        let list = files.iter().map(|f| quote(f)).collect::<Vec<_>>().join(", ");
        format!("read_parquet([{list}], hive_partitioning = true)")
    };
    let mut filter = String::new();
    if let Scope::Org { org_id, stores } = scope
        && t.is_tenant_data()
    {
        filter = format!(" where cast(org_id as bigint) = {org_id}");
        if let Some(stores) = stores {
            let list = stores.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            let list = if list.is_empty() { "null".to_string() } else { list };
            match t.store_scope() {
                StoreScope::Open => {}
                StoreScope::Whole => filter.push_str(" and false"),
                StoreScope::Row(c) => filter.push_str(&format!(" and {c} in ({list})")),
                StoreScope::Piece(piece) => filter.push_str(&format!(
                    " and (store_id in ({list}) or {piece} in (select item_id from {moved}))",
                    moved = moved.unwrap_or("(select null as item_id where false)")
                )),
            }
        }
    }
    format!("select {cols} from {from}{filter}")
}

impl Snapshot {
    /// `(select …)`: the transfers out of a store that `scope` sees, for the tables about pieces.
    async fn moved(&self, scope: &Scope) -> Result<Option<String>> {
        let Some((t, table)) = self.tables().find(|(t, _)| t.name == "transfer_out") else { return Ok(None) };
        let files = self.local_files(t, table).await?;
        Ok(Some(format!("({})", read(t, &files, scope, None))))
    }

    /// An in-memory DuckDB with every table of this snapshot as a view, seen through `scope`.
    pub async fn duckdb(&self, scope: &Scope) -> Result<duckdb::Connection> {
        let conn = duckdb::Connection::open_in_memory().map_err(duck_err)?;
        let moved = self.moved(scope).await?;
        for (t, table) in self.tables() {
            let files = self.local_files(t, table).await?;
            conn.execute_batch(&format!("create view \"{}\" as {}", t.name, read(t, &files, scope, moved.as_deref())))
                .map_err(duck_err)?;
        }
        Ok(conn)
    }

    /// Writes the star schema, as this snapshot holds it, into a new DuckDB database file at `path` (for BI
    /// tools): one table per lake table. Refuses an existing file.
    pub async fn extract_duckdb(&self, path: &std::path::Path, scope: &Scope) -> Result<Vec<(&'static str, u64)>> {
        if path.exists() {
            return Err(Error::Duck(format!("{} exists; extract writes a new file", path.display())));
        }
        let conn = duckdb::Connection::open(path).map_err(duck_err)?;
        let mut counts = Vec::new();
        let moved = self.moved(scope).await?;
        for (t, table) in self.tables() {
            let files = self.local_files(t, table).await?;
            conn.execute_batch(&format!("create table \"{}\" as {}", t.name, read(t, &files, scope, moved.as_deref())))
                .map_err(duck_err)?;
            let n: i64 =
                conn.query_row(&format!("select count(*) from \"{}\"", t.name), [], |r| r.get(0)).map_err(duck_err)?;
            counts.push((t.name, u64::try_from(n).unwrap_or_default()));
        }
        Ok(counts)
    }
}

/// Runs one SQL statement on a DuckDB connection and returns its result as Arrow.
pub fn query(conn: &duckdb::Connection, sql: &str) -> Result<Vec<RecordBatch>> {
    let mut stmt = conn.prepare(sql).map_err(duck_err)?;
    let batches = stmt.query_arrow([]).map_err(duck_err)?.collect();
    Ok(batches)
}

/// What the SQL console offered to an org's users gives at most.
#[derive(Debug, Clone, Copy)]
pub struct ConsoleLimits {
    /// Rows returned; more are cut and the answer says so.
    pub rows: usize,
    /// Time a statement may run before it is interrupted.
    pub time: std::time::Duration,
}

impl Default for ConsoleLimits {
    fn default() -> ConsoleLimits {
        ConsoleLimits { rows: 10_000, time: std::time::Duration::from_secs(30) }
    }
}

/// A console's answer: its rows, and whether the row limit cut them.
#[derive(Debug)]
pub struct Answer {
    /// The rows, at most the limit.
    pub batches: Vec<RecordBatch>,
    /// More rows than the limit were found; only the limit's worth are here.
    pub cut: bool,
}

/// DuckDB for one org's ad-hoc SQL, built to hold against a hostile user: it holds views over that org's own
/// Parquet files only, and before any of the user's text runs it refuses every file outside them (reading,
/// globbing, writing, attaching), never installs or loads an extension, and locks its configuration. A
/// statement is one read-only query (`select`, `with`, `from`, `values`, `table`, `describe`, `show`,
/// `summarize`, `pivot`, `unpivot`), cut at a row limit and interrupted at a time limit.
pub struct Console {
    conn: duckdb::Connection,
}

/// The first words a read-only statement may start with.
const READ_ONLY: &[&str] =
    &["select", "with", "from", "values", "table", "describe", "show", "summarize", "pivot", "unpivot"];

impl Snapshot {
    /// The SQL console for `org_id`'s users (every store of it: a user allowed only some stores gets reports,
    /// not the console — its files hold every store's rows).
    pub async fn console(&self, scope: &Scope) -> Result<Console> {
        let Scope::Org { org_id, stores: None } = scope else {
            return Err(Error::Duck("the SQL console is for one org's users allowed every store of it".into()));
        };
        let conn = duckdb::Connection::open_in_memory().map_err(duck_err)?;
        let partition = format!("/org_id={org_id}/");
        let mut views = Vec::new();
        let mut allowed = Vec::new();
        for (t, table) in self.tables() {
            let files: Vec<String> = self
                .local_files(t, table)
                .await?
                .into_iter()
                .filter(|f| !t.is_tenant_data() || f.contains(&partition))
                .collect();
            allowed.extend(files.iter().cloned());
            views.push(format!("create view \"{}\" as {}", t.name, read(t, &files, scope, None)));
        }
        // the paths first, then the lock: once external access is off only these files can be read
        let list = allowed.iter().map(|f| quote(f)).collect::<Vec<_>>().join(", ");
        conn.execute_batch(&format!(
            "set allowed_paths = [{list}]; set autoinstall_known_extensions = false;
             set autoload_known_extensions = false; set enable_external_access = false;"
        ))
        .map_err(duck_err)?;
        for v in views {
            conn.execute_batch(&v).map_err(duck_err)?;
        }
        conn.execute_batch("set lock_configuration = true;").map_err(duck_err)?;
        Ok(Console { conn })
    }
}

impl Console {
    /// Runs `sql` — one read-only statement — within `limits`.
    pub fn query(&self, sql: &str, limits: ConsoleLimits) -> Result<Answer> {
        let statement = one_statement(sql)?;
        let first = first_word(statement);
        if !READ_ONLY.contains(&first.to_ascii_lowercase().as_str()) {
            return Err(Error::Duck(format!(
                "{first:?}: the console runs one read-only query (select, with, from, values, table, describe, show, \
                 summarize, pivot, unpivot)"
            )));
        }
        let interrupt = self.conn.interrupt_handle();
        let (done, timer) = std::sync::mpsc::channel::<()>();
        let watch = std::thread::spawn(move || {
            if timer.recv_timeout(limits.time).is_err() {
                interrupt.interrupt();
            }
        });
        let answer = self.run(statement, limits.rows);
        let _ = done.send(());
        let _ = watch.join();
        answer.map_err(|e| match e {
            Error::Duck(m) if m.contains("INTERRUPT") || m.contains("nterrupted") => {
                Error::Duck(format!("the query ran longer than {} s and was stopped", limits.time.as_secs()))
            }
            other => other,
        })
    }

    fn run(&self, sql: &str, max: usize) -> Result<Answer> {
        let mut stmt = self.conn.prepare(sql).map_err(duck_err)?;
        let mut batches = Vec::new();
        let (mut rows, mut cut) = (0, false);
        for b in stmt.query_arrow([]).map_err(duck_err)? {
            if rows + b.num_rows() > max {
                batches.push(b.slice(0, max - rows));
                cut = true;
                break;
            }
            rows += b.num_rows();
            batches.push(b);
        }
        Ok(Answer { batches, cut })
    }
}

/// The statement's first word, past leading comments.
fn first_word(mut s: &str) -> &str {
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r);
        } else {
            return s.split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or_default();
        }
    }
}

/// The one statement in `sql` (a trailing `;` allowed); more than one is refused. Quotes and comments are
/// skipped over, so a `;` inside them does not count.
fn one_statement(sql: &str) -> Result<&str> {
    let b = sql.as_bytes();
    let (mut i, mut end) = (0, None);
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b';' => {
                if end.is_none() {
                    end = Some(i);
                } else {
                    return Err(Error::Duck("the console runs one statement at a time".into()));
                }
            }
            c if end.is_some() && !c.is_ascii_whitespace() => {
                return Err(Error::Duck("the console runs one statement at a time".into()));
            }
            _ => {}
        }
        i += 1;
    }
    let s = sql[..end.unwrap_or(sql.len())].trim();
    if s.is_empty() {
        return Err(Error::Duck("no statement to run".into()));
    }
    Ok(s)
}
