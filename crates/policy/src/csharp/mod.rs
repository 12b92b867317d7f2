//! C# policy expressions: `@( … )` (one expression) and `@{ … }` (a block that returns on
//! every path), parsed and type-checked once ([`parse_expression`], [`parse_block`]) and
//! evaluated per call against a [`Context`] within [`Limits`].
//!
//! ```
//! use tollgate_policy::csharp::{Context, Limits, parse_expression};
//!
//! let program = parse_expression(r#"context.Request.Method == "GET" ? "read" : "write""#).unwrap();
//! let mut ctx = Context::default();
//! ctx.request.method = "GET".into();
//! let value = program.evaluate(&ctx, &Limits::default()).unwrap();
//! assert_eq!(value.to_policy_string(), "read");
//! ```

mod ast;
mod check;
mod context;
pub(crate) mod eval;
mod ir;
mod lexer;
pub(crate) mod library;
mod parser;
mod types;
mod value;

#[cfg(test)]
mod tests;

pub use context::{
    Api, Context, Deployment, Group, Headers, Identity, LastError, Multi, Operation, Product,
    Request, Response, Subscription, Url, User,
};
pub use eval::Limits;
pub use library::crypto::Jwt;
pub use types::{Ctx, Type};
pub use value::{ApiRef, CtxRef, Dict, ErrorKind, EvalError, TICKS_PER_SECOND, Value};
pub(crate) use value::{format_double, format_guid};

/// A syntax or type error, at a byte offset of the expression's code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at offset {offset}: {message}")]
pub struct Error {
    /// Byte offset in the code (the text between `@(` and `)`, or `@{` and `}`).
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl Error {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Error {
        Error {
            offset,
            message: message.into(),
        }
    }
}

/// A checked expression or block, ready to evaluate any number of times.
#[derive(Debug)]
pub struct Program {
    body: Body,
    slots: usize,
    ty: Type,
}

#[derive(Debug)]
enum Body {
    Expr(ir::Ir),
    Block(Vec<ir::St>),
}

/// Parses and checks one expression (the code of `@( … )`).
pub fn parse_expression(source: &str) -> Result<Program, Error> {
    let e = parser::parse_expression(source)?;
    let mut c = check::Checker::default();
    let (ir, ty) = c.expr(&e)?;
    if matches!(ty, Type::Static(_) | Type::Void) {
        return Err(Error::new(e.at, format!("'{ty}' is a type, not a value")));
    }
    Ok(Program {
        body: Body::Expr(ir),
        slots: c.slots(),
        ty,
    })
}

/// Parses and checks a statement block (the code of `@{ … }`).
pub fn parse_block(source: &str) -> Result<Program, Error> {
    let stmts = parser::parse_block(source)?;
    let mut c = check::Checker::default();
    let (st, ty) = c.program_block(&stmts, source.len())?;
    Ok(Program {
        body: Body::Block(st),
        slots: c.slots(),
        ty,
    })
}

impl Program {
    /// The static type of the result.
    pub fn result_type(&self) -> &Type {
        &self.ty
    }

    /// Evaluates the program for one call.
    pub fn evaluate(&self, ctx: &Context, limits: &Limits) -> Result<Value, EvalError> {
        let mut m = eval::Machine::new(ctx, self.slots, *limits);
        let v = match &self.body {
            Body::Expr(e) => m.eval(e)?,
            Body::Block(b) => m.run(b)?,
        };
        m.finish(v)
    }
}
