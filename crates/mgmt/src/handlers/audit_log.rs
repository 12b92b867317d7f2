//! `GET /auditLogs`: the audit log, newest first (Tollgate's own; Azure's direct API has none).
//!
//! `$filter` takes `timestamp` (`ge`, `gt`, `le`, `lt`), `actor`, `action`, `path`, `entity`,
//! `outcome`, `clientIp` (strings: `eq`, `ne`, `startswith`, `endswith`, `contains`) and
//! `status` (a number), joined by `and`, `or`, `not`. The time range of top-level `and` terms is
//! read in SQL; everything else is evaluated on the entries of that range.

use crate::collection;
use crate::error::Outcome;
use crate::extract::{ListQuery, Version};
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::borrow::Cow;
use tollgate_contract::odata::{
    self, CompareOp, Expr, FieldKind, FieldSpec, FieldValue, Literal, Subject,
};
use tollgate_store::AuditEntry;

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("timestamp", FieldKind::DateTime),
    FieldSpec::new("actor", FieldKind::String),
    FieldSpec::new("action", FieldKind::String),
    FieldSpec::new("path", FieldKind::String),
    FieldSpec::new("entity", FieldKind::String),
    FieldSpec::new("outcome", FieldKind::String),
    FieldSpec::new("clientIp", FieldKind::String),
    FieldSpec::new("status", FieldKind::Number),
];

struct Fields<'a>(&'a AuditEntry);

impl odata::Fields for Fields<'_> {
    fn field(&self, name: &str) -> FieldValue<'_> {
        let entry = self.0;
        match name {
            "timestamp" => FieldValue::DateTime(DateTime::from_timestamp_millis(entry.timestamp)),
            "actor" => text(&entry.actor),
            "action" => text(&entry.action),
            "path" => text(&entry.path),
            "entity" => text(&entry.entity),
            "outcome" => text(&entry.outcome),
            "clientIp" => text(&entry.client_ip),
            "status" => FieldValue::Number(status(entry).map(f64::from)),
            _ => FieldValue::String(None),
        }
    }
}

fn text(value: &str) -> FieldValue<'_> {
    FieldValue::String(Some(Cow::Borrowed(value)))
}

/// The status answered, when the entry knows it (a committed write's entry does not).
fn status(entry: &AuditEntry) -> Option<u16> {
    u16::try_from(entry.status)
        .ok()
        .filter(|s| *s != crate::audit::COMMITTED)
}

/// The time range (milliseconds, inclusive) that the top-level `and` terms on `timestamp` allow.
fn time_range(expr: &Expr, range: &mut (i64, i64)) {
    match expr {
        Expr::And(left, right) => {
            time_range(left, range);
            time_range(right, range);
        }
        Expr::Compare(c) => {
            let (Subject::Field(field), Literal::DateTime(at)) = (&c.subject, &c.value) else {
                return;
            };
            if field.name != "timestamp" {
                return;
            }
            let ms = at.timestamp_millis();
            match c.op {
                CompareOp::Ge => range.0 = range.0.max(ms),
                CompareOp::Gt => range.0 = range.0.max(ms.saturating_add(1)),
                CompareOp::Le => range.1 = range.1.min(ms),
                CompareOp::Lt => range.1 = range.1.min(ms.saturating_sub(1)),
                _ => {}
            }
        }
        _ => {}
    }
}

fn item(entry: &AuditEntry) -> Value {
    let at = DateTime::<Utc>::from_timestamp_millis(entry.timestamp)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    json!({
        "id": format!("/auditLogs/{}", entry.seq),
        "timestamp": at,
        "actor": entry.actor,
        "action": entry.action,
        "path": entry.path,
        "entity": entry.entity,
        "summary": entry.summary,
        "clientIp": entry.client_ip,
        "outcome": entry.outcome,
        "status": status(entry),
    })
}

/// `GET /auditLogs`.
pub async fn list_audit_logs(
    State(state): State<AppState>,
    Version(version): Version,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    let filter = query.parsed_filter(FIELDS)?;
    let mut range = (i64::MIN, i64::MAX);
    if let Some(filter) = &filter {
        time_range(&filter.expr, &mut range);
    }
    let entries = state
        .store()
        .runtime()
        .audit_entries(state.instance(), range.0, range.1)
        .await?;
    let matching: Vec<&AuditEntry> = entries
        .iter()
        .filter(|entry| filter.as_ref().is_none_or(|f| f.matches(&Fields(entry))))
        .collect();
    let page = matching[collection::window(matching.len(), &query)]
        .iter()
        .map(|entry| item(entry))
        .collect();
    Ok(respond::json(
        StatusCode::OK,
        None,
        &collection::envelope(page, matching.len(), &query, version, uri.path(), &headers),
    ))
}
