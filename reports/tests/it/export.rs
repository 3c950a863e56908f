//! Exports read back by real readers: an XLSX's totals are formulas that LibreOffice recalculates to the cached
//! figures and that follow hidden (filtered-out) rows; a CSV with a byte-order mark opens with its en dashes
//! intact in LibreOffice and in Python's csv module.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail, ensure};
use reports::export::{Format, Options};
use reports::{Request, Scope};
use serde_json::{Value as Json, json};

use crate::support::{Books, day};

/// Store MAIN is untaxed. Rings D (cost 1,000.00), A (100.00), B (250.50) and C (40.00), received 2026-01-02,
/// sell to Ann on 2026-02-10 (D at 1,234.56) and 2026-03-02 (A at 300.00), to Bob on 2026-03-10 (B at 410.25)
/// and to Cy on 2026-03-20 (C at 39.99, a cent below cost); Ann pays 100.00 of her 2026-03-02 invoice on
/// 2026-03-25.
///
/// | customer | lines | revenue | cost | GP | GP % | open on 2026-03-31 (age) |
/// |---|---|---|---|---|---|---|
/// | Ann Lee | 2 | 1,534.56 | 1,100.00 | 434.56 | 28.32 % | 200.00 (29 days), 1,234.56 (49 days) |
/// | Bob Stone | 1 | 410.25 | 250.50 | 159.75 | 38.94 % | 410.25 (21 days) |
/// | Cy Gold | 1 | 39.99 | 40.00 | −0.01 | −0.03 % | 39.99 (11 days) |
/// | total | 4 | 1,984.80 | 1,390.50 | 594.30 | 29.94 % | 1,884.80 |
const JOURNAL: &str = r#"
{"op":"create_org","name":"Test Jewelers"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street"}
{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true,"created_on":"2026-01-01"}
{"op":"create_contact","org_id":1,"name":"Bob Stone","customer":true,"created_on":"2026-01-01"}
{"op":"create_contact","org_id":1,"name":"Cy Gold","customer":true,"created_on":"2026-01-01"}
{"op":"create_style","org_id":1,"style_no":"RING","family":"jewelry","category":"rings","description":"Ring","serialized":true,"retail_price":"500.00"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"stock_no":"D","cost":"1000.00","received_on":"2026-01-02"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"stock_no":"A","cost":"100.00","received_on":"2026-01-02"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"stock_no":"B","cost":"250.50","received_on":"2026-01-02"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"stock_no":"C","cost":"40.00","received_on":"2026-01-02"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-02-10","lines":[{"kind":"sale","item_id":1,"unit_price":"1234.56"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-03-02","lines":[{"kind":"sale","item_id":2,"unit_price":"300.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2026-03-10","lines":[{"kind":"sale","item_id":3,"unit_price":"410.25"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":3,"invoice_date":"2026-03-20","lines":[{"kind":"sale","item_id":4,"unit_price":"39.99"}],"finalize":true}
{"op":"record_payment","org_id":1,"store_id":1,"customer_id":1,"paid_on":"2026-03-25","method":"cash","amount":"100.00","apply":[{"invoice_id":2,"amount":"100.00"}]}
"#;

const GP: (&str, &str, &[(&str, &str)]) =
    ("gross_profit", "summary", &[("from", "2026-02-01"), ("to", "2026-03-31"), ("by", "customer")]);
const AGING: (&str, &str, &[(&str, &str)]) = ("ar_aging", "summary", &[("as_of", "2026-03-31")]);

/// Exports a report view for org 1 (all stores) in `format` to `dir`/`name`.
async fn export(
    books: &Books,
    (report, view, params): (&str, &str, &[(&str, &str)]),
    format: Format,
    options: Options,
    dir: &Path,
    name: &str,
) -> Result<PathBuf> {
    let snapshot = books.lake.snapshot().await?;
    let cx = reports::Context::new(
        &snapshot,
        Scope::Org { org_id: 1, stores: None },
        day("2026-06-30"),
        "Test Jewelers".into(),
    )
    .await?;
    let req = Request {
        report: report.into(),
        view: Some(view.into()),
        params: params.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
    };
    let path = dir.join(name);
    reports::export::write_file_with(reports::prepare(&cx, &req).await?, format, &path, options).await?;
    Ok(path)
}

const OPENPYXL: &str = r#"
import csv, datetime, json, sys
try:
    import openpyxl
except ImportError:
    sys.exit(3)
mode, path = sys.argv[1], sys.argv[2]
if mode == "read":
    # every cell: its formula (if any) and the value a reader that does not calculate shows (for a formula,
    # the result cached in the file)
    ws = openpyxl.load_workbook(path).worksheets[0]
    cached = openpyxl.load_workbook(path, data_only=True).worksheets[0]
    def value(c):
        v = cached.cell(c.row, c.column).value
        return v.isoformat() if isinstance(v, (datetime.datetime, datetime.date)) else v
    print(json.dumps([[{"v": value(c), "formula": c.value if c.data_type == "f" else None} for c in row]
                      for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)]))
elif mode == "hide":
    # hide rows as a filter does, and save (openpyxl drops every cached formula result as it saves)
    wb = openpyxl.load_workbook(path)
    for r in sys.argv[4:]:
        wb.worksheets[0].row_dimensions[int(r)].hidden = True
    wb.save(sys.argv[3])
elif mode == "csv":
    with open(path, encoding="utf-8-sig", newline="") as f:
        print(json.dumps(list(csv.reader(f))))
"#;

/// Runs the openpyxl helper; a missing python3 or openpyxl fails the test (never a silent skip).
fn python(args: &[&str]) -> Result<String> {
    let out = match Command::new("python3").arg("-c").arg(OPENPYXL).args(args).output() {
        Ok(out) => out,
        Err(e) => bail!("cannot run python3 ({e}): run scripts/setup.sh to install python3 and openpyxl"),
    };
    ensure!(out.status.code() != Some(3), "python3 has no openpyxl: run scripts/setup.sh to install it");
    ensure!(out.status.success(), "python3 {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8(out.stdout)?)
}

/// Every cell of the first sheet as `{v, formula}`, by 1-based row.
fn cells(path: &Path) -> Result<Vec<Vec<Json>>> {
    Ok(serde_json::from_str(&python(&["read", path.to_str().unwrap_or_default()])?)?)
}

/// A copy of `path` with `rows` (1-based) hidden and no cached formula results.
fn hidden(path: &Path, rows: &[u32], out: &Path) -> Result<PathBuf> {
    let rows: Vec<String> = rows.iter().map(u32::to_string).collect();
    let mut args = vec!["hide", path.to_str().unwrap_or_default(), out.to_str().unwrap_or_default()];
    args.extend(rows.iter().map(String::as_str));
    python(&args)?;
    Ok(out.to_path_buf())
}

/// Converts `input` with LibreOffice headless into `to` (an extension with an optional filter), in a directory
/// beside it, with a profile of its own that recalculates every formula on load (by default LibreOffice keeps
/// the results cached in an XLSX, which would prove nothing). A missing soffice fails the test.
fn soffice(input: &Path, to: &str, infilter: Option<&str>) -> Result<PathBuf> {
    let dir = input.with_extension("libreoffice");
    let profile = dir.join("profile");
    std::fs::create_dir_all(profile.join("user"))?;
    std::fs::write(
        profile.join("user/registrymodifications.xcu"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#,
    )?;
    let out = dir.join("out");
    let mut cmd = Command::new("soffice");
    cmd.arg(format!("-env:UserInstallation=file://{}", profile.display())).arg("--headless");
    if let Some(f) = infilter {
        cmd.arg(format!("--infilter={f}"));
    }
    cmd.args(["--convert-to", to, "--outdir"]).arg(&out).arg(input);
    let run = match cmd.output() {
        Ok(run) => run,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("soffice not found: run scripts/setup.sh (it installs LibreOffice headless, libreoffice-calc-nogui)")
        }
        Err(e) => return Err(e).context("soffice"),
    };
    let ext = to.split(':').next().unwrap_or(to);
    let stem = input.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let converted = out.join(format!("{stem}.{ext}"));
    ensure!(
        run.status.success() && converted.exists(),
        "soffice converted nothing: {}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    Ok(converted)
}

/// A number read back, in hundredths (money) or ten-thousandths (percents): spreadsheets hold doubles, the
/// figures are exact decimals.
fn scaled(v: &Json, scale: f64) -> Option<i64> {
    v.as_f64().map(|f| (f * scale).round() as i64)
}

fn row_of(cells: &[Vec<Json>], first: &str) -> Option<usize> {
    cells.iter().position(|r| r.first().and_then(|c| c["v"].as_str()) == Some(first)).map(|i| i + 1)
}

#[tokio::test]
async fn xlsx_totals_are_subtotals_that_libreoffice_recalculates_and_filters() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let dir = tempfile::tempdir()?;
    let xlsx = export(&books, GP, Format::Xlsx, Options::default(), dir.path(), "gp.xlsx").await?;
    let x = cells(&xlsx)?;

    // title, org, stores, 5 filters, data as of, a blank row: the header is row 11, the customers 12–14
    let texts: Vec<&str> = x.iter().take(9).filter_map(|r| r[0]["v"].as_str()).collect();
    assert_eq!(texts[..3], ["Gross profit — summary", "Test Jewelers", "Stores: All stores"]);
    assert!(texts[8].starts_with("Data as of "), "{texts:?}");
    assert_eq!(row_of(&x, "Customer"), Some(11));
    let shown: Vec<&str> = x[10].iter().filter_map(|c| c["v"].as_str()).collect();
    assert_eq!(shown, ["Customer", "Lines", "Revenue", "Cost", "GP", "GP %", "Partner payouts", "Our GP"]);
    let names: Vec<&Json> = x[11..14].iter().map(|r| &r[0]["v"]).collect();
    assert_eq!(names, [&json!("Ann Lee"), &json!("Bob Stone"), &json!("Cy Gold")]);

    // the totals row: formulas over rows 12–14, the hand-worked totals cached
    let t = &x[14];
    let formulas: Vec<&Json> = t.iter().map(|c| &c["formula"]).collect();
    let sub = |c: &str| format!("SUBTOTAL(109,{c}12:{c}14)");
    let expected = [
        Json::Null,
        json!(format!("={}", sub("B"))),
        json!(format!("={}", sub("C"))),
        json!(format!("={}", sub("D"))),
        json!(format!("={}", sub("E"))),
        json!(format!(r#"=IF(ROUND({c},2)=0,"",ROUND(({e})/({c}),4))"#, c = sub("C"), e = sub("E"))),
        json!(format!("={}", sub("G"))),
        json!(format!("={}", sub("H"))),
    ];
    assert_eq!(formulas, expected.iter().collect::<Vec<_>>());
    assert_eq!(t[0]["v"], "Total");
    let cached = |t: &[Json]| -> Vec<Option<i64>> {
        vec![
            scaled(&t[1]["v"], 1.0),
            scaled(&t[2]["v"], 100.0),
            scaled(&t[3]["v"], 100.0),
            scaled(&t[4]["v"], 100.0),
            scaled(&t[5]["v"], 10_000.0),
            scaled(&t[6]["v"], 100.0),
            scaled(&t[7]["v"], 100.0),
        ]
    };
    // 4 lines; 1,984.80 revenue; 1,390.50 cost; 594.30 GP; 594.30 ÷ 1,984.80 = 0.299425… → 29.94 %; no payouts
    let totals = vec![Some(4), Some(198_480), Some(139_050), Some(59_430), Some(2994), Some(0), Some(59_430)];
    assert_eq!(cached(t), totals);

    // LibreOffice recalculates the formulas of a copy without cached results: the same totals
    let bare = hidden(&xlsx, &[], &dir.path().join("bare.xlsx"))?;
    assert!(cells(&bare)?[14][2]["v"].is_null(), "openpyxl's copy caches nothing, so what follows is computed");
    let recalculated = cells(&soffice(&bare, "xlsx", None)?)?;
    assert_eq!(cached(&recalculated[14]), totals);

    // hiding Bob's row (as a filter on Customer does) leaves Ann and Cy: 3 lines; 1,534.56 + 39.99 = 1,574.55
    // revenue; 1,100.00 + 40.00 = 1,140.00 cost; 434.56 − 0.01 = 434.55 GP; 434.55 ÷ 1,574.55 = 0.275983… →
    // 27.60 %
    let filtered = cells(&soffice(&hidden(&xlsx, &[13], &dir.path().join("no-bob.xlsx"))?, "xlsx", None)?)?;
    assert_eq!(
        cached(&filtered[14]),
        [Some(3), Some(157_455), Some(114_000), Some(43_455), Some(2760), Some(0), Some(43_455)]
    );
    // and hiding all three leaves nothing: zeros, and no percent over zero revenue
    let none = cells(&soffice(&hidden(&xlsx, &[12, 13, 14], &dir.path().join("none.xlsx"))?, "xlsx", None)?)?;
    assert_eq!(scaled(&none[14][2]["v"], 100.0), Some(0));
    assert!(matches!(&none[14][5]["v"], Json::Null) || none[14][5]["v"] == "", "{}", none[14][5]);
    Ok(())
}

#[tokio::test]
async fn xlsx_aging_totals_are_subtotals_with_the_hand_worked_totals() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let dir = tempfile::tempdir()?;
    let xlsx = export(&books, AGING, Format::Xlsx, Options::default(), dir.path(), "aging.xlsx").await?;
    let x = cells(&xlsx)?;
    let header = row_of(&x, "Customer").context("no header row")?;
    let shown: Vec<&str> = x[header - 1].iter().filter_map(|c| c["v"].as_str()).collect();
    assert_eq!(shown, ["Customer", "0–30", "31–60", "61–90", "91+", "Total open", "Unapplied / credits", "Net"]);
    let (first, last) = (header + 1, header + 3);
    let t = &x[last];
    assert_eq!(t[0]["v"], "Total");
    for (i, c) in ["B", "C", "D", "E", "F", "G", "H"].iter().enumerate() {
        assert_eq!(t[i + 1]["formula"], format!("=SUBTOTAL(109,{c}{first}:{c}{last})"));
    }
    // 0–30: Ann 300.00 − 100.00 + Bob 410.25 + Cy 39.99 = 650.24; 31–60: Ann's 1,234.56; open and net
    // 1,884.80
    let cents: Vec<Option<i64>> = t[1..].iter().map(|c| scaled(&c["v"], 100.0)).collect();
    assert_eq!(cents, [Some(65_024), Some(123_456), Some(0), Some(0), Some(188_480), Some(0), Some(188_480)]);
    let recalculated = cells(&soffice(&hidden(&xlsx, &[], &dir.path().join("bare.xlsx"))?, "xlsx", None)?)?;
    let again: Vec<Option<i64>> = recalculated[last][1..].iter().map(|c| scaled(&c["v"], 100.0)).collect();
    assert_eq!(again, cents);
    Ok(())
}

#[tokio::test]
async fn a_csv_with_a_bom_keeps_its_en_dashes_in_libreoffice_and_python() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let dir = tempfile::tempdir()?;
    let csv = export(&books, AGING, Format::Csv, Options { bom: true, ..Options::default() }, dir.path(), "aging.csv")
        .await?;
    let bytes = std::fs::read(&csv)?;
    assert!(bytes.starts_with(b"\xef\xbb\xbfCustomer,0\xe2\x80\x9330,"), "{:?}", &bytes[..12.min(bytes.len())]);

    let header = ["Customer", "0–30", "31–60", "61–90", "91+", "Total open", "Unapplied / credits", "Net"];
    // Python's csv module, reading UTF-8 with a signature
    let rows: Vec<Vec<String>> = serde_json::from_str(&python(&["csv", csv.to_str().unwrap_or_default()])?)?;
    assert_eq!(rows[0], header);
    assert_eq!(rows[1], ["Ann Lee", "200.00", "1234.56", "0.00", "0.00", "1434.56", "0.00", "1434.56"]);

    // LibreOffice imports it as UTF-8 (comma-separated, double-quoted, special-number detection off as in its
    // import dialog; on, it reads the label "91+" as the number 91) and saves a workbook: the mark is no part of
    // the first cell, the dashes are intact and the amounts are numbers
    let x = cells(&soffice(&csv, "xlsx", Some("CSV:44,34,76,1,,,false,false"))?)?;
    let first: Vec<&str> = x[0].iter().map(|c| c["v"].as_str().unwrap_or_default()).collect();
    assert_eq!(first, header);
    assert_eq!(x[1][0]["v"], "Ann Lee");
    assert_eq!(scaled(&x[1][2]["v"], 100.0), Some(123_456));
    Ok(())
}
