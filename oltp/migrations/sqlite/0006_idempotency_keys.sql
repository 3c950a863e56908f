-- A command applied under a key (a journal line's `key`, a journal's key prefix, the HTTP Idempotency-Key) is
-- recorded with its outcome in the same transaction, so applying it again answers with the first outcome
-- instead of doing the work twice. `command` is the command as JSON: a key reused for another command is refused.
create table idempotency_keys (
    key text primary key,
    command text not null,
    outcome text not null,
    applied_at datetime not null
);
