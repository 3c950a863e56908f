use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::org::TABLE,
    select: "select o.id as org_id, o.id, o.name, o.costing_method, o.aging_basis, o.books_closed_through,
                    o.time_zone, o.paper_size
             from orgs o where {filter}",
    key: "o.id",
    sources: &[("orgs", Source::Same)],
};
