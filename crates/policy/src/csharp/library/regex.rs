//! `System.Text.RegularExpressions`: `Regex` (static and instance `IsMatch`, `Match`,
//! `Matches`, `Replace` with a replacement pattern or a `MatchEvaluator` lambda, `Split`;
//! `Escape`, `Unescape`), `RegexOptions`, `Match`, `Group`, `GroupCollection` and
//! `MatchCollection`.
//!
//! Patterns are translated from .NET's syntax ([`translate`]) and run by the `regex` crate,
//! which matches in time linear in the input (no catastrophic backtracking); its size limits
//! refuse patterns that would compile too large. Indices and lengths count characters, as
//! everywhere in the interpreter.
//!
//! Compiling: a pattern written as a string literal, with constant options, is compiled once
//! by the checker ([`precompile`]), which puts the compiled regex in the checked program in
//! place of the literal. A program is checked once per policy and evaluated per call, so no
//! literal pattern is compiled per evaluation, and an invalid or unsupported one is refused
//! when the policy is saved. Any other pattern is compiled when evaluated: an invalid one is an
//! `ArgumentException`, one Tollgate does not support a `NotSupportedException`.

mod replace;
mod translate;

use std::mem::size_of;
use std::sync::{Arc, OnceLock};

use super::crypto::Obj;
use super::{P, Registry, int_arg, str_arg, t};
use crate::csharp::context::Context;
use crate::csharp::eval::{Limits, Machine};
use crate::csharp::ir::{Bin, Ir, Num};
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, Value, fail};
use replace::{With, expand, parse_replacement, replace, split};
use translate::{Problem, opt};

type Res = Result<Value, EvalError>;

/// The most bytes a compiled pattern may take (the crate's `size_limit`): `\w{100}` and
/// `[\w.-]{1,100}` fit, `[\w.-]{1,256}` does not (Unicode classes are large automata).
const SIZE_LIMIT: usize = 8 << 20;
/// The most bytes of a pattern's lazy DFA cache (the crate's `dfa_size_limit`).
const DFA_SIZE_LIMIT: usize = 2 << 20;
/// Input bytes per step charged for searching.
const BYTES_PER_STEP: usize = 16;

/// A compiled pattern.
#[derive(Debug)]
pub struct Compiled {
    pattern: Arc<str>,
    re: regex::Regex,
    /// .NET's groups in number order: name, and the crate's capture index.
    groups: Vec<(Arc<str>, usize)>,
    /// Whether some group has a name (group names are then looked up as names only).
    named: bool,
    /// Capture indices of the newline a final `$` consumed (see [`translate`]).
    newlines: Vec<usize>,
    /// A `$`/`\Z` before the pattern's end: text ending with `\n` is refused.
    inner_end: bool,
    /// `\b`/`\B`: text with characters .NET and the crate class differently is refused.
    boundary: bool,
}

/// A group's place in the input: bytes, and characters for `Index` and `Length`.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    index: usize,
    length: usize,
}

/// A `Match`: a successful one, or `Match.Empty` (no regex, one group that failed).
#[derive(Debug)]
pub struct MatchData {
    re: Option<Arc<Compiled>>,
    input: Arc<str>,
    /// Groups by .NET number; None for a group that did not participate.
    groups: Vec<Option<Span>>,
    /// Where `NextMatch` searches: byte offset and character index (None: past the end).
    next: Option<(usize, usize)>,
}

/// The regular-expression objects.
#[derive(Debug)]
pub enum Rx {
    /// `Regex`.
    Regex(Arc<Compiled>),
    /// `Match` (also `Groups[0]`).
    Match(Arc<MatchData>),
    /// `Group` by number.
    Group(Arc<MatchData>, usize),
    /// The failed group of an unknown name or number.
    EmptyGroup,
    /// `GroupCollection`.
    Groups(Arc<MatchData>),
    /// `MatchCollection` (its `Match` values).
    Matches(Arc<[Value]>),
}

