//! `validate-jwt`: its attributes and children read and checked when the policy is compiled.
//! Literal settings are parsed here (a bad one is refused with the policy); settings given as
//! expressions are parsed per call, by the same functions.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

use super::compile::known_attributes;
use super::text::{NamedValues, Text};
use crate::error::PolicyError;
use crate::tree::Element;

/// Where the token is read from (exactly one of `header-name`, `query-parameter-name`,
/// `token-value`).
#[derive(Debug)]
pub enum TokenSource {
    /// A request header (its scheme, `Bearer …`, is taken off).
    Header(Text),
    /// A query parameter of the request.
    Query(Text),
    /// An expression's value: the token itself.
    Value(Text),
}

/// A setting that is fixed when written literally, or computed per call by an expression.
#[derive(Debug)]
pub enum Setting<T> {
    /// Parsed when the policy was compiled.
    Fixed(T),
    /// Evaluated per call, then parsed as a literal would be.
    Computed(Text),
}

/// A key of `<issuer-signing-keys>`.
#[derive(Debug)]
pub struct SigningKey {
    /// `id`: the `kid` it answers to.
    pub id: Option<String>,
    /// The key.
    pub material: KeyMaterial,
}

/// What a `<key>` holds.
#[derive(Debug)]
pub enum KeyMaterial {
    /// A symmetric key, base64 (HS256/384/512).
    Symmetric(Text),
    /// An RSA public key: modulus and exponent, base64url (RS256/384/512, PS256/384/512).
    Rsa {
        /// `n`.
        n: String,
        /// `e`.
        e: String,
    },
    /// The public key of an uploaded certificate, by its id (`certificate-id`).
    Certificate(String),
}

/// A `<claim>` of `<required-claims>`.
#[derive(Debug)]
pub struct RequiredClaim {
    /// The claim's name.
    pub name: String,
    /// `match="all"` (the default): every value must be present; else any one.
    pub match_all: bool,
    /// `separator`: splits a claim's value into several.
    pub separator: Option<String>,
    /// The values; none: the claim need only be present.
    pub values: Vec<Text>,
}

/// `validate-jwt`'s parameters.
#[derive(Debug)]
pub struct ValidateJwt {
    /// Where the token is.
    pub source: TokenSource,
    /// `failed-validation-httpcode` (default 401).
    pub failed_status: Setting<u16>,
    /// `failed-validation-error-message` (default: Azure's message for the failure).
    pub failed_message: Option<Text>,
    /// `require-expiration-time` (default true).
    pub require_expiration_time: Setting<bool>,
    /// `require-scheme`: the scheme the `Authorization` header must use.
    pub require_scheme: Option<Text>,
    /// `require-signed-tokens` (default true).
    pub require_signed_tokens: Setting<bool>,
    /// `clock-skew`, in seconds (default 0).
    pub clock_skew: Setting<u64>,
    /// `output-token-variable-name`: the variable that receives the token as a `Jwt`.
    pub output_variable: Option<String>,
    /// `<openid-config url>`s, absolute http(s) URLs.
    pub openid_configs: Vec<String>,
    /// `<issuer-signing-keys>`.
    pub keys: Vec<SigningKey>,
    /// `<audiences>`: accepted `aud` values (none: not checked).
    pub audiences: Vec<Text>,
    /// `<issuers>`: accepted `iss` values (with those of the OpenID configurations; none: not
    /// checked).
    pub issuers: Vec<Text>,
    /// `<required-claims>`.
    pub required_claims: Vec<RequiredClaim>,
}

impl ValidateJwt {
    /// Whether running it may read the request body.
    pub fn reads_body(&self) -> bool {
        let source = match &self.source {
            TokenSource::Header(t) | TokenSource::Query(t) | TokenSource::Value(t) => t,
        };
        fn computed<T>(s: &Setting<T>) -> bool {
            matches!(s, Setting::Computed(t) if t.reads_body())
        }
        let keys = self.keys.iter().any(|k| match &k.material {
            KeyMaterial::Symmetric(t) => t.reads_body(),
            KeyMaterial::Rsa { .. } | KeyMaterial::Certificate(_) => false,
        });
        source.reads_body()
            || computed(&self.failed_status)
            || computed(&self.require_expiration_time)
            || computed(&self.require_signed_tokens)
            || computed(&self.clock_skew)
            || self.failed_message.as_ref().is_some_and(Text::reads_body)
            || self.require_scheme.as_ref().is_some_and(Text::reads_body)
            || keys
            || self.audiences.iter().any(Text::reads_body)
            || self.issuers.iter().any(Text::reads_body)
            || self
                .required_claims
                .iter()
                .any(|c| c.values.iter().any(Text::reads_body))
    }
}

