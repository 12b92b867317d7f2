//! The query of list operations: `$filter`, `$top`, `$skip`.

use crate::error::Failure;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tollgate_contract::ApiError;

/// Items per page when `$top` is absent.
pub const DEFAULT_PAGE: usize = 100;
/// The largest page; a larger `$top` is served in pages of this size, with `nextLink`.
pub const MAX_PAGE: usize = 1000;

/// A list request's paging and filter, plus every other query parameter (for `nextLink`).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// The `$filter` text.
    pub filter: Option<String>,
    /// Items to return (`$top`), already capped at [`MAX_PAGE`].
    pub top: usize,
    /// Whether `$top` was given.
    pub top_given: bool,
    /// Items to skip (`$skip`).
    pub skip: usize,
    /// The query's other parameters, in order.
    pub others: Vec<(String, String)>,
}

impl ListQuery {
    /// The parsed `$filter` over `fields`, if one was given; 400 naming the field (or `$filter`)
    /// when it does not parse.
    pub fn parsed_filter(
        &self,
        fields: &[tollgate_contract::odata::FieldSpec],
    ) -> Result<Option<tollgate_contract::odata::Filter>, ApiError> {
        self.filter
            .as_deref()
            .map(|text| {
                tollgate_contract::odata::parse(text, fields).map_err(|err| {
                    let target = err.field.clone().unwrap_or_else(|| "$filter".to_owned());
                    ApiError::invalid_field(&target, "InvalidFilter", format!("$filter: {err}"))
                })
            })
            .transpose()
    }

    /// Parses a query string.
    pub fn parse(query: &str) -> Result<ListQuery, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|_| {
            ApiError::invalid_field(
                "query",
                "Malformed",
                "the query string is not valid URL encoding",
            )
        })?;
        let mut out = ListQuery {
            top: DEFAULT_PAGE,
            ..ListQuery::default()
        };
        for (name, value) in pairs {
            match name.as_str() {
                "$filter" => out.filter = Some(value),
                "$top" => {
                    let top = parse_number("$top", &value, 1)?;
                    out.top = top.min(MAX_PAGE);
                    out.top_given = true;
                }
                "$skip" => out.skip = parse_number("$skip", &value, 0)?,
                _ => out.others.push((name, value)),
            }
        }
        Ok(out)
    }

    /// The value of another query parameter.
    pub fn other(&self, name: &str) -> Option<&str> {
        self.others
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_number(name: &str, value: &str, min: usize) -> Result<usize, ApiError> {
    match value.trim().parse::<i64>() {
        Ok(n) if n >= min as i64 && n <= i64::from(i32::MAX) => Ok(n as usize),
        _ => Err(ApiError::invalid_field(
            name,
            "Range",
            format!(
                "{name} must be a whole number from {min} to {}, got '{value}'",
                i32::MAX
            ),
        )),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ListQuery::parse(parts.uri.query().unwrap_or(""))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paging_and_keeps_the_rest() {
        let q = ListQuery::parse(
            "api-version=2017-03-01&%24top=5&$skip=10&$filter=name%20eq%20%27a%27",
        )
        .unwrap();
        assert_eq!(
            (q.top, q.skip, q.filter.as_deref()),
            (5, 10, Some("name eq 'a'"))
        );
        assert_eq!(q.other("api-version"), Some("2017-03-01"));
        assert_eq!(ListQuery::parse("$top=10000").unwrap().top, MAX_PAGE);
        assert_eq!(ListQuery::parse("").unwrap().top, DEFAULT_PAGE);
    }

    #[test]
    fn refuses_bad_numbers() {
        for q in [
            "$top=0",
            "$top=-1",
            "$top=x",
            "$skip=-1",
            "$skip=1.5",
            "$top=99999999999",
        ] {
            let err = ListQuery::parse(q).unwrap_err();
            assert!(
                err.details[0].target.as_deref().unwrap().starts_with('$'),
                "{q}"
            );
        }
    }
}
