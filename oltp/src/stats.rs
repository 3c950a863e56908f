//! What the books hold, at a glance (`loupe status`).

use crate::db::{Db, Q};
use crate::error::Result;

/// Tables counted by [`counts`], with the label shown to people.
const COUNTED: &[(&str, &str)] = &[
    ("orgs", "orgs"),
    ("stores", "stores"),
    ("users", "users"),
    ("contacts", "contacts"),
    ("styles", "styles"),
    ("items", "stock records"),
    ("stock_movements", "stock movements"),
    ("invoices", "invoices"),
    ("invoice_lines", "invoice lines"),
    ("payments", "payments"),
    ("memos", "memos"),
    ("work_orders", "work orders"),
    ("change_log", "changes logged"),
];

/// Row counts of the main tables, in a fixed order.
pub async fn counts(db: &Db) -> Result<Vec<(&'static str, i64)>> {
    let mut out = Vec::with_capacity(COUNTED.len());
    for (table, label) in COUNTED {
        let n = db.fetch_one(Q::built(format!("select count(*) as n from {table}"))).await?.i64("n")?;
        out.push((*label, n));
    }
    Ok(out)
}
