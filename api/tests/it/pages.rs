//! The web pages over real HTTP: signing in through the form and coming back to the page asked for, the
//! dashboard's counters against the reports' own totals (and the books, worked by hand), the drawer's rows
//! against the cell they open from, store scope and another org's links.

use serde_json::Value;

use crate::http::{Books, Server};
use crate::serve::TWO_SHOPS;

fn server() -> Server {
    Server::start(&Books::Sqlite, TWO_SHOPS)
}

/// Signs in through the sign-in form, as a browser does; the session cookie.
fn form_sign_in(s: &Server, username: &str, password: &str) -> String {
    let r = s
        .req("POST", "/sign-in")
        .header("origin", &format!("http://{}", s.addr))
        .body("application/x-www-form-urlencoded", format!("username={username}&password={password}&next=%2F"))
        .send();
    assert_eq!(r.status, 303, "{}", r.text());
    r.header("set-cookie").unwrap().split(';').next().unwrap().to_string()
}

/// The text inside the element with `data-testid="{id}"`, tags stripped.
fn testid(html: &str, id: &str) -> String {
    let at = html.find(&format!("data-testid=\"{id}\"")).unwrap_or_else(|| panic!("no {id} in {html}"));
    let open = html[..at].rfind('<').unwrap();
    let tag: String = html[open + 1..].chars().take_while(char::is_ascii_alphanumeric).collect();
    let start = at + html[at..].find('>').unwrap() + 1;
    let end = start + html[start..].find(&format!("</{tag}>")).unwrap();
    let mut text = String::new();
    let mut inside = false;
    for ch in html[start..end].chars() {
        match ch {
            '<' => inside = true,
            '>' => inside = false,
            _ if !inside => text.push(ch),
            _ => {}
        }
    }
    text.trim().to_string()
}

/// Money as the pages and the API's footers show it: the API's exact decimal with thousands separators.
fn shown(api: &serde_json::Value) -> String {
    let s = api.as_str().map(str::to_string).unwrap_or_else(|| api.to_string());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let (neg, digits) = int.strip_prefix('-').map_or((false, int), |d| (true, d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if neg { "-" } else { "" })
}

#[test]
fn a_page_without_a_session_goes_to_sign_in_and_comes_back_after() {
    let s = server();
    let r = s.req("GET", "/reports/ar_aging?view=invoices").send();
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/sign-in?next=%2Freports%2Far_aging%3Fview%3Dinvoices"));
    let page = s.req("GET", "/sign-in?next=%2Freports%2Far_aging%3Fview%3Dinvoices").send();
    assert_eq!(page.status, 200);
    assert!(page.text().contains("name=\"next\" value=\"/reports/ar_aging?view=invoices\""), "{}", page.text());
    // a wrong password: the form again, saying so, and no cookie
    let origin = format!("http://{}", s.addr);
    let wrong = s
        .req("POST", "/sign-in")
        .header("origin", &origin)
        .body("application/x-www-form-urlencoded", "username=olivia&password=nope&next=%2F")
        .send();
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains("The username or password is not right."));
    assert!(wrong.header("set-cookie").is_none());
    // posted from another site: refused
    let evil = s
        .req("POST", "/sign-in")
        .header("origin", "https://evil.example")
        .body("application/x-www-form-urlencoded", "username=olivia&password=owner-pass-1&next=%2F")
        .send();
    assert_eq!(evil.status, 403);
    // the right one: on to the page asked for, which shows the invoices
    let ok = s
        .req("POST", "/sign-in")
        .header("origin", &origin)
        .body(
            "application/x-www-form-urlencoded",
            "username=olivia&password=owner-pass-1&next=%2Freports%2Far_aging%3Fview%3Dinvoices",
        )
        .send();
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some("/reports/ar_aging?view=invoices"));
    let cookie = ok.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    let page = s.req("GET", "/reports/ar_aging?view=invoices").cookie(&cookie).send();
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Ann Lee") && html.contains("6,572.00") && html.contains("381.60"), "{html}");
    // signed out, the same cookie opens nothing: back to sign-in, told the session ended
    let out = s.req("POST", "/sign-out").cookie(&cookie).header("origin", &origin).send();
    assert_eq!(out.status, 303);
    let again = s.req("GET", "/").cookie(&cookie).send();
    assert_eq!((again.status, again.header("location")), (303, Some("/sign-in?next=%2F&notice=ended")));
    // a partial (htmx) is told where the whole page goes
    let partial = s.req("GET", "/dashboard/figures").cookie(&cookie).header("hx-request", "true").send();
    assert_eq!(partial.status, 401);
    assert!(partial.header("hx-redirect").unwrap().starts_with("/sign-in?next="));
    // a redirect off this site is never followed
    let away = s
        .req("POST", "/sign-in")
        .header("origin", &origin)
        .body("application/x-www-form-urlencoded", "username=olivia&password=owner-pass-1&next=%2F%2Fevil.example")
        .send();
    assert_eq!(away.header("location"), Some("/"));
}

