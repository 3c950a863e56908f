//! AR aging: what each customer owes as of a date, by how long it has been owed.

use super::buckets::{self, Buckets};
use crate::define::{Bind, Drill, Report, Stage, View, and_id, date};
use crate::model::{Column, Total, Type};
use crate::param::{Default, Kind, Param, Values};

pub(crate) const REPORT: Report = Report {
    id: "ar_aging",
    title: "AR aging",
    help: "What each customer owes on a date (default today), aged by invoice date (or due date) into buckets \
of 0–30, 31–60, 61–90 and 91+ days (edges configurable).\n\
\n\
An invoice counts when it was finalized on or before the date and not voided or reopened on or before it; a \
reopened invoice counts until its reopen date with the figures it was finalized with, and from its new \
finalization's date with the new ones (while open again it counts nowhere). Its open \
balance is its total (tax, freight and fees included) less the payments applied on or before the date (a \
payment voided on or before the date reopens what it paid) and the write-offs dated on or before it; later \
payments do not reduce it, and money taken on account and applied later (apply_payment) counts from the \
day it was applied, unapplied until then. Age = the as-of date − the invoice date (or the due date: an \
invoice not yet due is Current, one due on the date is 0 days old).\n\
\n\
Money owed to the customer never goes into an age bucket: invoices with a negative balance (a return not yet \
refunded), the unapplied remainder of their payments (deposits included) and their store credit (refunds \
to store credit and goodwill credit, from the day given until the day spent or voided) are in \
\"Unapplied / credits\", shown negative. Net = open − credits; the net total equals the customers' balance in \
the books. Customers whose every column is zero are left out. With a store filter, invoices and payments are \
that store's and store credit (which belongs to the customer, not a store) is left out.\n\
\n\
Drill: a customer → their open invoices; a bucket cell (or its total) → the invoices in it; credits → the \
negative invoices, unapplied payments and store credit; an invoice → its payment history, or its lines.",
    views: &[
        View {
            name: "summary",
            title: "by customer",
            params: PARAMS,
            columns: summary_columns,
            drills: &[
                Drill { columns: &["customer"], view: "invoices", bind: &[("customer", Bind::Row("customer_id"))] },
                // a bucket cell opens the invoices in that bucket; total open, every invoice owed
                Drill {
                    columns: &["current", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "open"],
                    view: "invoices",
                    bind: &[("customer", Bind::Row("customer_id")), ("bucket", Bind::Column)],
                },
                Drill { columns: &["credits"], view: "credits", bind: &[("customer", Bind::Row("customer_id"))] },
            ],
            sql: summary_sql,
            footer: None,
            stages: KEPT,
        },
        View {
            name: "invoices",
            title: "open invoices",
            params: INVOICE_PARAMS,
            columns: |_| INVOICE_COLUMNS.to_vec(),
            drills: &[
                Drill { columns: &["invoice_no"], view: "history", bind: &[("invoice", Bind::Row("invoice_id"))] },
                Drill { columns: &["total"], view: "lines", bind: &[("invoice", Bind::Row("invoice_id"))] },
                Drill { columns: &["customer"], view: "invoices", bind: &[("customer", Bind::Row("customer_id"))] },
            ],
            sql: invoices_sql,
            footer: None,
            stages: KEPT,
        },
        View {
            name: "credits",
            title: "unapplied payments and credits",
            params: CREDIT_PARAMS,
            columns: |_| CREDIT_COLUMNS.to_vec(),
            drills: &[Drill {
                columns: &["reference"],
                view: "history",
                bind: &[("invoice", Bind::Row("invoice_id"))],
            }],
            sql: credits_sql,
            footer: None,
            stages: KEPT,
        },
        View {
            name: "history",
            title: "invoice payment history",
            params: ONE_INVOICE,
            columns: |_| HISTORY_COLUMNS.to_vec(),
            drills: &[],
            sql: history_sql,
            footer: None,
            stages: &[],
        },
        View {
            name: "lines",
            title: "invoice lines",
            params: ONE_INVOICE,
            columns: |_| LINE_COLUMNS.to_vec(),
            drills: &[],
            sql: lines_sql,
            footer: None,
            stages: &[],
        },
    ],
};

