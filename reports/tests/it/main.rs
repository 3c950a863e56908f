//! Reports on hand-worked books: each scenario is a journal of commands whose arithmetic is written in the test,
//! landed in a lake, and every figure a report shows is asserted against it; and reports on a demo business
//! cross-checked against SQL over the books.

mod ar_aging;
mod asked;
mod cases;
mod demo;
mod export;
mod rfm;
mod sales;
mod scope;
mod stock;
mod support;
