//! LINQ to XML for reading: `XElement`, `XDocument`, `XAttribute`, `XName`, `XNamespace`,
//! `XDeclaration`; `XElement.Parse`, `XDocument.Parse` and `Body.As<XElement>()` /
//! `Body.As<XDocument>()` (in `context.rs`).
//!
//! A parsed document is an immutable [`Tree`] shared by the values that point into it (an
//! element is the tree and a node index), so that `Parent`, identity (`==`) and document
//! order come for free. Values are read-only: nothing here changes a tree, and constructing
//! elements (`new XElement(…)`) is not supported.

mod convert;
pub(crate) mod parse;
pub(crate) mod write;

use std::collections::HashSet;
use std::sync::Arc;

use super::{Registry, null_ref, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::ir::{Call, Ir};
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, Value, fail};
use convert::{xml_bool, xml_double, xml_long};
use parse::{Kind, NONE, XML_NS, XMLNS_NS, is_ncname};
pub use parse::{Name, Tree};
use write::{Writer, is_decl};

type Res = Result<Value, EvalError>;

/// A LINQ to XML value.
#[derive(Debug)]
pub enum Xml {
    /// An element or a document: the tree and the node's index.
    Node(Arc<Tree>, u32),
    /// An attribute: the tree, its element's index and the attribute's position.
    Attr(Arc<Tree>, u32, u32),
    /// `XName`.
    Name(Name),
    /// `XNamespace` (its name; empty for `XNamespace.None`).
    Namespace(Arc<str>),
    /// `XDeclaration` of a document.
    Decl(Arc<Tree>),
}

impl Xml {
    /// The type's table key (`Type::Named`).
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Xml::Node(t, i) if matches!(t.nodes[*i as usize].kind, Kind::Document) => "XDocument",
            Xml::Node(..) => "XElement",
            Xml::Attr(..) => "XAttribute",
            Xml::Name(_) => "XName",
            Xml::Namespace(_) => "XNamespace",
            Xml::Decl(_) => "XDeclaration",
        }
    }

    /// `ToString()`. Printing a parsed tree cannot fail (its prefixes are all declared); the
    /// writer's error message would stand in if it did.
    pub(crate) fn to_dotnet_string(&self) -> String {
        let r = match self {
            Xml::Node(t, i) => print(t, *i, true, &mut |_| Ok(())),
            Xml::Attr(t, e, a) => Ok(attr_string(t, *e, *a, &mut 0)),
            Xml::Name(n) => Ok(expanded(n)),
            Xml::Namespace(ns) => Ok(ns.to_string()),
            Xml::Decl(t) => Ok(decl_string(t)),
        };
        r.unwrap_or_else(|e| e.message)
    }

    /// Reference equality (names and namespaces are atomized in .NET: equal by value).
    pub(crate) fn same(&self, other: &Xml) -> bool {
        match (self, other) {
            (Xml::Node(t, i), Xml::Node(u, j)) => Arc::ptr_eq(t, u) && i == j,
            (Xml::Attr(t, e, a), Xml::Attr(u, f, b)) => Arc::ptr_eq(t, u) && e == f && a == b,
            (Xml::Name(a), Xml::Name(b)) => a == b,
            (Xml::Namespace(a), Xml::Namespace(b)) => a == b,
            (Xml::Decl(t), Xml::Decl(u)) => Arc::ptr_eq(t, u),
            _ => false,
        }
    }
}

fn mk(x: Xml) -> Value {
    Value::Obj(Arc::new(super::crypto::Obj::Xml(x)))
}

fn xml(v: &Value) -> Result<&Xml, EvalError> {
    match v {
        Value::Obj(o) => match &**o {
            super::crypto::Obj::Xml(x) => Ok(x),
            _ => fail(ErrorKind::InvalidCast, "the value is not an XML object"),
        },
        Value::Null => null_ref(),
        _ => fail(ErrorKind::InvalidCast, "the value is not an XML object"),
    }
}

fn node(v: &Value) -> Result<(&Arc<Tree>, u32), EvalError> {
    match xml(v)? {
        Xml::Node(t, i) => Ok((t, *i)),
        _ => fail(ErrorKind::InvalidCast, "the value is not an XML element"),
    }
}

fn attr(v: &Value) -> Result<(&Arc<Tree>, u32, u32), EvalError> {
    match xml(v)? {
        Xml::Attr(t, e, a) => Ok((t, *e, *a)),
        _ => fail(ErrorKind::InvalidCast, "the value is not an XML attribute"),
    }
}

