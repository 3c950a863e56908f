-- The reports a user opened lately (the reports page's "Recently viewed"): the page as they had it (the report,
-- the view, the query string of its filters) and when. A trace of the user's own screen, not of the business:
-- neither audited nor landed in the lake; each user keeps their last few.
create table report_visits (
    id integer primary key,
    org_id integer not null references orgs (id),
    user_id integer not null references users (id),
    report text not null,
    title text not null,
    query text not null,
    visited_at bigint not null
);
create index report_visits_user on report_visits (user_id, visited_at);
