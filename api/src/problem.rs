//! Errors as the API answers them: RFC 9457 problem details (`application/problem+json`) with the HTTP status,
//! a stable `type` per kind, the same words the journal prints as `detail`, and — where one field is at fault —
//! `field`, `value` and `rule`. A failure of the server itself says so and no more: its cause goes to the log, not
//! to the caller.

use serde::Serialize;

use crate::authz::Denied;

/// The media type of a problem.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// One problem, ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of problem, as a URI reference (`/problems/invalid`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The kind in words.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// This occurrence in words: the journal's message.
    pub detail: String,
    /// The field at fault, its value and the rule, where one field is at fault.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Box<Fault>>,
    /// Seconds to wait before trying again (a 429's `Retry-After`).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

/// One field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    /// The field (`lines[2].qty`, or a report parameter).
    pub field: String,
    /// Its value as given.
    pub value: String,
    /// The rule it broke.
    pub rule: String,
}

/// In the API's OpenAPI document: the problem's members, `field`, `value` and `rule` present together or not at
/// all (a flattened optional member, which the derive cannot say).
impl utoipa::PartialSchema for Problem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let text = |d: &str| ObjectBuilder::new().schema_type(Type::String).description(Some(d));
        ObjectBuilder::new()
            .description(Some("A problem (RFC 9457): what is wrong, in the journal's words"))
            .property("type", text("What kind of problem, as a URI reference (/problems/invalid)"))
            .property("title", text("The kind in words"))
            .property("status", ObjectBuilder::new().schema_type(Type::Integer).description(Some("The HTTP status")))
            .property("detail", text("This occurrence in words"))
            .property("field", text("The field at fault (lines[2].qty, a report parameter)"))
            .property("value", text("Its value as given"))
            .property("rule", text("The rule it broke"))
            .required("type")
            .required("title")
            .required("status")
            .required("detail")
            .into()
    }
}

impl utoipa::ToSchema for Problem {}

impl Problem {
    fn new(kind: &str, title: &'static str, status: u16, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("/problems/{kind}"),
            title,
            status,
            detail: detail.into(),
            fault: None,
            retry_after: None,
        }
    }

    /// A value that breaks a rule: 422 naming the field, the value and the rule.
    pub fn invalid(field: &str, value: &str, rule: &str) -> Problem {
        Problem::new("invalid", "Invalid value", 422, format!("{field}: {value} — {rule}")).at(field, value, rule)
    }

    /// Nothing of that kind by that id or name — also what another org's id answers.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new("not-found", "Not found", 404, detail)
    }

    /// No session or token, or one that has ended.
    pub fn unauthenticated(detail: impl Into<String>) -> Problem {
        Problem::new("unauthenticated", "Not signed in", 401, detail)
    }

    /// Signed in, and not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new("forbidden", "Not permitted", 403, detail)
    }

    /// Too many failed attempts: wait `seconds`.
    pub fn too_many(detail: impl Into<String>, seconds: u64) -> Problem {
        let mut p = Problem::new("too-many-attempts", "Too many attempts", 429, detail);
        p.retry_after = Some(seconds.max(1));
        p
    }

    /// The request itself is unusable (a body that is not JSON, too large, of the wrong type): `status` is the
    /// HTTP status that says which.
    pub fn bad_request(status: u16, detail: impl Into<String>) -> Problem {
        let title = match status {
            413 => "Body too large",
            415 => "Unsupported media type",
            _ => "Bad request",
        };
        Problem::new("bad-request", title, status, detail)
    }

    fn at(mut self, field: &str, value: &str, rule: &str) -> Problem {
        self.fault = Some(Box::new(Fault { field: field.into(), value: value.into(), rule: rule.into() }));
        self
    }

    /// The server failed; the caller learns nothing of why (the log has it).
    pub fn internal() -> Problem {
        Problem::new("internal", "Server error", 500, "the server failed to answer; the failure is in its log")
    }

    /// The body as JSON text.
    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl From<&oltp::Error> for Problem {
    fn from(e: &oltp::Error) -> Problem {
        use oltp::Error as E;
        let detail = e.to_string();
        match e {
            E::Invalid { field, value, rule } => {
                Problem::new("invalid", "Invalid value", 422, detail).at(field, value, rule)
            }
            E::NotFound { .. } => Problem::new("not-found", "Not found", 404, detail),
            E::Conflict(_) => Problem::new("conflict", "Conflicts with the books", 409, detail),
            E::ClosedPeriod { field, date, closed_through } => {
                Problem::new("closed-period", "Closed period", 409, detail).at(
                    field,
                    &date.to_string(),
                    &format!("on or before the books-closed date {closed_through}"),
                )
            }
            E::Unauthenticated(_) => Problem::new("unauthenticated", "Not signed in", 401, detail),
            E::Forbidden(_) => Problem::new("forbidden", "Not permitted", 403, detail),
            E::Storage(_) => Problem::new("unavailable", "Books unavailable", 503, "the books cannot be written now"),
            E::Database(_) => Problem::internal(),
        }
    }
}

