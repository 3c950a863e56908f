//! Report parameters: each report declares them (name, kind, default, help); values arrive as text (`--param
//! key=value`, a query string, a saved schedule) and are checked here, so a report only ever sees typed,
//! valid values — and a bad one is refused with the parameter, the value and the rule.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::error::{Error, Result};

/// What a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `YYYY-MM-DD`.
    Date,
    /// A record id (customer, store, invoice …): a positive whole number.
    Id,
    /// A record id, or 0 for "none" (lines with no salesperson).
    IdOrNone,
    /// A positive whole number.
    Positive,
    /// One of a fixed list.
    Choice(&'static [&'static str]),
    /// Ascending positive whole numbers separated by commas (bucket edges: `30,60,90`).
    Edges,
    /// Free text (matched exactly, never spliced into SQL unquoted).
    Text,
}

/// How a parameter defaults when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Default {
    /// Not set: no filter.
    None,
    /// Must be given (the invoice a detail view shows).
    Required,
    /// A fixed value.
    Value(&'static str),
    /// The run's "today".
    Today,
    /// The first day of the month of the `as_of`/`to` date (month to date).
    MonthStart,
}

impl Kind {
    /// What it accepts, in words (for help pages and the API's catalog).
    pub fn describe(self) -> String {
        match self {
            Kind::Date => {
                "a date (YYYY-MM-DD, or a word: today, yesterday, last_month, this_quarter, 30_days_ago …)".into()
            }
            Kind::Id => "a record, by id or by name".into(),
            Kind::IdOrNone => "a record, by id or by name, or 0 for none".into(),
            Kind::Positive => "a positive whole number".into(),
            Kind::Choice(c) => format!("one of: {}", c.join(", ")),
            Kind::Edges => "ascending whole numbers separated by commas (30,60,90)".into(),
            Kind::Text => "text".into(),
        }
    }
}

impl Default {
    /// The default in words, if there is one (`None` when not given means no filter).
    pub fn describe(self) -> Option<String> {
        match self {
            Default::None => None,
            Default::Required => Some("required".into()),
            Default::Value(x) => Some(format!("default {x}")),
            Default::Today => Some("default today".into()),
            Default::MonthStart => Some("default the first of the month".into()),
        }
    }
}

/// One declared parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Its name (`--param name=value`).
    pub name: &'static str,
    /// What it accepts.
    pub kind: Kind,
    /// Its default.
    pub default: Default,
    /// What it means, for `loupe report describe`.
    pub help: &'static str,
    /// Shown among the echoed filters (drill keys that only narrow a view still are).
    pub label: &'static str,
}

impl Param {
    /// The as-of date every report has.
    pub const AS_OF: Param = Param {
        name: "as_of",
        kind: Kind::Date,
        default: Default::Today,
        help: "compute as known on this date (default today)",
        label: "As of",
    };
    /// The first day of a period (default the first of the month of `to`).
    pub const FROM: Param = Param {
        name: "from",
        kind: Kind::Date,
        default: Default::MonthStart,
        help: "first day of the period (default: the first of the month of `to`)",
        label: "From",
    };
    /// The last day of a period (default today).
    pub const TO: Param = Param {
        name: "to",
        kind: Kind::Date,
        default: Default::Today,
        help: "last day of the period (default today); also the as-of date",
        label: "To",
    };
    /// One store among the permitted ones.
    pub const STORE: Param = Param {
        name: "store",
        kind: Kind::Id,
        default: Default::None,
        help: "only this store (default: every store you may see)",
        label: "Store",
    };
    /// One customer.
    pub const CUSTOMER: Param = Param {
        name: "customer",
        kind: Kind::Id,
        default: Default::None,
        help: "only this customer",
        label: "Customer",
    };
}

