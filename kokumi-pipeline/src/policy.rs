//! The Menu override policy stage: core's check, turned into the pipeline's error.

use kokumi_core::api::{Menu, Order};
use kokumi_core::policy::{OrderOverrides, PolicyReport, check_overrides};
use kube::ResourceExt as _;

use crate::error::{Error, Result};

/// The full policy report of `order` against `menu` (for `kokumi menu check`).
pub fn report(menu: &Menu, order: &Order) -> PolicyReport {
    check_overrides(
        &menu.spec.overrides,
        OrderOverrides {
            values: order.spec.values(),
            patches: &order.spec.patches,
            edits: &order.spec.edits,
        },
    )
}

/// Fails with [`Error::PolicyViolation`] (every violation in the report) unless `menu` allows
/// everything `order` overrides.
pub fn check(order_name: &str, menu: &Menu, order: &Order) -> Result<()> {
    let report = report(menu, order);
    if report.is_allowed() {
        return Ok(());
    }
    let menu_name = menu.name_any();
    Err(Error::PolicyViolation {
        order: order_name.to_owned(),
        count: report.violations.len(),
        report: report.render(&menu_name),
        menu: menu_name,
    })
}
