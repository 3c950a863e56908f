//! Orgs, stores, users, contacts, styles: creation, rules, audit and change rows.

use anyhow::Result;

use crate::support::TestDb;

#[tokio::test]
async fn org_store_contact_style_with_audit_and_changes() -> Result<()> {
    for t in TestDb::all().await? {
        let org = t.json(r#"{"op":"create_org","name":"Carat & Co"}"#).await?;
        assert_eq!(org.id, 1);
        let store = t
            .json(r#"{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street","tax_rate":"6","surtax_rate":"1","surtax_threshold":"5000.00"}"#)
            .await?;
        let vendor = t.json(r#"{"op":"create_contact","org_id":1,"name":"Stuller","vendor":true}"#).await?;
        t.json(&format!(
            r#"{{"op":"create_style","org_id":1,"style_no":"R-100","family":"jewelry","category":"rings","description":"Solitaire ring","vendor_id":{},"serialized":true,"retail_price":"2400.00"}}"#,
            vendor.id
        ))
        .await?;
        assert_eq!(t.scalar("select tax_rate_ppm as v from stores where id = 1").await?, 60_000);
        assert_eq!(t.scalar("select surtax_threshold_cents as v from stores where id = 1").await?, 500_000);
        assert_eq!(store.id, 1);
        // one audit row and one change row per record written
        assert_eq!(t.scalar("select count(*) as v from audit_log").await?, 4);
        assert_eq!(t.scalar("select count(*) as v from change_log").await?, 4);
        assert_eq!(
            t.scalar("select count(*) as v from change_log where entity = 'styles' and op = 'insert'").await?,
            1
        );
    }
    Ok(())
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() -> Result<()> {
    for t in TestDb::all().await? {
        t.json(r#"{"op":"create_org","name":"Carat & Co"}"#).await?;
        let before = t.scalar("select count(*) as v from change_log").await?;

        let e =
            t.json_err(r#"{"op":"create_store","org_id":1,"code":"MAIN","name":"Main","tax_rate":"6.123456"}"#).await;
        assert!(e.to_string().starts_with("tax_rate:"), "{e}");
        let e = t.json_err(r#"{"op":"create_store","org_id":1,"code":"MAIN","name":"Main","tax_rate":"120"}"#).await;
        assert_eq!(e.to_string(), "tax_rate: 120 — percents run from 0 to 100");
        let e = t.json_err(r#"{"op":"create_store","org_id":1,"code":"MAIN","nmae":"Main"}"#).await;
        assert_eq!(e.to_string(), "nmae: (present) — create_store has no such field");
        let e = t.json_err(r#"{"op":"create_store","org_id":1,"code":"MAIN"}"#).await;
        assert_eq!(e.to_string(), "name: (missing) — create_store requires it");
        let e = t.json_err(r#"{"op":"create_style","org_id":1,"style_no":"X","family":"gold","category":"c","description":"d","serialized":true}"#).await;
        assert!(e.to_string().starts_with("family:"), "{e}");
        let e = t.json_err(r#"{"op":"create_contact","org_id":1,"name":"Nobody"}"#).await;
        assert_eq!(e.to_string(), "customer: false — a contact must be a customer, a vendor or a partner");
        let e = t.json_err(r#"{"op":"create_contact","org_id":2,"name":"Elsewhere","customer":true}"#).await;
        assert_eq!(e.to_string(), "org 2 not found");
        let e = t.json_err(r#"{"op":"fly","org_id":1}"#).await;
        assert_eq!(e.to_string(), "op: fly — unknown operation (see docs/OPERATIONS.md)");
        let e = t.json_err(r#"{"op":"create_org","name":"x""#).await;
        assert!(e.to_string().starts_with("json:"), "{e}");

        assert_eq!(t.scalar("select count(*) as v from change_log").await?, before);
        assert_eq!(t.scalar("select count(*) as v from stores").await?, 0);
    }
    Ok(())
}

#[tokio::test]
async fn tenants_cannot_reach_each_other() -> Result<()> {
    for t in TestDb::all().await? {
        t.json(r#"{"op":"create_org","name":"A"}"#).await?;
        t.json(r#"{"op":"create_org","name":"B"}"#).await?;
        let c = t.json(r#"{"op":"create_contact","org_id":1,"name":"A's vendor","vendor":true}"#).await?;
        // org 2 may not use org 1's vendor
        let e = t
            .json_err(&format!(
                r#"{{"op":"create_style","org_id":2,"style_no":"S","family":"pearls","category":"strands","description":"d","serialized":false,"vendor_id":{}}}"#,
                c.id
            ))
            .await;
        assert_eq!(e.to_string(), format!("vendor_id: {} — no such contact in this org", c.id));
        let e =
            t.json_err(&format!(r#"{{"op":"update_contact","org_id":2,"contact_id":{},"name":"stolen"}}"#, c.id)).await;
        assert!(e.to_string().contains("no such contact"), "{e}");
    }
    Ok(())
}

#[tokio::test]
async fn merging_contacts_moves_history_and_is_refused_after() -> Result<()> {
    for t in TestDb::all().await? {
        t.json(r#"{"op":"create_org","name":"A"}"#).await?;
        let a = t
            .json(r#"{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true,"email":"ann@example.com"}"#)
            .await?;
        let b =
            t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann  Lee","vendor":true,"phone":"555-0100"}"#).await?;
        t.json(&format!(r#"{{"op":"create_style","org_id":1,"style_no":"P1","family":"pearls","category":"strands","description":"Akoya strand","serialized":false,"vendor_id":{}}}"#, b.id)).await?;
        t.json(&format!(r#"{{"op":"merge_contacts","org_id":1,"from_id":{},"into_id":{}}}"#, b.id, a.id)).await?;
        assert_eq!(t.scalar("select vendor_id as v from styles where style_no = 'P1'").await?, a.id);
        assert_eq!(t.scalar("select case when is_vendor then 1 else 0 end as v from contacts where id = 1").await?, 1);
        assert_eq!(t.scalar("select count(*) as v from contacts where id = 1 and phone = '555-0100'").await?, 1);
        let e = t.json_err(&format!(r#"{{"op":"update_contact","org_id":1,"contact_id":{},"name":"x"}}"#, b.id)).await;
        assert_eq!(e.to_string(), format!("contact_id: {} — contact was merged into contact {}", b.id, a.id));
    }
    Ok(())
}

/// Implausible input is refused by field before anything runs: dates outside 1900–2199 or not written
/// YYYY-MM-DD, text longer than a screen shows; and a contact dated inside the closed period.
#[tokio::test]
async fn implausible_dates_and_text_and_closed_dates_are_refused() -> Result<()> {
    for t in TestDb::all().await? {
        t.json(r#"{"op":"create_org","name":"Carat & Co"}"#).await?;
        t.json(r#"{"op":"close_period","org_id":1,"through":"2025-03-31"}"#).await?;
        let cases = [
            (
                r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true,"created_on":"0000-01-01"}"#,
                "created_on: 0000-01-01 — dates run from 1900-01-01 to 2199-12-31",
            ),
            (
                r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true,"created_on":"26-02-10"}"#,
                "created_on: 26-02-10 — not a date (YYYY-MM-DD)",
            ),
            (
                r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true,"created_on":"9999-12-31"}"#,
                "created_on: 9999-12-31 — dates run from 1900-01-01 to 2199-12-31",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(t.json_err(line).await.to_string(), want);
        }
        let long =
            format!(r#"{{"op":"create_contact","org_id":1,"name":"{}","customer":true}}"#, "A".repeat(1_000_000));
        assert_eq!(t.json_err(&long).await.to_string(), "name: (1000000 characters) — at most 200 characters");
        let closed = r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true,"created_on":"2025-03-31"}"#;
        assert!(t.json_err(closed).await.to_string().contains("created_on"), "closed period");
        assert_eq!(t.scalar("select count(*) as v from contacts").await?, 0);
        // the day after the close is open
        t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true,"created_on":"2025-04-01"}"#).await?;
        assert_eq!(t.scalar("select count(*) as v from contacts").await?, 1);
    }
    Ok(())
}
