//! Inventory valuation: what the owned stock was worth on a date, at cost and at retail.

use crate::define::{Bind, Drill, Report, View, and_id, and_text, date};
use crate::model::{Column, Total, Type};
use crate::param::{Default, Kind, Param, Values};

pub(crate) const REPORT: Report = Report {
    id: "inventory_valuation",
    title: "Inventory valuation",
    help: "Owned inventory on a date (default today) — in stock or out on memo — by family (jewelry, watches, \
diamonds, colored stones, pearls), or by category or store: stock records, quantity, cost, retail and markup.\n\
\n\
Quantities are the stock ledger's on the date. Cost is a serialized piece's base cost plus the additional \
costs (recert, repair, setting …) dated on or before the date; a lot's cost is what its remaining cost layers \
held then (FIFO, or the weighted average where the org costs that way). Co-owned pieces show at full cost. \
Consigned-in (vendor memo) stock is not owned and is left out. Retail is quantity × the current retail price. \
Markup % = (retail − cost) ÷ cost.\n\
\n\
Drill: a family, category or store → its pieces and lots.",
    views: &[
        View {
            name: "summary",
            title: "summary",
            params: PARAMS,
            columns: summary_columns,
            drills: &[Drill {
                columns: &["group"],
                view: "items",
                bind: &[
                    ("family", Bind::Row("family_key")),
                    ("category", Bind::Row("category_key")),
                    ("store", Bind::Row("store_key")),
                ],
            }],
            sql: summary_sql,
            footer: None,
            stages: &[],
        },
        View {
            name: "items",
            title: "items",
            params: ITEM_PARAMS,
            columns: |_| ITEM_COLUMNS.to_vec(),
            drills: &[],
            sql: items_sql,
            footer: None,
            stages: &[],
        },
    ],
};

const BY: Param = Param {
    name: "by",
    kind: Kind::Choice(&["family", "category", "store"]),
    default: Default::Value("family"),
    help: "one row per family (default), category or store",
    label: "By",
};
const CATEGORY: Param =
    Param { name: "category", kind: Kind::Text, default: Default::None, help: "only this category", label: "Category" };
const PARAMS: &[Param] = &[Param::AS_OF, BY, Param::STORE, super::memo::FAMILY];
const ITEM_PARAMS: &[Param] = &[Param::AS_OF, Param::STORE, super::memo::FAMILY, CATEGORY];

const MARKUP: Column = Column::ratio("markup", "Markup %", &[(1, "retail"), (-1, "cost")], &[(1, "cost")]);

fn summary_columns(v: &Values) -> Vec<Column> {
    let label = match v.text("by") {
        Some("category") => "Category",
        Some("store") => "Store",
        _ => "Family",
    };
    vec![
        Column::text_key("family_key"),
        Column::text_key("category_key"),
        Column::id("store_key"),
        Column::new("group", label, Type::Text, Total::Label),
        Column::count("items", "Stock records"),
        Column::count("qty", "Quantity"),
        Column::money("cost", "Cost"),
        Column::money("retail", "Retail"),
        MARKUP,
    ]
}

const ITEM_COLUMNS: &[Column] = &[
    Column::text("stock_no", "Stock no"),
    Column::text("description", "Description"),
    Column::text("store", "Store"),
    Column::text("family", "Family"),
    Column::text("category", "Category"),
    Column::date("acquired_on", "Acquired"),
    Column::count("qty", "Qty"),
    Column::money("cost", "Cost"),
    Column::money("retail", "Retail"),
    MARKUP,
];

/// Every owned stock record held on the as-of date (at the store holding it then) with quantity, cost and
/// retail; `filters` narrows it.
pub(crate) fn held_cte(v: &Values) -> String {
    let d = date(v.date("as_of"));
    format!(
        "held as ({held}),
         extra as (select item_id, sum(amount) as v from item_cost where cost_date <= {d} group by item_id),
         stock as (
           select it.id, h.store_id, it.stock_no, it.acquired_on, it.style_id, s.family, s.category, s.description,
                  h.qty,
                  case when it.serialized then (it.base_cost + coalesce(x.v, 0)) * h.qty else h.ledger_cost end as cost,
                  h.qty * it.retail_price as retail
           from held h join ({items}) it on it.id = h.item_id join style s on s.id = it.style_id
                left join extra x on x.item_id = it.id
           where h.qty <> 0 and it.ownership = 'owned'{store}{family}{category}
         )",
        held = super::stock::held_sql(v.date("as_of")),
        items = super::stock::items_sql(v.date("as_of")),
        store = and_id("h.store_id", v, "store"),
        family = and_text("s.family", v, "family"),
        category = and_text("s.category", v, "category"),
    )
}

fn summary_sql(v: &Values) -> String {
    let (keys, group, join) = match v.text("by") {
        Some("category") => (
            "cast(null as varchar) as family_key, k.category as category_key, cast(null as bigint) as store_key",
            "k.category",
            "",
        ),
        Some("store") => (
            "cast(null as varchar) as family_key, cast(null as varchar) as category_key, k.store_id as store_key",
            "st.name",
            " join store st on st.id = k.store_id",
        ),
        _ => (
            "k.family as family_key, cast(null as varchar) as category_key, cast(null as bigint) as store_key",
            "k.family",
            "",
        ),
    };
    let grouping = match v.text("by") {
        Some("category") => "k.category",
        Some("store") => "k.store_id, st.name",
        _ => "k.family",
    };
    format!(
        "with {held}
         select {keys}, {group} as \"group\", count(distinct k.id) as items, sum(k.qty) as qty, sum(k.cost) as cost,
                sum(k.retail) as retail
         from stock k{join}
         group by {grouping}
         order by \"group\"",
        held = held_cte(v),
    )
}

fn items_sql(v: &Values) -> String {
    format!(
        "with {held}
         select k.stock_no, k.description, st.name as store, k.family, k.category, k.acquired_on, k.qty, k.cost,
                k.retail
         from stock k join store st on st.id = k.store_id
         order by k.family, k.category, k.stock_no, k.id",
        held = held_cte(v),
    )
}
