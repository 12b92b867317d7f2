//! WSDL 1.1 import and export: the node-soap fixtures, the selector, errors, round trips.

mod common;

use common::{api_of, assert_valid, fixture};
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::xml::check_well_formed;
use tollgate_interchange::{
    ImportError, ImportedApi, WsdlSelector, export_wsdl, import_openapi, import_wsdl,
};

const XSD: &str = "application/vnd.ms-azure-apim.xsd+xml";

fn blz() -> String {
    fixture("wsdl/BLZService.wsdl")
}

fn multi() -> String {
    fixture("wsdl/multi-service.wsdl")
}

fn select(service: Option<&str>, endpoint: Option<&str>) -> WsdlSelector {
    WsdlSelector {
        service_name: service.map(str::to_owned),
        endpoint_name: endpoint.map(str::to_owned),
    }
}

fn import(document: &str, selector: &WsdlSelector) -> ImportedApi {
    let api = import_wsdl(document, selector).unwrap_or_else(|e| panic!("{e}"));
    assert_valid(&api);
    api
}

fn refused(document: &str, selector: &WsdlSelector) -> ImportError {
    match import_wsdl(document, selector) {
        Ok(api) => panic!("imported {} operations", api.operations.len()),
        Err(e) => e,
    }
}

/// The 1-based line of the first occurrence of `needle`.
fn line_of(document: &str, needle: &str) -> usize {
    let at = document.find(needle).unwrap_or_else(|| panic!("{needle}"));
    document[..at].matches('\n').count() + 1
}

/// A representation's content type, schema id and type name.
type Rep = (Option<String>, Option<String>, Option<String>);

/// What a round trip must keep of an operation.
#[derive(Debug, PartialEq)]
struct Soap {
    id: String,
    name: String,
    method: String,
    url_template: String,
    description: Option<String>,
    soap_action: Option<Vec<String>>,
    request: Vec<Rep>,
    responses: Vec<(Option<i64>, Vec<Rep>)>,
}

fn soap(api: &ImportedApi) -> Vec<Soap> {
    let reps = |list: &[tollgate_contract::entity::operation::Representation]| {
        list.iter()
            .map(|r| {
                (
                    r.content_type.clone(),
                    r.schema_id.clone(),
                    r.type_name.clone(),
                )
            })
            .collect::<Vec<Rep>>()
    };
    api.operations
        .iter()
        .map(|(id, op)| Soap {
            id: id.clone(),
            name: op.name.clone(),
            method: op.method.clone(),
            url_template: op.url_template.clone(),
            description: op.description.clone(),
            soap_action: op
                .request
                .headers
                .iter()
                .find(|h| h.name.as_deref() == Some("SOAPAction"))
                .and_then(|h| h.values.clone()),
            request: reps(&op.request.representations),
            responses: op
                .responses
                .iter()
                .map(|r| (r.status_code, reps(&r.representations)))
                .collect(),
        })
        .collect()
}

/// Exports an import.
fn export(api: &ImportedApi) -> String {
    let mut stored = api_of(api);
    stored.api_type = api.api_type.clone();
    let document = export_wsdl(&stored, &api.operations, &api.schemas)
        .unwrap_or_else(|e| panic!("the export fails: {e}"));
    check_well_formed(&document).unwrap_or_else(|e| panic!("{e}\n{document}"));
    document
}

/// Imports, exports, imports the export (its only port), and checks the operations survive.
fn assert_round_trip(document: &str, selector: &WsdlSelector) -> (ImportedApi, ImportedApi) {
    let first = import(document, selector);
    let exported = export(&first);
    let second = import_wsdl(&exported, &WsdlSelector::default())
        .unwrap_or_else(|e| panic!("the export does not import: {e}\n{exported}"));
    assert_valid(&second);
    assert_eq!(soap(&first), soap(&second), "export:\n{exported}");
    assert_eq!(first.name, second.name);
    assert_eq!(first.description, second.description);
    assert_eq!(first.service_url, second.service_url);
    assert_eq!(first.protocols, second.protocols);
    assert_eq!(second.api_type.as_deref(), Some("soap"));
    assert_eq!(first.schemas.len(), second.schemas.len());
    (first, second)
}

