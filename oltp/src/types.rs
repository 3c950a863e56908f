//! Domain vocabulary. A value that made it into one of these types is valid.
//!
//! Money is integer cents and travels in JSON as a decimal string (`"1250.00"`), never as a JSON number.
//! Rates and shares are parts per million and travel as percent strings (`"6.25"` = 6.25%); so do a store's
//! price multipliers ([`Multiplier`]). Each is bounded where it is parsed (`crate::bounds`), and every figure
//! worked out from them is checked against [`crate::bounds::MAX_TOTAL`] ([`Money::figure`]): no sum or product of money
//! ever wraps.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// An exact amount of money in cents. Parsed from a command, at most [`crate::bounds::MAX_AMOUNT`] either side of zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

impl Money {
    /// The largest amount one money field takes (why: [`crate::bounds`]).
    pub const MAX_AMOUNT: Money = Money(9_999_999_999);
    /// The largest figure the books work out and keep (why: [`crate::bounds`]).
    pub const MAX_TOTAL: Money = Money(999_999_999_999);

    /// Zero dollars.
    pub const ZERO: Money = Money(0);

    /// From whole cents.
    pub const fn cents(c: i64) -> Money {
        Money(c)
    }

    /// From whole dollars.
    pub const fn dollars(d: i64) -> Money {
        Money(d * 100)
    }

    /// The amount in cents.
    pub const fn as_cents(self) -> i64 {
        self.0
    }

    /// A figure the books work out from amounts (a line's qty × price, a total, a lot's pool cost), computed
    /// in `i128` so nothing wraps on the way: kept when it lies within ±[`crate::bounds::MAX_TOTAL`], else refused with an
    /// error naming the `field` and `value` that took it there and saying what (`what`) came to how much.
    pub fn figure(cents: i128, field: &str, value: impl fmt::Display, what: &str) -> Result<Money> {
        if cents.abs() > i128::from(Money::MAX_TOTAL.0) {
            return Err(Error::invalid(
                field,
                value,
                format!("{what} comes to {}; the books keep figures up to {}", Cents(cents), Money::MAX_TOTAL),
            ));
        }
        // within ±MAX_TOTAL, so inside i64
        Ok(Money(cents as i64))
    }

    /// `self + other` as a [`Money::figure`].
    pub fn plus(self, other: Money, field: &str, value: impl fmt::Display, what: &str) -> Result<Money> {
        Money::figure(i128::from(self.0) + i128::from(other.0), field, value, what)
    }

    /// `self × qty` as a [`Money::figure`].
    pub fn times(self, qty: i64, field: &str, value: impl fmt::Display, what: &str) -> Result<Money> {
        Money::figure(i128::from(self.0) * i128::from(qty), field, value, what)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Cents(i128::from(self.0)).fmt(f)
    }
}

/// Cents of any size, printed as dollars (`-12.05`): a figure too large for [`Money`] still prints exactly.
struct Cents(i128);

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Money {
    type Err = String;

    /// A decimal string with at most 2 decimals, at most [`crate::bounds::MAX_AMOUNT`] either side of zero; the error is
    /// `value — rule`, as [`Error::Invalid`] words it.
    fn from_str(s: &str) -> Result<Money, String> {
        let cents =
            parse_fixed(s, 2).ok_or_else(|| format!("{s} — not an amount like \"1250.00\" (at most 2 decimals)"))?;
        if cents.abs() > i128::from(Money::MAX_AMOUNT.0) {
            return Err(format!("{s} — amounts run from -{max} to {max}", max = Money::MAX_AMOUNT));
        }
        Ok(Money(cents as i64))
    }
}

/// In the API's OpenAPI document: a decimal string.
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^-?[0-9]+(\.[0-9]{1,2})?$"))
            .description(Some("an exact amount of money as a decimal string, e.g. \"1250.00\"; never a JSON number"))
            .into()
    }
}

impl utoipa::ToSchema for Money {}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Money, D::Error> {
        d.deserialize_any(Text::<Money>(std::marker::PhantomData))
    }
}

/// Reads a decimal string through the type's `FromStr`; a JSON number of any kind is refused, so no amount
/// or percent passes through binary floating point or is read in some other unit than written. The error is
/// `value — rule` (`ops::parse` puts the value in its place).
struct Text<T>(std::marker::PhantomData<T>);

trait Written: FromStr<Err = String> {
    const WHAT: &'static str;
}

impl Written for Money {
    const WHAT: &'static str = "money is written as a string like \"1250.00\", never a JSON number";
}

impl Written for Rate {
    const WHAT: &'static str = "a percent is written as a string like \"6.25\", never a JSON number";
}

