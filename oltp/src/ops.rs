//! Operations as commands. Each variant is one typed, serde-deserializable operation with a stable JSON form
//! (`{"op": "finalize_invoice", "org_id": 1, "invoice_id": 7}`), executed in one transaction together with its
//! audit and change rows. The CLI journal, the API, the demo generator and the tests all come through here.

use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::{Error, Result};
use crate::writer::{Ctx, Writer};
use crate::{catalog, inventory, memos, org, purchasing, sales, work_orders};

/// What a command created or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Outcome {
    /// The id of the record the command created or acted on.
    pub id: i64,
    /// Its document number, where it has one (`INV-000042`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub number: Option<String>,
    /// Ids of records created alongside (invoice lines, memo lines, applications), in input order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub ids: Vec<i64>,
}

impl Outcome {
    /// Just an id.
    pub fn id(id: i64) -> Outcome {
        Outcome { id, number: None, ids: Vec::new() }
    }

    /// An id and a document number.
    pub fn numbered(id: i64, number: String) -> Outcome {
        Outcome { id, number: Some(number), ids: Vec::new() }
    }
}

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
    VoidVendorPayment(purchasing::VoidVendorPayment) = "void_vendor_payment",
    CreateInvoice(sales::CreateInvoice) = "create_invoice",
    AddInvoiceLines(sales::AddInvoiceLines) = "add_invoice_lines",
    RemoveInvoiceLine(sales::RemoveInvoiceLine) = "remove_invoice_line",
    FinalizeInvoice(sales::FinalizeInvoice) = "finalize_invoice",
    VoidInvoice(sales::VoidInvoice) = "void_invoice",
    ReopenInvoice(sales::ReopenInvoice) = "reopen_invoice",
    RecordPayment(sales::RecordPayment) = "record_payment",
    VoidPayment(sales::VoidPayment) = "void_payment",
    Refund(sales::Refund) = "refund",
    WriteOff(sales::WriteOff) = "write_off",
    CreateWorkOrder(work_orders::CreateWorkOrder) = "create_work_order",
    SetWorkOrderStatus(work_orders::SetWorkOrderStatus) = "set_work_order_status",
    AddBenchCost(work_orders::AddBenchCost) = "add_bench_cost",
    CompleteWorkOrder(work_orders::CompleteWorkOrder) = "complete_work_order",
    CloseProduction(work_orders::CloseProduction) = "close_production",
}

/// Executes one command atomically: everything it writes, with its audit and change rows, or nothing.
pub async fn execute(db: &Db, ctx: &Ctx, cmd: &Command) -> Result<Outcome> {
    let mut w = Writer::begin(db, ctx).await?;
    let out = cmd.run(&mut w).await?;
    w.commit().await?;
    Ok(out)
}

/// Parses one journal line into a command, with an error that names the field at fault.
pub fn parse(line: &str) -> Result<Command> {
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
    if let Some(obj) = value.as_object_mut() {
        obj.remove("op");
    }
    Command::from_fields(&op, value)
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
    Error::invalid(field, "(given)", msg.to_string())
}

fn truncate(s: &str) -> String {
    let t: String = s.chars().take(60).collect();
    if t.len() < s.len() { format!("{t}…") } else { t }
}