/// An `XName` argument (`null` is allowed: it matches nothing).
fn name_arg(v: &Value) -> Result<Option<&Name>, EvalError> {
    match v {
        Value::Null => Ok(None),
        v => match xml(v)? {
            Xml::Name(n) => Ok(Some(n)),
            _ => fail(ErrorKind::InvalidCast, "the value is not an XName"),
        },
    }
}

fn namespace_arg(v: &Value) -> Result<Arc<str>, EvalError> {
    match xml(v)? {
        Xml::Namespace(ns) => Ok(ns.clone()),
        _ => fail(ErrorKind::InvalidCast, "the value is not an XNamespace"),
    }
}

fn arg_null<T>(param: &str) -> Result<T, EvalError> {
    fail(
        ErrorKind::ArgumentNull,
        format!("value cannot be null (parameter '{param}')"),
    )
}

// ---- names ----

/// `{ns}local`, or `local` without a namespace (`XName.ToString()`).
fn expanded(n: &Name) -> String {
    if n.ns.is_empty() {
        n.local.to_string()
    } else {
        format!("{{{}}}{}", n.ns, n.local)
    }
}

/// `XmlConvert.VerifyNCName`.
fn verify_ncname(s: &str) -> Result<Arc<str>, EvalError> {
    if s.is_empty() {
        return fail(
            ErrorKind::Argument,
            "the empty string is not a valid local name",
        );
    }
    if !is_ncname(s) {
        return fail(ErrorKind::Xml, format!("invalid name character in '{s}'"));
    }
    Ok(Arc::from(s))
}

/// `XName.Get(expandedName)`: `{namespace}local` or `local`.
fn name_from_expanded(s: &str) -> Result<Name, EvalError> {
    if s.is_empty() {
        return fail(ErrorKind::Argument, "'' is an invalid expanded name");
    }
    if let Some(body) = s.strip_prefix('{') {
        let i = s.rfind('}').unwrap_or(0);
        if i <= 1 || i == s.len() - 1 {
            return fail(
                ErrorKind::Argument,
                format!("'{s}' is an invalid expanded name"),
            );
        }
        return Ok(Name {
            ns: Arc::from(&body[..i - 1]),
            local: verify_ncname(&s[i + 1..])?,
        });
    }
    Ok(Name {
        ns: Arc::from(""),
        local: verify_ncname(s)?,
    })
}

fn string_to_name(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        v => Ok(mk(Xml::Name(name_from_expanded(&str_arg(v)?)?))),
    }
}

fn string_to_namespace(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        v => Ok(mk(Xml::Namespace(str_arg(v)?))),
    }
}

fn ns_plus(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    if matches!(a[0], Value::Null) {
        return arg_null("ns");
    }
    let ns = namespace_arg(&a[0])?;
    let local = match &a[1] {
        Value::Null => return arg_null("localName"),
        v => verify_ncname(&str_arg(v)?)?,
    };
    Ok(mk(Xml::Name(Name { ns, local })))
}

fn call(f: super::Native, name: &'static str, args: Vec<Ir>, generic: Option<Type>) -> Ir {
    Ir::Call(Box::new(Call {
        f,
        name,
        args,
        instance: false,
        generic,
        outs: Vec::new(),
    }))
}

/// C#'s implicit conversions of a string to `XName` and `XNamespace` (`el.Element("a")`).
pub(crate) fn from_string(ir: Ir, to: &str) -> Option<Ir> {
    match to {
        "XName" => Some(call(string_to_name, "op_Implicit", vec![ir], None)),
        "XNamespace" => Some(call(string_to_namespace, "op_Implicit", vec![ir], None)),
        _ => None,
    }
}

/// `ns + "local"` (an `XName`).
pub(crate) fn plus(ns: Ir, local: Ir) -> Ir {
    call(ns_plus, "op_Addition", vec![ns, local], None)
}

/// The explicit conversions of `XElement` and `XAttribute` (`(string)el`, `(int?)attr`):
/// `type_name` is the cast's type as written, since `uint`, `float`, `decimal`, … (which
/// the checker folds into `int` and `double`) convert differently and are refused, as is
/// `Nullable<T>` (write `T?`).
pub(crate) fn explicit(ir: Ir, from: &Type, to: &Type, type_name: &str) -> Option<Ir> {
    if !matches!(from, Type::Named("XElement" | "XAttribute")) {
        return None;
    }
    let base = type_name.strip_prefix("System.").unwrap_or(type_name);
    let ok = match to.strip_nullable() {
        Type::String => matches!(base, "string" | "String"),
        Type::Bool => matches!(base, "bool" | "Boolean"),
        Type::Int => matches!(base, "int" | "Int32"),
        Type::Long => matches!(base, "long" | "Int64"),
        Type::Double => matches!(base, "double" | "Double"),
        _ => false,
    };
    ok.then(|| call(cast, "op_Explicit", vec![ir], Some(to.clone())))
}

