use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::purchase_line::TABLE,
    select: "select r.org_id, r.id, r.store_id, r.vendor_id, pl.po_id, r.po_line_id, r.item_id, i.style_id,
             r.received_on, r.qty, r.cost_cents as cost, r.consignment
             from receipts r join items i on i.id = r.item_id
             left join purchase_order_lines pl on pl.id = r.po_line_id where {filter}",
    key: "r.id",
    sources: &[("receipts", Source::Same)],
};
