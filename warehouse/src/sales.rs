//! The sales lines as the reports count them, in SQL over the lake: which lines are revenue, their cost, and
//! each partner's payout. The gross-profit and realization reports read them, and so does the ETL when it
//! derives `sales_month` from the lines, so the two can never count a line differently.

/// Money from whole cents, exactly (a decimal literal would be read as a float).
pub fn money_of_cents(expr: &str) -> String {
    format!("(cast({expr} as decimal(20, 0)) * cast(0.01 as decimal(3, 2)))")
}

/// `x ÷ 1,000,000` rounded half away from zero, for whole numbers (parts per million of cents).
fn per_million(x: &str) -> String {
    format!("(case when {x} >= 0 then ({x} + 500000) / 1000000 else -((-({x}) + 500000) / 1000000) end)")
}

/// Which lines [`lines_cte`] reads and how it costs them.
#[derive(Debug, Clone, Copy)]
pub struct Lines<'a> {
    /// A date literal: additional costs dated after it do not count. `None`: every cost landed.
    pub costs_on: Option<&'a str>,
    /// Live cost (a serialized piece's base plus its additional costs, a service's bench cost) or the cost
    /// booked at the sale.
    pub live: bool,
    /// The condition on the lines (`l`, the `sales_line` table) and their style (`s`).
    pub filter: &'a str,
    /// More lines: `(from, condition)`, read apart, so each condition prunes the files it can; `from` names
    /// `sales_line l` and what it is joined to first (a small table joined first, and found empty, spares
    /// reading the lines at all).
    pub also: Option<(&'a str, &'a str)>,
    /// The lines of the finalizations a reopen ended: `(from, condition)`, `from` naming `sales_line_version l`
    /// (or rows of it held by a report stage). They are read as lines of a finalization voided on its reopen
    /// date (`id` is the line's, `voided_on` the reopen date), so a version counts on [`finalized_on`,
    /// `reopened_on`).
    pub versions: Option<(&'a str, &'a str)>,
}

/// `extra` (each piece's additional costs, and the date of the last) and `lines`: the sales lines `filter`
/// keeps, with their dimensions, `revenue` (qty × price − adjustment − trade concession), `cost` by the
/// chosen basis, and the dates their counting depends on (`finalized_on`, `voided_on`, and `costed_on`: the
/// last additional cost of a piece whose live cost includes them).
pub fn lines_cte(l: &Lines) -> String {
    let cost = if l.live {
        "case when l.kind = 'misc' then 0
              when l.kind = 'service' then coalesce(wo.bench_cost, l.cost)
              when l.serialized and l.kind in ('sale', 'return')
                then (case when l.qty < 0 then -1 else 1 end) * (l.base_cost + coalesce(x.v, 0))
              else l.cost end"
    } else {
        "case when l.kind = 'misc' then 0 else l.cost end"
    };
    let costs_on = l.costs_on.map(|d| format!(" where cost_date <= {d}")).unwrap_or_default();
    // a version is in effect only before its reopen date, which already makes its month stale for any date it
    // counts on: the costs added to its pieces date nothing
    let select = |from: &str, filter: &str, (id, end, costed): (&str, &str, &str)| {
        format!(
            "select l.org_id, {id} as id, l.invoice_id, l.invoice_no, l.line_no, l.invoice_date, l.store_id, l.customer_id,
                  l.salesperson_id, l.kind, l.item_id, l.description, l.qty, l.list_price, l.amount,
                  coalesce(l.serialized, false) as serialized, coalesce(l.stock_no, '') as stock_no, s.family,
                  s.category,
                  l.amount - l.trade_concession as revenue,
                  {cost} as cost,
                  l.finalized_on, {end} as voided_on, {costed} as costed_on
           from {from}
                left join style s on s.id = coalesce(l.style_id, l.item_style_id)
                left join extra x on x.item_id = l.item_id
                left join work_order wo on wo.id = l.work_order_id
           where {filter}"
        )
    };
    let current = ("l.id", "l.voided_on", "case when l.serialized and l.kind in ('sale', 'return') then x.last_on end");
    let mut lines = select("sales_line l", l.filter, current);
    if let Some((from, filter)) = l.also {
        lines = format!("{lines}\n           union all\n           {}", select(from, filter, current));
    }
    if let Some((from, filter)) = l.versions {
        let kept = ("l.line_id", "l.reopened_on", "cast(null as date)");
        lines = format!("{lines}\n           union all\n           {}", select(from, filter, kept));
    }
    format!(
        "extra as (select item_id, sum(amount) as v, max(cost_date) as last_on from item_cost{costs_on} group by item_id),
         lines as (
           {lines}
         )"
    )
}

