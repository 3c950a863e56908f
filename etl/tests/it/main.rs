//! The lake follows the books: incremental syncs equal a rebuild, reconciliation proves it to the cent and
//! names a tampered figure, and a sync killed anywhere loses and duplicates nothing.

mod lake;
