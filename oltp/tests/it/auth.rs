//! Signing in: passwords against their argon2 hashes, sessions and API tokens kept as hashes of their secrets,
//! idle and absolute expiry, sign-out, revocation, and a password change or a disabled user ending them.

use anyhow::{Context, Result};
use oltp::auth::{self, Policy, WRONG};

use crate::support::TestDb;

const PASSWORD: &str = "correct horse battery";
/// 2026-12-06 09:00 UTC, a Sunday morning at the counter.
const NINE: i64 = 1_796_547_600;
const POLICY: Policy = Policy { idle: 2 * 3600, absolute: 12 * 3600 };

async fn books(t: &TestDb) -> Result<()> {
    t.json(r#"{"op":"create_org","name":"Carat & Co"}"#).await?;
    t.json(r#"{"op":"create_org","name":"Other"}"#).await?;
    t.json(r#"{"op":"create_store","org_id":1,"code":"MAIN","name":"Main"}"#).await?;
    t.json(r#"{"op":"create_store","org_id":1,"code":"MALL","name":"Mall"}"#).await?;
    t.json(&format!(r#"{{"op":"create_user","org_id":1,"username":"maya","display_name":"Maya Chen","password":"{PASSWORD}","groups":["owner"]}}"#)).await?;
    t.json(&format!(r#"{{"op":"create_user","org_id":1,"username":"leo","display_name":"Leo Park","password":"{PASSWORD}","groups":["sales"],"store_ids":[2]}}"#)).await?;
    // the same username in another org, and a user without a password
    t.json(&format!(r#"{{"op":"create_user","org_id":2,"username":"leo","display_name":"Leo Other","password":"{PASSWORD}","groups":["owner"]}}"#)).await?;
    t.json(r#"{"op":"create_user","org_id":1,"username":"nina","display_name":"Nina","groups":["bench"]}"#).await?;
    Ok(())
}

#[tokio::test]
async fn a_session_opens_with_the_right_password_and_ends_idle_at_its_end_or_at_sign_out() -> Result<()> {
    for t in TestDb::all().await? {
        books(&t).await?;
        // wrong password, unknown user, a user without a password: the same words, nothing opened
        for (user, password) in [("maya", "wrong password"), ("nobody", PASSWORD), ("nina", "")] {
            let e =
                auth::sign_in(&t.db, None, user, password, "test", NINE, POLICY).await.err().context("signed in")?;
            assert_eq!(e.to_string(), WRONG, "{user}");
            assert_eq!(e.kind(), "unauthenticated");
        }
        assert_eq!(t.scalar("select count(*) as v from sessions").await?, 0);
        // a username two orgs use needs the org
        let e = auth::sign_in(&t.db, None, "leo", PASSWORD, "test", NINE, POLICY).await.err().context("ambiguous")?;
        assert_eq!(e.to_string(), "org_id: (none) — this username is used in several orgs: give org_id");
        let (leo, _) = auth::sign_in(&t.db, Some(1), "leo", PASSWORD, "test", NINE, POLICY).await?;
        assert_eq!(
            (leo.org_id, leo.user_id, leo.groups.clone(), leo.stores.clone()),
            (1, 2, vec!["sales".to_string()], Some(vec![2]))
        );
        let (other, _) = auth::sign_in(&t.db, Some(2), "leo", PASSWORD, "test", NINE, POLICY).await?;
        assert_eq!((other.org_id, other.display_name.as_str()), (2, "Leo Other"));

        let (maya, s) = auth::sign_in(&t.db, None, " maya ", PASSWORD, "192.0.2.7 Firefox", NINE, POLICY).await?;
        assert_eq!((maya.user_id, maya.stores.clone(), s.expires_at), (1, None, Some(NINE + 12 * 3600)));
        assert_eq!(s.secret.len(), 64);
        // the books keep the secret's hash, not the secret
        let kept = t.value(format!("select count(*) as v from sessions where secret_hash = '{}'", s.secret)).await?;
        assert_eq!(kept, 0);

        // activity keeps it open: 1 h 59 idle, then every 1 h 50 until the absolute end at 21:00
        let at = |h: i64, m: i64| NINE + h * 3600 + m * 60;
        assert_eq!(auth::session(&t.db, &s.secret, at(1, 59), POLICY).await?, Some(maya.clone()));
        let mut last = at(1, 59);
        while last + 110 * 60 < at(12, 0) {
            last += 110 * 60;
            assert!(auth::session(&t.db, &s.secret, last, POLICY).await?.is_some(), "open at {}", (last - NINE) / 60);
        }
        assert_eq!(auth::session(&t.db, &s.secret, at(12, 0), POLICY).await?, None, "the absolute end");
        // idle two hours: closed
        let (_, idle) = auth::sign_in(&t.db, None, "maya", PASSWORD, "", NINE, POLICY).await?;
        assert!(auth::session(&t.db, &idle.secret, at(1, 0), POLICY).await?.is_some());
        assert_eq!(auth::session(&t.db, &idle.secret, at(3, 0), POLICY).await?, None);
        // an unknown secret is nobody
        assert_eq!(auth::session(&t.db, "0".repeat(64).as_str(), NINE, POLICY).await?, None);

        // sign-out ends it; a replayed cookie is nobody
        let (_, out) = auth::sign_in(&t.db, None, "maya", PASSWORD, "phone", at(0, 10), POLICY).await?;
        let listed = auth::sessions(&t.db, 1, at(0, 20), POLICY).await?;
        assert_eq!(listed.iter().map(|x| x.client.as_str()).collect::<Vec<_>>(), ["phone", "", "192.0.2.7 Firefox"]);
        assert!(auth::sign_out(&t.db, &out.secret, at(0, 30)).await?);
        assert!(!auth::sign_out(&t.db, &out.secret, at(0, 31)).await?);
        assert_eq!(auth::session(&t.db, &out.secret, at(0, 32), POLICY).await?, None);
        // revoking: her own session, not Leo's
        let e = auth::revoke_session(&t.db, 2, idle.id, at(0, 40)).await.err().context("Leo revoked Maya's")?;
        assert_eq!(e.to_string(), format!("session {} not found", idle.id));
        auth::revoke_session(&t.db, 1, idle.id, at(0, 40)).await?;
        assert_eq!(auth::session(&t.db, &idle.secret, at(0, 41), POLICY).await?, None);
    }
    Ok(())
}

#[tokio::test]
async fn a_new_password_or_a_disabled_user_ends_sessions_and_tokens() -> Result<()> {
    for t in TestDb::all().await? {
        books(&t).await?;
        let (_, s) = auth::sign_in(&t.db, Some(1), "leo", PASSWORD, "", NINE, POLICY).await?;
        let tok = auth::create_token(&t.db, 1, 2, "front counter POS", None, NINE).await?;
        assert!(tok.secret.starts_with("loupe_") && tok.secret.len() == 6 + 64);
        let leo = auth::token(&t.db, &tok.secret, NINE + 60).await?.context("the token works")?;
        assert_eq!((leo.user_id, leo.org_id), (2, 1));
        let listed = auth::tokens(&t.db, 2, NINE + 120).await?;
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].name.as_str(), listed[0].prefix.len(), listed[0].last_used_at),
            ("front counter POS", 12, Some(NINE + 60))
        );
        assert!(tok.secret.starts_with(&listed[0].prefix));

        // a new password: sessions end, the token stays (a till keeps working)
        t.json(r#"{"op":"update_user","org_id":1,"user_id":2,"password":"another good one"}"#).await?;
        assert_eq!(auth::session(&t.db, &s.secret, NINE + 60, POLICY).await?, None);
        assert!(auth::token(&t.db, &tok.secret, NINE + 60).await?.is_some());
        let e = auth::sign_in(&t.db, Some(1), "leo", PASSWORD, "", NINE, POLICY).await.err().context("old password")?;
        assert_eq!(e.to_string(), WRONG);
        let (_, s2) = auth::sign_in(&t.db, Some(1), "leo", "another good one", "", NINE, POLICY).await?;

        // disabled: neither sessions nor tokens, and no sign-in
        t.json(r#"{"op":"update_user","org_id":1,"user_id":2,"active":false}"#).await?;
        assert_eq!(auth::session(&t.db, &s2.secret, NINE + 60, POLICY).await?, None);
        assert_eq!(auth::token(&t.db, &tok.secret, NINE + 60).await?, None);
        let e = auth::sign_in(&t.db, Some(1), "leo", "another good one", "", NINE, POLICY)
            .await
            .err()
            .context("disabled")?;
        assert_eq!(e.to_string(), WRONG);
        let e = auth::create_token(&t.db, 1, 2, "again", None, NINE).await.err().context("disabled user's token")?;
        assert_eq!(e.to_string(), "user_id: 2 — user is disabled");
    }
    Ok(())
}

#[tokio::test]
async fn tokens_expire_are_revoked_by_their_owner_and_stay_in_their_org() -> Result<()> {
    for t in TestDb::all().await? {
        books(&t).await?;
        let day = 24 * 3600;
        let tok = auth::create_token(&t.db, 1, 1, "script", Some(NINE + 30 * day), NINE).await?;
        assert!(auth::token(&t.db, &tok.secret, NINE + 30 * day - 1).await?.is_some());
        assert_eq!(auth::token(&t.db, &tok.secret, NINE + 30 * day).await?, None, "expired");
        assert!(auth::tokens(&t.db, 1, NINE + 30 * day).await?.is_empty());
        // refused: another org's user, an end in the past, no name
        for (org, user, name, end, error) in [
            (2, 1, "x", None, "user_id: 1 — no such user in this org"),
            (1, 1, "x", Some(NINE), "expires_at: 1796547600 — must be in the future"),
            (1, 1, " ", None, "name: \"\" — must not be empty"),
        ] {
            let e = auth::create_token(&t.db, org, user, name, end, NINE).await.err().context("refused")?;
            assert_eq!(e.to_string(), error);
        }
        // revoked by its owner only
        let tok = auth::create_token(&t.db, 1, 1, "POS", None, NINE).await?;
        let e = auth::revoke_token(&t.db, 2, tok.id, NINE).await.err().context("Leo revoked Maya's token")?;
        assert_eq!(e.to_string(), format!("token {} not found", tok.id));
        auth::revoke_token(&t.db, 1, tok.id, NINE).await?;
        assert_eq!(auth::token(&t.db, &tok.secret, NINE + 1).await?, None);
    }
    Ok(())
}
