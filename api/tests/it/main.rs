//! End-to-end tests of the `loupe` binary.

mod browser;
mod cli;
mod http;
mod mail;
mod pages;
mod serve;