const BASIS: Param = Param {
    name: "basis",
    kind: Kind::Choice(&["invoice_date", "due_date"]),
    default: Default::Value("invoice_date"),
    help: "age from the invoice date (default) or the due date",
    label: "Aged by",
};
const EDGES: Param = buckets::param("30,60,90");
const BUCKET: Param = Param {
    name: "bucket",
    kind: Kind::Choice(buckets::CHOICES),
    default: Default::None,
    help: "only invoices in this bucket (b1 = the first age bucket …; open = every invoice with a balance owed)",
    label: "Bucket",
};
const INVOICE: Param =
    Param { name: "invoice", kind: Kind::Id, default: Default::Required, help: "the invoice", label: "Invoice" };

const PARAMS: &[Param] = &[Param::AS_OF, BASIS, EDGES, Param::STORE, Param::CUSTOMER];
const INVOICE_PARAMS: &[Param] = &[Param::AS_OF, BASIS, EDGES, Param::STORE, Param::CUSTOMER, BUCKET];
const CREDIT_PARAMS: &[Param] = &[Param::AS_OF, Param::STORE, Param::CUSTOMER];
const ONE_INVOICE: &[Param] = &[Param::AS_OF, INVOICE];

fn due_basis(v: &Values) -> bool {
    v.text("basis") == Some("due_date")
}

fn summary_columns(v: &Values) -> Vec<Column> {
    let mut cols = vec![Column::id("customer_id"), Column::text("customer", "Customer").labelled()];
    if due_basis(v) {
        cols.push(Column::money("current", "Current"));
    }
    cols.extend(Buckets::of(v).money_columns());
    cols.push(Column::money("open", "Total open"));
    cols.push(Column::money("credits", "Unapplied / credits"));
    cols.push(Column::money("net", "Net"));
    cols
}

const INVOICE_COLUMNS: &[Column] = &[
    Column::id("invoice_id"),
    Column::id("customer_id"),
    Column::text("customer", "Customer"),
    Column::text("invoice_no", "Invoice"),
    Column::date("invoice_date", "Date"),
    Column::date("due_date", "Due"),
    Column::money("total", "Total"),
    Column::money("paid", "Paid"),
    Column::money("written_off", "Written off"),
    Column::money("balance", "Balance"),
    Column::new("age", "Age (days)", Type::Count, Total::None),
    Column::text("bucket", "Bucket"),
];

const CREDIT_COLUMNS: &[Column] = &[
    Column::id("invoice_id"),
    Column::text("customer", "Customer"),
    Column::text("kind", "Kind"),
    Column::text("reference", "Reference"),
    Column::date("dated", "Date"),
    Column::money("amount", "Amount"),
];

const HISTORY_COLUMNS: &[Column] = &[
    Column::date("dated", "Date"),
    Column::text("event", "Event"),
    Column::text("reference", "Reference"),
    Column::money("amount", "Amount"),
    Column::new("balance", "Balance", Type::Money, Total::None),
];

const LINE_COLUMNS: &[Column] = &[
    Column::new("line_no", "Line", Type::Count, Total::None),
    Column::text("kind", "Kind"),
    Column::text("description", "Description"),
    Column::count("qty", "Qty"),
    Column::new("unit_price", "Unit price", Type::Money, Total::None),
    Column::money("adjustment", "Adjustment"),
    Column::money("amount", "Amount"),
];

/// Computed before a view that reads `open`: `ar_kept`, the finalizations a reopen ended that were in effect
/// on the date (finalized on or before it, reopened after it), in the store and for the customer when given.
/// As of today there are none, and an empty stage plans away the branch that joins them to the invoices.
const KEPT: &[Stage] = &[Stage { name: "ar_kept", sql: kept_stage, fold: None }];

