//! Text tables for a terminal — the one printer the CLI has, for reports and for `loupe sql` alike: numbers
//! right-aligned, a rule under the header (and over a footer), "1 row" / "N rows" at the end, and, given the
//! terminal's width, text columns cut (with "…") until the table fits; numbers are never cut.
//!
//! A report adds its preamble, numbers its rows (the numbers `--drill ROW:COLUMN` takes) and marks each cell
//! that drills with "›".

use std::collections::BTreeSet;
use std::io::Write;

use crate::error::Result;
use crate::export::{io, preamble};
use crate::model::{Output, Value};

/// What marks a cell that drills.
pub const MARK: char = '›';
/// The narrowest a text column is cut to.
const MIN_TEXT: usize = 6;

/// Display strings laid out as a table.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    /// Column labels.
    pub header: Vec<String>,
    /// Which columns hold numbers (right-aligned, never cut).
    pub numeric: Vec<bool>,
    /// The rows' cells.
    pub rows: Vec<Vec<String>>,
    /// A totals row, if any.
    pub footer: Option<Vec<String>>,
    /// Per row (then the footer, if any), the columns whose cell drills.
    pub drills: Vec<BTreeSet<usize>>,
}

impl Grid {
    /// Writes the table, fitted to `width` characters when given.
    pub fn write(&self, out: &mut dyn Write, width: Option<usize>) -> Result<()> {
        let io = io("table");
        let n = self.header.len();
        if n == 0 {
            writeln!(out, "0 rows").map_err(&io)?;
            return Ok(());
        }
        let lines: Vec<&Vec<String>> = std::iter::once(&self.header).chain(&self.rows).chain(&self.footer).collect();
        let mut widths: Vec<usize> = (0..n)
            .map(|c| lines.iter().map(|r| r.get(c).map_or(0, |s| s.chars().count())).max().unwrap_or(0))
            .collect();
        let marked: Vec<bool> = (0..n).map(|c| self.drills.iter().any(|d| d.contains(&c))).collect();
        if let Some(limit) = width {
            fit(&mut widths, &self.numeric, &marked, limit);
        }
        let rule =
            widths.iter().zip(&marked).map(|(w, m)| "─".repeat(w + usize::from(*m))).collect::<Vec<_>>().join("  ");
        let footer_at = self.footer.as_ref().map(|_| self.rows.len() + 1);
        for (r, line) in lines.iter().enumerate() {
            if r == 1 || Some(r) == footer_at {
                writeln!(out, "{rule}").map_err(&io)?;
            }
            let drills = r.checked_sub(1).and_then(|i| self.drills.get(i));
            let cells: Vec<String> = (0..n)
                .map(|c| {
                    let s = cut(line.get(c).map_or("", String::as_str), widths[c]);
                    let pad = " ".repeat(widths[c] - s.chars().count());
                    // an empty cell (a footer's label column) has nothing to open
                    let mark = match (marked[c], drills.is_some_and(|d| d.contains(&c)) && !s.is_empty()) {
                        (false, _) => "",
                        (true, true) => "›",
                        (true, false) => " ",
                    };
                    if self.numeric[c] { format!("{pad}{s}{mark}") } else { format!("{s}{mark}{pad}") }
                })
                .collect();
            writeln!(out, "{}", cells.join("  ").trim_end()).map_err(&io)?;
        }
        let rows = self.rows.len();
        writeln!(out, "{rows} {}", if rows == 1 { "row" } else { "rows" }).map_err(&io)?;
        Ok(())
    }
}

/// Narrows text columns, the widest first, until the table fits `limit` (or every text column is at its floor).
fn fit(widths: &mut [usize], numeric: &[bool], marked: &[bool], limit: usize) {
    let total =
        |w: &[usize]| w.iter().sum::<usize>() + marked.iter().filter(|m| **m).count() + 2 * w.len().saturating_sub(1);
    while total(widths) > limit {
        let widest = (0..widths.len()).filter(|c| !numeric[*c] && widths[*c] > MIN_TEXT).max_by_key(|c| widths[*c]);
        match widest {
            Some(c) => widths[c] -= 1,
            None => break,
        }
    }
}