#[test]
fn blz_service_soap11_port() {
    let doc = blz();
    let api = import(&doc, &select(None, Some("BLZServiceSOAP11port_http")));
    assert_eq!(api.name, "BLZService");
    assert_eq!(api.description.as_deref(), Some("BLZService"));
    assert_eq!(
        api.service_url.as_deref(),
        Some("http://www.thomas-bayer.com/axis2/services/BLZService")
    );
    assert_eq!(api.protocols, ["http"]);
    assert_eq!(api.api_type.as_deref(), Some("soap"));
    assert_eq!(api.operations.len(), 1);
    let (id, op) = &api.operations[0];
    assert_eq!(id, "getBank");
    assert_eq!(
        (
            op.name.as_str(),
            op.method.as_str(),
            op.url_template.as_str()
        ),
        ("getBank", "POST", "/getBank")
    );
    assert!(op.template_parameters.is_empty());
    assert_eq!(op.description, None);
    let header = &op.request.headers[0];
    assert_eq!(header.name.as_deref(), Some("SOAPAction"));
    assert_eq!(header.param_type.as_deref(), Some("string"));
    assert_eq!(header.required, Some(true));
    assert_eq!(header.values, Some(vec![String::new()]));
    let request = &op.request.representations[0];
    assert_eq!(request.content_type.as_deref(), Some("text/xml"));
    assert_eq!(request.schema_id.as_deref(), Some("xsd-1"));
    assert_eq!(request.type_name.as_deref(), Some("getBank"));
    assert_eq!(op.responses.len(), 1);
    let response = &op.responses[0];
    assert_eq!(response.status_code, Some(200));
    let body = &response.representations[0];
    assert_eq!(body.content_type.as_deref(), Some("text/xml"));
    assert_eq!(body.schema_id.as_deref(), Some("xsd-1"));
    assert_eq!(body.type_name.as_deref(), Some("getBankResponse"));
}

#[test]
fn blz_service_schema_stands_alone() {
    let doc = blz();
    let api = import(
        &doc,
        &select(Some("BLZService"), Some("BLZServiceSOAP12port_http")),
    );
    assert_eq!(api.schemas.len(), 1);
    let (id, schema) = &api.schemas[0];
    assert_eq!(id, "xsd-1");
    assert_eq!(schema.content_type, XSD);
    let value = &schema.value;
    // The start tag as written, then the declarations of <wsdl:definitions>, in their order.
    let head = r#"<xsd:schema attributeFormDefault="unqualified" elementFormDefault="qualified" targetNamespace="http://thomas-bayer.com/blz/" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl" xmlns:http="http://schemas.xmlsoap.org/wsdl/http/" xmlns:tns="http://thomas-bayer.com/blz/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:mime="http://schemas.xmlsoap.org/wsdl/mime/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/">"#;
    assert!(value.starts_with(head), "{value}");
    // The rest exactly as in the document.
    let start = doc.find("<xsd:schema ").unwrap();
    let end = doc.find("</xsd:schema>").unwrap() + "</xsd:schema>".len();
    let original = &doc[start..end];
    let original_head_end = original.find('>').unwrap() + 1;
    assert_eq!(&value[head.len()..], &original[original_head_end..]);
    check_well_formed(value).unwrap();
}

#[test]
fn blz_service_soap12_port() {
    let api = import(&blz(), &select(None, Some("BLZServiceSOAP12port_http")));
    let (id, op) = &api.operations[0];
    assert_eq!(id, "getBank");
    assert_eq!(op.url_template, "/getBank");
    assert!(op.request.headers.is_empty());
    let request = &op.request.representations[0];
    assert_eq!(
        request.content_type.as_deref(),
        Some("application/soap+xml")
    );
    assert_eq!(request.type_name.as_deref(), Some("getBank"));
    let body = &op.responses[0].representations[0];
    assert_eq!(body.content_type.as_deref(), Some("application/soap+xml"));
    assert_eq!(body.type_name.as_deref(), Some("getBankResponse"));
    assert_eq!(
        api.service_url.as_deref(),
        Some("http://www.thomas-bayer.com/axis2/services/BLZService")
    );
}