fn kept_stage(v: &Values) -> String {
    let d = date(v.date("as_of"));
    format!(
        "select invoice_id, store_id, customer_id, invoice_no, invoice_date, due_date, total from invoice_version
         where finalized_on <= {d} and reopened_on > {d}{store}{customer}",
        store = and_id("store_id", v, "store"),
        customer = and_id("customer_id", v, "customer"),
    )
}

/// Live on `d`: dated on or before it and not voided on or before it.
fn live(on: &str, voided: &str, d: &str) -> String {
    format!("{on} <= {d} and ({voided} is null or {voided} > {d})")
}

/// `(id, v)`: what an invoice's (payment's) applications and write-offs dated after `d`, or voided after it, change
/// between `d` and now — so that paid (written off) on `d` = paid (written off) now − this. Applied after `d` and
/// still standing counts in now and not on `d`; applied by `d` and voided after it counts on `d` and not now.
/// Only these rows are read: an as-of today reads none, and the lake's file statistics skip the rest.
fn since_sql(d: &str, id: &str, table: &str, on: &str) -> String {
    format!(
        "select {id} as id, amount as v from {table} where {on} > {d} and voided_on is null
         union all
         select {id}, -amount from {table} where voided_on > {d} and {on} <= {d}"
    )
}

/// Every invoice counted as of the date whose balance is not zero, with its balance, age and bucket key (a
/// settled invoice adds nothing to any figure of the report, and dropping it early keeps the joins small).
///
/// The lake keeps what each invoice has been paid and written off now; the figures on `d` are those less what
/// changed after it ([`since_sql`]), so only invoices open now or touched since are looked at.
fn open_cte(v: &Values) -> String {
    let d = date(v.date("as_of"));
    let basis = if due_basis(v) { "i.due_date" } else { "i.invoice_date" };
    let by_age = Buckets::of(v).key_sql("i.age");
    let bucket =
        if due_basis(v) { format!("case when i.due_date > {d} then 'current' else {by_age} end") } else { by_age };
    let zero = "cast(0 as decimal(18, 2))";
    // open now, or settled now and touched since (two branches, so the first filters before its join, and
    // each reads one side of the lake's `settled` partition: as of today the second reads nothing); the
    // invoice itself is filtered by store and customer, its applications and write-offs follow it
    let inv = format!(
        "select i.id, i.customer_id, i.invoice_no, i.invoice_date, i.due_date, i.total,
                i.paid - coalesce(s.paid, 0) as paid, i.written_off - coalesce(s.written, 0) as written_off,
                cast({days} - cast({basis} as int) as bigint) as age
         from invoice i",
        days = crate::define::epoch_days(v.date("as_of")),
    );
    let live = format!(
        "where i.status in ('finalized', 'voided') and i.finalized_on <= {d}
           and (i.voided_on is null or i.voided_on > {d}){store}{customer}",
        store = and_id("i.store_id", v, "store"),
        customer = and_id("i.customer_id", v, "customer"),
    );
    // a reopened invoice counts on the date with the finalization then in effect (the stage `ar_kept`), with
    // what the invoice was paid then. A reopen is refused while payments or write-offs stand, so what was
    // applied before it was voided by it and `since` adds it back; what was applied to a later finalization is
    // dated after the date and `since` takes it off.
    let kept = format!(
        "select v.invoice_id as id, v.customer_id, v.invoice_no, v.invoice_date, v.due_date, v.total,
                i.paid - coalesce(s.paid, 0) as paid, i.written_off - coalesce(s.written, 0) as written_off,
                cast({days} - cast({basis} as int) as bigint) as age
         from ar_kept v join invoice i on i.id = v.invoice_id left join since s on s.id = v.invoice_id",
        days = crate::define::epoch_days(v.date("as_of")),
        basis = basis.replace("i.", "v."),
    );
    format!(
        "since as (
           select id, sum(paid) as paid, sum(written) as written from (
             select id, v as paid, {zero} as written from ({apps}) a
             union all
             select id, {zero}, v from ({wos}) w
           ) x group by id
         ),
         inv as (
           {inv} left join since s on s.id = i.id
           {live} and i.settled = false
           union all
           {inv} join since s on s.id = i.id
           {live} and i.settled = true
           union all
           {kept}
         ),
         open as (
           select i.id, i.customer_id, i.invoice_no, i.invoice_date, i.due_date, i.total, i.paid, i.written_off,
                  i.total - i.paid - i.written_off as balance, i.age, {bucket} as bucket
           from inv i
           where i.total - i.paid - i.written_off <> 0
         )",
        apps = since_sql(&d, "invoice_id", "payment_application", "applied_on"),
        wos = since_sql(&d, "invoice_id", "write_off", "written_on"),
    )
}

