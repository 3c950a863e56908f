//! Random sequences of commands, good and bad, and the invariants that must hold after every one:
//! a failed command writes nothing; stored quantities equal the movement ledger; every customer's balance
//! computed from the books equals the sum of open invoice balances less unapplied money and store credit;
//! nothing dated in a closed period changes. Some commands carry figures a step below, at and past the books'
//! bounds (the largest amount, quantity and percent, and figures worked out from them near the largest total).

use anyhow::Result;
use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use serde_json::json;

use crate::inventory::opening;
use crate::support::TestDb;

#[derive(Debug, Clone)]
enum Action {
    ReceivePiece {
        cost: i64,
    },
    ReceiveLot {
        qty: i64,
        cost: i64,
    },
    SellPiece {
        pick: usize,
        price: i64,
        customer: i64,
        discount: i64,
    },
    SellLot {
        qty: i64,
        customer: i64,
    },
    Return {
        pick: usize,
        qty: i64,
    },
    Pay {
        customer: i64,
        amount: i64,
    },
    PayInvoice {
        pick: usize,
        amount: i64,
    },
    VoidPayment {
        pick: usize,
    },
    ApplyLater {
        pick: usize,
    },
    Goodwill {
        customer: i64,
        amount: i64,
    },
    VoidGoodwill {
        pick: usize,
    },
    VoidInvoice {
        pick: usize,
    },
    WriteOff {
        pick: usize,
    },
    Refund {
        pick: usize,
        credit: bool,
    },
    AddCost {
        pick: usize,
        amount: i64,
    },
    Scrap {
        qty: i64,
    },
    Close {
        back: u64,
    },
    IssueMemo {
        pick: usize,
        customer: i64,
    },
    ReturnMemo {
        pick: usize,
    },
    InvoiceMemo {
        pick: usize,
    },
    Bad {
        which: u8,
    },
    /// A command with a figure one step below (−1), at (0) or past (1) a bound.
    Near {
        what: u8,
        step: i64,
        pick: usize,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (1_i64..500_000).prop_map(|cost| Action::ReceivePiece { cost }),
        2 => (1_i64..20, 1_i64..200_000).prop_map(|(qty, cost)| Action::ReceiveLot { qty, cost }),
        4 => (0_usize..50, 1_i64..900_000, 2_i64..4, 0_i64..5_000)
            .prop_map(|(pick, price, customer, discount)| Action::SellPiece { pick, price, customer, discount }),
        3 => (1_i64..12, 2_i64..4).prop_map(|(qty, customer)| Action::SellLot { qty, customer }),
        2 => (0_usize..50, 1_i64..4).prop_map(|(pick, qty)| Action::Return { pick, qty }),
        2 => (2_i64..4, 1_i64..500_000).prop_map(|(customer, amount)| Action::Pay { customer, amount }),
        3 => (0_usize..50, 1_i64..500_000).prop_map(|(pick, amount)| Action::PayInvoice { pick, amount }),
        1 => (0_usize..50).prop_map(|pick| Action::VoidPayment { pick }),
        1 => (0_usize..50).prop_map(|pick| Action::ApplyLater { pick }),
        1 => (2_i64..4, 1_i64..20_000).prop_map(|(customer, amount)| Action::Goodwill { customer, amount }),
        1 => (0_usize..50).prop_map(|pick| Action::VoidGoodwill { pick }),
        1 => (0_usize..50).prop_map(|pick| Action::VoidInvoice { pick }),
        1 => (0_usize..50).prop_map(|pick| Action::WriteOff { pick }),
        1 => (0_usize..50, any::<bool>()).prop_map(|(pick, credit)| Action::Refund { pick, credit }),
        1 => (0_usize..50, -5_000_i64..50_000).prop_map(|(pick, amount)| Action::AddCost { pick, amount }),
        1 => (1_i64..6).prop_map(|qty| Action::Scrap { qty }),
        1 => (1_u64..10).prop_map(|back| Action::Close { back }),
        2 => (0_usize..50, 2_i64..4).prop_map(|(pick, customer)| Action::IssueMemo { pick, customer }),
        1 => (0_usize..50).prop_map(|pick| Action::ReturnMemo { pick }),
        1 => (0_usize..50).prop_map(|pick| Action::InvoiceMemo { pick }),
        1 => (0_u8..4).prop_map(|which| Action::Bad { which }),
        4 => (0_u8..8, -1_i64..=1, 0_usize..50).prop_map(|(what, step, pick)| Action::Near { what, step, pick }),
    ]
}

