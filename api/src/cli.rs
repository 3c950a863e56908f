//! `loupe` command-line interface.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use oltp::{Ctx, Db};

use crate::place::Place;

/// Loupe: the books of a jewelry business, and the truth about them.
#[derive(Debug, Parser)]
#[command(name = "loupe", version, about)]
pub struct Cli {
    /// Data directory (SQLite database, lake, exports).
    #[arg(long, global = true, env = "LOUPE_DATA", default_value = "./loupe-data")]
    pub data: PathBuf,
    /// Transactional database URL (`postgres://…`); default: the SQLite file in the data directory.
    #[arg(long, global = true, env = "LOUPE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The lake: a directory, or `s3://bucket/prefix` (credentials and endpoint from the `AWS_*` environment
    /// variables); default: `lake` in the data directory.
    #[arg(long, global = true, env = "LOUPE_LAKE")]
    pub lake: Option<String>,
    /// Where scheduled reports are mailed: `smtp://user:pass@host:port?tls=starttls|tls|none`, or `file:///dir`
    /// to write each message there (development); default: `smtp_url` in the data directory's settings.json.
    #[arg(long, global = true, env = "LOUPE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Who scheduled reports come from, `Name <address>`; default: `mail_from` in settings.json.
    #[arg(long, global = true, env = "LOUPE_MAIL_FROM")]
    pub mail_from: Option<String>,
    #[command(subcommand)]
    pub command: Cmd,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create the database, or migrate it to the current schema.
    Init,
    /// What the books hold: row counts of the main tables.
    Status {
        /// Print only the number of orgs (for scripts).
        #[arg(long)]
        orgs: bool,
    },
    /// The HTTP API (and the lake's loop beside it): sign-in, commands, reads and reports over HTTP; see
    /// docs/API.md. Ctrl-C or SIGTERM stops it gracefully.
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "LOUPE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Mark the session cookie `Secure` (when users reach the server over HTTPS, e.g. through a proxy).
        #[arg(long, env = "LOUPE_SECURE_COOKIES")]
        secure_cookies: bool,
        /// How long the lake's loop waits between looks at the books, in milliseconds.
        #[arg(long, default_value_t = 500)]
        etl_every_ms: u64,
    },
    /// Users who sign in: add one, set a password.
    User {
        #[command(subcommand)]
        command: crate::users::UserCmd,
    },
    /// API tokens for point-of-sale clients and scripts.
    Token {
        #[command(subcommand)]
        command: crate::users::TokenCmd,
    },
    /// Subscriptions: reports to be sent by email on a schedule — add, list, pause, resume, remove.
    Schedule {
        #[command(subcommand)]
        command: crate::schedule::ScheduleCmd,
    },
    /// Measure throughput (see docs/BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        command: crate::bench::BenchCmd,
    },
    /// Inventory checks.
    Inventory {
        #[command(subcommand)]
        command: InventoryCmd,
    },
    /// Operations on the books.
    Ops {
        #[command(subcommand)]
        command: OpsCmd,
    },
    /// The lake: land the books' changes in it, rebuild it, or see where it stands.
    Etl {
        #[command(subcommand)]
        command: EtlCmd,
    },
    /// Prove the lake equals the books for every org and day (sales, tax, payments, AR balance, stock units and
    /// cost); print the differences and exit 1 on any.
    Reconcile,
    /// Ad-hoc SQL (DuckDB) over the lake's current snapshot; every org unless --org.
    Sql {
        /// The query.
        query: String,
        /// table or csv.
        #[arg(long, value_enum, default_value_t = crate::lake::SqlFormat::Table)]
        format: crate::lake::SqlFormat,
        /// Only this org's rows.
        #[arg(long)]
        org: Option<i64>,
    },
    /// Reports over the lake: the catalog, its help, and running one (any view, as of any date, drilling down).
    Report {
        #[command(subcommand)]
        command: ReportCmd,
    },
    /// Write the lake's star schema into a new DuckDB database file, for BI tools.
    Extract {
        /// The DuckDB file to create.
        #[arg(long)]
        duckdb: PathBuf,
        /// Only this org's rows.
        #[arg(long)]
        org: Option<i64>,
    },
    /// Generate a demo jewelry business through the commands: the same seed gives the same books.
    Demo {
        /// small ≈ 1 store × 3 years × 40k invoice lines, medium ≈ 5 stores × 1M, large ≈ 20 stores × 5 years × 10M.
        #[arg(long, value_enum, default_value_t = DemoScale::Small)]
        scale: DemoScale,
        /// Seed of the random stream.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Aim for this many invoice lines instead of the scale's (same stores and years).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
        lines: Option<u64>,
        /// How the demo org costs its lots.
        #[arg(long, value_enum, default_value_t = DemoCosting::Fifo)]
        costing: DemoCosting,
        /// The books' last day (YYYY-MM-DD); the demo org's today (New York's) unless given, so reports with their
        /// default dates show data.
        /// The same seed and last day give the same books.
        #[arg(long, value_parser = demo_until)]
        until: Option<chrono::NaiveDate>,
    },
}

