//! `loupe serve` over real HTTP on loopback: sign-in and its limits, who may do what, tenancy and store scope on
//! every route, commands with idempotency keys, and reports, drills, downloads and the console.

use serde_json::{Value, json};

use crate::http::{Books, Server};

/// Two orgs. Carat & Co (org 1): stores Main Street (1) and The Mall (2); Olivia the owner, Sam who sells at The
/// Mall only, Alice in accounting, Ian in inventory; a ring sold at Main Street (invoice 1, $6,200 + 6 % tax,
/// unpaid) and two pairs of hoops at The Mall (invoice 2, 2 × $180 + tax, unpaid); a second ring (item 2) and
/// hoops (item 3) in stock at The Mall. Other Gems (org 2): one store, Bob the owner, one ring sold to Zoe.
pub(crate) const TWO_SHOPS: &str = r#"
{"op":"create_org","name":"Carat & Co"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street","tax_rate":"6"}
{"op":"create_store","org_id":1,"code":"MALL","name":"The Mall","tax_rate":"6"}
{"op":"create_user","org_id":1,"username":"olivia","display_name":"Olivia Stone","groups":["owner"],"password":"owner-pass-1","salesperson":true}
{"op":"create_user","org_id":1,"username":"sam","display_name":"Sam Ruiz","groups":["sales"],"password":"sales-pass-1","salesperson":true,"store_ids":[2]}
{"op":"create_user","org_id":1,"username":"alice","display_name":"Alice Wu","groups":["accounting"],"password":"books-pass-1"}
{"op":"create_user","org_id":1,"username":"ian","display_name":"Ian Holt","groups":["inventory"],"password":"stock-pass-1"}
{"op":"create_contact","org_id":1,"name":"Stuller Findings","vendor":true}
{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true,"email":"ann@example.com"}
{"op":"create_style","org_id":1,"style_no":"R-100","family":"jewelry","category":"rings","description":"solitaire ring","vendor_id":1,"serialized":true,"retail_price":"6400.00"}
{"op":"create_style","org_id":1,"style_no":"E-210","family":"jewelry","category":"earrings","description":"gold hoops","vendor_id":1,"serialized":false,"retail_price":"180.00"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"vendor_id":1,"cost":"3100.00","received_on":"2026-01-05"}
{"op":"receive_item","org_id":1,"store_id":2,"style_id":1,"vendor_id":1,"cost":"3000.00","received_on":"2026-01-05"}
{"op":"receive_stock","org_id":1,"store_id":2,"style_id":2,"vendor_id":1,"qty":10,"cost":"600.00","received_on":"2026-01-05"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"salesperson_id":1,"invoice_date":"2026-01-10","lines":[{"kind":"sale","item_id":1,"unit_price":"6200.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":2,"customer_id":2,"salesperson_id":2,"invoice_date":"2026-01-11","lines":[{"kind":"sale","item_id":3,"qty":2,"unit_price":"180.00"}],"finalize":true}
{"op":"create_org","name":"Other Gems"}
{"op":"create_store","org_id":2,"code":"ONLY","name":"Gem Corner","tax_rate":"8"}
{"op":"create_user","org_id":2,"username":"bob","display_name":"Bob Gray","groups":["owner"],"password":"other-pass-1","salesperson":true}
{"op":"create_contact","org_id":2,"name":"Zed Wholesale","vendor":true}
{"op":"create_contact","org_id":2,"name":"Zoe Quill","customer":true}
{"op":"create_style","org_id":2,"style_no":"Z-9","family":"jewelry","category":"rings","description":"sapphire ring","vendor_id":3,"serialized":true,"retail_price":"900.00"}
{"op":"receive_item","org_id":2,"store_id":3,"style_id":3,"vendor_id":3,"cost":"400.00","received_on":"2026-01-05"}
{"op":"create_invoice","org_id":2,"store_id":3,"customer_id":4,"salesperson_id":5,"invoice_date":"2026-01-12","lines":[{"kind":"sale","item_id":4,"unit_price":"850.00"}],"finalize":true}
"#;

/// Words found only in org 1's records, and only in org 2's.
const ORG1_WORDS: [&str; 6] = ["Ann Lee", "Main Street", "The Mall", "Stuller", "R-100", "Olivia"];
const ORG2_WORDS: [&str; 5] = ["Zoe Quill", "Gem Corner", "Zed Wholesale", "Z-9", "Bob Gray"];

fn server() -> Server {
    Server::start(&Books::Sqlite, TWO_SHOPS)
}

#[test]
fn health_and_readiness_answer_without_signing_in() {
    let s = server();
    let r = s.req("GET", "/healthz").send();
    assert_eq!((r.status, r.text().as_str()), (200, "ok\n"));
    let r = s.req("GET", "/readyz").send();
    assert_eq!(r.status, 200, "{}", r.text());
    let ready = r.json();
    assert_eq!(ready["status"], "ready");
    let last = s.scalar("select cast(max(seq) as bigint) as v from change_log");
    assert_eq!(ready["last_change"], json!(last));
    // the lake landed everything before the server started
    assert_eq!(ready["pending"], json!(0));
}

/// Every route behind sign-in, with a body where it takes one.
fn protected() -> Vec<(&'static str, String, Option<Value>)> {
    let mut routes = vec![
        ("GET", "/api/v1/session".to_string(), None),
        ("DELETE", "/api/v1/session".to_string(), None),
        ("GET", "/api/v1/sessions".to_string(), None),
        ("DELETE", "/api/v1/sessions/1".to_string(), None),
        ("GET", "/api/v1/tokens".to_string(), None),
        ("POST", "/api/v1/tokens".to_string(), Some(json!({"name": "till"}))),
        ("DELETE", "/api/v1/tokens/1".to_string(), None),
        ("GET", "/api/v1/reports".to_string(), None),
        ("POST", "/api/v1/sql".to_string(), Some(json!({"query": "select 1"}))),
        ("GET", "/api/v1/items/R-100".to_string(), None),
        ("GET", "/api/v1/invoices".to_string(), None),
        ("GET", "/api/v1/invoices/1".to_string(), None),
        ("GET", "/api/v1/contacts?q=ann".to_string(), None),
        ("GET", "/api/v1/memos".to_string(), None),
        ("GET", "/api/v1/work-orders".to_string(), None),
        ("GET", "/api/v1/subscriptions".to_string(), None),
        ("GET", "/api/v1/subscriptions/1/deliveries".to_string(), None),
        ("POST", "/api/v1/subscriptions/1/send".to_string(), None),
        ("GET", "/api/v1/find?q=ann".to_string(), None),
    ];
    for op in oltp::Command::OPS {
        routes.push(("POST", format!("/api/v1/ops/{op}"), Some(json!({}))));
    }
    for r in reports::catalog::all() {
        routes.push(("GET", format!("/api/v1/reports/{}", r.id), None));
        for action in ["run", "export.csv", "export.xlsx", "export.pdf"] {
            routes.push(("GET", format!("/api/v1/reports/{}/{action}", r.id), None));
        }
    }
    routes
}

#[test]
fn every_route_but_sign_in_answers_401_without_a_caller_and_with_a_bad_one() {
    let s = server();
    let before = s.changes();
    for (method, path, body) in protected() {
        let mut req = s.req(method, &path);
        if let Some(b) = &body {
            req = req.json(b);
        }
        req.send().problem(401, "sign in");
        let r = req.clone().bearer("loupe_0000not0a0token").send();
        r.problem(401, "has ended");
        let r = req.cookie("loupe_session=deadbeef").send();
        r.problem(401, "has ended");
    }
    assert_eq!(s.changes(), before, "a refused request changed the books");
}

#[test]
fn a_session_signs_in_lists_signs_out_and_its_cookie_is_dead_after() {
    let s = server();
    let r = s
        .req("POST", "/api/v1/session")
        .header("user-agent", "test-browser")
        .json(&json!({"username": "olivia", "password": "owner-pass-1"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    let set = r.header("set-cookie").unwrap().to_string();
    assert!(set.starts_with("loupe_session="), "{set}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(attr), "{set} lacks {attr}");
    }
    assert!(!set.contains("Secure"), "{set}");
    let user = r.json()["user"].clone();
    assert_eq!((user["username"].as_str(), user["org_id"].as_i64()), (Some("olivia"), Some(1)));
    let cookie = set.split(';').next().unwrap().to_string();

    let me = s.req("GET", "/api/v1/session").cookie(&cookie).send();
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["groups"], json!(["owner"]));
    let list = s.req("GET", "/api/v1/sessions").cookie(&cookie).send().json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert!(list[0]["client"].as_str().unwrap().contains("test-browser"), "{list}");

    let out = s.req("DELETE", "/api/v1/session").cookie(&cookie).send();
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    // the same cookie, replayed after sign-out, signs nobody in
    s.req("GET", "/api/v1/session").cookie(&cookie).send().problem(401, "has ended");

    // a session revoked from another one ends too
    let first = s.sign_in("olivia", "owner-pass-1");
    let second = s.sign_in("olivia", "owner-pass-1");
    let list = s.req("GET", "/api/v1/sessions").cookie(&second).send().json();
    let first_id = list.as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).min().unwrap();
    let r = s.req("DELETE", &format!("/api/v1/sessions/{first_id}")).cookie(&second).send();
    assert_eq!(r.status, 204, "{}", r.text());
    s.req("GET", "/api/v1/session").cookie(&first).send().problem(401, "has ended");
    assert_eq!(s.req("GET", "/api/v1/session").cookie(&second).send().status, 200);
    // and one past its expiry
    s.exec("update sessions set expires_at = 1 where revoked_at is null");
    s.req("GET", "/api/v1/session").cookie(&second).send().problem(401, "has ended");
}

#[test]
fn wrong_credentials_get_one_answer_and_the_sixth_failure_waits() {
    let s = server();
    let wrong = |user: &str, pass: &str| {
        s.req("POST", "/api/v1/session").json(&json!({"username": user, "password": pass})).send()
    };
    let unknown = wrong("nobody", "whatever-1").problem(401, "username or password is wrong");
    let bad_pass = wrong("alice", "not-her-password").problem(401, "username or password is wrong");
    assert_eq!(unknown, bad_pass, "an unknown user and a wrong password must look alike");
    for _ in 0..4 {
        wrong("alice", "not-her-password").problem(401, "wrong");
    }
    // five failures on alice: the sixth attempt is refused before the password is looked at, even the right one
    let r = wrong("alice", "books-pass-1");
    r.problem(429, "too many failed sign-ins");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    // another account from the same address still signs in
    s.sign_in("olivia", "owner-pass-1");
    // a body that is not a sign-in
    let r = s.req("POST", "/api/v1/session").json(&json!({"username": "olivia", "pass": "x"})).send();
    r.problem(422, "unknown field");
}

#[test]
fn tokens_are_shown_once_used_as_bearer_and_revoked() {
    let s = server();
    let cookie = s.sign_in("sam", "sales-pass-1");
    let r = s
        .req("POST", "/api/v1/tokens")
        .cookie(&cookie)
        .json(&json!({"name": "front counter iPad", "expires_days": 30}))
        .send();
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("loupe_"));
    let me = s.req("GET", "/api/v1/session").bearer(&token).send().json();
    assert_eq!((me["username"].as_str(), me["stores"].clone()), (Some("sam"), json!([2])));
    let list = s.req("GET", "/api/v1/tokens").bearer(&token).send();
    assert!(!list.text().contains(&token), "a token's secret is never listed again");
    assert_eq!(list.json()[0]["name"], "front counter iPad");
    // bad inputs
    s.req("POST", "/api/v1/tokens")
        .cookie(&cookie)
        .json(&json!({"name": "x", "expires_days": 0}))
        .send()
        .problem(422, "expires_days");
    s.req("POST", "/api/v1/tokens").cookie(&cookie).json(&json!({"name": "  "})).send().problem(422, "name");
    // a bearer is not a browser session: it does not sign out, it is revoked
    s.req("DELETE", "/api/v1/session").bearer(&token).send().problem(422, "revoke a token");
    let id = created["id"].as_i64().unwrap();
    // another user cannot revoke it
    let olivia = s.sign_in("olivia", "owner-pass-1");
    s.req("DELETE", &format!("/api/v1/tokens/{id}")).cookie(&olivia).send().problem(404, "");
    assert_eq!(s.req("GET", "/api/v1/session").bearer(&token).send().status, 200);
    let r = s.req("DELETE", &format!("/api/v1/tokens/{id}")).bearer(&token).send();
    assert_eq!(r.status, 204, "{}", r.text());
    s.req("GET", "/api/v1/session").bearer(&token).send().problem(401, "has ended");
    s.req("DELETE", "/api/v1/tokens/abc").cookie(&cookie).send().problem(404, "no token abc");
    // a token past its end works no more
    let r = s.req("POST", "/api/v1/tokens").cookie(&cookie).json(&json!({"name": "short", "expires_days": 1})).send();
    let short = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(s.req("GET", "/api/v1/session").bearer(&short).send().status, 200);
    s.exec("update api_tokens set expires_at = 1 where name = 'short'");
    s.req("GET", "/api/v1/session").bearer(&short).send().problem(401, "has ended");
}

#[test]
fn a_cookie_s_cross_site_write_is_refused_and_a_same_site_one_is_not() {
    let s = server();
    let cookie = s.sign_in("olivia", "owner-pass-1");
    let before = s.changes();
    let contact = json!({"name": "Eve Mallory", "customer": true});
    let r = s
        .req("POST", "/api/v1/ops/create_contact")
        .cookie(&cookie)
        .header("origin", "https://evil.example")
        .json(&contact)
        .send();
    r.problem(403, "cross-site");
    let r = s
        .req("POST", "/api/v1/ops/create_contact")
        .cookie(&cookie)
        .header("sec-fetch-site", "cross-site")
        .json(&contact)
        .send();
    r.problem(403, "cross-site");
    // a sign-in form posted from another site is refused too (login CSRF)
    let r = s
        .req("POST", "/api/v1/session")
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"username": "olivia", "password": "owner-pass-1"}))
        .send();
    r.problem(403, "cross-site");
    assert_eq!(s.changes(), before);
    // from the app's own origin it stands; reads are never refused for their origin
    let origin = format!("http://{}", s.addr);
    let r = s.req("POST", "/api/v1/ops/create_contact").cookie(&cookie).header("origin", &origin).json(&contact).send();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.req("GET", "/api/v1/session").cookie(&cookie).header("sec-fetch-site", "cross-site").send();
    assert_eq!(r.status, 200);
}