/// Money the customer is owed back outside its invoices: unapplied payment remainders and store credit (negative
/// invoice balances come from `open`). A payment's remainder on `d` is the one now plus what was applied to
/// invoices or refunded after `d`, less what was voided after it.
fn credits_cte(v: &Values) -> String {
    let d = date(v.date("as_of"));
    let store_credit = if v.int("store").is_some() {
        String::new()
    } else {
        format!(
            "union all
             select e.customer_id, 'Store credit' as kind, 'balance' as reference, max(e.entry_date) as dated,
                    -sum(e.amount) as amount, cast(null as bigint) as invoice_id
             from store_credit_entry e where e.entry_date <= {d}{customer}
             group by e.customer_id having sum(e.amount) <> 0",
            customer = and_id("e.customer_id", v, "customer"),
        )
    };
    format!(
        "paid_since as (
           select id, sum(v) as v from ({apps} union all {refunds}) x group by id
         ),
         credit as (
           {pay} left join paid_since s on s.id = p.id
           {p_live} and p.settled = false and p.amount - p.applied - p.refunded + coalesce(s.v, 0) <> 0
           union all
           {pay} join paid_since s on s.id = p.id
           {p_live} and p.settled = true and s.v <> 0
           {store_credit}
         )",
        apps = since_sql(&d, "payment_id", "payment_application", "applied_on"),
        refunds = since_sql(
            &d,
            "refund_of_payment_id",
            "(select * from payment where direction = 'out' and refund_of_payment_id is not null) r",
            "paid_on",
        ),
        pay = "select p.customer_id, 'Unapplied payment' as kind,
                      concat(p.method, ' #', cast(p.id as varchar)) as reference, p.paid_on as dated,
                      -(p.amount - p.applied - p.refunded + coalesce(s.v, 0)) as amount,
                      cast(null as bigint) as invoice_id
               from payment p",
        p_live = format!(
            "where p.direction = 'in' and {live}{store}{customer}",
            live = live("p.paid_on", "p.voided_on", &d),
            store = and_id("p.store_id", v, "store"),
            customer = and_id("p.customer_id", v, "customer"),
        ),
    )
}

fn summary_sql(v: &Values) -> String {
    let mut keys = Buckets::of(v).keys();
    if due_basis(v) {
        keys.insert(0, "current");
    }
    let join = |f: &dyn Fn(&str) -> String| keys.iter().map(|k| f(k)).collect::<Vec<_>>().join(", ");
    // one row per open invoice and per credit, summed once per customer: open is planned once and no
    // customer without a balance is ever grouped
    format!(
        "with {open}, {credits},
         per as (
           select customer_id, {by_bucket}, case when balance > 0 then balance else 0 end as open,
                  case when balance < 0 then balance else 0 end as credits
           from open
           union all
           select customer_id, {zeros}, 0 as open, amount as credits from credit
         ),
         sums as (select customer_id, {sums}, sum(open) as open, sum(credits) as credits from per group by customer_id)
         select s.customer_id, c.name as customer, {picks}, s.open, s.credits, s.open + s.credits as net
         from sums s join contact c on c.id = s.customer_id
         where s.open <> 0 or s.credits <> 0
         order by c.name, s.customer_id",
        open = open_cte(v),
        credits = credits_cte(v),
        by_bucket = join(&|k| format!("case when balance > 0 and bucket = '{k}' then balance else 0 end as {k}")),
        zeros = join(&|k| format!("0 as {k}")),
        sums = join(&|k| format!("sum({k}) as {k}")),
        picks = join(&|k| format!("s.{k}")),
    )
}

