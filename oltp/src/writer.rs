//! The write path every command goes through: one transaction whose every insert, update and delete also
//! lands in the audit log (who, when, before, after) and in `change_log`, so the lake follows the books exactly.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::db::{Db, Dialect, Q, Row, Tx};
use crate::error::{Error, Result};
use crate::q;
use crate::types::CostingMethod;

/// What a command needs to know about who runs it and when.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The user acting, or `None` for the server's operator (the CLI on the server), who may do anything.
    pub actor: Option<i64>,
    /// The date used where a command leaves its date out.
    pub today: NaiveDate,
}

impl Ctx {
    /// The operator acting today.
    pub fn operator() -> Ctx {
        Ctx { actor: None, today: chrono::Local::now().date_naive() }
    }
}

/// What a command created or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Outcome {
    /// The id of the record the command created or acted on.
    pub id: i64,
    /// Its document number, where it has one (`INV-000042`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub number: Option<String>,
    /// Ids of records created alongside (invoice lines, memo lines, applications), in input order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub ids: Vec<i64>,
    /// Payments taken with it (tenders on a sale), in input order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub payments: Vec<i64>,
}

impl Outcome {
    /// Just an id.
    pub fn id(id: i64) -> Outcome {
        Outcome { id, ..Outcome::default() }
    }

    /// An id and a document number.
    pub fn numbered(id: i64, number: String) -> Outcome {
        Outcome { id, number: Some(number), ..Outcome::default() }
    }
}

struct Change {
    org_id: i64,
    entity: &'static str,
    id: i64,
    op: &'static str,
}

struct Audit {
    org_id: Option<i64>,
    entity: &'static str,
    id: i64,
    action: &'static str,
    before: Option<String>,
    after: Option<String>,
}

/// A transaction that records what it changes. Dropped without [`Writer::commit`], nothing happened.
pub struct Writer {
    tx: Tx,
    /// The acting user (`None` = operator).
    pub actor: Option<i64>,
    /// Today, for commands that leave their date out.
    pub today: NaiveDate,
    changes: Vec<Change>,
    audits: Vec<Audit>,
    /// (org, books closed through, costing method) of the org last asked about; dropped when an org changes.
    org_settings: Option<(i64, Option<NaiveDate>, CostingMethod)>,
    /// Where the acting user may write, read from the books on the first write.
    reach: Option<Reach>,
    /// The latest image (JSON) of every row this transaction wrote or read whole: the before-image of its next
    /// update, so an update need not read the row first. Rows change only through this writer inside it.
    seen: HashMap<(Entity, i64), Image>,
}

/// The columns whose values differ between two images of a row: (their values before, their values after).
fn changed_columns(before: &serde_json::Value, after: &serde_json::Value) -> (serde_json::Value, serde_json::Value) {
    let (mut b, mut a) = (serde_json::Map::new(), serde_json::Map::new());
    if let (Some(before), Some(after)) = (before.as_object(), after.as_object()) {
        for (k, new) in after {
            let old = before.get(k).unwrap_or(&serde_json::Value::Null);
            if old != new {
                b.insert(k.clone(), old.clone());
                a.insert(k.clone(), new.clone());
            }
        }
    }
    (serde_json::Value::Object(b), serde_json::Value::Object(a))
}

/// A row as last seen: as written (JSON already made for the audit) or as read.
enum Image {
    Json(serde_json::Value),
    Row(Row),
}

/// Where an acting user may write: their org, and their stores (`None`: all of the org's). The operator may
/// write anywhere.
#[derive(Debug, Clone)]
pub(crate) struct Reach {
    pub(crate) org_id: i64,
    pub(crate) stores: Option<Vec<i64>>,
    pub(crate) groups: Vec<String>,
}

/// The store a row belongs to, if its table has one: a store's own row is the store.
fn store_of(entity: Entity, image: &serde_json::Value) -> Option<i64> {
    let column = if entity == "stores" { "id" } else { "store_id" };
    image.get(column).and_then(serde_json::Value::as_i64)
}

/// Where one command began inside a transaction that runs several (see [`Writer::savepoint`]).
#[derive(Debug)]
pub(crate) struct Mark {
    audits: usize,
    changes: usize,
}

/// Tables whose rows are written through [`Writer`]; the name is both the table and the change_log entity.
pub type Entity = &'static str;

impl Writer {
    /// Opens a write transaction for `ctx`.
    pub async fn begin(db: &Db, ctx: &Ctx) -> Result<Writer> {
        Ok(Writer {
            tx: db.begin().await?,
            actor: ctx.actor,
            today: ctx.today,
            changes: Vec::new(),
            audits: Vec::new(),
            org_settings: None,
            reach: None,
            seen: HashMap::new(),
        })
    }

