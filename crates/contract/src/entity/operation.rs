//! Operation: one method and URL template of an API (REFERENCE §4.4).

use super::api::Api;
use super::{Entity, Parent};
use crate::body::decode;
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::url_template::UrlTemplate;
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;

/// A stored operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Display name, 1..300 characters.
    pub name: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The URL template, with a leading `/`.
    pub url_template: String,
    /// The template's parameters, described.
    #[serde(default)]
    pub template_parameters: Vec<Parameter>,
    /// Description, at most 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The request.
    #[serde(default)]
    pub request: Request,
    /// The responses.
    #[serde(default)]
    pub responses: Vec<Response>,
}

/// A parameter (template, query or header).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Parameter {
    /// Name (required).
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Type, e.g. `string`, `integer` (required).
    #[serde(rename = "type")]
    pub param_type: Option<String>,
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// Whether it is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Allowed values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

/// A request description.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Query parameters.
    #[serde(default)]
    pub query_parameters: Vec<Parameter>,
    /// Headers.
    #[serde(default)]
    pub headers: Vec<Parameter>,
    /// Bodies.
    #[serde(default)]
    pub representations: Vec<Representation>,
}

/// A response description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Response {
    /// Status code, 100..599 (required).
    pub status_code: Option<i64>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Bodies.
    #[serde(default)]
    pub representations: Vec<Representation>,
    /// Headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Parameter>,
}

/// A body's media type and description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Representation {
    /// Media type (required).
    pub content_type: Option<String>,
    /// A sample body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    /// The id of a schema of the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<String>,
    /// A type defined in that schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    /// Form parameters (for form media types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_parameters: Option<Vec<Parameter>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OperationInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    name: Option<String>,
    method: Option<String>,
    url_template: Option<String>,
    template_parameters: Option<Vec<Parameter>>,
    description: Option<String>,
    request: Option<Request>,
    responses: Option<Vec<Response>>,
    /// In the 2017 schema but without documented meaning; accepted and ignored.
    #[serde(default, rename = "policies")]
    _policies: Option<Value>,
}

const FILTER_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "name",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "method",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "description",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "urlTemplate",
        kind: FieldKind::String,
    },
];

/// Whether `method` is an HTTP token (RFC 9110 §5.6.2).
fn is_token(method: &str) -> bool {
    !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn check_parameters(v: &mut Validator, at: &str, parameters: &[Parameter]) {
    for (i, p) in parameters.iter().enumerate() {
        v.required(&format!("{at}[{i}].name"), &p.name);
        v.required(&format!("{at}[{i}].type"), &p.param_type);
    }
}

fn check_representations(v: &mut Validator, at: &str, representations: &[Representation]) {
    for (i, r) in representations.iter().enumerate() {
        v.required(&format!("{at}[{i}].contentType"), &r.content_type);
        if let Some(form) = &r.form_parameters {
            check_parameters(v, &format!("{at}[{i}].formParameters"), form);
        }
    }
}

impl Operation {
    /// The parsed URL template.
    pub fn template(&self) -> Result<UrlTemplate, ApiError> {
        UrlTemplate::parse(&self.url_template)
            .map_err(|m| ApiError::invalid_field("urlTemplate", "Template", m))
    }

    /// The schema ids the representations name.
    pub fn schema_ids(&self) -> impl Iterator<Item = &str> {
        let request = self.request.representations.iter();
        let responses = self.responses.iter().flat_map(|r| r.representations.iter());
        request
            .chain(responses)
            .filter_map(|r| r.schema_id.as_deref())
    }

    fn apply(&mut self, input: OperationInput) {
        if let Some(name) = input.name {
            self.name = name;
        }
        if let Some(method) = input.method {
            self.method = method.to_ascii_uppercase();
        }
        if let Some(template) = input.url_template {
            self.url_template = template;
        }
        if let Some(parameters) = input.template_parameters {
            self.template_parameters = parameters;
        }
        if input.description.is_some() {
            self.description = input.description;
        }
        if let Some(request) = input.request {
            self.request = request;
        }
        if let Some(responses) = input.responses {
            self.responses = responses;
        }
    }

    /// Validates every field and normalises the template (leading `/`).
    fn validate(&mut self) -> Result<(), ApiError> {
        let mut v = Validator::new();
        v.length("name", &self.name, 1, 300);
        if !is_token(&self.method) {
            v.fail(
                "method",
                "Pattern",
                format!("method must be an HTTP method token, got '{}'", self.method),
            );
        }
        if let Some(d) = &self.description {
            v.length("description", d, 0, 1000);
        }
        check_parameters(&mut v, "templateParameters", &self.template_parameters);
        check_parameters(
            &mut v,
            "request.queryParameters",
            &self.request.query_parameters,
        );
        check_parameters(&mut v, "request.headers", &self.request.headers);
        check_representations(
            &mut v,
            "request.representations",
            &self.request.representations,
        );
        for (i, r) in self.responses.iter().enumerate() {
            match r.status_code {
                Some(code) if (100..=599).contains(&code) => {}
                Some(code) => v.fail(
                    &format!("responses[{i}].statusCode"),
                    "Range",
                    format!("statusCode must be 100..599, got {code}"),
                ),
                None => v.fail(
                    &format!("responses[{i}].statusCode"),
                    "Required",
                    "statusCode is required",
                ),
            }
            check_representations(
                &mut v,
                &format!("responses[{i}].representations"),
                &r.representations,
            );
            check_parameters(&mut v, &format!("responses[{i}].headers"), &r.headers);
        }
        match UrlTemplate::parse(&self.url_template) {
            Ok(template) => {
                self.check_template_parameters(&mut v, &template);
                self.url_template = template.text;
            }
            Err(message) => v.fail("urlTemplate", "Template", message),
        }
        v.finish()
    }

    /// Every parameter of the template is described in `templateParameters`, and vice versa.
    fn check_template_parameters(&self, v: &mut Validator, template: &UrlTemplate) {
        let described: Vec<&str> = self
            .template_parameters
            .iter()
            .filter_map(|p| p.name.as_deref())
            .collect();
        for name in &template.parameters {
            if !described.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                v.fail(
                    "templateParameters",
                    "Missing",
                    format!("template parameter '{name}' is not described in templateParameters"),
                );
            }
        }
        for (i, name) in described.iter().enumerate() {
            if !template
                .parameters
                .iter()
                .any(|t| t.eq_ignore_ascii_case(name))
            {
                v.fail(
                    &format!("templateParameters[{i}].name"),
                    "Unused",
                    format!("'{name}' is not a parameter of urlTemplate"),
                );
            }
        }
    }
}

