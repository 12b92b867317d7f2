//! The syntax tree of C# expressions and statements, as parsed (before type checking).

/// A type as written: `string`, `JObject`, `IEnumerable<string>`, `int[]`, `int?`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TypeName {
    pub name: String,
    pub args: Vec<TypeName>,
    pub array: usize,
    pub nullable: bool,
    pub at: usize,
}

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Double(f64),
    Char(char),
    Str(String),
}

/// An interpolated-string part.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InterpPart {
    Text(String),
    Hole(Expr, Option<String>),
}

/// An argument of an invocation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Value(Expr),
    /// `out x`, `out var x`, `out T x`.
    Out {
        name: String,
        decl: Option<Option<TypeName>>,
        at: usize,
    },
}

/// A lambda body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LambdaBody {
    Expr(Box<Expr>),
    Block(Vec<Stmt>),
}

/// An expression and its byte offset.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub at: usize,
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    Lit(Lit),
    Interp(Vec<InterpPart>),
    Name(String),
    /// `target.name<args>` (or `?.` when `nullable`).
    Member {
        target: Box<Expr>,
        name: String,
        type_args: Vec<TypeName>,
        nullable: bool,
    },
    /// A generic name in call position: `Foo<T>`.
    GenericName(String, Vec<TypeName>),
    Index {
        target: Box<Expr>,
        args: Vec<Expr>,
        nullable: bool,
    },
    Call {
        target: Box<Expr>,
        args: Vec<Arg>,
    },
    Unary(&'static str, Box<Expr>),
    /// `++x`, `x--`, …: operator, prefix?, target.
    IncDec(&'static str, bool, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Assign(&'static str, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Cast(TypeName, Box<Expr>),
    Is(Box<Expr>, TypeName, Option<String>),
    IsNull(Box<Expr>, bool),
    As(Box<Expr>, TypeName),
    New(TypeName, Vec<Arg>, Option<Vec<Expr>>),
    /// `new[] {…}` (no element type) or `new T[n]` / `new T[] {…}`.
    NewArray(Option<TypeName>, Option<Box<Expr>>, Vec<Expr>),
    Lambda(Vec<(Option<TypeName>, String)>, LambdaBody),
    Default(Option<TypeName>),
    Typeof(TypeName),
}

/// A statement and its byte offset.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stmt {
    pub kind: StmtKind,
    pub at: usize,
}

/// Statement forms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StmtKind {
    /// `var x = …;` (type `None`) or `T x = …, y;`.
    Decl(Option<TypeName>, Vec<(String, Option<Expr>, usize)>),
    Expr(Expr),
    If(Expr, Box<Stmt>, Option<Box<Stmt>>),
    Return(Option<Expr>),
    Foreach(Option<TypeName>, String, Expr, Box<Stmt>),
    For(Vec<Stmt>, Option<Expr>, Vec<Expr>, Box<Stmt>),
    While(Expr, Box<Stmt>),
    DoWhile(Box<Stmt>, Expr),
    Break,
    Continue,
    Block(Vec<Stmt>),
    Empty,
}