/// Parses a status code (100–599).
pub fn parse_status(text: &str) -> Option<u16> {
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|s| (100..=599).contains(s))
}

/// Parses `true` or `false` (any case).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        t if t.eq_ignore_ascii_case("true") => Some(true),
        t if t.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Parses a clock skew: whole seconds (`300`), or a .NET time span (`00:05:00`, `1.00:00:00`).
pub fn parse_clock_skew(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Ok(seconds) = t.parse::<u64>() {
        return Some(seconds);
    }
    let (days, rest) = match t.split_once('.') {
        Some((d, rest)) if rest.contains(':') && !d.contains(':') => (d.parse::<u64>().ok()?, rest),
        _ => (0, t),
    };
    let mut parts = rest.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some(((days * 24 + h) * 60 + m) * 60 + s)
}

/// Decodes a base64 symmetric key (standard or URL-safe alphabet, padded or not); `None` when
/// it is not base64 or empty.
pub fn decode_symmetric_key(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(t).ok())
        .filter(|k| !k.is_empty())
}

fn fail<T>(line: usize, message: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError::new(message, line, 1))
}

/// Reads a `<validate-jwt>` element.
pub(super) fn compile(e: &Element, named: &NamedValues) -> Result<ValidateJwt, PolicyError> {
    known_attributes(e, ATTRIBUTES)?;
    let text = |el: &Element, raw: &str| {
        Text::compile(raw, named).or_else(|m| fail(el.line, format!("<{}>: {m}", el.name)))
    };
    let attr = |name: &str| e.attribute(name).map(|v| text(e, v)).transpose();
    let sources = [
        ("header-name", attr("header-name")?.map(TokenSource::Header)),
        (
            "query-parameter-name",
            attr("query-parameter-name")?.map(TokenSource::Query),
        ),
        ("token-value", attr("token-value")?.map(TokenSource::Value)),
    ];
    let mut given = sources.into_iter().filter_map(|(_, s)| s);
    let (Some(source), None) = (given.next(), given.next()) else {
        return fail(
            e.line,
            "<validate-jwt> needs exactly one of 'header-name', 'query-parameter-name' and 'token-value'",
        );
    };
    let mut v = ValidateJwt {
        source,
        failed_status: setting(
            e,
            named,
            "failed-validation-httpcode",
            parse_status,
            "an HTTP status code",
            401,
        )?,
        failed_message: attr("failed-validation-error-message")?,
        require_expiration_time: setting_bool(e, named, "require-expiration-time")?,
        require_scheme: attr("require-scheme")?,
        require_signed_tokens: setting_bool(e, named, "require-signed-tokens")?,
        clock_skew: setting(
            e,
            named,
            "clock-skew",
            parse_clock_skew,
            "a number of seconds or a time span (00:05:00)",
            0,
        )?,
        output_variable: e.attribute("output-token-variable-name").map(str::to_owned),
        openid_configs: Vec::new(),
        keys: Vec::new(),
        audiences: Vec::new(),
        issuers: Vec::new(),
        required_claims: Vec::new(),
    };
    if v.output_variable
        .as_deref()
        .is_some_and(|n| n.trim().is_empty())
    {
        return fail(e.line, "output-token-variable-name must not be empty");
    }
    for child in e.elements() {
        match child.name.as_str() {
            "openid-config" => v.openid_configs.push(openid_url(child, named)?),
            "issuer-signing-keys" => {
                for key in only(child, "key")? {
                    v.keys.push(signing_key(key, named)?);
                }
            }
            "audiences" => {
                for a in only(child, "audience")? {
                    v.audiences.push(text(a, a.text().trim())?);
                }
            }
            "issuers" => {
                for i in only(child, "issuer")? {
                    v.issuers.push(text(i, i.text().trim())?);
                }
            }
            "required-claims" => {
                for c in only(child, "claim")? {
                    v.required_claims.push(required_claim(c, named)?);
                }
            }
            "decryption-keys" | "zumo-master-key" => {
                return fail(
                    child.line,
                    format!(
                        "<{}> of <validate-jwt> is not supported by Tollgate yet",
                        child.name
                    ),
                );
            }
            other => {
                return fail(
                    child.line,
                    format!(
                        "<validate-jwt> holds <openid-config>, <issuer-signing-keys>, <audiences>, <issuers> and <required-claims>, not <{other}>"
                    ),
                );
            }
        }
    }
    Ok(v)
}

