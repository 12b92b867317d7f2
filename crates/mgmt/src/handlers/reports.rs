//! `/reports/{aggregation}` (REFERENCE §15): the gateway's request records, aggregated in SQL by
//! the store. This module checks the query, names the groups from the current configuration,
//! orders and pages them, and writes JSON or CSV (`Accept: text/csv`, the JSON field names as the
//! header row).

use crate::collection;
use crate::error::Outcome;
use crate::extract::{ListQuery, Version};
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use std::collections::HashMap;
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::product::Product;
use tollgate_contract::entity::subscription::Subscription;
use tollgate_contract::entity::user::User;
use tollgate_contract::report::{self, Aggregation, ReportFilter};
use tollgate_contract::{ApiError, ApiVersion};
use tollgate_store::{Grouping, RecordFilter, ReportRow, RequestRecord};

/// The aggregate fields of every report record, in Azure's order.
const COUNT_FIELDS: &[&str] = &[
    "callCountSuccess",
    "callCountBlocked",
    "callCountFailed",
    "callCountOther",
    "callCountTotal",
    "bandwidth",
    "cacheHitCount",
    "cacheMissCount",
    "apiTimeAvg",
    "apiTimeMin",
    "apiTimeMax",
    "serviceTimeAvg",
    "serviceTimeMin",
    "serviceTimeMax",
];

/// The fields of a byRequest record, in Azure's order.
const REQUEST_FIELDS: &[&str] = &[
    "apiId",
    "operationId",
    "productId",
    "userId",
    "method",
    "url",
    "ipAddress",
    "backendResponseCode",
    "responseCode",
    "responseSize",
    "timestamp",
    "cache",
    "apiTime",
    "serviceTime",
    "apiRegion",
    "subscriptionId",
    "requestId",
    "requestSize",
];

/// The grouping fields of an aggregation, before the counts.
fn key_fields(aggregation: Aggregation) -> &'static [&'static str] {
    match aggregation {
        Aggregation::ByApi => &["name", "apiId"],
        Aggregation::ByUser => &["name", "userId"],
        Aggregation::ByOperation => &["name", "apiId", "operationId"],
        Aggregation::ByProduct => &["name", "productId"],
        Aggregation::BySubscription => &["name", "userId", "productId", "subscriptionId"],
        Aggregation::ByGeo => &["country", "region", "zip"],
        Aggregation::ByTime => &["timestamp", "interval"],
        Aggregation::ByRequest => &[],
    }
}

fn record_filter(filter: &ReportFilter) -> RecordFilter {
    let term = |name| filter.term(name).map(str::to_owned);
    RecordFilter {
        from: filter.from.timestamp_millis(),
        to: filter.to.unwrap_or_else(Utc::now).timestamp_millis(),
        api_id: term("apiId"),
        operation_id: term("operationId"),
        product_id: term("productId"),
        subscription_id: term("subscriptionId"),
        user_id: term("userId"),
        api_region: term("apiRegion"),
    }
}

/// `$orderby`: a field the aggregation permits and an optional direction; 400 otherwise.
fn order_by(
    aggregation: Aggregation,
    text: Option<&str>,
) -> Result<Option<(String, bool)>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    let mut words = text.split_whitespace();
    let field = words.next().unwrap_or("");
    let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "$orderby",
                "InvalidOrderBy",
                "$orderby takes a field and optionally asc or desc",
            ));
        }
    };
    if words.next().is_some() || !aggregation.orders_by(field) {
        return Err(ApiError::invalid_field(
            "$orderby",
            "InvalidOrderBy",
            format!("$orderby: '{field}' cannot be used to order this report"),
        ));
    }
    Ok(Some((field.to_owned(), descending)))
}

/// Display ids and names of the current configuration, by folded id.
#[derive(Default)]
struct Names {
    ids: HashMap<(&'static str, String), (String, String)>,
}

impl Names {
    /// `(kind, folded id)` → the id as created, and the display name.
    fn get(&self, kind: &'static str, id: &str) -> (String, String) {
        self.ids
            .get(&(kind, id.to_owned()))
            .cloned()
            .unwrap_or_else(|| (id.to_owned(), String::new()))
    }

