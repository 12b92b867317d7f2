//! Recursive-descent parser that builds a type-checked [`Expr`] directly.
//!
//! Grammar (keywords case-insensitive), loosest binding first:
//!
//! ```text
//! or      := and ("or" and)*
//! and     := compare ("and" compare)*
//! compare := unary (cmp-op unary)?
//! unary   := "not" unary | primary
//! primary := "(" or ")" | literal | func "(" args ")"
//!          | path ["/" ("any" | "all") "(" [ident ":" or] ")"]
//! path    := ident ("/" ident)*
//! ```

use super::FieldKind;
use super::ast::{CompareOp, Expr, FieldRef, Literal, Subject};
use super::check::{Term, build_comparison, to_condition};
use super::lexer::{Token, TokenKind};
use super::{FieldSpec, FilterError, MAX_DEPTH};

/// Words that cannot be a field, function or lambda variable name.
pub(super) const RESERVED: [&str; 12] = [
    "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "true", "false", "null",
];

/// Parser state over the token list.
pub(crate) struct Parser<'a> {
    pub(super) tokens: &'a [Token],
    pub(super) index: usize,
    pub(super) fields: &'a [FieldSpec],
    /// Lambda variables in scope, innermost last.
    pub(super) scopes: Vec<String>,
    pub(super) depth: usize,
}

impl<'a> Parser<'a> {
    /// A parser over `tokens`, which must end with `Eof`.
    pub(crate) fn new(tokens: &'a [Token], fields: &'a [FieldSpec]) -> Self {
        Parser {
            tokens,
            index: 0,
            fields,
            scopes: Vec::new(),
            depth: 0,
        }
    }

    /// Parses the whole token list as one condition.
    pub(crate) fn parse_filter(&mut self) -> Result<Expr, FilterError> {
        let expr = self.parse_or()?;
        let tok = self.peek();
        match tok.kind {
            TokenKind::Eof => Ok(expr),
            TokenKind::RParen => Err(FilterError::new("unbalanced ')': no matching '('", tok.pos)),
            ref other => Err(FilterError::new(
                format!(
                    "unexpected {} after a complete condition (expected 'and', 'or' or end of input)",
                    other.describe()
                ),
                tok.pos,
            )),
        }
    }

    pub(super) fn peek(&self) -> &Token {
        // The list always ends with Eof and `index` never passes it.
        self.tokens
            .get(self.index)
            .or(self.tokens.last())
            .unwrap_or(&EOF)
    }

    pub(super) fn peek_at(&self, offset: usize) -> &TokenKind {
        self.tokens
            .get(self.index + offset)
            .map_or(&TokenKind::Eof, |t| &t.kind)
    }

    pub(super) fn advance(&mut self) -> Token {
        let tok = self.peek().clone();
        if !matches!(tok.kind, TokenKind::Eof) {
            self.index += 1;
        }
        tok
    }

