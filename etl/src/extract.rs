//! Reading a table's rows from the books and turning them into Arrow: ids and quantities as `Int64`, dates as
//! `Date32`, money (integer cents in the books) as `Decimal128(18, 2)`, rates (parts per million) as
//! `Decimal128(10, 4)` percent, so no amount ever passes through a float.

use std::sync::Arc;

use chrono::{Datelike as _, NaiveDate};
use oltp::ReadTx;
use oltp::db::{Q, Row};
use warehouse::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, RecordBatch, StringBuilder,
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
        let rows = rt.fetch_all(Q::built(sql)).await?;
        out.push(to_batch(tr.table, &rows)?);
    }
    Ok(out)
}

/// One page of the whole table: rows with a key above `after`, in key order; returns the batch and the last
/// key (`None` when the table is exhausted).
pub(crate) async fn page(rt: &mut ReadTx, tr: &Transform, after: i64) -> Result<(RecordBatch, Option<i64>)> {
    let sql =
        format!("{} order by {} limit {PAGE}", tr.select.replace("{filter}", &format!("{} > $1", tr.key)), tr.key);
    let rows = rt.fetch_all(Q::built(sql).bind(after)).await?;
    let last = match rows.last() {
        Some(r) => Some(r.i64("id")?),
        None => None,
    };
    Ok((to_batch(tr.table, &rows)?, last))
}

/// Rows in the table's schema.
pub(crate) fn to_batch(t: &Table, rows: &[Row]) -> Result<RecordBatch> {
    let n = rows.len();
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(t.columns.len());
    for c in t.columns {
        let name = c.name;
        let array: ArrayRef = match c.kind {
            Kind::Id | Kind::Int => {
                let mut b = Int64Builder::with_capacity(n);
                for r in rows {
                    b.append_option(r.opt_i64(name)?);
                }
                Arc::new(b.finish())
            }
            Kind::Money | Kind::Percent => {
                let (p, s) = if c.kind == Kind::Money { (18, 2) } else { (10, 4) };
                let mut b = Decimal128Builder::with_capacity(n);
                for r in rows {
                    b.append_option(r.opt_i64(name)?.map(i128::from));
                }
                Arc::new(b.finish().with_precision_and_scale(p, s)?)
            }
            Kind::Text => {
                let mut b = StringBuilder::with_capacity(n, n * 16);
                for r in rows {
                    b.append_option(r.opt_text(name)?);
                }
                Arc::new(b.finish())
            }
            Kind::Date => {
                let mut b = Date32Builder::with_capacity(n);
                for r in rows {
                    b.append_option(r.opt_date(name)?.map(|d| (d - EPOCH).num_days() as i32));
                }
                Arc::new(b.finish())
            }
            Kind::MonthOf(of) => {
                let mut b = Date32Builder::with_capacity(n);
                for r in rows {
                    b.append_option(r.opt_date(of)?.map(|d| (d.with_day(1).unwrap_or(d) - EPOCH).num_days() as i32));
                }
                Arc::new(b.finish())
            }
            Kind::Bool => {
                let mut b = BooleanBuilder::with_capacity(n);
                for r in rows {
                    b.append_option(r.opt_bool(name)?);
                }
                Arc::new(b.finish())
            }
        };
        cols.push(array);
    }
    Ok(RecordBatch::try_new(t.schema(), cols)?)
}
