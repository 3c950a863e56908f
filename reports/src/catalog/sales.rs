//! What the sales reports share: the revenue lines of the invoices that stood finalized on the as-of date,
//! dated in the period, each with its revenue, its cost both ways (live, and as booked at the sale) and the
//! dimensions reports group by.

use chrono::{Datelike as _, Months, NaiveDate};

use crate::define::{Stage, and_id, and_text, date};
use crate::param::{Default, Kind, Param, Values};

/// The date voids, reopenings and costs are known by (default today), apart from the period.
pub(crate) const AS_OF: Param = Param {
    name: "as_of",
    kind: Kind::Date,
    default: Default::Today,
    help: "count voids, reopens and costs known on this date (default today: the truth as known now)",
    label: "As known on",
};
/// Which cost a line carries.
pub(crate) const COST_BASIS: Param = Param {
    name: "cost_basis",
    kind: Kind::Choice(&["live", "sale"]),
    default: Default::Value("live"),
    help: "live cost (default: costs added after the sale count) or the cost booked at the sale",
    label: "Cost",
};
/// One salesperson.
pub(crate) const SALESPERSON: Param = Param {
    name: "salesperson",
    kind: Kind::IdOrNone,
    default: Default::None,
    help: "only this salesperson (0: lines without one)",
    label: "Salesperson",
};
/// One category.
pub(crate) const CATEGORY: Param = Param {
    name: "category",
    kind: Kind::Text,
    default: Default::None,
    help: "only this category (none: lines without one)",
    label: "Category",
};

/// The filters every view over sales lines takes: the period, the as-of date, the cost basis, and store,
/// customer, salesperson, family and category.
pub(crate) const LINE_PARAMS: &[Param] = &[
    Param::FROM,
    Param::TO,
    AS_OF,
    COST_BASIS,
    Param::STORE,
    Param::CUSTOMER,
    SALESPERSON,
    super::memo::FAMILY,
    CATEGORY,
];

/// A summary's filters: the lines' own, with its grouping choice `by` after the period and the as-of date.
pub(crate) const fn summary_params(by: Param) -> [Param; LINE_PARAMS.len() + 1] {
    const AT: usize = 3;
    let mut out = [by; LINE_PARAMS.len() + 1];
    let mut i = 0;
    while i < LINE_PARAMS.len() {
        out[if i < AT { i } else { i + 1 }] = LINE_PARAMS[i];
        i += 1;
    }
    out
}

pub(crate) use warehouse::sales::{PAYOUTS_CTE, money_of_cents, partner_rows_cte};

/// `extra` and `lines`: revenue lines (sale, return, service, misc — trade-ins and gift cards are not revenue)
/// of invoices finalized and not voided (or reopened) on the as-of date — a reopened invoice's lines as its
/// finalization in effect on that date left them — dated in the period (the line's own copy of the
/// invoice date prunes the month partitions outside it; its copies of the invoice's status and dates, and of
/// its piece's facts, spare a join with the invoices and the items), filtered by store, customer, salesperson,
/// family and category when given; with `revenue` (qty × price − adjustment − trade concession) and `cost` by
/// the chosen basis ([`warehouse::sales::lines_cte`]). `kinds` narrows the line kinds (`'sale'` for
/// realization).
pub(crate) fn lines_cte(v: &Values, kinds: &str) -> String {
    lines_with(v, kinds, None, "sales_line_version l")
}

/// The whole months of the period that `sales_month` can answer for, as (first day of the first, first day
/// after the last): none when the summary needs what it does not keep — a customer, or the cost booked at the
/// sale — or the period holds no whole month.
pub(crate) fn whole_months(v: &Values, by_customer: bool) -> Option<(NaiveDate, NaiveDate)> {
    if by_customer || v.int("customer").is_some() || v.text("cost_basis") == Some("sale") {
        return None;
    }
    full_months(v)
}

/// The whole months of the period, as (first day of the first, first day after the last).
fn full_months(v: &Values) -> Option<(NaiveDate, NaiveDate)> {
    let (from, to) = (v.date("from"), v.date("to"));
    let month = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let first = if from.day() == 1 { from } else { month(from).checked_add_months(Months::new(1))? };
    let after = to.succ_opt()?;
    let end = if after.day() == 1 { after } else { month(to) };
    (first < end).then_some((first, end))
}

/// Computed before a summary that may read whole months from `sales_month`: `sales_stale`, the days of the
/// whole months of the period with a figure that changed after the as-of date, which the lines must answer
/// for. The lines are joined to it on their date, so the scan of the lines is pruned to those days' files
/// (the join passes the days it found down to the scan), and as of today, with no such month, reads none.
/// And `sales_kept`: the lines of the period's finalizations a reopen ended that were in effect on the as-of
/// date — as of today none, and an empty stage plans their branch (and the costs and styles it joins) away.
pub(crate) const STALE: &[Stage] = &[
    Stage { name: "sales_stale", sql: stale_stage, fold: None },
    Stage { name: "sales_kept", sql: kept_stage, fold: None },
];

