//! What the counter and the back office look up in the books as they are this moment (the lake is for
//! analysis; these are the transactional view): an item by the stock number on its tag, invoices with one's
//! lines, payments and history, contacts, memos, work orders by lane, and a quick find across them all. Always
//! within one org and the caller's stores — a user limited to some stores finds nothing of another — and every
//! list is paged and bounded ([`MAX_PAGE`] rows at most).

use chrono::NaiveDate;
use serde::Serialize;

use crate::db::{Db, Q, Row};
use crate::error::{Error, Result};
use crate::types::Money;

/// The most rows a page holds.
pub const MAX_PAGE: i64 = 200;
/// Rows in a page when the caller does not say.
pub const PAGE: i64 = 50;
/// Matches of each kind a quick find returns.
pub const FIND_EACH: i64 = 5;

/// Whose books, and which of its stores (`None`: all of the org's).
#[derive(Debug, Clone)]
pub struct Within {
    /// The org.
    pub org_id: i64,
    /// The stores, if limited.
    pub stores: Option<Vec<i64>>,
}

impl Within {
    /// `column` among the caller's stores, as SQL (store ids are numbers, so they are written in).
    fn stores(&self, column: &str) -> String {
        match &self.stores {
            None => "1 = 1".into(),
            Some(s) if s.is_empty() => "1 = 0".into(),
            Some(s) => format!("{column} in ({})", s.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")),
        }
    }
}

/// Which page of a list.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Rows in it.
    pub limit: i64,
    /// Rows before it.
    pub offset: i64,
}

impl Page {
    /// A page as asked (`limit` 1 to [`MAX_PAGE`], default [`PAGE`]; `offset` from 0).
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Page> {
        let limit = limit.unwrap_or(PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::invalid("limit", limit, format!("rows in a page: 1 to {MAX_PAGE}")));
        }
        let offset = offset.unwrap_or(0);
        if offset < 0 {
            return Err(Error::invalid("offset", offset, "rows to skip: 0 or more"));
        }
        Ok(Page { limit, offset })
    }
}

impl Default for Page {
    fn default() -> Page {
        Page { limit: PAGE, offset: 0 }
    }
}

/// A page of a list, with how many rows the whole list has.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Paged<T> {
    /// This page's rows.
    pub rows: Vec<T>,
    /// Rows in the whole list.
    pub total: i64,
    /// The page's size.
    pub limit: i64,
    /// Rows before it.
    pub offset: i64,
}

/// Text to look for, as a `like` pattern matching it anywhere, case aside; `%`, `_` and `\` in it are taken
/// literally.
fn pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Refuses text to look for that is empty or longer than a search needs.
fn needle(field: &str, text: &str) -> Result<()> {
    let n = text.trim().chars().count();
    if n == 0 {
        return Err(Error::invalid(field, "(empty)", "give something to look for"));
    }
    if n > 100 {
        return Err(Error::invalid(field, format!("({n} characters)"), "at most 100 characters"));
    }
    Ok(())
}

fn money(r: &Row, column: &str) -> Result<Money> {
    r.i64(column).map(Money::cents)
}

/// A page of `sql`'s rows (ordered, without limit), with `count` (a `select count(*) as n`, the same filter
/// without what only shapes the rows) for the whole list's size.
async fn paged<T>(
    db: &Db,
    sql: &str,
    count: &str,
    binds: &[Arg],
    page: Page,
    row: impl Fn(&Row) -> Result<T>,
) -> Result<Paged<T>> {
    let mut count = Q::built(count.to_string());
    for b in binds {
        count = b.bind(count);
    }
    let total = db.fetch_one(count).await?.i64("n")?;
    let mut q = Q::built(format!("{sql} limit {} offset {}", page.limit, page.offset));
    for b in binds {
        q = b.bind(q);
    }
    let rows = db.fetch_all(q).await?.iter().map(row).collect::<Result<Vec<T>>>()?;
    Ok(Paged { rows, total, limit: page.limit, offset: page.offset })
}

/// A value to bind to a built query.
#[derive(Debug, Clone)]
enum Arg {
    Int(i64),
    Text(String),
    Date(NaiveDate),
}

impl Arg {
    fn bind(&self, q: Q) -> Q {
        match self {
            Arg::Int(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.clone()),
            Arg::Date(v) => q.bind(*v),
        }
    }
}

