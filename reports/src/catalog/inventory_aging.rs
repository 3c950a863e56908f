//! Inventory aging: how long the owned stock has been held, by age bucket.

use super::buckets::{self, Buckets};
use crate::define::{Bind, Drill, Report, Stage, View, and_id, and_text, date, epoch_days};
use crate::model::{Column, Total, Type};
use crate::param::{Default, Kind, Param, Values};

pub(crate) const REPORT: Report = Report {
    id: "inventory_aging",
    title: "Inventory aging",
    help: "Owned inventory on a date (default today) — in stock or out on memo — by how long it has been held: \
0–90, 91–180, 181–365 and 366+ days from its acquisition date (edges configurable), plus \"No acquisition \
date\" for stock imported without one. Consigned-in (vendor memo) stock is aged separately with \
ownership=consigned.\n\
\n\
A serialized piece ages from its acquisition date at its cost on the date (base plus additional costs dated \
on or before it). A lot's remaining cost layers each age on their own, with the units and cost each held on \
the date; where the org costs by weighted average, each layer holds its units at the lot's average cost on the \
date (the newest layer takes the rounding remainder), so the total always equals inventory valuation's. Items counts distinct stock records (a piece, or a style's lot at a store): a lot whose layers fall \
in several buckets counts once in the total. Retail is quantity × the current retail price.\n\
\n\
Drill: a bucket (or the total) → the pieces and layers in it.",
    views: &[
        View {
            name: "summary",
            title: "by age",
            params: PARAMS,
            columns: |_| SUMMARY_COLUMNS.to_vec(),
            drills: &[Drill { columns: &["bucket"], view: "items", bind: &[("bucket", Bind::Row("bucket_key"))] }],
            sql: summary_sql,
            footer: Some(footer_sql),
            stages: AGED,
        },
        View {
            name: "items",
            title: "items",
            params: ITEM_PARAMS,
            columns: |_| ITEM_COLUMNS.to_vec(),
            drills: &[],
            sql: items_sql,
            footer: Some(footer_sql),
            stages: AGED,
        },
    ],
};

const OWNERSHIP: Param = Param {
    name: "ownership",
    kind: Kind::Choice(&["owned", "consigned"]),
    default: Default::Value("owned"),
    help: "owned stock (default), or consigned-in stock held for vendors",
    label: "Ownership",
};
const BUCKET: Param = Param {
    name: "bucket",
    kind: Kind::Choice(&["b1", "b2", "b3", "b4", "b5", "b6", "b7", "none"]),
    default: Default::None,
    help: "only this bucket (b1 = the youngest …; none = no acquisition date)",
    label: "Bucket",
};
const EDGES: Param = buckets::param("90,180,365");
const PARAMS: &[Param] = &[Param::AS_OF, EDGES, OWNERSHIP, Param::STORE, super::memo::FAMILY];
const ITEM_PARAMS: &[Param] = &[Param::AS_OF, EDGES, OWNERSHIP, Param::STORE, super::memo::FAMILY, BUCKET];

const SUMMARY_COLUMNS: &[Column] = &[
    Column::text_key("bucket_key"),
    Column::new("bucket", "Age (days)", Type::Text, Total::Label),
    Column::count("items", "Items"),
    Column::count("qty", "Quantity"),
    Column::money("cost", "Cost"),
    Column::money("retail", "Retail"),
];

const ITEM_COLUMNS: &[Column] = &[
    Column::text("stock_no", "Stock no"),
    Column::text("description", "Description"),
    Column::text("store", "Store"),
    Column::text("family", "Family"),
    Column::date("acquired", "Acquired"),
    Column::new("age", "Age (days)", Type::Count, Total::None),
    Column::text("bucket", "Bucket"),
    Column::count("qty", "Qty"),
    Column::money("cost", "Cost"),
    Column::money("retail", "Retail"),
];

/// The stock held on the date, computed once per run: the view and its footer both read it.
const AGED: &[Stage] = &[Stage { name: "aged", sql: aged_stage, fold: None }];

fn aged_stage(v: &Values) -> String {
    format!("with {} select * from aged", aged_cte(v))
}