#[test]
fn several_soap_ports_need_a_selector() {
    let doc = blz();
    for selector in [select(None, None), select(Some("BLZService"), None)] {
        let e = refused(&doc, &selector);
        assert_eq!(e.pointer, "/definitions");
        assert!(e.message.starts_with("line 1: "), "{}", e.message);
        assert!(
            e.message.contains(
                "'BLZService/BLZServiceSOAP11port_http' (SOAP 1.1), 'BLZService/BLZServiceSOAP12port_http' (SOAP 1.2)"
            ),
            "{}",
            e.message
        );
        assert!(e.message.contains("wsdlSelector"), "{}", e.message);
        // The HTTP port is not a choice.
        assert!(!e.message.contains("BLZServiceHttpport"), "{}", e.message);
    }
}

#[test]
fn a_non_soap_port_is_refused() {
    let doc = blz();
    let e = refused(&doc, &select(None, Some("BLZServiceHttpport")));
    assert_eq!(
        e.pointer,
        "/definitions/service[@name='BLZService']/port[@name='BLZServiceHttpport']"
    );
    let line = line_of(&doc, "<wsdl:port name=\"BLZServiceHttpport\"");
    assert!(
        e.message.starts_with(&format!("line {line}: ")),
        "{}",
        e.message
    );
    assert!(
        e.message.contains(
            "uses the binding 'BLZServiceHttpBinding', which is not a SOAP 1.1 or SOAP 1.2 binding"
        ),
        "{}",
        e.message
    );
}

#[test]
fn multi_service_selects_by_service_and_port() {
    let doc = multi();
    let e = refused(&doc, &WsdlSelector::default());
    assert!(
        e.message.contains(
            "'Hello_Service/Hello_Port' (SOAP 1.1), 'Bye_Service/Bye_Port' (SOAP 1.1), 'Bye_Service/Another_Bye_Port' (SOAP 1.1)"
        ),
        "{}",
        e.message
    );

    let hello = import(&doc, &select(Some("Hello_Service"), None));
    assert_eq!(hello.name, "Hello_Service");
    assert_eq!(
        hello.description.as_deref(),
        Some("WSDL File for HelloService")
    );
    assert_eq!(
        hello.service_url.as_deref(),
        Some("http://localhost:8001/SayHello/")
    );
    assert!(hello.schemas.is_empty());
    assert_eq!(hello.operations.len(), 1);
    let (id, op) = &hello.operations[0];
    assert_eq!(
        (id.as_str(), op.url_template.as_str()),
        ("sayHello", "/sayHello")
    );
    assert_eq!(
        op.request.headers[0].values,
        Some(vec!["sayHello".to_owned()])
    );
    // rpc style: the parts are typed, there is no body element to name.
    let request = &op.request.representations[0];
    assert_eq!(request.content_type.as_deref(), Some("text/xml"));
    assert_eq!(
        (request.schema_id.as_ref(), request.type_name.as_ref()),
        (None, None)
    );
    assert_eq!(op.responses[0].status_code, Some(200));

    let e = refused(&doc, &select(Some("Bye_Service"), None));
    assert!(
        e.message.contains(
            "'Bye_Service/Bye_Port' (SOAP 1.1), 'Bye_Service/Another_Bye_Port' (SOAP 1.1)"
        ),
        "{}",
        e.message
    );
    assert!(!e.message.contains("Hello_Port"), "{}", e.message);

    for selector in [
        select(Some("Bye_Service"), Some("Another_Bye_Port")),
        select(None, Some("Another_Bye_Port")),
    ] {
        let bye = import(&doc, &selector);
        assert_eq!(bye.name, "Bye_Service");
        assert_eq!(
            bye.service_url.as_deref(),
            Some("http://localhost:8001/SayAnotherBye/")
        );
        let ids: Vec<&str> = bye.operations.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["sayAnotherBye"]);
    }
    let bye = import(&doc, &select(None, Some("Bye_Port")));
    assert_eq!(bye.operations[0].0, "sayBye");
}

