//! The static type checker: turns the syntax tree into the checked program ([`super::ir`]),
//! resolving locals to slots and members to their implementations, or refuses it with an
//! error naming the member and type at fault.

use std::sync::Arc;

use super::Error;
use super::ast::{
    Arg, Expr, ExprKind, InterpPart, LambdaBody as SynBody, Lit, Stmt, StmtKind, TypeName,
};
use super::eval::{Lambda, LambdaBody, num_of};
use super::ir::{Bin, Call, Conv, Ir, Num, Slot, St, Un};
use super::library::{self, Member, P, R};
use super::types::{Ctx, J, Type, resolve};
use super::value::Value;

/// The most locals (and temporaries) a program may have.
const MAX_SLOTS: usize = 4096;

/// The checker's state.
#[derive(Default)]
pub(crate) struct Checker {
    scopes: Vec<Vec<(String, Slot, Type)>>,
    slots: usize,
    /// Result types of the `return`s of the innermost block being checked.
    returns: Vec<Vec<Type>>,
    loops: usize,
    /// Expressions checked so far; overload resolution checks arguments once per candidate, so
    /// nested overloaded calls multiply the work, which this bounds.
    work: usize,
    /// What is known of the locals holding JSON values (see [`Own`]).
    own: std::collections::HashMap<Slot, Own>,
    /// Lambda bodies being checked.
    lambdas: usize,
}

/// JSON mutation: Tollgate's JSON values are copy-on-write where .NET's are shared objects,
/// so a mutating member (`o["a"] = …`, `o.Add(…)`) updates the local it is called on, and the
/// checker accepts a mutation only where the two models agree: the local was given a new
/// value (`new JObject()`, `JObject.Parse(…)`, `Body.As<JObject>()`, …) and has not been
/// stored anywhere else before (`var b = o;`, `arr.Add(o)`), nor within a loop that also
/// mutates it, nor in a lambda. `StringBuilder` and `Random` values are copy-on-write too and
/// follow the same rules; their mutating members may be chained (`sb.Append(a).Append(b)`), and
/// a new object may be changed directly (`new StringBuilder().Append(a)`).
#[derive(Debug, Clone, Copy, Default)]
struct Own {
    /// What the local holds, for messages: "JSON", "StringBuilder", "Random".
    kind: &'static str,
    /// The mutations checked so far (see `Checker::count_mutation`).
    mutations: usize,
    /// The local holds a value of its own (not one taken from another variable).
    owned: bool,
    /// The local (or part of it) was stored elsewhere.
    copied: bool,
    /// The loop depth of its declaration.
    loops: usize,
    /// It was mutated within a loop deeper than its declaration.
    mutated_in_loop: bool,
}

/// The copy-on-write types whose mutating members change the local they are called on (see
/// [`Own`]), by the name messages use.
fn mutable_kind(t: &Type) -> Option<&'static str> {
    match t {
        Type::Json(_) => Some("JSON"),
        Type::Named(n) if matches!(*n, "StringBuilder" | "Random") => Some(*n),
        _ => None,
    }
}

/// Whether values of a type may hold JSON tokens (or other copy-on-write values).
fn holds_json(t: &Type) -> bool {
    match t {
        Type::Json(_) | Type::Object => true,
        Type::Named(_) => mutable_kind(t).is_some(),
        Type::Array(x) | Type::List(x) | Type::Seq(x) | Type::Dict(x) | Type::Pair(x) => {
            holds_json(x)
        }
        _ => false,
    }
}

/// Whether `e` is a `new` of a type whose constructor copies its arguments and keeps none
/// (`new StringBuilder(s)`, `new Random(seed)`), or a chain of calls that return their
/// receiver on one (`new StringBuilder().Append(x)`).
fn new_of_copies(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::New(tn, ..) => matches!(
            library::static_type(&tn.name),
            Some("static:StringBuilder" | "static:Random")
        ),
        ExprKind::Call { target, .. } => match &target.kind {
            ExprKind::Member { target: inner, .. } => new_of_copies(inner),
            _ => false,
        },
        _ => false,
    }
}

/// The most expression checks one program may cost (see `Checker::work`).
const MAX_CHECK_WORK: usize = 200_000;

type Typed = (Ir, Type);

/// A bound call: argument IRs, result type, `out` arguments (index, slot).
type Bound = (Vec<Ir>, Type, Vec<(usize, Slot)>);

/// A lambda's parameters and body.
type LambdaParts = (Vec<(Option<TypeName>, String)>, SynBody);

fn err<T>(at: usize, msg: impl Into<String>) -> Result<T, Error> {
    Err(Error::new(at, msg))
}

impl Checker {
    /// The number of local slots the program uses.
    pub(crate) fn slots(&self) -> usize {
        self.slots
    }

    fn new_slot(&mut self, at: usize) -> Result<Slot, Error> {
        if self.slots >= MAX_SLOTS {
            return err(at, "too many local variables");
        }
        self.slots += 1;
        Ok((self.slots - 1) as Slot)
    }

    fn declare(&mut self, name: &str, ty: Type, at: usize) -> Result<Slot, Error> {
        if self.find(name).is_some() || name == "context" {
            return err(
                at,
                format!("a local variable named '{name}' is already defined in this scope"),
            );
        }
        let slot = self.new_slot(at)?;
        if self.scopes.is_empty() {
            self.scopes.push(Vec::new());
        }
        if let Some(s) = self.scopes.last_mut() {
            s.push((name.to_owned(), slot, ty));
        }
        Ok(slot)
    }

