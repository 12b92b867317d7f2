//! The pieces of a method: documentation, parameters, representations and responses, and the
//! `href="#id"` references between them.

use super::tree::{Element, error_at};
use crate::ImportError;
use std::collections::HashMap;
use tollgate_contract::entity::operation::{Parameter, Representation, Response};

/// The longest chain of `href` references followed.
pub(crate) const MAX_REFERENCES: usize = 16;

/// The document being imported: its text (for line numbers) and its elements with an `id`.
pub(crate) struct Doc<'a> {
    source: &'a str,
    ids: HashMap<&'a str, &'a Element>,
}

/// How a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// A URL template parameter.
    Template,
    /// A query parameter (or, inside a representation, a form field).
    Query,
    /// A header.
    Header,
    /// `matrix`, `plain` or anything else: not kept.
    Other,
}

/// A `<param>` (its reference followed), with its name and style.
#[derive(Debug, Clone)]
pub(crate) struct Param<'a> {
    pub name: &'a str,
    pub style: Style,
    pub element: &'a Element,
}

/// A `<representation>` (or 2006/10 `<fault>`): the representation when it names a media type,
/// and the header parameters it declares (response headers).
pub(crate) struct Body<'a> {
    pub representation: Option<Representation>,
    pub headers: Vec<Param<'a>>,
}

impl Param<'_> {
    /// The contract's parameter: `type` without its `xs:`/`xsd:` prefix (`string` when absent),
    /// `required`, `default`, the `<option>` values and the `<doc>` text.
    pub fn describe(&self, name: &str, always_required: bool) -> Parameter {
        let e = self.element;
        let required =
            always_required || matches!(e.attr("required").map(str::trim), Some("true" | "1"));
        let values: Vec<String> = e
            .wadl_children("option")
            .filter_map(|o| o.attr("value"))
            .map(str::to_owned)
            .collect();
        Parameter {
            name: Some(name.to_owned()),
            description: description(e),
            param_type: Some(param_type(e.attr("type"))),
            default_value: e.attr("default").map(str::to_owned),
            required: Some(required),
            values: (!values.is_empty()).then_some(values),
        }
    }
}

/// A WADL type as the contract spells it: `xs:int` → `int`.
fn param_type(raw: Option<&str>) -> String {
    let t = raw.map_or("", str::trim);
    let t = t
        .strip_prefix("xs:")
        .or_else(|| t.strip_prefix("xsd:"))
        .unwrap_or(t);
    if t.is_empty() { "string" } else { t }.to_owned()
}

/// The `<doc>` children of an element.
fn docs(element: &Element) -> impl Iterator<Item = &Element> {
    element.wadl_children("doc")
}

/// The first non-blank `title` of the element's `<doc>`s.
pub(crate) fn title(element: &Element) -> Option<&str> {
    docs(element).find_map(|d| d.attr("title").filter(|t| !t.trim().is_empty()))
}

/// The text of the element's first `<doc>` that has some: trimmed when it is plain text,
/// whitespace collapsed when it is markup (XHTML, DocBook).
pub(crate) fn description(element: &Element) -> Option<String> {
    docs(element).find_map(|d| {
        let text = d.text();
        let text = match d.elements().next() {
            None => text.trim().to_owned(),
            Some(_) => text.split_whitespace().collect::<Vec<_>>().join(" "),
        };
        (!text.is_empty()).then_some(text)
    })
}

/// Adds a representation unless one of the same media type is there.
pub(crate) fn push_representation(list: &mut Vec<Representation>, r: Representation) {
    if !list.iter().any(|x| x.content_type == r.content_type) {
        list.push(r);
    }
}

/// Adds a parameter unless one of the same name (case-insensitively) is there.
fn push_parameter(list: &mut Vec<Parameter>, p: Parameter) {
    let same = |x: &Parameter| match (&x.name, &p.name) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    };
    if !list.iter().any(same) {
        list.push(p);
    }
}

