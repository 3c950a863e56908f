//! Reports on hand-worked books.
