//! Load errors for rule files, each pointing at the offending file, line and column.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in the rule files; `line` and `col` are 1-based (0 when no position applies).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{col}: {message}", file.display())]
pub struct RulesError {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl RulesError {
    /// An error about a whole file or directory, with no position inside it.
    pub fn at_path(file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            line: 0,
            col: 0,
            message: message.into(),
        }
    }
}

/// Every problem found in one load, in file order, so a single `baton check` shows them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesErrors(pub Vec<RulesError>);

impl fmt::Display for RulesErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RulesErrors {}

impl From<RulesError> for RulesErrors {
    fn from(error: RulesError) -> Self {
        Self(vec![error])
    }
}

/// One source file as the compiler sees it: its name, its text and its place in load order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub index: usize,
    pub path: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    /// 1-based line and column (in characters, so an emoji counts once) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    /// Byte offset of character `char_offset` inside a TOML string value spanning `span`.
    ///
    /// Only when the value is written without escapes does a position inside the decoded string
    /// map onto the file; otherwise the error points at the start of the value.
    pub fn offset_in_string(&self, span: &Range<usize>, value: &str, byte_offset: usize) -> usize {
        let Some(raw) = self.text.get(span.clone()) else {
            return span.start;
        };
        let body = ["'''", "\"\"\"", "'", "\""].iter().find_map(|quote| {
            raw.strip_prefix(quote)
                .and_then(|rest| rest.strip_suffix(quote))
                .map(|body| (quote.len(), body))
        });
        match body {
            Some((quote_len, body)) if body == value && value.is_char_boundary(byte_offset) => {
                span.start + quote_len + byte_offset
            }
            _ => span.start,
        }
    }

    /// Byte offset of `key` as written before the value at `value_at`, for errors about the key
    /// itself; the value's offset if the key cannot be found.
    ///
    /// Only `=` and spaces stand between a key and its value, so the last occurrence before the
    /// value is the key (serde gives no spans for struct keys).
    pub fn key_before(&self, value_at: usize, key: &str) -> usize {
        self.text
            .get(..value_at)
            .and_then(|before| before.rfind(key))
            .unwrap_or(value_at)
    }
}

/// Collects errors from all files, then hands them back sorted by file order and position.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    found: Vec<(usize, usize, RulesError)>,
}

impl Diagnostics {
    pub fn push(&mut self, source: &Source<'_>, offset: usize, message: impl Into<String>) {
        let (line, col) = source.line_col(offset);
        let error = RulesError {
            file: source.path.to_path_buf(),
            line,
            col,
            message: message.into(),
        };
        self.found.push((source.index, offset, error));
    }

    /// Where a value is, as `file:line:col`, for messages that name an earlier definition.
    pub fn locate(source: &Source<'_>, offset: usize) -> String {
        let (line, col) = source.line_col(offset);
        format!("{}:{line}:{col}", source.path.display())
    }

    /// An error with no position, such as an I/O problem or a limit of the whole rule set.
    pub fn push_error(&mut self, error: RulesError) {
        self.found.push((usize::MAX, 0, error));
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    pub fn finish(mut self) -> RulesErrors {
        // Stable, so two errors at one spot keep the order in which they were found.
        self.found.sort_by_key(|(file, offset, _)| (*file, *offset));
        RulesErrors(self.found.into_iter().map(|(_, _, e)| e).collect())
    }
}
