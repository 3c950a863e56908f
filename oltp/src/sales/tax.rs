//! Sales tax and surtax of an invoice, each rounded once per invoice.
//!
//! Tax = tax rate × taxable subtotal. Surtax = Σ over taxable lines of surtax rate × sign(amount) ×
//! min(|amount|, |qty| × threshold): the cap applies per item, and a return reverses exactly the surtax its
//! sale charged. Trade-in allowances do not reduce the taxable subtotal; gift cards, freight and fees are
//! never taxed.

use crate::error::Result;
use crate::types::{Money, Rate, div_round};

/// A line as tax sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaxLine {
    pub(crate) qty: i64,
    pub(crate) amount: Money,
    pub(crate) taxable: bool,
}

/// Taxable subtotal, tax and surtax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tax {
    pub(crate) taxable: Money,
    pub(crate) tax: Money,
    pub(crate) surtax: Money,
}

impl Tax {
    /// No tax at all.
    pub(crate) const NONE: Tax = Tax { taxable: Money::ZERO, tax: Money::ZERO, surtax: Money::ZERO };
}

/// The tax of `lines`, summed wide; a sum the books cannot keep is refused as `field` (`value`).
pub(crate) fn compute(
    lines: &[TaxLine],
    rate: Rate,
    surtax_rate: Rate,
    threshold: Money,
    exempt: bool,
    (field, value): (&str, &str),
) -> Result<Tax> {
    if exempt {
        return Ok(Tax::NONE);
    }
    let mut taxable: i128 = 0;
    let mut surtax_base: i128 = 0;
    for l in lines.iter().filter(|l| l.taxable) {
        taxable += i128::from(l.amount.0);
        let cap = i128::from(l.qty.unsigned_abs()) * i128::from(threshold.0);
        let capped = i128::from(l.amount.0.unsigned_abs()).min(cap);
        surtax_base += i128::from(l.amount.0.signum()) * capped;
    }
    let taxable = Money::figure(taxable, field, value, "the invoice's taxable subtotal")?;
    let surtax = div_round(surtax_base * i128::from(surtax_rate.ppm()), 1_000_000);
    Ok(Tax { taxable, tax: rate.apply(taxable), surtax: Money::figure(surtax, field, value, "the invoice's surtax")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIX: Rate = Rate(60_000);
    const ONE: Rate = Rate(10_000);
    const CAP: Money = Money(500_000);

    fn line(qty: i64, dollars: i64) -> TaxLine {
        TaxLine { qty, amount: Money(dollars * 100), taxable: true }
    }

    #[test]
    fn design_worked_cases() {
        // 3 × $3,000 → 540 + 90 = 630.00
        let t = compute(&[line(3, 9_000)], SIX, ONE, CAP, false, ("lines", "")).unwrap();
        assert_eq!((t.tax, t.surtax), (Money(54_000), Money(9_000)));
        // 1 × $8,000 → 480 + 50 = 530.00
        let t = compute(&[line(1, 8_000)], SIX, ONE, CAP, false, ("lines", "")).unwrap();
        assert_eq!((t.tax, t.surtax), (Money(48_000), Money(5_000)));
    }

    #[test]
    fn a_return_reverses_exactly_what_its_sale_charged() {
        let sale = compute(&[line(1, 8_000)], SIX, ONE, CAP, false, ("lines", "")).unwrap();
        let back = compute(&[line(-1, -8_000)], SIX, ONE, CAP, false, ("lines", "")).unwrap();
        assert_eq!((back.tax.0, back.surtax.0), (-sale.tax.0, -sale.surtax.0));
    }

    #[test]
    fn untaxed_lines_and_exempt_invoices_carry_no_tax() {
        let gift = TaxLine { qty: 1, amount: Money(10_000), taxable: false };
        let t = compute(&[line(1, 100), gift], SIX, ONE, CAP, false, ("lines", "")).unwrap();
        assert_eq!((t.taxable, t.tax, t.surtax), (Money(10_000), Money(600), Money(100)));
        let t = compute(&[line(1, 100)], SIX, ONE, CAP, true, ("lines", "")).unwrap();
        assert_eq!(t.tax, Money::ZERO);
    }

    #[test]
    fn tax_is_rounded_once_per_invoice_not_per_line() {
        // three lines of 0.25: per line 0.015 each would round to 0.02 × 3 = 0.06; once per invoice 0.045 → 0.05
        let l = TaxLine { qty: 1, amount: Money(25), taxable: true };
        let t = compute(&[l, l, l], SIX, Rate::ZERO, CAP, false, ("lines", "")).unwrap();
        assert_eq!(t.tax, Money(5));
    }
}