    /// The keyword at the cursor, if it is `word` (case-insensitive).
    pub(super) fn at_keyword(&self, word: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Ident(w) if w.eq_ignore_ascii_case(word))
    }

    pub(super) fn expect(&mut self, kind: &TokenKind, what: &str) -> Result<Token, FilterError> {
        let tok = self.advance();
        if &tok.kind == kind {
            Ok(tok)
        } else {
            Err(FilterError::new(
                format!("expected {what}, found {}", tok.kind.describe()),
                tok.pos,
            ))
        }
    }

    pub(super) fn enter(&mut self, pos: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(
                format!("expression is nested more than {MAX_DEPTH} levels deep"),
                pos,
            ));
        }
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub(super) fn parse_or(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.parse_and()?;
        while self.at_keyword("or") {
            self.advance();
            let right = self.parse_and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.parse_compare()?;
        while self.at_keyword("and") {
            self.advance();
            let right = self.parse_compare()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_compare(&mut self) -> Result<Expr, FilterError> {
        let left = self.parse_unary()?;
        let op = match &self.peek().kind {
            TokenKind::Ident(w) => CompareOp::from_keyword(w),
            _ => None,
        };
        let Some(op) = op else {
            return to_condition(left);
        };
        let op_pos = self.advance().pos;
        let right = self.parse_unary()?;
        build_comparison(left, op, op_pos, right)
    }

    fn parse_unary(&mut self) -> Result<Term, FilterError> {
        if !self.at_keyword("not") {
            return self.parse_primary();
        }
        let pos = self.advance().pos;
        self.enter(pos)?;
        let operand = self.parse_unary()?;
        self.leave();
        let inner = to_condition(operand).map_err(|mut e| {
            e.message = format!(
                "'not' needs a condition (use parentheses: not (a eq b)); {}",
                e.message
            );
            e
        })?;
        Ok(Term::Cond(Expr::Not(Box::new(inner)), pos))
    }

    pub(super) fn parse_primary(&mut self) -> Result<Term, FilterError> {
        let tok = self.advance();
        let pos = tok.pos;
        match tok.kind {
            TokenKind::LParen => {
                self.enter(pos)?;
                let inner = self.parse_or()?;
                self.leave();
                let close = self.advance();
                match close.kind {
                    TokenKind::RParen => Ok(Term::Cond(inner, pos)),
                    TokenKind::Eof => Err(FilterError::new("unbalanced '(': missing ')'", pos)),
                    other => Err(FilterError::new(
                        format!(
                            "expected ')' to close the '(' at position {pos}, found {}",
                            other.describe()
                        ),
                        close.pos,
                    )),
                }
            }
            TokenKind::Str(s) => Ok(Term::Lit(Literal::String(s), pos)),
            TokenKind::Number(n) => Ok(Term::Lit(Literal::Number(n), pos)),
            TokenKind::DateTime(dt) => Ok(Term::Lit(Literal::DateTime(dt), pos)),
            TokenKind::Ident(word) => self.parse_word(word, pos),
            other => Err(FilterError::new(
                format!("expected a condition or value, found {}", other.describe()),
                pos,
            )),
        }
    }

    fn parse_word(&mut self, word: String, pos: usize) -> Result<Term, FilterError> {
        let lower = word.to_ascii_lowercase();
        match lower.as_str() {
            "true" => return Ok(Term::Lit(Literal::Bool(true), pos)),
            "false" => return Ok(Term::Lit(Literal::Bool(false), pos)),
            "null" => return Ok(Term::Lit(Literal::Null, pos)),
            _ => {}
        }
        if RESERVED.contains(&lower.as_str()) {
            return Err(FilterError::new(
                format!("expected a condition or value, found keyword '{word}'"),
                pos,
            ));
        }
        if matches!(self.peek().kind, TokenKind::LParen) {
            return self.parse_call(&word, pos);
        }
        // Path segments, stopping before `/any(` or `/all(`.
        let mut path = word;
        let mut quantifier = None;
        while matches!(self.peek().kind, TokenKind::Slash) {
            let TokenKind::Ident(segment) = self.peek_at(1).clone() else {
                let tok = self.tokens.get(self.index + 1).map_or(pos, |t| t.pos);
                return Err(FilterError::new(
                    format!(
                        "expected a name after '/', found {}",
                        self.peek_at(1).describe()
                    ),
                    tok,
                ));
            };
            let is_lambda = (segment.eq_ignore_ascii_case("any")
                || segment.eq_ignore_ascii_case("all"))
                && matches!(self.peek_at(2), TokenKind::LParen);
            self.advance();
            let seg_tok = self.advance();
            if is_lambda {
                quantifier = Some((segment.eq_ignore_ascii_case("any"), seg_tok.pos));
                break;
            }
            path.push('/');
            path.push_str(&segment);
        }
        let (subject, kind) = self.resolve(&path, pos)?;
        match quantifier {
            None => Ok(Term::Subject(subject, kind, pos)),
            Some((is_any, qpos)) => self.parse_lambda(subject, kind, is_any, pos, qpos),
        }
    }

    /// Resolves a name to a lambda variable (innermost first) or a permitted field.
    pub(super) fn resolve(
        &self,
        name: &str,
        pos: usize,
    ) -> Result<(Subject, FieldKind), FilterError> {
        if let Some(var) = self.scopes.iter().rev().find(|v| eq_ci(v, name)) {
            return Ok((Subject::Variable(var.clone()), FieldKind::String));
        }
        if let Some(spec) = self.fields.iter().find(|f| eq_ci(f.name, name)) {
            return Ok((
                Subject::Field(FieldRef {
                    name: spec.name,
                    kind: spec.kind,
                }),
                spec.kind,
            ));
        }
        let message = if self.fields.is_empty() {
            format!("unknown field '{name}': this list does not support filtering on any field")
        } else {
            let names: Vec<&str> = self.fields.iter().map(|f| f.name).collect();
            format!(
                "unknown field '{name}'; permitted fields are: {}",
                names.join(", ")
            )
        };
        Err(FilterError::new(message, pos).with_field(name))
    }
}

/// Case-insensitive name comparison (Unicode lowercase, char by char).
pub(super) fn eq_ci(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

static EOF: Token = Token {
    kind: TokenKind::Eof,
    pos: 0,
};
