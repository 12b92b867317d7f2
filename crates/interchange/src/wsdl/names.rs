//! Names in an exported WSDL: NCNames, and operation names that import back to the same ids.

use crate::ids::{MAX_ID_LEN, sanitise, truncate};
use std::collections::HashSet;
use tollgate_contract::entity::operation::Operation;

/// Whether `name` is an XML NCName (approximated with Unicode alphanumerics).
pub(super) fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | '\u{b7}'))
}

/// `name` made an NCName: other characters become `_`, a leading `_` when it starts wrongly.
pub(super) fn ncname(name: &str, fallback: &str) -> String {
    let mut out: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() {
        return fallback.to_owned();
    }
    if !is_ncname(&out) {
        out.insert(0, '_');
    }
    out
}

/// The WSDL operation names: the operation's name when re-importing it derives the same id,
/// else the id itself (made an NCName); all different.
pub(super) fn wsdl_names(operations: &[(String, Operation)]) -> Vec<String> {
    // Ids taken so far by the import of the exported names, lower case (as `IdAllocator`).
    let mut taken: HashSet<String> = HashSet::new();
    let mut used: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(operations.len());
    for (id, operation) in operations {
        let name = &operation.name;
        let keeps_id = is_ncname(name)
            && !used.contains(name)
            && reimported_id(name, &taken).as_ref() == Some(id);
        let base = if keeps_id {
            name.clone()
        } else {
            ncname(id, "operation")
        };
        let mut chosen = base.clone();
        let mut n = 2usize;
        while used.contains(&chosen) {
            chosen = format!("{base}_{n}");
            n += 1;
        }
        taken.insert(id.to_ascii_lowercase());
        used.insert(chosen.clone());
        out.push(chosen);
    }
    out
}

/// The id the import derives from the operation name `name` when `taken` are allocated (the
/// rule of `IdAllocator::allocate`); `None` when `name` sanitises to nothing.
fn reimported_id(name: &str, taken: &HashSet<String>) -> Option<String> {
    let base = sanitise(name)?;
    let mut id = base.clone();
    let mut n = 2usize;
    while taken.contains(&id.to_ascii_lowercase()) {
        let suffix = format!("-{n}");
        id = truncate(&base, MAX_ID_LEN - suffix.len()) + &suffix;
        n += 1;
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::IdAllocator;

    fn operation(name: &str) -> Operation {
        serde_json::from_value(
            serde_json::json!({"name": name, "method": "POST", "urlTemplate": "/"}),
        )
        .unwrap()
    }

    #[test]
    fn ncnames() {
        assert!(is_ncname("getBank") && is_ncname("_a.b-c") && is_ncname("Änderung"));
        assert!(!is_ncname("") && !is_ncname("1a") && !is_ncname("-a") && !is_ncname("a b"));
        assert_eq!(ncname("Orders API", "S"), "Orders_API");
        assert_eq!(ncname("1st", "S"), "_1st");
        assert_eq!(ncname("  ", "S"), "S");
    }

    #[test]
    fn names_import_back_to_the_same_ids() {
        let names = ["get", "GET", "get-2", "a b", "Änderung", "9lives", "get"];
        let mut ids = IdAllocator::default();
        let operations: Vec<(String, Operation)> = names
            .iter()
            .map(|n| (ids.allocate(Some(n), "POST", "/"), operation(n)))
            .collect();
        let chosen = wsdl_names(&operations);
        // The names are kept where importing them gives the same ids, "GET" too ("GET-2").
        let expected = ["get", "GET", "get-2", "a-b", "Änderung", "_9lives", "get-3"];
        assert_eq!(chosen, expected);
        let mut again = IdAllocator::default();
        let reimported: Vec<String> = chosen
            .iter()
            .map(|n| again.allocate(Some(n), "POST", "/"))
            .collect();
        let original: Vec<&str> = operations.iter().map(|(id, _)| id.as_str()).collect();
        // Only the id that is no NCName ("9lives") changes.
        assert_eq!(
            reimported,
            [
                "get", "GET-2", "get-2-2", "a-b", "-nderung", "_9lives", "get-3"
            ]
        );
        assert_eq!(
            original,
            [
                "get", "GET-2", "get-2-2", "a-b", "-nderung", "9lives", "get-3"
            ]
        );
    }
}
