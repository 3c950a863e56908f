-- Where a user's mail goes: a subscription sent to a user of the org reaches them here.
alter table users add column email text;
