//! Picking the port to import (`wsdlSelector`) and reading the WSDL elements around it.

use super::tree::{NodeId, Tree};
use super::{SoapVersion, WSDL_NS, WsdlSelector};
use crate::ImportError;
use crate::doc::error;
use tollgate_contract::validate::is_http_url;

/// The `name` attribute of an element, or the empty string.
pub(super) fn name_of<'t>(tree: &'t Tree<'_>, id: NodeId) -> &'t str {
    tree.attr(id, "name").unwrap_or("")
}

/// The child `<documentation>` text of a WSDL element.
pub(super) fn documentation<'t>(tree: &'t Tree<'_>, id: NodeId) -> Option<&'t str> {
    tree.child(id, WSDL_NS, "documentation")
        .and_then(|d| tree.text(d))
}

/// The top-level WSDL element `local` of `<definitions>` named by the QName `reference`.
pub(super) fn named(tree: &Tree<'_>, defs: NodeId, local: &str, reference: &str) -> Option<NodeId> {
    let (_, name) = tree.qname(defs, reference);
    tree.children(defs, WSDL_NS, local)
        .find(|&c| name_of(tree, c) == name)
}

/// A port of a service.
pub(super) struct Port {
    /// The service.
    pub service: NodeId,
    /// The `<port>` element.
    pub node: NodeId,
    /// Its binding, when the document defines it.
    pub binding: Option<NodeId>,
    /// The binding's SOAP version; `None` for other bindings (HTTP, …).
    pub version: Option<SoapVersion>,
}

impl Port {
    /// `'service/port' (SOAP 1.1)`.
    fn label(&self, tree: &Tree<'_>) -> String {
        let kind = match (self.binding, self.version) {
            (_, Some(version)) => version.label(),
            (Some(_), None) => "not SOAP",
            (None, None) => "binding not defined",
        };
        format!(
            "'{}/{}' ({kind})",
            name_of(tree, self.service),
            name_of(tree, self.node)
        )
    }
}

/// The SOAP version of a binding, from its `soap:binding` or `soap12:binding` element.
fn binding_version(tree: &Tree<'_>, binding: NodeId) -> Option<SoapVersion> {
    [SoapVersion::V11, SoapVersion::V12]
        .into_iter()
        .find(|v| tree.child(binding, v.ns(), "binding").is_some())
}

/// The port `selector` names, or the only SOAP port.
pub(super) fn select(
    tree: &Tree<'_>,
    defs: NodeId,
    selector: &WsdlSelector,
) -> Result<Port, ImportError> {
    let all: Vec<NodeId> = tree.children(defs, WSDL_NS, "service").collect();
    let list = |items: &mut dyn Iterator<Item = String>| items.collect::<Vec<_>>().join(", ");
    if all.is_empty() {
        return Err(tree.error(
            defs,
            "the document defines no <service>; Tollgate imports one SOAP endpoint of a service",
        ));
    }
    let services: Vec<NodeId> = match &selector.service_name {
        Some(wanted) => {
            let found: Vec<NodeId> = all
                .iter()
                .copied()
                .filter(|&s| name_of(tree, s) == wanted)
                .collect();
            if found.is_empty() {
                let names = list(&mut all.iter().map(|&s| format!("'{}'", name_of(tree, s))));
                return Err(tree.error(
                    defs,
                    format!(
                        "the document has no service named '{wanted}'; its services are {names}"
                    ),
                ));
            }
            found
        }
        None => all,
    };
    let mut ports: Vec<Port> = Vec::new();
    for &service in &services {
        for node in tree.children(service, WSDL_NS, "port") {
            let binding = tree
                .attr(node, "binding")
                .and_then(|b| named(tree, defs, "binding", b));
            let version = binding.and_then(|b| binding_version(tree, b));
            ports.push(Port {
                service,
                node,
                binding,
                version,
            });
        }
    }
    let all_ports = |ports: &[Port]| match ports.is_empty() {
        true => "none".to_owned(),
        false => list(&mut ports.iter().map(|p| p.label(tree))),
    };
    let mut chosen: Vec<Port> = match &selector.endpoint_name {
        Some(wanted) => {
            let described = all_ports(&ports);
            let found: Vec<Port> = ports
                .into_iter()
                .filter(|p| name_of(tree, p.node) == wanted)
                .collect();
            if found.is_empty() {
                return Err(tree.error(
                    defs,
                    format!("the document has no port named '{wanted}'; the ports are {described}"),
                ));
            }
            found
        }
        None => {
            let described = all_ports(&ports);
            let soap: Vec<Port> = ports
                .into_iter()
                .filter(|p| p.binding.is_none() || p.version.is_some())
                .collect();
            if soap.is_empty() {
                return Err(tree.error(
                    defs,
                    format!(
                        "the document has no SOAP 1.1 or SOAP 1.2 port; the ports are {described}"
                    ),
                ));
            }
            soap
        }
    };
    if chosen.len() > 1 {
        let choices = all_ports(&chosen);
        return Err(tree.error(
            defs,
            format!(
                "the document has several SOAP endpoints, {choices}; choose one with wsdlSelector (wsdlServiceName and wsdlEndpointName)"
            ),
        ));
    }
    chosen.pop().ok_or_else(|| error("", "no port"))
}

/// The port's `soap:address` / `soap12:address` location, when it is an http(s) URL.
pub(super) fn address(tree: &Tree<'_>, port: NodeId, version: SoapVersion) -> Option<String> {
    [version.ns(), SoapVersion::V11.ns(), SoapVersion::V12.ns()]
        .into_iter()
        .filter_map(|ns| tree.child(port, ns, "address"))
        .find_map(|a| tree.attr(a, "location"))
        .map(str::trim)
        .filter(|url| is_http_url(url))
        .map(str::to_owned)
}
