//! Every lake table, one file each, listed once in [`all`].

pub mod contact;
pub mod cost_layer;
pub mod date;
pub mod invoice;
pub mod invoice_version;
pub mod item;
pub mod item_cost;
pub mod layer_move;
pub mod memo_line;
pub mod memo_line_event;
pub mod org;
pub mod partnership;
pub mod payment;
pub mod payment_application;
pub mod purchase_line;
pub mod sales_line;
pub mod sales_line_version;
pub mod sales_month;
pub mod stock_movement;
pub mod store;
pub mod store_credit_entry;
pub mod style;
pub mod transfer_out;
pub mod user;
pub mod vendor_invoice;
pub mod work_order;
pub mod write_off;

use crate::table::Table;

/// Every table of the lake, dimensions first.
pub fn all() -> &'static [&'static Table] {
    &[
        &date::TABLE,
        &org::TABLE,
        &store::TABLE,
        &user::TABLE,
        &contact::TABLE,
        &style::TABLE,
        &item::TABLE,
        &invoice::TABLE,
        &sales_line::TABLE,
        &invoice_version::TABLE,
        &sales_line_version::TABLE,
        &payment::TABLE,
        &payment_application::TABLE,
        &write_off::TABLE,
        &store_credit_entry::TABLE,
        &stock_movement::TABLE,
        &transfer_out::TABLE,
        &cost_layer::TABLE,
        &layer_move::TABLE,
        &item_cost::TABLE,
        &memo_line::TABLE,
        &memo_line_event::TABLE,
        &partnership::TABLE,
        &purchase_line::TABLE,
        &vendor_invoice::TABLE,
        &work_order::TABLE,
        &sales_month::TABLE,
    ]
}

/// The table called `name`.
pub fn by_name(name: &str) -> Option<&'static Table> {
    all().iter().copied().find(|t| t.name == name)
}
