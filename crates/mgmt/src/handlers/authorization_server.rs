//! Authorization servers and the APIs that name them: an API's
//! `authenticationSettings.oAuth2.authorizationServerId` must name an existing server, and a
//! server that an API names cannot be deleted (400, naming the API).

use crate::error::Failure;
use crate::extract::ListQuery;
use crate::resource::{Place, Resource, decode_record};
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::authorization_server::AuthorizationServer;
use tollgate_contract::{ApiError, ErrorCode};
use tollgate_store::{Key, Tx};

impl Resource for AuthorizationServer {
    async fn before_delete(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        _entity: &Self,
        _query: &ListQuery,
    ) -> Result<(), Failure> {
        let mut users = Vec::new();
        for record in tx.list(Api::KIND, "").await? {
            let api: Api = decode_record(&record)?;
            if server_of(&api).is_some_and(|server| server.eq_ignore_ascii_case(id)) {
                users.push(format!("/apis/{}", record.id));
            }
        }
        if users.is_empty() {
            return Ok(());
        }
        let message = format!(
            "AuthorizationServer '{id}' is used by the API {}; change their authenticationSettings first.",
            users.join(", ")
        );
        Err(ApiError::new(ErrorCode::ResourceReferenced, message).into())
    }
}

/// The authorization server an API names, if any.
fn server_of(api: &Api) -> Option<&str> {
    api.authentication_settings
        .as_ref()?
        .o_auth2
        .as_ref()?
        .authorization_server_id
        .as_deref()
}

/// 400 unless the authorization server the API names exists (called by the API's rules).
pub async fn check_server_of(tx: &mut dyn Tx, api: &Api) -> Result<(), Failure> {
    let Some(server) = server_of(api) else {
        return Ok(());
    };
    if tx
        .get(Key::top(AuthorizationServer::KIND, server))
        .await?
        .is_some()
    {
        return Ok(());
    }
    let message = format!("there is no authorization server '{server}'");
    Err(ApiError::invalid_field(
        "authenticationSettings.oAuth2.authorizationServerId",
        "NotFound",
        message,
    )
    .into())
}
