//! The route table: every path and method of the management API on one screen.

use crate::auth::guard;
use crate::error::error_response;
use crate::handlers::{
    api, audit_log, export, health, links, policy, portal_settings, quota, regions, reports,
    snippets, subscription, tenant_access, user, user_token,
};
use crate::resource::{self, Resource};
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::authorization_server::AuthorizationServer;
use tollgate_contract::entity::backend::Backend;
use tollgate_contract::entity::certificate::Certificate;
use tollgate_contract::entity::email_template::EmailTemplate;
use tollgate_contract::entity::group::Group;
use tollgate_contract::entity::identity_provider::IdentityProvider;
use tollgate_contract::entity::logger::Logger;
use tollgate_contract::entity::openid_connect_provider::OpenIdConnectProvider;
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::portal_settings::{
    DelegationSettings, PortalSetting, SignInSettings, SignUpSettings,
};
use tollgate_contract::entity::product::Product;
use tollgate_contract::entity::property::Property;
use tollgate_contract::entity::schema::Schema;
use tollgate_contract::entity::subscription::Subscription;
use tollgate_contract::entity::user::User;
use tollgate_contract::{ApiError, ErrorCode};

/// The management API for `state`'s instance.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/apis", collection::<Api>())
        .route(
            "/apis/{apiId}",
            get(export::get_api)
                .put(api::put_api)
                .patch(resource::patch::<Api>)
                .delete(resource::delete::<Api>),
        )
        .route("/apis/{apiId}/operations", collection::<Operation>())
        .route(
            "/apis/{apiId}/operations/{operationId}",
            entity::<Operation>(),
        )
        .route("/apis/{apiId}/schemas", collection::<Schema>())
        .route(
            "/apis/{apiId}/schemas/{schemaId}",
            get(resource::get::<Schema>)
                .put(resource::put::<Schema>)
                .delete(resource::delete::<Schema>),
        )
        .route("/apis/{apiId}/products", get(api::list_api_products))
        .route("/apis/{apiId}/policy", any_policy())
        .route("/apis/{apiId}/policies", get(policy::list_policies))
        .route("/apis/{apiId}/policies/{policyId}", any_policy())
        .route(
            "/apis/{apiId}/operations/{operationId}/policy",
            any_policy(),
        )
        .route(
            "/apis/{apiId}/operations/{operationId}/policies",
            get(policy::list_policies),
        )
        .route(
            "/apis/{apiId}/operations/{operationId}/policies/{policyId}",
            any_policy(),
        )
        .route("/groups", collection::<Group>())
        .route("/groups/{groupId}", entity::<Group>())
        .route(
            "/groups/{groupId}/users",
            get(links::list_members::<Group, User>),
        )
        .route("/groups/{groupId}/users/{uid}", members::<Group, User>())
        .route("/users", collection::<User>())
        .route("/users/{uid}", entity::<User>())
        .route("/users/{uid}/groups", get(user::list_user_groups))
        .route("/users/{uid}/identities", get(user::list_user_identities))
        .route("/users/{uid}/subscriptions", get(subscription::list_owned))
        .route("/users/{uid}/token", post(user_token::issue_token))
        .route(
            "/users/{uid}/generateSsoUrl",
            post(user_token::generate_sso_url),
        )
        .route(
            "/products/{productId}/subscriptions",
            get(subscription::list_owned),
        )
        .route("/subscriptions", collection::<Subscription>())
        .route("/subscriptions/{sid}", entity::<Subscription>())
        .route(
            "/subscriptions/{sid}/regeneratePrimaryKey",
            post(subscription::regenerate_primary_key),
        )
        .route(
            "/subscriptions/{sid}/regenerateSecondaryKey",
            post(subscription::regenerate_secondary_key),
        )
        .route("/products", collection::<Product>())
        .route("/products/{productId}", entity::<Product>())
        .route(
            "/products/{productId}/apis",
            get(links::list_members::<Product, Api>),
        )
        .route(
            "/products/{productId}/apis/{apiId}",
            members::<Product, Api>(),
        )
        .route(
            "/products/{productId}/groups",
            get(links::list_members::<Product, Group>),
        )
        .route(
            "/products/{productId}/groups/{groupId}",
            members::<Product, Group>(),
        )
        .route("/products/{productId}/policy", any_policy())
        .route("/products/{productId}/policies", get(policy::list_policies))
        .route("/products/{productId}/policies/{policyId}", any_policy())
        .route("/properties", collection::<Property>())
        .route("/properties/{propId}", entity::<Property>())
        .route("/certificates", collection::<Certificate>())
        .route(
            "/certificates/{certificateId}",
            get(resource::get::<Certificate>)
                .put(resource::put::<Certificate>)
                .delete(resource::delete::<Certificate>),
        )
        .route("/backends", collection::<Backend>())
        .route("/backends/{backendid}", entity::<Backend>())
        .route("/authorizationServers", collection::<AuthorizationServer>())
        .route(
            "/authorizationServers/{authsid}",
            entity::<AuthorizationServer>(),
        )
        .route("/identityProviders", collection::<IdentityProvider>())
        .route(
            "/identityProviders/{identityProviderName}",
            entity::<IdentityProvider>(),
        )
        .route(
            "/openidConnectProviders",
            collection::<OpenIdConnectProvider>(),
        )
        .route(
            "/openidConnectProviders/{opid}",
            entity::<OpenIdConnectProvider>(),
        )
        .route("/templates", collection::<EmailTemplate>())
        .route("/templates/{templateName}", entity::<EmailTemplate>())
        .route("/portalsettings/signin", setting::<SignInSettings>())
        .route("/portalsettings/signup", setting::<SignUpSettings>())
        .route(
            "/portalsettings/delegation",
            setting::<DelegationSettings>(),
        )
        .route(
            "/quotas/{quotaCounterKey}",
            get(quota::list_counters).patch(quota::patch_counters),
        )
        .route(
            "/quotas/{quotaCounterKey}/{quotaPeriodKey}",
            get(quota::get_counter).patch(quota::patch_counter),
        )
        .route("/loggers", collection::<Logger>())
        .route("/loggers/{loggerid}", entity::<Logger>())
        .route(
            "/tenant/access",
            get(tenant_access::get_access).patch(tenant_access::patch_access),
        )
        .route(
            "/tenant/access/regeneratePrimaryKey",
            post(tenant_access::regenerate_primary_key),
        )
        .route(
            "/tenant/access/regenerateSecondaryKey",
            post(tenant_access::regenerate_secondary_key),
        )
        .route(
            "/tenant/access/git",
            get(tenant_access::get_git_access).patch(tenant_access::patch_git_access),
        )
        .route(
            "/tenant/access/git/regeneratePrimaryKey",
            post(tenant_access::regenerate_git_primary_key),
        )
        .route(
            "/tenant/access/git/regenerateSecondaryKey",
            post(tenant_access::regenerate_git_secondary_key),
        )
        .route("/tenant/policy", any_policy())
        .route("/policies", get(policy::list_policies))
        .route("/regions", get(regions::list_regions))
        .route("/auditLogs", get(audit_log::list_audit_logs))
        .route("/reports/{aggregation}", get(reports::list_report))
        .route("/policySnippets", get(snippets::list_snippets))
        .route("/policies/{policyId}", any_policy())
        .route_layer(middleware::from_fn_with_state(state.clone(), guard));
    // Export links carry their own signature instead of a SAS token.
    // … and so do sign-on links.
    let api = api
        .route(
            "/export/apis/{apiId}/{format}",
            get(export::download_export),
        )
        .route("/signin-sso", get(user_token::sign_in))
        // The OAuth2 authorization server authenticates by itself.
        .merge(crate::oauth::routes())
        // Probes for load balancers: no credentials.
        .route("/health", get(health::health))
        .route("/ready", get(health::ready));
    api.fallback(unknown_path)
        .layer(middleware::from_fn(outer))
        .with_state(state)
}