#[test]
fn unknown_services_and_ports_list_the_choices() {
    let doc = multi();
    let e = refused(&doc, &select(Some("Nope"), None));
    assert_eq!(e.pointer, "/definitions[@name='HelloService']");
    assert_eq!(
        e.message,
        "line 2: the document has no service named 'Nope'; its services are 'Hello_Service', 'Bye_Service'"
    );
    let e = refused(&doc, &select(Some("Hello_Service"), Some("Bye_Port")));
    assert!(
        e.message.starts_with(
            "line 2: the document has no port named 'Bye_Port'; the ports are 'Hello_Service/Hello_Port' (SOAP 1.1)"
        ),
        "{}",
        e.message
    );
}

#[test]
fn not_xml() {
    let e = refused("{\"swagger\": \"2.0\"}", &WsdlSelector::default());
    assert_eq!(e.pointer, "");
    assert!(
        e.message.starts_with("line 1: the document is not XML"),
        "{}",
        e.message
    );
    let e = refused("", &WsdlSelector::default());
    assert_eq!(
        (e.pointer.as_str(), e.message.as_str()),
        ("", "the document has no root element")
    );
    let e = refused(
        "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\"/>\n<more/>",
        &WsdlSelector::default(),
    );
    assert_eq!(e.pointer, "");
    assert!(e.message.starts_with("line 2: "), "{}", e.message);
}

#[test]
fn wrong_root() {
    let doc = "<?xml version=\"1.0\"?>\n<application xmlns=\"http://wadl.dev.java.net/2009/02\">\n</application>";
    let e = refused(doc, &WsdlSelector::default());
    assert_eq!(e.pointer, "/application");
    assert!(
        e.message
            .starts_with("line 2: the root element is <application>"),
        "{}",
        e.message
    );
    let doc = "<description xmlns=\"http://www.w3.org/ns/wsdl\"/>";
    let e = refused(doc, &WsdlSelector::default());
    assert_eq!(e.pointer, "/description");
    assert!(e.message.contains("WSDL 2.0"), "{}", e.message);
    // <definitions> in no namespace is not WSDL either.
    let e = refused("<definitions/>", &WsdlSelector::default());
    assert!(e.message.contains("(no namespace)"), "{}", e.message);
}

#[test]
fn binding_not_found() {
    let doc = multi().replace("binding=\"tns:Hello_Binding\"", "binding=\"tns:Missing\"");
    let e = refused(&doc, &select(Some("Hello_Service"), None));
    assert_eq!(
        e.pointer,
        "/definitions[@name='HelloService']/service[@name='Hello_Service']/port[@name='Hello_Port']"
    );
    let line = line_of(&doc, "binding=\"tns:Missing\"");
    assert_eq!(
        e.message,
        format!("line {line}: the port's binding 'tns:Missing' is not defined in the document")
    );
}

#[test]
fn port_type_and_message_not_found() {
    let doc = multi().replace("type=\"tns:Hello_PortType\"", "type=\"tns:Gone\"");
    let e = refused(&doc, &select(Some("Hello_Service"), None));
    assert_eq!(
        e.pointer,
        "/definitions[@name='HelloService']/binding[@name='Hello_Binding']"
    );
    assert!(
        e.message
            .contains("the binding's portType 'tns:Gone' is not defined"),
        "{}",
        e.message
    );

    let doc = multi().replace(
        "<input message=\"tns:SayHelloRequest\" />",
        "<input message=\"tns:Lost\" />",
    );
    let e = refused(&doc, &select(Some("Hello_Service"), None));
    assert_eq!(
        e.pointer,
        "/definitions[@name='HelloService']/portType[@name='Hello_PortType']/operation[@name='sayHello']/input"
    );
    let line = line_of(&doc, "tns:Lost");
    assert_eq!(
        e.message,
        format!("line {line}: the message 'tns:Lost' is not defined in the document")
    );

    let doc = multi().replace(
        "<operation name=\"sayHello\">\n            <input",
        "<operation name=\"sayHi\">\n            <input",
    );
    let e = refused(&doc, &select(Some("Hello_Service"), None));
    assert_eq!(
        e.pointer,
        "/definitions[@name='HelloService']/binding[@name='Hello_Binding']/operation[@name='sayHello']"
    );
    assert!(
        e.message
            .contains("the portType 'Hello_PortType' has no operation 'sayHello'"),
        "{}",
        e.message
    );
}

