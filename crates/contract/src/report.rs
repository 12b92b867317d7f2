//! Reports (`/reports/{aggregation}`, REFERENCE §15): the aggregations, what each permits in
//! `$filter` and `$orderby`, the filter reduced to a time range plus `eq` terms, and `interval`.

use crate::ApiError;
use crate::odata::{self, CompareOp, Expr, FieldKind, FieldSpec, Literal, Subject};
use chrono::{DateTime, Utc};

/// One of the eight report endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// `byApi`
    ByApi,
    /// `byUser`
    ByUser,
    /// `byOperation`
    ByOperation,
    /// `byProduct`
    ByProduct,
    /// `byGeo`
    ByGeo,
    /// `bySubscription`
    BySubscription,
    /// `byTime`
    ByTime,
    /// `byRequest`
    ByRequest,
}

const TIMESTAMP: FieldSpec = FieldSpec::new("timestamp", FieldKind::DateTime);
const API_REGION: FieldSpec = FieldSpec::new("apiRegion", FieldKind::String);
const USER: FieldSpec = FieldSpec::new("userId", FieldKind::String);
const PRODUCT: FieldSpec = FieldSpec::new("productId", FieldKind::String);
const API: FieldSpec = FieldSpec::new("apiId", FieldKind::String);
const OPERATION: FieldSpec = FieldSpec::new("operationId", FieldKind::String);
const SUBSCRIPTION: FieldSpec = FieldSpec::new("subscriptionId", FieldKind::String);

const ALL_TERMS: &[FieldSpec] = &[
    TIMESTAMP,
    API_REGION,
    USER,
    PRODUCT,
    API,
    OPERATION,
    SUBSCRIPTION,
];

/// `$orderby` fields of the entity aggregations (REFERENCE §15.3).
const ORDER_FIELDS: &[&str] = &[
    "name",
    "callCountSuccess",
    "callCountBlocked",
    "callCountFailed",
    "callCountOther",
    "bandwidth",
    "apiTimeAvg",
];

impl Aggregation {
    /// The aggregation a path segment names (exact spelling).
    pub fn from_name(name: &str) -> Option<Aggregation> {
        Some(match name {
            "byApi" => Aggregation::ByApi,
            "byUser" => Aggregation::ByUser,
            "byOperation" => Aggregation::ByOperation,
            "byProduct" => Aggregation::ByProduct,
            "byGeo" => Aggregation::ByGeo,
            "bySubscription" => Aggregation::BySubscription,
            "byTime" => Aggregation::ByTime,
            "byRequest" => Aggregation::ByRequest,
            _ => return None,
        })
    }

    /// The fields `$filter` may name: `timestamp` plus the `eq` terms of the aggregation.
    pub fn filter_fields(self) -> &'static [FieldSpec] {
        match self {
            Aggregation::ByTime | Aggregation::ByGeo | Aggregation::ByUser => ALL_TERMS,
            Aggregation::ByOperation => ALL_TERMS,
            Aggregation::ByProduct | Aggregation::BySubscription => {
                &[TIMESTAMP, API_REGION, USER, PRODUCT, SUBSCRIPTION]
            }
            Aggregation::ByApi => &[TIMESTAMP, API_REGION, USER, PRODUCT, SUBSCRIPTION, API],
            Aggregation::ByRequest => &[TIMESTAMP],
        }
    }

    /// Whether `field` may be named in `$orderby`.
    pub fn orders_by(self, field: &str) -> bool {
        match self {
            Aggregation::ByTime | Aggregation::ByGeo | Aggregation::ByRequest => false,
            Aggregation::BySubscription => {
                field == "callCountTotal" || ORDER_FIELDS.contains(&field)
            }
            _ => ORDER_FIELDS.contains(&field),
        }
    }
}

/// A report's `$filter`: the time range and the `eq` terms, field name → bare id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    /// The first instant (inclusive).
    pub from: DateTime<Utc>,
    /// The last instant (inclusive); `None` means now.
    pub to: Option<DateTime<Utc>>,
    /// `eq` terms: canonical field name and the value (ids without their `/kind/` prefix).
    pub terms: Vec<(&'static str, String)>,
}

