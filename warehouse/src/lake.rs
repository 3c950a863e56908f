//! The lake on disk: one Delta table per [`Table`] under the lake root, and a small state file naming, for the
//! last batch that landed in every table, the watermark it reached and each table's version after it.
//!
//! Delta has no multi-table transaction. A batch lands table by table, each commit carrying the batch's
//! watermark as a Delta application transaction (`txn`, app id [`APP_ID`]); only when every table has landed
//! does the state file move forward (written to a temporary file and renamed over the old one, which is
//! atomic). Readers open every table at the versions the state names, so a report never sees half a batch, and
//! a crash anywhere leaves the state at the previous batch: the next run lands the batch again, and landing is
//! an upsert by key, so nothing is lost and nothing is counted twice.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use deltalake::arrow::array::{ArrayRef, BooleanArray, RecordBatch, new_null_array};
use deltalake::arrow::datatypes::{Field, Schema};
use deltalake::datafusion::prelude::{SessionContext, col};
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel as _;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::kernel::{StructType, Transaction};
use deltalake::logstore::object_store::{self, ObjectStore, ObjectStoreExt as _};
use deltalake::operations::write::SchemaMode;
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, DeltaTableBuilder};
use url::Url;

use crate::error::{Error, Result, delta};
use crate::state::State;
use crate::table::Table;

/// The application id under which the ETL records each table's watermark in the Delta log.
pub const APP_ID: &str = "loupe-etl";

/// Where a lake lives.
#[derive(Debug, Clone)]
enum Place {
    /// A local directory.
    Dir(PathBuf),
    /// An `s3://bucket/prefix/` URL; `local` is a directory on this machine for the writer lock and the copies
    /// of Parquet files DuckDB reads.
    S3 { url: Url, store: Arc<dyn ObjectStore>, options: HashMap<String, String>, local: PathBuf },
}

/// The lake under one root: a directory, or an S3 URL.
///
/// A `Lake` keeps the tables it has opened (and the versions its own commits made), shared between its clones:
/// landing a batch then costs no re-reading of each table's log. Taking the writer lock forgets them, since
/// another process may have written while the lock was free.
#[derive(Debug, Clone)]
pub struct Lake {
    place: Place,
    open: Arc<Mutex<HashMap<&'static str, DeltaTable>>>,
}

/// A batch for one table: rows to put (new or changed) and keys `(org_id, id)` to take out.
#[derive(Debug, Default)]
pub struct Landing {
    /// Rows in the table's schema.
    pub rows: Vec<RecordBatch>,
    /// Rows deleted in the books.
    pub removed: Vec<(i64, i64)>,
}

/// The lake's writer lock; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct WriterLock {
    _file: std::fs::File,
}

/// What a compaction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Compaction {
    /// The table's version after it.
    pub version: u64,
    /// Small files merged away.
    pub files_removed: u64,
    /// Files written in their place.
    pub files_added: u64,
}

impl Landing {
    /// Nothing to land.
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.rows.iter().all(|b| b.num_rows() == 0)
    }
}

const STATE: &str = "_loupe_state.json";

impl Lake {
    /// The lake in the directory `root` (created on first landing).
    pub fn at(root: impl Into<PathBuf>) -> Lake {
        Lake { place: Place::Dir(root.into()), open: Arc::default() }
    }

