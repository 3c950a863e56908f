//! Demo businesses for tests, benchmarks and first looks (`loupe demo`): a jewelry business of a few years,
//! generated only through the commands and deterministic for a seed.
//!
//! The generator keeps its own picture of the books in memory — which pieces and how many units are in stock
//! where, who owes what, which sale lines may come back — so that every command it issues is one the books
//! accept. A refused command is a bug here (or in the command) and stops the run with the command's JSON.
//! Dates never move backwards: each simulated day first settles what earlier days scheduled for it (returns,
//! installments, bounced checks, costs arriving late), then receives, sells and moves stock.
//! Every command is its own transaction, so a run stopped between two commands leaves consistent books.

mod catalog;
mod draw;
mod sell;
mod stock;

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rand::SeedableRng;

use crate::db::Db;
use crate::error::Error;
use crate::ops::{Batch, BatchError, Command};
use crate::org::{ClosePeriod, CreateContact, CreateOrg, CreateStore, CreateUser};
use crate::types::{AgingBasis, CostingMethod, Family, Money, Multiplier, Rate};
use crate::writer::{Ctx, Outcome};
use catalog::CATEGORIES;
use draw::{Rand, between, chance, index, percent_of, pick};

/// How big a business `loupe demo` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// One store, three years, about 40,000 invoice lines.
    Small,
    /// Five stores, three years, about 1,000,000 invoice lines.
    Medium,
    /// Twenty stores, five years, about 10,000,000 invoice lines.
    Large,
}

impl Scale {
    /// The spelling on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Medium => "medium",
            Scale::Large => "large",
        }
    }
}

impl FromStr for Scale {
    type Err = Error;

    fn from_str(s: &str) -> Result<Scale, Error> {
        match s {
            "small" => Ok(Scale::Small),
            "medium" => Ok(Scale::Medium),
            "large" => Ok(Scale::Large),
            _ => Err(Error::invalid("scale", s, "expected small, medium or large")),
        }
    }
}

/// Everything that shapes a demo business: the same spec gives the same books.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSpec {
    /// Seed of the random stream.
    pub seed: u64,
    /// Number of stores (at least one; transfers between stores from two on).
    pub stores: u32,
    /// The first business day.
    pub start: NaiveDate,
    /// Days of history.
    pub days: u32,
    /// Invoice lines to aim for; the run lands within a few percent.
    pub lines: u64,
    /// How the org costs its lots (FIFO by default).
    pub costing: CostingMethod,
}

/// The demo org's time zone: its "today", and so the day its books end by default, is New York's.
pub const TIME_ZONE: &str = "America/New_York";
/// The demo staff's mail: a domain reserved for examples (RFC 2606), so no demo mail reaches anyone.
pub const MAIL_DOMAIN: &str = "demo-jewelers.example";

/// The business starts on this day whatever the clock says, so a seed always gives the same books.
pub const START: NaiveDate = match NaiveDate::from_ymd_opt(2023, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

impl DemoSpec {
    /// The spec of a scale: small ≈ 1 store × 3 years × 40k lines, medium ≈ 5 stores × 3 years × 1M lines,
    /// large ≈ 20 stores × 5 years × 10M lines.
    pub fn new(scale: Scale, seed: u64) -> DemoSpec {
        let (stores, days, lines) = match scale {
            Scale::Small => (1, 1_096, 40_000),
            Scale::Medium => (5, 1_096, 1_000_000),
            Scale::Large => (20, 1_827, 10_000_000),
        };
        DemoSpec { seed, stores, start: START, days, lines, costing: CostingMethod::Fifo }
    }

    /// The spec of a scale whose books end on `until` (the day it is generated, for a first look whose reports
    /// show this month): the same seed and end day give the same books.
    pub fn ending(scale: Scale, seed: u64, until: NaiveDate) -> DemoSpec {
        let mut spec = DemoSpec::new(scale, seed);
        spec.start = until.checked_sub_days(Days::new(u64::from(spec.days.saturating_sub(1)))).unwrap_or(START);
        spec
    }

    /// The last business day.
    pub fn end(&self) -> NaiveDate {
        day_date(self.start, self.days.saturating_sub(1))
    }
}

/// How far a run got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The demo org.
    pub org_id: i64,
    /// Days simulated to the end.
    pub days_done: u32,
    /// Of how many.
    pub days: u32,
    /// The last day worked on.
    pub last_date: Option<NaiveDate>,
    /// Commands executed.
    pub commands: u64,
    /// Invoices created.
    pub invoices: u64,
    /// Invoice lines created.
    pub lines: u64,
    /// Payments and refunds recorded.
    pub payments: u64,
    /// Stopped early (Ctrl-C); everything up to the last command is in the books.
    pub stopped: bool,
    /// Commands run and time spent in them, by operation: where a run's time goes.
    pub ops: BTreeMap<&'static str, OpTime>,
}

