//! Operations as commands. Each variant is one typed, serde-deserializable operation with a stable JSON form
//! (`{"op": "finalize_invoice", "org_id": 1, "invoice_id": 7}`), executed in one transaction together with its
//! audit and change rows. The CLI journal, the API, the demo generator and the tests all come through here.

use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::{Error, Result};
use crate::writer::{Ctx, Outcome, Writer};
use crate::{catalog, inventory, memos, org, purchasing, restore, sales, saved, subscriptions, work_orders};

macro_rules! commands {
    ($($variant:ident($path:path) = $op:literal),+ $(,)?) => {
        /// Every operation the books accept.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(tag = "op")]
        #[allow(clippy::large_enum_variant)]
        pub enum Command {
            $(
                #[doc = concat!("`", $op, "`")]
                #[serde(rename = $op)]
                $variant($path),
            )+
        }

        impl Command {
            /// The `op` name.
            pub fn op(&self) -> &'static str {
                match self { $(Command::$variant(_) => $op),+ }
            }

            /// Every `op` name, in catalog order.
            pub const OPS: &'static [&'static str] = &[$($op),+];

            /// Deserializes the fields of operation `op` (the `op` key removed), tracking the path to a bad field.
            fn from_fields(op: &str, v: serde_json::Value) -> Result<Command> {
                let parsed = match op {
                    $($op => serde_path_to_error::deserialize(v).map(Command::$variant),)+
                    _ => return Err(Error::invalid("op", op, "unknown operation (see docs/OPERATIONS.md)")),
                };
                parsed.map_err(|e| {
                    let path = e.path().to_string();
                    field_error(op, &path, &e.into_inner().to_string())
                })
            }

            async fn run(&self, w: &mut Writer) -> Result<Outcome> {
                match self { $(Command::$variant(c) => c.run(w).await),+ }
            }
        }

        $(
            impl From<$path> for Command {
                fn from(c: $path) -> Command { Command::$variant(c) }
            }
        )+
    };
}