/// A parameter's checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// A date.
    Date(NaiveDate),
    /// An id or a positive number.
    Int(i64),
    /// A choice or text.
    Text(String),
    /// Bucket edges.
    Edges(Vec<i64>),
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Date(d) => write!(f, "{d}"),
            Val::Int(n) => write!(f, "{n}"),
            Val::Text(s) => write!(f, "{s}"),
            Val::Edges(e) => {
                write!(f, "{}", e.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
            }
        }
    }
}

/// The checked parameters of one run.
#[derive(Debug, Clone, Default)]
pub struct Values {
    vals: BTreeMap<&'static str, Val>,
    /// The words dates were given as (`last_month`), by parameter, for the echoed filters.
    words: BTreeMap<&'static str, String>,
}

impl Values {
    /// Checks `given` against `declared`: unknown names, bad values and periods that end before they start are
    /// refused; defaults fill the rest.
    /// A date may be given as a word (`yesterday`, `last_month`: see [`crate::dates`]), and a view with a
    /// period takes `period=WORD` for both its ends.
    pub fn check(declared: &[Param], given: &BTreeMap<String, String>, today: NaiveDate) -> Result<Values> {
        let has = |name: &str| declared.iter().any(|p| p.name == name);
        let mut given = given.clone();
        if let Some(word) = given.remove("period").filter(|_| has("from") && has("to")) {
            if given.contains_key("from") || given.contains_key("to") {
                return Err(Error::param("period", &word, "give a period or from and to, not both"));
            }
            let Some((from, to)) = crate::dates::period(word.trim(), today) else {
                return Err(Error::param("period", &word, format!("must be one of: {}", crate::dates::WORDS)));
            };
            let mut v = Values::check(
                declared,
                &given.into_iter().chain([("from".into(), from.to_string()), ("to".into(), to.to_string())]).collect(),
                today,
            )?;
            v.words.insert("from", word.trim().to_string());
            v.words.insert("to", word.trim().to_string());
            return Ok(v);
        }
        let given = &given;
        for name in given.keys() {
            if !declared.iter().any(|p| p.name == name) {
                let known = declared.iter().map(|p| p.name).collect::<Vec<_>>().join(", ");
                let hint = crate::error::Hint::nearest(name, declared.iter().map(|p| p.name));
                return Err(Error::param(
                    name,
                    given[name].as_str(),
                    format!("no such parameter{hint} (this view takes: {known})"),
                ));
            }
        }
        let mut vals = BTreeMap::new();
        // dates that others default from come first
        for p in declared.iter().filter(|p| p.default != Default::MonthStart) {
            if let Some(v) = parse(p, given.get(p.name).map(String::as_str), today)? {
                vals.insert(p.name, v);
            }
        }
        for p in declared.iter().filter(|p| p.default == Default::MonthStart) {
            let v = match given.get(p.name) {
                Some(s) => parse(p, Some(s), today)?,
                None => {
                    let end = match vals.get("to").or(vals.get("as_of")) {
                        Some(Val::Date(d)) => *d,
                        _ => today,
                    };
                    Some(Val::Date(end.with_day(1).unwrap_or(end)))
                }
            };
            if let Some(v) = v {
                vals.insert(p.name, v);
            }
        }
        let mut words = BTreeMap::new();
        for p in declared.iter().filter(|p| p.kind == Kind::Date) {
            if let Some(raw) = given.get(p.name)
                && NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").is_err()
            {
                words.insert(p.name, raw.trim().to_string());
            }
        }
        let values = Values { vals, words };
        if let (Some(from), Some(to)) = (values.date_opt("from"), values.date_opt("to"))
            && from > to
        {
            return Err(Error::param("from", from, format!("the period starts after it ends ({to})")));
        }
        Ok(values)
    }

    /// A date parameter the view declares (with a default, so always present).
    pub fn date(&self, name: &str) -> NaiveDate {
        self.date_opt(name).unwrap_or_default()
    }

    /// A date parameter, if set.
    pub fn date_opt(&self, name: &str) -> Option<NaiveDate> {
        match self.vals.get(name) {
            Some(Val::Date(d)) => Some(*d),
            _ => None,
        }
    }