#[test]
fn unbalanced_tags() {
    // The end tag of <input> is missing in the binding of sayBye.
    let doc = multi().replacen("            </input>\n            <output>\n                <soap:body encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"\n                    namespace=\"urn:examples:byeservice\"", "            <output>\n                <soap:body encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"\n                    namespace=\"urn:examples:byeservice\"", 1);
    assert_ne!(doc, multi());
    let e = refused(&doc, &WsdlSelector::default());
    assert_eq!(
        e.pointer,
        "/definitions[@name='HelloService']/binding[@name='Bye_Binding']/operation[@name='sayBye']/input"
    );
    let first_operation_end = doc.find("<binding name=\"Bye_Binding\"").unwrap();
    let line = doc[..first_operation_end].matches('\n').count()
        + 1
        + doc[first_operation_end..]
            .find("</output>\n        </operation>")
            .map(|at| {
                doc[first_operation_end..first_operation_end + at]
                    .matches('\n')
                    .count()
            })
            .unwrap()
        + 1;
    assert_eq!(
        e.message,
        format!("line {line}: the end tag </operation> does not close <input>")
    );

    let e = refused(
        "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\">\n<types>\n",
        &WsdlSelector::default(),
    );
    assert_eq!(e.pointer, "/definitions/types");
    assert!(
        e.message.contains("ends before <types> is closed"),
        "{}",
        e.message
    );

    let e = refused(
        "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\">\n</types>\n</definitions>",
        &WsdlSelector::default(),
    );
    assert_eq!(e.pointer, "/definitions");
    assert!(
        e.message
            .starts_with("line 2: the end tag </types> does not close <definitions>"),
        "{}",
        e.message
    );
}

#[test]
fn undeclared_prefixes_entities_and_depth() {
    let e = refused(
        "<wsdl:definitions xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\">\n  <soap:binding/>\n</wsdl:definitions>",
        &WsdlSelector::default(),
    );
    assert_eq!(e.pointer, "/definitions/binding");
    assert_eq!(
        e.message,
        "line 2: the prefix 'soap' of <soap:binding> is not declared"
    );

    let e = refused(
        "<!DOCTYPE d [<!ENTITY x \"y\">]><definitions/>",
        &WsdlSelector::default(),
    );
    assert!(e.message.contains("DOCTYPE"), "{}", e.message);

    let e = refused(
        "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\">&bogus;</definitions>",
        &WsdlSelector::default(),
    );
    assert!(
        e.message.contains("unknown entity '&bogus;'"),
        "{}",
        e.message
    );

    let deep = format!(
        "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\">{}{}</definitions>",
        "<a>".repeat(1000),
        "</a>".repeat(1000)
    );
    let e = refused(&deep, &WsdlSelector::default());
    assert!(
        e.message.contains("nested more than 128 levels"),
        "{}",
        e.message
    );
    assert_eq!(e.pointer.matches("/a").count(), 127);
}

#[test]
fn no_services() {
    let e = refused(
        "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\"/>",
        &WsdlSelector::default(),
    );
    assert_eq!(e.pointer, "/definitions");
    assert!(e.message.contains("defines no <service>"), "{}", e.message);
}

#[test]
fn round_trips_the_fixtures() {
    let (first, second) =
        assert_round_trip(&blz(), &select(None, Some("BLZServiceSOAP11port_http")));
    assert_eq!(
        first.operations[0].1.request.representations[0]
            .type_name
            .as_deref(),
        Some("getBank")
    );
    assert_eq!(
        second.operations[0].1.responses[0].representations[0]
            .schema_id
            .as_deref(),
        Some("xsd-1")
    );
    assert_round_trip(&blz(), &select(None, Some("BLZServiceSOAP12port_http")));
    for (service, port) in [
        ("Hello_Service", "Hello_Port"),
        ("Bye_Service", "Bye_Port"),
        ("Bye_Service", "Another_Bye_Port"),
    ] {
        assert_round_trip(&multi(), &select(Some(service), Some(port)));
    }
}

