//! Policy documents as an API representation (REFERENCE §3): media types, the JSON
//! `PolicyContract`, and the scopes a policy is attached to.

use crate::ApiError;
use crate::body::decode;
use crate::validate::Validator;
use serde::Deserialize;
use serde_json::{Value, json};

/// The store's kind for policy documents.
pub const KIND: &str = "policy";
/// `Content-Type`/`Accept` of policy XML with escaped expressions.
pub const XML_MEDIA_TYPE: &str = "application/vnd.ms-azure-apim.policy+xml";
/// `Content-Type`/`Accept` of policy XML with raw expressions.
pub const RAW_XML_MEDIA_TYPE: &str = "application/vnd.ms-azure-apim.policy.raw+xml";

/// The document every new instance starts with as its global policy (as in Azure's examples).
pub const DEFAULT_GLOBAL_POLICY: &str = "<!--\r\n    IMPORTANT:\r\n    - Policy elements can appear only within the <inbound>, <outbound>, <backend> section elements.\r\n    - Only the <forward-request> policy element can appear within the <backend> section element.\r\n    - To apply a policy to the incoming request (before it is forwarded to the backend service), place a corresponding policy element within the <inbound> section element.\r\n    - To apply a policy to the outgoing response (before it is sent back to the caller), place a corresponding policy element within the <outbound> section element.\r\n    - To add a policy position the cursor at the desired insertion point and click on the round button associated with the policy.\r\n    - To remove a policy, delete the corresponding policy statement from the policy document.\r\n    - Policies are applied in the order of their appearance, from the top down.\r\n-->\r\n<policies>\r\n  <inbound />\r\n  <backend>\r\n    <forward-request />\r\n  </backend>\r\n  <outbound />\r\n</policies>";

/// Where a policy is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyScope {
    /// The whole service (`/policies/policy`, legacy `/tenant/policy`).
    Global,
    /// One product (`/products/{productId}/policies/policy`, legacy `/products/{productId}/policy`).
    Product(String),
    /// One API (`/apis/{apiId}/policies/policy`, legacy `/apis/{apiId}/policy`).
    Api(String),
    /// One operation (`/apis/{apiId}/operations/{operationId}/policies/policy`, legacy `…/policy`).
    Operation(String, String),
}

impl PolicyScope {
    /// The `id` on the wire (2017-03-01 `PolicyContract`), which is also the store key.
    pub fn wire_id(&self) -> String {
        match self {
            PolicyScope::Global => "/policies/policy".to_owned(),
            PolicyScope::Product(product) => format!("/products/{product}/policies/policy"),
            PolicyScope::Api(api) => format!("/apis/{api}/policies/policy"),
            PolicyScope::Operation(api, op) => {
                format!("/apis/{api}/operations/{op}/policies/policy")
            }
        }
    }

    /// A human name, for messages ("the global policy").
    pub fn describe(&self) -> String {
        match self {
            PolicyScope::Global => "the global scope".to_owned(),
            PolicyScope::Product(product) => format!("product '{product}'"),
            PolicyScope::Api(api) => format!("API '{api}'"),
            PolicyScope::Operation(api, op) => format!("operation '{op}' of API '{api}'"),
        }
    }

    /// The scope's kind, by name as the `scope` query parameter of `GET /policies` spells it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            PolicyScope::Global => "Tenant",
            PolicyScope::Product(_) => "Product",
            PolicyScope::Api(_) => "Api",
            PolicyScope::Operation(..) => "Operation",
        }
    }
}

/// The stored policy: the document in escaped XML form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredPolicy {
    /// Escaped XML, as accepted (not reformatted).
    pub xml: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PolicyContractInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    policy_content: Option<String>,
}

/// Reads `policyContent` from a JSON `PolicyContract` body.
pub fn content_from_json(body: &[u8]) -> Result<String, ApiError> {
    let input: PolicyContractInput = decode(body)?;
    let mut v = Validator::new();
    v.required("policyContent", &input.policy_content);
    v.finish()?;
    Ok(input.policy_content.unwrap_or_default())
}

/// The JSON `PolicyContract` for a scope and document.
pub fn contract(scope: &PolicyScope, content: &str) -> Value {
    json!({ "id": scope.wire_id(), "policyContent": content })
}
