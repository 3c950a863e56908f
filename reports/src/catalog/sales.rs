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

/// Money from whole cents, exactly (a decimal literal would be read as a float).
pub(crate) fn money_of_cents(expr: &str) -> String {
    format!("(cast({expr} as decimal(20, 0)) * cast(0.01 as decimal(3, 2)))")
}

/// `x ÷ 1,000,000` rounded half away from zero, for whole numbers (parts per million of cents).
fn per_million(x: &str) -> String {
    format!("(case when {x} >= 0 then ({x} + 500000) / 1000000 else -((-({x}) + 500000) / 1000000) end)")
}

/// `lines`: revenue lines (sale, return, service, misc — trade-ins and gift cards are not revenue) of invoices
/// finalized and not voided on the as-of date, dated in the period (the line's own copy of the invoice date
/// prunes the month partitions outside it; its copies of the invoice's status and dates, and of its piece's
/// facts, spare a join with the invoices and the items), filtered by store, customer, salesperson, family and
/// category when given; with `revenue` (qty × price − adjustment − trade concession) and `cost` by the chosen
/// basis. `kinds` narrows the line kinds (`'sale'` for realization).
pub(crate) fn lines_cte(v: &Values, kinds: &str) -> String {
    let asof = date(v.date("as_of"));
    let live = v.text("cost_basis") != Some("sale");
    let cost = if live {
        "case when l.kind = 'misc' then 0
              when l.kind = 'service' then coalesce(wo.bench_cost, l.cost)
              when l.serialized and l.kind in ('sale', 'return')
                then (case when l.qty < 0 then -1 else 1 end) * (l.base_cost + coalesce(x.v, 0))
              else l.cost end"
    } else {
        "case when l.kind = 'misc' then 0 else l.cost end"
    };
    format!(
        "extra as (select item_id, sum(amount) as v from item_cost where cost_date <= {asof} group by item_id),
         lines as (
           select l.id, l.invoice_id, l.invoice_no, l.line_no, l.invoice_date, l.store_id, l.customer_id,
                  l.salesperson_id, l.kind, l.item_id, l.description, l.qty, l.list_price, l.amount,
                  coalesce(l.serialized, false) as serialized, coalesce(l.stock_no, '') as stock_no, s.family,
                  s.category,
                  l.amount - l.trade_concession as revenue,
                  {cost} as cost
           from sales_line l
                left join style s on s.id = coalesce(l.style_id, l.item_style_id)
                left join extra x on x.item_id = l.item_id
                left join work_order wo on wo.id = l.work_order_id
           where l.kind in ({kinds}) and l.invoice_date >= {from} and l.invoice_date <= {to}
             and l.status in ('finalized', 'voided') and l.finalized_on <= {asof}
             and (l.voided_on is null or l.voided_on > {asof}){store}{customer}{salesperson}{family}{category}
         )",
        from = date(v.date("from")),
        to = date(v.date("to")),
        store = and_id("l.store_id", v, "store"),
        customer = and_id("l.customer_id", v, "customer"),
        salesperson = and_id("l.salesperson_id", v, "salesperson"),
        family = and_text("s.family", v, "family"),
        category = and_text("s.category", v, "category"),
    )
}

/// `partner_rows`: the lines again, once per partner of a co-owned piece (a line with no partner once), each
/// with that partner's suggested payout and part of the line's GP in cents. An owner-percent partner gets
/// percent × cost basis (the agreed basis, or the line's cost) + percent × GP; a profit-only partner percent ×
/// GP; each part rounded to the cent; returns reverse them. The line's own measures belong to its `first_row`
/// only, so a summary sums every row in one pass over the lines.
pub(crate) fn partner_rows_cte() -> String {
    let gp = "cast((ln.revenue - ln.cost) * 100 as bigint)";
    let ppm = "cast(p.share * 10000 as bigint)";
    let basis = "cast((case when p.cost_basis is null then ln.cost
                            else (case when ln.qty < 0 then -1 else 1 end) * p.cost_basis end) * 100 as bigint)";
    let gp_part = per_million(&format!("{gp} * {ppm}"));
    let basis_part = per_million(&format!("{basis} * {ppm}"));
    format!(
        "partner_rows as (
           select ln.*, p.item_id is not null as partnered, coalesce(p.nth, 1) = 1 as first_row,
                  coalesce(case when p.kind = 'owner' then {basis_part} else 0 end + {gp_part}, 0) as payout_cents,
                  coalesce({gp_part}, 0) as partner_gp_cents
           from lines ln
                left join (select item_id, share, kind, cost_basis,
                                  row_number() over (partition by item_id order by id) as nth
                           from partnership) p
                  on p.item_id = ln.item_id and ln.serialized and ln.kind in ('sale', 'return')
         )"
    )
}

/// `payouts`: per line of a co-owned piece, the partners' suggested payouts and their part of its GP, in cents
/// (after `partner_rows`).
pub(crate) const PAYOUTS_CTE: &str = "payouts as (
           select id as line_id, sum(payout_cents) as payout_cents, sum(partner_gp_cents) as partner_gp_cents
           from partner_rows where partnered group by id
         )";
