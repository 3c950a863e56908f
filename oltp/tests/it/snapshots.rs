//! Consistent reads: several connections that see the books at one instant while writers go on.

use anyhow::Result;
use oltp::db::{Column, ColumnType, Q};

use crate::support::TestDb;

#[tokio::test]
async fn parallel_reads_share_one_instant_and_read_typed_columns() -> Result<()> {
    for t in TestDb::all().await? {
        t.json(r#"{"op":"create_org","name":"Carat & Co"}"#).await?;
        t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true}"#).await?;
        let mut views = t.db.read_snapshots(3).await?;
        let last = "select cast(coalesce(max(seq), 0) as bigint) as v from change_log";
        let before = t.value(last.into()).await?;
        // a write after the views opened is seen by none of them
        t.json(r#"{"op":"create_contact","org_id":1,"name":"Bayside Estate Buyers","customer":true,"vendor":true}"#)
            .await?;
        assert!(t.value(last.into()).await? > before);
        for v in &mut views {
            let cols = v
                .fetch_columns(
                    Q::new("select id, name, is_customer as customer, email, created_on from contacts order by id"),
                    &[
                        ("id", ColumnType::Int),
                        ("name", ColumnType::Text),
                        ("customer", ColumnType::Bool),
                        ("email", ColumnType::Text),
                        ("created_on", ColumnType::Date),
                    ],
                )
                .await?;
            assert_eq!(
                cols,
                vec![
                    Column::Int(vec![Some(1)]),
                    Column::Text(vec![Some("Ann Lee".to_string())]),
                    Column::Bool(vec![Some(true)]),
                    Column::Text(vec![None]),
                    Column::Date(vec![Some(t.ctx.today)]),
                ],
                "{:?}",
                t.db.dialect()
            );
            let seen = v.fetch_all(Q::new("select cast(coalesce(max(seq), 0) as bigint) as v from change_log")).await?;
            assert_eq!(seen[0].i64("v")?, before);
        }
        // a column the query does not have is named
        let err = views[0].fetch_columns(Q::new("select id from contacts"), &[("nope", ColumnType::Int)]).await;
        assert!(err.is_err_and(|e| e.to_string().contains("nope")));
    }
    Ok(())
}

/// A new SQLite file opened, migrated and closed is ready at once: closing stops the checkpoint thread before
/// the closing checkpoint, which otherwise waited out the whole busy timeout (60 s) on that thread's read mark.
/// The 30 s limit only turns that wait into a failure instead of a hang; it measures nothing.
#[tokio::test]
async fn a_new_sqlite_file_opens_and_closes_without_waiting_on_itself() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("loupe.db");
    let url = path.to_str().unwrap_or_default().to_string();
    tokio::time::timeout(std::time::Duration::from_secs(30), async move {
        let db = oltp::Db::connect(&url).await?;
        db.migrate().await?;
        db.close().await;
        anyhow::Ok(())
    })
    .await
    .map_err(|_| anyhow::anyhow!("closing a new database waited on its own checkpoint thread"))??;
    // the closing checkpoint truncated the log
    let wal = dir.path().join("loupe.db-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal)?.len() == 0);
    Ok(())
}
