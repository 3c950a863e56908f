//! `loupe ops apply`: a journal of commands, one JSON object per line, each line atomic.

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result};
use oltp::{Batch, BatchError, Ctx, Db, Outcome};

/// How a journal went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) applied: usize,
    pub(crate) failed: usize,
}

/// Lines run but not yet committed, with what each did.
type Waiting = Vec<(usize, Result<Outcome, String>)>;

/// Applies every line; prints each result as JSON on stdout and each failure (line number, field, why) on
/// stderr. Blank lines and lines starting with `#` or `//` are skipped.
///
/// Lines run in batches of `batch` commands sharing one transaction, each line in its own savepoint: a bad
/// line leaves no trace and the others stand, as if each were its own transaction, but the commit is paid once
/// per batch. A line's result is printed only once its batch has committed, so what was printed is what the
/// books hold, even if the run is interrupted.
pub(crate) async fn apply(db: &Db, ctx: &Ctx, file: &Path, stop_on_error: bool, batch: usize) -> Result<Summary> {
    let reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(file).with_context(|| format!("cannot open journal {}", file.display()))?,
        ))
    };
    let size = batch.max(1);
    let mut open = Batch::new(ctx.clone());
    let mut waiting: Waiting = Vec::new();
    let mut summary = Summary::default();
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = line.with_context(|| format!("cannot read line {n}"))?;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
            continue;
        }
        let result = match oltp::ops::parse(trimmed) {
            Ok(cmd) => open.run(db, &cmd).await,
            Err(e) => Err(BatchError::Refused(e)),
        };
        let failed = result.is_err();
        match result {
            Ok(out) => waiting.push((n, Ok(out))),
            Err(BatchError::Refused(e)) => waiting.push((n, Err(e.to_string()))),
            Err(BatchError::Lost(e)) => {
                lose(&mut waiting, &e.to_string());
                waiting.push((n, Err(e.to_string())));
            }
        }
        if open.pending() >= size || (failed && stop_on_error) || size == 1 {
            flush(&mut open, &mut waiting, &mut summary).await;
        }
        if failed && stop_on_error {
            break;
        }
    }
    flush(&mut open, &mut waiting, &mut summary).await;
    Ok(summary)
}

/// The transaction under `waiting` is gone: lines that ran in it did not stand.
fn lose(waiting: &mut Waiting, why: &str) {
    for (_, r) in waiting.iter_mut() {
        if r.is_ok() {
            *r = Err(format!("not applied: {why}"));
        }
    }
}

/// Commits the batch and reports its lines in order.
async fn flush(open: &mut Batch, waiting: &mut Waiting, summary: &mut Summary) {
    if let Err(e) = open.commit().await {
        lose(waiting, &format!("the commit failed: {e}"));
    }
    for (n, r) in waiting.drain(..) {
        match r {
            Ok(out) => {
                summary.applied += 1;
                println!("{}", serde_json::json!({ "line": n, "ok": out }));
            }
            Err(e) => {
                summary.failed += 1;
                eprintln!("line {n}: {e}");
            }
        }
    }
}
