//! Entity tags and `If-Match` (RFC 9110 §8.8.3, §13.1.1).
//!
//! An ETag is the configuration revision that last wrote the entity, rendered like Azure's:
//! a quoted base64 of eight big-endian bytes (`"AAAAAAAACFc="`). Handlers never compare strings:
//! they compare [`Etag`] values through [`IfMatch::matches`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::fmt;

/// The version of one stored entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Etag(pub u64);

impl Etag {
    /// Parses the quoted form; weak tags (`W/"…"`) and unquoted text are tolerated.
    pub fn parse(text: &str) -> Option<Etag> {
        let text = text.trim();
        let text = text.strip_prefix("W/").unwrap_or(text);
        let inner = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        let bytes: [u8; 8] = BASE64.decode(inner).ok()?.try_into().ok()?;
        Some(Etag(u64::from_be_bytes(bytes)))
    }
}

impl fmt::Display for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", BASE64.encode(self.0.to_be_bytes()))
    }
}

/// The precondition of an `If-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current version.
    Any,
    /// A list of tags; a tag that cannot be parsed matches nothing.
    Tags(Vec<Option<Etag>>),
}

impl IfMatch {
    /// Parses a header value; `None` if it is empty.
    pub fn parse(header: &str) -> Option<IfMatch> {
        let header = header.trim();
        if header.is_empty() {
            return None;
        }
        if header == "*" {
            return Some(IfMatch::Any);
        }
        Some(IfMatch::Tags(header.split(',').map(Etag::parse).collect()))
    }

    /// Whether an entity at `current` satisfies the precondition.
    pub fn matches(&self, current: Etag) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Tags(tags) => tags.contains(&Some(current)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_azure_and_round_trips() {
        let tag = Etag(0x0857);
        assert_eq!(tag.to_string(), "\"AAAAAAAACFc=\"");
        assert_eq!(Etag::parse(&tag.to_string()), Some(tag));
        assert_eq!(Etag::parse("W/\"AAAAAAAACFc=\""), Some(tag));
        assert_eq!(Etag::parse("\"nope\""), None);
    }

    #[test]
    fn if_match_star_list_and_garbage() {
        assert!(IfMatch::parse("*").unwrap().matches(Etag(5)));
        let list = IfMatch::parse(&format!("{}, {}", Etag(1), Etag(5))).unwrap();
        assert!(list.matches(Etag(5)));
        assert!(!list.matches(Etag(2)));
        assert!(!IfMatch::parse("garbage").unwrap().matches(Etag(5)));
        assert_eq!(IfMatch::parse("  "), None);
    }
}