/// How often an operation ran and how long it took in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpTime {
    /// Commands run.
    pub count: u64,
    /// Wall time spent executing them.
    pub time: Duration,
}

/// A command the generator issued was refused: a bug in the generator or in the command it exercised.
#[derive(Debug, thiserror::Error)]
#[error("demo command #{seq} ({op}) was refused: {error}\n  command: {json}")]
pub struct Failure {
    /// Its position in the run (1 = the first command).
    pub seq: u64,
    /// The operation.
    pub op: &'static str,
    /// The command as JSON, ready for `loupe ops apply`.
    pub json: String,
    /// Why it was refused.
    #[source]
    pub error: Error,
}

/// Generates the business of `spec` into `db` (a new org), calling `progress` after every simulated day.
/// Setting `stop` makes the run end after the command in flight; the report then says how far it got.
pub async fn generate(
    db: &Db,
    spec: &DemoSpec,
    stop: &AtomicBool,
    progress: &mut (dyn FnMut(&Report) + Send),
) -> Result<Report, Failure> {
    let mut g = Gen::new(db, spec, stop);
    let outcome = g.run(progress).await;
    // what ran before a stop or a refusal stands, as if each command had been its own transaction
    let committed = g.batch.commit().await;
    match (outcome, committed) {
        (Err(Halt::Failed(f)), _) => Err(*f),
        (_, Err(error)) => Err(Failure { seq: g.report.commands, op: "commit", json: String::new(), error }),
        (Ok(()), Ok(_)) => Ok(g.report),
        (Err(Halt::Stopped), Ok(_)) => {
            g.report.stopped = true;
            Ok(g.report)
        }
    }
}

/// Why a run ends early.
enum Halt {
    Stopped,
    Failed(Box<Failure>),
}

type Step<T = ()> = Result<T, Halt>;

/// A style of the catalog as the generator remembers it.
struct Style {
    id: i64,
    cat: usize,
    /// Typical unit cost at the start, in cents.
    cost: i64,
    /// Markup of retail over cost, percent.
    markup: i64,
    /// Current list price (lots sell at it).
    retail: i64,
    vendor: i64,
    /// Its vendor sends pieces on memo.
    consigns: bool,
    description: String,
}

/// A serialized piece in stock.
#[derive(Debug, Clone)]
struct Piece {
    id: i64,
    style: usize,
    cost: i64,
    retail: i64,
    consigned: bool,
    /// Day index it arrived (opening stock: 0).
    received: u32,
}

/// A style's lot at a store.
#[derive(Debug, Clone, Copy, Default)]
struct Lot {
    /// Its stock record, once the first units arrived.
    id: i64,
    qty: i64,
    /// Reorder when at or below this.
    reorder: i64,
    /// Units per order.
    order: i64,
}

/// A store and what is on its shelves.
struct Shop {
    id: i64,
    tax: Rate,
    surtax: Rate,
    threshold: Money,
    /// Relative size (1.0 = average).
    weight: f64,
    sellers: Vec<i64>,
    seller_weights: Vec<u32>,
    /// In-stock pieces by category (empty for lot categories).
    pieces: Vec<Vec<Piece>>,
    /// Pieces to keep in stock by category.
    target: Vec<i64>,
    /// Lots by style index (unused for serialized styles).
    lots: Vec<Lot>,
    /// Customers of this store, each as many times as their visits weigh.
    tickets: Vec<u32>,
}

/// A customer as the generator remembers them.
#[derive(Debug, Clone, Copy)]
struct Customer {
    id: i64,
    tickets: u32,
    /// A trade buyer: resale certificate (no tax), terms, buys lots by the dozen.
    wholesale: bool,
    /// Buys on terms (house account or trade).
    terms: bool,
}

/// What a line took out of stock.
#[derive(Debug, Clone)]
enum Took {
    Nothing,
    Piece(Piece),
    Lot { style: usize, qty: i64 },
}

/// A sale line that may come back.
#[derive(Debug, Clone)]
struct Sold {
    line_id: i64,
    customer: u32,
    shop: usize,
    out_of_state: bool,
    took: Took,
    qty: i64,
    unit_price: i64,
    adjustment: i64,
}

