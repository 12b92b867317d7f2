//! WADL (Web Application Description Language) documents (REFERENCE §4.3): import into
//! operations, export as a WADL 2009/02 document.
//!
//! Import reads `<application>` documents of the 2009/02 submission, of the 2006/10 drafts, or
//! without a namespace. Resources nest (`<resource path="a">` around `<resource path="{id}">`
//! is `/a/{id}`), and methods, parameters, representations and resource types may be referenced
//! by `href="#id"`; references into other documents (`other.wadl#id`) cannot be followed by a
//! pure function and are skipped. `<grammars>` are ignored: a WADL import brings no schemas, and
//! representations name no schema. Only `template`, `query` and `header` parameters are kept
//! (`matrix` and `plain` ones describe nothing Tollgate stores).
//!
//! Errors point at the element with an XPath-like path, indexes counted from 1 among the
//! same-named siblings (`/application/resources/resource[2]/method[1]`), and their messages
//! start with the line: `line 12: …`.
//!
//! ```
//! let doc = r#"<application xmlns="http://wadl.dev.java.net/2009/02">
//!   <resources base="https://echo.example/v1/"><resource path="echo/{word}">
//!     <method name="GET" id="echo"><response status="200 404"/></method>
//!   </resource></resources></application>"#;
//! let api = tollgate_interchange::import_wadl(doc).unwrap();
//! assert_eq!(api.service_url.as_deref(), Some("https://echo.example/v1"));
//! let (id, op) = &api.operations[0];
//! assert_eq!((id.as_str(), op.method.as_str(), op.url_template.as_str()), ("echo", "GET", "/echo/{word}"));
//! assert_eq!(op.responses.len(), 2);
//! ```

mod export;
mod import;
mod parts;
mod tree;

pub use export::export_wadl;
pub use import::import_wadl;

/// The namespace of Tollgate's one WADL extension attribute, `template` on a query parameter:
/// the parameter is a query-part parameter of the URL template (`/a?name={param}`), named by the
/// attribute's value. WADL allows attributes of other namespaces on `<param>`.
pub(crate) const TOLLGATE_NS: &str = "urn:tollgate:wadl";
