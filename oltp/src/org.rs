//! Tenants and people: orgs (settings, period close), stores, users, contacts.

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::types::{AgingBasis, CostingMethod, Money, Multiplier, Rate};
use crate::writer::{Outcome, Writer};
use crate::{check, q};

/// Creates a tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    /// The business's name.
    pub name: String,
    /// Costing of non-serialized stock; FIFO unless the org chooses weighted average.
    #[serde(default = "fifo")]
    pub costing_method: CostingMethod,
    /// Default aging basis for AR.
    #[serde(default = "invoice_date")]
    pub aging_basis: AgingBasis,
    /// The org's time zone, an IANA name (`America/New_York`); UTC unless given. Relative dates in reports
    /// ("today", "last_month") resolve in it.
    pub time_zone: Option<String>,
    /// The paper printed reports take: `letter` (default) or `a4`.
    pub paper_size: Option<String>,
}

/// Refuses a time zone that is not an IANA name.
fn time_zone(tz: &str) -> Result<&str> {
    let tz = tz.trim();
    if tz.parse::<chrono_tz::Tz>().is_err() {
        return Err(Error::invalid(
            "time_zone",
            format!("{tz:?}"),
            "an IANA time zone name such as America/New_York, Europe/London or UTC",
        ));
    }
    Ok(tz)
}

/// Refuses a paper size other than letter or a4.
fn paper_size(p: &str) -> Result<&'static str> {
    match p.trim() {
        "letter" => Ok("letter"),
        "a4" => Ok("a4"),
        _ => Err(Error::invalid("paper_size", format!("{p:?}"), "letter or a4")),
    }
}

fn fifo() -> CostingMethod {
    CostingMethod::Fifo
}
fn invoice_date() -> AgingBasis {
    AgingBasis::InvoiceDate
}

impl CreateOrg {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        check::non_empty("name", &self.name)?;
        let tz = self.time_zone.as_deref().map(time_zone).transpose()?.unwrap_or("UTC");
        let paper = self.paper_size.as_deref().map(paper_size).transpose()?.unwrap_or("letter");
        // the org's own row: its org_id is itself, known only after the insert
        let id = w
            .insert_org(q!(
                "insert into orgs (name, costing_method, aging_basis, time_zone, paper_size, created_at)
                 values ($1, $2, $3, $4, $5, $6) returning *",
                self.name.trim(),
                self.costing_method,
                self.aging_basis,
                tz,
                paper,
                Utc::now()
            ))
            .await?;
        Ok(Outcome::id(id))
    }
}

/// Changes an org's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrg {
    /// The org.
    pub org_id: i64,
    /// New name.
    pub name: Option<String>,
    /// New costing method; refused once the org has non-serialized stock, since layers would change meaning.
    pub costing_method: Option<CostingMethod>,
    /// New default aging basis.
    pub aging_basis: Option<AgingBasis>,
    /// New time zone (an IANA name).
    pub time_zone: Option<String>,
    /// New paper size: `letter` or `a4`.
    pub paper_size: Option<String>,
}

impl UpdateOrg {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let org = w
            .fetch_optional(q!("select id, costing_method from orgs where id = $1", self.org_id))
            .await?
            .ok_or_else(|| Error::not_found("org", self.org_id))?;
        if let Some(name) = &self.name {
            check::non_empty("name", name)?;
        }
        let tz = self.time_zone.as_deref().map(time_zone).transpose()?;
        let paper = self.paper_size.as_deref().map(paper_size).transpose()?;
        if let Some(m) = self.costing_method
            && m.as_str() != org.text("costing_method")?
        {
            let lots = w
                .fetch_one(q!(
                    "select count(*) as n from cost_layers where org_id = $1 and qty_remaining > 0",
                    self.org_id
                ))
                .await?
                .i64("n")?;
            if lots > 0 {
                return Err(Error::invalid("costing_method", m, "cannot change while non-serialized stock is on hand"));
            }
        }
        w.update(
            "orgs",
            self.org_id,
            self.org_id,
            q!(
                "update orgs set name = coalesce($2, name), costing_method = coalesce($3, costing_method),
                 aging_basis = coalesce($4, aging_basis), time_zone = coalesce($5, time_zone),
                 paper_size = coalesce($6, paper_size) where id = $1 returning *",
                self.org_id,
                self.name.as_deref().map(str::trim),
                self.costing_method,
                self.aging_basis,
                tz,
                paper
            ),
        )
        .await?;
        Ok(Outcome::id(self.org_id))
    }
}

