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
}

/// `Result` with the ETL's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
