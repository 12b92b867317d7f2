//! WSDL export: a WSDL 1.1 document for a SOAP API, from the SOAP information recorded at import.

use super::names::{ncname, wsdl_names};
use super::tree::Tree;
use super::{
    SOAP_ACTION_HEADER, SOAP_HTTP_TRANSPORT, SOAP11_NS, SOAP12_NS, SoapVersion, WSDL_NS,
    XSD_CONTENT_TYPE, XSD_NS, media_parameter,
};
use crate::ImportError;
use crate::doc::{child, error, essence};
use quick_xml::escape::escape;
use std::fmt::Write as _;
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::operation::{Operation, Representation};
use tollgate_contract::entity::schema::Schema;

/// The target namespace when the API has no XML schema naming one.
const DEFAULT_NAMESPACE: &str = "urn:tollgate";

/// Exports a SOAP API as a WSDL 1.1 document: `<types>` holding the API's XSD schemas, one
/// message pair, portType operation and binding operation per API operation (with the SOAP
/// action and body elements recorded at import, see the [module documentation](crate::wsdl)),
/// and a service whose port has `soap:address location=serviceUrl`. The target namespace is the
/// first schema's `targetNamespace`, else `urn:tollgate`. Operations of both SOAP versions give a
/// binding and port each.
///
/// Refused (with an [`ImportError`]): an API whose `type` is set to something other than
/// `soap`, an operation that carries no SOAP information (neither a `SOAPAction` request header
/// nor an `application/soap+xml` request representation), and an XSD schema that is not an
/// `<xs:schema>` document.
pub fn export_wsdl(
    api: &Api,
    operations: &[(String, Operation)],
    schemas: &[(String, Schema)],
) -> Result<String, ImportError> {
    if let Some(kind) = api
        .api_type
        .as_deref()
        .filter(|t| !t.eq_ignore_ascii_case("soap"))
    {
        return Err(error(
            "/type",
            format!("the API's type is '{kind}': only SOAP APIs export as WSDL"),
        ));
    }
    let xsds = xsd_schemas(schemas)?;
    let names = wsdl_names(operations);
    let mut soap = Vec::with_capacity(operations.len());
    for ((id, operation), name) in operations.iter().zip(names) {
        soap.push(SoapOperation::of(id, operation, name, &xsds)?);
    }
    let target = xsds
        .first()
        .and_then(|x| x.target_ns.clone())
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
    let mut prefixes: Vec<(String, String)> = vec![("tns".to_owned(), target.clone())];
    for ns in xsds.iter().filter_map(|x| x.target_ns.as_deref()) {
        if !prefixes.iter().any(|(_, n)| n == ns) {
            prefixes.push((format!("ns{}", prefixes.len()), ns.to_owned()));
        }
    }
    let writer = Writer {
        prefixes,
        service: ncname(&api.name, "Service"),
    };
    Ok(writer.document(api, &soap, &xsds))
}

/// An XSD schema of the API.
struct Xsd {
    id: String,
    target_ns: Option<String>,
    /// Its top-level element declarations.
    elements: Vec<String>,
    /// The `<xs:schema>` element's text (without any XML declaration or comments around it).
    text: String,
}

/// The API's XML schemas whose root is `<xs:schema>` (those of the XSD content type must be).
fn xsd_schemas(schemas: &[(String, Schema)]) -> Result<Vec<Xsd>, ImportError> {
    let mut out = Vec::new();
    for (id, schema) in schemas {
        let media = essence(&schema.content_type);
        let is_xsd = media == XSD_CONTENT_TYPE;
        if !is_xsd && !media.ends_with("xml") {
            continue;
        }
        let at = child("/schemas", id);
        let tree = match Tree::parse(&schema.value) {
            Ok(tree) => tree,
            Err(_) if !is_xsd => continue,
            Err(e) => {
                return Err(error(
                    &at,
                    format!("the schema is not well-formed XML: {e}"),
                ));
            }
        };
        let root = tree.root();
        if !tree.is(root, XSD_NS, "schema") {
            if !is_xsd {
                continue;
            }
            return Err(error(
                &at,
                format!("the schema's root element must be <schema> in the namespace {XSD_NS}"),
            ));
        }
        let node = tree.node(root);
        out.push(Xsd {
            id: id.clone(),
            target_ns: tree.attr(root, "targetNamespace").map(str::to_owned),
            elements: tree
                .children(root, XSD_NS, "element")
                .filter_map(|e| tree.attr(e, "name"))
                .map(str::to_owned)
                .collect(),
            text: schema
                .value
                .get(node.start..node.end)
                .unwrap_or("")
                .to_owned(),
        });
    }
    Ok(out)
}

/// A body element: the schema declaring it (if known) and its name.
struct Element {
    target_ns: Option<String>,
    name: String,
}