/// Closes the books through a date: nothing dated on or before it can be created, changed or voided.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosePeriod {
    /// The org.
    pub org_id: i64,
    /// The last closed day.
    pub through: NaiveDate,
}

impl ClosePeriod {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let org = w
            .fetch_optional(q!("select books_closed_through from orgs where id = $1", self.org_id))
            .await?
            .ok_or_else(|| Error::not_found("org", self.org_id))?;
        if let Some(current) = org.opt_date("books_closed_through")?
            && self.through < current
        {
            return Err(Error::invalid(
                "through",
                self.through,
                format!("books are already closed through {current}; a close never moves back"),
            ));
        }
        let open = w
            .fetch_one(q!(
                "select count(*) as n from invoices where org_id = $1 and status = 'open' and invoice_date <= $2",
                self.org_id,
                self.through
            ))
            .await?
            .i64("n")?;
        if open > 0 {
            return Err(Error::invalid(
                "through",
                self.through,
                format!("{open} open invoice(s) dated on or before it must be finalized or voided first"),
            ));
        }
        w.update(
            "orgs",
            self.org_id,
            self.org_id,
            q!("update orgs set books_closed_through = $2 where id = $1 returning *", self.org_id, self.through),
        )
        .await?;
        Ok(Outcome::id(self.org_id))
    }
}

/// Opens a store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateStore {
    /// The org.
    pub org_id: i64,
    /// Short code, unique in the org (`MAIN`).
    pub code: String,
    /// Display name (printed on invoices and reports).
    pub name: String,
    /// Sales tax rate in percent.
    #[serde(default)]
    pub tax_rate: Rate,
    /// Surtax rate in percent, charged per taxable item up to the threshold.
    #[serde(default)]
    pub surtax_rate: Rate,
    /// Per-item amount the surtax applies to.
    #[serde(default)]
    pub surtax_threshold: Money,
    /// Retail price = cost × this multiplier (percent; 200 = keystone).
    #[serde(default = "keystone")]
    pub retail_multiplier: Multiplier,
    /// Wholesale price = cost × this multiplier (percent).
    #[serde(default = "wholesale")]
    pub wholesale_multiplier: Multiplier,
}

fn keystone() -> Multiplier {
    Multiplier(2_000_000)
}
fn wholesale() -> Multiplier {
    Multiplier(1_400_000)
}

impl CreateStore {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        check::non_empty("code", &self.code)?;
        check::non_empty("name", &self.name)?;
        check_store_rates(self.tax_rate, self.surtax_rate, self.surtax_threshold, self.retail_multiplier)?;
        check::org_exists(w, self.org_id).await?;
        let id = w
            .insert(
                "stores",
                self.org_id,
                q!(
                    "insert into stores (org_id, code, name, tax_rate_ppm, surtax_rate_ppm, surtax_threshold_cents,
                     retail_multiplier_ppm, wholesale_multiplier_ppm) values ($1, $2, $3, $4, $5, $6, $7, $8) returning *",
                    self.org_id,
                    self.code.trim(),
                    self.name.trim(),
                    self.tax_rate.ppm(),
                    self.surtax_rate.ppm(),
                    self.surtax_threshold.as_cents(),
                    self.retail_multiplier.ppm(),
                    self.wholesale_multiplier.ppm()
                ),
            )
            .await?;
        Ok(Outcome::id(id))
    }
}

fn check_store_rates(tax: Rate, surtax: Rate, threshold: Money, retail: Multiplier) -> Result<()> {
    if !(Rate::ZERO..=Rate::ONE).contains(&tax) {
        return Err(Error::invalid("tax_rate", tax, "must be between 0 and 100"));
    }
    if !(Rate::ZERO..=Rate::ONE).contains(&surtax) {
        return Err(Error::invalid("surtax_rate", surtax, "must be between 0 and 100"));
    }
    if threshold < Money::ZERO {
        return Err(Error::invalid("surtax_threshold", threshold, "must not be negative"));
    }
    if surtax > Rate::ZERO && threshold == Money::ZERO {
        return Err(Error::invalid(
            "surtax_threshold",
            threshold,
            "a surtax applies up to a per-item threshold; set one with the surtax rate",
        ));
    }
    if retail <= Multiplier(0) {
        return Err(Error::invalid("retail_multiplier", retail, "must be positive"));
    }
    Ok(())
}

