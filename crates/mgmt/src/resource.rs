//! The five operations every entity collection has (list, get/head, put, patch, delete),
//! written once over [`Resource`], for top-level entities (`/properties/{propId}`) and for
//! entities under a parent (`/apis/{apiId}/operations/{operationId}`), whose parent must exist.
//! Entity-specific rules that need the store hook in through [`Resource::check_write`] and
//! [`Resource::before_delete`], inside the write transaction.

use crate::collection;
use crate::error::{Failure, Outcome};
use crate::extract::if_match::{check, if_match_required};
use crate::extract::{IfMatchHeader, JsonBody, ListQuery, RequiredIfMatch, Version};
use crate::respond;
use crate::state::AppState;
use crate::views::Listed;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use std::future::Future;
use tollgate_contract::entity::{Entity, wire_id};
use tollgate_contract::odata;
use tollgate_contract::{ApiError, ApiVersion, ErrorCode, Etag, IfMatch, ident};
use tollgate_store::{Key, Record, Store, StoreError, Tx};

/// Where an entity lives: under nothing, or under a parent entity that exists.
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// The store's parent key (`apis/echo`), or `""`.
    pub parent_key: String,
    /// The parent's relative URL (`/apis/echo`), or `""`.
    pub parent_wire: String,
}

impl Place {
    /// The store key of the entity `id` of kind `kind` here.
    pub fn key<'a>(&'a self, kind: &'a str, id: &'a str) -> Key<'a> {
        Key {
            kind,
            parent: &self.parent_key,
            id,
        }
    }
}

/// An entity served by the generic handlers, with its cross-entity rules.
pub trait Resource: Entity {
    /// Whether `PATCH` needs `If-Match` (every entity but email templates, whose contract
    /// declares none).
    const PATCH_NEEDS_IF_MATCH: bool = true;

    /// Whether replacing an existing entity with `PUT` needs `If-Match` (the contract says so
    /// for APIs: "for update, the ETag should match the existing entity or be `*`").
    const PUT_REPLACE_NEEDS_IF_MATCH: bool = false;

    /// The id a `PUT` to `id` in `version` stores the entity under: `id` itself, unless ids are
    /// names from a fixed set that the contract spells its own way (identity providers).
    fn stored_id(_version: ApiVersion, id: &str) -> Result<String, Failure> {
        Ok(id.to_owned())
    }

    /// Whether `PUT` adds or replaces in every api-version, not only from 2016-10-10 (the
    /// legacy contract says so for certificates: "add or update").
    const PUT_ADDS_OR_UPDATES: bool = false;

    /// Completes an entity built from a `PUT` body with what needs the server's state (e.g.
    /// opening and sealing an uploaded certificate). Runs before the write transaction begins,
    /// so slow work holds no lock.
    fn admit(
        _state: &AppState,
        entity: Self,
    ) -> impl Future<Output = Result<Self, Failure>> + Send {
        async { Ok(entity) }
    }

    /// Rules checked before `entity` is written (created when `old` is `None`).
    fn check_write(
        _tx: &mut dyn Tx,
        _place: &Place,
        _id: &str,
        _entity: &mut Self,
        _old: Option<&Self>,
    ) -> impl Future<Output = Result<(), Failure>> + Send {
        async { Ok(()) }
    }

    /// Refuses any change to an existing entity that may not be changed at all (built-in
    /// entities), before the request's fields are even looked at.
    fn refuse_change(_id: &str, _current: &Self) -> Result<(), Failure> {
        Ok(())
    }

    /// Completes an entity about to be written (`old`: the one it replaces), e.g. hashing a
    /// password given in the request.
    fn prepare(&mut self, _old: Option<&Self>) {}

    /// Adds what a response shows beyond the entity itself (e.g. `expandGroups`).
    fn decorate(
        _state: &AppState,
        _version: ApiVersion,
        _query: &ListQuery,
        _id: &str,
        _item: &mut serde_json::Value,
    ) -> impl Future<Output = Result<(), Failure>> + Send {
        async { Ok(()) }
    }

    /// What `DELETE` leaves in place of the entity `id`: nothing, unless the entity always
    /// exists and deleting it restores a default (email templates).
    fn left_after_delete(_id: &str) -> Option<Self> {
        None
    }