fn kept_stage(v: &Values) -> String {
    let asof = date(v.date("as_of"));
    format!(
        "select * from sales_line_version l
         where l.finalized_on <= {asof} and l.reopened_on > {asof}
           and l.invoice_date >= {from} and l.invoice_date <= {to}{store}{customer}{salesperson}",
        from = date(v.date("from")),
        to = date(v.date("to")),
        store = and_id("l.store_id", v, "store"),
        customer = and_id("l.customer_id", v, "customer"),
        salesperson = and_id("l.salesperson_id", v, "salesperson"),
    )
}

fn stale_stage(v: &Values) -> String {
    match full_months(v) {
        Some((first, end)) => format!(
            "select d.date as day from date d
             where d.month_start in (
               select first_day from sales_month
               where first_day >= {first} and first_day < {end} and changed_on > {asof}
             )",
            first = date(first),
            end = date(end),
            asof = date(v.date("as_of")),
        ),
        None => "select cast(null as date) as day where false".to_string(),
    }
}

/// [`lines_cte`] for a summary (with the stages [`STALE`]) that reads the whole months `months` from
/// `sales_month` ([`monthly_rows`]): the lines of the period outside those months, those of the months in
/// `sales_stale`, and the versions in effect from `sales_kept`.
pub(crate) fn split_lines_cte(v: &Values, kinds: &str, months: Option<(NaiveDate, NaiveDate)>) -> String {
    lines_with(v, kinds, months, "sales_kept l")
}

/// The lines, the versions read from `kept` (`sales_line_version l` or the stage `sales_kept l`).
fn lines_with(v: &Values, kinds: &str, months: Option<(NaiveDate, NaiveDate)>, kept: &str) -> String {
    let asof = date(v.date("as_of"));
    let (from, to) = (date(v.date("from")), date(v.date("to")));
    let dims = format!(
        "{store}{customer}{salesperson}{family}{category}",
        store = and_id("l.store_id", v, "store"),
        customer = and_id("l.customer_id", v, "customer"),
        salesperson = and_id("l.salesperson_id", v, "salesperson"),
        family = and_text("s.family", v, "family"),
        category = and_text("s.category", v, "category"),
    );
    let common = format!(
        "l.kind in ({kinds})
           and l.status in ('finalized', 'voided') and l.finalized_on <= {asof}
           and (l.voided_on is null or l.voided_on > {asof}){dims}"
    );
    // the finalizations a reopen ended that were in effect on the as-of date, over the whole period: such a
    // version's month changed after that date (its reopen), so it is never also read from `sales_month`. As of
    // today none is, and the file statistics of `reopened_on` skip every file.
    let versions = format!(
        "l.kind in ({kinds}) and l.finalized_on <= {asof} and l.reopened_on > {asof}
           and l.invoice_date >= {from} and l.invoice_date <= {to}{dims}"
    );
    // without whole months, the period's lines; with them, the part-months at its ends, and apart (each
    // condition prunes its own files) the lines of the stale months
    let (filter, stale) = match months {
        None => (format!("{common} and l.invoice_date >= {from} and l.invoice_date <= {to}"), None),
        Some((first, end)) => {
            let (first, end) = (date(first), date(end));
            let edges = format!(
                "{common} and ((l.invoice_date >= {from} and l.invoice_date < {first})
                                or (l.invoice_date >= {end} and l.invoice_date <= {to}))"
            );
            (edges, Some(format!("{common} and l.invoice_date >= {first} and l.invoice_date < {end}")))
        }
    };
    warehouse::sales::lines_cte(&warehouse::sales::Lines {
        costs_on: Some(&asof),
        live: v.text("cost_basis") != Some("sale"),
        filter: &filter,
        also: stale.as_deref().map(|s| ("sales_stale st join sales_line l on l.invoice_date = st.day", s)),
        versions: Some((kept, &versions)),
    })
}

/// The `sales_month` rows of the whole months `months` (see [`whole_months`]) whose figures stood on the
/// as-of date, filtered as the lines are (`m`).
pub(crate) fn monthly_rows(v: &Values, months: (NaiveDate, NaiveDate)) -> String {
    format!(
        "from sales_month m
         where m.first_day >= {first} and m.first_day < {end} and m.changed_on <= {asof}{store}{salesperson}{family}{category}",
        first = date(months.0),
        end = date(months.1),
        asof = date(v.date("as_of")),
        store = and_id("m.store_id", v, "store"),
        salesperson = and_id("m.salesperson_id", v, "salesperson"),
        family = and_text("m.family", v, "family"),
        category = and_text("m.category", v, "category"),
    )
}