/// Changes a store's name, rates or multipliers. Finalized invoices keep the tax they were computed with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateStore {
    /// The org.
    pub org_id: i64,
    /// The store.
    pub store_id: i64,
    /// New name.
    pub name: Option<String>,
    /// New tax rate.
    pub tax_rate: Option<Rate>,
    /// New surtax rate.
    pub surtax_rate: Option<Rate>,
    /// New surtax threshold.
    pub surtax_threshold: Option<Money>,
    /// New retail multiplier.
    pub retail_multiplier: Option<Multiplier>,
    /// New wholesale multiplier.
    pub wholesale_multiplier: Option<Multiplier>,
    /// Open or close the store.
    pub active: Option<bool>,
}

impl UpdateStore {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let s = check::store_even_closed(w, self.org_id, self.store_id).await?;
        check_store_rates(
            self.tax_rate.unwrap_or(s.tax_rate),
            self.surtax_rate.unwrap_or(s.surtax_rate),
            self.surtax_threshold.unwrap_or(s.surtax_threshold),
            self.retail_multiplier.unwrap_or(s.retail_multiplier),
        )?;
        if let Some(name) = &self.name {
            check::non_empty("name", name)?;
        }
        w.update(
            "stores",
            self.org_id,
            self.store_id,
            q!(
                "update stores set name = coalesce($3, name), tax_rate_ppm = coalesce($4, tax_rate_ppm),
                 surtax_rate_ppm = coalesce($5, surtax_rate_ppm),
                 surtax_threshold_cents = coalesce($6, surtax_threshold_cents),
                 retail_multiplier_ppm = coalesce($7, retail_multiplier_ppm),
                 wholesale_multiplier_ppm = coalesce($8, wholesale_multiplier_ppm),
                 active = coalesce($9, active)
                 where id = $1 and org_id = $2 returning *",
                self.store_id,
                self.org_id,
                self.name.as_deref().map(str::trim),
                self.tax_rate.map(Rate::ppm),
                self.surtax_rate.map(Rate::ppm),
                self.surtax_threshold.map(Money::as_cents),
                self.retail_multiplier.map(Multiplier::ppm),
                self.wholesale_multiplier.map(Multiplier::ppm),
                self.active
            ),
        )
        .await?;
        Ok(Outcome::id(self.store_id))
    }
}

/// Permission groups a user can belong to.
pub const GROUPS: &[&str] = &["owner", "manager", "accounting", "sales", "inventory", "bench"];

/// Groups allowed to reopen a finalized invoice.
pub const REOPEN_GROUPS: &[&str] = &["owner", "manager", "accounting"];

/// Adds a user (staff member, salesperson).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// The org.
    pub org_id: i64,
    /// Sign-in name, unique in the org.
    pub username: String,
    /// Name shown on invoices and reports.
    pub display_name: String,
    /// Initial password (stored as an argon2 hash); without one the user cannot sign in.
    pub password: Option<String>,
    /// Permission groups (owner, manager, accounting, sales, inventory, bench).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Whether the user sells (appears as salesperson, earns commission).
    #[serde(default)]
    pub salesperson: bool,
    /// Commission rate override in percent.
    pub commission_rate: Option<Rate>,
    /// Stores the user may work in and see; empty means all stores.
    #[serde(default)]
    pub store_ids: Vec<i64>,
    /// Where their mail goes (subscriptions sent to them).
    pub email: Option<String>,
}

impl CreateUser {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        check::non_empty("username", &self.username)?;
        check::non_empty("display_name", &self.display_name)?;
        let groups = check_groups(&self.groups)?;
        check_commission(self.commission_rate)?;
        check::org_exists(w, self.org_id).await?;
        check::may_grant(w, Some(&self.groups), Some(&self.store_ids)).await?;
        let hash = self.password.as_deref().map(hash_password).transpose()?;
        let email = self.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
        if let Some(e) = email {
            check::email("email", e)?;
        }
        let id = w
            .insert(
                "users",
                self.org_id,
                q!(
                    "insert into users (org_id, username, display_name, password_hash, groups, is_salesperson,
                     commission_rate_ppm, email) values ($1, $2, $3, $4, $5, $6, $7, $8) returning *",
                    self.org_id,
                    self.username.trim(),
                    self.display_name.trim(),
                    hash,
                    groups,
                    self.salesperson,
                    self.commission_rate.map(Rate::ppm),
                    email
                ),
            )
            .await?;
        set_user_stores(w, self.org_id, id, &self.store_ids).await?;
        Ok(Outcome::id(id))
    }
}

