//! Saved reports: a user's own and the org's shared ones, names unique within each, owners enforced, and every
//! change audited; org settings (time zone, paper) checked when set.

use anyhow::Result;
use oltp::{Ctx, saved};

use crate::support::TestDb;

#[tokio::test]
async fn saved_reports_are_a_user_s_own_or_the_org_s() -> Result<()> {
    for t in TestDb::all().await? {
        t.json(r#"{"op":"create_org","name":"Carat & Co"}"#).await?;
        t.json(r#"{"op":"create_org","name":"Other"}"#).await?;
        t.json(r#"{"op":"create_user","org_id":1,"username":"maya","display_name":"Maya","groups":["owner"]}"#).await?;
        t.json(r#"{"op":"create_user","org_id":1,"username":"leo","display_name":"Leo","groups":["sales"]}"#).await?;
        t.json(r#"{"op":"create_user","org_id":2,"username":"zed","display_name":"Zed","groups":["owner"]}"#).await?;
        let shared = t
            .json(r#"{"op":"create_saved_report","org_id":1,"name":"Aging","report":"ar_aging","params":{"as_of":"today"}}"#)
            .await?;
        // the same name is free for a user's own, not twice among the shared ones or a user's
        let leos = t
            .json(r#"{"op":"create_saved_report","org_id":1,"user_id":2,"name":"Aging","report":"ar_aging","view":"invoices","params":{"bucket":"91+"},"format":"csv"}"#)
            .await?;
        let e = t.json_err(r#"{"op":"create_saved_report","org_id":1,"name":" Aging ","report":"rfm"}"#).await;
        assert_eq!(e.to_string(), r#"name: "Aging" — the org already has a saved report by this name"#);
        let e =
            t.json_err(r#"{"op":"create_saved_report","org_id":1,"user_id":2,"name":"Aging","report":"rfm"}"#).await;
        assert_eq!(e.to_string(), r#"name: "Aging" — this user already has a saved report by this name"#);
        // another org's user, a bad report id, a bad parameter name
        let e = t.json_err(r#"{"op":"create_saved_report","org_id":1,"user_id":3,"name":"X","report":"rfm"}"#).await;
        assert_eq!(e.to_string(), "user_id: 3 — no such user in this org");
        let e = t.json_err(r#"{"op":"create_saved_report","org_id":1,"name":"X","report":"AR aging"}"#).await;
        assert_eq!(e.to_string(), r#"report: "AR aging" — lower-case letters, digits and underscores"#);
        let e = t
            .json_err(r#"{"op":"create_saved_report","org_id":1,"name":"X","report":"rfm","params":{"As Of":"today"}}"#)
            .await;
        assert_eq!(e.to_string(), r#"params.As Of: "As Of" — lower-case letters, digits and underscores"#);

        // Leo sees his own first, then the shared one of the same name; the operator (no user) only the shared
        let for_leo = saved::list(&t.db, 1, Some(2)).await?;
        assert_eq!(
            for_leo.iter().map(|s| (s.id, s.user_id)).collect::<Vec<_>>(),
            [(leos.id, Some(2)), (shared.id, None)]
        );
        let found = saved::find(&t.db, 1, Some(2), "Aging").await?;
        assert_eq!((found.view.as_deref(), found.format.as_str()), (Some("invoices"), "csv"));
        assert_eq!(found.params.get("bucket").map(String::as_str), Some("91+"));
        assert_eq!(saved::find(&t.db, 1, None, "Aging").await?.id, shared.id);
        assert!(saved::list(&t.db, 2, None).await?.is_empty(), "org 2 sees none of org 1's");

        // acting as Leo (sales): he may change his own, not share one nor touch another's
        let leo = Ctx { actor: Some(2), today: t.ctx.today };
        let as_leo = |line: &str| oltp::ops::parse(line).map(|cmd| (cmd, leo.clone()));
        let (cmd, ctx) = as_leo(&format!(
            r#"{{"op":"update_saved_report","org_id":1,"saved_report_id":{},"name":"My aging"}}"#,
            leos.id
        ))?;
        oltp::execute(&t.db, &ctx, &cmd).await?;
        for line in [
            r#"{"op":"create_saved_report","org_id":1,"name":"Leo shares","report":"rfm"}"#.to_string(),
            format!(r#"{{"op":"delete_saved_report","org_id":1,"saved_report_id":{}}}"#, shared.id),
        ] {
            let (cmd, ctx) = as_leo(&line)?;
            let e = oltp::execute(&t.db, &ctx, &cmd).await.expect_err("forbidden");
            assert_eq!(
                e.to_string(),
                "not permitted: sharing a report with the org takes an owner, manager or accountant"
            );
        }
        let (cmd, ctx) =
            as_leo(r#"{"op":"create_saved_report","org_id":1,"user_id":1,"name":"For Maya","report":"rfm"}"#)?;
        let e = oltp::execute(&t.db, &ctx, &cmd).await.expect_err("forbidden");
        assert_eq!(e.to_string(), "not permitted: a saved report belongs to the user who keeps it");
        assert_eq!(saved::find(&t.db, 1, Some(2), "My aging").await?.id, leos.id);

        // deleted: gone from the list, kept in the audit log; org 2 cannot delete org 1's
        let e =
            t.json_err(&format!(r#"{{"op":"delete_saved_report","org_id":2,"saved_report_id":{}}}"#, shared.id)).await;
        assert_eq!(e.to_string(), format!("saved report {} not found", shared.id));
        t.json(&format!(r#"{{"op":"delete_saved_report","org_id":1,"saved_report_id":{}}}"#, shared.id)).await?;
        assert_eq!(saved::list(&t.db, 1, Some(2)).await?.len(), 1);
        let audited = t
            .value(format!(
                "select count(*) as v from audit_log where entity = 'saved_reports' and entity_id = {} and action = 'delete'",
                shared.id
            ))
            .await?;
        assert_eq!(audited, 1);
    }
    Ok(())
}

#[tokio::test]
async fn an_org_s_time_zone_and_paper_are_checked() -> Result<()> {
    for t in TestDb::all().await? {
        t.json(r#"{"op":"create_org","name":"Carat & Co","time_zone":"Europe/London","paper_size":"a4"}"#).await?;
        let settings = |sql: &'static str| t.db.fetch_one(oltp::db::Q::new(sql));
        let r = settings("select time_zone, paper_size from orgs where id = 1").await?;
        assert_eq!((r.text("time_zone")?, r.text("paper_size")?), ("Europe/London".to_string(), "a4".to_string()));
        for (line, error) in [
            (
                r#"{"op":"update_org","org_id":1,"time_zone":"GMT+1"}"#,
                r#"time_zone: "GMT+1" — an IANA time zone name such as America/New_York, Europe/London or UTC"#,
            ),
            (r#"{"op":"update_org","org_id":1,"paper_size":"legal"}"#, r#"paper_size: "legal" — letter or a4"#),
            (
                r#"{"op":"create_org","name":"X","time_zone":""}"#,
                r#"time_zone: "" — an IANA time zone name such as America/New_York, Europe/London or UTC"#,
            ),
        ] {
            assert_eq!(t.json_err(line).await.to_string(), error);
        }
        t.json(r#"{"op":"update_org","org_id":1,"time_zone":"America/Chicago"}"#).await?;
        let r = settings("select time_zone, paper_size from orgs where id = 1").await?;
        assert_eq!((r.text("time_zone")?, r.text("paper_size")?), ("America/Chicago".to_string(), "a4".to_string()));
    }
    Ok(())
}
