//! `contact`: one row per contact (customer, vendor, partner); a merged contact names the one it went into.

use crate::table::{Column, Kind::*, Role, Table, opt, req};

/// The table.
pub const TABLE: Table = Table { name: "contact", role: Role::Dimension, grain: "a contact", columns: COLUMNS };

const COLUMNS: &[Column] = &[
    req("org_id", Id),
    req("id", Id),
    req("name", Text),
    opt("email", Text),
    opt("phone", Text),
    req("is_customer", Bool),
    req("is_vendor", Bool),
    req("is_partner", Bool),
    opt("terms_days", Int),
    req("wholesale", Bool),
    opt("merged_into", Id),
    req("created_on", Date),
];
