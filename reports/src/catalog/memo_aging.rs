//! Memo aging: the retail value each customer has out on memo, by how long it has been out.

use super::buckets::{self, Buckets};
use super::memo;
use crate::define::{Bind, Drill, Report, View};
use crate::model::Column;
use crate::param::{Default, Kind, Param, Values};

pub(crate) const REPORT: Report = Report {
    id: "memo_aging",
    title: "Memo aging",
    help: "Goods out on memo (on approval) with each customer on a date (default today), by how long they have \
been out: 0–30, 31–60, 61–90 and 91+ days from the memo date (edges configurable).\n\
\n\
A line counts when its memo is dated on or before the date and it was not invoiced or returned on or before \
it; a return reversed puts it back out, aged from the original memo date, and an invoiced line goes back out \
when its invoice is voided or reopened. Values are retail: quantity × memo price. Lines shows the number of \
lines out.\n\
\n\
Drill: a customer → their lines out; a bucket cell (or its total) → the lines in it.",
    views: &[
        View {
            name: "summary",
            title: "by customer",
            params: PARAMS,
            columns: summary_columns,
            drills: &[
                Drill {
                    columns: &["customer", "retail"],
                    view: "lines",
                    bind: &[("customer", Bind::Row("customer_id"))],
                },
                // a bucket cell opens the lines in that bucket
                Drill {
                    columns: &["b1", "b2", "b3", "b4", "b5", "b6", "b7"],
                    view: "lines",
                    bind: &[("customer", Bind::Row("customer_id")), ("bucket", Bind::Column)],
                },
            ],
            sql: summary_sql,
            footer: None,
            stages: &[],
        },
        View {
            name: "lines",
            title: "lines out on memo",
            params: LINE_PARAMS,
            columns: |_| memo::OPEN_LINE_COLUMNS.to_vec(),
            drills: &[],
            sql: memo::open_lines_sql,
            footer: None,
            stages: &[],
        },
    ],
};

const EDGES: Param = buckets::param("30,60,90");
const BUCKET: Param = Param {
    name: "bucket",
    kind: Kind::Choice(buckets::CHOICES),
    default: Default::None,
    help: "only lines in this bucket (b1 = the first …)",
    label: "Bucket",
};
const PARAMS: &[Param] = &[Param::AS_OF, EDGES, Param::STORE, Param::CUSTOMER];
const LINE_PARAMS: &[Param] = &[Param::AS_OF, EDGES, Param::STORE, Param::CUSTOMER, memo::FAMILY, BUCKET];

fn summary_columns(v: &Values) -> Vec<Column> {
    let mut cols = vec![Column::id("customer_id"), Column::text("customer", "Customer").labelled()];
    cols.extend(Buckets::of(v).money_columns());
    cols.push(Column::money("retail", "Total retail"));
    cols.push(Column::count("lines", "Lines"));
    cols
}

fn summary_sql(v: &Values) -> String {
    let on = v.date("as_of");
    let b = Buckets::of(v);
    let age = format!("cast({} - cast(l.memo_date as int) as bigint)", crate::define::epoch_days(on));
    let key = b.key_sql(&age);
    let sums: String =
        b.keys().iter().map(|k| format!("sum(case when {key} = '{k}' then l.retail else 0 end) as {k}, ")).collect();
    format!(
        "with {ctes}
         select l.customer_id, c.name as customer, {sums} sum(l.retail) as retail, count(*) as lines
         from lines l join contact c on c.id = l.customer_id
         where l.status = 'out'
         group by l.customer_id, c.name
         order by c.name, l.customer_id",
        ctes = memo::ctes(v, on, ""),
    )
}
