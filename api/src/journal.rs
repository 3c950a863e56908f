//! `loupe ops apply`: a journal of commands, one JSON object per line, each line atomic.

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result};
use oltp::{Batch, BatchError, Ctx, Db, Outcome};

/// How a journal went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) applied: usize,
    /// Lines whose key had been applied before: answered with the first outcome, nothing done again.
    pub(crate) replayed: usize,
    pub(crate) failed: usize,
}

/// Lines run but not yet committed, with what each did.
type Waiting = Vec<(usize, Result<(Outcome, bool), String>)>;

/// Applies every line; prints each result as JSON on stdout and each failure (line number, field, why) on
/// stderr. Blank lines and lines starting with `#` or `//` are skipped.
///
/// Lines run in batches of `batch` commands sharing one transaction, each line in its own savepoint: a bad
/// line leaves no trace and the others stand, as if each were its own transaction, but the commit is paid once
/// per batch. A line's result is printed only once its batch has committed, so what was printed is what the
/// books hold, even if the run is interrupted.
///
/// A line may carry an idempotency `key` beside `op`; with `key_prefix` every line without one is keyed
/// `PREFIX:LINE`. A keyed line is recorded with its outcome in the same transaction, so running the journal
/// again (after a crash, say) answers its applied lines with their first outcomes and does only the rest.
pub(crate) async fn apply(
    db: &Db,
    ctx: &Ctx,
    file: &Path,
    stop_on_error: bool,
    batch: usize,
    key_prefix: Option<&str>,
) -> Result<Summary> {
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
    let mut reader = reader;
    let mut bytes = Vec::new();
    let mut n = 0;
    loop {
        bytes.clear();
        let read = reader.read_until(b'\n', &mut bytes).with_context(|| format!("cannot read line {}", n + 1))?;
        if read == 0 {
            break;
        }
        n += 1;
        // a line that is not UTF-8 is one refused line, like any other bad line
        let result = match std::str::from_utf8(&bytes) {
            Ok(line) => {
                let trimmed = line.trim();
                if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
                    continue;
                }
                match oltp::ops::parse_keyed(trimmed) {
                    Ok((key, cmd)) => {
                        let key = key.or_else(|| key_prefix.map(|p| format!("{p}:{n}")));
                        open.run_keyed(db, key.as_deref(), &cmd).await
                    }
                    Err(e) => Err(BatchError::Refused(e)),
                }
            }
            Err(e) => Err(BatchError::Refused(oltp::Error::invalid(
                "line",
                format!("byte {}", e.valid_up_to() + 1),
                "not UTF-8 text",
            ))),
        };
        let failed = result.is_err();
        let mut lost = None;
        match result {
            Ok(a) => waiting.push((n, Ok((a.outcome, a.replayed)))),
            Err(BatchError::Refused(e)) => waiting.push((n, Err(e.to_string()))),
            Err(BatchError::Lost(e)) => {
                lose(&mut waiting, &e.to_string());
                waiting.push((n, Err(e.to_string())));
                lost = Some(e.to_string());
            }
        }
        if open.pending() >= size || (failed && stop_on_error) || size == 1 || lost.is_some() {
            lost = flush(&mut open, &mut waiting, &mut summary).await.or(lost);
        }
        // the database itself failed (a full disk, a lost connection): every later line would fail the same
        // way, so the run stops here with one message; what was committed before stands
        if let Some(why) = lost {
            anyhow::bail!("stopped at line {n}: the database failed ({why}); nothing after line {n} was applied");
        }
        if failed && stop_on_error {
            break;
        }
    }
    if let Some(why) = flush(&mut open, &mut waiting, &mut summary).await {
        anyhow::bail!("stopped at the end: the database failed ({why}); the last lines were not applied");
    }
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

/// Commits the batch and reports its lines in order; returns why the commit failed, if it did.
async fn flush(open: &mut Batch, waiting: &mut Waiting, summary: &mut Summary) -> Option<String> {
    let failed = open.commit().await.err().map(|e| format!("the commit failed: {e}"));
    if let Some(why) = &failed {
        lose(waiting, why);
    }
    for (n, r) in waiting.drain(..) {
        match r {
            Ok((out, false)) => {
                summary.applied += 1;
                println!("{}", serde_json::json!({ "line": n, "ok": out }));
            }
            Ok((out, true)) => {
                summary.replayed += 1;
                println!("{}", serde_json::json!({ "line": n, "ok": out, "already_applied": true }));
            }
            Err(e) => {
                summary.failed += 1;
                eprintln!("line {n}: {e}");
            }
        }
    }
    failed
}

/// The key prefix of a journal's contents: `sha256:` and the hex SHA-256 of its bytes.
pub(crate) fn content_key(file: &Path) -> Result<String> {
    use sha2::Digest as _;
    let bytes = std::fs::read(file).with_context(|| format!("cannot open journal {}", file.display()))?;
    let digest = sha2::Sha256::digest(&bytes);
    Ok(format!("sha256:{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}