/// Carat & Co's books, by hand: invoice 1 is 6,200.00 + 6 % = 6,572.00 and invoice 2 is 2 × 180.00 + 6 % =
/// 381.60, both unpaid and dated in January, so more than 91 days old: AR 6,953.60, all of it 91+. In stock: a
/// ring at 3,000.00 and 8 of 10 hoops at 60.00 = 480.00, received on 2026-01-05: 3,480.00 at cost, under 366
/// days old (until 2027-01-05). Nothing on memo, no work orders, no sale today.
#[test]
fn the_dashboard_counters_are_the_reports_totals() {
    let s = server();
    let olivia = form_sign_in(&s, "olivia", "owner-pass-1");
    let page = s.req("GET", "/").cookie(&olivia).send();
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Carat &#38; Co") && html.contains("MAIN — Main Street") && html.contains("MALL — The Mall"));
    let f = s.req("GET", "/dashboard/figures").cookie(&olivia).send();
    assert_eq!(f.status, 200, "{}", f.text());
    let figures = f.text();
    let api = |path: &str| {
        let r = s.req("GET", path).cookie(&olivia).send();
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.json()
    };
    let ar = api("/api/v1/reports/ar_aging/run");
    assert_eq!(testid(&figures, "counter-ar_balance"), shown(&ar["totals"]["cells"]["net"]));
    assert_eq!(testid(&figures, "counter-ar_balance"), "6,953.60");
    assert_eq!(testid(&figures, "part-ar_balance"), format!("91+ days: {}", shown(&ar["totals"]["cells"]["b4"])));
    let open = api("/api/v1/reports/ar_aging/run?view=invoices&bucket=open");
    assert_eq!(testid(&figures, "counter-open_invoices"), open["row_count"].to_string());
    assert_eq!(testid(&figures, "counter-open_invoices"), "2");
    assert_eq!(
        testid(&figures, "part-open_invoices"),
        format!("Owed on them: {}", shown(&open["totals"]["cells"]["balance"]))
    );
    let inv = api("/api/v1/reports/inventory_aging/run");
    assert_eq!(testid(&figures, "counter-inventory"), shown(&inv["totals"]["cells"]["cost"]));
    assert_eq!(testid(&figures, "counter-inventory"), "3,480.00");
    assert_eq!(testid(&figures, "part-inventory"), "366+ days: 0.00");
    let memo = api("/api/v1/reports/memo_liability/run");
    assert_eq!(testid(&figures, "counter-memo_exposure"), shown(&memo["totals"]["cells"]["cost"]));
    assert_eq!(testid(&figures, "counter-sales_today"), "0.00");
    assert_eq!(testid(&figures, "lane-received"), "0");
    // a lane opens its list; a lane that is not one is said so
    assert!(figures.contains("href=\"/work-orders?lane=received\""), "{figures}");
    let wo = s.req("GET", "/work-orders?lane=received").cookie(&olivia).send();
    assert_eq!(wo.status, 200);
    assert_eq!(testid(&wo.text(), "range"), "0 work orders");
    let bad = s.req("GET", "/work-orders?lane=lost").cookie(&olivia).send();
    assert!(bad.status == 422 && bad.text().contains("lost"), "{} {}", bad.status, bad.text());
    // the sales chart's 24 months, each beside the month a year earlier, against gross profit by month over
    // the 36 months through this one (the org's time zone is UTC); by hand, January 2026's revenue is
    // 6,200.00 + 2 × 180.00 = 6,560.00 (tax is not revenue)
    let chart: Value = serde_json::from_str(
        &figures
            .split("data-sales=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&#34;", "\"")
            .replace("&#38;", "&"),
    )
    .unwrap();
    use chrono::{Datelike as _, Months};
    let this_month = chrono::Utc::now().date_naive().with_day(1).unwrap();
    let from = this_month.checked_sub_months(Months::new(35)).unwrap();
    let gp = api(&format!(
        "/api/v1/reports/gross_profit/run?by=month&from={from}&to={}&limit=100",
        chrono::Utc::now().date_naive()
    ));
    let month = |m: chrono::NaiveDate| {
        let key = m.format("%Y-%m").to_string();
        gp["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["cells"]["group"] == key.as_str())
            .map_or("0".to_string(), |r| r["cells"]["revenue"].as_str().unwrap().to_string())
    };
    let monthly = &chart["monthly"];
    assert_eq!(monthly["periods"].as_array().unwrap().len(), 24);
    for i in 0..24u32 {
        let m = this_month.checked_sub_months(Months::new(23 - i)).unwrap();
        let at = i as usize;
        assert_eq!(monthly["periods"][at], m.format("%Y-%m").to_string());
        assert_eq!(monthly["sales"][at], month(m), "{m}");
        assert_eq!(
            monthly["year_before"][at],
            month(m.checked_sub_months(Months::new(12)).unwrap()),
            "{m} a year earlier"
        );
    }
    if let Some(at) = monthly["periods"].as_array().unwrap().iter().position(|p| p == "2026-01") {
        assert_eq!(monthly["sales"][at], "6560.00");
    }
    // the last 30 days: no sale in them, each day zero, the last today
    let daily = &chart["daily"];
    assert_eq!(daily["periods"].as_array().unwrap().len(), 30);
    assert_eq!(daily["periods"][29], chrono::Utc::now().date_naive().to_string());
    assert!(daily["sales"].as_array().unwrap().iter().all(|v| v == "0"), "{daily}");
    // unchanged lake: the next poll keeps the page as it is
    let since = figures.split("since=").nth(1).unwrap().split('"').next().unwrap().to_string();
    let again = s.req("GET", &format!("/dashboard/figures?since={since}")).cookie(&olivia).send();
    assert_eq!(again.status, 204);
    // the 91+ part opens the invoices behind it; in the drawer they add up to the part
    let part_href = figures.split("data-testid=\"part-ar_balance\"").next().unwrap().rsplit("href=\"").next().unwrap();
    let part_href = part_href.split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&");
    assert!(part_href.starts_with("/reports/ar_aging?view=invoices"), "{part_href}");
    let drawer =
        s.req("GET", &part_href.replacen("/reports/ar_aging?", "/reports/ar_aging/drawer?", 1)).cookie(&olivia).send();
    assert_eq!(drawer.status, 200, "{}", drawer.text());
    let d = drawer.text();
    assert!(d.contains("<tfoot>") && d.contains("6,953.60") && d.contains("2 rows"), "{d}");
}

#[test]
fn a_store_scoped_user_sees_only_their_store_and_another_orgs_links_are_not_found() {
    let s = server();
    let sam = form_sign_in(&s, "sam", "sales-pass-1");
    let html = s.req("GET", "/").cookie(&sam).send().text();
    assert!(html.contains("MALL — The Mall") && !html.contains("Main Street"), "{html}");
    let olivia = form_sign_in(&s, "olivia", "owner-pass-1");
    // olivia narrows to The Mall: only invoice 2 is owed there
    let mall = s.req("GET", "/dashboard/figures?scope=2").cookie(&olivia).send().text();
    assert_eq!(testid(&mall, "counter-ar_balance"), "381.60");
    // Main Street is not one of Sam's stores; Gem Corner (org 2's) is not one of Olivia's
    let r = s.req("GET", "/?scope=1").cookie(&sam).send();
    assert_eq!(r.status, 404);
    assert!(r.text().contains("Not found"));
    let r = s.req("GET", "/reports/ar_aging?scope=3").cookie(&olivia).send();
    assert_eq!(r.status, 404);
    for path in [
        "/dashboard/figures?scope=3",
        "/find?q=a&scope=3",
        "/work-orders?scope=3",
        "/reports?scope=3",
        "/reports/ar_aging/drawer?view=invoices&scope=3",
        "/api/v1/reports/ar_aging/run?scope=3",
    ] {
        let r = s.req("GET", path).cookie(&olivia).send();
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        assert!(!r.text().contains("Zoe") && !r.text().contains("Gem Corner"), "{path}");
    }
    // a store that is not a number is said so, on a page as through the API
    for path in ["/?scope=main", "/api/v1/reports/ar_aging/run?scope=main"] {
        let r = s.req("GET", path).cookie(&olivia).send();
        assert!(r.status == 422 && r.text().contains("scope"), "{path}: {} {}", r.status, r.text());
    }
    // a bad filter on a report page: the page says which, in words
    let r = s.req("GET", "/reports/ar_aging?edges=thirty").cookie(&olivia).send();
    assert_eq!(r.status, 422);
    assert!(testid(&r.text(), "report-error").contains("edges"), "{}", r.text());
    // another org's saved report cannot be unpinned
    let pin = s
        .req("POST", "/reports/rfm/pin")
        .cookie(&olivia)
        .header("origin", &format!("http://{}", s.addr))
        .body("application/x-www-form-urlencoded", "name=Mine&query=view%3Dsegments")
        .send();
    assert_eq!(pin.status, 303);
    let id = s.scalar("select id as v from saved_reports where name = 'Mine'");
    let bob = form_sign_in(&s, "bob", "other-pass-1");
    let r = s
        .req("POST", &format!("/saved/{id}/delete"))
        .cookie(&bob)
        .header("origin", &format!("http://{}", s.addr))
        .send();
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(s.scalar("select count(*) as v from saved_reports"), 1);
    // org 2's invoice (3) through a report link: not found for olivia, however it is asked
    let r = s.req("GET", "/reports/ar_aging?view=history&invoice=3").cookie(&olivia).send();
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(!r.text().contains("Zoe"));
    let r = s.req("GET", "/reports/ar_aging/drawer?view=invoices&customer=4").cookie(&olivia).send();
    assert!(r.status == 404 && !r.text().contains("Zoe"), "{} {}", r.status, r.text());
    // the quick find finds org 1's customer, never org 2's
    let found = s.req("GET", "/find?q=o").cookie(&olivia).send().text();
    assert!(!found.contains("Zoe") && !found.contains("Bob"), "{found}");
    let found = s.req("GET", "/find?q=ann").cookie(&olivia).send().text();
    assert!(found.contains("Ann Lee"), "{found}");
}

#[test]
fn assets_are_built_in_compressed_and_kept_by_their_version() {
    let s = server();
    let page = s.req("GET", "/sign-in").send().text();
    let css = page.split("href=\"/assets/app.css").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    let r = s.req("GET", &format!("/assets/app.css{css}")).header("accept-encoding", "gzip, br").send();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=31536000, immutable"));
    let plain = s.req("GET", "/assets/htmx.js").send();
    assert_eq!((plain.status, plain.header("content-encoding")), (200, None));
    assert!(plain.text().contains("htmx"));
    assert_eq!(s.req("GET", "/assets/..%2FCargo.toml").send().status, 404);
}

#[test]
fn a_user_pins_reports_and_finds_the_ones_they_opened_lately() {
    let s = server();
    let origin = format!("http://{}", s.addr);
    let olivia = form_sign_in(&s, "olivia", "owner-pass-1");
    assert_eq!(s.req("GET", "/reports/ar_aging?view=invoices&bucket=open").cookie(&olivia).send().status, 200);
    let home = s.req("GET", "/reports").cookie(&olivia).send().text();
    let recent = home.split("data-testid=\"recent\"").nth(1).unwrap_or_else(|| panic!("{home}"));
    assert!(recent.contains("AR aging — open invoices") && recent.contains("bucket=open"), "{recent}");
    // pinned with the filters on screen, under a name
    let pin = s
        .req("POST", "/reports/ar_aging/pin")
        .cookie(&olivia)
        .header("origin", &origin)
        .body("application/x-www-form-urlencoded", "name=Old+debts&query=view%3Dinvoices%26bucket%3Db4%26scope%3D2")
        .send();
    assert_eq!(pin.status, 303, "{}", pin.text());
    assert_eq!(pin.header("location"), Some("/reports/ar_aging?view=invoices&bucket=b4&scope=2"));
    let kept = s.text("select params as v from saved_reports where name = 'Old debts' and user_id = 1");
    assert_eq!(kept, r#"{"bucket":"b4"}"#);
    let home = s.req("GET", "/reports").cookie(&olivia).send().text();
    let pinned = home.split("data-testid=\"pinned\"").nth(1).unwrap_or_else(|| panic!("{home}"));
    assert!(
        pinned.contains("Old debts") && pinned.contains("/reports/ar_aging?view=invoices&#38;bucket=b4"),
        "{pinned}"
    );
    // pinned again: the same pin takes the new filters
    s.req("POST", "/reports/ar_aging/pin")
        .cookie(&olivia)
        .header("origin", &origin)
        .body("application/x-www-form-urlencoded", "name=Old+debts&query=view%3Dinvoices%26bucket%3Db3")
        .send();
    assert_eq!(s.scalar("select count(*) as v from saved_reports where name = 'Old debts'"), 1);
    // Sam sees neither Olivia's pin nor her pages
    let sam = form_sign_in(&s, "sam", "sales-pass-1");
    let theirs = s.req("GET", "/reports").cookie(&sam).send().text();
    assert!(!theirs.contains("Old debts") && !theirs.contains("data-testid=\"recent\""), "{theirs}");
    // unpinned
    let id = s.scalar("select id as v from saved_reports where name = 'Old debts'");
    let r = s.req("POST", &format!("/saved/{id}/delete")).cookie(&olivia).header("origin", &origin).send();
    assert_eq!(r.status, 303);
    assert_eq!(s.scalar("select count(*) as v from saved_reports"), 0);
}

#[test]
fn a_record_peeks_open_for_whoever_may_see_it_and_for_nobody_else() {
    let s = server();
    let olivia = form_sign_in(&s, "olivia", "owner-pass-1");
    let inv = s.req("GET", "/peek/invoice/1").cookie(&olivia).send();
    assert_eq!(inv.status, 200, "{}", inv.text());
    let html = inv.text();
    assert!(
        html.contains("Invoice INV-000001") && html.contains("Ann Lee") && html.contains("solitaire ring"),
        "{html}"
    );
    // 6,200.00 + 6 % tax, nothing paid
    for (fact, value) in [("Total", "6,572.00"), ("Tax", "372.00"), ("Paid", "0.00"), ("Balance", "6,572.00")] {
        assert!(html.contains(&format!("data-fact=\"{fact}\">{value}<")), "{fact} {value}: {html}");
    }
    // the customer with both invoices; Sam, of The Mall, sees only The Mall's
    let ann = s.req("GET", "/peek/customer/2").cookie(&olivia).send().text();
    assert!(ann.contains("INV-000001") && ann.contains("INV-000002") && ann.contains("ann@example.com"), "{ann}");
    let sam = form_sign_in(&s, "sam", "sales-pass-1");
    let theirs = s.req("GET", "/peek/customer/2").cookie(&sam).send().text();
    assert!(theirs.contains("INV-000002") && !theirs.contains("INV-000001"), "{theirs}");
    assert_eq!(s.req("GET", "/peek/invoice/1").cookie(&sam).send().status, 404);
    // another org's invoice and customer: not found, and nothing of them shown
    for path in ["/peek/invoice/3", "/peek/customer/4", "/peek/nothing/1", "/peek/invoice/x"] {
        let r = s.req("GET", path).cookie(&olivia).send();
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("Zoe"), "{path}");
    }
    // a stock number in a report opens its piece
    let stock = s.text("select stock_no as v from items where id = 2");
    let page = s.req("GET", "/reports/inventory_aging?view=items").cookie(&olivia).send().text();
    assert!(page.contains(&format!("data-drawer=\"/peek/item/{stock}\"")), "{page}");
    let item = s.req("GET", &format!("/peek/item/{stock}")).cookie(&olivia).send().text();
    assert!(
        item.contains("solitaire ring") && item.contains("The Mall") && item.contains("data-fact=\"On hand\">1<"),
        "{item}"
    );
    // a memo: the Mall's ring out to Ann at 5,900.00 and three hoops at 185.00 = 6,455.00 out
    let memo = s
        .req("POST", "/api/v1/ops/issue_memo")
        .cookie(&olivia)
        .json(&serde_json::json!({"store_id": 2, "customer_id": 2, "memo_date": "2026-02-03",
            "lines": [{"item_id": 2, "memo_price": "5900.00"}, {"item_id": 3, "qty": 3, "memo_price": "185.00"}]}))
        .send();
    assert_eq!(memo.status, 200, "{}", memo.text());
    let id = memo.json()["id"].as_i64().unwrap();
    let m = s.req("GET", &format!("/peek/memo/{id}")).cookie(&olivia).send().text();
    assert!(m.contains("data-fact=\"Out at memo price\">6,455.00<") && m.contains("data-fact=\"Lines out\">2<"), "{m}");
    assert!(m.contains(&format!("/peek/item/{stock}")), "{m}");
    // and the memo's number in the memo reports opens it, once the lake has it
    let mut found = false;
    for _ in 0..50 {
        let page = s.req("GET", "/reports/memo_liability").cookie(&olivia).send().text();
        if page.contains(&format!("data-drawer=\"/peek/memo/{id}\"")) {
            found = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(found, "the memo's number peeks in memo liability");
    let bob = form_sign_in(&s, "bob", "other-pass-1");
    assert_eq!(s.req("GET", &format!("/peek/memo/{id}")).cookie(&bob).send().status, 404);
}

/// A subscription whose last run failed is said on its owner's dashboard, with the reason, and on nobody
/// else's; once a later run is sent the notice goes.
#[test]
fn a_failed_delivery_is_on_its_owner_s_dashboard_until_one_is_sent() {
    let s = server();
    let olivia = form_sign_in(&s, "olivia", "owner-pass-1");
    let cmd = r#"{"op":"create_subscription","org_id":1,"owner_id":1,"name":"Monday AR","reports":[{"report":"ar_aging"}],
        "format":"xlsx","recipients":[{"email":"books@carat.example"}],"cron":"0 7 * * 1","time_zone":"UTC"}"#;
    let id = s.block_on(oltp::execute(&s.db, &oltp::Ctx::operator(), &oltp::ops::parse(cmd).unwrap())).unwrap().id;
    let page = |cookie: &str| s.req("GET", "/").cookie(cookie).send().text();
    assert!(!page(&olivia).contains("failed-deliveries"));
    let run = |at: i64, status: &'static str, error: Option<&str>| {
        s.block_on(async {
            let now = chrono::DateTime::from_timestamp(at, 0).unwrap();
            let c = oltp::subscriptions::claim_now(&s.db, 1, id, now, "test").await.unwrap();
            let f = oltp::subscriptions::Finished {
                status,
                attempts: 3,
                recipients: String::new(),
                resolved: "[]".into(),
                bytes: 0,
                message_id: None,
                error: error.map(str::to_string),
                at: now,
            };
            assert!(oltp::subscriptions::finish(&s.db, &c, &f).await.unwrap());
        });
    };
    let now = chrono::Utc::now().timestamp();
    run(now - 60, "failed", Some("to books@carat.example after 3 tries: the mail server refused or was unreachable"));
    let html = page(&olivia);
    let said = testid(&html, "failed-deliveries");
    assert!(said.contains("“Monday AR”") && said.contains("after 3 tries: the mail server refused"), "{said}");
    // not Sam's to see, nor another org's
    let sam = form_sign_in(&s, "sam", "sales-pass-1");
    assert!(!page(&sam).contains("failed-deliveries"));
    let bob = form_sign_in(&s, "bob", "other-pass-1");
    assert!(!page(&bob).contains("failed-deliveries"));
    // sent since: nothing to say
    run(now, "sent", None);
    assert!(!page(&olivia).contains("failed-deliveries"));
}

#[test]
fn a_preview_is_what_a_recipient_gets_with_their_own_stores() {
    let s = server();
    let origin = format!("http://{}", s.addr);
    let olivia = form_sign_in(&s, "olivia", "owner-pass-1");
    let email = r#"{"op":"update_user","org_id":1,"user_id":2,"email":"sam@carat.example"}"#;
    s.block_on(oltp::execute(&s.db, &oltp::Ctx::operator(), &oltp::ops::parse(email).unwrap())).unwrap();
    let preview = |per_recipient: &str| {
        let form = format!(
            "action=preview&name=Mine&report=ar_aging&format=html&to=sam&cron=0+7+*+*+1&time_zone=UTC{per_recipient}"
        );
        let r = s
            .req("POST", "/subscriptions")
            .cookie(&olivia)
            .header("origin", &origin)
            .body("application/x-www-form-urlencoded", form)
            .send();
        assert_eq!(r.status, 200);
        // the preview and the mail's body within it (an iframe's srcdoc)
        let html = r.text();
        let at = html.find("data-testid=\"preview\"").unwrap_or_else(|| panic!("no preview in {html}"));
        html[at..].to_string()
    };
    // as Olivia runs it: both shops' receivable, 6,572.00 + 381.60
    let whole = preview("");
    assert!(whole.contains("6,953.60"), "{whole}");
    // each recipient with their own stores: Sam gets The Mall's alone
    let sams = preview("&per_recipient=1");
    assert!(sams.contains("381.60") && !sams.contains("6,953.60") && !sams.contains("6,572.00"), "{sams}");
    assert!(sams.contains("sam@carat.example"), "{sams}");
    assert_eq!(s.scalar("select count(*) as v from subscriptions"), 0, "a preview keeps nothing");
    // a parameter for a report not chosen is named, and nothing is kept
    let r = s
        .req("POST", "/subscriptions")
        .cookie(&olivia)
        .header("origin", &origin)
        .body(
            "application/x-www-form-urlencoded",
            "action=create&name=Mine&report=ar_aging&params=rfm.as_of%3Dyesterday&format=xlsx&to=sam&cron=0+7+*+*+1&time_zone=UTC",
        )
        .send();
    assert_eq!(
        testid(&r.text(), "error"),
        "Parameters: &#34;rfm.as_of=yesterday&#34; names &#34;rfm&#34;, which is not one of the reports chosen."
    );
    assert_eq!(s.scalar("select count(*) as v from subscriptions"), 0);
}

#[test]
fn send_now_while_a_run_is_still_going_says_so_and_sends_nothing_twice() {
    let mail = tempfile::tempdir().unwrap();
    let s = Server::start_mailing(&Books::Sqlite, TWO_SHOPS, &format!("file://{}", mail.path().display()));
    let origin = format!("http://{}", s.addr);
    let olivia = form_sign_in(&s, "olivia", "owner-pass-1");
    let cmd = r#"{"op":"create_subscription","org_id":1,"owner_id":1,"name":"Monday AR","reports":[{"report":"ar_aging"}],
        "format":"xlsx","recipients":[{"email":"books@carat.example"}],"cron":"0 7 * * 1","time_zone":"UTC"}"#;
    let id = s.block_on(oltp::execute(&s.db, &oltp::Ctx::operator(), &oltp::ops::parse(cmd).unwrap())).unwrap().id;
    // a run of it is under way (claimed, not yet finished)
    s.block_on(oltp::subscriptions::claim_now(&s.db, 1, id, chrono::Utc::now(), "send now: sam")).unwrap();
    let r = s.req("POST", &format!("/subscriptions/{id}/send")).cookie(&olivia).header("origin", &origin).send();
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some(format!("/subscriptions?busy={id}").as_str()));
    let page = s.req("GET", &format!("/subscriptions?busy={id}")).cookie(&olivia).send().text();
    assert_eq!(
        testid(&page, "notice"),
        "&#34;Monday AR&#34; is still being sent: the delivery log below shows it when done."
    );
    assert_eq!(s.scalar("select count(*) as v from deliveries"), 1, "no second run");
    assert_eq!(std::fs::read_dir(mail.path()).map(|d| d.count()).unwrap_or(0), 0, "nothing mailed");
    // another org's owner cannot send, pause or open it
    let bob = form_sign_in(&s, "bob", "other-pass-1");
    for action in ["send", "pause", "resume"] {
        let r = s.req("POST", &format!("/subscriptions/{id}/{action}")).cookie(&bob).header("origin", &origin).send();
        assert_eq!(r.status, 404, "{action}");
    }
    let theirs = s.req("GET", &format!("/subscriptions?edit={id}")).cookie(&bob).send().text();
    assert!(!theirs.contains("Monday AR"), "{theirs}");
    assert_eq!(s.scalar("select count(*) as v from deliveries"), 1);
    assert_eq!(s.scalar("select count(*) as v from subscriptions where active"), 1, "still active");
}