/// Conditions and their values, numbered as they are added.
#[derive(Debug, Default)]
struct Filter {
    conditions: Vec<String>,
    args: Vec<Arg>,
}

impl Filter {
    /// Adds a condition whose `?` marks are the next placeholders.
    fn add(&mut self, condition: &str, args: Vec<Arg>) {
        let mut c = String::new();
        let mut n = self.args.len();
        for ch in condition.chars() {
            if ch == '?' {
                n += 1;
                c.push_str(&format!("${n}"));
            } else {
                c.push(ch);
            }
        }
        self.conditions.push(c);
        self.args.extend(args);
    }

    fn sql(&self) -> String {
        if self.conditions.is_empty() { "1 = 1".into() } else { self.conditions.join(" and ") }
    }
}

/// A store of the org, as a switcher lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoreRef {
    /// Its id.
    pub id: i64,
    /// Its short code.
    pub code: String,
    /// Its name.
    pub name: String,
}

/// The org's name and the stores `within` covers (active ones, by code): what a page's top bar shows.
pub async fn place(db: &Db, within: &Within) -> Result<(String, Vec<StoreRef>)> {
    let org = db.fetch_one(Q::new("select name from orgs where id = $1").bind(within.org_id)).await?.text("name")?;
    let sql = format!(
        "select id, code, name from stores where org_id = $1 and active and {} order by code, id",
        within.stores("id")
    );
    let stores = db
        .fetch_all(Q::built(sql).bind(within.org_id))
        .await?
        .iter()
        .map(|r| Ok(StoreRef { id: r.i64("id")?, code: r.text("code")?, name: r.text("name")? }))
        .collect::<Result<Vec<_>>>()?;
    Ok((org, stores))
}

/// A stock record as the counter sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Item {
    /// Its id.
    pub id: i64,
    /// The stock number on its tag (the tag's barcode encodes it).
    pub stock_no: String,
    /// Where it is.
    pub store_id: i64,
    /// That store's name.
    pub store: String,
    /// Its style.
    pub style_id: i64,
    /// The style's number.
    pub style_no: String,
    /// What it is.
    pub description: String,
    /// jewelry, watches, diamonds, colored_stones, pearls.
    pub family: String,
    /// The style's category.
    pub category: String,
    /// A serialized piece (one of a kind) or a lot.
    pub serialized: bool,
    /// owned or consigned.
    pub ownership: String,
    /// in_stock, on_memo, sold, returned_to_vendor, scrapped, voided, lot.
    pub status: String,
    /// Units on hand.
    pub qty_on_hand: i64,
    /// Units out on memo.
    pub qty_on_memo: i64,
    /// Its ticket price.
    pub retail_price: Money,
}

const ITEM: &str = "select i.id, i.stock_no, i.store_id, s.name as store, i.style_id, st.style_no,
    coalesce(i.description, st.description) as description, st.family, st.category, i.serialized, i.ownership,
    i.status, i.qty_on_hand, i.qty_on_memo,
    case when i.retail_price_cents > 0 then i.retail_price_cents else st.retail_price_cents end as retail_price_cents
    from items i join stores s on s.id = i.store_id join styles st on st.id = i.style_id";

fn item_row(r: &Row) -> Result<Item> {
    Ok(Item {
        id: r.i64("id")?,
        stock_no: r.text("stock_no")?,
        store_id: r.i64("store_id")?,
        store: r.text("store")?,
        style_id: r.i64("style_id")?,
        style_no: r.text("style_no")?,
        description: r.text("description")?,
        family: r.text("family")?,
        category: r.text("category")?,
        serialized: r.bool("serialized")?,
        ownership: r.text("ownership")?,
        status: r.text("status")?,
        qty_on_hand: r.i64("qty_on_hand")?,
        qty_on_memo: r.i64("qty_on_memo")?,
        retail_price: money(r, "retail_price_cents")?,
    })
}

/// The item whose tag reads `code` (its stock number, as typed or scanned: case and spaces around aside).
pub async fn item(db: &Db, within: &Within, code: &str) -> Result<Item> {
    needle("code", code)?;
    let sql = format!("{ITEM} where i.org_id = $1 and lower(i.stock_no) = $2 and {}", within.stores("i.store_id"));
    let q = Q::built(sql).bind(within.org_id).bind(code.trim().to_lowercase());
    let row = db.fetch_optional(q).await?.ok_or_else(|| Error::not_found("item", code.trim()))?;
    item_row(&row)
}