    /// A whole-number parameter, if set.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.vals.get(name) {
            Some(Val::Int(n)) => Some(*n),
            _ => None,
        }
    }

    /// A text or choice parameter, if set.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.vals.get(name) {
            Some(Val::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// Bucket edges, if set.
    pub fn edges(&self, name: &str) -> Option<&[i64]> {
        match self.vals.get(name) {
            Some(Val::Edges(e)) => Some(e),
            _ => None,
        }
    }

    /// Every value as text, by name (the form links carry).
    pub fn as_strings(&self) -> BTreeMap<String, String> {
        self.vals.iter().map(|(k, v)| ((*k).to_string(), v.to_string())).collect()
    }

    /// The value of `name` as text, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        self.vals.get(name).map(Val::to_string)
    }

    /// The value of `name` as people read it: a date given as a word shows both (`2026-02-28 (last_month)`).
    pub fn shown(&self, name: &str) -> Option<String> {
        let v = self.get(name)?;
        Some(match self.words.get(name) {
            Some(w) => format!("{v} ({w})"),
            None => v,
        })
    }
}

fn parse(p: &Param, given: Option<&str>, today: NaiveDate) -> Result<Option<Val>> {
    let raw = match (given, p.default) {
        (Some(s), _) => s.trim(),
        (None, Default::None) => return Ok(None),
        (None, Default::Required) => return Err(Error::param(p.name, "", "required: this view shows one record")),
        (None, Default::Today) => return Ok(Some(Val::Date(today))),
        // filled by the caller from the period's end
        (None, Default::MonthStart) => return Ok(None),
        (None, Default::Value(v)) => v,
    };
    let bad = |why: String| Error::param(p.name, raw, why);
    let v = match p.kind {
        Kind::Date => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => Val::Date(d),
            Err(_) => Val::Date(
                crate::dates::day(raw, today)
                    .ok_or_else(|| bad(format!("not a date (YYYY-MM-DD, or one of: {})", crate::dates::WORDS)))?,
            ),
        },
        Kind::Id | Kind::Positive => match raw.parse::<i64>() {
            Ok(n) if n > 0 => Val::Int(n),
            _ => return Err(bad("must be a positive whole number".into())),
        },
        Kind::IdOrNone => match raw.parse::<i64>() {
            Ok(n) if n >= 0 => Val::Int(n),
            _ => return Err(bad("must be an id, or 0 for none".into())),
        },
        Kind::Choice(options) => match options.iter().find(|o| **o == raw) {
            Some(o) => Val::Text((*o).to_string()),
            None => return Err(bad(format!("must be one of: {}", options.join(", ")))),
        },
        Kind::Edges => {
            let mut edges = Vec::new();
            for part in raw.split(',') {
                match part.trim().parse::<i64>() {
                    Ok(n) if n > 0 && edges.last().is_none_or(|l| n > *l) => edges.push(n),
                    _ => return Err(bad("must be ascending positive whole numbers of days, e.g. 30,60,90".into())),
                }
            }
            Val::Edges(edges)
        }
        Kind::Text => {
            if raw.is_empty() {
                return Err(bad("must not be empty".into()));
            }
            Val::Text(raw.to_string())
        }
    };
    Ok(Some(v))
}

