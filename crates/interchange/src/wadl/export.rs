//! WADL 2009/02 export.

use super::TOLLGATE_NS;
use super::tree::WADL_2009;
use std::collections::HashMap;
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::operation::{Operation, Parameter, Representation, Response};
use tollgate_contract::entity::schema::Schema;

/// The XML Schema namespace, bound to `xs` for parameter types.
const XSD: &str = "http://www.w3.org/2001/XMLSchema";

/// Exports an API as a WADL document.
///
/// A WADL 2009/02 `<application>`: the API's name and description as its `<doc>`, one
/// `<resources base="{serviceUrl}">`, and one `<resource path>` per distinct URL template path
/// (the template without its query part), in the order the operations first use them. Each
/// operation is a `<method id name>` with its name and description as `<doc>`, a `<request>`
/// with its template (`style="template"`), query and header parameters (`type="xs:{type}"`,
/// `required`, `default`, `<option>`s) and representations (form fields as query-style params
/// inside them), and a `<response status>` per response with its header params and
/// representations. A query-part template parameter (`/a?name={param}`) is written as the
/// required query parameter `name` carrying Tollgate's `template="param"` extension attribute,
/// so that [`import_wadl`](crate::import_wadl) restores the template. Schemas are not written
/// (WADL grammars would need XML Schema). Every value is XML-escaped.
pub fn export_wadl(
    api: &Api,
    operations: &[(String, Operation)],
    _schemas: &[(String, Schema)],
) -> String {
    let mut w = Writer::default();
    w.out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    w.open("application", &[("xmlns", WADL_2009), ("xmlns:xs", XSD)]);
    w.text("doc", &[("title", &api.name)], api.description.as_deref());
    match api.service_url.as_deref() {
        Some(base) => w.open("resources", &[("base", base)]),
        None => w.open("resources", &[]),
    }
    for (path, entries) in by_path(operations) {
        w.open("resource", &[("path", path)]);
        for (id, op) in entries {
            method(&mut w, id, op);
        }
        w.close("resource");
    }
    w.close("resources");
    w.close("application");
    w.out.push('\n');
    w.out
}

/// The operations grouped by template path, paths in order of first use.
fn by_path(operations: &[(String, Operation)]) -> Vec<(&str, Vec<&(String, Operation)>)> {
    let mut out: Vec<(&str, Vec<&(String, Operation)>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for entry in operations {
        let path = entry.1.url_template.split('?').next().unwrap_or("");
        match index.get(path).and_then(|&i| out.get_mut(i)) {
            Some((_, list)) => list.push(entry),
            None => {
                index.insert(path, out.len());
                out.push((path, vec![entry]));
            }
        }
    }
    out
}

fn method(w: &mut Writer, id: &str, op: &Operation) {
    w.open("method", &[("id", id), ("name", &op.method)]);
    w.text("doc", &[("title", &op.name)], op.description.as_deref());
    // `name={param}` pairs of the template's query part.
    let query = op.url_template.split_once('?').map_or("", |(_, q)| q);
    let pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            Some((name, value.strip_prefix('{')?.strip_suffix('}')?))
        })
        .collect();
    let request = &op.request;
    let has_request = !op.template_parameters.is_empty()
        || !request.query_parameters.is_empty()
        || !request.headers.is_empty()
        || !request.representations.is_empty()
        || request.description.is_some();
    if has_request {
        w.open("request", &[]);
        if let Some(description) = &request.description {
            w.text("doc", &[], Some(description));
        }
        for p in &op.template_parameters {
            let Some(name) = p.name.as_deref() else {
                continue;
            };
            match pairs
                .iter()
                .find(|(_, param)| param.eq_ignore_ascii_case(name))
            {
                Some((literal, _)) => param(w, p, literal, "query", Some(name)),
                None => param(w, p, name, "template", None),
            }
        }
        for (list, style) in [
            (&request.query_parameters, "query"),
            (&request.headers, "header"),
        ] {
            for p in list {
                if let Some(name) = p.name.as_deref() {
                    param(w, p, name, style, None);
                }
            }
        }
        for r in &request.representations {
            representation(w, r);
        }
        w.close("request");
    }
    for r in &op.responses {
        response(w, r);
    }
    w.close("method");
}

