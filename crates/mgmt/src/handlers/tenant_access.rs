//! `/tenant/access`: read the access record, switch the API on and off, regenerate keys.
//! Every change is committed first and then replaces the cached record used for authentication,
//! so tokens signed with a replaced key stop working at once.

use crate::bootstrap::random_key;
use crate::error::{Failure, Outcome};
use crate::extract::if_match::check;
use crate::extract::{JsonBody, RequiredIfMatch};
use crate::resource::decode_record;
use crate::respond;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use tollgate_contract::entity::tenant_access::{self, KeyKind, TenantAccess};
use tollgate_contract::{ApiError, Etag};
use tollgate_store::{Key, Tx};

const KEY: Key<'static> = Key {
    kind: tenant_access::KIND,
    parent: "",
    id: tenant_access::ID,
};

async fn current(tx: &mut dyn Tx) -> Result<(TenantAccess, Etag), Failure> {
    let record = tx
        .get(KEY)
        .await?
        .ok_or_else(|| ApiError::not_found("Access configuration", tenant_access::ID))?;
    Ok((
        decode_record::<TenantAccess>(&record)?,
        Etag(record.revision),
    ))
}

async fn save(
    state: &AppState,
    mut tx: Box<dyn Tx>,
    access: TenantAccess,
) -> Result<Etag, Failure> {
    let body = serde_json::to_string(&access).map_err(|_| Failure(ApiError::internal()))?;
    tx.put(KEY, &body).await?;
    let etag = Etag(tx.revision());
    tx.commit().await?;
    state.set_access(access);
    Ok(etag)
}

/// `GET /tenant/access`.
pub async fn get_access(State(state): State<AppState>) -> Outcome {
    let record = state
        .store()
        .get(state.instance(), KEY)
        .await?
        .ok_or_else(|| ApiError::not_found("Access configuration", tenant_access::ID))?;
    let access = decode_record::<TenantAccess>(&record)?;
    Ok(respond::json(
        StatusCode::OK,
        Some(Etag(record.revision)),
        &access.render(),
    ))
}

/// `PATCH /tenant/access` with `{"enabled": bool}`.
pub async fn patch_access(
    State(state): State<AppState>,
    RequiredIfMatch(condition): RequiredIfMatch,
    JsonBody(body): JsonBody,
) -> Outcome {
    let mut tx = state.store().begin(state.instance()).await?;
    let (access, etag) = current(tx.as_mut()).await?;
    check(Some(&condition), etag, "The access configuration")?;
    let access = access.patched(&body)?;
    let etag = save(&state, tx, access).await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, Some(etag)))
}

async fn regenerate(state: AppState, kind: KeyKind) -> Outcome {
    let mut tx = state.store().begin(state.instance()).await?;
    let (mut access, _) = current(tx.as_mut()).await?;
    access.set_key(kind, random_key());
    save(&state, tx, access).await?;
    tracing::info!(key = ?kind, "regenerated a management key");
    Ok(respond::empty(StatusCode::NO_CONTENT, None))
}

/// `POST /tenant/access/regeneratePrimaryKey`.
pub async fn regenerate_primary_key(State(state): State<AppState>) -> Outcome {
    regenerate(state, KeyKind::Primary).await
}

/// `POST /tenant/access/regenerateSecondaryKey`.
pub async fn regenerate_secondary_key(State(state): State<AppState>) -> Outcome {
    regenerate(state, KeyKind::Secondary).await
}
