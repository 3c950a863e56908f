//! RFM: customers scored 1–5 on recency, frequency and monetary value, and named by segment.

use chrono::Months;

use crate::engine::{Bind, Drill, Report, Stage, View, and_id, date, epoch_days};
use crate::model::{Column, Total, Type};
use crate::param::{Default, Kind, Param, Values};

pub(crate) const REPORT: Report = Report {
    id: "rfm",
    title: "RFM",
    help: "Customers scored on recency, frequency and monetary value over a lookback window ending on a date \
(default: the 3 years to today), and named by segment (Champions, Loyal, At risk, Can't lose, Hibernating …).\n\
\n\
The window is (date − lookback, date]. In scope: customers with a finalized invoice of positive net in it (net = \
the invoice's sale, return, service and misc lines before tax), as known on the date. Recency = days since the \
last of those invoices; frequency = how many there are; monetary = the net of all the customer's finalized \
invoices in the window, returns included.\n\
\n\
Scores: the 20/40/60/80 % quantiles of each measure among the customers in scope (linear interpolation, as \
PERCENTILE_CONT) cut it into five; a score is 1 + the number of cuts strictly below the value, so equal values \
always share a score and a value equal to a cut takes the lower one. 5 is best: most recent (R = 6 − the score \
of the days), most frequent, highest spend. FM = ⌈(F + M) ÷ 2⌉, and the segment comes from the FM × R grid.\n\
\n\
The segments view comes first: how many customers each segment holds and what they spent. Drill: a segment → \
its customers; a customer → their invoices in the window.",
    views: &[
        View {
            name: "segments",
            title: "by segment",
            params: PARAMS,
            columns: |_| SEGMENT_COLUMNS.to_vec(),
            drills: &[Drill { columns: &["segment"], view: "customers", bind: &[("segment", Bind::Row("segment"))] }],
            sql: segments_sql,
            footer: None,
            stages: SCORING,
        },
        View {
            name: "customers",
            title: "by customer",
            params: CUSTOMER_PARAMS,
            columns: |_| CUSTOMER_COLUMNS.to_vec(),
            drills: &[Drill {
                columns: &["customer"],
                view: "invoices",
                bind: &[("customer", Bind::Row("customer_id"))],
            }],
            sql: customers_sql,
            footer: None,
            stages: SCORING,
        },
        View {
            name: "invoices",
            title: "invoices in the window",
            params: INVOICE_PARAMS,
            columns: |_| INVOICE_COLUMNS.to_vec(),
            drills: &[],
            sql: invoices_sql,
            footer: None,
            stages: &[],
        },
    ],
};

/// Segment by FM (rows, 5 first) and R (columns 1…5).
const GRID: [[&str; 5]; 5] = [
    ["Can't lose", "Can't lose", "Loyal", "Loyal", "Champions"],
    ["At risk", "At risk", "Loyal", "Loyal", "Champions"],
    ["At risk", "At risk", "Need attention", "Potential loyalist", "Potential loyalist"],
    ["Hibernating", "Hibernating", "About to sleep", "Potential loyalist", "Promising"],
    ["Lost", "Hibernating", "About to sleep", "Promising", "New customers"],
];

const SEGMENTS: &[&str] = &[
    "Champions",
    "Loyal",
    "Potential loyalist",
    "New customers",
    "Promising",
    "Need attention",
    "About to sleep",
    "At risk",
    "Can't lose",
    "Hibernating",
    "Lost",
];

const LOOKBACK: Param = Param {
    name: "lookback",
    kind: Kind::Positive,
    default: Default::Value("3"),
    help: "years of history the window covers (default 3)",
    label: "Lookback (years)",
};
const SEGMENT: Param = Param {
    name: "segment",
    kind: Kind::Choice(SEGMENTS),
    default: Default::None,
    help: "only customers in this segment",
    label: "Segment",
};
const PARAMS: &[Param] = &[Param::AS_OF, LOOKBACK, Param::STORE];
const CUSTOMER_PARAMS: &[Param] = &[Param::AS_OF, LOOKBACK, Param::STORE, SEGMENT];
const INVOICE_PARAMS: &[Param] = &[Param::AS_OF, LOOKBACK, Param::STORE, Param::CUSTOMER];

