//! Age buckets shared by the aging reports: edges from a parameter (`30,60,90` → 0–30, 31–60, 61–90, 91+),
//! their column keys and labels, and the SQL that puts an age into one.

use std::borrow::Cow;

use crate::model::Column;
use crate::param::{Default, Kind, Param, Values};

/// Column keys of the buckets, youngest first (at most six edges, so seven buckets).
pub(crate) const KEYS: [&str; 7] = ["b1", "b2", "b3", "b4", "b5", "b6", "b7"];

/// The bucket a drill narrows to: a bucket key, or every bucket.
pub(crate) const CHOICES: &[&str] = &["current", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "open"];

/// The `edges` parameter with a report's default edges.
pub(crate) const fn param(default: &'static str) -> Param {
    Param {
        name: "edges",
        kind: Kind::Edges,
        default: Default::Value(default),
        help: "last day of each bucket but the open-ended one, ascending, at most 6 (e.g. 30,60,90)",
        label: "Buckets",
    }
}

/// The buckets of one run.
pub(crate) struct Buckets {
    edges: Vec<i64>,
}

impl Buckets {
    /// From the run's `edges` parameter.
    pub(crate) fn of(v: &Values) -> Buckets {
        let mut edges = v.edges("edges").map(<[i64]>::to_vec).unwrap_or_else(|| vec![30, 60, 90]);
        edges.truncate(KEYS.len() - 1);
        Buckets { edges }
    }

    /// (key, label) of each bucket: `0–30`, `31–60`, …, `91+`.
    pub(crate) fn labels(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::with_capacity(self.edges.len() + 1);
        let mut lo = 0;
        for (i, hi) in self.edges.iter().enumerate() {
            out.push((KEYS[i], format!("{lo}–{hi}")));
            lo = hi + 1;
        }
        out.push((KEYS[self.edges.len()], format!("{lo}+")));
        out
    }

    /// One money column per bucket, labelled by its range.
    pub(crate) fn money_columns(&self) -> Vec<Column> {
        self.labels()
            .into_iter()
            .map(|(key, label)| Column { label: Cow::Owned(label), ..Column::money(key, "") })
            .collect()
    }

    /// SQL giving the bucket key of the age in days `age`.
    pub(crate) fn key_sql(&self, age: &str) -> String {
        let mut s = String::from("case");
        for (i, hi) in self.edges.iter().enumerate() {
            s.push_str(&format!(" when {age} <= {hi} then '{}'", KEYS[i]));
        }
        s.push_str(&format!(" else '{}' end", KEYS[self.edges.len()]));
        s
    }

    /// SQL turning a bucket key column into its label.
    pub(crate) fn label_sql(&self, key: &str) -> String {
        let mut s = format!("case when {key} = 'current' then 'Current'");
        for (k, l) in self.labels() {
            s.push_str(&format!(" when {key} = '{k}' then '{l}'"));
        }
        s.push_str(" end");
        s
    }

    /// The bucket key a `bucket` value names: a key (`b2`, `current`, `open`) as it is, or a bucket's label as
    /// the columns show it (`31–60`, typed `31-60` too; `Current`).
    pub(crate) fn key_named(&self, given: &str) -> Option<&'static str> {
        let want = crate::model::loose(given);
        if let Some(k) = CHOICES.iter().find(|k| **k == want) {
            return Some(k);
        }
        self.labels().into_iter().find(|(_, l)| crate::model::loose(l) == want).map(|(k, _)| k)
    }

    /// The keys in order.
    pub(crate) fn keys(&self) -> Vec<&'static str> {
        KEYS[..=self.edges.len()].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn buckets_follow_the_edges() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        let decl = [param("30,60,90")];
        let v = Values::check(&decl, &BTreeMap::new(), today).unwrap_or_default();
        let labels: Vec<String> = Buckets::of(&v).labels().into_iter().map(|b| b.1).collect();
        assert_eq!(labels, ["0–30", "31–60", "61–90", "91+"]);
        let given = BTreeMap::from([("edges".to_string(), "90,180,365".to_string())]);
        let v = Values::check(&decl, &given, today).unwrap_or_default();
        let b = Buckets::of(&v);
        let labels: Vec<String> = b.labels().into_iter().map(|b| b.1).collect();
        assert_eq!(labels, ["0–90", "91–180", "181–365", "366+"]);
        assert_eq!(
            b.key_sql("a"),
            "case when a <= 90 then 'b1' when a <= 180 then 'b2' when a <= 365 then 'b3' else 'b4' end"
        );
    }
}