/// The explicit conversions (`generic` is the target type).
fn cast(m: &mut Machine<'_>, a: &mut [Value], g: Option<&Type>) -> Res {
    let Some(to) = g else { return null_ref() };
    let text = match &a[0] {
        Value::Null => None,
        v => Some(match xml(v)? {
            Xml::Node(t, i) => value_of(m, t, *i)?,
            Xml::Attr(t, e, i) => attr_value(t, *e, *i),
            _ => return fail(ErrorKind::InvalidCast, "invalid cast"),
        }),
    };
    let Some(s) = text else {
        return if to.is_reference() {
            Ok(Value::Null)
        } else {
            arg_null("element")
        };
    };
    Ok(match to.strip_nullable() {
        Type::String => Value::Str(s),
        Type::Bool => Value::Bool(xml_bool(&s)?),
        Type::Int => Value::Int(xml_long(&s, i32::MIN.into(), i32::MAX.into())? as i32),
        Type::Long => Value::Long(xml_long(&s, i64::MIN, i64::MAX)?),
        Type::Double => Value::Double(xml_double(&s)?),
        _ => return fail(ErrorKind::InvalidCast, "invalid cast"),
    })
}

// ---- reading ----

/// Parses text into a document (`XDocument.Parse`) or an element (`XElement.Parse`).
pub(crate) fn parse_value(m: &mut Machine<'_>, text: &str, document: bool) -> Res {
    let tree = parse::parse(m, text, document)?;
    let root = if document {
        0
    } else {
        (0..tree.nodes.len() as u32)
            .find(|&i| tree.element(i).is_some())
            .unwrap_or(0)
    };
    Ok(mk(Xml::Node(Arc::new(tree), root)))
}

fn element(t: &Tree, i: u32) -> Result<&parse::Element, EvalError> {
    t.element(i)
        .map_or_else(|| fail(ErrorKind::InvalidCast, "not an element"), Ok)
}

/// `XElement.Value`: the text of the descendants, in document order.
fn value_of(m: &mut Machine<'_>, t: &Tree, i: u32) -> Result<Arc<str>, EvalError> {
    let end = t.nodes[i as usize].end;
    m.step(u64::from(end - i))?;
    let mut s = String::new();
    for j in i + 1..end {
        if let Kind::Text(x) | Kind::CData(x) = &t.nodes[j as usize].kind {
            s.push_str(x);
        }
    }
    m.alloc(s.len())?;
    Ok(Arc::from(s))
}

fn attr_value(t: &Tree, e: u32, a: u32) -> Arc<str> {
    t.element(e)
        .and_then(|el| el.attrs.get(a as usize))
        .map_or_else(|| Arc::from(""), |at| at.value.clone())
}

fn matches(t: &Tree, i: u32, name: Option<&Name>) -> bool {
    t.element(i)
        .is_some_and(|e| name.is_none_or(|n| e.name == *n))
}

/// The elements among nodes, filtered by name (when `filter`), as a sequence value.
fn elements(
    m: &mut Machine<'_>,
    t: &Arc<Tree>,
    nodes: impl Iterator<Item = u32>,
    name: Option<&Name>,
    filter: bool,
) -> Res {
    let mut out = Vec::new();
    for i in nodes {
        m.step(1)?;
        if matches(t, i, if filter { name } else { None }) {
            out.push(mk(Xml::Node(t.clone(), i)));
        }
    }
    m.alloc(out.len() * 32)?;
    m.array(out)
}

/// Which nodes a sequence member walks.
#[derive(Clone, Copy)]
enum Axis {
    Children,
    Descendants,
    DescendantsAndSelf,
    Ancestors,
    AncestorsAndSelf,
    AfterSelf,
    BeforeSelf,
}

