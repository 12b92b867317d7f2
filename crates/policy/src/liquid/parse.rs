//! From pieces and tokens to the template tree. Every tag and filter is checked here, so a
//! template that parses only fails at run time on its data.

use super::filters;
use super::lexer::{Located, Piece, Token, tokens};
use super::value::Value;

/// How deep blocks may nest.
const MAX_DEPTH: usize = 64;

/// A node of the tree.
#[derive(Debug)]
pub(super) enum Node {
    Text(String),
    Output(Output),
    If {
        branches: Vec<(Condition, Vec<Node>)>,
        otherwise: Vec<Node>,
    },
    Case {
        subject: Expr,
        whens: Vec<(Vec<Expr>, Vec<Node>)>,
        otherwise: Vec<Node>,
    },
    For(Box<ForLoop>),
    Assign(String, Output),
    Capture(String, Vec<Node>),
    Break,
    Continue,
}

/// `{% for name in source … %}`.
#[derive(Debug)]
pub(super) struct ForLoop {
    pub name: String,
    pub source: Expr,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
    pub reversed: bool,
    pub body: Vec<Node>,
    pub otherwise: Vec<Node>,
}

/// An expression and its filters.
#[derive(Debug)]
pub(super) struct Output {
    pub expr: Expr,
    pub filters: Vec<(&'static str, Vec<Expr>)>,
}

/// A value: literal, variable path or range.
#[derive(Debug)]
pub(super) enum Expr {
    Lit(Value),
    /// `empty` (and `blank`): compares equal to empty strings, arrays and objects.
    Empty,
    Path(String, Vec<Segment>),
    Range(Box<Expr>, Box<Expr>),
}

/// A step of a path: `.name` or `[expr]`.
#[derive(Debug)]
pub(super) enum Segment {
    Name(String),
    Index(Expr),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Contains,
}

/// A condition: comparisons joined by `and`/`or` (`true` = and), evaluated from the right as
/// Liquid does; `unless` negates it.
#[derive(Debug)]
pub(super) struct Condition {
    pub first: Comparison,
    pub rest: Vec<(bool, Comparison)>,
    pub negated: bool,
}

/// `left` alone (its truth) or `left op right`.
#[derive(Debug)]
pub(super) struct Comparison {
    pub left: Expr,
    pub op: Option<(Op, Expr)>,
}

/// Parses a template.
pub(super) fn parse(pieces: &[Located<'_>]) -> Result<Vec<Node>, String> {
    let mut p = Parser { pieces, at: 0 };
    let (nodes, end) = p.block(0, &[])?;
    match end {
        None => Ok(nodes),
        Some((tag, _)) => Err(format!("'{{% {tag} %}}' without an opening tag")),
    }
}

struct Parser<'p, 'a> {
    pieces: &'p [Located<'a>],
    at: usize,
}

/// The tag that ended a block: its name and the rest of its markup.
type End = Option<(String, String)>;

impl Parser<'_, '_> {
    /// Nodes up to one of the `ends` tags (returned) or the end of the template.
    fn block(&mut self, depth: usize, ends: &[&str]) -> Result<(Vec<Node>, End), String> {
        if depth > MAX_DEPTH {
            return Err(format!("blocks are nested deeper than {MAX_DEPTH}"));
        }
        let mut nodes = Vec::new();
        while let Some((piece, line)) = self.pieces.get(self.at).cloned() {
            self.at += 1;
            let at_line = |e: String| format!("line {line}: {e}");
            match piece {
                Piece::Text(t) => nodes.push(Node::Text(t.to_owned())),
                Piece::Output(m) => nodes.push(Node::Output(
                    output(&tokens(m).map_err(at_line)?).map_err(at_line)?,
                )),
                Piece::Tag(m) => {
                    let m = m.trim();
                    let (name, rest) = m.split_once(char::is_whitespace).unwrap_or((m, ""));
                    if ends.contains(&name) {
                        return Ok((nodes, Some((name.to_owned(), rest.to_owned()))));
                    }
                    nodes.push(self.tag(name, rest, depth).map_err(at_line)?);
                }
            }
        }
        if let Some(end) = ends.last() {
            return Err(format!("'{{% {end} %}}' is missing"));
        }
        Ok((nodes, None))
    }