impl Entity for Operation {
    const KIND: &'static str = "operation";
    const TYPE_NAME: &'static str = "Operation";
    const COLLECTION: &'static str = "/operations";
    const ID_PARAM: &'static str = "operationId";
    const PARENT: Option<Parent> = Some(Parent::of::<Api>());

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, _id: &'a str, name: &str) -> FieldValue<'a> {
        match name {
            "name" => FieldValue::String(Some(Cow::Borrowed(&self.name))),
            "method" => FieldValue::String(Some(Cow::Borrowed(&self.method))),
            "description" => FieldValue::String(self.description.as_deref().map(Cow::Borrowed)),
            "urlTemplate" => FieldValue::String(Some(Cow::Borrowed(&self.url_template))),
            _ => FieldValue::String(None),
        }
    }

    fn from_put(_: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: OperationInput = decode(body)?;
        let mut v = Validator::new();
        v.required("name", &input.name);
        v.required("method", &input.method);
        v.required("urlTemplate", &input.url_template);
        v.finish()?;
        let mut operation = Operation {
            name: String::new(),
            method: String::new(),
            url_template: String::new(),
            template_parameters: Vec::new(),
            description: None,
            request: Request::default(),
            responses: Vec::new(),
        };
        operation.apply(input);
        operation.validate()?;
        Ok(operation)
    }

    fn patched(mut self, _: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        self.apply(decode(body)?);
        self.validate()?;
        Ok(self)
    }

    fn render(&self, _: ApiVersion, wire_id: &str) -> Value {
        let mut out = json!({
            "id": wire_id, "name": self.name, "method": self.method, "urlTemplate": self.url_template,
            "templateParameters": self.template_parameters,
        });
        if let Some(d) = &self.description {
            out["description"] = json!(d);
        }
        out["request"] = json!(self.request);
        out["responses"] = json!(self.responses);
        out
    }

    fn render_in_list(&self, _: ApiVersion, wire_id: &str) -> Value {
        let mut out = json!({ "id": wire_id, "name": self.name, "method": self.method, "urlTemplate": self.url_template });
        if let Some(d) = &self.description {
            out["description"] = json!(d);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(body: Value) -> Result<Operation, ApiError> {
        Operation::from_put(ApiVersion::LATEST, body.to_string().as_bytes())
    }

    fn targets(err: ApiError) -> Vec<String> {
        err.details.into_iter().filter_map(|d| d.target).collect()
    }

    #[test]
    fn renders_the_2017_example() {
        let op = put(json!({"name": "op", "method": "patch", "urlTemplate": "template_1", "description": "d"})).unwrap();
        assert_eq!(
            op.render(ApiVersion::LATEST, "/apis/a/operations/o"),
            json!({"id": "/apis/a/operations/o", "name": "op", "method": "PATCH", "urlTemplate": "/template_1",
                   "templateParameters": [], "description": "d",
                   "request": {"queryParameters": [], "headers": [], "representations": []}, "responses": []})
        );
    }

    #[test]
    fn template_parameters_must_match_both_ways() {
        let p = |n: &str| json!({"name": n, "type": "string"});
        assert!(put(json!({"name": "o", "method": "GET", "urlTemplate": "/a/{id}?d={date}", "templateParameters": [p("id"), p("date")]})).is_ok());
        let missing =
            put(json!({"name": "o", "method": "GET", "urlTemplate": "/a/{id}"})).unwrap_err();
        assert_eq!(targets(missing), ["templateParameters"]);
        let extra = put(json!({"name": "o", "method": "GET", "urlTemplate": "/a", "templateParameters": [p("id")]})).unwrap_err();
        assert_eq!(targets(extra), ["templateParameters[0].name"]);
    }

    #[test]
    fn validates_nested_fields() {
        let body = json!({"name": "", "method": "GE T", "urlTemplate": "/a/{b",
            "request": {"queryParameters": [{"name": "q"}], "representations": [{"sample": "x"}]},
            "responses": [{"statusCode": 700}, {"representations": []}]});
        assert_eq!(
            targets(put(body).unwrap_err()),
            [
                "name",
                "method",
                "request.queryParameters[0].type",
                "request.representations[0].contentType",
                "responses[0].statusCode",
                "responses[1].statusCode",
                "urlTemplate"
            ]
        );
    }
}
