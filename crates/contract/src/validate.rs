//! Field validation that collects every problem of a request before answering.

use crate::{ApiError, ErrorCode, ErrorDetail};

/// Collects invalid fields; [`Validator::finish`] turns them into one `ValidationError`.
#[derive(Debug, Default)]
pub struct Validator {
    details: Vec<ErrorDetail>,
}

impl Validator {
    /// An empty validator.
    pub fn new() -> Validator {
        Validator::default()
    }

    /// Records a problem with `target`.
    pub fn fail(&mut self, target: &str, code: &str, message: impl Into<String>) {
        self.details.push(ErrorDetail {
            code: code.to_owned(),
            target: Some(target.to_owned()),
            message: message.into(),
        });
    }

    /// Requires a value to be present.
    pub fn required<T>(&mut self, target: &str, value: &Option<T>) {
        if value.is_none() {
            self.fail(target, "Required", format!("{target} is required"));
        }
    }

    /// Checks a string's length in characters.
    pub fn length(&mut self, target: &str, value: &str, min: usize, max: usize) {
        let len = value.chars().count();
        if len < min || len > max {
            self.fail(
                target,
                "Length",
                format!("{target} must have between {min} and {max} characters, it has {len}"),
            );
        }
    }

    /// Checks an optional string's length when present.
    pub fn length_opt(&mut self, target: &str, value: &Option<String>, min: usize, max: usize) {
        if let Some(value) = value {
            self.length(target, value, min, max);
        }
    }

    /// Requires text that is not only whitespace.
    pub fn not_blank(&mut self, target: &str, value: &str) {
        if !value.is_empty() && value.trim().is_empty() {
            self.fail(
                target,
                "Blank",
                format!("{target} must not consist only of whitespace"),
            );
        }
    }

    /// Checks the number of items of a list.
    pub fn max_items<T>(&mut self, target: &str, items: &[T], max: usize) {
        if items.len() > max {
            self.fail(
                target,
                "MaxItems",
                format!(
                    "{target} may have at most {max} items, it has {}",
                    items.len()
                ),
            );
        }
    }

    /// Requires an absolute `http` or `https` URL with a host.
    pub fn http_url(&mut self, target: &str, value: &str) {
        if !is_http_url(value) {
            self.fail(
                target,
                "Url",
                format!("{target} must be an absolute http or https URL, got '{value}'"),
            );
        }
    }

    /// The allowed spelling of `value` (compared without regard to ASCII case), or a failure
    /// listing the allowed values.
    pub fn one_of(
        &mut self,
        target: &str,
        value: &str,
        allowed: &[&'static str],
    ) -> Option<&'static str> {
        let found = allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(value))
            .copied();
        if found.is_none() {
            self.fail(
                target,
                "Enum",
                format!(
                    "{target} must be one of {}, got '{value}'",
                    allowed.join(", ")
                ),
            );
        }
        found
    }

    /// Whether nothing failed so far.
    pub fn is_ok(&self) -> bool {
        self.details.is_empty()
    }

    /// `Ok` if nothing failed, else one `ValidationError` naming every field.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.details.is_empty() {
            return Ok(());
        }
        let fields: Vec<&str> = self
            .details
            .iter()
            .filter_map(|d| d.target.as_deref())
            .collect();
        Err(ApiError {
            code: ErrorCode::ValidationError,
            message: format!(
                "One or more fields contain incorrect values: {}",
                fields.join(", ")
            ),
            details: self.details,
        })
    }
}

/// Whether `value` is an absolute `http://` or `https://` URL with a non-empty host.
pub fn is_http_url(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit('@').next().unwrap_or("");
            !host.is_empty() && !host.starts_with(':') && !value.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_failure() {
        let mut v = Validator::new();
        v.length("name", "", 1, 10);
        v.not_blank("value", "   ");
        v.max_items("tags", &[1, 2, 3], 2);
        let err = v.finish().unwrap_err();
        let targets: Vec<_> = err
            .details
            .iter()
            .map(|d| d.target.clone().unwrap())
            .collect();
        assert_eq!(targets, ["name", "value", "tags"]);
    }

    #[test]
    fn http_urls() {
        assert!(is_http_url("https://example.com"));
        assert!(is_http_url("http://10.0.0.1:8080/a?b"));
        assert!(!is_http_url("ftp://example.com"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("example.com"));
        assert!(!is_http_url("https://a b.com"));
    }
}
