//! Reading a table's rows from the books and turning them into Arrow: ids and quantities as `Int64`, dates as
//! `Date32`, money (integer cents in the books) as `Decimal128(18, 2)`, rates (parts per million) as
//! `Decimal128(10, 4)` percent, so no amount ever passes through a float.

use std::sync::Arc;

use chrono::{Datelike as _, NaiveDate};
use oltp::ReadTx;
use oltp::db::{Column, ColumnType, Q};
use warehouse::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray,
};
use warehouse::{Kind, Table};

use crate::error::{Error, Result};
use crate::transforms::Transform;

/// Rows read per query when a whole table is loaded (keyset pages, so memory stays bounded).
pub(crate) const PAGE: usize = 20_000;
/// Ids per `in (…)` list.
pub(crate) const IDS_PER_QUERY: usize = 500;

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("1970-01-01 is a date");

/// The rows of `tr`'s table whose keys are `ids`, as they are in the snapshot.
pub(crate) async fn by_keys(rt: &mut ReadTx, tr: &Transform, ids: &[i64]) -> Result<Vec<RecordBatch>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        match read(rt, tr.table, keyed(tr, chunk)).await {
            Ok((batch, _)) => out.push(batch),
            Err(Error::Books(e)) => return Err(culprit(rt, tr, chunk, e).await),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// One page of the whole table: rows with a key above `after`, in key order; returns the batch and the last
/// key (`None` when the table is exhausted).
pub(crate) async fn page(rt: &mut ReadTx, tr: &Transform, after: i64) -> Result<(RecordBatch, Option<i64>)> {
    let filter = tr.select.replace("{filter}", &format!("{} > $1", tr.key));
    let sql = format!("{filter} order by {} limit {PAGE}", tr.key);
    match read(rt, tr.table, Q::built(sql).bind(after)).await {
        Err(Error::Books(e)) => {
            // the page's keys alone read fine whatever the other columns hold
            let keys = format!("select x.id as id from ({filter} order by {} limit {PAGE}) x", tr.key);
            let ids = match rt.fetch_columns(Q::built(keys).bind(after), &[("id", ColumnType::Int)]).await {
                Ok(cols) => ints(&cols, 0).into_iter().flatten().collect::<Vec<i64>>(),
                Err(_) => return Err(Error::Books(e)),
            };
            Err(culprit(rt, tr, &ids, e).await)
        }
        other => other,
    }
}

fn keyed(tr: &Transform, ids: &[i64]) -> Q {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    Q::built(tr.select.replace("{filter}", &format!("{} in ({list})", tr.key)))
}

fn ints(cols: &[Column], i: usize) -> Vec<Option<i64>> {
    match cols.get(i) {
        Some(Column::Int(v)) => v.clone(),
        _ => Vec::new(),
    }
}

/// Reading the rows `ids` of `tr` failed with `e` (a value of the wrong type in SQLite, a sum past 64 bits):
/// reads them one by one to name the row at fault, by org, table and id. When no single row fails (or the
/// database cannot go on after the error, as PostgreSQL cannot), `e` is returned as it was.
async fn culprit(rt: &mut ReadTx, tr: &Transform, ids: &[i64], e: oltp::Error) -> Error {
    if rt.dialect() == oltp::Dialect::Postgres {
        // its snapshot's transaction is over after an error
        return Error::Books(e);
    }
    for &id in ids {
        let why = match read(rt, tr.table, keyed(tr, &[id])).await {
            Ok(_) => continue,
            Err(Error::Books(why)) => why,
            Err(other) => return other,
        };
        // the org alone reads fine: the failing column is not converted
        let org = format!("select x.org_id as org_id from ({}) x", keyed(tr, &[id]).sql());
        let org = match rt.fetch_columns(Q::built(org), &[("org_id", ColumnType::Int)]).await {
            Ok(cols) => ints(&cols, 0).first().copied().flatten(),
            Err(_) => None,
        };
        return match org {
            Some(org) => {
                let why = match why {
                    oltp::Error::Database(why) => why,
                    other => other.to_string(),
                };
                Error::Unlandable { org, table: tr.table.name, id, why }
            }
            None => Error::Books(why),
        };
    }
    Error::Books(e)
}

/// How the books hold a lake column's values (`None`: derived, not read).
fn source(k: Kind) -> Option<ColumnType> {
    match k {
        Kind::Id | Kind::Int | Kind::Money | Kind::Percent => Some(ColumnType::Int),
        Kind::Text => Some(ColumnType::Text),
        Kind::Date => Some(ColumnType::Date),
        Kind::Bool => Some(ColumnType::Bool),
        Kind::MonthOf(_) | Kind::ZeroOf(_) => None,
    }
}

fn days(d: NaiveDate) -> i32 {
    (d - EPOCH).num_days() as i32
}

/// The largest unscaled value of the lake's decimals: money is `Decimal128(18, 2)`, a percent `Decimal128(10, 4)`.
fn limit(k: Kind) -> i64 {
    if k == Kind::Money { 999_999_999_999_999_999 } else { 9_999_999_999 }
}

/// Reads `q` (which selects the table's columns by their lake names) into a batch in the table's schema, and
/// returns the last row's key. A figure outside the lake's decimal type is refused, naming its row: written
/// anyway, it would fail every later commit of the table (or worse) for every org.
async fn read(rt: &mut ReadTx, t: &'static Table, q: Q) -> Result<(RecordBatch, Option<i64>)> {
    let want: Vec<(&str, ColumnType)> = t.columns.iter().filter_map(|c| source(c.kind).map(|s| (c.name, s))).collect();
    let cols = rt.fetch_columns(q, &want).await?;
    let by_name = |name: &str| want.iter().position(|(n, _)| *n == name).and_then(|i| cols.get(i));
    let rows = cols.first().map_or(0, Column::len);
    for c in t.columns.iter().filter(|c| matches!(c.kind, Kind::Money | Kind::Percent)) {
        let Some(Column::Int(v)) = by_name(c.name) else { continue };
        let Some(row) = v.iter().position(|x| x.is_some_and(|x| x.unsigned_abs() > limit(c.kind).unsigned_abs()))
        else {
            continue;
        };
        let at = |name: &str| match by_name(name) {
            Some(Column::Int(v)) => v.get(row).copied().flatten().unwrap_or_default(),
            _ => 0,
        };
        let x = v[row].unwrap_or_default();
        let why = if c.kind == Kind::Money {
            format!(
                "{} {} is outside the lake's money type (at most {} either side of zero)",
                c.name,
                oltp::types::Money(x),
                oltp::types::Money(limit(c.kind))
            )
        } else {
            format!(
                "{} {}% is outside the lake's percent type (at most {}% either side of zero)",
                c.name,
                oltp::types::Rate(x),
                oltp::types::Rate(limit(c.kind))
            )
        };
        return Err(Error::Unlandable { org: at("org_id"), table: t.name, id: at("id"), why });
    }
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(t.columns.len());
    for c in t.columns {
        let array: ArrayRef = match (c.kind, by_name(c.name)) {
            (Kind::Id | Kind::Int, Some(Column::Int(v))) => Arc::new(v.iter().copied().collect::<Int64Array>()),
            (Kind::Money | Kind::Percent, Some(Column::Int(v))) => {
                let (p, s) = if c.kind == Kind::Money { (18, 2) } else { (10, 4) };
                let d: Decimal128Array = v.iter().map(|x| x.map(i128::from)).collect();
                Arc::new(d.with_precision_and_scale(p, s)?)
            }
            (Kind::Text, Some(Column::Text(v))) => Arc::new(v.iter().map(Option::as_deref).collect::<StringArray>()),
            (Kind::Date, Some(Column::Date(v))) => Arc::new(v.iter().map(|d| d.map(days)).collect::<Date32Array>()),
            (Kind::Bool, Some(Column::Bool(v))) => Arc::new(v.iter().copied().collect::<BooleanArray>()),
            (Kind::MonthOf(of), _) => match by_name(of) {
                Some(Column::Date(v)) => {
                    Arc::new(v.iter().map(|d| d.map(|d| days(d.with_day(1).unwrap_or(d)))).collect::<Date32Array>())
                }
                _ => return Err(Error::Shape(format!("{}.{}: no date column {of}", t.name, c.name))),
            },
            (Kind::ZeroOf(sum), _) => {
                let mut total = vec![0_i128; rows];
                for (sign, of) in warehouse::zero_terms(sum) {
                    let Some(Column::Int(v)) = by_name(of) else {
                        return Err(Error::Shape(format!("{}.{}: no whole-number column {of}", t.name, c.name)));
                    };
                    for (t, x) in total.iter_mut().zip(v) {
                        *t += i128::from(sign) * i128::from(x.unwrap_or_default());
                    }
                }
                Arc::new(total.into_iter().map(|x| Some(x == 0)).collect::<BooleanArray>())
            }
            _ => return Err(Error::Shape(format!("{}.{}: read as the wrong type", t.name, c.name))),
        };
        arrays.push(array);
    }
    let last = match by_name("id") {
        Some(Column::Int(v)) => v.last().copied().flatten(),
        _ => None,
    };
    Ok((RecordBatch::try_new(t.schema(), arrays)?, last))
}
