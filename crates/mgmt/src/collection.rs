//! The collection envelope `{value, count, nextLink}` and paging.

use crate::extract::ListQuery;
use axum::http::HeaderMap;
use axum::http::header::HOST;
use serde_json::{Value, json};
use std::ops::Range;
use tollgate_contract::ApiVersion;

/// One page of `items` (all matches, in order), with `count` = all matches and `nextLink` to the
/// next page, keeping the query's other parameters.
pub fn page(
    items: Vec<Value>,
    query: &ListQuery,
    version: ApiVersion,
    path: &str,
    headers: &HeaderMap,
) -> Value {
    let count = items.len();
    let selected = window(count, query);
    let value = items
        .into_iter()
        .skip(selected.start)
        .take(selected.len())
        .collect();
    envelope(value, count, query, version, path, headers)
}

/// The positions among `count` matches that `$skip` and `$top` select.
pub fn window(count: usize, query: &ListQuery) -> Range<usize> {
    let start = query.skip.min(count);
    start..query.skip.saturating_add(query.top).min(count)
}

/// The envelope of one page: `value` holds the matches [`window`] selected out of `count`.
pub fn envelope(
    value: Vec<Value>,
    count: usize,
    query: &ListQuery,
    version: ApiVersion,
    path: &str,
    headers: &HeaderMap,
) -> Value {
    let end = window(count, query).end;
    let mut out = json!({ "value": value, "count": count });
    if end < count {
        out["nextLink"] = json!(next_link(query, end, path, headers));
    } else if version.null_next_link() {
        out["nextLink"] = Value::Null;
    }
    out
}

fn next_link(query: &ListQuery, skip: usize, path: &str, headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let mut params: Vec<(String, String)> = query.others.clone();
    if let Some(filter) = &query.filter {
        params.push(("$filter".into(), filter.clone()));
    }
    params.push(("$top".into(), query.top.to_string()));
    params.push(("$skip".into(), skip.to_string()));
    let encoded = serde_urlencoded::to_string(&params).unwrap_or_default();
    format!("http://{host}{path}?{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_links_to_the_next_page() {
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let query = ListQuery::parse("api-version=2017-03-01&$top=2&$filter=x").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "h:1".parse().unwrap());
        let out = page(
            items.clone(),
            &query,
            ApiVersion::V2017_03_01,
            "/properties",
            &headers,
        );
        assert_eq!(out["value"], json!([0, 1]));
        assert_eq!(out["count"], 5);
        let link = out["nextLink"].as_str().unwrap();
        assert!(
            link.starts_with(
                "http://h:1/properties?api-version=2017-03-01&%24filter=x&%24top=2&%24skip=2"
            ),
            "{link}"
        );
        let last = ListQuery::parse("$skip=4").unwrap();
        let out = page(
            items.clone(),
            &last,
            ApiVersion::V2017_03_01,
            "/p",
            &headers,
        );
        assert_eq!(
            (out["value"].clone(), out.get("nextLink")),
            (json!([4]), None)
        );
        let out = page(items, &last, ApiVersion::V2014_02_14, "/p", &headers);
        assert_eq!(out["nextLink"], Value::Null);
    }
}