    async fn load(
        state: &AppState,
        kind: &'static str,
        parent: &str,
    ) -> Result<Names, crate::error::Failure> {
        let mut names = Names::default();
        names.add(state, kind, parent).await?;
        Ok(names)
    }

    async fn add(
        &mut self,
        state: &AppState,
        kind: &'static str,
        parent: &str,
    ) -> Result<(), crate::error::Failure> {
        for record in state.store().list(state.instance(), kind, parent).await? {
            let body: Value = serde_json::from_str(&record.body).unwrap_or(Value::Null);
            let text = |field: &str| body[field].as_str().unwrap_or("").to_owned();
            let name = if kind == User::KIND {
                format!("{} {}", text("firstName"), text("lastName"))
                    .trim()
                    .to_owned()
            } else {
                text("name")
            };
            let key = if kind == Operation::KIND {
                format!("{}/{}", parent.trim_start_matches("apis/"), record.id).to_lowercase()
            } else {
                record.id.to_lowercase()
            };
            self.ids.insert((kind, key), (record.id, name));
        }
        Ok(())
    }
}

fn counts(row: &ReportRow) -> Map<String, Value> {
    let values = [
        json!(row.success),
        json!(row.blocked),
        json!(row.failed),
        json!(row.other),
        json!(row.total),
        json!(row.bandwidth),
        json!(row.cache_hits),
        json!(row.cache_misses),
        json!(row.api_time.0),
        json!(row.api_time.1),
        json!(row.api_time.2),
        json!(row.service_time.0),
        json!(row.service_time.1),
        json!(row.service_time.2),
    ];
    COUNT_FIELDS
        .iter()
        .map(|f| (*f).to_owned())
        .zip(values)
        .collect()
}

fn utc(ms: i64, format: SecondsFormat) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(format, true)
}

/// An id as its relative URL (`/apis/echo`), `-` standing for none (as Azure writes them).
fn path(kind: &str, id: &str) -> String {
    if id.is_empty() {
        format!("/{kind}/-")
    } else {
        format!("/{kind}/{id}")
    }
}

