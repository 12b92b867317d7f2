//! Email templates always exist (seeded at bootstrap): `PUT` changes one of the 14 (any other
//! name → 400) keeping the fields it does not give, `PATCH` needs no `If-Match` (the contract
//! declares none), and `DELETE` restores the default text.

use crate::error::Failure;
use crate::resource::{Place, Resource};
use tollgate_contract::entity::email_template::{EmailTemplate, template_id};
use tollgate_contract::{ApiError, ApiVersion};
use tollgate_store::Tx;

impl Resource for EmailTemplate {
    const PATCH_NEEDS_IF_MATCH: bool = false;

    fn stored_id(_version: ApiVersion, id: &str) -> Result<String, Failure> {
        template_id(id).ok_or_else(|| {
            let message = format!("'{id}' is not the name of an email template");
            Failure(ApiError::invalid_field("templateName", "Enum", message))
        })
    }

    async fn check_write(
        _tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &mut Self,
        old: Option<&Self>,
    ) -> Result<(), Failure> {
        let current = match old {
            Some(old) => old.clone(),
            None => EmailTemplate::default_for(id).ok_or_else(|| Failure(ApiError::internal()))?,
        };
        *entity = entity.clone().completed_from(&current);
        Ok(())
    }

    fn left_after_delete(id: &str) -> Option<Self> {
        EmailTemplate::default_for(id)
    }
}
