//! Parsing of function calls (`startswith(name, 'a')`) and lambdas
//! (`tags/any(t: …)`), with their argument checks.

use super::FieldKind;
use super::FilterError;
use super::ast::{Call, Expr, Function, Lambda, Literal, Subject};
use super::check::{Term, kind_name, subject_desc, subject_field, term_pos};
use super::lexer::TokenKind;
use super::parser::{Parser, RESERVED};

impl Parser<'_> {
    pub(super) fn parse_lambda(
        &mut self,
        subject: Subject,
        kind: FieldKind,
        is_any: bool,
        pos: usize,
        qpos: usize,
    ) -> Result<Term, FilterError> {
        let qname = if is_any { "any" } else { "all" };
        let field = match subject {
            Subject::Field(field) if kind == FieldKind::StringCollection => field,
            other => {
                return Err(FilterError::new(
                    format!(
                        "'{qname}' needs a string collection, but {} is {}",
                        subject_desc(&other),
                        kind_name(kind)
                    ),
                    pos,
                )
                .with_field_opt(subject_field(&other)));
            }
        };
        let open = self.expect(&TokenKind::LParen, "'('")?;
        if matches!(self.peek().kind, TokenKind::RParen) {
            self.advance();
            if is_any {
                return Ok(Term::Cond(
                    Expr::Any {
                        field,
                        lambda: None,
                    },
                    pos,
                ));
            }
            return Err(
                FilterError::new("'all' needs a lambda, e.g. tags/all(t: t ne 'x')", qpos)
                    .with_field(field.name),
            );
        }
        let var_tok = self.advance();
        let variable = match var_tok.kind {
            TokenKind::Ident(v) if !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&v)) => v,
            other => {
                return Err(FilterError::new(
                    format!(
                        "expected a lambda variable name after '{qname}(', found {}",
                        other.describe()
                    ),
                    var_tok.pos,
                ));
            }
        };
        self.expect(&TokenKind::Colon, "':' after the lambda variable")?;
        self.enter(open.pos)?;
        self.scopes.push(variable.clone());
        let body = self.parse_or();
        self.scopes.pop();
        self.leave();
        let body = Box::new(body?);
        let close = self.advance();
        if !matches!(close.kind, TokenKind::RParen) {
            return Err(FilterError::new(
                format!(
                    "expected ')' to close '{qname}(' at position {}, found {}",
                    open.pos,
                    close.kind.describe()
                ),
                close.pos,
            ));
        }
        let lambda = Lambda { variable, body };
        let expr = if is_any {
            Expr::Any {
                field,
                lambda: Some(lambda),
            }
        } else {
            Expr::All { field, lambda }
        };
        Ok(Term::Cond(expr, pos))
    }

    pub(super) fn parse_call(&mut self, name: &str, pos: usize) -> Result<Term, FilterError> {
        let Some(function) = Function::from_name(name) else {
            let known: Vec<&str> = Function::ALL.iter().map(|f| f.name()).collect();
            return Err(FilterError::new(
                format!(
                    "unknown function '{name}'; supported functions are: {}",
                    known.join(", ")
                ),
                pos,
            ));
        };
        let fname = function.name();
        self.enter(pos)?;
        self.expect(&TokenKind::LParen, "'('")?;
        let mut args = Vec::new();
        if !matches!(self.peek().kind, TokenKind::RParen) {
            loop {
                args.push(self.parse_primary()?);
                let tok = self.advance();
                match tok.kind {
                    TokenKind::Comma => continue,
                    TokenKind::RParen => break,
                    TokenKind::Eof => {
                        return Err(FilterError::new(
                            format!("unbalanced '(': '{fname}(' is missing ')'"),
                            pos,
                        ));
                    }
                    other => {
                        return Err(FilterError::new(
                            format!(
                                "expected ',' or ')' in the arguments of '{fname}', found {}",
                                other.describe()
                            ),
                            tok.pos,
                        ));
                    }
                }
            }
        } else {
            self.advance();
        }
        self.leave();
        let usage = match function {
            Function::SubstringOf => "substringof('text', field)".to_owned(),
            _ => format!("{fname}(field, 'text')"),
        };
        let mut args = args.into_iter();
        let (Some(first), Some(second), None) = (args.next(), args.next(), args.next()) else {
            return Err(FilterError::new(
                format!("function '{fname}' takes 2 arguments: {usage}"),
                pos,
            ));
        };
        let (target, needle) = match function {
            Function::SubstringOf => (second, first),
            _ => (first, second),
        };
        let subject = match target {
            Term::Subject(s, FieldKind::String | FieldKind::StringCollection, _) => s,
            Term::Subject(s, kind, p) => {
                return Err(FilterError::new(
                    format!(
                        "function '{fname}' needs a string field, but {} is {}",
                        subject_desc(&s),
                        kind_name(kind)
                    ),
                    p,
                )
                .with_field_opt(subject_field(&s)));
            }
            other => {
                let which = if function == Function::SubstringOf {
                    "second"
                } else {
                    "first"
                };
                return Err(FilterError::new(
                    format!("the {which} argument of '{fname}' must be a field: {usage}"),
                    term_pos(&other),
                ));
            }
        };
        let needle = match needle {
            Term::Lit(Literal::String(s), _) => s,
            other => {
                let which = if function == Function::SubstringOf {
                    "first"
                } else {
                    "second"
                };
                return Err(FilterError::new(
                    format!("the {which} argument of '{fname}' must be a string literal: {usage}"),
                    term_pos(&other),
                )
                .with_field_opt(subject_field(&subject)));
            }
        };
        Ok(Term::Cond(
            Expr::Call(Call {
                function,
                subject,
                needle,
            }),
            pos,
        ))
    }
}
