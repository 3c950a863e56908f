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
