//! The caching statements: `cache-lookup`/`cache-store` (responses) and
//! `cache-lookup-value`/`cache-store-value`/`cache-remove-value` (values), read and checked.

use super::compile::{Compiler, boolean, fail, known_attributes, required};
use super::steps::StepKind;
use super::text::Text;
use crate::error::PolicyError;
use crate::tree::Element;

/// `downstream-caching-type`: what the response tells caches after the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Downstream {
    /// No `Cache-Control` from the gateway.
    None,
    /// `Cache-Control: private, max-age=…`.
    Private,
    /// `Cache-Control: public, max-age=…`.
    Public,
}

/// `cache-lookup`'s parameters.
#[derive(Debug)]
pub struct CacheLookup {
    /// `vary-by-developer`: one cache entry per user.
    pub vary_by_developer: bool,
    /// `vary-by-developer-groups`: one cache entry per set of the user's groups.
    pub vary_by_developer_groups: bool,
    /// `downstream-caching-type`.
    pub downstream: Downstream,
    /// `must-revalidate` (with downstream caching).
    pub must_revalidate: bool,
    /// `allow-private-response-caching`: cache calls that carry `Authorization`.
    pub allow_private: Option<Text>,
    /// `<vary-by-header>` names.
    pub headers: Vec<String>,
    /// `<vary-by-query-parameter>` names.
    pub query: Vec<String>,
}

/// `caching-type`: only the built-in cache exists (there is no external cache to prefer).
fn internal_only(e: &Element) -> Result<(), PolicyError> {
    match e.attribute("caching-type").map(str::trim) {
        None | Some("internal" | "prefer-external") => Ok(()),
        Some(other) => fail(
            e.line,
            format!(
                "caching-type=\"{other}\" is not supported by Tollgate: there is no external cache (internal and prefer-external use the built-in one)"
            ),
        ),
    }
}

impl Compiler<'_> {
    /// Compiles one of the five caching statements.
    pub(super) fn cache(&self, e: &Element) -> Result<StepKind, PolicyError> {
        let optional = |name: &str| e.attribute(name).map(|v| self.text(e, v)).transpose();
        Ok(match e.name.as_str() {
            "cache-lookup" => {
                known_attributes(
                    e,
                    &[
                        "vary-by-developer",
                        "vary-by-developer-groups",
                        "caching-type",
                        "downstream-caching-type",
                        "must-revalidate",
                        "allow-private-response-caching",
                    ],
                )?;
                internal_only(e)?;
                required(e, "vary-by-developer")?;
                required(e, "vary-by-developer-groups")?;
                let downstream = match e.attribute("downstream-caching-type").map(str::trim) {
                    None | Some("none") => Downstream::None,
                    Some("private") => Downstream::Private,
                    Some("public") => Downstream::Public,
                    Some(other) => {
                        return fail(
                            e.line,
                            format!(
                                "downstream-caching-type must be none, private or public, not '{other}'"
                            ),
                        );
                    }
                };
                let mut headers = Vec::new();
                let mut query = Vec::new();
                for child in e.elements() {
                    let name = child.text().trim().to_owned();
                    match child.name.as_str() {
                        "vary-by-header" => headers.push(name),
                        "vary-by-query-parameter" => query.push(name),
                        other => {
                            return fail(
                                child.line,
                                format!(
                                    "<cache-lookup> holds <vary-by-header> and <vary-by-query-parameter>, not <{other}>"
                                ),
                            );
                        }
                    }
                }
                StepKind::CacheLookup(CacheLookup {
                    vary_by_developer: boolean(e, "vary-by-developer", false)?,
                    vary_by_developer_groups: boolean(e, "vary-by-developer-groups", false)?,
                    downstream,
                    must_revalidate: boolean(e, "must-revalidate", true)?,
                    allow_private: optional("allow-private-response-caching")?,
                    headers,
                    query,
                })
            }
            "cache-store" => {
                known_attributes(e, &["duration", "cache-response", "caching-mode"])?;
                StepKind::CacheStore {
                    duration: self.attribute_text(e, "duration")?,
                    cache_response: optional("cache-response")?,
                }
            }
            "cache-lookup-value" => {
                known_attributes(
                    e,
                    &["key", "default-value", "variable-name", "caching-type"],
                )?;
                internal_only(e)?;
                StepKind::CacheLookupValue {
                    key: self.attribute_text(e, "key")?,
                    default: optional("default-value")?,
                    variable: required(e, "variable-name")?.to_owned(),
                }
            }
            "cache-store-value" => {
                known_attributes(e, &["key", "value", "duration", "caching-type"])?;
                internal_only(e)?;
                StepKind::CacheStoreValue {
                    key: self.attribute_text(e, "key")?,
                    value: self.attribute_text(e, "value")?,
                    duration: self.attribute_text(e, "duration")?,
                }
            }
            _ => {
                known_attributes(e, &["key", "caching-type"])?;
                internal_only(e)?;
                StepKind::CacheRemoveValue {
                    key: self.attribute_text(e, "key")?,
                }
            }
        })
    }
}
