//! `validate-jwt`: the call's token read (header, query parameter or expression), its signature
//! verified against the policy's keys and its OpenID configurations' keys, its lifetime,
//! audience, issuer and required claims checked. A token that does not pass answers the call
//! with `failed-validation-httpcode` and `{"statusCode", "message"}`, and raises the error
//! on-error sees (`context.LastError`: `Source` `validate-jwt`, Azure's `Reason`s).
//!
//! The token and the keys are never logged.

use std::str::FromStr;
use std::sync::Arc;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use tollgate_auth::pfx::CertificateKey;
use tollgate_policy::csharp::Jwt;
use tollgate_policy::pipeline::{
    KeyMaterial, RequiredClaim, Setting, Step, Text, TokenSource, ValidateJwt,
    decode_symmetric_key, parse_bool, parse_clock_skew, parse_status,
};

use super::{Ended, Env, Failure};
use crate::openid::{self, VerifyKey};

/// The message of a missing token (Azure's).
const NOT_PRESENT: &str = "JWT not present.";
/// The answer's message for every other failure, unless the policy gives one.
const INVALID: &str = "Invalid JWT.";

/// Why a token does not pass: `context.LastError`'s `Reason` and `Message`.
#[derive(Debug, PartialEq)]
struct Rejection {
    reason: &'static str,
    message: String,
}

fn reject(reason: &'static str, message: impl Into<String>) -> Rejection {
    Rejection {
        reason,
        message: message.into(),
    }
}

/// What a call's token is checked against, its settings evaluated.
struct Rules {
    require_expiration_time: bool,
    require_signed_tokens: bool,
    clock_skew: u64,
    keys: Vec<VerifyKey>,
    audiences: Vec<String>,
    issuers: Vec<String>,
    /// The values of each `<required-claims>` claim, in order.
    claims: Vec<Vec<String>>,
}

