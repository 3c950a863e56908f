//! What a lake table is: its name, its columns with their types, its key and its partitioning. Every table
//! but the calendar has `org_id` (the tenant) and `id` (the key of its row in the books), and is partitioned by `org_id`; the
//! large facts are partitioned by month as well, through a `month` column derived from one of their dates
//! ([`Kind::MonthOf`]), so a report over a date range reads only the months it covers. Tables whose rows are
//! mostly done with — invoices paid, payments applied, pieces sold — are partitioned by a flag that says so
//! ([`Kind::ZeroOf`]), so a report about what is open or held reads only those rows and the few others that
//! changed after its date.

use std::sync::Arc;

use deltalake::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// Money: exact, two decimals (`Decimal128(18, 2)`; the raw value is integer cents).
pub const MONEY: DataType = DataType::Decimal128(18, 2);
/// A rate in percent with four decimals (`Decimal128(10, 4)`; the raw value is parts per million).
pub const PERCENT: DataType = DataType::Decimal128(10, 4);

/// The type of a lake column, as the books hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An id (`Int64`).
    Id,
    /// A whole number: a quantity, a count, days (`Int64`).
    Int,
    /// Text (`Utf8`).
    Text,
    /// A calendar date (`Date32`).
    Date,
    /// Money in cents in the books, [`MONEY`] in the lake.
    Money,
    /// A rate in parts per million in the books, [`PERCENT`] in the lake.
    Percent,
    /// Yes or no (`Boolean`).
    Bool,
    /// The first day of the month of the named date column (`Date32`): not read from the books but derived
    /// from that column, and a partition column of the table.
    MonthOf(&'static str),
    /// Whether the named sum of whole-number or money columns of the same row is zero (`Boolean`), e.g.
    /// `"total - paid - written_off"`: not read from the books but derived from those columns, and a partition
    /// column of the table.
    ZeroOf(&'static str),
}

impl Kind {
    /// The Arrow type of the column.
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Id | Kind::Int => DataType::Int64,
            Kind::Text => DataType::Utf8,
            Kind::Date | Kind::MonthOf(_) => DataType::Date32,
            Kind::Money => MONEY,
            Kind::Percent => PERCENT,
            Kind::Bool | Kind::ZeroOf(_) => DataType::Boolean,
        }
    }

    /// Whether the column is derived from others of its row and partitions the table.
    pub fn is_derived(self) -> bool {
        matches!(self, Kind::MonthOf(_) | Kind::ZeroOf(_))
    }
}

/// The terms of a [`Kind::ZeroOf`] sum: each column's name with its sign (`+1` or `-1`). The first term's sign
/// is `+` unless written; terms are separated by spaced `+` or `-`.
pub fn zero_terms(sum: &'static str) -> impl Iterator<Item = (i64, &'static str)> {
    let mut sign = 1;
    sum.split_whitespace().filter_map(move |w| match w {
        "+" => {
            sign = 1;
            None
        }
        "-" => {
            sign = -1;
            None
        }
        name => Some((sign, name)),
    })
}

/// One column: name, type, and whether it may be empty.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The column's name in the lake (and in the extract query that feeds it).
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Whether it may be null.
    pub nullable: bool,
}

/// A required column.
pub const fn req(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, nullable: false }
}

/// A column that may be null.
pub const fn opt(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, nullable: true }
}

/// The columns of `parts`, in order, as one list of exactly `N` (a table that shares a run of columns with
/// another lists it once); a wrong `N` fails the build.
pub(crate) const fn columns<const N: usize>(parts: &[&[Column]]) -> [Column; N] {
    let mut out = [req("", Kind::Id); N];
    let (mut i, mut p) = (0, 0);
    while p < parts.len() {
        let mut j = 0;
        while j < parts[p].len() {
            out[i] = parts[p][j];
            i += 1;
            j += 1;
        }
        p += 1;
    }
    assert!(i == N, "the parts hold another number of columns");
    out
}

/// Facts record what happened; dimensions describe who and what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A fact table.
    Fact,
    /// A dimension table.
    Dimension,
}

/// Which rows of a table a caller allowed only some stores sees (always within their org).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreScope {
    /// All of them: the table has no store (contacts, styles, users …).
    Open,
    /// Those whose column (`store_id`; `id` for the stores themselves) is a permitted store: where the sale,
    /// payment, memo or stock move happened.
    Row(&'static str),
    /// Those about a piece (the column holds the stock record's id) that is at a permitted store now, or was at
    /// one at any time: its `store_id` is the piece's current store, and a store keeps seeing what it held and
    /// sold — on a past date, or a sale returned and moved on — after the piece leaves. Only a transfer changes
    /// a stock record's store, so "was at" is "has left it": a row of the `transfer_out` table there.
    Piece(&'static str),
    /// None but to a caller allowed every store: the rows belong to the whole org and to no store (a customer's
    /// store credit, a vendor's invoices), so a store's view leaves them out.
    Whole,
}

/// A lake table.
#[derive(Debug)]
pub struct Table {
    /// Its name (and directory under the lake root).
    pub name: &'static str,
    /// Fact or dimension.
    pub role: Role,
    /// What one row is.
    pub grain: &'static str,
    /// Its columns; the first two are always `org_id` and `id`.
    pub columns: &'static [Column],
}

impl Table {
    /// The Arrow schema of the table.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns.iter().map(|c| Field::new(c.name, c.kind.data_type(), c.nullable)).collect::<Vec<_>>(),
        ))
    }

    /// Whether the table has a column called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.name == name)
    }

    /// How a caller allowed only some stores sees the table's rows.
    pub fn store_scope(&self) -> StoreScope {
        match self.name {
            "store" => StoreScope::Row("id"),
            // the store of a stock record, and of its costs, layers and partners, is where the piece is now
            "item" => StoreScope::Piece("id"),
            "item_cost" | "cost_layer" | "partnership" => StoreScope::Piece("item_id"),
            "store_credit_entry" | "vendor_invoice" => StoreScope::Whole,
            _ if self.has("store_id") => StoreScope::Row("store_id"),
            _ => StoreScope::Open,
        }
    }

    /// Whether the table holds a tenant's rows (every table but the calendar).
    pub fn is_tenant_data(&self) -> bool {
        self.has("org_id")
    }

    /// Columns the table is partitioned by: `org_id`, then its derived columns (a flag, a month) in order.
    pub fn partitions(&self) -> Vec<&'static str> {
        self.is_tenant_data()
            .then_some("org_id")
            .into_iter()
            .chain(self.columns.iter().filter(|c| c.kind.is_derived()).map(|c| c.name))
            .collect()
    }

    /// Names of the columns, in order.
    pub fn column_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns.iter().map(|c| c.name)
    }
}
