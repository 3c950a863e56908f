//! Saved reports: a report as someone asked for it, kept under a name — the report, its view, its parameters
//! as given (relative dates kept as words, so `last_month` is last month whenever it runs) and a format. A
//! user's own, or shared with the org. Whether the report, view and parameters exist is the report engine's
//! to say; the caller checks them before saving (the books know no report catalog).

use std::collections::BTreeMap;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::{Error, Result};
use crate::writer::{Outcome, Writer};
use crate::{check, q};

/// The groups that may share a report with the whole org (anyone may keep their own).
const SHARERS: &[&str] = &["owner", "manager", "accounting"];

/// The formats a saved report runs into.
const FORMATS: &[&str] = &["table", "csv", "json", "xlsx", "pdf"];

/// Keeps a report under a name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSavedReport {
    /// The org.
    pub org_id: i64,
    /// The user it belongs to; absent: shared with the org.
    pub user_id: Option<i64>,
    /// The name people run it by, unique per user (and among the org's shared ones).
    pub name: String,
    /// The report's id (`ar_aging`).
    pub report: String,
    /// Its view; absent: the report's first.
    pub view: Option<String>,
    /// Parameters as given (`from` → `last_month`).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// What it runs into: table (default), csv, json, xlsx or pdf.
    pub format: Option<String>,
}

impl CreateSavedReport {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        check::org_exists(w, self.org_id).await?;
        let name = self.name.trim();
        check::non_empty("name", name)?;
        identifier("report", &self.report)?;
        if let Some(v) = &self.view {
            identifier("view", v)?;
        }
        params(&self.params)?;
        let format = format(self.format.as_deref())?;
        owner(w, self.org_id, self.user_id).await?;
        unique(w, self.org_id, self.user_id, name, None).await?;
        let now = Utc::now();
        let id = w
            .insert(
                "saved_reports",
                self.org_id,
                q!(
                    "insert into saved_reports (org_id, user_id, name, report, view, params, format, created_at,
                     updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning *",
                    self.org_id,
                    self.user_id,
                    name,
                    self.report.as_str(),
                    self.view.as_deref(),
                    to_json(&self.params)?,
                    format,
                    now
                ),
            )
            .await?;
        Ok(Outcome::id(id))
    }
}

/// Changes a saved report: whatever is given replaces what was kept (`params` as a whole).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSavedReport {
    /// The org.
    pub org_id: i64,
    /// The saved report.
    pub saved_report_id: i64,
    /// A new name.
    pub name: Option<String>,
    /// Another report.
    pub report: Option<String>,
    /// Another view.
    pub view: Option<String>,
    /// New parameters (all of them).
    pub params: Option<BTreeMap<String, String>>,
    /// Another format.
    pub format: Option<String>,
}

impl UpdateSavedReport {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let kept = kept(w, self.org_id, self.saved_report_id).await?;
        owner(w, self.org_id, kept.user_id).await?;
        let name = self.name.as_deref().map(str::trim);
        if let Some(name) = name {
            check::non_empty("name", name)?;
            unique(w, self.org_id, kept.user_id, name, Some(self.saved_report_id)).await?;
        }
        if let Some(r) = &self.report {
            identifier("report", r)?;
        }
        if let Some(v) = &self.view {
            identifier("view", v)?;
        }
        let params = match &self.params {
            Some(p) => {
                params(p)?;
                Some(to_json(p)?)
            }
            None => None,
        };
        let format = self.format.as_deref().map(|f| format(Some(f))).transpose()?;
        w.update(
            "saved_reports",
            self.org_id,
            self.saved_report_id,
            q!(
                "update saved_reports set name = coalesce($3, name), report = coalesce($4, report),
                 view = coalesce($5, view), params = coalesce($6, params), format = coalesce($7, format),
                 updated_at = $8 where id = $1 and org_id = $2 returning *",
                self.saved_report_id,
                self.org_id,
                name,
                self.report.as_deref(),
                self.view.as_deref(),
                params,
                format,
                Utc::now()
            ),
        )
        .await?;
        Ok(Outcome::id(self.saved_report_id))
    }
}

/// Forgets a saved report (its last state stays in the audit log).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteSavedReport {
    /// The org.
    pub org_id: i64,
    /// The saved report.
    pub saved_report_id: i64,
}

impl DeleteSavedReport {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let kept = kept(w, self.org_id, self.saved_report_id).await?;
        owner(w, self.org_id, kept.user_id).await?;
        w.delete("saved_reports", self.org_id, self.saved_report_id).await?;
        Ok(Outcome::id(self.saved_report_id))
    }
}

/// A saved report as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedReport {
    /// Its id.
    pub id: i64,
    /// The user it belongs to; `None`: shared with the org.
    pub user_id: Option<i64>,
    /// Its name.
    pub name: String,
    /// The report's id.
    pub report: String,
    /// Its view, if one was chosen.
    pub view: Option<String>,
    /// Parameters as given.
    pub params: BTreeMap<String, String>,
    /// The format it runs into.
    pub format: String,
}