impl Env<'_> {
    /// Runs `validate-jwt`.
    pub(super) async fn validate_jwt(
        &mut self,
        step: &Step,
        v: &ValidateJwt,
    ) -> Result<Ended, Failure> {
        let status = self.setting(step, &v.failed_status, parse_status, "InvalidStatusCode")?;
        match self.check_token(step, v).await? {
            Ok(jwt) => {
                if let Some(name) = &v.output_variable {
                    self.flow
                        .ctx
                        .variables
                        .insert(name.clone(), jwt.into_value());
                }
                Ok(Ended::Through)
            }
            Err(rejection) => {
                let message = match &v.failed_message {
                    Some(text) => self.text(step, text)?,
                    None if rejection.reason == "TokenNotPresent" => NOT_PRESENT.to_owned(),
                    None => INVALID.to_owned(),
                };
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
                self.answer_error(status, &message);
                Err(Failure::refusal(step, rejection.reason, rejection.message))
            }
        }
    }

    /// The token, checked: `Ok(Err(…))` when it does not pass, `Err` when the policy itself
    /// cannot run (a setting's expression fails, a key is not valid).
    async fn check_token(
        &mut self,
        step: &Step,
        v: &ValidateJwt,
    ) -> Result<Result<Jwt, Rejection>, Failure> {
        let Some(token) = self.token(step, v)? else {
            return Ok(Err(reject("TokenNotPresent", NOT_PRESENT)));
        };
        let Some(jwt) = Jwt::decode(&token) else {
            return Ok(Err(reject(
                "JwtInvalid",
                "The token is not a well-formed JWT (three base64url parts: header, claims, signature).",
            )));
        };
        let mut rules = self.rules(step, v)?;
        let signed = match signature_of(&token, &jwt, rules.require_signed_tokens) {
            Ok(signed) => signed,
            Err(rejection) => return Ok(Err(rejection)),
        };
        if let Some((alg, kid)) = &signed {
            // A configuration whose keys cannot be fetched fails the token only when no other
            // key verifies it.
            let mut providers = Vec::with_capacity(v.openid_configs.len());
            let mut unfetched = None;
            for url in &v.openid_configs {
                match openid::keys(self.gateway, url, kid.as_deref()).await {
                    Ok(provider) => {
                        rules.issuers.extend(provider.issuer.iter().cloned());
                        providers.push(provider);
                    }
                    Err(message) => unfetched = Some(message),
                }
            }
            let keys: Vec<&VerifyKey> = rules
                .keys
                .iter()
                .chain(providers.iter().flat_map(|p| p.keys.iter()))
                .collect();
            if let Err(rejection) = verify(&token, *alg, kid.as_deref(), &keys) {
                let rejection = match unfetched {
                    Some(message) => reject("TokenSignatureKeyNotFound", message),
                    None => rejection,
                };
                return Ok(Err(rejection));
            }
        }
        let checked = check_claims(&jwt, &rules, now_secs())
            .and_then(|()| check_required(&jwt, &v.required_claims, &rules.claims));
        Ok(checked.map(|()| jwt))
    }

    /// The token, from where the policy says (a header's scheme taken off); `None` when absent.
    fn token(&mut self, step: &Step, v: &ValidateJwt) -> Result<Option<String>, Failure> {
        let token = match &v.source {
            TokenSource::Header(name) => {
                let name = self.text(step, name)?;
                let scheme = match &v.require_scheme {
                    Some(s) if name.trim().eq_ignore_ascii_case("authorization") => {
                        Some(self.text(step, s)?)
                    }
                    _ => None,
                };
                let values = self.flow.ctx.request.headers.get(name.trim());
                values
                    .first()
                    .and_then(|value| from_header(value, scheme.as_deref()))
                    .map(str::to_owned)
            }
            TokenSource::Query(name) => {
                let name = self.text(step, name)?;
                self.flow
                    .ctx
                    .request
                    .url
                    .query
                    .iter()
                    .find(|(k, _)| *k == name.trim())
                    .and_then(|(_, values)| values.first().cloned())
            }
            TokenSource::Value(value) => Some(self.text(step, value)?),
        };
        Ok(token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()))
    }

    /// A setting's value: fixed, or its expression evaluated and parsed.
    fn setting<T: Copy>(
        &mut self,
        step: &Step,
        setting: &Setting<T>,
        parse: fn(&str) -> Option<T>,
        reason: &'static str,
    ) -> Result<T, Failure> {
        match setting {
            Setting::Fixed(value) => Ok(*value),
            Setting::Computed(text) => {
                let raw = self.text(step, text)?;
                parse(&raw).ok_or_else(|| {
                    Failure::new(
                        step,
                        reason,
                        format!("'{raw}' is not a valid value for this setting of validate-jwt"),
                    )
                })
            }
        }
    }

    /// The public key of the uploaded certificate `id`.
    fn certificate_key(&self, step: &Step, id: &str) -> Result<DecodingKey, Failure> {
        let Some((thumbprint, sealed)) = self.admitted.snapshot.certificate_by_id(id) else {
            let message = format!("No uploaded certificate has the id '{id}'.");
            return Err(Failure::new(step, "CertificateNotFound", message));
        };
        let unusable = |why: String| {
            let message = format!("The certificate '{id}' cannot verify tokens: {why}");
            Failure::new(step, "InvalidKey", message)
        };
        let key = self
            .gateway
            .transports()
            .public_key(&thumbprint, sealed)
            .map_err(unusable)?;
        match key {
            CertificateKey::Rsa { n, e } => Ok(DecodingKey::from_rsa_raw_components(&n, &e)),
            CertificateKey::Ec { x, y } => DecodingKey::from_ec_components(
                &URL_SAFE_NO_PAD.encode(x),
                &URL_SAFE_NO_PAD.encode(y),
            )
            .map_err(|e| unusable(e.to_string())),
        }
    }

    /// The settings, keys, audiences, issuers and claim values, evaluated.
    fn rules(&mut self, step: &Step, v: &ValidateJwt) -> Result<Rules, Failure> {
        let mut keys = Vec::with_capacity(v.keys.len());
        for key in &v.keys {
            let decoding = match &key.material {
                KeyMaterial::Symmetric(text) => {
                    let encoded = self.text(step, text)?;
                    let Some(bytes) = decode_symmetric_key(&encoded) else {
                        let message = "a key of validate-jwt is not base64 encoded";
                        return Err(Failure::new(step, "InvalidKey", message));
                    };
                    DecodingKey::from_secret(&bytes)
                }
                KeyMaterial::Rsa { n, e } => {
                    DecodingKey::from_rsa_components(n, e).map_err(|_| {
                        Failure::new(
                            step,
                            "InvalidKey",
                            "an RSA key of validate-jwt is not valid",
                        )
                    })?
                }
                KeyMaterial::Certificate(id) => self.certificate_key(step, id)?,
            };
            keys.push(VerifyKey {
                id: key.id.clone(),
                key: decoding,
            });
        }
        let texts = |env: &mut Self, texts: &[Text]| -> Result<Vec<String>, Failure> {
            texts.iter().map(|t| env.text(step, t)).collect()
        };
        let audiences = texts(self, &v.audiences)?;
        let issuers = texts(self, &v.issuers)?;
        let mut claims = Vec::with_capacity(v.required_claims.len());
        for claim in &v.required_claims {
            claims.push(texts(self, &claim.values)?);
        }
        Ok(Rules {
            require_expiration_time: self.setting(
                step,
                &v.require_expiration_time,
                parse_bool,
                "InvalidSetting",
            )?,
            require_signed_tokens: self.setting(
                step,
                &v.require_signed_tokens,
                parse_bool,
                "InvalidSetting",
            )?,
            clock_skew: self.setting(step, &v.clock_skew, parse_clock_skew, "InvalidSetting")?,
            keys,
            audiences,
            issuers,
            claims,
        })
    }
}

