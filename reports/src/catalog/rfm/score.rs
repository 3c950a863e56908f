//! RFM's scoring, folded over the window's invoices in one pass: each customer's measures gathered in arrays
//! indexed by customer id (ids are dense: the books number contacts in turn), then the quantile cuts found by
//! selection instead of a sort, then each customer scored and named. Grouping a few million invoices into as
//! many customers is what a hash aggregate does slowly; an array indexed by the key does it at memory speed.

use std::collections::HashMap;
use std::sync::Arc;

use warehouse::arrow::array::{
    Array, AsArray, Date32Array, Decimal128Array, DictionaryArray, Int8Array, Int64Array, RecordBatch, StringArray,
};
use warehouse::arrow::compute::{max, min};
use warehouse::arrow::datatypes::{DataType, Date32Type, Decimal128Type, Field, Int8Type, Int64Type, Schema};

use super::{GRID, SEGMENTS};
use crate::engine::Fold;
use crate::error::{Error, Result};

/// A customer's measures so far.
#[derive(Clone, Copy, Default)]
struct Measures {
    /// Date of the last invoice of positive net (days since the epoch); meaningless while `frequency` is 0.
    last: i32,
    /// Invoices of positive net.
    frequency: u32,
    /// Net of all the window's invoices, in cents.
    monetary: i128,
}

impl Measures {
    fn add(&mut self, day: i32, net: i128) {
        if net > 0 {
            self.last = if self.frequency == 0 { day } else { self.last.max(day) };
            self.frequency += 1;
        }
        self.monetary += net;
    }
}

/// Measures by customer id: in an array from the lowest id seen while the ids are dense enough, else in a map.
enum ByCustomer {
    Dense { base: i64, slots: Vec<Measures> },
    Sparse(HashMap<i64, Measures>),
}

impl ByCustomer {
    /// The array may span this many slots per invoice seen (and at least `FLOOR`) before it turns into a map.
    const SPREAD: usize = 4;
    const FLOOR: usize = 1 << 20;

    /// Makes room for the ids `low..=high`, `seen` invoices in: the array grows to cover them, or becomes a
    /// map when it would be too wide for the invoices it holds.
    fn cover(&mut self, low: i64, high: i64, seen: usize) {
        let ByCustomer::Dense { base, slots } = self else { return };
        if slots.is_empty() {
            *base = low;
        }
        let from = (*base).min(low);
        let to = base.saturating_add(slots.len() as i64).max(high.saturating_add(1));
        let span = to.checked_sub(from).and_then(|s| usize::try_from(s).ok()).unwrap_or(usize::MAX);
        if span > Self::FLOOR.max(seen.saturating_mul(Self::SPREAD)) {
            let map = std::mem::take(slots)
                .into_iter()
                .enumerate()
                .filter(|(_, m)| m.frequency > 0 || m.monetary != 0)
                .map(|(i, m)| (*base + i as i64, m))
                .collect();
            *self = ByCustomer::Sparse(map);
            return;
        }
        if from < *base {
            // room below, as much again as the array holds, so a falling run of ids is not copied often
            let below = from.saturating_sub(slots.len() as i64);
            let grow = usize::try_from(*base - below).unwrap_or(0);
            slots.splice(0..0, std::iter::repeat_n(Measures::default(), grow));
            *base = below;
        }
        let need = usize::try_from(to - *base).unwrap_or(0);
        if need > slots.len() {
            slots.resize(need.max(slots.len() * 2).min(need + Self::FLOOR), Measures::default());
        }
    }

    /// Adds an invoice of customer `id`, whose id [`ByCustomer::cover`] has made room for.
    fn add(&mut self, id: i64, day: i32, net: i128) {
        match self {
            ByCustomer::Dense { base, slots } => {
                if let Some(m) = usize::try_from(id - *base).ok().and_then(|i| slots.get_mut(i)) {
                    m.add(day, net);
                }
            }
            ByCustomer::Sparse(map) => map.entry(id).or_default().add(day, net),
        }
    }

    /// Every customer with an invoice of positive net, in id order when dense.
    fn in_scope(self) -> Vec<(i64, Measures)> {
        match self {
            ByCustomer::Dense { base, slots } => slots
                .into_iter()
                .enumerate()
                .filter(|(_, m)| m.frequency > 0)
                .map(|(i, m)| (base + i as i64, m))
                .collect(),
            ByCustomer::Sparse(map) => {
                let mut v: Vec<(i64, Measures)> = map.into_iter().filter(|(_, m)| m.frequency > 0).collect();
                v.sort_unstable_by_key(|(id, _)| *id);
                v
            }
        }
    }
}

/// The fold: fed `customer_id`, `invoice_date`, `net_sales` of each invoice in the window.
pub(super) struct Scoring {
    /// The as-of date, days since the epoch.
    as_of: i64,
    seen: usize,
    by: ByCustomer,
}

