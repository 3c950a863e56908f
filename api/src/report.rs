//! `loupe report …`: the catalog, its help, and running a report (any view, any parameters, following a drill
//! link) into a table, CSV, JSON, XLSX or PDF.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use etl::Lake;
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
            let default = match p.default {
                reports::param::Default::None => String::new(),
                reports::param::Default::Required => " (required)".into(),
                reports::param::Default::Value(x) => format!(" (default {x})"),
                reports::param::Default::Today => " (default today)".into(),
                reports::param::Default::MonthStart => " (default the first of the month)".into(),
            };
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
    pub(crate) format: &'a str,
    pub(crate) out: Option<&'a Path>,
    pub(crate) drill: Option<&'a str>,
    pub(crate) org: Option<i64>,
    pub(crate) stores: &'a [i64],
    pub(crate) explain: bool,
    pub(crate) bom: bool,
}

/// `loupe report run`.
pub(crate) async fn run(lake: &Lake, r: Run<'_>) -> Result<ExitCode> {
    let format: Format = r.format.parse()?;
    let mut params = BTreeMap::new();
    for p in r.params {
        let Some((k, v)) = p.split_once('=') else { bail!("--param {p:?}: write key=value, e.g. as_of=2026-01-31") };
        params.insert(k.trim().to_string(), v.to_string());
    }
    let snapshot = lake.snapshot().await?;
    let (org_id, org_name) = org(&snapshot, r.org).await?;
    let stores = if r.stores.is_empty() { None } else { Some(r.stores.to_vec()) };
    let cx =
        reports::Context::new(&snapshot, Scope::Org { org_id, stores }, chrono::Local::now().date_naive(), org_name)
            .await?;
    let mut req = Request { report: r.id.to_string(), view: r.view.map(str::to_string), params };
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
        bail!("--format {}: a binary file; write it with --out FILE (or redirect the output)", r.format);
    }
    let prepared = reports::prepare(&cx, &req).await?;
    let options = reports::export::Options { bom: r.bom };
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