    fn tag(&mut self, name: &str, rest: &str, depth: usize) -> Result<Node, String> {
        let depth = depth + 1;
        match name {
            "if" | "unless" => {
                let end = if name == "if" { "endif" } else { "endunless" };
                let mut condition = condition(&tokens(rest)?)?;
                condition.negated = name == "unless";
                let mut branches = Vec::new();
                let mut otherwise = Vec::new();
                loop {
                    let (body, next) = self.block(depth, &["elsif", "else", end])?;
                    let (tag, markup) = next.unwrap_or_default();
                    branches.push((condition, body));
                    match tag.as_str() {
                        "elsif" if name == "if" => {
                            condition = super::parse::condition(&tokens(&markup)?)?
                        }
                        "else" => {
                            otherwise = self.block(depth, &[end])?.0;
                            break;
                        }
                        "elsif" => return Err("'elsif' inside 'unless'".into()),
                        _ => break,
                    }
                }
                Ok(Node::If {
                    branches,
                    otherwise,
                })
            }
            "case" => {
                let subject = whole(&tokens(rest)?, "case")?;
                let (_, mut next) = self.block(depth, &["when", "else", "endcase"])?;
                let mut whens = Vec::new();
                let mut otherwise = Vec::new();
                while let Some((tag, markup)) = next.take() {
                    match tag.as_str() {
                        "when" => {
                            let values = when_values(&tokens(&markup)?)?;
                            let (body, n) = self.block(depth, &["when", "else", "endcase"])?;
                            whens.push((values, body));
                            next = n;
                        }
                        "else" => otherwise = self.block(depth, &["endcase"])?.0,
                        _ => {}
                    }
                }
                Ok(Node::Case {
                    subject,
                    whens,
                    otherwise,
                })
            }
            "for" => self.for_loop(rest, depth),
            "assign" => {
                let t = tokens(rest)?;
                match t.as_slice() {
                    [Token::Name(var), Token::Sym("="), value @ ..] => {
                        Ok(Node::Assign(var.clone(), output(value)?))
                    }
                    _ => Err(format!("'assign' needs 'name = value', not '{rest}'")),
                }
            }
            "capture" => match tokens(rest)?.as_slice() {
                [Token::Name(var)] | [Token::Str(var)] => {
                    let body = self.block(depth, &["endcapture"])?.0;
                    Ok(Node::Capture(var.clone(), body))
                }
                _ => Err(format!("'capture' needs a variable name, not '{rest}'")),
            },
            "comment" | "raw" => {
                let end = if name == "comment" {
                    "endcomment"
                } else {
                    "endraw"
                };
                self.verbatim(name, end)
            }
            "break" => Ok(Node::Break),
            "continue" => Ok(Node::Continue),
            other if other.starts_with("end") || matches!(other, "else" | "elsif" | "when") => {
                Err(format!("'{{% {other} %}}' without an opening tag"))
            }
            other => Err(format!("the tag '{other}' is not supported by Tollgate")),
        }
    }

    /// The pieces up to `end` as text (`raw`), or nothing (`comment`).
    fn verbatim(&mut self, name: &str, end: &str) -> Result<Node, String> {
        let mut text = String::new();
        while let Some((piece, _)) = self.pieces.get(self.at) {
            self.at += 1;
            match piece {
                Piece::Tag(m) if m.trim() == end => {
                    return Ok(Node::Text(if name == "raw" { text } else { String::new() }));
                }
                Piece::Text(t) => text.push_str(t),
                Piece::Output(m) => text.push_str(&format!("{{{{{m}}}}}")),
                Piece::Tag(m) => text.push_str(&format!("{{%{m}%}}")),
            }
        }
        Err(format!("'{{% {end} %}}' is missing"))
    }

