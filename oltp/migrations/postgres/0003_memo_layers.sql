-- A lot's units out on memo stay in the layers they went out from (DESIGN §4 cost flow: a memo of a lot takes its
-- units from the oldest layers, which stay owned and on memo; invoicing them costs those layers). Each layer
-- counts its units on memo; a layer move's memo_qty records units of the layer going out on memo (+) or coming
-- back (−) with a memo movement, so a memo line's layers on any date are the sum of its memo movements' moves.
alter table cost_layers add column qty_on_memo bigint not null default 0;
alter table layer_moves add column memo_qty bigint not null default 0;
-- "which layers does this memo line hold?" at every return and invoice of a lot's memo line
create index stock_movements_memo_line on stock_movements (ref_id) where ref_kind = 'memo_line';
-- books from before: a lot's units on memo are taken to be its oldest units
update cost_layers set qty_on_memo = b.n from (
    select c.id, least(c.qty_remaining, greatest(0, i.qty_on_memo - coalesce(sum(c.qty_remaining) over (
               partition by c.item_id order by case when c.acquired_on is null then 0 else 1 end, c.acquired_on, c.id
               rows between unbounded preceding and 1 preceding), 0))) as n
    from cost_layers c join items i on i.id = c.item_id
    where i.qty_on_memo > 0 and not i.serialized
) b where b.id = cost_layers.id and b.n > 0;