impl ReportFilter {
    /// The value of an `eq` term.
    pub fn term(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, value)| value.as_str())
    }
}

fn bad_filter(target: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid_field(
        target,
        "InvalidFilter",
        format!("$filter: {}", message.into()),
    )
}

/// The last path segment of an id given as a URL (`/apis/a/operations/b` → `b`).
fn bare_id(value: &str) -> &str {
    value.rsplit('/').next().unwrap_or(value)
}

/// Parses a report's `$filter`: terms joined by `and` only; `timestamp` with `ge`/`gt` (required)
/// and `le`/`lt`; the aggregation's other fields with `eq` only. 400 naming the field otherwise.
pub fn parse_filter(
    aggregation: Aggregation,
    text: Option<&str>,
) -> Result<ReportFilter, ApiError> {
    let text = text.ok_or_else(|| {
        bad_filter(
            "$filter",
            "reports require a timestamp range, e.g. timestamp ge datetime'2017-06-01T00:00:00'",
        )
    })?;
    let parsed = odata::parse(text, aggregation.filter_fields()).map_err(|err| {
        let target = err.field.clone().unwrap_or_else(|| "$filter".to_owned());
        bad_filter(&target, err.to_string())
    })?;
    let mut terms = Vec::new();
    collect(&parsed.expr, &mut terms)?;
    let mut filter = ReportFilter {
        from: DateTime::<Utc>::MIN_UTC,
        to: None,
        terms: Vec::new(),
    };
    let mut has_start = false;
    for (field, op, value) in terms {
        match (field, value) {
            ("timestamp", Literal::DateTime(at)) => match op {
                CompareOp::Ge | CompareOp::Gt => {
                    let at = if op == CompareOp::Gt {
                        at + chrono::Duration::milliseconds(1)
                    } else {
                        at
                    };
                    filter.from = filter.from.max(at);
                    has_start = true;
                }
                CompareOp::Le | CompareOp::Lt => {
                    let at = if op == CompareOp::Lt {
                        at - chrono::Duration::milliseconds(1)
                    } else {
                        at
                    };
                    filter.to = Some(filter.to.map_or(at, |to| to.min(at)));
                }
                _ => {
                    return Err(bad_filter("timestamp", "timestamp takes ge, gt, le or lt"));
                }
            },
            (field, Literal::String(value)) if op == CompareOp::Eq => {
                if filter.term(field).is_some() {
                    return Err(bad_filter(field, format!("{field} is given twice")));
                }
                filter.terms.push((field, bare_id(&value).to_owned()));
            }
            (field, _) => {
                return Err(bad_filter(field, format!("{field} takes eq with a string")));
            }
        }
    }
    if !has_start {
        return Err(bad_filter(
            "timestamp",
            "a start is required: timestamp ge datetime'…'",
        ));
    }
    Ok(filter)
}

fn collect(expr: &Expr, out: &mut Vec<(&'static str, CompareOp, Literal)>) -> Result<(), ApiError> {
    match expr {
        Expr::And(left, right) => {
            collect(left, out)?;
            collect(right, out)
        }
        Expr::Compare(c) => match &c.subject {
            Subject::Field(field) => {
                out.push((field.name, c.op, c.value.clone()));
                Ok(())
            }
            Subject::Variable(_) => Err(bad_filter("$filter", "lambdas are not allowed")),
        },
        _ => Err(bad_filter(
            "$filter",
            "reports accept comparisons joined by 'and' only",
        )),
    }
}

/// Parses `interval` (ISO 8601 `P[nD][T[nH][nM][nS]]`): a positive multiple of 15 minutes, in
/// milliseconds.
pub fn parse_interval(text: Option<&str>) -> Result<i64, ApiError> {
    let bad = |message: &str| ApiError::invalid_field("interval", "InvalidInterval", message);
    let text = text.ok_or_else(|| bad("interval is required, e.g. PT15M"))?;
    let seconds = iso_duration_seconds(text)
        .ok_or_else(|| bad("interval must be an ISO 8601 duration such as PT15M or P1D"))?;
    if seconds == 0 || seconds % 900 != 0 {
        return Err(bad("interval must be a non-zero multiple of 15 minutes"));
    }
    Ok(seconds * 1000)
}

fn iso_duration_seconds(text: &str) -> Option<i64> {
    let rest = text.strip_prefix('P').or_else(|| text.strip_prefix('p'))?;
    let mut total: i64 = 0;
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            'T' if !in_time && number.is_empty() => in_time = true,
            d if d.is_ascii_digit() => number.push(d),
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                let scale = match (in_time, unit) {
                    (false, 'W') => 604_800,
                    (false, 'D') => 86_400,
                    (true, 'H') => 3_600,
                    (true, 'M') => 60,
                    (true, 'S') => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(scale)?)?;
                any = true;
            }
        }
    }
    (number.is_empty() && any).then_some(total)
}

