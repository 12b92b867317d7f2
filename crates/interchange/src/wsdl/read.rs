//! WSDL import: the selected port's binding, its operations and the `<types>` schemas.

use super::select::{address, documentation, name_of, named, select};
use super::tree::{NodeId, Tree};
use super::{
    SOAP_ACTION_HEADER, SoapVersion, WSDL_NS, WSDL20_NS, WsdlSelector, XSD_CONTENT_TYPE, XSD_NS,
    soap12_content_type,
};
use crate::ids::{IdAllocator, truncate};
use crate::{ImportError, ImportedApi};
use quick_xml::escape::escape;
use tollgate_contract::entity::operation::{
    Operation, Parameter, Representation, Request, Response,
};
use tollgate_contract::entity::schema::Schema;

/// Imports a WSDL 1.1 document (SOAP 1.1 and 1.2 bindings) as a SOAP pass-through API: the
/// port `selector` picks (the only SOAP port when the document has one), its binding's
/// operations as described in the [module documentation](crate::wsdl), and the `<types>`
/// schemas. Every operation passes Tollgate's own operation validation.
pub fn import_wsdl(document: &str, selector: &WsdlSelector) -> Result<ImportedApi, ImportError> {
    let tree = Tree::parse(document)?;
    let defs = tree.root();
    check_root(&tree, defs)?;
    let schemas = schemas(&tree, defs);
    let port = select(&tree, defs, selector)?;
    let (binding, version) = match (port.binding, port.version) {
        (Some(binding), Some(version)) => (binding, version),
        (None, _) => {
            let name = tree.attr(port.node, "binding").unwrap_or("");
            return Err(tree.error(
                port.node,
                format!("the port's binding '{name}' is not defined in the document"),
            ));
        }
        (Some(binding), None) => {
            return Err(tree.error(
                port.node,
                format!(
                    "the port '{}' uses the binding '{}', which is not a SOAP 1.1 or SOAP 1.2 binding",
                    name_of(&tree, port.node),
                    name_of(&tree, binding)
                ),
            ));
        }
    };
    let type_ref = tree.attr(binding, "type").unwrap_or("");
    let port_type = named(&tree, defs, "portType", type_ref).ok_or_else(|| {
        tree.error(
            binding,
            format!("the binding's portType '{type_ref}' is not defined in the document"),
        )
    })?;
    let site = Site {
        tree: &tree,
        defs,
        port_type,
        version,
        schemas: &schemas,
    };
    let mut ids = IdAllocator::default();
    let mut operations = Vec::new();
    for op in tree.children(binding, WSDL_NS, "operation") {
        let (id, operation) = site.operation(op, &mut ids)?;
        operations.push((id, check(operation, &tree, op)?));
    }
    let service_url = address(&tree, port.node, version);
    let protocol = match &service_url {
        Some(url) if url.to_ascii_lowercase().starts_with("http://") => "http",
        _ => "https",
    };
    let service_doc = documentation(&tree, port.service);
    let name = Some(name_of(&tree, port.service))
        .filter(|n| !n.trim().is_empty())
        .or(service_doc)
        .unwrap_or("SOAP service");
    let description = service_doc.or_else(|| documentation(&tree, defs));
    Ok(ImportedApi {
        name: truncate(name, 300),
        description: description.map(str::to_owned),
        service_url,
        protocols: vec![protocol.to_owned()],
        operations,
        schemas: schemas.into_iter().map(|s| (s.id, s.schema)).collect(),
        api_type: Some("soap".to_owned()),
    })
}

/// The root must be a WSDL 1.1 `<definitions>`.
fn check_root(tree: &Tree<'_>, root: NodeId) -> Result<(), ImportError> {
    if tree.is(root, WSDL_NS, "definitions") {
        return Ok(());
    }
    let node = tree.node(root);
    let message = if node.ns.as_deref() == Some(WSDL20_NS) {
        "WSDL 2.0 documents are not supported; Tollgate imports WSDL 1.1".to_owned()
    } else {
        let ns = node.ns.as_deref().unwrap_or("no namespace");
        format!(
            "the root element is <{}> ({ns}); a WSDL 1.1 document's root is <definitions> in the namespace {WSDL_NS}",
            node.local
        )
    };
    Err(tree.error(root, message))
}

