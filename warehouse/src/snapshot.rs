//! Reading the lake: every table at the versions of one landed batch, registered in a DataFusion session
//! through a [`Scope`]. The scope is applied here, once, under every query: a session made for an org sees
//! only that org's rows (and, where a table has a store, only the permitted stores'), whatever SQL runs on it.

use std::path::PathBuf;
use std::sync::Arc;

use deltalake::DeltaTable;
use deltalake::arrow::array::AsArray;
use deltalake::arrow::compute::cast;
use deltalake::arrow::datatypes::{DataType, Int64Type};
use deltalake::datafusion::common::{Column, JoinType};
use deltalake::datafusion::prelude::{SessionConfig, SessionContext, col, lit};
use deltalake::logstore::object_store::{self, ObjectStore, ObjectStoreExt as _};

use crate::error::{Error, Result, delta};
use crate::scan::LakeTable;
use crate::state::State;
use crate::table::{StoreScope, Table};

/// Whose data a session may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One org; `stores: None` = all of its stores.
    Org {
        /// The tenant.
        org_id: i64,
        /// The stores permitted, or all.
        stores: Option<Vec<i64>>,
    },
    /// Every org: only the operator's CLI on the server.
    Operator,
}

/// Every lake table at the versions of one landed batch.
pub struct Snapshot {
    state: State,
    /// Each table at its version, as DataFusion reads it: it lists its files once, for every session on the
    /// snapshot.
    tables: Vec<Arc<LakeTable>>,
    mirror: Option<Mirror>,
}

/// Where a remote lake's Parquet files are copied for readers that need local files (DuckDB without its
/// network extensions). A data file never changes once written, so a copy made once stays right.
#[derive(Debug, Clone)]
pub(crate) struct Mirror {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) dir: PathBuf,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("state", &self.state).finish_non_exhaustive()
    }
}