fn check_groups(groups: &[String]) -> Result<String> {
    for (i, g) in groups.iter().enumerate() {
        if !GROUPS.contains(&g.as_str()) {
            return Err(Error::invalid(format!("groups[{i}]"), g, format!("expected one of {}", GROUPS.join(", "))));
        }
    }
    Ok(groups.join(","))
}

fn check_commission(rate: Option<Rate>) -> Result<()> {
    match rate {
        Some(r) if !(Rate::ZERO..=Rate::ONE).contains(&r) => {
            Err(Error::invalid("commission_rate", r, "must be between 0 and 100"))
        }
        _ => Ok(()),
    }
}

fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::PasswordHasher;
    if password.chars().count() < 8 {
        return Err(Error::invalid("password", "(hidden)", "must be at least 8 characters"));
    }
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Database(format!("password hashing failed: {e}")))
}

/// Checks a password against a stored argon2 hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordVerifier, phc::PasswordHash};
    PasswordHash::new(hash).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

async fn set_user_stores(w: &mut Writer, org_id: i64, user_id: i64, store_ids: &[i64]) -> Result<()> {
    w.execute_untracked(q!("delete from user_stores where user_id = $1", user_id)).await?;
    for (i, s) in store_ids.iter().enumerate() {
        check::store(w, org_id, *s)
            .await
            .map_err(|_| Error::invalid(format!("store_ids[{i}]"), s, "no such store in this org"))?;
        w.execute_untracked(q!(
            "insert into user_stores (user_id, store_id) values ($1, $2) on conflict do nothing",
            user_id,
            *s
        ))
        .await?;
    }
    Ok(())
}

/// Changes a user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// The org.
    pub org_id: i64,
    /// The user.
    pub user_id: i64,
    /// New display name.
    pub display_name: Option<String>,
    /// New password.
    pub password: Option<String>,
    /// New permission groups (replace the old ones).
    pub groups: Option<Vec<String>>,
    /// Whether the user sells.
    pub salesperson: Option<bool>,
    /// New commission rate override.
    pub commission_rate: Option<Rate>,
    /// New store access (replaces the old; empty = all stores).
    pub store_ids: Option<Vec<i64>>,
    /// Enable or disable sign-in.
    pub active: Option<bool>,
    /// New email address; an empty one removes it.
    pub email: Option<String>,
}

impl UpdateUser {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        check::exists(w, "users", "user", self.org_id, self.user_id).await?;
        check::may_manage(w, self.org_id, self.user_id).await?;
        check::may_grant(w, self.groups.as_deref(), self.store_ids.as_deref()).await?;
        if let Some(n) = &self.display_name {
            check::non_empty("display_name", n)?;
        }
        let groups = self.groups.as_deref().map(check_groups).transpose()?;
        check_commission(self.commission_rate)?;
        let hash = self.password.as_deref().map(hash_password).transpose()?;
        let email = self.email.as_deref().map(str::trim);
        if let Some(e) = email.filter(|e| !e.is_empty()) {
            check::email("email", e)?;
        }
        w.update(
            "users",
            self.org_id,
            self.user_id,
            q!(
                "update users set display_name = coalesce($3, display_name), password_hash = coalesce($4, password_hash),
                 groups = coalesce($5, groups), is_salesperson = coalesce($6, is_salesperson),
                 commission_rate_ppm = coalesce($7, commission_rate_ppm), active = coalesce($8, active),
                 email = case when $9 then $10 else email end
                 where id = $1 and org_id = $2 returning *",
                self.user_id,
                self.org_id,
                self.display_name.as_deref().map(str::trim),
                hash,
                groups,
                self.salesperson,
                self.commission_rate.map(Rate::ppm),
                self.active,
                email.is_some(),
                email.filter(|e| !e.is_empty())
            ),
        )
        .await?;
        if let Some(stores) = &self.store_ids {
            set_user_stores(w, self.org_id, self.user_id, stores).await?;
        }
        // a new password ends the user's sessions (whoever knew the old one is signed out); disabling the user ends
        // their sessions and tokens
        let now = Utc::now().timestamp();
        if self.password.is_some() || self.active == Some(false) {
            w.execute_untracked(q!(
                "update sessions set revoked_at = $1 where user_id = $2 and revoked_at is null",
                now,
                self.user_id
            ))
            .await?;
        }
        if self.active == Some(false) {
            w.execute_untracked(q!(
                "update api_tokens set revoked_at = $1 where user_id = $2 and revoked_at is null",
                now,
                self.user_id
            ))
            .await?;
        }
        Ok(Outcome::id(self.user_id))
    }
}

