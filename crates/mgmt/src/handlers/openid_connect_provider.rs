//! OpenID Connect providers need no rules beyond their own fields (checked in the contract).

use crate::resource::Resource;
use tollgate_contract::entity::openid_connect_provider::OpenIdConnectProvider;

impl Resource for OpenIdConnectProvider {}
