//! Schema rules that involve other entities: a schema that an operation of its API references
//! (`schemaId`) cannot be deleted (400, naming the operations).

use crate::error::Failure;
use crate::extract::ListQuery;
use crate::resource::{Place, Resource, decode_record};
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::schema::Schema;
use tollgate_contract::{ApiError, ErrorCode};
use tollgate_store::Tx;

impl Resource for Schema {
    async fn before_delete(
        tx: &mut dyn Tx,
        place: &Place,
        id: &str,
        _entity: &Self,
        _query: &ListQuery,
    ) -> Result<(), Failure> {
        let mut users = Vec::new();
        for record in tx.list(Operation::KIND, &place.parent_key).await? {
            let operation: Operation = decode_record(&record)?;
            if operation.schema_ids().any(|s| s.eq_ignore_ascii_case(id)) {
                users.push(format!("{}/operations/{}", place.parent_wire, record.id));
            }
        }
        if users.is_empty() {
            return Ok(());
        }
        let message = format!(
            "Schema '{id}' cannot be deleted: it is referenced by {}.",
            users.join(", ")
        );
        Err(ApiError::new(ErrorCode::ResourceReferenced, message).into())
    }
}
