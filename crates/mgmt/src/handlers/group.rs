//! Group rules: the built-in groups cannot be changed or deleted (405).

use crate::error::Failure;
use crate::handlers::product::unlink_everywhere;
use crate::resource::{Place, Resource};
use tollgate_contract::entity::group::Group;
use tollgate_contract::{ApiError, ErrorCode};
use tollgate_store::Tx;

fn built_in(id: &str) -> Failure {
    let message = format!(
        "Group '{id}' is built in: its name, description and membership are managed by the system."
    );
    ApiError::new(ErrorCode::BuiltInEntity, message).into()
}

impl Resource for Group {
    async fn check_write(
        _tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        _entity: &Self,
        old: Option<&Self>,
    ) -> Result<(), Failure> {
        if old.is_some_and(|g| g.built_in) {
            Err(built_in(id))
        } else {
            Ok(())
        }
    }

    async fn before_delete(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &Self,
    ) -> Result<(), Failure> {
        if entity.built_in {
            return Err(built_in(id));
        }
        unlink_everywhere::<Group>(tx, id).await
    }
}
