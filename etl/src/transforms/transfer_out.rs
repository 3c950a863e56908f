use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::transfer_out::TABLE,
    select: "select m.org_id, m.id, m.store_id, m.item_id, m.moved_on from stock_movements m
             where m.kind = 'transfer_out' and {filter}",
    key: "m.id",
    // the ledger is only ever added to: a new transfer is the only change
    sources: &[(
        "stock_movements",
        Source::Via("select id from stock_movements where id in ({ids}) and kind = 'transfer_out'"),
    )],
};
