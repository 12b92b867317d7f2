//! A precedence-climbing parser for the C# that policy expressions use.

use super::Error;
use super::ast::{Arg, Expr, ExprKind, InterpPart, LambdaBody, Lit, Stmt, StmtKind, TypeName};
use super::lexer::{Part, Tok, Token, lex};

/// The deepest nesting of expressions and statements accepted.
const MAX_DEPTH: usize = 100;

/// Parses one expression (the code of `@( … )`).
pub(crate) fn parse_expression(src: &str) -> Result<Expr, Error> {
    let mut p = Parser::new(src, 0)?;
    let e = p.expr()?;
    p.expect_eof()?;
    Ok(e)
}

/// Parses a statement list (the code of `@{ … }`).
pub(crate) fn parse_block(src: &str) -> Result<Vec<Stmt>, Error> {
    let mut p = Parser::new(src, 0)?;
    let mut out = Vec::new();
    while p.peek() != &Tok::Eof {
        out.push(p.stmt()?);
    }
    Ok(out)
}

/// Names that are keywords and cannot be identifiers.
const KEYWORDS: [&str; 22] = [
    "true",
    "false",
    "null",
    "new",
    "is",
    "as",
    "typeof",
    "default",
    "if",
    "else",
    "return",
    "foreach",
    "for",
    "while",
    "do",
    "break",
    "continue",
    "in",
    "out",
    "this",
    "const",
    "unchecked",
];

