//! What a person may type into a command, whatever the command: dates inside the window a jewelry business's
//! books can hold, text no longer than a screen or a PDF can show, and amounts, quantities and percents a
//! jeweler could mean. Dates and text are checked on a command's JSON before it is read (`ops::parse`, the
//! journal's and the API's way in); amounts and percents where they are parsed (`types::Money`, `types::Rate`,
//! `types::Multiplier`), quantities where a command reads them (`check::positive_qty`, `check::qty`). So every
//! operation gets the same bounds and an error naming the field, its value and the rule.
//!
//! Why these figures: the most ever paid for a jewel is about 71 million dollars (the Pink Star, 2017); a jeweler's
//! largest plausible single price, cost or payment is a small fraction of that, so [`MAX_AMOUNT`] (just under
//! 100 million) leaves a wide margin. A figure worked out from amounts — a line's qty × price, a document's
//! total, a lot's pool cost, the sum of a payment's applications — may reach [`MAX_TOTAL`] (just under 10
//! billion): a hundred of the largest amounts. The lake keeps money as `Decimal128(18, 2)`, whose largest value
//! (just under 10 million billion) is a million times [`MAX_TOTAL`], so even its sums over many rows (a month of
//! sales, a customer's balance) stay far inside it; and i64 cents, the books' type, hold ten times more again.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::types::{Money, Multiplier};

/// The largest amount one money field of a command takes, either side of zero: 99,999,999.99.
pub const MAX_AMOUNT: Money = Money::MAX_AMOUNT;
/// The largest figure the books work out from amounts and keep, either side of zero: 9,999,999,999.99.
pub const MAX_TOTAL: Money = Money::MAX_TOTAL;
/// The largest quantity a command takes (units received, sold, moved, counted, ordered): 1,000,000, a
/// wholesaler's lot of beads or melee with room to spare.
pub const MAX_QTY: i64 = 1_000_000;
/// The largest price multiplier: 10,000% (cost × 100; keystone is 200%).
pub const MAX_MULTIPLIER: Multiplier = Multiplier::MAX;

/// The earliest date the books take (an estate piece acquired long ago still fits).
pub const FIRST_YEAR: i32 = 1900;
/// The last year the books take.
pub const LAST_YEAR: i32 = 2199;
/// Free text (notes, descriptions, reasons): characters at most.
pub const LONG_TEXT: usize = 2_000;
/// Every other text (names, codes, references, e-mail addresses): characters at most.
pub const SHORT_TEXT: usize = 200;

/// Fields holding free text; every other text field is short.
const LONG_FIELDS: &[&str] = &["note", "notes", "description", "reason", "memo"];

/// Checks every value of a command's fields (`fields`, without `op`); `path` names where they are.
pub(crate) fn check(fields: &Value) -> Result<()> {
    walk(fields, "", None)
}

fn walk(v: &Value, path: &str, key: Option<&str>) -> Result<()> {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(v, &p, Some(k))?;
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}[{i}]"), key)?;
            }
        }
        Value::String(s) => {
            let key = key.unwrap_or_default();
            if key.ends_with("_on") || key.ends_with("_date") {
                date(path, s)?;
            }
            let max = if LONG_FIELDS.contains(&key) { LONG_TEXT } else { SHORT_TEXT };
            let n = s.chars().count();
            if n > max {
                return Err(Error::invalid(path, format!("({n} characters)"), format!("at most {max} characters")));
            }
        }
        _ => {}
    }
    Ok(())
}

/// A date written `YYYY-MM-DD` with its year in the window (chrono alone reads `26-02-10` as the year 26).
fn date(path: &str, s: &str) -> Result<()> {
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shaped {
        return Err(Error::invalid(path, s, "not a date (YYYY-MM-DD)"));
    }
    let year: i32 = s[..4].parse().unwrap_or(0);
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(Error::invalid(path, s, format!("dates run from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(json: &str) -> String {
        check(&serde_json::from_str(json).unwrap_or_default()).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn dates_outside_the_window_and_overlong_text_are_refused_by_field() {
        assert_eq!(
            refused(r#"{"received_on":"0000-01-01"}"#),
            "received_on: 0000-01-01 — dates run from 1900-01-01 to 2199-12-31"
        );
        assert_eq!(
            refused(r#"{"cost_date":"9999-12-31"}"#),
            "cost_date: 9999-12-31 — dates run from 1900-01-01 to 2199-12-31"
        );
        assert_eq!(refused(r#"{"created_on":"26-02-10"}"#), "created_on: 26-02-10 — not a date (YYYY-MM-DD)");
        let long = "x".repeat(201);
        assert_eq!(
            refused(&format!(r#"{{"lines":[{{"qty":1}},{{"gift_card_code":"{long}"}}]}}"#)),
            "lines[1].gift_card_code: (201 characters) — at most 200 characters"
        );
        assert_eq!(
            refused(&format!(r#"{{"name":"{}"}}"#, "é".repeat(1_000_000))),
            "name: (1000000 characters) — at most 200 characters"
        );
        // what a real day holds passes
        let note = "n".repeat(2_000);
        assert_eq!(
            refused(&format!(r#"{{"memo_date":"2026-03-01","note":"{note}","name":"{}"}}"#, "a".repeat(200))),
            ""
        );
    }
}