    fn find(&self, name: &str) -> Option<(Slot, Type)> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(n, _, _)| n == name)
            .map(|(_, s, t)| (*s, t.clone()))
    }

    fn type_of(&self, t: &TypeName) -> Result<Type, Error> {
        let mut args = Vec::new();
        for a in &t.args {
            args.push(self.type_of(a)?);
        }
        resolve(&t.name, &args, t.array, t.nullable).ok_or_else(|| {
            Error::new(
                t.at,
                format!(
                    "the type '{}' is not supported in policy expressions",
                    t.name
                ),
            )
        })
    }

    // ---- statements ----

    /// Checks a `@{ … }` block: every path must return a value.
    pub(crate) fn program_block(
        &mut self,
        body: &[Stmt],
        end: usize,
    ) -> Result<(Vec<St>, Type), Error> {
        self.returns.push(Vec::new());
        let out = self.stmts(body)?;
        let returns = self.returns.pop().unwrap_or_default();
        if !always_returns(body) {
            return err(end, "not all code paths return a value");
        }
        Ok((out, unify_all(&returns)))
    }

    fn stmts(&mut self, body: &[Stmt]) -> Result<Vec<St>, Error> {
        self.scopes.push(Vec::new());
        let mut out = Vec::new();
        for s in body {
            self.stmt(s, &mut out)?;
        }
        self.scopes.pop();
        Ok(out)
    }

    fn sub(&mut self, s: &Stmt) -> Result<Vec<St>, Error> {
        match &s.kind {
            StmtKind::Block(b) => self.stmts(b),
            _ => self.stmts(std::slice::from_ref(s)),
        }
    }

    fn stmt(&mut self, s: &Stmt, out: &mut Vec<St>) -> Result<(), Error> {
        match &s.kind {
            StmtKind::Decl(ty, vars) => {
                let declared = ty.as_ref().map(|t| self.type_of(t)).transpose()?;
                for (name, init, at) in vars {
                    let (ir, ty) = match (&declared, init) {
                        (None, None) => {
                            return err(*at, "implicitly-typed variables must be initialized");
                        }
                        (None, Some(e)) => {
                            let (ir, t) = self.expr(e)?;
                            if matches!(
                                t,
                                Type::Null | Type::Void | Type::Static(_) | Type::Func(..)
                            ) {
                                return err(
                                    e.at,
                                    format!("cannot assign {t} to an implicitly-typed variable"),
                                );
                            }
                            (ir, t)
                        }
                        (Some(t), Some(e)) => (self.expect(e, t)?, t.clone()),
                        (Some(t), None) => (Ir::Const(default_value(t)), t.clone()),
                    };
                    if let Some(e) = init {
                        self.store(e, &ty)?;
                    }
                    let fresh = init.as_ref().is_some_and(|e| self.fresh(e));
                    let kind = mutable_kind(&ty);
                    let slot = self.declare(name, ty, *at)?;
                    if let Some(kind) = kind {
                        self.own.insert(
                            slot,
                            Own {
                                kind,
                                owned: fresh,
                                loops: self.loops,
                                ..Own::default()
                            },
                        );
                    }
                    out.push(St::Expr(Ir::Assign(slot, Box::new(ir))));
                }
            }
            StmtKind::Expr(e) => {
                if !matches!(
                    e.kind,
                    ExprKind::Assign(..) | ExprKind::IncDec(..) | ExprKind::Call { .. }
                ) {
                    return err(
                        e.at,
                        "only assignment, call, increment and decrement expressions can be used as a statement",
                    );
                }
                out.push(St::Expr(self.expr(e)?.0));
            }
            StmtKind::If(c, a, b) => {
                let c = self.expect(c, &Type::Bool)?;
                let a = self.sub(a)?;
                let b = match b {
                    Some(b) => self.sub(b)?,
                    None => Vec::new(),
                };
                out.push(St::If(c, a, b));
            }
            StmtKind::Return(e) => {
                let ir = match e {
                    Some(e) => {
                        let (ir, t) = self.expr(e)?;
                        if let Some(r) = self.returns.last_mut() {
                            r.push(t);
                        }
                        Some(ir)
                    }
                    None => return err(s.at, "a policy expression block must return a value"),
                };
                out.push(St::Return(ir));
            }
            StmtKind::Foreach(ty, name, seq, body) => {
                let (mut seq_ir, mut seq_ty) = self.expr(seq)?;
                self.store(seq, &seq_ty)?;
                if seq_ty == Type::Json(J::Token) {
                    // `foreach (var item in token)`: its children.
                    (seq_ir, seq_ty) =
                        self.invoke(Some((seq_ir, seq_ty)), None, "Children", &[], &[], seq.at)?;
                }
                let Some(elem) = seq_ty.element() else {
                    return err(
                        seq.at,
                        format!("foreach cannot operate on a value of type '{seq_ty}'"),
                    );
                };
                let elem = match ty {
                    Some(t) => {
                        let t = self.type_of(t)?;
                        if let (Type::Json(_), Type::Json(_)) = (&elem, &t)
                            && t != elem
                        {
                            // `foreach (JObject o in array)`: each item is cast.
                            seq_ir = Ir::Call(Box::new(Call {
                                f: library::json::cast_items,
                                name: "foreach",
                                args: vec![seq_ir],
                                instance: true,
                                generic: Some(t.clone()),
                                outs: Vec::new(),
                            }));
                        } else if t != elem && t != Type::Object {
                            return err(s.at, format!("cannot convert '{elem}' to '{t}'"));
                        }
                        t
                    }
                    None => elem,
                };
                self.scopes.push(Vec::new());
                let slot = self.declare(name, elem, s.at)?;
                self.loops += 1;
                let body = self.sub(body);
                self.loops -= 1;
                self.scopes.pop();
                out.push(St::Foreach(slot, seq_ir, body?));
            }
            StmtKind::For(init, cond, step, body) => {
                self.scopes.push(Vec::new());
                let mut init_out = Vec::new();
                for i in init {
                    self.stmt(i, &mut init_out)?;
                }
                let cond = cond
                    .as_ref()
                    .map(|c| self.expect(c, &Type::Bool))
                    .transpose()?;
                let mut steps = Vec::new();
                for e in step {
                    steps.push(self.expr(e)?.0);
                }
                self.loops += 1;
                let body = self.sub(body);
                self.loops -= 1;
                self.scopes.pop();
                init_out.push(St::Loop(cond, body?, steps, false));
                out.push(St::Block(init_out));
            }
            StmtKind::While(c, body) | StmtKind::DoWhile(body, c) => {
                let c = self.expect(c, &Type::Bool)?;
                self.loops += 1;
                let body = self.sub(body);
                self.loops -= 1;
                out.push(St::Loop(
                    Some(c),
                    body?,
                    Vec::new(),
                    matches!(s.kind, StmtKind::DoWhile(..)),
                ));
            }
            StmtKind::Break | StmtKind::Continue => {
                if self.loops == 0 {
                    return err(s.at, "no enclosing loop out of which to break or continue");
                }
                out.push(if matches!(s.kind, StmtKind::Break) {
                    St::Break
                } else {
                    St::Continue
                });
            }
            StmtKind::Block(b) => out.push(St::Block(self.stmts(b)?)),
            StmtKind::Empty => {}
        }
        Ok(())
    }

    // ---- expressions ----

    /// Checks an expression and converts it to `ty`.
    pub(crate) fn expect(&mut self, e: &Expr, ty: &Type) -> Result<Ir, Error> {
        let (ir, t) = self.expr(e)?;
        coerce(ir, &t, ty).ok_or_else(|| {
            Error::new(
                e.at,
                format!("cannot implicitly convert type '{t}' to '{ty}'"),
            )
        })
    }

    /// Checks an expression.
    pub(crate) fn expr(&mut self, e: &Expr) -> Result<Typed, Error> {
        let at = e.at;
        self.work += 1;
        if self.work > MAX_CHECK_WORK {
            return err(
                at,
                "the expression is too complex to check (nested overloaded calls): simplify it",
            );
        }
        Ok(match &e.kind {
            ExprKind::Lit(l) => literal(l),
            ExprKind::Interp(parts) => {
                let mut out = Vec::new();
                for p in parts {
                    out.push(match p {
                        InterpPart::Text(t) => Ir::Const(Value::from(t.as_str())),
                        InterpPart::Hole(e, None) => self.expr(e)?.0,
                        InterpPart::Hole(e, Some(f)) => {
                            let recv = self.expr(e)?;
                            let arg = Expr {
                                kind: ExprKind::Lit(Lit::Str(f.clone())),
                                at: e.at,
                            };
                            self.invoke(
                                Some(recv),
                                None,
                                "ToString",
                                &[],
                                &[Arg::Value(arg)],
                                e.at,
                            )?
                            .0
                        }
                    });
                }
                (Ir::Interp(out), Type::String)
            }
            ExprKind::Name(n) => match self.find(n) {
                Some((slot, t)) => (Ir::Local(slot), t),
                None if n == "context" => (Ir::Context, Type::Ctx(Ctx::Context)),
                None => match library::static_type(n) {
                    Some(k) => (Ir::Const(Value::Null), Type::Static(k)),
                    None => {
                        return err(
                            at,
                            format!("the name '{n}' does not exist in the current context"),
                        );
                    }
                },
            },
            ExprKind::Member {
                target,
                name,
                type_args,
                nullable,
            } => {
                if !type_args.is_empty() {
                    return err(at, format!("'{name}' with type arguments must be invoked"));
                }
                let recv = self.receiver(target)?;
                self.member_access(recv, *nullable, at, |c, recv| c.property(recv, name, at))?
            }
            ExprKind::Call { target, args } => match &target.kind {
                ExprKind::Member {
                    target: inner,
                    name,
                    type_args,
                    nullable,
                } => {
                    if let Some((object, key)) = property_remove(inner, name, args) {
                        let recv = self.receiver(object)?;
                        if recv.1 == Type::Json(J::Object) {
                            let name = library::json::PROPERTY_REMOVE;
                            return self.mutate(object, recv, name, key, *nullable, at);
                        }
                    }
                    let recv = self.receiver(inner)?;
                    if library::lookup(&recv.1, name).iter().any(|m| m.mutates) {
                        return self.mutate(inner, recv, name, args, *nullable, at);
                    }
                    self.member_access(recv, *nullable, at, |c, recv| {
                        c.invoke(Some(recv), None, name, type_args, args, at)
                    })?
                }
                ExprKind::Name(n) | ExprKind::GenericName(n, _) => {
                    return err(
                        at,
                        format!("the name '{n}' does not exist in the current context"),
                    );
                }
                _ => return err(at, "this expression cannot be invoked"),
            },
            ExprKind::GenericName(n, _) => {
                return err(
                    at,
                    format!("the name '{n}' does not exist in the current context"),
                );
            }
            ExprKind::Index {
                target,
                args,
                nullable,
            } => {
                let recv = self.receiver(target)?;
                let args: Vec<Arg> = args.iter().cloned().map(Arg::Value).collect();
                self.member_access(recv, *nullable, at, |c, recv| {
                    c.invoke(Some(recv), None, "[]", &[], &args, at)
                })?
            }
            ExprKind::Unary(op, inner) => self.unary(op, inner, at)?,
            ExprKind::IncDec(op, prefix, target) => {
                let (slot, t) = self.local_target(target)?;
                let Some(num) = num_of(&t)
                    .filter(|_| !matches!(t, Type::Nullable(_) | Type::Char | Type::Byte))
                else {
                    return err(
                        at,
                        format!("operator '{op}' cannot be applied to operand of type '{t}'"),
                    );
                };
                (
                    Ir::Step(slot, if *op == "++" { 1 } else { -1 }, num, !prefix),
                    t,
                )
            }
            ExprKind::Binary(op, a, b) => self.binary(op, a, b, at)?,
            ExprKind::Assign(op, target, value)
                if matches!(target.kind, ExprKind::Index { .. }) =>
            {
                if *op != "=" {
                    return err(
                        at,
                        format!("operator '{op}' cannot be applied to an indexer"),
                    );
                }
                self.index_assign(target, value, at)?
            }
            ExprKind::Assign(op, target, value) => {
                let (slot, t) = self.local_target(target)?;
                // `sb = sb.Append(x)` changes `sb` and gives it back: no other variable shares it.
                let same = match (&target.kind, self.mutation_root(value, &t)) {
                    (ExprKind::Name(n), Some(root)) => {
                        matches!(&root.kind, ExprKind::Name(r) if r == n)
                    }
                    _ => false,
                };
                if holds_json(&t) && !same {
                    self.store(value, &t)?;
                    let fresh = self.fresh(value);
                    if let Some(o) = self.own.get_mut(&slot) {
                        o.owned = fresh;
                        o.copied = false;
                    }
                }
                let ir = if *op == "=" {
                    self.expect(value, &t)?
                } else {
                    let bop = &op[..op.len() - 1];
                    let (ir, rt) = self.binary(bop, target, value, at)?;
                    coerce(ir.clone(), &rt, &t)
                        .or_else(|| explicit(ir, &rt, &t))
                        .ok_or_else(|| Error::new(at, format!("cannot convert '{rt}' to '{t}'")))?
                };
                (Ir::Assign(slot, Box::new(ir)), t)
            }
            ExprKind::Cond(c, a, b) => {
                let c = self.expect(c, &Type::Bool)?;
                let (ai, at_) = self.expr(a)?;
                let (bi, bt) = self.expr(b)?;
                let Some(t) = unify(&at_, &bt) else {
                    return err(
                        at,
                        format!("no implicit conversion between '{at_}' and '{bt}'"),
                    );
                };
                let ai =
                    coerce(ai, &at_, &t).ok_or_else(|| Error::new(a.at, "incompatible branch"))?;
                let bi =
                    coerce(bi, &bt, &t).ok_or_else(|| Error::new(b.at, "incompatible branch"))?;
                (Ir::Cond(Box::new(c), Box::new(ai), Box::new(bi)), t)
            }
            ExprKind::Cast(tn, inner) => {
                let t = self.type_of(tn)?;
                let (ir, from) = self.expr(inner)?;
                let ir = coerce(ir.clone(), &from, &t)
                    .or_else(|| library::xml::explicit(ir.clone(), &from, &t, &tn.name))
                    .or_else(|| explicit(ir, &from, &t))
                    .ok_or_else(|| {
                        Error::new(at, format!("cannot convert type '{from}' to '{t}'"))
                    })?;
                (ir, t)
            }
            ExprKind::Is(inner, tn, bind) => {
                let t = self.type_of(tn)?;
                let (ir, _) = self.expr(inner)?;
                let slot = bind
                    .as_ref()
                    .map(|b| self.declare(b, t.clone(), at))
                    .transpose()?;
                (Ir::Is(t, Box::new(ir), slot), Type::Bool)
            }
            ExprKind::IsNull(inner, yes) => {
                let (ir, _) = self.expr(inner)?;
                let op = if *yes { Bin::Eq } else { Bin::Ne };
                (
                    Ir::Binary(op, Box::new(ir), Box::new(Ir::Const(Value::Null))),
                    Type::Bool,
                )
            }
            ExprKind::As(inner, tn) => {
                let t = self.type_of(tn)?;
                if !t.is_reference() {
                    return err(
                        at,
                        format!(
                            "the 'as' operator must be used with a reference or nullable type ('{t}' is a value type)"
                        ),
                    );
                }
                let (ir, _) = self.expr(inner)?;
                (Ir::As(t.clone(), Box::new(ir)), t)
            }
            ExprKind::New(tn, args, init) => self.new_object(tn, args, init.as_deref(), at)?,
            ExprKind::NewArray(elem, size, items) => {
                let elem_t = elem.as_ref().map(|t| self.type_of(t)).transpose()?;
                if let Some(size) = size {
                    let n = self.expect(size, &Type::Int)?;
                    let t = elem_t.unwrap_or(Type::Object);
                    if !items.is_empty() {
                        let irs = self.items(items, &t)?;
                        return Ok((Ir::Array(irs), Type::Array(Box::new(t))));
                    }
                    (
                        Ir::NewArray(Box::new(n), default_value(&t)),
                        Type::Array(Box::new(t)),
                    )
                } else {
                    let t = match elem_t {
                        Some(t) => t,
                        None => {
                            let mut ts = Vec::new();
                            for i in items {
                                ts.push(self.expr(i)?.1);
                            }
                            let t = unify_all(&ts);
                            if ts.is_empty()
                                || t == Type::Object && ts.iter().any(|x| *x != Type::Object)
                            {
                                return err(
                                    at,
                                    "no best type found for the implicitly-typed array",
                                );
                            }
                            t
                        }
                    };
                    (Ir::Array(self.items(items, &t)?), Type::Array(Box::new(t)))
                }
            }
            ExprKind::Lambda(..) => {
                return err(
                    at,
                    "a lambda expression can only be an argument of a method such as Where or Any",
                );
            }
            ExprKind::Default(Some(t)) => {
                let t = self.type_of(t)?;
                (Ir::Const(default_value(&t)), t)
            }
            ExprKind::Default(None) | ExprKind::Typeof(_) => {
                return err(
                    at,
                    "'typeof' and 'default' without a type are not supported in policy expressions",
                );
            }
        })
    }

    fn items(&mut self, items: &[Expr], t: &Type) -> Result<Vec<Ir>, Error> {
        items.iter().map(|i| self.expect(i, t)).collect()
    }

    /// A member target: a static type name (also qualified: `System.Xml.Linq.XElement`), or
    /// a value.
    fn receiver(&mut self, target: &Expr) -> Result<Typed, Error> {
        if let ExprKind::Member { .. } = &target.kind
            && let Some((root, path)) = dotted(target)
            && self.find(&root).is_none()
            && root != "context"
            && let Some(k) = library::static_type(&path)
        {
            return Ok((Ir::Const(Value::Null), Type::Static(k)));
        }
        self.expr(target)
    }

    /// Applies `access` to a receiver, through `?.` when `nullable`.
    fn member_access(
        &mut self,
        recv: Typed,
        nullable: bool,
        at: usize,
        access: impl FnOnce(&mut Checker, Typed) -> Result<Typed, Error>,
    ) -> Result<Typed, Error> {
        if !nullable {
            return access(self, recv);
        }
        let (ir, t) = recv;
        if !t.is_reference() {
            return err(
                at,
                format!("'?.' cannot be applied to a value of type '{t}'"),
            );
        }
        let inner = match &t {
            Type::Nullable(x) => (**x).clone(),
            other => other.clone(),
        };
        let slot = self.new_slot(at)?;
        let (rest, rt) = access(self, (Ir::Local(slot), inner))?;
        let rt = if rt.is_reference() {
            rt
        } else {
            Type::Nullable(Box::new(rt))
        };
        Ok((Ir::NullCond(Box::new(ir), slot, Box::new(rest)), rt))
    }

    fn property(&mut self, (ir, t): Typed, name: &str, at: usize) -> Result<Typed, Error> {
        let members = library::lookup(&t, name);
        let Some(m) = members.iter().find(|m| m.property) else {
            if members.is_empty() {
                return err(
                    at,
                    format!("'{t}' does not contain a definition for '{name}'"),
                );
            }
            return err(at, format!("'{t}.{name}' is a method: call it with '()'"));
        };
        let args = if matches!(t, Type::Static(_)) {
            Vec::new()
        } else {
            vec![ir]
        };
        // Members of `T?` (HasValue, Value) work on null.
        let instance = !matches!(t, Type::Static(_) | Type::Nullable(_));
        let ret = match (&m.ret, &t) {
            (R::T(r), _) => r.clone(),
            (_, Type::Pair(v) | Type::Nullable(v)) => (**v).clone(),
            _ => t.element().unwrap_or(Type::Object),
        };
        Ok((
            Ir::Call(Box::new(Call {
                f: m.f,
                name: m.name,
                args,
                instance,
                generic: None,
                outs: Vec::new(),
            })),
            ret,
        ))
    }

    /// A method call (or indexer, named `[]`) on a receiver.
    pub(crate) fn invoke(
        &mut self,
        recv: Option<Typed>,
        owner: Option<Type>,
        name: &str,
        type_args: &[TypeName],
        args: &[Arg],
        at: usize,
    ) -> Result<Typed, Error> {
        // A `JToken` is a sequence of its children (`token.Select(…)`, `token.Count()`).
        let seq = Type::Seq(Box::new(Type::Json(J::Token)));
        if let Some((_, Type::Json(J::Token))) = &recv
            && library::lookup(&Type::Json(J::Token), name).is_empty()
            && !library::lookup(&seq, name).is_empty()
        {
            let children = self.invoke(recv, None, "Children", &[], &[], at)?;
            return self.invoke(Some(children), None, name, type_args, args, at);
        }
        let (recv_ir, owner) = match (recv, owner) {
            (Some((ir, t)), _) => (Some(ir).filter(|_| !matches!(t, Type::Static(_))), t),
            (None, Some(t)) => (None, t),
            (None, None) => return err(at, "no receiver"),
        };
        let members: Vec<&Member> = library::lookup(&owner, name)
            .into_iter()
            .filter(|m| !m.property)
            .collect();
        if members.is_empty() {
            if name == "[]" {
                return err(
                    at,
                    format!("cannot apply indexing with [] to an expression of type '{owner}'"),
                );
            }
            if library::lookup(&owner, name).iter().any(|m| m.property) {
                return err(at, format!("'{owner}.{name}' is a property, not a method"));
            }
            return err(
                at,
                format!("'{owner}' does not contain a definition for '{name}'"),
            );
        }
        let gen_ty = match type_args {
            [] => None,
            [t] => Some(self.type_of(t)?),
            _ => {
                return err(
                    at,
                    format!(
                        "'{owner}.{name}' does not take {} type arguments",
                        type_args.len()
                    ),
                );
            }
        };
        if let (Type::Ctx(Ctx::Body), Some(g)) = (&owner, &gen_ty)
            && !matches!(
                g,
                Type::String
                    | Type::Json(J::Object | J::Array | J::Token)
                    | Type::Named("XElement" | "XDocument")
            )
        {
            return err(
                at,
                format!(
                    "'IMessageBody.As<{g}>' is not supported yet: As<string>, As<JObject>, As<JArray>, As<JToken>, As<XElement> and As<XDocument> are"
                ),
            );
        }
        if let (Type::Static("static:JsonConvert"), Some(g)) = (&owner, &gen_ty)
            && !library::json_convert::deserializable(g)
        {
            return err(
                at,
                format!(
                    "'JsonConvert.DeserializeObject<{g}>' is not supported: JToken, JObject, JArray, JValue, object, string, int, long, double and bool are"
                ),
            );
        }
        let elem = owner.element();
        // `seq.ToArray<string>()`: a type argument that names the element type is redundant.
        let mut gen_ty = gen_ty;
        if gen_ty.is_some() && gen_ty == elem && !members.iter().any(|m| m.generic) {
            gen_ty = None;
        }
        for m in &members {
            if gen_ty.is_some() && !m.generic {
                continue;
            }
            if let Some((mut irs, ret, outs)) = self.bind(m, elem.as_ref(), gen_ty.clone(), args)? {
                if let Some(r) = &recv_ir {
                    irs.insert(0, r.clone());
                }
                if let Some(fold) = library::fold(&owner, name) {
                    fold(&mut irs).map_err(|msg| Error::new(at, msg))?;
                }
                let offset = usize::from(recv_ir.is_some());
                let outs = outs.into_iter().map(|(i, s)| (i + offset, s)).collect();
                let generic = if m.generic {
                    gen_ty.clone().or_else(|| generic_from(&ret))
                } else {
                    None
                };
                let instance = recv_ir.is_some() && !matches!(owner, Type::Nullable(_));
                return Ok((
                    Ir::Call(Box::new(Call {
                        f: m.f,
                        name: m.name,
                        args: irs,
                        instance,
                        generic,
                        outs,
                    })),
                    ret,
                ));
            }
        }
        let mut shown = Vec::new();
        for a in args {
            shown.push(match a {
                Arg::Value(Expr {
                    kind: ExprKind::Lambda(..),
                    ..
                }) => "lambda".to_owned(),
                Arg::Value(e) => self
                    .expr(e)
                    .map(|(_, t)| t.to_string())
                    .unwrap_or_else(|_| "?".into()),
                Arg::Out { .. } => "out".to_owned(),
            });
        }
        let what = if name == "[]" {
            format!("the indexer of '{owner}'")
        } else {
            format!("'{owner}.{name}'")
        };
        err(
            at,
            format!(
                "no overload of {what} takes the arguments ({})",
                shown.join(", ")
            ),
        )
    }

    /// Binds arguments to a member's parameters; `None` when they do not fit.
    #[allow(clippy::type_complexity)]
    /// A static method group passed as a delegate (`"a1".Any(char.IsDigit)`), as the lambda
    /// `x => char.IsDigit(x)` whose parameter cannot be named in source.
    fn method_group(&self, e: &Expr) -> Option<LambdaParts> {
        let ExprKind::Member {
            target,
            name,
            type_args,
            nullable: false,
        } = &e.kind
        else {
            return None;
        };
        let ExprKind::Name(owner) = &target.kind else {
            return None;
        };
        if !type_args.is_empty() || self.find(owner).is_some() {
            return None;
        }
        let key = library::static_type(owner)?;
        let members = library::lookup(&Type::Static(key), name);
        if !members.iter().any(|m| !m.property) {
            return None;
        }
        const PARAM: &str = "<argument>";
        let at = e.at;
        let arg = Expr {
            kind: ExprKind::Name(PARAM.into()),
            at,
        };
        let call = ExprKind::Call {
            target: Box::new(e.clone()),
            args: vec![Arg::Value(arg)],
        };
        let body = SynBody::Expr(Box::new(Expr { kind: call, at }));
        Some((vec![(None, PARAM.into())], body))
    }

    fn bind(
        &mut self,
        m: &Member,
        elem: Option<&Type>,
        mut gen_ty: Option<Type>,
        args: &[Arg],
    ) -> Result<Option<Bound>, Error> {
        let params = &m.params;
        let variadic = matches!(params.last(), Some(P::Params(_)));
        let fixed = if variadic {
            params.len() - 1
        } else {
            params.len()
        };
        if args.len() < fixed || (!variadic && args.len() != fixed) {
            return Ok(None);
        }
        let mut irs = Vec::new();
        let mut u = None;
        let mut outs = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            let p = params
                .get(i.min(params.len().saturating_sub(1)))
                .cloned()
                .unwrap_or(P::T(Type::Object));
            match (p, arg) {
                (P::Out(_), Arg::Out { .. }) => {
                    outs.push(i);
                    irs.push(Ir::Const(Value::Null));
                }
                (P::Out(_), _) | (_, Arg::Out { .. }) => return Ok(None),
                (P::Pred | P::Sel, Arg::Value(e)) => {
                    let group;
                    let (ps, body) = match &e.kind {
                        ExprKind::Lambda(ps, body) => (ps, body),
                        _ => match self.method_group(e) {
                            Some(g) => {
                                group = g;
                                (&group.0, &group.1)
                            }
                            None => return Ok(None),
                        },
                    };
                    let Some(elem) = elem else { return Ok(None) };
                    let (ir, rt) = self.lambda(ps, body, std::slice::from_ref(elem), e.at)?;
                    if matches!(params.get(i), Some(P::Pred)) {
                        if rt != Type::Bool {
                            return Ok(None);
                        }
                    } else {
                        u = Some(rt);
                    }
                    irs.push(ir);
                }
                (
                    P::Fn(pt, rt),
                    Arg::Value(Expr {
                        kind: ExprKind::Lambda(ps, body),
                        at,
                    }),
                ) => {
                    let (ir, t) = self.lambda(ps, body, std::slice::from_ref(&pt), *at)?;
                    if coerce(Ir::Const(Value::Null), &t, &rt).is_none() {
                        return Ok(None);
                    }
                    irs.push(ir);
                }
                (P::Fn(..), _) => return Ok(None),
                (P::T(pt) | P::Params(pt), Arg::Value(e)) => {
                    if let ExprKind::Lambda(..) = e.kind {
                        return Ok(None);
                    }
                    let (ir, t) = self.expr(e)?;
                    match coerce(ir, &t, &pt) {
                        Some(ir) => irs.push(ir),
                        None => return Ok(None),
                    }
                }
                (P::Elem, Arg::Value(e)) => {
                    let Some(elem) = elem else { return Ok(None) };
                    let (ir, t) = self.expr(e)?;
                    match coerce(ir, &t, elem) {
                        Some(ir) => irs.push(ir),
                        None => return Ok(None),
                    }
                }
                (P::Gen, Arg::Value(e)) => {
                    let (ir, t) = self.expr(e)?;
                    match &gen_ty {
                        Some(g) => match coerce(ir, &t, g) {
                            Some(ir) => irs.push(ir),
                            None => return Ok(None),
                        },
                        None if t != Type::Null => {
                            gen_ty = Some(t);
                            irs.push(ir);
                        }
                        None => return Ok(None),
                    }
                }
            }
        }
        if variadic {
            let packed: Vec<Ir> = irs.split_off(fixed);
            irs.push(Ir::Array(packed));
        }
        let ret = match &m.ret {
            R::T(t) => t.clone(),
            R::Elem => elem.cloned().unwrap_or(Type::Object),
            R::SeqElem => Type::Seq(Box::new(elem.cloned().unwrap_or(Type::Object))),
            R::ArrElem => Type::Array(Box::new(elem.cloned().unwrap_or(Type::Object))),
            R::ListElem => Type::List(Box::new(elem.cloned().unwrap_or(Type::Object))),
            R::U => u.clone().unwrap_or(Type::Object),
            R::SeqU => Type::Seq(Box::new(u.clone().unwrap_or(Type::Object))),
            R::Gen => match &gen_ty {
                Some(g) => g.clone(),
                None => return Ok(None),
            },
            R::SeqGen => match &gen_ty {
                Some(g) => Type::Seq(Box::new(g.clone())),
                None => return Ok(None),
            },
        };
        // `out` arguments are declared once the overload is chosen.
        let mut out_slots = Vec::new();
        for i in outs {
            let (Some(Arg::Out { name, decl, at }), Some(p)) = (args.get(i), params.get(i)) else {
                continue;
            };
            let pt = match p {
                P::Out(t) => t.clone(),
                _ => gen_ty.clone().unwrap_or(Type::Object),
            };
            let slot = match decl {
                Some(None) => self.declare(name, pt, *at)?,
                Some(Some(tn)) => {
                    let t = self.type_of(tn)?;
                    if t != pt {
                        return err(*at, format!("the out argument must be of type '{pt}'"));
                    }
                    self.declare(name, pt, *at)?
                }
                None => match self.find(name) {
                    Some((s, t)) if t == pt => s,
                    Some(_) => return err(*at, format!("the out argument must be of type '{pt}'")),
                    None => {
                        return err(
                            *at,
                            format!("the name '{name}' does not exist in the current context"),
                        );
                    }
                },
            };
            out_slots.push((i, slot));
        }
        Ok(Some((irs, ret, out_slots)))
    }

    /// A lambda whose parameters have the given types.
    fn lambda(
        &mut self,
        params: &[(Option<TypeName>, String)],
        body: &SynBody,
        types: &[Type],
        at: usize,
    ) -> Result<Typed, Error> {
        if params.len() != types.len() {
            return err(
                at,
                format!("the lambda must take {} parameter(s)", types.len()),
            );
        }
        self.lambdas += 1;
        let r = self.lambda_inner(params, body, types, at);
        self.lambdas -= 1;
        r
    }

    fn lambda_inner(
        &mut self,
        params: &[(Option<TypeName>, String)],
        body: &SynBody,
        types: &[Type],
        at: usize,
    ) -> Result<Typed, Error> {
        self.scopes.push(Vec::new());
        let mut slots = Vec::new();
        for ((_, name), t) in params.iter().zip(types) {
            slots.push(self.declare(name, t.clone(), at)?);
        }
        let result = match body {
            SynBody::Expr(e) => self.expr(e).map(|(ir, t)| (LambdaBody::Expr(ir), t)),
            SynBody::Block(b) => {
                let loops = std::mem::take(&mut self.loops);
                let r = self
                    .program_block(b, at)
                    .map(|(st, t)| (LambdaBody::Block(st), t));
                self.loops = loops;
                r
            }
        };
        self.scopes.pop();
        let (body, rt) = result?;
        let lambda = Lambda {
            params: slots,
            body,
        };
        Ok((Ir::Lambda(Arc::new(lambda)), rt))
    }

    // ---- JSON mutation (see `Own`) ----

    /// The JSON locals an expression mentions.
    fn json_locals(&self, e: &Expr) -> Vec<Slot> {
        let mut names = Vec::new();
        names_in(e, &mut names);
        names
            .iter()
            .filter_map(|n| self.find(n))
            .filter(|(s, _)| self.own.contains_key(s))
            .map(|(s, _)| s)
            .collect()
    }

    /// Records that the value of `e` is stored elsewhere.
    fn store(&mut self, e: &Expr, t: &Type) -> Result<(), Error> {
        if !holds_json(t) || new_of_copies(e) && mutable_kind(t).is_some() {
            return Ok(());
        }
        let slots = self.json_locals(e);
        self.mark_stored(slots, e.at)
    }

    /// Notes that the JSON locals `slots` are stored elsewhere (so later changes to them must be
    /// refused); storing one that a loop around it modifies is refused now.
    fn mark_stored(&mut self, slots: Vec<Slot>, at: usize) -> Result<(), Error> {
        let loops = self.loops;
        for slot in slots {
            if let Some(o) = self.own.get_mut(&slot) {
                if loops > o.loops && o.mutated_in_loop {
                    let k = o.kind;
                    return err(
                        at,
                        format!(
                            "a {k} value modified in a loop cannot also be stored elsewhere in it: Tollgate copies {k} values where .NET shares them (declare the value inside the loop)"
                        ),
                    );
                }
                o.copied = true;
            }
        }
        Ok(())
    }

    /// Records that the value of `e` is stored into a JSON container held by `root`.
    /// Newtonsoft adds a token by reference unless it already has a parent (a token read
    /// out of a container) or is the container itself: those are copied, as here.
    fn store_into(&mut self, e: &Expr, root: Slot) -> Result<(), Error> {
        match &e.kind {
            ExprKind::Name(n) => {
                if let Some((slot, t)) = self.find(n)
                    && slot != root
                {
                    let name = Expr {
                        kind: ExprKind::Name(n.clone()),
                        at: e.at,
                    };
                    self.store(&name, &t)?;
                }
                Ok(())
            }
            ExprKind::Cast(_, x) | ExprKind::As(x, _) => self.store_into(x, root),
            ExprKind::Cond(_, a, b) | ExprKind::Binary("??", a, b) => {
                self.store_into(a, root)?;
                self.store_into(b, root)
            }
            ExprKind::Lit(_) | ExprKind::Interp(_) => Ok(()),
            // A token read out of a container has a parent: Newtonsoft copies it.
            ExprKind::Index { target, .. } | ExprKind::Member { target, .. }
                if matches!(target.kind, ExprKind::Name(_) | ExprKind::Index { .. }) =>
            {
                Ok(())
            }
            ExprKind::New(_, args, _) => {
                for a in args {
                    if let Arg::Value(x) = a {
                        self.store_into(x, root)?;
                    }
                }
                Ok(())
            }
            _ => {
                let others: Vec<Slot> = self
                    .json_locals(e)
                    .into_iter()
                    .filter(|s| *s != root)
                    .collect();
                self.mark_stored(others, e.at)
            }
        }
    }

    /// Whether `e` makes a new value (not one taken from a local).
    fn fresh(&self, e: &Expr) -> bool {
        if new_of_copies(e) {
            return true;
        }
        if let ExprKind::New(..) = e.kind {
            return self.json_locals(e).is_empty();
        }
        let mut root = e;
        loop {
            root = match &root.kind {
                ExprKind::Member { target, .. }
                | ExprKind::Index { target, .. }
                | ExprKind::Call { target, .. } => target,
                ExprKind::Cast(_, x) | ExprKind::As(x, _) => x,
                ExprKind::Name(n) => {
                    return self.find(n).is_none() && self.json_locals(e).is_empty();
                }
                ExprKind::New(..) => return self.json_locals(e).is_empty(),
                _ => return false,
            }
        }
    }

    /// Checks that a local holding a `what` value ("JSON", "StringBuilder", …) may be mutated
    /// in place.
    fn mutable_root(&mut self, target: &Expr, what: &str) -> Result<Slot, Error> {
        let ExprKind::Name(name) = &target.kind else {
            let example = if what == "JSON" {
                ", e.g. obj[\"a\"][\"b\"] = …"
            } else {
                ""
            };
            return err(
                target.at,
                format!(
                    "only a local variable's {what} value can be modified: Tollgate copies {what} values where .NET shares them (modify the variable the value came from{example})"
                ),
            );
        };
        let Some((slot, _)) = self.find(name) else {
            return err(
                target.at,
                format!("the name '{name}' does not exist in the current context"),
            );
        };
        if self.lambdas > 0 {
            return err(
                target.at,
                format!("{what} values cannot be modified inside a lambda in policy expressions"),
            );
        }
        let loops = self.loops;
        match self.own.get_mut(&slot) {
            Some(o) if o.owned && !o.copied => {
                if loops > o.loops {
                    o.mutated_in_loop = true;
                }
                Ok(slot)
            }
            Some(o) if o.owned => err(
                target.at,
                format!(
                    "'{name}' was stored elsewhere above: Tollgate copies {what} values where .NET shares them, so modify it before storing it"
                ),
            ),
            _ => {
                let new = if what == "JSON" {
                    "new JObject(), JObject.Parse(…)".to_owned()
                } else {
                    format!("new {what}(…)")
                };
                err(
                    target.at,
                    format!(
                        "'{name}' holds a {what} value taken from another value: Tollgate copies {what} values where .NET shares them, so modify it through the variable it came from (or give '{name}' a new value: {new})"
                    ),
                )
            }
        }
    }

    /// `root[k1]…[kn] = value` on a JSON local.
    fn index_assign(&mut self, target: &Expr, value: &Expr, at: usize) -> Result<Typed, Error> {
        let mut keys = Vec::new();
        let mut root = target;
        while let ExprKind::Index {
            target: inner,
            args,
            nullable,
        } = &root.kind
        {
            if *nullable || args.len() != 1 {
                return err(at, "this indexer cannot be assigned");
            }
            keys.push(&args[0]);
            root = inner;
        }
        keys.reverse();
        let (root_ir, root_t) = self.expr(root)?;
        if !matches!(root_t, Type::Json(J::Object | J::Array | J::Token)) {
            return err(
                at,
                format!("the indexer of '{root_t}' is read-only in policy expressions"),
            );
        }
        let before = self.mutations_of(root);
        let (vir, vt) = self.expr(value)?;
        let vir = coerce(vir, &vt, &Type::Json(J::Token)).ok_or_else(|| {
            Error::new(
                value.at,
                format!("cannot implicitly convert type '{vt}' to 'JToken'"),
            )
        })?;
        let slot = self.mutable_root(root, "JSON")?;
        self.count_mutation(slot, before, at)?;
        self.store_into(value, slot)?;
        let mut args = vec![root_ir, vir];
        for k in keys {
            let (kir, kt) = self.expr(k)?;
            let kir = match kt {
                Type::String | Type::Int => kir,
                Type::Char | Type::Byte => {
                    coerce(kir, &kt, &Type::Int).unwrap_or(Ir::Const(Value::Null))
                }
                _ => {
                    return err(
                        k.at,
                        format!("a JSON indexer takes a string or an int, not '{kt}'"),
                    );
                }
            };
            args.push(kir);
        }
        Ok((
            Ir::Call(Box::new(Call {
                f: library::json::set_path,
                name: "[]=",
                args,
                instance: true,
                generic: None,
                outs: vec![(0, slot)],
            })),
            Type::Json(J::Token),
        ))
    }

    /// The mutations counted so far of the local `e` names, if it is one (see `count_mutation`).
    fn mutations_of(&self, e: &Expr) -> Option<usize> {
        let ExprKind::Name(n) = &e.kind else {
            return None;
        };
        let (slot, _) = self.find(n)?;
        self.own.get(&slot).map(|o| o.mutations)
    }

    /// Counts a mutation of `slot`, refusing it when its own arguments changed `slot` (`before`
    /// is the count from before they were checked): the receiver's value was read before them,
    /// so Tollgate's copy would lose their change where .NET's shared object keeps it.
    fn count_mutation(
        &mut self,
        slot: Slot,
        before: Option<usize>,
        at: usize,
    ) -> Result<(), Error> {
        if let Some(o) = self.own.get_mut(&slot) {
            if Some(o.mutations) != before {
                let k = o.kind;
                return err(
                    at,
                    format!(
                        "the arguments of a call that modifies a {k} value cannot modify that value too: Tollgate copies {k} values where .NET shares them (modify it in a statement of its own first)"
                    ),
                );
            }
            o.mutations += 1;
        }
        Ok(())
    }

    /// What a mutating call on `target` (of type `t`) changes: `target` itself, or the root of a
    /// chain of calls that return their receiver (`sb.Append(a).Append(b)` changes `sb`);
    /// `None` when that root is a new object, which nothing else sees.
    fn mutation_root<'e>(&self, target: &'e Expr, t: &Type) -> Option<&'e Expr> {
        let mut e = target;
        loop {
            match &e.kind {
                ExprKind::New(..) => return None,
                ExprKind::Call { target: callee, .. } => match &callee.kind {
                    ExprKind::Member {
                        target: inner,
                        name,
                        ..
                    } if library::lookup(t, name)
                        .iter()
                        .any(|m| m.mutates && matches!(&m.ret, R::T(r) if r == t)) =>
                    {
                        e = inner;
                    }
                    _ => return Some(e),
                },
                _ => return Some(e),
            }
        }
    }

    /// A call of a mutating member (`o.Add(…)`, `sb.Append(…)`) on a local, on a chain of calls
    /// that return their receiver, or on a new object.
    fn mutate(
        &mut self,
        target: &Expr,
        recv: Typed,
        name: &str,
        args: &[Arg],
        nullable: bool,
        at: usize,
    ) -> Result<Typed, Error> {
        if nullable {
            return err(
                at,
                format!("'?.{name}' cannot modify a value in policy expressions"),
            );
        }
        let what = mutable_kind(&recv.1).unwrap_or("JSON");
        let Some(root) = self.mutation_root(target, &recv.1) else {
            return self.invoke(Some(recv), None, name, &[], args, at);
        };
        let slot = self.mutable_root(root, what)?;
        // Only JSON containers keep references to their arguments.
        if what == "JSON" {
            for a in args {
                if let Arg::Value(e) = a {
                    self.store_into(e, slot)?;
                }
            }
        }
        let before = self.own.get(&slot).map(|o| o.mutations);
        let (mut ir, t) = self.invoke(Some(recv), None, name, &[], args, at)?;
        self.count_mutation(slot, before, at)?;
        if let Ir::Call(c) = &mut ir {
            c.outs.insert(0, (0, slot));
        }
        Ok((ir, t))
    }

    fn local_target(&mut self, target: &Expr) -> Result<(Slot, Type), Error> {
        match &target.kind {
            ExprKind::Name(n) => self.find(n).ok_or_else(|| {
                Error::new(
                    target.at,
                    format!(
                        "the name '{n}' does not exist in the current context or cannot be assigned"
                    ),
                )
            }),
            _ => err(
                target.at,
                "only local variables can be assigned in policy expressions",
            ),
        }
    }

    fn new_object(
        &mut self,
        tn: &TypeName,
        args: &[Arg],
        init: Option<&[Expr]>,
        at: usize,
    ) -> Result<Typed, Error> {
        let t = self.type_of(tn)?;
        if let Type::List(elem) = &t {
            if !args.is_empty() {
                return err(at, "List<T> is created empty or with an initializer");
            }
            let items = self.items(init.unwrap_or(&[]), elem)?;
            return Ok((Ir::Array(items), t));
        }
        if init.is_some() {
            return err(
                at,
                format!("object initializers are not supported for '{t}'"),
            );
        }
        let Some(owner) = library::static_type(&tn.name) else {
            return err(
                at,
                format!("'new {t}(…)' is not supported in policy expressions"),
            );
        };
        let (ir, _) = self.invoke(None, Some(Type::Static(owner)), ".ctor", &[], args, at)?;
        Ok((ir, t))
    }

    fn unary(&mut self, op: &str, inner: &Expr, at: usize) -> Result<Typed, Error> {
        // `-2147483648` and `-9223372036854775808` are literals in C#.
        if op == "-"
            && let ExprKind::Lit(Lit::Long(v)) = inner.kind
            && v == 2_147_483_648
        {
            return Ok((Ir::Const(Value::Int(i32::MIN)), Type::Int));
        }
        let (ir, t) = self.expr(inner)?;
        let bad = || {
            Error::new(
                at,
                format!("operator '{op}' cannot be applied to operand of type '{t}'"),
            )
        };
        Ok(match op {
            "!" => match t.strip_nullable() {
                Type::Bool => (Ir::Unary(Un::Not, Box::new(ir)), t.clone()),
                _ => return Err(bad()),
            },
            "-" | "+" | "~" => {
                if op == "-" && t == Type::TimeSpan {
                    return Ok((Ir::Unary(Un::Neg(Num::Ticks), Box::new(ir)), t));
                }
                let num = num_of(&t).ok_or_else(bad)?;
                let target = num_type(num, matches!(t, Type::Nullable(_)));
                let ir = coerce(ir, &t, &target).ok_or_else(bad)?;
                match op {
                    "+" => (ir, target),
                    "-" => (Ir::Unary(Un::Neg(num), Box::new(ir)), target),
                    _ if num == Num::Double => return Err(bad()),
                    _ => (Ir::Unary(Un::Compl(num), Box::new(ir)), target),
                }
            }
            _ => return Err(bad()),
        })
    }

    fn binary(&mut self, op: &str, a: &Expr, b: &Expr, at: usize) -> Result<Typed, Error> {
        let (ai, at_) = self.expr(a)?;
        let (bi, bt) = self.expr(b)?;
        let bad = || {
            Error::new(
                at,
                format!("operator '{op}' cannot be applied to operands of type '{at_}' and '{bt}'"),
            )
        };
        let bx = |ir: Ir| Box::new(ir);
        match op {
            "&&" | "||" => {
                let ai = coerce(ai, &at_, &Type::Bool).ok_or_else(bad)?;
                let bi = coerce(bi, &bt, &Type::Bool).ok_or_else(bad)?;
                let ir = if op == "&&" {
                    Ir::AndAlso(bx(ai), bx(bi))
                } else {
                    Ir::OrElse(bx(ai), bx(bi))
                };
                return Ok((ir, Type::Bool));
            }
            "??" => {
                if !at_.is_reference() || at_ == Type::Null {
                    return Err(bad());
                }
                let target = match (&at_, &bt) {
                    (Type::Nullable(x), y) if coerce(Ir::Const(Value::Null), y, x).is_some() => {
                        (**x).clone()
                    }
                    _ => unify(&at_, &bt).ok_or_else(bad)?,
                };
                let ai = coerce(ai, &at_, &target).unwrap_or(Ir::Const(Value::Null));
                let bi = coerce(bi, &bt, &target).ok_or_else(bad)?;
                return Ok((Ir::Coalesce(bx(ai), bx(bi)), target));
            }
            "==" | "!=" => {
                let o = if op == "==" { Bin::Eq } else { Bin::Ne };
                let plain = |t: &Type| !matches!(t, Type::Json(_) | Type::Null | Type::Object);
                if matches!(at_, Type::Json(_)) && plain(&bt)
                    || matches!(bt, Type::Json(_)) && plain(&at_)
                {
                    return err(
                        at,
                        format!(
                            "operator '{op}' cannot be applied to operands of type '{at_}' and '{bt}': convert the token first, e.g. (string)token"
                        ),
                    );
                }
                if let Some(t) = promote(&at_, &bt) {
                    let ai = coerce(ai, &at_, &t).ok_or_else(bad)?;
                    let bi = coerce(bi, &bt, &t).ok_or_else(bad)?;
                    return Ok((Ir::Binary(o, bx(ai), bx(bi)), Type::Bool));
                }
                let Some(u) = unify(&at_, &bt) else {
                    return Err(bad());
                };
                // A DateTime compared with a DateTimeOffset converts to one; `el.Name == "a"`
                // compares names: the string converts to an XName.
                let (ai, bi) =
                    if *u.strip_nullable() == Type::DateTimeOffset || matches!(u, Type::Named(_)) {
                        (
                            coerce(ai, &at_, &u).ok_or_else(bad)?,
                            coerce(bi, &bt, &u).ok_or_else(bad)?,
                        )
                    } else {
                        (ai, bi)
                    };
                return Ok((Ir::Binary(o, bx(ai), bx(bi)), Type::Bool));
            }
            _ => {}
        }
        let (sa, sb) = (at_.strip_nullable(), bt.strip_nullable());
        let lifted = matches!(at_, Type::Nullable(_)) || matches!(bt, Type::Nullable(_));
        // `ns + "local"` is an XName.
        if op == "+" && at_ == Type::Named("XNamespace") && bt == Type::String {
            return Ok((library::xml::plus(ai, bi), Type::Named("XName")));
        }
        // Strings concatenate with anything.
        if op == "+" && (at_ == Type::String || bt == Type::String) {
            if matches!(at_, Type::Void | Type::Static(_))
                || matches!(bt, Type::Void | Type::Static(_))
            {
                return Err(bad());
            }
            return Ok((Ir::Binary(Bin::Concat, bx(ai), bx(bi)), Type::String));
        }
        // Dates and durations; a DateTime meeting a DateTimeOffset converts to one.
        let dates = [Type::DateTime, Type::DateTimeOffset];
        let (ai, bi, sa, sb) = if sa != sb && dates.contains(sa) && dates.contains(sb) {
            let to_offset = |ir: Ir, t: &Type| {
                let target = if matches!(t, Type::Nullable(_)) {
                    Type::Nullable(Box::new(Type::DateTimeOffset))
                } else {
                    Type::DateTimeOffset
                };
                coerce(ir, t, &target).ok_or_else(bad)
            };
            let offset = &dates[1];
            (to_offset(ai, &at_)?, to_offset(bi, &bt)?, offset, offset)
        } else {
            (ai, bi, sa, sb)
        };
        let time = match (op, sa, sb) {
            ("+", Type::DateTime, Type::TimeSpan) => Some((Bin::TimeAdd, Type::DateTime)),
            ("+" | "-", Type::TimeSpan, Type::TimeSpan) => Some((
                if op == "+" {
                    Bin::TimeAdd
                } else {
                    Bin::TimeSub
                },
                Type::TimeSpan,
            )),
            ("-", Type::DateTime, Type::TimeSpan) => Some((Bin::TimeSub, Type::DateTime)),
            ("-", Type::DateTime, Type::DateTime) => Some((Bin::DateDiff, Type::TimeSpan)),
            ("+", Type::DateTimeOffset, Type::TimeSpan) => {
                Some((Bin::TimeAdd, Type::DateTimeOffset))
            }
            ("-", Type::DateTimeOffset, Type::TimeSpan) => {
                Some((Bin::TimeSub, Type::DateTimeOffset))
            }
            ("-", Type::DateTimeOffset, Type::DateTimeOffset) => {
                Some((Bin::DateDiff, Type::TimeSpan))
            }
            ("<" | "<=" | ">" | ">=", Type::DateTime, Type::DateTime)
            | ("<" | "<=" | ">" | ">=", Type::DateTimeOffset, Type::DateTimeOffset)
            | ("<" | "<=" | ">" | ">=", Type::TimeSpan, Type::TimeSpan) => {
                Some((cmp(op, Num::Ticks), Type::Bool))
            }
            _ => None,
        };
        if let Some((o, t)) = time {
            let t = if lifted && t != Type::Bool {
                Type::Nullable(Box::new(t))
            } else {
                t
            };
            return Ok((Ir::Binary(o, bx(ai), bx(bi)), t));
        }
        if matches!(op, "&" | "|" | "^") && *sa == Type::Bool && *sb == Type::Bool {
            let o = match op {
                "&" => Bin::And(Num::Bool),
                "|" => Bin::Or(Num::Bool),
                _ => Bin::Xor(Num::Bool),
            };
            return Ok((
                Ir::Binary(o, bx(ai), bx(bi)),
                if lifted { at_.clone() } else { Type::Bool },
            ));
        }
        if matches!(op, "<<" | ">>") {
            let num = num_of(&at_).filter(|n| *n != Num::Double).ok_or_else(bad)?;
            let lt = num_type(num, lifted);
            let ai = coerce(ai, &at_, &lt).ok_or_else(bad)?;
            let bi = coerce(bi, &bt, &Type::Int).ok_or_else(bad)?;
            let o = if op == "<<" {
                Bin::Shl(num)
            } else {
                Bin::Shr(num)
            };
            return Ok((Ir::Binary(o, bx(ai), bx(bi)), lt));
        }
        let t = promote(&at_, &bt).ok_or_else(bad)?;
        let num = num_of(&t).ok_or_else(bad)?;
        let ai = coerce(ai, &at_, &t).ok_or_else(bad)?;
        let bi = coerce(bi, &bt, &t).ok_or_else(bad)?;
        let o = match op {
            "+" => Bin::Add(num),
            "-" => Bin::Sub(num),
            "*" => Bin::Mul(num),
            "/" => Bin::Div(num),
            "%" => Bin::Rem(num),
            "&" | "|" | "^" if num == Num::Double => return Err(bad()),
            "&" => Bin::And(num),
            "|" => Bin::Or(num),
            "^" => Bin::Xor(num),
            "<" | "<=" | ">" | ">=" => {
                return Ok((Ir::Binary(cmp(op, num), bx(ai), bx(bi)), Type::Bool));
            }
            _ => return Err(bad()),
        };
        Ok((Ir::Binary(o, bx(ai), bx(bi)), t))
    }
}

