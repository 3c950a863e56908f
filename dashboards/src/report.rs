//! The reports module: the catalog by area, a report's page (its filters, the table with its totals, a chart
//! where one helps, the downloads of exactly what is on screen), and the drawer a drillable cell opens.

use std::collections::BTreeMap;

use askama::Template;
use reports::define::Report;
use reports::model::{Header, Link, Type, Value};
use reports::param::{Default as Defaulted, Kind};
use serde::Serialize;

use crate::page::Chrome;

/// The areas of the catalog, in the order the landing page lists them, and the reports of each.
pub const AREAS: &[(&str, &[&str])] = &[
    ("Receivables", &["ar_aging"]),
    ("Memos", &["memo_aging", "memo_liability", "memo_conversion"]),
    ("Inventory", &["inventory_valuation", "inventory_aging"]),
    ("Sales", &["gross_profit", "pricing_realization"]),
    ("Customers", &["rfm"]),
];

/// A report in the catalog.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its id.
    pub id: &'static str,
    /// Its title.
    pub title: &'static str,
    /// The first sentence of its help.
    pub summary: String,
    /// Its page.
    pub href: String,
}

/// A report as someone keeps it: pinned (a saved report) or opened lately.
#[derive(Debug, Clone)]
pub struct Shortcut {
    /// Its name or title.
    pub title: String,
    /// Its page, with the filters it was kept with.
    pub href: String,
    /// The saved report's id, when it is the user's own pin (it can be unpinned).
    pub unpin: Option<i64>,
    /// "shared with the org", "yesterday 14:05" …
    pub note: String,
}

/// The reports landing page.
#[derive(Debug, Template)]
#[template(path = "reports.html")]
pub struct Catalog {
    /// The frame.
    pub chrome: Chrome,
    /// (area, its reports) — only reports the user may see, only areas with one.
    pub areas: Vec<(&'static str, Vec<Entry>)>,
    /// The user's pinned reports and the org's shared ones.
    pub pinned: Vec<Shortcut>,
    /// The report pages the user opened lately.
    pub recent: Vec<Shortcut>,
}

impl Catalog {
    /// The catalog of the reports `may_see` allows.
    pub fn new(chrome: Chrome, may_see: impl Fn(&str) -> bool) -> Catalog {
        let areas = AREAS
            .iter()
            .map(|(area, ids)| {
                let entries = ids
                    .iter()
                    .filter(|id| may_see(id))
                    .filter_map(|id| reports::catalog::get(id).ok())
                    .map(|r| Entry {
                        id: r.id,
                        title: r.title,
                        summary: first_sentence(r.help),
                        href: chrome.link(&format!("/reports/{}", r.id)),
                    })
                    .collect::<Vec<_>>();
                (*area, entries)
            })
            .filter(|(_, e)| !e.is_empty())
            .collect();
        Catalog { chrome, areas, pinned: Vec::new(), recent: Vec::new() }
    }
}

fn first_sentence(help: &str) -> String {
    let para = help.split("\n\n").next().unwrap_or(help);
    match para.find(". ") {
        Some(i) => para[..=i].to_string(),
        None => para.to_string(),
    }
}

/// A column as the table heads it.
#[derive(Debug, Clone)]
pub struct Col {
    /// Its key.
    pub key: &'static str,
    /// Its label.
    pub label: String,
    /// Money, percent or count: right-aligned, sorted as numbers.
    pub numeric: bool,
    /// `money`, `percent`, `count`, `date`, `text`.
    pub kind: &'static str,
}

/// A cell.
#[derive(Debug, Clone)]
pub struct Cell {
    /// As shown ("1,234.56", "12.34%").
    pub text: String,
    /// Its plain value, which sorting compares ("1234.56").
    pub sort: String,
    /// The column is a number.
    pub numeric: bool,
    /// The rows behind it, when it drills: (the page, the drawer's partial).
    pub drill: Option<(String, String)>,
}

/// A page of a report's rows with the totals of all of them.
#[derive(Debug, Clone)]
pub struct Table {
    /// The columns shown.
    pub columns: Vec<Col>,
    /// The page's rows.
    pub rows: Vec<Vec<Cell>>,
    /// The footer.
    pub totals: Vec<Cell>,
    /// Rows in the whole result.
    pub row_count: usize,
    /// Rows before the page.
    pub offset: usize,
    /// The previous and next pages.
    pub prev: Option<String>,
    /// The next page.
    pub next: Option<String>,
}

/// What a page of a run hands the views: the header, the page's rows with their drill links, the footer with
/// its links, the count.
#[derive(Debug)]
pub struct Rows<'a> {
    /// Title, filters, columns.
    pub header: &'a Header,
    /// The page's rows: every column's value (hidden ones too) and the drillable cells' links.
    pub rows: &'a [(Vec<Value>, BTreeMap<&'static str, Link>)],
    /// The footer and its links.
    pub totals: &'a (Vec<Value>, BTreeMap<&'static str, Link>),
    /// Rows in the whole result.
    pub row_count: usize,
    /// Rows before the page.
    pub offset: usize,
    /// The page's size.
    pub limit: usize,
}

