//! `loupe etl …` and `loupe reconcile`: landing the books in the lake, with a progress bar, and proving the
//! lake equals them.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use etl::{Lake, Progress, SyncReport};
use indicatif::{ProgressBar, ProgressStyle};
use oltp::Db;

fn bar(what: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template(&format!("{{elapsed_precise}} [{{bar:32}}] {{pos}}/{{len}} {what}  {{per_sec}}"))
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A flag Ctrl-C sets (long commands stop at their next safe point), and the task watching for it.
pub(crate) fn ctrl_c() -> (Arc<AtomicBool>, tokio::task::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::Relaxed);
            }
        })
    };
    (stop, watcher)
}

fn print(r: &SyncReport) {
    eprintln!(
        "{} change(s) in {} batch(es), {} lake row(s) written{} in {:.1} s; the lake is at change {}{}",
        r.changes,
        r.batches,
        r.rows,
        if r.compacted > 0 { format!(", {} small file(s) compacted", r.compacted) } else { String::new() },
        r.elapsed.as_secs_f64(),
        r.watermark,
        if r.stopped { " (stopped by Ctrl-C: run it again to catch up)" } else { "" }
    );
}

/// `loupe etl sync`.
pub(crate) async fn sync(db: &Db, lake: &Lake) -> Result<ExitCode> {
    if lake.state().await?.is_none() {
        // an empty lake fills fastest by a full load, which gives the same lake as landing every change
        eprintln!("the lake at {} is empty: loading every table whole", lake.location());
        return rebuild(db, lake).await;
    }
    let (stop, watcher) = ctrl_c();
    let bar = bar("changes");
    let r = etl::sync(db, lake, &stop, &mut |p: Progress| {
        bar.set_length(p.total);
        bar.set_position(p.done);
    })
    .await;
    watcher.abort();
    bar.finish_and_clear();
    let r = r?;
    print(&r);
    Ok(ExitCode::SUCCESS)
}

/// `loupe etl sync --follow`: lands changes as they come until Ctrl-C, a line per sync that landed something.
pub(crate) async fn follow(db: &Db, lake: &Lake, every_ms: u64) -> Result<ExitCode> {
    let (stop, watcher) = ctrl_c();
    eprintln!("following the books every {every_ms} ms; Ctrl-C stops");
    let r =
        etl::follow(db, lake, &stop, std::time::Duration::from_millis(every_ms), &mut |r: &SyncReport| print(r)).await;
    watcher.abort();
    r?;
    eprintln!("stopped; the lake is at change {}", lake.state().await?.map_or(0, |s| s.watermark));
    Ok(ExitCode::SUCCESS)
}

/// `loupe etl compact`.
pub(crate) async fn compact(lake: &Lake, retain_hours: u32) -> Result<ExitCode> {
    let (merged, deleted) = etl::compact(lake, chrono::Duration::hours(i64::from(retain_hours))).await?;
    println!("{merged} small file(s) merged; {deleted} file(s) no reader needs deleted");
    Ok(ExitCode::SUCCESS)
}

/// `loupe etl rebuild`.
pub(crate) async fn rebuild(db: &Db, lake: &Lake) -> Result<ExitCode> {
    let bar = bar("tables");
    let r = etl::rebuild(db, lake, &mut |p: Progress| {
        bar.set_length(p.total);
        bar.set_position(p.done);
    })
    .await;
    bar.finish_and_clear();
    let r = r?;
    eprintln!(
        "loaded {} lake row(s) from the books at change {} in {:.1} s ({:.0} rows/s)",
        r.rows,
        r.watermark,
        r.elapsed.as_secs_f64(),
        r.rows as f64 / r.elapsed.as_secs_f64().max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

/// `loupe etl status`.
pub(crate) async fn status(db: &Db, lake: &Lake) -> Result<ExitCode> {
    let s = etl::status(db, lake).await?;
    println!("lake:             {}", lake.location());
    println!("watermark:        {}", s.watermark);
    println!("books' last:      {}", s.last_change);
    println!("pending changes:  {}", s.pending);
    println!("last landed at:   {}", s.landed_at.as_deref().unwrap_or("never"));
    if let Some(at) = &s.oldest_pending_at {
        let lag = chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds())
            .map_or_else(|_| "?".to_string(), |s| format!("{s} s"));
        println!("lag:              {lag} (oldest pending change at {at})");
    } else {
        println!("lag:              none");
    }
    Ok(ExitCode::SUCCESS)
}

/// `loupe reconcile`.
pub(crate) async fn reconcile(db: &Db, lake: &Lake) -> Result<ExitCode> {
    let r = etl::reconcile::reconcile(db, lake).await?;
    if r.differences.is_empty() {
        println!("the lake equals the books at change {}: {} (org, day, figure) cells compared", r.watermark, r.cells);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:>6}  {:<10}  {:<12}  {:>16}  {:>16}  {:>16}", "org", "day", "figure", "books", "lake", "difference");
    for d in &r.differences {
        let money = d.figure != "stock_units";
        let f = |v: i64| if money { oltp::types::Money(v).to_string() } else { v.to_string() };
        println!(
            "{:>6}  {:<10}  {:<12}  {:>16}  {:>16}  {:>16}",
            d.org_id,
            d.day,
            d.figure,
            f(d.books),
            f(d.lake),
            f(d.lake - d.books)
        );
    }
    eprintln!("{} of {} cells differ at change {}", r.differences.len(), r.cells, r.watermark);
    Ok(ExitCode::FAILURE)
}

/// How `loupe sql` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqlFormat {
    /// Aligned columns with a header.
    Table,
    /// RFC 4180 CSV with a header row.
    Csv,
}

/// The scope of the operator's CLI: one org when asked, else every org.
fn scope(org: Option<i64>) -> warehouse::Scope {
    match org {
        Some(org_id) => warehouse::Scope::Org { org_id, stores: None },
        None => warehouse::Scope::Operator,
    }
}

/// `loupe sql`: DuckDB over the lake's current snapshot.
/// Under `--org` it is the console an org's users get: that org's files only, one read-only statement, at most
/// `ConsoleLimits::default()` rows and seconds; without it, the operator's own DuckDB over every org.
pub(crate) async fn sql(lake: &Lake, query: &str, format: SqlFormat, org: Option<i64>) -> Result<ExitCode> {
    let snapshot = lake.snapshot().await?;
    let batches = if org.is_some() {
        let limits = warehouse::duck::ConsoleLimits::default();
        let answer = snapshot.console(&scope(org)).await?.query(query, limits)?;
        if answer.cut {
            eprintln!(
                "showing the first {} rows: the console's limit (export larger results with a report)",
                limits.rows
            );
        }
        answer.batches
    } else {
        let conn = snapshot.duckdb(&scope(org)).await?;
        warehouse::duck::query(&conn, query)?
    };
    let out = match format {
        SqlFormat::Table => crate::table::aligned(&batches, crate::table::terminal_width())?,
        SqlFormat::Csv => crate::table::csv(&batches)?,
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// `loupe extract --duckdb FILE`.
pub(crate) async fn extract(lake: &Lake, file: &std::path::Path, org: Option<i64>) -> Result<ExitCode> {
    let snapshot = lake.snapshot().await?;
    let counts = snapshot.extract_duckdb(file, &scope(org)).await?;
    for (t, n) in &counts {
        println!("{t:<22} {n:>10} rows");
    }
    println!("wrote {} (lake at change {})", file.display(), snapshot.state().watermark);
    Ok(ExitCode::SUCCESS)
}
