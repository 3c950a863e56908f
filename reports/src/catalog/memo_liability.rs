//! Memo liability: every line out on memo, with what it would cost the business and what it is worth at retail.

use super::buckets;
use super::memo;
use crate::define::{Report, View};
use crate::param::{Default, Kind, Param};

pub(crate) const REPORT: Report = Report {
    id: "memo_liability",
    title: "Memo liability",
    help: "Every line out on memo on a date (default today): memo, date, customer, piece, family, quantity, age \
in days and bucket (0–30, 31–60, 61–90, 91+ from the memo date), with its cost exposure and its retail \
(quantity × memo price).\n\
\n\
A line is out when its memo is dated on or before the date and it was not invoiced or returned on or before \
it (a reversed return puts it back out; a voided or reopened invoice does too). Cost is what the piece stood \
at on the date: a serialized piece's cost plus its additional costs dated on or before it; for a lot, the \
quantity × the lot's cost per unit on the date (its cost ÷ its units, in stock and on memo).\n\
\n\
Filters: customer, store, family, bucket.",
    views: &[View {
        name: "lines",
        title: "lines out on memo",
        params: PARAMS,
        columns: |_| memo::OPEN_LINE_COLUMNS.to_vec(),
        drills: &[],
        sql: memo::open_lines_sql,
        footer: None,
        stages: &[],
    }],
};

const BUCKET: Param = Param {
    name: "bucket",
    kind: Kind::Choice(buckets::CHOICES),
    default: Default::None,
    help: "only lines in this age bucket (b1 = 0–30, b2 = 31–60, b3 = 61–90, b4 = 91+ with the default edges)",
    label: "Bucket",
};
const PARAMS: &[Param] =
    &[Param::AS_OF, buckets::param("30,60,90"), Param::STORE, Param::CUSTOMER, memo::FAMILY, BUCKET];
