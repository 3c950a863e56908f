//! What every page shares — the top bar with the store switcher, the quick find and the user's menu — and the
//! pages of their own: signing in, and an error in plain words.

use askama::Template;

use crate::assets;

/// A store in the switcher.
#[derive(Debug, Clone)]
pub struct StoreChoice {
    /// Its id (the `scope=` of links).
    pub id: i64,
    /// "MAIN — Main Street".
    pub label: String,
    /// Whether the pages show only this store now.
    pub selected: bool,
}

/// The frame of a signed-in page: who, which org, which of their stores, where they are.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The user's name as shown.
    pub user: String,
    /// The org's name.
    pub org: String,
    /// The stores the user may see (the switcher offers only these).
    pub stores: Vec<StoreChoice>,
    /// The one store the pages are narrowed to, if any (`scope=`).
    pub scope: Option<i64>,
    /// Which part of the app the page belongs to: `dashboard` or `reports` (the menu marks it).
    pub section: &'static str,
    /// The page's path, which the store switcher reloads.
    pub path: String,
    /// The page's query apart from `scope`, which the switcher keeps.
    pub query: Vec<(String, String)>,
}

impl Chrome {
    /// `&scope=N` when the pages are narrowed to a store, for links built in templates.
    pub fn scope_query(&self) -> String {
        self.scope.map(|s| format!("scope={s}")).unwrap_or_default()
    }

    /// `path` with the store narrowing kept.
    pub fn link(&self, path: &str) -> String {
        match self.scope {
            None => path.to_string(),
            Some(s) => format!("{path}{}scope={s}", if path.contains('?') { '&' } else { '?' }),
        }
    }

    /// What the switcher shows as the current choice.
    pub fn stores_label(&self) -> String {
        self.stores.iter().find(|s| s.selected).map_or_else(|| "All my stores".to_string(), |s| s.label.clone())
    }

    /// The URL of an asset (templates' `<link>`s and `<script>`s).
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

/// The sign-in page.
#[derive(Debug, Template)]
#[template(path = "sign_in.html")]
pub struct SignIn {
    /// Where to go after signing in (a path of this app).
    pub next: String,
    /// The username typed, kept after a failed attempt.
    pub username: String,
    /// Why the last attempt failed, in plain words.
    pub error: Option<String>,
    /// A note above the form (signed out, session ended).
    pub notice: Option<String>,
}

impl SignIn {
    /// The URL of an asset.
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

/// An error as a page: what went wrong in plain words, and the way back.
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// The frame, when the user is signed in.
    pub chrome: Option<Chrome>,
    /// The HTTP status.
    pub status: u16,
    /// "Not found", "Not allowed" …
    pub title: String,
    /// What happened and what to do.
    pub detail: String,
}

impl ErrorPage {
    /// The URL of an asset.
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

/// A page as HTML; a template that fails to render (it cannot, for these types) becomes a plain message.
pub fn render(t: &impl Template) -> String {
    t.render().unwrap_or_else(|e| format!("<!doctype html><title>Loupe</title><p>The page failed to render: {e}"))
}

/// A match of the quick find.
#[derive(Debug, Clone)]
pub struct Match {
    /// "Invoice", "Customer", "Item" …
    pub kind: String,
    /// Its number or name.
    pub label: String,
    /// A line more (the customer, the description, the phone).
    pub detail: String,
    /// Where it opens, if it has a page.
    pub href: Option<String>,
}

/// The quick find's results under the search box.
#[derive(Debug, Template)]
#[template(path = "find.html")]
pub struct FindResults {
    /// What was looked for.
    pub q: String,
    /// The matches.
    pub matches: Vec<Match>,
}

/// A small table of a record's parts (its lines, its payments), already in words.
#[derive(Debug, Clone)]
pub struct Grid {
    /// What it lists.
    pub caption: String,
    /// Its columns: (label, numeric).
    pub head: Vec<(String, bool)>,
    /// Its rows: (text, the page it opens, if any) per cell.
    pub rows: Vec<Vec<(String, Option<String>)>>,
}

/// A record at a glance in the drawer: an invoice, a customer or a piece of stock — what it is, its figures,
/// its parts and its history, without leaving the page.
#[derive(Debug, Template)]
#[template(path = "peek.html")]
pub struct Peek {
    /// "Invoice INV-000001".
    pub title: String,
    /// Its facts: (label, value).
    pub facts: Vec<(String, String)>,
    /// Its parts.
    pub grids: Vec<Grid>,
    /// A problem, in plain words.
    pub error: Option<String>,
}

/// A lane of the work-order board, as the list's tabs offer it.
#[derive(Debug, Clone)]
pub struct Lane {
    /// "in progress".
    pub label: String,
    /// Its list.
    pub href: String,
    /// Whether it is the one shown.
    pub current: bool,
}

/// The work orders of one lane of the board (what a dashboard counter opens).
#[derive(Debug, Template)]
#[template(path = "work_orders.html")]
pub struct WorkOrders {
    /// The frame.
    pub chrome: Chrome,
    /// The lanes.
    pub lanes: Vec<Lane>,
    /// The lane's work orders.
    pub grid: Grid,
    /// "12 work orders" / "Showing 200 of 340".
    pub range: String,
}