/// An invoice in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvoiceRow {
    /// Its id.
    pub id: i64,
    /// Its number.
    pub invoice_no: String,
    /// Its date.
    pub invoice_date: NaiveDate,
    /// When it is due.
    pub due_date: NaiveDate,
    /// open (a draft), finalized or voided.
    pub status: String,
    /// The store.
    pub store_id: i64,
    /// The customer.
    pub customer_id: i64,
    /// Their name.
    pub customer: String,
    /// The salesperson.
    pub salesperson_id: Option<i64>,
    /// What it comes to.
    pub total: Money,
    /// What has been paid against it (applications not voided).
    pub paid: Money,
}

const INVOICE_ROW: &str = "select i.id, i.invoice_no, i.invoice_date, i.due_date, i.status, i.store_id, i.customer_id,
    c.name as customer, i.salesperson_id, i.total_cents,
    coalesce((select sum(a.amount_cents) from payment_applications a where a.invoice_id = i.id and a.voided_on is null), 0)
      as paid_cents
    from invoices i join contacts c on c.id = i.customer_id";

fn invoice_row(r: &Row) -> Result<InvoiceRow> {
    Ok(InvoiceRow {
        id: r.i64("id")?,
        invoice_no: r.text("invoice_no")?,
        invoice_date: r.date("invoice_date")?,
        due_date: r.date("due_date")?,
        status: r.text("status")?,
        store_id: r.i64("store_id")?,
        customer_id: r.i64("customer_id")?,
        customer: r.text("customer")?,
        salesperson_id: r.opt_i64("salesperson_id")?,
        total: money(r, "total_cents")?,
        paid: money(r, "paid_cents")?,
    })
}

/// Which invoices a list shows.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// One customer's.
    pub customer_id: Option<i64>,
    /// One store's.
    pub store_id: Option<i64>,
    /// open, finalized or voided.
    pub status: Option<String>,
    /// Dated on or after.
    pub from: Option<NaiveDate>,
    /// Dated on or before.
    pub to: Option<NaiveDate>,
    /// Its number contains this.
    pub number: Option<String>,
}

/// Invoices, newest first.
pub async fn invoices(db: &Db, within: &Within, f: &InvoiceFilter, page: Page) -> Result<Paged<InvoiceRow>> {
    let mut w = Filter::default();
    w.add("i.org_id = ?", vec![Arg::Int(within.org_id)]);
    w.add(&within.stores("i.store_id"), vec![]);
    if let Some(c) = f.customer_id {
        w.add("i.customer_id = ?", vec![Arg::Int(c)]);
    }
    if let Some(s) = f.store_id {
        w.add("i.store_id = ?", vec![Arg::Int(s)]);
    }
    if let Some(s) = &f.status {
        if !["open", "finalized", "voided"].contains(&s.as_str()) {
            return Err(Error::invalid("status", s, "open, finalized or voided"));
        }
        w.add("i.status = ?", vec![Arg::Text(s.clone())]);
    }
    if let Some(d) = f.from {
        w.add("i.invoice_date >= ?", vec![Arg::Date(d)]);
    }
    if let Some(d) = f.to {
        w.add("i.invoice_date <= ?", vec![Arg::Date(d)]);
    }
    if let Some(n) = &f.number {
        needle("number", n)?;
        w.add("lower(i.invoice_no) like ? escape '\\'", vec![Arg::Text(pattern(n))]);
    }
    // the page's ids come from the (org, date) index in order; only its rows are joined and summed
    let sql = format!(
        "{INVOICE_ROW} join (select i.id as page_id from invoices i where {w} order by i.org_id, i.invoice_date desc, \
         i.id desc limit {} offset {}) as p on p.page_id = i.id order by i.invoice_date desc, i.id desc",
        page.limit,
        page.offset,
        w = w.sql()
    );
    let count = format!("select cast(count(*) as bigint) as n from invoices i where {}", w.sql());
    paged(db, &sql, &count, &w.args, Page { limit: page.limit, offset: 0 }, invoice_row)
        .await
        .map(|p| Paged { offset: page.offset, ..p })
}