/// Something an earlier day set up for a later one.
#[derive(Debug, Clone)]
enum Event {
    /// The customer brings a purchase back.
    Return(Sold),
    /// The next installment of an invoice paid over time.
    Installment { invoice: i64, left: u32 },
    /// A customer on terms pays what is due.
    TermsDue { customer: u32 },
    /// A check bounces: the (invoice, amount, invoice day) it paid reopen; the customer makes good or not.
    Bounce { payment: i64, applied: Vec<(i64, i64, u32)>, repay: bool, customer: u32, shop: usize },
    /// The customer makes good a bounced check.
    Repay { customer: u32 },
    /// A cost arrives for a piece already sold (appraisal, sizing labor …).
    ItemCost { item: i64 },
    /// Someone spends (part of) a gift card.
    Redeem { card: usize },
    /// A piece out on approval comes back or is bought.
    MemoDecision { line: i64, piece: Piece, shop: usize, customer: u32, buys: bool },
    /// A repair is ready and picked up: invoiced at its price, the deposit credited, the rest paid.
    RepairPickup { order: i64, shop: usize, customer: u32, price: i64, deposit: i64 },
    /// A trade invoice on terms is reopened to add a fee the customer agreed to, and finalized again.
    Correction { invoice: i64 },
}

/// An invoice with money still owed on it.
#[derive(Debug, Clone, Copy)]
struct Open {
    customer: u32,
    shop: usize,
    day: u32,
    balance: i64,
    /// Will never be paid: written off once old.
    abandoned: bool,
}

/// A gift card sold.
#[derive(Debug, Clone)]
struct Card {
    code: String,
    balance: i64,
    shop: usize,
}

/// The generator: the spec, the random stream and its picture of the books.
struct Gen<'a> {
    db: &'a Db,
    /// Commands run in batches of a day (see [`Batch`]): the commit, not the command, dominates a small write.
    batch: Batch,
    stop: &'a AtomicBool,
    spec: DemoSpec,
    rng: Rand,
    report: Report,
    org: i64,
    day: u32,
    date: NaiveDate,
    /// Expected invoices per store-day at a factor of 1.
    base_rate: f64,
    shops: Vec<Shop>,
    styles: Vec<Style>,
    /// Style indices by category.
    by_cat: Vec<Vec<usize>>,
    /// Trade-in styles by family (jewelry, watches, diamonds).
    estate: Vec<(Family, i64)>,
    /// Vendors and whether they send pieces on memo (consignment).
    vendors: Vec<(i64, bool)>,
    partners: Vec<i64>,
    customers: Vec<Customer>,
    events: BTreeMap<u32, Vec<Event>>,
    /// Open balances by invoice id (ids grow with dates, so iteration is oldest first).
    open: BTreeMap<i64, Open>,
    /// Store credit by customer index.
    credit: HashMap<u32, i64>,
    cards: Vec<Card>,
    /// Gift card codes handed out (voided sales included, so a code is never reused).
    next_card: u64,
    /// Category weights, for drawing what a line sells.
    cat_weights: Vec<u32>,
    checks: i64,
    closed_through: Option<NaiveDate>,
}

/// Lines an invoice carries on average (used to turn a line target into a rate of invoices).
const LINES_PER_INVOICE: f64 = 1.75;
/// Share of sale lines that are services or small charges rather than stock.
const SERVICE_SHARE: f64 = 0.08;
/// Days of sales a store keeps in serialized stock.
const DAYS_OF_PIECES: f64 = 100.0;

fn day_date(start: NaiveDate, day: u32) -> NaiveDate {
    start.checked_add_days(Days::new(u64::from(day))).unwrap_or(NaiveDate::MAX)
}

/// Relative traffic of a date: the season, the day of the week, closed holidays, and 6% growth a year.
fn traffic(start: NaiveDate, day: u32) -> f64 {
    let d = day_date(start, day);
    if (d.month(), d.day()) == (12, 25) || (d.month(), d.day()) == (1, 1) {
        return 0.0;
    }
    const MONTH: [f64; 12] = [0.70, 1.05, 0.80, 0.85, 1.10, 0.95, 0.85, 0.85, 0.85, 0.90, 1.15, 2.10];
    let week = match d.weekday() {
        Weekday::Mon => 0.70,
        Weekday::Tue => 0.85,
        Weekday::Wed => 0.90,
        Weekday::Thu => 1.00,
        Weekday::Fri => 1.20,
        Weekday::Sat => 1.50,
        Weekday::Sun => 0.85,
    };
    MONTH[d.month0() as usize] * week * 1.06_f64.powf(f64::from(day) / 365.0)
}

