//! Operation rules that involve other entities: within an API, no two operations share a method
//! and an equivalent URL template, and every `schemaId` names a schema of the API.

use crate::error::Failure;
use crate::extract::ListQuery;
use crate::handlers::policy::delete_policies_under;
use crate::resource::{Place, Resource, decode_record};
use tollgate_contract::ApiError;
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::schema::Schema;
use tollgate_store::{Key, Tx};

impl Resource for Operation {
    async fn check_write(
        tx: &mut dyn Tx,
        place: &Place,
        id: &str,
        entity: &mut Self,
        _old: Option<&Self>,
    ) -> Result<(), Failure> {
        let shape = entity.template()?.shape();
        for record in tx.list(Self::KIND, &place.parent_key).await? {
            if record.id.to_lowercase() == id.to_lowercase() {
                continue;
            }
            let other: Operation = decode_record(&record)?;
            let same_shape = other.template().is_ok_and(|t| t.shape() == shape);
            if same_shape && other.method == entity.method {
                return Err(ApiError::invalid_field(
                    "urlTemplate",
                    "Duplicate",
                    format!(
                        "operation '{}' already has {} {}",
                        record.id, other.method, other.url_template
                    ),
                )
                .into());
            }
        }
        for schema_id in entity.schema_ids() {
            let key = Key {
                kind: Schema::KIND,
                parent: &place.parent_key,
                id: schema_id,
            };
            if tx.get(key).await?.is_none() {
                return Err(ApiError::invalid_field(
                    "schemaId",
                    "NotFound",
                    format!(
                        "schema '{schema_id}' does not exist in API {}",
                        place.parent_wire
                    ),
                )
                .into());
            }
        }
        Ok(())
    }

    async fn before_delete(
        tx: &mut dyn Tx,
        place: &Place,
        id: &str,
        _entity: &Self,
        _query: &ListQuery,
    ) -> Result<(), Failure> {
        let api_id = place.parent_wire.trim_start_matches("/apis/");
        delete_policies_under(tx, api_id, Some(id)).await
    }
}