impl From<&reports::Error> for Problem {
    fn from(e: &reports::Error) -> Problem {
        use reports::Error as E;
        let detail = e.to_string();
        match e {
            E::Param { name, value, why } => Problem::new("invalid", "Invalid value", 422, detail).at(name, value, why),
            E::Unseen { name, value, why } => Problem::new("not-found", "Not found", 404, detail).at(name, value, why),
            E::UnknownReport(..) | E::UnknownView { .. } => Problem::new("not-found", "Not found", 404, detail),
            E::Drill { at, why } => Problem::new("invalid", "Invalid value", 422, detail).at("drill", at, why),
            E::Overflow { .. } => Problem::new("overflow", "Too large to add up", 422, detail),
            E::Lake(w) => Problem::from(w),
            E::Query(_) | E::Arrow(_) | E::Shape { .. } | E::Export { .. } => Problem::internal(),
        }
    }
}

impl From<&warehouse::Error> for Problem {
    /// A lake not filled yet (a new server's first landing) or written by an older Loupe cannot answer now, and
    /// says why; anything else is the server's own failure.
    fn from(e: &warehouse::Error) -> Problem {
        use warehouse::Error as W;
        match e {
            W::Empty { .. } => {
                let mut p = Problem::new(
                    "unavailable",
                    "Reports not ready",
                    503,
                    "the lake is still being filled from the books; try again in a moment",
                );
                p.retry_after = Some(2);
                p
            }
            W::NotLanded { .. } | W::Outdated { .. } => Problem::new(
                "unavailable",
                "Reports not ready",
                503,
                "the lake was written by an older Loupe: the operator runs `loupe etl rebuild`",
            ),
            _ => Problem::internal(),
        }
    }
}

impl From<&Denied> for Problem {
    fn from(e: &Denied) -> Problem {
        match e {
            Denied::Unknown { .. } => Problem::new("not-found", "Not found", 404, e.to_string()),
            Denied::Forbidden { .. } => Problem::new("forbidden", "Not permitted", 403, e.to_string()),
        }
    }
}

impl axum::response::IntoResponse for Problem {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{HeaderValue, StatusCode, header};
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.body()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Some(s) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == 401 {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"loupe\""));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_field_answers_422_with_the_field_the_value_and_the_rule() {
        let e = oltp::Error::invalid("lines[2].qty", 0, "must be a positive quantity");
        let p = Problem::from(&e);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&p.body()).ok(),
            Some(serde_json::json!({
                "type": "/problems/invalid",
                "title": "Invalid value",
                "status": 422,
                "detail": "lines[2].qty: 0 — must be a positive quantity",
                "field": "lines[2].qty",
                "value": "0",
                "rule": "must be a positive quantity"
            }))
        );
        let e = reports::Error::param("as_of", "2026-13-01", "not a date");
        let p = Problem::from(&e);
        assert_eq!(
            (p.status, p.fault.as_ref().map(|f| f.field.as_str()), p.detail.as_str()),
            (422, Some("as_of"), "param as_of: \"2026-13-01\" — not a date")
        );
    }

    #[test]
    fn each_kind_has_its_status_and_the_server_s_failures_say_nothing_of_their_cause() {
        let cases: [(oltp::Error, u16); 7] = [
            (oltp::Error::not_found("invoice", 9), 404),
            (oltp::Error::Conflict("piece 7 is sold".into()), 409),
            (oltp::Error::Unauthenticated(oltp::auth::WRONG.into()), 401),
            (oltp::Error::Forbidden("reopening needs …".into()), 403),
            (oltp::Error::Storage("disk full".into()), 503),
            (oltp::Error::Database("relation \"users\" at /var/lib/pg: secret detail".into()), 500),
            (
                oltp::Error::ClosedPeriod {
                    field: "paid_on".into(),
                    date: chrono::NaiveDate::from_ymd_opt(2026, 2, 20).unwrap_or_default(),
                    closed_through: chrono::NaiveDate::from_ymd_opt(2026, 2, 28).unwrap_or_default(),
                },
                409,
            ),
        ];
        for (e, status) in cases {
            let p = Problem::from(&e);
            assert_eq!(p.status, status, "{e}");
            assert!(!p.body().contains("secret detail") && !p.body().contains("disk full"), "{}", p.body());
        }
        let denied = crate::authz::Denied::Forbidden { what: "operation void_invoice".into(), groups: "owner".into() };
        assert_eq!(Problem::from(&denied).status, 403);
        // a lake not filled yet cannot answer now, and says when to try again
        let empty = Problem::from(&reports::Error::Lake(warehouse::Error::Empty { lake: "/srv/lake".into() }));
        assert_eq!((empty.status, empty.retry_after), (503, Some(2)));
        assert!(!empty.body().contains("/srv/lake"), "{}", empty.body());
        let unknown = reports::catalog::get("ar_agin").err();
        assert_eq!(unknown.map(|e| Problem::from(&e).status), Some(404));
    }
}
