//! The lake: one Delta Lake table per fact and dimension under `<data>/lake/`.
//!
//! This crate will own the Arrow schemas, Delta commits and the DataFusion session (issue 3). For now it
//! owns the lake's layout, so every other crate names tables the same way.

use std::path::{Path, PathBuf};

/// Fact tables, at the grain DESIGN §3 gives them.
pub const FACTS: &[&str] = &[
    "sales_line",
    "invoice",
    "payment",
    "payment_application",
    "memo_line",
    "stock_movement",
    "cost_layer",
    "item_cost",
    "purchase_line",
    "vendor_invoice",
    "work_order",
    "write_off",
    "store_credit_entry",
];

/// Dimension tables.
pub const DIMENSIONS: &[&str] = &["item", "style", "contact", "store", "user", "date"];

/// Where the lake lives on local disk.
#[derive(Debug, Clone)]
pub struct LakeLayout {
    root: PathBuf,
}

impl LakeLayout {
    /// The lake under a data directory (`<data>/lake`).
    pub fn in_data_dir(data: &Path) -> LakeLayout {
        LakeLayout { root: data.join("lake") }
    }

    /// The lake's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of one table, or `None` if the name is not a lake table.
    pub fn table(&self, name: &str) -> Option<PathBuf> {
        (FACTS.contains(&name) || DIMENSIONS.contains(&name)).then(|| self.root.join(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_live_under_the_lake_root_and_unknown_names_are_refused() {
        let l = LakeLayout::in_data_dir(Path::new("/srv/loupe"));
        assert_eq!(l.table("sales_line").unwrap(), Path::new("/srv/loupe/lake/sales_line"));
        assert_eq!(l.table("date").unwrap(), Path::new("/srv/loupe/lake/date"));
        assert!(l.table("../etc").is_none());
    }
}
