//! Shared validation and org-scoped look-ups. Every look-up takes the org: a record of another tenant is
//! reported as not found, never used.

use crate::bounds::MAX_QTY;
use crate::db::Q;
use crate::error::{Error, Result};
use crate::q;
use crate::types::{Money, Multiplier, Rate};
use crate::writer::Writer;

/// Refuses a blank text field.
pub(crate) fn non_empty(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, format!("{value:?}"), "must not be empty"));
    }
    Ok(())
}

/// Refuses a quantity below one or above [`MAX_QTY`].
pub(crate) fn positive_qty(field: &str, qty: i64) -> Result<()> {
    if qty <= 0 {
        return Err(Error::invalid(field, qty, "must be a positive quantity"));
    }
    qty_bound(field, qty)
}

/// Refuses a quantity more than [`MAX_QTY`] either side of zero (a return's is negative, a count's may be zero).
pub(crate) fn qty_bound(field: &str, qty: i64) -> Result<()> {
    if qty > MAX_QTY {
        return Err(Error::invalid(field, qty, format!("quantities run up to {MAX_QTY}")));
    }
    if qty < -MAX_QTY {
        return Err(Error::invalid(field, qty, format!("quantities run down to -{MAX_QTY}")));
    }
    Ok(())
}

/// Refuses a negative amount.
pub(crate) fn not_negative(field: &str, m: Money) -> Result<()> {
    if m < Money::ZERO {
        return Err(Error::invalid(field, m, "must not be negative"));
    }
    Ok(())
}

/// Refuses an amount that is not above zero.
pub(crate) fn positive_money(field: &str, m: Money) -> Result<()> {
    if m <= Money::ZERO {
        return Err(Error::invalid(field, m, "must be greater than zero"));
    }
    Ok(())
}

pub(crate) async fn org_exists(w: &mut Writer, org_id: i64) -> Result<()> {
    w.fetch_optional(q!("select id from orgs where id = $1", org_id))
        .await?
        .ok_or_else(|| Error::not_found("org", org_id))?;
    Ok(())
}

/// Any row of `table` with this id in this org.
pub(crate) async fn exists(
    w: &mut Writer,
    table: &'static str,
    entity: &'static str,
    org_id: i64,
    id: i64,
) -> Result<()> {
    w.fetch_optional(Q::built(format!("select id from {table} where id = $1 and org_id = $2")).bind(id).bind(org_id))
        .await?
        .ok_or_else(|| Error::not_found(entity, id))?;
    Ok(())
}

/// A store's tax settings.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub(crate) tax_rate: Rate,
    pub(crate) surtax_rate: Rate,
    pub(crate) surtax_threshold: Money,
    pub(crate) retail_multiplier: Multiplier,
    pub(crate) active: bool,
}

/// A store of this org that is open for business: a closed store takes no new documents.
pub(crate) async fn store(w: &mut Writer, org_id: i64, id: i64) -> Result<Store> {
    let s = store_even_closed(w, org_id, id).await?;
    if !s.active {
        return Err(Error::Conflict(format!("store {id} is closed; reopen it with update_store first")));
    }
    Ok(s)
}

/// A store of this org, open or closed (for changing the store itself).
pub(crate) async fn store_even_closed(w: &mut Writer, org_id: i64, id: i64) -> Result<Store> {
    let r = w
        .fetch_optional(q!(
            "select tax_rate_ppm, surtax_rate_ppm, surtax_threshold_cents, retail_multiplier_ppm, active
             from stores where id = $1 and org_id = $2",
            id,
            org_id
        ))
        .await?
        .ok_or_else(|| Error::not_found("store", id))?;
    Ok(Store {
        tax_rate: Rate(r.i64("tax_rate_ppm")?),
        surtax_rate: Rate(r.i64("surtax_rate_ppm")?),
        surtax_threshold: Money(r.i64("surtax_threshold_cents")?),
        retail_multiplier: Multiplier(r.i64("retail_multiplier_ppm")?),
        active: r.bool("active")?,
    })
}

/// A contact's roles and details.
#[derive(Debug, Clone)]
pub(crate) struct Contact {
    pub(crate) customer: bool,
    pub(crate) vendor: bool,
    pub(crate) partner: bool,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) resale_certificate: Option<String>,
    pub(crate) terms_days: Option<i64>,
}

/// A live (not merged-away) contact of this org; `field` names the command field for errors.
pub(crate) async fn contact(w: &mut Writer, org_id: i64, id: i64, field: &str) -> Result<Contact> {
    let r = w
        .fetch_optional(q!(
            "select is_customer, is_vendor, is_partner, email, phone, address, resale_certificate, terms_days,
             merged_into from contacts where id = $1 and org_id = $2",
            id,
            org_id
        ))
        .await?
        .ok_or_else(|| Error::invalid(field, id, "no such contact in this org"))?;
    if let Some(into) = r.opt_i64("merged_into")? {
        return Err(Error::invalid(field, id, format!("contact was merged into contact {into}")));
    }
    Ok(Contact {
        customer: r.bool("is_customer")?,
        vendor: r.bool("is_vendor")?,
        partner: r.bool("is_partner")?,
        email: r.opt_text("email")?,
        phone: r.opt_text("phone")?,
        address: r.opt_text("address")?,
        resale_certificate: r.opt_text("resale_certificate")?,
        terms_days: r.opt_i64("terms_days")?,
    })
}