commands! {
    CreateOrg(org::CreateOrg) = "create_org",
    UpdateOrg(org::UpdateOrg) = "update_org",
    ClosePeriod(org::ClosePeriod) = "close_period",
    CreateStore(org::CreateStore) = "create_store",
    UpdateStore(org::UpdateStore) = "update_store",
    CreateUser(org::CreateUser) = "create_user",
    UpdateUser(org::UpdateUser) = "update_user",
    CreateContact(org::CreateContact) = "create_contact",
    UpdateContact(org::UpdateContact) = "update_contact",
    MergeContacts(org::MergeContacts) = "merge_contacts",
    CreateStyle(catalog::CreateStyle) = "create_style",
    UpdateStyle(catalog::UpdateStyle) = "update_style",
    ReceiveItem(inventory::ReceiveItem) = "receive_item",
    ReceiveStock(inventory::ReceiveStock) = "receive_stock",
    AddItemCost(inventory::AddItemCost) = "add_item_cost",
    AddPartnership(inventory::AddPartnership) = "add_partnership",
    TransferStock(inventory::TransferStock) = "transfer_stock",
    CountStock(inventory::CountStock) = "count_stock",
    ScrapStock(inventory::ScrapStock) = "scrap_stock",
    ReturnToVendor(inventory::ReturnToVendor) = "return_to_vendor",
    IssueMemo(memos::IssueMemo) = "issue_memo",
    ReturnMemoLine(memos::ReturnMemoLine) = "return_memo_line",
    ReverseMemoReturn(memos::ReverseMemoReturn) = "reverse_memo_return",
    CreatePurchaseOrder(purchasing::CreatePurchaseOrder) = "create_purchase_order",
    ReceivePurchaseOrder(purchasing::ReceivePurchaseOrder) = "receive_purchase_order",
    CreateVendorInvoice(purchasing::CreateVendorInvoice) = "create_vendor_invoice",
    RecordVendorPayment(purchasing::RecordVendorPayment) = "record_vendor_payment",
    VoidVendorInvoice(purchasing::VoidVendorInvoice) = "void_vendor_invoice",
    VoidVendorPayment(purchasing::VoidVendorPayment) = "void_vendor_payment",
    CreateInvoice(sales::CreateInvoice) = "create_invoice",
    AddInvoiceLines(sales::AddInvoiceLines) = "add_invoice_lines",
    RemoveInvoiceLine(sales::RemoveInvoiceLine) = "remove_invoice_line",
    FinalizeInvoice(sales::FinalizeInvoice) = "finalize_invoice",
    VoidInvoice(sales::VoidInvoice) = "void_invoice",
    ReopenInvoice(sales::ReopenInvoice) = "reopen_invoice",
    RecordPayment(sales::RecordPayment) = "record_payment",
    ApplyPayment(sales::ApplyPayment) = "apply_payment",
    VoidPayment(sales::VoidPayment) = "void_payment",
    Refund(sales::Refund) = "refund",
    WriteOff(sales::WriteOff) = "write_off",
    VoidWriteOff(sales::VoidWriteOff) = "void_write_off",
    IssueStoreCredit(sales::IssueStoreCredit) = "issue_store_credit",
    VoidStoreCredit(sales::VoidStoreCredit) = "void_store_credit",
    CreateWorkOrder(work_orders::CreateWorkOrder) = "create_work_order",
    SetWorkOrderStatus(work_orders::SetWorkOrderStatus) = "set_work_order_status",
    AddBenchCost(work_orders::AddBenchCost) = "add_bench_cost",
    CompleteWorkOrder(work_orders::CompleteWorkOrder) = "complete_work_order",
    CloseProduction(work_orders::CloseProduction) = "close_production",
    RestoreRecord(restore::RestoreRecord) = "restore_record",
    CreateSavedReport(saved::CreateSavedReport) = "create_saved_report",
    UpdateSavedReport(saved::UpdateSavedReport) = "update_saved_report",
    DeleteSavedReport(saved::DeleteSavedReport) = "delete_saved_report",
    CreateSubscription(subscriptions::CreateSubscription) = "create_subscription",
    UpdateSubscription(subscriptions::UpdateSubscription) = "update_subscription",
    PauseSubscription(subscriptions::PauseSubscription) = "pause_subscription",
    ResumeSubscription(subscriptions::ResumeSubscription) = "resume_subscription",
    DeleteSubscription(subscriptions::DeleteSubscription) = "delete_subscription",
}

/// Executes one command atomically: everything it writes, with its audit and change rows, or nothing.
pub async fn execute(db: &Db, ctx: &Ctx, cmd: &Command) -> Result<Outcome> {
    let mut w = Writer::begin(db, ctx).await?;
    let out = cmd.run(&mut w).await?;
    w.commit().await?;
    Ok(out)
}

/// Many commands in one transaction, each atomic on its own: a command runs inside a savepoint, so a refused
/// command leaves no trace while the others stand, and the commit (the costly part of a small transaction) is
/// paid once for the lot. The journal and the demo generator run through it; nothing is durable until
/// [`Batch::commit`], and a batch dropped uncommitted leaves nothing behind.
pub struct Batch {
    ctx: Ctx,
    writer: Option<Writer>,
    pending: usize,
}

impl Batch {
    /// An empty batch acting as `ctx`.
    pub fn new(ctx: Ctx) -> Batch {
        Batch { ctx, writer: None, pending: 0 }
    }

    /// Commands run since the last commit.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Runs one command in the batch's transaction (opening it if needed). An `Err` that is not the command's
    /// own refusal but the transaction failing is returned as [`BatchError::Lost`]: then nothing since the last
    /// commit stands.
    pub async fn run(&mut self, db: &Db, cmd: &Command) -> Result<Outcome, BatchError> {
        self.run_keyed(db, None, cmd).await.map(|a| a.outcome)
    }

