//! The parser: tokens to [`Tree`]s, with Go's grammar, checks and error messages.

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::Arc;

use crate::value::Value;

use super::ast::{
    Arena, Arg, Branch, CmdSpan, Fields, FuncRef, Node, Number, Pipe, Span, SrcStr, Tree,
};
use super::builtins::Builtin;
use super::error::Error;
use super::lex::{Tok, Token, lex_into, line_at};

/// Go's `maxStackDepth` for nested constructs.
const MAX_DEPTH: usize = 10_000;

/// Stack left before recursion moves to a fresh segment, and that segment's size.
pub(crate) const RED_ZONE: usize = 128 * 1024;
/// See [`RED_ZONE`].
pub(crate) const STACK_GROWTH: usize = 4 * 1024 * 1024;

/// Resolves a function name the way Helm's engine does: its late-bound functions, then Sprig
/// and Helm's pure functions, then Go's builtins.
pub(crate) fn resolve_func(name: &str) -> Option<FuncRef> {
    match name {
        "include" => return Some(FuncRef::Include),
        "tpl" => return Some(FuncRef::Tpl),
        "required" => return Some(FuncRef::Required),
        "fail" => return Some(FuncRef::Fail),
        "lookup" => return Some(FuncRef::Lookup),
        _ => {}
    }
    if let Some((f, sig)) = crate::funcs::lookup_with_signature(name) {
        return Some(FuncRef::Plain(f, Some(sig)));
    }
    Builtin::from_name(name).map(FuncRef::Builtin)
}

/// The trees one file defines: its top level first, then each `define`/`block`.
pub(crate) fn parse_file(name: &str, text: &str) -> Result<Vec<Tree>, Error> {
    parse_source(name, &Arc::from(text))
}

/// [`parse_file`] of a text already shared (the trees keep it, so it is not copied again).
pub(crate) fn parse_source(name: &str, source: &Arc<str>) -> Result<Vec<Tree>, Error> {
    let text: &str = source;
    let parse_name: Arc<str> = Arc::from(name);
    let mut stacks = STACKS.with(Cell::take);
    let lex_error = lex_into(text, false, &mut stacks.tokens);
    // Most tokens are neither a node nor an argument (delimiters, keywords, `end`s): guesses
    // that rarely grow (kube-prometheus-stack's files: 0.29 arguments and 0.19 nodes per
    // token, at most 0.49 and 0.32; 16 and 15 of its 270 files go past these).
    let arena = Arena {
        args: Vec::with_capacity(stacks.tokens.len() * 3 / 8),
        nodes: Vec::with_capacity(stacks.tokens.len() / 4),
        decls: Vec::new(),
        cmds: Vec::new(),
        pipes: Vec::new(),
        source: source.clone(),
    };
    let mut p = Parser {
        src: text,
        stacks,
        lex_error,
        idx: 0,
        var_base: 0,
        range_depth: 0,
        action_pos: None,
        depth: 0,
        parse_name: parse_name.clone(),
        source: source.clone(),
        defined: Vec::new(),
        arena,
        last_pos: 0,
        next_literal: 0,
    };
    let root = p.parse_top();
    let defined = std::mem::take(&mut p.defined);
    let arena = Arc::new(std::mem::take(&mut p.arena));
    p.recycle();
    let root = root?;
    let mut trees = Vec::with_capacity(1 + defined.len());
    trees.push(Tree {
        name: parse_name.clone(),
        parse_name: parse_name.clone(),
        source: source.clone(),
        arena: arena.clone(),
        root,
    });
    trees.extend(defined.into_iter().map(|(name, root)| Tree {
        name,
        parse_name: parse_name.clone(),
        source: source.clone(),
        arena: arena.clone(),
        root,
    }));
    Ok(trees)
}

/// The parser's working lists, kept per thread from one file to the next: they reach the
/// size the largest file needs once, instead of being allocated (and grown) for every file.
#[derive(Default)]
struct Stacks {
    /// The file's tokens.
    tokens: Vec<Token>,
    /// Variables in scope besides `$` (which every template has): those of the template being
    /// parsed are `vars[Parser::var_base..]`.
    vars: Vec<Token>,
    // Scratch stacks: a list under construction keeps its finished items on top of its
    // stack (nested lists push and take theirs above), and leaves as one exact-size slice.
    nodes: Vec<Node>,
    spans: Vec<CmdSpan>,
    args: Vec<Arg>,
    strs: Vec<SrcStr>,
    /// Functions this file has named so far (the token of the first use), so that each name
    /// is resolved once.
    funcs: Vec<(Token, FuncRef)>,
    /// The last [`LITERALS`] distinct string literals and their values: a literal repeated
    /// nearby (`"context" $`, an `include`d name) shares the value instead of a new copy.
    literals: Vec<(Token, Value)>,
}