/// Now, in seconds since the Unix epoch.
fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The token in a header's value: the value without its scheme (`Bearer …`). With `scheme`,
/// the value must use it (compared ignoring case).
fn from_header<'v>(value: &'v str, scheme: Option<&str>) -> Option<&'v str> {
    let value = value.trim();
    let (given, token) = match value.split_once(char::is_whitespace) {
        Some((given, token)) => (Some(given), token.trim()),
        None => (None, value),
    };
    match scheme.map(str::trim).filter(|s| !s.is_empty()) {
        Some(required) if !given.is_some_and(|g| g.eq_ignore_ascii_case(required)) => None,
        _ => Some(token).filter(|t| !t.is_empty()),
    }
}

/// The token's algorithm and `kid` when it is signed; `None` for an unsigned token
/// (`alg` `none`, no signature) when unsigned tokens are accepted.
#[allow(clippy::type_complexity)]
fn signature_of(
    token: &str,
    jwt: &Jwt,
    require_signed: bool,
) -> Result<Option<(Algorithm, Option<String>)>, Rejection> {
    let alg = jwt.header("alg").unwrap_or_else(|| Arc::from(""));
    let unsigned = token.ends_with('.');
    if alg.eq_ignore_ascii_case("none") || unsigned {
        return match (require_signed, alg.eq_ignore_ascii_case("none") && unsigned) {
            (false, true) => Ok(None),
            (true, _) => Err(reject(
                "TokenSignatureInvalid",
                "Signature validation failed: the token is not signed. Access denied.",
            )),
            (false, false) => Err(reject(
                "JwtInvalid",
                "The token's alg and signature do not agree.",
            )),
        };
    }
    let Ok(algorithm) = Algorithm::from_str(&alg) else {
        return Err(reject(
            "TokenSignatureInvalid",
            format!(
                "Signature validation failed: the algorithm '{alg}' is not supported. Access denied."
            ),
        ));
    };
    Ok(Some((algorithm, jwt.header("kid").map(|k| k.to_string()))))
}

