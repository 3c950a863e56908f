//! `loupe ops apply`: a journal of commands, one JSON object per line, each line atomic.

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result};
use oltp::{Ctx, Db};

/// How a journal went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) applied: usize,
    pub(crate) failed: usize,
}

/// Applies every line; prints each result as JSON on stdout and each failure (line number, field, why) on
/// stderr. Blank lines and lines starting with `#` or `//` are skipped.
pub(crate) async fn apply(db: &Db, ctx: &Ctx, file: &Path, stop_on_error: bool) -> Result<Summary> {
    let reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(file).with_context(|| format!("cannot open journal {}", file.display()))?,
        ))
    };
    let mut summary = Summary::default();
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = line.with_context(|| format!("cannot read line {n}"))?;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
            continue;
        }
        let result = match oltp::ops::parse(trimmed) {
            Ok(cmd) => oltp::execute(db, ctx, &cmd).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(out) => {
                summary.applied += 1;
                println!("{}", serde_json::json!({ "line": n, "ok": out }));
            }
            Err(e) => {
                summary.failed += 1;
                eprintln!("line {n}: {e}");
                if stop_on_error {
                    break;
                }
            }
        }
    }
    Ok(summary)
}
