//! Memo conversion: of what went out on memo in a period, how much was bought, by value and by count.

use super::memo;
use crate::define::{Bind, Drill, Report, View, date};
use crate::model::{Column, Total, Type};
use crate::param::{Default, Kind, Param, Values};

pub(crate) const REPORT: Report = Report {
    id: "memo_conversion",
    title: "Memo conversion",
    help: "Of the memo lines issued in a period (default month to date), how many were invoiced (converted), \
returned or are still out, by value (quantity × memo price) and by count, per customer and overall.\n\
\n\
Conversion % = invoiced ÷ everything issued (lines still out stay in the denominator); resolved % = invoiced ÷ \
(invoiced + returned). Every outcome is valued at the memo price and taken as known on the as-of date (default \
today; `as_of` reproduces what the report said on an earlier day): a return reversed counts the line out again, an \
invoice voided or reopened puts its line back out.\n\
\n\
Drill: a customer → their lines issued in the period with each one's outcome.",
    views: &[
        View {
            name: "summary",
            title: "by customer",
            params: PARAMS,
            columns: |_| SUMMARY_COLUMNS.to_vec(),
            drills: &[Drill { columns: &["customer"], view: "lines", bind: &[("customer", Bind::Row("customer_id"))] }],
            sql: summary_sql,
            footer: None,
            stages: &[],
        },
        View {
            name: "lines",
            title: "lines issued",
            params: LINE_PARAMS,
            columns: |_| LINE_COLUMNS.to_vec(),
            drills: &[],
            sql: lines_sql,
            footer: None,
            stages: &[],
        },
    ],
};

const OUTCOME: Param = Param {
    name: "outcome",
    kind: Kind::Choice(&["invoiced", "returned", "out"]),
    default: Default::None,
    help: "only lines with this outcome",
    label: "Outcome",
};
/// The date outcomes are known by, apart from the period.
const KNOWN_ON: Param = Param {
    name: "as_of",
    kind: Kind::Date,
    default: Default::Today,
    help: "count invoices, returns and their reversals or voids known on this date (default today)",
    label: "As known on",
};
const PARAMS: &[Param] = &[Param::FROM, Param::TO, KNOWN_ON, Param::STORE, Param::CUSTOMER];
const LINE_PARAMS: &[Param] = &[Param::FROM, Param::TO, KNOWN_ON, Param::STORE, Param::CUSTOMER, OUTCOME];

const SUMMARY_COLUMNS: &[Column] = &[
    Column::id("customer_id"),
    Column::new("customer", "Customer", Type::Text, Total::Label),
    Column::count("issued_lines", "Lines issued"),
    Column::money("issued", "Value issued"),
    Column::money("invoiced", "Invoiced"),
    Column::money("returned", "Returned"),
    Column::money("still_out", "Still out"),
    Column::count("invoiced_lines", "Lines invoiced"),
    Column::count("returned_lines", "Lines returned"),
    Column::count("out_lines", "Lines out"),
    Column::ratio("conversion", "Conversion % (value)", &[(1, "invoiced")], &[(1, "issued")]),
    Column::ratio("conversion_count", "Conversion % (count)", &[(1, "invoiced_lines")], &[(1, "issued_lines")]),
    Column::ratio("resolved", "Resolved % (value)", &[(1, "invoiced")], &[(1, "invoiced"), (1, "returned")]),
];

const LINE_COLUMNS: &[Column] = &[
    Column::text("memo_no", "Memo"),
    Column::date("memo_date", "Date"),
    Column::text("customer", "Customer"),
    Column::text("stock_no", "Stock no"),
    Column::text("description", "Description"),
    Column::count("qty", "Qty"),
    Column::money("retail", "Value"),
    Column::text("outcome", "Outcome"),
    Column::date("changed_on", "Since"),
];

/// The lines issued in the period; `memo::ctes` (as of the as-of date) keeps none issued after that date.
fn period(v: &Values) -> String {
    format!(" and l.memo_date >= {} and l.memo_date <= {}", date(v.date("from")), date(v.date("to")))
}

fn summary_sql(v: &Values) -> String {
    let sum = |status: &str| format!("sum(case when l.status = '{status}' then l.retail else 0 end)");
    let count = |status: &str| format!("sum(case when l.status = '{status}' then 1 else 0 end)");
    format!(
        "with {ctes}
         select l.customer_id, c.name as customer, count(*) as issued_lines, sum(l.retail) as issued,
                {inv} as invoiced, {ret} as returned, {out} as still_out,
                {inv_n} as invoiced_lines, {ret_n} as returned_lines, {out_n} as out_lines
         from lines l join contact c on c.id = l.customer_id
         group by l.customer_id, c.name
         order by c.name, l.customer_id",
        ctes = memo::ctes(v, v.date("as_of"), &period(v)),
        inv = sum("invoiced"),
        ret = sum("returned"),
        out = sum("out"),
        inv_n = count("invoiced"),
        ret_n = count("returned"),
        out_n = count("out"),
    )
}

fn lines_sql(v: &Values) -> String {
    let outcome = crate::define::and_text("l.status", v, "outcome");
    format!(
        "with {ctes}
         select l.memo_no, l.memo_date, c.name as customer, it.stock_no, s.description, l.qty, l.retail,
                l.status as outcome, l.changed_on
         from lines l join contact c on c.id = l.customer_id join item it on it.id = l.item_id
              join style s on s.id = it.style_id
         where true{outcome}
         order by l.memo_date, l.memo_no, l.id",
        ctes = memo::ctes(v, v.date("as_of"), &period(v)),
    )
}
