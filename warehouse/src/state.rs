//! The lake's state: for the last batch that landed in every table, the watermark it reached and each
//! table's version after it. Writers move it forward only after a batch has landed everywhere ([`crate::Lake`]
//! keeps it in `_loupe_state.json`); readers open every table at the versions it names ([`crate::Snapshot`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the lake holds: the watermark of the last batch that landed in every table, and each table's version
/// after it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The last `change_log` sequence number the lake reflects.
    pub watermark: i64,
    /// Each table's Delta version holding that batch.
    pub versions: BTreeMap<String, u64>,
    /// When that batch landed (RFC 3339).
    pub landed_at: String,
}
