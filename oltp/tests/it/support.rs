//! Fresh databases for tests: a temp SQLite file each, and a fresh schema per test on PostgreSQL.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;
use oltp::{Command, Ctx, Db, Outcome};

/// A database for one test; keeps its temp dir alive.
pub(crate) struct TestDb {
    pub(crate) db: Db,
    pub(crate) ctx: Ctx,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub(crate) async fn sqlite() -> Result<TestDb> {
        let dir = tempfile::tempdir()?;
        let db = Db::connect(dir.path().join("loupe.db").to_str().unwrap()).await?;
        db.migrate().await?;
        Ok(TestDb { db, ctx: ctx(), _dir: Some(dir) })
    }

    /// A fresh database on the PostgreSQL server at `TEST_PG_URL`, or `None` when it is not set.
    pub(crate) async fn postgres() -> Result<Option<TestDb>> {
        let Ok(base) = std::env::var("TEST_PG_URL") else { return Ok(None) };
        static N: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "loupe_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.subsec_nanos()
        );
        let admin = Db::connect(&base).await?;
        admin.execute_trusted(&format!("create database {name}")).await?;
        admin.close().await;
        let url = match base.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{name}"),
            None => anyhow::bail!("TEST_PG_URL must end with /database"),
        };
        let db = Db::connect(&url).await?;
        db.migrate().await?;
        Ok(Some(TestDb { db, ctx: ctx(), _dir: None }))
    }

    /// The databases every story runs on.
    pub(crate) async fn all() -> Result<Vec<TestDb>> {
        let mut v = vec![TestDb::sqlite().await?];
        if let Some(pg) = TestDb::postgres().await? {
            v.push(pg);
        }
        Ok(v)
    }

    /// Runs a command that must succeed.
    pub(crate) async fn run(&self, cmd: impl Into<Command>) -> Result<Outcome> {
        let cmd = cmd.into();
        let op = cmd.op();
        oltp::execute(&self.db, &self.ctx, &cmd).await.map_err(|e| anyhow::anyhow!("{op} failed: {e}"))
    }

    /// Runs a command given as JSON that must succeed.
    pub(crate) async fn json(&self, line: &str) -> Result<Outcome> {
        let cmd = oltp::ops::parse(line).map_err(|e| anyhow::anyhow!("parse failed: {e}"))?;
        self.run(cmd).await
    }

    /// Runs a command given as JSON that must fail; returns the error.
    pub(crate) async fn json_err(&self, line: &str) -> oltp::Error {
        match oltp::ops::parse(line) {
            Err(e) => e,
            Ok(cmd) => oltp::execute(&self.db, &self.ctx, &cmd).await.expect_err("command should have failed"),
        }
    }

    /// One integer from a query assembled in the test.
    pub(crate) async fn value(&self, sql: String) -> Result<i64> {
        Ok(self.db.fetch_one(oltp::db::Q::built(sql)).await?.i64("v")?)
    }

    /// One integer from a query.
    pub(crate) async fn scalar(&self, sql: &'static str) -> Result<i64> {
        Ok(self.db.fetch_one(oltp::db::Q::new(sql)).await?.i64("v")?)
    }
}

fn ctx() -> Ctx {
    Ctx { actor: None, today: chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap() }
}