const CUSTOMER_COLUMNS: &[Column] = &[
    Column::id("customer_id"),
    Column::new("customer", "Customer", Type::Text, Total::Label),
    Column::date("last_purchase", "Last purchase"),
    Column::new("recency", "Recency (days)", Type::Count, Total::None),
    Column::count("frequency", "Frequency"),
    Column::money("monetary", "Monetary"),
    Column::new("r", "R", Type::Count, Total::None),
    Column::new("f", "F", Type::Count, Total::None),
    Column::new("m", "M", Type::Count, Total::None),
    Column::new("fm", "FM", Type::Count, Total::None),
    Column::text("segment", "Segment"),
];

const SEGMENT_COLUMNS: &[Column] = &[
    Column::new("segment", "Segment", Type::Text, Total::Label),
    Column::count("customers", "Customers"),
    Column::count("frequency", "Invoices"),
    Column::money("monetary", "Monetary"),
];

const INVOICE_COLUMNS: &[Column] = &[
    Column::new("invoice_no", "Invoice", Type::Text, Total::Label),
    Column::date("invoice_date", "Date"),
    Column::money("net", "Net"),
];

/// The window's first excluded day: the as-of date less the lookback years.
fn window_start(v: &Values) -> chrono::NaiveDate {
    let d = v.date("as_of");
    let years = u32::try_from(v.int("lookback").unwrap_or(3)).unwrap_or(3);
    d.checked_sub_months(Months::new(years.saturating_mul(12))).unwrap_or(chrono::NaiveDate::MIN)
}

/// The invoices (alias `a`) of the window: finalized and not voided on the date, dated in the window, in the
/// store when one is given.
fn in_window(v: &Values, a: &str) -> String {
    let d = date(v.date("as_of"));
    format!(
        "{a}.status in ('finalized', 'voided') and {a}.finalized_on <= {d} and ({a}.voided_on is null or {a}.voided_on > {d})
         and {a}.invoice_date > {start} and {a}.invoice_date <= {d}{store}",
        start = date(window_start(v)),
        store = and_id(&format!("{a}.store_id"), v, "store"),
    )
}

/// `nets`: every invoice of the window with its net.
fn nets_cte(v: &Values) -> String {
    format!(
        "nets as (
           select i.id, i.customer_id, i.invoice_no, i.invoice_date, i.net_sales as net
           from invoice i
           where {in_window}
         )",
        in_window = in_window(v, "i"),
    )
}

/// What scoring reads more than once, computed once: each customer in scope with its measures, then the twelve
/// quantile cuts.
const SCORING: &[Stage] =
    &[Stage { name: "rfm_customer", sql: customers_stage }, Stage { name: "rfm_cut", sql: cuts_stage }];

/// `rfm_customer`: each customer in scope with last purchase, recency, frequency and monetary. Each invoice's
/// net is the lake's `net_sales` (its revenue lines' amounts, kept on the invoice), so the lines are not read:
/// an invoice without revenue lines nets nothing, so it neither counts nor adds.
fn customers_stage(v: &Values) -> String {
    format!(
        "with per as (
           select customer_id, max(case when net_sales > 0 then invoice_date end) as last_purchase,
                  sum(case when net_sales > 0 then 1 else 0 end) as frequency, sum(net_sales) as monetary
           from invoice i
           where {in_window}
           group by customer_id having sum(case when net_sales > 0 then 1 else 0 end) > 0
         )
         select customer_id, last_purchase, cast({days} - cast(last_purchase as int) as bigint) as recency,
                frequency, monetary
         from per",
        in_window = in_window(v, "i"),
        days = epoch_days(v.date("as_of")),
    )
}

