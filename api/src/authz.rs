//! Who may do what: one matrix of permission groups against every operation, every report and the SQL
//! console, consulted by every way in (the server's routes; the CLI is the operator and may do anything). A caller
//! may do a thing when one of their groups is in its row; `owner` is in every row but `create_org`, which only
//! the operator runs. Per-store access is not here: it narrows what a caller sees and writes through the report
//! scope and the commands' store fields. docs/API.md shows this matrix as [`markdown`] writes it (tested).

use oltp::auth::Caller;

/// The permission groups, in the order the matrix shows them.
pub const GROUPS: [&str; 6] = ["owner", "manager", "accounting", "sales", "inventory", "bench"];

const OWNER: &[&str] = &["owner"];
const MANAGERS: &[&str] = &["owner", "manager"];
const BOOKS: &[&str] = &["owner", "manager", "accounting"];
const COUNTER: &[&str] = &["owner", "manager", "sales"];
const STOCK: &[&str] = &["owner", "manager", "inventory"];
const BENCH: &[&str] = &["owner", "manager", "bench"];
const EVERYONE: &[&str] = &GROUPS;

/// Each operation and the groups that may run it (none: the operator only).
pub const OPS: &[(&str, &[&str])] = &[
    ("create_org", &[]),
    ("update_org", OWNER),
    ("close_period", &["owner", "accounting"]),
    ("create_store", OWNER),
    ("update_store", MANAGERS),
    ("create_user", MANAGERS),
    ("update_user", MANAGERS),
    ("create_contact", &["owner", "manager", "accounting", "sales", "inventory"]),
    ("update_contact", &["owner", "manager", "accounting", "sales", "inventory"]),
    ("merge_contacts", BOOKS),
    ("create_style", STOCK),
    ("update_style", STOCK),
    ("receive_item", STOCK),
    ("receive_stock", STOCK),
    ("add_item_cost", &["owner", "manager", "inventory", "bench"]),
    ("add_partnership", &["owner", "manager", "accounting", "inventory"]),
    ("transfer_stock", STOCK),
    ("count_stock", STOCK),
    ("scrap_stock", STOCK),
    ("return_to_vendor", STOCK),
    ("issue_memo", &["owner", "manager", "sales", "inventory"]),
    ("return_memo_line", &["owner", "manager", "sales", "inventory"]),
    ("reverse_memo_return", &["owner", "manager", "inventory"]),
    ("create_purchase_order", STOCK),
    ("receive_purchase_order", STOCK),
    ("create_vendor_invoice", &["owner", "manager", "accounting", "inventory"]),
    ("record_vendor_payment", &["owner", "accounting"]),
    ("void_vendor_invoice", BOOKS),
    ("void_vendor_payment", &["owner", "accounting"]),
    ("create_invoice", COUNTER),
    ("add_invoice_lines", COUNTER),
    ("remove_invoice_line", COUNTER),
    ("finalize_invoice", COUNTER),
    ("void_invoice", BOOKS),
    ("reopen_invoice", BOOKS),
    ("record_payment", &["owner", "manager", "accounting", "sales"]),
    ("apply_payment", BOOKS),
    ("void_payment", BOOKS),
    ("refund", &["owner", "manager", "accounting", "sales"]),
    ("write_off", BOOKS),
    ("void_write_off", BOOKS),
    ("issue_store_credit", BOOKS),
    ("void_store_credit", BOOKS),
    ("create_work_order", &["owner", "manager", "sales", "bench"]),
    ("set_work_order_status", &["owner", "manager", "sales", "bench"]),
    ("add_bench_cost", BENCH),
    ("complete_work_order", BENCH),
    ("close_production", &["owner", "manager", "accounting", "bench"]),
    ("restore_record", MANAGERS),
    // a user keeps their own; sharing with the org is checked by the command itself
    ("create_saved_report", EVERYONE),
    ("update_saved_report", EVERYONE),
    ("delete_saved_report", EVERYONE),
    // a subscription sends reports: whoever may see one (the engine checks each report at send time)
    ("create_subscription", SUBSCRIBERS),
    ("update_subscription", SUBSCRIBERS),
    ("pause_subscription", SUBSCRIBERS),
    ("resume_subscription", SUBSCRIBERS),
    ("delete_subscription", SUBSCRIBERS),
];

/// The groups that see reports, and so may have them sent.
const SUBSCRIBERS: &[&str] = &["owner", "manager", "accounting", "sales", "inventory"];

/// Each report and the groups that may see it (its views, drills and exports alike).
pub const REPORTS: &[(&str, &[&str])] = &[
    ("ar_aging", &["owner", "manager", "accounting", "sales"]),
    ("memo_aging", &["owner", "manager", "accounting", "sales", "inventory"]),
    ("memo_liability", &["owner", "manager", "accounting", "inventory"]),
    ("memo_conversion", &["owner", "manager", "accounting", "sales", "inventory"]),
    ("inventory_aging", &["owner", "manager", "accounting", "inventory"]),
    ("inventory_valuation", &["owner", "manager", "accounting", "inventory"]),
    ("gross_profit", BOOKS),
    ("pricing_realization", BOOKS),
    ("rfm", &["owner", "manager", "sales"]),
];

/// Each kind of record the API's reads look up in the books, and the groups that may (within their stores).
pub const READS: &[(&str, &[&str])] = &[
    ("items", EVERYONE),
    ("contacts", EVERYONE),
    ("invoices", &["owner", "manager", "accounting", "sales"]),
    ("memos", &["owner", "manager", "accounting", "sales", "inventory"]),
    ("work_orders", &["owner", "manager", "sales", "bench"]),
    ("subscriptions", SUBSCRIBERS),
];

