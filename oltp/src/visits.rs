//! The reports a user opened lately, for the reports page's "Recently viewed": the page as they had it (its
//! filters as a query string) and when. A trace of the user's own screen, not of the business, so neither
//! audited nor in the change log (the lake never sees it); each user keeps their last [`KEEP`].

use serde::Serialize;

use crate::db::Db;
use crate::error::Result;
use crate::q;

/// How many visits a user keeps.
pub const KEEP: i64 = 20;

/// A report page a user opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Visit {
    /// The report's id.
    pub report: String,
    /// What the page was titled ("AR aging — by customer").
    pub title: String,
    /// Its query string (view and filters).
    pub query: String,
    /// When (Unix seconds).
    pub visited_at: i64,
}

/// Records that `user_id` opened `report` with `query` now; the same page opened again moves to the top.
pub async fn record(
    db: &Db,
    org_id: i64,
    user_id: i64,
    report: &str,
    title: &str,
    query: &str,
    now: i64,
) -> Result<()> {
    let mut tx = db.begin().await?;
    tx.execute(q!(
        "delete from report_visits where user_id = $1 and report = $2 and query = $3",
        user_id,
        report.to_string(),
        query.to_string()
    ))
    .await?;
    tx.execute(q!(
        "insert into report_visits (org_id, user_id, report, title, query, visited_at) values ($1, $2, $3, $4, $5, $6)",
        org_id,
        user_id,
        report.to_string(),
        title.to_string(),
        query.to_string(),
        now
    ))
    .await?;
    tx.execute(q!(
        "delete from report_visits where user_id = $1 and id not in
           (select id from report_visits where user_id = $1 order by visited_at desc, id desc limit $2)",
        user_id,
        KEEP
    ))
    .await?;
    tx.commit().await
}

/// The pages `user_id` opened lately, newest first, at most `limit`.
pub async fn recent(db: &Db, org_id: i64, user_id: i64, limit: i64) -> Result<Vec<Visit>> {
    let rows = db
        .fetch_all(q!(
            "select report, title, query, visited_at from report_visits
             where org_id = $1 and user_id = $2 order by visited_at desc, id desc limit $3",
            org_id,
            user_id,
            limit
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Visit {
                report: r.text("report")?,
                title: r.text("title")?,
                query: r.text("query")?,
                visited_at: r.i64("visited_at")?,
            })
        })
        .collect()
}
