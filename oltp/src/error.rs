//! The one error type of the transactional core. Every rule a command breaks names the field, the value and
//! the rule; messages are lowercase without a trailing period.

use std::fmt::Display;

/// What went wrong with an operation. Whatever the variant, the operation changed nothing.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// A field's value breaks a rule.
    #[error("{field}: {value} — {rule}")]
    Invalid {
        /// The field, as named in the command's JSON form (`lines[2].qty`).
        field: String,
        /// The offending value as given.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A referenced record does not exist in this org.
    #[error("{entity} {id} not found")]
    NotFound {
        /// The kind of record (`invoice`, `customer` …).
        entity: &'static str,
        /// The id or number that was looked up.
        id: String,
    },
    /// The operation contradicts the state of the books (a piece already sold, a payment already voided).
    #[error("{0}")]
    Conflict(String),
    /// The operation touches a closed period.
    #[error("{field}: {date} is on or before the books-closed date {closed_through}")]
    ClosedPeriod {
        /// The date field that falls in the closed period.
        field: String,
        /// Its value.
        date: chrono::NaiveDate,
        /// The org's books-closed-through date.
        closed_through: chrono::NaiveDate,
    },
    /// No one is signed in, or the credentials are wrong (the same words whatever was wrong).
    #[error("{0}")]
    Unauthenticated(String),
    /// The acting user may not do this.
    #[error("not permitted: {0}")]
    Forbidden(String),
    /// The database failed; the text is for the operator's log, not for end users.
    #[error("database error: {0}")]
    Database(String),
    /// The database's storage or connection failed (disk full, I/O error, read-only file, connection lost):
    /// nothing after it can be written either, so a run of commands stops at the first.
    #[error("the database cannot write: {0}")]
    Storage(String),
}

/// `Result` with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A field whose value breaks a rule.
    pub fn invalid(field: impl Into<String>, value: impl Display, rule: impl Into<String>) -> Error {
        Error::Invalid { field: field.into(), value: value.to_string(), rule: rule.into() }
    }

    /// A record that does not exist (in this org).
    pub fn not_found(entity: &'static str, id: impl Display) -> Error {
        Error::NotFound { entity, id: id.to_string() }
    }

    /// The same error with its field named inside `outer` (`payments[0]` + `amount` → `payments[0].amount`).
    pub fn within(self, outer: &str) -> Error {
        match self {
            Error::Invalid { field, value, rule } => Error::Invalid { field: format!("{outer}.{field}"), value, rule },
            Error::ClosedPeriod { field, date, closed_through } => {
                Error::ClosedPeriod { field: format!("{outer}.{field}"), date, closed_through }
            }
            other => other,
        }
    }

    /// A short machine-readable kind, for the API's error shape and the journal's report.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid",
            Error::NotFound { .. } => "not_found",
            Error::Conflict(_) => "conflict",
            Error::ClosedPeriod { .. } => "closed_period",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Forbidden(_) => "forbidden",
            Error::Database(_) => "database",
            Error::Storage(_) => "storage",
        }
    }
}