/// `GET /reports/{aggregation}`.
pub async fn list_report(
    State(state): State<AppState>,
    Version(version): Version,
    Path(name): Path<String>,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    let aggregation = Aggregation::from_name(&name).ok_or_else(|| {
        ApiError::invalid_field(
            "aggregation",
            "InvalidAggregation",
            format!(
                "'{name}' is not a report: use byApi, byUser, byOperation, byProduct, byGeo, \
                 bySubscription, byTime or byRequest"
            ),
        )
    })?;
    let filter = report::parse_filter(aggregation, query.filter.as_deref())?;
    let order = order_by(aggregation, query.other("$orderby"))?;
    let interval = match aggregation {
        Aggregation::ByTime => Some(report::parse_interval(query.other("interval"))?),
        _ => None,
    };
    let csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    let records = record_filter(&filter);
    if aggregation == Aggregation::ByRequest {
        return by_request(&state, version, &records, &query, csv, uri.path(), &headers).await;
    }
    let grouping = match aggregation {
        Aggregation::ByApi => Grouping::Api,
        Aggregation::ByUser => Grouping::User,
        Aggregation::ByOperation => Grouping::Operation,
        Aggregation::ByProduct => Grouping::Product,
        Aggregation::BySubscription => Grouping::Subscription,
        Aggregation::ByGeo => Grouping::Geo,
        Aggregation::ByTime | Aggregation::ByRequest => Grouping::Time(interval.unwrap_or(900_000)),
    };
    let rows = state
        .store()
        .runtime()
        .report(state.instance(), grouping, &records)
        .await?;
    let names = match aggregation {
        Aggregation::ByApi => Names::load(&state, Api::KIND, "").await?,
        Aggregation::ByUser => Names::load(&state, User::KIND, "").await?,
        Aggregation::ByProduct => Names::load(&state, Product::KIND, "").await?,
        Aggregation::BySubscription => {
            let mut names = Names::load(&state, Subscription::KIND, "").await?;
            names.add(&state, User::KIND, "").await?;
            names.add(&state, Product::KIND, "").await?;
            names
        }
        Aggregation::ByOperation => {
            let mut names = Names::load(&state, Api::KIND, "").await?;
            let mut apis: Vec<&String> = rows.iter().map(|r| &r.key[0]).collect();
            apis.dedup();
            for api in apis.into_iter().filter(|a| !a.is_empty()) {
                let (spelled, _) = names.get(Api::KIND, api);
                names
                    .add(&state, Operation::KIND, &format!("apis/{spelled}"))
                    .await?;
            }
            names
        }
        _ => Names::default(),
    };
    let mut items: Vec<Map<String, Value>> = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut item = Map::new();
        let key = |i: usize| row.key.get(i).map(String::as_str).unwrap_or("");
        match aggregation {
            Aggregation::ByApi | Aggregation::ByUser | Aggregation::ByProduct => {
                let (kind, plural, field) = match aggregation {
                    Aggregation::ByApi => (Api::KIND, "apis", "apiId"),
                    Aggregation::ByUser => (User::KIND, "users", "userId"),
                    _ => (Product::KIND, "products", "productId"),
                };
                // Calls without one (no API matched, no key) are left out of these groups.
                if key(0).is_empty() {
                    continue;
                }
                let (id, name) = names.get(kind, key(0));
                item.insert("name".into(), json!(name));
                item.insert(field.into(), json!(path(plural, &id)));
            }
            Aggregation::ByOperation => {
                if key(0).is_empty() || key(1).is_empty() {
                    continue;
                }
                let (api, _) = names.get(Api::KIND, key(0));
                let (operation, name) =
                    names.get(Operation::KIND, &format!("{}/{}", key(0), key(1)));
                let operation = if operation.contains('/') {
                    key(1).to_owned()
                } else {
                    operation
                };
                item.insert("name".into(), json!(name));
                item.insert("apiId".into(), json!(path("apis", &api)));
                item.insert(
                    "operationId".into(),
                    json!(format!("/apis/{api}/operations/{operation}")),
                );
            }
            Aggregation::BySubscription => {
                if key(0).is_empty() {
                    continue;
                }
                let (subscription, name) = names.get(Subscription::KIND, key(0));
                let (user, _) = names.get(User::KIND, key(1));
                let (product, _) = names.get(Product::KIND, key(2));
                item.insert("name".into(), json!(name));
                item.insert("userId".into(), json!(path("users", &user)));
                item.insert("productId".into(), json!(path("products", &product)));
                item.insert(
                    "subscriptionId".into(),
                    json!(path("subscriptions", &subscription)),
                );
            }
            Aggregation::ByGeo => {
                item.insert("country".into(), json!(key(0)));
                item.insert("region".into(), json!(key(1)));
                item.insert("zip".into(), json!(key(2)));
            }
            Aggregation::ByTime | Aggregation::ByRequest => {
                let start = row.bucket.unwrap_or(0);
                item.insert("timestamp".into(), json!(utc(start, SecondsFormat::Secs)));
                item.insert(
                    "interval".into(),
                    json!(report::format_interval(interval.unwrap_or(900_000))),
                );
            }
        }
        item.extend(counts(row));
        items.push(item);
    }
    if let Some((field, descending)) = &order {
        items.sort_by(|a, b| {
            let ordering = compare(&a[field.as_str()], &b[field.as_str()]);
            if *descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }
    let mut columns: Vec<&str> = key_fields(aggregation).to_vec();
    columns.extend(COUNT_FIELDS);
    let items: Vec<Value> = items.into_iter().map(Value::Object).collect();
    respond_page(items, &columns, &query, version, uri.path(), &headers, csv)
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::String(a), Value::String(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
        _ => a
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&b.as_f64().unwrap_or(0.0))
            .unwrap_or(Ordering::Equal),
    }
}

