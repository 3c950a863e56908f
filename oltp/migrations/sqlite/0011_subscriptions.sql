-- Reports sent by email on a schedule: the reports (JSON: report, view, parameters as given), the format, a cron
-- schedule read in an IANA time zone, whose scope it runs with (its owner), whether each recipient user gets
-- their own stores, whether an empty result is sent, and when it is next due (Unix seconds; the scheduler
-- claims a due run by moving this forward in a conditional update).
create table subscriptions (
    id integer primary key,
    org_id integer not null references orgs (id),
    owner_id integer not null references users (id),
    name text not null,
    reports text not null,
    format text not null check (format in ('pdf', 'xlsx', 'csv', 'html')),
    cron text not null,
    time_zone text not null,
    per_recipient boolean not null default false,
    skip_if_empty boolean not null default false,
    active boolean not null default true,
    paused_reason text,
    next_run_at bigint not null,
    created_at datetime not null,
    updated_at datetime not null,
    unique (org_id, name)
);
create index subscriptions_due on subscriptions (active, next_run_at);

-- Who gets a subscription: a user of the org, or an address.
create table subscription_recipients (
    id integer primary key,
    org_id integer not null references orgs (id),
    subscription_id integer not null references subscriptions (id),
    user_id integer references users (id),
    email text,
    check ((user_id is null) <> (email is null))
);
create index subscription_recipients_of on subscription_recipients (subscription_id);
