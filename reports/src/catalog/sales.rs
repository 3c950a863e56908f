//! What the sales reports share: the revenue lines of the invoices that stood finalized on the as-of date,
//! dated in the period, each with its revenue, its cost both ways (live, and as booked at the sale) and the
//! dimensions reports group by.

use crate::engine::{and_id, and_text, date};
use crate::param::{Default, Kind, Param, Values};

/// The date voids, reopenings and costs are known by (default today), apart from the period.
pub(crate) const AS_OF: Param = Param {
    name: "as_of",
    kind: Kind::Date,
    default: Default::Today,
    help: "count voids and costs known on this date (default today: the truth as known now)",
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
/// of invoices finalized and not voided on the as-of date, dated in the period (the line's own copy of the
/// invoice date prunes the month partitions outside it; its copies of the invoice's status and dates, and of
/// its piece's facts, spare a join with the invoices and the items), filtered by store, customer, salesperson,
/// family and category when given; with `revenue` (qty × price − adjustment − trade concession) and `cost` by
/// the chosen basis ([`warehouse::sales::lines_cte`]). `kinds` narrows the line kinds (`'sale'` for
/// realization).
pub(crate) fn lines_cte(v: &Values, kinds: &str) -> String {
    let asof = date(v.date("as_of"));
    let filter = format!(
        "l.kind in ({kinds}) and l.invoice_date >= {from} and l.invoice_date <= {to}
           and l.status in ('finalized', 'voided') and l.finalized_on <= {asof}
           and (l.voided_on is null or l.voided_on > {asof}){store}{customer}{salesperson}{family}{category}",
        from = date(v.date("from")),
        to = date(v.date("to")),
        store = and_id("l.store_id", v, "store"),
        customer = and_id("l.customer_id", v, "customer"),
        salesperson = and_id("l.salesperson_id", v, "salesperson"),
        family = and_text("s.family", v, "family"),
        category = and_text("s.category", v, "category"),
    );
    warehouse::sales::lines_cte(&warehouse::sales::Lines {
        costs_on: Some(&asof),
        live: v.text("cost_basis") != Some("sale"),
        filter: &filter,
    })
}