    /// Rules checked, and dependents removed, before `entity` is deleted.
    fn before_delete(
        _tx: &mut dyn Tx,
        _place: &Place,
        _id: &str,
        _entity: &Self,
        _query: &ListQuery,
    ) -> impl Future<Output = Result<(), Failure>> + Send {
        async { Ok(()) }
    }
}

/// The 400 for replacing an existing entity without `If-Match` where that is required.
pub fn if_match_to_replace(type_name: &str, id: &str) -> ApiError {
    let message =
        format!("{type_name} '{id}' exists: replacing it needs If-Match (its ETag, or *)");
    ApiError::invalid_field("If-Match", "Required", message)
}

/// The stored record of the top-level entity `id` (400 for a malformed id, 404 when missing).
pub async fn existing<E: Entity>(state: &AppState, id: &str) -> Result<Record, Failure> {
    ident::check_id(E::ID_PARAM, id, E::MAX_ID_LEN)?;
    Ok(state
        .store()
        .get(state.instance(), Key::top(E::KIND, id))
        .await?
        .ok_or_else(|| ApiError::not_found(E::TYPE_NAME, id))?)
}

/// Decodes a stored record; a record that no longer decodes is an internal error.
pub fn decode_record<T: DeserializeOwned>(record: &Record) -> Result<T, Failure> {
    serde_json::from_str(&record.body).map_err(|err| {
        let kind = std::any::type_name::<T>();
        tracing::error!(kind, id = %record.id, %err, "stored record does not decode");
        Failure(ApiError::internal())
    })
}

fn encode<E: Entity>(entity: &E) -> Result<String, Failure> {
    serde_json::to_string(entity).map_err(|_| Failure(ApiError::internal()))
}

/// Reads through either the store or a write transaction.
pub enum Reader<'a> {
    /// The store, for an instance.
    Store(&'a dyn Store, &'a str),
    /// A write transaction.
    Tx(&'a mut dyn Tx),
}

impl Reader<'_> {
    /// Reads one entity.
    pub async fn get(&mut self, key: Key<'_>) -> Result<Option<Record>, StoreError> {
        match self {
            Reader::Store(store, instance) => store.get(instance, key).await,
            Reader::Tx(tx) => tx.get(key).await,
        }
    }
}

/// The path's identifiers: the parent's (when the entity has a parent), then the entity's own.
fn split<E: Entity>(params: &[(String, String)]) -> (Option<&str>, Option<&str>) {
    let mut values = params.iter().map(|(_, v)| v.as_str());
    let parent = E::PARENT.and_then(|_| values.next());
    (parent, values.next())
}

/// Resolves and checks the parent named by the path (404 when it does not exist).
async fn place<E: Entity>(
    reader: &mut Reader<'_>,
    parent_id: Option<&str>,
) -> Result<Place, Failure> {
    let (Some(parent), Some(parent_id)) = (E::PARENT, parent_id) else {
        return Ok(Place::default());
    };
    ident::check_id(parent.id_param, parent_id, 256)?;
    let record = reader
        .get(Key::top(parent.kind, parent_id))
        .await?
        .ok_or_else(|| ApiError::not_found(parent.type_name, parent_id))?;
    Ok(Place {
        parent_key: format!(
            "{}/{}",
            parent.collection.trim_start_matches('/'),
            record.id
        ),
        parent_wire: format!("{}/{}", parent.collection, record.id),
    })
}

/// 404 when the entity does not exist in this api-version.
fn available<E: Entity>(version: ApiVersion) -> Result<(), Failure> {
    if version < E::SINCE {
        let message = format!(
            "{} is available from api-version {} (this call uses {version}).",
            E::COLLECTION,
            E::SINCE
        );
        return Err(ApiError::new(ErrorCode::ResourceNotFound, message).into());
    }
    Ok(())
}

/// The entity's own id from the path, checked.
fn entity_id<E: Entity>(id: Option<&str>) -> Result<&str, Failure> {
    let id = id.ok_or_else(|| Failure(ApiError::internal()))?;
    ident::check_id(E::ID_PARAM, id, E::MAX_ID_LEN)?;
    Ok(id)
}

