//! .NET regular expression syntax, parsed the way `System.Text.RegularExpressions` parses it
//! (`RegexParser`) and written out in the syntax of the `regex` crate, refusing what that
//! crate cannot match exactly as .NET does.
//!
//! The crate has no lookaround, backreferences, atomic groups, conditionals or balancing
//! groups: those are refused. Everything else is translated construct by construct so that
//! the crate's leftmost-first matching gives .NET's backtracking results:
//! - `\w`, `\d`, `\s` and their negations become .NET's exact classes (`\w` is
//!   `[\p{L}\p{Mn}\p{Nd}\p{Pc}]` in .NET, not the crate's UTS#18 word class);
//! - `.` is `[^\n]`, `^` is `\A` (or `(?m:^)`), `$` is .NET's "end, or before a final `\n`":
//!   at the end of the pattern it becomes `(?:(\n)?\z)` and the caller cuts the match before
//!   the newline it consumed; anywhere else it becomes `\z`, exact on text that does not end
//!   with `\n` (the caller refuses other text);
//! - `RegexOptions` and inline options are tracked here: case-insensitivity is written per
//!   atom as `(?i:…)`, `x` mode whitespace and comments are dropped (.NET keeps whitespace
//!   inside `[…]`, the crate's `x` flag would not), `n` makes unnamed groups non-capturing;
//! - capture groups are numbered as .NET numbers them (unnamed first, then named) and every
//!   literal character is written as an escape, so nothing is reinterpreted by the crate.

use std::sync::OnceLock;

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// .NET refuses it too (a `RegexParseException`, an `ArgumentException`).
    Invalid(String),
    /// Valid in .NET, not supported here.
    Unsupported(String),
}

/// `RegexOptions` values.
pub(crate) mod opt {
    pub const IGNORE_CASE: i32 = 1;
    pub const MULTILINE: i32 = 2;
    pub const EXPLICIT_CAPTURE: i32 = 4;
    pub const COMPILED: i32 = 8;
    pub const SINGLELINE: i32 = 16;
    pub const IGNORE_PATTERN_WHITESPACE: i32 = 32;
    pub const RIGHT_TO_LEFT: i32 = 64;
    pub const ECMASCRIPT: i32 = 256;
    pub const CULTURE_INVARIANT: i32 = 512;
    pub const NON_BACKTRACKING: i32 = 1024;
}

/// A pattern in the regex crate's syntax, with what is needed to report .NET's results.
#[derive(Debug)]
pub(crate) struct Translated {
    /// The pattern for the regex crate.
    pub rust: String,
    /// .NET's groups in number order: name (the number for unnamed groups) and the crate's
    /// capture index; the first is the whole match.
    pub groups: Vec<(String, usize)>,
    /// Capture indices of the newline a final `$` consumed.
    pub newlines: Vec<usize>,
    /// A `$` or `\Z` before the end of the pattern: exact only on text not ending with `\n`.
    pub inner_end: bool,
    /// The pattern has `\b` or `\B`.
    pub boundary: bool,
}

/// .NET's `\w` (`RegexCharClass.WordClass`), as the items of a class.
const WORD: &str = r"\p{L}\p{Mn}\p{Nd}\p{Pc}";
/// .NET's `\s` (`char.IsWhiteSpace`), as the items of a class.
const SPACE: &str = r"\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}";
/// Deepest group nesting accepted (the crate's own nesting limit is 250).
const MAX_DEPTH: usize = 60;

/// The characters .NET counts as word characters for `\b` and in group names
/// (`RegexCharClass.IsBoundaryWordChar`): `\w` and the zero-width (non-)joiner.
pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    static WORD_CHAR: OnceLock<regex::Regex> = OnceLock::new();
    WORD_CHAR
        .get_or_init(|| {
            regex::Regex::new(&format!(r"\A[{WORD}\x{{200C}}\x{{200D}}]\z")).expect("valid class")
        })
        .is_match(c.encode_utf8(&mut [0; 4]))
}