impl Written for Multiplier {
    const WHAT: &'static str = "a multiplier is a percent written as a string like \"200\", never a JSON number";
}

impl<T: Written> serde::de::Visitor<'_> for Text<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::WHAT)
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<T, E> {
        s.parse().map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<T, E> {
        Err(E::custom(format!("{v} — {}", T::WHAT)))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<T, E> {
        Err(E::custom(format!("{v} — {}", T::WHAT)))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<T, E> {
        Err(E::custom(format!("{v} — {}", T::WHAT)))
    }
}

/// A rate or share as parts per million (6.25% = 62_500), from 0% to 100%.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rate(pub i64);

impl Rate {
    /// 0%.
    pub const ZERO: Rate = Rate(0);
    /// 100%.
    pub const ONE: Rate = Rate(1_000_000);

    /// Parts per million.
    pub const fn ppm(self) -> i64 {
        self.0
    }

    /// `amount × rate`, rounded half away from zero to the cent (so a return mirrors its sale exactly). A rate
    /// is at most 100%, so the result is never larger than the amount.
    pub fn apply(self, amount: Money) -> Money {
        let v = div_round(i128::from(amount.0) * i128::from(self.0), 1_000_000);
        // |v| <= |amount| for a parsed rate; one from hand-edited books saturates, and the total it goes into is
        // checked as a figure
        Money(i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX }))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        percent(self.0, f)
    }
}

/// ppm → percent with 4 decimals, trailing zeros trimmed.
fn percent(ppm: i64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let sign = if ppm < 0 { "-" } else { "" };
    let abs = ppm.unsigned_abs();
    let mut s = format!("{}.{:04}", abs / 10_000, abs % 10_000);
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    write!(f, "{sign}{s}")
}

impl FromStr for Rate {
    type Err = String;

    /// A percent string with at most 4 decimals, from 0 to 100; the error is `value — rule`.
    fn from_str(s: &str) -> Result<Rate, String> {
        let ppm = parse_fixed(s, 4).ok_or_else(|| format!("{s} — not a percent like \"6.25\" (at most 4 decimals)"))?;
        if !(0..=i128::from(Rate::ONE.0)).contains(&ppm) {
            return Err(format!("{s} — percents run from 0 to 100"));
        }
        Ok(Rate(ppm as i64))
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Rate, D::Error> {
        d.deserialize_any(Text::<Rate>(std::marker::PhantomData))
    }
}

/// A price multiplier as parts per million of cost (keystone 200% = 2_000_000), from 0% to
/// [`crate::bounds::MAX_MULTIPLIER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Multiplier(pub i64);

impl Multiplier {
    /// The largest price multiplier, 10,000 % (why: [`crate::bounds`]).
    pub const MAX: Multiplier = Multiplier(100_000_000);

    /// Parts per million.
    pub const fn ppm(self) -> i64 {
        self.0
    }

    /// `cost × multiplier` rounded half away from zero to the cent, as a price: refused (naming `field` and the
    /// cost) when it comes to more than [`crate::bounds::MAX_AMOUNT`], the largest price a command could give instead.
    pub fn price(self, cost: Money, field: &str) -> Result<Money> {
        let v = div_round(i128::from(cost.0) * i128::from(self.0), 1_000_000);
        if v.abs() > i128::from(Money::MAX_AMOUNT.0) {
            return Err(Error::invalid(
                field,
                cost,
                format!("× the multiplier {self}% comes to {}, over the largest price {}", Cents(v), Money::MAX_AMOUNT),
            ));
        }
        Ok(Money(v as i64))
    }
}

impl fmt::Display for Multiplier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        percent(self.0, f)
    }
}

impl FromStr for Multiplier {
    type Err = String;

    /// A percent string with at most 4 decimals, from 0 to [`crate::bounds::MAX_MULTIPLIER`]; the error is `value — rule`.
    fn from_str(s: &str) -> Result<Multiplier, String> {
        let ppm = parse_fixed(s, 4).ok_or_else(|| format!("{s} — not a percent like \"200\" (at most 4 decimals)"))?;
        if !(0..=i128::from(Multiplier::MAX.0)).contains(&ppm) {
            return Err(format!("{s} — multipliers run from 0 to {} percent", Multiplier::MAX));
        }
        Ok(Multiplier(ppm as i64))
    }
}

impl Serialize for Multiplier {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Multiplier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Multiplier, D::Error> {
        d.deserialize_any(Text::<Multiplier>(std::marker::PhantomData))
    }
}

