-- Look-ups by reference that every return, void and reopen makes ("what of this sale line came back?",
-- "what reversed this movement?"); without them each is a scan of every line or movement in the books.
create index invoice_lines_returned on invoice_lines (returned_line_id) where returned_line_id is not null;
create index stock_movements_reversal on stock_movements (ref_id) where ref_kind = 'reversal';
create index payments_refund_of on payments (refund_of_payment_id) where refund_of_payment_id is not null;
-- closing a period checks for open invoices; they are few, so a partial index keeps that from reading them all
create index invoices_open on invoices (org_id, invoice_date) where status = 'open';
-- a work order's deposits and bench costs, found when it completes
create index payments_work_order on payments (work_order_id) where work_order_id is not null;
create index work_order_costs_order on work_order_costs (work_order_id);
-- what a voided or reopened invoice line created
create index gift_cards_line on gift_cards (invoice_line_id);
create index consignment_settlements_line on consignment_settlements (invoice_line_id);