/// Built-in type keywords.
pub(crate) const TYPE_KEYWORDS: [&str; 15] = [
    "bool", "byte", "char", "decimal", "double", "float", "int", "long", "object", "sbyte",
    "short", "string", "uint", "ulong", "ushort",
];

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn new(src: &str, base: usize) -> Result<Parser, Error> {
        Ok(Parser {
            toks: lex(src, base)?,
            pos: 0,
            depth: 0,
        })
    }

    fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    fn peek_at(&self, k: usize) -> &Tok {
        match self.toks.get(self.pos + k).or(self.toks.last()) {
            Some(t) => &t.tok,
            None => &Tok::Eof,
        }
    }

    fn at(&self) -> usize {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(0, |t| t.at)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn is_ident(&self, name: &str) -> bool {
        matches!(self.peek(), Tok::Ident(i) if i == name)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        let yes = self.is_op(op);
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn describe(&self) -> String {
        match self.peek() {
            Tok::Ident(i) => format!("'{i}'"),
            Tok::Op(o) => format!("'{o}'"),
            Tok::Eof => "the end of the expression".into(),
            _ => "a literal".into(),
        }
    }

    fn error<T>(&self, what: &str) -> Result<T, Error> {
        Err(Error::new(
            self.at(),
            format!("expected {what}, found {}", self.describe()),
        ))
    }

    fn expect_op(&mut self, op: &str) -> Result<(), Error> {
        if self.eat_op(op) {
            Ok(())
        } else {
            self.error(&format!("'{op}'"))
        }
    }

    fn expect_eof(&mut self) -> Result<(), Error> {
        if self.peek() == &Tok::Eof {
            Ok(())
        } else {
            self.error("an operator or the end of the expression")
        }
    }

    fn ident(&mut self) -> Result<String, Error> {
        match self.peek() {
            Tok::Ident(i) if !KEYWORDS.contains(&i.as_str()) => {
                let i = i.clone();
                self.pos += 1;
                Ok(i)
            }
            _ => self.error("an identifier"),
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(self.at(), "the expression is nested too deeply"));
        }
        Ok(())
    }

    // ---- types ----

    /// A type, or `None` (position restored) when the tokens are not one.
    fn try_type(&mut self) -> Option<TypeName> {
        let start = self.pos;
        let t = self.type_name();
        if t.is_none() {
            self.pos = start;
        }
        t
    }

    fn type_name(&mut self) -> Option<TypeName> {
        let at = self.at();
        let Tok::Ident(first) = self.peek().clone() else {
            return None;
        };
        if KEYWORDS.contains(&first.as_str()) {
            return None;
        }
        self.pos += 1;
        let mut name = first;
        while self.is_op(".") && matches!(self.peek_at(1), Tok::Ident(_)) {
            self.pos += 1;
            if let Tok::Ident(i) = self.bump() {
                name.push('.');
                name.push_str(&i);
            }
        }
        let mut args = Vec::new();
        if self.is_op("<") {
            self.pos += 1;
            loop {
                args.push(self.type_name()?);
                if self.eat_op(">") {
                    break;
                }
                if !self.eat_op(",") {
                    return None;
                }
            }
        }
        let nullable = self.is_op("?")
            && (!self.starts_expression_at(1)
                || (matches!(self.peek_at(1), Tok::Ident(_))
                    && matches!(self.peek_at(2), Tok::Op("=" | ";" | "," | ")"))));
        if nullable {
            self.pos += 1;
        }
        let mut array = 0;
        while self.is_op("[") && matches!(self.peek_at(1), Tok::Op("]")) {
            self.pos += 2;
            array += 1;
        }
        Some(TypeName {
            name,
            args,
            array,
            nullable,
            at,
        })
    }

    /// Whether the token `k` ahead can start an expression (to tell `T?` from `a ? b : c`).
    fn starts_expression_at(&self, k: usize) -> bool {
        match self.peek_at(k) {
            Tok::Ident(i) => !matches!(i.as_str(), "is" | "as" | "in"),
            Tok::Op(o) => matches!(*o, "(" | "!" | "-" | "+" | "~" | "++" | "--"),
            Tok::Eof => false,
            _ => true,
        }
    }

    /// Type arguments `<…>` followed by `(`, or `None` (position restored).
    fn try_type_args(&mut self) -> Option<Vec<TypeName>> {
        let start = self.pos;
        if !self.eat_op("<") {
            return None;
        }
        let mut args = Vec::new();
        while let Some(t) = self.type_name() {
            args.push(t);
            if self.eat_op(">") {
                if self.is_op("(") {
                    return Some(args);
                }
                break;
            }
            if !self.eat_op(",") {
                break;
            }
        }
        self.pos = start;
        None
    }

    // ---- expressions ----

    fn expr(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let e = self.assignment();
        self.depth -= 1;
        e
    }

    fn assignment(&mut self) -> Result<Expr, Error> {
        if let Some(lambda) = self.try_lambda()? {
            return Ok(lambda);
        }
        let lhs = self.conditional()?;
        const ASSIGN: [&str; 12] = [
            "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "??=", "<<=", ">>=",
        ];
        if let Tok::Op(op) = self.peek()
            && let Some(op) = ASSIGN.iter().find(|a| *a == op)
        {
            let at = self.at();
            self.pos += 1;
            let rhs = self.expr()?;
            return Ok(Expr {
                kind: ExprKind::Assign(op, Box::new(lhs), Box::new(rhs)),
                at,
            });
        }
        Ok(lhs)
    }

    fn try_lambda(&mut self) -> Result<Option<Expr>, Error> {
        let at = self.at();
        let mut params = Vec::new();
        if matches!(self.peek(), Tok::Ident(_)) && matches!(self.peek_at(1), Tok::Op("=>")) {
            params.push((None, self.ident()?));
        } else if self.is_op("(") {
            let mut depth = 0;
            let mut k = 0;
            loop {
                match self.peek_at(k) {
                    Tok::Op("(") => depth += 1,
                    Tok::Op(")") => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Tok::Eof => return Ok(None),
                    _ => {}
                }
                k += 1;
            }
            if !matches!(self.peek_at(k + 1), Tok::Op("=>")) {
                return Ok(None);
            }
            self.pos += 1;
            while !self.eat_op(")") {
                let ty = if matches!(self.peek_at(1), Tok::Op("," | ")")) {
                    None
                } else {
                    Some(
                        self.type_name()
                            .map_or_else(|| self.error("a parameter type"), Ok)?,
                    )
                };
                params.push((ty, self.ident()?));
                if !self.is_op(")") {
                    self.expect_op(",")?;
                }
            }
        } else {
            return Ok(None);
        }
        self.expect_op("=>")?;
        let body = if self.is_op("{") {
            LambdaBody::Block(self.block_body()?)
        } else {
            LambdaBody::Expr(Box::new(self.expr()?))
        };
        Ok(Some(Expr {
            kind: ExprKind::Lambda(params, body),
            at,
        }))
    }

    fn conditional(&mut self) -> Result<Expr, Error> {
        let c = self.binary(0)?;
        if self.is_op("?") {
            let at = self.at();
            self.pos += 1;
            let a = self.expr()?;
            self.expect_op(":")?;
            let b = self.expr()?;
            return Ok(Expr {
                kind: ExprKind::Cond(Box::new(c), Box::new(a), Box::new(b)),
                at,
            });
        }
        Ok(c)
    }

    /// The binary operator at the cursor, its precedence and token count.
    fn binary_op(&self) -> Option<(&'static str, u8, usize)> {
        const LEVELS: [&[&str]; 10] = [
            &["??"],
            &["||"],
            &["&&"],
            &["|"],
            &["^"],
            &["&"],
            &["==", "!="],
            &["<", ">", "<=", ">="],
            &["<<"],
            &["+", "-"],
        ];
        match self.peek() {
            Tok::Op(">") if matches!(self.peek_at(1), Tok::Op(">")) && self.adjacent() => {
                Some((">>", 9, 2))
            }
            Tok::Op(o) => {
                if matches!(*o, "*" | "/" | "%") {
                    return Some((o, 11, 1));
                }
                for (level, ops) in LEVELS.iter().enumerate() {
                    if let Some(op) = ops.iter().find(|x| *x == o) {
                        return Some((op, level as u8 + 1, 1));
                    }
                }
                None
            }
            Tok::Ident(i) if i == "is" || i == "as" => {
                Some((if i == "is" { "is" } else { "as" }, 8, 1))
            }
            _ => None,
        }
    }

    fn adjacent(&self) -> bool {
        match (self.toks.get(self.pos), self.toks.get(self.pos + 1)) {
            (Some(a), Some(b)) => b.at == a.at + 1,
            _ => false,
        }
    }

    fn binary(&mut self, min: u8) -> Result<Expr, Error> {
        self.enter()?;
        let mut lhs = self.unary()?;
        while let Some((op, prec, n)) = self.binary_op() {
            if prec < min {
                break;
            }
            let at = self.at();
            self.pos += n;
            lhs = match op {
                "is" => {
                    if self.is_ident("null")
                        || (self.is_ident("not")
                            && matches!(self.peek_at(1), Tok::Ident(n) if n == "null"))
                    {
                        let not = self.is_ident("not");
                        self.pos += if not { 2 } else { 1 };
                        Expr {
                            kind: ExprKind::IsNull(Box::new(lhs), !not),
                            at,
                        }
                    } else {
                        let t = self
                            .type_name()
                            .map_or_else(|| self.error("a type after 'is'"), Ok)?;
                        let bind = match self.peek() {
                            Tok::Ident(_) if self.binary_op().is_none() => Some(self.ident()?),
                            _ => None,
                        };
                        Expr {
                            kind: ExprKind::Is(Box::new(lhs), t, bind),
                            at,
                        }
                    }
                }
                "as" => {
                    let t = self
                        .type_name()
                        .map_or_else(|| self.error("a type after 'as'"), Ok)?;
                    Expr {
                        kind: ExprKind::As(Box::new(lhs), t),
                        at,
                    }
                }
                _ => {
                    // ?? is right-associative; the others are left-associative.
                    let next = if op == "??" { prec } else { prec + 1 };
                    let rhs = self.binary(next)?;
                    Expr {
                        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                        at,
                    }
                }
            };
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let at = self.at();
        let e = match self.peek().clone() {
            Tok::Op(op @ ("!" | "-" | "+" | "~")) => {
                self.pos += 1;
                let e = self.unary()?;
                Expr {
                    kind: ExprKind::Unary(op, Box::new(e)),
                    at,
                }
            }
            Tok::Op(op @ ("++" | "--")) => {
                self.pos += 1;
                let e = self.unary()?;
                Expr {
                    kind: ExprKind::IncDec(op, true, Box::new(e)),
                    at,
                }
            }
            Tok::Op("(") => match self.try_cast()? {
                Some(e) => e,
                None => self.postfix()?,
            },
            _ => self.postfix()?,
        };
        self.depth -= 1;
        Ok(e)
    }

    fn try_cast(&mut self) -> Result<Option<Expr>, Error> {
        let start = self.pos;
        let at = self.at();
        self.pos += 1;
        let Some(t) = self.type_name() else {
            self.pos = start;
            return Ok(None);
        };
        if !self.eat_op(")") {
            self.pos = start;
            return Ok(None);
        }
        let keyword = TYPE_KEYWORDS.contains(&t.name.as_str()) || t.array > 0 || !t.args.is_empty();
        let follows = match self.peek() {
            Tok::Ident(i) => !matches!(i.as_str(), "is" | "as"),
            Tok::Op(o) => {
                matches!(*o, "(" | "!" | "~") || (keyword && matches!(*o, "-" | "+" | "++" | "--"))
            }
            Tok::Eof => false,
            _ => true,
        };
        if !follows {
            self.pos = start;
            return Ok(None);
        }
        let e = self.unary()?;
        Ok(Some(Expr {
            kind: ExprKind::Cast(t, Box::new(e)),
            at,
        }))
    }

    fn postfix(&mut self) -> Result<Expr, Error> {
        let mut e = self.primary()?;
        loop {
            let at = self.at();
            match self.peek() {
                Tok::Op(op @ ("." | "?.")) => {
                    let nullable = *op == "?.";
                    self.pos += 1;
                    let name = self.ident()?;
                    let type_args = self.try_type_args().unwrap_or_default();
                    e = Expr {
                        kind: ExprKind::Member {
                            target: Box::new(e),
                            name,
                            type_args,
                            nullable,
                        },
                        at,
                    };
                }
                Tok::Op(op @ ("[" | "?[")) => {
                    let nullable = *op == "?[";
                    self.pos += 1;
                    let mut args = vec![self.expr()?];
                    while self.eat_op(",") {
                        args.push(self.expr()?);
                    }
                    self.expect_op("]")?;
                    e = Expr {
                        kind: ExprKind::Index {
                            target: Box::new(e),
                            args,
                            nullable,
                        },
                        at,
                    };
                }
                Tok::Op("(") => {
                    let args = self.args(")")?;
                    let start = e.at;
                    e = Expr {
                        kind: ExprKind::Call {
                            target: Box::new(e),
                            args,
                        },
                        at: start,
                    };
                }
                Tok::Op(op @ ("++" | "--")) => {
                    let op: &'static str = op;
                    self.pos += 1;
                    e = Expr {
                        kind: ExprKind::IncDec(op, false, Box::new(e)),
                        at,
                    };
                }
                Tok::Op("!") if !matches!(self.peek_at(1), Tok::Op("=")) && self.postfix_bang() => {
                    self.pos += 1;
                }
                _ => return Ok(e),
            }
        }
    }

    /// `x!` (null-forgiving) when followed by something that cannot start an operand.
    fn postfix_bang(&self) -> bool {
        matches!(
            self.peek_at(1),
            Tok::Op("." | ")" | ";" | "," | "]" | "?." | "[") | Tok::Eof
        )
    }

    /// An argument list after `(` (or `{`), up to `close`.
    fn args(&mut self, close: &str) -> Result<Vec<Arg>, Error> {
        self.pos += 1;
        let mut out = Vec::new();
        if self.eat_op(close) {
            return Ok(out);
        }
        loop {
            if self.is_ident("out") {
                let at = self.at();
                self.pos += 1;
                let decl = if self.is_ident("var") && matches!(self.peek_at(1), Tok::Ident(_)) {
                    self.pos += 1;
                    Some(None)
                } else if matches!(
                    self.peek_at(1),
                    Tok::Ident(_) | Tok::Op("<" | "[" | "?" | ".")
                ) {
                    Some(Some(
                        self.type_name().map_or_else(|| self.error("a type"), Ok)?,
                    ))
                } else {
                    None
                };
                out.push(Arg::Out {
                    name: self.ident()?,
                    decl,
                    at,
                });
            } else {
                // Named arguments: only `preserveContent:` (of `Body.As<T>`), which is
                // positional there.
                if let Tok::Ident(n) = self.peek_at(0)
                    && matches!(self.peek_at(1), Tok::Op(":"))
                {
                    if n != "preserveContent" {
                        return Err(Error::new(
                            self.at(),
                            format!(
                                "named arguments are not supported ('{n}:'), except preserveContent:"
                            ),
                        ));
                    }
                    self.pos += 2;
                }
                out.push(Arg::Value(self.expr()?));
            }
            if self.eat_op(close) {
                return Ok(out);
            }
            self.expect_op(",")?;
        }
    }

    fn primary(&mut self) -> Result<Expr, Error> {
        let at = self.at();
        let kind = match self.bump() {
            Tok::Int(v) => ExprKind::Lit(Lit::Int(v as i32)),
            Tok::Long(v) => ExprKind::Lit(Lit::Long(v)),
            Tok::Double(v) => ExprKind::Lit(Lit::Double(v)),
            Tok::Char(c) => ExprKind::Lit(Lit::Char(c)),
            Tok::Str(s) => ExprKind::Lit(Lit::Str(s)),
            Tok::Interp(parts) => ExprKind::Interp(self.interpolation(parts)?),
            Tok::Op("(") => {
                let e = self.expr()?;
                self.expect_op(")")?;
                return Ok(e);
            }
            Tok::Ident(i) => match i.as_str() {
                "true" => ExprKind::Lit(Lit::Bool(true)),
                "false" => ExprKind::Lit(Lit::Bool(false)),
                "null" => ExprKind::Lit(Lit::Null),
                "new" => return self.new_expr(at),
                "typeof" | "default" => {
                    if i == "default" && !self.is_op("(") {
                        ExprKind::Default(None)
                    } else {
                        self.expect_op("(")?;
                        let t = self.type_name().map_or_else(|| self.error("a type"), Ok)?;
                        self.expect_op(")")?;
                        if i == "typeof" {
                            ExprKind::Typeof(t)
                        } else {
                            ExprKind::Default(Some(t))
                        }
                    }
                }
                _ if KEYWORDS.contains(&i.as_str()) => {
                    self.pos -= 1;
                    return self.error("an expression");
                }
                _ => match self.try_type_args() {
                    Some(args) => ExprKind::GenericName(i, args),
                    None => ExprKind::Name(i),
                },
            },
            _ => {
                self.pos = self.pos.saturating_sub(1);
                return self.error("an expression");
            }
        };
        Ok(Expr { kind, at })
    }

    fn interpolation(&mut self, parts: Vec<Part>) -> Result<Vec<InterpPart>, Error> {
        let mut out = Vec::new();
        for part in parts {
            out.push(match part {
                Part::Text(t) => InterpPart::Text(t),
                Part::Hole(src, base, format) => {
                    let mut p = Parser::new(&src, base)?;
                    p.depth = self.depth;
                    let e = p.expr()?;
                    p.expect_eof()?;
                    InterpPart::Hole(e, format)
                }
            });
        }
        Ok(out)
    }

    fn new_expr(&mut self, at: usize) -> Result<Expr, Error> {
        if self.eat_op("[") {
            self.expect_op("]")?;
            let items = self.initializer()?;
            return Ok(Expr {
                kind: ExprKind::NewArray(None, None, items),
                at,
            });
        }
        let Some(mut t) = self.try_type() else {
            return self.error("a type after 'new'");
        };
        if self.is_op("[") {
            self.pos += 1;
            let size = self.expr()?;
            self.expect_op("]")?;
            let items = if self.is_op("{") {
                self.initializer()?
            } else {
                Vec::new()
            };
            return Ok(Expr {
                kind: ExprKind::NewArray(Some(t), Some(Box::new(size)), items),
                at,
            });
        }
        if t.array > 0 {
            t.array -= 1;
            let items = self.initializer()?;
            return Ok(Expr {
                kind: ExprKind::NewArray(Some(t), None, items),
                at,
            });
        }
        let parens = self.is_op("(");
        let args = if parens { self.args(")")? } else { Vec::new() };
        let init = if self.is_op("{") {
            Some(self.initializer()?)
        } else {
            None
        };
        if !parens && init.is_none() {
            return self.error("'(' after the type");
        }
        Ok(Expr {
            kind: ExprKind::New(t, args, init),
            at,
        })
    }

    /// `{ a, b, … }`.
    fn initializer(&mut self) -> Result<Vec<Expr>, Error> {
        self.expect_op("{")?;
        let mut items = Vec::new();
        while !self.eat_op("}") {
            items.push(self.expr()?);
            if !self.is_op("}") {
                self.expect_op(",")?;
            }
        }
        Ok(items)
    }

    // ---- statements ----

    fn block_body(&mut self) -> Result<Vec<Stmt>, Error> {
        self.expect_op("{")?;
        let mut out = Vec::new();
        while !self.eat_op("}") {
            if self.peek() == &Tok::Eof {
                return self.error("'}'");
            }
            out.push(self.stmt()?);
        }
        Ok(out)
    }

    fn stmt(&mut self) -> Result<Stmt, Error> {
        self.enter()?;
        let s = self.stmt_inner();
        self.depth -= 1;
        s
    }

    fn stmt_inner(&mut self) -> Result<Stmt, Error> {
        let at = self.at();
        let kind = match self.peek().clone() {
            Tok::Op("{") => StmtKind::Block(self.block_body()?),
            Tok::Op(";") => {
                self.pos += 1;
                StmtKind::Empty
            }
            Tok::Ident(k) => match k.as_str() {
                "unchecked" if matches!(self.peek_at(1), Tok::Op("{")) => {
                    self.pos += 1;
                    StmtKind::Block(self.block_body()?)
                }
                "if" => {
                    self.pos += 1;
                    let c = self.paren_expr()?;
                    let then = self.stmt()?;
                    let other = if self.is_ident("else") {
                        self.pos += 1;
                        Some(Box::new(self.stmt()?))
                    } else {
                        None
                    };
                    StmtKind::If(c, Box::new(then), other)
                }
                "return" => {
                    self.pos += 1;
                    let e = if self.is_op(";") {
                        None
                    } else {
                        Some(self.expr()?)
                    };
                    self.expect_op(";")?;
                    StmtKind::Return(e)
                }
                "break" | "continue" => {
                    self.pos += 1;
                    self.expect_op(";")?;
                    if k == "break" {
                        StmtKind::Break
                    } else {
                        StmtKind::Continue
                    }
                }
                "while" => {
                    self.pos += 1;
                    let c = self.paren_expr()?;
                    StmtKind::While(c, Box::new(self.stmt()?))
                }
                "do" => {
                    self.pos += 1;
                    let body = self.stmt()?;
                    if !self.is_ident("while") {
                        return self.error("'while'");
                    }
                    self.pos += 1;
                    let c = self.paren_expr()?;
                    self.expect_op(";")?;
                    StmtKind::DoWhile(Box::new(body), c)
                }
                "foreach" => {
                    self.pos += 1;
                    self.expect_op("(")?;
                    let ty = self.local_type()?;
                    let name = self.ident()?;
                    if !self.is_ident("in") {
                        return self.error("'in'");
                    }
                    self.pos += 1;
                    let seq = self.expr()?;
                    self.expect_op(")")?;
                    StmtKind::Foreach(ty, name, seq, Box::new(self.stmt()?))
                }
                "for" => {
                    self.pos += 1;
                    self.expect_op("(")?;
                    let init = if self.is_op(";") {
                        Vec::new()
                    } else {
                        vec![self.simple_stmt()?]
                    };
                    self.expect_op(";")?;
                    let cond = if self.is_op(";") {
                        None
                    } else {
                        Some(self.expr()?)
                    };
                    self.expect_op(";")?;
                    let mut step = Vec::new();
                    while !self.eat_op(")") {
                        step.push(self.expr()?);
                        if !self.is_op(")") {
                            self.expect_op(",")?;
                        }
                    }
                    StmtKind::For(init, cond, step, Box::new(self.stmt()?))
                }
                _ => {
                    let s = self.simple_stmt()?;
                    self.expect_op(";")?;
                    return Ok(s);
                }
            },
            _ => {
                let s = self.simple_stmt()?;
                self.expect_op(";")?;
                return Ok(s);
            }
        };
        Ok(Stmt { kind, at })
    }

    fn paren_expr(&mut self) -> Result<Expr, Error> {
        self.expect_op("(")?;
        let e = self.expr()?;
        self.expect_op(")")?;
        Ok(e)
    }

    /// `var` (→ `None`) or a type.
    fn local_type(&mut self) -> Result<Option<TypeName>, Error> {
        if self.is_ident("var") {
            self.pos += 1;
            return Ok(None);
        }
        match self.type_name() {
            Some(t) => Ok(Some(t)),
            None => self.error("a type or 'var'"),
        }
    }

    /// A declaration or an expression statement, without the `;`.
    fn simple_stmt(&mut self) -> Result<Stmt, Error> {
        let at = self.at();
        if self.is_ident("const") {
            self.pos += 1;
        }
        let start = self.pos;
        let is_decl = if self.is_ident("var") && matches!(self.peek_at(1), Tok::Ident(_)) {
            true
        } else if self.try_type().is_some() {
            let yes = matches!(self.peek(), Tok::Ident(_))
                && matches!(self.peek_at(1), Tok::Op("=" | ";" | ","));
            self.pos = start;
            yes
        } else {
            false
        };
        if !is_decl {
            let e = self.expr()?;
            return Ok(Stmt {
                kind: StmtKind::Expr(e),
                at,
            });
        }
        let ty = self.local_type()?;
        let mut vars = Vec::new();
        loop {
            let vat = self.at();
            let name = self.ident()?;
            let init = if self.eat_op("=") {
                Some(if self.is_op("{") {
                    let iat = self.at();
                    let items = self.initializer()?;
                    let elem = ty.clone().map(|mut t| {
                        t.array = t.array.saturating_sub(1);
                        t
                    });
                    Expr {
                        kind: ExprKind::NewArray(elem, None, items),
                        at: iat,
                    }
                } else {
                    self.expr()?
                })
            } else {
                None
            };
            vars.push((name, init, vat));
            if !self.eat_op(",") {
                break;
            }
        }
        Ok(Stmt {
            kind: StmtKind::Decl(ty, vars),
            at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(src: &str) -> String {
        fn go(e: &Expr) -> String {
            match &e.kind {
                ExprKind::Lit(Lit::Int(i)) => i.to_string(),
                ExprKind::Name(n) => n.clone(),
                ExprKind::Binary(op, a, b) => format!("({} {op} {})", go(a), go(b)),
                ExprKind::Unary(op, a) => format!("({op}{})", go(a)),
                ExprKind::Cond(c, a, b) => format!("({} ? {} : {})", go(c), go(a), go(b)),
                ExprKind::Cast(t, a) => format!("(({}){})", t.name, go(a)),
                ExprKind::Member { target, name, .. } => format!("{}.{name}", go(target)),
                ExprKind::Call { target, args } => format!("{}({})", go(target), args.len()),
                other => format!("{other:?}"),
            }
        }
        go(&parse_expression(src).unwrap())
    }

    #[test]
    fn precedence() {
        assert_eq!(shape("1 + 2 * 3 - 4"), "((1 + (2 * 3)) - 4)");
        assert_eq!(shape("a || b && c"), "(a || (b && c))");
        assert_eq!(shape("a ?? b ?? c"), "(a ?? (b ?? c))");
        assert_eq!(
            shape("a == 1 ? b : c ? d : e"),
            "((a == 1) ? b : (c ? d : e))"
        );
        assert_eq!(shape("(int)x.Y + 1"), "(((int)x.Y) + 1)");
        assert_eq!(shape("(a) + b"), "(a + b)");
        assert_eq!(shape("-a.B(1, 2)"), "(-a.B(2))");
        assert_eq!(shape("1 << 2 + 1"), "(1 << (2 + 1))");
        assert_eq!(shape("8 >> 1"), "(8 >> 1)");
    }

    #[test]
    fn errors_have_offsets() {
        let e = parse_expression("1 + ").unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (4, "expected an expression, found the end of the expression")
        );
        let e = parse_expression("a.B(1,)").unwrap_err();
        assert_eq!(e.offset, 6);
        assert!(parse_block("var x = 1; return x").is_err());
        assert!(parse_expression(&"(".repeat(500)).is_err());
    }
}
