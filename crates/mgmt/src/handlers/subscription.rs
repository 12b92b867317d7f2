//! Subscription rules that involve other entities: the user and product must exist (400 naming
//! the field); keys are generated when not given (32 lowercase hex characters) and unique across
//! all subscriptions (409 `KeyAlreadyInUse`); a product's `subscriptionsLimit` holds per user
//! (409 `LimitReached`); a new subscription to a product that needs approval waits in
//! `submitted` unless its state is given. Also the key regeneration calls, the lists of a
//! product's and a user's subscriptions, and the `deleteSubscriptions` rule of products and users.

use crate::collection;
use crate::error::{Failure, Outcome};
use crate::extract::{ListQuery, Version};
use crate::resource::{Place, Resource, decode_record};
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use rand::RngCore;
use tollgate_contract::entity::product::Product;
use tollgate_contract::entity::subscription::{Subscription, is_live, transition_allowed};
use tollgate_contract::entity::user::User;
use tollgate_contract::entity::{Entity, wire_id};
use tollgate_contract::{ApiError, ErrorCode, Etag, ident, odata};
use tollgate_store::{Key, Tx};

/// A new subscription key: 16 random bytes as 32 lowercase hex characters.
pub fn new_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        let mut same_product = 0i64;
        for record in tx.list(Self::KIND, "").await? {
            if record.id.to_lowercase() == id.to_lowercase() {
                continue;
            }
            let other: Subscription = decode_record(&record)?;
            for (field, key) in [
                ("primaryKey", &entity.primary_key),
                ("secondaryKey", &entity.secondary_key),
            ] {
                if *key == other.primary_key || *key == other.secondary_key {
                    let message = format!("{field} is already a key of another subscription");
                    return Err(ApiError::new(ErrorCode::KeyAlreadyInUse, message).into());
                }
            }
            let counts = other.user_id.eq_ignore_ascii_case(&entity.user_id)
                && other.product_id.eq_ignore_ascii_case(&entity.product_id);
            if counts && is_live(&other.state) {
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
        Ok(())
    }
}

/// Subscriptions that belong to a user or a product.
async fn subscriptions_where(
    tx: &mut dyn Tx,
    matches: impl Fn(&Subscription) -> bool,
) -> Result<Vec<String>, Failure> {
    let mut ids = Vec::new();
    for record in tx.list(Subscription::KIND, "").await? {
        if matches(&decode_record(&record)?) {
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
    what: &str,
    matches: impl Fn(&Subscription) -> bool,
) -> Result<(), Failure> {
    let ids = subscriptions_where(tx, matches).await?;
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
        tx.delete(Key::top(Subscription::KIND, &id)).await?;
    }
    Ok(())
}

async fn regenerate(state: AppState, id: String, primary: bool) -> Outcome {
    ident::check_id(Subscription::ID_PARAM, &id, Subscription::MAX_ID_LEN)?;
    let mut tx = state.store().begin(state.instance()).await?;
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
    *key = new_key();
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

/// The subscriptions of a product or a user (whichever the path names), filtered and paged.
async fn list_of(
    state: &AppState,
    version: tollgate_contract::ApiVersion,
    query: &ListQuery,
    matches: impl Fn(&Subscription) -> bool,
) -> Result<Vec<serde_json::Value>, Failure> {
    let filter = query.parsed_filter(Subscription::filter_fields(version))?;
    let mut items = Vec::new();
    for record in state
        .store()
        .list(state.instance(), Subscription::KIND, "")
        .await?
    {
        let subscription: Subscription = decode_record(&record)?;
        let fields = Fields {
            subscription: &subscription,
            id: &record.id,
        };
        if matches(&subscription) && filter.as_ref().is_none_or(|f| f.matches(&fields)) {
            items.push(subscription.render(version, &wire_id::<Subscription>("", &record.id)));
        }
    }
    Ok(items)
}

struct Fields<'a> {
    subscription: &'a Subscription,
    id: &'a str,
}

impl odata::Fields for Fields<'_> {
    fn field(&self, name: &str) -> odata::FieldValue<'_> {
        self.subscription.field(self.id, name)
    }
}

/// `GET /products/{productId}/subscriptions` and `GET /users/{uid}/subscriptions`.
pub async fn list_owned(
    State(state): State<AppState>,
    Version(version): Version,
    Path(owner_id): Path<String>,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    let by_product = uri.path().starts_with("/products/");
    let (kind, type_name) = if by_product {
        (Product::KIND, Product::TYPE_NAME)
    } else {
        (User::KIND, User::TYPE_NAME)
    };
    ident::check_id("id", &owner_id, 256)?;
    let owner = state
        .store()
        .get(state.instance(), Key::top(kind, &owner_id))
        .await?
        .ok_or_else(|| ApiError::not_found(type_name, &owner_id))?;
    let items = list_of(&state, version, &query, |s| {
        let id = if by_product {
            &s.product_id
        } else {
            &s.user_id
        };
        id.eq_ignore_ascii_case(&owner.id)
    })
    .await?;
    Ok(respond::json(
        StatusCode::OK,
        None,
        &collection::page(items, &query, version, uri.path(), &headers),
    ))
}