/// Translates a .NET pattern under `RegexOptions` (already validated).
pub(crate) fn translate(pattern: &str, options: i32) -> Result<Translated, Problem> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut p = Parser {
        p: &chars,
        pos: 0,
        f: Flags {
            i: options & opt::IGNORE_CASE != 0,
            m: options & opt::MULTILINE != 0,
            n: options & opt::EXPLICIT_CAPTURE != 0,
            s: options & opt::SINGLELINE != 0,
            x: options & opt::IGNORE_PATTERN_WHITESPACE != 0,
        },
        caps: Vec::new(),
        depth: 0,
    };
    let root = p.alternation()?;
    if p.pos < chars.len() {
        return Err(p.invalid("too many )'s"));
    }
    let mut e = Emit {
        out: String::new(),
        next: 1,
        cap_index: vec![0; p.caps.len()],
        newlines: Vec::new(),
        inner_end: false,
        boundary: false,
    };
    e.emit(&root, true);
    // .NET numbers unnamed groups first, in order, then named ones in order.
    let mut groups = vec![("0".to_owned(), 0)];
    for (id, name) in p.caps.iter().enumerate() {
        if name.is_none() {
            groups.push((groups.len().to_string(), e.cap_index[id]));
        }
    }
    for (id, name) in p.caps.iter().enumerate() {
        if let Some(n) = name {
            groups.push((n.clone(), e.cap_index[id]));
        }
    }
    Ok(Translated {
        rust: e.out,
        groups,
        newlines: e.newlines,
        inner_end: e.inner_end,
        boundary: e.boundary,
    })
}

#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    i: bool,
    m: bool,
    n: bool,
    s: bool,
    x: bool,
}

/// A parsed pattern.
#[derive(Debug)]
enum Node {
    Empty,
    /// A literal character; whether case-insensitive.
    Char(char, bool),
    /// A class in the crate's syntax; whether case-insensitive.
    Set(String, bool),
    /// `.`; whether singleline.
    Any(bool),
    /// `\A`, or `^` without multiline.
    Begin,
    /// `^` in multiline mode.
    Bol,
    /// `$` in multiline mode.
    Eol,
    /// `\Z`, or `$` without multiline.
    EndZ,
    /// `\z`.
    End,
    /// `\b` (true) or `\B`.
    Boundary(bool),
    /// A group; the capture's id (in order of opening) if it captures.
    Group(Box<Node>, Option<usize>),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    /// min, max (None: unbounded), lazy.
    Repeat(Box<Node>, u32, Option<u32>, bool),
}

impl Node {
    /// Whether the node can match the empty string.
    fn can_be_empty(&self) -> bool {
        match self {
            Node::Char(..) | Node::Set(..) | Node::Any(_) => false,
            Node::Group(b, _) => b.can_be_empty(),
            Node::Concat(items) => items.iter().all(Node::can_be_empty),
            Node::Alt(branches) => branches.iter().any(Node::can_be_empty),
            Node::Repeat(b, min, ..) => *min == 0 || b.can_be_empty(),
            _ => true,
        }
    }

    /// Whether the node has a capture group.
    fn has_capture(&self) -> bool {
        match self {
            Node::Group(_, Some(_)) => true,
            Node::Group(b, None) | Node::Repeat(b, ..) => b.has_capture(),
            Node::Concat(items) | Node::Alt(items) => items.iter().any(Node::has_capture),
            _ => false,
        }
    }
}

