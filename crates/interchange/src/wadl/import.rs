//! The document as a whole: the API's name and backend, and the walk over resources and
//! methods.

use super::TOLLGATE_NS;
use super::parts::{Body, Doc, Param, Style, description, push_representation, title};
use super::tree::{self, Element, MAX_DEPTH};
use crate::ids::{IdAllocator, truncate};
use crate::params::undescribed;
use crate::{ImportError, ImportedApi};
use std::collections::HashMap;
use tollgate_contract::entity::operation::{Operation, Request};
use tollgate_contract::url_template::UrlTemplate;
use tollgate_contract::validate::is_http_url;

/// The API name when the document has no `<doc title>`.
const DEFAULT_NAME: &str = "Imported WADL API";
/// The most resources walked: resource types can expand a small document exponentially.
const MAX_RESOURCES: usize = 10_000;

/// Imports a WADL document (`http://wadl.dev.java.net/2009/02`, also the 2006/10 namespace or
/// none).
///
/// The name is the `<doc title>` of the application (or of its `<resources>`), the description
/// its `<doc>` text; the service URL is the first `<resources base>` that is an absolute
/// http(s) URL (trailing `/` removed), its scheme the protocol (`https` otherwise). Every
/// `<method>` of every `<resource>` is an operation: the method name upper case, the URL
/// template the resource's path joined to its ancestors' (JAX-RS patterns such as `{id: \d+}`
/// reduced to `{id}`), template parameters described by the `template` params of the resource,
/// its ancestors or the request (undescribed ones added as required strings), `query` and
/// `header` params of the resource and the request (the request's replacing the resource's of
/// the same name), request representations, and one response per status code of the
/// `<response status="200 201">` lists (200 when there is none). The id is the method's `id`
/// sanitised like OpenAPI `operationId`s, else `{method}-{path}`, made unique; the name its
/// `<doc title>`, else its `id`, else `{METHOD} {path}`. Grammars are ignored: no schemas.
pub fn import_wadl(document: &str) -> Result<ImportedApi, ImportError> {
    let source = document.strip_prefix('\u{feff}').unwrap_or(document);
    let root = tree::parse(source)?;
    let doc = Doc::new(source, &root);
    let resources: Vec<&Element> = root.wadl_children("resources").collect();
    let name = std::iter::once(&root)
        .chain(resources.iter().copied())
        .find_map(title)
        .map_or_else(|| DEFAULT_NAME.to_owned(), |t| truncate(t, 300));
    let service_url = resources.iter().find_map(|r| {
        let base = r.attr("base")?.trim().trim_end_matches('/');
        is_http_url(base).then(|| base.to_owned())
    });
    let protocol = match &service_url {
        Some(url) if url.to_ascii_lowercase().starts_with("http://") => "http",
        _ => "https",
    };
    let mut walk = Walk {
        doc: &doc,
        ids: IdAllocator::default(),
        seen: HashMap::new(),
        operations: Vec::new(),
        resources: 0,
    };
    for list in &resources {
        for resource in list.wadl_children("resource") {
            walk.resource(resource, "", &[], 0)?;
        }
    }
    Ok(ImportedApi {
        name,
        description: description(&root),
        service_url,
        protocols: vec![protocol.to_owned()],
        operations: walk.operations,
        schemas: Vec::new(),
        api_type: None,
    })
}

/// The walk over the resource tree.
struct Walk<'a, 'd> {
    doc: &'d Doc<'a>,
    ids: IdAllocator,
    /// `(method, template shape)` → the template that took it.
    seen: HashMap<(String, String), String>,
    operations: Vec<(String, Operation)>,
    /// How many resources were walked.
    resources: usize,
}

