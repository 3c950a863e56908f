//! RFM's scoring, folded over the window's invoices in one pass: each customer's measures gathered in arrays
//! indexed by customer id (ids are dense: the books number contacts in turn), then the quantile cuts found by
//! counting or selection instead of a sort, then each customer scored and named. Grouping a few million invoices into as
//! many customers is what a hash aggregate does slowly; an array indexed by the key does it at memory speed.

use std::collections::HashMap;
use std::sync::Arc;

use warehouse::arrow::array::{
    Array, AsArray, Date32Array, Decimal128Array, DictionaryArray, Int8Array, Int64Array, RecordBatch, StringArray,
};
use warehouse::arrow::compute::{max, min};
use warehouse::arrow::datatypes::{DataType, Date32Type, Decimal128Type, Field, Int8Type, Int64Type, Schema};

use super::{GRID, SEGMENTS};
use crate::define::Fold;
use crate::error::{Error, Result};

/// A customer's measures so far (16 bytes, so a few million customers stay in cache-friendly arrays).
#[derive(Clone, Copy, Default)]
struct Measures {
    /// Date of the last invoice of positive net (days since the epoch); meaningless while `frequency` is 0.
    last: i32,
    /// Invoices of positive net.
    frequency: u32,
    /// Net of all the window's invoices, in cents.
    monetary: i64,
}

impl Measures {
    /// Adds an invoice; false when the net no longer fits (then the sum is wrong and must not be used).
    #[inline]
    fn add(&mut self, day: i32, net: i64) -> bool {
        if net > 0 {
            self.last = if self.frequency == 0 { day } else { self.last.max(day) };
            self.frequency += 1;
        }
        let (sum, overflow) = self.monetary.overflowing_add(net);
        self.monetary = sum;
        !overflow
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
        // only up to the highest id: the Vec's own doubling keeps growth amortized, untouched memory unzeroed
        let need = usize::try_from(to - *base).unwrap_or(0);
        if need > slots.len() {
            slots.resize(need, Measures::default());
        }
    }

    /// Adds an invoice of customer `id`, whose id [`ByCustomer::cover`] has made room for; false on overflow.
    #[inline]
    fn add(&mut self, id: i64, day: i32, net: i64) -> bool {
        match self {
            ByCustomer::Dense { base, slots } => {
                match usize::try_from(id - *base).ok().and_then(|i| slots.get_mut(i)) {
                    Some(m) => m.add(day, net),
                    None => true,
                }
            }
            ByCustomer::Sparse(map) => map.entry(id).or_default().add(day, net),
        }
    }

    /// Every customer with an invoice of positive net, in id order.
    fn in_scope(self) -> Customers {
        let mut out = Customers::default();
        match self {
            ByCustomer::Dense { base, slots } => {
                for (i, m) in slots.iter().enumerate() {
                    if m.frequency > 0 {
                        out.push(base + i as i64, m);
                    }
                }
            }
            ByCustomer::Sparse(map) => {
                let mut v: Vec<(i64, Measures)> = map.into_iter().filter(|(_, m)| m.frequency > 0).collect();
                v.sort_unstable_by_key(|(id, _)| *id);
                for (id, m) in &v {
                    out.push(*id, m);
                }
            }
        }
        out
    }
}

/// The customers in scope, a column per measure.
#[derive(Default)]
struct Customers {
    ids: Vec<i64>,
    last: Vec<i32>,
    frequency: Vec<i64>,
    monetary: Vec<i64>,
}

impl Customers {
    fn push(&mut self, id: i64, m: &Measures) {
        self.ids.push(id);
        self.last.push(m.last);
        self.frequency.push(i64::from(m.frequency));
        self.monetary.push(m.monetary);
    }
}

