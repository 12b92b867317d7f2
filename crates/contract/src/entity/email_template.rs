//! Email template: the text of one of the 14 notification emails, on 2017-03-01
//! (REFERENCE §16.2).
//!
//! Every instance has all 14, seeded with Tollgate's defaults ([`defaults`]); they are changed,
//! never created: `PUT` and `PATCH` replace the fields they give and keep the others, and
//! `DELETE` restores the default. Ids spell the name with a capital first letter
//! (`/templates/ApplicationApprovedNotificationMessage`), as the examples do.

mod defaults;

use super::Entity;
use crate::body::decode;
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::xml::check_well_formed;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;

/// A stored email template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailTemplate {
    /// Subject line (1–1000 characters).
    pub subject: String,
    /// The body: a well-formed XML (XHTML) document with `$Parameter` placeholders.
    pub body: String,
    /// Title shown to administrators.
    pub title: Option<String>,
    /// When the email is sent.
    pub description: Option<String>,
    /// Whether this is Tollgate's default text.
    pub is_default: bool,
    /// The placeholders the text may use.
    pub parameters: Option<Vec<Parameter>>,
}

/// A placeholder of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Parameter {
    /// Name, used as `$Name` (1–256 characters of `[A-Za-z0-9-._]`).
    pub name: String,
    /// Title (1–4096 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description (1–256 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EmailTemplateInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    #[serde(default, rename = "isDefault")]
    _is_default: Option<Value>,
    subject: Option<String>,
    body: Option<String>,
    title: Option<String>,
    description: Option<String>,
    parameters: Option<Vec<Parameter>>,
}

const FILTER_FIELDS: &[FieldSpec] = &[FieldSpec {
    name: "id",
    kind: FieldKind::String,
}];

/// The template names, as the path spells them.
pub fn names() -> impl Iterator<Item = &'static str> {
    defaults::DEFAULTS.iter().map(|d| d.name)
}

/// The id of the template `name` (any case): the name with a capital first letter.
pub fn template_id(name: &str) -> Option<String> {
    let known = names().find(|n| n.eq_ignore_ascii_case(name))?;
    let mut chars = known.chars();
    let first = chars.next()?.to_ascii_uppercase();
    Some(std::iter::once(first).chain(chars).collect())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl EmailTemplate {
    /// The default template `name` (any case), if there is one.
    pub fn default_for(name: &str) -> Option<EmailTemplate> {
        let d = defaults::DEFAULTS
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))?;
        let style = "font-size:12pt;font-family:'Segoe UI'";
        let mut body = format!(
            "<!DOCTYPE html >\r\n<html>\r\n  <head />\r\n  <body>\r\n    <p style=\"{style}\">Dear $DevFirstName $DevLastName,</p>\r\n"
        );
        for paragraph in d.paragraphs {
            body.push_str(&format!(
                "    <p style=\"{style}\">{}</p>\r\n",
                escape(paragraph)
            ));
        }
        body.push_str(&format!(
            "    <p style=\"{style}\">Best,</p>\r\n    <p style=\"{style}\">The $OrganizationName API Team</p>\r\n  </body>\r\n</html>"
        ));
        let parameters = d
            .parameters
            .iter()
            .chain(defaults::COMMON_PARAMETERS)
            .map(|(name, title)| Parameter {
                name: (*name).to_owned(),
                title: Some((*title).to_owned()),
                description: None,
            })
            .collect();
        Some(EmailTemplate {
            subject: d.subject.to_owned(),
            body,
            title: Some(d.title.to_owned()),
            description: Some(d.description.to_owned()),
            is_default: true,
            parameters: Some(parameters),
        })
    }

    /// Takes the fields a `PUT` did not give from `current`; the result is no longer the default.
    pub fn completed_from(mut self, current: &EmailTemplate) -> EmailTemplate {
        if self.subject.is_empty() {
            self.subject = current.subject.clone();
        }
        if self.body.is_empty() {
            self.body = current.body.clone();
        }
        if self.title.is_none() {
            self.title = current.title.clone();
        }
        if self.description.is_none() {
            self.description = current.description.clone();
        }
        if self.parameters.is_none() {
            self.parameters = current.parameters.clone();
        }
        self.is_default = false;
        self
    }

    fn apply(mut self, input: EmailTemplateInput) -> Result<Self, ApiError> {
        let mut v = Validator::new();
        if let Some(subject) = input.subject {
            v.length("subject", &subject, 1, 1000);
            self.subject = subject;
        }
        if let Some(body) = input.body {
            v.length("body", &body, 1, 1 << 20);
            if let Err(problem) = check_well_formed(&body) {
                v.fail(
                    "body",
                    "InvalidXml",
                    format!("body is not a well-formed XML document: {problem}"),
                );
            }
            self.body = body;
        }
        if let Some(title) = input.title {
            self.title = Some(title);
        }
        if let Some(description) = input.description {
            self.description = Some(description);
        }
        if let Some(parameters) = input.parameters {
            check_parameters(&mut v, &parameters);
            self.parameters = Some(parameters);
        }
        v.finish()?;
        self.is_default = false;
        Ok(self)
    }
}