/// A contact that is a customer.
pub(crate) async fn customer(w: &mut Writer, org_id: i64, id: i64, field: &str) -> Result<Contact> {
    let c = contact(w, org_id, id, field).await?;
    if !c.customer {
        return Err(Error::invalid(field, id, "contact is not a customer"));
    }
    Ok(c)
}

/// A contact that is a vendor.
pub(crate) async fn vendor(w: &mut Writer, org_id: i64, id: i64, field: &str) -> Result<Contact> {
    let c = contact(w, org_id, id, field).await?;
    if !c.vendor {
        return Err(Error::invalid(field, id, "contact is not a vendor"));
    }
    Ok(c)
}

/// An active user of this org who sells.
pub(crate) async fn salesperson(w: &mut Writer, org_id: i64, id: i64, field: &str) -> Result<()> {
    let r = w
        .fetch_optional(q!("select is_salesperson, active from users where id = $1 and org_id = $2", id, org_id))
        .await?
        .ok_or_else(|| Error::invalid(field, id, "no such user in this org"))?;
    if !r.bool("is_salesperson")? {
        return Err(Error::invalid(field, id, "user is not a salesperson"));
    }
    if !r.bool("active")? {
        return Err(Error::invalid(field, id, "user is disabled"));
    }
    Ok(())
}

/// Whether the acting user belongs to one of `groups` (the operator always does).
pub(crate) async fn actor_in(w: &mut Writer, org_id: i64, groups: &[&str]) -> Result<bool> {
    let Some(actor) = w.actor else { return Ok(true) };
    let r =
        w.fetch_optional(q!("select groups, active from users where id = $1 and org_id = $2", actor, org_id)).await?;
    let Some(r) = r else { return Ok(false) };
    if !r.bool("active")? {
        return Ok(false);
    }
    let has = r.text("groups")?;
    Ok(has.split(',').any(|g| groups.contains(&g)))
}

/// Groups and stores are given only by someone who has them: only an owner makes an owner, and a user limited to
/// some stores gives access to those stores only — never to all of them (`Some(&[])`). The operator gives anything.
pub(crate) async fn may_grant(w: &mut Writer, groups: Option<&[String]>, stores: Option<&[i64]>) -> Result<()> {
    let Some(reach) = w.reach().await? else { return Ok(()) };
    let owner = reach.groups.iter().any(|g| g == "owner");
    if !owner && groups.is_some_and(|gs| gs.iter().any(|g| g == "owner")) {
        return Err(Error::Forbidden("only an owner may give the owner group".into()));
    }
    if let (Some(mine), Some(given)) = (&reach.stores, stores) {
        if given.is_empty() {
            return Err(Error::Forbidden("a user limited to some stores cannot give access to all stores".into()));
        }
        if let Some(s) = given.iter().find(|s| !mine.contains(s)) {
            return Err(Error::Forbidden(format!("store {s} is not one of your stores")));
        }
    }
    Ok(())
}

/// A user limited to some stores manages only users limited to stores of theirs (not an all-stores user, whose
/// password they could otherwise change), and only an owner manages an owner.
pub(crate) async fn may_manage(w: &mut Writer, org_id: i64, user_id: i64) -> Result<()> {
    let Some(reach) = w.reach().await? else { return Ok(()) };
    let target = w
        .fetch_optional(q!("select groups from users where id = $1 and org_id = $2", user_id, org_id))
        .await?
        .ok_or_else(|| Error::not_found("user", user_id))?;
    let owner = reach.groups.iter().any(|g| g == "owner");
    if !owner && target.text("groups")?.split(',').any(|g| g == "owner") {
        return Err(Error::Forbidden(format!("user {user_id} is an owner; only an owner may change them")));
    }
    if let Some(mine) = &reach.stores {
        let rows = w.fetch_all(q!("select store_id from user_stores where user_id = $1", user_id)).await?;
        let theirs = rows.iter().map(|r| r.i64("store_id")).collect::<Result<Vec<_>>>()?;
        if theirs.is_empty() || theirs.iter().any(|s| !mine.contains(s)) {
            return Err(Error::Forbidden(format!("user {user_id} works in stores that are not yours")));
        }
    }
    Ok(())
}

/// An email address as a mail server takes it: one `@`, a name before it, a domain with a dot after it.
pub(crate) fn email(field: &str, e: &str) -> Result<()> {
    let e = e.trim();
    let ok = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        && match e.split_once('@') {
            Some((name, domain)) => {
                !name.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if !ok {
        return Err(Error::invalid(field, format!("{e:?}"), "an email address (name@example.com)"));
    }
    Ok(())
}