/// The attributes `<validate-jwt>` knows.
pub(super) const ATTRIBUTES: &[&str] = &[
    "header-name",
    "query-parameter-name",
    "token-value",
    "failed-validation-httpcode",
    "failed-validation-error-message",
    "require-expiration-time",
    "require-scheme",
    "require-signed-tokens",
    "clock-skew",
    "output-token-variable-name",
];

/// A setting: absent (the default), literal (parsed now) or an expression (parsed per call).
fn setting<T>(
    e: &Element,
    named: &NamedValues,
    name: &str,
    parse: fn(&str) -> Option<T>,
    what: &str,
    default: T,
) -> Result<Setting<T>, PolicyError> {
    let Some(raw) = e.attribute(name) else {
        return Ok(Setting::Fixed(default));
    };
    match Text::compile(raw, named).or_else(|m| fail(e.line, format!("<{}>: {m}", e.name)))? {
        Text::Lit(s) => match parse(&s) {
            Some(value) => Ok(Setting::Fixed(value)),
            None => fail(
                e.line,
                format!("attribute '{name}' of <validate-jwt> must be {what}, not '{s}'"),
            ),
        },
        code => Ok(Setting::Computed(code)),
    }
}

fn setting_bool(
    e: &Element,
    named: &NamedValues,
    name: &str,
) -> Result<Setting<bool>, PolicyError> {
    setting(e, named, name, parse_bool, "true or false", true)
}

/// The children of `parent`, which must all be `<name>` elements.
fn only<'e>(parent: &'e Element, name: &str) -> Result<Vec<&'e Element>, PolicyError> {
    parent
        .elements()
        .map(|c| {
            if c.name == name {
                Ok(c)
            } else {
                fail(
                    c.line,
                    format!("<{}> holds only <{name}> elements", parent.name),
                )
            }
        })
        .collect()
}

/// `<openid-config url>`: an absolute http(s) URL, literal (named values substituted).
fn openid_url(e: &Element, named: &NamedValues) -> Result<String, PolicyError> {
    known_attributes(e, &["url"])?;
    let Some(raw) = e.attribute("url") else {
        return fail(e.line, "<openid-config> needs the attribute 'url'");
    };
    let url = match Text::compile(raw, named).or_else(|m| fail(e.line, m))? {
        Text::Lit(url) => url.trim().to_owned(),
        Text::Code { .. } => {
            return fail(e.line, "the url of <openid-config> cannot be an expression");
        }
    };
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !url.contains(char::is_whitespace) => {
            Ok(url)
        }
        _ => fail(
            e.line,
            format!(
                "the url of <openid-config> must be an absolute http or https URL, not '{url}'"
            ),
        ),
    }
}

/// A `<key>`: base64 symmetric key text, `n` and `e` of an RSA key, or an uploaded
/// certificate's id.
fn signing_key(e: &Element, named: &NamedValues) -> Result<SigningKey, PolicyError> {
    known_attributes(e, &["id", "n", "e", "certificate-id"])?;
    let id = e.attribute("id").map(str::to_owned);
    let body = e.text();
    if let Some(certificate) = e.attribute("certificate-id") {
        if e.attribute("n").is_some() || e.attribute("e").is_some() || !body.trim().is_empty() {
            return fail(e.line, "a <key certificate-id> has no 'n', 'e' or text");
        }
        let material = KeyMaterial::Certificate(certificate.trim().to_owned());
        return Ok(SigningKey { id, material });
    }
    let material = match (e.attribute("n"), e.attribute("e")) {
        (None, None) => {
            let key = Text::compile(body.trim(), named)
                .or_else(|m| fail(e.line, format!("<key>: {m}")))?;
            if let Text::Lit(k) = &key
                && decode_symmetric_key(k).is_none()
            {
                return fail(
                    e.line,
                    "a <key> of <validate-jwt> must be a base64 encoded key",
                );
            }
            KeyMaterial::Symmetric(key)
        }
        (Some(n), Some(exponent)) if body.trim().is_empty() => {
            for (name, value) in [("n", n), ("e", exponent)] {
                if URL_SAFE_NO_PAD
                    .decode(value.trim().trim_end_matches('='))
                    .map_or(true, |b| b.is_empty())
                {
                    return fail(
                        e.line,
                        format!("'{name}' of <key> must be base64url encoded, not '{value}'"),
                    );
                }
            }
            KeyMaterial::Rsa {
                n: n.trim().trim_end_matches('=').to_owned(),
                e: exponent.trim().trim_end_matches('=').to_owned(),
            }
        }
        (Some(_), Some(_)) => {
            return fail(e.line, "a <key> with 'n' and 'e' holds no text");
        }
        _ => return fail(e.line, "a <key> needs both 'n' and 'e'"),
    };
    Ok(SigningKey { id, material })
}