fn cmp(op: &str, n: Num) -> Bin {
    match op {
        "<" => Bin::Lt(n),
        "<=" => Bin::Le(n),
        ">" => Bin::Gt(n),
        _ => Bin::Ge(n),
    }
}

fn num_type(n: Num, nullable: bool) -> Type {
    let t = match n {
        Num::Long => Type::Long,
        Num::Double => Type::Double,
        _ => Type::Int,
    };
    if nullable {
        Type::Nullable(Box::new(t))
    } else {
        t
    }
}

/// A dotted name (`a.b.c`): its first name and the whole path.
fn dotted(e: &Expr) -> Option<(String, String)> {
    match &e.kind {
        ExprKind::Name(n) => Some((n.clone(), n.clone())),
        ExprKind::Member {
            target,
            name,
            type_args,
            nullable: false,
        } if type_args.is_empty() => {
            let (root, path) = dotted(target)?;
            Some((root, format!("{path}.{name}")))
        }
        _ => None,
    }
}

/// The common numeric type of two operands (int < long < double), lifted when either is `T?`.
fn promote(a: &Type, b: &Type) -> Option<Type> {
    let (ra, rb) = (
        a.strip_nullable().numeric_rank()?,
        b.strip_nullable().numeric_rank()?,
    );
    let n = match ra.max(rb) {
        0 => Num::Int,
        1 => Num::Long,
        _ => Num::Double,
    };
    Some(num_type(
        n,
        matches!(a, Type::Nullable(_)) || matches!(b, Type::Nullable(_)),
    ))
}