/// A schema of `<types>`.
struct XsdSchema {
    id: String,
    schema: Schema,
    target_ns: Option<String>,
    /// The names of its top-level element declarations.
    elements: Vec<String>,
}

/// Every `<xs:schema>` of `<types>`, standing alone.
fn schemas(tree: &Tree<'_>, defs: NodeId) -> Vec<XsdSchema> {
    let mut out = Vec::new();
    for types in tree.children(defs, WSDL_NS, "types") {
        for schema in tree.children(types, XSD_NS, "schema") {
            let elements = tree
                .children(schema, XSD_NS, "element")
                .filter_map(|e| tree.attr(e, "name"))
                .map(str::to_owned)
                .collect();
            out.push(XsdSchema {
                id: format!("xsd-{}", out.len() + 1),
                schema: Schema {
                    content_type: XSD_CONTENT_TYPE.to_owned(),
                    value: standalone(tree, schema),
                },
                target_ns: tree.attr(schema, "targetNamespace").map(str::to_owned),
                elements,
            });
        }
    }
    out
}

/// The text of element `id` as written, with the namespace declarations it inherits copied
/// onto its start tag.
fn standalone(tree: &Tree<'_>, id: NodeId) -> String {
    let node = tree.node(id);
    let head = tree.source.get(node.start..node.head_end).unwrap_or("");
    let rest = tree.source.get(node.head_end..node.end).unwrap_or("");
    let mut ancestors = Vec::new();
    let mut at = node.parent;
    while let Some(n) = at {
        ancestors.push(n);
        at = tree.node(n).parent;
    }
    let mut inherited: Vec<(&str, &str)> = Vec::new();
    for &n in ancestors.iter().rev() {
        for (prefix, uri) in &tree.node(n).declarations {
            match inherited.iter_mut().find(|(p, _)| p == prefix) {
                Some(slot) => slot.1 = uri,
                None => inherited.push((prefix, uri)),
            }
        }
    }
    inherited.retain(|(prefix, _)| !node.declarations.iter().any(|(p, _)| p == prefix));
    let close = if head.ends_with("/>") { 2 } else { 1 };
    let tag = head.get(..head.len().saturating_sub(close)).unwrap_or("");
    let attributes_end = tag.trim_end().len();
    let mut out = String::with_capacity(head.len() + rest.len() + 64 * inherited.len());
    out.push_str(tag.get(..attributes_end).unwrap_or(""));
    for (prefix, uri) in inherited {
        let name = match prefix {
            "" => "xmlns".to_owned(),
            prefix => format!("xmlns:{prefix}"),
        };
        out.push_str(&format!(" {name}=\"{}\"", escape(uri)));
    }
    out.push_str(head.get(attributes_end..).unwrap_or(""));
    out.push_str(rest);
    out
}

/// What is needed to build the operations of a binding.
struct Site<'s, 'a> {
    tree: &'s Tree<'a>,
    defs: NodeId,
    port_type: NodeId,
    version: SoapVersion,
    schemas: &'s [XsdSchema],
}

/// The body element of a message: schema and type name.
#[derive(Default)]
struct Body {
    schema_id: Option<String>,
    type_name: Option<String>,
}

