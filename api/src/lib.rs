//! The `loupe` binary's library: command-line interface and wiring of the other crates.

pub mod authz;
pub mod bench;
pub mod cli;
pub mod deliver;
mod demo;
mod journal;
mod lake;
pub mod mail;
mod place;
pub mod problem;
mod report;
pub mod schedule;
pub mod scheduler;
pub mod serve;
mod table;
pub mod users;
