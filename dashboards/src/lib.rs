//! The web pages owners, accountants and staff use: a typed view struct per page (askama templates under
//! `templates/`, so a missing field is a compile error) and the static files they need, built into the binary.
//!
//! **Architecture Invariant:** this crate renders what `reports` returns, and plain values `api` hands it (the
//! user's name, the stores they may see); it never reads a database or the lake, and knows nothing of HTTP.
//! `api` owns the routes, sign-in and scope.

pub mod assets;
pub mod home;
pub mod mailing;
pub mod page;
pub mod report;

pub use page::{Chrome, ErrorPage, FindResults, Grid, Lane, Match, Peek, SignIn, StoreChoice, WorkOrders, render};
