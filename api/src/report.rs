//! `loupe report …`: the catalog, its help, and running a report (any view, any parameters, following a drill
//! link) into a table, CSV, JSON, XLSX or PDF.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use etl::Lake;
use oltp::Db;
use reports::export::Format;
use reports::{Request, Scope};

/// `loupe report list`.
pub(crate) fn list() -> ExitCode {
    for r in reports::catalog::all() {
        let views = r.views.iter().map(|v| v.name).collect::<Vec<_>>().join(", ");
        println!("{:<22} {:<32} views: {views}", r.id, r.title);
    }
    ExitCode::SUCCESS
}

/// `loupe report describe ID`.
pub(crate) fn describe(id: &str) -> Result<ExitCode> {
    let r = reports::catalog::get(id)?;
    println!("{} ({})\n\n{}\n", r.title, r.id, r.help);
    for v in r.views {
        println!("view {} — {}", v.name, v.title);
        for p in v.params {
            let default = p.default.describe().map(|d| format!(" ({d})")).unwrap_or_default();
            println!("  --param {}=…  {}{default}", p.name, p.help);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `loupe report run` was asked.
pub(crate) struct Run<'a> {
    pub(crate) id: &'a str,
    pub(crate) view: Option<&'a str>,
    pub(crate) params: &'a [String],
    pub(crate) format: Option<&'a str>,
    pub(crate) out: Option<&'a Path>,
    pub(crate) drill: Option<&'a str>,
    pub(crate) org: Option<i64>,
    pub(crate) stores: &'a [i64],
    pub(crate) explain: bool,
    pub(crate) bom: bool,
    pub(crate) user: Option<&'a str>,
}

/// `--param key=value …` as a map (a key given twice: the last wins).
fn params(given: &[String]) -> Result<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    for p in given {
        let Some((k, v)) = p.split_once('=') else { bail!("--param {p:?}: write key=value, e.g. as_of=2026-01-31") };
        params.insert(k.trim().to_string(), v.to_string());
    }
    Ok(params)
}

/// `loupe report run`: a catalog report, or (with the books at hand) a saved report by name, whose view,
/// parameters and format the command line's own override.
pub(crate) async fn run(lake: &Lake, books: Option<&Db>, r: Run<'_>) -> Result<ExitCode> {
    let snapshot = lake.snapshot().await?;
    let (org_id, _) = org(&snapshot, r.org).await?;
    let mut req = Request { report: r.id.to_string(), view: r.view.map(str::to_string), params: params(r.params)? };
    let mut format = r.format.unwrap_or("table").to_string();
    if let Some(db) = books {
        let user = user_id(db, org_id, r.user).await?;
        let saved = match oltp::saved::find(db, org_id, user, r.id).await {
            Ok(saved) => saved,
            Err(oltp::Error::NotFound { .. }) => {
                let unknown = reports::catalog::get(r.id).err().map(|e| e.to_string()).unwrap_or_default();
                bail!("{unknown}; nor is {:?} the name of a saved report (`loupe report saved`)", r.id)
            }
            Err(e) => return Err(e.into()),
        };
        eprintln!("saved report {:?}: {}", saved.name, command(&saved));
        let mut params = saved.params;
        params.extend(std::mem::take(&mut req.params));
        req = Request { report: saved.report, view: req.view.or(saved.view), params };
        if r.format.is_none() {
            format = saved.format;
        }
    }
    let format: Format = format.parse()?;
    let stores = if r.stores.is_empty() { None } else { Some(r.stores.to_vec()) };
    let cx = reports::Context::at(&snapshot, Scope::Org { org_id, stores }, chrono::Utc::now()).await?;
    if let Some(at) = r.drill {
        let link = reports::engine::follow(&cx, &req, at).await?;
        eprintln!("drill {at}: {}", link.command());
        req = Request::from(&link);
    }
    if r.explain {
        println!("{}", reports::engine::explain(&cx, &req).await?);
        return Ok(ExitCode::SUCCESS);
    }
    if format.needs_file() && r.out.is_none() && std::io::stdout().is_terminal() {
        bail!("--format {}: a binary file; write it with --out FILE (or redirect the output)", format.name());
    }
    let prepared = reports::prepare(&cx, &req).await?;
    let width = if r.out.is_none() { crate::table::terminal_width() } else { None };
    let options = reports::export::Options { bom: r.bom, width };
    let rows = match r.out {
        Some(path) => {
            let rows = reports::export::write_file_with(prepared, format, path, options).await?;
            eprintln!("wrote {rows} rows to {}", path.display());
            rows
        }
        None => {
            let mut out = std::io::stdout().lock();
            let rows = reports::export::write_with(prepared, format, &mut out, options).await?;
            out.flush().context("cannot write to the terminal")?;
            rows
        }
    };
    tracing::debug!(rows, "report written");
    Ok(ExitCode::SUCCESS)
}

/// The user `--user` names in the org, or nobody.
async fn user_id(db: &Db, org_id: i64, username: Option<&str>) -> Result<Option<i64>> {
    match username {
        None => Ok(None),
        Some(u) => Ok(Some(
            oltp::org::user_by_name(db, org_id, u).await.with_context(|| format!("--user {u:?} in org {org_id}"))?,
        )),
    }
}

/// The command line that runs a saved report's request.
fn command(s: &oltp::saved::SavedReport) -> String {
    let mut c = format!("loupe report run {}", s.report);
    if let Some(v) = &s.view {
        c.push_str(&format!(" --view {v}"));
    }
    for (k, v) in &s.params {
        c.push_str(&format!(" --param {}", reports::model::shell_word(&format!("{k}={v}"))));
    }
    if s.format != "table" {
        c.push_str(&format!(" --format {}", s.format));
    }
    c
}

/// What `loupe report save` was asked.
pub(crate) struct Save<'a> {
    pub(crate) name: &'a str,
    pub(crate) id: &'a str,
    pub(crate) view: Option<&'a str>,
    pub(crate) params: &'a [String],
    pub(crate) format: &'a str,
    pub(crate) user: Option<&'a str>,
}

