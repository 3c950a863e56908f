-- The API's lists show a page of the newest first: invoices and memos by date within an org, so a page is read
-- from the index in order instead of sorting every row.
create index invoices_date on invoices (org_id, invoice_date, id);
create index memos_date on memos (org_id, memo_date, id);
