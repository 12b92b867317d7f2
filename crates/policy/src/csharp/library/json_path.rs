//! JSONPath as Newtonsoft's `SelectToken`/`SelectTokens` read it: `$`, `.name`, `['name']`,
//! `['a','b']`, `[0]`, `[0,2]`, `[-1]`, `[1:3]`, `[*]`, `.*`, `..name` and filters
//! `[?(@.a.b == 'x' && @.n > 1)]` with `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||` and
//! existence (`[?(@.name)]`). A missing property or index selects nothing.

use std::sync::Arc;

use super::json::Json;
use crate::csharp::eval::Machine;
use crate::csharp::value::{ErrorKind, EvalError, fail};

/// One step of a path.
#[derive(Debug)]
enum Step {
    /// Properties by name (one or more).
    Names(Vec<Arc<str>>),
    /// Array items by index (negative: from the end).
    Indexes(Vec<i64>),
    /// `[start:end:step]`.
    Slice(Option<i64>, Option<i64>, i64),
    /// Every child (`*`).
    All,
    /// `..` then a step: the step applied to the token and every descendant.
    Deep(Box<Step>),
    /// `[?(…)]`: the children for which the filter holds.
    Filter(Filter),
}

/// A filter expression.
#[derive(Debug)]
enum Filter {
    Or(Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Compare(Operand, &'static str, Operand),
    Exists(Vec<Step>),
}

/// A side of a comparison: a path from `@` (or `$`) or a literal.
#[derive(Debug)]
enum Operand {
    Path(bool, Vec<Step>),
    Lit(Json),
}

fn bad<T>(path: &str, what: &str) -> Result<T, EvalError> {
    fail(
        ErrorKind::Argument,
        format!("{what} while parsing path: {path}"),
    )
}

/// The tokens a path selects from `root`, in document order.
pub(crate) fn select(m: &mut Machine<'_>, root: &Json, path: &str) -> Result<Vec<Json>, EvalError> {
    let mut p = Parser {
        s: path,
        i: 0,
        depth: 0,
    };
    p.eat('$');
    let steps = p.steps(false)?;
    if p.i < p.s.len() {
        return bad(path, "unexpected character");
    }
    apply(m, root, root, &steps)
}

fn apply(
    m: &mut Machine<'_>,
    root: &Json,
    start: &Json,
    steps: &[Step],
) -> Result<Vec<Json>, EvalError> {
    let mut cur = vec![start.clone()];
    for step in steps {
        let mut next = Vec::new();
        for j in &cur {
            m.step(1)?;
            run(m, root, j, step, &mut next)?;
        }
        m.alloc(next.len() * std::mem::size_of::<Json>())?;
        cur = next;
    }
    Ok(cur)
}

/// The children of a token, a step each.
fn children(m: &mut Machine<'_>, j: &Json) -> Result<Vec<Json>, EvalError> {
    let n = match j {
        Json::Array(l) => l.items.len(),
        Json::Object(o) => o.entries.len(),
        _ => 0,
    };
    m.step(n as u64)?;
    Ok(match j {
        Json::Array(l) => l.items.clone(),
        Json::Object(o) => o.entries.iter().map(|(_, v)| v.clone()).collect(),
        _ => Vec::new(),
    })
}

fn run(
    m: &mut Machine<'_>,
    root: &Json,
    j: &Json,
    step: &Step,
    out: &mut Vec<Json>,
) -> Result<(), EvalError> {
    match step {
        Step::Names(names) => {
            if let Json::Object(o) = j {
                for n in names {
                    if let Some(v) = o.lookup(m, n)? {
                        out.push(v.clone());
                    }
                }
            }
        }
        Step::Indexes(ix) => {
            if let Json::Array(l) = j {
                let len = l.items.len() as i64;
                for &i in ix {
                    let i = if i < 0 { len + i } else { i };
                    if (0..len).contains(&i) {
                        out.push(l.items[i as usize].clone());
                    }
                }
            }
        }
        Step::Slice(start, end, by) => {
            if let Json::Array(l) = j {
                let len = l.items.len() as i64;
                let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let (mut i, stop) = match *by > 0 {
                    true => (start.map_or(0, norm), end.map_or(len, norm)),
                    false => (
                        start.map_or(len - 1, |x| norm(x).min(len - 1)),
                        end.map_or(-1, norm),
                    ),
                };
                while (*by > 0 && i < stop) || (*by < 0 && i > stop) {
                    m.step(1)?;
                    out.push(l.items[i as usize].clone());
                    i += by;
                }
            }
        }
        Step::All => out.extend(children(m, j)?),
        // `..name` and `..*` yield in document order (pre-order), as Newtonsoft's scan does;
        // other steps after `..` apply to each token in that order.
        Step::Deep(inner) => match &**inner {
            Step::Names(names) => {
                scan(m, j, &mut |k, _| k.is_some_and(|k| names.contains(k)), out)?
            }
            Step::All => scan(m, j, &mut |_, _| true, out)?,
            _ => {
                run(m, root, j, inner, out)?;
                for c in children(m, j)? {
                    run(m, root, &c, step, out)?;
                }
            }
        },
        Step::Filter(f) => {
            for c in children(m, j)? {
                if holds(m, root, &c, f)? {
                    out.push(c);
                }
            }
        }
    }
    Ok(())
}

/// Every descendant of `j` in document order that `pick` accepts (given its property name).
fn scan(
    m: &mut Machine<'_>,
    j: &Json,
    pick: &mut dyn FnMut(Option<&Arc<str>>, &Json) -> bool,
    out: &mut Vec<Json>,
) -> Result<(), EvalError> {
    type Children<'j> = Box<dyn Iterator<Item = (Option<&'j Arc<str>>, &'j Json)> + 'j>;
    let items: Children<'_> = match j {
        Json::Object(o) => Box::new(o.entries.iter().map(|(k, v)| (Some(k), v))),
        Json::Array(l) => Box::new(l.items.iter().map(|v| (None, v))),
        _ => return Ok(()),
    };
    for (name, c) in items {
        m.step(1)?;
        if pick(name, c) {
            out.push(c.clone());
        }
        scan(m, c, pick, out)?;
    }
    Ok(())
}

fn holds(m: &mut Machine<'_>, root: &Json, at: &Json, f: &Filter) -> Result<bool, EvalError> {
    m.step(1)?;
    Ok(match f {
        Filter::Or(a, b) => holds(m, root, at, a)? || holds(m, root, at, b)?,
        Filter::And(a, b) => holds(m, root, at, a)? && holds(m, root, at, b)?,
        Filter::Exists(steps) => !apply(m, root, at, steps)?.is_empty(),
        Filter::Compare(a, op, b) => {
            let (a, b) = (operand(m, root, at, a)?, operand(m, root, at, b)?);
            // A path that selects several tokens compares each (Newtonsoft: any of them).
            m.step((a.len() as u64).saturating_mul(b.len() as u64))?;
            for x in &a {
                for y in &b {
                    if compare(m, x, op, y)? {
                        return Ok(true);
                    }
                }
            }
            false
        }
    })
}

fn operand(
    m: &mut Machine<'_>,
    root: &Json,
    at: &Json,
    o: &Operand,
) -> Result<Vec<Json>, EvalError> {
    match o {
        Operand::Lit(j) => Ok(vec![j.clone()]),
        Operand::Path(from_root, steps) => {
            apply(m, root, if *from_root { root } else { at }, steps)
        }
    }
}

/// A filter's comparison, counting the bytes of strings compared.
fn compare(m: &mut Machine<'_>, a: &Json, op: &str, b: &Json) -> Result<bool, EvalError> {
    use std::cmp::Ordering;
    let num = |j: &Json| match j {
        Json::Int(i) => Some(*i as f64),
        Json::Float(f) => Some(*f),
        _ => None,
    };
    let ord = match (a, b) {
        (Json::Str(x), Json::Str(y)) => Some(super::budget::cmp_str(m, x, y)?),
        (Json::Bool(x), Json::Bool(y)) => Some(x.cmp(y)),
        (Json::Null, Json::Null) => Some(Ordering::Equal),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => None,
        },
    };
    Ok(match (op, ord) {
        ("==", Some(o)) => o == Ordering::Equal,
        ("!=", Some(o)) => o != Ordering::Equal,
        ("!=", None) => true,
        ("<", Some(o)) => o == Ordering::Less,
        ("<=", Some(o)) => o != Ordering::Greater,
        (">", Some(o)) => o == Ordering::Greater,
        (">=", Some(o)) => o != Ordering::Less,
        _ => false,
    })
}