impl Stacks {
    /// Empties every list, keeping its capacity (an error can leave items on them).
    fn clear(&mut self) {
        self.tokens.clear();
        self.vars.clear();
        self.nodes.clear();
        self.spans.clear();
        self.args.clear();
        self.strs.clear();
        self.funcs.clear();
        self.literals.clear();
    }
}

/// How many recent string literals a file's parse remembers (see [`Stacks::literals`]).
const LITERALS: usize = 8;

thread_local! {
    static STACKS: Cell<Stacks> = Cell::new(Stacks::default());
}

struct Parser<'a> {
    /// The text being parsed.
    src: &'a str,
    /// Its tokens and the working lists (see [`Stacks`]).
    stacks: Stacks,
    /// The message of the lexer's `Error` token, if it ended with one.
    lex_error: String,
    idx: usize,
    /// Where the variables of the template being parsed start in `stacks.vars`.
    var_base: usize,
    range_depth: usize,
    /// Where the action being parsed opened.
    action_pos: Option<usize>,
    depth: usize,
    parse_name: Arc<str>,
    source: Arc<str>,
    /// The `define`d and `block` templates so far: name and body.
    defined: Vec<(Arc<str>, Span)>,
    /// The file's lists and arguments so far (see [`Arena`]).
    arena: Arena,
    /// Position of the last token taken, for error lines.
    last_pos: usize,
    /// Where the next literal goes in `stacks.literals` once it is full.
    next_literal: usize,
}

/// The items of `stack` from `start` on, moved to the end of `to`: their [`Span`] there.
fn move_to<T>(stack: &mut Vec<T>, start: usize, to: &mut Vec<T>) -> Span {
    let from = to.len();
    if start == 0 {
        // The whole stack (a pipeline not inside another, a file's top level): one copy,
        // where draining moves the items one by one.
        to.append(stack);
    } else {
        to.extend(stack.drain(start..));
    }
    // Both fit: there are fewer nodes and arguments than bytes of text (at most `u32::MAX`).
    Span {
        start: from as u32,
        end: to.len() as u32,
    }
}

type PResult<T> = Result<T, Error>;

impl<'a> Parser<'a> {
    /// Empties the working lists (an error can leave items on them) and keeps them for the
    /// thread's next file.
    fn recycle(self) {
        let mut stacks = self.stacks;
        stacks.clear();
        STACKS.with(|s| s.set(stacks));
    }

    fn next(&mut self) -> Token {
        // Past the end, the last token (`Eof` or `Error`) again.
        let t = match self.stacks.tokens.get(self.idx) {
            Some(&t) => {
                self.idx += 1;
                t
            }
            None => *self.last_token(),
        };
        self.last_pos = t.pos();
        t
    }

    fn last_token(&self) -> &Token {
        const EOF: Token = Token::eof(0);
        self.stacks.tokens.last().unwrap_or(&EOF)
    }

    /// The token's text as a piece of the shared source (not for `Error` tokens).
    fn span(&self, t: &Token) -> SrcStr {
        SrcStr::new(t.pos(), t.end())
    }