    /// The lake at `location`: an `s3://bucket/prefix` URL (connection settings from the `AWS_*` environment,
    /// then `options`), or else a directory. `local` is a directory on this machine a remote lake keeps its
    /// writer lock and DuckDB's copies of its files in.
    pub fn open(location: &str, local: &Path, options: HashMap<String, String>) -> Result<Lake> {
        if !location.starts_with("s3://") {
            return Ok(Lake::at(location));
        }
        let bad = |why: String| Error::State { path: location.to_string(), why };
        let mut url = Url::parse(location).map_err(|e| bad(format!("not a URL: {e}")))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("names no bucket (s3://bucket/prefix)".into()));
        }
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        crate::s3::register();
        let store = crate::s3::client(&url, &options).map_err(|e| bad(e.to_string()))?;
        Ok(Lake { place: Place::S3 { url, store, options, local: local.to_path_buf() }, open: Arc::default() })
    }

    /// Where the lake is, for people: its directory or URL.
    pub fn location(&self) -> String {
        match &self.place {
            Place::Dir(d) => d.display().to_string(),
            Place::S3 { url, .. } => url.to_string(),
        }
    }

    /// The lake's directory, when it is a local one.
    pub fn dir(&self) -> Option<&Path> {
        match &self.place {
            Place::Dir(d) => Some(d),
            Place::S3 { .. } => None,
        }
    }

    /// The directory on this machine for the writer lock (and, for a remote lake, DuckDB's file copies).
    fn local(&self) -> &Path {
        match &self.place {
            Place::Dir(d) | Place::S3 { local: d, .. } => d,
        }
    }

    fn options(&self) -> HashMap<String, String> {
        match &self.place {
            Place::Dir(_) => HashMap::new(),
            Place::S3 { options, .. } => options.clone(),
        }
    }

    fn cached(&self, t: &Table) -> Option<DeltaTable> {
        self.open.lock().ok().and_then(|m| m.get(t.name).cloned())
    }

    /// Remembers `table` as `t`'s latest version; returns that version.
    fn keep(&self, t: &'static Table, table: DeltaTable) -> u64 {
        let version = table.version().unwrap_or_default();
        if let Ok(mut m) = self.open.lock() {
            m.insert(t.name, table);
        }
        version
    }

    fn forget(&self) {
        if let Ok(mut m) = self.open.lock() {
            m.clear();
        }
    }

    fn state_err(&self, why: impl ToString) -> Error {
        Error::State { path: format!("{}/{STATE}", self.location().trim_end_matches('/')), why: why.to_string() }
    }

    /// The state of the last batch that landed everywhere, or `None` for an empty lake.
    pub async fn state(&self) -> Result<Option<State>> {
        let bytes = match &self.place {
            Place::Dir(d) => match std::fs::read(d.join(STATE)) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(self.state_err(e)),
            },
            Place::S3 { url, store, .. } => {
                let at = object_path(url, STATE).map_err(|e| self.state_err(e))?;
                match store.get(&at).await {
                    Ok(r) => r.bytes().await.map_err(|e| self.state_err(e))?.to_vec(),
                    Err(object_store::Error::NotFound { .. }) => return Ok(None),
                    Err(e) => return Err(self.state_err(e)),
                }
            }
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| self.state_err(e))
    }

    /// Moves the lake's state forward, atomically: in a directory a temporary file, fsync and rename; in S3
    /// one PUT, which replaces the object whole.
    pub async fn save_state(&self, state: &State) -> Result<()> {
        let body = serde_json::to_vec_pretty(state).map_err(|e| self.state_err(e))?;
        match &self.place {
            Place::Dir(d) => {
                std::fs::create_dir_all(d).map_err(|e| self.state_err(e))?;
                let tmp = d.join("_loupe_state.json.tmp");
                let mut f = std::fs::File::create(&tmp).map_err(|e| self.state_err(e))?;
                f.write_all(&body).and_then(|()| f.sync_all()).map_err(|e| self.state_err(e))?;
                std::fs::rename(&tmp, d.join(STATE)).map_err(|e| self.state_err(e))
            }
            Place::S3 { url, store, .. } => {
                let at = object_path(url, STATE).map_err(|e| self.state_err(e))?;
                store.put(&at, body.into()).await.map_err(|e| self.state_err(e))?;
                Ok(())
            }
        }
    }

    /// Takes the lake's writer lock: one process lands, rebuilds or compacts at a time (a second would fight
    /// the first over the state file). Held until the guard is dropped; refused at once if another holds it.
    /// The lock is a file on this machine: a remote lake is written from one machine (its server).
    pub fn lock(&self) -> Result<WriterLock> {
        std::fs::create_dir_all(self.local()).map_err(|e| self.state_err(e))?;
        let path = self.local().join("_loupe.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| self.state_err(e))?;
        match file.try_lock() {
            Ok(()) => {
                self.forget();
                Ok(WriterLock { _file: file })
            }
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Busy { lake: self.location() }),
            Err(std::fs::TryLockError::Error(e)) => Err(self.state_err(e)),
        }
    }

    fn url(&self, t: &Table) -> Result<Url> {
        let root = match &self.place {
            Place::Dir(d) => d,
            Place::S3 { url, .. } => return url.join(&format!("{}/", t.name)).map_err(|e| self.state_err(e)),
        };
        let dir = root.join(t.name);
        std::fs::create_dir_all(&dir).map_err(|e| self.state_err(format!("cannot create {}: {e}", dir.display())))?;
        let dir = dir.canonicalize().map_err(|e| self.state_err(e))?;
        Url::from_directory_path(&dir)
            .map_err(|()| self.state_err(format!("{} is not a directory path", dir.display())))
    }

    /// Opens a table at its latest version, creating it (empty, with its schema and partitioning) if missing.
    pub async fn table(&self, t: &'static Table) -> Result<DeltaTable> {
        if let Some(table) = self.cached(t) {
            return Ok(table);
        }
        let table =
            DeltaTable::try_from_url_with_storage_options(self.url(t)?, self.options()).await.map_err(delta(t.name))?;
        if table.version().is_some() {
            self.keep(t, table.clone());
            return Ok(table);
        }
        let schema: StructType = t.schema().as_ref().try_into_kernel().map_err(Error::Arrow)?;
        table
            .create()
            .with_columns(schema.fields().cloned())
            .with_partition_columns(t.partitions())
            .with_save_mode(SaveMode::Ignore)
            .await
            .map_err(delta(t.name))
            .inspect(|table| {
                self.keep(t, table.clone());
            })
    }

    /// Opens a table at `version`.
    pub async fn table_at(&self, t: &'static Table, version: u64) -> Result<DeltaTable> {
        if let Some(table) = self.cached(t).filter(|c| c.version() == Some(version)) {
            return Ok(table);
        }
        DeltaTableBuilder::from_url(self.url(t)?)
            .map_err(delta(t.name))?
            .with_storage_options(self.options())
            .with_version(version)
            .load()
            .await
            .map_err(delta(t.name))
    }

    /// Refuses a table written by an older Loupe (other columns than this version's): reports and landings
    /// need a rebuild first, and say so rather than fail on a missing column.
    fn check_columns(&self, t: &'static Table, table: &DeltaTable) -> Result<()> {
        let have: Vec<String> =
            table.snapshot().map_err(delta(t.name))?.schema().fields().map(|f| f.name().clone()).collect();
        if have.iter().map(String::as_str).eq(t.column_names()) {
            Ok(())
        } else {
            Err(Error::Outdated { lake: self.location(), table: t.name.to_string() })
        }
    }

    /// Lands one batch in one table, in one commit that records `watermark`: rows whose key is already there
    /// replace it, new rows are added, removed keys are taken out. Returns the table's new version (or its
    /// version unchanged if there is nothing to land).
    pub async fn land(&self, t: &'static Table, batch: Landing, watermark: i64) -> Result<u64> {
        let table = self.table(t).await?;
        if batch.is_empty() {
            return Ok(table.version().unwrap_or_default());
        }
        // a table written by an older Loupe (other columns) is brought up to date by a full load, not merged into
        self.check_columns(t, &table)?;
        let started = std::time::Instant::now();
        let props = CommitProperties::default().with_application_transaction(Transaction::new(APP_ID, watermark));
        let source = source_batches(t, batch)?;
        let ctx = SessionContext::new();
        let df = ctx.read_batches(source)?;
        let on = col("t.org_id").eq(col("s.org_id")).and(col("t.id").eq(col("s.id")));
        let names: Vec<&str> = t.column_names().collect();
        let (table, _) = table
            .merge(df, on)
            .with_source_alias("s")
            .with_target_alias("t")
            .with_commit_properties(props)
            .when_matched_delete(|d| d.predicate(col("s._removed")))
            .and_then(|m| {
                m.when_matched_update(|u| {
                    names
                        .iter()
                        .skip(2)
                        .fold(u.predicate(!col("s._removed")), |u, c| u.update(*c, col(format!("s.{c}"))))
                })
            })
            .and_then(|m| {
                m.when_not_matched_insert(|i| {
                    names.iter().fold(i.predicate(!col("s._removed")), |i, c| i.set(*c, col(format!("s.{c}"))))
                })
            })
            .map_err(delta(t.name))?
            .await
            .map_err(delta(t.name))?;
        tracing::debug!(target: "loupe_etl", table = t.name, ms = started.elapsed().as_millis() as u64, "merged");
        Ok(self.keep(t, table))
    }

    /// Replaces everything in `t` with `rows` in one commit recording `watermark` (a full load).
    pub async fn replace(&self, t: &'static Table, rows: Vec<RecordBatch>, watermark: i64) -> Result<u64> {
        self.write(t, rows, watermark, SaveMode::Overwrite).await
    }

    /// Adds `rows` to `t` in one commit recording `watermark` (the later parts of a full load).
    pub async fn append(&self, t: &'static Table, rows: Vec<RecordBatch>, watermark: i64) -> Result<u64> {
        self.write(t, rows, watermark, SaveMode::Append).await
    }

    async fn write(&self, t: &'static Table, rows: Vec<RecordBatch>, watermark: i64, mode: SaveMode) -> Result<u64> {
        let table = self.table(t).await?;
        let rows: Vec<RecordBatch> = rows.into_iter().filter(|b| b.num_rows() > 0).collect();
        if rows.is_empty() && mode == SaveMode::Append {
            return Ok(table.version().unwrap_or_default());
        }
        let props = CommitProperties::default().with_application_transaction(Transaction::new(APP_ID, watermark));
        // nothing in the books: an empty overwrite keeps the schema
        let rows = if rows.is_empty() { vec![RecordBatch::new_empty(t.schema())] } else { rows };
        let mut write = table
            .write(rows)
            .with_save_mode(mode)
            .with_writer_properties(writer_properties(t))
            .with_commit_properties(props);
        if mode == SaveMode::Overwrite {
            // a full load also brings the table's columns and partitioning up to this version of Loupe
            write = write.with_schema_mode(SchemaMode::Overwrite).with_partition_columns(t.partitions());
        }
        let table = write.await.map_err(delta(t.name))?;
        Ok(self.keep(t, table))
    }

    /// Replaces the rows of `t` that `which` selects with `rows` (each of which it must select), in one commit
    /// that records `watermark`.
    async fn replace_where(
        &self,
        t: &'static Table,
        rows: Vec<RecordBatch>,
        which: deltalake::datafusion::prelude::Expr,
        watermark: i64,
    ) -> Result<u64> {
        let table = self.table(t).await?;
        let props = CommitProperties::default().with_application_transaction(Transaction::new(APP_ID, watermark));
        let mut rows: Vec<RecordBatch> = rows.into_iter().filter(|b| b.num_rows() > 0).collect();
        if rows.is_empty() {
            rows.push(RecordBatch::new_empty(t.schema()));
        }
        let table = table
            .write(rows)
            .with_save_mode(SaveMode::Overwrite)
            .with_replace_where(which)
            .with_writer_properties(writer_properties(t))
            .with_commit_properties(props)
            .await
            .map_err(delta(t.name))?;
        Ok(self.keep(t, table))
    }

    /// Derives `sales_month` from the lines as the lake holds them now — the months `months` names (their
    /// first days), or every month — and writes it over those months' rows in one commit that records
    /// `watermark`. Returns the table's new version.
    pub async fn derive_sales_month(&self, months: Option<&[chrono::NaiveDate]>, watermark: i64) -> Result<u64> {
        use deltalake::arrow::compute::cast;
        use deltalake::datafusion::prelude::lit;
        use deltalake::datafusion::scalar::ScalarValue;
        let t = &crate::tables::sales_month::TABLE;
        let mut config = deltalake::datafusion::prelude::SessionConfig::new();
        config.options_mut().optimizer.default_filter_selectivity = 100;
        let ctx = SessionContext::new_with_config(config);
        for name in ["sales_line", "sales_line_version", "style", "item_cost", "work_order", "partnership"] {
            let Some(source) = crate::tables::by_name(name) else { continue };
            let table = self.table(source).await?;
            table.update_datafusion_session(&ctx.state()).map_err(delta(name))?;
            ctx.register_table(name, table.table_provider().await?)?;
        }
        let filter = match months {
            None => "true".to_string(),
            Some(ms) => ms
                .iter()
                .map(|m| {
                    let next = m.checked_add_months(chrono::Months::new(1)).unwrap_or(*m);
                    format!("(l.invoice_date >= date '{m}' and l.invoice_date < date '{next}')")
                })
                .collect::<Vec<_>>()
                .join(" or "),
        };
        let out = ctx.sql(&crate::sales::month_rows_sql(&filter)).await?.collect().await?;
        let schema = t.schema();
        let mut rows = Vec::with_capacity(out.len());
        for b in out {
            let mut columns = Vec::with_capacity(schema.fields().len());
            for f in schema.fields() {
                let c = b.column_by_name(f.name()).ok_or_else(|| {
                    deltalake::arrow::error::ArrowError::SchemaError(format!(
                        "{}: the derivation gave no column {}",
                        t.name,
                        f.name()
                    ))
                })?;
                columns.push(cast(c, f.data_type())?);
            }
            rows.push(RecordBatch::try_new(schema.clone(), columns)?);
        }
        match months {
            None => self.replace(t, rows, watermark).await,
            Some(ms) => {
                let epoch = crate::tables::date::EPOCH;
                let days = ms
                    .iter()
                    .map(|m| lit(ScalarValue::Date32(Some((*m - epoch).num_days() as i32))))
                    .collect::<Vec<_>>();
                self.replace_where(t, rows, col("first_day").in_list(days, false), watermark).await
            }
        }
    }

    /// Merges each partition's small files into larger ones, in one commit (none when there is nothing to
    /// merge). Returns the table's version after it and how many files were merged into how many.
    pub async fn compact(&self, t: &'static Table) -> Result<Compaction> {
        let table = self.table(t).await?;
        let (table, m) = table.optimize().await.map_err(delta(t.name))?;
        Ok(Compaction {
            version: self.keep(t, table),
            files_removed: m.num_files_removed,
            files_added: m.num_files_added,
        })
    }

    /// Undoes what was committed after the state (a crashed or stopped run's unpublished work): every table
    /// whose latest version is past the one the state names (version 0, the empty table, if the state names
    /// none) is restored to it, in a new commit. Returns how many tables were restored.
    pub async fn align(&self, state: Option<&State>) -> Result<usize> {
        let mut restored = 0;
        for t in crate::tables::all() {
            let published = state.and_then(|s| s.versions.get(t.name)).copied().unwrap_or(0);
            let table = self.table(t).await?;
            if table.version().unwrap_or_default() <= published {
                continue;
            }
            let (table, _) = table.restore().with_version_to_restore(published).await.map_err(delta(t.name))?;
            self.keep(t, table);
            restored += 1;
        }
        Ok(restored)
    }

    /// Deletes the files no version of the last `retain` needs any more, except those of `keep` (the versions a
    /// reader may still open: the state's). Returns how many files were deleted.
    pub async fn vacuum(&self, t: &'static Table, retain: chrono::Duration, keep: &[u64]) -> Result<usize> {
        let table = self.table(t).await?;
        let (table, m) = table
            .vacuum()
            .with_retention_period(retain)
            .with_enforce_retention_duration(false)
            .with_keep_versions(keep)
            .await
            .map_err(delta(t.name))?;
        self.keep(t, table);
        Ok(m.files_deleted.len())
    }

    /// Every table at the versions of the last batch that landed everywhere.
    pub async fn snapshot(&self) -> Result<crate::Snapshot> {
        let Some(state) = self.state().await? else { return Err(Error::Empty { lake: self.location() }) };
        let mut tables = Vec::new();
        for t in crate::tables::all() {
            let Some(v) = state.versions.get(t.name) else {
                return Err(Error::NotLanded { lake: self.location(), table: t.name.to_string() });
            };
            let table = self.table_at(t, *v).await?;
            self.check_columns(t, &table)?;
            tables.push((*t, table));
        }
        let mirror = match &self.place {
            Place::Dir(_) => None,
            Place::S3 { store, local, .. } => {
                Some(crate::snapshot::Mirror { store: store.clone(), dir: local.join("files") })
            }
        };
        Ok(crate::Snapshot::new(state, tables, mirror))
    }
}