/// Parses a decimal with at most `scale` fraction digits into an integer scaled by 10^scale (`None` when it is
/// not one, or has more than 30 digits).
fn parse_fixed(s: &str, scale: u32) -> Option<i128> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if (int.is_empty() && frac.is_empty())
        || frac.len() > scale as usize
        || int.len() > 30
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut frac_val: i128 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    for _ in frac.len()..scale as usize {
        frac_val *= 10;
    }
    let v = int.checked_mul(10_i128.pow(scale))?.checked_add(frac_val)?;
    Some(if neg { -v } else { v })
}

/// `n / d` rounded half away from zero (d > 0).
pub fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

/// Shares `total` over `qty_taken` of `qty_pool` units: `total × taken ÷ pool`, rounded to the cent, with the
/// last units taking whatever is left so nothing is lost to rounding.
/// The share is never larger than `total`, so it cannot overflow.
pub fn prorate(total: Money, qty_taken: i64, qty_pool: i64) -> Money {
    if qty_pool <= 0 || qty_taken >= qty_pool {
        return total;
    }
    if qty_taken <= 0 {
        return Money::ZERO;
    }
    // 0 < taken < pool: |share| < |total|
    Money(div_round(i128::from(total.0) * i128::from(qty_taken), i128::from(qty_pool)) as i64)
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// The stored and JSON spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<$name> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(Error::invalid(stringify!($name), s, format!(
                        "expected one of {}", [$($text),+].join(", ")))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<$name> for crate::db::Arg {
            fn from(v: $name) -> crate::db::Arg {
                crate::db::Arg::Text(Some(v.as_str().to_string()))
            }
        }

        impl From<Option<$name>> for crate::db::Arg {
            fn from(v: Option<$name>) -> crate::db::Arg {
                crate::db::Arg::Text(v.map(|v| v.as_str().to_string()))
            }
        }
    };
}

text_enum!(
    /// The five families of a jeweler's inventory.
    Family {
        /// Finished jewelry.
        Jewelry = "jewelry",
        /// Watches.
        Watches = "watches",
        /// Loose diamonds.
        Diamonds = "diamonds",
        /// Loose colored stones.
        ColoredStones = "colored_stones",
        /// Pearls and strands.
        Pearls = "pearls",
    }
);

text_enum!(
    /// How non-serialized stock is costed out.
    CostingMethod {
        /// First in, first out by acquisition date.
        Fifo = "fifo",
        /// Perpetual weighted average per style and store.
        Average = "average",
    }
);

text_enum!(
    /// The date an invoice's age counts from.
    AgingBasis {
        /// The invoice date.
        InvoiceDate = "invoice_date",
        /// The due date.
        DueDate = "due_date",
    }
);

text_enum!(
    /// What an invoice line is.
    LineKind {
        /// A piece or units sold.
        Sale = "sale",
        /// A previously purchased item coming back (negative quantity).
        Return = "return",
        /// The customer's item taken in against the sale.
        TradeIn = "trade_in",
        /// Repair or custom work (from a work order or ad hoc).
        Service = "service",
        /// A gift card sold (a liability, not revenue).
        GiftCard = "gift_card",
        /// Anything else (engraving, sizing, boxes).
        Misc = "misc",
    }
);

text_enum!(
    /// How a payment was tendered.
    PaymentMethod {
        /// Cash.
        Cash = "cash",
        /// Check.
        Check = "check",
        /// Credit or debit card.
        Card = "card",
        /// The customer's store credit.
        StoreCredit = "store_credit",
        /// A gift card.
        GiftCard = "gift_card",
        /// Anything else (wire, financing).
        Other = "other",
    }
);

text_enum!(
    /// Who owns a stock record.
    Ownership {
        /// Ours (possibly with partners).
        Owned = "owned",
        /// A vendor's, held on memo (consignment in).
        Consigned = "consigned",
    }
);

text_enum!(
    /// A partner's claim on a co-owned piece.
    ShareKind {
        /// Owns a percent: gets that percent of the cost basis back plus that percent of GP.
        Owner = "owner",
        /// Gets a percent of GP and claims no cost.
        ProfitOnly = "profit_only",
    }
);

text_enum!(
    /// The kind of a work order.
    WorkOrderKind {
        /// A customer's piece repaired.
        Repair = "repair",
        /// A custom piece made for a customer.
        Custom = "custom",
        /// Stock made in house.
        Production = "production",
    }
);

