//! `GET /regions`: the regions of the instance. A Tollgate instance runs in one place, named
//! `local` (the name policies will see as `context.Deployment.Region`).

use crate::collection;
use crate::error::Outcome;
use crate::extract::{ListQuery, Version};
use crate::respond;
use axum::extract::OriginalUri;
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;

/// The name of the one region.
pub const REGION: &str = "local";

/// `GET /regions`.
pub async fn list_regions(
    Version(version): Version,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    let items = vec![json!({ "name": REGION, "isMasterRegion": true, "isDeleted": false })];
    Ok(respond::json(
        StatusCode::OK,
        None,
        &collection::page(items, &query, version, uri.path(), &headers),
    ))
}
