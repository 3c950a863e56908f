//! Styles: the catalog entries that stock records are made from.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::types::{Family, Money};
use crate::writer::{Outcome, Writer};
use crate::{check, q};

/// Adds a style (a catalog entry). Whether its stock is serialized — one record per physical piece — or
/// counted by quantity is the jeweler's choice, per style.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateStyle {
    /// The org.
    pub org_id: i64,
    /// Style number, unique in the org.
    pub style_no: String,
    /// One of jewelry, watches, diamonds, colored_stones, pearls.
    pub family: Family,
    /// Category within the family (rings, pendants, studs …).
    pub category: String,
    /// Description printed on invoices.
    pub description: String,
    /// Default vendor.
    pub vendor_id: Option<i64>,
    /// One record per physical piece (true) or a counted lot per store (false).
    pub serialized: bool,
    /// List (retail) price.
    #[serde(default)]
    pub retail_price: Money,
}

impl CreateStyle {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        check::non_empty("style_no", &self.style_no)?;
        check::non_empty("category", &self.category)?;
        check::non_empty("description", &self.description)?;
        check::not_negative("retail_price", self.retail_price)?;
        check::org_exists(w, self.org_id).await?;
        if let Some(v) = self.vendor_id {
            check::vendor(w, self.org_id, v, "vendor_id").await?;
        }
        let id = w
            .insert(
                "styles",
                self.org_id,
                q!(
                    "insert into styles (org_id, style_no, family, category, description, vendor_id, serialized,
                     retail_price_cents) values ($1, $2, $3, $4, $5, $6, $7, $8) returning *",
                    self.org_id,
                    self.style_no.trim(),
                    self.family,
                    self.category.trim(),
                    self.description.trim(),
                    self.vendor_id,
                    self.serialized,
                    self.retail_price.as_cents()
                ),
            )
            .await?;
        Ok(Outcome::id(id))
    }
}

/// Changes a style. The serialized flag cannot change once the style has stock.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateStyle {
    /// The org.
    pub org_id: i64,
    /// The style.
    pub style_id: i64,
    /// New category.
    pub category: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New default vendor.
    pub vendor_id: Option<i64>,
    /// New list price.
    pub retail_price: Option<Money>,
    /// New serialized flag (only while the style has no stock records).
    pub serialized: Option<bool>,
}

impl UpdateStyle {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let style = style(w, self.org_id, self.style_id, "style_id").await?;
        if let Some(c) = &self.category {
            check::non_empty("category", c)?;
        }
        if let Some(d) = &self.description {
            check::non_empty("description", d)?;
        }
        if let Some(p) = self.retail_price {
            check::not_negative("retail_price", p)?;
        }
        if let Some(v) = self.vendor_id {
            check::vendor(w, self.org_id, v, "vendor_id").await?;
        }
        if let Some(s) = self.serialized
            && s != style.serialized
        {
            let n = w
                .fetch_one(q!("select count(*) as n from items where style_id = $1", self.style_id))
                .await?
                .i64("n")?;
            if n > 0 {
                return Err(Error::invalid("serialized", s, format!("style already has {n} stock record(s)")));
            }
        }
        w.update(
            "styles",
            self.org_id,
            self.style_id,
            q!(
                "update styles set category = coalesce($3, category), description = coalesce($4, description),
                 vendor_id = coalesce($5, vendor_id), retail_price_cents = coalesce($6, retail_price_cents),
                 serialized = coalesce($7, serialized)
                 where id = $1 and org_id = $2 returning *",
                self.style_id,
                self.org_id,
                self.category.as_deref().map(str::trim),
                self.description.as_deref().map(str::trim),
                self.vendor_id,
                self.retail_price.map(Money::as_cents),
                self.serialized
            ),
        )
        .await?;
        Ok(Outcome::id(self.style_id))
    }
}

/// A style's essentials.
#[derive(Debug, Clone)]
pub(crate) struct Style {
    pub(crate) serialized: bool,
    pub(crate) retail_price: Money,
    pub(crate) description: String,
    pub(crate) vendor_id: Option<i64>,
}

pub(crate) async fn style(w: &mut Writer, org_id: i64, id: i64, field: &str) -> Result<Style> {
    let r = w
        .fetch_optional(q!(
            "select serialized, retail_price_cents, description, vendor_id from styles where id = $1 and org_id = $2",
            id,
            org_id
        ))
        .await?
        .ok_or_else(|| Error::invalid(field, id, "no such style in this org"))?;
    Ok(Style {
        serialized: r.bool("serialized")?,
        retail_price: Money(r.i64("retail_price_cents")?),
        description: r.text("description")?,
        vendor_id: r.opt_i64("vendor_id")?,
    })
}
