use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::contact::TABLE,
    select: "select c.org_id, c.id, c.name, c.email, c.phone, c.is_customer, c.is_vendor, c.is_partner, c.terms_days,
             (c.resale_certificate is not null) as wholesale, c.merged_into, c.created_on
             from contacts c where {filter}",
    key: "c.id",
    sources: &[("contacts", Source::Same)],
};