/// `partner_rows`: the lines again, once per partner of a co-owned piece (a line with no partner once), each
/// with that partner's suggested payout and part of the line's GP in cents. An owner-percent partner gets
/// percent × cost basis (the agreed basis, or the line's cost) + percent × GP; a profit-only partner percent ×
/// GP; each part rounded to the cent; returns reverse them. The line's own measures belong to its `first_row`
/// only, so a summary sums every row in one pass over the lines.
pub fn partner_rows_cte() -> String {
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
pub const PAYOUTS_CTE: &str = "payouts as (
           select id as line_id, sum(payout_cents) as payout_cents, sum(partner_gp_cents) as partner_gp_cents
           from partner_rows where partnered group by id
         )";

/// The line kinds that are revenue.
pub const REVENUE_KINDS: &str = "'sale', 'return', 'service', 'misc'";

/// The rows of `sales_month` for the lines `filter` keeps (whole months), from the lake's lines as they stand:
/// every line of a finalized or voided invoice, so a month whose lines were all voided still says when, and
/// every line of a finalization a reopen ended, read as voided on its reopen date: counted nowhere, it dates
/// its month (also while the invoice is open again), so as of a date before the reopen the month is read from
/// the lines and versions.
pub fn month_rows_sql(filter: &str) -> String {
    let lines = lines_cte(&Lines {
        costs_on: None,
        live: true,
        filter: &format!("l.kind in ({REVENUE_KINDS}) and l.status in ('finalized', 'voided') and ({filter})"),
        also: None,
        versions: Some(("sales_line_version l", &format!("l.kind in ({REVENUE_KINDS}) and ({filter})"))),
    });
    let never = "date '0001-01-01'";
    let listed = "counted and first_row and kind = 'sale' and list_price is not null and qty > 0";
    let money = |x: &str| format!("cast({x} as decimal(18, 2))");
    format!(
        "with {lines}, {partners},
         g as (
           select r.*, r.voided_on is null as counted, cast(date_trunc('month', r.invoice_date) as date) as first_day,
                  greatest(coalesce(r.finalized_on, {never}), coalesce(r.voided_on, {never}),
                           coalesce(r.costed_on, {never})) as changed
           from partner_rows r
         ),
         groups as (
           select org_id, first_day, store_id, salesperson_id, family, category,
                  count(case when counted and first_row then 1 end) as lines,
                  sum(case when counted and first_row then revenue else 0 end) as revenue,
                  sum(case when counted and first_row then cost else 0 end) as cost,
                  sum(case when counted then payout_cents else 0 end) as payout_cents,
                  sum(case when counted then partner_gp_cents else 0 end) as partner_gp_cents,
                  count(case when {listed} then 1 end) as list_lines,
                  sum(case when {listed} then qty * list_price else 0 end) as list,
                  sum(case when {listed} then revenue else 0 end) as list_net,
                  sum(case when {listed} then cost else 0 end) as list_cost,
                  max(changed) as changed
           from g group by org_id, first_day, store_id, salesperson_id, family, category
         )
         select org_id,
                cast(cast(first_day as int) as bigint) * 1000000 + row_number() over (
                  partition by org_id, first_day
                  order by store_id, salesperson_id nulls first, family nulls first, category nulls first) as id,
                store_id, salesperson_id, family, category, lines, {revenue} as revenue, {cost} as cost,
                {payouts} as payouts, {partner_gp} as partner_gp, list_lines, {list} as list,
                {list_net} as list_net, {list_cost} as list_cost,
                max(changed) over (partition by org_id, first_day) as changed_on, first_day, first_day as month
         from groups",
        partners = partner_rows_cte(),
        revenue = money("revenue"),
        cost = money("cost"),
        payouts = money(&money_of_cents("payout_cents")),
        partner_gp = money(&money_of_cents("partner_gp_cents")),
        list = money("list"),
        list_net = money("list_net"),
        list_cost = money("list_cost"),
    )
}