/// The nodes an axis walks, and how many it visited to find them.
fn axis_nodes(t: &Tree, i: u32, axis: Axis) -> (Vec<u32>, usize) {
    let end = t.nodes[i as usize].end;
    let parent = t.nodes[i as usize].parent;
    let ancestors = |from: u32| {
        let mut v = Vec::new();
        let mut p = from;
        while t.element(p).is_some() {
            v.push(p);
            p = t.nodes[p as usize].parent;
        }
        v
    };
    let siblings = |after: bool| {
        let all: Vec<u32> = t.children(parent).collect();
        let n = all.len();
        let v = all.into_iter().filter(|&c| (c > i) == after && c != i);
        (v.collect(), n)
    };
    let all = |v: Vec<u32>| {
        let n = v.len();
        (v, n)
    };
    match axis {
        Axis::Children => all(t.children(i).collect()),
        Axis::Descendants => all((i + 1..end).collect()),
        Axis::DescendantsAndSelf => all((i..end).collect()),
        Axis::Ancestors => all(ancestors(parent)),
        Axis::AncestorsAndSelf => all(ancestors(i)),
        Axis::AfterSelf if parent != NONE => siblings(true),
        Axis::BeforeSelf if parent != NONE => siblings(false),
        _ => (Vec::new(), 0),
    }
}

fn walk(m: &mut Machine<'_>, a: &[Value], axis: Axis) -> Res {
    let (t, i) = node(&a[0])?;
    let (name, filter) = match a.get(1) {
        Some(v) => match name_arg(v)? {
            Some(n) => (Some(n), true),
            None => return m.array(Vec::new()),
        },
        None => (None, false),
    };
    let (nodes, visited) = axis_nodes(t, i, axis);
    m.step(visited.saturating_sub(nodes.len()) as u64)?;
    elements(m, t, nodes.into_iter(), name, filter)
}

/// An axis of every element of a sequence (`Extensions.Elements(source)`, …), null elements
/// skipped.
fn walk_all(m: &mut Machine<'_>, a: &[Value], axis: Axis) -> Res {
    let (name, filter) = match a.get(1) {
        Some(v) => match name_arg(v)? {
            Some(n) => (Some(n), true),
            None => return m.array(Vec::new()),
        },
        None => (None, false),
    };
    let mut out = Vec::new();
    for item in super::convert::items(&a[0])?.iter() {
        m.step(1)?;
        if matches!(item, Value::Null) {
            continue;
        }
        let (t, i) = node(item)?;
        let (nodes, visited) = axis_nodes(t, i, axis);
        m.step(visited as u64)?;
        for n in nodes {
            if self::matches(t, n, if filter { name } else { None }) {
                m.alloc(32)?;
                out.push(mk(Xml::Node(t.clone(), n)));
            }
        }
    }
    m.array(out)
}

/// `Extensions.Attributes(source)`: the attributes of every element of a sequence.
fn attributes_all(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let name = match a.get(1) {
        Some(v) => match name_arg(v)? {
            Some(n) => Some(n),
            None => return m.array(Vec::new()),
        },
        None => None,
    };
    let mut out = Vec::new();
    for item in super::convert::items(&a[0])?.iter() {
        m.step(1)?;
        if matches!(item, Value::Null) {
            continue;
        }
        let (t, i) = node(item)?;
        let el = element(t, i)?;
        m.step(el.attrs.len() as u64)?;
        for (k, at) in el.attrs.iter().enumerate() {
            if name.is_none_or(|n| at.name == *n) {
                m.alloc(32)?;
                out.push(mk(Xml::Attr(t.clone(), i, k as u32)));
            }
        }
    }
    m.array(out)
}

fn first_child(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let (t, i) = node(&a[0])?;
    let Some(name) = name_arg(&a[1])? else {
        return Ok(Value::Null);
    };
    for c in t.children(i) {
        m.step(1)?;
        if matches(t, c, Some(name)) {
            return Ok(mk(Xml::Node(t.clone(), c)));
        }
    }
    Ok(Value::Null)
}

fn attribute(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let (t, i) = node(&a[0])?;
    let Some(name) = name_arg(&a[1])? else {
        return Ok(Value::Null);
    };
    let el = element(t, i)?;
    m.step(el.attrs.len() as u64)?;
    Ok(el
        .attrs
        .iter()
        .position(|at| at.name == *name)
        .map_or(Value::Null, |k| mk(Xml::Attr(t.clone(), i, k as u32))))
}

fn attributes(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let (t, i) = node(&a[0])?;
    let name = match a.get(1) {
        Some(v) => match name_arg(v)? {
            Some(n) => Some(n),
            None => return m.array(Vec::new()),
        },
        None => None,
    };
    let el = element(t, i)?;
    m.step(el.attrs.len() as u64)?;
    let out = el
        .attrs
        .iter()
        .enumerate()
        .filter(|(_, at)| name.is_none_or(|n| at.name == *n))
        .map(|(k, _)| mk(Xml::Attr(t.clone(), i, k as u32)))
        .collect();
    m.array(out)
}