#[test]
fn exported_schemas_reach_a_fixed_point() {
    let (_, second) = assert_round_trip(&blz(), &select(None, Some("BLZServiceSOAP11port_http")));
    let third = import(&export(&second), &WsdlSelector::default());
    assert_eq!(second.schemas, third.schemas);
    assert_eq!(soap(&second), soap(&third));
}

/// Document/literal with two schemas in two namespaces, documentation, SOAP 1.2 actions that
/// need quoting, a one-way operation and names the id alphabet does not hold.
const RICH: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<!-- hand-written for the tests -->
<w:definitions xmlns:w="http://schemas.xmlsoap.org/wsdl/" xmlns:s12="http://schemas.xmlsoap.org/wsdl/soap12/"
    xmlns:x="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:orders" xmlns:c="urn:common" targetNamespace="urn:orders">
  <w:documentation>Orders &amp; returns</w:documentation>
  <w:types>
    <x:schema targetNamespace="urn:common" elementFormDefault="qualified">
      <x:element name="Ping"/>
      <x:element name="Pong" type="x:string"/>
    </x:schema>
    <x:schema targetNamespace="urn:orders" xmlns:c="urn:common-override">
      <x:element name="GetOrder"><x:complexType><x:sequence><x:element name="id" type="x:int"/></x:sequence></x:complexType></x:element>
      <x:element name="GetOrderResponse" type="x:string"/>
    </x:schema>
  </w:types>
  <w:message name="GetOrderIn"><w:part name="parameters" element="t:GetOrder"/></w:message>
  <w:message name="GetOrderOut"><w:part name="parameters" element="t:GetOrderResponse"/></w:message>
  <w:message name="PingIn"><w:part name="header" type="x:string"/><w:part name="body" element="c:Ping"/></w:message>
  <w:message name="PingOut"><w:part name="parameters" element="c:Pong"/></w:message>
  <w:portType name="OrdersPort">
    <w:operation name="GetOrder">
      <w:documentation>Reads an order.
        Orders older than a year are archived.</w:documentation>
      <w:input message="t:GetOrderIn"/>
      <w:output message="t:GetOrderOut"/>
    </w:operation>
    <w:operation name="getorder"><w:input message="t:GetOrderIn"/><w:output message="t:GetOrderOut"/></w:operation>
    <w:operation name="Ping"><w:input message="t:PingIn"/><w:output message="t:PingOut"/></w:operation>
    <w:operation name="Notify"><w:input message="t:PingIn"/></w:operation>
    <w:operation name="Änderung"><w:input message="t:GetOrderIn"/></w:operation>
  </w:portType>
  <w:binding name="OrdersSoap12" type="t:OrdersPort">
    <s12:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <w:operation name="GetOrder"><s12:operation soapAction="urn:orders/Get &quot;Order&quot;"/>
      <w:input><s12:body use="literal"/></w:input><w:output><s12:body use="literal"/></w:output></w:operation>
    <w:operation name="getorder"><s12:operation soapAction="urn:orders/getorder"/></w:operation>
    <w:operation name="Ping"><s12:operation soapAction="urn:common/Ping"/>
      <w:input><s12:body use="literal" parts="body"/></w:input></w:operation>
    <w:operation name="Notify"/>
    <w:operation name="Änderung"><s12:operation soapAction="urn:orders/change"/></w:operation>
  </w:binding>
  <w:service name="Orders">
    <w:port name="OrdersSoap12" binding="t:OrdersSoap12"><s12:address location="ftp://orders.example/"/></w:port>
  </w:service>
</w:definitions>"#;

