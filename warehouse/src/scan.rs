//! A lake table as DataFusion reads it: the Parquet files of one Delta version, listed once per snapshot.
//!
//! delta-rs's own table provider replays the version's file list through the Delta kernel on every scan and,
//! when a filter names a column that is not a partition, parses each file's JSON statistics again to skip
//! files. A report runs a dozen scans over the same snapshot, so that work was repeated for every one of them
//! (about 0.35 ms a file and 7–13 ms a table at the medium scale). Here the file list, each file's partition
//! values and its statistics are read from the snapshot once, as typed Arrow columns, and every scan picks
//! its files from them: filters on partition columns are evaluated exactly on the files' partition values,
//! the others prune by the files' min/max statistics (DataFusion's `PruningPredicate`) and are applied to the
//! rows as usual. The files are then read by DataFusion's own Parquet scan, whose footer cache is shared
//! by every session on the runtime.
//!
//! The tables are the lake's own, written by this crate: Delta reader version 1 (no deletion vectors, no
//! column mapping), partition values in the log. A table that needs a later reader is refused by name.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use deltalake::DeltaTable;
use deltalake::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch, RecordBatchOptions, UInt64Array};
use deltalake::arrow::compute::cast;
use deltalake::arrow::datatypes::{DataType, Field, FieldRef, Int64Type, Schema, SchemaRef, TimestampMillisecondType};
use deltalake::datafusion::catalog::{Session, TableProvider};
use deltalake::datafusion::common::pruning::PruningStatistics;
use deltalake::datafusion::common::stats::Precision;
use deltalake::datafusion::common::{Column, DFSchema, ScalarValue, Statistics};
use deltalake::datafusion::datasource::TableType;
use deltalake::datafusion::datasource::file_format::FileFormat;
use deltalake::datafusion::datasource::file_format::parquet::ParquetFormat;
use deltalake::datafusion::datasource::listing::PartitionedFile;
use deltalake::datafusion::datasource::listing::helpers::expr_applicable_for_cols;
use deltalake::datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use deltalake::datafusion::datasource::table_schema::TableSchema;
use deltalake::datafusion::error::{DataFusionError, Result};
use deltalake::datafusion::execution::object_store::ObjectStoreUrl;
use deltalake::datafusion::logical_expr::utils::conjunction;
use deltalake::datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use deltalake::datafusion::physical_optimizer::pruning::PruningPredicate;
use deltalake::datafusion::physical_plan::ExecutionPlan;
use deltalake::datafusion::physical_plan::empty::EmptyExec;
use deltalake::logstore::object_store::ObjectMeta;
use deltalake::logstore::object_store::path::Path;

use crate::table::{Kind, Table};

/// One lake table at one version, as a DataFusion table.
pub(crate) struct LakeTable {
    table: &'static Table,
    delta: DeltaTable,
    /// The table's columns in order; text is read as `Utf8View`.
    schema: SchemaRef,
    /// The columns stored in the files (all but the partition columns), in table order.
    file_schema: SchemaRef,
    /// The partition columns, in the order the files' paths name them.
    partition_fields: Vec<FieldRef>,
    /// For each table column, its index in the scan's output (file columns, then partition columns).
    scan_index: Vec<usize>,
    files: OnceLock<std::result::Result<Arc<Files>, String>>,
}

impl std::fmt::Debug for LakeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeTable").field("table", &self.table.name).finish_non_exhaustive()
    }
}

/// The files of the version: one row each.
struct Files {
    store: ObjectStoreUrl,
    meta: Vec<ObjectMeta>,
    /// The partition values, typed, one column per partition column.
    partitions: RecordBatch,
    /// Rows in each file (null when the log has no count).
    rows: ArrayRef,
    /// Per stored column: the files' minimum, maximum and null count, where the log records them.
    min: HashMap<String, ArrayRef>,
    max: HashMap<String, ArrayRef>,
    nulls: HashMap<String, ArrayRef>,
}

impl LakeTable {
    pub(crate) fn new(table: &'static Table, delta: DeltaTable) -> LakeTable {
        let partitions = table.partitions();
        let field = |c: &crate::table::Column| {
            let t = match c.kind {
                Kind::Text => DataType::Utf8View,
                k => k.data_type(),
            };
            Arc::new(Field::new(c.name, t, c.nullable))
        };
        let schema = Arc::new(Schema::new(table.columns.iter().map(field).collect::<Vec<_>>()));
        let stored: Vec<FieldRef> = table.columns.iter().filter(|c| !partitions.contains(&c.name)).map(field).collect();
        let partition_fields: Vec<FieldRef> = partitions
            .iter()
            .map(|p| field(table.columns.iter().find(|c| c.name == *p).expect("a partition column is a column")))
            .collect();
        let scan_index = table
            .columns
            .iter()
            .map(|c| match partitions.iter().position(|p| *p == c.name) {
                Some(i) => stored.len() + i,
                None => stored.iter().position(|f| f.name() == c.name).expect("a stored column"),
            })
            .collect();
        LakeTable {
            table,
            delta,
            schema,
            file_schema: Arc::new(Schema::new(stored)),
            partition_fields,
            scan_index,
            files: OnceLock::new(),
        }
    }