fn generic_from(t: &Type) -> Option<Type> {
    Some(t.clone())
}

fn literal(l: &Lit) -> Typed {
    match l {
        Lit::Null => (Ir::Const(Value::Null), Type::Null),
        Lit::Bool(b) => (Ir::Const(Value::Bool(*b)), Type::Bool),
        Lit::Int(i) => (Ir::Const(Value::Int(*i)), Type::Int),
        Lit::Long(i) => (Ir::Const(Value::Long(*i)), Type::Long),
        Lit::Double(d) => (Ir::Const(Value::Double(*d)), Type::Double),
        Lit::Char(c) => (Ir::Const(Value::Char(*c)), Type::Char),
        Lit::Str(s) => (Ir::Const(Value::from(s.as_str())), Type::String),
    }
}

/// The default value of a type.
pub(crate) fn default_value(t: &Type) -> Value {
    match t {
        Type::Bool => Value::Bool(false),
        Type::Int | Type::Byte => Value::Int(0),
        Type::Long => Value::Long(0),
        Type::Double => Value::Double(0.0),
        Type::Char => Value::Char('\0'),
        Type::DateTime => Value::DateTime(0),
        Type::TimeSpan => Value::TimeSpan(0),
        Type::DateTimeOffset => library::offset::from_datetime(0),
        Type::Guid => Value::Guid(0),
        _ => Value::Null,
    }
}

