//! Subscription rules that involve other entities: the user and product must exist (400 naming
//! the field); keys are generated when not given (32 lowercase hex characters) and unique across
//! all subscriptions (409 `KeyAlreadyInUse`); a product's `subscriptionsLimit` holds per user
//! (409 `LimitReached`); a new subscription to a product that needs approval waits in
//! `submitted` unless its state is given. Also the key regeneration calls, the lists of a
//! product's and a user's subscriptions, and the `deleteSubscriptions` rule of products and users.
//!
//! Two indexes, written in the transaction of every subscription write, keep the checks from
//! reading every subscription: key → subscription and user → subscriptions ([`KEY_INDEX`],
//! [`USER_INDEX`]).

use crate::bootstrap::{feature_built, mark_built, random_hex};
use crate::collection;
use crate::error::{Failure, Outcome};
use crate::extract::{ListQuery, Version};
use crate::resource::{EntityFields, Place, Resource, decode_record, existing};
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use tollgate_contract::entity::product::Product;
use tollgate_contract::entity::subscription::{Subscription, is_live, transition_allowed};
use tollgate_contract::entity::user::User;
use tollgate_contract::entity::{Entity, wire_id};
use tollgate_contract::{ApiError, ErrorCode, Etag, ident};
use tollgate_store::{Key, StoreError, Tx};

/// A new subscription key: 16 random bytes as 32 lowercase hex characters.
pub fn new_key() -> String {
    random_hex(16)
}

impl Resource for Subscription {
    fn prepare(&mut self, old: Option<&Self>) {
        if let Some(old) = old {
            self.created_date = old.created_date.clone();
            if self.primary_key.is_empty() {
                self.primary_key = old.primary_key.clone();
            }
            if self.secondary_key.is_empty() {
                self.secondary_key = old.secondary_key.clone();
            }
        }
        for key in [&mut self.primary_key, &mut self.secondary_key] {
            if key.is_empty() {
                *key = new_key();
            }
        }
    }

    async fn check_write(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &mut Self,
        old: Option<&Self>,
    ) -> Result<(), Failure> {
        if tx
            .get(Key::top(User::KIND, &entity.user_id))
            .await?
            .is_none()
        {
            return Err(ApiError::invalid_field(
                "userId",
                "NotFound",
                format!("user '{}' does not exist", entity.user_id),
            )
            .into());
        }
        let Some(product) = tx.get(Key::top(Product::KIND, &entity.product_id)).await? else {
            return Err(ApiError::invalid_field(
                "productId",
                "NotFound",
                format!("product '{}' does not exist", entity.product_id),
            )
            .into());
        };
        let product: Product = decode_record(&product)?;
        match old {
            None if !entity.state_given && product.approval_required => {
                entity.state = "submitted".to_owned()
            }
            Some(old) if !transition_allowed(&old.state, &entity.state) => {
                let message = format!(
                    "a subscription cannot go from {} to {}",
                    old.state, entity.state
                );
                return Err(ApiError::invalid_field("state", "Transition", message).into());
            }
            _ => {}
        }
        for (field, key) in [
            ("primaryKey", &entity.primary_key),
            ("secondaryKey", &entity.secondary_key),
        ] {
            let owner = tx.get(Key::top(KEY_INDEX, key)).await?;
            if owner.is_some_and(|o| !o.body.eq_ignore_ascii_case(id)) {
                let message = format!("{field} is already a key of another subscription");
                return Err(ApiError::new(ErrorCode::KeyAlreadyInUse, message).into());
            }
        }
        let mut same_product = 0i64;
        let user_parent = format!("users/{}", entity.user_id);
        for entry in tx.list(USER_INDEX, &user_parent).await? {
            if entry.id.eq_ignore_ascii_case(id) {
                continue;
            }
            let Some(record) = tx.get(Key::top(Self::KIND, &entry.id)).await? else {
                continue;
            };
            let other: Subscription = decode_record(&record)?;
            if other.product_id.eq_ignore_ascii_case(&entity.product_id) && is_live(&other.state) {
                same_product += 1;
            }
        }
        let was_counted = old.is_some_and(|o| {
            is_live(&o.state) && o.user_id == entity.user_id && o.product_id == entity.product_id
        });
        let live = is_live(&entity.state) && !was_counted;
        if let Some(limit) = product
            .subscriptions_limit
            .filter(|limit| live && same_product >= *limit)
        {
            let message = format!(
                "product '{}' allows {limit} subscription(s) per user (subscriptionsLimit), and user '{}' has {same_product}",
                entity.product_id, entity.user_id
            );
            return Err(ApiError::new(ErrorCode::LimitReached, message).into());
        }
        if let Some(old) = old {
            unindex(tx, id, old).await?;
        }
        Ok(index(tx, id, entity).await?)
    }

