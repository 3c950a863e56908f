//! The subscriptions page: reports sent by email on a schedule — each with its next run and its last delivery,
//! "send now", pause and resume; a form to make one, with a preview of the mail it would send now; and the
//! delivery log.

use askama::Template;

use crate::page::{Chrome, Grid};

/// `/subscriptions`.
#[derive(Debug, Template)]
#[template(path = "subscriptions.html")]
pub struct Subscriptions {
    /// The frame.
    pub chrome: Chrome,
    /// What just happened ("Sending Monday AR now…").
    pub notice: Option<String>,
    /// What went wrong, in plain words.
    pub error: Option<String>,
    /// Whether the server has mail settings (without them nothing is sent, and the page says so).
    pub mail: bool,
    /// The subscriptions the user may see.
    pub list: Vec<Row>,
    /// The form, as typed.
    pub form: Form,
    /// The mail the form would send now.
    pub preview: Option<Preview>,
    /// The latest deliveries.
    pub log: Grid,
}

/// A subscription as the list shows it.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its reports, as titles.
    pub reports: String,
    /// pdf, xlsx, csv or html.
    pub format: String,
    /// Who gets it.
    pub to: String,
    /// "0 7 * * 1 (America/New_York)".
    pub schedule: String,
    /// When it next goes, in its zone; or why it is paused.
    pub next: String,
    /// Whether it is active.
    pub active: bool,
    /// Its last delivery: when, and how it went.
    pub last: String,
    /// `sent`, `skipped`, `failed`, `pending` or empty.
    pub last_status: String,
    /// Whether the user may send, pause or resume it.
    pub may_change: bool,
    /// Whether the user may change what it sends and to whom.
    pub may_edit: bool,
}

/// The form to make or change a subscription.
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// The subscription being changed; `None`: a new one.
    pub editing: Option<i64>,
    /// Its name.
    pub name: String,
    /// The reports offered: id, title, chosen.
    pub reports: Vec<(String, String, bool)>,
    /// Parameters for every report, `key=value` one per line.
    pub params: String,
    /// The format chosen.
    pub format: String,
    /// Recipients: usernames or addresses, separated by commas.
    pub to: String,
    /// The cron expression.
    pub cron: String,
    /// The time zone.
    pub time_zone: String,
    /// Per recipient.
    pub per_recipient: bool,
    /// Skip if empty.
    pub skip_if_empty: bool,
}

impl Form {
    /// Whether `format` is the one chosen (for the radio buttons).
    pub fn is(&self, format: &str) -> bool {
        self.format == format
    }
}

/// The mail a subscription would send now.
#[derive(Debug, Clone)]
pub struct Preview {
    /// Its subject.
    pub subject: String,
    /// Its recipients.
    pub to: String,
    /// Its body as HTML (shown in a sandboxed frame).
    pub body: String,
    /// Its files: name and size.
    pub files: Vec<(String, String)>,
}
