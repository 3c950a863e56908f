//! The dashboard: the sales history chart and the counters an owner looks at first, each the total of the
//! report (or the count of the list) it opens. The page is drawn at once; its figures come in one partial
//! that reloads itself whenever the lake lands new changes.

use askama::Template;
use serde::Serialize;

use crate::page::Chrome;

/// The dashboard page: the frame, and where its figures come from.
#[derive(Debug, Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    /// The frame.
    pub chrome: Chrome,
    /// The URL of the figures partial.
    pub figures: String,
    /// The user's subscriptions that failed lately, in words (each also in the delivery log).
    pub failures: Vec<String>,
}

/// A counter: a figure, what it is, and where it comes from.
#[derive(Debug, Clone)]
pub struct Counter {
    /// A stable name (tests and styles find it by this).
    pub id: &'static str,
    /// "AR balance".
    pub label: String,
    /// The figure as shown ("48,210.00").
    pub value: String,
    /// The report or list it is the total of.
    pub href: String,
    /// A part of it worth its own line ("91+ days: 3,120.00"), with where that part comes from.
    pub part: Option<Part>,
}

/// A part of a counter.
#[derive(Debug, Clone)]
pub struct Part {
    /// "91+ days".
    pub label: String,
    /// The figure.
    pub value: String,
    /// The rows behind it.
    pub href: String,
}

/// One series of the sales chart: a label per period and the sales of each (exact decimal strings; the chart
/// draws them, nothing adds them up).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Series {
    /// The periods, oldest first ("2026-11-08", "2026-11").
    pub periods: Vec<String>,
    /// Sales in each period.
    pub sales: Vec<String>,
    /// Sales in the same period a year earlier.
    pub year_before: Vec<String>,
    /// The report page each period opens.
    pub links: Vec<String>,
}

/// The sales history chart's data: daily for the last 30 days, monthly for the last 24 months.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SalesChart {
    /// The last 30 days.
    pub daily: Series,
    /// The last 24 months.
    pub monthly: Series,
}

/// The figures partial: the counters, the chart, and how fresh they are.
#[derive(Debug, Template)]
#[template(path = "figures.html")]
pub struct Figures {
    /// The counters, in the order shown.
    pub counters: Vec<Counter>,
    /// Work orders per lane of the board: (lane, count, the list's URL).
    pub lanes: Vec<(String, i64, String)>,
    /// The chart's data.
    pub chart: SalesChart,
    /// When the lake landed the data shown (as people read it).
    pub as_of: String,
    /// This partial's URL with the lake's version it shows (`since=`): the next poll answers 204 until the
    /// lake moves on.
    pub refresh: String,
}

impl Figures {
    /// The chart's data as JSON for the page's script.
    pub fn chart_json(&self) -> String {
        serde_json::to_string(&self.chart).unwrap_or_else(|_| "{}".into())
    }
}