fn kind_name(t: Type) -> &'static str {
    match t {
        Type::Money => "money",
        Type::Percent => "percent",
        Type::Count => "count",
        Type::Date => "date",
        Type::Text => "text",
    }
}

/// The query string that runs `link` (its view and every parameter), with `scope` kept.
pub fn link_query(link: &Link, scope: Option<i64>) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![("view", link.view)];
    pairs.extend(link.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let scope = scope.map(|s| s.to_string());
    if let Some(s) = &scope {
        pairs.push(("scope", s));
    }
    encode(&pairs)
}

/// `k=v&…`, form-encoded.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// `s` as one form-encoded URL component.
pub fn form(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The page that shows `link`, and the drawer's partial of it.
pub fn drill_urls(link: &Link, scope: Option<i64>) -> (String, String) {
    let q = link_query(link, scope);
    (format!("/reports/{}?{q}", link.report), format!("/reports/{}/drawer?{q}", link.report))
}

/// The record a cell names, to peek at: an invoice or memo number (with its id in the row), a customer (with
/// theirs), a stock number.
fn peek(columns: &[reports::model::Column], values: &[Value], key: &str) -> Option<String> {
    let id = |k: &str| match columns.iter().position(|c| c.key == k).map(|i| &values[i]) {
        Some(Value::Count(n)) => Some(*n),
        _ => None,
    };
    match (key, values.get(columns.iter().position(|c| c.key == key)?)?) {
        ("invoice_no", Value::Text(_)) => id("invoice_id").map(|n| format!("/peek/invoice/{n}")),
        ("customer", Value::Text(_)) => id("customer_id").map(|n| format!("/peek/customer/{n}")),
        ("memo_no", Value::Text(_)) => id("memo_id").map(|n| format!("/peek/memo/{n}")),
        ("stock_no", Value::Text(s)) if !s.is_empty() => Some(format!("/peek/item/{}", form(s).replace('+', "%20"))),
        _ => None,
    }
}

impl Table {
    /// The table of a page of rows; `page` makes the URL of another page from its offset. A cell drills to the
    /// rows behind it where the report says so; a record's number or name that does not drill peeks at it.
    pub fn new(r: &Rows<'_>, scope: Option<i64>, page: impl Fn(usize) -> String) -> Table {
        let shown: Vec<(usize, &reports::model::Column)> = r.header.shown().collect();
        let columns = shown
            .iter()
            .map(|(_, c)| Col {
                key: c.key,
                label: c.label.to_string(),
                numeric: c.ty.is_numeric(),
                kind: kind_name(c.ty),
            })
            .collect();
        let all = &r.header.columns;
        let cell = |values: &[Value], i: usize, key: &str, ty: Type, links: &BTreeMap<&'static str, Link>| Cell {
            text: values[i].display(),
            sort: values[i].plain(),
            numeric: ty.is_numeric(),
            drill: links
                .get(key)
                .map(|l| drill_urls(l, scope))
                .or_else(|| peek(all, values, key).map(|u| (u.clone(), u))),
        };
        let rows = r
            .rows
            .iter()
            .map(|(values, links)| shown.iter().map(|(i, c)| cell(values, *i, c.key, c.ty, links)).collect())
            .collect();
        let totals = shown.iter().map(|(i, c)| cell(&r.totals.0, *i, c.key, c.ty, &r.totals.1)).collect();
        let prev = (r.offset > 0).then(|| page(r.offset.saturating_sub(r.limit)));
        let next = (r.offset + r.rows.len() < r.row_count).then(|| page(r.offset + r.rows.len()));
        Table { columns, rows, totals, row_count: r.row_count, offset: r.offset, prev, next }
    }

    /// "Rows 1–200 of 5,344".
    pub fn range(&self) -> String {
        if self.row_count == 0 {
            return "No rows".into();
        }
        let last = self.offset + self.rows.len();
        if self.offset == 0 && last == self.row_count {
            let n = Value::Count(self.row_count as i64).display();
            return if self.row_count == 1 { "1 row".into() } else { format!("{n} rows") };
        }
        format!(
            "Rows {}–{} of {}",
            Value::Count(self.offset as i64 + 1).display(),
            Value::Count(last as i64).display(),
            Value::Count(self.row_count as i64).display()
        )
    }
}

