//! `date`: the calendar, one row per day from 1990 to 2060, so reports can group by week, month, quarter or
//! year, and show the days on which nothing happened. It holds no tenant's data: it is the one table without
//! `org_id`, the same for every org, and is written whole when the lake is created.

use std::sync::Arc;

use chrono::{Datelike as _, NaiveDate, Weekday};
use deltalake::arrow::array::{ArrayRef, BooleanArray, Date32Array, Int64Array, RecordBatch, StringArray};

use crate::error::Result;
use crate::table::{Column, Kind::*, Role, Table, req};

/// The table.
pub const TABLE: Table = Table { name: "date", role: Role::Dimension, grain: "a calendar day", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("id", Id),
    req("date", Date),
    req("year", Int),
    req("quarter", Int),
    req("month", Int),
    req("month_name", Text),
    req("month_start", Date),
    req("day_of_month", Int),
    req("day_of_year", Int),
    req("iso_year", Int),
    req("iso_week", Int),
    req("week_start", Date),
    req("day_of_week", Int),
    req("day_name", Text),
    req("weekend", Bool),
];

/// The first and last day the calendar holds.
pub const FIRST: NaiveDate = NaiveDate::from_ymd_opt(1990, 1, 1).expect("a date");
/// See [`FIRST`].
pub const LAST: NaiveDate = NaiveDate::from_ymd_opt(2060, 12, 31).expect("a date");

/// Day 0 of Arrow's `Date32`.
pub(crate) const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Every day of the calendar as rows of the table; `id` is the day as a number, `yyyymmdd`.
pub fn rows() -> Result<RecordBatch> {
    let days: Vec<NaiveDate> = FIRST.iter_days().take_while(|d| *d <= LAST).collect();
    let int = |f: &dyn Fn(&NaiveDate) -> i64| -> ArrayRef { Arc::new(days.iter().map(f).collect::<Int64Array>()) };
    let day = |f: &dyn Fn(&NaiveDate) -> NaiveDate| -> ArrayRef {
        Arc::new(Date32Array::from_iter_values(days.iter().map(|d| (f(d) - EPOCH).num_days() as i32)))
    };
    let text = |f: &dyn Fn(&NaiveDate) -> String| -> ArrayRef {
        Arc::new(days.iter().map(|d| Some(f(d))).collect::<StringArray>())
    };
    let cols = vec![
        int(&|d| i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())),
        day(&|d| *d),
        int(&|d| i64::from(d.year())),
        int(&|d| i64::from(d.month0() / 3 + 1)),
        int(&|d| i64::from(d.month())),
        text(&|d| MONTHS[d.month0() as usize].to_string()),
        day(&|d| d.with_day(1).unwrap_or(*d)),
        int(&|d| i64::from(d.day())),
        int(&|d| i64::from(d.ordinal())),
        int(&|d| i64::from(d.iso_week().year())),
        int(&|d| i64::from(d.iso_week().week())),
        day(&|d| *d - chrono::Days::new(u64::from(d.weekday().num_days_from_monday()))),
        int(&|d| i64::from(d.weekday().number_from_monday())),
        text(&|d| d.weekday().to_string()),
        Arc::new(
            days.iter().map(|d| Some(matches!(d.weekday(), Weekday::Sat | Weekday::Sun))).collect::<BooleanArray>(),
        ),
    ];
    Ok(RecordBatch::try_new(TABLE.schema(), cols)?)
}

#[cfg(test)]
mod tests {
    use deltalake::arrow::util::pretty::pretty_format_batches;

    use super::*;

    #[test]
    fn the_calendar_knows_its_weeks_and_quarters() {
        let all = rows().unwrap();
        assert_eq!(all.num_rows(), 25_933); // 71 years, 18 of them leap years
        // 2026-11-24 is a Tuesday in ISO week 48; 2027-01-01 is a Friday still in ISO week 53 of 2026
        let id = all.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        let at = |n: i64| id.values().iter().position(|v| *v == n).unwrap();
        let show = |i: usize| pretty_format_batches(&[all.slice(i, 1)]).unwrap().to_string();
        let tue = show(at(20261124));
        assert!(tue.contains("| 20261124 | 2026-11-24 | 2026 | 4       | 11    | November   | 2026-11-01  | 24           | 328         | 2026     | 48       | 2026-11-23 | 2           | Tue      | false   |"), "{tue}");
        let fri = show(at(20270101));
        assert!(fri.contains("| 20270101 | 2027-01-01 | 2027 | 1       | 1     | January    | 2027-01-01  | 1            | 1           | 2026     | 53       | 2026-12-28 | 5           | Fri      | false   |"), "{fri}");
        let sun = show(at(20240303));
        assert!(
            sun.contains("| 63          | 2024     | 9        | 2024-02-26 | 7           | Sun      | true    |"),
            "{sun}"
        );
    }
}