/// A `<param>`; `template` names the template parameter a query parameter stands for.
fn param(w: &mut Writer, p: &Parameter, name: &str, style: &str, template: Option<&str>) {
    let param_type = match p.param_type.as_deref().map(str::trim) {
        None | Some("") => "xs:string".to_owned(),
        Some(t) if t.contains(':') => t.to_owned(),
        Some(t) => format!("xs:{t}"),
    };
    let mut attributes: Vec<(&str, &str)> = Vec::new();
    if let Some(template) = template {
        attributes.push(("xmlns:tollgate", TOLLGATE_NS));
        attributes.push(("tollgate:template", template));
    }
    attributes.extend([("name", name), ("style", style), ("type", &param_type)]);
    match p.required {
        Some(true) => attributes.push(("required", "true")),
        Some(false) => attributes.push(("required", "false")),
        None => {}
    }
    if let Some(default) = &p.default_value {
        attributes.push(("default", default));
    }
    let values = p.values.as_deref().unwrap_or(&[]);
    if p.description.is_none() && values.is_empty() {
        w.empty("param", &attributes);
        return;
    }
    w.open("param", &attributes);
    if let Some(description) = &p.description {
        w.text("doc", &[], Some(description));
    }
    for value in values {
        w.empty("option", &[("value", value)]);
    }
    w.close("param");
}

fn representation(w: &mut Writer, r: &Representation) {
    let Some(media_type) = r.content_type.as_deref() else {
        return;
    };
    let fields: Vec<(&Parameter, &str)> = r
        .form_parameters
        .iter()
        .flatten()
        .filter_map(|p| Some((p, p.name.as_deref()?)))
        .collect();
    if fields.is_empty() {
        w.empty("representation", &[("mediaType", media_type)]);
        return;
    }
    w.open("representation", &[("mediaType", media_type)]);
    for (p, name) in fields {
        param(w, p, name, "query", None);
    }
    w.close("representation");
}

fn response(w: &mut Writer, r: &Response) {
    let Some(status) = r.status_code.map(|c| c.to_string()) else {
        return;
    };
    let headers: Vec<(&Parameter, &str)> = r
        .headers
        .iter()
        .filter_map(|p| Some((p, p.name.as_deref()?)))
        .collect();
    let bodies = r.representations.iter().any(|x| x.content_type.is_some());
    if r.description.is_none() && headers.is_empty() && !bodies {
        w.empty("response", &[("status", &status)]);
        return;
    }
    w.open("response", &[("status", &status)]);
    if let Some(description) = &r.description {
        w.text("doc", &[], Some(description));
    }
    for (p, name) in headers {
        param(w, p, name, "header", None);
    }
    for x in &r.representations {
        representation(w, x);
    }
    w.close("response");
}

/// An indenting XML writer.
#[derive(Default)]
struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn start_tag(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
    }

    fn open(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.start_tag(name, attributes);
        self.out.push('>');
        self.depth += 1;
    }

    fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.start_tag(name, attributes);
        self.out.push_str("/>");
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name …>text</name>` on one line, or `<name …/>` without text.
    fn text(&mut self, name: &str, attributes: &[(&str, &str)], text: Option<&str>) {
        let Some(text) = text else {
            self.empty(name, attributes);
            return;
        };
        self.start_tag(name, attributes);
        self.out.push('>');
        escape_into(&mut self.out, text, false);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }
}

/// Appends `text` XML-escaped: markup characters as entities, in attributes also the
/// whitespace that attribute-value normalisation would change; characters XML cannot carry
/// become U+FFFD.
fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'.. => {
                out.push(c);
            }
            _ => out.push('\u{FFFD}'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_unrepresentable_characters() {
        let mut out = String::new();
        escape_into(&mut out, "a<b>&\"c\"\n\t\r\u{1}", true);
        assert_eq!(out, "a&lt;b&gt;&amp;&quot;c&quot;&#10;&#9;&#13;\u{FFFD}");
        out.clear();
        escape_into(&mut out, "\"x\"\n\t", false);
        assert_eq!(out, "\"x\"\n\t");
    }
}
