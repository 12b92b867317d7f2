//! The body transforms on a call: `find-and-replace`, `redirect-content-urls`, `json-to-xml`
//! and `xml-to-json` change the request (inbound, backend) or the response (outbound,
//! on-error). Bodies are read as UTF-8 text (invalid bytes replaced, as .NET reads a body
//! as a string); a body with nothing to change is passed on byte for byte.
//!
//! `redirect-content-urls` rewrites URLs under the backend's base URL (the one the call is
//! sent to: `serviceUrl` or `set-backend-service`) into URLs under the API's gateway URL
//! (the caller's scheme and `Host`, then the API's path) in the response body, and the reverse
//! in the request body. Scheme and host compare without regard to case, the path exactly; a
//! match must end where the URL's path segment does (`/base` matches `/base/items` and
//! `/base?x`, not `/basement`). As Azure documents, headers (`Location`) are not changed.

use axum::body::Bytes;
use http_body_util::BodyExt;
use tollgate_policy::SectionKind;
use tollgate_policy::pipeline::{
    JAVASCRIPT_FRIENDLY, JsonToXml, JsonToXmlOptions, Step, Text, XmlToJson, json_to_xml_text,
    xml_to_json_text,
};

use super::browser::{flag, is_media};
use super::flow::Content;
use super::steps::{Side, set_response_body, side};
use super::{Ended, Env, Failure, MAX_BODY};

/// Whether an `Accept` header's values ask for a media type of `subtype` (wildcards and
/// `q=0` do not).
fn accepts(values: &[String], subtype: &str) -> bool {
    values.iter().flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("");
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        quality > 0.0 && is_media(media, subtype)
    })
}

/// A URL prefix as text: `scheme://host[:port]path`, the port written when it is not the
/// scheme's default; with `explicit`, the default port is written too.
fn url_text(scheme: &str, host: &str, port: i32, path: &str, explicit: bool) -> String {
    let default = if scheme == "https" { 443 } else { 80 };
    match port == default && !explicit {
        true => format!("{scheme}://{host}{path}"),
        false => format!("{scheme}://{host}:{port}{path}"),
    }
}