impl<'a> Walk<'a, '_> {
    /// A resource under `parent` (a path), with the template params of its ancestors.
    fn resource(
        &mut self,
        resource: &'a Element,
        parent: &str,
        inherited: &[Param<'a>],
        depth: usize,
    ) -> Result<(), ImportError> {
        let doc = self.doc;
        if depth >= MAX_DEPTH {
            return Err(doc.error(
                resource,
                format!("resources nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.resources += 1;
        if self.resources > MAX_RESOURCES {
            return Err(doc.error(
                resource,
                format!("more than {MAX_RESOURCES} resources (with their resource types expanded)"),
            ));
        }
        let path = join(parent, &strip_patterns(resource.attr("path").unwrap_or("")));
        let bodies = self.bodies(resource)?;
        let mut templates = inherited.to_vec();
        let mut own = Vec::new();
        for body in &bodies {
            for p in doc.params(body)? {
                match p.style {
                    Style::Template => templates.push(p),
                    Style::Query | Style::Header => own.push(p),
                    Style::Other => {}
                }
            }
        }
        for body in &bodies {
            for child in body.elements().filter(|e| e.wadl) {
                match child.name.as_str() {
                    "method" => {
                        if let Some(definition) = doc.resolve(child, "method")? {
                            self.method(child, definition, &path, &templates, &own)?;
                        }
                    }
                    "resource" => self.resource(child, &path, &templates, depth + 1)?,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The resource and the `<resource_type>`s its `type` attribute names.
    fn bodies(&self, resource: &'a Element) -> Result<Vec<&'a Element>, ImportError> {
        let mut out = vec![resource];
        for reference in resource.attr("type").unwrap_or("").split_whitespace() {
            let Some(id) = reference.strip_prefix('#') else {
                continue;
            };
            match self.doc.by_id(id) {
                Some(t) if t.name == "resource_type" => out.push(t),
                _ => {
                    return Err(self.doc.error(
                        resource,
                        format!("type '{reference}' names no <resource_type> of the document"),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The operation of a method (`at`: where it is used; `definition`: its content).
    fn method(
        &mut self,
        at: &'a Element,
        definition: &'a Element,
        path: &str,
        templates: &[Param<'a>],
        resource_params: &[Param<'a>],
    ) -> Result<(), ImportError> {
        let doc = self.doc;
        let method = definition
            .attr("name")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| doc.error(definition, "a <method> needs a name (the HTTP method)"))?
            .to_ascii_uppercase();
        let request = definition.wadl_children("request").next();
        let mut templates = templates.to_vec();
        let mut params: Vec<Param<'a>> = resource_params.to_vec();
        if let Some(request) = request {
            for p in doc.params(request)? {
                if p.style == Style::Template {
                    templates.push(p);
                    continue;
                }
                let same = params
                    .iter_mut()
                    .find(|q| q.style == p.style && q.name == p.name);
                match same {
                    Some(slot) => *slot = p,
                    None => params.push(p),
                }
            }
        }
        // Query parameters that are query-part parameters of the template (export marks them).
        let marked = |p: &Param<'a>| -> Option<&'a str> {
            let e = p.element;
            (p.style == Style::Query)
                .then(|| e.attr_ns(Some(TOLLGATE_NS), "template"))
                .flatten()
                .map(str::trim)
        };
        let pairs: Vec<String> = params
            .iter()
            .filter_map(|p| Some(format!("{}={{{}}}", p.name, marked(p)?)))
            .collect();
        let path = if path.is_empty() { "/" } else { path };
        let text = match pairs.is_empty() {
            true => path.to_owned(),
            false => format!("{path}?{}", pairs.join("&")),
        };
        let template = UrlTemplate::parse(&text)
            .map_err(|m| doc.error(at, format!("'{text}' is not a valid URL template: {m}")))?;
        let key = (method.clone(), template.shape());
        if let Some(other) = self.seen.get(&key) {
            return Err(doc.error(
                at,
                format!(
                    "{method} {} matches the same requests as {method} {other}",
                    template.text
                ),
            ));
        }
        self.seen.insert(key, template.text.clone());
        let mut template_parameters = Vec::new();
        for name in &template.parameters {
            let in_query = params
                .iter()
                .find(|p| marked(p).is_some_and(|t| t.eq_ignore_ascii_case(name)));
            let described = in_query.or_else(|| {
                templates
                    .iter()
                    .rev()
                    .find(|p| p.name.eq_ignore_ascii_case(name))
            });
            template_parameters.push(match described {
                Some(p) => p.describe(name, true),
                None => undescribed(name),
            });
        }
        let mut out = Request::default();
        for p in params.iter().filter(|p| marked(p).is_none()) {
            match p.style {
                Style::Query => out.query_parameters.push(p.describe(p.name, false)),
                Style::Header => out.headers.push(p.describe(p.name, false)),
                Style::Template | Style::Other => {}
            }
        }
        if let Some(request) = request {
            out.description = description(request);
            for r in request.wadl_children("representation") {
                if let Some(Body {
                    representation: Some(r),
                    ..
                }) = doc.body(r, "representation")?
                {
                    push_representation(&mut out.representations, r);
                }
            }
        }
        let responses = doc.responses(definition)?;
        let raw_id = definition.attr("id").filter(|i| !i.trim().is_empty());
        let id = self.ids.allocate(raw_id, &method, &template.text);
        let name = match title(definition).or(raw_id) {
            Some(name) => truncate(name, 300),
            None => truncate(&format!("{method} {}", template.text), 300),
        };
        let operation = Operation {
            name,
            method,
            url_template: template.text,
            template_parameters,
            description: description(definition).map(|d| truncate(&d, 1000)),
            request: out,
            responses,
        };
        let operation = check(doc, at, operation)?;
        self.operations.push((id, operation));
        Ok(())
    }
}

/// `parent` and a child resource's path joined by one `/`.
fn join(parent: &str, child: &str) -> String {
    let child = child.trim().trim_start_matches('/');
    if child.is_empty() {
        return parent.to_owned();
    }
    format!("{}/{child}", parent.trim_end_matches('/'))
}

/// `path` without the JAX-RS patterns of its template parameters: `{id: [0-9]{3}}` → `{id}`.
fn strip_patterns(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..=open]);
        let inner = &rest[open + 1..];
        let mut depth = 1usize;
        let mut close = None;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(close) = close else {
            out.push_str(inner);
            return out;
        };
        out.push_str(inner[..close].split(':').next().unwrap_or("").trim());
        out.push('}');
        rest = &inner[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Runs Tollgate's own operation validation over an imported operation.
fn check(doc: &Doc<'_>, at: &Element, operation: Operation) -> Result<Operation, ImportError> {
    crate::validate_operation(operation).map_err(|message| doc.error(at, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_paths_and_strips_patterns() {
        assert_eq!(join("", "a"), "/a");
        assert_eq!(join("/a", "{id}"), "/a/{id}");
        assert_eq!(join("/a/", "/b/"), "/a/b/");
        assert_eq!(join("/a", "/"), "/a");
        assert_eq!(join("", ""), "");
        assert_eq!(strip_patterns("/x/{id: [0-9]{3}}/{b}"), "/x/{id}/{b}");
        assert_eq!(strip_patterns("{e:stats|summary}/{ j }"), "{e}/{j}");
        assert_eq!(strip_patterns("/a/{open"), "/a/{open");
        assert_eq!(strip_patterns("é{ü}ß"), "é{ü}ß");
    }
}
