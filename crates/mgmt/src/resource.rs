//! The five operations every entity collection has (list, get/head, put, patch, delete),
//! written once over [`Resource`]. Entity-specific rules that need the store hook in through
//! [`Resource::check_write`] and [`Resource::check_delete`], inside the write transaction.

use crate::collection;
use crate::error::{Failure, Outcome};
use crate::extract::if_match::check;
use crate::extract::{IfMatchHeader, JsonBody, ListQuery, RequiredIfMatch, Version};
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use std::future::Future;
use tollgate_contract::entity::Entity;
use tollgate_contract::odata;
use tollgate_contract::{ApiError, ErrorCode, Etag, IfMatch, ident};
use tollgate_store::{Key, Record, Tx};

/// An entity served by the generic handlers, with its cross-entity rules.
pub trait Resource: Entity {
    /// Rules checked before `entity` is written (created when `old` is `None`).
    fn check_write(
        _tx: &mut dyn Tx,
        _id: &str,
        _entity: &Self,
        _old: Option<&Self>,
    ) -> impl Future<Output = Result<(), Failure>> + Send {
        async { Ok(()) }
    }

    /// Rules checked before `entity` is deleted.
    fn check_delete(
        _tx: &mut dyn Tx,
        _id: &str,
        _entity: &Self,
    ) -> impl Future<Output = Result<(), Failure>> + Send {
        async { Ok(()) }
    }
}

/// Decodes a stored record; a record that no longer decodes is an internal error.
pub fn decode_record<T: DeserializeOwned>(record: &Record) -> Result<T, Failure> {
    serde_json::from_str(&record.body).map_err(|err| {
        let kind = std::any::type_name::<T>();
        tracing::error!(kind, id = %record.id, %err, "stored record does not decode");
        Failure(ApiError::internal())
    })
}

/// Inside a write transaction: the entity to change, which must exist and match `If-Match`.
async fn load_for_write<E: Resource>(
    tx: &mut dyn Tx,
    id: &str,
    condition: &IfMatch,
) -> Result<Record, Failure> {
    let record = tx
        .get(Key::top(E::KIND, id))
        .await?
        .ok_or_else(|| ApiError::not_found(E::TYPE_NAME, id))?;
    check(
        Some(condition),
        Etag(record.revision),
        &format!("{} '{id}'", E::TYPE_NAME),
    )?;
    Ok(record)
}

fn encode<E: Entity>(entity: &E) -> Result<String, Failure> {
    serde_json::to_string(entity).map_err(|_| Failure(ApiError::internal()))
}

fn checked_id<E: Entity>(id: &str) -> Result<(), Failure> {
    Ok(ident::check_id(E::ID_PARAM, id, E::MAX_ID_LEN)?)
}

/// `GET {collection}`: filter, count, page.
pub async fn list<E: Resource>(
    State(state): State<AppState>,
    Version(version): Version,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    let filter = match &query.filter {
        Some(text) => Some(
            odata::parse(text, E::filter_fields(version)).map_err(|err| {
                let target = err.field.clone().unwrap_or_else(|| "$filter".to_owned());
                ApiError::invalid_field(&target, "InvalidFilter", format!("$filter: {err}"))
            })?,
        ),
        None => None,
    };
    let records = state.store().list(state.instance(), E::KIND, "").await?;
    let mut items = Vec::with_capacity(records.len());
    for record in &records {
        let entity: E = decode_record(record)?;
        let fields = EntityFields {
            entity: &entity,
            id: &record.id,
        };
        if filter.as_ref().is_none_or(|f| f.matches(&fields)) {
            items.push(entity.render(version, &record.id));
        }
    }
    let body = collection::page(items, &query, version, uri.path(), &headers);
    Ok(respond::json(StatusCode::OK, None, &body))
}

/// Adapts an entity to the `$filter` evaluator.
struct EntityFields<'a, E> {
    entity: &'a E,
    id: &'a str,
}

