//! Gross profit on hand-worked books: a trade concession, a cost added after the sale, FIFO layers and a
//! return into them, a misc line, a trade-in (not revenue), two partnerships, a void after the period.

use anyhow::Result;

use crate::support::{Books, footer, table};

/// March 2026, store MAIN, salespeople Maya (1) and Leo (2):
///
/// | inv | who | line | revenue | live cost | GP |
/// |---|---|---|---|---|---|
/// | 2 | Maya → Ann 03-05 | ring 1 at 1,800.00 less 100.00 concession | 1,700.00 | 1,000.00 + 80.00 recert (03-20) | 620.00 |
/// | 2 | | 12 earrings × 90.00 − 30.00 | 1,050.00 | 10 × 50.00 + 2 × 60.00 = 620.00 | 430.00 |
/// | 3 | Leo → Bob 03-10 | ring 2 at 2,200.00 (Morgan owner 30 %) | 2,200.00 | 1,200.00 | 1,000.00 |
/// | 3 | | pearls at 850.00 (Morgan profit-only 25 %) | 850.00 | 400.00 | 450.00 |
/// | 3 | | trade-in, allowance 500.00 | not revenue | | |
/// | 4 | Maya → Ann 03-15 | engraving (misc) | 40.00 | 0.00 | 40.00 |
/// | 5 | Maya → Ann 03-25 | return of 2 earrings: −180.00 + 5.00 discount back | −175.00 | −2 × 60.00 | −55.00 |
/// | 6 | Leo → Bob 03-28 | misc 100.00, voided 04-02 | | | |
///
/// Invoice 1 (Maya → Ann, 02-20, misc 70.00) is outside the period.
const JOURNAL: &str = r#"
{"op":"create_org","name":"Test Jewelers"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street","tax_rate":"6"}
{"op":"create_user","org_id":1,"username":"maya","display_name":"Maya Chen","groups":["sales"],"salesperson":true}
{"op":"create_user","org_id":1,"username":"leo","display_name":"Leo Park","groups":["sales"],"salesperson":true}
{"op":"create_contact","org_id":1,"name":"Stuller","vendor":true,"created_on":"2025-01-01"}
{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true,"created_on":"2025-01-01"}
{"op":"create_contact","org_id":1,"name":"Bob Stone","customer":true,"created_on":"2025-01-01"}
{"op":"create_contact","org_id":1,"name":"Morgan Gem Partners","partner":true,"created_on":"2025-01-01"}
{"op":"create_style","org_id":1,"style_no":"R-100","family":"jewelry","category":"rings","description":"Solitaire ring","serialized":true,"retail_price":"2000.00"}
{"op":"create_style","org_id":1,"style_no":"E-210","family":"jewelry","category":"earrings","description":"Gold hoops","serialized":false,"retail_price":"100.00"}
{"op":"create_style","org_id":1,"style_no":"P-7","family":"pearls","category":"strands","description":"Akoya strand","serialized":true,"retail_price":"900.00"}
{"op":"create_style","org_id":1,"style_no":"EST","family":"jewelry","category":"estate","description":"Estate piece","serialized":true}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"vendor_id":1,"cost":"1000.00","received_on":"2026-01-01"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"vendor_id":1,"cost":"1200.00","received_on":"2026-01-01"}
{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"vendor_id":1,"qty":10,"cost":"500.00","received_on":"2026-01-01"}
{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"vendor_id":1,"qty":10,"cost":"600.00","received_on":"2026-01-15"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":3,"vendor_id":1,"cost":"400.00","received_on":"2026-01-01"}
{"op":"add_partnership","org_id":1,"item_id":2,"partner_id":4,"share":"30","kind":"owner"}
{"op":"add_partnership","org_id":1,"item_id":4,"partner_id":4,"share":"25","kind":"profit_only"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"salesperson_id":1,"invoice_date":"2026-02-20","lines":[{"kind":"misc","description":"Cleaning","unit_price":"70.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"salesperson_id":1,"invoice_date":"2026-03-05","lines":[{"kind":"sale","item_id":1,"unit_price":"1800.00","trade_concession":"100.00"},{"kind":"sale","item_id":3,"qty":12,"unit_price":"90.00","adjustment":"30.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":3,"salesperson_id":2,"invoice_date":"2026-03-10","lines":[{"kind":"sale","item_id":2,"unit_price":"2200.00"},{"kind":"sale","item_id":4,"unit_price":"850.00"},{"kind":"trade_in","style_id":4,"allowance":"500.00","actual_value":"300.00","description":"Trade-in: bracelet"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"salesperson_id":1,"invoice_date":"2026-03-15","lines":[{"kind":"misc","description":"Engraving","unit_price":"40.00"}],"finalize":true}
{"op":"add_item_cost","org_id":1,"item_id":1,"cost_date":"2026-03-20","kind":"recert","amount":"80.00"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"salesperson_id":1,"invoice_date":"2026-03-25","lines":[{"kind":"return","returned_line_id":3,"qty":-2}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":3,"salesperson_id":2,"invoice_date":"2026-03-28","lines":[{"kind":"misc","description":"Appraisal","unit_price":"100.00"}],"finalize":true}
{"op":"void_invoice","org_id":1,"invoice_id":6,"voided_on":"2026-04-02"}
"#;

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_string()).collect()
}

const MARCH: [(&str, &str); 2] = [("from", "2026-03-01"), ("to", "2026-03-31")];

#[tokio::test]
async fn gross_profit_by_salesperson_with_live_cost_and_partner_payouts() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let o = books.run("gross_profit", "summary", &MARCH).await?;
    // Leo: 2,200 + 850 revenue, 1,600 cost, 1,450 GP (47.54 %); Morgan: 30 % × 1,200 + 30 % × 1,000 = 660.00
    // on ring 2 and 25 % × 450 = 112.50 on the pearls; our GP 1,450 − 300 − 112.50 = 1,037.50.
    // Maya: 1,700 + 1,050 + 40 − 175 = 2,615 revenue, 1,080 + 620 − 120 = 1,580 cost, 1,035 GP (39.58 %).
    assert_eq!(
        table(&o),
        [
            row(&["Leo Park", "2", "3,050.00", "1,600.00", "1,450.00", "47.54%", "772.50", "1,037.50"]),
            row(&["Maya Chen", "4", "2,615.00", "1,580.00", "1,035.00", "39.58%", "0.00", "1,035.00"]),
        ]
    );
    assert_eq!(footer(&o), row(&["Total", "6", "5,665.00", "3,180.00", "2,485.00", "43.87%", "772.50", "2,072.50"]));

    // the detail's lines sum to the summary, and the return reverses the layer cost it took
    let d = books.drill("gross_profit", "summary", &MARCH, "2:group").await?;
    assert_eq!(d.rows, 4);
    assert_eq!(footer(&d)[8..], row(&["2,615.00", "1,580.00", "1,035.00", "39.58%", "0.00", "1,035.00"]));
    let ret = table(&d).into_iter().find(|r| r[4] == "return").expect("the return line");
    assert_eq!(ret[7..11], row(&["-2", "-175.00", "-120.00", "-55.00"]));
    Ok(())
}

#[tokio::test]
async fn two_partners_in_one_piece_each_get_their_payout_and_the_line_counts_once() -> Result<()> {
    // Rivera, a second partner in the pearls: owner 10 % on an agreed basis of 350.00.
    let journal = JOURNAL
        .replace(
            "{\"op\":\"create_style\",\"org_id\":1,\"style_no\":\"R-100\"",
            "{\"op\":\"create_contact\",\"org_id\":1,\"name\":\"Rivera Gems\",\"partner\":true,\"created_on\":\"2025-01-01\"}\n\
             {\"op\":\"create_style\",\"org_id\":1,\"style_no\":\"R-100\"",
        )
        .replace(
            "\"share\":\"25\",\"kind\":\"profit_only\"}",
            "\"share\":\"25\",\"kind\":\"profit_only\"}\n\
             {\"op\":\"add_partnership\",\"org_id\":1,\"item_id\":4,\"partner_id\":5,\"share\":\"10\",\"kind\":\"owner\",\"cost_basis\":\"350.00\"}",
        );
    assert_ne!(journal, JOURNAL);
    let books = Books::from_journal(&journal).await?;
    let o = books.run("gross_profit", "summary", &MARCH).await?;
    // The pearls (GP 450.00): Morgan 25 % × 450 = 112.50; Rivera 10 % × 350 + 10 % × 450 = 35.00 + 45.00 = 80.00.
    // Leo: payouts 660.00 + 112.50 + 80.00 = 852.50; partners' GP 300 + 112.50 + 45 = 457.50; our GP
    // 1,450 − 457.50 = 992.50. Still two lines, and revenue, cost and GP as with one partner.
    assert_eq!(table(&o)[0], row(&["Leo Park", "2", "3,050.00", "1,600.00", "1,450.00", "47.54%", "852.50", "992.50"]));
    assert_eq!(footer(&o), row(&["Total", "6", "5,665.00", "3,180.00", "2,485.00", "43.87%", "852.50", "2,027.50"]));
    // the detail: one row for the pearls, carrying both partners' payouts (192.50) and our GP 450 − 157.50
    let d = books.drill("gross_profit", "summary", &MARCH, "1:group").await?;
    assert_eq!(d.rows, 2);
    assert_eq!(footer(&d)[8..], row(&["3,050.00", "1,600.00", "1,450.00", "47.54%", "852.50", "992.50"]));
    let pearls = table(&d).into_iter().find(|r| r[9] == "400.00").expect("the pearls line");
    assert_eq!(pearls[8..], row(&["850.00", "400.00", "450.00", "52.94%", "192.50", "292.50"]));
    Ok(())
}

#[tokio::test]
async fn cost_basis_and_as_of_date_change_what_counts() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    // cost booked at the sale: ring 1 at 1,000.00, before its recert
    let mut p = MARCH.to_vec();
    p.push(("cost_basis", "sale"));
    let o = books.run("gross_profit", "summary", &p).await?;
    assert_eq!(
        table(&o)[1],
        row(&["Maya Chen", "4", "2,615.00", "1,500.00", "1,115.00", "42.64%", "0.00", "1,115.00"])
    );
    // as known on 2026-03-31 the appraisal was not yet voided
    let mut p = MARCH.to_vec();
    p.push(("as_of", "2026-03-31"));
    let o = books.run("gross_profit", "summary", &p).await?;
    assert_eq!(
        table(&o)[0],
        row(&["Leo Park", "3", "3,150.00", "1,600.00", "1,550.00", "49.21%", "772.50", "1,137.50"])
    );
    // as known on 2026-03-18: no recert yet, no return yet
    let mut p = MARCH.to_vec();
    p.push(("as_of", "2026-03-18"));
    let o = books.run("gross_profit", "summary", &p).await?;
    assert_eq!(
        table(&o)[1],
        row(&["Maya Chen", "3", "2,790.00", "1,620.00", "1,170.00", "41.94%", "0.00", "1,170.00"])
    );
    // by family and by month
    let mut p = MARCH.to_vec();
    p.push(("by", "family"));
    let o = books.run("gross_profit", "summary", &p).await?;
    let groups: Vec<String> = table(&o).into_iter().map(|r| format!("{} {}", r[0], r[4])).collect();
    assert_eq!(groups, ["(no family) 40.00", "jewelry 1,995.00", "pearls 450.00"]);
    let o =
        books.run("gross_profit", "summary", &[("from", "2026-02-01"), ("to", "2026-03-31"), ("by", "month")]).await?;
    let months: Vec<String> = table(&o).into_iter().map(|r| format!("{} {}", r[0], r[2])).collect();
    assert_eq!(months, ["2026-02 70.00", "2026-03 5,665.00"]);
    // a month's row drills to that month's lines
    let d = books
        .drill("gross_profit", "summary", &[("from", "2026-02-01"), ("to", "2026-03-31"), ("by", "month")], "1:group")
        .await?;
    assert_eq!(d.rows, 1);
    // by day: the days with lines, from the table above (03-28's line was voided since)
    let by_day = [("from", "2026-02-01"), ("to", "2026-03-31"), ("by", "day")];
    let o = books.run("gross_profit", "summary", &by_day).await?;
    let days: Vec<String> = table(&o).into_iter().map(|r| format!("{} {}", r[0], r[2])).collect();
    assert_eq!(
        days,
        ["2026-02-20 70.00", "2026-03-05 2,750.00", "2026-03-10 3,050.00", "2026-03-15 40.00", "2026-03-25 -175.00"]
    );
    // and a day drills to that day's two lines
    let d = books.drill("gross_profit", "summary", &by_day, "3:group").await?;
    assert_eq!((d.rows, d.total("revenue").display()), (2, "3,050.00".to_string()));
    Ok(())
}

#[tokio::test]
async fn pricing_realization_compares_net_with_list() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let o = books.run("pricing_realization", "summary", &MARCH).await?;
    // Maya: L = 2,000 + 12 × 100 = 3,200, N = 1,700 + 1,050 = 2,750, C = 1,080 + 620 = 1,700;
    // 2,750 ÷ 3,200 = 0.859375 → 85.94 % (half up); (3,200 − 1,700) ÷ 3,200 = 46.88 %; 1,050 ÷ 2,750 = 38.18 %.
    // Leo sold above list: L = 2,000 + 900, N = 3,050, C = 1,600. The return and the misc lines have no list.
    assert_eq!(
        table(&o),
        [
            row(&["Leo Park", "2", "2,900.00", "3,050.00", "1,600.00", "105.17%", "44.83%", "47.54%", "-150.00"]),
            row(&["Maya Chen", "2", "3,200.00", "2,750.00", "1,700.00", "85.94%", "46.88%", "38.18%", "450.00"]),
        ]
    );
    assert_eq!(
        footer(&o),
        row(&["Total", "4", "6,100.00", "5,800.00", "3,300.00", "95.08%", "45.90%", "43.10%", "300.00"])
    );
    // Maya's row → her invoice's contribution
    let d = books.drill("pricing_realization", "summary", &MARCH, "2:group").await?;
    assert_eq!(
        table(&d),
        [row(&[
            "INV-000002",
            "2026-03-05",
            "Ann Lee",
            "Maya Chen",
            "2",
            "3,200.00",
            "2,750.00",
            "1,700.00",
            "85.94%",
            "46.88%",
            "38.18%",
            "450.00"
        ])]
    );
    Ok(())
}
