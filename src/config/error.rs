//! What goes wrong reading `baton.toml`: one error with its place (`file:line:col`), every
//! error of one parse together, and the collector a parse records them in so it can go on.

use std::cell::RefCell;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}:{line}:{col}: {message}")]
    At {
        file: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    File { file: PathBuf, message: String },
    #[error("{var}: {message}")]
    Env { var: &'static str, message: String },
}

/// Every problem one parse found, in the order they stand in the file, so an author (or
/// `baton check`) sees them all at once rather than one per attempt.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

/// The problems found so far; a check that fails records its error here and the parse goes
/// on with the rest, so one run reports them all.
#[derive(Default)]
pub(crate) struct Found(RefCell<Vec<ConfigError>>);

impl Found {
    /// The value, or None with its error kept.
    pub(crate) fn keep<T>(&self, r: Result<T, ConfigError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.borrow_mut().push(e);
                None
            }
        }
    }

    pub(super) fn push(&self, e: ConfigError) {
        self.0.borrow_mut().push(e);
    }

    pub(super) fn into_errors(self) -> Option<ConfigErrors> {
        let mut all = self.0.into_inner();
        if all.is_empty() {
            return None;
        }
        // Stable: the environment's (no position) first, then by place in the file.
        all.sort_by_key(|e| match e {
            ConfigError::At { line, col, .. } => (1, *line, *col),
            ConfigError::File { .. } | ConfigError::Env { .. } => (0, 0, 0),
        });
        Some(ConfigErrors(all))
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