/// `--until`: a date in the window the books accept.
fn demo_until(s: &str) -> Result<chrono::NaiveDate, String> {
    let d: chrono::NaiveDate = s.parse().map_err(|_| format!("{s:?}: write the date as YYYY-MM-DD"))?;
    let (first, last) = (oltp::bounds::FIRST_YEAR + 5, oltp::bounds::LAST_YEAR);
    if !(first..=last).contains(&chrono::Datelike::year(&d)) {
        return Err(format!("{s}: the demo's last day falls in {first}–{last}"));
    }
    Ok(d)
}

/// `loupe report …`
#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// Every report in the catalog with its views.
    List,
    /// A report's help: what it shows, how each number is made, its views and parameters.
    Describe {
        /// The report's id (`loupe report list`).
        id: String,
    },
    /// Run a report, or a saved report by its name (`loupe report saved`).
    Run {
        /// The report's id (`loupe report list`) or a saved report's name.
        id: String,
        /// The view (default: the report's first, usually its summary).
        #[arg(long)]
        view: Option<String>,
        /// A parameter, `key=value` (repeat for several); `loupe report describe ID` lists them.
        #[arg(long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
        /// table, csv, json, xlsx or pdf (default: table, or the saved report's format).
        #[arg(long)]
        format: Option<String>,
        /// Write to this file instead of the terminal.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Follow the drill link of a cell and show where it leads: `ROW:COLUMN` (the row number the table
        /// shows) or `total:COLUMN` for the footer.
        #[arg(long, value_name = "ROW:COLUMN")]
        drill: Option<String>,
        /// The org (default: the lake's only org).
        #[arg(long)]
        org: Option<i64>,
        /// See only these stores, as a user allowed only them would (repeat for several).
        #[arg(long = "store")]
        stores: Vec<i64>,
        /// Run the query and print DataFusion's plan with each operator's rows and time instead of the rows.
        #[arg(long)]
        explain: bool,
        /// CSV: begin with a UTF-8 byte-order mark, so Excel on Windows reads "0–30" as written.
        #[arg(long)]
        bom: bool,
        /// Whose saved reports a name is looked up among (their own before the org's shared ones).
        #[arg(long)]
        user: Option<String>,
    },
    /// Keep a report under a name — its view, parameters (relative dates kept as words) and format — to run
    /// later with `loupe report run NAME`; saving an existing name replaces it.
    Save {
        /// The name to run it by.
        name: String,
        /// The report's id (`loupe report list`).
        id: String,
        /// The view (default: the report's first).
        #[arg(long)]
        view: Option<String>,
        /// A parameter, `key=value` (repeat for several); `from=last_month` stays "last month".
        #[arg(long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
        /// table, csv, json, xlsx or pdf.
        #[arg(long, default_value = "table")]
        format: String,
        /// Keep it for this user (their username); without it the report is shared with the org.
        #[arg(long)]
        user: Option<String>,
        /// The org (default: the lake's only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// The saved reports: the org's shared ones, and a user's own with --user.
    Saved {
        /// Also this user's own (their username).
        #[arg(long)]
        user: Option<String>,
        /// The org (default: the lake's only org).
        #[arg(long)]
        org: Option<i64>,
    },
    /// Forget a saved report.
    Unsave {
        /// Its name.
        name: String,
        /// The user it belongs to (their username); without it, the org's shared one.
        #[arg(long)]
        user: Option<String>,
        /// The org (default: the lake's only org).
        #[arg(long)]
        org: Option<i64>,
    },
}

