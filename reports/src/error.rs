//! The report engine's one error type.

use warehouse::arrow::error::ArrowError;
use warehouse::datafusion::error::DataFusionError;

/// What went wrong running or writing a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter's value broke its rule; nothing ran.
    #[error("param {name}: {value:?} — {why}")]
    Param {
        /// The parameter.
        name: String,
        /// The value given.
        value: String,
        /// The rule it broke.
        why: String,
    },
    /// A parameter names a record the caller cannot see — none such, another org's, or a store not theirs
    /// (the same answer for each, so a guess learns nothing); nothing ran.
    #[error("param {name}: {value:?} — {why}")]
    Unseen {
        /// The parameter.
        name: String,
        /// The value given.
        value: String,
        /// What was not found.
        why: String,
    },
    /// No report has this id.
    #[error("no report {0:?}{1}: `loupe report list` shows the catalog")]
    UnknownReport(String, Hint),
    /// The report has no such view.
    #[error("report {report} has no view {view:?}{hint} (it has: {known})")]
    UnknownView {
        /// The report.
        report: String,
        /// The view asked for.
        view: String,
        /// The views it has.
        known: String,
        /// The nearest of them, if one is near.
        hint: Hint,
    },
    /// A drill named a row or column the result does not have, or a cell that does not drill.
    #[error("drill {at:?}: {why}")]
    Drill {
        /// What was asked (`ROW:COLUMN`).
        at: String,
        /// Why it cannot be followed.
        why: String,
    },
    /// The lake could not be read.
    #[error(transparent)]
    Lake(#[from] warehouse::Error),
    /// A query failed (a defect in a report's SQL, or the lake's files).
    #[error("query failed: {0}")]
    Query(#[from] Box<DataFusionError>),
    /// Arrow could not shape a result.
    #[error("arrow: {0}")]
    Arrow(#[from] ArrowError),
    /// A report's query did not return a column its view declares (a defect in the report).
    #[error("report {report} view {view}: the query returned no column {column}")]
    Shape {
        /// The report.
        report: &'static str,
        /// The view.
        view: &'static str,
        /// The column.
        column: &'static str,
    },
    /// A sum left the range the report keeps it in exactly (the lake holds absurd amounts).
    #[error("report {report}: {what} is too large to add up exactly")]
    Overflow {
        /// The report.
        report: &'static str,
        /// What overflowed.
        what: String,
    },
    /// Writing an export failed.
    #[error("{format} export: {why}")]
    Export {
        /// csv, xlsx, pdf, json.
        format: &'static str,
        /// Why.
        why: String,
    },
}

impl Error {
    /// A bad parameter value.
    pub fn param(name: &str, value: impl std::fmt::Display, why: impl Into<String>) -> Error {
        Error::Param { name: name.to_string(), value: value.to_string(), why: why.into() }
    }

    /// A parameter naming a record the caller cannot see.
    pub fn unseen(name: &str, value: impl std::fmt::Display, why: impl Into<String>) -> Error {
        Error::Unseen { name: name.to_string(), value: value.to_string(), why: why.into() }
    }
}

/// ", did you mean X?" when one of the known names is near the one given (a typo), else nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hint(Option<String>);

impl Hint {
    /// The nearest of `known` to `given`, if it is within a few edits of it.
    pub fn nearest<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> Hint {
        let best = known
            .into_iter()
            .map(|k| (strsim::damerau_levenshtein(&given.to_lowercase(), &k.to_lowercase()), k))
            .min_by_key(|(d, _)| *d);
        Hint(best.filter(|(d, k)| *d <= 2.max(k.len() / 4)).map(|(_, k)| k.to_string()))
    }
}

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(k) => write!(f, ", did you mean {k}?"),
            None => Ok(()),
        }
    }
}

impl From<DataFusionError> for Error {
    fn from(e: DataFusionError) -> Error {
        Error::Query(Box::new(e))
    }
}

/// Results of the report engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;
