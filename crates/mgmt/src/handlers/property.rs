//! Property rules that involve other entities: names are unique, and a property that a policy
//! or a logger references as `{{name}}` can be neither deleted nor renamed (405, naming it).

use crate::error::Failure;
use crate::extract::ListQuery;
use crate::handlers::logger::loggers_referencing;
use crate::handlers::policy::referencing_policies;
use crate::resource::{Place, Resource, decode_record};
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::property::Property;
use tollgate_contract::{ApiError, ErrorCode};
use tollgate_store::Tx;

impl Resource for Property {
    async fn check_write(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &mut Self,
        old: Option<&Self>,
    ) -> Result<(), Failure> {
        for record in tx.list(Self::KIND, "").await? {
            if record.id.to_lowercase() == id.to_lowercase() {
                continue;
            }
            let other: Property = decode_record(&record)?;
            if other.name.eq_ignore_ascii_case(&entity.name) {
                return Err(ApiError::new(
                    ErrorCode::NameAlreadyInUse,
                    format!(
                        "Property '{}' already uses the name '{}'; property names are unique.",
                        record.id, other.name
                    ),
                )
                .into());
            }
        }
        if let Some(old) = old.filter(|old| !old.name.eq_ignore_ascii_case(&entity.name)) {
            refuse_if_referenced(tx, old, "renamed").await?;
        }
        Ok(())
    }

    async fn before_delete(
        tx: &mut dyn Tx,
        _place: &Place,
        _id: &str,
        entity: &Self,
        _query: &ListQuery,
    ) -> Result<(), Failure> {
        refuse_if_referenced(tx, entity, "deleted").await
    }
}

async fn refuse_if_referenced(
    tx: &mut dyn Tx,
    property: &Property,
    action: &str,
) -> Result<(), Failure> {
    let name = &property.name;
    let users = match referencing_policies(tx, name).await? {
        policies if !policies.is_empty() => format!("the policy {}", policies.join(", ")),
        _ => match loggers_referencing(tx, name).await? {
            loggers if !loggers.is_empty() => format!("the logger {}", loggers.join(", ")),
            _ => return Ok(()),
        },
    };
    Err(ApiError::new(
        ErrorCode::ResourceInUse,
        format!(
            "Property '{name}' cannot be {action}: it is referenced as {{{{{name}}}}} by {users}. Remove the references first."
        ),
    )
    .into())
}
