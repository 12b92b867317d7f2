//! User: a developer who subscribes to products (REFERENCE §7). The administrator `/users/1`
//! exists in every instance and cannot be changed or deleted.

use super::Entity;
use crate::body::decode;
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;

/// The id of the built-in administrator.
pub const ADMINISTRATOR: &str = "1";

/// A stored user. The password is kept only as a hash and never rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// First name, 1..100 characters.
    pub first_name: String,
    /// Last name, up to 100 characters (the administrator's is empty).
    pub last_name: String,
    /// Email address, unique in the instance.
    pub email: String,
    /// `active` or `blocked`.
    pub state: String,
    /// When the user was created (RFC 3339, UTC).
    pub registration_date: String,
    /// An administrator's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Sign-in identities (`Basic` with the email for users created here).
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// The password hash (PHC string); never rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// A password given in this request, to be hashed before the user is stored; never stored.
    #[serde(skip)]
    pub new_password: Option<String>,
    /// Whether this is the built-in administrator.
    #[serde(default)]
    pub built_in: bool,
}

/// A sign-in identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `Basic`, `Azure`, `Microsoft`, …
    pub provider: String,
    /// The identity's id with that provider.
    pub id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    password: Option<String>,
    state: Option<String>,
    note: Option<String>,
    // Read-only: accepted (a GET result can be sent back) and ignored.
    #[serde(default, rename = "registrationDate")]
    _registration_date: Option<Value>,
    #[serde(default, rename = "groups")]
    _groups: Option<Value>,
    #[serde(default, rename = "identities")]
    _identities: Option<Value>,
}

const FILTER_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "id",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "firstName",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "lastName",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "email",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "note",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "state",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "registrationDate",
        kind: FieldKind::DateTime,
    },
];

impl User {
    /// The built-in administrator.
    pub fn administrator(email: &str, registration_date: &str) -> User {
        User {
            first_name: "Administrator".to_owned(),
            last_name: String::new(),
            email: email.to_owned(),
            state: "active".to_owned(),
            registration_date: registration_date.to_owned(),
            note: None,
            identities: vec![Identity {
                provider: "Azure".to_owned(),
                id: email.to_owned(),
            }],
            password_hash: None,
            new_password: None,
            built_in: true,
        }
    }

    fn apply(&mut self, input: UserInput) {
        if let Some(first) = input.first_name {
            self.first_name = first;
        }
        if let Some(last) = input.last_name {
            self.last_name = last;
        }
        if let Some(email) = input.email {
            // The Basic identity follows the email.
            for identity in self.identities.iter_mut().filter(|i| i.provider == "Basic") {
                identity.id = email.clone();
            }
            self.email = email;
        }
        if let Some(state) = input.state {
            self.state = state.to_ascii_lowercase();
        }
        if input.note.is_some() {
            self.note = input.note;
        }
        if input.password.is_some() {
            self.new_password = input.password;
        }
    }

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Validator::new();
        v.length("firstName", &self.first_name, 1, 100);
        v.length("lastName", &self.last_name, 1, 100);
        v.length("email", &self.email, 1, 254);
        if !is_email(&self.email) {
            v.fail(
                "email",
                "Pattern",
                format!("'{}' is not an email address", self.email),
            );
        }
        if !matches!(self.state.as_str(), "active" | "blocked") {
            v.fail(
                "state",
                "Enum",
                format!("state must be active or blocked, got '{}'", self.state),
            );
        }
        if let Some(password) = &self.new_password {
            v.length("password", password, 1, 256);
        }
        v.finish()
    }
}

/// A light check: one `@`, something before it, a dot-separated domain after it, no spaces.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.contains(char::is_whitespace)
        && !domain.contains('@')
}

impl Entity for User {
    const KIND: &'static str = "user";
    const TYPE_NAME: &'static str = "User";
    const COLLECTION: &'static str = "/users";
    const ID_PARAM: &'static str = "uid";
    const MAX_ID_LEN: usize = 80;

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a> {
        match name {
            "id" => FieldValue::String(Some(Cow::Borrowed(id))),
            "firstName" => FieldValue::String(Some(Cow::Borrowed(&self.first_name))),
            "lastName" => FieldValue::String(Some(Cow::Borrowed(&self.last_name))),
            "email" => FieldValue::String(Some(Cow::Borrowed(&self.email))),
            "note" => FieldValue::String(self.note.as_deref().map(Cow::Borrowed)),
            "state" => FieldValue::String(Some(Cow::Borrowed(&self.state))),
            "registrationDate" => FieldValue::DateTime(
                chrono::DateTime::parse_from_rfc3339(&self.registration_date)
                    .ok()
                    .map(|d| d.to_utc()),
            ),
            _ => FieldValue::String(None),
        }
    }

    fn from_put(_: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: UserInput = decode(body)?;
        let mut v = Validator::new();
        v.required("firstName", &input.first_name);
        v.required("lastName", &input.last_name);
        v.required("email", &input.email);
        v.finish()?;
        let email = input.email.clone().unwrap_or_default();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut user = User {
            first_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            state: "active".to_owned(),
            registration_date: now,
            note: None,
            identities: vec![Identity {
                provider: "Basic".to_owned(),
                id: email,
            }],
            password_hash: None,
            new_password: None,
            built_in: false,
        };
        user.apply(input);
        user.validate()?;
        Ok(user)
    }

    fn patched(mut self, _: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        self.apply(decode(body)?);
        self.validate()?;
        Ok(self)
    }

    fn render(&self, version: ApiVersion, wire_id: &str) -> Value {
        let mut out = json!({
            "id": wire_id, "firstName": self.first_name, "lastName": self.last_name, "email": self.email,
            "state": self.state, "registrationDate": self.registration_date,
        });
        if self.note.is_some() || version < ApiVersion::V2016_07_07 {
            out["note"] = json!(self.note);
        }
        if version >= ApiVersion::V2016_07_07 {
            out["identities"] = json!(self.identities);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(err: ApiError) -> Vec<String> {
        err.details.into_iter().filter_map(|d| d.target).collect()
    }

    #[test]
    fn creates_and_never_renders_the_password() {
        let body =
            br#"{"email":"a@contoso.com","password":"s3cret!","firstName":"Ann","lastName":"Lee"}"#;
        let user = User::from_put(ApiVersion::LATEST, body).unwrap();
        assert_eq!(user.new_password.as_deref(), Some("s3cret!"));
        let wire = user.render(ApiVersion::LATEST, "/users/a").to_string();
        assert!(
            !wire.contains("s3cret") && !wire.contains("password"),
            "{wire}"
        );
        assert_eq!(
            user.identities,
            [Identity {
                provider: "Basic".into(),
                id: "a@contoso.com".into()
            }]
        );
        assert!(
            !serde_json::to_string(&user).unwrap().contains("s3cret"),
            "the plaintext is never stored"
        );
    }

    #[test]
    fn validates() {
        assert_eq!(
            targets(User::from_put(ApiVersion::LATEST, b"{}").unwrap_err()),
            ["firstName", "lastName", "email"]
        );
        let bad = br#"{"email":"not-an-email","firstName":"A","lastName":"B","state":"gone"}"#;
        assert_eq!(
            targets(User::from_put(ApiVersion::LATEST, bad).unwrap_err()),
            ["email", "state"]
        );
    }
}