/// `loupe etl …`
#[derive(Debug, Subcommand)]
pub enum EtlCmd {
    /// Land every change since the lake's watermark (Ctrl-C stops between batches; nothing half-lands).
    Sync {
        /// Keep going: land new changes as they are committed, until Ctrl-C.
        #[arg(long)]
        follow: bool,
        /// With --follow: how long to wait between looks at the books, in milliseconds.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
        every_ms: u64,
    },
    /// Load every table from scratch from one snapshot of the books.
    Rebuild,
    /// The lake's watermark, the changes pending and the lag.
    Status,
    /// Merge each table's small files and delete files no reader needs any more.
    Compact {
        /// Keep files an older version needs for this many hours (readers that opened it may still be reading).
        #[arg(long, default_value_t = 168)]
        retain_hours: u32,
    },
}

/// `loupe demo --scale …`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoScale {
    /// One store, three years, about 40,000 invoice lines.
    Small,
    /// Five stores, three years, about 1,000,000 invoice lines.
    Medium,
    /// Twenty stores, five years, about 10,000,000 invoice lines.
    Large,
}

/// `loupe demo --costing …`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoCosting {
    /// First in, first out.
    Fifo,
    /// Perpetual weighted average per style and store.
    Average,
}

impl From<DemoCosting> for oltp::types::CostingMethod {
    fn from(c: DemoCosting) -> oltp::types::CostingMethod {
        match c {
            DemoCosting::Fifo => oltp::types::CostingMethod::Fifo,
            DemoCosting::Average => oltp::types::CostingMethod::Average,
        }
    }
}

impl From<DemoScale> for oltp::demo::Scale {
    fn from(s: DemoScale) -> oltp::demo::Scale {
        match s {
            DemoScale::Small => oltp::demo::Scale::Small,
            DemoScale::Medium => oltp::demo::Scale::Medium,
            DemoScale::Large => oltp::demo::Scale::Large,
        }
    }
}

/// `loupe inventory …`
#[derive(Debug, Subcommand)]
pub enum InventoryCmd {
    /// Prove stored quantities equal the movement ledger (and lot cost its layers); exit 1 on any difference.
    Reconcile,
}

/// `loupe ops …`
#[derive(Debug, Subcommand)]
pub enum OpsCmd {
    /// Apply a journal: one JSON command per line (`-` reads stdin). Each line is atomic.
    Apply {
        /// The journal file, or `-`.
        file: PathBuf,
        /// Stop at the first failing line instead of going on with the rest.
        #[arg(long)]
        stop_on_error: bool,
        /// Act as this user (permissions apply); default: the operator.
        #[arg(long = "as")]
        actor: Option<i64>,
        /// Date used for commands that leave theirs out (default: today).
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// Lines per transaction (each line still atomic on its own, in a savepoint); results are printed as
        /// each batch commits. Default: 500 for a file, 1 for stdin.
        #[arg(long)]
        batch: Option<usize>,
        /// Key every line without a `key` of its own as PREFIX:LINE, so running the journal again does only what
        /// did not land (each key is recorded with its outcome, in the line's transaction).
        #[arg(long, conflicts_with = "keyed")]
        key_prefix: Option<String>,
        /// The same, with the prefix taken from the journal's contents (its SHA-256): the same file run twice
        /// applies once. Not for stdin.
        #[arg(long)]
        keyed: bool,
    },
    /// List every operation the journal accepts.
    List,
}

