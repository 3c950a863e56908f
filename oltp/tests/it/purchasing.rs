//! Purchase orders received in parts, vendor invoices and payments.

use anyhow::Result;

use crate::inventory::opening;
use crate::support::TestDb;

/// Items whose stored quantities differ from the ledger's sums (must be none).
const LEDGER_MISMATCHES: &str = "select count(*) as v from items i
    where qty_on_hand <> (select cast(coalesce(sum(m.qty_delta), 0) as bigint) from stock_movements m where m.item_id = i.id)
       or qty_on_memo <> (select cast(coalesce(sum(m.memo_delta), 0) as bigint) from stock_movements m where m.item_id = i.id)";

#[tokio::test]
async fn a_purchase_order_received_in_two_parts_builds_exact_layers_and_closes() -> Result<()> {
    for t in TestDb::all().await? {
        opening(&t).await?;
        // 10 hoops at 33.33 (333.30) and 2 rings at 2,500.00
        let po = t
            .json(r#"{"op":"create_purchase_order","org_id":1,"store_id":1,"vendor_id":1,"ordered_on":"2025-01-05","lines":[{"style_id":2,"qty":10,"unit_cost":"33.33"},{"style_id":1,"qty":2,"unit_cost":"2500.00"}]}"#)
            .await?;
        assert_eq!(po.number.as_deref(), Some("PO-000001"));
        assert_eq!(po.ids, vec![1, 2]);

        // first delivery: 4 hoops and one ring tagged R-1
        let r = t
            .json(r#"{"op":"receive_purchase_order","org_id":1,"po_id":1,"received_on":"2025-01-20","lines":[{"po_line_id":1,"qty":4},{"po_line_id":2,"qty":1,"stock_nos":["R-1"]}]}"#)
            .await?;
        assert_eq!(r.ids, vec![1, 2]);
        assert_eq!(t.scalar("select qty_on_hand as v from items where stock_no = 'L-000001'").await?, 4);
        assert_eq!(t.scalar("select pool_cost_cents as v from items where stock_no = 'L-000001'").await?, 13_332);
        assert_eq!(t.scalar("select cost_received_cents as v from cost_layers where id = 1").await?, 13_332);
        assert_eq!(t.scalar("select base_cost_cents as v from items where stock_no = 'R-1'").await?, 250_000);
        assert_eq!(t.scalar("select qty_received as v from purchase_order_lines where id = 1").await?, 4);
        assert_eq!(t.scalar("select case when status = 'open' then 1 else 0 end as v from purchase_orders").await?, 1);

        // more than is still to come is refused, and so are bad tags
        let e = t
            .json_err(r#"{"op":"receive_purchase_order","org_id":1,"po_id":1,"received_on":"2025-01-21","lines":[{"po_line_id":1,"qty":7}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[0].qty: 7 — only 6 of 10 ordered remain to be received");
        let e = t
            .json_err(r#"{"op":"receive_purchase_order","org_id":1,"po_id":1,"lines":[{"po_line_id":1,"qty":6},{"po_line_id":1,"qty":1}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[1].qty: 1 — only 0 of 10 ordered remain to be received");
        let e = t
            .json_err(r#"{"op":"receive_purchase_order","org_id":1,"po_id":1,"lines":[{"po_line_id":2,"qty":1,"stock_nos":["A","B"]}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[0].stock_nos: 2 — stock numbers given for 1 unit(s) received");
        let e = t
            .json_err(r#"{"op":"receive_purchase_order","org_id":1,"po_id":1,"lines":[{"po_line_id":2,"qty":1,"stock_nos":["R-1"]}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[0].stock_nos[0]: R-1 — stock number already in use");
        let e = t
            .json_err(r#"{"op":"receive_purchase_order","org_id":1,"po_id":1,"lines":[{"po_line_id":1,"qty":1,"stock_nos":["H-1"]}]}"#)
            .await;
        assert_eq!(
            e.to_string(),
            "lines[0].stock_nos: (present) — only pieces of a serialized style take stock numbers"
        );
        let e = t
            .json_err(r#"{"op":"receive_purchase_order","org_id":1,"po_id":1,"lines":[{"po_line_id":3,"qty":1}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[0].po_line_id: 3 — no such line on PO-000001");
        assert_eq!(t.scalar("select qty_received as v from purchase_order_lines where id = 1").await?, 4);
        assert_eq!(t.scalar("select count(*) as v from receipts").await?, 2);

        // the rest: 6 hoops (199.98) and the second ring, tagged automatically
        let r = t
            .json(r#"{"op":"receive_purchase_order","org_id":1,"po_id":1,"received_on":"2025-02-10","lines":[{"po_line_id":1,"qty":6},{"po_line_id":2,"qty":1}]}"#)
            .await?;
        // (ids from refused commands are spent on PostgreSQL, so later rows are found by what they hold)
        assert_eq!(r.ids.len(), 2);
        assert_eq!(r.ids[0], 1);
        assert_eq!(t.scalar("select qty_on_hand as v from items where stock_no = 'L-000001'").await?, 10);
        assert_eq!(t.scalar("select count(*) as v from cost_layers").await?, 2);
        assert_eq!(
            t.scalar("select cost_received_cents as v from cost_layers where acquired_on = '2025-02-10'").await?,
            19_998
        );
        assert_eq!(t.scalar("select qty_received as v from cost_layers where acquired_on = '2025-02-10'").await?, 6);
        assert_eq!(t.scalar("select pool_cost_cents as v from items where stock_no = 'L-000001'").await?, 33_330);
        assert_eq!(t.scalar("select base_cost_cents as v from items where stock_no = 'S-000001'").await?, 250_000);
        assert_eq!(
            t.scalar("select case when status = 'closed' then 1 else 0 end as v from purchase_orders").await?,
            1
        );
        // every receipt points at its order line; the ledger carries the whole order's cost
        assert_eq!(t.scalar("select count(*) as v from receipts where po_line_id is not null").await?, 4);
        assert_eq!(
            t.scalar("select cast(coalesce(sum(cost_cents), 0) as bigint) as v from receipts where po_line_id = 1")
                .await?,
            33_330
        );
        assert_eq!(
            t.scalar(
                "select cast(coalesce(sum(cost_cents), 0) as bigint) as v from stock_movements where kind = 'receive'"
            )
            .await?,
            533_330
        );
        assert_eq!(
            t.scalar("select count(*) as v from stock_movements where ref_kind = 'receipt' and ref_id is null").await?,
            0
        );
        assert_eq!(t.scalar(LEDGER_MISMATCHES).await?, 0);

        let e = t
            .json_err(r#"{"op":"receive_purchase_order","org_id":1,"po_id":1,"lines":[{"po_line_id":1,"qty":1}]}"#)
            .await;
        assert_eq!(e.to_string(), "purchase order PO-000001 is closed");
        t.json(r#"{"op":"create_org","name":"Other"}"#).await?;
        let e = t
            .json_err(r#"{"op":"receive_purchase_order","org_id":2,"po_id":1,"lines":[{"po_line_id":1,"qty":1}]}"#)
            .await;
        assert_eq!(e.to_string(), "po_id: 1 — no such purchase order in this org");
        let e = t
            .json_err(r#"{"op":"create_purchase_order","org_id":1,"store_id":1,"vendor_id":1,"lines":[{"style_id":2,"qty":0,"unit_cost":"1.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[0].qty: 0 — must be a positive quantity");
        let e = t
            .json_err(r#"{"op":"create_purchase_order","org_id":2,"store_id":1,"vendor_id":1,"lines":[{"style_id":2,"qty":1,"unit_cost":"1.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "store_id: 1 — no such store in this org");
    }
    Ok(())
}

#[tokio::test]
async fn vendor_payments_apply_to_open_invoices_and_a_void_frees_them() -> Result<()> {
    for t in TestDb::all().await? {
        opening(&t).await?;
        t.json(r#"{"op":"create_contact","org_id":1,"name":"Rio Grande","vendor":true,"terms_days":30}"#).await?;
        let inv = t
            .json(r#"{"op":"create_vendor_invoice","org_id":1,"vendor_id":2,"vendor_ref":"RG-881","invoice_date":"2025-01-10","amount":"1200.00"}"#)
            .await?;
        assert_eq!((inv.id, inv.number.as_deref()), (1, Some("RG-881")));
        // net 30
        assert_eq!(
            t.scalar(
                "select case when due_date = '2025-02-09' then 1 else 0 end as v from vendor_invoices where id = 1"
            )
            .await?,
            1
        );
        // no terms: due on the invoice date
        t.json(r#"{"op":"create_vendor_invoice","org_id":1,"vendor_id":1,"vendor_ref":"ST-1","invoice_date":"2025-01-15","amount":"500.00"}"#)
            .await?;
        assert_eq!(
            t.scalar(
                "select case when due_date = '2025-01-15' then 1 else 0 end as v from vendor_invoices where id = 2"
            )
            .await?,
            1
        );
        let e = t
            .json_err(r#"{"op":"create_vendor_invoice","org_id":1,"vendor_id":2,"vendor_ref":"RG-881","invoice_date":"2025-01-11","amount":"1.00"}"#)
            .await;
        assert_eq!(e.to_string(), "vendor_ref: RG-881 — the vendor already has an invoice with this number");
        let e = t
            .json_err(r#"{"op":"create_vendor_invoice","org_id":1,"vendor_id":2,"vendor_ref":"RG-882","invoice_date":"2025-01-11","amount":"0"}"#)
            .await;
        assert_eq!(e.to_string(), "amount: 0.00 — must be greater than zero");

        // 800.00 paid: 700.00 to RG-881, 100.00 on account
        let p = t
            .json(r#"{"op":"record_vendor_payment","org_id":1,"vendor_id":2,"paid_on":"2025-01-25","amount":"800.00","method":"check","reference":"1001","applications":[{"vendor_invoice_id":1,"amount":"700.00"}]}"#)
            .await?;
        assert_eq!((p.id, p.ids.clone()), (1, vec![1]));
        let e = t
            .json_err(r#"{"op":"record_vendor_payment","org_id":1,"vendor_id":2,"amount":"600.00","method":"check","applications":[{"vendor_invoice_id":1,"amount":"600.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "applications[0].amount: 600.00 — vendor invoice RG-881 has 500.00 left to pay");
        // two applications to one invoice count together
        let e = t
            .json_err(r#"{"op":"record_vendor_payment","org_id":1,"vendor_id":2,"amount":"600.00","method":"check","applications":[{"vendor_invoice_id":1,"amount":"300.00"},{"vendor_invoice_id":1,"amount":"300.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "applications[1].amount: 300.00 — vendor invoice RG-881 has 200.00 left to pay");
        let e = t
            .json_err(r#"{"op":"record_vendor_payment","org_id":1,"vendor_id":2,"amount":"100.00","method":"check","applications":[{"vendor_invoice_id":1,"amount":"200.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "applications: 200.00 — applications total more than the payment of 100.00");
        let e = t
            .json_err(r#"{"op":"record_vendor_payment","org_id":1,"vendor_id":2,"amount":"100.00","method":"check","applications":[{"vendor_invoice_id":2,"amount":"100.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "applications[0].vendor_invoice_id: 2 — vendor invoice ST-1 is another vendor's");
        assert_eq!(t.scalar("select count(*) as v from vendor_payments").await?, 1);
        assert_eq!(t.scalar("select count(*) as v from vendor_payment_applications").await?, 1);

        // the check bounces: RG-881 is owed in full again, and a new payment may pay all of it
        t.json(r#"{"op":"void_vendor_payment","org_id":1,"vendor_payment_id":1,"voided_on":"2025-02-01"}"#).await?;
        assert_eq!(
            t.scalar("select case when status = 'voided' and voided_on = '2025-02-01' then 1 else 0 end as v from vendor_payments where id = 1")
                .await?,
            1
        );
        let e = t.json_err(r#"{"op":"void_vendor_payment","org_id":1,"vendor_payment_id":1}"#).await;
        assert_eq!(e.to_string(), "vendor payment 1 is already voided");
        t.json(r#"{"op":"create_org","name":"Other"}"#).await?;
        let e = t.json_err(r#"{"op":"void_vendor_payment","org_id":2,"vendor_payment_id":1}"#).await;
        assert_eq!(e.to_string(), "vendor_payment_id: 1 — no such vendor payment in this org");
        let p2 = t.json(r#"{"op":"record_vendor_payment","org_id":1,"vendor_id":2,"paid_on":"2025-02-02","amount":"1200.00","method":"wire","applications":[{"vendor_invoice_id":1,"amount":"1200.00"}]}"#)
            .await?;
        // open balance of RG-881 from live payments only
        assert_eq!(
            t.scalar(
                "select i.amount_cents - cast(coalesce(sum(a.amount_cents), 0) as bigint) as v
                      from vendor_invoices i
                      left join vendor_payment_applications a on a.vendor_invoice_id = i.id
                        and a.vendor_payment_id in (select id from vendor_payments where status = 'posted')
                      where i.id = 1 group by i.amount_cents"
            )
            .await?,
            0
        );
        // a closed period protects a payment dated inside it
        t.json(r#"{"op":"close_period","org_id":1,"through":"2025-02-28"}"#).await?;
        let e = t
            .json_err(&format!(
                r#"{{"op":"void_vendor_payment","org_id":1,"vendor_payment_id":{},"voided_on":"2025-03-05"}}"#,
                p2.id
            ))
            .await;
        assert_eq!(e.to_string(), "vendor_payment_id: 2025-02-02 is on or before the books-closed date 2025-02-28");
    }
    Ok(())
}
