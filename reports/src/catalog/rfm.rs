//! RFM: customers scored 1–5 on recency, frequency and monetary value, and named by segment.

use chrono::Months;

mod score;

use crate::define::{Bind, Drill, Fold, Report, Stage, View, and_id, date, epoch_days};
use crate::model::{Column, Total, Type};
use crate::param::{Default, Kind, Param, Values};

pub(crate) const REPORT: Report = Report {
    id: "rfm",
    title: "RFM",
    help: "Customers scored on recency, frequency and monetary value over a lookback window ending on a date \
(default: the 3 years to today), and named by segment (Champions, Loyal, At risk, Can't lose, Hibernating …).\n\
\n\
The window is (date − lookback, date]. In scope: customers with a finalized invoice of positive net in it (net = \
the invoice's sale, return, service and misc lines before tax), as known on the date (a reopened invoice with \
the finalization in effect then). Recency = days since the \
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

/// `nets`: every invoice of the window with its net — a reopened one with the finalization in effect on the
/// date (none as of today: the file statistics of `reopened_on` skip every version).
fn nets_cte(v: &Values) -> String {
    let d = date(v.date("as_of"));
    format!(
        "nets as (
           select i.id, i.customer_id, i.invoice_no, i.invoice_date, i.net_sales as net
           from invoice i
           where {in_window}
           union all
           select k.invoice_id, k.customer_id, k.invoice_no, k.invoice_date, k.net_sales
           from invoice_version k
           where k.finalized_on <= {d} and k.reopened_on > {d}
             and k.invoice_date > {start} and k.invoice_date <= {d}{store}
         )",
        in_window = in_window(v, "i"),
        start = date(window_start(v)),
        store = and_id("k.store_id", v, "store"),
    )
}

/// `rfm`: each customer in scope with last purchase, recency, frequency, monetary, R, F, M, FM and segment,
/// folded from the window's invoices ([`score::Scoring`]).
/// Each invoice's net is the lake's `net_sales` (its revenue lines' amounts, kept on the invoice), so the lines
/// are not read: an invoice without revenue lines nets nothing, so it neither counts nor adds.
const SCORING: &[Stage] = &[Stage { name: "rfm", sql: window_stage, fold: Some(scoring) }];

/// The fold's rows: the window's invoices, as the invoices view lists them.
fn window_stage(v: &Values) -> String {
    format!("with {nets} select customer_id, invoice_date, net from nets", nets = nets_cte(v))
}

fn scoring(v: &Values) -> Box<dyn Fold> {
    Box::new(score::Scoring::new(epoch_days(v.date("as_of"))))
}

fn customers_sql(v: &Values) -> String {
    let only = v.text("segment").map(|s| format!(" where s.segment = {}", crate::param::quote(s))).unwrap_or_default();
    format!(
        "select s.customer_id, c.name as customer, s.last_purchase, s.recency, s.frequency, s.monetary,
                s.r, s.f, s.m, s.fm, s.segment
         from rfm s join contact c on c.id = s.customer_id{only}
         order by s.r + s.f + s.m desc, s.monetary desc, c.name, s.customer_id"
    )
}

fn segments_sql(_: &Values) -> String {
    let order: String =
        SEGMENTS.iter().enumerate().map(|(i, s)| format!(" when '{}' then {i}", s.replace('\'', "''"))).collect();
    format!(
        "select segment, count(*) as customers, sum(frequency) as frequency, sum(monetary) as monetary
         from rfm group by segment
         order by case segment{order} end"
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
