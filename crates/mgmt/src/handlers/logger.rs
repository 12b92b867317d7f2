//! Logger rules that involve other entities: a connection string given in clear is moved into a
//! generated secret property `Logger-Credentials-{24 hex}` (as Azure does) and the logger keeps
//! the `{{reference}}`; a reference given by the client must name an existing property; a logger
//! that a policy's `log-to-eventhub` uses cannot be deleted (400, naming the policy).

use crate::bootstrap::random_hex;
use crate::error::Failure;
use crate::extract::ListQuery;
use crate::handlers::policy::{policies_where, referencing_policies};
use crate::resource::{Place, Resource, decode_record};
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::logger::{CONNECTION_STRING, Logger, named_value_reference};
use tollgate_contract::entity::property::Property;
use tollgate_contract::{ApiError, ErrorCode};
use tollgate_store::{Key, Tx};

/// The name prefix of the properties that hold logger connection strings.
const GENERATED_PREFIX: &str = "Logger-Credentials-";

impl Resource for Logger {
    async fn check_write(
        tx: &mut dyn Tx,
        _place: &Place,
        _id: &str,
        entity: &mut Self,
        old: Option<&Self>,
    ) -> Result<(), Failure> {
        let Some(given) = entity.connection_string().map(str::to_owned) else {
            return Ok(());
        };
        let reference = match named_value_reference(&given) {
            Some(name) => {
                if property_named(tx, name).await?.is_none() {
                    let message = format!(
                        "credentials.connectionString references {{{{{name}}}}}, but no property is named '{name}'"
                    );
                    return Err(ApiError::invalid_field(
                        "credentials.connectionString",
                        "UnknownNamedValue",
                        message,
                    )
                    .into());
                }
                given
            }
            None => store_secret(tx, given).await?,
        };
        if let Some(previous) = old.and_then(Logger::connection_string)
            && !previous.eq_ignore_ascii_case(&reference)
        {
            drop_generated(tx, previous).await?;
        }
        entity
            .credentials
            .insert(CONNECTION_STRING.to_owned(), reference);
        Ok(())
    }

    async fn before_delete(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &Self,
        _query: &ListQuery,
    ) -> Result<(), Failure> {
        let users = policies_where(tx, |document| {
            document
                .root()
                .contains_reference("log-to-eventhub", "logger-id", id)
        })
        .await?;
        if !users.is_empty() {
            let message = format!(
                "Logger '{id}' is used by the policy {}; remove its log-to-eventhub statements first.",
                users.join(", ")
            );
            return Err(ApiError::new(ErrorCode::ResourceReferenced, message).into());
        }
        if let Some(connection) = entity.connection_string() {
            drop_generated(tx, connection).await?;
        }
        Ok(())
    }
}

/// The id and record of the property called `name` (case-insensitive), if any.
async fn property_named(
    tx: &mut dyn Tx,
    name: &str,
) -> Result<Option<(String, Property)>, Failure> {
    for record in tx.list(Property::KIND, "").await? {
        let property: Property = decode_record(&record)?;
        if property.name.eq_ignore_ascii_case(name) {
            return Ok(Some((record.id, property)));
        }
    }
    Ok(None)
}

/// Stores a connection string as a new secret property; returns its `{{reference}}`.
async fn store_secret(tx: &mut dyn Tx, value: String) -> Result<String, Failure> {
    let id = random_hex(12);
    let name = format!("{GENERATED_PREFIX}{id}");
    let property = Property {
        name: name.clone(),
        value,
        tags: Vec::new(),
        secret: true,
    };
    let body = serde_json::to_string(&property).map_err(|_| Failure(ApiError::internal()))?;
    tx.put(Key::top(Property::KIND, &id), &body).await?;
    Ok(format!("{{{{{name}}}}}"))
}

/// Deletes the generated property a logger no longer references, unless a policy uses it.
async fn drop_generated(tx: &mut dyn Tx, reference: &str) -> Result<(), Failure> {
    let Some(name) = named_value_reference(reference).filter(|n| n.starts_with(GENERATED_PREFIX))
    else {
        return Ok(());
    };
    let Some((id, _)) = property_named(tx, name).await? else {
        return Ok(());
    };
    if referencing_policies(tx, name).await?.is_empty() {
        tx.delete(Key::top(Property::KIND, &id)).await?;
    }
    Ok(())
}

/// The ids of the loggers whose connection string references the property `name`.
pub async fn loggers_referencing(tx: &mut dyn Tx, name: &str) -> Result<Vec<String>, Failure> {
    let mut ids = Vec::new();
    for record in tx.list(Logger::KIND, "").await? {
        let logger: Logger = decode_record(&record)?;
        let reference = logger.connection_string().and_then(named_value_reference);
        if reference.is_some_and(|r| r.eq_ignore_ascii_case(name)) {
            ids.push(record.id);
        }
    }
    Ok(ids)
}