/// A `<claim name match separator>` with its `<value>`s.
fn required_claim(e: &Element, named: &NamedValues) -> Result<RequiredClaim, PolicyError> {
    known_attributes(e, &["name", "match", "separator"])?;
    let Some(name) = e.attribute("name").filter(|n| !n.trim().is_empty()) else {
        return fail(e.line, "<claim> needs the attribute 'name'");
    };
    let match_all = match e.attribute("match").map(str::trim) {
        None => true,
        Some(m) if m.eq_ignore_ascii_case("all") => true,
        Some(m) if m.eq_ignore_ascii_case("any") => false,
        Some(m) => return fail(e.line, format!("match must be all or any, not '{m}'")),
    };
    let mut values = Vec::new();
    for value in only(e, "value")? {
        values.push(
            Text::compile(&value.text(), named)
                .or_else(|m| fail(value.line, format!("<value>: {m}")))?,
        );
    }
    Ok(RequiredClaim {
        name: name.to_owned(),
        match_all,
        separator: e
            .attribute("separator")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{StepKind, compile as compile_scope};
    use crate::structure::ScopeKind;
    use crate::{PolicyDocument, PolicyFormat};

    fn compile_jwt(inner: &str) -> Result<ValidateJwt, String> {
        let xml = format!("<policies><inbound>{inner}</inbound></policies>");
        let doc = PolicyDocument::parse(&xml, PolicyFormat::Xml).map_err(|e| e.to_string())?;
        let mut named = NamedValues::default();
        named.insert(
            "signing-key",
            "c2VjcmV0LWtleS0xMjM0NTY3ODkwMTIzNDU2Nzg5MA==",
        );
        let policy = doc.policy(ScopeKind::Api).map_err(|e| e.to_string())?;
        let scope = compile_scope(&policy, ScopeKind::Api, &named).map_err(|e| e.message)?;
        let Some(Some(items)) = scope.sections.into_iter().next() else {
            return Err("no inbound".into());
        };
        match items.into_iter().next() {
            Some(crate::pipeline::Item::Step(step)) => match std::sync::Arc::try_unwrap(step) {
                Ok(step) => match step.kind {
                    StepKind::ValidateJwt(v) => Ok(*v),
                    other => Err(format!("{other:?}")),
                },
                Err(_) => Err("shared".into()),
            },
            _ => Err("no step".into()),
        }
    }

    #[test]
    fn a_full_statement_compiles() {
        let v = compile_jwt(
            r#"<validate-jwt header-name="Authorization" require-scheme="Bearer" failed-validation-httpcode="403"
                 failed-validation-error-message="Nope" require-expiration-time="false" clock-skew="00:01:30"
                 output-token-variable-name="jwt">
                 <openid-config url="https://login.example.com/.well-known/openid-configuration" />
                 <issuer-signing-keys><key id="k1">{{signing-key}}</key><key n="xjlCRBqkOQ" e="AQAB" /></issuer-signing-keys>
                 <audiences><audience>api://one</audience><audience>@(context.Request.OriginalUrl.Host)</audience></audiences>
                 <issuers><issuer>https://issuer</issuer></issuers>
                 <required-claims><claim name="group" match="any" separator=","><value>a</value><value>b</value></claim>
                   <claim name="sub" /></required-claims>
               </validate-jwt>"#,
        )
        .unwrap();
        assert!(matches!(v.source, TokenSource::Header(_)));
        assert!(matches!(v.failed_status, Setting::Fixed(403)));
        assert!(matches!(v.require_expiration_time, Setting::Fixed(false)));
        assert!(matches!(v.require_signed_tokens, Setting::Fixed(true)));
        assert!(matches!(v.clock_skew, Setting::Fixed(90)));
        assert_eq!(v.output_variable.as_deref(), Some("jwt"));
        assert_eq!(v.openid_configs.len(), 1);
        assert_eq!(v.keys.len(), 2);
        assert_eq!(v.keys[0].id.as_deref(), Some("k1"));
        assert!(matches!(
            &v.keys[0].material,
            KeyMaterial::Symmetric(Text::Lit(_))
        ));
        assert!(matches!(v.audiences[1], Text::Code { .. }));
        assert_eq!(v.required_claims.len(), 2);
        assert!(!v.required_claims[0].match_all);
        assert_eq!(v.required_claims[0].separator.as_deref(), Some(","));
        assert!(v.required_claims[1].values.is_empty());
        assert!(!v.reads_body());
    }

    #[test]
    fn bad_statements_are_refused_naming_the_problem() {
        for (xml, expected) in [
            (r#"<validate-jwt />"#, "exactly one of"),
            (
                r#"<validate-jwt header-name="a" token-value="b" />"#,
                "exactly one of",
            ),
            (
                r#"<validate-jwt header-name="a" failed-validation-httpcode="99" />"#,
                "failed-validation-httpcode",
            ),
            (
                r#"<validate-jwt header-name="a" require-signed-tokens="maybe" />"#,
                "require-signed-tokens",
            ),
            (
                r#"<validate-jwt header-name="a" clock-skew="soon" />"#,
                "clock-skew",
            ),
            (
                r#"<validate-jwt header-name="a" colour="red" />"#,
                "'colour'",
            ),
            (
                r#"<validate-jwt header-name="a"><issuer-signing-keys><key>not base64!</key></issuer-signing-keys></validate-jwt>"#,
                "base64",
            ),
            (
                r#"<validate-jwt header-name="a"><issuer-signing-keys><key certificate-id="c" n="AQAB" /></issuer-signing-keys></validate-jwt>"#,
                "has no 'n', 'e' or text",
            ),
            (
                r#"<validate-jwt header-name="a"><issuer-signing-keys><key n="AQAB" /></issuer-signing-keys></validate-jwt>"#,
                "both 'n' and 'e'",
            ),
            (
                r#"<validate-jwt header-name="a"><decryption-keys><key>AAAA</key></decryption-keys></validate-jwt>"#,
                "<decryption-keys>",
            ),
            (
                r#"<validate-jwt header-name="a"><zumo-master-key>x</zumo-master-key></validate-jwt>"#,
                "<zumo-master-key>",
            ),
            (
                r#"<validate-jwt header-name="a"><openid-config url="ftp://x" /></validate-jwt>"#,
                "absolute http",
            ),
            (
                r#"<validate-jwt header-name="a"><openid-config url="https://x" validate-connectivity="true" /></validate-jwt>"#,
                "validate-connectivity",
            ),
            (
                r#"<validate-jwt header-name="a"><required-claims><claim name="x" match="most" /></required-claims></validate-jwt>"#,
                "all or any",
            ),
            (
                r#"<validate-jwt header-name="a"><audiences><issuer>x</issuer></audiences></validate-jwt>"#,
                "only <audience>",
            ),
        ] {
            let err = compile_jwt(xml).unwrap_err();
            assert!(err.contains(expected), "{xml}: {err}");
        }
    }

    #[test]
    fn settings_parse_as_azure_writes_them() {
        assert_eq!(parse_clock_skew("300"), Some(300));
        assert_eq!(parse_clock_skew("00:05:00"), Some(300));
        assert_eq!(parse_clock_skew("1.00:00:01"), Some(86_401));
        assert_eq!(parse_clock_skew("-5"), None);
        assert_eq!(parse_bool(" TRUE "), Some(true));
        assert_eq!(parse_status("401"), Some(401));
        assert_eq!(parse_status("600"), None);
        assert_eq!(decode_symmetric_key("c2VjcmV0"), Some(b"secret".to_vec()));
        assert_eq!(
            decode_symmetric_key("c2VjcmV0LQ"),
            Some(b"secret-".to_vec())
        );
        assert_eq!(decode_symmetric_key(""), None);
    }
}