impl<E: Entity> odata::Fields for EntityFields<'_, E> {
    fn field(&self, name: &str) -> odata::FieldValue<'_> {
        self.entity.field(self.id, name)
    }
}

/// `GET` (and `HEAD`) `{collection}/{id}`.
pub async fn get<E: Resource>(
    State(state): State<AppState>,
    Version(version): Version,
    Path(id): Path<String>,
) -> Outcome {
    checked_id::<E>(&id)?;
    let record = state
        .store()
        .get(state.instance(), Key::top(E::KIND, &id))
        .await?
        .ok_or_else(|| ApiError::not_found(E::TYPE_NAME, &id))?;
    let entity: E = decode_record(&record)?;
    Ok(respond::json(
        StatusCode::OK,
        Some(Etag(record.revision)),
        &entity.render(version, &record.id),
    ))
}

/// `PUT {collection}/{id}`: create, or replace where the version allows it.
pub async fn put<E: Resource>(
    State(state): State<AppState>,
    Version(version): Version,
    Path(id): Path<String>,
    IfMatchHeader(condition): IfMatchHeader,
    JsonBody(body): JsonBody,
) -> Outcome {
    checked_id::<E>(&id)?;
    let entity = E::from_put(version, &body)?;
    let mut tx = state.store().begin(state.instance()).await?;
    let key = Key::top(E::KIND, &id);
    let current = tx.get(key).await?;
    let old: Option<E> = match &current {
        Some(record) => {
            if !version.put_upserts() {
                return Err(ApiError::new(
                    ErrorCode::IdentifierAlreadyInUse,
                    format!(
                        "{} '{id}' already exists; update it with PATCH.",
                        E::TYPE_NAME
                    ),
                )
                .into());
            }
            check(
                condition.as_ref(),
                Etag(record.revision),
                &format!("{} '{id}'", E::TYPE_NAME),
            )?;
            Some(decode_record(record)?)
        }
        None => None,
    };
    E::check_write(tx.as_mut(), &id, &entity, old.as_ref()).await?;
    tx.put(key, &encode(&entity)?).await?;
    let etag = Etag(tx.revision());
    tx.commit().await?;
    let stored_id = current.map_or(id, |r| r.id);
    let status = if old.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    if version.put_returns_entity() {
        Ok(respond::json(
            status,
            Some(etag),
            &entity.render(version, &stored_id),
        ))
    } else {
        let status = if old.is_some() {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::CREATED
        };
        Ok(respond::empty(status, Some(etag)))
    }
}

/// `PATCH {collection}/{id}`: change the given fields (If-Match required).
pub async fn patch<E: Resource>(
    State(state): State<AppState>,
    Version(version): Version,
    Path(id): Path<String>,
    RequiredIfMatch(condition): RequiredIfMatch,
    JsonBody(body): JsonBody,
) -> Outcome {
    checked_id::<E>(&id)?;
    let mut tx = state.store().begin(state.instance()).await?;
    let key = Key::top(E::KIND, &id);
    let record = load_for_write::<E>(tx.as_mut(), &id, &condition).await?;
    let old: E = decode_record(&record)?;
    let entity = old.clone().patched(version, &body)?;
    E::check_write(tx.as_mut(), &id, &entity, Some(&old)).await?;
    tx.put(key, &encode(&entity)?).await?;
    let etag = Etag(tx.revision());
    tx.commit().await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, Some(etag)))
}

/// `DELETE {collection}/{id}` (If-Match required).
pub async fn delete<E: Resource>(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RequiredIfMatch(condition): RequiredIfMatch,
) -> Outcome {
    checked_id::<E>(&id)?;
    let mut tx = state.store().begin(state.instance()).await?;
    let key = Key::top(E::KIND, &id);
    let record = load_for_write::<E>(tx.as_mut(), &id, &condition).await?;
    E::check_delete(tx.as_mut(), &id, &decode_record(&record)?).await?;
    tx.delete(key).await?;
    tx.commit().await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, None))
}
