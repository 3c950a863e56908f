//! Subscriptions: kept with their reports and recipients, due at the schedule's next slot, paused and resumed,
//! removed; bad input named by field with nothing saved, and another org's users and rows out of reach.

use anyhow::Result;
use oltp::{Ctx, subscriptions};

use crate::support::TestDb;

#[tokio::test]
async fn a_subscription_is_kept_due_paused_resumed_and_removed() -> Result<()> {
    for t in TestDb::all().await? {
        t.json(r#"{"op":"create_org","name":"Carat & Co"}"#).await?;
        t.json(r#"{"op":"create_org","name":"Other"}"#).await?;
        t.json(r#"{"op":"create_user","org_id":1,"username":"maya","display_name":"Maya","groups":["owner"],"email":"maya@carat.example"}"#).await?;
        t.json(r#"{"op":"create_user","org_id":1,"username":"leo","display_name":"Leo","groups":["sales"],"email":"leo@carat.example"}"#).await?;
        t.json(r#"{"op":"create_user","org_id":2,"username":"zed","display_name":"Zed","groups":["owner"]}"#).await?;
        t.json(r#"{"op":"create_user","org_id":1,"username":"ivy","display_name":"Ivy","groups":["sales"]}"#).await?;
        // a manager and an owner who see only the first store (users 5 and 6)
        t.json(r#"{"op":"create_store","org_id":1,"code":"MAIN","name":"Main"}"#).await?;
        t.json(r#"{"op":"create_user","org_id":1,"username":"max","display_name":"Max","groups":["manager"],"store_ids":[1]}"#).await?;
        t.json(r#"{"op":"create_user","org_id":1,"username":"ola","display_name":"Ola","groups":["owner"],"store_ids":[1]}"#).await?;
        let before = chrono::Utc::now();
        let sub = t
            .json(
                r#"{"op":"create_subscription","org_id":1,"owner_id":1,"name":"Monday AR",
                    "reports":[{"report":"ar_aging","params":{"as_of":"yesterday"}},{"report":"rfm","view":"segments"}],
                    "format":"xlsx","recipients":[{"user_id":2},{"email":"books@example.com"}],
                    "cron":"0 7 * * 1","time_zone":"America/New_York","per_recipient":true}"#,
            )
            .await?;
        let kept = subscriptions::list(&t.db, 1, None).await?;
        assert_eq!(kept.len(), 1);
        let s = &kept[0];
        assert_eq!((s.id, s.owner_id, s.name.as_str(), s.format.as_str()), (sub.id, 1, "Monday AR", "xlsx"));
        assert_eq!(s.reports.len(), 2);
        assert_eq!(s.reports[0].params.get("as_of").map(String::as_str), Some("yesterday"));
        assert_eq!(s.reports[1].view.as_deref(), Some("segments"));
        assert_eq!(
            s.recipients.iter().map(|r| (r.user_id, r.email.clone())).collect::<Vec<_>>(),
            [(Some(2), None), (None, Some("books@example.com".into()))]
        );
        assert!(s.active && s.per_recipient && !s.skip_if_empty);
        // due at the next Monday 07:00 in New York after it was made, worked out apart
        let due = chrono::DateTime::from_timestamp(s.next_run_at, 0).unwrap_or_default();
        let ny = due.with_timezone(&chrono_tz::America::New_York);
        use chrono::{Datelike as _, Timelike as _};
        assert_eq!((ny.weekday(), ny.hour(), ny.minute()), (chrono::Weekday::Mon, 7, 0));
        assert!(due > before && due - before <= chrono::Duration::days(7), "{due} after {before}");
        assert!(subscriptions::list(&t.db, 2, None).await?.is_empty(), "org 2 sees none of org 1's");

        // bad input: each named by its field, and nothing saved
        let changes = t.scalar("select count(*) as v from change_log").await?;
        let base = |patch: &str| {
            format!(
                r#"{{"op":"create_subscription","org_id":1,"owner_id":1,"name":"Daily","reports":[{{"report":"rfm"}}],
                    "format":"pdf","recipients":[{{"user_id":2}}],"cron":"0 7 * * *","time_zone":"UTC"{patch}}}"#
            )
        };
        for (patch, error) in [
            (r#","cron":"0 7 * *""#, "cron: 0 7 * * — "),
            (r#","time_zone":"Mars/Olympus""#, "time_zone: Mars/Olympus — an IANA time zone (America/New_York)"),
            (r#","name":" Monday AR ""#, r#"name: "Monday AR" — the org already has a subscription by this name"#),
            (r#","format":"docx""#, r#"format: "docx" — one of pdf, xlsx, csv, html"#),
            (r#","reports":[]"#, "reports: (0 reports) — 1 to 10"),
            (r#","reports":[{"report":"AR aging"}]"#, r#"reports[0].report: "AR aging" — lower-case letters"#),
            (r#","recipients":[{"user_id":3}]"#, "recipients[0].user_id: 3 — no such active user in this org"),
            (r#","recipients":[{"user_id":4}]"#, "recipients[0].user_id: 4 — the user has no email address"),
            (r#","recipients":[{"email":"books"}]"#, r#"recipients[0].email: "books" — an email address"#),
            (r#","recipients":[{"user_id":2,"email":"a@b.com"}]"#, "recipients[0]: (both or neither)"),
            (r#","owner_id":3"#, "owner_id: 3 — no such active user in this org"),
        ] {
            let e = t.json_err(&patched(&base(""), patch)).await;
            assert!(e.to_string().starts_with(error), "{patch}: {e}");
        }
        let after = t.scalar("select count(*) as v from change_log").await?;
        assert_eq!(after, changes, "a refused subscription leaves no trace");

        // Leo (sales) subscribes as himself only, and may not pause Maya's
        let leo = Ctx { actor: Some(2), today: t.ctx.today };
        let run_as_leo = |line: String| {
            let db = t.db.clone();
            let ctx = leo.clone();
            async move { oltp::execute(&db, &ctx, &oltp::ops::parse(&line)?).await }
        };
        let e = run_as_leo(base("").replace(r#""owner_id":1,"#, "")).await;
        assert!(e.is_ok(), "{e:?}");
        let e = run_as_leo(patched(&base(""), r#","name":"For Maya""#)).await.unwrap_err();
        assert_eq!(e.to_string(), "not permitted: a subscription runs as the user who keeps it");
        let e = run_as_leo(format!(r#"{{"op":"pause_subscription","org_id":1,"subscription_id":{}}}"#, sub.id))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "not permitted: a subscription is changed by its owner, an owner or a manager");
        // it runs with Maya's scope: one who sees less may not send it elsewhere, nor widen it
        for actor in [5, 6] {
            let ctx = Ctx { actor: Some(actor), today: t.ctx.today };
            for patch in [r#""recipients":[{"email":"max@elsewhere.example"}]"#, r#""per_recipient":false"#] {
                let line = format!(r#"{{"op":"update_subscription","org_id":1,"subscription_id":{},{patch}}}"#, sub.id);
                let e = oltp::execute(&t.db, &ctx, &oltp::ops::parse(&line)?).await.unwrap_err();
                assert!(e.to_string().starts_with("not permitted: a subscription runs with its owner's scope"), "{e}");
            }
        }
        let pause = format!(r#"{{"op":"pause_subscription","org_id":1,"subscription_id":{}}}"#, sub.id);
        let max = Ctx { actor: Some(5), today: t.ctx.today };
        oltp::execute(&t.db, &max, &oltp::ops::parse(&pause)?).await?;
        let s = subscriptions::list(&t.db, 1, Some(1)).await?.remove(0);
        assert_eq!((s.active, s.per_recipient, s.recipients.len()), (false, true, 2), "paused by Max, not changed");
        t.json(&format!(r#"{{"op":"resume_subscription","org_id":1,"subscription_id":{}}}"#, sub.id)).await?;

        // changed: what is given replaces the old, a new schedule moves the next run, a taken name is refused
        let before_change = subscriptions::list(&t.db, 1, Some(1)).await?.remove(0);
        t.json(&format!(
            r#"{{"op":"update_subscription","org_id":1,"subscription_id":{},"format":"pdf",
                "recipients":[{{"email":"owner@carat.example"}}],"cron":"30 6 * * 1-5"}}"#,
            sub.id
        ))
        .await?;
        let s = subscriptions::list(&t.db, 1, Some(1)).await?.remove(0);
        assert_eq!((s.format.as_str(), s.cron.as_str()), ("pdf", "30 6 * * 1-5"));
        assert_eq!(
            s.recipients,
            vec![subscriptions::Recipient { user_id: None, email: Some("owner@carat.example".into()) }]
        );
        assert_eq!(
            (s.name.as_str(), &s.reports),
            (before_change.name.as_str(), &before_change.reports),
            "the rest unchanged"
        );
        let next = subscriptions::next_run("30 6 * * 1-5", "America/New_York", chrono::Utc::now())?.timestamp();
        assert!((s.next_run_at - next).abs() <= 5, "the next weekday at 06:30: {} vs {next}", s.next_run_at);
        let e = t
            .json_err(&format!(
                r#"{{"op":"update_subscription","org_id":1,"subscription_id":{},"name":"Leo's","time_zone":"Mars/Olympus"}}"#,
                sub.id
            ))
            .await;
        assert_eq!(e.to_string(), "time_zone: Mars/Olympus — an IANA time zone (America/New_York)");
        let e = t
            .json_err(&format!(
                r#"{{"op":"update_subscription","org_id":1,"subscription_id":{},"name":"Daily"}}"#,
                sub.id
            ))
            .await;
        assert_eq!(e.to_string(), r#"name: "Daily" — the org already has a subscription by this name"#);
        assert_eq!(subscriptions::list(&t.db, 1, Some(1)).await?.remove(0), s, "nothing changed");

        // paused with a reason; resumed from the next slot after now; removed with its recipients
        t.json(&format!(
            r#"{{"op":"pause_subscription","org_id":1,"subscription_id":{},"reason":"on holiday"}}"#,
            sub.id
        ))
        .await?;
        let s = subscriptions::list(&t.db, 1, Some(1)).await?.remove(0);
        assert_eq!((s.active, s.paused_reason.as_deref()), (false, Some("on holiday")));
        t.json(&format!(r#"{{"op":"resume_subscription","org_id":1,"subscription_id":{}}}"#, sub.id)).await?;
        let s = subscriptions::list(&t.db, 1, Some(1)).await?.remove(0);
        assert_eq!((s.active, s.paused_reason), (true, None));
        // another org cannot reach it
        let e = t.json_err(&format!(r#"{{"op":"delete_subscription","org_id":2,"subscription_id":{}}}"#, sub.id)).await;
        assert_eq!(e.to_string(), format!("subscription {} not found", sub.id));
        t.json(&format!(r#"{{"op":"delete_subscription","org_id":1,"subscription_id":{}}}"#, sub.id)).await?;
        assert_eq!(subscriptions::list(&t.db, 1, None).await?.len(), 1, "Leo's own is left");
        let left = t.scalar("select count(*) as v from subscription_recipients").await?;
        assert_eq!(left, 1, "the removed subscription's recipients went with it");
    }
    Ok(())
}

/// `line` with the JSON fields of `patch` (`,"k":v…`) in place of its own.
fn patched(line: &str, patch: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
    let p: serde_json::Value =
        serde_json::from_str(&format!("{{{}}}", patch.trim_start_matches(','))).unwrap_or_default();
    if let (Some(o), Some(p)) = (v.as_object_mut(), p.as_object()) {
        for (k, val) in p {
            o.insert(k.clone(), val.clone());
        }
    }
    v.to_string()
}

/// The scheduler's claim: eight schedulers at once claim a due run exactly once; a run whose slots passed while
/// no server ran is claimed once, for its latest slot; and a clock stepping through a spring-forward and a
/// fall-back night claims a nightly run once a day.
#[tokio::test]
async fn a_due_run_is_claimed_once_whoever_asks_and_however_late() -> Result<()> {
    use chrono::{NaiveDate, TimeZone as _};
    let ny = chrono_tz::America::New_York;
    let local = |d: (i32, u32, u32), h: u32, m: u32| {
        ny.with_ymd_and_hms(d.0, d.1, d.2, h, m, 0).single().map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default()
    };
    for t in TestDb::all().await? {
        t.json(r#"{"op":"create_org","name":"Carat & Co"}"#).await?;
        t.json(r#"{"op":"create_user","org_id":1,"username":"maya","display_name":"Maya","groups":["owner"],"email":"maya@carat.example"}"#).await?;
        let make = |name: &str, cron: &str| {
            format!(
                r#"{{"op":"create_subscription","org_id":1,"owner_id":1,"name":"{name}","reports":[{{"report":"rfm"}}],
                    "format":"pdf","recipients":[{{"user_id":1}}],"cron":"{cron}","time_zone":"America/New_York"}}"#
            )
        };
        let daily = t.json(&make("Daily", "0 7 * * *")).await?.id;
        // its slot came on 2026-03-02 at 07:00 and no server ran for three days
        let set = |id: i64, at: chrono::DateTime<chrono::Utc>| {
            format!("update subscriptions set next_run_at = {} where id = {id}", at.timestamp())
        };
        t.db.execute_trusted(&set(daily, local((2026, 3, 2), 7, 0))).await?;
        let now = local((2026, 3, 5), 12, 0);
        let runs = futures_like_join(&t.db, now).await?;
        assert_eq!(runs.len(), 1, "one claim among eight schedulers: {runs:?}");
        assert_eq!(runs[0].slot, local((2026, 3, 5), 7, 0).timestamp(), "the latest slot, once");
        let next = subscriptions::list(&t.db, 1, None).await?.remove(0).next_run_at;
        assert_eq!(next, local((2026, 3, 6), 7, 0).timestamp());
        assert!(subscriptions::claim_due(&t.db, now, "again", 100).await?.is_empty(), "claimed already");
        assert_eq!(t.scalar("select count(*) as v from deliveries where status = 'pending'").await?, 1);
        // the server that claimed it stopped mid-run: after the stale time one other server takes it over, once
        let later = now + chrono::Duration::minutes(20);
        let stale = later - chrono::Duration::minutes(15);
        assert!(
            subscriptions::reclaim_stale(&t.db, now - chrono::Duration::minutes(1), later, "early").await?.is_empty()
        );
        let (a, b) = tokio::join!(
            subscriptions::reclaim_stale(&t.db, stale, later, "server-a"),
            subscriptions::reclaim_stale(&t.db, stale, later, "server-b")
        );
        let taken: Vec<_> = a?.into_iter().chain(b?).collect();
        assert_eq!(taken.len(), 1, "{taken:?}");
        assert_eq!((taken[0].delivery_id, taken[0].slot), (runs[0].delivery_id, runs[0].slot));
        // the first claim, still waiting its turn, no longer holds: only the server that took it over sends it
        let mut first = runs[0].clone();
        assert!(!subscriptions::start(&t.db, &mut first, later, None).await?, "the first claim is lost");
        let mut held = taken[0].clone();
        assert!(
            subscriptions::start(&t.db, &mut held, later + chrono::Duration::seconds(5), Some("a@carat.example"))
                .await?
        );
        assert_eq!(subscriptions::sent_so_far(&t.db, held.delivery_id).await?, ["a@carat.example"], "its progress");
        assert_eq!(held.claimed_at, (later + chrono::Duration::seconds(5)).timestamp(), "renewed");
        // finished, it is nobody's to take
        let done = subscriptions::Finished {
            status: "sent",
            attempts: 1,
            recipients: "maya@carat.example".into(),
            resolved: "[]".into(),
            bytes: 10,
            message_id: Some("<x@carat.example>".into()),
            error: None,
            at: later,
        };
        assert!(!subscriptions::finish(&t.db, &runs[0], &done).await?, "only the claim's holder finishes it");
        assert!(subscriptions::finish(&t.db, &held, &done).await?);
        assert!(!subscriptions::finish(&t.db, &held, &done).await?, "once");
        let much_later = later + chrono::Duration::hours(1);
        assert!(subscriptions::reclaim_stale(&t.db, much_later, much_later, "server-c").await?.is_empty());
        let log = subscriptions::deliveries(&t.db, 1, Some(daily), None, 10).await?;
        assert_eq!((log.len(), log[0].status.as_str()), (1, "sent"));
        assert!(["server-a", "server-b"].contains(&log[0].claimed_by.as_str()), "taken over: {:?}", log[0].claimed_by);

        // a clock stepping 10 minutes at a time through both daylight-saving nights of 2026
        t.db.execute_trusted(&format!("update subscriptions set active = false where id = {daily}")).await?;
        let night = t.json(&make("Night", "30 1 * * *")).await?.id;
        for (from, to) in [((2026, 3, 7), (2026, 3, 10)), ((2026, 10, 31), (2026, 11, 3))] {
            let (start, end) = (local(from, 0, 0), local(to, 0, 0));
            let first = subscriptions::next_run("30 1 * * *", "America/New_York", start)?;
            t.db.execute_trusted(&set(night, first)).await?;
            let mut days: std::collections::BTreeMap<NaiveDate, usize> = Default::default();
            let mut clock = start;
            while clock < end {
                for c in subscriptions::claim_due(&t.db, clock, "clock", 100).await? {
                    let at = chrono::DateTime::from_timestamp(c.slot, 0).unwrap_or_default().with_timezone(&ny);
                    *days.entry(at.date_naive()).or_default() += 1;
                }
                clock += chrono::Duration::minutes(10);
            }
            assert_eq!(days.values().copied().collect::<Vec<_>>(), [1, 1, 1], "{from:?}: once a night: {days:?}");
        }

        // "send now" at the very second of a slot: the slot counts as sent, and the scheduler claims the rest
        let slot = subscriptions::next_run("30 1 * * *", "America/New_York", local((2026, 12, 1), 0, 0))?;
        t.db.execute_trusted(&set(night, slot)).await?;
        t.db.execute_trusted("update deliveries set status = 'sent' where status = 'pending'").await?;
        let daily_again = t.json(&make("Daily again", "30 1 * * *")).await?.id;
        t.db.execute_trusted(&set(daily_again, slot)).await?;
        let now = subscriptions::claim_now(&t.db, 1, night, slot, "send now: maya").await?;
        assert!(now.manual);
        // while it is in flight, another "send now" is refused rather than mailing it twice
        let again =
            subscriptions::claim_now(&t.db, 1, night, slot + chrono::Duration::seconds(3), "send now: leo").await;
        assert!(again.unwrap_err().to_string().contains("is being sent now"));
        let claimed = subscriptions::claim_due(&t.db, slot, "server-a", 100).await?;
        assert_eq!(claimed.iter().map(|c| c.subscription_id).collect::<Vec<_>>(), [daily_again], "{claimed:?}");
        let next =
            subscriptions::list(&t.db, 1, None).await?.into_iter().find(|s| s.id == night).map(|s| s.next_run_at);
        assert_eq!(next, Some(subscriptions::next_run("30 1 * * *", "America/New_York", slot)?.timestamp()));
        // the process sending it stopped and no server took it over: past the stale limit, "send now" closes it
        let much_later = slot + chrono::Duration::seconds(subscriptions::STALE_SECS + 60);
        let again = subscriptions::claim_now(&t.db, 1, night, much_later, "send now: leo").await?;
        let log = subscriptions::deliveries(&t.db, 1, Some(night), None, 10).await?;
        let first = log.iter().find(|d| d.id == now.delivery_id).map(|d| d.status.as_str());
        assert_eq!(first, Some("failed"), "closed: {log:?}");
        assert_ne!(again.delivery_id, now.delivery_id);
    }
    Ok(())
}

/// Eight schedulers claiming at the same moment, side by side; every claim they made.
async fn futures_like_join(db: &oltp::Db, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<subscriptions::Claimed>> {
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move { subscriptions::claim_due(&db, now, &format!("server-{i}"), 100).await })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}
