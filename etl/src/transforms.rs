//! How each lake table is fed from the books: the query that reads its rows as they are now, the column that
//! keys them, and which changes in `change_log` touch which of its rows. One file per table, listed in [`all`].
//!
//! The queries are plain SQL that SQLite and PostgreSQL both accept (money as integer cents, rates in parts per
//! million: `extract` turns them into the lake's decimals). `{filter}` is where the key filter goes.

mod contact;
mod cost_layer;
mod invoice;
mod invoice_version;
mod item;
mod item_cost;
mod layer_move;
mod memo_line;
mod memo_line_event;
mod org;
mod partnership;
mod payment;
mod payment_application;
mod purchase_line;
mod sales_line;
mod sales_line_version;
mod stock_movement;
mod store;
mod store_credit_entry;
mod style;
mod transfer_out;
mod user;
mod vendor_invoice;
mod work_order;
mod write_off;

use warehouse::Table;

/// Feeds one lake table.
#[derive(Debug)]
pub(crate) struct Transform {
    /// The lake table.
    pub(crate) table: &'static Table,
    /// `select … where {filter}`: the table's columns, by their lake names.
    pub(crate) select: &'static str,
    /// The key column as the query names it (`l.id`).
    pub(crate) key: &'static str,
    /// Changes that touch rows of the table: the `change_log` entity and how its ids lead to this table's keys.
    pub(crate) sources: &'static [(&'static str, Source)],
}

/// How ids of a changed entity become keys of a lake table.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source {
    /// The entity's id is the row's key (the row may also have been deleted).
    Same,
    /// `select id … where x in ({ids})`: the keys of the rows that depend on the changed ones.
    Via(&'static str),
}

/// Every transform, in the order of `warehouse::tables::all`.
pub(crate) fn all() -> &'static [&'static Transform] {
    &[
        &org::T,
        &store::T,
        &user::T,
        &contact::T,
        &style::T,
        &item::T,
        &invoice::T,
        &sales_line::T,
        &invoice_version::T,
        &sales_line_version::T,
        &payment::T,
        &payment_application::T,
        &write_off::T,
        &store_credit_entry::T,
        &stock_movement::T,
        &transfer_out::T,
        &cost_layer::T,
        &layer_move::T,
        &item_cost::T,
        &memo_line::T,
        &memo_line_event::T,
        &partnership::T,
        &purchase_line::T,
        &vendor_invoice::T,
        &work_order::T,
    ]
}
