//! Tenant access: the identifier and two keys that sign SAS tokens, and the switch that enables
//! the management API (REFERENCE §14.2).

use crate::ApiError;
use crate::body::decode;
use crate::validate::Validator;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The store's kind and id for the single access record of an instance.
pub const KIND: &str = "tenantAccess";
/// The only access name (`/tenant/access`).
pub const ID: &str = "access";
/// The id of the git access record (`/tenant/access/git`), also the git user name.
pub const GIT_ID: &str = "git";
/// The identifier that signs management tokens.
pub const IDENTIFIER: &str = "integration";

/// The stored access record.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantAccess {
    /// The SAS identifier (`uid`).
    pub id: String,
    /// Primary key.
    pub primary_key: String,
    /// Secondary key.
    pub secondary_key: String,
    /// Whether the management API accepts calls.
    pub enabled: bool,
}

impl std::fmt::Debug for TenantAccess {
    // Keys never reach logs, not even through Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantAccess")
            .field("id", &self.id)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// Which key a call is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The primary key.
    Primary,
    /// The secondary key.
    Secondary,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccessPatch {
    enabled: Option<bool>,
}

impl TenantAccess {
    /// The wire representation (AccessInformationContract).
    pub fn render(&self) -> Value {
        json!({ "id": self.id, "primaryKey": self.primary_key, "secondaryKey": self.secondary_key, "enabled": self.enabled })
    }

    /// Applies a `PATCH /tenant/access` body (`{"enabled": bool}`, required).
    pub fn patched(mut self, body: &[u8]) -> Result<TenantAccess, ApiError> {
        let patch: AccessPatch = decode(body)?;
        let mut v = Validator::new();
        v.required("enabled", &patch.enabled);
        v.finish()?;
        self.enabled = patch.enabled.unwrap_or(self.enabled);
        Ok(self)
    }

    /// The key of the given kind.
    pub fn key(&self, kind: KeyKind) -> &str {
        match kind {
            KeyKind::Primary => &self.primary_key,
            KeyKind::Secondary => &self.secondary_key,
        }
    }

    /// Replaces the key of the given kind.
    pub fn set_key(&mut self, kind: KeyKind, key: String) {
        match kind {
            KeyKind::Primary => self.primary_key = key,
            KeyKind::Secondary => self.secondary_key = key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access() -> TenantAccess {
        TenantAccess {
            id: IDENTIFIER.into(),
            primary_key: "p".into(),
            secondary_key: "s".into(),
            enabled: true,
        }
    }

    #[test]
    fn patch_requires_enabled() {
        assert!(!access().patched(br#"{"enabled":false}"#).unwrap().enabled);
        let err = access().patched(b"{}").unwrap_err();
        assert_eq!(err.details[0].target.as_deref(), Some("enabled"));
        assert!(access().patched(br#"{"primaryKey":"x"}"#).is_err());
    }

    #[test]
    fn debug_hides_keys() {
        let text = format!("{:?}", access());
        assert!(
            !text.contains("\"p\"") && !text.contains("primary"),
            "{text}"
        );
    }
}
