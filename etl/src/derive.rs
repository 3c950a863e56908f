//! The tables the lake derives from its own rows rather than from the books (`sales_month`), and which of
//! their parts a batch of changes touches. The rows themselves are computed over the lake
//! ([`warehouse::Lake::derive_sales_month`]), with the very SQL the reports use on the lines.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike as _, NaiveDate};
use oltp::ReadTx;
use oltp::db::Q;

use crate::error::Result;
use crate::extract;

/// The dates of the invoices of the lines `cond` (over `invoice_lines l`) keeps.
macro_rules! lines_where {
    ($cond:literal) => {
        concat!("select i.invoice_date as d from invoice_lines l join invoices i on i.id = l.invoice_id where ", $cond)
    };
}

/// By the entity changed, a query of the invoice dates (`d`) a change touches (`{ids}`: the changed ids): its
/// lines, its invoice (even one whose lines all went), a kept version of it, an additional cost or a
/// partnership of its piece, its work order or the order's bench costs, its style (or a kept version line's).
const SALES_MONTH_SOURCES: &[(&str, &str)] = &[
    (
        "invoice_lines",
        "select i.invoice_date as d from invoice_lines l join invoices i on i.id = l.invoice_id where l.id in ({ids})",
    ),
    ("invoices", "select invoice_date as d from invoices where id in ({ids})"),
    ("invoice_versions", "select invoice_date as d from invoice_versions where id in ({ids})"),
    ("item_costs", lines_where!("l.item_id in (select item_id from item_costs where id in ({ids}))")),
    ("partnerships", lines_where!("l.item_id in (select item_id from partnerships where id in ({ids}))")),
    ("work_orders", lines_where!("l.work_order_id in ({ids})")),
    (
        "work_order_costs",
        lines_where!("l.work_order_id in (select work_order_id from work_order_costs where id in ({ids}))"),
    ),
    // a style's family and category group the lines, a kept version's too
    (
        "styles",
        concat!(
            lines_where!("l.style_id in ({ids}) or l.item_id in (select id from items where style_id in ({ids}))"),
            " union all select v.invoice_date as d from invoice_line_versions l
              join invoice_versions v on v.id = l.version_id
              where l.style_id in ({ids}) or l.item_id in (select id from items where style_id in ({ids}))"
        ),
    ),
];

/// The months (their first days) of `sales_month` that the changes in `touched` may have changed.
pub(crate) async fn sales_months(
    rt: &mut ReadTx,
    touched: &HashMap<String, Vec<(i64, i64)>>,
) -> Result<Vec<NaiveDate>> {
    let mut months = BTreeSet::new();
    for (entity, query) in SALES_MONTH_SOURCES {
        let Some(ids) = touched.get(*entity) else { continue };
        let ids: Vec<i64> = ids.iter().map(|(_, id)| *id).collect::<BTreeSet<_>>().into_iter().collect();
        for chunk in ids.chunks(extract::IDS_PER_QUERY) {
            let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            let sql = format!("select distinct d from ({}) x", query.replace("{ids}", &list));
            for r in rt.fetch_all(Q::built(sql)).await? {
                let d = r.date("d")?;
                months.insert(d.with_day(1).unwrap_or(d));
            }
        }
    }
    Ok(months.into_iter().collect())
}
