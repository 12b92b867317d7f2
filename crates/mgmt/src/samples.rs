//! The samples a new instance gets, as a new Azure instance does: the Echo API, the products
//! Starter and Unlimited (both published, open to every built-in group, offering the Echo API),
//! Starter's rate-limit and quota policy, and the administrator's subscription to each product.
//!
//! They are made by sending [`CALLS`] through the management API itself, so they obey every rule
//! a client's calls do. `tollgate serve --no-samples` leaves a new instance without them.

use crate::router::router;
use crate::state::{AppState, DEFAULT_BODY_LIMIT};
use axum::body::Body;
use axum::http::{Request, header};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use std::sync::Arc;
use tollgate_auth::seal::{Sealer, ServerSecret};
use tollgate_contract::entity::tenant_access::TenantAccess;
use tollgate_store::Store;
use tower::ServiceExt;

/// Starter's policy: 5 calls a minute, 100 a week, per subscription.
const STARTER_POLICY: &str = r#"<policies>
  <inbound>
    <rate-limit calls="5" renewal-period="60" />
    <quota calls="100" renewal-period="604800" />
    <base />
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>"#;

/// The Echo API's operations: (id, name, method, URL template).
const ECHO_OPERATIONS: &[(&str, &str, &str, &str)] = &[
    ("create-resource", "Create resource", "POST", "/resource"),
    ("modify-resource", "Modify Resource", "PUT", "/resource"),
    ("remove-resource", "Remove resource", "DELETE", "/resource"),
    (
        "retrieve-header-only",
        "Retrieve header only",
        "HEAD",
        "/resource",
    ),
    ("retrieve-resource", "Retrieve resource", "GET", "/resource"),
    (
        "retrieve-resource-cached",
        "Retrieve resource (cached)",
        "GET",
        "/resource-cached",
    ),
];

/// The products and what describes them: (id, body).
fn products() -> [(&'static str, Value); 2] {
    [
        (
            "starter",
            json!({
                "name": "Starter",
                "description": "Subscribers will be able to run 5 calls/minute up to a maximum of 100 calls/week.",
                "terms": "",
                "subscriptionRequired": true,
                "approvalRequired": false,
                "subscriptionsLimit": 1,
                "state": "published",
            }),
        ),
        (
            "unlimited",
            json!({
                "name": "Unlimited",
                "description": "Subscribers have completely unlimited access to the API. Administrator approval is required.",
                "terms": "",
                "subscriptionRequired": true,
                "approvalRequired": true,
                "subscriptionsLimit": 1,
                "state": "published",
            }),
        ),
    ]
}

/// The management calls that make the samples, in order: (method, path, body).
pub fn calls() -> Vec<(&'static str, String, Value)> {
    let mut calls = vec![(
        "PUT",
        "/apis/echo-api".to_owned(),
        json!({
            "name": "Echo API",
            "description": "A sample API that echoes the request back.",
            // Azure's sample names its retired echo service, which Tollgate's gateway answers
            // itself; http as well as https, so that it can be called on a local plain-HTTP
            // gateway.
            "serviceUrl": "http://echoapi.cloudapp.net/api",
            "path": "echo",
            "protocols": ["http", "https"],
        }),
    )];
    for (id, name, method, template) in ECHO_OPERATIONS {
        calls.push((
            "PUT",
            format!("/apis/echo-api/operations/{id}"),
            json!({"name": name, "method": method, "urlTemplate": template}),
        ));
    }
    for (product, body) in products() {
        calls.push(("PUT", format!("/products/{product}"), body));
        calls.push((
            "PUT",
            format!("/products/{product}/apis/echo-api"),
            json!({}),
        ));
        for group in ["administrators", "developers", "guests"] {
            calls.push((
                "PUT",
                format!("/products/{product}/groups/{group}"),
                json!({}),
            ));
        }
        calls.push((
            "PUT",
            format!("/subscriptions/administrator-{product}"),
            json!({
                "userId": "/users/1",
                "productId": format!("/products/{product}"),
                "state": "active",
            }),
        ));
    }
    calls.push((
        "PUT",
        "/products/starter/policies/policy".to_owned(),
        json!({"policyContent": STARTER_POLICY}),
    ));
    calls
}

/// Makes the samples in a new instance whose access record is `access`.
pub async fn seed(
    store: Arc<dyn Store>,
    instance: &str,
    access: &TenantAccess,
) -> Result<(), String> {
    // The samples seal nothing (they have no certificates): a throwaway secret serves.
    let sealer = Sealer::new(&ServerSecret::generate());
    let state = AppState::new(
        store,
        instance,
        access.clone(),
        DEFAULT_BODY_LIMIT,
        sealer,
        crate::oauth::OAuthSettings::default(),
    );
    let app = router(state);
    let authorization = tollgate_auth::sign(
        &access.id,
        &access.primary_key,
        Utc::now() + Duration::minutes(5),
    );
    for (method, path, body) in calls() {
        let request = Request::builder()
            .method(method)
            .uri(format!("{path}?api-version=2017-03-01"))
            .header(header::AUTHORIZATION, &authorization)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::IF_MATCH, "*")
            .body(Body::from(body.to_string()))
            .map_err(|e| e.to_string())?;
        let response = app
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            let status = response.status();
            let text = axum::body::to_bytes(response.into_body(), DEFAULT_BODY_LIMIT)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            return Err(format!("sample {method} {path} answered {status}: {text}"));
        }
    }
    Ok(())
}
