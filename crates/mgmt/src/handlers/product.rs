//! Products: their rules beyond their own fields, and their links to APIs and groups (served
//! by the generic handlers in `links`).

use crate::error::Failure;
use crate::extract::ListQuery;
use crate::handlers::links::{Member, Owner, members_of, unlink_all};
use crate::handlers::subscription::{SubscriptionOwner, delete_subscriptions_of};
use crate::resource::{Place, Resource};
use crate::state::AppState;
use serde_json::Value;
use tollgate_contract::ApiVersion;
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::group::Group;
use tollgate_contract::entity::policy::{self, PolicyScope};
use tollgate_contract::entity::product::Product;
use tollgate_contract::entity::wire_id;
use tollgate_store::{Key, Tx};

impl Owner for Product {}

impl Member<Product> for Api {
    const LINK_KIND: &'static str = "productApi";
}

impl Member<Product> for Group {
    const LINK_KIND: &'static str = "productGroup";
}

impl Resource for Product {
    async fn decorate(
        state: &AppState,
        version: ApiVersion,
        query: &ListQuery,
        id: &str,
        item: &mut Value,
    ) -> Result<(), Failure> {
        if query
            .other("expandGroups")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            let groups = members_of::<Product, Group>(state.store(), state.instance(), id).await?;
            let rendered: Vec<Value> = groups
                .iter()
                .map(|(r, g)| {
                    tollgate_contract::entity::Entity::render(
                        g,
                        version,
                        &wire_id::<Group>("", &r.id),
                    )
                })
                .collect();
            item["groups"] = Value::Array(rendered);
        }
        Ok(())
    }

    async fn before_delete(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        _entity: &Self,
        query: &ListQuery,
    ) -> Result<(), Failure> {
        delete_subscriptions_of(tx, query, SubscriptionOwner::Product(id)).await?;
        unlink_all::<Product, Api>(tx, id).await?;
        unlink_all::<Product, Group>(tx, id).await?;
        tx.delete(Key::top(
            policy::KIND,
            &PolicyScope::Product(id.to_owned()).wire_id(),
        ))
        .await?;
        Ok(())
    }
}
