//! The gates of a run against its baseline: `--max-regression [OP=]PCT` and
//! `--fail-on-new-errors`.

use crate::traces::baseline::{percent, OpKey};
use crate::traces::stats::normalize_operation;

/// `--max-regression`: how much an operation's p95 may grow, for every operation or one.
#[derive(Debug, Clone, PartialEq)]
pub struct RegressionGate {
    /// The operation it applies to, as the table or `--stats` shows it (`OP` or
    /// `SERVICE: OP`, as logged or with ids folded); `None` for every operation.
    pub operation: Option<String>,
    /// The largest growth allowed, as a fraction (`0.2` for 20 %).
    pub max: f64,
}

impl RegressionGate {
    /// Parses `20%` or `GET /checkout=50%`.
    pub fn parse(text: &str) -> Option<RegressionGate> {
        if let Some(max) = parse_percent(text) {
            return Some(RegressionGate {
                operation: None,
                max,
            });
        }
        let (operation, limit) = text.rsplit_once('=')?;
        let operation = operation.trim();
        (!operation.is_empty()).then_some(())?;
        Some(RegressionGate {
            operation: Some(operation.to_string()),
            max: parse_percent(limit)?,
        })
    }

    pub(super) fn applies_to(&self, kind_service_op: &OpKey) -> bool {
        let Some(given) = &self.operation else {
            return true;
        };
        let (_, service, op) = kind_service_op;
        let qualified = format!("{service}: {op}");
        *given == *op
            || *given == qualified
            || normalize_operation(given) == *op
            || normalize_operation(given) == normalize_operation(&qualified)
    }

    /// The gate as it was given, for a reason.
    pub(super) fn spelled(&self) -> String {
        let pct = percent(self.max);
        match &self.operation {
            Some(op) => format!("'{op}={pct}'"),
            None => pct,
        }
    }
}

/// `20%` (a share) or `0.2` (a fraction); any size, since a regression can be 300 %.
fn parse_percent(text: &str) -> Option<f64> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
        None => t.parse::<f64>().ok()?,
    };
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// The gates that judge a run against its baseline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BaselineGates {
    /// `--max-regression`: the gate for every operation first when given, then those of
    /// single operations (which take precedence for theirs).
    pub max_regression: Vec<RegressionGate>,
    /// `--fail-on-new-errors`.
    pub fail_on_new_errors: bool,
}

impl BaselineGates {
    /// No gate was asked for.
    pub fn is_empty(&self) -> bool {
        *self == BaselineGates::default()
    }

    /// The gate that applies to an operation: its own, else the one for every operation.
    pub(super) fn limit_for(&self, key: &OpKey) -> Option<&RegressionGate> {
        self.max_regression
            .iter()
            .find(|g| g.operation.is_some() && g.applies_to(key))
            .or_else(|| self.max_regression.iter().find(|g| g.operation.is_none()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traces::baseline::OpKind;

    #[test]
    fn gates_parse_and_match_operations() {
        assert_eq!(RegressionGate::parse("20%").map(|g| g.max), Some(0.2));
        assert_eq!(RegressionGate::parse("0.5").map(|g| g.max), Some(0.5));
        let g = RegressionGate::parse("GET /orders/42=150%").expect("parses");
        assert_eq!(
            (g.operation.as_deref(), g.max),
            (Some("GET /orders/42"), 1.5)
        );
        assert!(g.applies_to(&(OpKind::Span, "api".into(), "GET /orders/{id}".into())));
        let g = RegressionGate::parse("api: GET /x=5%").expect("parses");
        assert!(g.applies_to(&(OpKind::Request, "api".into(), "GET /x".into())));
        assert!(!g.applies_to(&(OpKind::Request, "web".into(), "GET /x".into())));
        assert_eq!(RegressionGate::parse("=5%"), None);
        assert_eq!(RegressionGate::parse("fast"), None);
        assert_eq!(RegressionGate::parse("-5%"), None);
    }
}