    /// What the table is.
    pub(crate) fn table(&self) -> &'static Table {
        self.table
    }

    /// The Delta table at its version.
    pub(crate) fn delta(&self) -> &DeltaTable {
        &self.delta
    }

    fn files(&self) -> Result<Arc<Files>> {
        self.files
            .get_or_init(|| self.list().map(Arc::new).map_err(|e| format!("lake table {}: {e}", self.table.name)))
            .clone()
            .map_err(DataFusionError::Execution)
    }

    /// Reads the version's file list with its partition values and statistics, as typed columns.
    fn list(&self) -> Result<Files> {
        let snapshot = self.delta.snapshot().map_err(|e| DataFusionError::External(e.into()))?;
        // reader version 1: no column mapping, no deletion vectors — every row of every listed file is live
        let protocol = serde_json::to_value(snapshot.protocol()).map_err(|e| DataFusionError::External(e.into()))?;
        let reader = protocol.get("minReaderVersion").and_then(serde_json::Value::as_i64);
        if reader != Some(1) {
            return Err(DataFusionError::NotImplemented(format!(
                "the table needs Delta reader version {reader:?}; this lake reads version 1 tables, as it writes them"
            )));
        }
        let adds = snapshot.add_actions_table(true).map_err(|e| DataFusionError::External(e.into()))?;
        let root = self.delta.table_url();
        let store = ObjectStoreUrl::parse(format!("{}://{}", root.scheme(), root.host_str().unwrap_or_default()))?;
        let prefix = root.path().trim_end_matches('/');
        let column = |name: &str| {
            adds.column_by_name(name)
                .cloned()
                .ok_or_else(|| DataFusionError::Internal(format!("no {name} in the file list")))
        };
        let paths = column("path")?;
        let paths = cast(&paths, &DataType::Utf8)?;
        let paths = paths.as_string::<i32>();
        let sizes = column("size_bytes")?;
        let sizes = sizes.as_primitive::<Int64Type>();
        let times = cast(
            &column("modification_time")?,
            &DataType::Timestamp(deltalake::arrow::datatypes::TimeUnit::Millisecond, None),
        )?;
        let times = times.as_primitive::<TimestampMillisecondType>();
        let mut meta = Vec::with_capacity(adds.num_rows());
        for i in 0..adds.num_rows() {
            let location = Path::from_url_path(format!("{prefix}/{}", paths.value(i)))
                .map_err(|e| DataFusionError::External(e.into()))?;
            meta.push(ObjectMeta {
                location,
                last_modified: chrono::DateTime::from_timestamp_millis(times.value(i)).unwrap_or_default(),
                size: u64::try_from(sizes.value(i)).unwrap_or_default(),
                e_tag: None,
                version: None,
            });
        }
        let typed = |name: String, to: &DataType| -> Option<ArrayRef> {
            let a = adds.column_by_name(&name)?;
            if a.data_type() == to { Some(a.clone()) } else { cast(a, to).ok() }
        };
        let mut partitions = Vec::with_capacity(self.partition_fields.len());
        for f in &self.partition_fields {
            let a = typed(format!("partition.{}", f.name()), f.data_type()).ok_or_else(|| {
                DataFusionError::Internal(format!("no partition values for {} in the file list", f.name()))
            })?;
            partitions.push(a);
        }
        let partitions = RecordBatch::try_new_with_options(
            Arc::new(Schema::new(self.partition_fields.clone())),
            partitions,
            &RecordBatchOptions::new().with_row_count(Some(adds.num_rows())),
        )?;
        let rows = cast(&column("num_records")?, &DataType::UInt64)?;
        let (mut min, mut max, mut nulls) = (HashMap::new(), HashMap::new(), HashMap::new());
        for f in self.file_schema.fields() {
            // typed as the column is read: money and rates compare exactly as decimals
            let (name, t) = (f.name(), f.data_type());
            if let Some(a) = typed(format!("min.{name}"), t) {
                min.insert(name.clone(), a);
            }
            if let Some(a) = typed(format!("max.{name}"), t) {
                max.insert(name.clone(), a);
            }
            if let Some(a) = typed(format!("null_count.{name}"), &DataType::UInt64) {
                nulls.insert(name.clone(), a);
            }
        }
        Ok(Files { store, meta, partitions, rows, min, max, nulls })
    }

    fn partition_names(&self) -> Vec<&str> {
        self.partition_fields.iter().map(|f| f.name().as_str()).collect()
    }

    /// Which files a scan with `filters` must read.
    fn select(&self, state: &dyn Session, files: &Files, filters: &[Expr]) -> Result<Vec<usize>> {
        let n = files.meta.len();
        let mut keep = vec![true; n];
        let names = self.partition_names();
        let (exact, other): (Vec<&Expr>, Vec<&Expr>) =
            filters.iter().partition(|f| expr_applicable_for_cols(&names, f));
        if !exact.is_empty() {
            // a file's partition values are its rows' values: the filter holds for all of its rows or none
            let schema = DFSchema::try_from(files.partitions.schema())?;
            for f in exact {
                let e = state.create_physical_expr((*f).clone(), &schema)?;
                let v = e.evaluate(&files.partitions)?.into_array(n)?;
                let v =
                    v.as_boolean_opt().ok_or_else(|| DataFusionError::Internal(format!("{f} is not a condition")))?;
                for (i, k) in keep.iter_mut().enumerate() {
                    *k &= v.is_valid(i) && v.value(i);
                }
            }
        }
        if let Some(rest) = conjunction(other.into_iter().cloned()) {
            let schema = DFSchema::try_from(self.schema.clone())?;
            let e = state.create_physical_expr(rest, &schema)?;
            // a filter the statistics cannot decide keeps every file: the rows are filtered above the scan
            if let Ok(p) = PruningPredicate::try_new(e, self.schema.clone())
                && !p.always_true()
            {
                let stats = FileStats { files, table: self };
                for (k, may) in keep.iter_mut().zip(p.prune(&stats)?) {
                    *k &= may;
                }
            }
        }
        Ok((0..n).filter(|i| keep[*i]).collect())
    }
}

