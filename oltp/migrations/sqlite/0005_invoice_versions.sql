-- A reopen ends a finalization the way a void does, dated `reopened_on`: before it puts back what finalizing did,
-- it keeps the invoice and its lines as they stood, so a report as of a date before the reopen counts the
-- finalization then in effect. Insert-only: a version never changes once written.
create table invoice_versions (
    id integer primary key,
    org_id integer not null references orgs (id),
    invoice_id integer not null references invoices (id),
    version integer not null,
    -- the finalization counted on [finalized_on, reopened_on)
    finalized_on date not null,
    reopened_on date not null,
    store_id integer not null,
    invoice_no text not null,
    customer_id integer not null,
    salesperson_id integer,
    invoice_date date not null,
    due_date date not null,
    out_of_state boolean not null,
    tax_exempt boolean not null,
    freight_cents integer not null,
    fees_cents integer not null,
    subtotal_cents integer not null,
    taxable_cents integer not null,
    tax_cents integer not null,
    surtax_cents integer not null,
    total_cents integer not null,
    unique (invoice_id, version),
    check (reopened_on >= finalized_on)
);
create index invoice_versions_invoice on invoice_versions (invoice_id);

-- the lines of that finalization as they stood, with the cost it booked; `line_id` has no foreign key, since
-- the line may be removed after the reopen
create table invoice_line_versions (
    id integer primary key,
    org_id integer not null references orgs (id),
    version_id integer not null references invoice_versions (id),
    invoice_id integer not null,
    line_id integer not null,
    line_no integer not null,
    kind text not null,
    item_id integer,
    style_id integer,
    description text not null,
    qty integer not null,
    unit_price_cents integer not null,
    adjustment_cents integer not null,
    trade_concession_cents integer not null,
    list_price_cents integer,
    taxable boolean not null,
    amount_cents integer not null,
    cost_cents integer not null,
    returned_line_id integer,
    memo_line_id integer,
    work_order_id integer,
    gift_card_code text,
    trade_in_actual_cents integer,
    trade_in_item_id integer,
    movement_id integer
);
create index invoice_line_versions_version on invoice_line_versions (version_id);
