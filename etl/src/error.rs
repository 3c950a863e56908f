//! The ETL's one error type.

/// What went wrong while landing the books in the lake.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the books failed.
    #[error(transparent)]
    Books(#[from] oltp::Error),
    /// Writing or reading the lake failed.
    #[error(transparent)]
    Lake(#[from] warehouse::Error),
    /// Arrow data did not fit a table.
    #[error("arrow: {0}")]
    Arrow(#[from] warehouse::arrow::error::ArrowError),
    /// The lake does not hold every change of the books yet.
    #[error("the lake is at change {watermark} but the books are at {last}: run `loupe etl sync` first")]
    Behind {
        /// The lake's watermark.
        watermark: i64,
        /// The books' last change.
        last: i64,
    },
    /// A lake query returned something of an unexpected shape.
    #[error("{0}")]
    Shape(String),
    /// A task writing the lake panicked or was cancelled.
    #[error("lake writer task: {0}")]
    Task(String),
    /// A query over the lake failed.
    #[error("lake query: {0}")]
    Query(#[from] warehouse::datafusion::error::DataFusionError),
    /// A row of the books the lake cannot take: a figure outside the lake's decimal type, or a value of the wrong
    /// type (books written by an older Loupe, or by hand). Nothing of the batch lands, for any org: the lake
    /// stays at its last whole batch until the row is corrected in the books.
    #[error(
        "org {org}, {table} {id}: {why}; nothing of this batch landed: correct the row in the books and sync again"
    )]
    Unlandable {
        /// The row's org.
        org: i64,
        /// The lake table it was read for.
        table: &'static str,
        /// The row's id (the key of the books' row it comes from).
        id: i64,
        /// What is wrong with it.
        why: String,
    },
}

/// `Result` with the ETL's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