struct Parser<'a> {
    p: &'a [char],
    pos: usize,
    f: Flags,
    /// Capture groups in order of opening: their name, None for numbered ones.
    caps: Vec<Option<String>>,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.p.get(self.pos).copied()
    }

    fn at(&self, i: usize) -> Option<char> {
        self.p.get(i).copied()
    }

    fn invalid(&self, why: &str) -> Problem {
        Problem::Invalid(format!("at offset {}: {why}", self.pos))
    }

    fn unsupported(&self, why: &str) -> Problem {
        Problem::Unsupported(format!("at offset {}: {why}", self.pos))
    }

    /// Skips `x`-mode whitespace and `#` comments, and `(?#…)` comments (`ScanBlank`).
    fn blank(&mut self) -> Result<(), Problem> {
        loop {
            if self.f.x {
                while matches!(self.peek(), Some('\t' | '\n' | '\x0C' | '\r' | ' ')) {
                    self.pos += 1;
                }
            }
            if self.f.x && self.peek() == Some('#') {
                while !matches!(self.peek(), None | Some('\n')) {
                    self.pos += 1;
                }
            } else if self.peek() == Some('(')
                && self.at(self.pos + 1) == Some('?')
                && self.at(self.pos + 2) == Some('#')
            {
                while self.peek() != Some(')') {
                    if self.peek().is_none() {
                        return Err(self.invalid("unterminated (?#...) comment"));
                    }
                    self.pos += 1;
                }
                self.pos += 1;
            } else {
                return Ok(());
            }
        }
    }

    fn alternation(&mut self) -> Result<Node, Problem> {
        let mut branches = vec![self.concat()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, Problem> {
        let mut items = Vec::new();
        loop {
            self.blank()?;
            match self.peek() {
                None | Some('|' | ')') => break,
                _ => {}
            }
            let Some(atom) = self.atom()? else {
                continue;
            };
            self.blank()?;
            let start = self.pos;
            let Some((min, max, lazy)) = self.quantifier()? else {
                items.push(atom);
                continue;
            };
            match atom {
                Node::Begin
                | Node::Bol
                | Node::Eol
                | Node::EndZ
                | Node::End
                | Node::Boundary(_) => {
                    self.pos = start;
                    return Err(self.unsupported("a quantifier after an anchor"));
                }
                Node::Char(c, _) if c as u32 > 0xFFFF => {
                    self.pos = start;
                    return Err(self.unsupported(
                        "a quantifier after a character outside the Basic Multilingual Plane (.NET repeats its second UTF-16 unit)",
                    ));
                }
                _ => {}
            }
            self.blank()?;
            if self.quantifier_ahead() {
                return Err(self.invalid("nested quantifier"));
            }
            // .NET ends a loop after an iteration that matched nothing, keeping that empty
            // capture (`(a?)+` on "a" captures ""); the crate does not take that iteration.
            if max != Some(1) && atom.can_be_empty() && atom.has_capture() {
                self.pos = start;
                return Err(self.unsupported(
                    "a repeated group that captures and can match empty text (.NET and Tollgate capture it differently)",
                ));
            }
            items.push(Node::Repeat(Box::new(atom), min, max, lazy));
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    fn quantifier_ahead(&self) -> bool {
        match self.peek() {
            Some('*' | '+' | '?') => true,
            Some('{') => self.true_quantifier(),
            _ => false,
        }
    }

    /// Whether the `{` at the position starts `{n}`, `{n,}` or `{n,m}` (`IsTrueQuantifier`).
    fn true_quantifier(&self) -> bool {
        let mut i = self.pos + 1;
        let digits = |i: &mut usize| {
            let from = *i;
            while self.at(*i).is_some_and(|c| c.is_ascii_digit()) {
                *i += 1;
            }
            *i > from
        };
        if !digits(&mut i) {
            return false;
        }
        match self.at(i) {
            Some('}') => true,
            Some(',') => {
                i += 1;
                digits(&mut i);
                self.at(i) == Some('}')
            }
            _ => false,
        }
    }

    /// A decimal number (`ScanDecimal`): at most `int.MaxValue`.
    fn decimal(&mut self) -> Result<u32, Problem> {
        let mut n: u32 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            self.pos += 1;
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(d))
                .filter(|n| *n <= i32::MAX as u32)
                .ok_or_else(|| {
                    self.invalid(
                        "capture group numbers and quantifiers must be at most Int32.MaxValue",
                    )
                })?;
        }
        Ok(n)
    }

    fn quantifier(&mut self) -> Result<Option<(u32, Option<u32>, bool)>, Problem> {
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') if self.true_quantifier() => {
                self.pos += 1;
                let min = self.decimal()?;
                let max = if self.peek() == Some(',') {
                    self.pos += 1;
                    if self.peek() == Some('}') {
                        None
                    } else {
                        Some(self.decimal()?)
                    }
                } else {
                    Some(min)
                };
                (min, max)
            }
            _ => return Ok(None),
        };
        // The quantifier's last character: `*`, `+`, `?` or the `}` of `{…}`.
        self.pos += 1;
        self.blank()?;
        let lazy = self.peek() == Some('?');
        if lazy {
            self.pos += 1;
        }
        if max.is_some_and(|max| min > max) {
            return Err(self.invalid("illegal {x,y} with x > y"));
        }
        // .NET treats int.MaxValue as "unbounded".
        let max = max.filter(|m| *m != i32::MAX as u32);
        Ok(Some((min, max, lazy)))
    }

    fn atom(&mut self) -> Result<Option<Node>, Problem> {
        let Some(c) = self.peek() else {
            return Ok(Some(Node::Empty));
        };
        let f = self.f;
        Ok(Some(match c {
            '(' => return self.group(),
            '[' => {
                self.pos += 1;
                Node::Set(self.class(f.i)?, f.i)
            }
            '\\' => {
                self.pos += 1;
                self.escape()?
            }
            '^' => {
                self.pos += 1;
                if f.m { Node::Bol } else { Node::Begin }
            }
            '$' => {
                self.pos += 1;
                if f.m { Node::Eol } else { Node::EndZ }
            }
            '.' => {
                self.pos += 1;
                Node::Any(f.s)
            }
            '*' | '+' | '?' => {
                return Err(self.invalid(&format!("quantifier '{c}' following nothing")));
            }
            '{' if self.true_quantifier() => {
                return Err(self.invalid("quantifier '{' following nothing"));
            }
            c => {
                self.pos += 1;
                Node::Char(c, f.i)
            }
        }))
    }

    /// A group, after its `(` (`ScanGroupOpen`); None for an options-only `(?imnsx-imnsx)`.
    fn group(&mut self) -> Result<Option<Node>, Problem> {
        let open = self.pos;
        self.pos += 1;
        let saved = self.f;
        let mut cap = None;
        if self.peek() != Some('?') || self.at(self.pos + 1) == Some(')') {
            if !self.f.n {
                cap = Some(self.new_cap(None)?);
            }
        } else {
            self.pos += 1;
            match self.peek() {
                None => return Err(self.invalid("unrecognized grouping construct")),
                Some(':') => self.pos += 1,
                Some('=' | '!') => {
                    return Err(self.unsupported("lookahead ((?=…), (?!…))"));
                }
                Some('>') => return Err(self.unsupported("atomic groups ((?>…))")),
                Some('(') => return Err(self.unsupported("conditionals ((?(…)…|…))")),
                Some(q @ ('<' | '\'')) => {
                    let close = if q == '<' { '>' } else { '\'' };
                    self.pos += 1;
                    match self.peek() {
                        Some('=' | '!') if close == '>' => {
                            return Err(self.unsupported("lookbehind ((?<=…), (?<!…))"));
                        }
                        Some(d) if d.is_ascii_digit() => {
                            return Err(self.unsupported("explicitly numbered groups ((?<2>…))"));
                        }
                        Some('-') => {
                            return Err(self.unsupported("balancing groups ((?<a-b>…))"));
                        }
                        Some(w) if is_word_char(w) => {
                            let name = self.capname();
                            match self.peek() {
                                Some(c) if c == close => self.pos += 1,
                                Some('-') => {
                                    return Err(self.unsupported("balancing groups ((?<a-b>…))"));
                                }
                                _ => return Err(self.invalid("invalid group name")),
                            }
                            cap = Some(self.new_cap(Some(name))?);
                        }
                        _ => return Err(self.invalid("invalid group name")),
                    }
                }
                Some(_) => {
                    self.options();
                    match self.peek() {
                        Some(')') => {
                            // `(?i)`: the options hold to the end of the enclosing group.
                            self.pos += 1;
                            return Ok(None);
                        }
                        Some(':') => self.pos += 1,
                        _ => return Err(self.invalid("unrecognized grouping construct")),
                    }
                }
            }
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.pos = open;
            return Err(self.unsupported("groups nested too deeply"));
        }
        let body = self.alternation()?;
        self.depth -= 1;
        if self.peek() != Some(')') {
            return Err(self.invalid("not enough )'s"));
        }
        self.pos += 1;
        self.f = saved;
        Ok(Some(Node::Group(Box::new(body), cap)))
    }

    fn new_cap(&mut self, name: Option<String>) -> Result<usize, Problem> {
        if let Some(n) = &name
            && self.caps.iter().any(|c| c.as_ref() == Some(n))
        {
            return Err(self.unsupported(&format!(
                "the group name '{n}' used twice (.NET merges the groups)"
            )));
        }
        self.caps.push(name);
        Ok(self.caps.len() - 1)
    }

    /// A group name: word characters (`ScanCapname`).
    fn capname(&mut self) -> String {
        let from = self.pos;
        while self.peek().is_some_and(is_word_char) {
            self.pos += 1;
        }
        self.p[from..self.pos].iter().collect()
    }

    /// Inline options `imnsx`, `-` turning off, `+` on (`ScanOptions`).
    fn options(&mut self) {
        let mut off = false;
        while let Some(c) = self.peek() {
            let flag = match c.to_ascii_lowercase() {
                '-' => {
                    off = true;
                    None
                }
                '+' => {
                    off = false;
                    None
                }
                'i' => Some(&mut self.f.i),
                'm' => Some(&mut self.f.m),
                'n' => Some(&mut self.f.n),
                's' => Some(&mut self.f.s),
                'x' => Some(&mut self.f.x),
                _ => return,
            };
            if let Some(flag) = flag {
                *flag = !off;
            }
            self.pos += 1;
        }
    }

    /// An escape outside a class, after its `\` (`ScanBackslash`).
    fn escape(&mut self) -> Result<Node, Problem> {
        let Some(c) = self.peek() else {
            return Err(self.invalid("illegal \\ at end of pattern"));
        };
        let i = self.f.i;
        let node = match c {
            'b' | 'B' => Node::Boundary(c == 'b'),
            'A' => Node::Begin,
            'Z' => Node::EndZ,
            'z' => Node::End,
            'G' => return Err(self.unsupported("\\G")),
            'w' | 'W' | 's' | 'S' | 'd' | 'D' => Node::Set(shorthand(c).to_owned(), false),
            'p' | 'P' => {
                self.pos += 1;
                return Ok(Node::Set(self.property(c == 'P')?, false));
            }
            '1'..='9' => return Err(self.unsupported("backreferences (\\1)")),
            'k' => {
                let close = match self.at(self.pos + 1) {
                    Some('<') => '>',
                    Some('\'') => '\'',
                    _ => return Err(self.invalid("malformed \\k<...> named back reference")),
                };
                if self.backref_form(self.pos + 2, close) {
                    return Err(self.unsupported("backreferences (\\k<name>)"));
                }
                return Err(self.invalid("unrecognized escape sequence \\k"));
            }
            '<' | '\'' if self.pos + 1 < self.p.len() => {
                let close = if c == '<' { '>' } else { '\'' };
                if self.backref_form(self.pos + 1, close) {
                    return Err(self.unsupported("backreferences (\\<name>)"));
                }
                self.pos += 1;
                return Ok(Node::Char(c, i));
            }
            _ => return Ok(Node::Char(self.char_escape()?, i)),
        };
        self.pos += 1;
        Ok(node)
    }

    /// Whether a number or name followed by `close` starts at `i` (a backreference's body).
    fn backref_form(&self, mut i: usize, close: char) -> bool {
        match self.at(i) {
            Some(d) if d.is_ascii_digit() => {
                while self.at(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
            }
            Some(w) if is_word_char(w) => {
                while self.at(i).is_some_and(is_word_char) {
                    i += 1;
                }
            }
            _ => return false,
        }
        self.at(i) == Some(close)
    }

    /// `{Name}` of `\p{Name}` / `\P{Name}`, as a class (`ParseProperty`).
    fn property(&mut self, negate: bool) -> Result<String, Problem> {
        if self.pos + 2 >= self.p.len() {
            return Err(self.invalid("incomplete \\p{X} character escape"));
        }
        if self.peek() != Some('{') {
            return Err(self.invalid("malformed \\p{X} character escape"));
        }
        self.pos += 1;
        let from = self.pos;
        while self.peek().is_some_and(|c| is_word_char(c) || c == '-') {
            self.pos += 1;
        }
        let name: String = self.p[from..self.pos].iter().collect();
        if self.peek() != Some('}') {
            return Err(self.invalid("incomplete \\p{X} character escape"));
        }
        self.pos += 1;
        if self.f.i {
            return Err(self.unsupported(
                "\\p{…} with IgnoreCase (.NET and Tollgate case-fold categories differently)",
            ));
        }
        const CATEGORIES: &[&str] = &[
            "C", "Cc", "Cf", "Cn", "Co", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
            "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk",
            "Sm", "So", "Z", "Zl", "Zp", "Zs",
        ];
        if CATEGORIES.contains(&name.as_str()) {
            return Ok(format!("\\{}{{{name}}}", if negate { 'P' } else { 'p' }));
        }
        if name == "Cs" {
            return Err(self.unsupported("\\p{Cs} (surrogate code units)"));
        }
        if name.starts_with("Is") {
            return Err(self.unsupported(&format!("Unicode block names (\\p{{{name}}})")));
        }
        Err(self.invalid(&format!("unknown property '{name}'")))
    }

    /// A character escape, at the character after `\` (`ScanCharEscape`).
    fn char_escape(&mut self) -> Result<char, Problem> {
        let Some(c) = self.peek() else {
            return Err(self.invalid("illegal \\ at end of pattern"));
        };
        self.pos += 1;
        Ok(match c {
            '0'..='7' => {
                self.pos -= 1;
                let mut v = 0u32;
                for _ in 0..3 {
                    match self.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                char::from((v & 0xFF) as u8)
            }
            'x' => self.hex(2)?,
            'u' => self.hex(4)?,
            'a' => '\x07',
            'b' => '\x08',
            'e' => '\x1B',
            'f' => '\x0C',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\x0B',
            'c' => {
                let Some(c) = self.peek() else {
                    return Err(self.invalid("missing control character"));
                };
                self.pos += 1;
                let up = c.to_ascii_uppercase() as u32;
                match up.checked_sub('@' as u32) {
                    Some(v) if v < 32 => char::from(v as u8),
                    _ => return Err(self.invalid("unrecognized control character")),
                }
            }
            c if is_word_char(c) => {
                return Err(self.invalid(&format!("unrecognized escape sequence \\{c}")));
            }
            c => c,
        })
    }

    /// Exactly `n` hex digits (`ScanHex`), as a character.
    fn hex(&mut self, n: usize) -> Result<char, Problem> {
        let v = self.hex_value(n)?;
        char::from_u32(v).ok_or_else(|| self.unsupported("surrogate code units (\\uD800-\\uDFFF)"))
    }

    /// Exactly `n` hex digits.
    fn hex_value(&mut self, n: usize) -> Result<u32, Problem> {
        let mut v = 0u32;
        for _ in 0..n {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(d) => {
                    v = v * 16 + d;
                    self.pos += 1;
                }
                None => return Err(self.invalid("insufficient or invalid hexadecimal digits")),
            }
        }
        Ok(v)
    }

    /// A class after its `[` (`ScanCharClass`), in the crate's syntax.
    fn class(&mut self, ci: bool) -> Result<String, Problem> {
        let negate = self.peek() == Some('^');
        if negate {
            self.pos += 1;
        }
        let mut items = String::new();
        let mut sub = None;
        let mut first = true;
        let mut range_from: Option<char> = None;
        loop {
            let Some(mut ch) = self.peek() else {
                return Err(self.invalid("unterminated [] set"));
            };
            self.pos += 1;
            let mut translated = false;
            if ch == ']' && !first {
                break;
            }
            if ch == '\\' && self.pos < self.p.len() {
                let e = self.p[self.pos];
                self.pos += 1;
                match e {
                    'd' | 'D' | 's' | 'S' | 'w' | 'W' | 'p' | 'P' => {
                        if range_from.is_some() {
                            return Err(self.invalid(&format!(
                                "cannot include class \\{e} in character range"
                            )));
                        }
                        if e == 'p' || e == 'P' {
                            items.push_str(&self.property(e == 'P')?);
                        } else {
                            items.push_str(shorthand(e));
                        }
                        first = false;
                        continue;
                    }
                    '-' => {
                        match range_from.take() {
                            Some(from) => items.push_str(&self.range(from, '-')?),
                            None => items.push_str(&self.class_char('-')?),
                        }
                        first = false;
                        continue;
                    }
                    _ => {
                        self.pos -= 1;
                        ch = self.char_escape()?;
                        translated = true;
                    }
                }
            }
            if let Some(from) = range_from.take() {
                if ch == '[' && !translated && !first {
                    // `[a-[…]]` was not a range but a subtraction after `a`.
                    items.push_str(&self.class_char(from)?);
                    sub = Some(self.subtraction(ci)?);
                } else {
                    items.push_str(&self.range(from, ch)?);
                }
            } else if self.pos + 1 < self.p.len()
                && self.p[self.pos] == '-'
                && self.p[self.pos + 1] != ']'
            {
                range_from = Some(ch);
                self.pos += 1;
            } else if self.pos < self.p.len()
                && ch == '-'
                && !translated
                && self.p[self.pos] == '['
                && !first
            {
                self.pos += 1;
                sub = Some(self.subtraction(ci)?);
            } else {
                items.push_str(&self.class_char(ch)?);
            }
            first = false;
        }
        if items.is_empty() {
            return Err(self.unsupported("an empty character class"));
        }
        let base = format!("[{}{items}]", if negate { "^" } else { "" });
        Ok(match sub {
            Some(s) => format!("[{base}--{s}]"),
            None => base,
        })
    }

    /// The class subtracted by `-[…]`, which must end the enclosing class.
    fn subtraction(&mut self, ci: bool) -> Result<String, Problem> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.unsupported("character classes nested too deeply"));
        }
        let s = self.class(ci)?;
        self.depth -= 1;
        if self.peek().is_some_and(|c| c != ']') {
            return Err(self.invalid("a subtraction must be the last element in a character class"));
        }
        Ok(s)
    }

    fn class_char(&self, c: char) -> Result<String, Problem> {
        if c as u32 > 0xFFFF {
            return Err(self.unsupported(
                "a character outside the Basic Multilingual Plane in [...] (.NET matches its UTF-16 units separately)",
            ));
        }
        Ok(esc(c))
    }

    fn range(&self, from: char, to: char) -> Result<String, Problem> {
        if from > to {
            return Err(self.invalid("[x-y] range in reverse order"));
        }
        Ok(format!(
            "{}-{}",
            self.class_char(from)?,
            self.class_char(to)?
        ))
    }
}

