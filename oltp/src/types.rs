//! Domain vocabulary. A value that made it into one of these types is valid.
//!
//! Money is integer cents and travels in JSON as a decimal string (`"1250.00"`), never as a float.
//! Rates and shares are parts per million and travel as percent strings (`"6.25"` = 6.25%).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// An exact amount of money in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

impl Money {
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
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Money {
    type Err = String;

    fn from_str(s: &str) -> Result<Money, String> {
        parse_fixed(s, 2).map(Money).ok_or_else(|| "expected an amount like \"1250.00\" (at most 2 decimals)".into())
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Money, D::Error> {
        d.deserialize_any(Fixed { scale: 100, what: "an amount like \"1250.00\"" }).map(Money)
    }
}

/// Accepts a decimal string (`"12.50"`) or a whole JSON number (`12`, in whole units); a JSON number with a
/// fraction is refused, so no amount ever passes through binary floating point.
struct Fixed {
    scale: i64,
    what: &'static str,
}

impl serde::de::Visitor<'_> for Fixed {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as a string", self.what)
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<i64, E> {
        let digits = if self.scale == 100 { 2 } else { 4 };
        parse_fixed(s, digits)
            .ok_or_else(|| E::custom(format!("{s:?} is not {} (at most {digits} decimals)", self.what)))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<i64, E> {
        v.checked_mul(self.scale).ok_or_else(|| E::custom(format!("{v} is out of range")))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("{v} is out of range"))).and_then(|v| self.visit_i64(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<i64, E> {
        Err(E::custom(format!("{v} is a JSON number with a fraction; write {} as a string", self.what)))
    }
}

/// A rate or share as parts per million (6.25% = 62_500).
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

    /// `amount × rate`, rounded half away from zero to the cent (so a return mirrors its sale exactly).
    pub fn apply(self, amount: Money) -> Money {
        Money(div_round(i128::from(amount.0) * i128::from(self.0), 1_000_000) as i64)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ppm → percent with 4 decimals, trailing zeros trimmed
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let mut s = format!("{}.{:04}", abs / 10_000, abs % 10_000);
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
        write!(f, "{sign}{s}")
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Rate, String> {
        parse_fixed(s, 4).map(Rate).ok_or_else(|| "expected a percent like \"6.25\" (at most 4 decimals)".into())
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Rate, D::Error> {
        d.deserialize_any(Fixed { scale: 10_000, what: "a percent like \"6.25\"" }).map(Rate)
    }
}

/// Parses a decimal with at most `scale` fraction digits into an integer scaled by 10^scale.
fn parse_fixed(s: &str, scale: u32) -> Option<i64> {
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
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut frac_val: i64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    for _ in frac.len()..scale as usize {
        frac_val *= 10;
    }
    let v = int.checked_mul(10_i64.pow(scale))?.checked_add(frac_val)?;
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
pub fn prorate(total: Money, qty_taken: i64, qty_pool: i64) -> Money {
    if qty_pool == 0 || qty_taken >= qty_pool {
        return total;
    }
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
        let m: Money = serde_json::from_str("20").unwrap();
        assert_eq!(m, Money(2000));
        assert!(serde_json::from_str::<Money>("19.99").is_err(), "floats are refused");
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
    }

    #[test]
    fn prorate_leaves_no_cent_behind() {
        let total = Money(10_000);
        let a = prorate(total, 1, 3);
        let b = prorate(Money(total.0 - a.0), 1, 2);
        let c = prorate(Money(total.0 - a.0 - b.0), 1, 1);
        assert_eq!((a, b, c), (Money(3333), Money(3334), Money(3333)));
        assert_eq!(a.0 + b.0 + c.0, 10_000);
    }
}
