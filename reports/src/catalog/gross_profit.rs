//! Gross profit: revenue, cost and margin of the period's sales, partnership-aware.

use super::sales;
use crate::define::{Bind, Drill, Report, View, date};
use crate::model::{Column, Total, Type};
use crate::param::{Default, Kind, Param, Values};

pub(crate) const REPORT: Report = Report {
    id: "gross_profit",
    title: "Gross profit",
    help: "Revenue, cost and gross profit of the invoice lines dated in a period (default month to date), by \
salesperson, customer, family, category, store, month or day (Summary), or line by line (Detail).\n\
\n\
Lines of invoices finalized and not voided count; revenue = quantity × unit price − adjustment − trade \
concession; returns (negative quantity) reverse revenue and cost; trade-in and gift-card lines are not revenue; \
misc lines are revenue at zero cost; service lines carry their work order's bench cost. Cost is live by \
default: a serialized piece's base cost plus all its additional costs — so a cost added after the sale changes \
past GP, as intended — and for lots the FIFO layers (or average cost) the sale consumed; cost_basis=sale uses \
the cost booked at the sale instead. GP = revenue − cost; GP % = GP ÷ revenue.\n\
\n\
Co-owned pieces: the line keeps its full GP; beside it are the partners' suggested payouts (an owner-percent \
partner gets their percent of the cost basis back plus that percent of GP; a profit-only partner that percent \
of GP; a payout is a distribution, not a cost) and our share of GP (GP less the partners' percent of it).\n\
\n\
As known on (default today) decides which voids, reopens and additional costs count: run for a past period \
with an earlier date, it reproduces what the books said then. A reopened invoice counts until its reopen date \
with the lines it was finalized with, not at all while it is open again, and with its new lines from the date \
it was finalized again.\n\
\n\
Drill: a summary row → its lines.",
    views: &[
        View {
            name: "summary",
            title: "summary",
            params: SUMMARY_PARAMS,
            columns: summary_columns,
            drills: &[Drill {
                columns: &["group"],
                view: "detail",
                bind: &[
                    ("salesperson", Bind::Row("salesperson_key")),
                    ("customer", Bind::Row("customer_key")),
                    ("store", Bind::Row("store_key")),
                    ("family", Bind::Row("family_key")),
                    ("category", Bind::Row("category_key")),
                    ("from", Bind::Row("month_from")),
                    ("to", Bind::Row("month_to")),
                ],
            }],
            sql: summary_sql,
            footer: None,
            stages: sales::STALE,
        },
        View {
            name: "detail",
            title: "detail",
            params: sales::LINE_PARAMS,
            columns: detail_columns,
            drills: &[],
            sql: detail_sql,
            footer: None,
            stages: &[],
        },
    ],
};

const BY: Param = Param {
    name: "by",
    kind: Kind::Choice(&["salesperson", "customer", "family", "category", "store", "month", "day"]),
    default: Default::Value("salesperson"),
    help: "one row per salesperson (default), customer, family, category, store, month or day (days with sales)",
    label: "By",
};
const SUMMARY_PARAMS: &[Param] = &sales::summary_params(BY);

const GP_PCT: Column = Column::ratio("gp_pct", "GP %", &[(1, "gp")], &[(1, "revenue")]);

fn hidden_date(key: &'static str) -> Column {
    Column { hidden: true, ..Column::date(key, key) }
}

fn summary_columns(v: &Values) -> Vec<Column> {
    let label = match v.text("by") {
        Some("customer") => "Customer",
        Some("family") => "Family",
        Some("category") => "Category",
        Some("store") => "Store",
        Some("month") => "Month",
        Some("day") => "Day",
        _ => "Salesperson",
    };
    vec![
        Column::id("salesperson_key"),
        Column::id("customer_key"),
        Column::id("store_key"),
        Column::text_key("family_key"),
        Column::text_key("category_key"),
        hidden_date("month_from"),
        hidden_date("month_to"),
        Column::new("group", label, Type::Text, Total::Label),
        Column::count("lines", "Lines"),
    ]
    .into_iter()
    .chain(MEASURES.iter().cloned())
    .collect()
}

/// What every view of the report ends with.
const MEASURES: &[Column] = &[
    Column::money("revenue", "Revenue"),
    Column::money("cost", "Cost"),
    Column::money("gp", "GP"),
    GP_PCT,
    Column::money("payouts", "Partner payouts"),
    Column::money("our_gp", "Our GP"),
];

fn detail_columns(_: &Values) -> Vec<Column> {
    [
        Column::text("invoice_no", "Invoice"),
        Column::date("invoice_date", "Date"),
        Column::text("customer", "Customer"),
        Column::text("salesperson", "Salesperson"),
        Column::text("kind", "Kind"),
        Column::text("stock_no", "Stock no"),
        Column::text("description", "Description"),
        Column::count("qty", "Qty"),
    ]
    .into_iter()
    .chain(MEASURES.iter().cloned())
    .collect()
}

/// Lines with GP, payouts and our share, and the names reports show (the detail: a row per line).
fn with_gp(v: &Values) -> String {
    format!(
        "with {lines}, {partners}, {payouts},
         gp as (
           select ln.*, ln.revenue - ln.cost as gp,
                  coalesce({payout}, 0) as payouts,
                  ln.revenue - ln.cost - coalesce({partner_gp}, 0) as our_gp
           from lines ln left join payouts p on p.line_id = ln.id
         )",
        lines = sales::lines_cte(v, ALL_KINDS),
        partners = sales::partner_rows_cte(),
        payouts = sales::PAYOUTS_CTE,
        payout = sales::money_of_cents("p.payout_cents"),
        partner_gp = sales::money_of_cents("p.partner_gp_cents"),
    )
}