/// The fold: fed `customer_id`, `invoice_date` and `net` of each invoice in the window.
///
/// Whether the ids are dense enough for an array is judged on the invoices seen so far, so the first batches
/// are held until that is clear: a first batch of a few thousand invoices of a business with two million
/// customers spans nearly every id, which would look sparse for want of invoices, not because of the ids.
pub(super) struct Scoring {
    /// The as-of date, days since the epoch.
    as_of: i64,
    seen: usize,
    /// The lowest and highest customer id seen.
    range: Option<(i64, i64)>,
    /// Batches held until the array or the map is chosen.
    held: Vec<RecordBatch>,
    /// The measures, once chosen.
    by: Option<ByCustomer>,
    /// A customer's net left 64-bit cents (±92 quadrillion dollars): the data, not the report, is wrong.
    overflow: bool,
}

impl Scoring {
    /// Invoices held at most before the ids are taken for sparse.
    const HOLD: usize = 1 << 20;

    pub(super) fn new(as_of: i64) -> Scoring {
        Scoring { as_of, seen: 0, range: None, held: Vec::new(), by: None, overflow: false }
    }

    /// Chooses the array when the ids seen span few enough slots for the invoices seen, the map when they do
    /// not and `must` (or enough invoices have been seen to tell), then folds the batches held.
    fn choose(&mut self, must: bool) -> Result<()> {
        let (low, high) = self.range.unwrap_or((0, -1));
        let span =
            high.checked_sub(low).and_then(|s| usize::try_from(s).ok()).map_or(usize::MAX, |s| s.saturating_add(1));
        self.by = if span <= ByCustomer::FLOOR.max(self.seen.saturating_mul(ByCustomer::SPREAD)) {
            Some(ByCustomer::Dense { base: low, slots: vec![Measures::default(); span] })
        } else if must || self.seen >= Self::HOLD {
            Some(ByCustomer::Sparse(HashMap::new()))
        } else {
            return Ok(());
        };
        for b in std::mem::take(&mut self.held) {
            self.feed(&b)?;
        }
        Ok(())
    }

    /// Adds a batch's invoices to the chosen measures.
    fn feed(&mut self, batch: &RecordBatch) -> Result<()> {
        let (ids, days, nets) = columns(batch)?;
        let Some(by) = self.by.as_mut() else { return Ok(()) };
        let (Some(low), Some(high)) = (min(ids), max(ids)) else { return Ok(()) };
        by.cover(low, high, self.seen);
        let mut fits = true;
        if ids.null_count() + days.null_count() + nets.null_count() == 0 {
            let rows = ids.values().iter().zip(days.values().iter()).zip(nets.values().iter());
            for ((id, day), net) in rows {
                fits &= i64::try_from(*net).is_ok_and(|net| by.add(*id, *day, net));
            }
        } else {
            // the lake's columns are required: a row without one is a defect of the lake, skipped, not counted
            tracing::warn!(rows = batch.num_rows(), "rfm: invoices without customer, date or net skipped");
            for ((id, day), net) in ids.iter().zip(days.iter()).zip(nets.iter()) {
                if let (Some(id), Some(day), Some(net)) = (id, day, net) {
                    fits &= i64::try_from(net).is_ok_and(|net| by.add(id, day, net));
                }
            }
        }
        self.overflow |= !fits;
        Ok(())
    }
}

fn column<'a>(batch: &'a RecordBatch, name: &'static str) -> Result<&'a dyn Array> {
    batch.column_by_name(name).map(|c| c.as_ref()).ok_or(Error::Shape { report: "rfm", view: "scoring", column: name })
}

/// A batch's customer ids, dates and nets.
fn columns(batch: &RecordBatch) -> Result<(&Int64Array, &Date32Array, &Decimal128Array)> {
    let wrong = |column| Error::Shape { report: "rfm", view: "scoring", column };
    Ok((
        column(batch, "customer_id")?.as_primitive_opt::<Int64Type>().ok_or(wrong("customer_id"))?,
        column(batch, "invoice_date")?.as_primitive_opt::<Date32Type>().ok_or(wrong("invoice_date"))?,
        column(batch, "net")?.as_primitive_opt::<Decimal128Type>().ok_or(wrong("net"))?,
    ))
}

