//! `/tenant/access` and `/tenant/access/git`: read an access record, switch it on and off,
//! regenerate its keys.
//! A change to the management record is committed first and then replaces the cached record
//! used for authentication, so tokens signed with a replaced key stop working at once.

use crate::bootstrap::{GIT_ACCESS, random_key};
use crate::error::{Failure, Outcome};
use crate::extract::if_match::check;
use crate::extract::{JsonBody, RequiredIfMatch};
use crate::resource::decode_record;
use crate::respond;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use tollgate_contract::entity::tenant_access::{self, KeyKind, TenantAccess};
use tollgate_contract::{ApiError, Etag, IfMatch};
use tollgate_store::{Key, Tx};

/// Which access record a call is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// `/tenant/access`: the management API's keys (they sign SAS tokens).
    Management,
    /// `/tenant/access/git`: the configuration repository's keys.
    Git,
}

impl Access {
    fn key(self) -> Key<'static> {
        match self {
            Access::Management => Key::top(tenant_access::KIND, tenant_access::ID),
            Access::Git => GIT_ACCESS,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Access::Management => "The access configuration",
            Access::Git => "The git access configuration",
        }
    }
}

async fn current(tx: &mut dyn Tx, which: Access) -> Result<(TenantAccess, Etag), Failure> {
    let record = tx
        .get(which.key())
        .await?
        .ok_or_else(|| ApiError::not_found("Access configuration", which.key().id))?;
    Ok((
        decode_record::<TenantAccess>(&record)?,
        Etag(record.revision),
    ))
}

async fn save(
    state: &AppState,
    mut tx: Box<dyn Tx>,
    which: Access,
    access: TenantAccess,
) -> Result<Etag, Failure> {
    let body = serde_json::to_string(&access).map_err(|_| Failure(ApiError::internal()))?;
    tx.put(which.key(), &body).await?;
    let etag = Etag(tx.revision());
    tx.commit().await?;
    if which == Access::Management {
        state.set_access(access);
    }
    Ok(etag)
}

async fn get(state: AppState, which: Access) -> Outcome {
    let record = state
        .store()
        .get(state.instance(), which.key())
        .await?
        .ok_or_else(|| ApiError::not_found("Access configuration", which.key().id))?;
    let access = decode_record::<TenantAccess>(&record)?;
    Ok(respond::json(
        StatusCode::OK,
        Some(Etag(record.revision)),
        &access.render(),
    ))
}

async fn patch(state: AppState, which: Access, condition: IfMatch, body: &[u8]) -> Outcome {
    let mut tx = state.begin().await?;
    let (access, etag) = current(tx.as_mut(), which).await?;
    check(Some(&condition), etag, which.what())?;
    let access = access.patched(body)?;
    let etag = save(&state, tx, which, access).await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, Some(etag)))
}

async fn regenerate(state: AppState, which: Access, kind: KeyKind) -> Outcome {
    let mut tx = state.begin().await?;
    let (mut access, _) = current(tx.as_mut(), which).await?;
    access.set_key(kind, random_key());
    save(&state, tx, which, access).await?;
    tracing::info!(access = ?which, key = ?kind, "regenerated an access key");
    Ok(respond::empty(StatusCode::NO_CONTENT, None))
}

/// `GET /tenant/access`.
pub async fn get_access(State(state): State<AppState>) -> Outcome {
    get(state, Access::Management).await
}

/// `PATCH /tenant/access` with `{"enabled": bool}`.
pub async fn patch_access(
    State(state): State<AppState>,
    RequiredIfMatch(condition): RequiredIfMatch,
    JsonBody(body): JsonBody,
) -> Outcome {
    patch(state, Access::Management, condition, &body).await
}

/// `POST /tenant/access/regeneratePrimaryKey`.
pub async fn regenerate_primary_key(State(state): State<AppState>) -> Outcome {
    regenerate(state, Access::Management, KeyKind::Primary).await
}

/// `POST /tenant/access/regenerateSecondaryKey`.
pub async fn regenerate_secondary_key(State(state): State<AppState>) -> Outcome {
    regenerate(state, Access::Management, KeyKind::Secondary).await
}

/// `GET /tenant/access/git`.
pub async fn get_git_access(State(state): State<AppState>) -> Outcome {
    get(state, Access::Git).await
}

/// `PATCH /tenant/access/git` with `{"enabled": bool}` (in the legacy contract).
pub async fn patch_git_access(
    State(state): State<AppState>,
    RequiredIfMatch(condition): RequiredIfMatch,
    JsonBody(body): JsonBody,
) -> Outcome {
    patch(state, Access::Git, condition, &body).await
}

/// `POST /tenant/access/git/regeneratePrimaryKey`.
pub async fn regenerate_git_primary_key(State(state): State<AppState>) -> Outcome {
    regenerate(state, Access::Git, KeyKind::Primary).await
}

/// `POST /tenant/access/git/regenerateSecondaryKey`.
pub async fn regenerate_git_secondary_key(State(state): State<AppState>) -> Outcome {
    regenerate(state, Access::Git, KeyKind::Secondary).await
}