/// An implicit conversion of `ir` from `from` to `to`, if C# has one.
pub(crate) fn coerce(ir: Ir, from: &Type, to: &Type) -> Option<Ir> {
    if from == to
        || *to == Type::Object
            && *from != Type::Void
            && !matches!(from, Type::Static(_) | Type::Func(..))
    {
        return Some(ir);
    }
    let conv = |c: Conv| Some(Ir::Conv(c, Box::new(ir.clone())));
    match (from, to) {
        (Type::Null, t) if t.is_reference() => Some(Ir::Const(Value::Null)),
        (Type::Json(J::Object | J::Array | J::Value), Type::Json(J::Token)) => Some(ir),
        (
            Type::String
            | Type::Int
            | Type::Long
            | Type::Double
            | Type::Bool
            | Type::Char
            | Type::Byte
            | Type::DateTime
            | Type::Guid,
            Type::Json(J::Token | J::Value),
        ) => conv(Conv::ToJson),
        (Type::Json(J::Array), Type::Seq(b)) if **b == Type::Json(J::Token) => Some(ir),
        (Type::DateTime, Type::DateTimeOffset) => conv(Conv::Offset),
        (Type::Char, Type::Int) => conv(Conv::Int),
        (Type::Byte, Type::Int) => Some(ir),
        (Type::Int | Type::Char | Type::Byte, Type::Long) => conv(Conv::Long),
        (Type::Int | Type::Long | Type::Char | Type::Byte, Type::Double) => conv(Conv::Double),
        (Type::Nullable(a), Type::Nullable(b)) => coerce(ir, a, b),
        (a, Type::Nullable(b)) => coerce(ir, a, b),
        (Type::Array(a) | Type::List(a) | Type::Seq(a), Type::Seq(b))
            if a == b || **b == Type::Object && a.is_reference() =>
        {
            Some(ir)
        }
        (Type::String, Type::Seq(b)) if **b == Type::Char => Some(ir),
        (Type::Dict(v), Type::Seq(p)) if **p == Type::Pair(v.clone()) => Some(ir),
        (Type::Array(a), Type::Array(b)) if **b == Type::Object && a.is_reference() => Some(ir),
        (Type::String, Type::Named(n)) => library::xml::from_string(ir, n),
        _ => None,
    }
}

