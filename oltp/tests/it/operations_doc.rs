//! docs/OPERATIONS.md is tested: every operation has a section, and its examples run in order on a fresh
//! database — a ```json block must succeed, a ```json-error block must fail with the message in the
//! `// error:` line that follows its command.

use anyhow::{Context, Result};

use crate::support::TestDb;

const DOC: &str = include_str!("../../../docs/OPERATIONS.md");

/// (language tag, body) of every fenced block.
fn blocks() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in DOC.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(tag)) => current = Some((tag.trim().to_string(), String::new())),
            (Some(_), Some(_)) => out.push(current.take().unwrap_or_default()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

#[test]
fn every_operation_is_documented() {
    for op in oltp::Command::OPS {
        assert!(DOC.contains(&format!("\n### `{op}`\n")), "docs/OPERATIONS.md has no section for {op}");
    }
}

#[tokio::test]
async fn the_examples_run_as_documented() -> Result<()> {
    for t in TestDb::all().await? {
        let mut ran = 0;
        for (tag, body) in blocks() {
            match tag.as_str() {
                "json" => {
                    t.json(body.trim()).await.with_context(|| format!("example failed: {body}"))?;
                }
                "json-error" => {
                    let (cmd, expected) =
                        body.split_once("// error:").context("a json-error block ends with // error:")?;
                    let e = t.json_err(cmd.trim()).await;
                    assert_eq!(e.to_string(), expected.trim(), "for {cmd}");
                }
                _ => continue,
            }
            ran += 1;
        }
        assert!(ran >= oltp::Command::OPS.len(), "only {ran} examples ran");
        assert!(oltp::reconcile::inventory(&t.db).await?.is_empty());
    }
    Ok(())
}