/// The saved reports `user` sees in `org`: their own and the org's shared ones (`user` `None`: the shared ones
/// only), by name, a user's own before a shared one of the same name.
pub async fn list(db: &Db, org_id: i64, user_id: Option<i64>) -> Result<Vec<SavedReport>> {
    let rows = db
        .fetch_all(q!(
            "select id, user_id, name, report, view, params, format from saved_reports
             where org_id = $1 and (user_id is null or user_id = $2)
             order by name, user_id is null, id",
            org_id,
            user_id
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let params = r.text("params")?;
            Ok(SavedReport {
                id: r.i64("id")?,
                user_id: r.opt_i64("user_id")?,
                name: r.text("name")?,
                report: r.text("report")?,
                view: r.opt_text("view")?,
                params: serde_json::from_str(&params)
                    .map_err(|e| Error::Database(format!("saved report params {params:?}: {e}")))?,
                format: r.text("format")?,
            })
        })
        .collect()
}

/// The saved report `name` as `user` sees it: their own before the org's shared one.
pub async fn find(db: &Db, org_id: i64, user_id: Option<i64>, name: &str) -> Result<SavedReport> {
    list(db, org_id, user_id)
        .await?
        .into_iter()
        .find(|s| s.name == name.trim())
        .ok_or_else(|| Error::not_found("saved report", format!("{:?}", name.trim())))
}

/// The saved report `name` that belongs to `user` itself (`None`: the org's shared one), if there is one.
pub async fn own(db: &Db, org_id: i64, user_id: Option<i64>, name: &str) -> Result<Option<SavedReport>> {
    Ok(list(db, org_id, user_id).await?.into_iter().find(|s| s.name == name.trim() && s.user_id == user_id))
}

struct Kept {
    user_id: Option<i64>,
}

async fn kept(w: &mut Writer, org_id: i64, id: i64) -> Result<Kept> {
    let r = w
        .fetch_optional(q!("select user_id from saved_reports where id = $1 and org_id = $2", id, org_id))
        .await?
        .ok_or_else(|| Error::not_found("saved report", id))?;
    Ok(Kept { user_id: r.opt_i64("user_id")? })
}

/// A user keeps their own reports; sharing with the org takes an owner, manager or accountant.
async fn owner(w: &mut Writer, org_id: i64, user_id: Option<i64>) -> Result<()> {
    match user_id {
        Some(u) => {
            w.fetch_optional(q!("select id from users where id = $1 and org_id = $2", u, org_id))
                .await?
                .ok_or_else(|| Error::invalid("user_id", u, "no such user in this org"))?;
            if w.actor.is_some_and(|a| a != u) {
                return Err(Error::Forbidden("a saved report belongs to the user who keeps it".into()));
            }
        }
        None => {
            if !check::actor_in(w, org_id, SHARERS).await? {
                return Err(Error::Forbidden(
                    "sharing a report with the org takes an owner, manager or accountant".into(),
                ));
            }
        }
    }
    Ok(())
}

/// Refuses a second saved report of the same name for the same user (or among the shared ones).
async fn unique(w: &mut Writer, org_id: i64, user_id: Option<i64>, name: &str, except: Option<i64>) -> Result<()> {
    let taken = w
        .fetch_optional(q!(
            "select id from saved_reports where org_id = $1 and coalesce(user_id, 0) = $2 and name = $3 and id <> $4",
            org_id,
            user_id.unwrap_or(0),
            name,
            except.unwrap_or(0)
        ))
        .await?;
    if taken.is_some() {
        let whose = if user_id.is_some() { "this user" } else { "the org" };
        return Err(Error::invalid(
            "name",
            format!("{name:?}"),
            format!("{whose} already has a saved report by this name"),
        ));
    }
    Ok(())
}

/// A report, view or parameter name: lower-case letters, digits and underscores.
pub(crate) fn identifier(field: &str, s: &str) -> Result<()> {
    let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        return Err(Error::invalid(field, format!("{s:?}"), "lower-case letters, digits and underscores"));
    }
    Ok(())
}

fn params(p: &BTreeMap<String, String>) -> Result<()> {
    for k in p.keys() {
        identifier(&format!("params.{k}"), k)?;
    }
    Ok(())
}

fn format(f: Option<&str>) -> Result<&'static str> {
    let f = f.unwrap_or("table");
    FORMATS
        .iter()
        .copied()
        .find(|x| *x == f)
        .ok_or_else(|| Error::invalid("format", format!("{f:?}"), format!("one of {}", FORMATS.join(", "))))
}

fn to_json(p: &BTreeMap<String, String>) -> Result<String> {
    serde_json::to_string(p).map_err(|e| Error::Database(e.to_string()))
}