/// Verifies the signature with the keys whose `id` is the token's `kid` or, when none is, with
/// every key (of the algorithm's family).
fn verify(
    token: &str,
    alg: Algorithm,
    kid: Option<&str>,
    keys: &[&VerifyKey],
) -> Result<(), Rejection> {
    let Some((message, signature)) = token.rsplit_once('.') else {
        return Err(reject("JwtInvalid", "The token is not a well-formed JWT."));
    };
    let named: Vec<&VerifyKey> = match kid {
        Some(kid) => keys
            .iter()
            .copied()
            .filter(|k| k.id.as_deref() == Some(kid))
            .collect(),
        None => Vec::new(),
    };
    let candidates = if named.is_empty() { keys } else { &named[..] };
    let verified = candidates.iter().any(|k| {
        k.key.family() == alg.family()
            && jsonwebtoken::crypto::verify(signature, message.as_bytes(), &k.key, alg)
                .unwrap_or(false)
    });
    match (verified, kid) {
        (true, _) => Ok(()),
        (false, Some(kid)) if named.is_empty() => Err(reject(
            "TokenSignatureKeyNotFound",
            format!(
                "Signature validation failed: no signing key matches the token's kid '{kid}'. Access denied."
            ),
        )),
        (false, _) => Err(reject(
            "TokenSignatureInvalid",
            "Signature validation failed. Access denied.",
        )),
    }
}

/// Lifetime, audience, issuer and required claims, at `now` (seconds since the epoch).
fn check_claims(jwt: &Jwt, rules: &Rules, now: f64) -> Result<(), Rejection> {
    let skew = rules.clock_skew as f64;
    match jwt.seconds("exp") {
        None if rules.require_expiration_time => {
            return Err(reject(
                "JwtInvalid",
                "Lifetime validation failed: the token has no expiration time (exp).",
            ));
        }
        None => {}
        Some(None) => {
            return Err(reject(
                "JwtInvalid",
                "The token's exp claim is not a number.",
            ));
        }
        Some(Some(exp)) if now > exp + skew => {
            return Err(reject(
                "TokenExpired",
                format!(
                    "Lifetime validation failed: the token expired at {} (Unix time). Access denied.",
                    exp as i64
                ),
            ));
        }
        Some(Some(_)) => {}
    }
    match jwt.seconds("nbf") {
        Some(None) => {
            return Err(reject(
                "JwtInvalid",
                "The token's nbf claim is not a number.",
            ));
        }
        Some(Some(nbf)) if nbf > now + skew => {
            return Err(reject(
                "JwtInvalid",
                format!(
                    "Lifetime validation failed: the token is not valid before {} (Unix time).",
                    nbf as i64
                ),
            ));
        }
        _ => {}
    }
    if !rules.audiences.is_empty() {
        let given = jwt.claim("aud").unwrap_or_default();
        let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
        if !given
            .iter()
            .any(|g| rules.audiences.iter().any(|a| same(g, a)))
        {
            return Err(reject(
                "TokenAudienceNotAllowed",
                format!(
                    "Audience validation failed: audience '{}' is not allowed. Access denied.",
                    given.join(", ")
                ),
            ));
        }
    }
    if !rules.issuers.is_empty() {
        let given = jwt.claim("iss").unwrap_or_default();
        let issuer = given.first().map_or("", |s| &**s);
        if !rules.issuers.iter().any(|i| i == issuer) {
            return Err(reject(
                "TokenIssuerNotAllowed",
                format!(
                    "Issuer validation failed: issuer '{issuer}' is not allowed. Access denied."
                ),
            ));
        }
    }
    Ok(())
}