/// An explicit conversion (a cast) of `ir` from `from` to `to`.
fn explicit(ir: Ir, from: &Type, to: &Type) -> Option<Ir> {
    let num = |t: &Type| {
        matches!(
            t,
            Type::Int | Type::Long | Type::Double | Type::Char | Type::Byte
        )
    };
    if let Type::Json(_) = from {
        let ok = matches!(
            to.strip_nullable(),
            Type::String
                | Type::Int
                | Type::Long
                | Type::Double
                | Type::Bool
                | Type::Byte
                | Type::DateTime
                | Type::Json(_)
        );
        return ok.then(|| Ir::Conv(Conv::FromJson(to.clone()), Box::new(ir)));
    }
    let c = match to.strip_nullable() {
        _ if num(from) && num(to) => match to {
            Type::Int => Conv::Int,
            Type::Long => Conv::Long,
            Type::Double => Conv::Double,
            Type::Char => Conv::Char,
            _ => Conv::Byte,
        },
        _ if from.is_reference()
            && (*from == Type::Object || matches!(from, Type::Seq(_) | Type::Nullable(_))) =>
        {
            Conv::Cast(to.clone())
        }
        _ => return None,
    };
    Some(Ir::Conv(c, Box::new(ir)))
}

/// The common type of two branches.
fn unify(a: &Type, b: &Type) -> Option<Type> {
    if a == b {
        return Some(a.clone());
    }
    if let Some(t) = promote(a, b) {
        return Some(t);
    }
    match (a, b) {
        (Type::Null, t) | (t, Type::Null) if t.is_reference() => Some(t.clone()),
        (Type::Null, t) | (t, Type::Null) => Some(Type::Nullable(Box::new(t.clone()))),
        (Type::Nullable(x), y) | (y, Type::Nullable(x)) if **x == *y => {
            Some(Type::Nullable(x.clone()))
        }
        _ if coerce(Ir::Const(Value::Null), a, b).is_some() => Some(b.clone()),
        _ if coerce(Ir::Const(Value::Null), b, a).is_some() => Some(a.clone()),
        _ => None,
    }
}