/// Renders an interval of milliseconds as the ISO 8601 duration Azure writes (`PT15M`, `P1D`,
/// `PT1H30M`).
pub fn format_interval(ms: i64) -> String {
    let mut seconds = ms / 1000;
    let days = seconds / 86_400;
    seconds %= 86_400;
    let (hours, minutes, secs) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if hours + minutes + secs > 0 {
        out.push('T');
        for (n, unit) in [(hours, 'H'), (minutes, 'M'), (secs, 'S')] {
            if n > 0 {
                out.push_str(&format!("{n}{unit}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_reduce_to_a_range_and_terms() {
        let f = parse_filter(
            Aggregation::ByApi,
            Some("timestamp ge datetime'2017-06-01T00:00:00' and timestamp le datetime'2017-06-04T00:00:00' and apiId eq '/apis/Echo'"),
        )
        .unwrap();
        assert_eq!(f.from.to_rfc3339(), "2017-06-01T00:00:00+00:00");
        assert_eq!(f.to.unwrap().to_rfc3339(), "2017-06-04T00:00:00+00:00");
        assert_eq!(f.term("apiId"), Some("Echo"));
    }

    #[test]
    fn filters_name_the_bad_field() {
        let target = |agg, text: Option<&str>| {
            parse_filter(agg, text)
                .unwrap_err()
                .target()
                .unwrap()
                .to_owned()
        };
        assert_eq!(target(Aggregation::ByApi, None), "$filter");
        assert_eq!(
            target(Aggregation::ByApi, Some("apiId eq 'a'")),
            "timestamp"
        );
        let start = "timestamp ge datetime'2017-06-01T00:00:00'";
        assert_eq!(
            target(
                Aggregation::ByApi,
                Some(&format!("{start} and operationId eq 'o'"))
            ),
            "operationId"
        );
        assert_eq!(
            target(
                Aggregation::ByApi,
                Some(&format!("{start} and apiId ne 'a'"))
            ),
            "apiId"
        );
        assert_eq!(
            target(
                Aggregation::ByRequest,
                Some(&format!("{start} and apiId eq 'a'"))
            ),
            "apiId"
        );
        assert_eq!(
            target(
                Aggregation::ByApi,
                Some(&format!("{start} or apiId eq 'a'"))
            ),
            "$filter"
        );
    }

    #[test]
    fn intervals_are_multiples_of_15_minutes() {
        assert_eq!(parse_interval(Some("PT15M")).unwrap(), 900_000);
        assert_eq!(parse_interval(Some("P1D")).unwrap(), 86_400_000);
        assert_eq!(parse_interval(Some("PT1H30M")).unwrap(), 5_400_000);
        for bad in ["PT10M", "PT0M", "15M", "P", "PT", "P1H", "PTxM"] {
            assert!(parse_interval(Some(bad)).is_err(), "{bad}");
        }
        assert!(parse_interval(None).is_err());
        assert_eq!(format_interval(900_000), "PT15M");
        assert_eq!(format_interval(86_400_000), "P1D");
        assert_eq!(format_interval(5_400_000), "PT1H30M");
    }
}