fn collection<E: Resource>() -> MethodRouter<AppState> {
    get(resource::list::<E>)
}

fn entity<E: Resource>() -> MethodRouter<AppState> {
    get(resource::get::<E>)
        .put(resource::put::<E>)
        .patch(resource::patch::<E>)
        .delete(resource::delete::<E>)
}

fn setting<T: PortalSetting>() -> MethodRouter<AppState> {
    get(portal_settings::get_setting::<T>)
        .put(portal_settings::put_setting::<T>)
        .patch(portal_settings::patch_setting::<T>)
}

fn members<O: links::Owner, M: links::Member<O>>() -> MethodRouter<AppState> {
    get(links::get_member::<O, M>)
        .put(links::put_member::<O, M>)
        .delete(links::delete_member::<O, M>)
}

fn any_policy() -> MethodRouter<AppState> {
    get(policy::get_policy)
        .put(policy::put_policy)
        .delete(policy::delete_policy)
}

async fn unknown_path(req: Request) -> Response {
    error_response(&ApiError::new(
        ErrorCode::ResourceNotFound,
        format!("No resource exists at {}.", req.uri().path()),
    ))
}

/// Around every call: gives axum's own bodiless 405 (wrong method; `Allow` kept) the contract's
/// error body, and logs each call's method, path, status and duration at debug level (never
/// headers or the query, which may carry secrets).
async fn outer(req: Request, next: Next) -> Response {
    let logged = tracing::enabled!(tracing::Level::DEBUG).then(|| {
        (
            std::time::Instant::now(),
            req.method().clone(),
            req.uri().path().to_owned(),
        )
    });
    let method = req.method().clone();
    let mut response = next.run(req).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key("content-type")
    {
        response = with_error_body(response, &method);
    }
    if let Some((started, method, path)) = logged {
        let micros = started.elapsed().as_micros() as u64;
        tracing::debug!(%method, %path, status = response.status().as_u16(), micros, "management call");
    }
    response
}

fn with_error_body(response: Response, method: &axum::http::Method) -> Response {
    let (mut parts, _) = response.into_parts();
    let err = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not supported here; the Allow header lists the methods that are."),
    );
    let body = error_response(&err);
    parts.headers.extend(body.headers().clone());
    Response::from_parts(parts, Body::from(err.to_body()))
}
