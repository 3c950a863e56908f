//! `loupe bench …`: measurements of the books, the lake and the reports, apart from the CLI's working path.
//! `invoices` records sales as fast as the books take them; `lake` times the books reaching the lake; `report`
//! times each report and checks its totals against a second, independent implementation of the same report
//! (SQL on the books, SQL in DuckDB over the lake's files); `mail` times scheduled reports from the lake to an
//! SMTP server.

mod invoices;
mod lake;
mod mail;
mod pdf;
mod report;
mod serve;

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Subcommand;
use oltp::Db;

use crate::place::Place;

pub use invoices::{InvoiceBench, invoices, prepare};

/// `loupe bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Invoices per second: three lines, finalized, and a payment. Runs on a fresh SQLite file in a temp
    /// directory, or on the (empty) database given by --database-url.
    Invoices {
        /// Invoices to record.
        #[arg(long, default_value_t = 5000)]
        invoices: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 1)]
        clients: usize,
        /// Distinct customers the sales go to.
        #[arg(long, default_value_t = 500)]
        customers: usize,
        /// Record the payment as its own command after the sale, instead of as a tender taken with it (one
        /// command, as a point of sale rings it).
        #[arg(long)]
        separate_payment: bool,
    },
    /// How fast the books reach the lake, on a copy of the SQLite books in --data (never touched): full load
    /// rows/s, lake size against the books, incremental batch latency, and freshness with the sync loop running.
    Lake {
        /// Changes per incremental batch.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        changes: u64,
        /// Incremental batches to time.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
        rounds: u64,
        /// Sales whose freshness is timed.
        #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        samples: u64,
        /// The sync loop's pause between looks at the books, in milliseconds.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=60_000))]
        every_ms: u64,
        /// Measure on the books themselves, adding the benchmark's sales to them (for a demo too big to copy).
        #[arg(long)]
        in_place: bool,
    },
    /// Each report's warm latency and peak memory over the lake (DataFusion), beside the same report as SQL on
    /// the SQLite books and in DuckDB over the lake's files, with the totals each engine found.
    Report {
        /// Warm runs of each report.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
        rounds: u64,
        /// Only this report (repeatable; default: all nine).
        #[arg(long = "report", value_name = "ID")]
        only: Vec<String>,
        /// Leave out the SQLite side (at the large scale a run of it takes up to minutes).
        #[arg(long)]
        no_sqlite: bool,
    },
    /// The HTTP server from the outside (the server in this process, clients on loopback, one kept-alive
    /// connection each): sales posted per second on fresh books; with --reads, each report over HTTP on the books
    /// in --data beside the engine's own time; with --soak-secs, reads and writes mixed at --rate a second.
    Serve {
        /// Sales to post (writes).
        #[arg(long, default_value_t = 20_000)]
        invoices: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=256))]
        clients: u64,
        /// Measure reads on the books and lake in --data instead of writes.
        #[arg(long)]
        reads: bool,
        /// Runs of each report per client (reads).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        rounds: u64,
        /// Soak for this many seconds on the books in --data (reads and writes mixed) instead.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        soak_secs: Option<u64>,
        /// Requests a second during the soak.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        rate: u32,
    },
    /// Scheduled reports mailed to --smtp-url from the books and lake in --data: a three-report bundle as one
    /// workbook and as one PDF (render and send times), then --subscriptions subscriptions due at one minute sent
    /// by one scheduler (the time until the last is sent). What it makes in the books it removes after.
    Mail {
        /// Sends of the bundle in each format.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
        rounds: u64,
        /// Subscriptions due at one minute.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        subscriptions: u64,
    },
    /// How long a long report takes to print as a PDF, and its peak memory: a synthetic sales register (eight
    /// columns and a totals row) of --rows rows; no database or lake needed.
    Pdf {
        /// Rows in the register (a PDF takes at most a million).
        #[arg(long, default_value_t = 20_000)]
        rows: usize,
        /// The paper: letter or a4.
        #[arg(long, default_value = "letter")]
        paper: reports::model::Paper,
        /// Keep the PDF in this file.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

/// A memory figure of this process from /proc/self/status (`VmHWM:` the peak resident set, `VmRSS:` the resident
/// set, `RssAnon:` its anonymous part), in MiB; 0 where there is none (not Linux).
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs `loupe bench …`.
pub(crate) async fn run(command: &BenchCmd, place: Place<'_>, outbox: Option<crate::mail::Outbox>) -> Result<ExitCode> {
    match command {
        BenchCmd::Mail { rounds, subscriptions } => {
            let outbox = outbox.context("no mail settings: give --smtp-url (smtp://127.0.0.1:2525?tls=none)")?;
            let lake = place.lake()?;
            let db = place.open().await?;
            let plan = mail::Plan { rounds: *rounds as usize, subscriptions: *subscriptions as usize };
            mail::run(&db, &lake, outbox, plan).await?;
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        BenchCmd::Lake { changes, rounds, samples, every_ms, in_place } => {
            let plan = lake::Plan {
                changes: *changes as usize,
                rounds: *rounds as usize,
                samples: *samples as usize,
                every: std::time::Duration::from_millis(*every_ms),
                in_place: *in_place,
            };
            lake::run(&place.database_url(), place.data, plan).await?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCmd::Serve { invoices, clients, reads, rounds, soak_secs, rate } => {
            let plan = serve::Plan {
                invoices: *invoices,
                clients: *clients as usize,
                rounds: *rounds as usize,
                soak: std::time::Duration::from_secs(soak_secs.unwrap_or(0)),
                rate: *rate,
            };
            if *reads || soak_secs.is_some() {
                let lake = place.lake()?;
                let db = place.open().await?;
                if soak_secs.is_some() {
                    serve::soak(&db, &lake, &plan).await?;
                } else {
                    serve::reads(&db, &lake, &plan).await?;
                }
                db.close().await;
            } else {
                serve::writes(&plan).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        BenchCmd::Pdf { rows, paper, out } => {
            pdf::run(*rows, *paper, out.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCmd::Report { rounds, only, no_sqlite } => {
            let lake = place.lake()?;
            let db = place.open().await?;
            report::run(&db, &lake, *rounds as usize, only, !*no_sqlite).await?;
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        BenchCmd::Invoices { invoices, clients, customers, separate_payment } => {
            if *clients == 0 || *customers == 0 || *invoices == 0 {
                anyhow::bail!("--invoices, --clients and --customers must be at least 1");
            }
            let tmp = tempfile::tempdir().context("cannot create a temp directory")?;
            let url = match place.url {
                Some(u) => u.to_string(),
                None => tmp.path().join("bench.db").display().to_string(),
            };
            let db = Db::connect(&url).await?;
            db.migrate().await?;
            invoices::prepare(&db, *customers, *invoices).await?;
            let r = invoices::invoices(&db, *invoices, *clients, *customers, *separate_payment).await?;
            db.close().await;
            println!(
                "{:?}: {} invoices (3 lines + payment {}) with {} client(s) in {:.2}s = {:.0} invoices/s; p50 {:.2} ms, p95 {:.2} ms",
                db.dialect(),
                r.invoices,
                if *separate_payment { "as a second command" } else { "taken with the sale" },
                r.clients,
                r.elapsed.as_secs_f64(),
                r.rate(),
                r.p50.as_secs_f64() * 1e3,
                r.p95.as_secs_f64() * 1e3
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