    async fn before_delete(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &Self,
        _query: &ListQuery,
    ) -> Result<(), Failure> {
        Ok(unindex(tx, id, entity).await?)
    }
}

/// Store kind of the key index: one record per key (id: the key, body: the subscription id), so
/// that a key's owner is one read away. Keys are therefore unique ignoring case.
const KEY_INDEX: &str = "subscriptionKey";
/// Store kind of the user index: one record per subscription under `users/{uid}` (id: the
/// subscription id).
const USER_INDEX: &str = "userSubscription";

/// Records a subscription in the indexes, in the caller's transaction.
async fn index(tx: &mut dyn Tx, id: &str, subscription: &Subscription) -> Result<(), StoreError> {
    for key in [&subscription.primary_key, &subscription.secondary_key] {
        tx.put(Key::top(KEY_INDEX, key), id).await?;
    }
    let parent = format!("users/{}", subscription.user_id);
    tx.put(
        Key {
            kind: USER_INDEX,
            parent: &parent,
            id,
        },
        "{}",
    )
    .await?;
    Ok(())
}

/// Removes a subscription from the indexes, in the caller's transaction.
async fn unindex(tx: &mut dyn Tx, id: &str, subscription: &Subscription) -> Result<(), StoreError> {
    for key in [&subscription.primary_key, &subscription.secondary_key] {
        tx.delete(Key::top(KEY_INDEX, key)).await?;
    }
    let parent = format!("users/{}", subscription.user_id);
    tx.delete(Key {
        kind: USER_INDEX,
        parent: &parent,
        id,
    })
    .await?;
    Ok(())
}

/// Builds the indexes of a store written before they existed (once).
pub async fn ensure_indexes(tx: &mut dyn Tx) -> Result<(), StoreError> {
    if feature_built(tx, "subscriptionIndexes").await? {
        return Ok(());
    }
    for record in tx.list(Subscription::KIND, "").await? {
        let subscription: Subscription = serde_json::from_str(&record.body)
            .map_err(|e| StoreError::Database(format!("subscription {}: {e}", record.id)))?;
        index(tx, &record.id, &subscription).await?;
    }
    mark_built(tx, "subscriptionIndexes").await
}

/// Whose subscriptions [`delete_subscriptions_of`] deletes.
pub enum SubscriptionOwner<'a> {
    /// The user with this id.
    User(&'a str),
    /// The product with this id.
    Product(&'a str),
}

/// The ids of the owner's subscriptions: a user's from the user index, a product's by reading
/// every subscription (deleting a product is rare; creating subscriptions is not).
async fn subscriptions_of(
    tx: &mut dyn Tx,
    owner: &SubscriptionOwner<'_>,
) -> Result<Vec<String>, Failure> {
    let product_id = match owner {
        SubscriptionOwner::User(uid) => {
            let entries = tx.list(USER_INDEX, &format!("users/{uid}")).await?;
            return Ok(entries.into_iter().map(|entry| entry.id).collect());
        }
        SubscriptionOwner::Product(pid) => pid,
    };
    let mut ids = Vec::new();
    for record in tx.list(Subscription::KIND, "").await? {
        let subscription: Subscription = decode_record(&record)?;
        if subscription.product_id.eq_ignore_ascii_case(product_id) {
            ids.push(record.id);
        }
    }
    Ok(ids)
}

/// The `deleteSubscriptions` rule: a user or product with subscriptions is deleted only with
/// `deleteSubscriptions=true` (400 otherwise), which deletes them in the same transaction.
pub async fn delete_subscriptions_of(
    tx: &mut dyn Tx,
    query: &ListQuery,
    owner: SubscriptionOwner<'_>,
) -> Result<(), Failure> {
    let ids = subscriptions_of(tx, &owner).await?;
    let what = match owner {
        SubscriptionOwner::User(uid) => format!("User '{uid}'"),
        SubscriptionOwner::Product(pid) => format!("Product '{pid}'"),
    };
    if ids.is_empty() {
        return Ok(());
    }
    if !query
        .other("deleteSubscriptions")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        let message = format!(
            "{what} has {} subscription(s); delete with deleteSubscriptions=true to delete them too",
            ids.len()
        );
        return Err(ApiError::invalid_field("deleteSubscriptions", "Required", message).into());
    }
    for id in ids {
        if let Some(record) = tx.get(Key::top(Subscription::KIND, &id)).await? {
            let subscription: Subscription = decode_record(&record)?;
            unindex(tx, &id, &subscription).await?;
        }
        tx.delete(Key::top(Subscription::KIND, &id)).await?;
    }
    Ok(())
}