/// A filter control.
#[derive(Debug, Clone)]
pub struct Field {
    /// The parameter's name.
    pub name: &'static str,
    /// Its label.
    pub label: &'static str,
    /// Its help (the control's title).
    pub help: &'static str,
    /// `date`, `choice` or `text`.
    pub control: &'static str,
    /// Its value now (the default when not given).
    pub value: String,
    /// The choices of a `choice` (value, label).
    pub choices: Vec<(String, String)>,
}

/// A view of the report, as the view switcher offers it.
#[derive(Debug, Clone)]
pub struct Tab {
    /// Its name.
    pub name: &'static str,
    /// Its title.
    pub title: &'static str,
    /// Whether it is the one shown.
    pub current: bool,
}

/// A chart of a report's page: categories and one or more series of exact decimal strings.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// `bar`.
    pub kind: &'static str,
    /// The chart's title.
    pub title: String,
    /// The categories along the axis.
    pub categories: Vec<String>,
    /// (series name, a value per category).
    pub series: Vec<(String, Vec<String>)>,
}

/// A report's page.
#[derive(Debug, Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    /// The frame.
    pub chrome: Chrome,
    /// The report's id.
    pub id: &'static str,
    /// Its title.
    pub title: String,
    /// Its help, paragraph by paragraph.
    pub help: Vec<String>,
    /// Its views.
    pub tabs: Vec<Tab>,
    /// The view shown.
    pub view: &'static str,
    /// Its filters.
    pub fields: Vec<Field>,
    /// The filters as the report echoes them (label, value).
    pub filters: Vec<(String, String)>,
    /// When the lake landed the data.
    pub as_of: String,
    /// The rows.
    pub table: Table,
    /// A chart, where one helps.
    pub chart: Option<Chart>,
    /// (label, URL) of each download of exactly these filters.
    pub exports: Vec<(&'static str, String)>,
    /// A problem with the filters, in plain words (the table is then empty).
    pub error: Option<String>,
    /// The query string of exactly this page (view and filters), which pinning keeps.
    pub query: String,
}

impl ReportPage {
    /// The page of another view of the report (its own defaults; the store narrowing kept).
    pub fn tab_href(&self, t: &Tab) -> String {
        self.chrome.link(&format!("/reports/{}?view={}", self.id, t.name))
    }

    /// The chart as JSON for the page's script.
    pub fn chart_json(&self) -> String {
        self.chart.as_ref().and_then(|c| serde_json::to_string(c).ok()).unwrap_or_default()
    }
}

