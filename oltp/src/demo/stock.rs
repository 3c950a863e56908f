//! Stock: opening inventory, receiving through the year (pieces one by one, lots in layers at varying unit
//! costs), consignment in from vendors, partnerships and costs on expensive pieces, transfers between stores,
//! counts, consigned pieces going back, yearly price increases.

use chrono::{Datelike, Days};

use super::draw::{between, chance, index, percent_of, pick, price_point};
use super::{Gen, Lot, Piece, Step};
use crate::catalog::UpdateStyle;
use crate::demo::catalog::CATEGORIES;
use crate::inventory::{
    AddItemCost, AddPartnership, CountStock, ReceiveItem, ReceiveStock, ReturnToVendor, TransferStock,
};
use crate::types::{Family, Money, Rate, ShareKind};

/// Costs rise about 9% a year (gold).
fn inflation(day: u32) -> i64 {
    100 + i64::from(day) * 9 / 365
}

impl Gen<'_> {
    /// The shelves on the first day: pieces acquired over the two years before (a few with no known date),
    /// and a first layer of every lot.
    pub(super) async fn opening_stock(&mut self, s: usize) -> Step {
        for (c, cat) in CATEGORIES.iter().enumerate() {
            if cat.serialized {
                let n = self.shops[s].target[c];
                for _ in 0..n {
                    let age = between(&mut self.rng, 0, 720);
                    let acquired = self.date.checked_sub_days(Days::new(age as u64));
                    let unknown = chance(&mut self.rng, 0.02);
                    self.receive_piece(s, c, acquired, unknown).await?;
                }
            } else {
                for i in 0..self.by_cat[c].len() {
                    let style = self.by_cat[c][i];
                    let age = between(&mut self.rng, 0, 240);
                    let acquired = self.date.checked_sub_days(Days::new(age as u64));
                    let qty = self.shops[s].lots[style].order;
                    self.receive_lot(s, style, qty, acquired).await?;
                }
            }
        }
        Ok(())
    }

    /// Twice a week: pieces back up to the target (higher before the holidays), lots at their reorder point.
    pub(super) async fn restock(&mut self, s: usize) -> Step {
        let season = match self.date.month() {
            10 => 115,
            11 => 135,
            12 => 120,
            _ => 100,
        };
        for (c, cat) in CATEGORIES.iter().enumerate() {
            if cat.serialized {
                let want = percent_of(self.shops[s].target[c], season);
                let have = self.shops[s].pieces[c].len() as i64;
                for _ in have..want {
                    self.receive_piece(s, c, None, false).await?;
                }
            } else {
                for i in 0..self.by_cat[c].len() {
                    let style = self.by_cat[c][i];
                    let lot = self.shops[s].lots[style];
                    if lot.qty <= lot.reorder {
                        let qty = percent_of(lot.order, season).max(1);
                        self.receive_lot(s, style, qty, None).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// One piece from the vendor: its own cost around the style's, its own retail; some on memo from the
    /// vendor (consignment), some co-owned with a partner, diamonds sometimes re-certified on arrival.
    async fn receive_piece(&mut self, s: usize, c: usize, acquired: Option<chrono::NaiveDate>, unknown: bool) -> Step {
        let style = self.by_cat[c][index(&mut self.rng, self.by_cat[c].len())];
        let (base, markup, vendor) = (self.styles[style].cost, self.styles[style].markup, self.styles[style].vendor);
        let cost = percent_of(percent_of(base, inflation(self.day)), between(&mut self.rng, 85, 115));
        let retail = price_point(percent_of(cost, markup));
        let family = CATEGORIES[c].family;
        // vendors of watches and stones send some of their dearer pieces on memo
        let consigns = self.styles[style].consigns && cost >= 150_000 && chance(&mut self.rng, 0.10);
        let description = match family {
            Family::Diamonds => Some(format!(
                "GIA {} {} {}",
                between(&mut self.rng, 1_000_000_000, 9_999_999_999),
                pick(&mut self.rng, &["D", "E", "F", "G", "H", "I"]),
                pick(&mut self.rng, &["IF", "VVS1", "VVS2", "VS1", "VS2", "SI1"])
            )),
            Family::Watches => Some(format!("serial {:08}", between(&mut self.rng, 0, 99_999_999))),
            _ => None,
        };
        let out = self
            .exec(ReceiveItem {
                org_id: self.org,
                store_id: self.shops[s].id,
                style_id: self.styles[style].id,
                stock_no: None,
                vendor_id: (!consigns).then_some(vendor),
                consignor_id: consigns.then_some(vendor),
                received_on: Some(self.date),
                acquired_on: if unknown { None } else { acquired },
                unknown_acquisition: unknown,
                cost: Money(cost),
                retail_price: Some(Money(retail)),
                description,
            })
            .await?;
        let id = out.id;
        if !consigns {
            if cost >= 500_000 && chance(&mut self.rng, 0.2) {
                self.partnership(id, cost).await?;
            }
            if family == Family::Diamonds && chance(&mut self.rng, 0.1) {
                let amount = Money::dollars(between(&mut self.rng, 75, 150));
                self.exec(AddItemCost {
                    org_id: self.org,
                    item_id: id,
                    cost_date: Some(self.date),
                    kind: "recert".into(),
                    amount,
                    note: Some("GIA update".into()),
                })
                .await?;
            }
        }
        self.shops[s].pieces[c].push(Piece { id, style, cost, retail, consigned: consigns, received: self.day });
        Ok(())
    }

    /// A partner takes a share of an expensive piece: as co-owner with a cost basis, or for profit only.
    async fn partnership(&mut self, item: i64, cost: i64) -> Step {
        let partner = self.partners[index(&mut self.rng, self.partners.len())];
        let share = Rate(*pick(&mut self.rng, &[250_000, 333_333, 400_000, 500_000]));
        let owner = chance(&mut self.rng, 0.7);
        let cost_basis = (owner && chance(&mut self.rng, 0.5)).then_some(Money(cost));
        self.exec(AddPartnership {
            org_id: self.org,
            item_id: item,
            partner_id: partner,
            share,
            kind: if owner { ShareKind::Owner } else { ShareKind::ProfitOnly },
            cost_basis,
        })
        .await?;
        Ok(())
    }

    /// Units of a lot style: a new cost layer at this receipt's unit cost.
    async fn receive_lot(&mut self, s: usize, style: usize, qty: i64, acquired: Option<chrono::NaiveDate>) -> Step {
        let unit =
            percent_of(percent_of(self.styles[style].cost, inflation(self.day)), between(&mut self.rng, 90, 112));
        let out = self
            .exec(ReceiveStock {
                org_id: self.org,
                store_id: self.shops[s].id,
                style_id: self.styles[style].id,
                qty,
                cost: Money(unit * qty),
                vendor_id: Some(self.styles[style].vendor),
                consignor_id: None,
                received_on: Some(self.date),
                acquired_on: acquired,
                unknown_acquisition: false,
            })
            .await?;
        let lot = &mut self.shops[s].lots[style];
        lot.id = out.id;
        lot.qty += qty;
        Ok(())
    }

    /// Wednesdays, with several stores: a few pieces go where a customer asked for them, and lots piling up at
    /// one store go to the store running out.
    pub(super) async fn transfers(&mut self) -> Step {
        let n = self.shops.len();
        for s in 0..n {
            if !chance(&mut self.rng, 0.6) {
                continue;
            }
            for _ in 0..between(&mut self.rng, 1, 3) {
                let c = index(&mut self.rng, CATEGORIES.len());
                if !CATEGORIES[c].serialized || self.shops[s].pieces[c].is_empty() {
                    continue;
                }
                let to = (s + 1 + index(&mut self.rng, n - 1)) % n;
                let i = index(&mut self.rng, self.shops[s].pieces[c].len());
                let piece = self.shops[s].pieces[c].swap_remove(i);
                self.exec(TransferStock {
                    org_id: self.org,
                    item_id: piece.id,
                    to_store_id: self.shops[to].id,
                    qty: None,
                    moved_on: Some(self.date),
                })
                .await?;
                self.shops[to].pieces[c].push(piece);
            }
        }
        if self.date.day() > 7 {
            return Ok(()); // lots are balanced once a month
        }
        for style in 0..self.styles.len() {
            if CATEGORIES[self.styles[style].cat].serialized {
                continue;
            }
            let (mut hi, mut lo) = (0, 0);
            for s in 1..n {
                if self.shops[s].lots[style].qty > self.shops[hi].lots[style].qty {
                    hi = s;
                }
                if self.shops[s].lots[style].qty < self.shops[lo].lots[style].qty {
                    lo = s;
                }
            }
            let (from, to) = (self.shops[hi].lots[style], self.shops[lo].lots[style]);
            if hi == lo || from.qty <= 2 * from.reorder || to.qty > to.reorder || from.id == 0 {
                continue;
            }
            let qty = (from.qty - from.reorder) / 2;
            if qty <= 0 {
                continue;
            }
            let out = self
                .exec(TransferStock {
                    org_id: self.org,
                    item_id: from.id,
                    to_store_id: self.shops[lo].id,
                    qty: Some(qty),
                    moved_on: Some(self.date),
                })
                .await?;
            self.shops[hi].lots[style].qty -= qty;
            let dest: &mut Lot = &mut self.shops[lo].lots[style];
            dest.id = out.id;
            dest.qty += qty;
        }
        Ok(())
    }

    /// Quarterly counts of some lots: mostly a unit or two short, now and then one found.
    pub(super) async fn counts(&mut self) -> Step {
        for s in 0..self.shops.len() {
            for style in 0..self.styles.len() {
                let lot = self.shops[s].lots[style];
                if lot.id == 0 || lot.qty == 0 || !chance(&mut self.rng, 0.15) {
                    continue;
                }
                let delta = [-2, -1, -1, -1, -1, -1, 0, 0, 0, 1][index(&mut self.rng, 10)];
                let counted = (lot.qty + delta).max(0);
                self.exec(CountStock { org_id: self.org, item_id: lot.id, counted, counted_on: Some(self.date) })
                    .await?;
                self.shops[s].lots[style].qty = counted;
            }
        }
        Ok(())
    }

    /// Consigned pieces that have not sold in eight months go back to their vendor, about half each month.
    pub(super) async fn consignment_returns(&mut self) -> Step {
        for s in 0..self.shops.len() {
            for c in 0..CATEGORIES.len() {
                let mut i = self.shops[s].pieces[c].len();
                while i > 0 {
                    i -= 1;
                    let p = &self.shops[s].pieces[c][i];
                    if !p.consigned || p.received + 240 > self.day || !chance(&mut self.rng, 0.5) {
                        continue;
                    }
                    let id = p.id;
                    self.exec(ReturnToVendor {
                        org_id: self.org,
                        item_id: id,
                        qty: None,
                        returned_on: Some(self.date),
                    })
                    .await?;
                    self.shops[s].pieces[c].swap_remove(i);
                }
            }
        }
        Ok(())
    }

    /// Every January the lot styles' list prices go up with the metal.
    pub(super) async fn price_increase(&mut self) -> Step {
        for style in 0..self.styles.len() {
            if CATEGORIES[self.styles[style].cat].serialized {
                continue;
            }
            let retail = price_point(percent_of(self.styles[style].retail, between(&mut self.rng, 104, 110)));
            self.exec(UpdateStyle {
                org_id: self.org,
                style_id: self.styles[style].id,
                category: None,
                description: None,
                vendor_id: None,
                retail_price: Some(Money(retail)),
                serialized: None,
            })
            .await?;
            self.styles[style].retail = retail;
        }
        Ok(())
    }
}
