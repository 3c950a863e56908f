use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::user::TABLE,
    select: "select u.org_id, u.id, u.username, u.display_name, u.is_salesperson,
             u.commission_rate_ppm as commission_rate, u.active from users u where {filter}",
    key: "u.id",
    sources: &[("users", Source::Same)],
};