/// The result type of a block's returns: their common type, else `object`.
fn unify_all(ts: &[Type]) -> Type {
    let mut it = ts.iter();
    let Some(first) = it.next() else {
        return Type::Object;
    };
    it.try_fold(first.clone(), |acc, t| unify(&acc, t))
        .unwrap_or(Type::Object)
}

/// The names an expression mentions (conservatively: every `Name` in it).
fn names_in(e: &Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Name(n) => out.push(n.clone()),
        ExprKind::Lit(_)
        | ExprKind::GenericName(..)
        | ExprKind::Default(_)
        | ExprKind::Typeof(_) => {}
        ExprKind::Interp(parts) => {
            for p in parts {
                if let InterpPart::Hole(x, _) = p {
                    names_in(x, out);
                }
            }
        }
        ExprKind::Member { target, .. } => names_in(target, out),
        ExprKind::Index { target, args, .. } => {
            names_in(target, out);
            args.iter().for_each(|a| names_in(a, out));
        }
        ExprKind::Call { target, args } => {
            names_in(target, out);
            for a in args {
                if let Arg::Value(x) = a {
                    names_in(x, out);
                }
            }
        }
        ExprKind::New(_, args, init) => {
            for a in args {
                if let Arg::Value(x) = a {
                    names_in(x, out);
                }
            }
            init.iter().flatten().for_each(|x| names_in(x, out));
        }
        ExprKind::Unary(_, x)
        | ExprKind::IncDec(_, _, x)
        | ExprKind::Cast(_, x)
        | ExprKind::Is(x, _, _)
        | ExprKind::IsNull(x, _)
        | ExprKind::As(x, _) => names_in(x, out),
        ExprKind::Binary(_, a, b) | ExprKind::Assign(_, a, b) => {
            names_in(a, out);
            names_in(b, out);
        }
        ExprKind::Cond(a, b, c) => {
            names_in(a, out);
            names_in(b, out);
            names_in(c, out);
        }
        ExprKind::NewArray(_, size, items) => {
            size.iter().for_each(|x| names_in(x, out));
            items.iter().for_each(|x| names_in(x, out));
        }
        ExprKind::Lambda(_, body) => match body {
            SynBody::Expr(x) => names_in(x, out),
            SynBody::Block(stmts) => stmts.iter().for_each(|s| stmt_names(s, out)),
        },
    }
}