#[test]
fn a_group_without_the_permission_gets_403_and_nothing_changes() {
    let s = server();
    let sam = s.sign_in("sam", "sales-pass-1");
    let ian = s.sign_in("ian", "stock-pass-1");
    let before = s.changes();
    s.req("POST", "/api/v1/ops/void_invoice")
        .cookie(&sam)
        .json(&json!({"invoice_id": 2, "reason": "mistake"}))
        .send()
        .problem(403, "needs one of the groups owner, manager, accounting");
    s.req("POST", "/api/v1/ops/create_org").cookie(&sam).json(&json!({"name": "Mine"})).send().problem(403, "operator");
    s.req("GET", "/api/v1/reports/gross_profit/run").cookie(&sam).send().problem(403, "report gross_profit");
    s.req("GET", "/api/v1/reports/gross_profit/export.csv").cookie(&sam).send().problem(403, "gross_profit");
    s.req("POST", "/api/v1/sql").cookie(&sam).json(&json!({"query": "select 1"})).send().problem(403, "console");
    s.req("GET", "/api/v1/reports/ar_aging/run").cookie(&ian).send().problem(403, "ar_aging");
    s.req("POST", "/api/v1/ops/no_such_op").cookie(&sam).json(&json!({})).send().problem(404, "no such operation");
    assert_eq!(s.changes(), before);
    // the catalog lists only what the caller may see
    let ids = |cookie: &str| -> Vec<String> {
        let list = s.req("GET", "/api/v1/reports").cookie(cookie).send().json();
        list.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
    };
    let expected: Vec<String> =
        api::authz::REPORTS.iter().filter(|(_, g)| g.contains(&"sales")).map(|(id, _)| id.to_string()).collect();
    assert_eq!(ids(&sam), expected);
    assert_eq!(ids(&s.sign_in("olivia", "owner-pass-1")).len(), reports::catalog::all().len());
}

