//! `/quotas/{counterKey}[/{periodKey}]`: the counters of `quota-by-key` policies, read and reset.
//! Counters are runtime state in the store's own table; changing them is not a configuration
//! write (no revision, no ETag). A counter key or period nothing has counted yet → 404.

use crate::collection;
use crate::error::Outcome;
use crate::extract::{JsonBody, ListQuery, Version};
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use tollgate_contract::entity::quota::{self, CounterValues, CounterView};
use tollgate_contract::{ApiError, ApiVersion, ErrorCode};
use tollgate_store::QuotaCounter;

fn available(version: ApiVersion) -> Result<(), ApiError> {
    if version < quota::SINCE {
        let message = format!(
            "/quotas is available from api-version {} (this call uses {version}).",
            quota::SINCE
        );
        return Err(ApiError::new(ErrorCode::ResourceNotFound, message));
    }
    Ok(())
}

fn view(counter: &QuotaCounter) -> CounterView<'_> {
    CounterView {
        counter_key: &counter.counter_key,
        period_key: &counter.period_key,
        period_start: &counter.period_start,
        period_end: &counter.period_end,
        calls_count: counter.calls_count,
        kb_transferred: counter.kb_transferred,
    }
}

fn not_found(counter_key: &str, period_key: Option<&str>) -> ApiError {
    match period_key {
        None => ApiError::not_found("QuotaCounter", counter_key),
        Some(period) => ApiError::not_found("QuotaCounter", &format!("{counter_key}/{period}")),
    }
}

/// `GET /quotas/{quotaCounterKey}`: every period of a counter key.
pub async fn list_counters(
    State(state): State<AppState>,
    Version(version): Version,
    Path(counter_key): Path<String>,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    available(version)?;
    let counters = state
        .store()
        .runtime()
        .quota_counters(state.instance(), &counter_key)
        .await?;
    if counters.is_empty() {
        return Err(not_found(&counter_key, None).into());
    }
    let items = counters.iter().map(|c| view(c).render(version)).collect();
    let body = collection::page(items, &query, version, uri.path(), &headers);
    Ok(respond::json(StatusCode::OK, None, &body))
}

/// `GET /quotas/{quotaCounterKey}/{quotaPeriodKey}`.
pub async fn get_counter(
    State(state): State<AppState>,
    Version(version): Version,
    Path((counter_key, period_key)): Path<(String, String)>,
) -> Outcome {
    available(version)?;
    let counters = state
        .store()
        .runtime()
        .quota_counters(state.instance(), &counter_key)
        .await?;
    let counter = counters
        .iter()
        .find(|c| c.period_key == period_key)
        .ok_or_else(|| not_found(&counter_key, Some(&period_key)))?;
    Ok(respond::json(
        StatusCode::OK,
        None,
        &view(counter).render(version),
    ))
}

/// `PATCH /quotas/{quotaCounterKey}`: sets the values of every period.
pub async fn patch_counters(
    State(state): State<AppState>,
    Version(version): Version,
    Path(counter_key): Path<String>,
    JsonBody(body): JsonBody,
) -> Outcome {
    set(state, version, counter_key, None, &body).await
}

/// `PATCH /quotas/{quotaCounterKey}/{quotaPeriodKey}`: sets the values of one period.
pub async fn patch_counter(
    State(state): State<AppState>,
    Version(version): Version,
    Path((counter_key, period_key)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Outcome {
    set(state, version, counter_key, Some(period_key), &body).await
}

async fn set(
    state: AppState,
    version: ApiVersion,
    counter_key: String,
    period_key: Option<String>,
    body: &[u8],
) -> Outcome {
    available(version)?;
    let values = CounterValues::from_patch(body)?;
    let changed = state
        .store()
        .runtime()
        .set_quota_values(
            state.instance(),
            &counter_key,
            period_key.as_deref(),
            values.calls_count,
            values.kb_transferred,
        )
        .await?;
    if changed == 0 {
        return Err(not_found(&counter_key, period_key.as_deref()).into());
    }
    Ok(respond::empty(StatusCode::NO_CONTENT, None))
}