    /// The token's text.
    fn text(&self, t: &Token) -> &'a str {
        t.text(self.src)
    }

    fn peek(&self) -> &Token {
        match self.stacks.tokens.get(self.idx) {
            Some(t) => t,
            None => self.last_token(),
        }
    }

    fn backup(&mut self) {
        self.idx -= 1;
    }

    /// The next token (spaces are no tokens; the name keeps Go's parser's vocabulary).
    fn next_non_space(&mut self) -> Token {
        self.next()
    }

    /// The next token, left in place (taken and put back, for `last_pos`).
    fn peek_non_space(&mut self) -> Token {
        let t = self.next();
        self.backup();
        t
    }

    /// Whether a `.name` follows with no space before it (continuing a field chain).
    fn field_follows(&self) -> bool {
        let t = self.peek();
        t.kind == Tok::Field && !t.spaced
    }

    fn errorf(&self, msg: impl Into<String>) -> Error {
        Error::Parse {
            name: self.parse_name.to_string(),
            line: line_at(&self.source, self.last_pos),
            message: msg.into(),
        }
    }

    fn unexpected(&self, token: &Token, context: &str) -> Error {
        let line = line_at(&self.source, token.pos());
        if token.kind == Tok::Error {
            let mut extra = String::new();
            let action_line = self.action_pos.map(|p| line_at(&self.source, p));
            if let Some(action_line) = action_line
                && action_line != line
            {
                extra = format!(" in action started at {}:{action_line}", self.parse_name);
                if self.lex_error.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return Error::Parse {
                name: self.parse_name.to_string(),
                line,
                message: format!("{}{extra}", self.lex_error),
            };
        }
        Error::Parse {
            name: self.parse_name.to_string(),
            line,
            message: format!("unexpected {} in {context}", token.describe(self.src)),
        }
    }

    fn expect(&mut self, kind: Tok, context: &str) -> PResult<Token> {
        let t = self.next_non_space();
        if t.kind != kind {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            return Err(self.errorf("max expression depth exceeded"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn parse_top(&mut self) -> PResult<Span> {
        let start = self.stacks.nodes.len();
        while self.peek().kind != Tok::Eof {
            if self.peek().kind == Tok::LeftDelim {
                let save = self.idx;
                self.next();
                if self.next_non_space().kind == Tok::Define {
                    // Go parses a definition as a new tree, whose action line starts unset.
                    self.parse_definition()?;
                    continue;
                }
                self.idx = save;
            }
            match self.text_or_action()? {
                Item::Node => {}
                Item::End => return Err(self.errorf("unexpected {{end}}")),
                Item::Else => return Err(self.errorf("unexpected {{else}}")),
            }
        }
        Ok(self.take_nodes(start))
    }

    /// The nodes from `start` on, moved off the node stack to the file's [`Arena`].
    fn take_nodes(&mut self, start: usize) -> Span {
        move_to(&mut self.stacks.nodes, start, &mut self.arena.nodes)
    }

    /// Parses a body with a fresh variable scope (only `$`), as `define` and `block` do.
    fn item_list_new_scope(&mut self) -> PResult<(Span, Item)> {
        let saved_base = std::mem::replace(&mut self.var_base, self.stacks.vars.len());
        let r = self.item_list();
        self.stacks.vars.truncate(self.var_base);
        self.var_base = saved_base;
        r
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let t = self.next_non_space();
        if t.kind != Tok::String && t.kind != Tok::RawString {
            return Err(self.unexpected(&t, CONTEXT));
        }
        let name = self.unquote(&t)?;
        self.expect(Tok::RightDelim, CONTEXT)?;
        let (list, end) = self.item_list_new_scope()?;
        if !matches!(end, Item::End) {
            return Err(self.errorf(format!("unexpected {} in {CONTEXT}", end.describe())));
        }
        self.add_tree(&name, list)
    }

    /// Go's `Tree.add`: a second non-empty definition in one file is an error; an empty one
    /// never replaces a non-empty one.
    fn add_tree(&mut self, name: &str, root: Span) -> PResult<()> {
        if let Some(i) = self.defined.iter().position(|t| *t.0 == *name) {
            let empty = |list| super::ast::list_is_empty(self.arena.nodes(list), self.src);
            if empty(self.defined[i].1) {
                self.defined[i].1 = root;
            } else if !empty(root) {
                return Err(self.errorf(format!(
                    "template: multiple definition of template {}",
                    super::lex::go_quote(name)
                )));
            }
            return Ok(());
        }
        self.defined.push((Arc::from(name), root));
        Ok(())
    }

    fn item_list(&mut self) -> PResult<(Span, Item)> {
        let start = self.stacks.nodes.len();
        loop {
            let t = *self.peek();
            if t.kind == Tok::Eof {
                self.last_pos = t.pos();
                return Err(self.errorf("unexpected EOF"));
            }
            // `text_or_action` takes `t` first, which sets `last_pos` as a peek would.
            match self.text_or_action()? {
                Item::Node => {}
                other => return Ok((self.take_nodes(start), other)),
            }
        }
    }

    /// Parses one item; a node goes onto the node stack.
    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Tok::Text => {
                let text = Node::Text(self.span(&t));
                self.stacks.nodes.push(text);
                Ok(Item::Node)
            }
            Tok::LeftDelim => {
                self.action_pos = Some(t.pos());
                let r = self.action();
                self.action_pos = None;
                r
            }
            Tok::Comment => {
                self.stacks.nodes.push(Node::Comment);
                Ok(Item::Node)
            }
            _ => Err(self.unexpected(&t, "input")),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        let node = match t.kind {
            Tok::Block => self.block_control()?,
            Tok::Break => self.break_control(t.pos(), "break")?,
            Tok::Continue => self.break_control(t.pos(), "continue")?,
            Tok::Else => return self.else_control(),
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                return Ok(Item::End);
            }
            Tok::If => Node::If(self.control(Tok::If)?),
            Tok::Range => Node::Range(self.control(Tok::Range)?),
            Tok::Template => self.template_control()?,
            Tok::With => Node::With(self.control(Tok::With)?),
            _ => {
                self.backup();
                Node::Action(self.pipeline("command", Tok::RightDelim)?)
            }
        };
        self.stacks.nodes.push(node);
        Ok(Item::Node)
    }

    fn break_control(&mut self, pos: usize, word: &str) -> PResult<Node> {
        let t = self.next_non_space();
        if t.kind != Tok::RightDelim {
            return Err(self.unexpected(&t, &format!("{{{{{word}}}}}")));
        }
        if self.range_depth == 0 {
            return Err(self.errorf(format!("{{{{{word}}}}} outside {{{{range}}}}")));
        }
        Ok(if word == "break" {
            Node::Break(pos)
        } else {
            Node::Continue(pos)
        })
    }

    fn else_control(&mut self) -> PResult<Item> {
        let peek = self.peek_non_space();
        if peek.kind == Tok::If || peek.kind == Tok::With {
            return Ok(Item::Else);
        }
        self.expect(Tok::RightDelim, "else")?;
        Ok(Item::Else)
    }

    /// `{{if}}`, `{{range}}` or `{{with}}` (the keyword's kind, compared instead of its name).
    fn control(&mut self, kind: Tok) -> PResult<Branch> {
        self.enter()?;
        let nvars = self.stacks.vars.len();
        let r = stacker::maybe_grow(RED_ZONE, STACK_GROWTH, || self.control_inner(kind));
        self.stacks.vars.truncate(nvars);
        self.leave();
        r
    }

    fn control_inner(&mut self, kind: Tok) -> PResult<Branch> {
        let context = match kind {
            Tok::If => "if",
            Tok::Range => "range",
            _ => "with",
        };
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if kind == Tok::Range {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if kind == Tok::Range {
            self.range_depth -= 1;
        }
        let (list, next) = r?;
        let mut else_list = None;
        match next {
            Item::End => {}
            Item::Else => {
                let peek_kind = self.peek_non_space().kind;
                if kind == Tok::If && peek_kind == Tok::If {
                    self.next_non_space();
                    let inner = self.control(Tok::If)?;
                    else_list = Some(self.one_node(Node::If(inner)));
                } else if kind == Tok::With && peek_kind == Tok::With {
                    self.next_non_space();
                    let inner = self.control(Tok::With)?;
                    else_list = Some(self.one_node(Node::With(inner)));
                } else {
                    let (l, n) = self.item_list()?;
                    if !matches!(n, Item::End) {
                        return Err(self.errorf(format!("expected end; found {}", n.describe())));
                    }
                    else_list = Some(l);
                }
            }
            Item::Node => {}
        }
        Ok(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    /// A list of just `node` (`{{else if}}`'s), in the file's [`Arena`].
    fn one_node(&mut self, node: Node) -> Span {
        let start = self.arena.nodes.len() as u32;
        self.arena.nodes.push(node);
        Span {
            start,
            end: start + 1,
        }
    }

    fn template_name(&mut self, t: &Token, context: &str) -> PResult<String> {
        match t.kind {
            Tok::String | Tok::RawString => self.unquote(t),
            _ => Err(self.unexpected(t, context)),
        }
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = if self.next_non_space().kind != Tok::RightDelim {
            self.backup();
            Some(self.pipeline(CONTEXT, Tok::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template {
            pos: t.pos(),
            name: name.into_boxed_str(),
            pipe,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, Tok::RightDelim)?;
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let r = self.item_list_new_scope();
        self.range_depth = saved_range;
        let (list, end) = r?;
        if !matches!(end, Item::End) {
            return Err(self.errorf(format!("unexpected {} in {CONTEXT}", end.describe())));
        }
        self.add_tree(&name, list)?;
        Ok(Node::Template {
            pos: t.pos(),
            name: name.into_boxed_str(),
            pipe: Some(pipe),
        })
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        // Plain peeks: the next token taken is this one, and sets `last_pos` the same.
        let first = *self.peek();
        let mut is_assign = false;
        let decl_start = self.stacks.strs.len();
        'decls: loop {
            let v = *self.peek();
            if v.kind != Tok::Variable {
                break;
            }
            let save = self.idx;
            self.next_non_space();
            let next = self.peek_non_space();
            match next.kind {
                Tok::Assign | Tok::Declare => {
                    is_assign = next.kind == Tok::Assign;
                    self.next_non_space();
                    self.stacks.strs.push(self.span(&v));
                    self.stacks.vars.push(v);
                }
                Tok::Char if self.text(&next) == "," => {
                    self.next_non_space();
                    self.stacks.strs.push(self.span(&v));
                    self.stacks.vars.push(v);
                    if context == "range" && self.stacks.strs.len() - decl_start < 2 {
                        match self.peek_non_space().kind {
                            Tok::Variable | Tok::RightDelim | Tok::RightParen => continue 'decls,
                            _ => {
                                return Err(self.errorf("range can only initialize variables"));
                            }
                        }
                    }
                    return Err(self.errorf(format!("too many declarations in {context}")));
                }
                _ => self.idx = save,
            }
            break;
        }
        let decl = move_to(&mut self.stacks.strs, decl_start, &mut self.arena.decls);
        let args_start = self.stacks.args.len();
        let spans_start = self.stacks.spans.len();
        loop {
            let t = self.next_non_space();
            if t.kind == end {
                let Some(&first_cmd) = self.stacks.spans.get(spans_start) else {
                    return Err(self.errorf(format!("missing value for {context}")));
                };
                let pipe = Pipe {
                    pos: first.pos(),
                    is_assign,
                    decl,
                    args: self.take_args(args_start),
                    first: first_cmd,
                    more: move_to(
                        &mut self.stacks.spans,
                        spans_start + 1,
                        &mut self.arena.cmds,
                    ),
                };
                self.stacks.spans.truncate(spans_start);
                self.check_pipeline(&pipe)?;
                return Ok(pipe);
            }
            match t.kind {
                Tok::Bool
                | Tok::CharConstant
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let pos = self.command()?;
                    let end = self.stacks.args.len() - args_start;
                    self.stacks.spans.push(CmdSpan { pos, end });
                }
                _ => return Err(self.unexpected(&t, context)),
            }
        }
    }

    /// The arguments from `start` on, moved off the argument stack to the file's [`Arena`].
    fn take_args(&mut self, start: usize) -> Span {
        move_to(&mut self.stacks.args, start, &mut self.arena.args)
    }

    fn check_pipeline(&self, pipe: &Pipe) -> PResult<()> {
        if pipe.more.is_empty() {
            return Ok(());
        }
        for (i, c) in pipe.cmds(&self.arena).enumerate().skip(1) {
            if matches!(
                c.args[0],
                Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(..) | Arg::String { .. }
            ) {
                return Err(self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    /// Parses a command onto the argument stack; returns its position.
    fn command(&mut self) -> PResult<usize> {
        // A plain peek: `term` takes this token first, which sets `last_pos` the same.
        let pos = self.peek().pos();
        let start = self.stacks.args.len();
        loop {
            let got = self.operand()?;
            let t = self.next();
            match t.kind {
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                // A space after an operand: another argument follows.
                _ if got && t.spaced => {
                    self.backup();
                    continue;
                }
                _ => return Err(self.unexpected(&t, "operand")),
            }
            break;
        }
        if self.stacks.args.len() == start {
            return Err(self.errorf("empty command"));
        }
        Ok(pos)
    }

    /// The `.name` tokens that follow directly (the rest of a `.a.b.c` chain), taken as one
    /// piece of source with the names in `from..end` before them.
    fn chain_fields(&mut self, from: usize, mut end: usize) -> Fields {
        let mut fields = Fields::default();
        if end > from {
            fields.record_end(end - from);
        }
        while self.field_follows() {
            let t = self.next();
            end = t.end();
            fields.record_end(end - from);
        }
        if end == from {
            return Fields::default();
        }
        fields.with_text(SrcStr::new(from, end))
    }

    /// A field chain starting with `first`: Go gives it the position of the chain after the
    /// first name, when there is one.
    fn field_chain(&mut self, first: &Token) -> Arg {
        let pos = if self.field_follows() {
            self.peek().pos()
        } else {
            first.pos()
        };
        Arg::Field {
            pos,
            idents: self.chain_fields(first.pos(), first.end()),
        }
    }

    /// Parses an operand onto the argument stack; `false` when none starts here.
    fn operand(&mut self) -> PResult<bool> {
        if !self.term()? {
            return Ok(false);
        }
        if !self.field_follows() {
            return Ok(true);
        }
        let chain_pos = self.peek().pos();
        let fields = self.chain_fields(chain_pos, chain_pos);
        let Some(node) = self.stacks.args.last_mut() else {
            return Ok(false);
        };
        match node {
            // `$x.a` takes the names itself; other terms become a chain.
            Arg::Variable {
                pos, fields: own, ..
            } => {
                *pos = chain_pos;
                *own = fields;
            }
            Arg::Bool(..) | Arg::String { .. } | Arg::Number(..) | Arg::Nil(_) | Arg::Dot(_) => {
                // The term prints from the file's text (a literal has no lists or arguments).
                let before = super::ast::show_arena(Some(Arc::new(Arena {
                    source: self.source.clone(),
                    ..Arena::default()
                })));
                let text = super::lex::go_quote(&node.to_string());
                super::ast::show_arena(before);
                return Err(self.errorf(format!("unexpected . after term {text}")));
            }
            _ => {
                let Some(term) = self.stacks.args.pop() else {
                    return Ok(false);
                };
                self.stacks.args.push(Arg::Chain {
                    pos: chain_pos,
                    node: Box::new(term),
                    fields,
                });
            }
        }
        Ok(true)
    }

    /// Resolves function `name`, once per file.
    fn func(&mut self, t: Token) -> Option<FuncRef> {
        let name = self.text(&t);
        let src = self.src;
        if let Some((_, f)) = self.stacks.funcs.iter().find(|(n, _)| n.is(src, name)) {
            return Some(*f);
        }
        let f = resolve_func(name)?;
        self.stacks.funcs.push((t, f));
        Some(f)
    }

    /// Parses a term onto the argument stack; `false` when none starts here.
    fn term(&mut self) -> PResult<bool> {
        let t = self.next_non_space();
        let arg = match t.kind {
            Tok::Identifier => {
                let name = self.text(&t);
                let Some(func) = self.func(t) else {
                    return Err(self.errorf(format!(
                        "function {} not defined",
                        super::lex::go_quote(name)
                    )));
                };
                Arg::Func {
                    pos: t.pos(),
                    name: self.span(&t),
                    func,
                }
            }
            Tok::Dot => Arg::Dot(t.pos()),
            Tok::Nil => Arg::Nil(t.pos()),
            Tok::Variable => {
                let name = self.text(&t);
                let src = self.src;
                if name != "$"
                    && !self.stacks.vars[self.var_base..]
                        .iter()
                        .any(|v| v.is(src, name))
                {
                    return Err(
                        self.errorf(format!("undefined variable {}", super::lex::go_quote(name)))
                    );
                }
                Arg::Variable {
                    pos: t.pos(),
                    name: self.span(&t),
                    fields: Fields::default(),
                }
            }
            Tok::Field => self.field_chain(&t),
            Tok::Bool => Arg::Bool(t.pos(), self.text(&t) == "true"),
            Tok::CharConstant | Tok::Number => {
                let n = self.number(&t)?;
                Arg::Number(t.pos(), n)
            }
            Tok::LeftParen => {
                self.enter()?;
                let p = stacker::maybe_grow(RED_ZONE, STACK_GROWTH, || {
                    self.pipeline("parenthesized pipeline", Tok::RightParen)
                });
                self.leave();
                let p = p?;
                let pos = p.pos;
                // Fewer pipelines than bytes of text (at most `u32::MAX`).
                let at = self.arena.pipes.len() as u32;
                self.arena.pipes.push(p);
                Arg::Pipe { pos, at }
            }
            Tok::String | Tok::RawString => Arg::String {
                pos: t.pos(),
                quoted: self.span(&t),
                value: self.literal(t)?,
            },
            _ => {
                self.backup();
                return Ok(false);
            }
        };
        self.stacks.args.push(arg);
        Ok(true)
    }

    /// The value of string literal `t`, shared with an identical literal just before it.
    fn literal(&mut self, t: Token) -> PResult<Value> {
        let quoted = self.text(&t);
        let src = self.src;
        if let Some((_, v)) = self.stacks.literals.iter().find(|(l, _)| l.is(src, quoted)) {
            return Ok(v.clone());
        }
        let s = unquote_cow(quoted).ok_or_else(|| self.errorf("invalid syntax"))?;
        let value = Value::String(Arc::from(&*s));
        if self.stacks.literals.len() < LITERALS {
            self.stacks.literals.push((t, value.clone()));
        } else {
            self.stacks.literals[self.next_literal % LITERALS] = (t, value.clone());
            self.next_literal += 1;
        }
        Ok(value)
    }

    fn unquote(&self, t: &Token) -> PResult<String> {
        unquote(self.text(t)).ok_or_else(|| self.errorf("invalid syntax"))
    }

    fn number(&self, t: &Token) -> PResult<Number> {
        let text = self.text(t);
        let mut n = Number {
            text: self.span(t),
            int: None,
            is_uint: false,
            float: None,
            is_complex: false,
            is_char: false,
        };
        if t.kind == Tok::CharConstant {
            let inner = &text[1..];
            let (c, tail) =
                unquote_char(inner, '\'').ok_or_else(|| self.errorf("invalid syntax"))?;
            if tail != "'" {
                return Err(self.errorf(format!("malformed character constant: {text}")));
            }
            n.int = Some(c as i64);
            n.is_uint = true;
            n.float = Some(c as u32 as f64);
            n.is_char = true;
            return Ok(n);
        }
        // A plain decimal integer (the common case) needs none of the forms below: no sign,
        // prefix, underscore or leading zero, and too short to overflow an int64.
        let bytes = text.as_bytes();
        if (1..=18).contains(&bytes.len())
            && bytes.iter().all(u8::is_ascii_digit)
            && (bytes.len() == 1 || bytes[0] != b'0')
            && let Ok(i) = text.parse::<i64>()
        {
            n.int = Some(i);
            n.is_uint = true;
            n.float = Some(i as f64);
            return Ok(n);
        }
        if let Some(imag) = text.strip_suffix('i')
            && parse_go_float(imag).is_some()
        {
            n.is_complex = true;
            return Ok(n);
        }
        let int = parse_go_int(text);
        if let Some(i) = int {
            if i >= 0 && i <= u64::MAX as i128 && !text.starts_with(['+', '-']) {
                n.is_uint = true;
            }
            if i >= i64::MIN as i128 && i <= i64::MAX as i128 {
                n.int = Some(i as i64);
                if i == 0 {
                    n.is_uint = true;
                }
            }
        }
        if let Some(i) = n.int {
            n.float = Some(i as f64);
        } else if n.is_uint {
            n.float = int.map(|i| i as f64);
        } else if let Some(f) = parse_go_float(text) {
            if !text.contains(['.', 'e', 'E', 'p', 'P']) {
                return Err(self.errorf(format!(
                    "illegal number syntax: {}",
                    super::lex::go_quote(text)
                )));
            }
            n.float = Some(f);
            if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
                n.int = Some(f as i64);
            }
            if f.fract() == 0.0 && f >= 0.0 && f < u64::MAX as f64 {
                n.is_uint = true;
            }
        }
        if n.int.is_none() && !n.is_uint && n.float.is_none() {
            return Err(self.errorf(format!(
                "illegal number syntax: {}",
                super::lex::go_quote(text)
            )));
        }
        Ok(n)
    }
}

/// What `text_or_action` found.
enum Item {
    /// A node, left on the node stack.
    Node,
    End,
    Else,
}

impl Item {
    fn describe(&self) -> &'static str {
        match self {
            Item::End => "{{end}}",
            Item::Else => "{{else}}",
            Item::Node => "node",
        }
    }
}

/// strconv.ParseInt/ParseUint with base 0 (prefixes, underscores, sign), widened.
fn parse_go_int(text: &str) -> Option<i128> {
    let (neg, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower, false)
    };
    if digits.contains('_') {
        // Underscores are allowed only between digits (or after a prefix) with base 0.
        let prefixed_form = if prefixed {
            format!("0{digits}")
        } else {
            String::new()
        };
        let check: &str = if prefixed { &prefixed_form } else { &digits };
        if check.starts_with('_') || check.ends_with('_') || check.contains("__") {
            return None;
        }
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() {
        return None;
    }
    let v = u128::from_str_radix(&digits, radix).ok()?;
    if v > u64::MAX as u128 {
        return None;
    }
    let v = v as i128;
    Some(if neg { -v } else { v })
}

/// strconv.ParseFloat for the decimal forms the lexer produces (hex floats included).
pub(crate) fn parse_go_float(text: &str) -> Option<f64> {
    let t: String = text.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t.as_str()),
    };
    let lower = body.to_ascii_lowercase();
    let v = if let Some(hex) = lower.strip_prefix("0x") {
        let (mant, exp) = match hex.split_once('p') {
            Some((m, e)) => (m, e.parse::<i32>().ok()?),
            None => (hex, 0),
        };
        let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
        let mut v = 0f64;
        for c in ip.chars() {
            v = v * 16.0 + f64::from(c.to_digit(16)?);
        }
        let mut scale = 1.0 / 16.0;
        for c in fp.chars() {
            v += f64::from(c.to_digit(16)?) * scale;
            scale /= 16.0;
        }
        v * 2f64.powi(exp)
    } else {
        if lower.is_empty()
            || !lower
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
        {
            return None;
        }
        lower.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// strconv.Unquote for `"..."`, `` `...` `` and `'...'` literals.
pub(crate) fn unquote(s: &str) -> Option<String> {
    unquote_cow(s).map(Cow::into_owned)
}

/// [`unquote`], borrowing from `s` when the literal has nothing to decode.
fn unquote_cow(s: &str) -> Option<Cow<'_, str>> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return None;
    }
    let q = bytes[0];
    if bytes[bytes.len() - 1] != q {
        return None;
    }
    let inner = &s[1..s.len() - 1];
    match q {
        b'`' => {
            // One pass of the memchr crate's search (raw strings can be whole rule files).
            let bytes = inner.as_bytes();
            match memchr::memchr2(b'`', b'\r', bytes) {
                None => Some(Cow::Borrowed(inner)),
                Some(i) if bytes[i] == b'`' || memchr::memchr(b'`', &bytes[i..]).is_some() => None,
                Some(_) => Some(Cow::Owned(inner.replace('\r', ""))),
            }
        }
        b'"' => {
            if memchr::memchr3(b'\\', b'"', b'\n', inner.as_bytes()).is_none() {
                return Some(Cow::Borrowed(inner));
            }
            let mut out: Vec<u8> = Vec::with_capacity(inner.len());
            let mut rest = inner;
            while !rest.is_empty() {
                if rest.starts_with('"') || rest.starts_with('\n') {
                    return None;
                }
                if let Some(r) = rest.strip_prefix('\\') {
                    let (bytes_out, tail) = unquote_escape(r, '"')?;
                    out.extend_from_slice(&bytes_out);
                    rest = tail;
                } else {
                    let c = rest.chars().next()?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    rest = &rest[c.len_utf8()..];
                }
            }
            Some(Cow::Owned(String::from_utf8_lossy(&out).into_owned()))
        }
        _ => None,
    }
}

/// One (possibly escaped) character at the start of `s`; returns it and the rest.
fn unquote_char(s: &str, quote: char) -> Option<(char, &str)> {
    if let Some(r) = s.strip_prefix('\\') {
        let (bytes, tail) = unquote_escape(r, quote)?;
        let st = std::str::from_utf8(&bytes).ok()?;
        let c = st.chars().next()?;
        if st.len() != c.len_utf8() {
            // A byte escape above 0x7f: the rune is its value.
            return Some((char::from(bytes[0]), tail));
        }
        return Some((c, tail));
    }
    let c = s.chars().next()?;
    if c == quote {
        return None;
    }
    Some((c, &s[c.len_utf8()..]))
}

/// Decodes the escape after a backslash.
fn unquote_escape(r: &str, quote: char) -> Option<(Vec<u8>, &str)> {
    let c = r.chars().next()?;
    let rest = &r[c.len_utf8()..];
    let simple = |b: u8| Some((vec![b], rest));
    match c {
        'a' => simple(7),
        'b' => simple(8),
        'f' => simple(12),
        'n' => simple(b'\n'),
        'r' => simple(b'\r'),
        't' => simple(b'\t'),
        'v' => simple(11),
        '\\' => simple(b'\\'),
        '\'' | '"' => {
            if c != quote {
                return None;
            }
            simple(c as u8)
        }
        'x' => {
            let h = rest.get(..2)?;
            let v = u8::from_str_radix(h, 16).ok()?;
            Some((vec![v], &rest[2..]))
        }
        '0'..='7' => {
            let o = r.get(..3)?;
            let v = u32::from_str_radix(o, 8).ok()?;
            if v > 255 {
                return None;
            }
            Some((vec![v as u8], &r[3..]))
        }
        'u' | 'U' => {
            let n = if c == 'u' { 4 } else { 8 };
            let h = rest.get(..n)?;
            let v = u32::from_str_radix(h, 16).ok()?;
            let ch = char::from_u32(v)?;
            let mut buf = [0u8; 4];
            Some((ch.encode_utf8(&mut buf).as_bytes().to_vec(), &rest[n..]))
        }
        _ => None,
    }
}
