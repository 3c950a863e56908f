//! The lake: one Delta Lake table per fact and dimension under `<data>/lake/`, each with its Arrow schema
//! (`tables/<name>.rs`, listed in [`tables::all`]), landed batch by batch ([`Lake`]) and read through a
//! DataFusion session scoped to one org ([`Snapshot::session`]).
//!
//! DataFusion and Arrow are re-exported from delta-rs, so the workspace builds one version of each.

pub use deltalake::{arrow, datafusion};
pub use duckdb;

pub mod duck;
mod error;
mod lake;
mod s3;
pub mod sales;
mod scan;
mod snapshot;
mod state;
mod table;
pub mod tables;

pub use error::{Error, Result};
pub use lake::{APP_ID, Compaction, Lake, Landing, WriterLock};
pub use snapshot::{Scope, SharedSnapshot, Snapshot};
pub use state::State;
pub use table::{Column, Kind, MONEY, PERCENT, Role, StoreScope, Table, opt, req, zero_terms};

use std::path::{Path, PathBuf};

/// Where the lake lives in a data directory.
pub fn lake_dir(data: &Path) -> PathBuf {
    data.join("lake")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_but_the_calendar_starts_with_its_tenant_and_key_and_names_are_unique() {
        let mut names = std::collections::BTreeSet::new();
        for t in tables::all() {
            assert!(names.insert(t.name), "{} twice", t.name);
            if t.name == "date" {
                assert_eq!(t.columns[0].name, "id");
                assert!(!t.is_tenant_data() && t.partitions().is_empty());
                continue;
            }
            assert_eq!(t.columns[0].name, "org_id", "{}", t.name);
            assert_eq!(t.columns[1].name, "id", "{}", t.name);
            assert!(t.is_tenant_data() && t.partitions()[0] == "org_id", "{}", t.name);
            // delta-rs keeps partition columns after the others when it writes a merge: a derived column in the
            // middle would be filled from the wrong column
            let derived = t.columns.iter().filter(|c| c.kind.is_derived()).count();
            for (i, c) in t.columns.iter().enumerate() {
                if c.kind.is_derived() {
                    assert!(i >= t.columns.len() - derived, "{}: derived columns must come last", t.name);
                }
                match c.kind {
                    Kind::MonthOf(of) => {
                        assert!(t.columns.iter().any(|d| d.name == of && d.kind == Kind::Date), "{}", t.name)
                    }
                    Kind::ZeroOf(sum) => {
                        let terms: Vec<_> = table::zero_terms(sum).collect();
                        assert!(!terms.is_empty(), "{}.{}", t.name, c.name);
                        for (_, of) in terms {
                            let whole = |k: Kind| matches!(k, Kind::Int | Kind::Money);
                            assert!(t.columns.iter().any(|d| d.name == of && whole(d.kind)), "{}.{of}", t.name);
                        }
                    }
                    _ => {}
                }
            }
            assert_eq!(tables::by_name(t.name).map(|x| x.name), Some(t.name));
        }
        assert!(tables::by_name("../etc").is_none());
    }
}