/// Adds a contact: one record may be customer, vendor and partner at once.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    /// The org.
    pub org_id: i64,
    /// Person or company name.
    pub name: String,
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Buys from us.
    #[serde(default)]
    pub customer: bool,
    /// Sells to us.
    #[serde(default)]
    pub vendor: bool,
    /// Co-owns pieces with us.
    #[serde(default)]
    pub partner: bool,
    /// Resale certificate number: the customer's purchases carry no sales tax.
    pub resale_certificate: Option<String>,
    /// Payment terms in days (invoices are due on receipt without).
    pub terms_days: Option<i64>,
    /// Date the contact was created (defaults to today).
    pub created_on: Option<NaiveDate>,
}

impl CreateContact {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        check::non_empty("name", &self.name)?;
        if !(self.customer || self.vendor || self.partner) {
            return Err(Error::invalid("customer", false, "a contact must be a customer, a vendor or a partner"));
        }
        check_terms(self.terms_days)?;
        if let Some(e) = &self.email
            && !e.contains('@')
        {
            return Err(Error::invalid("email", e, "not an email address"));
        }
        check::org_exists(w, self.org_id).await?;
        if let Some(on) = self.created_on {
            w.check_open(self.org_id, "created_on", on).await?;
        }
        let id = w
            .insert(
                "contacts",
                self.org_id,
                q!(
                    "insert into contacts (org_id, name, email, phone, address, is_customer, is_vendor, is_partner,
                     resale_certificate, terms_days, created_on) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                     returning *",
                    self.org_id,
                    self.name.trim(),
                    &self.email,
                    &self.phone,
                    &self.address,
                    self.customer,
                    self.vendor,
                    self.partner,
                    &self.resale_certificate,
                    self.terms_days,
                    self.created_on.unwrap_or(w.today)
                ),
            )
            .await?;
        Ok(Outcome::id(id))
    }
}

fn check_terms(days: Option<i64>) -> Result<()> {
    match days {
        Some(d) if !(0..=3650).contains(&d) => Err(Error::invalid("terms_days", d, "must be between 0 and 3650")),
        _ => Ok(()),
    }
}

/// Changes a contact. Fields left out stay as they are.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateContact {
    /// The org.
    pub org_id: i64,
    /// The contact.
    pub contact_id: i64,
    /// New name.
    pub name: Option<String>,
    /// New email.
    pub email: Option<String>,
    /// New phone.
    pub phone: Option<String>,
    /// New address.
    pub address: Option<String>,
    /// Customer flag.
    pub customer: Option<bool>,
    /// Vendor flag.
    pub vendor: Option<bool>,
    /// Partner flag.
    pub partner: Option<bool>,
    /// Resale certificate ("" clears it).
    pub resale_certificate: Option<String>,
    /// Payment terms in days.
    pub terms_days: Option<i64>,
}