/// Inside a write transaction: the entity to change, which must exist and match `If-Match`.
async fn load_for_write<E: Resource>(
    tx: &mut dyn Tx,
    place: &Place,
    id: &str,
    condition: Option<&IfMatch>,
) -> Result<Record, Failure> {
    let record = tx
        .get(place.key(E::KIND, id))
        .await?
        .ok_or_else(|| ApiError::not_found(E::TYPE_NAME, id))?;
    check(
        condition,
        Etag(record.revision),
        &format!("{} '{id}'", E::TYPE_NAME),
    )?;
    Ok(record)
}

/// Adapts an entity to the `$filter` evaluator.
pub struct EntityFields<'a, E> {
    /// The entity.
    pub entity: &'a E,
    /// Its id.
    pub id: &'a str,
}

impl<E: Entity> odata::Fields for EntityFields<'_, E> {
    fn field(&self, name: &str) -> odata::FieldValue<'_> {
        self.entity.field(self.id, name)
    }
}

/// `GET {collection}`: filter, count, page.
pub async fn list<E: Resource>(
    State(state): State<AppState>,
    Version(version): Version,
    Path(params): Path<Vec<(String, String)>>,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    available::<E>(version)?;
    let filter = query.parsed_filter(E::filter_fields(version))?;
    let (parent_id, _) = split::<E>(&params);
    let place = place::<E>(
        &mut Reader::Store(state.store(), state.instance()),
        parent_id,
    )
    .await?;
    let view = state
        .views()
        .read::<E>(state.store(), state.instance(), E::KIND, &place.parent_key)
        .await?;
    let matched: Vec<&Listed<E>> = view
        .iter()
        .filter(|listed| {
            let fields = EntityFields {
                entity: &listed.entity,
                id: &listed.id,
            };
            filter.as_ref().is_none_or(|f| f.matches(&fields))
        })
        .collect();
    let mut value = Vec::new();
    for listed in &matched[collection::window(matched.len(), &query)] {
        let mut item = listed
            .entity
            .render_in_list(version, &wire_id::<E>(&place.parent_wire, &listed.id));
        E::decorate(&state, version, &query, &listed.id, &mut item).await?;
        value.push(item);
    }
    let body = collection::envelope(value, matched.len(), &query, version, uri.path(), &headers);
    Ok(respond::json(StatusCode::OK, None, &body))
}

/// `GET` (and `HEAD`) `{collection}/{id}`.
pub async fn get<E: Resource>(
    State(state): State<AppState>,
    Version(version): Version,
    Path(params): Path<Vec<(String, String)>>,
) -> Outcome {
    available::<E>(version)?;
    let (parent_id, id) = split::<E>(&params);
    let id = entity_id::<E>(id)?;
    let place = place::<E>(
        &mut Reader::Store(state.store(), state.instance()),
        parent_id,
    )
    .await?;
    let record = state
        .store()
        .get(state.instance(), place.key(E::KIND, id))
        .await?
        .ok_or_else(|| ApiError::not_found(E::TYPE_NAME, id))?;
    let entity: E = decode_record(&record)?;
    let wire = wire_id::<E>(&place.parent_wire, &record.id);
    let mut body = entity.render(version, &wire);
    E::decorate(
        &state,
        version,
        &ListQuery::default(),
        &record.id,
        &mut body,
    )
    .await?;
    Ok(respond::json(
        StatusCode::OK,
        Some(Etag(record.revision)),
        &body,
    ))
}

