//! The users part of a snapshot: every user as `context.User` shows them (names, email, note,
//! registration date, identities, groups), read whole when a user, a group or a membership
//! changes and shared otherwise. Each user is one `Arc` that the calls' contexts share.

use std::collections::HashMap;
use std::sync::Arc;

use tollgate_contract::entity::Entity;
use tollgate_contract::entity::group::Group;
use tollgate_contract::entity::user::{Identity, User};
use tollgate_policy::csharp;
use tollgate_store::{Store, StoreError, fold};

use crate::pipeline::ticks;
use crate::snapshot::decode;

/// The store kind of group memberships (under `groups/{groupId}`, keyed by the user's id).
const GROUP_USER: &str = "groupUser";

/// The kinds whose change means reading the users again.
pub(crate) const USER_KINDS: [&str; 3] = [User::KIND, Group::KIND, GROUP_USER];

/// Every user as policies see them, by case-folded id.
#[derive(Debug, Default)]
pub struct Users(HashMap<String, Arc<csharp::User>>);

/// The fields of a stored user that `context.User` shows (the password hash is not decoded).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShownUser {
    first_name: String,
    last_name: String,
    email: String,
    registration_date: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    identities: Vec<Identity>,
}

/// Every group as `IGroup` (id and name), by case-folded id, in creation order.
pub(crate) async fn groups(
    store: &dyn Store,
    instance: &str,
) -> Result<Vec<(String, csharp::Group)>, StoreError> {
    let mut out = Vec::new();
    for record in store.list(instance, Group::KIND, "").await? {
        let group: Group = decode(&record)?;
        let shown = csharp::Group {
            name: group.name,
            id: record.id,
        };
        out.push((fold(&shown.id), shown));
    }
    Ok(out)
}

impl Users {
    /// Reads every user with their groups and identities.
    pub(crate) async fn build(store: &dyn Store, instance: &str) -> Result<Users, StoreError> {
        let mut groups_of: HashMap<String, Vec<csharp::Group>> = HashMap::new();
        for (id, group) in groups(store, instance).await? {
            for link in store
                .list(instance, GROUP_USER, &format!("groups/{id}"))
                .await?
            {
                groups_of
                    .entry(fold(&link.id))
                    .or_default()
                    .push(group.clone());
            }
        }
        let mut users = HashMap::new();
        for record in store.list(instance, User::KIND, "").await? {
            let user: ShownUser = decode(&record)?;
            let key = fold(&record.id);
            let shown = csharp::User {
                groups: groups_of.remove(&key).unwrap_or_default(),
                identities: user
                    .identities
                    .into_iter()
                    .map(|i| csharp::Identity {
                        provider: i.provider,
                        id: i.id,
                    })
                    .collect(),
                email: user.email,
                first_name: user.first_name,
                last_name: user.last_name,
                note: user.note.unwrap_or_default(),
                registration_date: ticks(&user.registration_date).unwrap_or_default(),
                id: record.id,
            };
            users.insert(key, Arc::new(shown));
        }
        Ok(Users(users))
    }

    /// A user by id (compared ignoring case).
    pub fn get(&self, id: &str) -> Option<&Arc<csharp::User>> {
        self.0.get(&fold(id))
    }

    /// Every user, as they print.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> std::collections::BTreeMap<String, String> {
        self.0
            .iter()
            .map(|(id, user)| (id.clone(), format!("{user:?}")))
            .collect()
    }
}
