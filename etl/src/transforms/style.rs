use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::style::TABLE,
    select: "select s.org_id, s.id, s.style_no, s.family, s.category, s.description, s.vendor_id, s.serialized,
             s.retail_price_cents as retail_price from styles s where {filter}",
    key: "s.id",
    sources: &[("styles", Source::Same)],
};