fn stmt_names(s: &Stmt, out: &mut Vec<String>) {
    match &s.kind {
        StmtKind::Decl(_, vars) => vars
            .iter()
            .filter_map(|v| v.1.as_ref())
            .for_each(|x| names_in(x, out)),
        StmtKind::Expr(x) | StmtKind::Return(Some(x)) => names_in(x, out),
        StmtKind::If(c, a, b) => {
            names_in(c, out);
            stmt_names(a, out);
            b.iter().for_each(|b| stmt_names(b, out));
        }
        StmtKind::Foreach(_, _, x, b) | StmtKind::While(x, b) | StmtKind::DoWhile(b, x) => {
            names_in(x, out);
            stmt_names(b, out);
        }
        StmtKind::For(i, c, st, b) => {
            i.iter().for_each(|x| stmt_names(x, out));
            c.iter().for_each(|x| names_in(x, out));
            st.iter().for_each(|x| names_in(x, out));
            stmt_names(b, out);
        }
        StmtKind::Block(b) => b.iter().for_each(|x| stmt_names(x, out)),
        _ => {}
    }
}

/// Whether every path through the statements returns.
fn always_returns(body: &[Stmt]) -> bool {
    body.iter().any(stmt_returns)
}

fn stmt_returns(s: &Stmt) -> bool {
    match &s.kind {
        StmtKind::Return(_) => true,
        StmtKind::Block(b) => always_returns(b),
        StmtKind::If(_, a, Some(b)) => stmt_returns(a) && stmt_returns(b),
        StmtKind::While(
            Expr {
                kind: ExprKind::Lit(Lit::Bool(true)),
                ..
            },
            body,
        ) => !breaks(body),
        StmtKind::For(_, None, _, body) => !breaks(body),
        _ => false,
    }
}

/// Whether a loop body has a `break` for that loop.
fn breaks(s: &Stmt) -> bool {
    match &s.kind {
        StmtKind::Break => true,
        StmtKind::Block(b) => b.iter().any(breaks),
        StmtKind::If(_, a, b) => breaks(a) || b.as_deref().is_some_and(breaks),
        _ => false,
    }
}

/// `o.Property(k).Remove()` on a local `o`: the local and the key argument.
fn property_remove<'e>(
    target: &'e Expr,
    name: &str,
    args: &[Arg],
) -> Option<(&'e Expr, &'e [Arg])> {
    let ExprKind::Call { target, args: key } = &target.kind else {
        return None;
    };
    let ExprKind::Member {
        target: object,
        name: property,
        type_args,
        nullable: false,
    } = &target.kind
    else {
        return None;
    };
    let plain = name == "Remove" && args.is_empty() && property == "Property";
    (plain && type_args.is_empty() && key.len() == 1 && matches!(object.kind, ExprKind::Name(_)))
        .then_some((&**object, &key[..]))
}