/// The line kinds that are revenue.
const ALL_KINDS: &str = "'sale', 'return', 'service', 'misc'";

/// The hidden drill keys of a summary row, in column order; only the grouped one is set.
const KEYS: [&str; 7] =
    ["salesperson_key", "customer_key", "store_key", "family_key", "category_key", "month_from", "month_to"];

fn summary_sql(v: &Values) -> String {
    let by = v.text("by").unwrap_or("salesperson");
    // (set keys, label, join, group by)
    let (set, label, join, group): (&[(&str, &str)], &str, &str, &str) = match by {
        "customer" => (
            &[("customer_key", "g.customer_id")],
            "c.name",
            "left join contact c on c.id = g.customer_id",
            "g.customer_id, c.name",
        ),
        "store" => (
            &[("store_key", "g.store_id")],
            "st.name",
            "left join store st on st.id = g.store_id",
            "g.store_id, st.name",
        ),
        "family" => {
            (&[("family_key", "coalesce(g.family, 'none')")], "coalesce(g.family, '(no family)')", "", "g.family")
        }
        "category" => (
            &[("category_key", "coalesce(g.category, 'none')")],
            "coalesce(g.category, '(no category)')",
            "",
            "g.category",
        ),
        "month" => (
            &[
                // a month cut by the period drills to the part of it inside the period
                ("month_from", "greatest(g.month_from, {from})"),
                ("month_to", "least(cast(g.month_from + interval '1 month' - interval '1 day' as date), {to})"),
            ],
            "to_char(g.month_from, '%Y-%m')",
            "",
            "g.month_from",
        ),
        "day" => (&[("month_from", "g.day"), ("month_to", "g.day")], "to_char(g.day, '%Y-%m-%d')", "", "g.day"),
        _ => (
            &[("salesperson_key", "coalesce(g.salesperson_id, 0)")],
            "coalesce(u.display_name, '(none)')",
            "left join \"user\" u on u.id = g.salesperson_id",
            "g.salesperson_id, u.display_name",
        ),
    };
    let keys: Vec<String> = KEYS
        .iter()
        .map(|k| match set.iter().find(|(n, _)| n == k) {
            Some((_, e)) => {
                format!("{} as {k}", e.replace("{from}", &date(v.date("from"))).replace("{to}", &date(v.date("to"))))
            }
            None if k.ends_with("_key") && (k.starts_with("family") || k.starts_with("category")) => {
                format!("cast(null as varchar) as {k}")
            }
            None if k.starts_with("month") => format!("cast(null as date) as {k}"),
            None => format!("cast(null as bigint) as {k}"),
        })
        .collect();
    // One pass over the lines: a row per line and partner, the line's own measures on its first row; whole
    // months whose figures stood on the as-of date come summed from `sales_month` instead.
    // a day needs the lines themselves: `sales_month` keeps months
    let months = sales::whole_months(v, by == "customer" || by == "day");
    let monthly = months
        .map(|m| {
            format!(
                "union all
                 select m.salesperson_id, cast(null as bigint), m.store_id, m.family, m.category, m.first_day,
                        m.first_day as day, m.lines, m.revenue, m.cost, cast(m.payouts * 100 as bigint), cast(m.partner_gp * 100 as bigint)
                 {}",
                sales::monthly_rows(v, m)
            )
        })
        .unwrap_or_default();
    format!(
        "with {lines}, {partners},
         g as (
           select r.salesperson_id, r.customer_id, r.store_id, r.family, r.category,
                  cast(date_trunc('month', r.invoice_date) as date) as month_from, r.invoice_date as day,
                  case when r.first_row then 1 else 0 end as lines,
                  case when r.first_row then r.revenue else 0 end as revenue,
                  case when r.first_row then r.cost else 0 end as cost, r.payout_cents, r.partner_gp_cents
           from partner_rows r
           {monthly}
         )
         select {keys}, {label} as \"group\", sum(g.lines) as lines,
                sum(g.revenue) as revenue, sum(g.cost) as cost, sum(g.revenue - g.cost) as gp, {payouts} as payouts,
                sum(g.revenue - g.cost) - {partner_gp} as our_gp
         from g {join}
         group by {group}
         order by \"group\"",
        lines = sales::split_lines_cte(v, ALL_KINDS, months),
        partners = sales::partner_rows_cte(),
        keys = keys.join(", "),
        payouts = sales::money_of_cents("sum(g.payout_cents)"),
        partner_gp = sales::money_of_cents("sum(g.partner_gp_cents)"),
    )
}

fn detail_sql(v: &Values) -> String {
    format!(
        "{gp}
         select g.invoice_no, g.invoice_date, c.name as customer, coalesce(u.display_name, '') as salesperson, g.kind,
                g.stock_no, g.description, g.qty, g.revenue, g.cost, g.gp, g.payouts, g.our_gp
         from gp g join contact c on c.id = g.customer_id left join \"user\" u on u.id = g.salesperson_id
         order by g.invoice_date, g.invoice_no, g.line_no, g.id",
        gp = with_gp(v),
    )
}