/// A line of an invoice.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvoiceLine {
    /// Its id.
    pub id: i64,
    /// Its place on the invoice.
    pub line_no: i64,
    /// sale, return, trade_in, service, gift_card, misc.
    pub kind: String,
    /// The stock record sold or returned.
    pub item_id: Option<i64>,
    /// Its stock number.
    pub stock_no: Option<String>,
    /// What it says.
    pub description: String,
    /// Units.
    pub qty: i64,
    /// Price of one.
    pub unit_price: Money,
    /// The line's amount.
    pub amount: Money,
    /// Whether tax applies.
    pub taxable: bool,
}

/// A payment applied to an invoice.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Applied {
    /// The payment.
    pub payment_id: i64,
    /// When it was paid.
    pub paid_on: NaiveDate,
    /// How.
    pub method: String,
    /// Its reference (card authorization, check number).
    pub reference: Option<String>,
    /// How much of it went to this invoice.
    pub amount: Money,
    /// When the application was voided, if it was.
    pub voided_on: Option<NaiveDate>,
}

/// A change in an invoice's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Event {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who (`None`: the operator).
    pub actor: Option<String>,
    /// What changed: invoices, invoice_lines, payment_applications.
    pub entity: String,
    /// Which row.
    pub entity_id: i64,
    /// create, update, delete, restore.
    pub action: String,
    /// The columns it changed, as they became (JSON).
    pub after: Option<serde_json::Value>,
}

/// One invoice whole.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Invoice {
    /// The invoice as listed.
    #[serde(flatten)]
    pub head: InvoiceRow,
    /// Its subtotal, tax and surtax.
    pub subtotal: Money,
    /// Sales tax.
    pub tax: Money,
    /// Surtax (luxury tax over a threshold).
    pub surtax: Money,
    /// Its note.
    pub note: Option<String>,
    /// Its lines.
    pub lines: Vec<InvoiceLine>,
    /// Payments applied to it.
    pub payments: Vec<Applied>,
    /// Every change to it, its lines and its payments' applications, oldest first.
    pub history: Vec<Event>,
}

