//! What the stock reports share: the positions held on a date, rolled back from the current ones.
//!
//! The books keep each stock record's current quantities and pool cost, and each cost layer's remainder, equal
//! to the sums of their ledgers (`loupe inventory reconcile` checks it, store by store), so the position on a
//! date is the current one less the moves dated after it: a report as of today reads the items and the last
//! moves, not the whole history, and one as of a past date reads the moves since. The lake partitions stock
//! records and cost layers by whether they are `empty` now, so the records read are those holding units now
//! and those emptied by a move after the date ([`items_sql`], [`cost_layers_sql`]), never the sold-out rest.
//!
//! A caller allowed some stores sees a piece's record if it is at one of them or ever was (so its attributes
//! and costs are there for the dates it was); its current figures count only where it is now, so they are
//! taken only from records at a store the caller sees.

use crate::define::date;

/// Rows `(item_id, store_id, qty, ledger_cost)`: every stock record's units held at each store on `d` (in
/// stock or out on memo) and, for a lot, its ledger cost; zero positions included.
pub(crate) fn held_sql(d: chrono::NaiveDate) -> String {
    let d = date(d);
    // an empty record holds no units and no cost now (`loupe inventory reconcile`): only its moves count
    format!(
        "select item_id, store_id, sum(qty) as qty, sum(ledger_cost) as ledger_cost from (
           select id as item_id, store_id, qty_on_hand + qty_on_memo as qty, pool_cost as ledger_cost from item
           where empty = false and store_id in (select id from store)
           union all
           select item_id, store_id, -(qty_delta + memo_delta), -cost from stock_movement where moved_on > {d}
         ) p group by item_id, store_id"
    )
}

/// Rows `(item_id, store_id, layer_id, qty, cost)`: each cost layer's units and cost remaining at each store
/// on `d`; zero remainders included.
pub(crate) fn layers_sql(d: chrono::NaiveDate) -> String {
    let d = date(d);
    format!(
        "select item_id, store_id, layer_id, sum(qty) as qty, sum(cost) as cost from (
           select item_id, store_id, id as layer_id, qty_remaining as qty, cost_remaining as cost from cost_layer
           where empty = false and store_id in (select id from store)
           union all
           select item_id, store_id, layer_id, -qty, -cost from layer_move where moved_on > {d}
         ) p group by item_id, store_id, layer_id"
    )
}

/// The `item` rows that may hold units on `d`: those holding some now, and those emptied since by a move dated
/// after `d` (as of today, none of the second kind, and the sold-out records are not read at all).
pub(crate) fn items_sql(d: chrono::NaiveDate) -> String {
    live_rows_sql("item", "item_id", "stock_movement", d)
}

/// The `cost_layer` rows that may have units left on `d`, found the same way as [`items_sql`].
pub(crate) fn cost_layers_sql(d: chrono::NaiveDate) -> String {
    live_rows_sql("cost_layer", "layer_id", "layer_move", d)
}

/// `table`'s rows holding units now, and those its `moves` (whose column `of` names the row) dated after `d`
/// emptied. The moved rows are joined, not filtered with `in`: the join hands the ids it found down to the
/// scan of the empty rows, which as of today reads none of them.
fn live_rows_sql(table: &str, of: &str, moves: &str, d: chrono::NaiveDate) -> String {
    let d = date(d);
    format!(
        "select * from {table} where empty = false
         union all
         select t.* from (select distinct {of} as id from {moves} where moved_on > {d}) mv
              join {table} t on t.id = mv.id
         where t.empty = true"
    )
}