impl Fold for Scoring {
    fn add(&mut self, batch: &RecordBatch) -> Result<()> {
        let (ids, _, _) = columns(batch)?;
        let (Some(low), Some(high)) = (min(ids), max(ids)) else { return Ok(()) };
        self.seen += batch.num_rows();
        self.range = Some(self.range.map_or((low, high), |(l, h)| (l.min(low), h.max(high))));
        if self.by.is_some() {
            return self.feed(batch);
        }
        self.held.push(batch.clone());
        self.choose(false)
    }

    fn finish(mut self: Box<Self>) -> Result<RecordBatch> {
        if self.by.is_none() {
            self.choose(true)?;
        }
        if self.overflow {
            return Err(Error::Overflow { report: "rfm", what: "a customer's monetary value".into() });
        }
        let c = self.by.take().map(ByCustomer::in_scope).unwrap_or_default();
        let n = c.ids.len();
        let recency: Vec<i64> = c.last.iter().map(|d| self.as_of - i64::from(*d)).collect();
        let (r_cuts, f_cuts, m_cuts) = (cuts(&recency), cuts(&c.frequency), cuts(&c.monetary));
        // the grid's names as their places in SEGMENTS, the segment column's dictionary
        let grid = GRID.map(|row| row.map(|name| SEGMENTS.iter().position(|s| *s == name).unwrap_or(0) as i8));

        let (mut r, mut f, mut m, mut fm, mut segment) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for ((rec, freq), mon) in recency.iter().zip(&c.frequency).zip(&c.monetary) {
            let ri = 6 - score(&r_cuts, *rec);
            let fi = score(&f_cuts, *freq);
            let mi = score(&m_cuts, *mon);
            let fmi = (fi + mi + 1) / 2;
            r.push(ri);
            f.push(fi);
            m.push(mi);
            fm.push(fmi);
            segment.push(grid[usize::try_from(5 - fmi).unwrap_or(0)][usize::try_from(ri - 1).unwrap_or(0)]);
        }

        let monetary = Decimal128Array::from_iter_values(c.monetary.iter().map(|m| i128::from(*m)))
            .with_precision_and_scale(38, 2)?;
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
                Arc::new(Int64Array::from(c.ids)),
                Arc::new(Date32Array::from(c.last)),
                Arc::new(Int64Array::from(recency)),
                Arc::new(Int64Array::from(c.frequency)),
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
/// The values at those positions are found without sorting: counted when they span a small range (days,
/// invoice counts), else selected from the highest position down, each selection partitioning what lies below
/// the one before.
fn cuts(values: &[i64]) -> [i128; 4] {
    let n = values.len();
    let (Some(low), Some(high)) = (values.iter().min(), values.iter().max()) else { return [0; 4] };
    let positions: [usize; 4] = [1, 2, 3, 4].map(|k| k * (n - 1) / 5);
    let at = if high.abs_diff(*low) < 1 << 16 {
        counted(values, *low, *high, positions)
    } else {
        selected(values, positions)
    };
    [1, 2, 3, 4].map(|k| {
        let (x, next) = at[k - 1];
        5 * i128::from(x) + i128::from((k * (n - 1) % 5) as u8) * i128::from(next - x)
    })
}

/// For each position p, the values at sorted positions p and p + 1 (p itself at the end), from a count of
/// each value.
fn counted(values: &[i64], low: i64, high: i64, positions: [usize; 4]) -> [(i64, i64); 4] {
    let width = usize::try_from(high - low).unwrap_or(0) + 1;
    let mut upto = vec![0usize; width];
    for v in values {
        upto[usize::try_from(v - low).unwrap_or(0)] += 1;
    }
    for i in 1..width {
        upto[i] += upto[i - 1];
    }
    // the value at sorted position p: the first whose running count passes p
    let value = |p: usize| low + upto.partition_point(|c| *c <= p) as i64;
    let last = values.len() - 1;
    positions.map(|p| (value(p), value((p + 1).min(last))))
}

/// As [`counted`], by selection.
fn selected(values: &[i64], positions: [usize; 4]) -> [(i64, i64); 4] {
    let n = values.len();
    let mut v = values.to_vec();
    let mut out = [(0, 0); 4];
    // v[upper] holds the value at sorted position `upper` once it has been selected; below it, v is unordered
    let mut upper = n;
    for k in (0..4).rev() {
        let p = positions[k];
        if k < 3 && positions[k + 1] == p {
            out[k] = out[k + 1];
            continue;
        }
        let (_, x, above) = v[..upper].select_nth_unstable(p);
        let x = *x;
        let next = match above.iter().min() {
            Some(y) => *y,
            None if upper < n => v[upper],
            None => x,
        };
        upper = p;
        out[k] = (x, next);
    }
    out
}

/// 1 + the number of cuts strictly below the value (cuts are five times their value).
fn score(cuts: &[i128; 4], x: i64) -> i64 {
    let x5 = 5 * i128::from(x);
    1 + cuts.iter().filter(|c| **c < x5).count() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cuts of the hand-worked RFM test: recency 9, 68.2, 136.6, 320.8; frequency 1.8, 2, 2, 2.2;
    /// monetary 330, 520, 760, 1,200 (PERCENTILE_CONT of five values: positions 0.8, 1.6, 2.4, 3.2).
    #[test]
    fn cuts_interpolate_between_the_values_either_side() {
        assert_eq!(cuts(&[10, 5, 181, 880, 107]), [45, 341, 683, 1604]);
        assert_eq!(cuts(&[3, 1, 2, 2, 2]), [9, 10, 10, 11]);
        assert_eq!(cuts(&[60_000, 5_000, 200_000, 40_000, 100_000]), [165_000, 260_000, 380_000, 600_000]);
        // one value: every cut is that value; ties share a score
        assert_eq!(cuts(&[7]), [35; 4]);
        assert_eq!(score(&cuts(&[2, 2, 2, 2]), 2), 1);
    }

    /// A second method: sort, then interpolate as PERCENTILE_CONT does, on many sizes of pseudo-random values
    /// with many ties, narrow (counted) and wide (selected).
    #[test]
    fn cuts_equal_sorting_and_interpolating() {
        let mut seed = 12345u64;
        for scale in [1i64, 1 << 20, -(1 << 40)] {
            for n in 1..200usize {
                let values: Vec<i64> = (0..n)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        i64::try_from((seed >> 33) % (n as u64 / 3 + 2)).unwrap_or(0) * scale
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
                assert_eq!(cuts(&values).to_vec(), expect, "n = {n}, scale {scale}");
            }
        }
    }

    fn fold(by: &mut ByCustomer, invoices: &[(i64, i32, i64)]) -> bool {
        let mut fits = true;
        for (seen, (id, day, net)) in invoices.iter().enumerate() {
            by.cover(*id, *id, seen + 1);
            fits &= by.add(*id, *day, *net);
        }
        fits
    }

    #[test]
    fn ids_too_spread_for_an_array_go_to_a_map_and_lose_nothing() {
        let mut by = ByCustomer::Dense { base: 0, slots: Vec::new() };
        assert!(fold(&mut by, &[(5, 100, 1000), (3, 90, -200), (5, 110, 500), (3, 95, 300)]));
        assert!(matches!(by, ByCustomer::Dense { .. }));
        assert!(fold(&mut by, &[(i64::MAX / 2, 120, 100), (-7, 80, -100)]));
        assert!(matches!(by, ByCustomer::Sparse(_)));
        let c = by.in_scope();
        assert_eq!(c.ids, [3, 5, i64::MAX / 2]);
        assert_eq!(c.last, [95, 110, 120]);
        assert_eq!(c.frequency, [1, 2, 1]);
        assert_eq!(c.monetary, [100, 1500, 100]);
    }

    fn invoices(rows: &[(i64, i32, i64)]) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("customer_id", DataType::Int64, false),
            Field::new("invoice_date", DataType::Date32, false),
            Field::new("net", DataType::Decimal128(18, 2), false),
        ]);
        let nets = Decimal128Array::from_iter_values(rows.iter().map(|r| i128::from(r.2)));
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(nets.with_precision_and_scale(18, 2).expect("a money type")),
            ],
        )
        .expect("a batch of invoices")
    }

    /// Two million customers, each batch of invoices spread over all of them: the first batches span far more
    /// ids than they hold invoices, yet the ids are dense, and the fold must settle on the array (the map was
    /// three times slower at the large scale). Every customer's measures equal a map's built alongside.
    #[test]
    fn dense_ids_spread_across_every_batch_still_fold_into_an_array() -> Result<()> {
        let n = 2_000_000i64;
        let mut scoring = Scoring::new(20_000);
        let mut expect: HashMap<i64, Measures> = HashMap::new();
        let (mut seed, mut rows) = (7u64, Vec::new());
        for k in 0..n {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let id = 10 + i64::try_from(seed >> 33).unwrap_or(0) % n;
            let (day, net) = (19_000 + (k % 900) as i32, i64::try_from((seed >> 20) % 10_000).unwrap_or(0) - 1_000);
            expect.entry(id).or_default().add(day, net);
            rows.push((id, day, net));
            if rows.len() == 8192 || k == n - 1 {
                scoring.add(&invoices(&rows))?;
                rows.clear();
            }
        }
        assert!(matches!(scoring.by, Some(ByCustomer::Dense { .. })), "dense ids went to a map");
        let out = Box::new(scoring).finish()?;
        let mut want: Vec<(i64, Measures)> = expect.into_iter().filter(|(_, m)| m.frequency > 0).collect();
        want.sort_unstable_by_key(|(id, _)| *id);
        let ids = out.column(0).as_primitive::<Int64Type>();
        let frequency = out.column(3).as_primitive::<Int64Type>();
        let monetary = out.column(4).as_primitive::<Decimal128Type>();
        assert_eq!(out.num_rows(), want.len());
        for (i, (id, m)) in want.iter().enumerate() {
            assert_eq!(
                (ids.value(i), frequency.value(i), monetary.value(i)),
                (*id, i64::from(m.frequency), i128::from(m.monetary))
            );
        }
        Ok(())
    }

    #[test]
    fn a_handful_of_invoices_with_far_apart_ids_fold_into_a_map() -> Result<()> {
        let mut scoring = Box::new(Scoring::new(200));
        scoring.add(&invoices(&[(1_000_000_000_000, 150, 500), (1, 100, 200), (1, 120, -50)]))?;
        assert!(scoring.by.is_none(), "chosen before the stream ended");
        let out = scoring.finish()?;
        assert_eq!(out.column(0).as_primitive::<Int64Type>().values(), &[1, 1_000_000_000_000]);
        assert_eq!(out.column(4).as_primitive::<Decimal128Type>().values(), &[150, 500]);
        Ok(())
    }

    #[test]
    fn a_net_beyond_64_bit_cents_is_an_error_not_a_wrong_total() {
        let mut by = ByCustomer::Dense { base: 0, slots: Vec::new() };
        assert!(!fold(&mut by, &[(1, 10, i64::MAX), (1, 11, 1)]));
        let mut scoring = Box::new(Scoring::new(100));
        scoring.overflow = true;
        assert!(matches!(scoring.finish(), Err(Error::Overflow { .. })));
    }
}