impl Snapshot {
    pub(crate) fn new(state: State, tables: Vec<(&'static Table, DeltaTable)>, mirror: Option<Mirror>) -> Snapshot {
        let tables = tables.into_iter().map(|(t, d)| Arc::new(LakeTable::new(t, d))).collect();
        Snapshot { state, tables, mirror }
    }

    /// The local paths of the Parquet files `table` reads at this snapshot's version: the files themselves in
    /// a local lake, copies (made when missing) for a remote one.
    pub(crate) async fn local_files(&self, t: &Table, table: &DeltaTable) -> Result<Vec<String>> {
        let uris: Vec<String> = table.get_file_uris().map_err(delta(t.name))?.collect();
        let Some(m) = &self.mirror else {
            return Ok(uris.iter().map(|u| u.strip_prefix("file://").unwrap_or(u).to_string()).collect());
        };
        let mut out = Vec::with_capacity(uris.len());
        for u in uris {
            let url = url::Url::parse(&u).map_err(|e| Error::Duck(format!("{u}: {e}")))?;
            let key = url.path().trim_start_matches('/');
            let local = m.dir.join(url.host_str().unwrap_or_default()).join(key);
            if !local.exists() {
                let at = object_store::path::Path::from_url_path(url.path()).map_err(|e| Error::Duck(e.to_string()))?;
                let bytes = m.store.get(&at).await.map_err(|e| Error::Duck(format!("{u}: {e}")))?.bytes().await;
                let bytes = bytes.map_err(|e| Error::Duck(format!("{u}: {e}")))?;
                let parent = local.parent().unwrap_or(&m.dir);
                std::fs::create_dir_all(parent).map_err(|e| Error::Duck(format!("{}: {e}", parent.display())))?;
                let tmp = local.with_extension("part");
                std::fs::write(&tmp, &bytes)
                    .and_then(|()| std::fs::rename(&tmp, &local))
                    .map_err(|e| Error::Duck(format!("{}: {e}", local.display())))?;
            }
            out.push(local.display().to_string());
        }
        Ok(out)
    }

    /// The batch this snapshot shows: its watermark, versions and landing time ("data as of").
    pub fn state(&self) -> &State {
        &self.state
    }

    /// A DataFusion session with every table registered under its name, seen through `scope`.
    pub async fn session(&self, scope: &Scope) -> Result<SessionContext> {
        // A filter's selectivity is unknown to the planner (the tables carry row counts, not value
        // distributions); its default guess of 20 % makes a filtered million-row side look smaller than a
        // dimension of a few hundred thousand rows, and the hash join then builds its table on the million rows
        // (a 1 M-line report detail took 6.6 s instead of 1.0 s). Assuming filters keep every row makes the
        // build side the smaller table. DataFusion's own settings may be tuned by the operator through its
        // `DATAFUSION_*` environment variables (e.g. `DATAFUSION_EXECUTION_TARGET_PARTITIONS`).
        let mut config = SessionConfig::from_env().map_err(|e| Error::Settings {
            vars: std::env::vars()
                .filter(|(k, _)| k.starts_with("DATAFUSION_"))
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            why: e.to_string(),
        })?;
        config.options_mut().optimizer.default_filter_selectivity = 100;
        let ctx = SessionContext::new_with_config(config);
        let mut frames = Vec::with_capacity(self.tables.len());
        for table in &self.tables {
            let t = table.table();
            table.delta().update_datafusion_session(&ctx.state()).map_err(delta(t.name))?;
            frames.push((t, ctx.read_table(table.clone())?));
        }
        let Scope::Org { org_id, stores } = scope else {
            for (t, df) in frames {
                ctx.register_table(t.name, df.into_view())?;
            }
            return Ok(ctx);
        };
        let org = col("org_id").eq(lit(*org_id));
        let permitted =
            |c: &str, negated: bool| col(c).in_list(stores.iter().flatten().map(|s| lit(*s)).collect(), negated);
        // the pieces that have left a permitted store: only a transfer moves a piece, out of the store it was at
        let moved = match frames.iter().find(|(t, _)| t.name == "transfer_out") {
            Some((_, df)) if stores.is_some() => Some(
                df.clone().filter(org.clone())?.filter(permitted("store_id", false))?.select_columns(&["item_id"])?,
            ),
            _ => None,
        };
        for (t, mut df) in frames {
            if t.is_tenant_data() {
                df = df.filter(org.clone())?;
                df = match (t.store_scope(), &moved) {
                    _ if stores.is_none() => df,
                    (StoreScope::Open, _) => df,
                    (StoreScope::Whole, _) => df.filter(lit(false))?,
                    (StoreScope::Row(c), _) => df.filter(permitted(c, false))?,
                    (StoreScope::Piece(piece), Some(moved)) => {
                        let here = df.clone().filter(permitted("store_id", false))?;
                        let was = df.filter(permitted("store_id", true))?.alias("piece")?.join_on(
                            moved.clone().alias("moved")?,
                            JoinType::LeftSemi,
                            [col(Column::new(Some("piece"), piece)).eq(col(Column::new(Some("moved"), "item_id")))],
                        )?;
                        here.union(was)?
                    }
                    (StoreScope::Piece(_), None) => df.filter(permitted("store_id", false))?,
                };
            }
            ctx.register_table(t.name, df.into_view())?;
        }
        Ok(ctx)
    }

    /// Every org in the lake, as (id, name) by id: the operator's CLI picks from them the org a report runs for.
    pub async fn orgs(&self) -> Result<Vec<(i64, String)>> {
        let ctx = self.session(&Scope::Operator).await?;
        let batches = ctx.sql("select id, name from org order by id").await?.collect().await?;
        let mut orgs = Vec::new();
        for b in &batches {
            let ids = b.column(0).as_primitive::<Int64Type>();
            let names = cast(b.column(1), &DataType::Utf8)?;
            let names = names.as_string::<i32>();
            for i in 0..b.num_rows() {
                orgs.push((ids.value(i), names.value(i).to_string()));
            }
        }
        Ok(orgs)
    }

    /// The tables, for readers that bring their own engine (DuckDB reads the same files).
    pub fn tables(&self) -> impl Iterator<Item = (&'static Table, &DeltaTable)> {
        self.tables.iter().map(|t| (t.table(), t.delta()))
    }
}

/// Keeps `Arc` in use for callers that share a snapshot between tasks.
pub type SharedSnapshot = Arc<Snapshot>;