/// The groups that may use the SQL console over the lake.
pub const SQL: &[&str] = &["owner", "accounting"];

/// Why a caller may not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Nothing of that name exists (so a caller cannot probe the matrix with made-up names).
    #[error("no such {kind}: {name}")]
    Unknown {
        /// `operation` or `report`.
        kind: &'static str,
        /// The name asked.
        name: String,
    },
    /// It exists, and none of the caller's groups may.
    #[error("not permitted: {what} needs one of the groups {groups}")]
    Forbidden {
        /// What was asked.
        what: String,
        /// The groups that may.
        groups: String,
    },
}

fn check(caller: &Caller, kind: &'static str, name: &str, rows: &[(&str, &[&str])]) -> Result<(), Denied> {
    let Some((_, groups)) = rows.iter().find(|(n, _)| *n == name) else {
        return Err(Denied::Unknown { kind, name: name.to_string() });
    };
    if caller.in_any(groups) {
        return Ok(());
    }
    let groups = if groups.is_empty() { "(the operator only)".to_string() } else { groups.join(", ") };
    Err(Denied::Forbidden { what: format!("{kind} {name}"), groups })
}

/// Whether `caller` may run the operation `op`.
pub fn may_run(caller: &Caller, op: &str) -> Result<(), Denied> {
    check(caller, "operation", op, OPS)
}

/// Whether `caller` may see the report `id` (any view, drill or export of it).
pub fn may_see(caller: &Caller, id: &str) -> Result<(), Denied> {
    check(caller, "report", id, REPORTS)
}

/// Whether `caller` may look up records of `kind` (`items`, `invoices` …).
pub fn may_read(caller: &Caller, kind: &str) -> Result<(), Denied> {
    check(caller, "record kind", kind, READS)
}

/// Whether `caller` may use the SQL console.
pub fn may_query(caller: &Caller) -> Result<(), Denied> {
    check(caller, "console", "sql", &[("sql", SQL)])
}

/// The matrix as a Markdown table: one row per operation, report and the console, a ✓ per group that may.
pub fn markdown() -> String {
    let mut out = format!("| | {} |\n|---|{}\n", GROUPS.join(" | "), "---|".repeat(GROUPS.len()));
    let rows = OPS
        .iter()
        .map(|(n, g)| (format!("`{n}`"), *g))
        .chain(REPORTS.iter().map(|(n, g)| (format!("report `{n}`"), *g)))
        .chain(READS.iter().map(|(n, g)| (format!("read {n}"), *g)))
        .chain(std::iter::once(("SQL console".to_string(), SQL)));
    for (name, groups) in rows {
        let cells: Vec<&str> = GROUPS.iter().map(|g| if groups.contains(g) { "✓" } else { "" }).collect();
        out.push_str(&format!("| {name} | {} |\n", cells.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(groups: &[&str]) -> Caller {
        Caller {
            org_id: 1,
            user_id: 7,
            username: "u".into(),
            display_name: "U".into(),
            groups: groups.iter().map(|g| (*g).to_string()).collect(),
            stores: None,
            time_zone: "UTC".into(),
        }
    }

    #[test]
    fn every_operation_and_report_has_exactly_one_row() {
        for op in oltp::Command::OPS {
            assert_eq!(OPS.iter().filter(|(n, _)| n == op).count(), 1, "operation {op}");
        }
        assert_eq!(OPS.len(), oltp::Command::OPS.len(), "a row for an operation that does not exist");
        for r in reports::catalog::all() {
            assert_eq!(REPORTS.iter().filter(|(n, _)| *n == r.id).count(), 1, "report {}", r.id);
        }
        assert_eq!(REPORTS.len(), reports::catalog::all().len());
        for (name, groups) in OPS.iter().chain(REPORTS) {
            assert!(groups.iter().all(|g| GROUPS.contains(g)), "{name}: {groups:?}");
            assert!(*name == "create_org" || groups.contains(&"owner"), "{name}: the owner may do everything");
        }
    }

    #[test]
    fn a_caller_may_what_one_of_their_groups_may() {
        let sales = caller(&["sales"]);
        assert_eq!(may_run(&sales, "finalize_invoice"), Ok(()));
        assert_eq!(
            may_run(&sales, "void_invoice").map_err(|e| e.to_string()),
            Err("not permitted: operation void_invoice needs one of the groups owner, manager, accounting".into())
        );
        assert_eq!(may_see(&sales, "ar_aging"), Ok(()));
        assert!(may_see(&sales, "gross_profit").is_err());
        assert!(may_query(&sales).is_err());
        // two groups: either is enough
        let both = caller(&["sales", "bench"]);
        assert_eq!(may_run(&both, "complete_work_order"), Ok(()));
        assert_eq!(may_run(&both, "create_invoice"), Ok(()));
        // nobody but the operator opens an org; a made-up name is unknown, not forbidden
        assert_eq!(
            may_run(&caller(&["owner"]), "create_org").map_err(|e| e.to_string()),
            Err("not permitted: operation create_org needs one of the groups (the operator only)".into())
        );
        assert_eq!(
            may_run(&caller(&["owner"]), "drop_tables").map_err(|e| e.to_string()),
            Err("no such operation: drop_tables".into())
        );
        // no groups at all: nothing, not even a saved report
        assert!(may_run(&caller(&[]), "create_saved_report").is_err());
        assert_eq!(may_query(&caller(&["accounting"])), Ok(()));
    }

    #[test]
    fn docs_api_shows_this_matrix() {
        let doc = include_str!("../../docs/API.md");
        assert!(doc.contains(&markdown()), "docs/API.md's matrix differs from the code's; paste:\n{}", markdown());
    }
}
