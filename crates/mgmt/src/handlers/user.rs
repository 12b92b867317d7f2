//! User rules: the administrator (`/users/1`) is built in; emails are unique (an index keeps them
//! so); passwords are
//! stored only as Argon2id hashes; new users join Developers; deleting a user removes their group
//! memberships. Group membership is a link (`/groups/{groupId}/users/{userId}`); the built-in
//! groups' membership is managed by the system (405).

use crate::bootstrap::{feature_built, mark_built};
use crate::collection;
use crate::error::{Failure, Outcome};
use crate::extract::{ListQuery, Version};
use crate::handlers::links::{Member, Owner, link, owners_of, unlink_everywhere};
use crate::handlers::subscription::{SubscriptionOwner, delete_subscriptions_of};
use crate::resource::{Place, Resource, decode_record, existing};
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tollgate_contract::entity::group::Group;
use tollgate_contract::entity::user::User;
use tollgate_contract::entity::{Entity, wire_id};
use tollgate_contract::{ApiError, ApiVersion, ErrorCode};
use tollgate_store::{Key, StoreError, Tx};

impl Owner for Group {}

/// The index of users by email (case-insensitive): id = the email, body = the user's id. It is
/// kept in each write's transaction, so that uniqueness is checked without reading every user.
const EMAIL_INDEX: &str = "userEmail";

fn email_key(email: &str) -> Key<'_> {
    Key::top(EMAIL_INDEX, email)
}

/// The user with this email (case-insensitive), with its id.
pub async fn user_by_email(
    state: &AppState,
    email: &str,
) -> Result<Option<(String, User)>, Failure> {
    let store = state.store();
    let Some(index) = store.get(state.instance(), email_key(email)).await? else {
        return Ok(None);
    };
    let Some(record) = store
        .get(state.instance(), Key::top(User::KIND, &index.body))
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((record.id.clone(), decode_record(&record)?)))
}

/// Builds the email index of a store written before it existed (once).
pub async fn ensure_email_index(tx: &mut dyn Tx) -> Result<(), StoreError> {
    if feature_built(tx, "userEmailIndex").await? {
        return Ok(());
    }
    for record in tx.list(User::KIND, "").await? {
        let user: User = serde_json::from_str(&record.body)
            .map_err(|e| StoreError::Database(format!("user {}: {e}", record.id)))?;
        tx.put(email_key(&user.email), &record.id).await?;
    }
    mark_built(tx, "userEmailIndex").await
}

impl Member<Group> for User {
    const LINK_KIND: &'static str = "groupUser";

    fn check_change(owner: &Group, owner_id: &str) -> Result<(), Failure> {
        if owner.built_in {
            let message =
                format!("Group '{owner_id}' is built in: its membership is managed by the system.");
            return Err(ApiError::new(ErrorCode::BuiltInEntity, message).into());
        }
        Ok(())
    }
}

fn administrator(id: &str) -> Failure {
    ApiError::new(
        ErrorCode::BuiltInEntity,
        format!("User '{id}' is the built-in administrator and cannot be changed or deleted."),
    )
    .into()
}

impl Resource for User {
    fn refuse_change(id: &str, current: &Self) -> Result<(), Failure> {
        if current.built_in {
            Err(administrator(id))
        } else {
            Ok(())
        }
    }

    fn prepare(&mut self, old: Option<&Self>) {
        if let Some(old) = old {
            // A replacement keeps what the body cannot set.
            self.registration_date = old.registration_date.clone();
            self.password_hash = old.password_hash.clone();
        }
        // A user created without a password has none: no password sign-in is possible, as with
        // the contract's unguessable generated one, without spending a hash on it.
        if let Some(password) = self.new_password.take() {
            self.password_hash = Some(tollgate_auth::password::hash_password(&password));
        }
    }

    async fn check_write(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &mut Self,
        old: Option<&Self>,
    ) -> Result<(), Failure> {
        let owner = tx.get(email_key(&entity.email)).await?;
        if let Some(owner) = owner.filter(|o| !o.body.eq_ignore_ascii_case(id)) {
            let message = format!(
                "User '{}' already has the email {}; emails are unique.",
                owner.body, entity.email
            );
            return Err(ApiError::new(ErrorCode::NameAlreadyInUse, message).into());
        }
        if let Some(old) = old.filter(|o| !o.email.eq_ignore_ascii_case(&entity.email)) {
            tx.delete(email_key(&old.email)).await?;
        }
        tx.put(email_key(&entity.email), id).await?;
        if old.is_none() {
            link::<Group, User>(tx, "developers", id).await?;
        }
        Ok(())
    }

    async fn before_delete(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &Self,
        query: &ListQuery,
    ) -> Result<(), Failure> {
        delete_subscriptions_of(tx, query, SubscriptionOwner::User(id)).await?;
        tx.delete(email_key(&entity.email)).await?;
        unlink_everywhere::<Group, User>(tx, id).await
    }

    async fn decorate(
        state: &AppState,
        version: ApiVersion,
        query: &ListQuery,
        id: &str,
        item: &mut Value,
    ) -> Result<(), Failure> {
        let expand = query
            .other("expandGroups")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if version >= ApiVersion::V2017_03_01 || expand {
            item["groups"] = groups_json(state, version, id).await?;
        }
        Ok(())
    }
}

async fn groups_json(
    state: &AppState,
    version: ApiVersion,
    user_id: &str,
) -> Result<Value, Failure> {
    let mut groups = Vec::new();
    for record in owners_of::<Group, User>(state.store(), state.instance(), user_id).await? {
        let group: Group = decode_record(&record)?;
        groups.push(group.render(version, &wire_id::<Group>("", &record.id)));
    }
    Ok(Value::Array(groups))
}

async fn user(state: &AppState, id: &str) -> Result<User, Failure> {
    decode_record(&existing::<User>(state, id).await?)
}

/// `GET /users/{uid}/groups`: the groups the user belongs to.
pub async fn list_user_groups(
    State(state): State<AppState>,
    Version(version): Version,
    Path(id): Path<String>,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    user(&state, &id).await?;
    let Value::Array(items) = groups_json(&state, version, &id).await? else {
        return Err(Failure(ApiError::internal()));
    };
    Ok(respond::json(
        StatusCode::OK,
        None,
        &collection::page(items, &query, version, uri.path(), &headers),
    ))
}

/// `GET /users/{uid}/identities`: the user's sign-in identities.
pub async fn list_user_identities(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Outcome {
    let user = user(&state, &id).await?;
    Ok(respond::json(
        StatusCode::OK,
        None,
        &json!({ "value": user.identities, "count": user.identities.len() }),
    ))
}
