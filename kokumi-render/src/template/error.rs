//! Template errors, worded the way Helm 4.3.1 prints them.

use std::fmt;

use super::lex::go_quote;

/// Why parsing or executing a template failed.
///
/// `Display` gives the text `helm template` prints after `Error: `: parse errors as
/// `parse error at (chart/templates/x.yaml:12): unexpected "}" in operand`, `required`/`fail` as
/// `execution error at (chart/templates/x.yaml:7:4): message`, and other execution errors in
/// Helm 4's layout (location, `executing "name" at <node>:`, message, one level per
/// include). [`Error::go_message`] gives Go's own one-line text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A template did not parse.
    Parse {
        /// The file (template set name) being parsed.
        name: String,
        /// The 1-based line of the offending token.
        line: usize,
        /// Go's message, e.g. `function "foo" not defined`.
        message: String,
    },
    /// A template failed while executing.
    Exec(Box<ExecError>),
    /// `render` named a template that the set does not hold.
    NoTemplate {
        /// The name asked for.
        name: String,
    },
}

/// The details of an execution error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecError {
    /// `file:line:col` of the node being evaluated, or empty when there was none.
    pub location: String,
    /// The template executing (`executing "NAME"`).
    pub template: String,
    /// Go's short form of the node (`.Values.x`), at most 20 characters and `...`.
    pub context: String,
    /// What went wrong (for a failing call, `error calling NAME: ...` with the inner text).
    pub message: String,
    /// The message of a `fail`/`required` raised at any depth (Helm's `HELM_ERR_START` mark).
    pub helm_message: Option<String>,
}

impl ExecError {
    /// Go's text: `template: LOC: executing "NAME" at <CTX>: MSG`.
    pub fn go_message(&self) -> String {
        if self.location.is_empty() {
            format!("template: {}: {}", self.template, self.message)
        } else {
            format!(
                "template: {}: executing {} at <{}>: {}",
                self.location,
                go_quote(&self.template),
                self.context,
                self.message
            )
        }
    }
}

impl Error {
    /// Go's own error text (`template: x.yaml:3:4: executing ...`).
    pub fn go_message(&self) -> String {
        match self {
            Error::Parse {
                name,
                line,
                message,
            } => format!("template: {name}:{line}: {message}"),
            Error::Exec(e) => e.go_message(),
            Error::NoTemplate { name } => format!(
                "template: no template {} associated with template \"gotpl\"",
                go_quote(name)
            ),
        }
    }

    /// For `fail`/`required`: the user's message.
    pub fn helm_message(&self) -> Option<&str> {
        match self {
            Error::Exec(e) => e.helm_message.as_deref(),
            _ => None,
        }
    }
}

/// Helm 4's multi-line layout of a chain of Go exec errors, or `None` when the text does not
/// have that shape (then Helm prints Go's text as is).
fn helm4_layout(go: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = go;
    loop {
        let Some((loc, name, ctx, msg)) = split_exec(rest) else {
            // A nested error that is not an execution error (`template: no template ...`)
            // goes on its own line as Go words it.
            if out.is_empty() {
                return None;
            }
            out.push('\n');
            out.push_str(rest);
            return Some(out);
        };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(loc);
        out.push_str("\n  executing \"");
        out.push_str(name);
        out.push_str("\" at <");
        out.push_str(ctx);
        out.push_str(">:\n    ");
        if msg.starts_with("error calling ") {
            // Only a call whose error is another template's error is laid out; a function's
            // own error keeps Go's one-line text.
            let (call, inner) = msg.split_once(": ")?;
            if !inner.starts_with("template: ") {
                return None;
            }
            out.push_str(call);
            out.push(':');
            rest = inner;
            continue;
        }
        out.push_str(msg);
        return Some(out);
    }
}

/// Splits `template: LOC: executing "NAME" at <CTX>: MSG`.
fn split_exec(s: &str) -> Option<(&str, &str, &str, &str)> {
    let body = s.strip_prefix("template: ")?;
    let (loc, after) = body.split_once(": executing \"")?;
    let (name, after) = after.split_once("\" at <")?;
    let (ctx, msg) = after.split_once(">: ")?;
    Some((loc, name, ctx, msg))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse { .. } => {
                // Helm's cleanupParseError: the location, then the last ": " part.
                let go = self.go_message();
                let tokens: Vec<&str> = go.split(": ").collect();
                let loc = tokens.get(1).copied().unwrap_or_default();
                let msg = tokens.last().copied().unwrap_or_default();
                write!(f, "parse error at ({loc}): {msg}")
            }
            Error::Exec(e) => {
                if let Some(m) = &e.helm_message {
                    return write!(f, "execution error at ({}): {m}", e.location);
                }
                let go = e.go_message();
                match helm4_layout(&go) {
                    Some(text) => f.write_str(&text),
                    None => f.write_str(&go),
                }
            }
            Error::NoTemplate { .. } => f.write_str(&self.go_message()),
        }
    }
}

impl std::error::Error for Error {}
