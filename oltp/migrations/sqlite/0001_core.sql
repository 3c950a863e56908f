-- Loupe transactional core (SQLite dialect). Money is integer cents; rates are parts per million
-- (6% = 60000); partnership shares too (33.33% = 333300). Keep in step with
-- ../postgres/0001_core.sql.

create table orgs (
    id integer primary key,
    name text not null,
    costing_method text not null default 'fifo' check (costing_method in ('fifo', 'average')),
    aging_basis text not null default 'invoice_date' check (aging_basis in ('invoice_date', 'due_date')),
    books_closed_through date,
    created_at datetime not null
);

create table stores (
    id integer primary key,
    org_id integer not null references orgs (id),
    code text not null,
    name text not null,
    tax_rate_ppm integer not null default 0,
    surtax_rate_ppm integer not null default 0,
    surtax_threshold_cents integer not null default 0,
    retail_multiplier_ppm integer not null default 2000000,
    wholesale_multiplier_ppm integer not null default 1400000,
    active boolean not null default true,
    unique (org_id, code)
);

create table users (
    id integer primary key,
    org_id integer not null references orgs (id),
    username text not null,
    display_name text not null,
    password_hash text,
    groups text not null default '',
    is_salesperson boolean not null default false,
    commission_rate_ppm integer,
    active boolean not null default true,
    unique (org_id, username)
);

create table user_stores (
    user_id integer not null references users (id),
    store_id integer not null references stores (id),
    primary key (user_id, store_id)
);

create table contacts (
    id integer primary key,
    org_id integer not null references orgs (id),
    name text not null,
    email text,
    phone text,
    address text,
    is_customer boolean not null default false,
    is_vendor boolean not null default false,
    is_partner boolean not null default false,
    resale_certificate text,
    terms_days integer,
    merged_into integer references contacts (id),
    created_on date not null
);
create index contacts_org on contacts (org_id, name);

create table styles (
    id integer primary key,
    org_id integer not null references orgs (id),
    style_no text not null,
    family text not null check (family in ('jewelry', 'watches', 'diamonds', 'colored_stones', 'pearls')),
    category text not null,
    description text not null,
    vendor_id integer references contacts (id),
    serialized boolean not null,
    retail_price_cents integer not null default 0,
    unique (org_id, style_no)
);

-- A stock record: one serialized piece, or one style's lot at a store.
create table items (
    id integer primary key,
    org_id integer not null references orgs (id),
    store_id integer not null references stores (id),
    style_id integer not null references styles (id),
    stock_no text not null,
    serialized boolean not null,
    ownership text not null default 'owned' check (ownership in ('owned', 'consigned')),
    consignor_id integer references contacts (id),
    status text not null check (status in ('in_stock', 'on_memo', 'sold', 'returned_to_vendor', 'scrapped', 'voided', 'lot')),
    qty_on_hand integer not null default 0,
    qty_on_memo integer not null default 0,
    acquired_on date,
    base_cost_cents integer not null default 0,
    pool_cost_cents integer not null default 0,
    retail_price_cents integer not null default 0,
    description text,
    created_on date not null,
    unique (org_id, stock_no),
    check (qty_on_hand >= 0 and qty_on_memo >= 0)
);
create unique index items_one_lot on items (org_id, style_id, store_id, ownership, coalesce(consignor_id, 0))
    where not serialized;
create index items_style on items (org_id, style_id);

-- Remaining cost of a receipt of non-serialized stock; FIFO consumes by acquired_on, then id.
create table cost_layers (
    id integer primary key,
    org_id integer not null references orgs (id),
    item_id integer not null references items (id),
    acquired_on date,
    qty_received integer not null,
    cost_received_cents integer not null,
    qty_remaining integer not null,
    cost_remaining_cents integer not null,
    check (qty_remaining >= 0)
);
create index cost_layers_item on cost_layers (item_id, qty_remaining);

-- Every change of quantity. qty_delta moves stock on hand, memo_delta stock out on memo;
-- cost_cents is the owned cost that came in (+) or went out (-).
create table stock_movements (
    id integer primary key,
    org_id integer not null references orgs (id),
    item_id integer not null references items (id),
    store_id integer not null references stores (id),
    moved_on date not null,
    kind text not null check (kind in ('receive', 'sale', 'return', 'void_sale', 'void_return', 'memo_out',
        'memo_back', 'return_to_vendor', 'scrap', 'transfer_out', 'transfer_in', 'count_adjust', 'trade_in',
        'production', 'consign_in', 'consign_return')),
    qty_delta integer not null,
    memo_delta integer not null default 0,
    cost_cents integer not null default 0,
    ref_kind text,
    ref_id integer
);
create index stock_movements_item on stock_movements (item_id);

-- Which layers a movement took units from (or put them back into), and at what cost.
create table layer_moves (
    id integer primary key,
    org_id integer not null references orgs (id),
    movement_id integer not null references stock_movements (id),
    layer_id integer not null references cost_layers (id),
    qty integer not null,
    cost_cents integer not null
);
create index layer_moves_movement on layer_moves (movement_id);

