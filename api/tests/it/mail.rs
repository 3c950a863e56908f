//! Scheduled reports mailed to a real SMTP server (aiosmtpd, `smtp.py` beside this file, one per test) and read
//! back as a recipient's mail program would: the attachments opened with openpyxl, pdftotext and a CSV reader
//! and compared with the same reports run directly on the lake; per-recipient scope, skip-if-empty, retries and
//! the failure notice, two schedulers on one database, and a clock walked through both daylight-saving nights.

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use api::deliver::Sender;
use api::mail::{Outbox, Settings};
use api::scheduler::Scheduler;
use chrono::{DateTime, TimeZone as _, Utc};
use oltp::subscriptions::Finished;
use oltp::{Ctx, Db};
use reports::{Request, Scope, Value};
use serde_json::{Value as Json, json};

use crate::http::{Books, apply, open};

/// The two shops of the server tests, with addresses for Olivia (owner), Sam (sells at The Mall only) and
/// Alice (accounting). Receivable: invoice 1 at Main Street, 6,200.00 + 6 % = 6,572.00; invoice 2 at The Mall,
/// 2 × 180.00 + 6 % = 381.60; both Ann Lee's.
fn journal() -> String {
    format!(
        "{}\n{}",
        crate::serve::TWO_SHOPS,
        r#"
{"op":"update_user","org_id":1,"user_id":1,"email":"olivia@carat.example"}
{"op":"update_user","org_id":1,"user_id":2,"email":"sam@carat.example"}
{"op":"update_user","org_id":1,"user_id":3,"email":"alice@carat.example"}
"#
    )
}

