//! The lake's one error type.

use deltalake::DeltaTableError;
use deltalake::arrow::error::ArrowError;
use deltalake::datafusion::error::DataFusionError;

/// What went wrong in the lake.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Delta Lake operation failed.
    #[error("delta table {table}: {source}")]
    Delta {
        /// The table.
        table: String,
        /// Why.
        #[source]
        source: Box<DeltaTableError>,
    },
    /// A query failed.
    #[error("query failed: {0}")]
    Query(#[from] Box<DataFusionError>),
    /// Arrow data did not fit a table's schema.
    #[error("arrow: {0}")]
    Arrow(#[from] ArrowError),
    /// Reading or writing the lake's state failed.
    #[error("lake state {path}: {why}")]
    State {
        /// The state file.
        path: String,
        /// Why.
        why: String,
    },
    /// DuckDB refused a statement or a file.
    #[error("duckdb: {0}")]
    Duck(String),
    /// Another process is writing the lake.
    #[error(
        "another loupe process is syncing, rebuilding or compacting the lake at {lake}; wait for it to finish (a `loupe etl sync --follow` runs until stopped)"
    )]
    Busy {
        /// The lake.
        lake: String,
    },
    /// The lake has never landed a batch.
    #[error("the lake at {lake} is empty: run `loupe etl sync` to fill it")]
    Empty {
        /// The lake.
        lake: String,
    },
    /// A table this version of Loupe has that the lake's last batch did not include.
    #[error("the lake at {lake} has no {table} table: it was written by an older Loupe; run `loupe etl rebuild`")]
    NotLanded {
        /// The lake.
        lake: String,
        /// The table.
        table: String,
    },
    /// A table whose columns are not this version's.
    #[error("the {table} table of the lake at {lake} was written by an older Loupe: run `loupe etl rebuild`")]
    Outdated {
        /// The lake.
        lake: String,
        /// The table.
        table: String,
    },
    /// A `DATAFUSION_*` environment variable does not parse.
    #[error("DataFusion settings from the environment ({vars}): {why}")]
    Settings {
        /// The `DATAFUSION_*` variables set, with their values.
        vars: String,
        /// DataFusion's message.
        why: String,
    },
    /// A name that is not a lake table.
    #[error("{0} is not a lake table")]
    UnknownTable(String),
}

/// `Result` with the lake's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<DataFusionError> for Error {
    fn from(e: DataFusionError) -> Error {
        Error::Query(Box::new(e))
    }
}

pub(crate) fn delta(table: &str) -> impl FnOnce(DeltaTableError) -> Error + '_ {
    move |source| Error::Delta { table: table.to_string(), source: Box::new(source) }
}