fn respond_page(
    items: Vec<Value>,
    columns: &[&str],
    query: &ListQuery,
    version: ApiVersion,
    path: &str,
    headers: &HeaderMap,
    csv: bool,
) -> Outcome {
    let body = collection::page(items, query, version, path, headers);
    if csv {
        let rows = body["value"].as_array().cloned().unwrap_or_default();
        return Ok(respond::text(
            StatusCode::OK,
            "text/csv; charset=utf-8",
            None,
            to_csv(columns, &rows),
        ));
    }
    Ok(respond::json(StatusCode::OK, None, &body))
}

/// CSV (RFC 4180): a header row of field names, then one row per record of the page.
fn to_csv(columns: &[&str], rows: &[Value]) -> String {
    let mut out = columns.join(",");
    out.push_str("\r\n");
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match &row[*c] {
                Value::Null => String::new(),
                Value::String(s) if s.contains([',', '"', '\r', '\n']) => {
                    format!("\"{}\"", s.replace('"', "\"\""))
                }
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

fn request_item(r: &RequestRecord, version: ApiVersion) -> Value {
    let mut item = Map::new();
    let operation = if r.operation_id.is_empty() {
        "-"
    } else {
        &r.operation_id
    };
    let api = if r.api_id.is_empty() { "-" } else { &r.api_id };
    item.insert("apiId".into(), json!(path("apis", &r.api_id)));
    item.insert(
        "operationId".into(),
        json!(format!("/apis/{api}/operations/{operation}")),
    );
    item.insert("productId".into(), json!(path("products", &r.product_id)));
    item.insert("userId".into(), json!(path("users", &r.user_id)));
    item.insert("method".into(), json!(r.method));
    item.insert("url".into(), json!(r.url));
    item.insert("ipAddress".into(), json!(r.ip_address));
    if let Some(code) = r.backend_code {
        // 2017-03-01 types it as a string; earlier contracts as an integer.
        let value = if version >= ApiVersion::V2017_03_01 {
            json!(code.to_string())
        } else {
            json!(code)
        };
        item.insert("backendResponseCode".into(), value);
    }
    item.insert("responseCode".into(), json!(r.response_code));
    item.insert("responseSize".into(), json!(r.response_size));
    item.insert(
        "timestamp".into(),
        json!(utc(r.timestamp, SecondsFormat::Millis)),
    );
    item.insert("cache".into(), json!(r.cache));
    item.insert("apiTime".into(), json!(r.api_time));
    item.insert("serviceTime".into(), json!(r.service_time.unwrap_or(0.0)));
    item.insert("apiRegion".into(), json!(r.api_region));
    item.insert(
        "subscriptionId".into(),
        json!(path("subscriptions", &r.subscription_id)),
    );
    item.insert("requestId".into(), json!(r.request_id));
    item.insert("requestSize".into(), json!(r.request_size));
    Value::Object(item)
}

/// byRequest: the records themselves, paged in SQL.
async fn by_request(
    state: &AppState,
    version: ApiVersion,
    filter: &RecordFilter,
    query: &ListQuery,
    csv: bool,
    path: &str,
    headers: &HeaderMap,
) -> Outcome {
    let (page, count) = state
        .store()
        .runtime()
        .request_records(
            state.instance(),
            filter,
            query.skip as u64,
            query.top as u64,
        )
        .await?;
    let value: Vec<Value> = page.iter().map(|r| request_item(r, version)).collect();
    if csv {
        return Ok(respond::text(
            StatusCode::OK,
            "text/csv; charset=utf-8",
            None,
            to_csv(REQUEST_FIELDS, &value),
        ));
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let body = collection::envelope(value, count, query, version, path, headers);
    Ok(respond::json(StatusCode::OK, None, &body))
}
