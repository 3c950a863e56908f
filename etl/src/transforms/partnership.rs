use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::partnership::TABLE,
    select: "select p.org_id, p.id, it.store_id, p.item_id, p.partner_id, p.share_ppm as share, p.kind,
             p.cost_basis_cents as cost_basis
             from partnerships p join items it on it.id = p.item_id where {filter}",
    key: "p.id",
    // the share's store is its piece's, which a transfer changes
    sources: &[
        ("partnerships", Source::Same),
        ("items", Source::Via("select id from partnerships where item_id in ({ids})")),
    ],
};