    /// [`Batch::run`] under an idempotency key: a key already applied answers with its first outcome and does
    /// nothing; a new one is recorded with the outcome in the same transaction as the command.
    pub async fn run_keyed(&mut self, db: &Db, key: Option<&str>, cmd: &Command) -> Result<Applied, BatchError> {
        let w = match self.writer.take() {
            Some(w) => w,
            None => Writer::begin(db, &self.ctx).await.map_err(BatchError::Lost)?,
        };
        let w = self.writer.insert(w);
        let result = in_savepoint(w, key, cmd).await;
        match &result {
            Ok(a) if !a.replayed => self.pending += 1,
            Ok(_) => {}
            Err(BatchError::Lost(_)) => {
                self.writer = None;
                self.pending = 0;
            }
            Err(BatchError::Refused(_)) => {}
        }
        result
    }

    /// Commits what ran; returns how many commands that made durable.
    pub async fn commit(&mut self) -> Result<usize> {
        let n = std::mem::take(&mut self.pending);
        match self.writer.take() {
            Some(w) => w.commit().await.map(|()| n),
            None => Ok(0),
        }
    }
}

/// What a command under a key did: its outcome, and whether that is the first application's, answered again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The outcome (the first one, for a replay).
    pub outcome: Outcome,
    /// The key had been applied already: nothing was done this time.
    pub replayed: bool,
}

/// Executes one command atomically under an idempotency key (see [`Batch::run_keyed`]).
pub async fn execute_keyed(db: &Db, ctx: &Ctx, key: Option<&str>, cmd: &Command) -> Result<Applied> {
    let mut w = Writer::begin(db, ctx).await?;
    let applied = match in_savepoint(&mut w, key, cmd).await {
        Ok(a) => a,
        Err(BatchError::Refused(e) | BatchError::Lost(e)) => return Err(e),
    };
    w.commit().await?;
    Ok(applied)
}

/// The first outcome of `key`, if it was applied; refuses a key applied to another command.
async fn applied_before(w: &mut Writer, key: &str, command: &str) -> Result<Option<Outcome>> {
    let Some(r) =
        w.fetch_optional(crate::q!("select command, outcome from idempotency_keys where key = $1", key)).await?
    else {
        return Ok(None);
    };
    if r.text("command")? != command {
        return Err(Error::invalid("key", key, "already used for another command"));
    }
    let outcome = r.text("outcome")?;
    serde_json::from_str(&outcome).map(Some).map_err(|e| Error::Database(format!("idempotency key {key}: {e}")))
}

async fn in_savepoint(w: &mut Writer, key: Option<&str>, cmd: &Command) -> Result<Applied, BatchError> {
    let command = serde_json::to_string(cmd).map_err(|e| BatchError::Refused(Error::Database(e.to_string())))?;
    if let Some(k) = key {
        if k.trim().is_empty() || k.chars().count() > crate::bounds::SHORT_TEXT {
            return Err(BatchError::Refused(Error::invalid("key", k, "1 to 200 characters")));
        }
        match applied_before(w, k, &command).await {
            Ok(Some(outcome)) => return Ok(Applied { outcome, replayed: true }),
            Ok(None) => {}
            Err(e @ Error::Storage(_)) => return Err(BatchError::Lost(e)),
            Err(e) => return Err(BatchError::Refused(e)),
        }
    }
    let mark = w.savepoint().await.map_err(BatchError::Lost)?;
    let ran = match cmd.run(w).await {
        Ok(out) => match key {
            Some(k) => record_key(w, k, &command, &out).await.map(|()| out),
            None => Ok(out),
        },
        Err(e) => Err(e),
    };
    match ran {
        Ok(out) => {
            w.release(mark).await.map_err(BatchError::Lost)?;
            Ok(Applied { outcome: out, replayed: false })
        }
        // the storage failed under the command: the transaction cannot go on
        Err(e @ Error::Storage(_)) => Err(BatchError::Lost(e)),
        Err(refused) => {
            w.rollback_to(mark).await.map_err(BatchError::Lost)?;
            Err(BatchError::Refused(refused))
        }
    }
}

async fn record_key(w: &mut Writer, key: &str, command: &str, out: &Outcome) -> Result<()> {
    let outcome = serde_json::to_string(out).map_err(|e| Error::Database(e.to_string()))?;
    w.execute_untracked(crate::q!(
        "insert into idempotency_keys (key, command, outcome, applied_at) values ($1, $2, $3, $4)",
        key,
        command,
        outcome,
        chrono::Utc::now()
    ))
    .await?;
    Ok(())
}