/// An API operation as a SOAP operation.
struct SoapOperation {
    name: String,
    version: SoapVersion,
    action: String,
    description: Option<String>,
    input: Option<Element>,
    /// `None` for a one-way operation (no response).
    output: Option<Option<Element>>,
}

impl SoapOperation {
    fn of(
        id: &str,
        op: &Operation,
        name: String,
        xsds: &[Xsd],
    ) -> Result<SoapOperation, ImportError> {
        let representations = &op.request.representations;
        let soap12 = representations.iter().find(|r| {
            r.content_type
                .as_deref()
                .is_some_and(|ct| essence(ct) == SoapVersion::V12.media_type())
        });
        let header = op.request.headers.iter().find(|h| {
            h.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(SOAP_ACTION_HEADER))
        });
        let header_action = header.and_then(|h| {
            h.values
                .as_ref()
                .and_then(|v| v.first().cloned())
                .or_else(|| h.default_value.clone())
        });
        let (version, action, body) = match (soap12, header) {
            (Some(r), _) => {
                let action = r
                    .content_type
                    .as_deref()
                    .and_then(|ct| media_parameter(ct, "action"))
                    .or(header_action);
                (SoapVersion::V12, action, Some(r))
            }
            (None, Some(_)) => {
                let body = representations
                    .iter()
                    .find(|r| {
                        r.content_type
                            .as_deref()
                            .is_some_and(|ct| essence(ct) == SoapVersion::V11.media_type())
                    })
                    .or_else(|| representations.first());
                (SoapVersion::V11, header_action, body)
            }
            (None, None) => {
                return Err(error(
                    &child("/operations", id),
                    format!(
                        "the operation '{id}' ({} {}) has no SOAP information (a SOAPAction request header or an application/soap+xml request representation): only SOAP APIs, such as those imported from WSDL, export as WSDL",
                        op.method, op.url_template
                    ),
                ));
            }
        };
        let response = op
            .responses
            .iter()
            .find(|r| r.status_code == Some(200))
            .or_else(|| {
                op.responses
                    .iter()
                    .find(|r| r.status_code.is_some_and(|c| (200..300).contains(&c)))
            })
            .or_else(|| op.responses.first());
        Ok(SoapOperation {
            name,
            version,
            action: action.unwrap_or_default(),
            description: op.description.clone().filter(|d| !d.trim().is_empty()),
            input: body.and_then(|r| element(r, xsds)),
            output: response.map(|r| r.representations.iter().find_map(|r| element(r, xsds))),
        })
    }
}

/// The body element a representation names by `typeName`, with the namespace of the schema
/// declaring it (its `schemaId`'s, else the first that declares it).
fn element(representation: &Representation, xsds: &[Xsd]) -> Option<Element> {
    let name = representation.type_name.as_deref()?.trim();
    if name.is_empty() {
        return None;
    }
    let declares = |x: &&Xsd| x.elements.iter().any(|e| e == name);
    let schema = representation
        .schema_id
        .as_deref()
        .and_then(|id| xsds.iter().find(|x| x.id == id))
        .filter(declares)
        .or_else(|| xsds.iter().find(declares));
    Some(Element {
        target_ns: schema.and_then(|x| x.target_ns.clone()),
        name: name.to_owned(),
    })
}

/// Writes the document.
struct Writer {
    /// `tns` (the target namespace) and `nsN` for the other schema namespaces.
    prefixes: Vec<(String, String)>,
    /// The service name, also the stem of the portType, binding and port names.
    service: String,
}