-- Costs added to a serialized piece after its receipt (recert, repair, setting labor ...).
create table item_costs (
    id integer primary key,
    org_id integer not null references orgs (id),
    item_id integer not null references items (id),
    cost_date date not null,
    kind text not null,
    amount_cents integer not null,
    note text
);
create index item_costs_item on item_costs (item_id);

create table partnerships (
    id integer primary key,
    org_id integer not null references orgs (id),
    item_id integer not null references items (id),
    partner_id integer not null references contacts (id),
    share_ppm integer not null check (share_ppm > 0 and share_ppm < 1000000),
    kind text not null check (kind in ('owner', 'profit_only')),
    cost_basis_cents integer
);
create index partnerships_item on partnerships (item_id);

create table purchase_orders (
    id integer primary key,
    org_id integer not null references orgs (id),
    store_id integer not null references stores (id),
    vendor_id integer not null references contacts (id),
    po_no text not null,
    ordered_on date not null,
    status text not null check (status in ('open', 'closed', 'cancelled')),
    note text,
    unique (org_id, po_no)
);

create table purchase_order_lines (
    id integer primary key,
    org_id integer not null references orgs (id),
    po_id integer not null references purchase_orders (id),
    style_id integer not null references styles (id),
    qty_ordered integer not null,
    qty_received integer not null default 0,
    unit_cost_cents integer not null
);

-- One received line (the purchase_line fact): direct receipts and receipts against an order.
create table receipts (
    id integer primary key,
    org_id integer not null references orgs (id),
    store_id integer not null references stores (id),
    vendor_id integer references contacts (id),
    po_line_id integer references purchase_order_lines (id),
    item_id integer not null references items (id),
    received_on date not null,
    qty integer not null,
    cost_cents integer not null,
    consignment boolean not null default false
);

create table vendor_invoices (
    id integer primary key,
    org_id integer not null references orgs (id),
    vendor_id integer not null references contacts (id),
    vendor_ref text not null,
    invoice_date date not null,
    due_date date not null,
    amount_cents integer not null,
    status text not null check (status in ('open', 'voided')),
    voided_on date,
    note text,
    unique (org_id, vendor_id, vendor_ref)
);

create table vendor_payments (
    id integer primary key,
    org_id integer not null references orgs (id),
    vendor_id integer not null references contacts (id),
    paid_on date not null,
    amount_cents integer not null,
    method text not null,
    reference text,
    status text not null check (status in ('posted', 'voided')),
    voided_on date
);

create table vendor_payment_applications (
    id integer primary key,
    org_id integer not null references orgs (id),
    vendor_payment_id integer not null references vendor_payments (id),
    vendor_invoice_id integer not null references vendor_invoices (id),
    amount_cents integer not null
);

create table invoices (
    id integer primary key,
    org_id integer not null references orgs (id),
    store_id integer not null references stores (id),
    invoice_no text not null,
    customer_id integer not null references contacts (id),
    salesperson_id integer references users (id),
    invoice_date date not null,
    terms_days integer,
    due_date date not null,
    status text not null check (status in ('open', 'finalized', 'voided')),
    out_of_state boolean not null default false,
    tax_exempt boolean not null default false,
    freight_cents integer not null default 0,
    fees_cents integer not null default 0,
    subtotal_cents integer not null default 0,
    taxable_cents integer not null default 0,
    tax_cents integer not null default 0,
    surtax_cents integer not null default 0,
    total_cents integer not null default 0,
    finalized_on date,
    voided_on date,
    work_order_id integer,
    note text,
    unique (org_id, invoice_no)
);
create index invoices_customer on invoices (org_id, customer_id);

create table invoice_lines (
    id integer primary key,
    org_id integer not null references orgs (id),
    invoice_id integer not null references invoices (id),
    line_no integer not null,
    kind text not null check (kind in ('sale', 'return', 'trade_in', 'service', 'gift_card', 'misc')),
    item_id integer references items (id),
    style_id integer references styles (id),
    description text not null,
    qty integer not null,
    unit_price_cents integer not null,
    adjustment_cents integer not null default 0,
    trade_concession_cents integer not null default 0,
    list_price_cents integer,
    taxable boolean not null,
    amount_cents integer not null,
    cost_cents integer not null default 0,
    returned_line_id integer references invoice_lines (id),
    memo_line_id integer,
    work_order_id integer,
    gift_card_code text,
    trade_in_actual_cents integer,
    trade_in_item_id integer references items (id),
    movement_id integer references stock_movements (id)
);
create index invoice_lines_invoice on invoice_lines (invoice_id);
create index invoice_lines_item on invoice_lines (item_id);

create table payments (
    id integer primary key,
    org_id integer not null references orgs (id),
    store_id integer not null references stores (id),
    customer_id integer not null references contacts (id),
    paid_on date not null,
    direction text not null check (direction in ('in', 'out')),
    method text not null check (method in ('cash', 'check', 'card', 'store_credit', 'gift_card', 'other')),
    amount_cents integer not null check (amount_cents > 0),
    reference text,
    status text not null check (status in ('posted', 'voided')),
    voided_on date,
    void_reason text,
    gift_card_id integer,
    refund_of_payment_id integer references payments (id),
    work_order_id integer
);
create index payments_customer on payments (org_id, customer_id);