/// `\w`, `\W`, `\d`, `\D`, `\s`, `\S` as .NET defines them, in the crate's syntax (valid both
/// alone and inside a class).
fn shorthand(c: char) -> &'static str {
    static SETS: OnceLock<[String; 6]> = OnceLock::new();
    let sets = SETS.get_or_init(|| {
        [
            format!("[{WORD}]"),
            format!("[^{WORD}]"),
            r"\p{Nd}".to_owned(),
            r"\P{Nd}".to_owned(),
            format!("[{SPACE}]"),
            format!("[^{SPACE}]"),
        ]
    });
    match c {
        'w' => &sets[0],
        'W' => &sets[1],
        'd' => &sets[2],
        'D' => &sets[3],
        's' => &sets[4],
        _ => &sets[5],
    }
}

/// A character as the crate reads it literally, in and out of classes.
fn esc(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        c.to_string()
    } else {
        format!("\\x{{{:X}}}", c as u32)
    }
}

/// Writes the crate's pattern, numbering its capture groups.
struct Emit {
    out: String,
    /// The crate's next capture index.
    next: usize,
    /// The crate's capture index of each .NET capture (by id).
    cap_index: Vec<usize>,
    newlines: Vec<usize>,
    inner_end: bool,
    boundary: bool,
}

