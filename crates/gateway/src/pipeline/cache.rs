//! The caching statements on a call: responses (`cache-lookup`, `cache-store`) and values
//! (`cache-lookup-value`, `cache-store-value`, `cache-remove-value`), in the node's cache.

use std::time::Duration;

use axum::http::StatusCode;
use tollgate_policy::csharp::{Headers, Value};
use tollgate_policy::pipeline::{CacheLookup, Downstream, Step, Text};

use super::flow::Content;
use super::{Ended, Env, Failure};
use crate::cache::{Cached, CachedResponse};

/// Where `cache-store` stores the response, as `cache-lookup` decided.
pub(super) struct Noted {
    key: String,
    downstream: Downstream,
    must_revalidate: bool,
}

/// A duration in whole seconds, as `cache-store` and `cache-store-value` take it.
fn seconds(step: &Step, text: &str) -> Result<Duration, Failure> {
    text.trim()
        .parse::<u64>()
        .map(Duration::from_secs)
        .map_err(|_| {
            let message = format!("duration must be a whole number of seconds, not '{text}'");
            Failure::new(step, "InvalidDuration", message)
        })
}

/// `Cache-Control` for downstream caches.
fn cache_control(noted: &Noted, ttl: Duration) -> Option<String> {
    let kind = match noted.downstream {
        Downstream::None => return None,
        Downstream::Private => "private",
        Downstream::Public => "public",
    };
    let revalidate = if noted.must_revalidate {
        ", must-revalidate"
    } else {
        ""
    };
    Some(format!("{kind}, max-age={}{revalidate}", ttl.as_secs()))
}

impl Env<'_> {
    /// `cache-lookup`: GET calls only, and calls with `Authorization` only when private
    /// caching is allowed. A hit answers; a miss notes the key for `cache-store`.
    pub(super) fn cache_lookup(
        &mut self,
        step: &Step,
        lookup: &CacheLookup,
    ) -> Result<Ended, Failure> {
        let request = &self.flow.ctx.request;
        if request.method != "GET" {
            return Ok(Ended::Through);
        }
        let authorized = !request.headers.get("Authorization").is_empty();
        let allowed = match &lookup.allow_private {
            None => false,
            Some(text) => matches!(self.value(step, text)?, Value::Bool(true)),
        };
        if authorized && !allowed {
            return Ok(Ended::Through);
        }
        let request = &self.flow.ctx.request;
        let mut key = format!(
            "response|{}|{}|{}",
            self.admitted.api_id, self.admitted.operation_id, request.url.path
        );
        for name in &lookup.query {
            let values = request
                .url
                .query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.join(","));
            key.push_str(&format!("|q:{name}={}", values.unwrap_or_default()));
        }
        for name in &lookup.headers {
            key.push_str(&format!(
                "|h:{name}={}",
                request.headers.get(name).join(",")
            ));
        }
        if lookup.vary_by_developer {
            let user = self.flow.ctx.user.as_ref().map(|u| u.id.as_str());
            key.push_str(&format!("|u:{}", user.unwrap_or_default()));
        }
        if lookup.vary_by_developer_groups {
            let mut groups: Vec<String> = self
                .flow
                .ctx
                .user
                .iter()
                .flat_map(|u| u.groups.iter().map(|g| g.id.to_lowercase()))
                .collect();
            groups.sort();
            key.push_str(&format!("|g:{}", groups.join(",")));
        }
        let noted = Noted {
            key,
            downstream: lookup.downstream,
            must_revalidate: lookup.must_revalidate,
        };
        if let Some((Cached::Response(hit), left)) = self.gateway.cache().get(&noted.key) {
            self.call.record.cache = "hit".to_owned();
            let status = StatusCode::from_u16(hit.status).unwrap_or(StatusCode::OK);
            self.flow.respond(status);
            let mut headers = Headers::from(hit.headers);
            if let Some(value) = cache_control(&noted, left) {
                headers.set("Cache-Control", vec![value]);
            }
            if let Some(response) = self.flow.ctx.response.as_mut() {
                response.headers = headers;
            }
            super::steps::set_response_body(&mut self.flow, hit.body);
            return Ok(Ended::Answered);
        }
        self.call.record.cache = "miss".to_owned();
        self.noted = Some(noted);
        Ok(Ended::Through)
    }

    /// `cache-store`: the response (200 OK, or any status with `cache-response`) where
    /// `cache-lookup` noted.
    pub(super) fn cache_store(
        &mut self,
        step: &Step,
        duration: &Text,
        cache_response: Option<&Text>,
    ) -> Result<Ended, Failure> {
        let Some(noted) = self.noted.take() else {
            return Ok(Ended::Through);
        };
        let ttl = seconds(step, &self.text(step, duration)?)?;
        let any_status = match cache_response {
            None => false,
            Some(text) => matches!(self.value(step, text)?, Value::Bool(true)),
        };
        let (Some(response), Some(Content::Bytes(body))) = (
            self.flow.ctx.response.as_mut(),
            self.flow.response_body.as_ref(),
        ) else {
            return Ok(Ended::Through);
        };
        if response.status_code != 200 && !any_status {
            return Ok(Ended::Through);
        }
        if let Some(value) = cache_control(&noted, ttl) {
            response.headers.set("Cache-Control", vec![value]);
        }
        let cached = CachedResponse {
            status: u16::try_from(response.status_code).unwrap_or(200),
            headers: response
                .headers
                .iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            body: body.clone(),
        };
        self.gateway
            .cache()
            .put(&noted.key, Cached::Response(cached), ttl);
        Ok(Ended::Through)
    }

    /// `cache-lookup-value`: the value into a variable, else the default (if any).
    pub(super) fn cache_lookup_value(
        &mut self,
        step: &Step,
        key: &Text,
        default: Option<&Text>,
        variable: &str,
    ) -> Result<Ended, Failure> {
        let key = format!("value|{}", self.text(step, key)?);
        let found = match self.gateway.cache().get(&key) {
            Some((Cached::Value(v), _)) => Some(v),
            _ => default.map(|d| self.value(step, d)).transpose()?,
        };
        if let Some(value) = found {
            self.flow.ctx.variables.insert(variable.to_owned(), value);
        }
        Ok(Ended::Through)
    }

    /// `cache-store-value`.
    pub(super) fn cache_store_value(
        &mut self,
        step: &Step,
        key: &Text,
        value: &Text,
        duration: &Text,
    ) -> Result<Ended, Failure> {
        let key = format!("value|{}", self.text(step, key)?);
        let value = self.value(step, value)?;
        let ttl = seconds(step, &self.text(step, duration)?)?;
        self.gateway.cache().put(&key, Cached::Value(value), ttl);
        Ok(Ended::Through)
    }

    /// `cache-remove-value`.
    pub(super) fn cache_remove_value(&mut self, step: &Step, key: &Text) -> Result<Ended, Failure> {
        let key = format!("value|{}", self.text(step, key)?);
        self.gateway.cache().remove(&key);
        Ok(Ended::Through)
    }
}
