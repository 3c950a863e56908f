//! Selling and getting paid: walk-in customers and trade buyers, lines from the shelves with discounts and
//! negotiated prices, services, gift cards, trade-ins; tenders, split payments, installments, terms, bounced
//! checks, payments entered in error; returns and exchanges weeks later; costs arriving after the sale;
//! write-offs of balances nobody will pay.

use super::draw::{between, chance, index, percent_of, pick, weighted, whole_dollars};
use super::{Card, Event, Gen, Open, Sold, Step, Took};
use crate::demo::catalog::{CATEGORIES, SERVICES};
use crate::inventory::AddItemCost;
use crate::sales::tax::{self, TaxLine};
use crate::sales::{
    AddInvoiceLines, Application, Apply, CreateInvoice, FinalizeInvoice, LineInput, RecordPayment, Refund,
    ReopenInvoice, Tender, VoidInvoice, VoidPayment, WriteOff,
};
use crate::types::{Family, LineKind, Money, PaymentMethod, prorate};

/// An invoice being put together, with what each line took off the shelves.
struct Draft {
    shop: usize,
    customer: u32,
    out_of_state: bool,
    freight: i64,
    lines: Vec<LineInput>,
    taxed: Vec<TaxLine>,
    took: Vec<Took>,
    /// A gift card sold on it: (code, amount).
    card: Option<(String, i64)>,
}

impl Draft {
    fn new(shop: usize, customer: u32) -> Draft {
        Draft {
            shop,
            customer,
            out_of_state: false,
            freight: 0,
            lines: Vec::new(),
            taxed: Vec::new(),
            took: Vec::new(),
            card: None,
        }
    }

    /// Adds a line whose customer-facing amount (qty × unit price − adjustment) is `amount`.
    fn push(&mut self, line: LineInput, amount: i64, took: Took) {
        let taxable = matches!(line.kind, Some(LineKind::Sale | LineKind::Return | LineKind::Service | LineKind::Misc));
        self.taxed.push(TaxLine { qty: line.qty.unwrap_or(1), amount: Money(amount), taxable });
        self.lines.push(line);
        self.took.push(took);
    }
}

/// An invoice the books accepted.
struct Created {
    id: i64,
    total: i64,
    line_ids: Vec<i64>,
    /// Payments taken with it, in tender order.
    payments: Vec<i64>,
}

/// How a retail sale is paid, decided before it is rung up: the tenders taken at the counter, and what
/// happens after.
struct Settlement {
    tenders: Vec<Tender>,
    after: After,
}

/// What follows a sale's tenders.
enum After {
    /// Nothing: paid in full by money that stays paid (`true`), or nothing was due (`false`).
    Done(bool),
    /// Bought on terms: due later.
    Terms,
    /// A deposit taken; the rest is owed, paid in installments unless abandoned.
    Deposit { left: i64, abandoned: bool },
    /// The last tender, a check, bounces some days later.
    Bounce { amount: i64, repay: bool, after: i64 },
    /// The last tender, a card, was keyed twice: voided and taken again.
    Rekey { amount: i64 },
}

/// Costs rise about 9% a year (gold); trade prices follow.
fn inflation(day: u32) -> i64 {
    100 + i64::from(day) * 9 / 365
}