/// How a table's files are written: Snappy-compressed, dictionary-encoded except the keys and references that
/// are nearly unique per row (a dictionary of them costs time and saves nothing).
fn writer_properties(t: &Table) -> deltalake::parquet::file::properties::WriterProperties {
    use deltalake::parquet::basic::Compression;
    use deltalake::parquet::schema::types::ColumnPath;
    let few = ["org_id", "store_id", "salesperson_id", "vendor_id", "style_id"];
    t.columns
        .iter()
        .filter(|c| c.kind == crate::table::Kind::Id && !few.contains(&c.name))
        .fold(
            deltalake::parquet::file::properties::WriterProperties::builder().set_compression(Compression::SNAPPY),
            |b, c| b.set_column_dictionary_enabled(ColumnPath::from(c.name), false),
        )
        .build()
}

/// The object at `name` under the lake's URL.
fn object_path(url: &Url, name: &str) -> std::result::Result<object_store::path::Path, object_store::path::Error> {
    object_store::path::Path::from_url_path(format!("{}{name}", url.path()))
}

/// The table's rows plus a `_removed` flag, and one flagged row per removed key; every column nullable so the
/// removal rows can leave the others empty.
fn source_batches(t: &Table, batch: Landing) -> Result<Vec<RecordBatch>> {
    let mut fields: Vec<Field> = t.schema().fields().iter().map(|f| f.as_ref().clone().with_nullable(true)).collect();
    fields.push(Field::new("_removed", deltalake::arrow::datatypes::DataType::Boolean, false));
    let schema = Arc::new(Schema::new(fields));
    let mut out = Vec::new();
    for b in batch.rows.into_iter().filter(|b| b.num_rows() > 0) {
        let mut cols: Vec<ArrayRef> = b.columns().to_vec();
        cols.push(Arc::new(BooleanArray::from(vec![false; b.num_rows()])));
        out.push(RecordBatch::try_new(schema.clone(), cols)?);
    }
    if !batch.removed.is_empty() {
        let n = batch.removed.len();
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        for f in schema.fields() {
            let c: ArrayRef = match f.name().as_str() {
                "org_id" => {
                    Arc::new(deltalake::arrow::array::Int64Array::from_iter_values(batch.removed.iter().map(|k| k.0)))
                }
                "id" => {
                    Arc::new(deltalake::arrow::array::Int64Array::from_iter_values(batch.removed.iter().map(|k| k.1)))
                }
                "_removed" => Arc::new(BooleanArray::from(vec![true; n])),
                _ => new_null_array(f.data_type(), n),
            };
            cols.push(c);
        }
        out.push(RecordBatch::try_new(schema, cols)?);
    }
    Ok(out)
}