impl Emit {
    /// `last`: nothing follows the node in the pattern (its end is the match's end).
    fn emit(&mut self, n: &Node, last: bool) {
        match n {
            Node::Empty => self.out.push_str("(?:)"),
            // A character outside the BMP has no case in .NET (it sees two surrogates).
            Node::Char(c, ci) if *ci && (*c as u32) <= 0xFFFF => {
                self.out.push_str("(?i:");
                self.out.push_str(&esc(*c));
                self.out.push(')');
            }
            Node::Char(c, _) => self.out.push_str(&esc(*c)),
            Node::Set(s, true) => {
                self.out.push_str("(?i:");
                self.out.push_str(s);
                self.out.push(')');
            }
            Node::Set(s, false) => self.out.push_str(s),
            Node::Any(false) => self.out.push_str(r"[^\x{A}]"),
            Node::Any(true) => self.out.push_str("(?s:.)"),
            Node::Begin => self.out.push_str(r"\A"),
            Node::End => self.out.push_str(r"\z"),
            Node::Bol => self.out.push_str("(?m:^)"),
            Node::Eol => self.out.push_str("(?m:$)"),
            Node::EndZ if last => {
                self.newlines.push(self.next);
                self.next += 1;
                self.out.push_str(r"(?:(\x{A})?\z)");
            }
            Node::EndZ => {
                self.inner_end = true;
                self.out.push_str(r"\z");
            }
            Node::Boundary(yes) => {
                self.boundary = true;
                self.out.push_str(if *yes { r"\b" } else { r"\B" });
            }
            Node::Group(body, cap) => {
                match cap {
                    Some(id) => {
                        self.cap_index[*id] = self.next;
                        self.next += 1;
                        self.out.push('(');
                    }
                    None => self.out.push_str("(?:"),
                }
                self.emit(body, last);
                self.out.push(')');
            }
            Node::Concat(items) => {
                for (i, it) in items.iter().enumerate() {
                    self.emit(it, last && i + 1 == items.len());
                }
            }
            Node::Alt(branches) => {
                self.out.push_str("(?:");
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push('|');
                    }
                    self.emit(b, last);
                }
                self.out.push(')');
            }
            Node::Repeat(body, min, max, lazy) => {
                self.out.push_str("(?:");
                self.emit(body, false);
                self.out.push(')');
                match max {
                    Some(max) => self.out.push_str(&format!("{{{min},{max}}}")),
                    None => self.out.push_str(&format!("{{{min},}}")),
                }
                if *lazy {
                    self.out.push('?');
                }
            }
        }
    }
}