impl Gen<'_> {
    /// A store's day of sales: the day's traffic with some noise, one invoice per visit.
    pub(super) async fn sales_day(&mut self, s: usize, factor: f64) -> Step {
        let noise = 0.85 + 0.3 * rand::Rng::random::<f64>(&mut self.rng);
        let expected = self.base_rate * self.shops[s].weight * factor * noise;
        let mut n = expected.floor() as u64;
        if chance(&mut self.rng, expected.fract()) {
            n += 1;
        }
        for _ in 0..n {
            let c = self.customer(s).await?;
            if self.customers[c as usize].wholesale {
                self.trade_sale(s, c).await?;
            } else {
                self.retail_sale(s, c).await?;
            }
        }
        Ok(())
    }

    async fn retail_sale(&mut self, s: usize, c: u32) -> Step {
        let mut d = Draft::new(s, c);
        let n = match weighted(&mut self.rng, &[70, 20, 7, 3]) {
            0 => 1,
            1 => 2,
            2 => 3,
            _ => between(&mut self.rng, 4, 6),
        };
        for _ in 0..n {
            self.add_line(&mut d, false);
        }
        if chance(&mut self.rng, 0.015) {
            self.add_gift_card(&mut d);
        }
        self.maybe_trade_in(&mut d);
        if d.took.iter().zip(&d.taxed).any(|(t, l)| matches!(t, Took::Piece(_)) && l.amount.0 >= 300_000)
            && chance(&mut self.rng, 0.05)
        {
            d.out_of_state = true;
            d.freight = between(&mut self.rng, 25, 75) * 100;
        }
        if d.lines.is_empty() {
            return Ok(()); // nothing they wanted was in stock
        }
        if chance(&mut self.rng, 0.003) {
            // rung up in error and voided on the spot: everything goes back on the shelf
            let created = self.invoice(&d, Vec::new()).await?;
            self.exec(VoidInvoice { org_id: self.org, invoice_id: created.id, voided_on: Some(self.date) }).await?;
            for took in d.took {
                self.shelve(s, took, None);
            }
            return Ok(());
        }
        let plan = self.plan_settlement(&d, self.draft_total(&d));
        let created = self.invoice(&d, plan.tenders).await?;
        let clean = self.settle(&d, &created, plan.after).await?;
        self.follow_ups(d, &created, clean);
        Ok(())
    }

    /// A trade buyer: lots by the dozen (now and then a piece) at wholesale prices, tax-exempt, on terms.
    async fn trade_sale(&mut self, s: usize, c: u32) -> Step {
        let mut d = Draft::new(s, c);
        for _ in 0..between(&mut self.rng, 2, 6) {
            self.add_line(&mut d, true);
        }
        if d.lines.is_empty() {
            return Ok(());
        }
        let created = self.invoice(&d, Vec::new()).await?;
        self.on_terms(c, s, created.id, created.total);
        self.follow_ups(d, &created, false);
        // now and then a fee is agreed after the sale: the invoice is reopened and finalized again (nothing on
        // a trade sale comes back, and nothing is paid on it for weeks, so nothing stands in the way)
        // (drawn from the invoice's id, not the random stream, so the rest of the business is as it was)
        if self.open.get(&created.id).is_some_and(|o| !o.abandoned) && created.id % 20 == 7 {
            self.schedule(1 + created.id % 5, Event::Correction { invoice: created.id });
        }
        Ok(())
    }

    /// Reopens a trade invoice, adds a (non-taxable) fee and finalizes it again the same day. (Not days later:
    /// the month's stock count would find the reopened goods back on the shelf, which the generator's picture
    /// of the stock does not hold.)
    pub(super) async fn correct(&mut self, invoice: i64) -> Step {
        let Some(open) = self.open.remove(&invoice) else { return Ok(()) };
        self.exec(ReopenInvoice { org_id: self.org, invoice_id: invoice, reopened_on: Some(self.date) }).await?;
        let fee = (15 + invoice * 7_919 % 76) * 100;
        let line = LineInput {
            kind: Some(LineKind::Misc),
            description: Some("Rush setting fee".into()),
            unit_price: Some(Money(fee)),
            taxable: Some(false),
            ..LineInput::default()
        };
        self.exec(AddInvoiceLines { org_id: self.org, invoice_id: invoice, lines: vec![line] }).await?;
        self.report.lines += 1;
        self.exec(FinalizeInvoice { org_id: self.org, invoice_id: invoice, finalized_on: Some(self.date) }).await?;
        self.open.insert(invoice, Open { balance: open.balance + fee, ..open });
        Ok(())
    }

    /// One line: a service now and then, else stock from a category drawn by its share of sales.
    fn add_line(&mut self, d: &mut Draft, trade: bool) {
        if !trade && chance(&mut self.rng, super::SERVICE_SHARE) {
            let (service, description, lo, hi) = *pick(&mut self.rng, SERVICES);
            let price = between(&mut self.rng, lo, hi) * 100;
            let line = LineInput {
                kind: Some(if service { LineKind::Service } else { LineKind::Misc }),
                description: Some(description.into()),
                qty: Some(1),
                unit_price: Some(Money(price)),
                ..LineInput::default()
            };
            d.push(line, price, Took::Nothing);
            return;
        }
        for _ in 0..4 {
            let c = weighted(&mut self.rng, &self.cat_weights);
            let serialized = CATEGORIES[c].serialized;
            if trade && serialized && !chance(&mut self.rng, 0.15) {
                continue;
            }
            let added = if serialized { self.add_piece(d, c, trade) } else { self.add_lot(d, c, trade) };
            if added {
                return;
            }
        }
    }

    /// A piece off the shelf. Big spenders look at a few and take the dearest, occasional buyers the cheaper
    /// of two. A quarter of retail sales are at a negotiated price below the tag, a fifth get a dollar discount.
    fn add_piece(&mut self, d: &mut Draft, c: usize, trade: bool) -> bool {
        let len = self.shops[d.shop].pieces[c].len();
        if len == 0 {
            return false;
        }
        let tickets = self.customers[d.customer as usize].tickets;
        let mut best = index(&mut self.rng, len);
        let looks = if tickets >= 50 {
            3
        } else if tickets >= 3 {
            1
        } else {
            2
        };
        for _ in 1..looks {
            let other = index(&mut self.rng, len);
            let pieces = &self.shops[d.shop].pieces[c];
            let better = if tickets >= 50 {
                pieces[other].retail > pieces[best].retail
            } else {
                pieces[other].retail < pieces[best].retail
            };
            if better {
                best = other;
            }
        }
        let piece = self.shops[d.shop].pieces[c].swap_remove(best);
        let (unit, adjustment) = if trade {
            (percent_of(piece.cost, 130).max(100), 0)
        } else {
            let mut unit = piece.retail;
            if chance(&mut self.rng, 0.25) {
                unit = whole_dollars(percent_of(unit, between(&mut self.rng, 85, 97)));
            }
            let adj = if chance(&mut self.rng, 0.2) {
                whole_dollars(percent_of(unit, between(&mut self.rng, 5, 15))).min(unit)
            } else {
                0
            };
            (unit, adj)
        };
        let line = LineInput {
            kind: Some(LineKind::Sale),
            item_id: Some(piece.id),
            description: Some(self.styles[piece.style].description.clone()),
            qty: Some(1),
            unit_price: Some(Money(unit)),
            adjustment: Money(adjustment),
            ..LineInput::default()
        };
        d.push(line, unit - adjustment, Took::Piece(piece));
        true
    }

    /// Units of a lot: one or two at retail (list price, some discounted), or a trade buyer's dozen at cost
    /// plus 45%. Never more than the store has.
    fn add_lot(&mut self, d: &mut Draft, c: usize, trade: bool) -> bool {
        let styles = self.by_cat[c].len();
        for _ in 0..3 {
            let style = self.by_cat[c][index(&mut self.rng, styles)];
            let lot = self.shops[d.shop].lots[style];
            if lot.qty <= 0 || lot.id == 0 {
                continue;
            }
            let want =
                if trade { between(&mut self.rng, 3, 12) } else { [1, 2, 3][weighted(&mut self.rng, &[85, 12, 3])] };
            let qty = want.min(lot.qty);
            let list = self.styles[style].retail;
            let unit = if trade {
                percent_of(percent_of(self.styles[style].cost, inflation(self.day)), 145).max(100)
            } else {
                list
            };
            let adjustment = if !trade && chance(&mut self.rng, 0.15) {
                whole_dollars(percent_of(unit * qty, between(&mut self.rng, 5, 20))).min(unit * qty)
            } else {
                0
            };
            self.shops[d.shop].lots[style].qty -= qty;
            let line = LineInput {
                kind: Some(LineKind::Sale),
                item_id: Some(lot.id),
                description: Some(self.styles[style].description.clone()),
                qty: Some(qty),
                unit_price: Some(Money(unit)),
                list_price: Some(Money(list)),
                adjustment: Money(adjustment),
                ..LineInput::default()
            };
            d.push(line, qty * unit - adjustment, Took::Lot { style, qty });
            return true;
        }
        false
    }

    fn add_gift_card(&mut self, d: &mut Draft) {
        self.next_card += 1;
        let code = format!("G{:08}", self.next_card);
        let amount = between(&mut self.rng, 2, 20) * 2_500;
        let line = LineInput {
            kind: Some(LineKind::GiftCard),
            qty: Some(1),
            unit_price: Some(Money(amount)),
            gift_card_code: Some(code.clone()),
            ..LineInput::default()
        };
        d.push(line, amount, Took::Nothing);
        d.card = Some((code, amount));
    }

    /// Now and then the customer trades in an old piece against a good one: the allowance shown is more than
    /// the piece is worth, and the difference is a trade concession on the sale line.
    fn maybe_trade_in(&mut self, d: &mut Draft) {
        let Some(i) =
            d.took.iter().zip(&d.taxed).position(|(t, l)| matches!(t, Took::Piece(_)) && l.amount.0 >= 150_000)
        else {
            return;
        };
        if !chance(&mut self.rng, 0.07) {
            return;
        }
        let Took::Piece(piece) = &d.took[i] else { return };
        let family = CATEGORIES[self.styles[piece.style].cat].family;
        let estate = self
            .estate
            .iter()
            .find(|(f, _)| *f == family)
            .or(self.estate.first())
            .map(|(_, id)| *id)
            .unwrap_or_default();
        let amount = d.taxed[i].amount.0;
        let allowance = whole_dollars(percent_of(amount, between(&mut self.rng, 10, 30)));
        let actual = whole_dollars(percent_of(allowance, between(&mut self.rng, 50, 85)));
        d.lines[i].trade_concession = Money(allowance - actual);
        let what = match family {
            Family::Watches => "watch",
            Family::Diamonds => "diamond",
            _ => "ring",
        };
        let line = LineInput {
            kind: Some(LineKind::TradeIn),
            style_id: Some(estate),
            description: Some(format!("Trade-in: customer's {what}")),
            qty: Some(1),
            allowance: Some(Money(allowance)),
            actual_value: Some(Money(actual)),
            ..LineInput::default()
        };
        d.push(line, -allowance, Took::Nothing);
    }

    /// Creates and finalizes the invoice; its total is worked out here with the books' own tax rules, so
    /// payments can be applied to the cent (and a mismatch fails loudly).
    fn draft_total(&self, d: &Draft) -> i64 {
        let exempt = d.out_of_state || self.customers[d.customer as usize].wholesale;
        let shop = &self.shops[d.shop];
        // the demo's figures are far inside the books' bounds; were one refused, the invoice would be too
        let t = tax::compute(&d.taxed, shop.tax, shop.surtax, shop.threshold, exempt, ("lines", ""))
            .unwrap_or(tax::Tax::NONE);
        let subtotal: i64 = d.taxed.iter().map(|l| l.amount.0).sum();
        subtotal + t.tax.0 + t.surtax.0 + d.freight
    }

    async fn invoice(&mut self, d: &Draft, tenders: Vec<Tender>) -> Step<Created> {
        let total = self.draft_total(d);
        let shop = &self.shops[d.shop];
        let seller = shop.sellers[weighted(&mut self.rng, &shop.seller_weights)];
        let out = self
            .exec(CreateInvoice {
                org_id: self.org,
                store_id: shop.id,
                customer_id: self.customers[d.customer as usize].id,
                salesperson_id: Some(seller),
                invoice_date: Some(self.date),
                terms_days: None,
                out_of_state: d.out_of_state,
                freight: Money(d.freight),
                fees: Money::ZERO,
                note: None,
                lines: d.lines.clone(),
                finalize: true,
                payments: tenders,
            })
            .await?;
        self.report.invoices += 1;
        self.report.lines += d.lines.len() as u64;
        self.report.payments += out.payments.len() as u64;
        Ok(Created { id: out.id, total, line_ids: out.ids, payments: out.payments })
    }

    /// Records a payment applied to the given invoices.
    async fn pay(
        &mut self,
        c: u32,
        s: usize,
        method: PaymentMethod,
        amount: i64,
        plan: &[(i64, i64)],
        gift_card_code: Option<String>,
    ) -> Step<i64> {
        let reference = (method == PaymentMethod::Check).then(|| {
            self.checks += 1;
            format!("check {}", self.checks)
        });
        let out = self
            .exec(RecordPayment {
                org_id: self.org,
                store_id: self.shops[s].id,
                customer_id: self.customers[c as usize].id,
                paid_on: Some(self.date),
                method,
                amount: Money(amount),
                reference,
                gift_card_code,
                work_order_id: None,
                apply: Apply::To(plan.iter().map(|(i, a)| Application { invoice_id: *i, amount: Money(*a) }).collect()),
            })
            .await?;
        self.report.payments += 1;
        Ok(out.id)
    }

    /// How a walk-in pays: mostly card, then cash and checks, some financing.
    fn tender(&mut self) -> PaymentMethod {
        [PaymentMethod::Card, PaymentMethod::Cash, PaymentMethod::Check, PaymentMethod::Other]
            [weighted(&mut self.rng, &[66, 14, 14, 6])]
    }

    /// A tender taken at the counter (checks get the next check number).
    fn tender_of(&mut self, method: PaymentMethod, amount: i64) -> Tender {
        let reference = (method == PaymentMethod::Check).then(|| {
            self.checks += 1;
            format!("check {}", self.checks)
        });
        Tender { method, amount: Some(Money(amount)), reference, gift_card_code: None }
    }

    /// Decides how a retail sale of `total` is paid: store credit first, then a deposit (paid over time), a
    /// split between cash and card, or one tender; some checks bounce, some cards are keyed twice.
    fn plan_settlement(&mut self, d: &Draft, total: i64) -> Settlement {
        let c = d.customer;
        let mut tenders = Vec::new();
        if total <= 0 {
            return Settlement { tenders, after: After::Done(false) };
        }
        if self.customers[c as usize].terms {
            return Settlement { tenders, after: After::Terms };
        }
        let mut left = total;
        let credit = self.credit.get(&c).copied().unwrap_or(0);
        if credit > 0 {
            let amount = credit.min(left);
            tenders.push(self.tender_of(PaymentMethod::StoreCredit, amount));
            self.credit.insert(c, credit - amount);
            left -= amount;
            if left == 0 {
                return Settlement { tenders, after: After::Done(true) };
            }
        }
        if left >= 100_000 && chance(&mut self.rng, 0.07) {
            // paid over time: a deposit now, installments later; some never finish
            let deposit = whole_dollars(percent_of(left, between(&mut self.rng, 25, 50))).min(left);
            let method = self.tender();
            tenders.push(self.tender_of(method, deposit));
            let abandoned = chance(&mut self.rng, 0.12);
            return Settlement { tenders, after: After::Deposit { left: left - deposit, abandoned } };
        }
        if left >= 2_000 && chance(&mut self.rng, 0.08) {
            let cash = whole_dollars(percent_of(left, between(&mut self.rng, 20, 60))).min(left - 100);
            tenders.push(self.tender_of(PaymentMethod::Cash, cash));
            tenders.push(self.tender_of(PaymentMethod::Card, left - cash));
            return Settlement { tenders, after: After::Done(true) };
        }
        let method = self.tender();
        tenders.push(self.tender_of(method, left));
        let after = if method == PaymentMethod::Check && chance(&mut self.rng, 0.04) {
            let repay = chance(&mut self.rng, 0.75);
            After::Bounce { amount: left, repay, after: between(&mut self.rng, 4, 10) }
        } else if method == PaymentMethod::Card && chance(&mut self.rng, 0.004) {
            After::Rekey { amount: left }
        } else {
            After::Done(true)
        };
        Settlement { tenders, after }
    }

    /// What follows the tenders of a retail sale. Returns whether it was paid in full at once by money that
    /// stays paid (the only sales that later come back as returns).
    async fn settle(&mut self, d: &Draft, inv: &Created, after: After) -> Step<bool> {
        let (c, s) = (d.customer, d.shop);
        let last = inv.payments.last().copied().unwrap_or_default();
        match after {
            After::Done(clean) => Ok(clean),
            After::Terms => {
                self.on_terms(c, s, inv.id, inv.total);
                Ok(false)
            }
            After::Deposit { left, abandoned } => {
                if left > 0 {
                    self.open.insert(inv.id, Open { customer: c, shop: s, day: self.day, balance: left, abandoned });
                    if !abandoned {
                        let (after, left) = (between(&mut self.rng, 14, 30), between(&mut self.rng, 2, 4) as u32);
                        self.schedule(after, Event::Installment { invoice: inv.id, left });
                    }
                }
                Ok(false)
            }
            After::Bounce { amount, repay, after } => {
                self.schedule(
                    after,
                    Event::Bounce {
                        payment: last,
                        applied: vec![(inv.id, amount, self.day)],
                        repay,
                        customer: c,
                        shop: s,
                    },
                );
                Ok(false)
            }
            After::Rekey { amount } => {
                // keyed twice: the first is voided the same day
                self.exec(VoidPayment {
                    org_id: self.org,
                    payment_id: last,
                    voided_on: Some(self.date),
                    reason: Some("entered in error".into()),
                })
                .await?;
                self.pay(c, s, PaymentMethod::Card, amount, &[(inv.id, amount)], None).await?;
                Ok(true)
            }
        }
    }

    /// An invoice on terms: due in 30 days; a few are never paid.
    fn on_terms(&mut self, c: u32, s: usize, invoice: i64, total: i64) {
        if total <= 0 {
            return;
        }
        let abandoned = chance(&mut self.rng, 0.03);
        self.open.insert(invoice, Open { customer: c, shop: s, day: self.day, balance: total, abandoned });
        if !abandoned {
            let after = 30 + between(&mut self.rng, -5, 20);
            self.schedule(after, Event::TermsDue { customer: c });
        }
    }

    /// After the sale: some purchases will come back, some pieces get a cost after the sale, gift cards wait
    /// to be spent.
    fn follow_ups(&mut self, d: Draft, inv: &Created, returnable: bool) {
        for (i, took) in d.took.into_iter().enumerate() {
            let line = &d.lines[i];
            let (p_return, p_cost) = match &took {
                Took::Piece(p) => (0.04, if p.consigned { 0.0 } else { 0.03 }),
                Took::Lot { .. } => (0.02, 0.0),
                Took::Nothing => continue,
            };
            if returnable && chance(&mut self.rng, p_return) {
                let after = if chance(&mut self.rng, 0.6) {
                    between(&mut self.rng, 1, 14)
                } else {
                    between(&mut self.rng, 15, 45)
                };
                let sold = Sold {
                    line_id: inv.line_ids[i],
                    customer: d.customer,
                    shop: d.shop,
                    out_of_state: d.out_of_state,
                    qty: line.qty.unwrap_or(1),
                    unit_price: line.unit_price.map_or(0, |m| m.0),
                    adjustment: line.adjustment.0,
                    took,
                };
                self.schedule(after, Event::Return(sold));
            } else if let Took::Piece(p) = &took
                && chance(&mut self.rng, p_cost)
            {
                let after = between(&mut self.rng, 3, 40);
                self.schedule(after, Event::ItemCost { item: p.id });
            }
        }
        if let Some((code, amount)) = d.card {
            self.cards.push(Card { code, balance: amount, shop: d.shop });
            let card = self.cards.len() - 1;
            let after = between(&mut self.rng, 7, 120);
            self.schedule(after, Event::Redeem { card });
        }
    }

    /// Puts goods back on the shelf in memory (a void, a return).
    fn shelve(&mut self, s: usize, took: Took, qty: Option<i64>) {
        match took {
            Took::Piece(p) => {
                let c = self.styles[p.style].cat;
                self.shops[s].pieces[c].push(p);
            }
            Took::Lot { style, qty: sold } => self.shops[s].lots[style].qty += qty.unwrap_or(sold),
            Took::Nothing => {}
        }
    }

    /// What an earlier day scheduled for today.
    pub(super) async fn event(&mut self, e: Event) -> Step {
        match e {
            Event::Return(sold) => self.take_back(sold).await,
            Event::Installment { invoice, left } => self.installment(invoice, left).await,
            Event::TermsDue { customer } => self.terms_due(customer).await,
            Event::Bounce { payment, applied, repay, customer, shop } => {
                self.exec(VoidPayment {
                    org_id: self.org,
                    payment_id: payment,
                    voided_on: Some(self.date),
                    reason: Some("NSF: check returned unpaid".into()),
                })
                .await?;
                for (invoice, amount, day) in applied {
                    let o =
                        self.open.entry(invoice).or_insert(Open { customer, shop, day, balance: 0, abandoned: false });
                    o.balance += amount;
                    o.abandoned |= !repay;
                }
                if repay {
                    let after = between(&mut self.rng, 5, 20);
                    self.schedule(after, Event::Repay { customer });
                }
                Ok(())
            }
            Event::Repay { customer } => self.pay_open(customer).await,
            Event::ItemCost { item } => {
                let kind = *pick(
                    &mut self.rng,
                    &["appraisal", "sizing labor", "recut", "rhodium plating", "stone tightening"],
                );
                let amount = Money::dollars(between(&mut self.rng, 35, 400));
                self.exec(AddItemCost {
                    org_id: self.org,
                    item_id: item,
                    cost_date: Some(self.date),
                    kind: kind.into(),
                    amount,
                    note: Some("billed after the sale".into()),
                })
                .await?;
                Ok(())
            }
            Event::Redeem { card } => self.redeem(card).await,
            Event::Correction { invoice } => self.correct(invoice).await,
            Event::MemoDecision { line, piece, shop, customer, buys } => {
                self.memo_decision(line, piece, shop, customer, buys).await
            }
            Event::RepairPickup { order, shop, customer, price, deposit } => {
                self.repair_pickup(order, shop, customer, price, deposit).await
            }
        }
    }

    /// A purchase comes back to the store it was bought at: all of it, or some units of a lot; now and then
    /// exchanged for something else on the same invoice. A credit balance is refunded (a quarter as store
    /// credit), a debit one paid by card.
    async fn take_back(&mut self, sold: Sold) -> Step {
        let (s, c) = (sold.shop, sold.customer);
        let back = match sold.took {
            Took::Lot { qty, .. } if qty > 1 && chance(&mut self.rng, 0.3) => between(&mut self.rng, 1, qty - 1),
            _ => sold.qty,
        };
        let amount = -back * sold.unit_price + prorate(Money(sold.adjustment), back, sold.qty).0;
        let mut d = Draft::new(s, c);
        d.out_of_state = sold.out_of_state;
        let line = LineInput {
            kind: Some(LineKind::Return),
            returned_line_id: Some(sold.line_id),
            qty: Some(-back),
            ..LineInput::default()
        };
        d.push(line, amount, Took::Nothing);
        if !sold.out_of_state && chance(&mut self.rng, 0.3) {
            self.add_line(&mut d, false);
        }
        let created = self.invoice(&d, Vec::new()).await?;
        self.shelve(s, sold.took, Some(back));
        let total = created.total;
        if total < 0 {
            let store_credit = chance(&mut self.rng, 0.25);
            self.exec(Refund {
                org_id: self.org,
                store_id: self.shops[s].id,
                customer_id: self.customers[c as usize].id,
                paid_on: Some(self.date),
                method: if store_credit { PaymentMethod::StoreCredit } else { PaymentMethod::Card },
                amount: Money(-total),
                invoice_id: Some(created.id),
                payment_id: None,
                reference: None,
            })
            .await?;
            self.report.payments += 1;
            if store_credit {
                *self.credit.entry(c).or_insert(0) -= total;
            }
        } else if total > 0 {
            self.pay(c, s, PaymentMethod::Card, total, &[(created.id, total)], None).await?;
        }
        self.follow_ups(d, &created, false);
        Ok(())
    }

    async fn installment(&mut self, invoice: i64, left: u32) -> Step {
        let Some(o) = self.open.get(&invoice).copied() else { return Ok(()) };
        if o.balance <= 0 || o.abandoned {
            return Ok(());
        }
        let amount = if left <= 1 { o.balance } else { whole_dollars(o.balance / i64::from(left)).min(o.balance) };
        let method = if chance(&mut self.rng, 0.7) { PaymentMethod::Card } else { PaymentMethod::Cash };
        self.pay(o.customer, o.shop, method, amount, &[(invoice, amount)], None).await?;
        self.settled(invoice, amount);
        if amount < o.balance {
            let after = between(&mut self.rng, 14, 30);
            self.schedule(after, Event::Installment { invoice, left: left.saturating_sub(1).max(1) });
        }
        Ok(())
    }

    /// A customer on terms pays every invoice that has come due, with one check (trade) or card.
    async fn terms_due(&mut self, c: u32) -> Step {
        let today = self.day;
        let due: Vec<(i64, i64, u32, usize)> = self
            .open
            .iter()
            .filter(|(_, o)| o.customer == c && !o.abandoned && o.balance > 0 && o.day + 20 <= today)
            .map(|(id, o)| (*id, o.balance, o.day, o.shop))
            .collect();
        let Some(&(_, _, _, s)) = due.first() else { return Ok(()) };
        let total: i64 = due.iter().map(|d| d.1).sum();
        let method = if self.customers[c as usize].wholesale || chance(&mut self.rng, 0.4) {
            PaymentMethod::Check
        } else {
            PaymentMethod::Card
        };
        let plan: Vec<(i64, i64)> = due.iter().map(|d| (d.0, d.1)).collect();
        let payment = self.pay(c, s, method, total, &plan, None).await?;
        for (invoice, amount) in &plan {
            self.settled(*invoice, *amount);
        }
        if method == PaymentMethod::Check && chance(&mut self.rng, 0.03) {
            let repay = chance(&mut self.rng, 0.6);
            let applied = due.iter().map(|d| (d.0, d.1, d.2)).collect();
            let after = between(&mut self.rng, 4, 10);
            self.schedule(after, Event::Bounce { payment, applied, repay, customer: c, shop: s });
        }
        Ok(())
    }

    /// Pays everything a customer owes that is still expected (after a bounced check is made good).
    async fn pay_open(&mut self, c: u32) -> Step {
        let plan: Vec<(i64, i64)> = self
            .open
            .iter()
            .filter(|(_, o)| o.customer == c && !o.abandoned && o.balance > 0)
            .map(|(id, o)| (*id, o.balance))
            .collect();
        let Some(first) = plan.first() else { return Ok(()) };
        let s = self.open.get(&first.0).map_or(0, |o| o.shop);
        let total: i64 = plan.iter().map(|p| p.1).sum();
        self.pay(c, s, PaymentMethod::Card, total, &plan, None).await?;
        for (invoice, amount) in plan {
            self.settled(invoice, amount);
        }
        Ok(())
    }

    fn settled(&mut self, invoice: i64, amount: i64) {
        if let Some(o) = self.open.get_mut(&invoice) {
            o.balance -= amount;
            if o.balance <= 0 {
                self.open.remove(&invoice);
            }
        }
    }

    /// Someone spends a gift card at the store that sold it; what it does not cover goes on a card.
    async fn redeem(&mut self, card: usize) -> Step {
        let (balance, s) = (self.cards[card].balance, self.cards[card].shop);
        if balance <= 0 {
            return Ok(());
        }
        let c = self.customer(s).await?;
        let mut d = Draft::new(s, c);
        for _ in 0..between(&mut self.rng, 1, 2) {
            self.add_line(&mut d, false);
        }
        if d.lines.is_empty() {
            self.schedule(7, Event::Redeem { card });
            return Ok(());
        }
        // the card first, a card payment for the rest, both at the counter
        let total = self.draft_total(&d);
        let used = balance.min(total);
        let mut tenders = Vec::new();
        if used > 0 {
            let code = self.cards[card].code.clone();
            tenders.push(Tender {
                method: PaymentMethod::GiftCard,
                amount: Some(Money(used)),
                reference: None,
                gift_card_code: Some(code),
            });
            self.cards[card].balance -= used;
        }
        if total > used {
            tenders.push(self.tender_of(PaymentMethod::Card, total - used));
        }
        let created = self.invoice(&d, tenders).await?;
        if self.cards[card].balance > 0 && chance(&mut self.rng, 0.6) {
            let after = between(&mut self.rng, 10, 90);
            self.schedule(after, Event::Redeem { card });
        }
        self.follow_ups(d, &created, false);
        Ok(())
    }

    /// On the first of the month: balances abandoned three months ago are written off as bad debt.
    pub(super) async fn write_offs(&mut self) -> Step {
        let today = self.day;
        let old: Vec<(i64, i64)> = self
            .open
            .iter()
            .filter(|(_, o)| o.abandoned && o.balance > 0 && o.day + 90 <= today)
            .map(|(id, o)| (*id, o.balance))
            .collect();
        for (invoice, balance) in old {
            self.exec(WriteOff {
                org_id: self.org,
                invoice_id: invoice,
                written_on: Some(self.date),
                amount: Some(Money(balance)),
                reason: Some("uncollectable: no payment in three months".into()),
            })
            .await?;
            self.open.remove(&invoice);
        }
        Ok(())
    }
}