impl<'a> Gen<'a> {
    fn new(db: &'a Db, spec: &DemoSpec, stop: &'a AtomicBool) -> Gen<'a> {
        let spec = DemoSpec {
            stores: spec.stores.clamp(1, 200),
            days: spec.days.max(1),
            lines: spec.lines.max(1),
            ..spec.clone()
        };
        Gen {
            db,
            batch: Batch::new(Ctx { actor: None, today: spec.end() }),
            stop,
            rng: Rand::seed_from_u64(spec.seed),
            report: Report { days: spec.days, ..Report::default() },
            org: 0,
            day: 0,
            date: spec.start,
            base_rate: 0.0,
            shops: Vec::new(),
            styles: Vec::new(),
            by_cat: vec![Vec::new(); CATEGORIES.len()],
            estate: Vec::new(),
            vendors: Vec::new(),
            partners: Vec::new(),
            customers: Vec::new(),
            events: BTreeMap::new(),
            open: BTreeMap::new(),
            credit: HashMap::new(),
            cards: Vec::new(),
            next_card: 0,
            cat_weights: CATEGORIES.iter().map(|c| c.weight).collect(),
            checks: 1000,
            closed_through: None,
            spec,
        }
    }

    /// Runs one command; a refusal ends the run with the command's JSON.
    async fn exec(&mut self, cmd: impl Into<Command>) -> Step<Outcome> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(Halt::Stopped);
        }
        let cmd = cmd.into();
        self.report.commands += 1;
        let started = Instant::now();
        let result = self.batch.run(self.db, &cmd).await;
        let op = self.report.ops.entry(cmd.op()).or_default();
        op.count += 1;
        op.time += started.elapsed();
        result.map_err(|e| {
            let error = match e {
                BatchError::Refused(e) => e,
                BatchError::Lost(e) => e,
            };
            Halt::Failed(Box::new(Failure {
                seq: self.report.commands,
                op: cmd.op(),
                json: serde_json::to_string(&cmd).unwrap_or_else(|e| format!("(cannot print: {e})")),
                error,
            }))
        })
    }

    async fn commit(&mut self) -> Step {
        self.batch.commit().await.map(|_| ()).map_err(|error| {
            Halt::Failed(Box::new(Failure { seq: self.report.commands, op: "commit", json: String::new(), error }))
        })
    }

    fn schedule(&mut self, after_days: i64, event: Event) {
        let day = self.day.saturating_add(u32::try_from(after_days.max(1)).unwrap_or(u32::MAX));
        if day < self.spec.days {
            self.events.entry(day).or_default().push(event);
        }
    }

    async fn run(&mut self, progress: &mut (dyn FnMut(&Report) + Send)) -> Step {
        self.setup().await?;
        for day in 0..self.spec.days {
            self.day = day;
            self.date = day_date(self.spec.start, day);
            if let Some(events) = self.events.remove(&day) {
                for e in events {
                    self.event(e).await?;
                }
            }
            let factor = traffic(self.spec.start, day);
            for s in 0..self.shops.len() {
                if matches!(self.date.weekday(), Weekday::Mon | Weekday::Thu) {
                    self.restock(s).await?;
                }
                if factor > 0.0 {
                    self.sales_day(s, factor).await?;
                }
                self.memos_hook(s).await?;
                self.work_orders_hook(s).await?;
            }
            if self.shops.len() > 1 && self.date.weekday() == Weekday::Wed {
                self.transfers().await?;
            }
            self.month_tasks().await?;
            self.commit().await?;
            self.report.days_done = day + 1;
            self.report.last_date = Some(self.date);
            progress(&self.report);
        }
        Ok(())
    }

    /// The org, its stores and people, vendors and partners, the catalog and the opening stock.
    async fn setup(&mut self) -> Step {
        let seed = self.spec.seed;
        self.org = self
            .exec(CreateOrg {
                name: format!("Demo Jewelers (seed {seed})"),
                costing_method: self.spec.costing,
                aging_basis: AgingBasis::InvoiceDate,
                time_zone: Some(TIME_ZONE.into()),
                paper_size: None,
            })
            .await?
            .id;
        self.report.org_id = self.org;
        let org = self.org;
        self.exec(CreateUser {
            org_id: org,
            username: "owner".into(),
            display_name: "Dana Whitfield".into(),
            password: None,
            groups: vec!["owner".into()],
            salesperson: true,
            commission_rate: Some(Rate(20_000)),
            store_ids: Vec::new(),
            email: Some(format!("owner@{MAIL_DOMAIN}")),
        })
        .await?;
        self.exec(CreateUser {
            org_id: org,
            username: "books".into(),
            display_name: "Marcus Bell".into(),
            password: None,
            groups: vec!["accounting".into()],
            salesperson: false,
            commission_rate: None,
            store_ids: Vec::new(),
            email: Some(format!("books@{MAIL_DOMAIN}")),
        })
        .await?;
        let mut weights: Vec<f64> = (0..self.spec.stores)
            .map(|i| if i == 0 { 1.3 } else { 0.7 + between(&mut self.rng, 0, 40) as f64 / 100.0 })
            .collect();
        let mean = weights.iter().sum::<f64>() / weights.len() as f64;
        weights.iter_mut().for_each(|w| *w /= mean);
        for (i, weight) in weights.into_iter().enumerate() {
            self.open_store(i, weight).await?;
        }
        for (name, consigns) in catalog::VENDORS {
            let id = self
                .exec(CreateContact {
                    org_id: org,
                    name: (*name).into(),
                    vendor: true,
                    email: Some(format!("orders@{}.example", name.to_lowercase().replace([' ', '.'], ""))),
                    terms_days: Some(30),
                    created_on: Some(self.date),
                    ..CreateContact::default()
                })
                .await?
                .id;
            self.vendors.push((id, *consigns));
        }
        for name in catalog::PARTNERS {
            let id = self
                .exec(CreateContact {
                    org_id: org,
                    name: (*name).into(),
                    partner: true,
                    created_on: Some(self.date),
                    ..CreateContact::default()
                })
                .await?
                .id;
            self.partners.push(id);
        }
        self.create_styles().await?;
        self.base_rate = self.invoice_rate();
        self.plan_stock();
        for s in 0..self.shops.len() {
            self.opening_stock(s).await?;
        }
        Ok(())
    }

    async fn open_store(&mut self, i: usize, weight: f64) -> Step {
        let (code, name, tax, surtax, threshold) = catalog::STORES[i % catalog::STORES.len()];
        let round = i / catalog::STORES.len();
        let (code, name) = if round == 0 {
            (code.to_string(), name.to_string())
        } else {
            (format!("{code}{}", round + 1), format!("{name} {}", round + 1))
        };
        let tax: Rate = tax.parse().unwrap_or(Rate::ZERO);
        let surtax: Rate = surtax.parse().unwrap_or(Rate::ZERO);
        let threshold = Money::dollars(threshold);
        let id = self
            .exec(CreateStore {
                org_id: self.org,
                code: code.clone(),
                name,
                tax_rate: tax,
                surtax_rate: surtax,
                surtax_threshold: threshold,
                retail_multiplier: Multiplier(2_200_000),
                wholesale_multiplier: Multiplier(1_450_000),
            })
            .await?
            .id;
        // a manager and a floor of salespeople; bigger stores have more of them
        let staff = 2 + (weight * 3.0).round() as i64 + between(&mut self.rng, 0, 1);
        let mut sellers = Vec::new();
        let mut seller_weights = Vec::new();
        for n in 0..staff {
            let first = *pick(&mut self.rng, catalog::FIRST);
            let last = *pick(&mut self.rng, catalog::LAST);
            let manager = n == 0;
            let commission = Rate(between(&mut self.rng, 2, 6) * 10_000);
            let uid = self
                .exec(CreateUser {
                    org_id: self.org,
                    username: format!("{}.{}.{}", first.to_lowercase(), code.to_lowercase(), n + 1),
                    display_name: format!("{first} {last}"),
                    password: None,
                    groups: vec![if manager { "manager" } else { "sales" }.into()],
                    salesperson: true,
                    commission_rate: Some(commission),
                    store_ids: vec![id],
                    email: Some(format!("{}.{}.{}@{MAIL_DOMAIN}", first.to_lowercase(), code.to_lowercase(), n + 1)),
                })
                .await?
                .id;
            sellers.push(uid);
            // a star or two sells far more than the rest
            seller_weights.push(if chance(&mut self.rng, 0.25) { 5 } else { between(&mut self.rng, 1, 3) as u32 });
        }
        self.shops.push(Shop {
            id,
            tax,
            surtax,
            threshold,
            weight,
            sellers,
            seller_weights,
            pieces: vec![Vec::new(); CATEGORIES.len()],
            target: vec![0; CATEGORIES.len()],
            lots: Vec::new(),
            tickets: Vec::new(),
        });
        Ok(())
    }

    async fn create_styles(&mut self) -> Step {
        let per_cat = 12 + ((self.spec.lines as f64).cbrt() / 4.0).round() as usize;
        for (c, cat) in CATEGORIES.iter().enumerate() {
            for n in 0..per_cat {
                let look = *pick(&mut self.rng, cat.looks);
                let variant = match cat.family {
                    Family::Diamonds | Family::ColoredStones => {
                        format!("{} ct", pick(&mut self.rng, &["0.30", "0.50", "0.70", "0.90", "1.00", "1.50", "2.00"]))
                    }
                    Family::Watches => (*pick(&mut self.rng, &["steel", "titanium", "two-tone", "18k gold"])).into(),
                    _ => (*pick(&mut self.rng, catalog::VARIANTS)).into(),
                };
                let cost = draw::lognormal_cents(&mut self.rng, cat.median_cost_cents, cat.sigma);
                let markup = between(&mut self.rng, cat.markup.0, cat.markup.1);
                let retail = draw::price_point(percent_of(cost, markup));
                let (vendor, consigns) = self.vendor_for(cat.family);
                let description = format!("{look}, {variant}");
                let id = self
                    .exec(crate::catalog::CreateStyle {
                        org_id: self.org,
                        style_no: format!("{}-{:04}", cat.prefix, n + 1),
                        family: cat.family,
                        category: cat.name.into(),
                        description: description.clone(),
                        vendor_id: Some(vendor),
                        serialized: cat.serialized,
                        retail_price: Money(retail),
                    })
                    .await?
                    .id;
                self.by_cat[c].push(self.styles.len());
                self.styles.push(Style { id, cat: c, cost, markup, retail, vendor, consigns, description });
            }
        }
        for (family, style_no, description, retail) in catalog::ESTATE {
            let id = self
                .exec(crate::catalog::CreateStyle {
                    org_id: self.org,
                    style_no: (*style_no).into(),
                    family: *family,
                    category: "estate".into(),
                    description: (*description).into(),
                    vendor_id: None,
                    serialized: true,
                    retail_price: Money(*retail),
                })
                .await?
                .id;
            self.estate.push((*family, id));
        }
        Ok(())
    }

    fn vendor_for(&mut self, family: Family) -> (i64, bool) {
        let choices: &[usize] = match family {
            Family::Jewelry => &[0, 1, 2, 7, 8],
            Family::Watches => &[4, 11],
            Family::Diamonds => &[3, 9],
            Family::ColoredStones => &[5],
            Family::Pearls => &[6, 10],
        };
        self.vendors[*pick(&mut self.rng, choices)]
    }

    /// Invoices per store-day at traffic 1, so that the whole run lands near the line target.
    fn invoice_rate(&self) -> f64 {
        let traffic_days: f64 = (0..self.spec.days).map(|d| traffic(self.spec.start, d)).sum();
        let shops: f64 = self.shops.iter().map(|s| s.weight).sum();
        self.spec.lines as f64 / (traffic_days * shops * LINES_PER_INVOICE).max(1.0)
    }

    /// Stock levels: pieces for about a hundred days of sales; lots reordered at three weeks of demand.
    fn plan_stock(&mut self) {
        let total_weight: f64 = CATEGORIES.iter().map(|c| f64::from(c.weight)).sum();
        let mean_traffic: f64 =
            (0..self.spec.days).map(|d| traffic(self.spec.start, d)).sum::<f64>() / f64::from(self.spec.days);
        for shop in &mut self.shops {
            let lines_a_day = self.base_rate * shop.weight * mean_traffic * LINES_PER_INVOICE * (1.0 - SERVICE_SHARE);
            shop.lots = vec![Lot::default(); self.styles.len()];
            for (c, cat) in CATEGORIES.iter().enumerate() {
                let per_day = lines_a_day * f64::from(cat.weight) / total_weight;
                if cat.serialized {
                    shop.target[c] = ((per_day * DAYS_OF_PIECES).round() as i64).max(4);
                } else {
                    let styles = self.by_cat[c].len().max(1) as f64;
                    // wholesale buyers take dozens, so units run ahead of lines
                    let units = per_day * 1.6 / styles;
                    for &s in &self.by_cat[c] {
                        shop.lots[s].reorder = (units * 21.0).ceil() as i64 + 1;
                        shop.lots[s].order = ((units * 60.0).ceil() as i64).max(6);
                    }
                }
            }
        }
    }

    /// Picks who walks in: a new customer, or a returning one in proportion to how often they come back.
    async fn customer(&mut self, s: usize) -> Step<u32> {
        let shops = self.shops.len();
        let visiting = shops > 1 && chance(&mut self.rng, 0.04);
        let from = if visiting { index(&mut self.rng, shops) } else { s };
        let tickets = self.shops[from].tickets.len();
        if tickets == 0 || chance(&mut self.rng, 0.36) {
            return self.new_customer(s).await;
        }
        let t = index(&mut self.rng, tickets);
        Ok(self.shops[from].tickets[t])
    }

    async fn new_customer(&mut self, s: usize) -> Step<u32> {
        // about one new account in a hundred is a trade buyer (the 40th, the 140th …)
        let wholesale = self.customers.len() % 100 == 39;
        let house = !wholesale && chance(&mut self.rng, 0.02);
        let first = *pick(&mut self.rng, catalog::FIRST);
        let last = *pick(&mut self.rng, catalog::LAST);
        let n = self.customers.len() + 1;
        let name = if wholesale {
            format!("{last} {}", pick(&mut self.rng, catalog::TRADE))
        } else {
            format!("{first} {last}")
        };
        let email = chance(&mut self.rng, 0.6).then(|| format!("{}.{}{n}@mail.example", first, last).to_lowercase());
        let phone = chance(&mut self.rng, 0.7)
            .then(|| format!("555-{:03}-{:04}", between(&mut self.rng, 200, 999), between(&mut self.rng, 0, 9999)));
        let address = chance(&mut self.rng, 0.5)
            .then(|| format!("{} {}", between(&mut self.rng, 1, 9999), pick(&mut self.rng, catalog::STREETS)));
        let resale_certificate = wholesale.then(|| format!("RC-{:07}", between(&mut self.rng, 0, 9_999_999)));
        let id = self
            .exec(CreateContact {
                org_id: self.org,
                name,
                email,
                phone,
                address,
                customer: true,
                resale_certificate,
                terms_days: (wholesale || house).then_some(30),
                created_on: Some(self.date),
                ..CreateContact::default()
            })
            .await?
            .id;
        let tickets = if wholesale {
            between(&mut self.rng, 30, 120) as u32
        } else if house {
            draw::pareto_tickets(&mut self.rng).max(10)
        } else {
            draw::pareto_tickets(&mut self.rng)
        };
        let c = u32::try_from(self.customers.len()).unwrap_or(u32::MAX);
        self.customers.push(Customer { id, tickets, wholesale, terms: wholesale || house });
        // the first visit is this one; the tickets weigh the visits to come
        let shop = &mut self.shops[s];
        shop.tickets.extend(std::iter::repeat_n(c, tickets as usize));
        Ok(c)
    }

    async fn month_tasks(&mut self) -> Step {
        let d = self.date;
        if d.day() == 1 {
            self.write_offs().await?;
            self.consignment_returns().await?;
            if matches!(d.month(), 1 | 4 | 7 | 10) {
                self.counts().await?;
            }
        }
        if d.day() == 15 {
            if d.month() == 1 && d.year() > self.spec.start.year() {
                self.price_increase().await?;
            }
            // books close through the end of the month before last: late checks and costs still land
            let first_of_month = d.with_day(1).unwrap_or(d);
            let through = first_of_month
                .checked_sub_months(chrono::Months::new(1))
                .and_then(|m| m.pred_opt())
                .unwrap_or(self.spec.start);
            if through >= self.spec.start && self.closed_through.is_none_or(|c| c < through) {
                self.exec(ClosePeriod { org_id: self.org, through }).await?;
                self.closed_through = Some(through);
            }
        }
        Ok(())
    }

    /// A few times a week a store sends a serialized piece out on approval; within weeks the customer buys
    /// it (the memo line is invoiced at the memo price) or brings it back, and some stay out.
    async fn memos_hook(&mut self, s: usize) -> Step {
        // about one memo for every 170 invoice lines of the store
        let lines_a_day = self.base_rate * self.shops[s].weight * LINES_PER_INVOICE;
        if !chance(&mut self.rng, (lines_a_day * 0.006).min(1.0)) {
            return Ok(());
        }
        let stocked: Vec<usize> = (0..CATEGORIES.len()).filter(|&c| !self.shops[s].pieces[c].is_empty()).collect();
        if stocked.is_empty() {
            return Ok(());
        }
        let c = *pick(&mut self.rng, &stocked);
        let i = index(&mut self.rng, self.shops[s].pieces[c].len());
        let piece = self.shops[s].pieces[c].swap_remove(i);
        let customer = self.customer(s).await?;
        let out = self
            .exec(crate::memos::IssueMemo {
                org_id: self.org,
                store_id: self.shops[s].id,
                customer_id: self.customers[customer as usize].id,
                salesperson_id: None,
                memo_date: Some(self.date),
                due_date: self.date.checked_add_days(Days::new(30)),
                note: None,
                lines: vec![crate::memos::IssueMemoLine { item_id: piece.id, qty: 1, memo_price: Money(piece.retail) }],
            })
            .await?;
        let line = out.ids[0];
        // about half are bought, a third come back, the rest are still out when the books end
        match between(&mut self.rng, 0, 99) {
            0..=49 => {
                let after = between(&mut self.rng, 3, 40);
                self.schedule(after, Event::MemoDecision { line, piece, shop: s, customer, buys: true });
            }
            50..=84 => {
                let after = between(&mut self.rng, 5, 60);
                self.schedule(after, Event::MemoDecision { line, piece, shop: s, customer, buys: false });
            }
            _ => {}
        }
        Ok(())
    }

    /// The customer decides on a piece out on approval.
    pub(super) async fn memo_decision(&mut self, line: i64, piece: Piece, s: usize, customer: u32, buys: bool) -> Step {
        if !buys {
            self.exec(crate::memos::ReturnMemoLine {
                org_id: self.org,
                memo_line_id: line,
                returned_on: Some(self.date),
            })
            .await?;
            let c = self.styles[piece.style].cat;
            self.shops[s].pieces[c].push(piece);
            return Ok(());
        }
        let who = self.customers[customer as usize];
        let invoice = self
            .exec(crate::sales::CreateInvoice {
                org_id: self.org,
                store_id: self.shops[s].id,
                customer_id: who.id,
                salesperson_id: None,
                invoice_date: Some(self.date),
                terms_days: None,
                out_of_state: false,
                freight: Money::ZERO,
                fees: Money::ZERO,
                note: None,
                lines: vec![crate::sales::LineInput {
                    kind: Some(crate::types::LineKind::Sale),
                    memo_line_id: Some(line),
                    ..Default::default()
                }],
                finalize: true,
                payments: Vec::new(),
            })
            .await?;
        self.report.invoices += 1;
        self.report.lines += 1;
        let total = self.total_of(s, who.wholesale, piece.retail);
        self.pay_in_full(s, who.id, invoice.id, total).await
    }

    /// Invoice total of one taxable line of `amount` at store `s`.
    fn total_of(&self, s: usize, exempt: bool, amount: i64) -> i64 {
        let shop = &self.shops[s];
        let line = crate::sales::tax::TaxLine { qty: 1, amount: Money(amount), taxable: true };
        let t = crate::sales::tax::compute(&[line], shop.tax, shop.surtax, shop.threshold, exempt, ("lines", ""))
            .unwrap_or(crate::sales::tax::Tax::NONE);
        amount + t.tax.0 + t.surtax.0
    }

    async fn pay_in_full(&mut self, s: usize, customer: i64, invoice: i64, amount: i64) -> Step {
        if amount <= 0 {
            return Ok(());
        }
        self.exec(crate::sales::RecordPayment {
            org_id: self.org,
            store_id: self.shops[s].id,
            customer_id: customer,
            paid_on: Some(self.date),
            method: crate::types::PaymentMethod::Card,
            amount: Money(amount),
            reference: None,
            gift_card_code: None,
            work_order_id: None,
            apply: crate::sales::Apply::To(vec![crate::sales::Application {
                invoice_id: invoice,
                amount: Money(amount),
            }]),
        })
        .await?;
        Ok(())
    }

    /// Repairs come in most days: taken in with an estimate (often half paid as a deposit), bench labor and
    /// material booked, picked up days later on an invoice whose service line carries the bench cost.
    async fn work_orders_hook(&mut self, s: usize) -> Step {
        // about one repair for every 50 invoice lines of the store
        let lines_a_day = self.base_rate * self.shops[s].weight * LINES_PER_INVOICE;
        if !chance(&mut self.rng, (lines_a_day * 0.02).min(1.0)) {
            return Ok(());
        }
        let customer = self.customer(s).await?;
        let who = self.customers[customer as usize];
        let (what, low, high) = *pick(
            &mut self.rng,
            &[
                ("Ring sizing", 35, 90),
                ("Retip prongs", 60, 180),
                ("Chain solder", 25, 60),
                ("Watch battery and reseal", 20, 45),
                ("Restring pearls", 60, 150),
            ],
        );
        let price = between(&mut self.rng, low, high) * 100;
        let order = self
            .exec(crate::work_orders::CreateWorkOrder {
                org_id: self.org,
                store_id: self.shops[s].id,
                kind: crate::types::WorkOrderKind::Repair,
                customer_id: Some(who.id),
                description: what.to_string(),
                opened_on: Some(self.date),
                promised_on: self.date.checked_add_days(Days::new(7)),
                estimate: Money(price),
                style_id: None,
            })
            .await?
            .id;
        let deposit = if chance(&mut self.rng, 0.5) { price / 2 } else { 0 };
        if deposit > 0 {
            self.exec(crate::sales::RecordPayment {
                org_id: self.org,
                store_id: self.shops[s].id,
                customer_id: who.id,
                paid_on: Some(self.date),
                method: crate::types::PaymentMethod::Cash,
                amount: Money(deposit),
                reference: None,
                gift_card_code: None,
                work_order_id: Some(order),
                apply: crate::sales::Apply::Rule(crate::sales::ApplyRule::None),
            })
            .await?;
        }
        let labor = percent_of(price, between(&mut self.rng, 25, 45));
        self.exec(crate::work_orders::AddBenchCost {
            org_id: self.org,
            work_order_id: order,
            kind: crate::types::BenchCostKind::Labor,
            amount: Money(labor.max(100)),
            cost_date: Some(self.date),
            note: None,
        })
        .await?;
        let after = between(&mut self.rng, 2, 12);
        self.schedule(after, Event::RepairPickup { order, shop: s, customer, price, deposit });
        Ok(())
    }

    /// A repair is picked up.
    pub(super) async fn repair_pickup(
        &mut self,
        order: i64,
        s: usize,
        customer: u32,
        price: i64,
        deposit: i64,
    ) -> Step {
        let who = self.customers[customer as usize];
        let done = self
            .exec(crate::work_orders::CompleteWorkOrder {
                org_id: self.org,
                work_order_id: order,
                price: Money(price),
                invoice_date: Some(self.date),
                salesperson_id: None,
                taxable: None,
            })
            .await?;
        self.report.invoices += 1;
        self.report.lines += 1;
        let total = self.total_of(s, who.wholesale, price);
        self.pay_in_full(s, who.id, done.ids[0], total - deposit).await
    }
}
