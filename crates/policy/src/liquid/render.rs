//! Rendering a parsed template over its variables, within budgets.

use std::collections::HashMap;

use super::filters::{self, member, pair};
use super::parse::{Comparison, Condition, Expr, ForLoop, Node, Op, Output, Segment};
use super::value::{Object, Value};

/// The most text a template may write (what a body may hold).
pub const MAX_OUTPUT: usize = 16 * 1024 * 1024;
/// The most steps (nodes rendered, loop rounds, filters applied) one rendering may take.
pub const MAX_STEPS: u64 = 1_000_000;
/// The most bytes of values (strings, arrays) one rendering may make.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// The most items a range may hold when it is made an array.
const MAX_RANGE: i64 = 100_000;

/// How a loop body ended.
pub(super) enum Flow {
    Normal,
    Break,
    Continue,
}

type Res<T> = Result<T, String>;

pub(super) struct Renderer<'v> {
    globals: &'v HashMap<String, Value>,
    locals: HashMap<String, Value>,
    now: i64,
    steps: u64,
    bytes: usize,
}

impl<'v> Renderer<'v> {
    pub(super) fn new(globals: &'v HashMap<String, Value>, now: i64) -> Self {
        Renderer {
            globals,
            locals: HashMap::new(),
            now,
            steps: 0,
            bytes: 0,
        }
    }

