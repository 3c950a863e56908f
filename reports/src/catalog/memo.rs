//! What the memo reports share: where every memo line stood on a date, from its events (issued, invoiced,
//! returned, and their reversals, applied in the order they were recorded), and its cost then.

use crate::define::{and_id, date};
use crate::param::{Default, Kind, Param, Values};

/// The five families, for the `family` filter.
pub(crate) const FAMILY: Param = Param {
    name: "family",
    kind: Kind::Choice(&["jewelry", "watches", "diamonds", "colored_stones", "pearls", "none"]),
    default: Default::None,
    help: "only this family (none: lines without one, such as services)",
    label: "Family",
};

/// `last_event` and `lines`: every memo line dated on or before `on` with its status then (out, invoiced or
/// returned) and the date it last changed. `more` narrows the lines (`and l.memo_date >= …`).
pub(crate) fn ctes(v: &Values, on: chrono::NaiveDate, more: &str) -> String {
    let d = date(on);
    // each line's last event on or before the date: the greatest (date, id), found by one aggregate over a key
    // that orders the same way — days (shifted to stay positive) × 10^12 + id — rather than a window that
    // sorts every line's events
    format!(
        "last_event as (
           select e.memo_line_id, e.event, e.event_date
           from (select max((cast(cast(event_date as int) as bigint) + 1000000) * 1000000000000 + id) as k
                 from memo_line_event where event_date <= {d} group by memo_line_id) x
                join memo_line_event e on e.id = x.k % 1000000000000
         ),
         lines as (
           select l.id, l.memo_id, l.memo_no, l.memo_date, l.store_id, l.customer_id, l.item_id, l.qty, l.memo_price,
                  l.qty * l.memo_price as retail,
                  case e.event when 'invoice' then 'invoiced' when 'return' then 'returned' else 'out' end as status,
                  coalesce(e.event_date, l.memo_date) as changed_on
           from memo_line l left join last_event e on e.memo_line_id = l.id
           where l.memo_date <= {d}{store}{customer}{more}
         )",
        store = and_id("l.store_id", v, "store"),
        customer = and_id("l.customer_id", v, "customer"),
    )
}

/// `unit_cost`, after [`ctes`]: each piece's cost on `on` (a serialized piece's base cost plus the additional
/// costs dated on or before it; a lot's cost on the date ÷ its units then, in stock or on memo), for the lines'
/// pieces held on `on` only (a line out on memo is held). Only reports that show cost take it: the planner
/// plans every CTE written, read or not.
fn unit_cost_cte(on: chrono::NaiveDate) -> String {
    let d = date(on);
    format!(
        "unit_cost as (
           select it.id as item_id,
                  case when it.serialized then it.base_cost + coalesce(ac.v, 0)
                       when lot.units <> 0 then lot.cost / lot.units else 0 end as unit
           from (select distinct item_id from lines) m join ({items}) it on it.id = m.item_id
           left join (select item_id, sum(amount) as v from item_cost
                      where cost_date <= {d} and item_id in (select item_id from lines) group by item_id) ac
             on ac.item_id = it.id
           left join (select item_id, sum(ledger_cost) as cost, sum(qty) as units from ({held}) h
                      where item_id in (select item_id from lines) group by item_id) lot
             on lot.item_id = it.id
         )",
        held = super::stock::held_sql(on),
        items = super::stock::items_sql(on),
    )
}

/// `line_cost`, after [`ctes`]: what each lot line out on memo on `on` holds, at cost — the units of each layer
/// its memo movements left it holding on the date, at that layer's cost per unit then. Under FIFO that is the
/// line's cost (its sale will cost those layers); under weighted average the line's units stay in the pool and
/// cost the lot's average (`unit_cost`).
fn line_cost_cte(on: chrono::NaiveDate) -> String {
    let d = date(on);
    format!(
        "line_cost as (
           select h.line_id, sum(cast(h.n * ly.cost / ly.qty as decimal(18, 2))) as cost
           from (select m.ref_id as line_id, lm.layer_id, sum(lm.memo_qty) as n
                 from layer_move lm join stock_movement m on m.id = lm.movement_id
                 where m.ref_kind = 'memo_line' and lm.memo_qty <> 0 and lm.moved_on <= {d}
                   and m.ref_id in (select id from lines where status = 'out')
                 group by m.ref_id, lm.layer_id) h
                join ({layers}) ly on ly.layer_id = h.layer_id
           where h.n > 0 and ly.qty <> 0
           group by h.line_id
         )",
        layers = super::stock::layers_sql(on),
    )
}

/// Columns of one open memo line with its cost and retail exposure.
pub(crate) const OPEN_LINE_COLUMNS: &[crate::model::Column] = {
    use crate::model::{Column, Total, Type};
    &[
        Column::id("customer_id"),
        Column::id("memo_id"),
        Column::text("memo_no", "Memo"),
        Column::date("memo_date", "Date"),
        Column::text("customer", "Customer"),
        Column::text("stock_no", "Stock no"),
        Column::text("description", "Description"),
        Column::text("family", "Family"),
        Column::count("qty", "Qty"),
        Column::new("age", "Age (days)", Type::Count, Total::None),
        Column::text("bucket", "Bucket"),
        Column::money("cost", "Cost"),
        Column::money("retail", "Retail"),
    ]
};

/// Every line out on memo on the as-of date, with age, bucket, cost and retail; filtered by customer, store,
/// family and bucket when given; oldest first.
pub(crate) fn open_lines_sql(v: &Values) -> String {
    let on = v.date("as_of");
    let b = super::buckets::Buckets::of(v);
    let age = format!("cast({} - cast(l.memo_date as int) as bigint)", crate::define::epoch_days(on));
    let bucket = match v.text("bucket") {
        None | Some("open") => String::new(),
        Some(k) => format!(" and {} = '{k}'", b.key_sql(&age)),
    };
    format!(
        "with {ctes}, {unit_cost}, {line_cost}
         select l.customer_id, l.memo_id, l.memo_no, l.memo_date, c.name as customer, it.stock_no, s.description,
                s.family,
                l.qty, {age} as age, {label} as bucket,
                case when o.costing_method = 'fifo' and lc.cost is not null then lc.cost
                     else cast(l.qty * coalesce(u.unit, 0) as decimal(18, 2)) end as cost,
                l.retail
         from lines l join contact c on c.id = l.customer_id join ({items}) it on it.id = l.item_id
              join style s on s.id = it.style_id join org o on o.id = it.org_id
              left join unit_cost u on u.item_id = l.item_id left join line_cost lc on lc.line_id = l.id
         where l.status = 'out'{family}{bucket}
         order by l.memo_date, l.memo_no, l.id",
        ctes = ctes(v, on, ""),
        unit_cost = unit_cost_cte(on),
        line_cost = line_cost_cte(on),
        items = super::stock::items_sql(on),
        label = b.label_sql(&b.key_sql(&age)),
        family = crate::define::and_text("s.family", v, "family"),
    )
}