impl Rx {
    /// The type's table key.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Rx::Regex(_) => "Regex",
            Rx::Match(_) => "Match",
            Rx::Group(..) | Rx::EmptyGroup => "Group",
            Rx::Groups(_) => "GroupCollection",
            Rx::Matches(_) => "MatchCollection",
        }
    }

    /// .NET's `ToString()`: the pattern of a `Regex`, the text of a `Match` or `Group`.
    pub(crate) fn to_dotnet_string(&self) -> String {
        match self {
            Rx::Regex(c) => c.pattern.to_string(),
            Rx::Groups(_) => "System.Text.RegularExpressions.GroupCollection".into(),
            Rx::Matches(_) => "System.Text.RegularExpressions.MatchCollection".into(),
            _ => self.text().to_owned(),
        }
    }

    /// The items of a `MatchCollection`.
    pub(crate) fn items(&self) -> Option<Arc<[Value]>> {
        match self {
            Rx::Matches(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// The match and group number of a `Match` or `Group`.
    fn group(&self) -> Option<(&MatchData, usize)> {
        match self {
            Rx::Match(md) => Some((md, 0)),
            Rx::Group(md, g) => Some((md, *g)),
            _ => None,
        }
    }

    fn span(&self) -> Option<Span> {
        self.group().and_then(|(md, g)| md.groups[g])
    }

    fn text(&self) -> &str {
        match self.group() {
            Some((md, g)) => md.groups[g].map_or("", |s| &md.input[s.start..s.end]),
            None => "",
        }
    }
}

fn obj(rx: Rx) -> Value {
    Value::Obj(Arc::new(Obj::Regex(rx)))
}

fn rx(v: &Value) -> Result<&Rx, EvalError> {
    match v {
        Value::Obj(o) => match &**o {
            Obj::Regex(r) => Ok(r),
            _ => fail(ErrorKind::InvalidCast, "not a regular-expression object"),
        },
        Value::Null => super::null_ref(),
        _ => fail(ErrorKind::InvalidCast, "not a regular-expression object"),
    }
}

fn null_arg<T>(name: &str) -> Result<T, EvalError> {
    fail(
        ErrorKind::ArgumentNull,
        format!("value cannot be null (parameter '{name}')"),
    )
}

fn string_arg(v: &Value, name: &str) -> Result<Arc<str>, EvalError> {
    match v {
        Value::Null => null_arg(name),
        v => str_arg(v),
    }
}

fn out_of_range<T>(name: &str) -> Result<T, EvalError> {
    fail(
        ErrorKind::ArgumentOutOfRange,
        format!("specified argument was out of the range of valid values (parameter '{name}')"),
    )
}

// ---- compiling ----

/// Compiles a .NET pattern under `RegexOptions`; the error is the exception .NET throws (or
/// `NotSupportedException` for what Tollgate does not support).
fn compile(pattern: &str, options: i32) -> Result<Compiled, EvalError> {
    if !(0..2048).contains(&options) {
        return out_of_range("options");
    }
    for (bit, name) in [
        (opt::RIGHT_TO_LEFT, "RightToLeft"),
        (opt::ECMASCRIPT, "ECMAScript"),
        (opt::NON_BACKTRACKING, "NonBacktracking"),
    ] {
        if options & bit != 0 {
            return fail(
                ErrorKind::NotSupported,
                format!("RegexOptions.{name} is not supported"),
            );
        }
    }
    let shown: String = if pattern.chars().count() > 80 {
        pattern.chars().take(80).chain("…".chars()).collect()
    } else {
        pattern.to_owned()
    };
    let t = translate::translate(pattern, options).map_err(|p| match p {
        Problem::Invalid(why) => EvalError::new(
            ErrorKind::Argument,
            format!("invalid pattern '{shown}' {why}"),
        ),
        Problem::Unsupported(why) => EvalError::new(
            ErrorKind::NotSupported,
            format!("the pattern '{shown}' is not supported {why}"),
        ),
    })?;
    let re = regex::RegexBuilder::new(&t.rust)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let why = match e {
                regex::Error::CompiledTooBig(n) => {
                    format!("it compiles to more than {n} bytes")
                }
                other => format!("it could not be translated ({other})"),
            };
            EvalError::new(
                ErrorKind::NotSupported,
                format!("the pattern '{shown}' is not supported: {why}"),
            )
        })?;
    let named = t
        .groups
        .iter()
        .enumerate()
        .any(|(i, (n, _))| *n != i.to_string());
    Ok(Compiled {
        pattern: Arc::from(pattern),
        re,
        groups: t
            .groups
            .into_iter()
            .map(|(n, i)| (Arc::from(n), i))
            .collect(),
        named,
        newlines: t.newlines,
        inner_end: t.inner_end,
        boundary: t.boundary,
    })
}