/// `loupe report save`: checks the request as the engine would run it today, then keeps it (replacing a saved
/// report of the same name and owner).
pub(crate) async fn save(lake: &Lake, db: &Db, org: Option<i64>, s: Save<'_>) -> Result<ExitCode> {
    let snapshot = lake.snapshot().await?;
    let (org_id, _) = self::org(&snapshot, org).await?;
    if reports::catalog::get(s.name.trim()).is_ok() {
        bail!("{:?} is the id of a report in the catalog: give the saved report another name", s.name.trim());
    }
    let format: Format = s.format.parse()?;
    let params = params(s.params)?;
    let req = Request { report: s.id.to_string(), view: s.view.map(str::to_string), params: params.clone() };
    let cx = reports::Context::at(&snapshot, Scope::Org { org_id, stores: None }, chrono::Utc::now()).await?;
    let view = reports::prepare(&cx, &req).await?.header.view;
    let user = user_id(db, org_id, s.user).await?;
    let kept = oltp::saved::own(db, org_id, user, s.name).await?;
    let cmd: oltp::ops::Command = match &kept {
        Some(k) => oltp::saved::UpdateSavedReport {
            org_id,
            saved_report_id: k.id,
            name: None,
            report: Some(s.id.to_string()),
            view: Some(view.to_string()),
            params: Some(params),
            format: Some(format.name().to_string()),
        }
        .into(),
        None => oltp::saved::CreateSavedReport {
            org_id,
            user_id: user,
            name: s.name.to_string(),
            report: s.id.to_string(),
            view: Some(view.to_string()),
            params,
            format: Some(format.name().to_string()),
        }
        .into(),
    };
    let id = oltp::ops::execute(db, &oltp::Ctx::operator(), &cmd).await?.id;
    let whose = s.user.map_or_else(|| "shared with the org".to_string(), |u| format!("for {u}"));
    println!("{} saved report {id} {:?} ({whose})", if kept.is_some() { "replaced" } else { "created" }, s.name.trim());
    Ok(ExitCode::SUCCESS)
}

/// `loupe report saved`: the org's shared reports and the user's own (from the books alone).
pub(crate) async fn saved(db: &Db, org: Option<i64>, user: Option<&str>) -> Result<ExitCode> {
    let org_id = crate::users::org_in_books(db, org).await?;
    let user_id = user_id(db, org_id, user).await?;
    let list = oltp::saved::list(db, org_id, user_id).await?;
    if list.is_empty() {
        println!(
            "no saved reports{}",
            user.map(|u| format!(" for {u} or")).unwrap_or_default() + " shared with the org"
        );
    }
    let width = list.iter().map(|s| s.name.chars().count()).max().unwrap_or(0);
    for s in &list {
        let whose = if s.user_id.is_some() { user.unwrap_or("") } else { "shared" };
        println!("{:<width$}  {whose:<8}  {}", s.name, command(s));
    }
    Ok(ExitCode::SUCCESS)
}

/// `loupe report unsave NAME` (from the books alone).
pub(crate) async fn unsave(db: &Db, org: Option<i64>, name: &str, user: Option<&str>) -> Result<ExitCode> {
    let org_id = crate::users::org_in_books(db, org).await?;
    let user_id = user_id(db, org_id, user).await?;
    let Some(kept) = oltp::saved::own(db, org_id, user_id, name).await? else {
        let whose = user.map_or_else(|| "shared with the org".to_string(), |u| format!("of {u}"));
        bail!("no saved report {:?} {whose} (`loupe report saved`)", name.trim());
    };
    let cmd: oltp::ops::Command = oltp::saved::DeleteSavedReport { org_id, saved_report_id: kept.id }.into();
    oltp::ops::execute(db, &oltp::Ctx::operator(), &cmd).await?;
    println!("forgot saved report {:?}", kept.name);
    Ok(ExitCode::SUCCESS)
}

/// The org a report runs for: the one asked, or the lake's only org; with its name.
async fn org(snapshot: &warehouse::Snapshot, asked: Option<i64>) -> Result<(i64, String)> {
    let mut orgs = snapshot.orgs().await?;
    match asked {
        Some(id) => match orgs.into_iter().find(|(o, _)| *o == id) {
            Some(o) => Ok(o),
            None => bail!("--org {id}: no such org in the lake"),
        },
        None => match orgs.len() {
            0 => bail!("the lake has no org yet: create one and run `loupe etl sync`"),
            1 => Ok(orgs.remove(0)),
            n => bail!(
                "the lake has {n} orgs ({}): choose one with --org",
                orgs.iter().map(|(id, name)| format!("{id} {name}")).collect::<Vec<_>>().join(", ")
            ),
        },
    }
}