/// `aged`: every piece and every lot layer held on the date, with store, acquisition date, age, bucket key,
/// quantity, cost and retail, and the piece's stock number, description and family.
fn aged_cte(v: &Values) -> String {
    let d = date(v.date("as_of"));
    let b = Buckets::of(v);
    let age = format!("cast({} - cast(acquired as int) as bigint)", epoch_days(v.date("as_of")));
    let ownership = v.text("ownership").unwrap_or("owned");
    format!(
        "held as (select * from ({held}) h where qty <> 0),
         extra as (select item_id, sum(amount) as v from item_cost where cost_date <= {d} group by item_id),
         layers as (select * from ({layers}) l where qty <> 0),
         lot_layers as (
           select it.id, l.store_id, cl.acquired_on as acquired, l.qty, l.cost, l.qty * it.retail_price as retail,
                  it.stock_no, it.style_id, o.costing_method = 'average' as averaged,
                  {share} as share_c,
                  row_number() over (partition by l.item_id, l.store_id
                                     order by cl.acquired_on desc nulls last, l.layer_id desc) = 1 as newest,
                  cast(h.ledger_cost * 100 as bigint) as pool_c
           from layers l join ({items}) it on it.id = l.item_id join ({cost_layers}) cl on cl.id = l.layer_id
                join held h on h.item_id = l.item_id and h.store_id = l.store_id
                join org o on o.id = it.org_id
           where not it.serialized and it.ownership = '{ownership}'
         ),
         parts as (
           select it.id, h.store_id, it.acquired_on as acquired, h.qty,
                  (it.base_cost + coalesce(x.v, 0)) * h.qty as cost, h.qty * it.retail_price as retail,
                  it.stock_no, it.style_id
           from held h join ({items}) it on it.id = h.item_id left join extra x on x.item_id = it.id
           where it.serialized and it.ownership = '{ownership}'
           union all
           select id, store_id, acquired, qty,
                  case when averaged
                       then {share_money}
                       else cost end as cost,
                  retail, stock_no, style_id
           from lot_layers
         ),
         aged as (
           select p.id, p.store_id, p.acquired, p.qty, p.cost, p.retail, p.stock_no, s.description, s.family,
                  {age} as age, case when acquired is null then 'none' else {key} end as bucket_key
           from parts p join style s on s.id = p.style_id
           where true{store}{family}
         )",
        held = super::stock::held_sql(v.date("as_of")),
        layers = super::stock::layers_sql(v.date("as_of")),
        items = super::stock::items_sql(v.date("as_of")),
        cost_layers = super::stock::cost_layers_sql(v.date("as_of")),
        key = b.key_sql(&age),
        share = average_share("cast(h.ledger_cost * 100 as bigint)", "l.qty", "h.qty"),
        share_money = warehouse::sales::money_of_cents(
            "case when newest
                  then pool_c - sum(case when newest then 0 else share_c end) over (partition by id, store_id)
                  else share_c end"
        ),
        store = and_id("p.store_id", v, "store"),
        family = and_text("s.family", v, "family"),
    )
}

/// A layer's part of its lot's pool under weighted average, in cents: pool × qty ÷ lot quantity, rounded half
/// away from zero (the newest layer then takes what is left, so the layers add up to the pool exactly).
fn average_share(pool_cents: &str, qty: &str, lot_qty: &str) -> String {
    let x = format!("2 * {pool_cents} * {qty}");
    format!(
        "(case when {pool_cents} >= 0 then ({x} + {lot_qty}) / (2 * {lot_qty})
               else -((-({x}) + {lot_qty}) / (2 * {lot_qty})) end)"
    )
}

fn bucket_label(b: &Buckets, key: &str) -> String {
    format!("case when {key} = 'none' then 'No acquisition date' else {} end", b.label_sql(key))
}

fn summary_sql(v: &Values) -> String {
    let b = Buckets::of(v);
    let rows: Vec<String> = b
        .keys()
        .iter()
        .enumerate()
        .map(|(i, k)| format!("('{k}', {i})"))
        .chain(std::iter::once(format!("('none', {})", b.keys().len())))
        .collect();
    format!(
        "with all_buckets as (select column1 as bucket_key, column2 as pos from (values {rows}))
         select k.bucket_key, {label} as bucket, count(distinct a.id) as items, coalesce(sum(a.qty), 0) as qty,
                coalesce(sum(a.cost), 0) as cost, coalesce(sum(a.retail), 0) as retail
         from all_buckets k left join aged a on a.bucket_key = k.bucket_key
         group by k.bucket_key, k.pos
         order by k.pos",
        rows = rows.join(", "),
        label = bucket_label(&b, "k.bucket_key"),
    )
}

fn only_bucket(v: &Values) -> String {
    v.text("bucket").map(|k| format!(" where a.bucket_key = '{k}'")).unwrap_or_default()
}

fn items_sql(v: &Values) -> String {
    let b = Buckets::of(v);
    format!(
        "select a.stock_no, a.description, st.name as store, a.family, a.acquired, a.age,
                {label} as bucket, a.qty, a.cost, a.retail
         from aged a join store st on st.id = a.store_id
         {only}
         order by a.acquired nulls first, a.stock_no, a.id",
        label = bucket_label(&b, "a.bucket_key"),
        only = only_bucket(v),
    )
}

/// The footer: a lot whose layers sit in several buckets is one stock record.
fn footer_sql(v: &Values) -> String {
    format!("select count(distinct a.id) as items from aged a{only}", only = only_bucket(v),)
}
