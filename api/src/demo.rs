//! `loupe demo`: a demo business generated through the commands, with a progress bar on stderr. Ctrl-C stops
//! it after the command in flight and commits what ran (each command atomic in its savepoint), so the books
//! stay consistent.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use oltp::Db;
use oltp::demo::{DemoSpec, Report};

/// Generates `spec` into `db` and prints what the books hold.
pub(crate) async fn run(db: &Db, spec: &DemoSpec) -> Result<ExitCode> {
    let (stop, watcher) = crate::lake::ctrl_c();
    let bar = ProgressBar::new(u64::from(spec.days));
    if let Ok(style) = ProgressStyle::with_template("{elapsed_precise} [{bar:32}] {pos}/{len} days  {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    eprintln!(
        "generating a demo business: seed {}, {} store(s), {} days from {}, about {} invoice lines",
        spec.seed, spec.stores, spec.days, spec.start, spec.lines
    );
    let started = Instant::now();
    let result = oltp::demo::generate(db, spec, &stop, &mut |r: &Report| {
        bar.set_position(u64::from(r.days_done));
        if let Some(d) = r.last_date {
            bar.set_message(format!("{d}  {} invoices  {} lines", r.invoices, r.lines));
        }
    })
    .await;
    watcher.abort();
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let report = result?;
    let through = report.last_date.map_or_else(|| "setup".to_string(), |d| d.to_string());
    if report.stopped {
        eprintln!(
            "stopped by Ctrl-C after {} of {} days (through {through}), {} commands: the books hold everything up to \
             the last command",
            report.days_done, report.days, report.commands
        );
    }
    println!(
        "org {}: {} invoices, {} invoice lines, {} payments and refunds through {through}",
        report.org_id, report.invoices, report.lines, report.payments
    );
    println!(
        "{} commands in {secs:.1} s ({:.0} commands/s, {:.0} invoice lines/s)",
        report.commands,
        report.commands as f64 / secs.max(0.001),
        report.lines as f64 / secs.max(0.001)
    );
    let mut ops: Vec<_> = report.ops.iter().collect();
    ops.sort_by_key(|(_, t)| std::cmp::Reverse(t.time));
    let busy: f64 = ops.iter().map(|(_, t)| t.time.as_secs_f64()).sum();
    println!("time in commands: {busy:.1} s");
    for (op, t) in ops {
        let s = t.time.as_secs_f64();
        println!(
            "  {op:<18} {:>10} × {:>6.3} ms = {s:>7.1} s ({:>4.1}%)",
            t.count,
            s * 1000.0 / t.count.max(1) as f64,
            100.0 * s / busy.max(f64::EPSILON)
        );
    }
    println!("rows:");
    for (label, n) in oltp::stats::counts(db).await? {
        println!("  {label:<16} {n:>12}");
    }
    Ok(if report.stopped { ExitCode::from(130) } else { ExitCode::SUCCESS })
}