    fn step(&mut self) -> Res<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(format!("the template took more than {MAX_STEPS} steps"));
        }
        Ok(())
    }

    fn charge(&mut self, v: &Value) -> Res<()> {
        let size = match v {
            Value::Str(s) => s.len(),
            Value::Array(a) => a.len() * 16,
            _ => 0,
        };
        if size > MAX_OUTPUT {
            return Err(format!(
                "a value of the template is larger than {MAX_OUTPUT} bytes"
            ));
        }
        self.bytes += size;
        if self.bytes > MAX_BYTES {
            return Err(format!(
                "the template made more than {MAX_BYTES} bytes of values"
            ));
        }
        Ok(())
    }

    pub(super) fn nodes(&mut self, nodes: &[Node], out: &mut String) -> Res<Flow> {
        for node in nodes {
            self.step()?;
            match self.node(node, out)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
            if out.len() > MAX_OUTPUT {
                return Err(format!("the template wrote more than {MAX_OUTPUT} bytes"));
            }
        }
        Ok(Flow::Normal)
    }

    fn node(&mut self, node: &Node, out: &mut String) -> Res<Flow> {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Output(o) => self.output(o)?.render(out),
            Node::If {
                branches,
                otherwise,
            } => {
                for (condition, body) in branches {
                    if self.condition(condition)? {
                        return self.nodes(body, out);
                    }
                }
                return self.nodes(otherwise, out);
            }
            Node::Case {
                subject,
                whens,
                otherwise,
            } => {
                let subject = self.expr(subject)?;
                for (values, body) in whens {
                    for v in values {
                        if self.compare(&subject, Op::Eq, v)? {
                            return self.nodes(body, out);
                        }
                    }
                }
                return self.nodes(otherwise, out);
            }
            Node::For(f) => return self.for_loop(f, out),
            Node::Assign(name, o) => {
                let v = self.output(o)?;
                self.locals.insert(name.clone(), v);
            }
            Node::Capture(name, body) => {
                let mut text = String::new();
                let flow = self.nodes(body, &mut text)?;
                let v = Value::from(text);
                self.charge(&v)?;
                self.locals.insert(name.clone(), v);
                return Ok(flow);
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn output(&mut self, o: &Output) -> Res<Value> {
        let mut v = self.expr(&o.expr)?;
        for (name, args) in &o.filters {
            self.step()?;
            let args = args.iter().map(|a| self.expr(a)).collect::<Res<Vec<_>>>()?;
            v = filters::apply(name, &v, &args, self.now).map_err(|e| {
                if e.starts_with(name) {
                    e
                } else {
                    format!("{name}: {e}")
                }
            })?;
            self.charge(&v)?;
        }
        Ok(v)
    }

    fn for_loop(&mut self, f: &ForLoop, out: &mut String) -> Res<Flow> {
        let mut items = match &f.source {
            Expr::Range(..) => self.expr(&f.source)?.items(),
            source => match self.expr(source)? {
                Value::Object(o) => o.members().iter().map(|(k, v)| pair(k, v)).collect(),
                other => other.items(),
            },
        };
        let offset = self.count(f.offset.as_ref())?.unwrap_or(0).max(0) as usize;
        items.drain(..offset.min(items.len()));
        if let Some(limit) = self.count(f.limit.as_ref())? {
            items.truncate(limit.max(0) as usize);
        }
        if f.reversed {
            items.reverse();
        }
        if items.is_empty() {
            return self.nodes(&f.otherwise, out);
        }
        let saved = (self.locals.remove(&f.name), self.locals.remove("forloop"));
        let length = items.len();
        for (i, item) in items.into_iter().enumerate() {
            self.step()?;
            self.locals.insert(f.name.clone(), item);
            self.locals.insert("forloop".into(), forloop(i, length));
            if let Flow::Break = self.nodes(&f.body, out)? {
                break;
            }
        }
        for (name, old) in [(f.name.as_str(), saved.0), ("forloop", saved.1)] {
            match old {
                Some(v) => self.locals.insert(name.to_owned(), v),
                None => self.locals.remove(name),
            };
        }
        Ok(Flow::Normal)
    }

    fn count(&mut self, e: Option<&Expr>) -> Res<Option<i64>> {
        let Some(e) = e else { return Ok(None) };
        match self.expr(e)?.number() {
            Some(Value::Int(n)) => Ok(Some(n)),
            Some(Value::Float(f)) => Ok(Some(f as i64)),
            _ => Err("'limit' and 'offset' take numbers".into()),
        }
    }

    fn condition(&mut self, c: &Condition) -> Res<bool> {
        let mut result = match c.rest.last() {
            Some((_, last)) => self.comparison(last)?,
            None => self.comparison(&c.first)?,
        };
        let n = c.rest.len();
        for i in (0..n).rev() {
            let left = if i == 0 { &c.first } else { &c.rest[i - 1].1 };
            let and = c.rest[i].0;
            result = if and {
                result && self.comparison(left)?
            } else {
                result || self.comparison(left)?
            };
        }
        Ok(result != c.negated)
    }

    fn comparison(&mut self, c: &Comparison) -> Res<bool> {
        match &c.op {
            None => Ok(self.expr(&c.left)?.truthy()),
            Some((op, right)) => {
                let left = self.expr(&c.left)?;
                self.compare(&left, *op, right)
            }
        }
    }

    fn compare(&mut self, left: &Value, op: Op, right: &Expr) -> Res<bool> {
        if let Expr::Empty = right {
            let empty = left.is_empty();
            return Ok(match op {
                Op::Eq => empty,
                Op::Ne => !empty,
                _ => false,
            });
        }
        let right = self.expr(right)?;
        Ok(match op {
            Op::Eq => left.equals(&right),
            Op::Ne => !left.equals(&right),
            Op::Contains => match left {
                Value::Str(s) => s.contains(&*right.text()),
                Value::Array(items) => items.iter().any(|i| i.equals(&right)),
                _ => false,
            },
            _ => {
                if matches!(left, Value::Nil) || matches!(right, Value::Nil) {
                    return Ok(false);
                }
                let Some(order) = left.compare(&right) else {
                    return Err(format!(
                        "'{}' and '{}' cannot be compared",
                        left.text(),
                        right.text()
                    ));
                };
                match op {
                    Op::Lt => order.is_lt(),
                    Op::Gt => order.is_gt(),
                    Op::Le => order.is_le(),
                    _ => order.is_ge(),
                }
            }
        })
    }

    fn expr(&mut self, e: &Expr) -> Res<Value> {
        match e {
            Expr::Lit(v) => Ok(v.clone()),
            Expr::Empty => Ok(Value::from("")),
            Expr::Range(a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                let (Some(Value::Int(a)), Some(Value::Int(b))) = (a.number(), b.number()) else {
                    return Err("a range takes whole numbers".into());
                };
                if b.saturating_sub(a) >= MAX_RANGE {
                    return Err(format!("a range holds more than {MAX_RANGE} numbers"));
                }
                let v: Value = (a..=b).map(Value::Int).collect::<Vec<_>>().into();
                self.charge(&v)?;
                Ok(v)
            }
            Expr::Path(name, segments) => {
                let mut v = match self.locals.get(name).or_else(|| self.globals.get(name)) {
                    Some(v) => v.clone(),
                    None => return Ok(Value::Nil),
                };
                for s in segments {
                    v = match s {
                        Segment::Name(n) => lookup(&v, n),
                        Segment::Index(i) => {
                            let key = self.expr(i)?;
                            index(&v, &key)
                        }
                    };
                }
                Ok(v)
            }
        }
    }
}

/// `.name`: an object's member, or an array's `size`/`first`/`last`.
fn lookup(v: &Value, name: &str) -> Value {
    match v {
        Value::Object(o) => o.get(name).cloned().unwrap_or_default(),
        Value::Array(items) => match name {
            "size" => Value::Int(items.len() as i64),
            "first" => items.first().cloned().unwrap_or_default(),
            "last" => items.last().cloned().unwrap_or_default(),
            _ => Value::Nil,
        },
        Value::Str(s) if name == "size" => Value::Int(s.encode_utf16().count() as i64),
        _ => Value::Nil,
    }
}

/// `[key]`: an array's item (negative from the end), or an object's member.
fn index(v: &Value, key: &Value) -> Value {
    match (v, key) {
        (Value::Array(items), Value::Int(i)) => {
            let at = if *i < 0 { items.len() as i64 + i } else { *i };
            usize::try_from(at)
                .ok()
                .and_then(|at| items.get(at))
                .cloned()
                .unwrap_or_default()
        }
        (Value::Object(_), k) => member(v, &k.text()),
        _ => Value::Nil,
    }
}

/// The `forloop` object: Liquid's lower-case members and the PascalCase ones of DotLiquid's
/// `ForloopDrop` under the C# naming convention.
fn forloop(i: usize, length: usize) -> Value {
    let mut o = Object::default();
    let (i, length) = (i as i64, length as i64);
    let members = [
        ("index", Value::Int(i + 1)),
        ("index0", Value::Int(i)),
        ("rindex", Value::Int(length - i)),
        ("rindex0", Value::Int(length - i - 1)),
        ("first", Value::Bool(i == 0)),
        ("last", Value::Bool(i == length - 1)),
        ("length", Value::Int(length)),
    ];
    for (name, v) in members {
        let mut pascal = name.to_owned();
        pascal[..1].make_ascii_uppercase();
        o.insert(&pascal, v.clone());
        o.insert(name, v);
    }
    o.into()
}