    /// The database underneath (for the rare statement that differs).
    pub fn dialect(&self) -> Dialect {
        self.tx.dialect()
    }

    /// Runs `insert … returning *` into `entity` and records the new row; returns its id.
    pub async fn insert(&mut self, entity: Entity, org_id: i64, q: Q) -> Result<i64> {
        let row = self.tx.fetch_one(q).await?;
        let id = row.i64("id")?;
        let image = row.to_json()?;
        self.guard(entity, org_id, &image).await?;
        let after = image.to_string();
        self.seen.insert((entity, id), Image::Json(image));
        self.audits.push(Audit {
            org_id: Some(org_id),
            entity,
            id,
            action: "create",
            before: None,
            after: Some(after),
        });
        self.changes.push(Change { org_id, entity, id, op: "insert" });
        Ok(id)
    }

    /// Inserts an org, whose row is its own tenant.
    pub async fn insert_org(&mut self, q: Q) -> Result<i64> {
        let row = self.tx.fetch_one(q).await?;
        let id = row.i64("id")?;
        self.audits.push(Audit {
            org_id: Some(id),
            entity: "orgs",
            id,
            action: "create",
            before: None,
            after: Some(row.to_json()?.to_string()),
        });
        self.changes.push(Change { org_id: id, entity: "orgs", id, op: "insert" });
        Ok(id)
    }

    /// Runs `update … returning *` on one row of `entity` and records before and after. Returns `false`
    /// (and records nothing) when the statement matched no row, so conditional updates can detect a lost race.
    pub async fn update(&mut self, entity: Entity, org_id: i64, id: i64, q: Q) -> Result<bool> {
        if entity == "orgs" {
            self.org_settings = None;
        }
        let before = self.before(entity, id).await?;
        if let Some(b) = &before {
            self.guard(entity, org_id, b).await?;
        }
        let Some(after) = self.tx.fetch_optional(q).await? else {
            // a lost race: the row is not what was seen
            return Ok(false);
        };
        let after_id = after.i64("id")?;
        if after_id != id {
            return Err(Error::Database(format!("update of {entity} {id} touched {after_id}")));
        }
        let after = after.to_json()?;
        self.guard(entity, org_id, &after).await?;
        // an update's audit row holds the columns it changed, before and after (the create holds the rest)
        let (before, changed) = match before {
            Some(before) => {
                let (b, a) = changed_columns(&before, &after);
                (Some(b.to_string()), a.to_string())
            }
            None => (None, after.to_string()),
        };
        self.seen.insert((entity, id), Image::Json(after));
        self.audits.push(Audit { org_id: Some(org_id), entity, id, action: "update", before, after: Some(changed) });
        self.changes.push(Change { org_id, entity, id, op: "update" });
        Ok(true)
    }

    /// Deletes one row of `entity`, keeping its last state in the audit log so it can be restored.
    pub async fn delete(&mut self, entity: Entity, org_id: i64, id: i64) -> Result<()> {
        let before = self.before(entity, id).await?.ok_or_else(|| Error::not_found(entity, id))?;
        self.guard(entity, org_id, &before).await?;
        self.tx
            .execute(Q::built(format!("delete from {entity} where id = $1 and org_id = $2")).bind(id).bind(org_id))
            .await?;
        self.audits.push(Audit {
            org_id: Some(org_id),
            entity,
            id,
            action: "delete",
            before: Some(before.to_string()),
            after: None,
        });
        self.changes.push(Change { org_id, entity, id, op: "delete" });
        Ok(())
    }

    /// Marks the start of one command inside a longer transaction, so it can be undone alone.
    pub(crate) async fn savepoint(&mut self) -> Result<Mark> {
        self.tx.control("savepoint cmd").await?;
        // another connection may change rows between commands (PostgreSQL): images are kept within one only
        self.seen.clear();
        Ok(Mark { audits: self.audits.len(), changes: self.changes.len() })
    }

    /// Keeps what ran since `mark`.
    pub(crate) async fn release(&mut self, _mark: Mark) -> Result<()> {
        self.tx.control("release cmd").await
    }

    /// Undoes everything since `mark`, in the database and in the audit and change rows waiting for commit.
    pub(crate) async fn rollback_to(&mut self, mark: Mark) -> Result<()> {
        self.audits.truncate(mark.audits);
        self.changes.truncate(mark.changes);
        self.org_settings = None;
        self.seen.clear();
        self.tx.control("rollback to cmd").await?;
        self.tx.control("release cmd").await
    }

