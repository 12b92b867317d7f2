//! Operation identifiers: sanitising, deriving and de-duplicating them; truncating texts.

use std::collections::HashSet;

/// The longest operation id produced.
pub(crate) const MAX_ID_LEN: usize = 80;

/// The first `max` characters of `text`.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// `raw` with every character outside `[A-Za-z0-9-_.]` replaced by `-`, cut to
/// [`MAX_ID_LEN`]; `None` when nothing usable is left (empty, or only dots, which a URL path
/// would treat as a relative segment).
pub(crate) fn sanitise(raw: &str) -> Option<String> {
    let id: String = raw
        .chars()
        .take(MAX_ID_LEN)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    (!id.chars().all(|c| c == '.')).then_some(id)
}

/// Hands out operation ids that are unique case-insensitively.
#[derive(Debug, Default)]
pub(crate) struct IdAllocator {
    taken: HashSet<String>,
}

impl IdAllocator {
    /// The id for an operation: its sanitised `operationId`, else `{method}-{path}` sanitised,
    /// with `-2`, `-3`, … appended while it clashes with an id already handed out.
    pub fn allocate(&mut self, operation_id: Option<&str>, method: &str, path: &str) -> String {
        let base = operation_id
            .and_then(sanitise)
            .or_else(|| sanitise(&format!("{}-{path}", method.to_ascii_lowercase())))
            .unwrap_or_else(|| method.to_ascii_lowercase());
        let mut id = base.clone();
        let mut n = 2usize;
        while self.taken.contains(&id.to_ascii_lowercase()) {
            let suffix = format!("-{n}");
            id = truncate(&base, MAX_ID_LEN - suffix.len()) + &suffix;
            n += 1;
        }
        self.taken.insert(id.to_ascii_lowercase());
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitises_to_the_identifier_alphabet() {
        assert_eq!(
            sanitise("find pet by id").as_deref(),
            Some("find-pet-by-id")
        );
        assert_eq!(sanitise("a.b_c-D9").as_deref(), Some("a.b_c-D9"));
        assert_eq!(sanitise("héllo/wörld").as_deref(), Some("h-llo-w-rld"));
        assert_eq!(sanitise(&"x".repeat(100)).map(|s| s.len()), Some(80));
        assert_eq!(sanitise(""), None);
        assert_eq!(sanitise(".."), None);
    }

    #[test]
    fn derives_and_deduplicates_case_insensitively() {
        let mut ids = IdAllocator::default();
        assert_eq!(ids.allocate(Some("list"), "GET", "/a"), "list");
        assert_eq!(ids.allocate(Some("LIST"), "GET", "/b"), "LIST-2");
        assert_eq!(ids.allocate(Some("list"), "GET", "/c"), "list-3");
        assert_eq!(ids.allocate(None, "GET", "/pets/{id}"), "get--pets--id-");
        assert_eq!(ids.allocate(Some(""), "POST", "/pets"), "post--pets");
        let long = "y".repeat(80);
        assert_eq!(ids.allocate(Some(&long), "GET", "/"), long);
        let second = ids.allocate(Some(&long), "GET", "/");
        assert_eq!(second.len(), 80);
        assert!(second.ends_with("y-2"));
    }
}
