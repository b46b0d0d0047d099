//! The syntax tree: Go's `text/template/parse` nodes, with byte positions and functions
//! resolved at parse time.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::ops::Range;
use std::sync::Arc;

use crate::value::{Func, Value};

use super::builtins::Builtin;

/// A piece of a template file's text: text nodes, names and literals are byte ranges of
/// the file's one copy (its tree's `source`) instead of each owning a copy or a count of it.
/// The offsets are 32-bit (the lexer takes no longer text).
#[derive(Clone, Copy, Default)]
pub(crate) struct SrcStr {
    start: u32,
    end: u32,
}

impl SrcStr {
    /// `start..end`, which must be char boundaries of the source. Offsets past 4 GiB (never
    /// produced by the lexer) give an empty piece.
    pub(crate) fn new(start: usize, end: usize) -> Self {
        let (start, end) = match (u32::try_from(start), u32::try_from(end)) {
            (Ok(s), Ok(e)) => (s, e),
            _ => (0, 0),
        };
        Self { start, end }
    }

    /// Its text in `src`, the source it was parsed from.
    pub(crate) fn get<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    /// Whether it is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

impl fmt::Debug for SrcStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// One parsed template: a file's top level, or a `define`/`block` body.
#[derive(Debug)]
pub(crate) struct Tree {
    /// The template's name (the file name, or the `define`d name).
    pub(crate) name: Arc<str>,
    /// The name of the file it was parsed from (Go's `ParseName`), for error locations.
    pub(crate) parse_name: Arc<str>,
    /// The whole text of that file, for turning positions into `line:col`.
    pub(crate) source: Arc<str>,
    /// The lists and arguments of the file (shared by the trees it defines).
    pub(crate) arena: Arc<Arena>,
    /// The body, in `arena`.
    pub(crate) root: Span,
}

/// Every node list and every pipeline's arguments of one file, each list (or pipeline's
/// arguments) one stretch after the other: a [`Branch`] or [`Pipe`] names its stretch
/// ([`Span`]) instead of owning an allocation of its own, so a file's lists and pipelines cost
/// two allocations to build and two to free, not one each.
#[derive(Debug, Default)]
pub(crate) struct Arena {
    pub(crate) args: Vec<Arg>,
    pub(crate) nodes: Vec<Node>,
    /// The variables pipelines declare, and the commands after their first.
    pub(crate) decls: Vec<SrcStr>,
    pub(crate) cmds: Vec<CmdSpan>,
    /// The parenthesised pipelines.
    pub(crate) pipes: Vec<Pipe>,
    /// The file's text, which the nodes' [`SrcStr`]s are pieces of.
    pub(crate) source: Arc<str>,
}

impl Arena {
    /// The arguments in `span` (empty if out of bounds, which a tree never produces).
    pub(crate) fn args(&self, span: Span) -> &[Arg] {
        self.args.get(span.range()).unwrap_or_default()
    }

    /// Parenthesised pipeline `at` (an empty one if out of bounds, which a tree never
    /// produces).
    pub(crate) fn pipe(&self, at: u32) -> &Pipe {
        static NONE: Pipe = Pipe {
            pos: 0,
            is_assign: false,
            decl: Span { start: 0, end: 0 },
            args: Span { start: 0, end: 0 },
            first: CmdSpan { pos: 0, end: 0 },
            more: Span { start: 0, end: 0 },
        };
        self.pipes.get(at as usize).unwrap_or(&NONE)
    }

    /// The variables in `span`.
    pub(crate) fn decls(&self, span: Span) -> &[SrcStr] {
        self.decls.get(span.range()).unwrap_or_default()
    }

    /// The text of `piece`.
    pub(crate) fn text(&self, piece: SrcStr) -> &str {
        piece.get(&self.source)
    }

    /// The nodes in `span` (as for [`args`](Self::args)).
    pub(crate) fn nodes(&self, span: Span) -> &[Node] {
        self.nodes.get(span.range()).unwrap_or_default()
    }
}

/// Where a list or a pipeline's arguments are in its file's [`Arena`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// How many items it spans.
    pub(crate) fn len(self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    /// Whether it spans none.
    pub(crate) fn is_empty(self) -> bool {
        self.end <= self.start
    }
}

thread_local! {
    /// The arena of the nodes an error message is printing on this thread (set only while
    /// it prints them: `Display` has no other way to reach their lists and arguments).
    static SHOWN: RefCell<Option<Arc<Arena>>> = const { RefCell::new(None) };
}

/// Makes `arena` the one nodes print from (see [`SHOWN`]); returns the previous one, to be
/// put back with this again.
pub(crate) fn show_arena(arena: Option<Arc<Arena>>) -> Option<Arc<Arena>> {
    SHOWN.with(|s| s.replace(arena))
}

/// The arena nodes print from (an empty one when none is set).
fn shown() -> Arc<Arena> {
    SHOWN.with(|s| s.borrow().clone()).unwrap_or_default()
}

impl Tree {
    /// Go's `IsEmptyTree`: only whitespace text and comments.
    pub(crate) fn is_empty(&self) -> bool {
        list_is_empty(self.arena.nodes(self.root), &self.source)
    }