impl UpdateContact {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let c = check::contact(w, self.org_id, self.contact_id, "contact_id").await?;
        if let Some(n) = &self.name {
            check::non_empty("name", n)?;
        }
        if let Some(e) = &self.email
            && !e.contains('@')
        {
            return Err(Error::invalid("email", e, "not an email address"));
        }
        if !(self.customer.unwrap_or(c.customer)
            || self.vendor.unwrap_or(c.vendor)
            || self.partner.unwrap_or(c.partner))
        {
            return Err(Error::invalid("customer", false, "a contact must stay a customer, a vendor or a partner"));
        }
        check_terms(self.terms_days)?;
        let cert = self.resale_certificate.as_ref().map(|c| if c.trim().is_empty() { None } else { Some(c.clone()) });
        w.update(
            "contacts",
            self.org_id,
            self.contact_id,
            q!(
                "update contacts set name = coalesce($3, name), email = coalesce($4, email),
                 phone = coalesce($5, phone), address = coalesce($6, address),
                 is_customer = coalesce($7, is_customer), is_vendor = coalesce($8, is_vendor),
                 is_partner = coalesce($9, is_partner),
                 resale_certificate = case when $10 then $11 else resale_certificate end,
                 terms_days = coalesce($12, terms_days)
                 where id = $1 and org_id = $2 returning *",
                self.contact_id,
                self.org_id,
                self.name.as_deref().map(str::trim),
                &self.email,
                &self.phone,
                &self.address,
                self.customer,
                self.vendor,
                self.partner,
                cert.is_some(),
                cert.flatten(),
                self.terms_days
            ),
        )
        .await?;
        Ok(Outcome::id(self.contact_id))
    }
}

/// Merges a duplicate contact into another: every document of the duplicate moves to the survivor, which
/// keeps all history; the duplicate stays as a pointer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeContacts {
    /// The org.
    pub org_id: i64,
    /// The duplicate, merged away.
    pub from_id: i64,
    /// The survivor.
    pub into_id: i64,
}

/// Every (table, column) that refers to a contact.
const CONTACT_REFS: &[(&str, &str)] = &[
    ("invoices", "customer_id"),
    ("payments", "customer_id"),
    ("store_credit_entries", "customer_id"),
    ("store_credits", "customer_id"),
    ("write_offs", "customer_id"),
    ("memos", "customer_id"),
    ("work_orders", "customer_id"),
    ("styles", "vendor_id"),
    ("items", "consignor_id"),
    ("partnerships", "partner_id"),
    ("purchase_orders", "vendor_id"),
    ("receipts", "vendor_id"),
    ("vendor_invoices", "vendor_id"),
    ("vendor_payments", "vendor_id"),
    ("consignment_settlements", "vendor_id"),
];

impl MergeContacts {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        if self.from_id == self.into_id {
            return Err(Error::invalid("from_id", self.from_id, "cannot merge a contact into itself"));
        }
        let from = check::contact(w, self.org_id, self.from_id, "from_id").await?;
        check::contact(w, self.org_id, self.into_id, "into_id").await?;
        for (table, col) in CONTACT_REFS {
            let rows = w
                .fetch_all(
                    crate::db::Q::built(format!("select id from {table} where org_id = $1 and {col} = $2 order by id"))
                        .bind(self.org_id)
                        .bind(self.from_id),
                )
                .await?;
            for r in rows {
                let id = r.i64("id")?;
                w.update(
                    table,
                    self.org_id,
                    id,
                    crate::db::Q::built(format!("update {table} set {col} = $2 where id = $1 returning *"))
                        .bind(id)
                        .bind(self.into_id),
                )
                .await?;
            }
        }
        w.update(
            "contacts",
            self.org_id,
            self.into_id,
            q!(
                "update contacts set is_customer = (is_customer or $2), is_vendor = (is_vendor or $3),
                 is_partner = (is_partner or $4), email = coalesce(email, $5), phone = coalesce(phone, $6),
                 address = coalesce(address, $7), resale_certificate = coalesce(resale_certificate, $8)
                 where id = $1 returning *",
                self.into_id,
                from.customer,
                from.vendor,
                from.partner,
                from.email,
                from.phone,
                from.address,
                from.resale_certificate
            ),
        )
        .await?;
        w.update(
            "contacts",
            self.org_id,
            self.from_id,
            q!("update contacts set merged_into = $2 where id = $1 returning *", self.from_id, self.into_id),
        )
        .await?;
        Ok(Outcome::id(self.into_id))
    }
}

/// The id of the user `username` of `org_id` (for the CLI's `--user`); another org's user is not found.
pub async fn user_by_name(db: &crate::db::Db, org_id: i64, username: &str) -> Result<i64> {
    db.fetch_optional(q!("select id from users where org_id = $1 and username = $2", org_id, username.trim()))
        .await?
        .ok_or_else(|| Error::not_found("user", format!("{:?}", username.trim())))?
        .i64("id")
}