    fn for_loop(&mut self, rest: &str, depth: usize) -> Result<Node, String> {
        let t = tokens(rest)?;
        let (name, after) = match t.as_slice() {
            [Token::Name(n), Token::Name(kw), after @ ..] if kw == "in" => (n.clone(), after),
            _ => return Err(format!("'for' needs 'name in collection', not '{rest}'")),
        };
        let mut c = Cursor { t: after, at: 0 };
        let source = c.expr()?;
        let (mut limit, mut offset, mut reversed) = (None, None, false);
        while let Some(tok) = c.next() {
            match tok {
                Token::Name(n) if n == "reversed" => reversed = true,
                Token::Name(n) if n == "limit" || n == "offset" => {
                    c.expect(":")?;
                    let value = Some(c.expr()?);
                    if n == "limit" {
                        limit = value
                    } else {
                        offset = value
                    }
                }
                other => return Err(format!("unexpected {other:?} in 'for'")),
            }
        }
        let (body, next) = self.block(depth, &["else", "endfor"])?;
        let otherwise = match next {
            Some((tag, _)) if tag == "else" => self.block(depth, &["endfor"])?.0,
            _ => Vec::new(),
        };
        Ok(Node::For(Box::new(ForLoop {
            name,
            source,
            limit,
            offset,
            reversed,
            body,
            otherwise,
        })))
    }
}

/// A cursor over tokens.
struct Cursor<'t> {
    t: &'t [Token],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Token> {
        self.t.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.t.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Some(Token::Sym(s)) if *s == sym) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, sym: &str) -> Result<(), String> {
        if self.eat(sym) {
            Ok(())
        } else {
            Err(format!("'{sym}' expected"))
        }
    }

    fn done(&self) -> bool {
        self.at >= self.t.len()
    }

    fn expr(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Expr::Lit(Value::from(s))),
            Some(Token::Int(i)) => Ok(Expr::Lit(Value::Int(i))),
            Some(Token::Float(f)) => Ok(Expr::Lit(Value::Float(f))),
            Some(Token::Sym("(")) => {
                let from = self.expr()?;
                self.expect("..")?;
                let to = self.expr()?;
                self.expect(")")?;
                Ok(Expr::Range(Box::new(from), Box::new(to)))
            }
            Some(Token::Name(n)) => Ok(match n.as_str() {
                "true" => Expr::Lit(Value::Bool(true)),
                "false" => Expr::Lit(Value::Bool(false)),
                "nil" | "null" => Expr::Lit(Value::Nil),
                "empty" | "blank" => Expr::Empty,
                _ => Expr::Path(n, self.segments()?),
            }),
            other => Err(format!("a value expected, not {other:?}")),
        }
    }

    fn segments(&mut self) -> Result<Vec<Segment>, String> {
        let mut out = Vec::new();
        loop {
            if self.eat(".") {
                match self.next() {
                    Some(Token::Name(n)) => out.push(Segment::Name(n)),
                    other => {
                        return Err(format!("a member name expected after '.', not {other:?}"));
                    }
                }
            } else if self.eat("[") {
                out.push(Segment::Index(self.expr()?));
                self.expect("]")?;
            } else {
                return Ok(out);
            }
        }
    }

    fn filters(&mut self) -> Result<Vec<(&'static str, Vec<Expr>)>, String> {
        let mut out = Vec::new();
        while self.eat("|") {
            let Some(Token::Name(name)) = self.next() else {
                return Err("a filter name expected after '|'".into());
            };
            let name = filters::known(&name)?;
            let mut args = Vec::new();
            if self.eat(":") {
                args.push(self.expr()?);
                while self.eat(",") {
                    args.push(self.expr()?);
                }
            }
            out.push((name, args));
        }
        Ok(out)
    }

    fn comparison(&mut self) -> Result<Comparison, String> {
        let left = self.expr()?;
        let op = match self.peek() {
            Some(Token::Sym(s)) => match *s {
                "==" => Some(Op::Eq),
                "!=" | "<>" => Some(Op::Ne),
                "<" => Some(Op::Lt),
                ">" => Some(Op::Gt),
                "<=" => Some(Op::Le),
                ">=" => Some(Op::Ge),
                _ => None,
            },
            Some(Token::Name(n)) if n == "contains" => Some(Op::Contains),
            _ => None,
        };
        let op = match op {
            Some(op) => {
                self.at += 1;
                Some((op, self.expr()?))
            }
            None => None,
        };
        Ok(Comparison { left, op })
    }
}

/// The markup of `{{ }}` or of `assign`'s value.
fn output(t: &[Token]) -> Result<Output, String> {
    let mut c = Cursor { t, at: 0 };
    let expr = if c.done() {
        Expr::Lit(Value::Nil)
    } else {
        c.expr()?
    };
    let filters = c.filters()?;
    if !c.done() {
        return Err(format!("unexpected {:?}", c.peek()));
    }
    Ok(Output { expr, filters })
}

/// One expression and nothing else.
fn whole(t: &[Token], tag: &str) -> Result<Expr, String> {
    let mut c = Cursor { t, at: 0 };
    let e = c.expr()?;
    if !c.done() {
        return Err(format!("unexpected {:?} in '{tag}'", c.peek()));
    }
    Ok(e)
}

/// `when a, b or c`.
fn when_values(t: &[Token]) -> Result<Vec<Expr>, String> {
    let mut c = Cursor { t, at: 0 };
    let mut out = vec![c.expr()?];
    while !c.done() {
        let or = matches!(c.peek(), Some(Token::Name(n)) if n == "or");
        if !(or || c.eat(",")) {
            return Err(format!("unexpected {:?} in 'when'", c.peek()));
        }
        if or {
            c.at += 1;
        }
        out.push(c.expr()?);
    }
    Ok(out)
}

/// `a == b and c or d`.
fn condition(t: &[Token]) -> Result<Condition, String> {
    let mut c = Cursor { t, at: 0 };
    let first = c.comparison()?;
    let mut rest = Vec::new();
    while let Some(tok) = c.next() {
        let and = match tok {
            Token::Name(n) if n == "and" => true,
            Token::Name(n) if n == "or" => false,
            other => return Err(format!("unexpected {other:?} in a condition")),
        };
        rest.push((and, c.comparison()?));
    }
    Ok(Condition {
        first,
        rest,
        negated: false,
    })
}