    /// `name:line:col` of byte offset `pos`, as Go's `ErrorContext` prints it.
    pub(crate) fn location(&self, pos: usize) -> String {
        let pos = pos.min(self.source.len());
        let before = &self.source.as_bytes()[..pos];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let col = match before.iter().rposition(|&b| b == b'\n') {
            Some(nl) => pos - (nl + 1),
            None => pos,
        };
        format!("{}:{line}:{col}", self.parse_name)
    }
}

pub(crate) fn list_is_empty(list: &[Node], src: &str) -> bool {
    list.iter().all(|n| match n {
        Node::Text(t) => t.get(src).trim_ascii().is_empty(),
        Node::Comment => true,
        _ => false,
    })
}

/// A node of a list.
#[derive(Debug)]
pub(crate) enum Node {
    /// Plain text, written as is.
    Text(SrcStr),
    /// `{{ pipeline }}`: evaluated and printed unless it declares variables.
    Action(Pipe),
    /// `{{if}}`.
    If(Branch),
    /// `{{with}}`.
    With(Branch),
    /// `{{range}}`.
    Range(Branch),
    /// `{{template "name" pipeline}}` (also what `{{block}}` leaves in place).
    Template {
        /// Position of the name.
        pos: usize,
        /// The template invoked.
        name: Box<str>,
        /// Its data.
        pipe: Option<Pipe>,
    },
    /// `{{break}}`.
    Break(#[allow(dead_code)] usize),
    /// `{{continue}}`.
    Continue(#[allow(dead_code)] usize),
    /// A comment (kept only when comments are parsed).
    Comment,
}

/// The shared shape of if/with/range.
#[derive(Debug)]
pub(crate) struct Branch {
    /// The pipeline position.
    pub(crate) pos: usize,
    /// The condition or collection.
    pub(crate) pipe: Pipe,
    /// The body, in the file's [`Arena`].
    pub(crate) list: Span,
    /// The `{{else}}` body.
    pub(crate) else_list: Option<Span>,
}

/// A pipeline, with its optional variable declarations.
#[derive(Debug)]
pub(crate) struct Pipe {
    /// Position of its first token.
    pub(crate) pos: usize,
    /// `=` rather than `:=`.
    pub(crate) is_assign: bool,
    /// Variables declared or assigned (`$x`, or `$i, $v` in range).
    pub(crate) decl: Span,
    /// The operands and arguments of every command, one after the other, in the file's
    /// [`Arena`].
    pub(crate) args: Span,
    /// The first command's extent in `args` (every pipeline has one).
    pub(crate) first: CmdSpan,
    /// The extents of the `|`-separated commands after it.
    pub(crate) more: Span,
}

/// Where a command starts in the source and where its arguments end in [`Pipe::args`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct CmdSpan {
    /// Position of its first token.
    pub(crate) pos: usize,
    /// One past its last argument in the pipeline's `args`.
    pub(crate) end: usize,
}

impl Pipe {
    /// The commands, in order (`all` the file's arguments).
    pub(crate) fn cmds<'a>(&'a self, all: &'a Arena) -> impl Iterator<Item = Command<'a>> {
        let mut start = 0;
        let own = all.args(self.args);
        std::iter::once(&self.first)
            .chain(all.cmds.get(self.more.range()).unwrap_or_default())
            .map(move |span| {
                let args = own.get(start..span.end).unwrap_or_default();
                start = span.end;
                Command {
                    pos: span.pos,
                    args,
                }
            })
    }

    /// How many commands it has.
    pub(crate) fn cmd_count(&self) -> usize {
        1 + self.more.len()
    }

    /// Its last command (`all` the file's arguments).
    pub(crate) fn last_cmd<'a>(&'a self, all: &'a Arena) -> Command<'a> {
        let more = all.cmds.get(self.more.range()).unwrap_or_default();
        let (pos, start) = match more {
            [] => (self.first.pos, 0),
            [.., last] => (
                last.pos,
                match more.len() {
                    1 => self.first.end,
                    n => more[n - 2].end,
                },
            ),
        };
        Command {
            pos,
            args: all.args(self.args).get(start..).unwrap_or_default(),
        }
    }
}

/// A command: an operand followed by arguments (a view into its [`Pipe`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Command<'a> {
    /// Position of its first token.
    pub(crate) pos: usize,
    /// The operand and its arguments (never empty).
    pub(crate) args: &'a [Arg],
}

/// The field names after a term (`.a.b.c`), kept as the one piece of source they are.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields {
    text: Option<SrcStr>,
    /// Where each name ends in `text`, when they fit here (see `count`).
    ends: [u8; Fields::INLINE],
    /// How many names `ends` holds, or [`Fields::SCAN`]: too many or too long, find the dots.
    count: u8,
}

