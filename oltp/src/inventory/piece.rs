//! A serialized piece's state changes: in stock → on memo → sold → returned, and the rest. Each is one
//! conditional update of the piece's row (`… where status = from`): of two commands racing for the same piece
//! (two finalizations selling it, a memo and a sale) exactly one changes the row, and the other is refused
//! with [`Error::Conflict`]. The units a piece holds follow its state: one on hand in stock, one out on memo
//! on memo, none anywhere else. A lot's units move through the cost flow (`flow`) instead.

use crate::error::{Error, Result};
use crate::inventory::flow::Item;
use crate::q;
use crate::writer::Writer;

/// Where a serialized piece is (its `items.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// On hand at its store, for sale.
    InStock,
    /// Out with a customer on approval: owned, not in stock.
    OnMemo,
    /// Sold on a finalized invoice.
    Sold,
    /// Sent back to the vendor it came from.
    ReturnedToVendor,
    /// Written off.
    Scrapped,
    /// A traded-in piece whose trade-in was undone.
    Voided,
}

impl Status {
    /// The stored spelling.
    fn as_str(self) -> &'static str {
        match self {
            Status::InStock => "in_stock",
            Status::OnMemo => "on_memo",
            Status::Sold => "sold",
            Status::ReturnedToVendor => "returned_to_vendor",
            Status::Scrapped => "scrapped",
            Status::Voided => "voided",
        }
    }

    /// The units a piece in this state holds: (on hand, out on memo).
    fn units(self) -> (i64, i64) {
        match self {
            Status::InStock => (1, 0),
            Status::OnMemo => (0, 1),
            Status::Sold | Status::ReturnedToVendor | Status::Scrapped | Status::Voided => (0, 0),
        }
    }
}

/// Moves piece `it` from `from` to `to`, or refuses with [`Error::Conflict`] worded by `refused` from the
/// status the piece has now (another command may have moved it first).
pub(crate) async fn move_piece(
    w: &mut Writer,
    it: &Item,
    from: Status,
    to: Status,
    refused: impl FnOnce(&str) -> String,
) -> Result<()> {
    shift(w, it, from, to, None, refused).await
}

/// [`move_piece`], the piece coming to rest at `store_id` (a return taken back at another store than sold it).
pub(crate) async fn move_piece_to(
    w: &mut Writer,
    it: &Item,
    from: Status,
    to: Status,
    store_id: i64,
    refused: impl FnOnce(&str) -> String,
) -> Result<()> {
    shift(w, it, from, to, Some(store_id), refused).await
}

async fn shift(
    w: &mut Writer,
    it: &Item,
    from: Status,
    to: Status,
    store_id: Option<i64>,
    refused: impl FnOnce(&str) -> String,
) -> Result<()> {
    let (on_hand, on_memo) = to.units();
    let moved = w
        .update(
            "items",
            it.org_id,
            it.id,
            q!(
                "update items set status = $2, qty_on_hand = $3, qty_on_memo = $4, store_id = coalesce($5, store_id)
                 where id = $1 and status = $6 returning *",
                it.id,
                to.as_str(),
                on_hand,
                on_memo,
                store_id,
                from.as_str()
            ),
        )
        .await?;
    if !moved {
        let now = w.fetch_one(q!("select status from items where id = $1", it.id)).await?.text("status")?;
        return Err(Error::Conflict(refused(&now)));
    }
    Ok(())
}
