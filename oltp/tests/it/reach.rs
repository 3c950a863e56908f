//! Where an acting user may write: their org, and their stores. Whatever the command, no row of another org or of
//! a store outside the user's is written (as it was or as it would become), and access is given only by someone
//! who has it: a store-limited manager cannot make an all-stores user or an owner, nor take over one.

use anyhow::Result;
use oltp::Ctx;

use crate::support::TestDb;

const BOOKS: &str = r#"
{"op":"create_org","name":"Carat & Co"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street"}
{"op":"create_store","org_id":1,"code":"MALL","name":"The Mall"}
{"op":"create_user","org_id":1,"username":"olivia","display_name":"Olivia","groups":["owner"]}
{"op":"create_user","org_id":1,"username":"max","display_name":"Max","groups":["manager"],"salesperson":true,"store_ids":[2]}
{"op":"create_user","org_id":1,"username":"ada","display_name":"Ada","groups":["sales"]}
{"op":"create_contact","org_id":1,"name":"Stuller","vendor":true}
{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true}
{"op":"create_style","org_id":1,"style_no":"R-1","family":"jewelry","category":"rings","description":"ring","vendor_id":1,"serialized":true,"retail_price":"900.00"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"vendor_id":1,"cost":"400.00","received_on":"2026-01-05"}
{"op":"receive_item","org_id":1,"store_id":2,"style_id":1,"vendor_id":1,"cost":"400.00","received_on":"2026-01-05"}
{"op":"create_org","name":"Other"}
{"op":"create_store","org_id":2,"code":"X","name":"Elsewhere"}
"#;

#[tokio::test]
async fn a_store_limited_user_writes_nothing_of_another_store_or_org() -> Result<()> {
    for t in TestDb::all().await? {
        for line in BOOKS.lines().filter(|l| !l.trim().is_empty()) {
            t.json(line).await?;
        }
        let max = Ctx { actor: Some(2), ..t.ctx.clone() };
        let as_max = |line: &str| {
            let cmd = oltp::ops::parse(line).map_err(|e| anyhow::anyhow!("{e}"));
            let ctx = max.clone();
            let db = t.db.clone();
            async move { oltp::execute(&db, &ctx, &cmd?).await.map_err(|e| anyhow::anyhow!("{e}")) }
        };
        let changes = || t.scalar("select cast(count(*) as bigint) as v from change_log");
        let before = changes().await?;
        for (line, why) in [
            // a document at Main Street
            (
                r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"lines":[{"kind":"sale","item_id":1,"unit_price":"900.00"}]}"#,
                "store 1 is not one of your stores (2)",
            ),
            // the ring at The Mall moved to Main Street: the row would become store 1's
            (
                r#"{"op":"transfer_stock","org_id":1,"item_id":2,"to_store_id":1}"#,
                "store 1 is not one of your stores (2)",
            ),
            // the ring at Main Street moved to The Mall: the row was store 1's
            (
                r#"{"op":"transfer_stock","org_id":1,"item_id":1,"to_store_id":2}"#,
                "store 1 is not one of your stores (2)",
            ),
            (r#"{"op":"update_store","org_id":1,"store_id":1,"name":"Mine now"}"#, "store 1 is not one of your stores"),
            (r#"{"op":"create_store","org_id":1,"code":"NEW","name":"New"}"#, "is not one of your stores"),
            // giving more than Max has
            (
                r#"{"op":"create_user","org_id":1,"username":"kim","display_name":"Kim","groups":["sales"]}"#,
                "cannot give access to all stores",
            ),
            (
                r#"{"op":"create_user","org_id":1,"username":"kim","display_name":"Kim","groups":["sales"],"store_ids":[1]}"#,
                "store 1 is not one of your stores",
            ),
            (
                r#"{"op":"create_user","org_id":1,"username":"kim","display_name":"Kim","groups":["owner"],"store_ids":[2]}"#,
                "only an owner may give the owner group",
            ),
            // taking over Ada, who works in every store, or Olivia, the owner
            (
                r#"{"op":"update_user","org_id":1,"user_id":3,"password":"taken-over-1"}"#,
                "works in stores that are not yours",
            ),
            (r#"{"op":"update_user","org_id":1,"user_id":1,"active":false}"#, "is an owner"),
            // another org's store
            (r#"{"op":"update_store","org_id":2,"store_id":3,"name":"Mine now"}"#, "org 2 not found"),
        ] {
            let e = as_max(line).await.expect_err(line);
            assert!(e.to_string().contains(why), "{line}: {e}");
        }
        assert_eq!(changes().await?, before, "a refused command left a change");
        // within The Mall he works as before: a sale, a user of The Mall, a price change at The Mall
        as_max(r#"{"op":"create_invoice","org_id":1,"store_id":2,"customer_id":2,"salesperson_id":2,"lines":[{"kind":"sale","item_id":2,"unit_price":"900.00"}],"finalize":true}"#).await?;
        as_max(r#"{"op":"create_user","org_id":1,"username":"kim","display_name":"Kim","groups":["sales"],"store_ids":[2]}"#)
            .await?;
        as_max(r#"{"op":"update_user","org_id":1,"user_id":4,"display_name":"Kim Lee"}"#).await?;
        // the owner, limited to no store, gives and moves anything
        let olivia = Ctx { actor: Some(1), ..t.ctx.clone() };
        let cmd = oltp::ops::parse(r#"{"op":"transfer_stock","org_id":1,"item_id":1,"to_store_id":2}"#)?;
        oltp::execute(&t.db, &olivia, &cmd).await?;
        // a disabled user writes nowhere
        t.json(r#"{"op":"update_user","org_id":1,"user_id":2,"active":false}"#).await?;
        let e = as_max(r#"{"op":"create_contact","org_id":1,"name":"Someone","customer":true}"#)
            .await
            .expect_err("disabled");
        assert!(e.to_string().contains("disabled"), "{e}");
    }
    Ok(())
}
