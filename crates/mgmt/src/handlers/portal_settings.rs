//! `/portalsettings/{signin,signup,delegation}`: three singletons, seeded at bootstrap, read
//! with an ETag, replaced by `PUT` (If-Match optional) and changed by `PATCH` (If-Match
//! required); both answer 204.

use crate::error::{Failure, Outcome};
use crate::extract::if_match::check;
use crate::extract::{IfMatchHeader, JsonBody, RequiredIfMatch, Version};
use crate::resource::decode_record;
use crate::respond;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use tollgate_contract::entity::portal_settings::PortalSetting;
use tollgate_contract::{ApiError, ApiVersion, ErrorCode, Etag, IfMatch};
use tollgate_store::{Key, StoreError, Tx};

/// The store kind of the settings.
const KIND: &str = "portalSetting";

fn key<T: PortalSetting>() -> Key<'static> {
    Key::top(KIND, T::NAME)
}

fn available(version: ApiVersion) -> Result<(), Failure> {
    if version < ApiVersion::V2017_03_01 {
        let message = format!(
            "/portalsettings is available from api-version 2017-03-01 (this call uses {version})."
        );
        return Err(ApiError::new(ErrorCode::ResourceNotFound, message).into());
    }
    Ok(())
}

/// Stores the default of a setting that a store does not have yet.
pub async fn ensure<T: PortalSetting>(tx: &mut dyn Tx) -> Result<(), StoreError> {
    if tx.get(key::<T>()).await?.is_none() {
        let body = serde_json::to_string(&T::default())
            .map_err(|e| StoreError::Database(e.to_string()))?;
        tx.put(key::<T>(), &body).await?;
    }
    Ok(())
}

/// `GET /portalsettings/{name}`.
pub async fn get_setting<T: PortalSetting>(
    State(state): State<AppState>,
    Version(version): Version,
) -> Outcome {
    available(version)?;
    let record = state
        .store()
        .get(state.instance(), key::<T>())
        .await?
        .ok_or_else(|| ApiError::not_found("PortalSettings", T::NAME))?;
    let setting: T = decode_record(&record)?;
    Ok(respond::json(
        StatusCode::OK,
        Some(Etag(record.revision)),
        &setting.render(),
    ))
}

/// `PUT /portalsettings/{name}`: replaces the setting.
pub async fn put_setting<T: PortalSetting>(
    State(state): State<AppState>,
    Version(version): Version,
    IfMatchHeader(condition): IfMatchHeader,
    JsonBody(body): JsonBody,
) -> Outcome {
    available(version)?;
    let setting = T::default().patched(&body)?;
    write(&state, condition.as_ref(), |_| Ok(setting)).await
}

/// `PATCH /portalsettings/{name}`: changes the given fields.
pub async fn patch_setting<T: PortalSetting>(
    State(state): State<AppState>,
    Version(version): Version,
    RequiredIfMatch(condition): RequiredIfMatch,
    JsonBody(body): JsonBody,
) -> Outcome {
    available(version)?;
    write(&state, Some(&condition), |current: T| {
        current.patched(&body)
    })
    .await
}

async fn write<T: PortalSetting>(
    state: &AppState,
    condition: Option<&IfMatch>,
    change: impl FnOnce(T) -> Result<T, ApiError>,
) -> Outcome {
    let mut tx = state.begin().await?;
    let record = tx
        .get(key::<T>())
        .await?
        .ok_or_else(|| ApiError::not_found("PortalSettings", T::NAME))?;
    check(
        condition,
        Etag(record.revision),
        &format!("PortalSettings '{}'", T::NAME),
    )?;
    let setting = change(decode_record(&record)?)?;
    let body = serde_json::to_string(&setting).map_err(|_| Failure(ApiError::internal()))?;
    tx.put(key::<T>(), &body).await?;
    let etag = Etag(tx.revision());
    tx.commit().await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, Some(etag)))
}
