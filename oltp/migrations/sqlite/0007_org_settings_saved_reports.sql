-- The org's time zone (IANA name: relative dates such as "today" and "last_month" resolve in it) and the paper
-- its printed reports take.
alter table orgs add column time_zone text not null default 'UTC';
alter table orgs add column paper_size text not null default 'letter' check (paper_size in ('letter', 'a4'));

-- A report as someone asked for it, kept under a name: the report, its view, its parameters as given (relative
-- dates kept as words, so "last_month" is last month whenever it runs) and a format. A user's own, or shared
-- with the org (user_id null). The unit of pinned reports, dashboard cards and subscriptions.
create table saved_reports (
    id integer primary key,
    org_id integer not null references orgs (id),
    user_id integer references users (id),
    name text not null,
    report text not null,
    view text,
    params text not null default '{}',
    format text not null default 'table' check (format in ('table', 'csv', 'json', 'xlsx', 'pdf')),
    created_at datetime not null,
    updated_at datetime not null
);
create unique index saved_reports_name on saved_reports (org_id, coalesce(user_id, 0), name);