impl Site<'_, '_> {
    /// The operation for the binding operation `op`.
    fn operation(
        &self,
        op: NodeId,
        ids: &mut IdAllocator,
    ) -> Result<(String, Operation), ImportError> {
        let tree = self.tree;
        let name = tree
            .attr(op, "name")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| tree.error(op, "a binding operation needs a name"))?;
        let action = tree
            .child(op, self.version.ns(), "operation")
            .and_then(|o| tree.attr(o, "soapAction"))
            .unwrap_or("")
            .trim();
        let abstract_op = tree
            .children(self.port_type, WSDL_NS, "operation")
            .find(|&o| name_of(tree, o).trim() == name)
            .ok_or_else(|| {
                let port_type = name_of(tree, self.port_type);
                tree.error(
                    op,
                    format!("the portType '{port_type}' has no operation '{name}'"),
                )
            })?;
        let input = self.body(op, abstract_op, "input")?;
        let output = self.body(op, abstract_op, "output")?;
        let description = documentation(tree, abstract_op)
            .or_else(|| documentation(tree, op))
            .map(|d| truncate(d, 1000));
        let media = self.version.media_type();
        let (headers, request_type) = match self.version {
            SoapVersion::V11 => {
                let header = Parameter {
                    name: Some(SOAP_ACTION_HEADER.to_owned()),
                    description: None,
                    param_type: Some("string".to_owned()),
                    default_value: None,
                    required: Some(true),
                    values: Some(vec![action.to_owned()]),
                };
                (vec![header], media.to_owned())
            }
            SoapVersion::V12 => (Vec::new(), soap12_content_type(action)),
        };
        let representation = |content_type: String, body: Body| Representation {
            content_type: Some(content_type),
            sample: None,
            schema_id: body.schema_id,
            type_name: body.type_name,
            form_parameters: None,
        };
        let id = ids.allocate(Some(name), "POST", "/");
        let operation = Operation {
            name: truncate(name, 300),
            method: "POST".to_owned(),
            url_template: format!("/{id}"),
            template_parameters: Vec::new(),
            description,
            request: Request {
                description: None,
                query_parameters: Vec::new(),
                headers,
                representations: input
                    .map(|body| vec![representation(request_type, body)])
                    .unwrap_or_default(),
            },
            responses: output
                .map(|body| Response {
                    status_code: Some(200),
                    description: None,
                    representations: vec![representation(media.to_owned(), body)],
                    headers: Vec::new(),
                })
                .into_iter()
                .collect(),
        };
        Ok((id, operation))
    }

    /// The body element of the operation's `input` or `output` message; `None` when the
    /// portType operation has no such message.
    fn body(
        &self,
        op: NodeId,
        abstract_op: NodeId,
        which: &str,
    ) -> Result<Option<Body>, ImportError> {
        let tree = self.tree;
        let Some(io) = tree.child(abstract_op, WSDL_NS, which) else {
            return Ok(None);
        };
        let reference = tree
            .attr(io, "message")
            .ok_or_else(|| tree.error(io, format!("<{which}> needs a message attribute")))?;
        let message = named(tree, self.defs, "message", reference).ok_or_else(|| {
            tree.error(
                io,
                format!("the message '{reference}' is not defined in the document"),
            )
        })?;
        // `soap:body parts="…"` names the parts in the body; by default all of them.
        let listed: Option<Vec<&str>> = tree
            .child(op, WSDL_NS, which)
            .and_then(|b| tree.child(b, self.version.ns(), "body"))
            .and_then(|b| tree.attr(b, "parts"))
            .map(|parts| parts.split_whitespace().collect());
        let element = tree
            .children(message, WSDL_NS, "part")
            .filter(|&p| {
                listed
                    .as_ref()
                    .is_none_or(|l| l.contains(&name_of(tree, p)))
            })
            .find_map(|p| tree.attr(p, "element").map(|e| tree.qname(p, e)));
        let Some((ns, local)) = element else {
            return Ok(Some(Body::default()));
        };
        let declares = |s: &&XsdSchema| s.elements.iter().any(|e| e == local);
        let schema = self
            .schemas
            .iter()
            .filter(declares)
            .find(|s| s.target_ns.as_deref() == ns)
            .or_else(|| self.schemas.iter().find(declares));
        Ok(Some(Body {
            schema_id: schema.map(|s| s.id.clone()),
            type_name: Some(local.to_owned()),
        }))
    }
}

/// Runs Tollgate's own operation validation over an imported operation.
fn check(operation: Operation, tree: &Tree<'_>, op: NodeId) -> Result<Operation, ImportError> {
    crate::validate_operation(operation).map_err(|message| tree.error(op, message))
}