/// Replaces every occurrence of the URL prefix `from` in `text` with `to`: scheme and
/// authority compared without regard to ASCII case, the path exactly; an occurrence must not
/// continue a longer scheme before it nor a longer path segment (or port) after it. `None`
/// when nothing matched.
fn replace_url_prefix(text: &str, from: &str, to: &str) -> Option<String> {
    let authority_end = from
        .find("://")
        .map(|i| from[i + 3..].find('/').map_or(from.len(), |j| i + 3 + j))?;
    let (authority, path) = from.split_at(authority_end);
    let lower = text.to_ascii_lowercase();
    let needle = authority.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let scheme_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.');
    let continues = |b: u8| b.is_ascii_alphanumeric() || b"-._~%:@+".contains(&b);
    let mut out = String::new();
    let mut last = 0;
    let mut changed = false;
    for (at, _) in lower.match_indices(&needle) {
        let end = at + needle.len() + path.len();
        let matched = at >= last
            && (at == 0 || !scheme_char(bytes[at - 1]))
            && text
                .get(at + needle.len()..)
                .is_some_and(|rest| rest.starts_with(path))
            && bytes.get(end).is_none_or(|b| !continues(*b));
        if matched {
            out.push_str(&text[last..at]);
            out.push_str(to);
            last = end;
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

impl Env<'_> {
    /// The body of the message a section changes, read whole (`None`: no response yet).
    async fn message_body(&mut self, side: Side) -> Result<Option<Bytes>, Failure> {
        match side {
            Side::Request => {
                let body =
                    std::mem::replace(&mut self.flow.request_body, Content::Bytes(Bytes::new()));
                let bytes = match body {
                    Content::Bytes(bytes) => bytes,
                    Content::Stream(stream) => http_body_util::Limited::new(stream, MAX_BODY)
                        .collect()
                        .await
                        .map_err(|e| Failure {
                            source: "inbound".to_owned(),
                            reason: "RequestBodyRead",
                            message: format!("the request body could not be read: {e}"),
                            answered: false,
                        })?
                        .to_bytes(),
                };
                self.flow.request_body = Content::Bytes(bytes.clone());
                Ok(Some(bytes))
            }
            Side::Response => {
                if self.flow.ctx.response.is_none() {
                    return Ok(None);
                }
                self.read_response_body().await?;
                Ok(match &self.flow.response_body {
                    Some(Content::Bytes(bytes)) => Some(bytes.clone()),
                    _ => None,
                })
            }
        }
    }

    /// Replaces the body of a message (and its `Content-Type`, when given).
    fn replace_body(&mut self, side: Side, body: Bytes, content_type: Option<&str>) {
        let content_type = content_type.map(|t| vec![t.to_owned()]);
        match side {
            Side::Request => {
                let request = &mut self.flow.ctx.request;
                request.body = Some(String::from_utf8_lossy(&body).into());
                if let Some(t) = content_type {
                    request.headers.set("Content-Type", t);
                }
                self.flow.request_body = Content::Bytes(body);
            }
            Side::Response => {
                set_response_body(&mut self.flow, body);
                if let (Some(t), Some(response)) = (content_type, self.flow.ctx.response.as_mut()) {
                    response.headers.set("Content-Type", t);
                }
            }
        }
    }

    /// `find-and-replace`: every occurrence of `from` in the body becomes `to`.
    pub(super) async fn find_and_replace(
        &mut self,
        step: &Step,
        section: SectionKind,
        from: &Text,
        to: &Text,
    ) -> Result<Ended, Failure> {
        let from = self.text(step, from)?;
        if from.is_empty() {
            let message = "'from' of find-and-replace must not be empty";
            return Err(Failure::new(step, "InvalidValue", message));
        }
        let to = self.text(step, to)?;
        let side = side(section);
        let Some(body) = self.message_body(side).await? else {
            return Ok(Ended::Through);
        };
        let text = String::from_utf8_lossy(&body);
        if text.contains(&from) {
            let replaced = text.replace(&from, &to);
            self.replace_body(side, replaced.into(), None);
        }
        Ok(Ended::Through)
    }

    /// `redirect-content-urls` (see the module's documentation).
    pub(super) async fn redirect_content_urls(
        &mut self,
        section: SectionKind,
    ) -> Result<Ended, Failure> {
        let base = &self.flow.base;
        let backend = [false, true]
            .map(|explicit| url_text(&base.scheme, &base.host, base.port, &base.path, explicit));
        let original = &self.flow.ctx.request.original_url;
        let api_path = self.flow.ctx.api.path.trim_matches('/');
        let path = match api_path {
            "" => String::new(),
            p => format!("/{p}"),
        };
        let gateway = [false, true].map(|explicit| {
            url_text(
                &original.scheme,
                &original.host,
                original.port,
                &path,
                explicit,
            )
        });
        let side = side(section);
        let (from, to) = match side {
            Side::Response => (backend, &gateway[0]),
            Side::Request => (gateway.clone(), &backend[0]),
        };
        let Some(body) = self.message_body(side).await? else {
            return Ok(Ended::Through);
        };
        let mut text = String::from_utf8_lossy(&body).into_owned();
        let mut changed = false;
        for from in from.iter().filter(|f| *f != to) {
            if let Some(replaced) = replace_url_prefix(&text, from, to) {
                text = replaced;
                changed = true;
            }
        }
        if changed {
            self.replace_body(side, text.into(), None);
        }
        Ok(Ended::Through)
    }

    /// Evaluates `apply` against its allowed values.
    fn apply(&mut self, step: &Step, apply: &Text, converted: &str) -> Result<bool, Failure> {
        let value = self.text(step, apply)?;
        match value.trim().to_ascii_lowercase() {
            v if v == "always" => Ok(true),
            v if v == format!("content-type-{converted}") => Ok(false),
            _ => Err(Failure::new(
                step,
                "InvalidValue",
                format!("'apply' must be always or content-type-{converted}, not '{value}'"),
            )),
        }
    }

    /// Whether a conversion from `from` to `to` (`json`, `xml`) applies to this message:
    /// `always`, or its `Content-Type` is of `from`; and, when `consider-accept-header`, the
    /// request's `Accept` asks for `to`.
    fn converts(
        &mut self,
        step: &Step,
        side: Side,
        (apply, consider): (&Text, &Text),
        (from, to): (&str, &str),
    ) -> Result<bool, Failure> {
        let always = self.apply(step, apply, from)?;
        let consider = self.text(step, consider)?;
        let consider = flag(step, "consider-accept-header", &consider)?;
        let headers = match side {
            Side::Request => &self.flow.ctx.request.headers,
            Side::Response => match &self.flow.ctx.response {
                Some(response) => &response.headers,
                None => return Ok(false),
            },
        };
        let typed = headers
            .get("Content-Type")
            .iter()
            .any(|t| is_media(t, from));
        let accepted = accepts(&self.flow.ctx.request.headers.get("Accept"), to);
        Ok((always || typed) && (!consider || accepted))
    }

    /// `json-to-xml`.
    pub(super) async fn json_to_xml(
        &mut self,
        step: &Step,
        section: SectionKind,
        j: &JsonToXml,
    ) -> Result<Ended, Failure> {
        let side = side(section);
        let settings = (&j.apply, &j.consider_accept_header);
        if !self.converts(step, side, settings, ("json", "xml"))? {
            return Ok(Ended::Through);
        }
        let separator = self.text(step, &j.namespace_separator)?;
        let mut chars = separator.chars();
        let (Some(namespace_separator), None) = (chars.next(), chars.next()) else {
            let message = format!("'namespace-separator' must be one character, not '{separator}'");
            return Err(Failure::new(step, "InvalidValue", message));
        };
        let mut optional = |text: &Option<Text>| match text {
            Some(t) => self.text(step, t).map(Some),
            None => Ok(None),
        };
        let options = JsonToXmlOptions {
            parse_date: j.parse_date,
            namespace_separator,
            namespace_prefix: optional(&j.namespace_prefix)?,
            attribute_block_name: optional(&j.attribute_block_name)?,
        };
        let Some(body) = self.message_body(side).await? else {
            return Ok(Ended::Through);
        };
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Ended::Through);
        }
        let xml = json_to_xml_text(&String::from_utf8_lossy(&body), &options)
            .map_err(|m| Failure::new(step, "JsonToXmlConversionFailure", m))?;
        self.replace_body(side, xml.into(), Some("application/xml"));
        Ok(Ended::Through)
    }

    /// `xml-to-json` (`kind="direct"`).
    pub(super) async fn xml_to_json(
        &mut self,
        step: &Step,
        section: SectionKind,
        x: &XmlToJson,
    ) -> Result<Ended, Failure> {
        let kind = self.text(step, &x.kind)?;
        match kind.trim().to_ascii_lowercase().as_str() {
            "direct" => {}
            "javascript-friendly" => {
                return Err(Failure::new(step, "NotSupported", JAVASCRIPT_FRIENDLY));
            }
            _ => {
                let message = format!("'kind' must be direct or javascript-friendly, not '{kind}'");
                return Err(Failure::new(step, "InvalidValue", message));
            }
        }
        let side = side(section);
        let settings = (&x.apply, &x.consider_accept_header);
        if !self.converts(step, side, settings, ("xml", "json"))? {
            return Ok(Ended::Through);
        }
        let always_array = self.text(step, &x.always_array_child_elements)?;
        let always_array = flag(step, "always-array-child-elements", &always_array)?;
        let Some(body) = self.message_body(side).await? else {
            return Ok(Ended::Through);
        };
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Ended::Through);
        }
        let json = xml_to_json_text(&String::from_utf8_lossy(&body), always_array)
            .map_err(|m| Failure::new(step, "XmlToJsonConversionFailure", m))?;
        self.replace_body(side, json.into(), Some("application/json"));
        Ok(Ended::Through)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers() {
        let a = |v: &str| vec![v.to_owned()];
        assert!(accepts(&a("text/html, application/xml;q=0.9"), "xml"));
        assert!(accepts(&a("application/soap+xml"), "xml"));
        assert!(!accepts(&a("application/xml;q=0"), "xml"));
        assert!(!accepts(&a("*/*"), "xml"));
        assert!(!accepts(&[], "json"));
    }

    #[test]
    fn url_prefixes_are_replaced_at_boundaries() {
        let from = "http://backend:8080/base";
        let to = "https://gw.example.com/shop";
        let text = r#"{"self": "http://backend:8080/base/items/1", "up": "HTTP://Backend:8080/base",
            "q": "http://backend:8080/base?x=1", "other": "http://backend:8080/basement",
            "port": "http://backend:80800/base", "case": "http://backend:8080/Base/x",
            "scheme": "xhttp://backend:8080/base"}"#;
        let out = replace_url_prefix(text, from, to).unwrap();
        assert_eq!(
            out,
            r#"{"self": "https://gw.example.com/shop/items/1", "up": "https://gw.example.com/shop",
            "q": "https://gw.example.com/shop?x=1", "other": "http://backend:8080/basement",
            "port": "http://backend:80800/base", "case": "http://backend:8080/Base/x",
            "scheme": "xhttp://backend:8080/base"}"#
        );
        assert_eq!(replace_url_prefix("nothing here", from, to), None);
        // A base without a path: another port is another server.
        let out = replace_url_prefix(
            "http://b/x http://b:81/x http://b.evil/x http://b",
            "http://b",
            "http://g/api",
        );
        assert_eq!(
            out.unwrap(),
            "http://g/api/x http://b:81/x http://b.evil/x http://g/api"
        );
        assert_eq!(url_text("http", "b", 80, "", false), "http://b");
        assert_eq!(url_text("http", "b", 80, "/p", true), "http://b:80/p");
        assert_eq!(url_text("https", "b", 8443, "", false), "https://b:8443");
    }
}