/// The check-time step of the static members and the constructor: a pattern given as a
/// literal, with options that are constant, is compiled now and replaces the literal (or is
/// refused with the reason).
fn precompile(a: &mut [Ir], pattern: usize, options: usize) -> Result<(), String> {
    let Some(Ir::Const(Value::Str(p))) = a.get(pattern) else {
        return Ok(());
    };
    let p = p.clone();
    let o = match a.get(options) {
        None => 0,
        Some(ir) => match const_int(ir) {
            Some(o) => o,
            None => return Ok(()),
        },
    };
    let c = compile(&p, o).map_err(|e| format!("Regex: {}", e.message))?;
    a[pattern] = Ir::Const(obj(Rx::Regex(Arc::new(c))));
    Ok(())
}

/// The names of the `RegexOptions` members.
const OPTIONS: &[(&str, i32)] = &[
    ("None", 0),
    ("IgnoreCase", opt::IGNORE_CASE),
    ("Multiline", opt::MULTILINE),
    ("ExplicitCapture", opt::EXPLICIT_CAPTURE),
    ("Compiled", opt::COMPILED),
    ("Singleline", opt::SINGLELINE),
    ("IgnorePatternWhitespace", opt::IGNORE_PATTERN_WHITESPACE),
    ("RightToLeft", opt::RIGHT_TO_LEFT),
    ("ECMAScript", opt::ECMASCRIPT),
    ("CultureInvariant", opt::CULTURE_INVARIANT),
    ("NonBacktracking", opt::NON_BACKTRACKING),
];

