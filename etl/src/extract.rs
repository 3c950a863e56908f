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

use crate::error::Result;
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
        let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        let sql = tr.select.replace("{filter}", &format!("{} in ({list})", tr.key));
        out.push(read(rt, tr.table, Q::built(sql)).await?.0);
    }
    Ok(out)
}

/// One page of the whole table: rows with a key above `after`, in key order; returns the batch and the last
/// key (`None` when the table is exhausted).
pub(crate) async fn page(rt: &mut ReadTx, tr: &Transform, after: i64) -> Result<(RecordBatch, Option<i64>)> {
    let sql =
        format!("{} order by {} limit {PAGE}", tr.select.replace("{filter}", &format!("{} > $1", tr.key)), tr.key);
    read(rt, tr.table, Q::built(sql).bind(after)).await
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

/// Reads `q` (which selects the table's columns by their lake names) into a batch in the table's schema, and
/// returns the last row's key.
async fn read(rt: &mut ReadTx, t: &Table, q: Q) -> Result<(RecordBatch, Option<i64>)> {
    let want: Vec<(&str, ColumnType)> = t.columns.iter().filter_map(|c| source(c.kind).map(|s| (c.name, s))).collect();
    let cols = rt.fetch_columns(q, &want).await?;
    let by_name = |name: &str| want.iter().position(|(n, _)| *n == name).and_then(|i| cols.get(i));
    let rows = cols.first().map_or(0, Column::len);
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
                _ => return Err(crate::Error::Shape(format!("{}.{}: no date column {of}", t.name, c.name))),
            },
            (Kind::ZeroOf(sum), _) => {
                let mut total = vec![0_i64; rows];
                for (sign, of) in warehouse::zero_terms(sum) {
                    let Some(Column::Int(v)) = by_name(of) else {
                        return Err(crate::Error::Shape(format!("{}.{}: no whole-number column {of}", t.name, c.name)));
                    };
                    for (t, x) in total.iter_mut().zip(v) {
                        *t += sign * x.unwrap_or_default();
                    }
                }
                Arc::new(total.into_iter().map(|x| Some(x == 0)).collect::<BooleanArray>())
            }
            _ => return Err(crate::Error::Shape(format!("{}.{}: read as the wrong type", t.name, c.name))),
        };
        arrays.push(array);
    }
    let last = match by_name("id") {
        Some(Column::Int(v)) => v.last().copied().flatten(),
        _ => None,
    };
    Ok((RecordBatch::try_new(t.schema(), arrays)?, last))
}