fn check_parameters(v: &mut Validator, parameters: &[Parameter]) {
    for (i, parameter) in parameters.iter().enumerate() {
        let target = format!("parameters[{i}].name");
        v.length(&target, &parameter.name, 1, 256);
        if !parameter
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            v.fail(
                &target,
                "Pattern",
                "a parameter name may contain only letters, digits, period, dash and underscore",
            );
        }
        if parameters[..i]
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(&parameter.name))
        {
            v.fail(
                &target,
                "Unique",
                format!("the parameter '{}' is listed twice", parameter.name),
            );
        }
        v.length_opt(&format!("parameters[{i}].title"), &parameter.title, 1, 4096);
        v.length_opt(
            &format!("parameters[{i}].description"),
            &parameter.description,
            1,
            256,
        );
    }
}

impl Entity for EmailTemplate {
    const KIND: &'static str = "emailTemplate";
    const TYPE_NAME: &'static str = "EmailTemplate";
    const COLLECTION: &'static str = "/templates";
    const ID_PARAM: &'static str = "templateName";
    const SINCE: ApiVersion = ApiVersion::V2017_03_01;

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a> {
        match name {
            "id" => FieldValue::String(Some(Cow::Borrowed(id))),
            _ => FieldValue::String(None),
        }
    }

    /// The given fields; the others are empty until [`EmailTemplate::completed_from`].
    fn from_put(_: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let empty = EmailTemplate {
            subject: String::new(),
            body: String::new(),
            title: None,
            description: None,
            is_default: false,
            parameters: None,
        };
        empty.apply(decode(body)?)
    }

    fn patched(self, _: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        self.apply(decode(body)?)
    }

    fn render(&self, _: ApiVersion, wire_id: &str) -> Value {
        json!({
            "id": wire_id,
            "subject": self.subject,
            "body": self.body,
            "title": self.title,
            "description": self.description,
            "isDefault": self.is_default,
            "parameters": self.parameters.as_deref().unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V17: ApiVersion = ApiVersion::V2017_03_01;

    #[test]
    fn every_default_is_well_formed_and_declares_its_placeholders() {
        assert_eq!(names().count(), 14);
        for name in names() {
            let template = EmailTemplate::default_for(name).unwrap();
            check_well_formed(&template.body).unwrap_or_else(|e| panic!("{name}: {e}"));
            let declared: Vec<String> = template
                .parameters
                .unwrap()
                .into_iter()
                .map(|p| p.name)
                .collect();
            let text = format!("{} {}", template.subject, template.body);
            for used in text.split('$').skip(1) {
                let placeholder: String = used
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                assert!(
                    declared.contains(&placeholder),
                    "{name} uses ${placeholder} without declaring it"
                );
            }
        }
        assert_eq!(
            template_id("APPLICATIONAPPROVEDNOTIFICATIONMESSAGE").as_deref(),
            Some("ApplicationApprovedNotificationMessage")
        );
        assert_eq!(template_id("welcome"), None);
    }

    #[test]
    fn put_keeps_what_it_does_not_give() {
        let current = EmailTemplate::default_for("newIssueNotificationMessage").unwrap();
        let given = EmailTemplate::from_put(V17, br#"{"subject": "Got $IssueName"}"#).unwrap();
        let stored = given.completed_from(&current);
        assert_eq!(
            (stored.subject.as_str(), stored.is_default),
            ("Got $IssueName", false)
        );
        assert_eq!((stored.body, stored.title), (current.body, current.title));
    }

    #[test]
    fn bodies_and_parameters_are_checked() {
        let target = |body: &str| {
            EmailTemplate::from_put(V17, body.as_bytes())
                .unwrap_err()
                .target()
                .map(str::to_owned)
        };
        assert_eq!(
            target(r#"{"body": "<html><body></html>"}"#).as_deref(),
            Some("body")
        );
        assert_eq!(target(r#"{"subject": ""}"#).as_deref(), Some("subject"));
        assert_eq!(
            target(r#"{"parameters": [{"name": "a b"}]}"#).as_deref(),
            Some("parameters[0].name")
        );
        assert_eq!(
            target(r#"{"parameters": [{"name": "a"}, {"name": "A"}]}"#).as_deref(),
            Some("parameters[1].name")
        );
        assert_eq!(
            target(r#"{"parameters": [{"name": "a", "title": ""}]}"#).as_deref(),
            Some("parameters[0].title")
        );
        let ok = EmailTemplate::from_put(
            V17,
            br#"{"body": "<!DOCTYPE html><html><body><p>Hi $DevFirstName</p></body></html>"}"#,
        );
        assert!(ok.is_ok(), "{ok:?}");
    }
}