/// The invoice `id`, if it is the caller's to see.
pub async fn invoice(db: &Db, within: &Within, id: i64) -> Result<Invoice> {
    let sql = format!("{INVOICE_ROW_WIDE} where i.id = $1 and i.org_id = $2 and {}", within.stores("i.store_id"));
    let r = db
        .fetch_optional(Q::built(sql).bind(id).bind(within.org_id))
        .await?
        .ok_or_else(|| Error::not_found("invoice", id))?;
    let head = invoice_row(&r)?;
    let lines = db
        .fetch_all(crate::q!(
            "select l.id, l.line_no, l.kind, l.item_id, it.stock_no, l.description, l.qty, l.unit_price_cents,
             l.amount_cents, l.taxable
             from invoice_lines l left join items it on it.id = l.item_id
             where l.invoice_id = $1 order by l.line_no",
            id
        ))
        .await?
        .iter()
        .map(|l| {
            Ok(InvoiceLine {
                id: l.i64("id")?,
                line_no: l.i64("line_no")?,
                kind: l.text("kind")?,
                item_id: l.opt_i64("item_id")?,
                stock_no: l.opt_text("stock_no")?,
                description: l.text("description")?,
                qty: l.i64("qty")?,
                unit_price: money(l, "unit_price_cents")?,
                amount: money(l, "amount_cents")?,
                taxable: l.bool("taxable")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let payments = db
        .fetch_all(crate::q!(
            "select a.payment_id, p.paid_on, p.method, p.reference, a.amount_cents, a.voided_on
             from payment_applications a join payments p on p.id = a.payment_id
             where a.invoice_id = $1 order by a.applied_on, a.id",
            id
        ))
        .await?
        .iter()
        .map(|p| {
            Ok(Applied {
                payment_id: p.i64("payment_id")?,
                paid_on: p.date("paid_on")?,
                method: p.text("method")?,
                reference: p.opt_text("reference")?,
                amount: money(p, "amount_cents")?,
                voided_on: p.opt_date("voided_on")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let history = db
        .fetch_all(crate::q!(
            "select cast(a.at as text) as at, u.display_name as actor, a.entity, a.entity_id, a.action, a.after
             from audit_log a left join users u on u.id = a.actor_id
             where a.org_id = $2 and (
               (a.entity = 'invoices' and a.entity_id = $1)
               or (a.entity = 'invoice_lines' and a.entity_id in (select id from invoice_lines where invoice_id = $1))
               or (a.entity = 'payment_applications'
                   and a.entity_id in (select id from payment_applications where invoice_id = $1)))
             order by a.id",
            id,
            within.org_id
        ))
        .await?
        .iter()
        .map(|e| {
            Ok(Event {
                at: e.text("at")?,
                actor: e.opt_text("actor")?,
                entity: e.text("entity")?,
                entity_id: e.i64("entity_id")?,
                action: e.text("action")?,
                after: e.opt_text("after")?.and_then(|a| serde_json::from_str(&a).ok()),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Invoice {
        head,
        subtotal: money(&r, "subtotal_cents")?,
        tax: money(&r, "tax_cents")?,
        surtax: money(&r, "surtax_cents")?,
        note: r.opt_text("note")?,
        lines,
        payments,
        history,
    })
}

const INVOICE_ROW_WIDE: &str = "select i.id, i.invoice_no, i.invoice_date, i.due_date, i.status, i.store_id,
    i.customer_id, c.name as customer, i.salesperson_id, i.total_cents, i.subtotal_cents, i.tax_cents,
    i.surtax_cents, i.note,
    coalesce((select sum(a.amount_cents) from payment_applications a where a.invoice_id = i.id and a.voided_on is null), 0)
      as paid_cents
    from invoices i join contacts c on c.id = i.customer_id";

/// A contact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Contact {
    /// Its id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// A customer.
    pub customer: bool,
    /// A vendor.
    pub vendor: bool,
}

fn contact_row(r: &Row) -> Result<Contact> {
    Ok(Contact {
        id: r.i64("id")?,
        name: r.text("name")?,
        email: r.opt_text("email")?,
        phone: r.opt_text("phone")?,
        customer: r.bool("is_customer")?,
        vendor: r.bool("is_vendor")?,
    })
}

/// The phone number's digits, for matching however it was typed.
fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Contacts (not merged away) whose name, email or phone contains `text` (a phone by its digits), by name.
/// Contacts belong to the whole org: every store's staff serve the same customers.
pub async fn contacts(db: &Db, within: &Within, text: &str, page: Page) -> Result<Paged<Contact>> {
    let (sql, args) = contacts_matching(within, text)?;
    let count = format!("select cast(count(*) as bigint) as n from ({sql}) as listed");
    paged(db, &sql, &count, &args, page, contact_row).await
}

/// The contact `id` (not merged away), if it is the caller's org's.
pub async fn contact(db: &Db, within: &Within, id: i64) -> Result<Contact> {
    let r = db
        .fetch_optional(crate::q!(
            "select id, name, email, phone, is_customer, is_vendor from contacts
             where id = $1 and org_id = $2 and merged_into is null",
            id,
            within.org_id
        ))
        .await?
        .ok_or_else(|| Error::not_found("contact", id))?;
    contact_row(&r)
}

/// The query of [`contacts`] and its values, unpaged.
fn contacts_matching(within: &Within, text: &str) -> Result<(String, [Arg; 4])> {
    needle("q", text)?;
    let phone = digits(text);
    // a phone is matched on its digits: the stored number with its punctuation removed
    let stored_digits =
        "replace(replace(replace(replace(replace(coalesce(phone, ''), '-', ''), ' ', ''), '(', ''), ')', ''), '+', '')";
    let sql = format!(
        "select id, name, email, phone, is_customer, is_vendor from contacts
         where org_id = $1 and merged_into is null
           and (lower(name) like $2 escape '\\' or lower(coalesce(email, '')) like $2 escape '\\'
                or ($3 <> '' and {stored_digits} like $4))
         order by name, id"
    );
    let args =
        [Arg::Int(within.org_id), Arg::Text(pattern(text)), Arg::Text(phone.clone()), Arg::Text(format!("%{phone}%"))];
    Ok((sql, args))
}

/// A memo: goods out with a customer on approval.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Memo {
    /// Its id.
    pub id: i64,
    /// Its number.
    pub memo_no: String,
    /// The store.
    pub store_id: i64,
    /// The customer holding the goods.
    pub customer_id: i64,
    /// Their name.
    pub customer: String,
    /// Its date.
    pub memo_date: NaiveDate,
    /// When the goods are due back.
    pub due_date: Option<NaiveDate>,
    /// Lines still out.
    pub lines_out: i64,
    /// Their memo value.
    pub value_out: Money,
}

/// Memos, newest first; `open`: only those with goods still out.
pub async fn memos(db: &Db, within: &Within, customer_id: Option<i64>, open: bool, page: Page) -> Result<Paged<Memo>> {
    let mut w = Filter::default();
    w.add("m.org_id = ?", vec![Arg::Int(within.org_id)]);
    w.add(&within.stores("m.store_id"), vec![]);
    if let Some(c) = customer_id {
        w.add("m.customer_id = ?", vec![Arg::Int(c)]);
    }
    if open {
        w.add("exists (select 1 from memo_lines l where l.memo_id = m.id and l.status = 'out')", vec![]);
    }
    // the page's ids come from the (org, date) index in order; only its rows' lines are summed
    let sql = format!(
        "select m.id, m.memo_no, m.store_id, m.customer_id, c.name as customer, m.memo_date, m.due_date,
         (select cast(count(*) as bigint) from memo_lines l where l.memo_id = m.id and l.status = 'out') as lines_out,
         coalesce((select sum(l.qty * l.memo_price_cents) from memo_lines l where l.memo_id = m.id and l.status = 'out'), 0)
           as value_out_cents
         from memos m join contacts c on c.id = m.customer_id
         join (select m.id as page_id from memos m where {w} order by m.org_id, m.memo_date desc, m.id desc
               limit {} offset {}) as p on p.page_id = m.id
         order by m.memo_date desc, m.id desc",
        page.limit,
        page.offset,
        w = w.sql()
    );
    let count = format!("select cast(count(*) as bigint) as n from memos m where {}", w.sql());
    let whole = Page { limit: page.limit, offset: 0 };
    let listed = paged(db, &sql, &count, &w.args, whole, |r| {
        Ok(Memo {
            id: r.i64("id")?,
            memo_no: r.text("memo_no")?,
            store_id: r.i64("store_id")?,
            customer_id: r.i64("customer_id")?,
            customer: r.text("customer")?,
            memo_date: r.date("memo_date")?,
            due_date: r.opt_date("due_date")?,
            lines_out: r.i64("lines_out")?,
            value_out: money(r, "value_out_cents")?,
        })
    })
    .await?;
    Ok(Paged { offset: page.offset, ..listed })
}

/// A line of a memo.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemoLine {
    /// Its place on the memo.
    pub line_no: i64,
    /// The piece or lot's stock number.
    pub stock_no: String,
    /// What it is.
    pub description: String,
    /// Units.
    pub qty: i64,
    /// Price of one on memo.
    pub memo_price: Money,
    /// out, invoiced or returned.
    pub status: String,
    /// When it was invoiced or returned.
    pub resolved_on: Option<NaiveDate>,
}

/// The memo `id` with its lines, if it is the caller's to see.
pub async fn memo(db: &Db, within: &Within, id: i64) -> Result<(Memo, Vec<MemoLine>)> {
    let sql = format!(
        "select m.id, m.memo_no, m.store_id, m.customer_id, c.name as customer, m.memo_date, m.due_date
         from memos m join contacts c on c.id = m.customer_id
         where m.id = $1 and m.org_id = $2 and {}",
        within.stores("m.store_id")
    );
    let r = db
        .fetch_optional(Q::built(sql).bind(id).bind(within.org_id))
        .await?
        .ok_or_else(|| Error::not_found("memo", id))?;
    let lines = db
        .fetch_all(crate::q!(
            "select l.line_no, it.stock_no, coalesce(it.description, st.description) as description, l.qty,
             l.memo_price_cents, l.status, l.resolved_on
             from memo_lines l join items it on it.id = l.item_id join styles st on st.id = it.style_id
             where l.memo_id = $1 order by l.line_no",
            id
        ))
        .await?
        .iter()
        .map(|l| {
            Ok(MemoLine {
                line_no: l.i64("line_no")?,
                stock_no: l.text("stock_no")?,
                description: l.text("description")?,
                qty: l.i64("qty")?,
                memo_price: money(l, "memo_price_cents")?,
                status: l.text("status")?,
                resolved_on: l.opt_date("resolved_on")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let out: Vec<&MemoLine> = lines.iter().filter(|l| l.status == "out").collect();
    let value: i64 = out.iter().map(|l| l.qty * l.memo_price.as_cents()).sum();
    let head = Memo {
        id: r.i64("id")?,
        memo_no: r.text("memo_no")?,
        store_id: r.i64("store_id")?,
        customer_id: r.i64("customer_id")?,
        customer: r.text("customer")?,
        memo_date: r.date("memo_date")?,
        due_date: r.opt_date("due_date")?,
        lines_out: out.len() as i64,
        value_out: Money::cents(value),
    };
    Ok((head, lines))
}

/// The lanes of the work-order board, in the order work moves through them.
pub const LANES: [&str; 5] = ["received", "in_progress", "ready", "completed", "cancelled"];

/// A work order on the board.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkOrder {
    /// Its id.
    pub id: i64,
    /// Its number.
    pub wo_no: String,
    /// The store.
    pub store_id: i64,
    /// repair, custom, production.
    pub kind: String,
    /// Its lane.
    pub status: String,
    /// The customer, if any.
    pub customer_id: Option<i64>,
    /// Their name.
    pub customer: Option<String>,
    /// What is to be done.
    pub description: String,
    /// When it came in.
    pub opened_on: NaiveDate,
    /// When it was promised.
    pub promised_on: Option<NaiveDate>,
    /// The estimate given.
    pub estimate: Money,
}

/// Work orders in `lane` (any lane but the closed ones when `None`), the soonest promised first.
pub async fn work_orders(db: &Db, within: &Within, lane: Option<&str>, page: Page) -> Result<Paged<WorkOrder>> {
    let mut w = Filter::default();
    w.add("w.org_id = ?", vec![Arg::Int(within.org_id)]);
    w.add(&within.stores("w.store_id"), vec![]);
    match lane {
        Some(l) if LANES.contains(&l) => w.add("w.status = ?", vec![Arg::Text(l.to_string())]),
        Some(l) => return Err(Error::invalid("lane", l, format!("one of {}", LANES.join(", ")))),
        None => w.add("w.status not in ('completed', 'cancelled')", vec![]),
    }
    let sql = format!(
        "select w.id, w.wo_no, w.store_id, w.kind, w.status, w.customer_id, c.name as customer, w.description,
         w.opened_on, w.promised_on, w.estimate_cents
         from work_orders w left join contacts c on c.id = w.customer_id
         where {} order by w.promised_on is null, w.promised_on, w.id",
        w.sql()
    );
    let count = format!("select cast(count(*) as bigint) as n from work_orders w where {}", w.sql());
    paged(db, &sql, &count, &w.args, page, |r| {
        Ok(WorkOrder {
            id: r.i64("id")?,
            wo_no: r.text("wo_no")?,
            store_id: r.i64("store_id")?,
            kind: r.text("kind")?,
            status: r.text("status")?,
            customer_id: r.opt_i64("customer_id")?,
            customer: r.opt_text("customer")?,
            description: r.text("description")?,
            opened_on: r.date("opened_on")?,
            promised_on: r.opt_date("promised_on")?,
            estimate: money(r, "estimate_cents")?,
        })
    })
    .await
}

/// The customers a quick find looks at the documents of: those whose name matches (`$1` the org, `$2` the
/// pattern), a few dozen at most.
const CUSTOMERS: &str =
    "select id from contacts where org_id = $1 and is_customer and lower(name) like $2 escape '\\' limit 50";

/// One match of a quick find.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Found {
    /// item, contact, invoice, memo, work_order.
    pub kind: &'static str,
    /// Its id.
    pub id: i64,
    /// What identifies it (a stock, invoice, memo or work-order number; a name).
    pub label: String,
    /// A second line (a description, a customer, an email).
    pub detail: String,
}

/// Everything whose number, name, description, email or phone contains `text`: at most [`FIND_EACH`] of each
/// kind, items, contacts, invoices, memos and work orders in that order.
pub async fn find(db: &Db, within: &Within, text: &str) -> Result<Vec<Found>> {
    needle("q", text)?;
    let p = pattern(text);
    let mut out = Vec::new();
    let like = |col: &str| format!("lower({col}) like $2 escape '\\'");
    let kinds: [(&'static str, String); 4] = [
        (
            "item",
            format!(
                "select i.id, i.stock_no as label, coalesce(i.description, st.description) as detail
                 from items i join styles st on st.id = i.style_id
                 where i.org_id = $1 and {} and ({} or {} or {}) order by i.stock_no limit {FIND_EACH}",
                within.stores("i.store_id"),
                like("i.stock_no"),
                like("coalesce(i.description, '')"),
                like("st.description")
            ),
        ),
        (
            "invoice",
            format!(
                "select i.id, i.invoice_no as label, c.name as detail
                 from invoices i join contacts c on c.id = i.customer_id
                 where i.org_id = $1 and {} and ({} or i.customer_id in ({CUSTOMERS}))
                 order by i.org_id, i.invoice_date desc, i.id desc limit {FIND_EACH}",
                within.stores("i.store_id"),
                like("i.invoice_no")
            ),
        ),
        (
            "memo",
            format!(
                "select m.id, m.memo_no as label, c.name as detail
                 from memos m join contacts c on c.id = m.customer_id
                 where m.org_id = $1 and {} and ({} or m.customer_id in ({CUSTOMERS}))
                 order by m.org_id, m.memo_date desc, m.id desc limit {FIND_EACH}",
                within.stores("m.store_id"),
                like("m.memo_no")
            ),
        ),
        (
            "work_order",
            format!(
                "select w.id, w.wo_no as label, w.description as detail
                 from work_orders w left join contacts c on c.id = w.customer_id
                 where w.org_id = $1 and {} and ({} or {} or {}) order by w.opened_on desc, w.id desc limit {FIND_EACH}",
                within.stores("w.store_id"),
                like("w.wo_no"),
                like("w.description"),
                like("coalesce(c.name, '')")
            ),
        ),
    ];
    for (kind, sql) in &kinds[..1] {
        collect(db, kind, sql, within.org_id, &p, &mut out).await?;
    }
    // the first few contacts by name, without counting every match (a short text matches thousands)
    let (sql, args) = contacts_matching(within, text)?;
    let mut q = Q::built(format!("{sql} limit {FIND_EACH}"));
    for a in &args {
        q = a.bind(q);
    }
    let people = db.fetch_all(q).await?.iter().map(contact_row).collect::<Result<Vec<_>>>()?;
    out.extend(people.into_iter().map(|c| Found {
        kind: "contact",
        id: c.id,
        label: c.name,
        detail: c.email.or(c.phone).unwrap_or_default(),
    }));
    for (kind, sql) in &kinds[1..] {
        collect(db, kind, sql, within.org_id, &p, &mut out).await?;
    }
    Ok(out)
}

async fn collect(db: &Db, kind: &'static str, sql: &str, org_id: i64, p: &str, out: &mut Vec<Found>) -> Result<()> {
    for r in db.fetch_all(Q::built(sql.to_string()).bind(org_id).bind(p.to_string())).await? {
        out.push(Found { kind, id: r.i64("id")?, label: r.text("label")?, detail: r.text("detail")? });
    }
    Ok(())
}

/// The org's users' usernames and names as shown, by id (to name a subscription's recipients).
pub async fn user_names(db: &Db, org_id: i64) -> Result<std::collections::BTreeMap<i64, (String, String)>> {
    let rows =
        db.fetch_all(crate::q!("select id, username, display_name from users where org_id = $1", org_id)).await?;
    rows.iter().map(|r| Ok((r.i64("id")?, (r.text("username")?, r.text("display_name")?)))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_pattern_takes_wildcards_literally() {
        assert_eq!(pattern(" Ann "), "%ann%");
        assert_eq!(pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(digits("(555) 010-2233"), "5550102233");
    }

    #[test]
    fn a_filter_numbers_its_placeholders_in_order() {
        let mut f = Filter::default();
        f.add("a = ?", vec![Arg::Int(1)]);
        f.add("1 = 1", vec![]);
        f.add("b between ? and ?", vec![Arg::Int(2), Arg::Int(3)]);
        assert_eq!(f.sql(), "a = $1 and 1 = 1 and b between $2 and $3");
        assert_eq!(f.args.len(), 3);
        let w = Within { org_id: 1, stores: Some(vec![2, 5]) };
        assert_eq!(w.stores("i.store_id"), "i.store_id in (2, 5)");
        assert!(Page::new(Some(0), None).is_err() && Page::new(Some(201), None).is_err());
        assert!(Page::new(None, Some(-1)).is_err());
    }
}