/// The controls of `report`'s view `view` with the values in force (`values`: the run's parameters, defaults
/// included; `stores`: the switcher's stores, offered for a `store` parameter).
pub fn fields(
    report: &Report,
    view: &str,
    values: &BTreeMap<String, String>,
    stores: &[crate::page::StoreChoice],
) -> Vec<Field> {
    let Some(v) = report.views.iter().find(|v| v.name == view).or(report.views.first()) else { return Vec::new() };
    v.params
        .iter()
        .filter(|p| p.default != Defaulted::Required)
        .map(|p| {
            let value = values.get(p.name).cloned().unwrap_or_default();
            let (control, choices) = match p.kind {
                Kind::Date => ("date", Vec::new()),
                Kind::Choice(cs) => {
                    let mut choices: Vec<(String, String)> = Vec::new();
                    if p.default == Defaulted::None {
                        choices.push((String::new(), "Any".into()));
                    }
                    choices.extend(cs.iter().map(|c| (c.to_string(), c.replace('_', " "))));
                    ("choice", choices)
                }
                Kind::Id if p.name == "store" => {
                    let mut choices = vec![(String::new(), "All".to_string())];
                    choices.extend(stores.iter().map(|s| (s.id.to_string(), s.label.clone())));
                    ("choice", choices)
                }
                _ => ("text", Vec::new()),
            };
            Field { name: p.name, label: p.label, help: p.help, control, value, choices }
        })
        .collect()
}

/// The drawer a drillable cell opens: the rows behind the cell and their total, which equals it.
#[derive(Debug, Template)]
#[template(path = "drawer.html")]
pub struct Drawer {
    /// What the rows are ("AR aging — open invoices").
    pub title: String,
    /// The filters that select them.
    pub filters: Vec<(String, String)>,
    /// The full page of the same rows.
    pub page: String,
    /// The rows.
    pub table: Table,
    /// A problem, in plain words.
    pub error: Option<String>,
}

/// The chart a report's page draws from its rows, where one helps: the aging buckets of AR and memo aging,
/// gross profit by month, the customers per RFM segment.
pub fn chart(r: &Rows<'_>) -> Option<Chart> {
    let h = r.header;
    let col = |key: &str| h.columns.iter().position(|c| c.key == key);
    match (h.report, h.view) {
        ("ar_aging", "summary") | ("memo_aging", "summary") => {
            let buckets: Vec<usize> = h
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.key == "current" || (c.key.len() == 2 && c.key.starts_with('b')))
                .map(|(i, _)| i)
                .collect();
            (!buckets.is_empty()).then(|| Chart {
                kind: "bar",
                title: "By age".into(),
                categories: buckets.iter().map(|i| h.columns[*i].label.to_string()).collect(),
                series: vec![("Total".into(), buckets.iter().map(|i| r.totals.0[*i].plain()).collect())],
            })
        }
        ("gross_profit", "summary") if h.params.get("by").map(String::as_str) == Some("month") => {
            let (g, rev, gp) = (col("group")?, col("revenue")?, col("gp")?);
            Some(Chart {
                kind: "bar",
                title: "Revenue and gross profit by month".into(),
                categories: r.rows.iter().map(|(v, _)| v[g].display()).collect(),
                series: vec![
                    ("Revenue".into(), r.rows.iter().map(|(v, _)| v[rev].plain()).collect()),
                    ("GP".into(), r.rows.iter().map(|(v, _)| v[gp].plain()).collect()),
                ],
            })
        }
        ("rfm", "segments") => {
            let (g, n) = (col("segment")?, col("customers")?);
            Some(Chart {
                kind: "bar",
                title: "Customers per segment".into(),
                categories: r.rows.iter().map(|(v, _)| v[g].display()).collect(),
                series: vec![("Customers".into(), r.rows.iter().map(|(v, _)| v[n].plain()).collect())],
            })
        }
        _ => None,
    }
}
