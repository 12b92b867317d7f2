//! Operation URL templates: `/customers/{cid}/orders/{oid}?date={date}`.
//!
//! A template is a path, optionally followed by `?` and `name={param}` pairs. Path segments may
//! hold `{param}` placeholders (also mixed with text, as in `/files/{name}.{ext}`), and the last
//! segment may be a catch-all `{*rest}`. Parameter names are unique, case-insensitively.
//! [`UrlTemplate::shape`] is the form two templates share when they match the same requests.

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    /// The template with a leading `/`, as stored.
    pub text: String,
    /// The parameters, in order of appearance.
    pub parameters: Vec<String>,
}

/// The longest template accepted, in characters.
pub const MAX_LEN: usize = 1000;

impl UrlTemplate {
    /// Parses a template; a missing leading `/` is added (as Azure does).
    pub fn parse(input: &str) -> Result<UrlTemplate, String> {
        let len = input.chars().count();
        if len == 0 || len > MAX_LEN {
            return Err(format!(
                "urlTemplate must have between 1 and {MAX_LEN} characters"
            ));
        }
        if let Some(c) = input
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || *c == '#')
        {
            return Err(format!(
                "urlTemplate must not contain '{}'",
                c.escape_default()
            ));
        }
        let text = if input.starts_with('/') {
            input.to_owned()
        } else {
            format!("/{input}")
        };
        let (path, query) = match text.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (text.as_str(), None),
        };
        let mut parameters = Vec::new();
        let segments: Vec<&str> = path.split('/').collect();
        for (i, segment) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            placeholders(segment, last, &mut parameters)?;
        }
        if let Some(query) = query {
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (name, value) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("the query part '{pair}' must be name={{parameter}}"))?;
                if name.is_empty() || name.contains(['{', '}']) {
                    return Err(format!(
                        "the query part '{pair}' needs a literal name before '='"
                    ));
                }
                let param = value
                    .strip_prefix('{')
                    .and_then(|v| v.strip_suffix('}'))
                    .ok_or_else(|| {
                        format!("the query part '{pair}' must have the form {name}={{parameter}}")
                    })?;
                add(param, &mut parameters)?;
            }
        }
        Ok(UrlTemplate { text, parameters })
    }

    /// The template with every parameter replaced by `{}` and literals folded to lower case:
    /// equal shapes match the same requests.
    pub fn shape(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        let mut in_param = false;
        for c in self.text.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                _ if in_param => {}
                _ => out.extend(c.to_lowercase()),
            }
        }
        out
    }
}

/// Collects the `{…}` placeholders of one path segment.
fn placeholders(segment: &str, last: bool, parameters: &mut Vec<String>) -> Result<(), String> {
    let mut rest = segment;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(format!("unbalanced '}}' in '{segment}'"));
        }
        let after = &rest[open + 1..];
        let close = after
            .find(['{', '}'])
            .filter(|&c| after[c..].starts_with('}'));
        let Some(close) = close else {
            return Err(format!("unbalanced '{{' in '{segment}'"));
        };
        let name = &after[..close];
        match name.strip_prefix('*') {
            Some(catch_all) if last && open == 0 && close + 2 == rest.len() => {
                add(catch_all, parameters)?
            }
            Some(_) => {
                return Err(format!(
                    "a catch-all {{*{}}} must be the whole last segment",
                    &name[1..]
                ));
            }
            None => add(name, parameters)?,
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

fn add(name: &str, parameters: &mut Vec<String>) -> Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '$'))
    {
        return Err(format!(
            "'{{{name}}}' is not a valid parameter name (letters, digits, - _ . $)"
        ));
    }
    if parameters.iter().any(|p| p.eq_ignore_ascii_case(name)) {
        return Err(format!("parameter '{name}' appears twice"));
    }
    parameters.push(name.to_owned());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(t: &str) -> Vec<String> {
        UrlTemplate::parse(t).unwrap().parameters
    }

    #[test]
    fn parses_paths_queries_and_catch_alls() {
        assert_eq!(
            params("/customers/{cid}/orders/{oid}/?date={date}"),
            ["cid", "oid", "date"]
        );
        assert_eq!(params("/files/{name}.{ext}"), ["name", "ext"]);
        assert_eq!(params("/static/{*rest}"), ["rest"]);
        assert_eq!(params("/plain"), Vec::<String>::new());
        assert_eq!(
            UrlTemplate::parse("template_1").unwrap().text,
            "/template_1"
        );
        assert_eq!(UrlTemplate::parse("/").unwrap().text, "/");
    }

    #[test]
    fn refuses_malformed_templates() {
        for bad in [
            "",
            "/a/{b",
            "/a/b}",
            "/a/{}",
            "/a/{b}/{B}",
            "/a/{b{c}}",
            "/a/{*rest}/more",
            "/a/x{*rest}",
            "/a?date",
            "/a?date=x",
            "/a?={d}",
            "/a b",
            "/a#frag",
            "/a/{b c}",
        ] {
            assert!(UrlTemplate::parse(bad).is_err(), "accepted {bad:?}");
        }
        assert!(UrlTemplate::parse(&"a".repeat(1001)).is_err());
    }

    #[test]
    fn shapes_ignore_parameter_names_and_case() {
        let shape = |t: &str| UrlTemplate::parse(t).unwrap().shape();
        assert_eq!(shape("/Orders/{id}"), shape("/orders/{orderId}"));
        assert_ne!(shape("/orders/{id}"), shape("/orders/{id}/items"));
        assert_eq!(shape("/a?x={p}"), "/a?x={}");
    }
}
