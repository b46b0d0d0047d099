//! What helm logs while it renders: the values warnings of coalescing (Go's `log.Printf`), an
//! unresolved `urn:` schema reference, a failure it logs before it returns it. A render returns
//! them as [`Record`]s, never prints them: [`Record`]'s `Display` is the plain message (with its
//! attributes), [`Record::helm_line`] the line `helm template` writes to stderr.

use std::fmt;

/// A record's severity, as `slog` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `INFO`: helm 4 sends Go's `log.Printf` (every values warning) through `slog` at this
    /// level.
    Info,
    /// `WARN`.
    Warn,
    /// `ERROR`: a failure helm logs before it returns it.
    Error,
}

/// One thing logged: a level, a message and `key=value` attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// How severe.
    pub level: Level,
    /// What happened.
    pub message: String,
    /// Details, in order (`urn`, `error`).
    pub attrs: Vec<(&'static str, String)>,
}

impl Record {
    /// A values warning (helm's `log.Printf`).
    pub fn info(message: impl Into<String>) -> Self {
        Record {
            level: Level::Info,
            message: message.into(),
            attrs: Vec::new(),
        }
    }

    /// A record at `level` with one attribute.
    pub fn with(level: Level, message: &str, key: &'static str, value: impl Into<String>) -> Self {
        Record {
            level,
            message: message.to_owned(),
            attrs: vec![(key, value.into())],
        }
    }

    /// The line helm 4.3.1 writes for this record: `slog`'s text handler without a time,
    /// `level=INFO msg="warning: ..."`.
    pub fn helm_line(&self) -> String {
        let level = match self.level {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        };
        let mut line = format!("level={level} msg={}", slog_value(&self.message));
        for (key, value) in &self.attrs {
            line.push_str(&format!(" {key}={}", slog_value(value)));
        }
        line
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        for (key, value) in &self.attrs {
            write!(f, " {key}={value}")?;
        }
        Ok(())
    }
}

/// A message or attribute value as `slog`'s text handler writes it: as is, or quoted as
/// `strconv.Quote` quotes when it is empty or holds a space, `=`, `"`, a control character or a
/// character Go does not print.
fn slog_value(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            if c.is_ascii() {
                c.is_ascii_graphic() && c != '=' && c != '"'
            } else {
                !c.is_whitespace() && crate::gounicode::is_print(c)
            }
        });
    if plain {
        s.to_owned()
    } else {
        crate::gofmt::quote(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_slog_text() {
        let skipped = Record::info("warning: skipped value for top.c: Not a table.");
        assert_eq!(
            skipped.helm_line(),
            r#"level=INFO msg="warning: skipped value for top.c: Not a table.""#
        );
        assert_eq!(
            skipped.to_string(),
            "warning: skipped value for top.c: Not a table."
        );
        let urn = Record::with(Level::Warn, "unresolved", "urn", "urn:example:port");
        assert_eq!(
            urn.helm_line(),
            "level=WARN msg=unresolved urn=urn:example:port"
        );
        assert_eq!(urn.to_string(), "unresolved urn=urn:example:port");
        // Quoted: a quote, `=`, a space, a control character, an empty value; not a backslash.
        for (value, line) in [
            ("say \"h\"", r#"msg="say \"h\"""#),
            ("a=b", r#"msg="a=b""#),
            ("tab\there", r#"msg="tab\there""#),
            ("", r#"msg="""#),
            ("back\\slash", r"msg=back\slash"),
            ("naïve", "msg=naïve"),
            ("no\u{a0}break", r#"msg="no\u00a0break""#),
        ] {
            assert_eq!(
                Record::info(value).helm_line(),
                format!("level=INFO {line}"),
                "{value:?}"
            );
        }
    }
}
