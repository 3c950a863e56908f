//! Sales and money: invoices with their tax, payments, refunds, store credit (goodwill credit in `credit`), gift
//! cards (their balances and the store-credit balance in `ledgers`), write-offs.

pub(crate) mod credit;
pub(crate) mod invoices;
pub(crate) mod ledgers;
pub(crate) mod payments;
pub(crate) mod tax;

pub use credit::{IssueStoreCredit, VoidStoreCredit};
pub use invoices::{
    AddInvoiceLines, CreateInvoice, FinalizeInvoice, LineInput, RemoveInvoiceLine, ReopenInvoice, VoidInvoice,
};
pub use payments::{
    Application, Apply, ApplyPayment, ApplyRule, RecordPayment, Refund, Tender, VoidPayment, VoidWriteOff, WriteOff,
};
