//! Invoices: Open → Finalized → (Voided), with reopen for users allowed to. Finalizing commits inventory
//! (a serialized piece sells once), takes in trade-ins, issues gift cards and books each line's cost;
//! voiding and reopening put everything back exactly.
//!
//! `commands` holds the operations, `lines` resolves and stores the lines as entered, `effects` is what
//! finalizing does to stock, trade-ins, gift cards and settlements (and undoes), and `header` looks an
//! invoice up and works out its totals.

mod commands;
mod effects;
pub(crate) mod header;
mod lines;

pub use commands::{AddInvoiceLines, CreateInvoice, FinalizeInvoice, RemoveInvoiceLine, ReopenInvoice, VoidInvoice};
pub(crate) use effects::bench_cost;
pub use lines::LineInput;
pub(crate) use lines::returned_qty;