/// Every view of every report, run, drilled and exported as `cookie`'s user: the answers (and every drill link
/// they offer, followed) hold none of `foreign` — the other org's names.
fn sweep_reports(s: &Server, cookie: &str, foreign: &[&str]) -> usize {
    let mut bodies = 0;
    let mut check = |what: &str, text: &str| {
        for w in foreign {
            assert!(!text.contains(w), "{what} shows {w:?} of another org:\n{text}");
        }
        bodies += 1;
    };
    for r in reports::catalog::all() {
        for v in r.views {
            let run = format!("/api/v1/reports/{}/run?view={}", r.id, v.name);
            let reply = s.req("GET", &run).cookie(cookie).send();
            check(&run, &reply.text());
            if reply.status != 200 {
                // a view that needs a record (an invoice's lines) refuses without one: a problem, no rows
                assert_eq!(reply.status, 422, "{run}: {}", reply.text());
                continue;
            }
            let doc = reply.json();
            let mut links: Vec<String> = Vec::new();
            for row in doc["rows"].as_array().unwrap().iter().chain(std::iter::once(&doc["totals"])) {
                for l in row["drill"].as_object().unwrap().values() {
                    links.push(l.as_str().unwrap().to_string());
                }
            }
            for l in links.iter().take(20) {
                let reply = s.req("GET", l).cookie(cookie).send();
                assert_eq!(reply.status, 200, "{l}: {}", reply.text());
                check(l, &reply.text());
            }
            for f in ["csv", "xlsx"] {
                let url = format!("/api/v1/reports/{}/export.{f}?view={}", r.id, v.name);
                let reply = s.req("GET", &url).cookie(cookie).send();
                assert_eq!(reply.status, 200, "{url}: {}", reply.text());
                check(&url, &reply.text());
            }
        }
    }
    bodies
}

#[test]
fn an_org_s_user_sees_no_row_of_the_other_org_in_any_report_drill_or_export() {
    let s = server();
    let bob = s.sign_in("bob", "other-pass-1");
    let olivia = s.sign_in("olivia", "owner-pass-1");
    assert!(sweep_reports(&s, &bob, &ORG1_WORDS) > 40);
    assert!(sweep_reports(&s, &olivia, &ORG2_WORDS) > 40);
    // and the console: org 1's invoices are not there for Bob
    let r =
        s.req("POST", "/api/v1/sql").cookie(&bob).json(&json!({"query": "select count(*) as n from invoice"})).send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["rows"], json!([["1"]]));
}

