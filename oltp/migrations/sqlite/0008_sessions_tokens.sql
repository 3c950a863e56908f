-- Who is signed in. A browser session and an API token are each a random secret handed out once; the books keep
-- only its SHA-256, so a copy of the database signs nobody in. A session ends when idle too long, at its absolute
-- expiry, at sign-out or when revoked; a token when it expires (if it does) or is revoked. Times are Unix seconds
-- (UTC), compared as numbers on both databases.
create table sessions (
    id integer primary key,
    org_id integer not null references orgs (id),
    user_id integer not null references users (id),
    secret_hash text not null unique,
    client text not null default '',
    created_at bigint not null,
    last_seen_at bigint not null,
    expires_at bigint not null,
    revoked_at bigint
);
create index sessions_user on sessions (user_id, revoked_at);

create table api_tokens (
    id integer primary key,
    org_id integer not null references orgs (id),
    user_id integer not null references users (id),
    name text not null,
    secret_hash text not null unique,
    prefix text not null,
    created_at bigint not null,
    expires_at bigint,
    last_used_at bigint,
    revoked_at bigint
);
create index api_tokens_user on api_tokens (user_id, revoked_at);