#[async_trait::async_trait]
impl TableProvider for LakeTable {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        let names = self.partition_names();
        Ok(filters
            .iter()
            .map(|f| {
                if expr_applicable_for_cols(&names, f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Inexact
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let files = self.files()?;
        let chosen = self.select(state, &files, filters)?;
        let projection: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        if chosen.is_empty() {
            return Ok(Arc::new(EmptyExec::new(Arc::new(self.schema.project(&projection)?))));
        }
        let mut rows = Precision::Exact(0usize);
        let mut bytes = 0u64;
        let rows_of = files.rows.as_primitive::<deltalake::arrow::datatypes::UInt64Type>();
        let mut chosen_files = Vec::with_capacity(chosen.len());
        for &i in &chosen {
            let values = files
                .partitions
                .columns()
                .iter()
                .map(|c| ScalarValue::try_from_array(c, i))
                .collect::<Result<Vec<_>>>()?;
            rows = if rows_of.is_valid(i) {
                rows.add(&Precision::Exact(rows_of.value(i) as usize))
            } else {
                Precision::Absent
            };
            bytes += files.meta[i].size;
            let mut f = PartitionedFile::new_from_meta(files.meta[i].clone());
            f.partition_values = values;
            chosen_files.push(f);
        }
        let scan_schema = TableSchema::new(self.file_schema.clone(), self.partition_fields.clone());
        let mut statistics = Statistics::new_unknown(scan_schema.table_schema());
        statistics.num_rows = rows;
        statistics.total_byte_size = Precision::Inexact(usize::try_from(bytes).unwrap_or(usize::MAX));
        let groups =
            FileGroup::new(chosen_files).split_files(state.config_options().execution.target_partitions.max(1));
        let source = Arc::new(ParquetSource::new(scan_schema));
        let config = FileScanConfigBuilder::new(files.store.clone(), source)
            .with_file_groups(groups)
            .with_statistics(statistics)
            .with_projection_indices(Some(projection.iter().map(|i| self.scan_index[*i]).collect()))?
            .with_limit(limit)
            .build();
        ParquetFormat::default()
            .with_options(state.table_options().parquet.clone())
            .create_physical_plan(state, config)
            .await
    }
}

/// The files' statistics as DataFusion's pruning reads them: a partition column's minimum and maximum are
/// its value.
struct FileStats<'a> {
    files: &'a Files,
    table: &'a LakeTable,
}

impl FileStats<'_> {
    fn partition(&self, c: &Column) -> Option<ArrayRef> {
        self.table
            .partition_fields
            .iter()
            .position(|f| f.name() == &c.name)
            .map(|i| self.files.partitions.column(i).clone())
    }
}

impl PruningStatistics for FileStats<'_> {
    fn min_values(&self, c: &Column) -> Option<ArrayRef> {
        self.partition(c).or_else(|| self.files.min.get(&c.name).cloned())
    }

    fn max_values(&self, c: &Column) -> Option<ArrayRef> {
        self.partition(c).or_else(|| self.files.max.get(&c.name).cloned())
    }

    fn num_containers(&self) -> usize {
        self.files.meta.len()
    }

    fn null_counts(&self, c: &Column) -> Option<ArrayRef> {
        match self.partition(c) {
            // the lake's partition values are never null: a null one would make the count unknown
            Some(p) if p.null_count() == 0 => Some(Arc::new(UInt64Array::from(vec![0; p.len()]))),
            Some(_) => None,
            None => self.files.nulls.get(&c.name).cloned(),
        }
    }

    fn row_counts(&self, _: &Column) -> Option<ArrayRef> {
        Some(self.files.rows.clone())
    }

    fn contained(&self, _: &Column, _: &std::collections::HashSet<ScalarValue>) -> Option<BooleanArray> {
        None
    }
}