async fn regenerate(state: AppState, id: String, primary: bool) -> Outcome {
    ident::check_id(Subscription::ID_PARAM, &id, Subscription::MAX_ID_LEN)?;
    let mut tx = state.begin().await?;
    let record = tx
        .get(Key::top(Subscription::KIND, &id))
        .await?
        .ok_or_else(|| ApiError::not_found(Subscription::TYPE_NAME, &id))?;
    let mut subscription: Subscription = decode_record(&record)?;
    if let Some(refusal) = subscription.regenerate_refused(&record.id) {
        return Err(refusal.into());
    }
    let key = if primary {
        &mut subscription.primary_key
    } else {
        &mut subscription.secondary_key
    };
    tx.delete(Key::top(KEY_INDEX, key)).await?;
    *key = new_key();
    tx.put(Key::top(KEY_INDEX, key), &id).await?;
    let body = serde_json::to_string(&subscription).map_err(|_| Failure(ApiError::internal()))?;
    tx.put(Key::top(Subscription::KIND, &id), &body).await?;
    let etag = Etag(tx.revision());
    tx.commit().await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, Some(etag)))
}

/// `POST /subscriptions/{sid}/regeneratePrimaryKey`.
pub async fn regenerate_primary_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Outcome {
    regenerate(state, id, true).await
}

/// `POST /subscriptions/{sid}/regenerateSecondaryKey`.
pub async fn regenerate_secondary_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Outcome {
    regenerate(state, id, false).await
}

/// `GET /products/{productId}/subscriptions` and `GET /users/{uid}/subscriptions`: the
/// subscriptions whose `productId` (or `userId`) is the owner, filtered and paged.
pub async fn list_owned(
    State(state): State<AppState>,
    Version(version): Version,
    Path(owner_id): Path<String>,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    let by_product = uri.path().starts_with("/products/");
    let owner = if by_product {
        existing::<Product>(&state, &owner_id).await?
    } else {
        existing::<User>(&state, &owner_id).await?
    };
    let filter = query.parsed_filter(Subscription::filter_fields(version))?;
    let view = state
        .views()
        .read::<Subscription>(state.store(), state.instance(), Subscription::KIND, "")
        .await?;
    let matched: Vec<_> = view
        .iter()
        .filter(|listed| {
            let s = &listed.entity;
            let owned_by = if by_product {
                &s.product_id
            } else {
                &s.user_id
            };
            let fields = EntityFields {
                entity: s,
                id: &listed.id,
            };
            owned_by.eq_ignore_ascii_case(&owner.id)
                && filter.as_ref().is_none_or(|f| f.matches(&fields))
        })
        .collect();
    let value = matched[collection::window(matched.len(), &query)]
        .iter()
        .map(|listed| {
            let id = wire_id::<Subscription>("", &listed.id);
            listed.entity.render(version, &id)
        })
        .collect();
    Ok(respond::json(
        StatusCode::OK,
        None,
        &collection::envelope(value, matched.len(), &query, version, uri.path(), &headers),
    ))
}
