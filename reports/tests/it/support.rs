//! Books in a temp directory, filled from a journal, landed in a lake, and reports run over it.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use anyhow::{Result, anyhow};
use chrono::NaiveDate;
use etl::Lake;
use oltp::{Ctx, Db};
use reports::{Output, Request, Scope, Value};

pub(crate) struct Books {
    pub(crate) db: Db,
    pub(crate) lake: Lake,
    _dir: tempfile::TempDir,
}

pub(crate) fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

impl Books {
    /// Applies every line of `journal` (one command per line; blank lines and `#` comments skipped) in order,
    /// then lands the books in a lake.
    pub(crate) async fn from_journal(journal: &str) -> Result<Books> {
        Books::from_journal_on(journal, day("2026-06-30")).await
    }

    /// The same with `today` as the date a command leaves out (`loupe ops apply --today`).
    pub(crate) async fn from_journal_on(journal: &str, today: NaiveDate) -> Result<Books> {
        let dir = tempfile::tempdir()?;
        let db = Db::connect(dir.path().join("loupe.db").to_str().unwrap_or_default()).await?;
        db.migrate().await?;
        let lake = Lake::at(dir.path().join("lake"));
        let books = Books { db, lake, _dir: dir };
        for (n, line) in journal.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            books.execute(line, today).await.map_err(|e| anyhow!("line {}: {e}: {line}", n + 1))?;
        }
        books.sync().await?;
        Ok(books)
    }

    /// Applies one command with `today` as the date it leaves out (the lake follows at the next [`Books::sync`]).
    pub(crate) async fn execute(&self, json: &str, today: NaiveDate) -> Result<oltp::Outcome> {
        let cmd = oltp::ops::parse(json)?;
        Ok(oltp::execute(&self.db, &Ctx { actor: None, today }, &cmd).await?)
    }

    /// Lands what the books hold in the lake.
    pub(crate) async fn sync(&self) -> Result<()> {
        etl::sync(&self.db, &self.lake, &AtomicBool::new(false), &mut |_| {}).await?;
        Ok(())
    }

    /// A small demo business (two stores, four months), landed in a lake.
    pub(crate) async fn demo(seed: u64) -> Result<(Books, oltp::demo::DemoSpec)> {
        Books::demo_costed(seed, oltp::types::CostingMethod::Fifo).await
    }

    /// The same with the org costing its lots by `costing`.
    pub(crate) async fn demo_costed(
        seed: u64,
        costing: oltp::types::CostingMethod,
    ) -> Result<(Books, oltp::demo::DemoSpec)> {
        let dir = tempfile::tempdir()?;
        let db = Db::connect(dir.path().join("loupe.db").to_str().unwrap_or_default()).await?;
        db.migrate().await?;
        let spec = oltp::demo::DemoSpec { seed, stores: 2, start: oltp::demo::START, days: 120, lines: 1_500, costing };
        oltp::demo::generate(&db, &spec, &AtomicBool::new(false), &mut |_| {})
            .await
            .map_err(|f| anyhow!("demo: {}", f.error))?;
        let lake = Lake::at(dir.path().join("lake"));
        etl::sync(&db, &lake, &AtomicBool::new(false), &mut |_| {}).await?;
        Ok((Books { db, lake, _dir: dir }, spec))
    }

    /// Applies one more command to the books (not landed in the lake).
    pub(crate) async fn apply(&self, line: &str) -> Result<oltp::Outcome> {
        let ctx = Ctx { actor: None, today: day("2026-06-30") };
        Ok(oltp::execute(&self.db, &ctx, &oltp::ops::parse(line)?).await?)
    }

    /// Rows of SQL over the books as (key, value) pairs: the query returns `k` (text) and `v` (integer).
    pub(crate) async fn books_pairs(&self, sql: String) -> Result<std::collections::BTreeMap<String, i64>> {
        let mut out = std::collections::BTreeMap::new();
        for r in self.db.fetch_all(oltp::db::Q::built(sql)).await? {
            out.insert(r.text("k")?, r.i64("v")?);
        }
        Ok(out)
    }

    /// Runs a report view for org 1 with `params` (`key=value`), all stores.
    pub(crate) async fn run(&self, report: &str, view: &str, params: &[(&str, &str)]) -> Result<Output> {
        self.run_scoped(report, view, params, None).await
    }

    /// Runs a report view for org 1 seen by a user allowed only `stores`.
    pub(crate) async fn run_scoped(
        &self,
        report: &str,
        view: &str,
        params: &[(&str, &str)],
        stores: Option<Vec<i64>>,
    ) -> Result<Output> {
        let snapshot = self.lake.snapshot().await?;
        let cx = reports::Context::new(
            &snapshot,
            Scope::Org { org_id: 1, stores },
            day("2026-06-30"),
            "Test Jewelers".into(),
        )
        .await?;
        let req = Request { report: report.into(), view: Some(view.into()), params: strings(params) };
        Ok(reports::run(&cx, &req).await?)
    }

    /// Follows a drill link (`ROW:COLUMN`) from a view and runs its target.
    pub(crate) async fn drill(&self, report: &str, view: &str, params: &[(&str, &str)], at: &str) -> Result<Output> {
        let snapshot = self.lake.snapshot().await?;
        let cx = reports::Context::new(
            &snapshot,
            Scope::Org { org_id: 1, stores: None },
            day("2026-06-30"),
            "Test Jewelers".into(),
        )
        .await?;
        let req = Request { report: report.into(), view: Some(view.into()), params: strings(params) };
        Ok(reports::drill(&cx, &req, at).await?)
    }

    /// One integer from SQL over the books.
    pub(crate) async fn books_i64(&self, sql: &'static str) -> Result<i64> {
        Ok(self.db.fetch_one(oltp::db::Q::new(sql)).await?.i64("v")?)
    }
}

fn strings(params: &[(&str, &str)]) -> BTreeMap<String, String> {
    params.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
}

/// Money from "1,234.56"-free text: "1234.56" → cents.
pub(crate) fn m(s: &str) -> Value {
    let neg = s.starts_with('-');
    let (int, frac) = s.trim_start_matches('-').split_once('.').unwrap_or((s.trim_start_matches('-'), "00"));
    let cents = int.parse::<i128>().expect("money") * 100 + frac.parse::<i128>().expect("cents");
    Value::Money(if neg { -cents } else { cents })
}

/// The shown cells of every row, as display text, for compact assertions.
pub(crate) fn table(o: &Output) -> Vec<Vec<String>> {
    let shown: Vec<usize> = o.header.shown().map(|(i, _)| i).collect();
    o.values().into_iter().map(|r| shown.iter().map(|i| r[*i].display()).collect()).collect()
}

/// The footer's shown cells as display text.
pub(crate) fn footer(o: &Output) -> Vec<String> {
    o.header.shown().map(|(i, _)| o.totals[i].display()).collect()
}