/// The largest amount a money field takes, in cents.
const MAX_AMOUNT: i64 = 9_999_999_999;
/// The largest quantity.
const MAX_QTY: i64 = 1_000_000;

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// What the test remembers to pick targets from.
#[derive(Default)]
struct Seen {
    pieces: Vec<i64>,
    invoices: Vec<i64>,
    sale_lines: Vec<i64>,
    payments: Vec<i64>,
    memo_lines: Vec<i64>,
    credits: Vec<i64>,
}

fn pick<T: Copy>(v: &[T], i: usize) -> Option<T> {
    if v.is_empty() { None } else { Some(v[i % v.len()]) }
}

async fn run_story(t: &TestDb, actions: &[Action]) -> Result<()> {
    opening(t).await?;
    t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true}"#).await?;
    t.json(r#"{"op":"create_contact","org_id":1,"name":"Bo","customer":true,"terms_days":30}"#).await?;
    t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":5,"cost":"250.00","received_on":"2025-01-01"}"#).await?;
    let start = NaiveDate::from_ymd_opt(2025, 1, 2).unwrap();
    let mut seen = Seen::default();
    let mut closed: Option<(NaiveDate, String)> = None;
    for (n, a) in actions.iter().enumerate() {
        let day = start.checked_add_days(Days::new(n as u64)).unwrap().to_string();
        let cmd = match a {
            Action::ReceivePiece { cost } => {
                json!({"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"cost":money(*cost),"received_on":day})
            }
            Action::ReceiveLot { qty, cost } => {
                json!({"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":qty,"cost":money(*cost),"received_on":day})
            }
            Action::SellPiece { pick: p, price, customer, discount } => match pick(&seen.pieces, *p) {
                Some(item) => {
                    json!({"op":"create_invoice","org_id":1,"store_id":1,"customer_id":customer,"invoice_date":day,"finalize":true,
                    "lines":[{"kind":"sale","item_id":item,"unit_price":money(*price),"adjustment":money((*discount).min(*price))}]})
                }
                None => continue,
            },
            Action::SellLot { qty, customer } => {
                json!({"op":"create_invoice","org_id":1,"store_id":1,"customer_id":customer,"invoice_date":day,"finalize":true,
                "lines":[{"kind":"sale","item_id":1,"qty":qty,"unit_price":"180.00"}]})
            }
            Action::Return { pick: p, qty } => match pick(&seen.sale_lines, *p) {
                Some(line) => {
                    let customer = t.value(format!("select i.customer_id as v from invoice_lines l join invoices i on i.id = l.invoice_id where l.id = {line}")).await?;
                    json!({"op":"create_invoice","org_id":1,"store_id":1,"customer_id":customer,"invoice_date":day,"finalize":true,
                        "lines":[{"kind":"return","returned_line_id":line,"qty":-qty}]})
                }
                None => continue,
            },
            Action::Pay { customer, amount } => {
                json!({"op":"record_payment","org_id":1,"store_id":1,"customer_id":customer,"paid_on":day,"method":"check","amount":money(*amount)})
            }
            Action::PayInvoice { pick: p, amount } => match pick(&seen.invoices, *p) {
                Some(inv) => {
                    let customer = t.value(format!("select customer_id as v from invoices where id = {inv}")).await?;
                    json!({"op":"record_payment","org_id":1,"store_id":1,"customer_id":customer,"paid_on":day,"method":"card","amount":money(*amount),
                        "apply":[{"invoice_id":inv,"amount":money(*amount)}]})
                }
                None => continue,
            },
            Action::VoidPayment { pick: p } => match pick(&seen.payments, *p) {
                Some(id) => json!({"op":"void_payment","org_id":1,"payment_id":id,"voided_on":day,"reason":"NSF"}),
                None => continue,
            },
            Action::ApplyLater { pick: p } => match pick(&seen.payments, *p) {
                Some(id) => json!({"op":"apply_payment","org_id":1,"payment_id":id,"applied_on":day}),
                None => continue,
            },
            Action::Goodwill { customer, amount } => {
                json!({"op":"issue_store_credit","org_id":1,"customer_id":customer,"amount":money(*amount),"issued_on":day,"reason":"goodwill"})
            }
            Action::VoidGoodwill { pick: p } => match pick(&seen.credits, *p) {
                Some(id) => json!({"op":"void_store_credit","org_id":1,"store_credit_id":id,"voided_on":day}),
                None => continue,
            },
            Action::VoidInvoice { pick: p } => match pick(&seen.invoices, *p) {
                Some(id) => json!({"op":"void_invoice","org_id":1,"invoice_id":id,"voided_on":day}),
                None => continue,
            },
            Action::WriteOff { pick: p } => match pick(&seen.invoices, *p) {
                Some(id) => json!({"op":"write_off","org_id":1,"invoice_id":id,"written_on":day}),
                None => continue,
            },
            Action::Refund { pick: p, credit } => match pick(&seen.invoices, *p) {
                Some(id) => {
                    let customer = t.value(format!("select customer_id as v from invoices where id = {id}")).await?;
                    json!({"op":"refund","org_id":1,"store_id":1,"customer_id":customer,"paid_on":day,
                        "method": if *credit { "store_credit" } else { "cash" },"amount":"1.00","invoice_id":id})
                }
                None => continue,
            },
            Action::AddCost { pick: p, amount } => match pick(&seen.pieces, *p) {
                Some(id) => {
                    json!({"op":"add_item_cost","org_id":1,"item_id":id,"kind":"recert","amount":money(*amount),"cost_date":day})
                }
                None => continue,
            },
            Action::Scrap { qty } => json!({"op":"scrap_stock","org_id":1,"item_id":1,"qty":qty,"scrapped_on":day}),
            Action::Close { back } => {
                let through = start.checked_add_days(Days::new((n as u64).saturating_sub(*back))).unwrap();
                if closed.as_ref().is_some_and(|(c, _)| *c >= through) {
                    continue;
                }
                json!({"op":"close_period","org_id":1,"through":through.to_string()})
            }
            Action::IssueMemo { pick: p, customer } => match pick(&seen.pieces, *p) {
                Some(item) => json!({"op":"issue_memo","org_id":1,"store_id":1,"customer_id":customer,"memo_date":day,
                    "lines":[{"item_id":item,"memo_price":"999.00"}]}),
                None => continue,
            },
            Action::ReturnMemo { pick: p } => match pick(&seen.memo_lines, *p) {
                Some(line) => json!({"op":"return_memo_line","org_id":1,"memo_line_id":line,"returned_on":day}),
                None => continue,
            },
            Action::InvoiceMemo { pick: p } => match pick(&seen.memo_lines, *p) {
                Some(line) => {
                    let customer = t.value(format!("select m.customer_id as v from memo_lines l join memos m on m.id = l.memo_id where l.id = {line}")).await?;
                    json!({"op":"create_invoice","org_id":1,"store_id":1,"customer_id":customer,"invoice_date":day,"finalize":true,
                        "lines":[{"kind":"sale","memo_line_id":line}]})
                }
                None => continue,
            },
            Action::Near { what, step, pick: p } => match what {
                // units received, a step around the largest quantity
                0 => {
                    json!({"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":MAX_QTY + step,"cost":"1.00","received_on":day})
                }
                // the largest cost, and a cent past it; the lot's pool cost grows towards the largest total
                1 => {
                    json!({"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":1,"cost":money(MAX_AMOUNT + step),"received_on":day})
                }
                // 94 × the largest price with 6% tax is just inside the largest total; 95 is past it
                2 => {
                    json!({"op":"create_invoice","org_id":1,"store_id":2,"customer_id":2,"invoice_date":day,"finalize":true,
                    "lines":[{"kind":"misc","description":"Gold","qty":94 + step,"unit_price":money(MAX_AMOUNT)}]})
                }
                3 => {
                    json!({"op":"record_payment","org_id":1,"store_id":1,"customer_id":3,"paid_on":day,"method":"check","amount":money(MAX_AMOUNT + step)})
                }
                // a count of the lot around the largest quantity: a gain comes in at its unit cost
                4 => json!({"op":"count_stock","org_id":1,"item_id":1,"counted":MAX_QTY + step,"counted_on":day}),
                5 => match pick(&seen.pieces, *p) {
                    Some(id) => {
                        json!({"op":"add_item_cost","org_id":1,"item_id":id,"kind":"setting","amount":money(MAX_AMOUNT + step),"cost_date":day})
                    }
                    None => continue,
                },
                // money as a JSON number, never taken
                6 => {
                    json!({"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":1,"cost":MAX_AMOUNT + step,"received_on":day})
                }
                _ => {
                    let rate = ["99.9999", "100", "100.0001"][usize::try_from(step + 1).unwrap_or_default()];
                    json!({"op":"create_store","org_id":1,"code":format!("T{n}"),"name":"Test","tax_rate":rate})
                }
            },
            Action::Bad { which } => match which {
                0 => json!({"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":-1,"cost":"1.00"}),
                1 => json!({"op":"create_invoice","org_id":1,"store_id":9,"customer_id":2,"lines":[]}),
                2 => {
                    json!({"op":"record_payment","org_id":1,"store_id":1,"customer_id":1,"method":"cash","amount":"5.00"})
                }
                _ => {
                    json!({"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":day,"finalize":true,
                    "lines":[{"kind":"sale","item_id":1,"qty":100000}]})
                }
            },
        };
        let changes_before = t.scalar("select count(*) as v from change_log").await?;
        let result = match oltp::ops::parse(&cmd.to_string()) {
            Ok(c) => oltp::execute(&t.db, &t.ctx, &c).await,
            Err(e) => Err(e),
        };
        if let Action::Near { what, step, .. } = a {
            // past a bound is always refused (as is money written as a JSON number); at or below it, a command
            // no other rule stands in the way of is taken
            if *step == 1 || *what == 6 {
                assert!(result.is_err(), "taken past a bound: {cmd}");
            } else if matches!(what, 0 | 3 | 7) {
                assert!(result.is_ok(), "refused inside the bounds: {cmd} → {result:?}");
            }
        }
        match result {
            Ok(out) => match cmd["op"].as_str() {
                Some("receive_item") => seen.pieces.push(out.id),
                Some("create_invoice") => {
                    seen.invoices.push(out.id);
                    if cmd["lines"][0]["kind"] == "sale" {
                        seen.sale_lines.extend(&out.ids);
                    }
                }
                Some("record_payment") => seen.payments.push(out.id),
                Some("issue_store_credit") => seen.credits.push(out.id),
                Some("issue_memo") => seen.memo_lines.extend(&out.ids),
                Some("close_period") => {
                    let through: NaiveDate = cmd["through"].as_str().unwrap().parse()?;
                    closed = Some((through, closed_fingerprint(t, through).await?));
                }
                _ => {}
            },
            Err(e) => {
                // all or nothing: a refused command leaves no trace
                let after = t.scalar("select count(*) as v from change_log").await?;
                assert_eq!(after, changes_before, "failed command wrote changes: {cmd} → {e}");
            }
        }
        check_invariants(t, &cmd.to_string()).await?;
        if let Some((through, fp)) = &closed {
            assert_eq!(&closed_fingerprint(t, *through).await?, fp, "closed period changed by {cmd}");
        }
    }
    Ok(())
}

/// Everything dated on or before `through` that the books could change, as one string.
async fn closed_fingerprint(t: &TestDb, through: NaiveDate) -> Result<String> {
    let mut s = String::new();
    for sql in [
        "select id, status, total_cents, coalesce(voided_on, invoice_date) as d from invoices where invoice_date <= $1 order by id",
        "select id, status, amount_cents, paid_on as d from payments where paid_on <= $1 order by id",
        "select id, amount_cents, cost_date as d from item_costs where cost_date <= $1 order by id",
        "select id, kind, qty_delta, cost_cents, moved_on as d from stock_movements where moved_on <= $1 order by id",
        "select id, amount_cents, written_on as d from write_offs where written_on <= $1 order by id",
        "select id, amount_cents, applied_on as d from payment_applications where applied_on <= $1 order by id",
        "select id, amount_cents, entry_date as d from store_credit_entries where entry_date <= $1 order by id",
        "select id, amount_cents, voided_on as d from store_credits where issued_on <= $1 order by id",
    ] {
        for r in t.db.fetch_all(oltp::db::Q::new(sql).bind(through)).await? {
            s.push_str(&r.to_json()?.to_string());
        }
    }
    Ok(s)
}

async fn check_invariants(t: &TestDb, after: &str) -> Result<()> {
    let diffs = oltp::reconcile::inventory(&t.db).await?;
    assert!(diffs.is_empty(), "after {after}: {diffs:?}");
    for customer in [2_i64, 3] {
        let books = t
            .value(format!(
                "select cast(
                    coalesce((select sum(total_cents) from invoices where customer_id = {customer} and status = 'finalized'), 0)
                  - coalesce((select sum(amount_cents) from payments where customer_id = {customer} and status = 'posted' and direction = 'in'), 0)
                  + coalesce((select sum(amount_cents) from payments where customer_id = {customer} and status = 'posted' and direction = 'out'), 0)
                  - coalesce((select sum(amount_cents) from write_offs where customer_id = {customer} and voided_on is null), 0)
                  - coalesce((select sum(amount_cents) from store_credit_entries where customer_id = {customer}), 0) as bigint) as v"
            ))
            .await?;
        let open = t
            .value(format!(
                "select cast(
                    coalesce((select sum(i.total_cents
                        - coalesce((select sum(a.amount_cents) from payment_applications a join payments p on p.id = a.payment_id
                                    where a.invoice_id = i.id and a.voided_on is null and p.status = 'posted'), 0)
                        - coalesce((select sum(x.amount_cents) from write_offs x where x.invoice_id = i.id and x.voided_on is null), 0))
                      from invoices i where i.customer_id = {customer} and i.status = 'finalized'), 0)
                  - coalesce((select sum(p.amount_cents
                        - coalesce((select sum(a.amount_cents) from payment_applications a where a.payment_id = p.id and a.voided_on is null), 0)
                        - coalesce((select sum(r.amount_cents) from payments r where r.refund_of_payment_id = p.id and r.status = 'posted'), 0))
                      from payments p where p.customer_id = {customer} and p.status = 'posted' and p.direction = 'in'), 0)
                  - coalesce((select sum(amount_cents) from store_credit_entries where customer_id = {customer}), 0) as bigint) as v"
            ))
            .await?;
        assert_eq!(books, open, "customer {customer} after {after}");
        // no invoice is over-applied and no payment applies more than it holds
        let over = t
            .value(format!(
                "select count(*) as v from payments p where p.customer_id = {customer} and p.status = 'posted' and p.direction = 'in'
                 and p.amount_cents < coalesce((select sum(a.amount_cents) from payment_applications a where a.payment_id = p.id and a.voided_on is null), 0)"
            ))
            .await?;
        assert_eq!(over, 0, "over-applied payment after {after}");
    }
    // whatever was taken, every stored figure is one the books keep (and whole cents, never a float)
    let past = t
        .scalar(
            "select (select count(*) from items where pool_cost_cents > 999999999999 or pool_cost_cents < -999999999999)
                  + (select count(*) from invoices where total_cents > 999999999999 or subtotal_cents > 999999999999)
                  + (select count(*) from invoice_lines where amount_cents > 999999999999 or amount_cents < -999999999999)
                  + (select count(*) from stock_movements where cost_cents > 999999999999 or cost_cents < -999999999999)
                  as v",
        )
        .await?;
    assert_eq!(past, 0, "a figure past the books' bound after {after}");
    let store_credit_negative =
        t.scalar("select count(*) as v from (select customer_id from store_credit_entries group by customer_id having sum(amount_cents) < 0) x").await?;
    assert_eq!(store_credit_negative, 0, "store credit below zero after {after}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 50, ..ProptestConfig::default() })]

    #[test]
    fn random_days_keep_the_books_consistent(actions in proptest::collection::vec(action(), 10..45)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            for t in TestDb::all().await? {
                run_story(&t, &actions).await?;
            }
            anyhow::Ok(())
        }).unwrap();
    }
}
