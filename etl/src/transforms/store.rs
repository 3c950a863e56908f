use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::store::TABLE,
    select: "select s.org_id, s.id, s.code, s.name, s.tax_rate_ppm as tax_rate, s.surtax_rate_ppm as surtax_rate,
             s.surtax_threshold_cents as surtax_threshold, s.active from stores s where {filter}",
    key: "s.id",
    sources: &[("stores", Source::Same)],
};