/// Quotes text for SQL: the only way a text parameter reaches a query.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    const DECL: &[Param] = &[
        Param::FROM,
        Param::TO,
        Param::STORE,
        Param { name: "edges", kind: Kind::Edges, default: Default::Value("30,60,90"), help: "", label: "Buckets" },
        Param {
            name: "by",
            kind: Kind::Choice(&["customer", "family"]),
            default: Default::Value("customer"),
            help: "",
            label: "By",
        },
    ];

    #[test]
    fn defaults_fill_month_to_date_and_edges() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 17).unwrap();
        let v = Values::check(DECL, &given(&[]), today).unwrap();
        assert_eq!(v.date("from"), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(v.date("to"), today);
        assert_eq!(v.edges("edges"), Some(&[30, 60, 90][..]));
        assert_eq!(v.int("store"), None);
        let v = Values::check(DECL, &given(&[("to", "2025-02-10")]), today).unwrap();
        assert_eq!(v.date("from"), NaiveDate::from_ymd_opt(2025, 2, 1).unwrap());
    }

    #[test]
    fn bad_values_name_the_parameter_the_value_and_the_rule() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 17).unwrap();
        let err = |pairs: &[(&str, &str)]| Values::check(DECL, &given(pairs), today).unwrap_err().to_string();
        assert_eq!(
            err(&[("to", "2026-02-30")]),
            format!("param to: \"2026-02-30\" — not a date (YYYY-MM-DD, or one of: {})", crate::dates::WORDS)
        );
        assert_eq!(err(&[("store", "-1")]), "param store: \"-1\" — must be a positive whole number");
        assert_eq!(
            err(&[("edges", "30,20")]),
            "param edges: \"30,20\" — must be ascending positive whole numbers of days, e.g. 30,60,90"
        );
        assert_eq!(err(&[("by", "x")]), "param by: \"x\" — must be one of: customer, family");
        assert_eq!(
            err(&[("from", "2026-03-10"), ("to", "2026-03-01")]),
            "param from: \"2026-03-10\" — the period starts after it ends (2026-03-01)"
        );
        assert_eq!(
            err(&[("colour", "red")]),
            "param colour: \"red\" — no such parameter (this view takes: from, to, store, edges, by)"
        );
    }

    #[test]
    fn dates_and_periods_given_as_words_resolve_on_the_runs_today() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 17).unwrap();
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let v = Values::check(DECL, &given(&[("period", "last_month")]), today).unwrap();
        assert_eq!((v.date("from"), v.date("to")), (day("2026-02-01"), day("2026-02-28")));
        assert_eq!(v.shown("from").as_deref(), Some("2026-02-01 (last_month)"));
        // the links carry the dates, so a drill opens the same rows tomorrow
        assert_eq!(v.as_strings().get("to").map(String::as_str), Some("2026-02-28"));
        let v = Values::check(DECL, &given(&[("to", "yesterday")]), today).unwrap();
        assert_eq!((v.date("from"), v.date("to")), (day("2026-03-01"), day("2026-03-16")));
        assert_eq!(v.shown("to").as_deref(), Some("2026-03-16 (yesterday)"));
        let err = |pairs: &[(&str, &str)]| Values::check(DECL, &given(pairs), today).unwrap_err().to_string();
        assert_eq!(
            err(&[("period", "last_month"), ("to", "2026-03-01")]),
            "param period: \"last_month\" — give a period or from and to, not both"
        );
        assert!(err(&[("period", "fortnight")]).starts_with("param period: \"fortnight\" — must be one of: today"));
    }

    #[test]
    fn a_typo_gets_a_did_you_mean_and_nonsense_does_not() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 17).unwrap();
        let err = |pairs: &[(&str, &str)]| Values::check(DECL, &given(pairs), today).unwrap_err().to_string();
        assert_eq!(
            err(&[("stroe", "1")]),
            "param stroe: \"1\" — no such parameter, did you mean store? (this view takes: from, to, store, edges, by)"
        );
        assert_eq!(
            crate::catalog::get("ar_agin").unwrap_err().to_string(),
            "no report \"ar_agin\", did you mean ar_aging?: `loupe report list` shows the catalog"
        );
        assert_eq!(
            crate::catalog::get("weather").unwrap_err().to_string(),
            "no report \"weather\": `loupe report list` shows the catalog"
        );
    }

    #[test]
    fn quoting_doubles_single_quotes() {
        assert_eq!(quote("O'Brien"), "'O''Brien'");
    }
}