/// The value of constant options: int literals, `RegexOptions` members and their `|`.
fn const_int(ir: &Ir) -> Option<i32> {
    match ir {
        Ir::Const(Value::Int(i)) => Some(*i),
        Ir::Binary(Bin::Or(Num::Int), a, b) => Some(const_int(a)? | const_int(b)?),
        Ir::Call(c)
            if c.args.is_empty() && !c.instance && OPTIONS.iter().any(|(n, _)| *n == c.name) =>
        {
            // A static property without arguments: evaluating it has no effect.
            let ctx = Context::default();
            let mut m = Machine::new(&ctx, 0, Limits::default());
            match (c.f)(&mut m, &mut [], None) {
                Ok(Value::Int(i)) => Some(i),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The regex of a static member's pattern argument: compiled by the checker, or now.
fn pattern_arg(
    m: &mut Machine<'_>,
    a: &[Value],
    options: usize,
) -> Result<Arc<Compiled>, EvalError> {
    match &a[1] {
        Value::Obj(o) => match &**o {
            Obj::Regex(Rx::Regex(c)) => Ok(c.clone()),
            _ => fail(ErrorKind::InvalidCast, "the pattern is not a string"),
        },
        Value::Null => null_arg("pattern"),
        v => {
            let p = str_arg(v)?;
            m.step(1 + (p.len() / 8) as u64)?;
            let o = a.get(options).map_or(0, int_arg);
            compile(&p, o).map(Arc::new)
        }
    }
}

fn regex_of(v: &Value) -> Result<Arc<Compiled>, EvalError> {
    match rx(v)? {
        Rx::Regex(c) => Ok(c.clone()),
        _ => fail(ErrorKind::InvalidCast, "not a Regex"),
    }
}

// ---- matching ----

/// Refuses input on which the translation would not match as .NET does.
fn prepare(m: &mut Machine<'_>, c: &Compiled, input: &str) -> Result<(), EvalError> {
    if c.inner_end && input.ends_with('\n') {
        return fail(
            ErrorKind::NotSupported,
            "a pattern with '$' or '\\Z' before its end, on text ending with a newline, is not supported",
        );
    }
    if c.boundary {
        m.step((input.len() / 64) as u64)?;
        static MISMATCH: OnceLock<regex::Regex> = OnceLock::new();
        // The crate's `\b` uses UTS#18 word characters; .NET's are `\w` and the zero-width
        // (non-)joiner: text with a character on which they differ is refused.
        let dotnet = r"\p{L}\p{Mn}\p{Nd}\p{Pc}\x{200C}\x{200D}";
        let mismatch = MISMATCH.get_or_init(|| {
            regex::Regex::new(&format!(r"[[\w--[{dotnet}]][[{dotnet}]--\w]]")).expect("valid")
        });
        if let Some(x) = mismatch.find(input) {
            return fail(
                ErrorKind::NotSupported,
                format!(
                    "'\\b' or '\\B' on text with '{}' (U+{:04X}) is not supported: .NET and Tollgate class it differently",
                    x.as_str(),
                    x.as_str().chars().next().map_or(0, |c| c as u32)
                ),
            );
        }
    }
    Ok(())
}

/// Byte spans of .NET's groups, by number.
type Spans = Vec<Option<(usize, usize)>>;

/// The first match starting at or after byte `from`.
fn find_at(
    m: &mut Machine<'_>,
    c: &Compiled,
    input: &str,
    from: usize,
) -> Result<Option<Spans>, EvalError> {
    let found = c.re.captures_at(input, from);
    let end = found
        .as_ref()
        .and_then(|x| x.get(0))
        .map_or(input.len(), |x| x.end());
    m.step(1 + (end.saturating_sub(from) / BYTES_PER_STEP) as u64)?;
    let Some(caps) = found else {
        return Ok(None);
    };
    // A final `$` matched before the last `\n`, which the translation consumed: cut it off.
    let cut = c
        .newlines
        .iter()
        .find_map(|i| caps.get(*i))
        .map(|nl| nl.start());
    Ok(Some(
        c.groups
            .iter()
            .map(|(_, i)| {
                caps.get(*i).map(|g| match cut {
                    Some(k) => (g.start().min(k), g.end().min(k)),
                    None => (g.start(), g.end()),
                })
            })
            .collect(),
    ))
}

/// Visits the matches as .NET finds them: each search starts where the previous match ended,
/// one character further after an empty match; `each` says whether to go on.
fn scan(
    m: &mut Machine<'_>,
    c: &Compiled,
    input: &str,
    mut each: impl FnMut(&mut Machine<'_>, &Spans) -> Result<bool, EvalError>,
) -> Result<(), EvalError> {
    let mut at = 0;
    while let Some(spans) = find_at(m, c, input, at)? {
        let Some((s, e)) = spans[0] else {
            return Ok(());
        };
        if !each(m, &spans)? {
            return Ok(());
        }
        at = if e > s {
            e
        } else {
            match input[e..].chars().next() {
                Some(ch) => e + ch.len_utf8(),
                None => return Ok(()),
            }
        };
    }
    Ok(())
}

fn failed() -> MatchData {
    MatchData {
        re: None,
        input: Arc::from(""),
        groups: vec![None],
        next: None,
    }
}

/// A `Match` of spans; `cursor` (byte, character index) is at or before the match, and is
/// moved to its start.
fn build(
    m: &mut Machine<'_>,
    c: &Arc<Compiled>,
    input: &Arc<str>,
    spans: &Spans,
    cursor: &mut (usize, usize),
) -> Result<MatchData, EvalError> {
    let Some((ms, me)) = spans[0] else {
        return Ok(failed());
    };
    cursor.1 += input[cursor.0..ms].chars().count();
    cursor.0 = ms;
    let base = cursor.1;
    let groups: Vec<Option<Span>> = spans
        .iter()
        .map(|sp| {
            sp.map(|(s, e)| Span {
                start: s,
                end: e,
                index: base + input[ms..s].chars().count(),
                length: input[s..e].chars().count(),
            })
        })
        .collect();
    m.alloc(size_of::<MatchData>() + groups.len() * size_of::<Option<Span>>())?;
    let end_chars = base + input[ms..me].chars().count();
    let next = if me > ms {
        Some((me, end_chars))
    } else {
        input[me..]
            .chars()
            .next()
            .map(|ch| (me + ch.len_utf8(), end_chars + 1))
    };
    Ok(MatchData {
        re: Some(c.clone()),
        input: input.clone(),
        groups,
        next,
    })
}

/// The match from a position (`Match.Empty` when there is none, or no position).
fn find_from(
    m: &mut Machine<'_>,
    c: &Arc<Compiled>,
    input: &Arc<str>,
    from: Option<(usize, usize)>,
) -> Result<MatchData, EvalError> {
    let Some(mut cursor) = from else {
        return Ok(failed());
    };
    match find_at(m, c, input, cursor.0)? {
        Some(spans) => build(m, c, input, &spans, &mut cursor),
        None => Ok(failed()),
    }
}

/// `startat` (characters) as (byte, character index).
fn start_at(input: &str, v: Option<&Value>) -> Result<(usize, usize), EvalError> {
    let Some(v) = v else {
        return Ok((0, 0));
    };
    let n = int_arg(v);
    let Ok(k) = usize::try_from(n) else {
        return out_of_range("startat");
    };
    if k == 0 {
        return Ok((0, 0));
    }
    match input.char_indices().nth(k) {
        Some((b, _)) => Ok((b, k)),
        None if input.chars().count() == k => Ok((input.len(), k)),
        None => out_of_range("startat"),
    }
}

fn is_match(m: &mut Machine<'_>, c: &Compiled, input: &str, from: usize) -> Res {
    prepare(m, c, input)?;
    m.step(1 + ((input.len() - from) / BYTES_PER_STEP) as u64)?;
    Ok(Value::Bool(c.re.is_match_at(input, from)))
}

fn first_match(
    m: &mut Machine<'_>,
    c: &Arc<Compiled>,
    input: &Arc<str>,
    from: (usize, usize),
) -> Res {
    prepare(m, c, input)?;
    let md = find_from(m, c, input, Some(from))?;
    Ok(obj(Rx::Match(Arc::new(md))))
}

fn matches(m: &mut Machine<'_>, c: &Arc<Compiled>, input: &Arc<str>, from: (usize, usize)) -> Res {
    prepare(m, c, input)?;
    let mut out = Vec::new();
    let mut at = Some(from);
    loop {
        let md = find_from(m, c, input, at)?;
        if md.groups[0].is_none() {
            break;
        }
        at = md.next;
        m.alloc(size_of::<Value>())?;
        out.push(obj(Rx::Match(Arc::new(md))));
    }
    Ok(obj(Rx::Matches(Arc::from(out))))
}

// ---- members ----

fn match_data(v: &Value) -> Result<&Arc<MatchData>, EvalError> {
    match rx(v)? {
        Rx::Match(md) | Rx::Groups(md) => Ok(md),
        _ => fail(ErrorKind::InvalidCast, "not a Match"),
    }
}

fn group_name(r: &Rx) -> Arc<str> {
    match r.group() {
        Some((md, g)) => md
            .re
            .as_ref()
            .map_or_else(|| Arc::from("0"), |c| c.groups[g].0.clone()),
        None => Arc::from(""),
    }
}

/// `Groups[name]` (`GroupNumberFromName`): without named groups, a number in digits.
fn group_by_name(md: &Arc<MatchData>, name: &Value) -> Res {
    let Some(c) = &md.re else {
        return Ok(obj(Rx::EmptyGroup));
    };
    let name = string_arg(name, "groupname")?;
    let g = if c.named {
        c.groups.iter().position(|(n, _)| **n == *name)
    } else if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        name.parse::<usize>().ok().filter(|g| *g < c.groups.len())
    } else {
        None
    };
    Ok(group_value(md, g))
}

fn group_value(md: &Arc<MatchData>, g: Option<usize>) -> Value {
    match g {
        Some(0) => obj(Rx::Match(md.clone())),
        Some(g) if g < md.groups.len() => obj(Rx::Group(md.clone(), g)),
        _ => obj(Rx::EmptyGroup),
    }
}

fn static_replace(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let input = string_arg(&a[0], "input")?;
    let c = pattern_arg(m, a, 3)?;
    match &a[2] {
        Value::Null => null_arg("replacement"),
        f @ Value::Func(_) => replace(m, &c, input, With::Evaluator(f), -1),
        v => replace(m, &c, input, With::Pattern(&str_arg(v)?), -1),
    }
}

fn instance_replace(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let c = regex_of(&a[0])?;
    let input = string_arg(&a[1], "input")?;
    let count = a.get(3).map_or(-1, int_arg);
    match &a[2] {
        Value::Null => null_arg("replacement"),
        f @ Value::Func(_) => replace(m, &c, input, With::Evaluator(f), count),
        v => replace(m, &c, input, With::Pattern(&str_arg(v)?), count),
    }
}

pub(crate) fn register(r: &mut Registry) {
    let s = || t(Type::String);
    let i = || t(Type::Int);
    let regex_t = || Type::Named("Regex");
    let match_t = || Type::Named("Match");
    let group_t = || Type::Named("Group");
    let evaluator = || P::Fn(Type::Named("Match"), Type::String);
    let strings = || Type::Array(Box::new(Type::String));
    const S: &str = "static:Regex";
    const R: &str = "Regex";

    for (name, v) in OPTIONS {
        let f: super::Native = match *v {
            0 => |_, _, _| Ok(Value::Int(0)),
            opt::IGNORE_CASE => |_, _, _| Ok(Value::Int(opt::IGNORE_CASE)),
            opt::MULTILINE => |_, _, _| Ok(Value::Int(opt::MULTILINE)),
            opt::EXPLICIT_CAPTURE => |_, _, _| Ok(Value::Int(opt::EXPLICIT_CAPTURE)),
            opt::COMPILED => |_, _, _| Ok(Value::Int(opt::COMPILED)),
            opt::SINGLELINE => |_, _, _| Ok(Value::Int(opt::SINGLELINE)),
            opt::IGNORE_PATTERN_WHITESPACE => {
                |_, _, _| Ok(Value::Int(opt::IGNORE_PATTERN_WHITESPACE))
            }
            opt::RIGHT_TO_LEFT => |_, _, _| Ok(Value::Int(opt::RIGHT_TO_LEFT)),
            opt::ECMASCRIPT => |_, _, _| Ok(Value::Int(opt::ECMASCRIPT)),
            opt::CULTURE_INVARIANT => |_, _, _| Ok(Value::Int(opt::CULTURE_INVARIANT)),
            _ => |_, _, _| Ok(Value::Int(opt::NON_BACKTRACKING)),
        };
        r.prop("static:RegexOptions", name, Type::Int, f);
    }

    // Static members: (input, pattern[, options]).
    for ps in [vec![s(), s()], vec![s(), s(), i()]] {
        r.method(S, "IsMatch", ps.clone(), Type::Bool, |m, a, _| {
            let input = string_arg(&a[0], "input")?;
            let c = pattern_arg(m, a, 2)?;
            is_match(m, &c, &input, 0)
        });
        r.method(S, "Match", ps.clone(), match_t(), |m, a, _| {
            let input = string_arg(&a[0], "input")?;
            let c = pattern_arg(m, a, 2)?;
            first_match(m, &c, &input, (0, 0))
        });
        r.method(
            S,
            "Matches",
            ps.clone(),
            Type::Named("MatchCollection"),
            |m, a, _| {
                let input = string_arg(&a[0], "input")?;
                let c = pattern_arg(m, a, 2)?;
                matches(m, &c, &input, (0, 0))
            },
        );
        r.method(S, "Split", ps, strings(), |m, a, _| {
            let input = string_arg(&a[0], "input")?;
            let c = pattern_arg(m, a, 2)?;
            split(m, &c, input, 0)
        });
    }
    for with in [s(), evaluator()] {
        r.method(
            S,
            "Replace",
            vec![s(), s(), with.clone()],
            Type::String,
            static_replace,
        );
        r.method(
            S,
            "Replace",
            vec![s(), s(), with, i()],
            Type::String,
            static_replace,
        );
    }
    r.method(S, "Escape", vec![s()], Type::String, |m, a, _| {
        let input = string_arg(&a[0], "str")?;
        m.step(1 + (input.len() / BYTES_PER_STEP) as u64)?;
        m.string(translate::escape(&input))
    });
    r.method(S, "Unescape", vec![s()], Type::String, |m, a, _| {
        let input = string_arg(&a[0], "str")?;
        m.step(1 + (input.len() / BYTES_PER_STEP) as u64)?;
        let out = translate::unescape(&input).map_err(|p| match p {
            Problem::Invalid(why) => EvalError::new(ErrorKind::Argument, why),
            Problem::Unsupported(why) => EvalError::new(ErrorKind::NotSupported, why),
        })?;
        m.string(out)
    });
    for ps in [vec![s()], vec![s(), i()]] {
        r.method(S, ".ctor", ps, regex_t(), |m, a, _| {
            // The arguments as a static member's, after a dummy input.
            let mut args = vec![Value::Null, a[0].clone()];
            args.extend(a.get(1).cloned());
            let c = pattern_arg(m, &args, 2)?;
            Ok(obj(Rx::Regex(c)))
        });
    }
    r.fold(S, "IsMatch", |a| precompile(a, 1, 2));
    r.fold(S, "Match", |a| precompile(a, 1, 2));
    r.fold(S, "Matches", |a| precompile(a, 1, 2));
    r.fold(S, "Split", |a| precompile(a, 1, 2));
    r.fold(S, "Replace", |a| precompile(a, 1, 3));
    r.fold(S, ".ctor", |a| precompile(a, 0, 1));

    // Instance members: (input[, startat]).
    for ps in [vec![s()], vec![s(), i()]] {
        r.method(R, "IsMatch", ps.clone(), Type::Bool, |m, a, _| {
            let c = regex_of(&a[0])?;
            let input = string_arg(&a[1], "input")?;
            let from = start_at(&input, a.get(2))?;
            is_match(m, &c, &input, from.0)
        });
        r.method(R, "Match", ps.clone(), match_t(), |m, a, _| {
            let c = regex_of(&a[0])?;
            let input = string_arg(&a[1], "input")?;
            let from = start_at(&input, a.get(2))?;
            first_match(m, &c, &input, from)
        });
        r.method(
            R,
            "Matches",
            ps,
            Type::Named("MatchCollection"),
            |m, a, _| {
                let c = regex_of(&a[0])?;
                let input = string_arg(&a[1], "input")?;
                let from = start_at(&input, a.get(2))?;
                matches(m, &c, &input, from)
            },
        );
    }
    for with in [s(), evaluator()] {
        r.method(
            R,
            "Replace",
            vec![s(), with.clone()],
            Type::String,
            instance_replace,
        );
        r.method(
            R,
            "Replace",
            vec![s(), with, i()],
            Type::String,
            instance_replace,
        );
    }
    for ps in [vec![s()], vec![s(), i()]] {
        r.method(R, "Split", ps, strings(), |m, a, _| {
            let c = regex_of(&a[0])?;
            let input = string_arg(&a[1], "input")?;
            split(m, &c, input, a.get(2).map_or(0, int_arg))
        });
    }
    r.method(R, "ToString", vec![], Type::String, |m, a, _| {
        m.string(regex_of(&a[0])?.pattern.to_string())
    });
    r.method(R, "GetGroupNames", vec![], strings(), |m, a, _| {
        let c = regex_of(&a[0])?;
        m.array(
            c.groups
                .iter()
                .map(|(n, _)| Value::Str(n.clone()))
                .collect(),
        )
    });

    // Match and Group.
    for k in ["Match", "Group"] {
        r.prop(k, "Success", Type::Bool, |_, a, _| {
            Ok(Value::Bool(rx(&a[0])?.span().is_some()))
        });
        r.prop(k, "Value", Type::String, |m, a, _| {
            m.string(rx(&a[0])?.text().to_owned())
        });
        r.method(k, "ToString", vec![], Type::String, |m, a, _| {
            m.string(rx(&a[0])?.text().to_owned())
        });
        r.prop(k, "Index", Type::Int, |_, a, _| {
            Ok(Value::Int(rx(&a[0])?.span().map_or(0, |s| s.index) as i32))
        });
        r.prop(k, "Length", Type::Int, |_, a, _| {
            Ok(Value::Int(rx(&a[0])?.span().map_or(0, |s| s.length) as i32))
        });
        r.prop(k, "Name", Type::String, |_, a, _| {
            Ok(Value::Str(group_name(rx(&a[0])?)))
        });
    }
    r.prop(
        "Match",
        "Groups",
        Type::Named("GroupCollection"),
        |_, a, _| Ok(obj(Rx::Groups(match_data(&a[0])?.clone()))),
    );
    r.method("Match", "NextMatch", vec![], match_t(), |m, a, _| {
        let md = match_data(&a[0])?;
        let Some(c) = &md.re else {
            return Ok(a[0].clone());
        };
        let next = find_from(m, c, &md.input, md.next)?;
        Ok(obj(Rx::Match(Arc::new(next))))
    });
    r.method("Match", "Result", vec![s()], Type::String, |m, a, _| {
        let md = match_data(&a[0])?;
        let Some(c) = &md.re else {
            return fail(
                ErrorKind::NotSupported,
                "Result cannot be called on a failed Match",
            );
        };
        let rep = string_arg(&a[1], "replacement")?;
        let pieces = parse_replacement(c, &rep)?;
        let spans: Spans = md
            .groups
            .iter()
            .map(|g| g.map(|s| (s.start, s.end)))
            .collect();
        let mut out = String::new();
        expand(m, &pieces, &md.input, &spans, &mut out)?;
        Ok(Value::Str(Arc::from(out)))
    });

    // The collections.
    const G: &str = "GroupCollection";
    r.prop(G, "Count", Type::Int, |_, a, _| {
        Ok(Value::Int(match_data(&a[0])?.groups.len() as i32))
    });
    r.method(G, "[]", vec![i()], group_t(), |_, a, _| {
        let md = match_data(&a[0])?;
        Ok(group_value(md, usize::try_from(int_arg(&a[1])).ok()))
    });
    r.method(G, "[]", vec![s()], group_t(), |_, a, _| {
        group_by_name(match_data(&a[0])?, &a[1])
    });
    const M: &str = "MatchCollection";
    r.prop(M, "Count", Type::Int, |_, a, _| {
        Ok(Value::Int(rx(&a[0])?.items().map_or(0, |x| x.len()) as i32))
    });
    r.method(M, "[]", vec![i()], match_t(), |_, a, _| {
        let items = rx(&a[0])?.items().unwrap_or_else(|| Arc::from(Vec::new()));
        match usize::try_from(int_arg(&a[1]))
            .ok()
            .and_then(|i| items.get(i))
        {
            Some(v) => Ok(v.clone()),
            None => out_of_range("i"),
        }
    });
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// Pieces of .NET pattern syntax, valid and not.
    const PIECES: &[&str] = &[
        "a",
        "B",
        "é",
        "0",
        "-",
        " ",
        "#",
        "\\",
        "\\d",
        "\\W",
        "\\s",
        "\\b",
        "\\p{Lu}",
        "\\x41",
        "\\u00e9",
        "\\n",
        "\\.",
        "\\-",
        "[",
        "]",
        "^",
        "$",
        ".",
        "|",
        "(",
        ")",
        "(?:",
        "(?i)",
        "(?-i:",
        "(?x)",
        "(?n)",
        "(?<n>",
        "(?'m'",
        "(?#c)",
        "*",
        "+",
        "?",
        "??",
        "{2}",
        "{1,3}",
        "{2,}",
        "{,2}",
        "{",
        "}",
        "[a-z]",
        "[^\\d]",
        "[a-z-[aeiou]]",
        "[]a]",
        "[\\w-]",
        "\\Z",
        "\\A",
        "\\z",
        "\\1",
        "(?=",
        "\\k<n>",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// Whatever the translator accepts, the crate compiles: a refusal is always .NET's
        /// error or a named unsupported construct, never a translation bug.
        #[test]
        fn every_accepted_pattern_compiles(
            ix in proptest::collection::vec(0..PIECES.len(), 0..12),
            options in prop_oneof![Just(0), Just(1), Just(2), Just(4), Just(16), Just(32), Just(51)],
        ) {
            let pattern: String = ix.iter().map(|i| PIECES[*i]).collect();
            if let Err(e) = super::compile(&pattern, options) {
                prop_assert!(!e.message.contains("could not be translated"), "{pattern}: {}", e.message);
            }
        }
    }
}
