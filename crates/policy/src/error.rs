//! The error type and conversion of byte offsets to line and column.

/// A policy document could not be parsed.
///
/// `line` and `column` are 1-based and point into the text that was passed to
/// [`PolicyDocument::parse`](crate::PolicyDocument::parse); the column counts
/// characters (Unicode scalar values), not bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct PolicyError {
    /// What is wrong, e.g. `unexpected end tag </inbound>, expected </outbound>`.
    pub message: String,
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column (in characters) of the problem.
    pub column: usize,
}

impl PolicyError {
    /// An error at an explicit line and column.
    pub fn new(message: impl Into<String>, line: usize, column: usize) -> Self {
        PolicyError {
            message: message.into(),
            line,
            column,
        }
    }

    /// An error at byte `offset` of `text` (clamped into the text).
    pub(crate) fn at_offset(text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(text, offset);
        PolicyError::new(message, line, column)
    }
}

/// An error found while scanning, positioned by byte offset; turned into a
/// [`PolicyError`] once the text it refers to is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OffsetError {
    pub offset: usize,
    pub message: String,
}

impl OffsetError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        OffsetError {
            offset,
            message: message.into(),
        }
    }
}

/// The largest char boundary of `text` that is `<= offset`.
fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut i = offset.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_boundary(text, offset)];
    let line = 1 + before.bytes().filter(|&b| b == b'\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = 1 + before[line_start..].chars().count();
    (line, column)
}

/// Line numbers of increasing offsets, counted incrementally.
#[derive(Debug, Default)]
pub(crate) struct LineCounter {
    offset: usize,
    line: usize,
}

impl LineCounter {
    /// The 1-based line of `offset` in `text`; offsets should not decrease
    /// between calls (a smaller one is counted from the start again).
    pub(crate) fn line_of(&mut self, text: &str, offset: usize) -> usize {
        let offset = floor_boundary(text, offset);
        if offset < self.offset {
            *self = LineCounter::default();
        }
        let newlines = text.as_bytes()[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines;
        self.offset = offset;
        self.line + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let text = "ab\r\nçd\nx";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 1), (1, 2));
        assert_eq!(line_column(text, 4), (2, 1));
        assert_eq!(line_column(text, 6), (2, 2));
        assert_eq!(line_column(text, 5), (2, 1));
        assert_eq!(line_column(text, 100), (3, 2));
        let mut counter = LineCounter::default();
        assert_eq!(counter.line_of(text, 2), 1);
        assert_eq!(counter.line_of(text, 9), 3);
        assert_eq!(counter.line_of(text, 4), 2);
    }

    #[test]
    fn display() {
        let e = PolicyError::new("document is empty", 1, 1);
        assert_eq!(e.to_string(), "line 1, column 1: document is empty");
    }
}
