//! The `loupe` binary's library: command-line interface and wiring of the other crates.

pub mod cli;
mod demo;
mod journal;