/// An SMTP server of our own on a free port, keeping what it accepts in a Maildir.
struct Smtp {
    port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/smtp.py");

impl Smtp {
    fn start() -> Smtp {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("python3")
            .args([SCRIPT, &port.to_string(), dir.path().join("Maildir").to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/test-setup.sh installs it)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start (is aiosmtpd installed?)");
        Smtp { port, dir, child }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Every message kept, oldest first.
    fn messages(&self) -> Vec<Json> {
        let maildir = self.dir.path().join("Maildir");
        if !maildir.join("cur").exists() && !maildir.join("new").exists() {
            return Vec::new();
        }
        let out = Command::new("python3").args([SCRIPT, "--read", maildir.to_str().unwrap()]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Books landed in a lake, and a way to send from them.
struct Room {
    rt: tokio::runtime::Runtime,
    db: Db,
    lake: etl::Lake,
    _dir: tempfile::TempDir,
}

impl Room {
    fn new(books: &Books) -> Room {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
        let lake = etl::Lake::at(dir.path().join("lake"));
        let db = rt.block_on(async {
            let db = open(books, dir.path()).await;
            db.migrate().await.unwrap();
            apply(&db, &journal()).await;
            etl::sync(&db, &lake, &std::sync::atomic::AtomicBool::new(false), &mut |_| {}).await.unwrap();
            db
        });
        Room { rt, db, lake, _dir: dir }
    }

    fn sender(&self, url: &str, backoff: &[u64]) -> Arc<Sender> {
        let settings = Settings { url: url.into(), from: "Carat & Co reports <reports@carat.example>".into() };
        Arc::new(Sender {
            db: self.db.clone(),
            lake: self.lake.clone(),
            outbox: Outbox::new(&settings).unwrap(),
            backoff: backoff.iter().map(|ms| Duration::from_millis(*ms)).collect(),
            lake_work: Arc::new(tokio::sync::Semaphore::new(2)),
        })
    }

    /// Keeps a subscription of org 1 owned by Olivia: `fields` over a Monday-morning xlsx one.
    fn subscribe(&self, fields: Json) -> i64 {
        let mut cmd = json!({
            "op": "create_subscription", "org_id": 1, "owner_id": 1, "name": "Monday AR",
            "reports": [{"report": "ar_aging"}], "format": "xlsx", "recipients": [{"user_id": 3}],
            "cron": "0 7 * * 1", "time_zone": "America/New_York"
        });
        for (k, v) in fields.as_object().unwrap() {
            cmd[k] = v.clone();
        }
        let cmd = oltp::ops::parse(&cmd.to_string()).unwrap();
        self.rt.block_on(oltp::execute(&self.db, &Ctx::operator(), &cmd)).unwrap().id
    }

    /// Sends subscription `id` now, as `loupe schedule run-now` does.
    fn send_now(&self, sender: &Sender, id: i64) -> Finished {
        self.rt.block_on(async {
            let mut c = oltp::subscriptions::claim_now(&self.db, 1, id, Utc::now(), "test").await.unwrap();
            api::deliver::deliver(sender, &mut c).await.unwrap()
        })
    }

    /// Report `report` run directly on the lake with `params`, for the stores `stores` (`None`: every one).
    fn run(&self, report: &str, params: &Json, stores: Option<Vec<i64>>) -> reports::Output {
        self.rt.block_on(async {
            let snapshot = self.lake.snapshot().await.unwrap();
            let cx = reports::Context::at(&snapshot, Scope::Org { org_id: 1, stores }, Utc::now()).await.unwrap();
            let params = params
                .as_object()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect())
                .unwrap_or_default();
            reports::run(&cx, &Request { report: report.into(), view: None, params }).await.unwrap()
        })
    }

    fn scalar(&self, sql: &str) -> i64 {
        self.rt
            .block_on(async { self.db.fetch_one(oltp::db::Q::built(sql.to_string())).await.unwrap().i64("v").unwrap() })
    }
}

/// A workbook's sheets as openpyxl reads them: name and rows of cell values (numbers as numbers, dates as
/// ISO text, empty cells null).
fn workbook(path: &str) -> Vec<(String, Vec<Vec<Json>>)> {
    let code = r#"
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], data_only=True)
def cell(v):
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.strftime("%Y-%m-%d")
    return v
print(json.dumps([[ws.title, [[cell(c) for c in row] for row in ws.iter_rows(values_only=True)]] for ws in wb.worksheets]))
"#;
    let out = Command::new("python3").args(["-c", code, path]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The data rows of a sheet: those after the header row (found by its labels), before the totals row.
fn sheet_rows(rows: &[Vec<Json>], o: &reports::Output) -> Vec<Vec<Json>> {
    let labels: Vec<Json> = o.header.shown().map(|(_, c)| Json::from(c.label.to_string())).collect();
    let at = rows.iter().position(|r| r[..labels.len().min(r.len())] == labels[..]).expect("a header row");
    rows[at + 1..at + 1 + o.rows].iter().map(|r| r[..labels.len()].to_vec()).collect()
}

/// A cell as the workbook holds it against the engine's value: the same number to the cent, the same text.
fn same(cell: &Json, v: &Value) -> bool {
    match (cell, v) {
        (Json::Null, Value::Null) => true,
        (Json::Number(n), v) => v.plain().parse::<f64>().is_ok_and(|x| (x - n.as_f64().unwrap()).abs() < 0.000_5),
        (Json::String(s), v) => *s == v.plain(),
        _ => false,
    }
}

fn assert_sheet_is(rows: &[Vec<Json>], o: &reports::Output) {
    let got = sheet_rows(rows, o);
    let shown: Vec<usize> = o.header.shown().map(|(i, _)| i).collect();
    for (r, (row, want)) in got.iter().zip(o.values()).enumerate() {
        for (cell, i) in row.iter().zip(&shown) {
            assert!(same(cell, &want[*i]), "row {r}, column {}: {cell} in the mail, {:?} run directly", i, want[*i]);
        }
    }
    assert_eq!(got.len(), o.rows);
}

fn sent(f: &Finished) {
    assert_eq!(f.status, "sent", "{:?}", f.error);
}

#[test]
fn a_mailed_workbook_holds_the_report_as_run_directly_with_subject_body_and_log() {
    let smtp = Smtp::start();
    let room = Room::new(&Books::Sqlite);
    let sender = room.sender(&smtp.url(), &[10, 10]);
    let id = room.subscribe(json!({"recipients": [{"user_id": 3}, {"email": "partner@outside.example"}]}));
    let f = room.send_now(&sender, id);
    sent(&f);
    assert_eq!(f.attempts, 2, "a try for each letter");

    // a letter each, so the partner outside never sees the staff's address
    let mail = smtp.messages();
    assert_eq!(mail.len(), 2, "a letter each: {mail:#?}");
    let mut to: Vec<&Json> = mail.iter().map(|m| &m["to"]).collect();
    to.sort_by_key(|t| t.to_string());
    assert_eq!(to, [&json!(["alice@carat.example"]), &json!(["partner@outside.example"])]);
    assert_eq!(mail[0]["text"], mail[1]["text"], "the same report to both");
    let m = &mail[0];
    let resolved: Json = serde_json::from_str(&f.resolved).unwrap();
    let params = &resolved[0]["params"];
    let as_of = params["as_of"].as_str().unwrap();
    let direct = room.run("ar_aging", params, None);
    assert_eq!(m["subject"], json!(format!("{} — as of {as_of}", direct.header.title)));
    let text = m["text"].as_str().unwrap();
    assert!(text.starts_with("Carat & Co\n"), "{text}");
    assert!(text.contains(&format!("Data as of {}", direct.header.data_as_of)), "{text}");
    // the totals in the body: the receivable is both invoices, 6,572.00 + 381.60
    assert!(text.contains("6,953.60"), "{text}");
    assert!(text.contains(" rows; totals:\n") && text.contains("    Net: 6,953.60\n"), "{text}");
    assert!(!text.contains(": Total\n"), "the totals row's label is no total: {text}");
    // the partner outside the org is told whose it is and whom to ask to stop it
    assert!(
        text.ends_with(
            "— Sent by Loupe for Olivia Stone (subscription \"Monday AR\"): ask them to change or stop it.\n"
        ),
        "{text}"
    );
    let mut ids: Vec<&str> = mail.iter().filter_map(|m| m["message_id"].as_str()).collect();
    ids.sort_unstable();
    let mut logged: Vec<&str> = f.message_id.as_deref().unwrap_or_default().split(' ').collect();
    logged.sort_unstable();
    assert_eq!(ids, logged, "the log keeps both messages' ids");

    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["name"], json!(format!("ar_aging-{}-{as_of}.xlsx", direct.header.view)));
    let book = workbook(files[0]["path"].as_str().unwrap());
    assert_eq!(book.len(), 1);
    assert_sheet_is(&book[0].1, &direct);

    // the log keeps the run: to whom, its size, the message's id
    assert_eq!(
        room.scalar(&format!("select count(*) as v from deliveries where subscription_id = {id} and status = 'sent'")),
        1
    );
    assert_eq!(f.recipients, "alice@carat.example, partner@outside.example");
    assert!(f.bytes > 1000, "{}", f.bytes);
}

#[test]
fn three_reports_arrive_as_one_workbook_of_three_sheets_and_as_one_pdf_of_three_sections() {
    let smtp = Smtp::start();
    let room = Room::new(&Books::Sqlite);
    let sender = room.sender(&smtp.url(), &[10, 10]);
    let three = json!([
        {"report": "ar_aging"},
        {"report": "gross_profit", "params": {"from": "2026-01-01", "to": "2026-01-31"}},
        {"report": "inventory_valuation"}
    ]);
    let xlsx = room.subscribe(json!({"name": "Month end", "reports": three}));
    let pdf = room.subscribe(json!({"name": "Month end PDF", "reports": three, "format": "pdf"}));
    sent(&room.send_now(&sender, xlsx));
    sent(&room.send_now(&sender, pdf));
    let mail = smtp.messages();
    assert_eq!(mail.len(), 2);
    let (m_xlsx, m_pdf) = if mail[0]["files"][0]["name"].as_str().unwrap().ends_with(".xlsx") {
        (&mail[0], &mail[1])
    } else {
        (&mail[1], &mail[0])
    };
    assert_eq!(m_xlsx["subject"].as_str().unwrap().split(" — ").next(), Some("Month end"));

    let runs = [
        room.run("ar_aging", &json!({}), None),
        room.run("gross_profit", &json!({"from": "2026-01-01", "to": "2026-01-31"}), None),
        room.run("inventory_valuation", &json!({}), None),
    ];
    let files = m_xlsx["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "one workbook");
    let book = workbook(files[0]["path"].as_str().unwrap());
    assert_eq!(book.len(), 3, "a sheet each");
    for ((name, rows), direct) in book.iter().zip(&runs) {
        assert_eq!(rows[0][0], json!(direct.header.title), "{name}");
        assert_sheet_is(rows, direct);
    }

    let files = m_pdf["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "one PDF");
    let out = Command::new("pdftotext").args(["-layout", files[0]["path"].as_str().unwrap(), "-"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let pages = text.split('\u{c}').filter(|p| !p.trim().is_empty()).count();
    let mut at = 0;
    for direct in &runs {
        // each section in order, beginning with its title
        let found =
            text[at..].find(&direct.header.title).unwrap_or_else(|| panic!("{} in {text}", direct.header.title));
        at += found + direct.header.title.len();
    }
    assert!(
        text.contains(&format!("Page 1 of {pages}")) && text.contains(&format!("Page {pages} of {pages}")),
        "{text}"
    );
    assert!(text.contains("6,953.60"), "the receivable's total: {text}");
}

#[test]
fn per_recipient_runs_give_each_store_manager_only_their_store() {
    let smtp = Smtp::start();
    let room = Room::new(&Books::Sqlite);
    let sender = room.sender(&smtp.url(), &[10, 10]);
    let id = room.subscribe(json!({
        "name": "My receivable", "format": "csv", "per_recipient": true,
        "recipients": [{"user_id": 1}, {"user_id": 2}]
    }));
    sent(&room.send_now(&sender, id));
    let mail = smtp.messages();
    assert_eq!(mail.len(), 2, "a letter each: {mail:#?}");
    let csv_of = |to: &str| {
        let m = mail.iter().find(|m| m["to"] == json!([to])).unwrap_or_else(|| panic!("no letter to {to}"));
        std::fs::read_to_string(m["files"][0]["path"].as_str().unwrap()).unwrap()
    };
    // Olivia (every store): both invoices, 6,572.00 + 381.60; Sam (The Mall): the hoops only
    let olivia = csv_of("olivia@carat.example");
    let sam = csv_of("sam@carat.example");
    assert!(olivia.contains("6953.60"), "{olivia}");
    assert!(sam.contains("381.60") && !sam.contains("6953.60") && !sam.contains("6572.00"), "{sam}");
    // and each equals the report run directly with that scope
    let direct = |stores| {
        let o = room.run("ar_aging", &json!({}), stores);
        String::from_utf8(reports::export::csv_bytes(&o).unwrap()).unwrap()
    };
    assert_eq!(olivia, direct(None));
    assert_eq!(sam, direct(Some(vec![2])));
}

#[test]
fn an_empty_result_with_skip_if_empty_sends_nothing() {
    let smtp = Smtp::start();
    let room = Room::new(&Books::Sqlite);
    let sender = room.sender(&smtp.url(), &[10, 10]);
    // nothing was owed before the first sale
    let early = json!([{"report": "ar_aging", "params": {"as_of": "2025-06-30"}}]);
    let skip = room.subscribe(json!({"name": "Skip", "reports": early, "skip_if_empty": true}));
    let keep = room.subscribe(json!({"name": "Keep", "reports": early}));
    let f = room.send_now(&sender, skip);
    assert_eq!(f.status, "skipped", "{f:?}");
    assert!(smtp.messages().is_empty());
    sent(&room.send_now(&sender, keep));
    assert_eq!(smtp.messages().len(), 1, "without skip-if-empty the empty report is sent");
}

#[test]
fn smtp_down_is_tried_three_times_then_failed_and_a_refused_letter_brings_the_owner_a_notice() {
    let room = Room::new(&Books::Sqlite);
    // nothing listens on this port
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let down = room.sender(&format!("smtp://127.0.0.1:{dead}?tls=none"), &[10, 20]);
    let id = room.subscribe(json!({}));
    let f = room.send_now(&down, id);
    assert_eq!((f.status, f.attempts), ("failed", 3), "{f:?}");
    assert!(f.error.as_deref().unwrap().contains("after 3 tries"), "{f:?}");
    assert_eq!(room.scalar("select count(*) as v from deliveries where status = 'failed'"), 1);

    // the server is up but refuses the one recipient: three tries, then Olivia is told by mail
    let smtp = Smtp::start();
    let up = room.sender(&smtp.url(), &[10, 20]);
    let refused = room.subscribe(json!({"name": "To nobody", "recipients": [{"email": "refuse@carat.example"}]}));
    let f = room.send_now(&up, refused);
    assert_eq!((f.status, f.attempts), ("failed", 3), "{f:?}");
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1, "{mail:#?}");
    assert_eq!(mail[0]["to"], json!(["olivia@carat.example"]));
    assert_eq!(mail[0]["subject"], json!("Not sent: To nobody"));
    assert!(mail[0]["text"].as_str().unwrap().contains("refuse@carat.example"), "{}", mail[0]["text"]);
}

#[test]
fn an_owner_who_lost_access_has_their_subscription_paused_not_sent() {
    let smtp = Smtp::start();
    let room = Room::new(&Books::Sqlite);
    let sender = room.sender(&smtp.url(), &[10, 10]);
    // Sam sells: he may see the receivable, then is moved to the bench, which may not
    let id = room.subscribe(json!({"owner_id": 2, "recipients": [{"user_id": 2}]}));
    let cmd = oltp::ops::parse(r#"{"op":"update_user","org_id":1,"user_id":2,"groups":["bench"]}"#).unwrap();
    room.rt.block_on(oltp::execute(&room.db, &Ctx::operator(), &cmd)).unwrap();
    let f = room.send_now(&sender, id);
    assert_eq!(f.status, "failed");
    assert!(f.error.as_deref().unwrap().contains("the subscription is paused"), "{f:?}");
    // no report went out: Sam is only told why
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1, "{mail:#?}");
    assert_eq!((&mail[0]["subject"], &mail[0]["to"]), (&json!("Not sent: Monday AR"), &json!(["sam@carat.example"])));
    assert!(mail[0]["files"].as_array().unwrap().is_empty());
    assert!(mail[0]["text"].as_str().unwrap().contains("may not see ar_aging"), "{}", mail[0]["text"]);
    assert_eq!(room.scalar(&format!("select cast(active as integer) as v from subscriptions where id = {id}")), 0);
}

fn two_schedulers_send_each_run_once(books: &Books) {
    let smtp = Smtp::start();
    let room = Room::new(books);
    let subs: Vec<i64> = (0..12)
        .map(|n| room.subscribe(json!({"name": format!("Every minute {n}"), "cron": "* * * * *", "format": "csv"})))
        .collect();
    let now = Utc::now() + chrono::Duration::minutes(2);
    let a = Scheduler::new(room.sender(&smtp.url(), &[10, 10]), "server-a");
    let b = Scheduler::new(room.sender(&smtp.url(), &[10, 10]), "server-b");
    let (fa, fb) = room.rt.block_on(async { tokio::join!(a.tick(now), b.tick(now)) });
    let (fa, fb) = (fa.unwrap(), fb.unwrap());
    assert_eq!(fa.len() + fb.len(), subs.len(), "{} by a, {} by b", fa.len(), fb.len());
    assert_eq!(room.scalar("select count(*) as v from deliveries"), subs.len() as i64);
    assert_eq!(room.scalar("select count(distinct subscription_id) as v from deliveries where status = 'sent'"), 12);
    assert_eq!(smtp.messages().len(), subs.len());
    // a second look at the same minute finds nothing due
    let again = room.rt.block_on(a.tick(now)).unwrap();
    assert!(again.is_empty());
}

#[test]
fn two_schedulers_on_one_database_send_each_run_once() {
    for books in Books::all() {
        two_schedulers_send_each_run_once(&books);
    }
}

#[test]
fn a_run_paused_after_its_claim_is_skipped_and_one_taken_over_is_sent_once_by_its_taker() {
    let smtp = Smtp::start();
    let room = Room::new(&Books::Sqlite);
    let both = json!([{"user_id": 3}, {"email": "partner@outside.example"}]);
    let id = room.subscribe(json!({"cron": "* * * * *", "format": "csv", "recipients": both}));
    let sender = room.sender(&smtp.url(), &[10, 10]);
    let op = |line: String| {
        room.rt.block_on(oltp::execute(&room.db, &Ctx::operator(), &oltp::ops::parse(&line).unwrap())).unwrap();
    };
    let a = Scheduler::new(sender.clone(), "server-a");
    let now = Utc::now() + chrono::Duration::minutes(2);
    let mut claimed = room.rt.block_on(a.claim(now)).unwrap();
    assert_eq!(claimed.len(), 1);
    // paused while it waited its turn: not sent
    op(format!(r#"{{"op":"pause_subscription","org_id":1,"subscription_id":{id}}}"#));
    let f = room.rt.block_on(api::deliver::deliver(&sender, &mut claimed[0])).unwrap();
    assert_eq!((f.status, f.error.as_deref()), ("skipped", Some("the subscription was paused")));
    assert!(smtp.messages().is_empty());

    // resumed; its next run waits past the stale limit and another server takes it over
    op(format!(r#"{{"op":"resume_subscription","org_id":1,"subscription_id":{id}}}"#));
    let now = now + chrono::Duration::minutes(2);
    let mut first = room.rt.block_on(a.claim(now)).unwrap().remove(0);
    // the first server mailed Alice, then stalled
    let progress = oltp::subscriptions::start(&room.db, &mut first, now, Some("alice@carat.example"));
    assert!(room.rt.block_on(progress).unwrap());
    let b = Scheduler::new(sender.clone(), "server-b");
    let later = now + chrono::Duration::minutes(20);
    let mut taken = room.rt.block_on(b.claim(later)).unwrap();
    let at = taken.iter().position(|c| c.delivery_id == first.delivery_id).expect("server-b took the stale run over");
    let mut taken = taken.remove(at);
    // the first server's turn comes at last: it sends nothing and records nothing
    let lost = room.rt.block_on(api::deliver::deliver(&sender, &mut first)).unwrap();
    assert!(lost.error.as_deref().unwrap_or_default().contains("taken over"), "{lost:?}");
    assert!(smtp.messages().is_empty());
    let f = room.rt.block_on(api::deliver::deliver(&sender, &mut taken)).unwrap();
    sent(&f);
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1, "only the letter not yet sent: {mail:#?}");
    assert_eq!(mail[0]["to"], json!(["partner@outside.example"]));
    assert_eq!(f.recipients, "alice@carat.example, partner@outside.example", "the run's log names both");
    assert_eq!(
        room.scalar(&format!(
            "select count(*) as v from deliveries where id = {} and status = 'sent' and claimed_by = 'server-b'",
            taken.delivery_id
        )),
        1
    );
}

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

#[test]
fn a_clock_through_both_daylight_saving_nights_fires_each_nightly_run_once() {
    let smtp = Smtp::start();
    let room = Room::new(&Books::Sqlite);
    // 02:30 does not happen on 8 March 2026 in New York; 01:30 happens twice on 1 November
    let spring = room.subscribe(json!({"name": "At 2:30", "cron": "30 2 * * *", "format": "csv"}));
    let fall = room.subscribe(json!({"name": "At 1:30", "cron": "30 1 * * *", "format": "csv"}));
    let scheduler = Scheduler::new(room.sender(&smtp.url(), &[10, 10]), "clock");
    let walk = |from: DateTime<Utc>, to: DateTime<Utc>| {
        for (id, cron) in [(spring, "30 2 * * *"), (fall, "30 1 * * *")] {
            let next = oltp::subscriptions::next_run(cron, "America/New_York", from).unwrap().timestamp();
            room.rt
                .block_on(
                    room.db.execute_trusted(&format!("update subscriptions set next_run_at = {next} where id = {id}")),
                )
                .unwrap();
        }
        let mut now = from;
        let mut fired = Vec::new();
        while now <= to {
            fired.extend(room.rt.block_on(scheduler.tick(now)).unwrap());
            now += chrono::Duration::minutes(10);
        }
        fired
    };
    let count = |id: i64, from: DateTime<Utc>, to: DateTime<Utc>| {
        room.scalar(&format!(
            "select count(*) as v from deliveries where subscription_id = {id} and status = 'sent'
             and slot_at between {} and {}",
            from.timestamp(),
            to.timestamp()
        ))
    };
    // noon in New York on 7 March (EST) to noon on 9 March (EDT): the nights of the 8th (spring forward) and 9th
    let (from, to) = (utc(2026, 3, 7, 17), utc(2026, 3, 9, 16));
    let fired = walk(from, to);
    assert!(fired.iter().all(|f| f.status == "sent"), "{fired:?}");
    assert_eq!((count(spring, from, to), count(fall, from, to)), (2, 2));
    // noon in New York on 31 October (EDT) to noon on 2 November (EST): the nights of 1 November (fall back)
    // and the 2nd
    let (from, to) = (utc(2026, 10, 31, 16), utc(2026, 11, 2, 17));
    walk(from, to);
    assert_eq!((count(spring, from, to), count(fall, from, to)), (2, 2));
    assert_eq!(smtp.messages().len(), 8);
}
