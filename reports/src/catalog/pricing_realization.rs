//! Pricing realization and margin impact: how much of list price the sales actually got, and what the
//! discounting cost in margin.

use super::sales;
use crate::define::{Bind, Drill, Report, View};
use crate::model::{Column, Total, Type};
use crate::param::{Default, Kind, Param, Values};

pub(crate) const REPORT: Report = Report {
    id: "pricing_realization",
    title: "Pricing realization",
    help: "For the sale lines with a list (retail) price dated in a period (default month to date), per \
salesperson or customer: list total L (quantity × list price), net total N (the line's GP revenue: quantity × \
price − adjustment − trade concession) and cost C (live by default, as in gross profit).\n\
\n\
Realization % = N ÷ L; hypothetical GP % = (L − C) ÷ L, the margin at list; actual GP % = (N − C) ÷ N; margin \
impact = (L − C) − (N − C), the dollars of margin given away. Returns are left out; invoices count when \
finalized and not voided as known on the as-known-on date (default today); a reopened invoice counts until its \
reopen date with the lines it was finalized with, and from its new finalization's date with the new ones.\n\
\n\
Drill: a row → each invoice's contribution.",
    views: &[
        View {
            name: "summary",
            title: "summary",
            params: SUMMARY_PARAMS,
            columns: summary_columns,
            drills: &[Drill {
                columns: &["group"],
                view: "invoices",
                bind: &[("salesperson", Bind::Row("salesperson_key")), ("customer", Bind::Row("customer_key"))],
            }],
            sql: summary_sql,
            footer: None,
            stages: sales::STALE,
        },
        View {
            name: "invoices",
            title: "by invoice",
            params: sales::LINE_PARAMS,
            columns: |_| INVOICE_COLUMNS.to_vec(),
            drills: &[],
            sql: invoices_sql,
            footer: None,
            stages: &[],
        },
    ],
};

const BY: Param = Param {
    name: "by",
    kind: Kind::Choice(&["salesperson", "customer"]),
    default: Default::Value("salesperson"),
    help: "one row per salesperson (default) or customer",
    label: "By",
};
const SUMMARY_PARAMS: &[Param] = &sales::summary_params(BY);

/// The measures every view shows.
fn measures() -> [Column; 8] {
    [
        Column::count("lines", "Lines"),
        Column::money("list", "List (L)"),
        Column::money("net", "Net (N)"),
        Column::money("cost", "Cost (C)"),
        Column::ratio("realization", "Realization %", &[(1, "net")], &[(1, "list")]),
        Column::ratio("list_gp_pct", "GP % at list", &[(1, "list"), (-1, "cost")], &[(1, "list")]),
        Column::ratio("gp_pct", "Actual GP %", &[(1, "net"), (-1, "cost")], &[(1, "net")]),
        Column::money("impact", "Margin impact"),
    ]
}

fn summary_columns(v: &Values) -> Vec<Column> {
    let label = if v.text("by") == Some("customer") { "Customer" } else { "Salesperson" };
    let mut cols = vec![
        Column::id("salesperson_key"),
        Column::id("customer_key"),
        Column::new("group", label, Type::Text, Total::Label),
    ];
    cols.extend(measures());
    cols
}

const INVOICE_COLUMNS_HEAD: [Column; 4] = [
    Column::new("invoice_no", "Invoice", Type::Text, Total::Label),
    Column::date("invoice_date", "Date"),
    Column::text("customer", "Customer"),
    Column::text("salesperson", "Salesperson"),
];

static INVOICE_COLUMNS: std::sync::LazyLock<Vec<Column>> =
    std::sync::LazyLock::new(|| INVOICE_COLUMNS_HEAD.into_iter().chain(measures()).collect());

const SUMS: &str = "count(*) as lines, sum(l.qty * l.list_price) as list, sum(l.revenue) as net, sum(l.cost) as cost,
                    sum(l.qty * l.list_price) - sum(l.revenue) as impact";

fn summary_sql(v: &Values) -> String {
    let (keys, label, join, group) = if v.text("by") == Some("customer") {
        (
            "cast(null as bigint) as salesperson_key, l.customer_id as customer_key",
            "c.name",
            "left join contact c on c.id = l.customer_id",
            "l.customer_id, c.name",
        )
    } else {
        (
            "coalesce(l.salesperson_id, 0) as salesperson_key, cast(null as bigint) as customer_key",
            "coalesce(u.display_name, '(none)')",
            "left join \"user\" u on u.id = l.salesperson_id",
            "l.salesperson_id, u.display_name",
        )
    };
    // whole months whose figures stood on the as-of date come summed from `sales_month`
    let months = sales::whole_months(v, v.text("by") == Some("customer"));
    let monthly = months
        .map(|m| {
            format!(
                "union all
                 select m.salesperson_id, cast(null as bigint), m.list_lines, m.list, m.list_net, m.list_cost
                 {}",
                sales::monthly_rows(v, m)
            )
        })
        .unwrap_or_default();
    format!(
        "with {lines},
         p as (
           select l.salesperson_id, l.customer_id, 1 as lines, l.qty * l.list_price as list, l.revenue as net,
                  l.cost
           from lines l
           where l.list_price is not null and l.qty > 0
           {monthly}
         )
         select {keys}, {label} as \"group\", sum(l.lines) as lines, sum(l.list) as list, sum(l.net) as net,
                sum(l.cost) as cost, sum(l.list) - sum(l.net) as impact
         from p l {join}
         group by {group}
         order by \"group\"",
        lines = sales::split_lines_cte(v, "'sale'", months),
    )
}

fn invoices_sql(v: &Values) -> String {
    format!(
        "with {lines}
         select l.invoice_no, l.invoice_date, c.name as customer, coalesce(u.display_name, '') as salesperson, {SUMS}
         from lines l join contact c on c.id = l.customer_id left join \"user\" u on u.id = l.salesperson_id
         where l.list_price is not null and l.qty > 0
         group by l.invoice_id, l.invoice_no, l.invoice_date, c.name, u.display_name
         order by l.invoice_date, l.invoice_no, l.invoice_id",
        lines = sales::lines_cte(v, "'sale'"),
    )
}