impl Writer {
    fn document(&self, api: &Api, ops: &[SoapOperation], xsds: &[Xsd]) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        let _ = write!(
            out,
            "<wsdl:definitions xmlns:wsdl=\"{WSDL_NS}\" xmlns:soap=\"{SOAP11_NS}\" xmlns:soap12=\"{SOAP12_NS}\""
        );
        for (prefix, ns) in &self.prefixes {
            let _ = write!(out, " xmlns:{prefix}=\"{}\"", escape(ns));
        }
        let target = self.prefixes.first().map_or("", |(_, ns)| ns.as_str());
        let _ = writeln!(out, " targetNamespace=\"{}\">", escape(target));
        if !xsds.is_empty() {
            out.push_str("  <wsdl:types>\n");
            for xsd in xsds {
                let _ = writeln!(out, "    {}", xsd.text);
            }
            out.push_str("  </wsdl:types>\n");
        }
        for op in ops {
            self.message(&mut out, &format!("{}SoapIn", op.name), op.input.as_ref());
            if let Some(output) = &op.output {
                self.message(&mut out, &format!("{}SoapOut", op.name), output.as_ref());
            }
        }
        let mut versions: Vec<SoapVersion> = Vec::new();
        for op in ops {
            if !versions.contains(&op.version) {
                versions.push(op.version);
            }
        }
        if versions.is_empty() {
            versions.push(SoapVersion::V11);
        }
        versions.sort_by_key(|v| *v == SoapVersion::V12);
        for &version in &versions {
            self.port_type(&mut out, version, ops);
        }
        for &version in &versions {
            self.binding(&mut out, version, ops);
        }
        let _ = writeln!(out, "  <wsdl:service name=\"{}\">", escape(&self.service));
        if let Some(description) = api.description.as_deref().filter(|d| !d.trim().is_empty()) {
            let _ = writeln!(
                out,
                "    <wsdl:documentation>{}</wsdl:documentation>",
                escape(description)
            );
        }
        for &version in &versions {
            let name = self.stem(version);
            let _ = write!(
                out,
                "    <wsdl:port name=\"{name}\" binding=\"tns:{name}\">"
            );
            if let Some(url) = &api.service_url {
                let prefix = prefix_of(version);
                let _ = write!(
                    out,
                    "\n      <{prefix}:address location=\"{}\" />\n    ",
                    escape(url)
                );
            }
            out.push_str("</wsdl:port>\n");
        }
        out.push_str("  </wsdl:service>\n</wsdl:definitions>\n");
        out
    }

    /// `{service}Soap` or `{service}Soap12`: the portType, binding and port name.
    fn stem(&self, version: SoapVersion) -> String {
        match version {
            SoapVersion::V11 => format!("{}Soap", self.service),
            SoapVersion::V12 => format!("{}Soap12", self.service),
        }
    }

    /// A message with one `parameters` part for the body element, if known.
    fn message(&self, out: &mut String, name: &str, element: Option<&Element>) {
        let Some(element) = element else {
            let _ = writeln!(out, "  <wsdl:message name=\"{}\" />", escape(name));
            return;
        };
        let prefix = element
            .target_ns
            .as_deref()
            .and_then(|ns| self.prefixes.iter().find(|(_, n)| n == ns));
        let qname = match prefix {
            Some((prefix, _)) => format!("{prefix}:{}", element.name),
            None => element.name.clone(),
        };
        let _ = writeln!(
            out,
            "  <wsdl:message name=\"{}\">\n    <wsdl:part name=\"parameters\" element=\"{}\" />\n  </wsdl:message>",
            escape(name),
            escape(&qname)
        );
    }

    fn port_type(&self, out: &mut String, version: SoapVersion, ops: &[SoapOperation]) {
        let _ = writeln!(out, "  <wsdl:portType name=\"{}\">", self.stem(version));
        for op in ops.iter().filter(|o| o.version == version) {
            let name = escape(&op.name);
            let _ = writeln!(out, "    <wsdl:operation name=\"{name}\">");
            if let Some(description) = &op.description {
                let _ = writeln!(
                    out,
                    "      <wsdl:documentation>{}</wsdl:documentation>",
                    escape(description)
                );
            }
            let _ = writeln!(out, "      <wsdl:input message=\"tns:{name}SoapIn\" />");
            if op.output.is_some() {
                let _ = writeln!(out, "      <wsdl:output message=\"tns:{name}SoapOut\" />");
            }
            out.push_str("    </wsdl:operation>\n");
        }
        out.push_str("  </wsdl:portType>\n");
    }

    fn binding(&self, out: &mut String, version: SoapVersion, ops: &[SoapOperation]) {
        let stem = self.stem(version);
        let soap = prefix_of(version);
        let _ = writeln!(
            out,
            "  <wsdl:binding name=\"{stem}\" type=\"tns:{stem}\">\n    <{soap}:binding transport=\"{SOAP_HTTP_TRANSPORT}\" style=\"document\" />"
        );
        for op in ops.iter().filter(|o| o.version == version) {
            let _ = writeln!(
                out,
                "    <wsdl:operation name=\"{}\">\n      <{soap}:operation soapAction=\"{}\" style=\"document\" />",
                escape(&op.name),
                escape(&op.action)
            );
            let _ = writeln!(
                out,
                "      <wsdl:input>\n        <{soap}:body use=\"literal\" />\n      </wsdl:input>"
            );
            if op.output.is_some() {
                let _ = writeln!(
                    out,
                    "      <wsdl:output>\n        <{soap}:body use=\"literal\" />\n      </wsdl:output>"
                );
            }
            out.push_str("    </wsdl:operation>\n");
        }
        out.push_str("  </wsdl:binding>\n");
    }
}

/// The prefix of the binding extension namespace.
fn prefix_of(version: SoapVersion) -> &'static str {
    match version {
        SoapVersion::V11 => "soap",
        SoapVersion::V12 => "soap12",
    }
}