/// Why a command in a [`Batch`] did not stand.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The command was refused; the rest of the batch stands.
    #[error(transparent)]
    Refused(Error),
    /// The transaction failed: every command since the last commit is lost.
    #[error("the batch's transaction failed: {0}")]
    Lost(Error),
}

/// Parses one journal line into a command, with an error that names the field at fault.
pub fn parse(line: &str) -> Result<Command> {
    parse_keyed(line).and_then(|(key, cmd)| match key {
        Some(k) => Err(Error::invalid("key", k, "a key is taken by the journal, not by a single command")),
        None => Ok(cmd),
    })
}

/// [`parse`] for a journal line that may carry an idempotency `key` beside `op`.
pub fn parse_keyed(line: &str) -> Result<(Option<String>, Command)> {
    let mut value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| Error::invalid("json", truncate(line), format!("malformed json: {e}")))?;
    if !value.is_object() {
        return Err(Error::invalid("json", truncate(line), "a command is a json object"));
    }
    let op = match value.get("op") {
        Some(serde_json::Value::String(op)) => op.clone(),
        Some(other) => return Err(Error::invalid("op", other, "must be a string naming the operation")),
        None => return Err(Error::invalid("op", "(missing)", "every command needs an \"op\"")),
    };
    let mut key = None;
    if let Some(obj) = value.as_object_mut() {
        obj.remove("op");
        key = match obj.remove("key") {
            None => None,
            Some(serde_json::Value::String(k)) => Some(k),
            Some(other) => return Err(Error::invalid("key", other, "an idempotency key is a string")),
        };
    }
    crate::bounds::check(&value)?;
    Ok((key, Command::from_fields(&op, value)?))
}

/// The fields of operation `op` as a JSON object (the API's body: the operation named by the route, so an `op`
/// inside must agree and a `key` is refused — the key travels in a header), with an error naming the field.
pub fn parse_fields(op: &str, value: serde_json::Value) -> Result<Command> {
    let serde_json::Value::Object(mut obj) = value else {
        return Err(Error::invalid("body", truncate(&value.to_string()), "a command is a json object"));
    };
    match obj.remove("op") {
        None => {}
        Some(serde_json::Value::String(o)) if o == op => {}
        Some(other) => return Err(Error::invalid("op", other, format!("the route names {op}"))),
    }
    if obj.contains_key("key") {
        return Err(Error::invalid("key", "(present)", "send an idempotency key as the Idempotency-Key header"));
    }
    if !Command::OPS.contains(&op) {
        return Err(Error::invalid("op", op, "unknown operation (see docs/OPERATIONS.md)"));
    }
    let value = serde_json::Value::Object(obj);
    crate::bounds::check(&value)?;
    Command::from_fields(op, value)
}

/// serde says `unknown field `x``, `missing field `x`` or `invalid type …` at a path; turn that into an error
/// naming the field (`lines[2].qty`).
fn field_error(op: &str, path: &str, msg: &str) -> Error {
    let named = msg.split('`').nth(1).map(str::to_string);
    let join = |f: &str| if path.is_empty() || path == "." { f.to_string() } else { format!("{path}.{f}") };
    if let (true, Some(f)) = (msg.starts_with("unknown field"), &named) {
        // serde's path already ends at the unknown key
        let field = if path.is_empty() || path == "." { f.clone() } else { path.to_string() };
        return Error::invalid(field, "(present)", format!("{op} has no such field"));
    }
    if let (true, Some(f)) = (msg.starts_with("missing field"), &named) {
        return Error::invalid(join(f), "(missing)", format!("{op} requires it"));
    }
    let field = if path.is_empty() || path == "." { op.to_string() } else { path.to_string() };
    // the domain types word their refusals `value — rule`
    match msg.split_once(" — ") {
        Some((value, rule)) => Error::invalid(field, value, rule),
        None => Error::invalid(field, "(given)", msg.to_string()),
    }
}

fn truncate(s: &str) -> String {
    let t: String = s.chars().take(60).collect();
    if t.len() < s.len() { format!("{t}…") } else { t }
}
