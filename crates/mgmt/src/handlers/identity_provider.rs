//! Identity providers are addressed by their type: the path must name one (400 otherwise), the
//! entity is stored under the contract's spelling of it, and its `type` is the path's.

use crate::error::Failure;
use crate::resource::{Place, Resource};
use tollgate_contract::entity::identity_provider::{IdentityProvider, provider_type};
use tollgate_contract::{ApiError, ApiVersion};
use tollgate_store::Tx;

impl Resource for IdentityProvider {
    fn stored_id(version: ApiVersion, id: &str) -> Result<String, Failure> {
        match provider_type(id, version) {
            Some((_, spelled)) => Ok(spelled.to_owned()),
            None => {
                let message =
                    format!("'{id}' is not an identity provider type in api-version {version}");
                Err(ApiError::invalid_field("identityProviderName", "Enum", message).into())
            }
        }
    }

    async fn check_write(
        _tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &mut Self,
        _old: Option<&Self>,
    ) -> Result<(), Failure> {
        Ok(entity.bind_to(id)?)
    }
}