    async fn snapshot(&mut self, entity: Entity, id: i64) -> Result<Option<serde_json::Value>> {
        let row = self.tx.fetch_optional(Q::built(format!("select * from {entity} where id = $1")).bind(id)).await?;
        row.map(|r| r.to_json()).transpose()
    }

    /// Puts back a deleted row exactly as its audit image has it (same id), recording the restore.
    pub async fn restore(&mut self, entity: Entity, org_id: i64, id: i64, image: &serde_json::Value) -> Result<()> {
        let cols = image
            .as_object()
            .ok_or_else(|| Error::Database(format!("audit image of {entity} {id} is not an object")))?;
        let q = match self.tx.dialect() {
            // PostgreSQL types each column from the table's own row type
            Dialect::Postgres => Q::built(format!(
                "insert into {entity} select * from json_populate_record(null::{entity}, $1::json) returning *"
            ))
            .bind(image.to_string()),
            Dialect::Sqlite => {
                let mut names = Vec::with_capacity(cols.len());
                for k in cols.keys() {
                    if k.is_empty() || !k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                        return Err(Error::Database(format!("audit image of {entity} {id} has a bad column {k:?}")));
                    }
                    names.push(k.as_str());
                }
                let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
                let mut q = Q::built(format!(
                    "insert into {entity} ({}) values ({}) returning *",
                    names.join(", "),
                    marks.join(", ")
                ));
                for v in cols.values() {
                    q = match v {
                        serde_json::Value::Number(n) => q.bind(n.as_i64()),
                        serde_json::Value::Bool(b) => q.bind(*b),
                        serde_json::Value::String(s) => q.bind(s.clone()),
                        _ => q.bind(Option::<i64>::None),
                    };
                }
                q
            }
        };
        let row = self.tx.fetch_one(q).await?;
        let after = row.to_json()?;
        self.guard(entity, org_id, &after).await?;
        self.audits.push(Audit {
            org_id: Some(org_id),
            entity,
            id,
            action: "restore",
            before: None,
            after: Some(after.to_string()),
        });
        self.seen.insert((entity, id), Image::Json(after));
        self.changes.push(Change { org_id, entity, id, op: "insert" });
        Ok(())
    }

    /// Keeps a whole row of `entity` (read with `select *`) as the before-image of its next update in this
    /// command, so that update needs no second read. Encoded only if it is updated.
    pub fn remember(&mut self, entity: Entity, id: i64, row: Row) {
        self.seen.insert((entity, id), Image::Row(row));
    }

    /// A whole row of `entity` this command read and has not changed since, if any.
    pub fn seen_row(&self, entity: Entity, id: i64) -> Option<&Row> {
        match self.seen.get(&(entity, id)) {
            Some(Image::Row(r)) => Some(r),
            _ => None,
        }
    }

    /// The before-image of a row about to change: what this transaction last saw of it, or a fresh read.
    async fn before(&mut self, entity: Entity, id: i64) -> Result<Option<serde_json::Value>> {
        match self.seen.remove(&(entity, id)) {
            Some(Image::Json(j)) => Ok(Some(j)),
            Some(Image::Row(r)) => Ok(Some(r.to_json()?)),
            None => self.snapshot(entity, id).await,
        }
    }

    /// Where the acting user may write (`None`: the operator, anywhere). Read once per transaction; a disabled
    /// or unknown actor may write nowhere.
    pub(crate) async fn reach(&mut self) -> Result<Option<Reach>> {
        let Some(actor) = self.actor else { return Ok(None) };
        if let Some(r) = &self.reach {
            return Ok(Some(r.clone()));
        }
        let user = self.tx.fetch_optional(q!("select org_id, groups, active from users where id = $1", actor)).await?;
        let Some(user) = user.filter(|u| u.bool("active").unwrap_or(false)) else {
            return Err(Error::Forbidden(format!("user {actor} is disabled or does not exist")));
        };
        let rows = self.tx.fetch_all(q!("select store_id from user_stores where user_id = $1", actor)).await?;
        let stores = rows.iter().map(|r| r.i64("store_id")).collect::<Result<Vec<_>>>()?;
        let groups = user.text("groups")?.split(',').filter(|g| !g.is_empty()).map(str::to_string).collect();
        let reach = Reach { org_id: user.i64("org_id")?, stores: (!stores.is_empty()).then_some(stores), groups };
        self.reach = Some(reach.clone());
        Ok(Some(reach))
    }

    /// Refuses to write a row (as it was or as it becomes) outside the acting user's org or stores: a user
    /// of store 2 writes nothing of store 3, whatever the command, and nobody writes another org's rows.
    async fn guard(&mut self, entity: Entity, org_id: i64, image: &serde_json::Value) -> Result<()> {
        let Some(reach) = self.reach().await? else { return Ok(()) };
        if reach.org_id != org_id {
            return Err(Error::not_found("org", org_id));
        }
        match (store_of(entity, image), &reach.stores) {
            (Some(store), Some(stores)) if !stores.contains(&store) => Err(Error::Forbidden(format!(
                "store {store} is not one of your stores ({})",
                stores.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            ))),
            _ => Ok(()),
        }
    }

    /// A read inside the transaction.
    pub async fn fetch_all(&mut self, q: Q) -> Result<Vec<Row>> {
        self.tx.fetch_all(q).await
    }

    /// A read inside the transaction that may find nothing.
    pub async fn fetch_optional(&mut self, q: Q) -> Result<Option<Row>> {
        self.tx.fetch_optional(q).await
    }

    /// A read inside the transaction that must find one row.
    pub async fn fetch_one(&mut self, q: Q) -> Result<Row> {
        self.tx.fetch_one(q).await
    }

    /// A statement on a table that is not an audited entity (link tables, counters).
    pub async fn execute_untracked(&mut self, q: Q) -> Result<u64> {
        self.tx.execute(q).await
    }

    /// The next number in one of the org's document sequences (`INV-000042`); gapless, since it is taken
    /// inside the transaction that uses it.
    pub async fn next_number(&mut self, org_id: i64, kind: &'static str, prefix: &str) -> Result<String> {
        let row = self
            .tx
            .fetch_one(q!(
                "insert into doc_counters (org_id, kind, next_no) values ($1, $2, 2)
                 on conflict (org_id, kind) do update set next_no = doc_counters.next_no + 1
                 returning next_no - 1 as n",
                org_id,
                kind
            ))
            .await?;
        Ok(format!("{prefix}{:06}", row.i64("n")?))
    }

    /// Refuses `date` if it falls on or before the org's books-closed-through date.
    pub async fn check_open(&mut self, org_id: i64, field: &str, date: NaiveDate) -> Result<()> {
        if let (_, Some(closed), _) = self.org_settings(org_id).await?
            && date <= closed
        {
            return Err(Error::ClosedPeriod { field: field.to_string(), date, closed_through: closed });
        }
        Ok(())
    }

    /// The org's books-closed-through date and costing method, read once per transaction.
    pub async fn org_settings(&mut self, org_id: i64) -> Result<(i64, Option<NaiveDate>, CostingMethod)> {
        if let Some(s) = self.org_settings
            && s.0 == org_id
        {
            return Ok(s);
        }
        let row = self
            .tx
            .fetch_optional(q!("select books_closed_through, costing_method from orgs where id = $1", org_id))
            .await?
            .ok_or_else(|| Error::not_found("org", org_id))?;
        let s = (org_id, row.opt_date("books_closed_through")?, row.text("costing_method")?.parse()?);
        self.org_settings = Some(s);
        Ok(s)
    }

    /// Writes the audit and change rows and commits. The change rows get their sequence numbers under a lock
    /// on PostgreSQL so sequence order is commit order and the lake's watermark never skips a late commit.
    pub async fn commit(mut self) -> Result<()> {
        let now = Utc::now();
        for chunk in self.audits.chunks(100) {
            let mut sql = String::from(
                "insert into audit_log (org_id, actor_id, at, entity, entity_id, action, before, after) values ",
            );
            for i in 0..chunk.len() {
                let b = i * 8;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8
                ));
            }
            let mut q = Q::built(sql);
            for a in chunk {
                q = q
                    .bind(a.org_id)
                    .bind(self.actor)
                    .bind(now)
                    .bind(a.entity)
                    .bind(a.id)
                    .bind(a.action)
                    .bind(a.before.clone())
                    .bind(a.after.clone());
            }
            self.tx.execute(q).await?;
        }
        if !self.changes.is_empty() && self.tx.dialect() == Dialect::Postgres {
            self.tx.execute(q!("select pg_advisory_xact_lock(7417)")).await?;
        }
        for chunk in self.changes.chunks(150) {
            let mut sql = String::from("insert into change_log (org_id, entity, entity_id, op, at) values ");
            for i in 0..chunk.len() {
                let b = i * 5;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5));
            }
            let mut q = Q::built(sql);
            for c in chunk {
                q = q.bind(c.org_id).bind(c.entity).bind(c.id).bind(c.op).bind(now);
            }
            self.tx.execute(q).await?;
        }
        self.tx.commit().await
    }
}