impl Fields {
    const INLINE: usize = 7;
    const SCAN: u8 = u8::MAX;

    /// Notes where the next name ends, counted from the first name's dot.
    pub(crate) fn record_end(&mut self, end: usize) {
        if self.count == Self::SCAN {
            return;
        }
        match u8::try_from(end) {
            Ok(e) if usize::from(self.count) < Self::INLINE => {
                self.ends[usize::from(self.count)] = e;
                self.count += 1;
            }
            _ => self.count = Self::SCAN,
        }
    }

    /// The names recorded so far, with their text `src` (`.a.b.c`).
    pub(crate) fn with_text(mut self, src: SrcStr) -> Self {
        self.text = Some(src);
        self
    }

    /// The text, `.a.b.c` (`src` the source it was parsed from).
    pub(crate) fn as_str<'a>(&self, src: &'a str) -> &'a str {
        self.text.map_or("", |t| t.get(src))
    }

    /// How many names.
    pub(crate) fn len(&self, src: &str) -> usize {
        if self.count == Self::SCAN {
            return self.as_str(src).bytes().filter(|&b| b == b'.').count();
        }
        usize::from(self.count)
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_none_or(|t| t.is_empty())
    }

    /// The names, without their dots.
    pub(crate) fn iter<'a>(&'a self, src: &'a str) -> FieldNames<'a> {
        let ends: &[u8] = match self.count {
            Self::SCAN => &[],
            n => &self.ends[..usize::from(n)],
        };
        FieldNames {
            text: self.as_str(src),
            ends,
            scan: self.count == Self::SCAN,
            start: 0,
        }
    }
}

/// The names of [`Fields`], in order.
pub(crate) struct FieldNames<'a> {
    text: &'a str,
    ends: &'a [u8],
    scan: bool,
    /// Where the next name's dot is.
    start: usize,
}

impl<'a> Iterator for FieldNames<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let end = if self.scan {
            // The text is `.name.name…`: a name runs from after its dot to the next dot.
            let rest = self.text.as_bytes().get(self.start + 1..)?;
            self.start + 1 + rest.iter().position(|&b| b == b'.').unwrap_or(rest.len())
        } else {
            let (&first, rest) = self.ends.split_first()?;
            self.ends = rest;
            usize::from(first)
        };
        let name = self.text.get(self.start + 1..end)?;
        self.start = end;
        Some(name)
    }
}

/// A number literal with every interpretation Go's parser records.
#[derive(Debug, Clone)]
pub(crate) struct Number {
    /// The literal text.
    pub(crate) text: SrcStr,
    /// Representable as an int64.
    pub(crate) int: Option<i64>,
    /// Representable as a uint64 (but maybe not int64).
    pub(crate) is_uint: bool,
    /// Representable as a float64.
    pub(crate) float: Option<f64>,
    /// A complex literal (unsupported at execution).
    pub(crate) is_complex: bool,
    /// A character constant.
    pub(crate) is_char: bool,
}

/// How a function identifier is bound.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FuncRef {
    /// A Go builtin.
    Builtin(Builtin),
    /// A Sprig or pure Helm function.
    Plain(Func, Option<crate::funcs::Signature>),
    /// Helm's `include`.
    Include,
    /// Helm's `tpl`.
    Tpl,
    /// Helm's `required`.
    Required,
    /// Helm's `fail`.
    Fail,
    /// Helm's `lookup` (no cluster: an empty map).
    Lookup,
}

/// An operand.
#[derive(Debug)]
pub(crate) enum Arg {
    /// `.a.b`.
    Field {
        /// Position.
        pos: usize,
        /// The field names.
        idents: Fields,
    },
    /// `(pipe).a.b`, or another term followed by fields.
    Chain {
        /// Position of the first field.
        pos: usize,
        /// The term.
        node: Box<Arg>,
        /// The field names.
        fields: Fields,
    },
    /// `$x.a.b`.
    Variable {
        /// Position.
        pos: usize,
        /// The variable name, with its `$`.
        name: SrcStr,
        /// Field names after it.
        fields: Fields,
    },
    /// `.`.
    Dot(usize),
    /// `nil`.
    Nil(usize),
    /// `true` / `false`.
    Bool(usize, bool),
    /// A number.
    Number(usize, Number),
    /// A string literal: the quoted form (for messages) and the value.
    String {
        /// Position.
        pos: usize,
        /// The literal as written.
        quoted: SrcStr,
        /// The string value.
        value: Value,
    },
    /// A parenthesised pipeline, in the file's [`Arena`].
    Pipe {
        /// Its position (the pipeline's).
        pos: usize,
        /// Where it is in [`Arena::pipes`].
        at: u32,
    },
    /// A function name.
    Func {
        /// Position.
        pos: usize,
        /// Its name.
        name: SrcStr,
        /// The resolved function.
        func: FuncRef,
    },
}