/// `<required-claims>`: every claim present, with all (or any) of its values.
fn check_required(
    jwt: &Jwt,
    rules: &[RequiredClaim],
    values: &[Vec<String>],
) -> Result<(), Rejection> {
    let missing: Vec<&str> = rules
        .iter()
        .filter(|r| jwt.claim(&r.name).is_none())
        .map(|r| r.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(reject(
            "TokenClaimNotFound",
            format!(
                "JWT token is missing the following claims: {}. Access denied.",
                missing.join(", ")
            ),
        ));
    }
    for (rule, expected) in rules.iter().zip(values) {
        if expected.is_empty() {
            continue;
        }
        let raw = jwt.claim(&rule.name).unwrap_or_default();
        let given: Vec<&str> = match &rule.separator {
            Some(sep) => raw
                .iter()
                .flat_map(|v| v.split(sep.as_str()))
                .map(str::trim)
                .collect(),
            None => raw.iter().map(|v| &**v).collect(),
        };
        let has = |value: &String| given.contains(&value.as_str());
        let passes = if rule.match_all {
            expected.iter().all(has)
        } else {
            expected.iter().any(has)
        };
        if !passes {
            return Err(reject(
                "TokenClaimValueNotAllowed",
                format!(
                    "Claim {} value of {} is not allowed. Access denied.",
                    rule.name,
                    raw.join(",")
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::{Value, json};

    fn token(header: &Value, claims: &Value, signature: &str) -> String {
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.{signature}", part(header), part(claims))
    }

    fn jwt(claims: Value) -> Jwt {
        Jwt::decode(&token(&json!({"alg": "HS256"}), &claims, "c2ln")).unwrap()
    }

    fn rules() -> Rules {
        Rules {
            require_expiration_time: true,
            require_signed_tokens: true,
            clock_skew: 0,
            keys: Vec::new(),
            audiences: Vec::new(),
            issuers: Vec::new(),
            claims: Vec::new(),
        }
    }

    fn reason(result: Result<(), Rejection>) -> &'static str {
        result.err().map_or("passes", |r| r.reason)
    }

    #[test]
    fn header_values_lose_their_scheme() {
        assert_eq!(from_header("Bearer abc", None), Some("abc"));
        assert_eq!(from_header("  abc ", None), Some("abc"));
        assert_eq!(from_header("bearer abc", Some("Bearer")), Some("abc"));
        assert_eq!(from_header("abc", Some("Bearer")), None);
        assert_eq!(from_header("Basic abc", Some("Bearer")), None);
        assert_eq!(from_header("Bearer ", Some("Bearer")), None);
        assert_eq!(from_header("Bearer abc", Some(" ")), Some("abc"));
    }

    #[test]
    fn lifetimes_are_checked_with_the_clock_skew() {
        let now = 1_000_000.0;
        let mut r = rules();
        assert_eq!(
            reason(check_claims(&jwt(json!({"exp": 1_000_010})), &r, now)),
            "passes"
        );
        assert_eq!(
            reason(check_claims(&jwt(json!({"exp": 999_990})), &r, now)),
            "TokenExpired"
        );
        assert_eq!(reason(check_claims(&jwt(json!({})), &r, now)), "JwtInvalid");
        assert_eq!(
            reason(check_claims(&jwt(json!({"exp": "soon"})), &r, now)),
            "JwtInvalid"
        );
        assert_eq!(
            reason(check_claims(
                &jwt(json!({"exp": 1_000_010, "nbf": 1_000_005})),
                &r,
                now
            )),
            "JwtInvalid"
        );
        r.clock_skew = 30;
        assert_eq!(
            reason(check_claims(&jwt(json!({"exp": 999_990})), &r, now)),
            "passes"
        );
        assert_eq!(
            reason(check_claims(
                &jwt(json!({"exp": 1_000_010, "nbf": 1_000_005})),
                &r,
                now
            )),
            "passes"
        );
        r.require_expiration_time = false;
        assert_eq!(reason(check_claims(&jwt(json!({})), &r, now)), "passes");
    }

    #[test]
    fn audiences_and_issuers_are_matched() {
        let mut r = rules();
        r.require_expiration_time = false;
        r.audiences = vec!["https://api.example/".into()];
        r.issuers = vec!["https://issuer".into()];
        let ok = json!({"aud": ["x", "https://api.example"], "iss": "https://issuer"});
        assert_eq!(reason(check_claims(&jwt(ok), &r, 0.0)), "passes");
        let no_aud = json!({"iss": "https://issuer"});
        assert_eq!(
            reason(check_claims(&jwt(no_aud), &r, 0.0)),
            "TokenAudienceNotAllowed"
        );
        let other_iss = json!({"aud": "https://api.example/", "iss": "https://issuer/"});
        assert_eq!(
            reason(check_claims(&jwt(other_iss), &r, 0.0)),
            "TokenIssuerNotAllowed"
        );
    }

    #[test]
    fn required_claims_match_all_or_any_values() {
        let claim = |name: &str, match_all: bool, separator: Option<&str>| RequiredClaim {
            name: name.into(),
            match_all,
            separator: separator.map(str::to_owned),
            values: Vec::new(),
        };
        let rules = [
            claim("roles", true, None),
            claim("groups", false, Some(";")),
            claim("tid", true, None),
        ];
        let values = vec![
            vec!["a".to_owned(), "b".to_owned()],
            vec!["x".to_owned(), "y".to_owned()],
            vec![],
        ];
        let check = |c: Value| reason(check_required(&jwt(c), &rules, &values));
        assert_eq!(
            check(json!({"roles": ["b", "a"], "groups": "q; y", "tid": 1})),
            "passes"
        );
        assert_eq!(
            check(json!({"roles": ["a"], "groups": "y", "tid": 1})),
            "TokenClaimValueNotAllowed"
        );
        assert_eq!(
            check(json!({"roles": ["a", "b"], "groups": "q;z", "tid": 1})),
            "TokenClaimValueNotAllowed"
        );
        let missing =
            check_required(&jwt(json!({"roles": ["a", "b"]})), &rules, &values).unwrap_err();
        assert_eq!(missing.reason, "TokenClaimNotFound");
        assert_eq!(
            missing.message,
            "JWT token is missing the following claims: groups, tid. Access denied."
        );
    }

    #[test]
    fn unsigned_tokens_pass_only_when_allowed() {
        let unsigned = token(&json!({"alg": "none"}), &json!({}), "");
        let parsed = Jwt::decode(&unsigned).unwrap();
        assert!(matches!(signature_of(&unsigned, &parsed, false), Ok(None)));
        let refused = signature_of(&unsigned, &parsed, true).unwrap_err();
        assert_eq!(refused.reason, "TokenSignatureInvalid");
        // A signed token's signature cannot be dropped.
        let stripped = token(&json!({"alg": "RS256"}), &json!({}), "");
        let parsed = Jwt::decode(&stripped).unwrap();
        assert!(signature_of(&stripped, &parsed, false).is_err());
        let odd = token(&json!({"alg": "XS999"}), &json!({}), "c2ln");
        assert!(signature_of(&odd, &Jwt::decode(&odd).unwrap(), true).is_err());
    }

    #[test]
    fn keys_are_chosen_by_kid() {
        let sign = |kid: Option<&str>, secret: &[u8]| {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = kid.map(str::to_owned);
            jsonwebtoken::encode(
                &header,
                &json!({"sub": "x"}),
                &EncodingKey::from_secret(secret),
            )
            .unwrap()
        };
        let key = |id: Option<&str>, secret: &[u8]| VerifyKey {
            id: id.map(str::to_owned),
            key: DecodingKey::from_secret(secret),
        };
        let keys = [
            key(Some("one"), b"first secret"),
            key(None, b"second secret"),
        ];
        let keys: Vec<&VerifyKey> = keys.iter().collect();
        let check = |token: String, kid| reason(verify(&token, Algorithm::HS256, kid, &keys));
        assert_eq!(check(sign(None, b"second secret"), None), "passes");
        assert_eq!(
            check(sign(Some("one"), b"first secret"), Some("one")),
            "passes"
        );
        // The key a kid names is the only one tried.
        assert_eq!(
            check(sign(Some("one"), b"second secret"), Some("one")),
            "TokenSignatureInvalid"
        );
        // An unknown kid: every key is tried.
        assert_eq!(
            check(sign(Some("two"), b"second secret"), Some("two")),
            "passes"
        );
        assert_eq!(
            check(sign(Some("two"), b"third secret"), Some("two")),
            "TokenSignatureKeyNotFound"
        );
        // Keys of another family are not used.
        assert_eq!(
            reason(verify(
                &sign(None, b"second secret"),
                Algorithm::RS256,
                None,
                &keys
            )),
            "TokenSignatureInvalid"
        );
    }
}
