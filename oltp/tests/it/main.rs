//! Integration tests of the transactional core. Every story runs on SQLite, and on PostgreSQL too when
//! `TEST_PG_URL` is set (CI sets it).

mod support;

mod auth;
mod batch;
mod bounds;
mod credit;
mod demo;
mod invariants;
mod inventory;
mod memos;
mod operations_doc;
mod org;
mod purchasing;
mod reach;
mod sales;
mod saved;
mod snapshots;
mod subscriptions;
mod voids;
mod work_orders;