struct Parser<'s> {
    s: &'s str,
    i: usize,
    /// Nesting of filters and parentheses (bounded: the path is caller input).
    depth: usize,
}

/// The deepest nesting of filters and parentheses a path may have.
const MAX_NESTING: usize = 32;

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.i..]
    }

    fn eat(&mut self, c: char) -> bool {
        let yes = self.rest().starts_with(c);
        if yes {
            self.i += c.len_utf8();
        }
        yes
    }

    fn ws(&mut self) {
        self.i += self.rest().len() - self.rest().trim_start().len();
    }

    /// Steps until the end, or (in a filter) until an operator or `)`.
    fn steps(&mut self, in_filter: bool) -> Result<Vec<Step>, EvalError> {
        let mut steps = Vec::new();
        // A path may start with a bare name (`a.b`).
        if !self.rest().is_empty() && !self.rest().starts_with(['.', '[']) && !in_filter {
            steps.push(self.name_step()?);
        }
        loop {
            if self.rest().starts_with("..") {
                self.i += 2;
                let inner = if self.rest().starts_with('[') {
                    self.bracket()?
                } else {
                    self.name_step()?
                };
                steps.push(Step::Deep(Box::new(inner)));
            } else if self.eat('.') {
                steps.push(self.name_step()?);
            } else if self.rest().starts_with('[') {
                steps.push(self.bracket()?);
            } else {
                return Ok(steps);
            }
        }
    }

    fn name_step(&mut self) -> Result<Step, EvalError> {
        if self.eat('*') {
            return Ok(Step::All);
        }
        let end = self
            .rest()
            .find(['.', '[', ' ', ')', '=', '!', '<', '>', '&', '|'])
            .unwrap_or(self.rest().len());
        if end == 0 {
            return bad(self.s, "unexpected character");
        }
        let name = Arc::from(&self.rest()[..end]);
        self.i += end;
        Ok(Step::Names(vec![name]))
    }

    fn bracket(&mut self) -> Result<Step, EvalError> {
        self.eat('[');
        self.ws();
        let step = if self.eat('*') {
            Step::All
        } else if self.rest().starts_with("?(") {
            self.i += 2;
            let f = self.or()?;
            self.ws();
            if !self.eat(')') {
                return bad(self.s, "expected ')'");
            }
            Step::Filter(f)
        } else if self.rest().starts_with(['\'', '"']) {
            let mut names = vec![self.quoted()?];
            self.ws();
            while self.eat(',') {
                self.ws();
                names.push(self.quoted()?);
                self.ws();
            }
            Step::Names(names)
        } else {
            self.indexes()?
        };
        self.ws();
        if !self.eat(']') {
            return bad(self.s, "unexpected end");
        }
        Ok(step)
    }

    fn quoted(&mut self) -> Result<Arc<str>, EvalError> {
        let q = self.rest().chars().next().unwrap_or('\'');
        self.i += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((k, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e)) => out.push(e),
                    None => break,
                },
                c if c == q => {
                    self.i += k + 1;
                    return Ok(Arc::from(out));
                }
                c => out.push(c),
            }
        }
        bad(self.s, "unterminated string")
    }

    fn int(&mut self) -> Option<i64> {
        let r = self.rest();
        let end = r
            .char_indices()
            .find(|&(k, c)| !(c.is_ascii_digit() || (k == 0 && c == '-')))
            .map_or(r.len(), |(k, _)| k);
        let n = r[..end].parse().ok()?;
        self.i += end;
        Some(n)
    }

    fn indexes(&mut self) -> Result<Step, EvalError> {
        let first = self.int();
        self.ws();
        if self.eat(':') {
            let end = self.int();
            let by = if self.eat(':') {
                self.int().unwrap_or(1)
            } else {
                1
            };
            if by == 0 {
                return bad(self.s, "step cannot be zero");
            }
            return Ok(Step::Slice(first, end, by));
        }
        let Some(first) = first else {
            return bad(self.s, "unexpected character in an indexer");
        };
        let mut ix = vec![first];
        while self.eat(',') {
            self.ws();
            match self.int() {
                Some(n) => ix.push(n),
                None => return bad(self.s, "unexpected character in an indexer"),
            }
            self.ws();
        }
        Ok(Step::Indexes(ix))
    }

    fn or(&mut self) -> Result<Filter, EvalError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return bad(self.s, "too deeply nested");
        }
        let f = self.or_chain();
        self.depth -= 1;
        f
    }

    fn or_chain(&mut self) -> Result<Filter, EvalError> {
        let mut f = self.and()?;
        loop {
            self.ws();
            if !self.rest().starts_with("||") {
                return Ok(f);
            }
            self.i += 2;
            f = Filter::Or(Box::new(f), Box::new(self.and()?));
        }
    }

    fn and(&mut self) -> Result<Filter, EvalError> {
        let mut f = self.atom()?;
        loop {
            self.ws();
            if !self.rest().starts_with("&&") {
                return Ok(f);
            }
            self.i += 2;
            f = Filter::And(Box::new(f), Box::new(self.atom()?));
        }
    }

    fn atom(&mut self) -> Result<Filter, EvalError> {
        self.ws();
        if self.eat('(') {
            let f = self.or()?;
            self.ws();
            if !self.eat(')') {
                return bad(self.s, "expected ')'");
            }
            return Ok(f);
        }
        let left = self.operand()?;
        self.ws();
        let op = ["==", "!=", "<=", ">=", "<", ">"]
            .into_iter()
            .find(|op| self.rest().starts_with(op));
        match (op, left) {
            (Some(op), left) => {
                self.i += op.len();
                self.ws();
                Ok(Filter::Compare(left, op, self.operand()?))
            }
            (None, Operand::Path(false, steps)) => Ok(Filter::Exists(steps)),
            (None, _) => bad(self.s, "expected a comparison"),
        }
    }

    fn operand(&mut self) -> Result<Operand, EvalError> {
        if self.eat('@') {
            return Ok(Operand::Path(false, self.steps(true)?));
        }
        if self.eat('$') {
            return Ok(Operand::Path(true, self.steps(true)?));
        }
        if self.rest().starts_with(['\'', '"']) {
            return Ok(Operand::Lit(Json::Str(self.quoted()?)));
        }
        for (word, j) in [
            ("true", Json::Bool(true)),
            ("false", Json::Bool(false)),
            ("null", Json::Null),
        ] {
            if self.rest().starts_with(word) {
                self.i += word.len();
                return Ok(Operand::Lit(j));
            }
        }
        let r = self.rest();
        let end = r
            .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
            .unwrap_or(r.len());
        let text = &r[..end];
        let lit = match (text.parse::<i64>(), text.parse::<f64>()) {
            (Ok(i), _) => Json::Int(i),
            (_, Ok(f)) => Json::Float(f),
            _ => return bad(self.s, "unexpected character in a filter"),
        };
        self.i += end;
        Ok(Operand::Lit(lit))
    }
}