#[test]
fn soap12_document_literal_in_detail() {
    let api = import(RICH, &WsdlSelector::default());
    assert_eq!(api.name, "Orders");
    assert_eq!(api.description.as_deref(), Some("Orders & returns"));
    assert_eq!(api.service_url, None, "ftp is not a backend URL");
    assert_eq!(api.protocols, ["https"]);
    let ids: Vec<&str> = api.operations.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        ["GetOrder", "getorder-2", "Ping", "Notify", "-nderung"]
    );
    let templates: Vec<&str> = api
        .operations
        .iter()
        .map(|(_, op)| op.url_template.as_str())
        .collect();
    assert_eq!(
        templates,
        ["/GetOrder", "/getorder-2", "/Ping", "/Notify", "/-nderung"]
    );

    let get = &api.operations[0].1;
    assert_eq!(
        get.description.as_deref(),
        Some("Reads an order.\n        Orders older than a year are archived.")
    );
    let request = &get.request.representations[0];
    assert_eq!(
        request.content_type.as_deref(),
        Some(r#"application/soap+xml; action="urn:orders/Get \"Order\"""#)
    );
    assert_eq!(request.schema_id.as_deref(), Some("xsd-2"));
    assert_eq!(request.type_name.as_deref(), Some("GetOrder"));

    let ping = &api.operations[2].1;
    let request = &ping.request.representations[0];
    assert_eq!(request.schema_id.as_deref(), Some("xsd-1"));
    assert_eq!(request.type_name.as_deref(), Some("Ping"));
    assert_eq!(
        ping.responses[0].representations[0].type_name.as_deref(),
        Some("Pong")
    );

    let notify = &api.operations[3].1;
    assert_eq!(
        notify.request.representations[0].content_type.as_deref(),
        Some("application/soap+xml")
    );
    assert!(notify.responses.is_empty(), "one-way");
    assert_eq!(api.operations[4].1.name, "Änderung");

    assert_eq!(api.schemas.len(), 2);
    assert!(api.schemas.iter().all(|(_, s)| s.content_type == XSD));
    // The schema's own xmlns:c wins over the inherited one; the others are copied.
    let second = &api.schemas[1].1.value;
    assert!(
        second.starts_with(
            r#"<x:schema targetNamespace="urn:orders" xmlns:c="urn:common-override" xmlns:w="#
        ),
        "{second}"
    );
    assert_eq!(second.matches("xmlns:c=").count(), 1);
    assert!(second.contains(r#" xmlns:x="http://www.w3.org/2001/XMLSchema""#));
}

#[test]
fn round_trips_soap12_document_literal() {
    let (first, _) = assert_round_trip(RICH, &WsdlSelector::default());
    assert_eq!(first.operations.len(), 5);
}

#[test]
fn exports_a_readable_document() {
    let api = import(&blz(), &select(None, Some("BLZServiceSOAP11port_http")));
    let doc = export(&api);
    for expected in [
        r#"targetNamespace="http://thomas-bayer.com/blz/">"#,
        r#"<wsdl:message name="getBankSoapIn">"#,
        r#"<wsdl:part name="parameters" element="tns:getBank" />"#,
        r#"<wsdl:portType name="BLZServiceSoap">"#,
        r#"<wsdl:binding name="BLZServiceSoap" type="tns:BLZServiceSoap">"#,
        r#"<soap:operation soapAction="" style="document" />"#,
        r#"<wsdl:service name="BLZService">"#,
        r#"<soap:address location="http://www.thomas-bayer.com/axis2/services/BLZService" />"#,
        "<wsdl:documentation>BLZService</wsdl:documentation>",
    ] {
        assert!(doc.contains(expected), "{expected}\n{doc}");
    }
    assert!(!doc.contains("soap12:address"), "{doc}");
}

#[test]
fn export_of_a_non_soap_api_is_refused() {
    let openapi = import_openapi(&fixture("swagger-2.0-petstore.json")).unwrap();
    let e = export_wsdl(&api_of(&openapi), &openapi.operations, &openapi.schemas).unwrap_err();
    assert_eq!(e.pointer, "/operations/listPets");
    assert!(e.message.contains("GET /pets"), "{}", e.message);
    assert!(e.message.contains("only SOAP APIs"), "{}", e.message);

    let soap = import(&blz(), &select(None, Some("BLZServiceSOAP11port_http")));
    let mut api = api_of(&soap);
    api.api_type = Some("http".to_owned());
    let e = export_wsdl(&api, &soap.operations, &soap.schemas).unwrap_err();
    assert_eq!(e.pointer, "/type");
    assert!(
        e.message.contains("only SOAP APIs export as WSDL"),
        "{}",
        e.message
    );

    // A SOAP API with one hand-made REST operation.
    let mut operations = soap.operations.clone();
    let rest: Operation = serde_json::from_value(serde_json::json!({
        "name": "health", "method": "GET", "urlTemplate": "/health"
    }))
    .unwrap();
    operations.push(("health".to_owned(), rest));
    let e = export_wsdl(&api_of(&soap), &operations, &soap.schemas).unwrap_err();
    assert_eq!(e.pointer, "/operations/health");
}

#[test]
fn export_refuses_a_broken_xsd_schema() {
    let mut soap = import(&blz(), &select(None, Some("BLZServiceSOAP11port_http")));
    soap.schemas[0].1.value = "<notaschema/>".to_owned();
    let e = export_wsdl(&api_of(&soap), &soap.operations, &soap.schemas).unwrap_err();
    assert_eq!(e.pointer, "/schemas/xsd-1");
    soap.schemas[0].1.value = "<x:schema".to_owned();
    let e = export_wsdl(&api_of(&soap), &soap.operations, &soap.schemas).unwrap_err();
    assert_eq!(e.pointer, "/schemas/xsd-1");
    // JSON schemas are left out.
    soap.schemas[0].1 = tollgate_contract::entity::schema::Schema {
        content_type: "application/json".to_owned(),
        value: "{}".to_owned(),
    };
    let doc = export_wsdl(&api_of(&soap), &soap.operations, &soap.schemas).unwrap();
    assert!(!doc.contains("<wsdl:types>"), "{doc}");
    assert!(doc.contains("targetNamespace=\"urn:tollgate\""), "{doc}");
}

/// A small deterministic generator for the mutations.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

/// Imports (and exports and re-imports what imports) without panicking.
fn exercise(document: &str) {
    for selector in [
        WsdlSelector::default(),
        select(None, Some("BLZServiceSOAP12port_http")),
        select(Some("Hello_Service"), None),
        select(None, Some("OrdersSoap12")),
    ] {
        if let Ok(api) = import_wsdl(document, &selector) {
            let mut stored = api_of(&api);
            stored.api_type = api.api_type.clone();
            if let Ok(exported) = export_wsdl(&stored, &api.operations, &api.schemas) {
                let _ = import_wsdl(&exported, &WsdlSelector::default());
            }
        }
    }
}

#[test]
fn mutated_documents_do_not_panic() {
    let mut rng = Lcg(0x5eed);
    let inserts = [
        "<",
        ">",
        "\"",
        "'",
        "&",
        "&amp;",
        "</x>",
        "<x>",
        ":",
        "xmlns:",
        "/",
        "\u{e9}",
        "]]>",
        "<!--",
        "<![CDATA[",
    ];
    for document in [blz(), multi(), RICH.to_owned()] {
        let chars: Vec<char> = document.chars().collect();
        for cut in (0..chars.len()).step_by(37) {
            exercise(&chars[..cut].iter().collect::<String>());
        }
        for _ in 0..400 {
            let mut mutated = chars.clone();
            for _ in 0..1 + rng.next(3) {
                let at = rng.next(mutated.len());
                match rng.next(3) {
                    0 => {
                        mutated.remove(at);
                    }
                    1 => {
                        let insert = inserts[rng.next(inserts.len())];
                        for (i, c) in insert.chars().enumerate() {
                            mutated.insert(at + i, c);
                        }
                    }
                    _ => {
                        let other = rng.next(mutated.len());
                        mutated.swap(at, other);
                    }
                }
            }
            exercise(&mutated.iter().collect::<String>());
        }
    }
}