impl Scoring {
    pub(super) fn new(as_of: i64) -> Scoring {
        Scoring { as_of, seen: 0, by: ByCustomer::Dense { base: 0, slots: Vec::new() } }
    }
}

fn column<'a>(batch: &'a RecordBatch, name: &'static str) -> Result<&'a dyn Array> {
    batch.column_by_name(name).map(|c| c.as_ref()).ok_or(Error::Shape { report: "rfm", view: "scoring", column: name })
}

impl Fold for Scoring {
    fn add(&mut self, batch: &RecordBatch) -> Result<()> {
        let wrong = |column| Error::Shape { report: "rfm", view: "scoring", column };
        let ids = column(batch, "customer_id")?.as_primitive_opt::<Int64Type>().ok_or(wrong("customer_id"))?;
        let days = column(batch, "invoice_date")?.as_primitive_opt::<Date32Type>().ok_or(wrong("invoice_date"))?;
        let nets = column(batch, "net_sales")?.as_primitive_opt::<Decimal128Type>().ok_or(wrong("net_sales"))?;
        let (Some(low), Some(high)) = (min(ids), max(ids)) else { return Ok(()) };
        self.seen += batch.num_rows();
        self.by.cover(low, high, self.seen);
        if ids.null_count() + days.null_count() + nets.null_count() == 0 {
            let rows = ids.values().iter().zip(days.values().iter()).zip(nets.values().iter());
            for ((id, day), net) in rows {
                self.by.add(*id, *day, *net);
            }
        } else {
            // the lake's columns are required: a row without one is a defect of the lake, skipped, not counted
            tracing::warn!(rows = batch.num_rows(), "rfm: invoices without customer, date or net skipped");
            for ((id, day), net) in ids.iter().zip(days.iter()).zip(nets.iter()) {
                if let (Some(id), Some(day), Some(net)) = (id, day, net) {
                    self.by.add(id, day, net);
                }
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<RecordBatch> {
        let customers = self.by.in_scope();
        let n = customers.len();
        let recency: Vec<i64> = customers.iter().map(|(_, m)| self.as_of - i64::from(m.last)).collect();
        let frequency: Vec<i64> = customers.iter().map(|(_, m)| i64::from(m.frequency)).collect();
        let monetary: Vec<i128> = customers.iter().map(|(_, m)| m.monetary).collect();
        let (r_cuts, f_cuts, m_cuts) = (cuts(&recency), cuts(&frequency), cuts(&monetary));
        // the grid's names as their places in SEGMENTS, the segment column's dictionary
        let grid = GRID.map(|row| row.map(|name| SEGMENTS.iter().position(|s| *s == name).unwrap_or(0) as i8));

        let (mut r, mut f, mut m, mut fm, mut segment) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for i in 0..n {
            let ri = 6 - score(&r_cuts, i128::from(recency[i]));
            let fi = score(&f_cuts, i128::from(frequency[i]));
            let mi = score(&m_cuts, monetary[i]);
            let fmi = (fi + mi + 1) / 2;
            let index = grid[usize::try_from(5 - fmi).unwrap_or(0)][usize::try_from(ri - 1).unwrap_or(0)];
            r.push(ri);
            f.push(fi);
            m.push(mi);
            fm.push(fmi);
            segment.push(index);
        }

        let ids = Int64Array::from_iter_values(customers.iter().map(|(id, _)| *id));
        let last = Date32Array::from_iter_values(customers.iter().map(|(_, m)| m.last));
        let monetary = Decimal128Array::from(monetary).with_precision_and_scale(38, 2)?;
        let names = Arc::new(StringArray::from_iter_values(SEGMENTS.iter()));
        let segment = DictionaryArray::<Int8Type>::try_new(Int8Array::from(segment), names)?;
        let count = |k: &str| Field::new(k, DataType::Int64, false);
        let schema = Schema::new(vec![
            count("customer_id"),
            Field::new("last_purchase", DataType::Date32, false),
            count("recency"),
            count("frequency"),
            Field::new("monetary", DataType::Decimal128(38, 2), false),
            count("r"),
            count("f"),
            count("m"),
            count("fm"),
            Field::new("segment", segment.data_type().clone(), false),
        ]);
        Ok(RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(ids),
                Arc::new(last),
                Arc::new(Int64Array::from(recency)),
                Arc::new(Int64Array::from(frequency)),
                Arc::new(monetary),
                Arc::new(Int64Array::from(r)),
                Arc::new(Int64Array::from(f)),
                Arc::new(Int64Array::from(m)),
                Arc::new(Int64Array::from(fm)),
                Arc::new(segment),
            ],
        )?)
    }
}

/// Five times each of the 20/40/60/80 % cuts of `values` by linear interpolation (as PERCENTILE_CONT), exact:
/// with the n values sorted, cut k sits at position k·(n − 1)/5, so 5 × cut = 5·x[lo] + rem·(x[lo+1] − x[lo])
/// where lo and rem are the quotient and remainder of k·(n − 1) by 5 (x[lo+1] is x[lo] at the last position).
///
/// The values at those positions are selected, not sorted for: from the highest position down, each
/// selection partitions what lies below the one before.
fn cuts<T: Ord + Copy + Into<i128>>(values: &[T]) -> [i128; 4] {
    let n = values.len();
    if n == 0 {
        return [0; 4];
    }
    let mut v = values.to_vec();
    let mut out = [0i128; 4];
    // v[upper] holds the value at sorted position `upper` once it has been selected; below it, v is unordered
    let mut upper = n;
    let mut known: Option<(usize, i128, i128)> = None;
    for k in (1..=4).rev() {
        let lo = k * (n - 1) / 5;
        let rem = i128::try_from(k * (n - 1) % 5).unwrap_or(0);
        let (x, next) = match known {
            Some((at, x, next)) if at == lo => (x, next),
            _ => {
                let (_, x, above) = v[..upper].select_nth_unstable(lo);
                let x: i128 = (*x).into();
                let next = match above.iter().min() {
                    Some(y) => (*y).into(),
                    None if upper < n => v[upper].into(),
                    None => x,
                };
                upper = lo;
                (x, next)
            }
        };
        known = Some((lo, x, next));
        out[k - 1] = 5 * x + rem * (next - x);
    }
    out
}

/// 1 + the number of cuts strictly below the value (cuts are five times their value).
fn score(cuts: &[i128; 4], x: i128) -> i64 {
    1 + cuts.iter().filter(|c| **c < 5 * x).count() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cuts of the hand-worked RFM test: recency 9, 68.2, 136.6, 320.8; frequency 1.8, 2, 2, 2.2;
    /// monetary 330, 520, 760, 1,200 (PERCENTILE_CONT of five values: positions 0.8, 1.6, 2.4, 3.2).
    #[test]
    fn cuts_interpolate_between_the_values_either_side() {
        assert_eq!(cuts(&[10i64, 5, 181, 880, 107]), [45, 341, 683, 1604]);
        assert_eq!(cuts(&[3i64, 1, 2, 2, 2]), [9, 10, 10, 11]);
        assert_eq!(cuts(&[600i128, 50, 2000, 400, 1000]), [1650, 2600, 3800, 6000]);
        // one value: every cut is that value; ties share a score
        assert_eq!(cuts(&[7i64]), [35; 4]);
        assert_eq!(score(&cuts(&[2i64, 2, 2, 2]), 2), 1);
    }

    /// A second method: sort, then interpolate as PERCENTILE_CONT does, on many sizes of pseudo-random values
    /// with many ties.
    #[test]
    fn cuts_equal_sorting_and_interpolating() {
        let mut seed = 12345u64;
        for n in 1..200usize {
            let values: Vec<i64> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    i64::try_from((seed >> 33) % (n as u64 / 3 + 2)).unwrap_or(0)
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let expect: Vec<i128> = (1..=4)
                .map(|k| {
                    let (lo, rem) = (k * (n - 1) / 5, (k * (n - 1) % 5) as i128);
                    let hi = (lo + 1).min(n - 1);
                    5 * i128::from(sorted[lo]) + rem * i128::from(sorted[hi] - sorted[lo])
                })
                .collect();
            assert_eq!(cuts(&values).to_vec(), expect, "n = {n}");
        }
    }

    #[test]
    fn ids_too_spread_for_an_array_go_to_a_map_and_lose_nothing() {
        let mut by = ByCustomer::Dense { base: 0, slots: Vec::new() };
        let mut seen = 0;
        let mut add = |by: &mut ByCustomer, id: i64, day: i32, net: i128| {
            seen += 1;
            by.cover(id, id, seen);
            by.add(id, day, net);
        };
        add(&mut by, 5, 100, 1000);
        add(&mut by, 3, 90, -200);
        add(&mut by, 5, 110, 500);
        add(&mut by, 3, 95, 300);
        assert!(matches!(by, ByCustomer::Dense { .. }));
        add(&mut by, i64::MAX / 2, 120, 100);
        add(&mut by, -7, 80, -100);
        assert!(matches!(by, ByCustomer::Sparse(_)));
        let got: Vec<(i64, i32, u32, i128)> =
            by.in_scope().into_iter().map(|(id, m)| (id, m.last, m.frequency, m.monetary)).collect();
        assert_eq!(got, [(3, 95, 1, 100), (5, 110, 2, 1500), (i64::MAX / 2, 120, 1, 100)]);
    }
}
