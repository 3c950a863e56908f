//! Random draws. `f64` lives here only as the shape of a draw; every amount leaves as integer cents.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The generator's one random stream.
pub(super) type Rand = ChaCha8Rng;

/// True with probability `p`.
pub(super) fn chance(rng: &mut Rand, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// A whole number in `lo..=hi` (`lo` when the range is empty).
pub(super) fn between(rng: &mut Rand, lo: i64, hi: i64) -> i64 {
    if hi <= lo { lo } else { rng.random_range(lo..=hi) }
}

/// An index below `n` (`0` when `n` is zero; callers check emptiness first).
pub(super) fn index(rng: &mut Rand, n: usize) -> usize {
    if n <= 1 { 0 } else { rng.random_range(0..n) }
}

/// One element of a non-empty slice.
pub(super) fn pick<'a, T>(rng: &mut Rand, items: &'a [T]) -> &'a T {
    &items[index(rng, items.len())]
}

/// An index drawn in proportion to `weights` (all zero: the first).
pub(super) fn weighted(rng: &mut Rand, weights: &[u32]) -> usize {
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    if total == 0 {
        return 0;
    }
    let mut x = rng.random_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        let w = u64::from(*w);
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// A standard normal draw (Box–Muller).
pub(super) fn normal(rng: &mut Rand) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A log-normal amount around `median_cents`, in cents, at least one dollar.
pub(super) fn lognormal_cents(rng: &mut Rand, median_cents: i64, sigma: f64) -> i64 {
    // the float is only the random factor; the result is whole cents
    let x = median_cents as f64 * (sigma * normal(rng)).exp();
    (x.round() as i64).max(100)
}

/// How often a customer comes back: Pareto-distributed (α ≈ 1.1), so most buy once and a few buy all the
/// time. A whole number of raffle tickets, 1 to 400.
pub(super) fn pareto_tickets(rng: &mut Rand) -> u32 {
    let u = 1.0 - rng.random::<f64>(); // (0, 1]
    (u.powf(-1.0 / 1.1).floor() as u32).clamp(1, 400)
}

/// `cents × percent ÷ 100` with integer rounding, `percent` as a whole number (`235` = 235%).
pub(super) fn percent_of(cents: i64, percent: i64) -> i64 {
    (cents * percent + 50) / 100
}

/// A price the way a jeweler writes it: whole dollars, on a step that grows with the price.
pub(super) fn price_point(cents: i64) -> i64 {
    let step = match cents {
        ..10_000 => 100,
        10_000..100_000 => 500,
        100_000..1_000_000 => 2_500,
        _ => 10_000,
    };
    ((cents + step / 2) / step).max(1) * step
}

/// Whole dollars, rounded down, at least one dollar.
pub(super) fn whole_dollars(cents: i64) -> i64 {
    (cents / 100).max(1) * 100
}