/// `GetNamespaceOfPrefixInScope`: the namespace a prefix is declared for, searching from an
/// element up.
fn declared_namespace(t: &Tree, e: u32, prefix: &str, visited: &mut u64) -> Option<Arc<str>> {
    let mut cur = e;
    while let Some(el) = t.element(cur) {
        *visited += 1 + el.attrs.len() as u64;
        if let Some(at) = el
            .attrs
            .iter()
            .find(|at| is_decl(at) && &*at.name.local == prefix)
        {
            return Some(at.value.clone());
        }
        cur = t.nodes[cur as usize].parent;
    }
    None
}

/// `XElement.GetPrefixOfNamespace`.
fn prefix_of_namespace(t: &Tree, e: u32, ns: &str, visited: &mut u64) -> Option<Arc<str>> {
    // Prefixes declared on the elements passed so far (they hide the same prefix above).
    let mut passed: HashSet<&str> = HashSet::new();
    let mut cur = e;
    while let Some(el) = t.element(cur) {
        *visited += 1 + el.attrs.len() as u64;
        let mut local = Vec::new();
        for at in el.attrs.iter().filter(|at| is_decl(at)) {
            if *at.value == *ns
                && !at.name.ns.is_empty()
                && (passed.is_empty() || !passed.contains(&*at.name.local))
            {
                return Some(at.name.local.clone());
            }
            local.push(&*at.name.local);
        }
        passed.extend(local);
        cur = t.nodes[cur as usize].parent;
    }
    match ns {
        XML_NS if passed.is_empty() || declared_namespace(t, e, "xml", visited).is_none() => {
            Some(Arc::from("xml"))
        }
        XMLNS_NS => Some(Arc::from("xmlns")),
        _ => None,
    }
}

/// `XAttribute.ToString()`: `name="value"` with the prefix the element has for its namespace.
fn attr_string(t: &Tree, e: u32, a: u32, visited: &mut u64) -> String {
    let Some(at) = t.element(e).and_then(|el| el.attrs.get(a as usize)) else {
        return String::new();
    };
    let prefix: Arc<str> = if at.name.ns.is_empty() {
        Arc::from("")
    } else {
        prefix_of_namespace(t, e, &at.name.ns, visited).unwrap_or_else(|| Arc::from("p0"))
    };
    let mut w = Writer::new(false);
    w.lone_attribute(&prefix, &at.name.local, &at.value);
    w.finish()
}

fn decl_string(t: &Tree) -> String {
    let mut s = String::from("<?xml");
    if let Some(d) = &t.decl {
        for (k, v) in [
            ("version", &d.version),
            ("encoding", &d.encoding),
            ("standalone", &d.standalone),
        ] {
            if let Some(v) = v {
                s.push_str(&format!(" {k}=\"{v}\""));
            }
        }
    }
    s.push_str("?>");
    s
}

/// Prints a node (`indent`: `SaveOptions.None`), calling `step` for every node written.
fn print(
    t: &Tree,
    i: u32,
    indent: bool,
    step: &mut dyn FnMut(&Writer) -> Result<(), EvalError>,
) -> Result<String, EvalError> {
    let mut w = Writer::new(indent);
    if matches!(t.nodes[i as usize].kind, Kind::Document) {
        w.document(t, step)?;
    } else {
        w.element(t, i, step)?;
    }
    Ok(w.finish())
}

fn to_string(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let indent = match a.get(1) {
        Some(v) => super::int_arg(v) & 1 == 0,
        None => true,
    };
    let s = match xml(&a[0])? {
        Xml::Node(t, i) => {
            // The text is paid for as it grows, a step per node.
            let mut paid = 0;
            let s = print(t, *i, indent, &mut |w| {
                m.step(1)?;
                m.alloc(w.len() - paid)?;
                paid = w.len();
                Ok(())
            })?;
            m.alloc(s.len() - paid)?;
            return Ok(Value::from(s));
        }
        Xml::Attr(t, e, k) => {
            let mut visited = 0;
            let s = attr_string(t, *e, *k, &mut visited);
            m.step(visited)?;
            s
        }
        x => x.to_dotnet_string(),
    };
    m.string(s)
}

// ---- registration ----

fn xname_t() -> Type {
    Type::Named("XName")
}

