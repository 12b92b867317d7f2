//! The users part of a snapshot: every user as `context.User` shows them (names, email, note,
//! registration date, identities, groups), read whole when a group or a membership changes,
//! updated user by user when only users change, and shared otherwise. Each user is one `Arc`
//! that the calls' contexts share.

use std::collections::HashMap;
use std::sync::Arc;

use tollgate_contract::entity::Entity;
use tollgate_contract::entity::group::Group;
use tollgate_contract::entity::user::{Identity, User};
use tollgate_policy::csharp;
use tollgate_store::{Changes, Key, Record, Store, StoreError, fold};

use crate::pipeline::ticks;
use crate::snapshot::decode;

/// The store kind of group memberships (under `groups/{groupId}`, keyed by the user's id).
const GROUP_USER: &str = "groupUser";

/// The kinds whose change means reading the users again (a change to users alone is applied
/// user by user: [`Users::with_changes`]).
pub(crate) const GROUP_KINDS: [&str; 2] = [Group::KIND, GROUP_USER];

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

/// A stored user as `context.User` shows them, with their groups.
fn shown(record: &Record, groups: Vec<csharp::Group>) -> Result<csharp::User, StoreError> {
    let user: ShownUser = decode(record)?;
    Ok(csharp::User {
        groups,
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
        id: record.id.clone(),
    })
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
            let key = fold(&record.id);
            let groups = groups_of.remove(&key).unwrap_or_default();
            users.insert(key, Arc::new(shown(&record, groups)?));
        }
        Ok(Users(users))
    }

    /// These users with `changes` applied, when only users changed (not groups or memberships):
    /// deleted users removed, written ones read again, keeping their groups (a user new to this
    /// snapshot has their memberships looked up, one read per group).
    pub(crate) async fn with_changes(
        &self,
        store: &dyn Store,
        instance: &str,
        changes: &Changes,
    ) -> Result<Users, StoreError> {
        let mut users = self.0.clone();
        for deleted in changes.deleted.iter().filter(|d| d.kind == User::KIND) {
            users.remove(&deleted.id_key);
        }
        let mut all_groups = None;
        for written in changes.written.iter().filter(|w| w.kind == User::KIND) {
            let groups = match users.get(&written.id_key) {
                Some(known) => known.groups.clone(),
                None => {
                    if all_groups.is_none() {
                        all_groups = Some(groups(store, instance).await?);
                    }
                    let mut member_of = Vec::new();
                    for (id, group) in all_groups.iter().flatten() {
                        let parent = format!("groups/{id}");
                        let link = Key {
                            kind: GROUP_USER,
                            parent: &parent,
                            id: &written.record.id,
                        };
                        if store.get(instance, link).await?.is_some() {
                            member_of.push(group.clone());
                        }
                    }
                    member_of
                }
            };
            let user = shown(&written.record, groups)?;
            users.insert(written.id_key.clone(), Arc::new(user));
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