/// `PUT {collection}/{id}`: create, or replace where the version allows it.
pub async fn put<E: Resource>(
    State(state): State<AppState>,
    Version(version): Version,
    Path(params): Path<Vec<(String, String)>>,
    IfMatchHeader(condition): IfMatchHeader,
    JsonBody(body): JsonBody,
) -> Outcome {
    available::<E>(version)?;
    let (parent_id, id) = split::<E>(&params);
    let id = &E::stored_id(version, entity_id::<E>(id)?)?;
    let entity = E::admit(&state, E::from_put(version, &body)?).await?;
    let mut tx = state.begin().await?;
    let place = place::<E>(&mut Reader::Tx(tx.as_mut()), parent_id).await?;
    let key = place.key(E::KIND, id);
    let current = tx.get(key).await?;
    let old: Option<E> = match &current {
        Some(record) => {
            if !version.put_upserts() && !E::PUT_ADDS_OR_UPDATES {
                let message = format!(
                    "{} '{id}' already exists; update it with PATCH.",
                    E::TYPE_NAME
                );
                return Err(ApiError::new(ErrorCode::IdentifierAlreadyInUse, message).into());
            }
            if E::PUT_REPLACE_NEEDS_IF_MATCH && condition.is_none() {
                return Err(if_match_to_replace(E::TYPE_NAME, id).into());
            }
            check(
                condition.as_ref(),
                Etag(record.revision),
                &format!("{} '{id}'", E::TYPE_NAME),
            )?;
            let old: E = decode_record(record)?;
            E::refuse_change(id, &old)?;
            Some(old)
        }
        None => None,
    };
    let mut entity = entity;
    entity.prepare(old.as_ref());
    E::check_write(tx.as_mut(), &place, id, &mut entity, old.as_ref()).await?;
    tx.put(key, &encode(&entity)?).await?;
    let etag = Etag(tx.revision());
    tx.commit().await?;
    let created = old.is_none();
    if version.put_returns_entity() {
        let stored_id = current.map_or_else(|| id.to_owned(), |r| r.id);
        let wire = wire_id::<E>(&place.parent_wire, &stored_id);
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let mut body = entity.render(version, &wire);
        E::decorate(
            &state,
            version,
            &ListQuery::default(),
            &stored_id,
            &mut body,
        )
        .await?;
        Ok(respond::json(status, Some(etag), &body))
    } else {
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::NO_CONTENT
        };
        Ok(respond::empty(status, Some(etag)))
    }
}

/// `PATCH {collection}/{id}`: change the given fields (If-Match required).
pub async fn patch<E: Resource>(
    State(state): State<AppState>,
    Version(version): Version,
    Path(params): Path<Vec<(String, String)>>,
    IfMatchHeader(condition): IfMatchHeader,
    JsonBody(body): JsonBody,
) -> Outcome {
    available::<E>(version)?;
    if condition.is_none() && E::PATCH_NEEDS_IF_MATCH {
        return Err(if_match_required().into());
    }
    let (parent_id, id) = split::<E>(&params);
    let id = entity_id::<E>(id)?;
    let mut tx = state.begin().await?;
    let place = place::<E>(&mut Reader::Tx(tx.as_mut()), parent_id).await?;
    let record = load_for_write::<E>(tx.as_mut(), &place, id, condition.as_ref()).await?;
    let old: E = decode_record(&record)?;
    E::refuse_change(id, &old)?;
    let mut entity = old.clone().patched(version, &body)?;
    entity.prepare(Some(&old));
    E::check_write(tx.as_mut(), &place, id, &mut entity, Some(&old)).await?;
    tx.put(place.key(E::KIND, id), &encode(&entity)?).await?;
    let etag = Etag(tx.revision());
    tx.commit().await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, Some(etag)))
}

/// `DELETE {collection}/{id}` (If-Match required).
pub async fn delete<E: Resource>(
    State(state): State<AppState>,
    Version(version): Version,
    Path(params): Path<Vec<(String, String)>>,
    query: ListQuery,
    RequiredIfMatch(condition): RequiredIfMatch,
) -> Outcome {
    available::<E>(version)?;
    let (parent_id, id) = split::<E>(&params);
    let id = entity_id::<E>(id)?;
    let mut tx = state.begin().await?;
    let place = place::<E>(&mut Reader::Tx(tx.as_mut()), parent_id).await?;
    let record = load_for_write::<E>(tx.as_mut(), &place, id, Some(&condition)).await?;
    let current: E = decode_record(&record)?;
    E::refuse_change(id, &current)?;
    E::before_delete(tx.as_mut(), &place, id, &current, &query).await?;
    match E::left_after_delete(id) {
        None => {
            tx.delete(place.key(E::KIND, id)).await?;
        }
        Some(default) => tx.put(place.key(E::KIND, id), &encode(&default)?).await?,
    }
    tx.commit().await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, None))
}