fn invoices_sql(v: &Values) -> String {
    let label = Buckets::of(v).label_sql("o.bucket");
    let only = match v.text("bucket") {
        None => "o.balance <> 0".to_string(),
        Some("open") => "o.balance > 0".to_string(),
        Some(b) => format!("o.balance > 0 and o.bucket = '{b}'"),
    };
    format!(
        "with {open}
         select o.id as invoice_id, o.customer_id, c.name as customer, o.invoice_no, o.invoice_date, o.due_date,
                o.total, o.paid, o.written_off, o.balance, o.age,
                case when o.balance < 0 then 'Credit' else {label} end as bucket
         from open o join contact c on c.id = o.customer_id
         where {only}
         order by c.name, o.customer_id, o.invoice_date, o.invoice_no, o.id",
        open = open_cte(v),
    )
}

fn credits_sql(v: &Values) -> String {
    format!(
        "with {open}, {credits}
         select x.invoice_id, c.name as customer, x.kind, x.reference, x.dated, x.amount
         from (select customer_id, 'Invoice' as kind, invoice_no as reference, invoice_date as dated, balance as amount,
                      id as invoice_id
               from open where balance < 0
               union all
               select customer_id, kind, reference, dated, amount, invoice_id from credit) x
              join contact c on c.id = x.customer_id
         order by c.name, x.customer_id, x.dated, x.kind, x.reference",
        open = open_cte(v),
        credits = credits_cte(v),
    )
}

fn history_sql(v: &Values) -> String {
    let d = date(v.date("as_of"));
    let inv = v.int("invoice").unwrap_or_default();
    // seq orders same-day events as recorded: the invoice, then applications and write-offs by id
    format!(
        "with ev as (
           select invoice_date as dated, 0 as seq, 0 as id, 'Invoice' as event, invoice_no as reference, total as amount
           from invoice where id = {inv} and finalized_on <= {d}
           union all
           select invoice_date as dated, 0 as seq, 0 as id, 'Invoice' as event, invoice_no as reference,
                  total as amount
           from invoice_version where invoice_id = {inv} and finalized_on <= {d} and reopened_on > {d}
           union all
           select a.applied_on, 1, a.id, case when a.amount < 0 then 'Refund' else 'Payment' end,
                  concat(p.method, ' #', cast(a.payment_id as varchar)), -a.amount
           from payment_application a left join payment p on p.id = a.payment_id
           where a.invoice_id = {inv} and a.applied_on <= {d}
           union all
           select a.voided_on, 2, a.id, 'Payment voided', concat('#', cast(a.payment_id as varchar)), a.amount
           from payment_application a where a.invoice_id = {inv} and a.voided_on <= {d}
           union all
           select written_on, 3, id, 'Write-off', concat('#', cast(id as varchar)), -amount
           from write_off where invoice_id = {inv} and written_on <= {d}
           union all
           select voided_on, 4, id, 'Write-off voided', concat('#', cast(id as varchar)), amount
           from write_off where invoice_id = {inv} and voided_on <= {d}
         )
         select dated, event, reference, amount,
                sum(amount) over (order by dated, seq, id rows between unbounded preceding and current row) as balance
         from ev order by dated, seq, id"
    )
}

fn lines_sql(v: &Values) -> String {
    let d = date(v.date("as_of"));
    let inv = v.int("invoice").unwrap_or_default();
    // the lines of the finalization a reopen ended, when one was in effect on the date; otherwise the current
    let kept = format!("invoice_id = {inv} and finalized_on <= {d} and reopened_on > {d}");
    format!(
        "select line_no, kind, description, qty, unit_price, adjustment, amount from (
           select line_no, kind, description, qty, unit_price, adjustment, amount, line_id as id
           from sales_line_version where {kept}
           union all
           select line_no, kind, description, qty, unit_price, adjustment, amount, id
           from sales_line
           where invoice_id = {inv} and (select count(*) from sales_line_version where {kept}) = 0
         ) x
         order by line_no, id"
    )
}