/// `Regex.Unescape`: the character escapes of patterns (`\n`, `\x41`, `\u0041`, `\101`,
/// `\cA`, `\.` …) are decoded, a final lone `\` is dropped.
pub(crate) fn unescape(s: &str) -> Result<String, Problem> {
    let chars: Vec<char> = s.chars().collect();
    let mut p = Parser {
        p: &chars,
        pos: 0,
        f: Flags::default(),
        caps: Vec::new(),
        depth: 0,
    };
    let mut out = String::with_capacity(s.len());
    while let Some(c) = p.peek() {
        p.pos += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        match p.peek() {
            None => break,
            Some('u') => {
                // A surrogate pair written as two escapes is one character.
                p.pos += 1;
                let hi = p.hex_value(4)?;
                if (0xD800..0xDC00).contains(&hi)
                    && p.peek() == Some('\\')
                    && p.at(p.pos + 1) == Some('u')
                {
                    let back = p.pos;
                    p.pos += 2;
                    let lo = p.hex_value(4)?;
                    if (0xDC00..0xE000).contains(&lo) {
                        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        out.extend(char::from_u32(c));
                        continue;
                    }
                    p.pos = back;
                }
                out.push(
                    char::from_u32(hi)
                        .ok_or_else(|| p.unsupported("a lone surrogate code unit"))?,
                );
            }
            Some(_) => out.push(p.char_escape()?),
        }
    }
    Ok(out)
}

/// `Regex.Escape`: .NET's metacharacters get a `\` (`\n`, `\r`, `\t`, `\f` become escapes).
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0C' => out.push_str("\\f"),
            ' ' | '#' | '$' | '(' | ')' | '*' | '+' | '.' | '?' | '[' | '\\' | '^' | '{' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}
