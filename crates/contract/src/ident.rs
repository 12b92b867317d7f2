//! Identifiers in paths: 1 to 256 characters (255 for backends), none of `* # & + : < > ?`.

use crate::ApiError;

/// Characters an identifier may not contain (swagger pattern `^[^*#&+:<>?]+$`).
pub const FORBIDDEN: &[char] = &['*', '#', '&', '+', ':', '<', '>', '?'];

/// Checks a path identifier; `param` names it in the error (`propId`, `backendid`).
pub fn check_id(param: &str, id: &str, max_len: usize) -> Result<(), ApiError> {
    let len = id.chars().count();
    if len == 0 || len > max_len {
        return Err(ApiError::invalid_field(
            param,
            "Length",
            format!("{param} must have between 1 and {max_len} characters"),
        ));
    }
    if let Some(c) = id.chars().find(|c| FORBIDDEN.contains(c) || c.is_control()) {
        return Err(ApiError::invalid_field(
            param,
            "Pattern",
            format!(
                "{param} must not contain '{}' (nor any of * # & + : < > ? or control characters)",
                c.escape_default()
            ),
        ));
    }
    Ok(())
}

/// The key under which an identifier is stored and looked up: identifiers are case-insensitive.
pub fn id_key(id: &str) -> String {
    id.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_ids_and_refuses_the_forbidden_set() {
        assert!(check_id("propId", "my-prop_1.x", 256).is_ok());
        assert!(check_id("propId", &"a".repeat(256), 256).is_ok());
        assert!(check_id("propId", &"a".repeat(257), 256).is_err());
        assert!(check_id("backendid", &"a".repeat(256), 255).is_err());
        assert!(check_id("propId", "", 256).is_err());
        for c in FORBIDDEN {
            let err = check_id("propId", &format!("a{c}b"), 256).unwrap_err();
            assert_eq!(err.details[0].target.as_deref(), Some("propId"));
        }
    }
}
