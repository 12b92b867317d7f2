//! Matching request paths against operation URL templates, as Azure routes: literal segments
//! win over parameters, template parameters and query-parameter templates bind values, a
//! trailing slash is ignored, and literals compare without regard to ASCII case.

use std::collections::HashMap;
use tollgate_contract::url_template::UrlTemplate;

/// A piece of a path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Literal text (compared ASCII case-insensitively).
    Text(String),
    /// A `{name}` parameter.
    Param(String),
}

/// A compiled path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Literal, parameter, or a mix (`{name}.{ext}`).
    Pieces(Vec<Piece>),
    /// `{*rest}`: the rest of the path.
    CatchAll(String),
}

/// A compiled template.
#[derive(Debug, Clone)]
pub struct Template {
    segments: Vec<Segment>,
    /// `name={param}` pairs the query must carry.
    query: Vec<(String, String)>,
}

/// How specific a match is: more literal segments, then more literal characters, win.
pub type Score = (usize, usize);

impl Template {
    /// Compiles a stored template (already validated at PUT time).
    pub fn compile(template: &UrlTemplate) -> Template {
        let (path, query) = template
            .text
            .split_once('?')
            .unwrap_or((template.text.as_str(), ""));
        let segments = split_path(path)
            .into_iter()
            .map(|segment| match segment.strip_prefix("{*") {
                Some(rest) => Segment::CatchAll(rest.trim_end_matches('}').to_owned()),
                None => Segment::Pieces(pieces(segment)),
            })
            .collect();
        let query = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, value)| {
                let param = value.trim_start_matches('{').trim_end_matches('}');
                (name.to_owned(), param.to_owned())
            })
            .collect();
        Template { segments, query }
    }

    /// Matches the path below the API (`/a/b`) and its query; the bound parameters and the
    /// match's specificity.
    pub fn matches(&self, path: &str, query: &[(String, String)]) -> Option<(Score, Params)> {
        let segments = split_path(path);
        let mut params = Params::new();
        let mut score = (0, 0);
        let mut i = 0;
        for segment in &self.segments {
            match segment {
                Segment::CatchAll(name) => {
                    params.insert(
                        name.to_lowercase(),
                        segments[i.min(segments.len())..].join("/"),
                    );
                    i = segments.len();
                    break;
                }
                Segment::Pieces(pieces) => {
                    let actual = segments.get(i)?;
                    let literal = match_pieces(pieces, actual, &mut params)?;
                    if literal == actual.len() {
                        score.0 += 1;
                    }
                    score.1 += literal;
                    i += 1;
                }
            }
        }
        if i != segments.len() {
            return None;
        }
        for (name, param) in &self.query {
            let value = query.iter().find(|(n, _)| n == name)?;
            params.insert(param.to_lowercase(), value.1.clone());
        }
        Some((score, params))
    }
}

/// Parameter values by lower-case name.
pub type Params = HashMap<String, String>;

/// The segments of a path, ignoring the leading and a trailing slash.
fn split_path(path: &str) -> Vec<&str> {
    let trimmed = path.trim_start_matches('/');
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

fn pieces(segment: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = segment;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Text(rest[..open].to_owned()));
        }
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        out.push(Piece::Param(rest[open + 1..close].to_owned()));
        rest = rest.get(close + 1..).unwrap_or("");
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    out
}

/// Whether `text` starts with `literal` (ASCII case-insensitively; URLs are compared so).
fn starts_with_literal(text: &str, literal: &str) -> bool {
    text.len() >= literal.len()
        && text.as_bytes()[..literal.len()].eq_ignore_ascii_case(literal.as_bytes())
}

/// Matches one segment; the number of literal bytes matched.
fn match_pieces(pieces: &[Piece], actual: &str, params: &mut Params) -> Option<usize> {
    let mut at = 0;
    let mut literal = 0;
    for (k, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Text(text) => {
                if !starts_with_literal(&actual[at..], text) {
                    return None;
                }
                at += text.len();
                literal += text.len();
            }
            Piece::Param(name) => {
                // A parameter is never empty and runs to the next literal piece (its first
                // occurrence) or to the segment's end.
                let end = match pieces.get(k + 1) {
                    Some(Piece::Text(next)) => (at + 1..=actual.len())
                        .filter(|&i| actual.is_char_boundary(i))
                        .find(|&i| starts_with_literal(&actual[i..], next))?,
                    _ => actual.len(),
                };
                if end <= at {
                    return None;
                }
                params.insert(name.to_lowercase(), actual[at..end].to_owned());
                at = end;
            }
        }
    }
    (at == actual.len()).then_some(literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> Template {
        Template::compile(&UrlTemplate::parse(text).unwrap())
    }

    fn bind(text: &str, path: &str) -> Option<Params> {
        template(text).matches(path, &[]).map(|(_, p)| p)
    }

    #[test]
    fn parameters_bind_and_literals_fold_case() {
        let params = bind("/customers/{cid}/orders/{oid}", "/Customers/42/ORDERS/7").unwrap();
        assert_eq!(
            (params["cid"].as_str(), params["oid"].as_str()),
            ("42", "7")
        );
        let file = bind("/files/{name}.{ext}", "/files/report.final.pdf").unwrap();
        assert_eq!(
            (file["name"].as_str(), file["ext"].as_str()),
            ("report", "final.pdf")
        );
        assert!(bind("/customers/{cid}", "/customers").is_none());
        assert!(bind("/customers/{cid}", "/customers/1/2").is_none());
        assert!(
            bind("/customers", "/customers/").is_some(),
            "a trailing slash is ignored"
        );
        assert!(bind("/", "/").is_some() && bind("/", "").is_some());
        let rest = bind("/static/{*path}", "/static/css/site.css").unwrap();
        assert_eq!(rest["path"], "css/site.css");
    }

    #[test]
    fn literals_win_over_parameters() {
        let literal = template("/users/me").matches("/users/me", &[]).unwrap().0;
        let param = template("/users/{id}").matches("/users/me", &[]).unwrap().0;
        assert!(literal > param);
    }

    #[test]
    fn query_templates_need_their_parameters() {
        let t = template("/search?q={query}");
        assert!(t.matches("/search", &[]).is_none());
        let query = [("q".to_owned(), "tollgate".to_owned())];
        assert_eq!(t.matches("/search", &query).unwrap().1["query"], "tollgate");
    }
}
