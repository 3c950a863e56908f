//! The tables the lake derives from its own rows rather than from the books (`sales_month`), and which of
//! their parts a batch of changes touches. The rows themselves are computed over the lake
//! ([`warehouse::Lake::derive_sales_month`]), with the very SQL the reports use on the lines.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike as _, NaiveDate};
use oltp::ReadTx;
use oltp::db::Q;

use crate::error::Result;
use crate::extract;

/// The dates of the invoice lines a change touches, by the entity changed: its lines, its invoice, an
/// additional cost or a partnership of its piece, its work order or the order's bench costs, its style (`{ids}`:
/// the changed ids).
const SALES_MONTH_SOURCES: &[(&str, &str)] = &[
    ("invoice_lines", "l.id in ({ids})"),
    ("invoices", "l.invoice_id in ({ids})"),
    ("item_costs", "l.item_id in (select item_id from item_costs where id in ({ids}))"),
    ("partnerships", "l.item_id in (select item_id from partnerships where id in ({ids}))"),
    ("work_orders", "l.work_order_id in ({ids})"),
    ("work_order_costs", "l.work_order_id in (select work_order_id from work_order_costs where id in ({ids}))"),
    ("styles", "l.style_id in ({ids}) or l.item_id in (select id from items where style_id in ({ids}))"),
];

/// The months (their first days) of `sales_month` that the changes in `touched` may have changed.
pub(crate) async fn sales_months(
    rt: &mut ReadTx,
    touched: &HashMap<String, Vec<(i64, i64)>>,
) -> Result<Vec<NaiveDate>> {
    let mut months = BTreeSet::new();
    for (entity, lines) in SALES_MONTH_SOURCES {
        let Some(ids) = touched.get(*entity) else { continue };
        let ids: Vec<i64> = ids.iter().map(|(_, id)| *id).collect::<BTreeSet<_>>().into_iter().collect();
        for chunk in ids.chunks(extract::IDS_PER_QUERY) {
            let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "select distinct i.invoice_date as d from invoice_lines l join invoices i on i.id = l.invoice_id
                 where {}",
                lines.replace("{ids}", &list)
            );
            for r in rt.fetch_all(Q::built(sql)).await? {
                let d = r.date("d")?;
                months.insert(d.with_day(1).unwrap_or(d));
            }
        }
    }
    Ok(months.into_iter().collect())
}