impl Cli {
    /// The books and the lake the global options name.
    pub(crate) fn place(&self) -> Place<'_> {
        Place { data: &self.data, url: self.database_url.as_deref(), lake_at: self.lake.as_deref() }
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.place().database_url()
    }

    /// The lake in effect: --lake, or the data directory's.
    /// Where mail goes, as set by the flags, the environment or the settings file; `None` when nowhere.
    pub fn outbox(&self) -> Result<Option<crate::mail::Outbox>> {
        let settings = crate::mail::Settings::find(self.smtp_url.as_deref(), self.mail_from.as_deref(), &self.data)?;
        settings.map(|s| crate::mail::Outbox::new(&s)).transpose()
    }

    pub fn lake(&self) -> Result<etl::Lake> {
        self.place().lake()
    }

    async fn open(&self) -> Result<Db> {
        self.place().open().await
    }

    /// Opens the database; `single`: one connection, for one sequential writer.
    async fn open_with(&self, single: bool) -> Result<Db> {
        self.place().open_with(single).await
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Cmd::Init => {
            let db = cli.open().await?;
            println!("database ready: {} ({:?})", redact(&cli.database_url()), db.dialect());
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Status { orgs } => {
            let db = cli.open().await?;
            let counts = oltp::stats::counts(&db).await?;
            db.close().await;
            if *orgs {
                println!("{}", counts.iter().find(|(l, _)| *l == "orgs").map_or(0, |(_, n)| *n));
            } else {
                println!("{}", redact(&cli.database_url()));
                for (label, n) in counts {
                    println!("  {label:<16} {n:>12}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bench { command } => crate::bench::run(command, cli.place(), cli.outbox()?).await,
        Cmd::Inventory { command: InventoryCmd::Reconcile } => {
            let db = cli.open().await?;
            let checked = oltp::reconcile::items_checked(&db).await?;
            let diffs = oltp::reconcile::inventory(&db).await?;
            db.close().await;
            if diffs.is_empty() {
                println!("inventory reconciles: {checked} stock records, quantities equal the movement ledger");
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{:>6}  {:>10}  {:<14}  {:<16}  {:>12}  {:>12}",
                "org", "item", "stock no", "figure", "stored", "ledger"
            );
            for d in &diffs {
                println!(
                    "{:>6}  {:>10}  {:<14}  {:<16}  {:>12}  {:>12}",
                    d.org_id, d.item_id, d.stock_no, d.figure, d.stored, d.ledger
                );
            }
            println!("{} difference(s) in {checked} stock records", diffs.len());
            Ok(ExitCode::FAILURE)
        }
        Cmd::Ops { command: OpsCmd::List } => {
            for op in oltp::Command::OPS {
                println!("{op}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Ops { command: OpsCmd::Apply { file, stop_on_error, actor, today, batch, key_prefix, keyed } } => {
            let key_prefix = match (key_prefix, keyed) {
                (Some(p), _) => Some(p.clone()),
                (None, true) if file.as_os_str() == "-" => {
                    anyhow::bail!("--keyed: a journal on stdin has no contents to key by; give --key-prefix")
                }
                (None, true) => Some(crate::journal::content_key(file)?),
                (None, false) => None,
            };
            let db = cli.open().await?;
            let mut ctx = Ctx::operator();
            ctx.actor = *actor;
            if let Some(t) = today {
                ctx.today = *t;
            }
            let batch = batch.unwrap_or(if file.as_os_str() == "-" { 1 } else { 500 });
            let summary = crate::journal::apply(&db, &ctx, file, *stop_on_error, batch, key_prefix.as_deref()).await?;
            db.close().await;
            if summary.replayed > 0 {
                eprintln!(
                    "{} applied, {} already applied, {} failed",
                    summary.applied, summary.replayed, summary.failed
                );
            } else {
                eprintln!("{} applied, {} failed", summary.applied, summary.failed);
            }
            Ok(if summary.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Etl { command } => {
            // a bad --lake is refused before anything is opened or created
            let lake = cli.lake()?;
            let db = cli.open().await?;
            let code = match command {
                EtlCmd::Sync { follow: false, .. } => crate::lake::sync(&db, &lake).await,
                EtlCmd::Sync { follow: true, every_ms } => crate::lake::follow(&db, &lake, *every_ms).await,
                EtlCmd::Compact { retain_hours } => crate::lake::compact(&lake, *retain_hours).await,
                EtlCmd::Rebuild => crate::lake::rebuild(&db, &lake).await,
                EtlCmd::Status => crate::lake::status(&db, &lake).await,
            };
            db.close().await;
            code
        }
        Cmd::Serve { listen, secure_cookies, etl_every_ms } => {
            let lake = cli.lake()?;
            let db = cli.open().await?;
            let mut app = crate::serve::App::new(db.clone(), lake, *secure_cookies);
            if let Some(outbox) = cli.outbox()? {
                app = app.with_mail(outbox, crate::deliver::BACKOFF.to_vec());
            }
            let app = std::sync::Arc::new(app);
            let options =
                crate::serve::Options { listen: *listen, etl_every: std::time::Duration::from_millis(*etl_every_ms) };
            crate::serve::run(app, options).await?;
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::User { command } => {
            let db = cli.open().await?;
            let code = crate::users::user(&db, command).await;
            db.close().await;
            code
        }
        Cmd::Token { command } => {
            let db = cli.open().await?;
            let code = crate::users::token(&db, command).await;
            db.close().await;
            code
        }
        Cmd::Schedule { command } => {
            let db = cli.open().await?;
            let code = crate::schedule::run(&db, &cli.lake()?, command, &cli).await;
            db.close().await;
            code
        }
        Cmd::Sql { query, format, org } => crate::lake::sql(&cli.lake()?, query, *format, *org).await,
        Cmd::Report { command: ReportCmd::List } => Ok(crate::report::list()),
        Cmd::Report { command: ReportCmd::Describe { id } } => crate::report::describe(id),
        Cmd::Report {
            command: ReportCmd::Run { id, view, params, format, out, drill, org, stores, explain, bom, user },
        } => {
            let run = crate::report::Run {
                id,
                view: view.as_deref(),
                params,
                format: format.as_deref(),
                out: out.as_deref(),
                drill: drill.as_deref(),
                org: *org,
                stores,
                explain: *explain,
                bom: *bom,
                user: user.as_deref(),
            };
            let lake = cli.lake()?;
            if reports::catalog::get(id).is_ok() {
                return crate::report::run(&lake, None, run).await;
            }
            let db = cli.open().await?;
            let code = crate::report::run(&lake, Some(&db), run).await;
            db.close().await;
            code
        }
        Cmd::Report { command: ReportCmd::Save { name, id, view, params, format, user, org } } => {
            let (lake, db) = (cli.lake()?, cli.open().await?);
            let save = crate::report::Save { name, id, view: view.as_deref(), params, format, user: user.as_deref() };
            let code = crate::report::save(&lake, &db, *org, save).await;
            db.close().await;
            code
        }
        Cmd::Report { command: ReportCmd::Saved { user, org } } => {
            let db = cli.open().await?;
            let code = crate::report::saved(&db, *org, user.as_deref()).await;
            db.close().await;
            code
        }
        Cmd::Report { command: ReportCmd::Unsave { name, user, org } } => {
            let db = cli.open().await?;
            let code = crate::report::unsave(&db, *org, name, user.as_deref()).await;
            db.close().await;
            code
        }
        Cmd::Extract { duckdb, org } => crate::lake::extract(&cli.lake()?, duckdb, *org).await,
        Cmd::Reconcile => {
            let lake = cli.lake()?;
            let db = cli.open().await?;
            let code = crate::lake::reconcile(&db, &lake).await;
            db.close().await;
            code
        }
        Cmd::Demo { scale, seed, lines, costing, until } => {
            let db = cli.open_with(true).await?;
            // the books end on the demo org's today, the day its reports take as today
            let until = until.unwrap_or_else(|| reports::dates::today_in(oltp::demo::TIME_ZONE, chrono::Utc::now()));
            let mut spec = oltp::demo::DemoSpec::ending((*scale).into(), *seed, until);
            spec.costing = (*costing).into();
            if let Some(lines) = lines {
                spec.lines = *lines;
            }
            let code = crate::demo::run(&db, &spec).await?;
            // the main job ends with the books in the lake
            if code == ExitCode::SUCCESS {
                crate::lake::sync(&db, &cli.lake()?).await?;
            }
            db.close().await;
            Ok(code)
        }
    }
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_the_terminal() {
        assert_eq!(super::redact("postgres://loupe:s3cret@db:5432/loupe"), "postgres://loupe:***@db:5432/loupe");
        assert_eq!(super::redact("./loupe-data/loupe.db"), "./loupe-data/loupe.db");
    }
}