impl Arg {
    /// The node's position.
    pub(crate) fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Dot(pos)
            | Arg::Nil(pos)
            | Arg::Bool(pos, _)
            | Arg::Number(pos, _)
            | Arg::String { pos, .. }
            | Arg::Func { pos, .. } => *pos,
            Arg::Pipe { pos, .. } => *pos,
        }
    }
}

// Go's `Node.String()` forms, used in error messages (`at <.Values.x>`).

impl fmt::Display for Arg {
    /// With the text of the arena [`show_arena`] set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = shown();
        let src: &str = &all.source;
        match self {
            Arg::Field { idents, .. } => f.write_str(idents.as_str(src)),
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe { at, .. } = node.as_ref() {
                    write!(f, "({})", all.pipe(*at))?;
                } else {
                    write!(f, "{node}")?;
                }
                f.write_str(fields.as_str(src))
            }
            Arg::Variable { name, fields, .. } => {
                f.write_str(name.get(src))?;
                f.write_str(fields.as_str(src))
            }
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number(_, n) => f.write_str(n.text.get(src)),
            Arg::String { quoted, .. } => f.write_str(quoted.get(src)),
            Arg::Pipe { at, .. } => write!(f, "{}", all.pipe(*at)),
            Arg::Func { name, .. } => f.write_str(name.get(src)),
        }
    }
}

impl fmt::Display for Command<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Arg::Pipe { at, .. } = a {
                write!(f, "({})", shown().pipe(*at))?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    /// With the arguments of the arena [`show_arena`] set (none without one).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = shown();
        if !self.decl.is_empty() {
            for (i, d) in all.decls(self.decl).iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(all.text(*d))?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds(&all).enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Go's `BranchNode.String()`: `{{range pipe}}body{{else}}body{{end}}`.
/// The lists come from the arena [`show_arena`] set.
pub(crate) fn write_branch(f: &mut fmt::Formatter<'_>, name: &str, b: &Branch) -> fmt::Result {
    write!(f, "{{{{{name} {}}}}}", b.pipe)?;
    let all = shown();
    write_list(f, all.nodes(b.list))?;
    if let Some(el) = b.else_list {
        f.write_str("{{else}}")?;
        write_list(f, all.nodes(el))?;
    }
    f.write_str("{{end}}")
}

fn write_list(f: &mut fmt::Formatter<'_>, list: &[Node]) -> fmt::Result {
    for n in list {
        write!(f, "{n}")?;
    }
    Ok(())
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text(t) => f.write_str(shown().text(*t)),
            Node::Action(p) => write!(f, "{{{{{p}}}}}"),
            Node::If(b) => write_branch(f, "if", b),
            Node::With(b) => write_branch(f, "with", b),
            Node::Range(b) => write_branch(f, "range", b),
            Node::Template { name, pipe, .. } => {
                write!(f, "{{{{template {}", super::lex::go_quote(name))?;
                if let Some(p) = pipe {
                    write!(f, " {p}")?;
                }
                f.write_str("}}")
            }
            Node::Break(_) => f.write_str("{{break}}"),
            Node::Continue(_) => f.write_str("{{continue}}"),
            Node::Comment => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Fields {
        let mut f = Fields::default();
        for (i, b) in text.bytes().enumerate().skip(1) {
            if b == b'.' {
                f.record_end(i);
            }
        }
        f.record_end(text.len());
        f.with_text(SrcStr::new(0, text.len()))
    }

    #[test]
    fn field_names_come_back_from_the_inline_ends_and_from_scanning() {
        let text = ".Values.image.tag";
        let short = fields(text);
        assert_eq!(short.len(text), 3);
        assert_eq!(
            short.iter(text).collect::<Vec<_>>(),
            ["Values", "image", "tag"]
        );
        // More names than fit inline, and a name past byte 255: both are found by scanning.
        let text = ".a.b.c.d.e.f.g.h.i";
        let many = fields(text);
        assert_eq!(many.len(text), 9);
        assert_eq!(
            many.iter(text).collect::<Vec<_>>(),
            ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        );
        let long_name = "x".repeat(300);
        let text = format!(".a.{long_name}.é");
        let long = fields(&text);
        assert_eq!(long.len(&text), 3);
        assert_eq!(long.iter(&text).collect::<Vec<_>>(), ["a", &long_name, "é"]);
        assert_eq!(Fields::default().iter("").count(), 0);
        assert!(Fields::default().is_empty());
    }
}