impl<'a> Doc<'a> {
    /// Indexes the WADL elements of `root` by `id` (the first of an id wins).
    pub fn new(source: &'a str, root: &'a Element) -> Doc<'a> {
        fn index<'a>(element: &'a Element, ids: &mut HashMap<&'a str, &'a Element>) {
            if let Some(id) = element.attr("id") {
                ids.entry(id).or_insert(element);
            }
            for child in element.elements().filter(|e| e.wadl) {
                index(child, ids);
            }
        }
        let mut ids = HashMap::new();
        index(root, &mut ids);
        Doc { source, ids }
    }

    /// An error at `element`.
    pub fn error(&self, element: &Element, message: impl AsRef<str>) -> ImportError {
        error_at(self.source, &element.path, element.offset, message)
    }

    /// The WADL element with this `id`.
    pub fn by_id(&self, id: &str) -> Option<&'a Element> {
        self.ids.get(id).copied()
    }

    /// `element` itself, or the `kind` element its `href="#id"` names (chains followed);
    /// `None` for a reference into another document.
    pub fn resolve(
        &self,
        element: &'a Element,
        kind: &str,
    ) -> Result<Option<&'a Element>, ImportError> {
        let mut current = element;
        for _ in 0..MAX_REFERENCES {
            let Some(href) = current.attr("href").map(str::trim) else {
                return Ok(Some(current));
            };
            let Some(id) = href.strip_prefix('#') else {
                return Ok(None);
            };
            match self.by_id(id) {
                Some(target) if target.name == kind => current = target,
                Some(target) => {
                    return Err(self.error(
                        current,
                        format!("href '{href}' names a <{}>, not a <{kind}>", target.name),
                    ));
                }
                None => {
                    return Err(self.error(
                        current,
                        format!("href '{href}' names no element of the document"),
                    ));
                }
            }
        }
        Err(self.error(
            element,
            format!("more than {MAX_REFERENCES} chained href references (a cycle?)"),
        ))
    }

    /// The `<param>` children of `container`, references followed.
    pub fn params(&self, container: &'a Element) -> Result<Vec<Param<'a>>, ImportError> {
        let mut out = Vec::new();
        for param in container.wadl_children("param") {
            let Some(param) = self.resolve(param, "param")? else {
                continue;
            };
            let name = param
                .attr("name")
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| self.error(param, "a <param> needs a name"))?;
            let style = match param.attr("style").map(str::trim) {
                None | Some("query") => Style::Query,
                Some("template") => Style::Template,
                Some("header") => Style::Header,
                Some(_) => Style::Other,
            };
            out.push(Param {
                name,
                style,
                element: param,
            });
        }
        Ok(out)
    }

    /// A `<representation>` or `<fault>` (`kind`): its media type and query-style parameters
    /// (form fields), and its header parameters. `None` for a reference into another document.
    pub fn body(&self, element: &'a Element, kind: &str) -> Result<Option<Body<'a>>, ImportError> {
        let Some(element) = self.resolve(element, kind)? else {
            return Ok(None);
        };
        let params = self.params(element)?;
        let form: Vec<Parameter> = params
            .iter()
            .filter(|p| p.style == Style::Query)
            .map(|p| p.describe(p.name, false))
            .collect();
        let representation = element
            .attr("mediaType")
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(|media_type| Representation {
                content_type: Some(media_type.to_owned()),
                sample: None,
                schema_id: None,
                type_name: None,
                form_parameters: (!form.is_empty()).then_some(form),
            });
        let headers = params
            .into_iter()
            .filter(|p| p.style == Style::Header)
            .collect();
        Ok(Some(Body {
            representation,
            headers,
        }))
    }

    /// `status="200 201"`: the status codes, 200 when there is none.
    fn statuses(&self, at: &Element, raw: Option<&str>) -> Result<Vec<i64>, ImportError> {
        let mut out = Vec::new();
        for token in raw.unwrap_or("").split_whitespace() {
            match token.parse::<i64>() {
                Ok(code) if (100..=599).contains(&code) => out.push(code),
                _ => {
                    return Err(self.error(
                        at,
                        format!("status '{token}' is not an HTTP status code (100-599)"),
                    ));
                }
            }
        }
        if out.is_empty() {
            out.push(200);
        }
        Ok(out)
    }

    /// The responses of a method: one per status code, the `<response>`s naming the same code
    /// merged (representations and headers added, each media type and header name once).
    pub fn responses(&self, method: &'a Element) -> Result<Vec<Response>, ImportError> {
        let mut out: Vec<Response> = Vec::new();
        for response in method.wadl_children("response") {
            let mut part = Response {
                status_code: None,
                description: description(response),
                representations: Vec::new(),
                headers: Vec::new(),
            };
            let mut headers: Vec<Param<'a>> = self.params(response)?;
            headers.retain(|p| p.style == Style::Header);
            for r in response.wadl_children("representation") {
                if let Some(body) = self.body(r, "representation")? {
                    part.representations.extend(body.representation);
                    headers.extend(body.headers);
                }
            }
            for h in &headers {
                push_parameter(&mut part.headers, h.describe(h.name, false));
            }
            for status in self.statuses(response, response.attr("status"))? {
                merge(&mut out, status, &part);
            }
            // WADL 2006/10: faults carry their own status.
            for fault in response.wadl_children("fault") {
                let Some(status) = fault.attr("status") else {
                    continue;
                };
                let statuses = self.statuses(fault, Some(status))?;
                let Some(body) = self.body(fault, "fault")? else {
                    continue;
                };
                let fault_part = Response {
                    status_code: None,
                    description: description(fault),
                    representations: body.representation.into_iter().collect(),
                    headers: body
                        .headers
                        .iter()
                        .map(|h| h.describe(h.name, false))
                        .collect(),
                };
                for status in statuses {
                    merge(&mut out, status, &fault_part);
                }
            }
        }
        Ok(out)
    }
}

/// Adds `part` as the response of `status`, or merges it into the one already there.
fn merge(out: &mut Vec<Response>, status: i64, part: &Response) {
    let index = match out.iter().position(|r| r.status_code == Some(status)) {
        Some(index) => index,
        None => {
            out.push(Response {
                status_code: Some(status),
                description: None,
                representations: Vec::new(),
                headers: Vec::new(),
            });
            out.len() - 1
        }
    };
    let Some(target) = out.get_mut(index) else {
        return;
    };
    if target.description.is_none() {
        target.description.clone_from(&part.description);
    }
    for r in &part.representations {
        push_representation(&mut target.representations, r.clone());
    }
    for h in &part.headers {
        push_parameter(&mut target.headers, h.clone());
    }
}