-- Signed: a receipt applies a positive amount, a refund of a negative balance a negative one.
create table payment_applications (
    id integer primary key,
    org_id integer not null references orgs (id),
    payment_id integer not null references payments (id),
    invoice_id integer not null references invoices (id),
    amount_cents integer not null,
    applied_on date not null,
    voided_on date
);
create index payment_applications_invoice on payment_applications (invoice_id);
create index payment_applications_payment on payment_applications (payment_id);

create table store_credit_entries (
    id integer primary key,
    org_id integer not null references orgs (id),
    customer_id integer not null references contacts (id),
    entry_date date not null,
    amount_cents integer not null,
    source_kind text not null,
    source_id integer
);
create index store_credit_customer on store_credit_entries (org_id, customer_id);

create table gift_cards (
    id integer primary key,
    org_id integer not null references orgs (id),
    code text not null,
    issued_on date not null,
    initial_cents integer not null,
    balance_cents integer not null check (balance_cents >= 0),
    invoice_line_id integer references invoice_lines (id),
    unique (org_id, code)
);

create table gift_card_entries (
    id integer primary key,
    org_id integer not null references orgs (id),
    gift_card_id integer not null references gift_cards (id),
    entry_date date not null,
    amount_cents integer not null,
    source_kind text not null,
    source_id integer
);

create table write_offs (
    id integer primary key,
    org_id integer not null references orgs (id),
    invoice_id integer not null references invoices (id),
    customer_id integer not null references contacts (id),
    written_on date not null,
    amount_cents integer not null,
    reason text,
    voided_on date
);
create index write_offs_invoice on write_offs (invoice_id);

create table memos (
    id integer primary key,
    org_id integer not null references orgs (id),
    store_id integer not null references stores (id),
    memo_no text not null,
    customer_id integer not null references contacts (id),
    salesperson_id integer references users (id),
    memo_date date not null,
    due_date date,
    note text,
    unique (org_id, memo_no)
);

create table memo_lines (
    id integer primary key,
    org_id integer not null references orgs (id),
    memo_id integer not null references memos (id),
    line_no integer not null,
    item_id integer not null references items (id),
    qty integer not null check (qty > 0),
    memo_price_cents integer not null,
    status text not null check (status in ('out', 'invoiced', 'returned')),
    resolved_on date,
    invoice_line_id integer references invoice_lines (id)
);
create index memo_lines_memo on memo_lines (memo_id);

create table memo_line_events (
    id integer primary key,
    org_id integer not null references orgs (id),
    memo_line_id integer not null references memo_lines (id),
    event text not null check (event in ('issue', 'invoice', 'return', 'reverse_return', 'reverse_invoice')),
    event_date date not null,
    invoice_line_id integer
);
create index memo_line_events_line on memo_line_events (memo_line_id);

create table work_orders (
    id integer primary key,
    org_id integer not null references orgs (id),
    store_id integer not null references stores (id),
    wo_no text not null,
    customer_id integer references contacts (id),
    kind text not null check (kind in ('repair', 'custom', 'production')),
    status text not null check (status in ('received', 'in_progress', 'ready', 'completed', 'cancelled')),
    description text not null,
    opened_on date not null,
    promised_on date,
    estimate_cents integer not null default 0,
    style_id integer references styles (id),
    invoice_id integer references invoices (id),
    item_id integer references items (id),
    closed_on date,
    unique (org_id, wo_no)
);

create table work_order_costs (
    id integer primary key,
    org_id integer not null references orgs (id),
    work_order_id integer not null references work_orders (id),
    cost_date date not null,
    kind text not null check (kind in ('labor', 'material', 'outside')),
    amount_cents integer not null,
    note text
);

create table consignment_settlements (
    id integer primary key,
    org_id integer not null references orgs (id),
    vendor_id integer not null references contacts (id),
    item_id integer not null references items (id),
    invoice_line_id integer not null references invoice_lines (id),
    created_on date not null,
    amount_cents integer not null,
    status text not null check (status in ('due', 'reversed'))
);

create table doc_counters (
    org_id integer not null references orgs (id),
    kind text not null,
    next_no integer not null,
    primary key (org_id, kind)
);

create table audit_log (
    id integer primary key,
    org_id integer,
    actor_id integer,
    at datetime not null,
    entity text not null,
    entity_id integer not null,
    action text not null check (action in ('create', 'update', 'delete', 'restore')),
    before text,
    after text
);
create index audit_log_entity on audit_log (entity, entity_id);

-- Appended in the same transaction as every write; the lake follows it by seq.
create table change_log (
    seq integer primary key autoincrement,
    org_id integer not null,
    entity text not null,
    entity_id integer not null,
    op text not null check (op in ('insert', 'update', 'delete')),
    at datetime not null
);
