-- Goodwill store credit given with no invoice or payment behind it (issue_store_credit): who gave it, when and
-- why. Its amount reaches the customer through a store_credit_entries row (source_kind 'goodwill', source_id =
-- this id); a void marks voided_on and adds the opposite entry ('goodwill_void').
create table store_credits (
    id integer primary key,
    org_id integer not null references orgs (id),
    customer_id integer not null references contacts (id),
    issued_on date not null,
    amount_cents integer not null check (amount_cents > 0),
    reason text not null,
    issued_by integer references users (id),
    voided_on date
);
create index store_credits_customer on store_credits (org_id, customer_id);