/// `rfm_cut`: one row, five times each 20/40/60/80 % cut of each measure (`r1` … `m4`), exact: with n values
/// sorted, cut k sits at position k·(n − 1)/5, so 5 × cut = 5·x[lo] + rem·(x[lo+1] − x[lo]) where lo and rem
/// are the quotient and remainder of k·(n − 1) by 5 (x[lo+1] is x[lo] when lo is the last position).
///
/// The values at those positions are found without sorting the customers: each measure's distinct values are
/// counted, and a running total over them says which positions each value covers (recency and frequency have
/// a few hundred distinct values however many customers there are).
fn cuts_stage(_: &Values) -> String {
    let picks: Vec<String> = ["r", "f", "m"]
        .iter()
        .flat_map(|m| (1..=4).map(move |k| format!("max(case when metric = '{m}' and k = {k} then c5 end) as {m}{k}")))
        .collect();
    let covers = |metric: &str, col: &str| {
        format!(
            "select '{metric}' as metric, cast(x as decimal(38, 2)) as x, upto - c as first, upto from (
               select x, c, sum(c) over (order by x rows between unbounded preceding and current row) as upto
               from (select {col} as x, count(*) as c from rfm_customer group by {col}) g
             ) w"
        )
    };
    format!(
        "with n as (select count(*) as n from rfm_customer),
         pos as (
           select k.column1 as k, (k.column1 * (n.n - 1)) / 5 as lo,
                  least((k.column1 * (n.n - 1)) / 5 + 1, n.n - 1) as hi, (k.column1 * (n.n - 1)) % 5 as rem
           from (values (1), (2), (3), (4)) k cross join n
         ),
         covers as ({r} union all {f} union all {m}),
         cuts as (
           select a.metric, p.k, 5 * a.x + p.rem * (b.x - a.x) as c5
           from pos p join covers a on a.first <= p.lo and p.lo < a.upto
                join covers b on b.metric = a.metric and b.first <= p.hi and p.hi < b.upto
         )
         select {picks} from cuts",
        r = covers("r", "recency"),
        f = covers("f", "frequency"),
        m = covers("m", "monetary"),
        picks = picks.join(", "),
    )
}

/// `scored`: each customer in scope with its measures, the three scores, FM and segment.
fn scored_cte() -> String {
    let mut segment = String::from("case");
    for (row, fm) in GRID.iter().zip([5, 4, 3, 2, 1]) {
        for (r, name) in row.iter().enumerate() {
            segment.push_str(&format!(" when fm = {fm} and r = {} then '{}'", r + 1, name.replace('\'', "''")));
        }
    }
    segment.push_str(" end");
    // a score is 1 + the number of cuts strictly below the value
    let above = |m: &str, x: &str| {
        (1..=4).map(|k| format!("case when k.{m}{k} < 5 * c.{x} then 1 else 0 end")).collect::<Vec<_>>().join(" + ")
    };
    format!(
        "rfm as (
           select c.customer_id, c.last_purchase, c.recency, c.frequency, c.monetary,
                  6 - (1 + {r}) as r, 1 + {f} as f, 1 + {m} as m
           from rfm_customer c cross join rfm_cut k
         ),
         fm as (select rfm.*, (f + m + 1) / 2 as fm from rfm),
         scored as (select fm.*, {segment} as segment from fm)",
        r = above("r", "recency"),
        f = above("f", "frequency"),
        m = above("m", "monetary"),
    )
}

fn customers_sql(v: &Values) -> String {
    let only = v.text("segment").map(|s| format!(" where s.segment = {}", crate::param::quote(s))).unwrap_or_default();
    format!(
        "with {scored}
         select s.customer_id, c.name as customer, s.last_purchase, s.recency, s.frequency, s.monetary,
                s.r, s.f, s.m, s.fm, s.segment
         from scored s join contact c on c.id = s.customer_id{only}
         order by s.r + s.f + s.m desc, s.monetary desc, c.name, s.customer_id",
        scored = scored_cte(),
    )
}

fn segments_sql(_: &Values) -> String {
    let order: String =
        SEGMENTS.iter().enumerate().map(|(i, s)| format!(" when '{}' then {i}", s.replace('\'', "''"))).collect();
    format!(
        "with {scored}
         select segment, count(*) as customers, sum(frequency) as frequency, sum(monetary) as monetary
         from scored group by segment
         order by case segment{order} end",
        scored = scored_cte(),
    )
}

fn invoices_sql(v: &Values) -> String {
    format!(
        "with {nets}
         select invoice_no, invoice_date, net from nets where true{customer}
         order by invoice_date, invoice_no, id",
        nets = nets_cte(v),
        customer = and_id("customer_id", v, "customer"),
    )
}
