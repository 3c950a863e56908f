use super::{Source, Transform};

pub(crate) const T: Transform = Transform {
    table: &warehouse::tables::memo_line_event::TABLE,
    select: "select e.org_id, e.id, m.store_id, e.memo_line_id, e.event, e.event_date, e.invoice_line_id
             from memo_line_events e join memo_lines l on l.id = e.memo_line_id join memos m on m.id = l.memo_id
             where {filter}",
    key: "e.id",
    sources: &[("memo_line_events", Source::Same)],
};
