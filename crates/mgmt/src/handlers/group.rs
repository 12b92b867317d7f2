//! Group rules: the built-in groups cannot be changed or deleted (405).

use crate::error::Failure;
use crate::extract::ListQuery;
use crate::handlers::links::{unlink_all, unlink_everywhere};
use crate::resource::{Place, Resource};
use tollgate_contract::entity::group::Group;
use tollgate_contract::entity::product::Product;
use tollgate_contract::entity::user::User;
use tollgate_contract::{ApiError, ErrorCode};
use tollgate_store::Tx;

fn built_in(id: &str) -> Failure {
    let message = format!(
        "Group '{id}' is built in: its name, description and membership are managed by the system."
    );
    ApiError::new(ErrorCode::BuiltInEntity, message).into()
}

impl Resource for Group {
    fn refuse_change(id: &str, current: &Self) -> Result<(), Failure> {
        if current.built_in {
            Err(built_in(id))
        } else {
            Ok(())
        }
    }

    async fn before_delete(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        _entity: &Self,
        _query: &ListQuery,
    ) -> Result<(), Failure> {
        unlink_everywhere::<Product, Group>(tx, id).await?;
        // Its memberships end with it.
        unlink_all::<Group, User>(tx, id).await
    }
}