text_enum!(
    /// Where a work order stands on the board.
    WorkOrderStatus {
        /// Taken in.
        Received = "received",
        /// On the bench.
        InProgress = "in_progress",
        /// Ready for pickup.
        Ready = "ready",
        /// Invoiced or closed out to inventory.
        Completed = "completed",
        /// Abandoned.
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// A cost booked to a work order.
    BenchCostKind {
        /// Bench labor.
        Labor = "labor",
        /// Metal, stones, findings.
        Material = "material",
        /// An outside shop's bill.
        Outside = "outside",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_parses_and_prints_exactly() {
        assert_eq!("1250.00".parse::<Money>().unwrap(), Money(125_000));
        assert_eq!("0.29".parse::<Money>().unwrap(), Money(29));
        assert_eq!("-3.5".parse::<Money>().unwrap(), Money(-350));
        assert_eq!(Money(-5).to_string(), "-0.05");
        assert!("1.234".parse::<Money>().is_err());
        assert!("1e3".parse::<Money>().is_err());
        assert!("".parse::<Money>().is_err());
        let m: Money = serde_json::from_str("\"19.99\"").unwrap();
        assert_eq!(m, Money(1999));
        assert!(serde_json::from_str::<Money>("20").is_err(), "JSON numbers are refused");
        assert!(serde_json::from_str::<Money>("19.99").is_err(), "floats are refused");
        // the bound, either side of zero, and a cent past it
        assert_eq!("99999999.99".parse::<Money>().unwrap(), Money(9_999_999_999));
        assert_eq!("-99999999.99".parse::<Money>().unwrap(), Money(-9_999_999_999));
        assert_eq!(
            "100000000".parse::<Money>().unwrap_err(),
            "100000000 — amounts run from -99999999.99 to 99999999.99"
        );
        assert_eq!(
            "-100000000.00".parse::<Money>().unwrap_err(),
            "-100000000.00 — amounts run from -99999999.99 to 99999999.99"
        );
    }

    #[test]
    fn rates_round_half_away_from_zero() {
        let six: Rate = "6".parse().unwrap();
        assert_eq!(six, Rate(60_000));
        assert_eq!(six.apply(Money(900_000)), Money(54_000));
        // 6% of 0.25 = 0.015 → 0.02; of -0.25 → -0.02
        assert_eq!(six.apply(Money(25)), Money(2));
        assert_eq!(six.apply(Money(-25)), Money(-2));
        assert_eq!("8.875".parse::<Rate>().unwrap().to_string(), "8.875");
        assert_eq!(Rate(333_300).to_string(), "33.33");
        assert_eq!("100".parse::<Rate>().unwrap(), Rate::ONE);
        assert_eq!("100.0001".parse::<Rate>().unwrap_err(), "100.0001 — percents run from 0 to 100");
        assert_eq!("-0.0001".parse::<Rate>().unwrap_err(), "-0.0001 — percents run from 0 to 100");
    }

    #[test]
    fn figures_are_worked_out_wide_and_kept_inside_the_bound() {
        let max = Money::MAX_TOTAL;
        assert_eq!(Money::figure(i128::from(max.0), "f", 1, "x").unwrap(), max);
        assert_eq!(
            Money(i64::MAX).times(2, "lines[0]", "2 × …", "the line").unwrap_err().to_string(),
            "lines[0]: 2 × … — the line comes to 184467440737095516.14; the books keep figures up to 9999999999.99"
        );
        assert_eq!(
            max.plus(Money(1), "cost", Money(1), "the pool").unwrap_err().to_string(),
            "cost: 0.01 — the pool comes to 10000000000.00; the books keep figures up to 9999999999.99"
        );
        assert_eq!(Money(-1).plus(Money(-1), "f", 0, "x").unwrap(), Money(-2));
        // a price from a multiplier is a price: at most the largest amount
        assert_eq!(Multiplier(2_000_000).price(Money(12_345), "cost").unwrap(), Money(24_690));
        assert_eq!(
            Multiplier(100_000_000).price(Money(9_999_999_999), "cost").unwrap_err().to_string(),
            "cost: 99999999.99 — × the multiplier 10000% comes to 9999999999.00, over the largest price 99999999.99"
        );
    }

    #[test]
    fn prorate_leaves_no_cent_behind() {
        let total = Money(10_000);
        let a = prorate(total, 1, 3);
        let b = prorate(Money(total.0 - a.0), 1, 2);
        let c = prorate(Money(total.0 - a.0 - b.0), 1, 1);
        assert_eq!((a, b, c), (Money(3333), Money(3334), Money(3333)));
        assert_eq!(a.0 + b.0 + c.0, 10_000);
        // never more than the total, whatever the quantities
        assert_eq!(prorate(Money(i64::MAX), 1_000_000 - 1, 1_000_000), Money(9_223_362_813_482_738_952));
        assert_eq!(prorate(total, -1, 3), Money::ZERO);
        assert_eq!(prorate(total, 5, 3), total);
    }
}