pub(crate) fn register(r: &mut Registry) {
    let s = || Type::String;
    let el_t = || Type::Named("XElement");
    let doc_t = || Type::Named("XDocument");
    let attr_t = || Type::Named("XAttribute");
    let ns_t = || Type::Named("XNamespace");
    let els = || Type::Seq(Box::new(el_t()));
    let n = || t(xname_t());

    r.method(
        "static:XElement",
        "Parse",
        vec![t(s())],
        el_t(),
        |m, a, _| match &a[0] {
            Value::Null => arg_null("text"),
            v => parse_value(m, &str_arg(v)?, false),
        },
    );
    r.method(
        "static:XDocument",
        "Parse",
        vec![t(s())],
        doc_t(),
        |m, a, _| match &a[0] {
            Value::Null => arg_null("text"),
            v => parse_value(m, &str_arg(v)?, true),
        },
    );
    r.method(
        "static:XName",
        "Get",
        vec![t(s())],
        xname_t(),
        string_to_name,
    );
    r.method(
        "static:XName",
        "Get",
        vec![t(s()), t(s())],
        xname_t(),
        |_, a, _| {
            let local = match &a[0] {
                Value::Null => return arg_null("localName"),
                v => verify_ncname(&str_arg(v)?)?,
            };
            let ns = match &a[1] {
                Value::Null => return arg_null("namespaceName"),
                v => str_arg(v)?,
            };
            Ok(mk(Xml::Name(Name { ns, local })))
        },
    );
    r.method(
        "static:XNamespace",
        "Get",
        vec![t(s())],
        ns_t(),
        |_, a, _| match &a[0] {
            Value::Null => arg_null("namespaceName"),
            v => Ok(mk(Xml::Namespace(str_arg(v)?))),
        },
    );
    r.prop("static:XNamespace", "None", ns_t(), |_, _, _| {
        Ok(mk(Xml::Namespace(Arc::from(""))))
    });
    r.prop("static:XNamespace", "Xml", ns_t(), |_, _, _| {
        Ok(mk(Xml::Namespace(Arc::from(XML_NS))))
    });
    r.prop("static:XNamespace", "Xmlns", ns_t(), |_, _, _| {
        Ok(mk(Xml::Namespace(Arc::from(XMLNS_NS))))
    });
    let save = || Type::Named("SaveOptions");
    r.prop("static:SaveOptions", "None", save(), |_, _, _| {
        Ok(Value::Int(0))
    });
    r.prop(
        "static:SaveOptions",
        "DisableFormatting",
        save(),
        |_, _, _| Ok(Value::Int(1)),
    );
    r.method("SaveOptions", "ToString", vec![], s(), |_, a, _| {
        Ok(Value::from(if super::int_arg(&a[0]) == 1 {
            "DisableFormatting"
        } else {
            "None"
        }))
    });

    // XElement and XDocument (XContainer).
    for k in ["XElement", "XDocument"] {
        r.method(k, "Element", vec![n()], el_t(), first_child);
        r.method(k, "Elements", vec![], els(), |m, a, _| {
            walk(m, a, Axis::Children)
        });
        r.method(k, "Elements", vec![n()], els(), |m, a, _| {
            walk(m, a, Axis::Children)
        });
        r.method(k, "Descendants", vec![], els(), |m, a, _| {
            walk(m, a, Axis::Descendants)
        });
        r.method(k, "Descendants", vec![n()], els(), |m, a, _| {
            walk(m, a, Axis::Descendants)
        });
        r.method(k, "ToString", vec![], s(), to_string);
        r.method(k, "ToString", vec![t(save())], s(), to_string);
    }
    r.prop("XDocument", "Root", el_t(), |m, a, _| {
        let (t, i) = node(&a[0])?;
        for c in t.children(i) {
            m.step(1)?;
            if t.element(c).is_some() {
                return Ok(mk(Xml::Node(t.clone(), c)));
            }
        }
        Ok(Value::Null)
    });
    r.prop(
        "XDocument",
        "Declaration",
        Type::Named("XDeclaration"),
        |_, a, _| {
            let (t, _) = node(&a[0])?;
            Ok(if t.decl.is_some() {
                mk(Xml::Decl(t.clone()))
            } else {
                Value::Null
            })
        },
    );

    const E: &str = "XElement";
    r.prop(E, "Name", xname_t(), |_, a, _| {
        let (t, i) = node(&a[0])?;
        Ok(mk(Xml::Name(element(t, i)?.name.clone())))
    });
    r.prop(E, "Value", s(), |m, a, _| {
        let (t, i) = node(&a[0])?;
        Ok(Value::Str(value_of(m, t, i)?))
    });
    r.prop(E, "Parent", el_t(), |_, a, _| {
        let (t, i) = node(&a[0])?;
        let p = t.nodes[i as usize].parent;
        Ok(if t.element(p).is_some() {
            mk(Xml::Node(t.clone(), p))
        } else {
            Value::Null
        })
    });
    r.prop(E, "Document", doc_t(), |_, a, _| {
        let (t, _) = node(&a[0])?;
        Ok(if matches!(t.nodes[0].kind, Kind::Document) {
            mk(Xml::Node(t.clone(), 0))
        } else {
            Value::Null
        })
    });
    r.prop(E, "HasElements", Type::Bool, |m, a, _| {
        let (t, i) = node(&a[0])?;
        for c in t.children(i) {
            m.step(1)?;
            if t.element(c).is_some() {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    });
    r.prop(E, "HasAttributes", Type::Bool, |_, a, _| {
        let (t, i) = node(&a[0])?;
        Ok(Value::Bool(!element(t, i)?.attrs.is_empty()))
    });
    r.prop(E, "IsEmpty", Type::Bool, |_, a, _| {
        let (t, i) = node(&a[0])?;
        Ok(Value::Bool(element(t, i)?.empty))
    });
    for (name, last) in [("FirstAttribute", false), ("LastAttribute", true)] {
        let f: super::Native = if last {
            |_, a, _| {
                let (t, i) = node(&a[0])?;
                let k = element(t, i)?.attrs.len();
                Ok(if k == 0 {
                    Value::Null
                } else {
                    mk(Xml::Attr(t.clone(), i, k as u32 - 1))
                })
            }
        } else {
            |_, a, _| {
                let (t, i) = node(&a[0])?;
                Ok(if element(t, i)?.attrs.is_empty() {
                    Value::Null
                } else {
                    mk(Xml::Attr(t.clone(), i, 0))
                })
            }
        };
        r.prop(E, name, attr_t(), f);
    }
    macro_rules! axes {
        ($($name:literal => $axis:expr),*) => {$(
            r.method(E, $name, vec![], els(), |m, a, _| walk(m, a, $axis));
            r.method(E, $name, vec![n()], els(), |m, a, _| walk(m, a, $axis));
        )*};
    }
    axes!(
        "DescendantsAndSelf" => Axis::DescendantsAndSelf,
        "Ancestors" => Axis::Ancestors,
        "AncestorsAndSelf" => Axis::AncestorsAndSelf,
        "ElementsAfterSelf" => Axis::AfterSelf,
        "ElementsBeforeSelf" => Axis::BeforeSelf
    );
    r.method(E, "Attribute", vec![n()], attr_t(), attribute);
    let attrs_t = || Type::Seq(Box::new(attr_t()));
    r.method(E, "Attributes", vec![], attrs_t(), attributes);
    r.method(E, "Attributes", vec![n()], attrs_t(), attributes);
    r.method(E, "GetDefaultNamespace", vec![], ns_t(), |m, a, _| {
        let (t, i) = node(&a[0])?;
        let mut visited = 0;
        let ns = declared_namespace(t, i, "xmlns", &mut visited);
        m.step(visited)?;
        Ok(mk(Xml::Namespace(ns.unwrap_or_else(|| Arc::from("")))))
    });
    r.method(
        E,
        "GetNamespaceOfPrefix",
        vec![t(s())],
        ns_t(),
        |m, a, _| {
            let (t, i) = node(&a[0])?;
            let prefix = match &a[1] {
                Value::Null => return arg_null("prefix"),
                v => str_arg(v)?,
            };
            if prefix.is_empty() {
                return fail(ErrorKind::Argument, "the prefix cannot be empty");
            }
            let mut visited = 0;
            let ns = declared_namespace(t, i, &prefix, &mut visited);
            m.step(visited)?;
            let ns = ns.or_else(|| match &*prefix {
                "xmlns" => Some(Arc::from(XMLNS_NS)),
                "xml" => Some(Arc::from(XML_NS)),
                _ => None,
            });
            Ok(ns.map_or(Value::Null, |ns| mk(Xml::Namespace(ns))))
        },
    );
    r.method(
        E,
        "GetPrefixOfNamespace",
        vec![t(ns_t())],
        s(),
        |m, a, _| {
            let (t, i) = node(&a[0])?;
            if matches!(a[1], Value::Null) {
                return arg_null("ns");
            }
            let ns = namespace_arg(&a[1])?;
            let mut visited = 0;
            let prefix = prefix_of_namespace(t, i, &ns, &mut visited);
            m.step(visited)?;
            Ok(prefix.map_or(Value::Null, Value::Str))
        },
    );

    const SEQ: &str = "seq:XElement";
    macro_rules! seq_axes {
        ($($name:literal => $axis:expr),*) => {$(
            r.method(SEQ, $name, vec![], els(), |m, a, _| walk_all(m, a, $axis));
            r.method(SEQ, $name, vec![n()], els(), |m, a, _| walk_all(m, a, $axis));
        )*};
    }
    seq_axes!(
        "Elements" => Axis::Children,
        "Descendants" => Axis::Descendants,
        "DescendantsAndSelf" => Axis::DescendantsAndSelf,
        "Ancestors" => Axis::Ancestors,
        "AncestorsAndSelf" => Axis::AncestorsAndSelf
    );
    r.method(SEQ, "Attributes", vec![], attrs_t(), attributes_all);
    r.method(SEQ, "Attributes", vec![n()], attrs_t(), attributes_all);

    const A: &str = "XAttribute";
    r.prop(A, "Name", xname_t(), |_, a, _| {
        let (t, e, k) = attr(&a[0])?;
        let at = &element(t, e)?.attrs[k as usize];
        Ok(mk(Xml::Name(at.name.clone())))
    });
    r.prop(A, "Value", s(), |_, a, _| {
        let (t, e, k) = attr(&a[0])?;
        Ok(Value::Str(attr_value(t, e, k)))
    });
    r.prop(A, "Parent", el_t(), |_, a, _| {
        let (t, e, _) = attr(&a[0])?;
        Ok(mk(Xml::Node(t.clone(), e)))
    });
    r.prop(A, "IsNamespaceDeclaration", Type::Bool, |_, a, _| {
        let (t, e, k) = attr(&a[0])?;
        Ok(Value::Bool(is_decl(&element(t, e)?.attrs[k as usize])))
    });
    r.prop(A, "NextAttribute", attr_t(), |_, a, _| {
        let (t, e, k) = attr(&a[0])?;
        let n = element(t, e)?.attrs.len() as u32;
        Ok(if k + 1 < n {
            mk(Xml::Attr(t.clone(), e, k + 1))
        } else {
            Value::Null
        })
    });
    r.prop(A, "PreviousAttribute", attr_t(), |_, a, _| {
        let (t, e, k) = attr(&a[0])?;
        Ok(if k > 0 {
            mk(Xml::Attr(t.clone(), e, k - 1))
        } else {
            Value::Null
        })
    });
    r.method(A, "ToString", vec![], s(), to_string);

    const N: &str = "XName";
    r.prop(N, "LocalName", s(), |_, a, _| match xml(&a[0])? {
        Xml::Name(n) => Ok(Value::Str(n.local.clone())),
        _ => null_ref(),
    });
    r.prop(N, "NamespaceName", s(), |_, a, _| match xml(&a[0])? {
        Xml::Name(n) => Ok(Value::Str(n.ns.clone())),
        _ => null_ref(),
    });
    r.prop(N, "Namespace", ns_t(), |_, a, _| match xml(&a[0])? {
        Xml::Name(n) => Ok(mk(Xml::Namespace(n.ns.clone()))),
        _ => null_ref(),
    });
    r.method(N, "ToString", vec![], s(), to_string);

    const NS: &str = "XNamespace";
    r.prop(NS, "NamespaceName", s(), |_, a, _| {
        Ok(Value::Str(namespace_arg(&a[0])?))
    });
    r.method(NS, "GetName", vec![t(s())], xname_t(), ns_plus);
    r.method(NS, "ToString", vec![], s(), to_string);

    const D: &str = "XDeclaration";
    for (name, k) in [("Version", 0), ("Encoding", 1), ("Standalone", 2)] {
        let f: super::Native = match k {
            0 => |_, a, _| decl_field(&a[0], |d| &d.version),
            1 => |_, a, _| decl_field(&a[0], |d| &d.encoding),
            _ => |_, a, _| decl_field(&a[0], |d| &d.standalone),
        };
        r.prop(D, name, s(), f);
    }
    r.method(D, "ToString", vec![], s(), to_string);
}

fn decl_field(v: &Value, f: fn(&parse::Decl) -> &Option<Arc<str>>) -> Res {
    match xml(v)? {
        Xml::Decl(t) => Ok(t
            .decl
            .as_ref()
            .and_then(|d| f(d).clone())
            .map_or(Value::Null, Value::Str)),
        _ => null_ref(),
    }
}