/// `s` in at most `width` characters, its end replaced by "…" when cut.
fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// Writes a report: its preamble, then its rows numbered, drillable cells marked, and its totals.
pub fn write(o: &Output, drills: &[BTreeSet<&str>], out: &mut dyn Write, width: Option<usize>) -> Result<()> {
    let h = &o.header;
    let shown: Vec<_> = h.shown().collect();
    let has_totals = o.totals.iter().any(|v| *v != Value::Null);
    let columns = |keys: &BTreeSet<&str>| -> BTreeSet<usize> {
        shown.iter().enumerate().filter(|(_, (_, c))| keys.contains(c.key)).map(|(at, _)| at + 1).collect()
    };
    let mut grid = Grid {
        header: std::iter::once("#".to_string()).chain(shown.iter().map(|(_, c)| c.label.to_string())).collect(),
        numeric: std::iter::once(true).chain(shown.iter().map(|(_, c)| c.ty.is_numeric())).collect(),
        rows: o
            .values()
            .iter()
            .enumerate()
            .map(|(n, row)| {
                std::iter::once((n + 1).to_string()).chain(shown.iter().map(|(i, _)| row[*i].display())).collect()
            })
            .collect(),
        footer: has_totals
            .then(|| std::iter::once(String::new()).chain(shown.iter().map(|(i, _)| o.totals[*i].display())).collect()),
        drills: drills.iter().map(columns).collect(),
    };
    if has_totals {
        grid.drills.push(columns(&o.total_links.keys().copied().collect()));
    }
    let io = io("table");
    for line in preamble(h) {
        writeln!(out, "{line}").map_err(&io)?;
    }
    writeln!(out).map_err(&io)?;
    grid.write(out, width)?;
    if grid.drills.iter().any(|d| !d.is_empty()) {
        writeln!(out, "{MARK} drills: --drill ROW:COLUMN (or total:COLUMN), the column by key or label")
            .map_err(&io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid {
            header: vec!["Customer".into(), "Note".into(), "Amount".into()],
            numeric: vec![false, false, true],
            rows: vec![
                vec!["Ann Lee".into(), "Deposit on the Tiffany-style solitaire".into(), "1,200.00".into()],
                vec!["Bob Stone".into(), String::new(), "-35.50".into()],
            ],
            footer: Some(vec!["Total".into(), String::new(), "1,164.50".into()]),
            drills: vec![BTreeSet::from([0]), BTreeSet::new(), BTreeSet::from([2])],
        }
    }

    fn text(g: &Grid, width: Option<usize>) -> String {
        let mut out = Vec::new();
        g.write(&mut out, width).map(|_| String::from_utf8_lossy(&out).into_owned()).unwrap_or_default()
    }

    #[test]
    fn numbers_right_text_left_drills_marked_and_rows_counted() {
        let expected = "\
Customer    Note                                      Amount
──────────  ──────────────────────────────────────  ─────────
Ann Lee›    Deposit on the Tiffany-style solitaire  1,200.00
Bob Stone                                             -35.50
──────────  ──────────────────────────────────────  ─────────
Total                                               1,164.50›
2 rows
";
        assert_eq!(text(&grid(), None), expected);
        let one =
            Grid { rows: vec![vec!["x".into()]], header: vec!["h".into()], numeric: vec![false], ..Grid::default() };
        assert_eq!(text(&one, None), "h\n─\nx\n1 row\n");
    }

    #[test]
    fn a_narrow_terminal_cuts_the_widest_text_never_a_number() {
        let t = text(&grid(), Some(40));
        for line in t.lines() {
            assert!(line.chars().count() <= 40, "{line:?} is {} wide", line.chars().count());
        }
        assert!(t.contains("Deposit on the T…  1,200.00"), "{t}");
        assert!(t.contains("1,200.00") && t.contains("1,164.50›"), "{t}");
        // past every text column's floor the numbers still print whole
        let t = text(&grid(), Some(10));
        assert!(t.contains("1,200.00") && t.contains("Custo…"), "{t}");
    }
}