#[test]
fn another_org_s_ids_are_not_found_for_reads_and_writes_alike() {
    let s = server();
    let bob = s.sign_in("bob", "other-pass-1");
    let before = s.changes();
    // org 1's customer, invoice, store and salesperson, by id, as report filters
    for (report, view, param) in [
        ("ar_aging", "invoices", "customer=2"),
        ("ar_aging", "summary", "store=1"),
        ("ar_aging", "lines", "invoice=1"),
        ("ar_aging", "history", "invoice=2"),
        ("gross_profit", "detail", "salesperson=1"),
        ("gross_profit", "summary", "customer=Ann%20Lee"),
    ] {
        let url = format!("/api/v1/reports/{report}/run?view={view}&{param}");
        let r = s.req("GET", &url).cookie(&bob).send();
        // refused: a problem (which may echo what Bob typed), never rows
        assert!(matches!(r.status, 404 | 422), "{url}: {} {}", r.status, r.text());
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    // org 1's records, by id, in commands
    for (op, body) in [
        ("finalize_invoice", json!({"invoice_id": 1})),
        ("void_invoice", json!({"invoice_id": 1, "reason": "x"})),
        ("record_payment", json!({"store_id": 1, "customer_id": 2, "method": "cash", "amount": "10.00"})),
        ("update_contact", json!({"contact_id": 2, "name": "Taken"})),
        ("create_invoice", json!({"store_id": 1, "customer_id": 2, "lines": []})),
        ("transfer_stock", json!({"item_id": 2, "to_store_id": 3})),
        ("update_user", json!({"user_id": 2, "password": "stolen-pass-1"})),
    ] {
        let r = s.req("POST", &format!("/api/v1/ops/{op}")).cookie(&bob).json(&body).send();
        assert!(matches!(r.status, 404 | 422), "{op}: {} {}", r.status, r.text());
    }
    // a body naming org 1 outright
    let r = s.req("POST", "/api/v1/ops/create_contact").cookie(&bob).json(&json!({"org_id": 1, "name": "X"})).send();
    let p = r.problem(422, "must be your own org (2)");
    assert_eq!(p["field"], "org_id");
    assert_eq!(s.changes(), before, "a refused command changed the books");
    // Sam's password still works: Bob did not change it
    s.sign_in("sam", "sales-pass-1");
}

#[test]
fn a_user_of_one_store_writes_and_sees_only_that_store() {
    let s = server();
    let sam = s.sign_in("sam", "sales-pass-1");
    let before = s.changes();
    // writes at Main Street (store 1), directly or through its records, are refused
    for (op, body) in [
        ("create_invoice", json!({"store_id": 1, "customer_id": 2, "salesperson_id": 2, "lines": []})),
        ("record_payment", json!({"store_id": 1, "customer_id": 2, "method": "cash", "amount": "10.00"})),
        ("add_invoice_lines", json!({"invoice_id": 1, "lines": [{"kind": "sale", "item_id": 3, "qty": 1}]})),
        ("create_work_order", json!({"store_id": 1, "customer_id": 2, "kind": "repair", "description": "sizing"})),
    ] {
        let r = s.req("POST", &format!("/api/v1/ops/{op}")).cookie(&sam).json(&body).send();
        assert!(matches!(r.status, 403 | 404 | 409 | 422), "{op}: {} {}", r.status, r.text());
        assert!(r.status != 200, "{op} stood at another store");
    }
    assert_eq!(s.changes(), before, "a refused command changed the books");
    // at The Mall (store 2) the same command stands
    let r = s
        .req("POST", "/api/v1/ops/create_invoice")
        .cookie(&sam)
        .json(&json!({"store_id": 2, "customer_id": 2, "salesperson_id": 2,
                      "lines": [{"kind": "sale", "item_id": 3, "qty": 1, "unit_price": "180.00"}], "finalize": true}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    let number = r.json()["number"].as_str().unwrap().to_string();
    let actor = s.scalar(&format!(
        "select actor_id as v from audit_log where entity = 'invoices' and action = 'create' and after like '%{number}%'"
    ));
    assert_eq!(actor, 2, "the audit names Sam, from his session");
    // his reports hold The Mall's invoices only: AR equals what the books say The Mall is owed
    let mall_owed = s.scalar(
        "select cast(sum(total_cents) as bigint) as v from invoices where store_id = 2 and status = 'finalized'",
    );
    wait_for_lake(&s);
    let doc = s.req("GET", "/api/v1/reports/ar_aging/run").cookie(&sam).send().json();
    assert_eq!(doc["header"]["stores"], "The Mall");
    assert_eq!(doc["totals"]["cells"]["open"], json!(cents(mall_owed)));
    assert!(!doc.to_string().contains("Main Street"));
    // a store filter naming Main Street is not his to ask for
    let r = s.req("GET", "/api/v1/reports/ar_aging/run?store=1").cookie(&sam).send();
    assert!(matches!(r.status, 404 | 422), "{}", r.text());
}

/// Cents as the API writes money: an exact decimal string.
fn cents(c: i64) -> String {
    format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100)
}

/// Waits (at most 2 s, the server's promise) until the lake holds every change the books have.
fn wait_for_lake(s: &Server) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let ready = s.req("GET", "/readyz").send().json();
        if ready["pending"] == json!(0) {
            return;
        }
        assert!(std::time::Instant::now() < until, "the lake is still behind after 2 s: {ready}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_sale_posted_over_http_shows_in_a_report_run_over_http_within_two_seconds() {
    let s = server();
    let olivia = s.sign_in("olivia", "owner-pass-1");
    let total = |doc: &Value| doc["totals"]["cells"]["open"].as_str().unwrap().to_string();
    let before = total(&s.req("GET", "/api/v1/reports/ar_aging/run").cookie(&olivia).send().json());
    let r = s
        .req("POST", "/api/v1/ops/create_invoice")
        .cookie(&olivia)
        .json(&json!({"store_id": 2, "customer_id": 2, "salesperson_id": 1,
                      "lines": [{"kind": "sale", "item_id": 2, "unit_price": "5000.00"}], "finalize": true}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    let posted = std::time::Instant::now();
    // $5,000 plus 6 % tax
    let expected = cents(s.scalar("select cast(sum(total_cents) as bigint) as v from invoices where org_id = 1"));
    assert_ne!(before, expected);
    loop {
        let doc = s.req("GET", "/api/v1/reports/ar_aging/run").cookie(&olivia).send().json();
        if total(&doc) == expected {
            break;
        }
        assert!(posted.elapsed() < std::time::Duration::from_secs(2), "not in the report after 2 s: {}", total(&doc));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn eight_concurrent_retries_under_one_key_apply_once_and_answer_alike_even_after_a_restart() {
    for books in Books::all() {
        one_key_eight_retries(Server::start(&books, TWO_SHOPS));
    }
}

fn one_key_eight_retries(mut s: Server) {
    let olivia = s.sign_in("olivia", "owner-pass-1");
    let contacts = |s: &Server| s.scalar("select cast(count(*) as bigint) as v from contacts");
    let before = contacts(&s);
    let req = s
        .req("POST", "/api/v1/ops/create_contact")
        .cookie(&olivia)
        .header("idempotency-key", "walk-in-0042")
        .json(&json!({"name": "Walk In", "customer": true}));
    let replies: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8).map(|_| scope.spawn(|| req.send())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(contacts(&s), before + 1, "one effect");
    for r in &replies {
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.body, replies[0].body, "identical answers");
    }
    assert_eq!(replies.iter().filter(|r| r.header("idempotent-replayed").is_some()).count(), 7);
    // the key is kept in the books: after a restart the retry still answers the first outcome
    s.restart();
    let olivia = s.sign_in("olivia", "owner-pass-1");
    let again = s
        .req("POST", "/api/v1/ops/create_contact")
        .cookie(&olivia)
        .header("idempotency-key", "walk-in-0042")
        .json(&json!({"name": "Walk In", "customer": true}))
        .send();
    assert_eq!((again.status, &again.body), (200, &replies[0].body));
    assert_eq!(contacts(&s), before + 1);
    // the same key with another body is refused
    let other = s
        .req("POST", "/api/v1/ops/create_contact")
        .cookie(&olivia)
        .header("idempotency-key", "walk-in-0042")
        .json(&json!({"name": "Someone Else", "customer": true}))
        .send();
    let p = other.problem(422, "already used for another command");
    assert_eq!((p["field"].as_str(), p["value"].as_str()), (Some("Idempotency-Key"), Some("walk-in-0042")));
    // another user's identical key is theirs, not Olivia's
    let alice = s.sign_in("alice", "books-pass-1");
    let r = s
        .req("POST", "/api/v1/ops/create_contact")
        .cookie(&alice)
        .header("idempotency-key", "walk-in-0042")
        .json(&json!({"name": "Walk In", "customer": true}))
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("idempotent-replayed"), None);
    assert_eq!(contacts(&s), before + 2);
}

#[test]
fn one_piece_finalized_by_eight_clients_at_once_is_sold_once() {
    for books in Books::all() {
        let s = Server::start(&books, TWO_SHOPS);
        let olivia = s.sign_in("olivia", "owner-pass-1");
        // eight drafts, each holding the one ring in stock at The Mall (item 2)
        let drafts: Vec<i64> = (0..8)
            .map(|_| {
                let r = s
                    .req("POST", "/api/v1/ops/create_invoice")
                    .cookie(&olivia)
                    .json(&json!({"store_id": 2, "customer_id": 2, "salesperson_id": 1,
                                  "lines": [{"kind": "sale", "item_id": 2, "unit_price": "5000.00"}]}))
                    .send();
                assert_eq!(r.status, 200, "{}", r.text());
                r.json()["id"].as_i64().unwrap()
            })
            .collect();
        let replies: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = drafts
                .iter()
                .map(|id| {
                    let req =
                        s.req("POST", "/api/v1/ops/finalize_invoice").cookie(&olivia).json(&json!({"invoice_id": id}));
                    scope.spawn(move || req.send())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let won: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
        assert_eq!(won.len(), 1, "{:?}", replies.iter().map(|r| (r.status, r.text())).collect::<Vec<_>>());
        for r in replies.iter().filter(|r| r.status != 200) {
            assert_eq!(r.status, 409, "{}", r.text());
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
        }
        let finalized = s.scalar(&format!(
            "select cast(count(*) as bigint) as v from invoices where status = 'finalized' and id >= {}",
            drafts[0]
        ));
        assert_eq!(finalized, 1);
        assert_eq!(s.scalar("select cast(qty_on_hand as bigint) as v from items where id = 2"), 0);
    }
}

#[test]
fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let s = server();
    let olivia = s.sign_in("olivia", "owner-pass-1");
    let before = s.changes();
    let post = |op: &str, body: &str| {
        s.req("POST", &format!("/api/v1/ops/{op}")).cookie(&olivia).body("application/json", body.to_string()).send()
    };
    post("create_contact", "{\"name\": \"Ann").problem(400, "not JSON");
    post("create_contact", "[1, 2]").problem(422, "JSON object");
    let p = post("create_contact", r#"{"name": 42}"#).problem(422, "name");
    assert_eq!(p["field"], "name");
    let p = post("create_contact", r#"{"name": "X", "nickname": "Y"}"#).problem(422, "no such field");
    assert_eq!(p["field"], "nickname");
    // money as a JSON number could have been a float: refused, as the journal refuses it
    let r = post(
        "create_invoice",
        r#"{"store_id": 1, "customer_id": 2, "lines": [{"kind": "sale", "item_id": 2, "unit_price": 12.5}]}"#,
    );
    let p = r.problem(422, "");
    assert_eq!(p["field"], "lines[0].unit_price");
    let huge = format!(r#"{{"name": "{}"}}"#, "x".repeat(api::serve::MAX_BODY + 10));
    post("create_contact", &huge).problem(413, "");
    post("create_contact", r#"{"op": "void_invoice", "name": "X"}"#).problem(422, "the route names create_contact");
    post("create_contact", r#"{"name": "X", "key": "k1"}"#).problem(422, "Idempotency-Key header");
    let p = post("finalize_invoice", r#"{"invoice_id": 999}"#).problem(422, "no such invoice in this org");
    assert_eq!((p["field"].as_str(), p["value"].as_str()), (Some("invoice_id"), Some("999")));
    assert_eq!(s.changes(), before);
    // report parameters: named, valued and ruled
    let p = s.req("GET", "/api/v1/reports/ar_aging/run?as_of=2026-13-01").cookie(&olivia).send().problem(422, "");
    assert_eq!((p["field"].as_str(), p["value"].as_str()), (Some("as_of"), Some("2026-13-01")));
    s.req("GET", "/api/v1/reports/ar_aging/run?limit=0").cookie(&olivia).send().problem(422, "limit");
    s.req("GET", "/api/v1/reports/ar_aging/run?view=nope").cookie(&olivia).send().problem(404, "nope");
    s.req("GET", "/api/v1/reports/ar_aging/export.doc").cookie(&olivia).send().problem(404, "export.doc");
    s.req("GET", "/api/v1/reports/no_report/run").cookie(&olivia).send().problem(404, "no_report");
    s.req("GET", "/api/v1/nowhere").cookie(&olivia).send().problem(404, "no route");
}

#[test]
fn a_report_runs_pages_drills_and_downloads_with_the_books_figures() {
    let s = server();
    let alice = s.sign_in("alice", "books-pass-1");
    let owed = s.scalar("select cast(sum(total_cents) as bigint) as v from invoices where org_id = 1");
    let doc = s.req("GET", "/api/v1/reports/ar_aging/run").cookie(&alice).send().json();
    assert_eq!(doc["header"]["report"], "ar_aging");
    assert_eq!(doc["header"]["org"], "Carat & Co");
    assert!(doc["header"]["data_as_of"].as_str().unwrap().starts_with("20"), "{doc}");
    let keys: Vec<&str> =
        doc["header"]["columns"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"customer") && keys.contains(&"open"), "{keys:?}");
    assert_eq!(doc["row_count"], 1);
    let row = &doc["rows"][0];
    assert_eq!(row["cells"]["customer"], "Ann Lee");
    assert_eq!(row["cells"]["open"], json!(cents(owed)));
    assert_eq!(doc["totals"]["cells"]["open"], json!(cents(owed)));
    // the cell's drill link opens the invoices behind it; their balances add up to the cell
    let link = row["drill"]["open"].as_str().unwrap();
    assert!(link.starts_with("/api/v1/reports/ar_aging/run?view=invoices&"), "{link}");
    let drilled = s.req("GET", link).cookie(&alice).send().json();
    let balances: Vec<String> = drilled["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cells"]["balance"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(balances.len(), 2);
    assert_eq!(drilled["totals"]["cells"]["balance"], json!(cents(owed)));
    // a drill by name on the run (the CLI's --drill) answers the same rows
    let by_drill = s.req("GET", "/api/v1/reports/ar_aging/run?drill=1:open").cookie(&alice).send();
    assert_eq!(by_drill.status, 200, "{}", by_drill.text());
    assert_eq!(by_drill.json()["rows"], drilled["rows"]);
    // a page of one row, then the next
    let first = s.req("GET", &format!("{link}&limit=1")).cookie(&alice).send().json();
    assert_eq!((first["row_count"].as_i64(), first["rows"].as_array().map(Vec::len)), (Some(2), Some(1)));
    assert_eq!(first["totals"]["cells"]["balance"], json!(cents(owed)), "totals cover every row, not the page");
    let next = first["links"]["next"].as_str().unwrap();
    let second = s.req("GET", next).cookie(&alice).send().json();
    assert_eq!(second["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["links"]["next"], Value::Null);
    assert_eq!(
        [first["rows"][0].clone(), second["rows"][0].clone()].to_vec(),
        drilled["rows"].as_array().unwrap().clone()
    );
    // downloads: the same figures, with a file name
    let csv = s.req("GET", "/api/v1/reports/ar_aging/export.csv?view=invoices").cookie(&alice).send();
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let disposition = csv.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"ar_aging-invoices-") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert!(csv.text().contains("Ann Lee"));
    // rows only (CSV is data): the balances add up to what the books say is owed
    let balance: i64 =
        csv.text().lines().skip(1).map(|l| l.split(',').nth(7).unwrap().replace('.', "").parse::<i64>().unwrap()).sum();
    assert_eq!(balance, owed, "{}", csv.text());
    let pdf = s.req("GET", "/api/v1/reports/ar_aging/export.pdf").cookie(&alice).send();
    assert_eq!((pdf.status, pdf.header("content-type")), (200, Some("application/pdf")));
    assert!(pdf.body.starts_with(b"%PDF-"));
    assert_eq!(pdf.header("content-length").map(|l| l.parse::<usize>().unwrap()), Some(pdf.body.len()));
    let xlsx = s.req("GET", "/api/v1/reports/ar_aging/export.xlsx").cookie(&alice).send();
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.body.starts_with(b"PK"), "an XLSX is a zip");
}

#[test]
fn the_console_answers_the_books_figures_to_owners_and_accounting_only() {
    let s = server();
    let olivia = s.sign_in("olivia", "owner-pass-1");
    let alice = s.sign_in("alice", "books-pass-1");
    let sam = s.sign_in("sam", "sales-pass-1");
    let q = json!({"query": "select store_id, count(*) as n from invoice group by store_id order by store_id"});
    let r = s.req("POST", "/api/v1/sql").cookie(&olivia).json(&q).send();
    assert_eq!(r.status, 200, "{}", r.text());
    let doc = r.json();
    assert_eq!(doc["columns"][0]["name"], "store_id");
    assert_eq!(doc["rows"], json!([["1", "1"], ["2", "1"]]));
    assert_eq!(doc["cut"], false);
    let csv = s.req("POST", "/api/v1/sql").cookie(&alice).json(&json!({"query": q["query"], "format": "csv"})).send();
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert_eq!(csv.text(), "store_id,n\r\n1,1\r\n2,1\r\n");
    s.req("POST", "/api/v1/sql").cookie(&sam).json(&q).send().problem(403, "console");
    // the console's walls hold over HTTP: no files, no writes
    let r = s
        .req("POST", "/api/v1/sql")
        .cookie(&olivia)
        .json(&json!({"query": "select * from read_csv('/etc/passwd')"}))
        .send();
    assert_eq!(r.status, 422, "{}", r.text());
    let r = s.req("POST", "/api/v1/sql").cookie(&olivia).json(&json!({"query": "delete from invoice"})).send();
    assert_eq!(r.status, 422, "{}", r.text());
    s.req("POST", "/api/v1/sql")
        .cookie(&olivia)
        .json(&json!({"query": "select 1", "format": "xml"}))
        .send()
        .problem(422, "format");
}

#[test]
fn reads_find_what_the_caller_may_see_and_nothing_else() {
    let s = server();
    let (olivia, sam, bob, ian) = (
        s.sign_in("olivia", "owner-pass-1"),
        s.sign_in("sam", "sales-pass-1"),
        s.sign_in("bob", "other-pass-1"),
        s.sign_in("ian", "stock-pass-1"),
    );
    // the ring at The Mall by the stock number on its tag, typed in lower case
    let tag = s.text("select stock_no as v from items where id = 2");
    let item = s.req("GET", &format!("/api/v1/items/{}", tag.to_lowercase())).cookie(&sam).send();
    assert_eq!(item.status, 200, "{}", item.text());
    let item = item.json();
    assert_eq!(
        (item["id"].as_i64(), item["store"].as_str(), item["status"].as_str()),
        (Some(2), Some("The Mall"), Some("in_stock"))
    );
    assert_eq!(item["style_no"], "R-100");
    // the ring sold at Main Street is not Sam's to see, nor is anything of org 1 Bob's
    let sold = s.text("select stock_no as v from items where id = 1");
    s.req("GET", &format!("/api/v1/items/{sold}")).cookie(&sam).send().problem(404, "item");
    s.req("GET", &format!("/api/v1/items/{tag}")).cookie(&bob).send().problem(404, "item");

    // invoices: newest first, each caller's own stores and org
    let list = s.req("GET", "/api/v1/invoices").cookie(&olivia).send().json();
    assert_eq!(list["total"], 2);
    let ids: Vec<i64> = list["rows"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [2, 1]);
    assert_eq!(list["rows"][1]["total"], json!(cents(s.scalar("select total_cents as v from invoices where id = 1"))));
    assert_eq!(list["rows"][1]["paid"], "0.00");
    let mine = s.req("GET", "/api/v1/invoices").cookie(&sam).send().json();
    assert_eq!((mine["total"].as_i64(), mine["rows"][0]["id"].as_i64()), (Some(1), Some(2)));
    let page = s.req("GET", "/api/v1/invoices?limit=1&offset=1").cookie(&olivia).send().json();
    assert_eq!((page["total"].as_i64(), page["rows"][0]["id"].as_i64()), (Some(2), Some(1)));
    let dated = s.req("GET", "/api/v1/invoices?from=2026-01-11&to=2026-01-11").cookie(&olivia).send().json();
    assert_eq!(dated["total"], 1);
    assert_eq!(s.req("GET", "/api/v1/invoices").cookie(&bob).send().json()["rows"][0]["customer"], "Zoe Quill");
    // one invoice whole
    let one = s.req("GET", "/api/v1/invoices/1").cookie(&olivia).send().json();
    assert_eq!(one["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["lines"][0]["amount"], "6200.00");
    assert_eq!(one["tax"], json!(cents(s.scalar("select tax_cents as v from invoices where id = 1"))));
    assert!(one["history"].as_array().unwrap().iter().any(|e| e["entity"] == "invoices" && e["action"] == "create"));
    s.req("GET", "/api/v1/invoices/1").cookie(&sam).send().problem(404, "invoice 1");
    s.req("GET", "/api/v1/invoices/1").cookie(&bob).send().problem(404, "invoice 1");
    s.req("GET", "/api/v1/invoices").cookie(&ian).send().problem(403, "invoices");

    // contacts by name, email, phone digits
    let by_name = s.req("GET", "/api/v1/contacts?q=ann").cookie(&sam).send().json();
    assert_eq!(by_name["rows"][0]["name"], "Ann Lee");
    let by_mail = s.req("GET", "/api/v1/contacts?q=ANN%40EXAMPLE").cookie(&sam).send().json();
    assert_eq!(by_mail["total"], 1);
    assert_eq!(s.req("GET", "/api/v1/contacts?q=ann").cookie(&bob).send().json()["total"], 0);
    s.req("GET", "/api/v1/contacts").cookie(&sam).send().problem(422, "q");

    // the quick find: Ann the contact and her invoices, of the caller's stores; kinds the caller may read
    let found = s.req("GET", "/api/v1/find?q=ann").cookie(&sam).send().json();
    let kinds: Vec<(String, i64)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap().to_string(), f["id"].as_i64().unwrap()))
        .collect();
    assert_eq!(kinds, [("contact".to_string(), 2), ("invoice".to_string(), 2)]);
    let found = s.req("GET", "/api/v1/find?q=ann").cookie(&ian).send().json();
    assert!(found.as_array().unwrap().iter().all(|f| f["kind"] != "invoice"), "{found}");
    assert_eq!(s.req("GET", "/api/v1/find?q=ann").cookie(&bob).send().json(), json!([]));

    // memos and work orders: empty boards are empty pages
    assert_eq!(s.req("GET", "/api/v1/memos?open=true").cookie(&olivia).send().json()["total"], 0);
    assert_eq!(s.req("GET", "/api/v1/work-orders?lane=ready").cookie(&olivia).send().json()["total"], 0);
    s.req("GET", "/api/v1/work-orders?lane=lost").cookie(&olivia).send().problem(422, "lane");
    s.req("GET", "/api/v1/invoices?limit=500").cookie(&olivia).send().problem(422, "limit");
    s.req("GET", "/api/v1/invoices?colour=red").cookie(&olivia).send().problem(400, "colour");
}

/// The `sh http-example` blocks of docs/API.md, in order, as one script.
fn api_examples() -> String {
    let doc = include_str!("../../../docs/API.md");
    let mut script = String::new();
    let mut inside = false;
    for line in doc.lines() {
        if line.trim() == "```sh http-example" {
            inside = true;
        } else if inside && line.trim() == "```" {
            inside = false;
        } else if inside {
            script.push_str(line);
            script.push('\n');
        }
    }
    script
}

#[test]
fn the_curl_examples_in_docs_api_run_as_written() {
    let s = server();
    let script = api_examples();
    assert!(script.lines().count() > 20, "{script}");
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .env("LOUPE", format!("http://{}", s.addr))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docs/API.md's examples failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // what they did is in the books: one sale by token, under its key
    assert_eq!(s.scalar("select cast(count(*) as bigint) as v from invoices where org_id = 1"), 3);
    assert_eq!(
        s.scalar("select cast(count(*) as bigint) as v from idempotency_keys where key like '1/1/till-7-0001'"),
        1
    );
}

#[test]
fn the_openapi_document_describes_every_route_and_its_docs_page_shows_them() {
    let s = server();
    let r = s.req("GET", "/api/v1/openapi.json").send();
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut paths: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    paths.sort();
    let expected = [
        "/api/v1/contacts",
        "/api/v1/docs",
        "/api/v1/find",
        "/api/v1/invoices",
        "/api/v1/invoices/{id}",
        "/api/v1/items/{code}",
        "/api/v1/memos",
        "/api/v1/openapi.json",
        "/api/v1/ops/{op}",
        "/api/v1/reports",
        "/api/v1/reports/{id}",
        "/api/v1/reports/{id}/{action}",
        "/api/v1/session",
        "/api/v1/sessions",
        "/api/v1/sessions/{id}",
        "/api/v1/sql",
        "/api/v1/subscriptions",
        "/api/v1/subscriptions/{id}/deliveries",
        "/api/v1/subscriptions/{id}/send",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/work-orders",
        "/healthz",
        "/readyz",
    ];
    assert_eq!(paths, expected);
    // every route of `protected` (the 401 sweep) is in the document, under its method
    for (method, path, _) in protected() {
        let path = path.split('?').next().unwrap();
        let templated = expected
            .iter()
            .find(|t| {
                let (a, b): (Vec<&str>, Vec<&str>) = (t.split('/').collect(), path.split('/').collect());
                a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || x.starts_with('{'))
            })
            .unwrap_or_else(|| panic!("{path} is not in the document"));
        assert!(doc["paths"][templated][method.to_lowercase()].is_object(), "{method} {templated}");
    }
    let page = s.req("GET", "/api/v1/docs").send();
    assert_eq!((page.status, page.header("content-type")), (200, Some("text/html; charset=utf-8")));
    assert!(page.text().contains("<code>/api/v1/ops/{op}</code>"), "{}", page.text());
}

#[test]
fn schemathesis_finds_no_server_error_and_no_answer_off_the_document() {
    let s = server();
    let olivia = s.sign_in("olivia", "owner-pass-1");
    let token =
        s.req("POST", "/api/v1/tokens").cookie(&olivia).json(&json!({"name": "schemathesis"})).send().json()["token"]
            .as_str()
            .unwrap()
            .to_string();
    let out = std::process::Command::new("python3")
        .args(["-m", "schemathesis.cli", "run"])
        .arg(format!("http://{}/api/v1/openapi.json", s.addr))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--phases", "coverage,fuzzing", "--max-examples", "25", "--workers", "2"])
        .args(["--seed", "20261207", "--no-color"])
        .output()
        .expect("schemathesis is installed by scripts/test-setup.sh (python3 -m pip install schemathesis)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schemathesis failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("passed") && !stdout.contains(" failed"), "{stdout}");
    // whatever its made-up commands did, the books still hold together: stock equals its ledger
    let differences = s.block_on(oltp::reconcile::inventory(&s.db)).unwrap();
    assert!(differences.is_empty(), "{differences:?}");
}

/// A subscription posted over HTTP: its reports checked as the caller would run them (an unknown report or
/// parameter, or a report they may not see, refused by field with nothing kept), then kept as theirs; sent now
/// over HTTP and its delivery read back, by its owner only.
#[test]
fn a_subscription_over_http_is_checked_report_by_report() {
    let mail = tempfile::tempdir().unwrap();
    let s = Server::start_mailing(&Books::Sqlite, TWO_SHOPS, &format!("file://{}", mail.path().display()));
    let olivia = s.sign_in("olivia", "owner-pass-1");
    let changes = s.changes();
    let post = |cookie: &str, reports: Value| {
        s.req("POST", "/api/v1/ops/create_subscription")
            .cookie(cookie)
            .json(&json!({"name": "Monday AR", "reports": reports, "format": "xlsx",
                "recipients": [{"email": "books@example.com"}], "cron": "0 7 * * 1", "time_zone": "America/New_York"}))
            .send()
    };
    post(&olivia, json!([{"report": "ar_aging"}, {"report": "ar_agin"}])).problem(422, "reports[1]");
    post(&olivia, json!([{"report": "ar_aging", "params": {"bukcet": "b4"}}])).problem(422, "bukcet");
    post(&olivia, json!([{"report": "ar_aging", "params": {"customer": "Zoe Quill"}}])).problem(422, "Zoe Quill");
    // Ian (inventory) may not see AR aging
    let ian = s.sign_in("ian", "stock-pass-1");
    let r = post(&ian, json!([{"report": "ar_aging"}]));
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(s.changes(), changes, "nothing kept");
    let r = post(&olivia, json!([{"report": "ar_aging", "params": {"as_of": "yesterday"}}, {"report": "rfm"}]));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(s.scalar("select owner_id as v from subscriptions"), 1);
    // listed for the owner, with its reports and next slot; not for Sam (not his) nor for another org
    let list = s.req("GET", "/api/v1/subscriptions").cookie(&olivia).send();
    assert_eq!(list.status, 200, "{}", list.text());
    let kept = list.json();
    assert_eq!(kept[0]["name"], "Monday AR");
    assert_eq!(kept[0]["reports"][0]["params"]["as_of"], "yesterday");
    assert!(kept[0]["next_run_at"].as_i64().unwrap_or(0) > chrono::Utc::now().timestamp());
    let sam = s.sign_in("sam", "sales-pass-1");
    assert_eq!(s.req("GET", "/api/v1/subscriptions").cookie(&sam).send().json(), json!([]));
    let bob = s.sign_in("bob", "other-pass-1");
    assert_eq!(s.req("GET", "/api/v1/subscriptions").cookie(&bob).send().json(), json!([]));

    // sent now: taken at once, sent in the background, the log says so
    let id = kept[0]["id"].as_i64().unwrap();
    for (who, status) in [(&sam, 404), (&bob, 404)] {
        assert_eq!(s.req("POST", &format!("/api/v1/subscriptions/{id}/send")).cookie(who).send().status, status);
        assert_eq!(s.req("GET", &format!("/api/v1/subscriptions/{id}/deliveries")).cookie(who).send().status, status);
    }
    let r = s.req("POST", &format!("/api/v1/subscriptions/{id}/send")).cookie(&olivia).send();
    assert_eq!(r.status, 202, "{}", r.text());
    let log = format!("/api/v1/subscriptions/{id}/deliveries");
    assert_eq!(r.json()["deliveries"], json!(log));
    let mut runs = Value::Null;
    for _ in 0..100 {
        runs = s.req("GET", &log).cookie(&olivia).send().json();
        if runs[0]["status"] != "pending" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(runs[0]["status"], "sent", "{runs}");
    assert_eq!(runs[0]["id"], r.json()["delivery_id"]);
    assert_eq!(runs[0]["recipients"], "books@example.com");
    // the reports as run: yesterday resolved to a date
    let resolved: Value = serde_json::from_str(runs[0]["resolved"].as_str().unwrap()).unwrap();
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    assert_eq!(resolved[0]["params"]["as_of"], json!(yesterday));
    assert_eq!(std::fs::read_dir(mail.path()).unwrap().count(), 1, "one message in the mail directory");
}
