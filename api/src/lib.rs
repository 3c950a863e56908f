//! The `loupe` binary's library: command-line interface and wiring of the other crates.

pub mod authz;
pub mod bench;
pub mod cli;
mod demo;
mod journal;
mod lake;
mod place;
pub mod problem;
mod report;
pub mod schedule;
pub mod serve;
mod table;
pub mod users;
