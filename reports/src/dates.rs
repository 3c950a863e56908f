//! Dates as people say them: `today`, `yesterday`, `30_days_ago`, and the periods `this_week`, `last_week`
//! (weeks begin on Monday), `this_month`, `last_month`, `this_quarter`, `last_quarter`, `this_year`,
//! `last_year`, `year_to_date`, resolved against the run's today.
//! A period given where one date is wanted (`as_of=last_month`) is its last day.

use chrono::{Datelike as _, Days, Months, NaiveDate};

/// The words a date or a period may be given as, for help and errors.
pub const WORDS: &str = "today, yesterday, N_days_ago, this_week, last_week, this_month, last_month, \
this_quarter, last_quarter, this_year, last_year, year_to_date";

/// The calendar day it is at `now` in the time zone `tz` (an IANA name; UTC when it names none, which the books
/// never store). "Today" for a store in New York at 02:00 UTC is still yesterday in UTC terms.
pub fn today_in(tz: &str, now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    match tz.parse::<chrono_tz::Tz>() {
        Ok(zone) => now.with_timezone(&zone).date_naive(),
        Err(_) => now.date_naive(),
    }
}

/// The instant `t` on the wall clock of `tz` as `format` (chrono's) writes it, then the zone's abbreviation
/// ("2026-12-07 07:00 EST"); in UTC when `tz` names no zone.
pub fn in_zone(t: chrono::DateTime<chrono::Utc>, tz: &str, format: &str) -> String {
    match tz.parse::<chrono_tz::Tz>() {
        Ok(zone) => t.with_timezone(&zone).format(&format!("{format} %Z")).to_string(),
        Err(_) => t.format(&format!("{format} UTC")).to_string(),
    }
}

/// The period a word names, as (first day, last day); `None` when it names none.
pub fn period(word: &str, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let month = today.with_day(1)?;
    let quarter = NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1)?;
    let year = NaiveDate::from_ymd_opt(today.year(), 1, 1)?;
    // weeks begin on Monday (ISO 8601)
    let week = today.checked_sub_days(Days::new(u64::from(today.weekday().num_days_from_monday())))?;
    let day_before = |d: NaiveDate| d.pred_opt();
    Some(match word {
        "today" => (today, today),
        "yesterday" => (today.pred_opt()?, today.pred_opt()?),
        "this_week" => (week, today),
        "last_week" => (week.checked_sub_days(Days::new(7))?, day_before(week)?),
        "this_month" => (month, today),
        "last_month" => (month.checked_sub_months(Months::new(1))?, day_before(month)?),
        "this_quarter" => (quarter, today),
        "last_quarter" => (quarter.checked_sub_months(Months::new(3))?, day_before(quarter)?),
        "this_year" | "year_to_date" => (year, today),
        "last_year" => (year.checked_sub_months(Months::new(12))?, day_before(year)?),
        _ => {
            let n: u64 = word.strip_suffix("_days_ago")?.parse().ok()?;
            let d = today.checked_sub_days(Days::new(n))?;
            (d, d)
        }
    })
}

/// The day a word names (a period's last day); `None` when it names none.
pub fn day(word: &str, today: NaiveDate) -> Option<NaiveDate> {
    period(word, today).map(|(_, last)| last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn p(word: &str, today: &str) -> Option<(String, String)> {
        period(word, d(today)).map(|(a, b)| (a.to_string(), b.to_string()))
    }

    fn at(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(rfc3339).map(|t| t.to_utc()).unwrap_or_default()
    }

    #[test]
    fn today_is_the_org_s_calendar_day() {
        // 03:00 UTC on March 1st is still February 28th in New York (EST, UTC−5) …
        assert_eq!(today_in("America/New_York", at("2026-03-01T03:00:00Z")), d("2026-02-28"));
        assert_eq!(today_in("America/New_York", at("2026-03-01T05:00:00Z")), d("2026-03-01"));
        // … the leap day in a leap year, and already the next day east of UTC
        assert_eq!(today_in("America/New_York", at("2024-03-01T02:00:00Z")), d("2024-02-29"));
        assert_eq!(today_in("Pacific/Auckland", at("2026-12-31T11:00:00Z")), d("2027-01-01"));
        assert_eq!(today_in("UTC", at("2026-12-31T23:59:59Z")), d("2026-12-31"));
        // summer time: New York is UTC−4 from the second Sunday of March (03:30 UTC on 2026-07-01 is 23:30 the
        // day before)
        assert_eq!(today_in("America/New_York", at("2026-07-01T03:30:00Z")), d("2026-06-30"));
        assert_eq!(today_in("America/New_York", at("2026-07-01T04:00:00Z")), d("2026-07-01"));
        // a quarter's edge seen from both sides: "last_quarter" moves with the org's day, not UTC's
        let ny = today_in("America/New_York", at("2026-04-01T02:00:00Z"));
        assert_eq!(p("last_quarter", &ny.to_string()), pair("2025-10-01", "2025-12-31"));
        let utc = today_in("UTC", at("2026-04-01T02:00:00Z"));
        assert_eq!(p("last_quarter", &utc.to_string()), pair("2026-01-01", "2026-03-31"));
        // a name that is no zone (the books never store one) reads as UTC
        assert_eq!(today_in("Mars/Olympus", at("2026-03-01T03:00:00Z")), d("2026-03-01"));
    }

    fn pair(a: &str, b: &str) -> Option<(String, String)> {
        Some((a.to_string(), b.to_string()))
    }

    #[test]
    fn periods_at_month_quarter_and_year_edges_and_a_leap_day() {
        assert_eq!(p("last_month", "2026-03-31"), pair("2026-02-01", "2026-02-28"));
        assert_eq!(p("last_month", "2024-03-01"), pair("2024-02-01", "2024-02-29"));
        assert_eq!(p("last_month", "2026-01-15"), pair("2025-12-01", "2025-12-31"));
        assert_eq!(p("this_month", "2024-02-29"), pair("2024-02-01", "2024-02-29"));
        assert_eq!(p("this_quarter", "2026-06-30"), pair("2026-04-01", "2026-06-30"));
        assert_eq!(p("last_quarter", "2026-04-01"), pair("2026-01-01", "2026-03-31"));
        assert_eq!(p("last_quarter", "2026-02-10"), pair("2025-10-01", "2025-12-31"));
        assert_eq!(p("year_to_date", "2026-12-31"), pair("2026-01-01", "2026-12-31"));
        assert_eq!(p("last_year", "2025-01-01"), pair("2024-01-01", "2024-12-31"));
        assert_eq!(p("yesterday", "2024-03-01"), pair("2024-02-29", "2024-02-29"));
        assert_eq!(p("30_days_ago", "2026-03-01"), pair("2026-01-30", "2026-01-30"));
        // weeks from Monday: Monday 7 December 2026 is the first day of its week; a Sunday the last
        assert_eq!(p("this_week", "2026-12-07"), pair("2026-12-07", "2026-12-07"));
        assert_eq!(p("this_week", "2026-12-13"), pair("2026-12-07", "2026-12-13"));
        assert_eq!(p("last_week", "2026-12-07"), pair("2026-11-30", "2026-12-06"));
        assert_eq!(p("last_week", "2027-01-01"), pair("2026-12-21", "2026-12-27"));
        assert_eq!(day("last_month", d("2026-03-31")), Some(d("2026-02-28")));
        for nonsense in ["lastmonth", "x_days_ago", "-3_days_ago", "", "2026-01-01"] {
            assert_eq!(period(nonsense, d("2026-03-31")), None, "{nonsense}");
        }
    }
}
