//! Restoring a deleted record from the audit log: the row comes back exactly as it was deleted, same id, and
//! the restore is itself audited. Only records that can be deleted can come back, and each kind is checked
//! against the rules it would meet if it were entered again today.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::q;
use crate::sales::invoices::{self, header};
use crate::writer::{Outcome, Writer};

/// Brings back a deleted record from its last audit image.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreRecord {
    /// The org.
    pub org_id: i64,
    /// The kind of record, by table name (`invoice_lines`).
    pub entity: String,
    /// Its id.
    pub entity_id: i64,
}

/// Kinds of record an operation deletes (everything else is voided, reversed or closed, never deleted).
const RESTORABLE: &[&str] = &["invoice_lines"];

impl RestoreRecord {
    pub(crate) async fn run(&self, w: &mut Writer) -> Result<Outcome> {
        let Some(entity) = RESTORABLE.iter().copied().find(|e| *e == self.entity) else {
            return Err(Error::invalid(
                "entity",
                &self.entity,
                format!("only {} are ever deleted; other records are voided or reversed", RESTORABLE.join(", ")),
            ));
        };
        let last = w
            .fetch_optional(q!(
                "select action, before from audit_log where entity = $1 and entity_id = $2 and org_id = $3
                 order by id desc limit 1",
                entity,
                self.entity_id,
                self.org_id
            ))
            .await?
            .ok_or_else(|| {
                Error::invalid("entity_id", self.entity_id, format!("no {entity} record with this id in this org"))
            })?;
        if last.text("action")? != "delete" {
            return Err(Error::invalid(
                "entity_id",
                self.entity_id,
                format!("{entity} {} is not deleted", self.entity_id),
            ));
        }
        let image: serde_json::Value = serde_json::from_str(&last.opt_text("before")?.unwrap_or_default())
            .map_err(|e| Error::Database(format!("audit image of {entity} {}: {e}", self.entity_id)))?;
        let field = |name: &str| image.get(name).and_then(serde_json::Value::as_i64);
        if field("org_id") != Some(self.org_id) {
            return Err(Error::Database(format!("audit image of {entity} {} names another org", self.entity_id)));
        }
        // an invoice line comes back only to its invoice while that is still open, and a return line only while
        // what it returns has not been returned since
        let invoice_id = field("invoice_id").ok_or_else(|| Error::Database("audit image without invoice_id".into()))?;
        let inv = header::invoice(w, self.org_id, invoice_id, "entity_id").await?;
        if inv.status != "open" {
            return Err(Error::invalid(
                "entity_id",
                self.entity_id,
                format!("its invoice {} is {}; only open invoices change", inv.number, inv.status),
            ));
        }
        w.check_open(self.org_id, "entity_id", inv.date).await?;
        if let (Some(sold_line), Some(qty)) = (field("returned_line_id"), field("qty")) {
            let sold = w.fetch_one(q!("select qty from invoice_lines where id = $1", sold_line)).await?.i64("qty")?;
            let open = sold - invoices::returned_qty(w, sold_line).await?;
            if -qty > open {
                return Err(Error::invalid(
                    "entity_id",
                    self.entity_id,
                    format!("it returns {} but only {open} of the {sold} sold remain to return", -qty),
                ));
            }
        }
        w.restore(entity, self.org_id, self.entity_id, &image).await?;
        header::recompute(w, self.org_id, inv.id).await?;
        Ok(Outcome::numbered(inv.id, inv.number))
    }
}
