-- Each run of a subscription: claimed by one scheduler for one slot (the conditional update of
-- subscriptions.next_run_at and this row commit together, so two servers never both claim a slot), then what was
-- sent — to whom, the parameters as resolved, the size, the mail's id — or why not, after how many attempts.
create table deliveries (
    id integer primary key,
    org_id integer not null references orgs (id),
    subscription_id integer not null references subscriptions (id),
    slot_at bigint not null,
    claimed_at bigint not null,
    claimed_by text not null,
    attempts integer not null default 0,
    status text not null check (status in ('pending', 'sent', 'skipped', 'failed')),
    recipients text,
    resolved text,
    bytes bigint,
    message_id text,
    error text,
    finished_at bigint,
    unique (subscription_id, slot_at)
);
create index deliveries_of on deliveries (subscription_id, slot_at);
create index deliveries_pending on deliveries (status, claimed_at);
