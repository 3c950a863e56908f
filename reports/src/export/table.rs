//! An aligned text table for a terminal: the preamble, numbered rows (the numbers `--drill ROW:COLUMN` takes),
//! numbers right-aligned in display form, and the footer.

use std::io::Write;

use crate::error::Result;
use crate::export::{io, preamble};
use crate::model::{Output, Value};

/// Writes `o` as a text table.
pub fn write(o: &Output, out: &mut dyn Write) -> Result<()> {
    let h = &o.header;
    let shown: Vec<_> = h.shown().collect();
    let mut grid: Vec<Vec<String>> = Vec::with_capacity(o.rows + 2);
    grid.push(std::iter::once("#".to_string()).chain(shown.iter().map(|(_, c)| c.label.to_string())).collect());
    for (n, row) in o.values().iter().enumerate() {
        grid.push(std::iter::once((n + 1).to_string()).chain(shown.iter().map(|(i, _)| row[*i].display())).collect());
    }
    let has_totals = o.totals.iter().any(|v| *v != Value::Null);
    if has_totals {
        grid.push(std::iter::once(String::new()).chain(shown.iter().map(|(i, _)| o.totals[*i].display())).collect());
    }
    let widths: Vec<usize> =
        (0..grid[0].len()).map(|c| grid.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let numeric: Vec<bool> = std::iter::once(true).chain(shown.iter().map(|(_, c)| c.ty.is_numeric())).collect();
    let io = io("table");
    for line in preamble(h) {
        writeln!(out, "{line}").map_err(&io)?;
    }
    writeln!(out).map_err(&io)?;
    let rule = widths.iter().map(|w| "─".repeat(*w)).collect::<Vec<_>>().join("──");
    let last = grid.len() - 1;
    for (r, row) in grid.iter().enumerate() {
        if r == 1 || (has_totals && r == last) {
            writeln!(out, "{rule}").map_err(&io)?;
        }
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let pad = widths[c] - s.chars().count();
                if numeric[c] && r > 0 { format!("{}{s}", " ".repeat(pad)) } else { format!("{s}{}", " ".repeat(pad)) }
            })
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end()).map_err(&io)?;
    }
    writeln!(out, "{} {}", o.rows, if o.rows == 1 { "row" } else { "rows" }).map_err(&io)?;
    Ok(())
}
