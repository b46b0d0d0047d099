//! The executor: walks a [`Tree`] with a dot value and writes the output.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::value::{FuncError, ListType, Map, MapRef, Value};

use super::ast::{Arena, Arg, Branch, Command, FuncRef, Node, Number, Pipe, Span, Tree};
use super::builtins::{self, Builtin};
use super::error::{Error, ExecError};
use super::{Limits, Templates};

/// Helm's include/tpl recursion limit (per template name).
const INCLUDE_LIMIT: usize = 1000;

/// Where a value came from, which decides how a following `.field` behaves (Go's reflect
/// distinctions between an invalid value, a nil interface and a typed value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// No value at all (a nil pipeline result, nil data): fields of it are silently empty.
    Invalid,
    /// An element of a map or list (Go's `interface {}`): a nil one errors on `.field`.
    Iface,
    /// A typed value (a variable, a pipeline result, a struct field).
    Typed,
}

/// Copy-on-write stand-in for Go's in-place map mutation (`set`, `unset`, `merge`...): the
/// mutated map replaces the original wherever the original is later read, found by identity.
#[derive(Default)]
pub(crate) struct Forward {
    map: BTreeMap<usize, (Arc<Map>, Value)>,
    /// A one-hash Bloom filter over the keys of `map`: most maps read were never mutated, and
    /// a clear bit says so without searching the tree.
    seen: [u64; 32],
}

impl Forward {
    #[inline]
    fn key(m: &Arc<Map>) -> usize {
        Arc::as_ptr(m) as *const u8 as usize
    }

    /// The filter bit of `key`: word and mask (allocations are 16-byte aligned: those bits
    /// say nothing; the rest are mixed by a multiplicative hash).
    #[inline]
    fn bit(key: usize) -> (usize, u64) {
        let h = ((key >> 4) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 53;
        ((h >> 6) as usize & 31, 1u64 << (h & 63))
    }

    /// Whether `m` may have been replaced (false: certainly not).
    #[inline]
    fn may_hold(&self, m: &Arc<Map>) -> bool {
        let (w, b) = Self::bit(Self::key(m));
        self.seen[w] & b != 0
    }

    /// The current version of `v` (a map replaced by a mutation resolves to its replacement).
    /// Inlined down to the test that nearly always says "unchanged".
    #[inline]
    fn shallow(&self, v: Value) -> Value {
        match &v {
            Value::Map(m) if !self.map.is_empty() && self.may_hold(m.arc()) => {
                self.shallow_chain(v)
            }
            _ => v,
        }
    }

    /// [`shallow`](Self::shallow) for a map that may have been replaced.
    fn shallow_chain(&self, v: Value) -> Value {
        let mut v = v;
        for _ in 0..100_000 {
            let next = match &v {
                Value::Map(m) if !self.may_hold(m.arc()) => return v,
                Value::Map(m) => match self.map.get(&Self::key(m.arc())) {
                    Some((_, new)) => new.clone(),
                    None => return v,
                },
                _ => return v,
            };
            v = next;
        }
        v
    }

    /// `v` with every nested map brought up to date (for values handed to functions or
    /// printed). Rebuilt maps are recorded too, so identity keeps following them.
    fn deep(&mut self, v: Value) -> Value {
        if self.map.is_empty() {
            return v;
        }
        self.deep_inner(v, 0)
    }

    fn deep_inner(&mut self, v: Value, depth: usize) -> Value {
        // A map set into itself (`set $d "k" $d`) is a cycle in Go; here its replacement would
        // nest without end. Stop where encoding/json starts looking for cycles: deeper levels
        // keep the map as it was before the mutation, and the value stays shallow enough for
        // every walk over it (printing, encoding, dropping) on a 2 MiB thread stack.
        if depth > 1_000 {
            return v;
        }
        match self.shallow(v) {
            Value::Map(m) => {
                let mut changed: Option<Map> = None;
                for (k, child) in m.iter() {
                    if !matches!(child, Value::Map(_) | Value::List(_)) {
                        continue;
                    }
                    let new = self.deep_inner(child.clone(), depth + 1);
                    if !same(&new, child) {
                        changed
                            .get_or_insert_with(|| (*m).clone())
                            .insert(k.clone(), new);
                    }
                }
                match changed {
                    Some(nm) => {
                        let nv = Value::Map(m.like(Arc::new(nm)));
                        self.record(&m, nv.clone());
                        nv
                    }
                    None => Value::Map(m),
                }
            }
            Value::List(l) => {
                let mut changed: Option<Vec<Value>> = None;
                for (i, child) in l.iter().enumerate() {
                    if !matches!(child, Value::Map(_) | Value::List(_)) {
                        continue;
                    }
                    let new = self.deep_inner(child.clone(), depth + 1);
                    if !same(&new, child) {
                        changed.get_or_insert_with(|| (*l).clone())[i] = new;
                    }
                }
                match changed {
                    Some(nl) => Value::list(nl),
                    None => Value::List(l),
                }
            }
            other => other,
        }
    }

    fn record(&mut self, old: &MapRef, new: Value) {
        let new = match new {
            Value::Map(n) if Arc::ptr_eq(n.arc(), old.arc()) => return,
            // The map keeps its Go type through the mutation (`set .Values ...`).
            Value::Map(n) => Value::Map(old.like(n.arc().clone())),
            other => other,
        };
        let key = Self::key(old.arc());
        let (w, b) = Self::bit(key);
        self.seen[w] |= b;
        self.map.insert(key, (old.arc().clone(), new));
    }
}

impl Forward {
    /// Whether a mutation recorded here replaced a map whose identity is in `live` (a map other
    /// templates can reach): only then can a later template see the difference.
    pub(crate) fn reaches(&self, live: &std::collections::BTreeSet<usize>) -> bool {
        self.map.keys().any(|k| live.contains(k))
    }

    /// Whether no mutation is recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The identity this records a mutation of `m` under.
    pub(crate) fn identity(m: &Arc<Map>) -> usize {
        Self::key(m)
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => Arc::ptr_eq(x.arc(), y.arc()),
        (Value::List(x), Value::List(y)) => Arc::ptr_eq(x.arc(), y.arc()),
        _ => false,
    }
}

/// Execution state shared by every template invoked during one render.
pub(crate) struct Exec<'s> {
    pub(crate) templates: &'s Templates,
    pub(crate) overlays: Vec<Arc<Templates>>,
    pub(crate) limits: &'s Limits,
    pub(crate) steps: u64,
    pub(crate) output: usize,
    pub(crate) depth: usize,
    pub(crate) forward: &'s mut Forward,
    pub(crate) scratch: Scratch,
}

/// What one render of a set leaves for the next: the include counters (all zero again) and
/// the emptied buffers its calls grew, so the next render allocates none of them again.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) includes: Includes,
    /// Emptied output buffers of finished `include` calls, reused by the next ones so an
    /// include writes into a buffer that has already grown instead of growing a new one.
    pub(crate) spare: Vec<String>,
    /// Emptied argument vectors of finished function calls, reused by the next calls.
    pub(crate) arg_pool: Vec<Vec<Value>>,
    /// Emptied variable lists of finished template invocations, reused by the next ones.
    pub(crate) var_pool: Vec<Vars<'static>>,
    /// The trees of texts `tpl` parsed before.
    pub(crate) tpl_trees: TplTrees,
    /// Recent field reads of large maps.
    pub(crate) fields: FieldCache,
}

/// Recent `.name` reads of large maps, by map identity and name: a chart reads the same
/// values (`.Values.image`, `$.Values.global`) again and again, and a large map's search
/// costs a dozen string compares where a hit here costs one. A map never changes (a
/// mutation replaces it, see [`Forward`]) and each entry holds its map, so an entry stays
/// true while it is kept, across templates and renders (an entry of an earlier render's
/// values is a miss that holds those values until its slot is taken).
#[derive(Default)]
pub(crate) struct FieldCache {
    slots: Vec<Option<FieldSlot>>,
}

struct FieldSlot {
    map: Arc<Map>,
    name: [u8; FieldCache::NAME],
    len: u8,
    value: Value,
}

impl FieldCache {
    /// Slots (a power of two).
    const SLOTS: usize = 128;
    /// The longest name kept.
    const NAME: usize = 32;
    /// Maps smaller than this are searched directly (their search is already short).
    const MIN_LEN: usize = 8;

    #[inline]
    fn slot(m: &Arc<Map>, name: &[u8]) -> usize {
        // The length and three of the name's bytes tell most names of a map apart.
        let n = name.len();
        let byte = |i: usize| name.get(i).map_or(0, |b| u64::from(*b));
        let h = (Forward::key(m) >> 4) as u64
            ^ ((n as u64) << 56)
            ^ byte(0)
            ^ (byte(n / 2) << 8)
            ^ (byte(n.wrapping_sub(1)) << 16);
        (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 57) as usize & (Self::SLOTS - 1)
    }

    /// `m[name]` (nil when absent), from the cache when it was read recently.
    fn get(&mut self, m: &Arc<Map>, name: &str) -> Value {
        let b = name.as_bytes();
        if m.len() < Self::MIN_LEN || b.len() > Self::NAME {
            return m.get(name).cloned().unwrap_or(Value::Nil);
        }
        if self.slots.is_empty() {
            self.slots.resize_with(Self::SLOTS, || None);
        }
        let i = Self::slot(m, b);
        if let Some(s) = &self.slots[i]
            && Arc::ptr_eq(&s.map, m)
            && usize::from(s.len) == b.len()
            && s.name[..b.len()] == *b
        {
            return s.value.clone();
        }
        let value = m.get(name).cloned().unwrap_or(Value::Nil);
        let mut kept = [0u8; Self::NAME];
        kept[..b.len()].copy_from_slice(b);
        self.slots[i] = Some(FieldSlot {
            map: m.clone(),
            name: kept,
            len: b.len() as u8,
            value: value.clone(),
        });
        value
    }
}

/// The trees `tpl` parsed, by text: charts pass the same values through `tpl` again and
/// again (bitnami's `common.tplvalues.render`), and a text parses the same every time. Only
/// texts that parse are kept, up to a total size.
#[derive(Default)]
pub(crate) struct TplTrees {
    trees: BTreeMap<String, Arc<[Arc<Tree>]>>,
    bytes: usize,
}

/// The most text [`TplTrees`] keeps.
const KEEP_TPL_BYTES: usize = 8 << 20;

/// Helm's per-name include depth, and where each `include "literal"` call leads.
#[derive(Default)]
pub(crate) struct Includes {
    /// The counter of each template name included so far.
    slots: BTreeMap<String, usize>,
    /// Active includes per counter.
    counts: Vec<usize>,
    /// By the address of a call's literal name (kept alive by the set's trees, which do not
    /// change while this is kept): the template it names and its counter. Filled and read
    /// only while no `tpl` layer is pushed, when names resolve to the set's own templates.
    sites: BTreeMap<usize, (Arc<Tree>, usize)>,
}

/// Include buffers larger than this are not kept for later renders.
const KEEP_BUFFER: usize = 1 << 20;

impl<'s> Exec<'s> {
    /// An executor over `templates` that starts from what `scratch` kept.
    pub(crate) fn new(
        templates: &'s Templates,
        limits: &'s Limits,
        forward: &'s mut Forward,
        scratch: &mut Scratch,
    ) -> Self {
        Exec {
            templates,
            overlays: Vec::new(),
            limits,
            steps: 0,
            output: 0,
            depth: 0,
            forward,
            scratch: std::mem::take(scratch),
        }
    }

    /// Hands the counters and buffers back for the next render.
    pub(crate) fn finish(self, scratch: &mut Scratch) {
        *scratch = self.scratch;
        scratch.spare.retain(|b| b.capacity() <= KEEP_BUFFER);
    }
}

/// A frame's variables: name, value, and where the value came from.
pub(crate) type Vars<'t> = Vec<(Cow<'t, str>, Value, Origin)>;

/// An emptied variable list with another lifetime, keeping its allocation (collecting a
/// vector's iterator into a vector of a same-sized element type reuses its buffer).
// `filter` could not change the element's lifetime; `filter_map` to `None` can.
#[allow(clippy::unnecessary_filter_map)]
fn recycle<'b>(v: Vars<'_>) -> Vars<'b> {
    v.into_iter().filter_map(|_| None).collect()
}

/// One template invocation: its tree and variables.
struct Frame<'t> {
    tree: &'t Tree,
    vars: Vars<'t>,
}

/// The outcome of walking a list.
enum Ctl {
    Normal,
    Break,
    Continue,
}

type R<T> = Result<T, Error>;

impl<'s> Exec<'s> {
    fn lookup(&self, name: &str) -> Option<Arc<Tree>> {
        for o in self.overlays.iter().rev() {
            if let Some(t) = o.get(name) {
                return Some(t.clone());
            }
        }
        self.templates.get(name).cloned()
    }

    /// Every node an error names is printed here (`node` is of `fr`'s tree, whose arena the
    /// printing reads its lists and arguments from).
    fn error(&self, fr: &Frame<'_>, pos: usize, node: &dyn fmt::Display, msg: String) -> Error {
        let ctx = shown(fr, node);
        Error::Exec(Box::new(ExecError {
            location: fr.tree.location(pos),
            template: fr.tree.name.to_string(),
            context: ctx,
            message: msg,
            helm_message: None,
        }))
    }

    fn step(&mut self, fr: &Frame<'_>, pos: usize, node: &dyn fmt::Display) -> R<()> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(self.error(
                fr,
                pos,
                node,
                format!(
                    "execution budget exceeded: more than {} steps",
                    self.limits.max_steps
                ),
            ));
        }
        Ok(())
    }

    /// Counts a function's result against the limits: a large string, list or map costs steps
    /// in proportion to its size (so a loop rebuilding a growing list ends), and no string may
    /// be longer than the output cap.
    fn charge(&mut self, fr: &Frame<'_>, pos: usize, node: &dyn fmt::Display, v: &Value) -> R<()> {
        if let Value::String(s) = v {
            return self.charge_string(fr, pos, node, s.len());
        }
        let cost = match v {
            Value::Bytes(b) => b.len() / 64,
            Value::List(l) => l.len(),
            Value::Map(m) => m.len(),
            _ => return Ok(()),
        };
        self.charge_steps(fr, pos, node, cost)
    }

    /// Counts `cost` steps at once (the last through [`step`](Self::step), which checks the
    /// limit).
    fn charge_steps(
        &mut self,
        fr: &Frame<'_>,
        pos: usize,
        node: &dyn fmt::Display,
        cost: usize,
    ) -> R<()> {
        if cost > 0 {
            self.steps = self.steps.saturating_add(cost as u64 - 1);
            self.step(fr, pos, node)?;
        }
        Ok(())
    }

    /// [`charge`](Self::charge) for a string result of `len` bytes.
    fn charge_string(
        &mut self,
        fr: &Frame<'_>,
        pos: usize,
        node: &dyn fmt::Display,
        len: usize,
    ) -> R<()> {
        if len > self.limits.max_output {
            return Err(self.error(
                fr,
                pos,
                node,
                format!(
                    "output limit exceeded: a value of more than {} bytes",
                    self.limits.max_output
                ),
            ));
        }
        self.charge_steps(fr, pos, node, len / 64)
    }

    /// Charges Sprig's quadratic list functions (`uniq` compares every pair) their work in
    /// steps before they run, so `uniq (until 100000)` ends with an error instead of hanging.
    fn charge_quadratic(
        &mut self,
        fr: &Frame<'_>,
        pos: usize,
        node: &dyn fmt::Display,
        args: &[Value],
    ) -> R<()> {
        if let Some(Value::List(l)) = args.first() {
            let n = l.len() as u64;
            self.steps = self.steps.saturating_add(n.saturating_mul(n) / 2);
            self.step(fr, pos, node)?;
        }
        Ok(())
    }

    /// Refuses to print, encode, copy or compare a list or map argument whose fully expanded
    /// form exceeds the output cap. Values share their maps and lists, so a few template lines
    /// can build a value exponentially larger than themselves (`$d = dict "a" $d "b" $d`).
    #[allow(clippy::too_many_arguments)]
    fn check_expansion(
        &self,
        fr: &Frame<'_>,
        pos: usize,
        node: &dyn fmt::Display,
        name: &str,
        expands: bool,
        args: &[Value],
    ) -> R<()> {
        if !expands {
            return Ok(());
        }
        let budget = self.limits.max_output;
        for a in args {
            if matches!(a, Value::List(_) | Value::Map(_)) && expanded_larger_than(a, budget) {
                return Err(self.error(
                    fr,
                    pos,
                    node,
                    format!(
                        "error calling {name}: output limit exceeded: the value expands to more \
                         than {budget} bytes"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn write(&mut self, fr: &Frame<'_>, pos: usize, out: &mut String, s: &str) -> R<()> {
        self.count_output(fr, pos, s.len())?;
        out.push_str(s);
        Ok(())
    }

    /// Executes template `tree` with `dot`, appending to `out`.
    pub(crate) fn exec_tree(
        &mut self,
        tree: &Tree,
        dot: &Value,
        dot_origin_invalid: bool,
        out: &mut String,
    ) -> R<()> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            self.depth -= 1;
            return Err(Error::Exec(Box::new(ExecError {
                location: String::new(),
                template: tree.name.to_string(),
                context: String::new(),
                message: format!(
                    "exceeded maximum template depth ({})",
                    self.limits.max_depth
                ),
                helm_message: None,
            })));
        }
        let origin = if dot_origin_invalid && matches!(dot, Value::Nil) {
            Origin::Invalid
        } else {
            Origin::Typed
        };
        let mut vars = recycle(self.scratch.var_pool.pop().unwrap_or_default());
        vars.push((Cow::Borrowed("$"), dot.clone(), origin));
        let mut fr = Frame { tree, vars };
        let r = stacker::maybe_grow(super::parse::RED_ZONE, super::parse::STACK_GROWTH, || {
            self.walk_list(&mut fr, dot, origin, tree.root, out)
        });
        self.depth -= 1;
        self.scratch.var_pool.push(recycle(fr.vars));
        r.map(|_| ())
    }

    fn walk_list<'t>(
        &mut self,
        fr: &mut Frame<'t>,
        dot: &Value,
        origin: Origin,
        list: Span,
        out: &mut String,
    ) -> R<Ctl> {
        let tree = fr.tree;
        for node in tree.arena.nodes(list) {
            match self.walk(fr, dot, origin, node, out)? {
                Ctl::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Ctl::Normal)
    }

    fn walk<'t>(
        &mut self,
        fr: &mut Frame<'t>,
        dot: &Value,
        origin: Origin,
        node: &'t Node,
        out: &mut String,
    ) -> R<Ctl> {
        match node {
            Node::Text(t) => {
                let tree = fr.tree;
                self.write(fr, 0, out, tree.arena.text(*t))?;
            }
            Node::Action(pipe) => {
                self.step(fr, pipe.pos, pipe)?;
                if !pipe.decl.is_empty() {
                    self.eval_pipeline(fr, dot, origin, pipe)?;
                } else if !self.print_fused(fr, dot, origin, pipe, out)? {
                    let (v, _) = self.eval_pipeline_raw(fr, dot, origin, pipe)?;
                    self.print_value(fr, pipe, v, out)?;
                }
            }
            Node::If(b) => return self.walk_if_with(fr, dot, origin, b, false, out),
            Node::With(b) => return self.walk_if_with(fr, dot, origin, b, true, out),
            Node::Range(b) => return self.walk_range(fr, dot, origin, b, out),
            Node::Template { pos, name, pipe } => {
                self.step(fr, *pos, &TemplateNode(name, pipe.as_ref()))?;
                let (data, o) = match pipe {
                    Some(p) => self.eval_pipeline(fr, dot, origin, p)?,
                    None => (Value::Nil, Origin::Invalid),
                };
                let Some(tree) = self.lookup(name) else {
                    return Err(self.error(
                        fr,
                        *pos,
                        &TemplateNode(name, pipe.as_ref()),
                        format!("template {} not defined", super::lex::go_quote(name)),
                    ));
                };
                self.exec_tree(&tree, &data, o == Origin::Invalid, out)?;
            }
            Node::Break(_) => return Ok(Ctl::Break),
            Node::Continue(_) => return Ok(Ctl::Continue),
            Node::Comment => {}
        }
        Ok(Ctl::Normal)
    }

    /// Prints a pipeline that ends in `include`, or in `indent`/`nindent` by a constant,
    /// without making its intermediate strings: an included template writes straight into
    /// `out`, or into a reused buffer that is then indented into `out`, and an indented string
    /// is written indented instead of being built first. Returns false, having evaluated
    /// nothing, for other pipelines. Steps, output counts and errors are those of evaluating
    /// the pipeline and printing its value: any case that would fail in the indenting itself
    /// (a non-string, a result over a limit) is handed to the ordinary call.
    fn print_fused(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        pipe: &Pipe,
        out: &mut String,
    ) -> R<bool> {
        let n = pipe.cmd_count();
        let tree = fr.tree;
        let last = pipe.last_cmd(&tree.arena);
        let Some((spaces, newline)) = indent_call(&last).filter(|_| n >= 2) else {
            if n == 1 && include_call(&last, false) {
                let start = out.len();
                self.include_into(fr, dot, origin, &last, None, out)?;
                // Printing the included text counts it again, as writing its string would.
                self.count_output(fr, pipe.pos, out.len() - start)?;
                return Ok(true);
            }
            return Ok(false);
        };
        let mut value = None;
        let mut included = None;
        for (i, cmd) in pipe.cmds(&tree.arena).take(n - 1).enumerate() {
            if i + 2 == n && include_call(&cmd, value.is_some()) {
                let mut buf = self.scratch.spare.pop().unwrap_or_default();
                if let Err(e) = self.include_into(fr, dot, origin, &cmd, value.take(), &mut buf) {
                    buf.clear();
                    self.scratch.spare.push(buf);
                    return Err(e);
                }
                included = Some(buf);
            } else {
                value = Some(self.eval_command(fr, dot, origin, &cmd, value.take())?);
            }
        }
        let r = match (&included, &value) {
            (Some(buf), _) => self.print_indented(fr, pipe, &last, buf, spaces, newline, out),
            (None, Some(Value::String(s))) => {
                self.print_indented(fr, pipe, &last, s, spaces, newline, out)
            }
            _ => Ok(false),
        };
        if let Some(mut buf) = included {
            let handled = r.as_ref().is_ok_and(|h| *h);
            if !handled && r.is_ok() {
                value = Some(Value::string(buf.as_str()));
            }
            buf.clear();
            self.scratch.spare.push(buf);
        }
        if !r? {
            // Not a case to write in place: the ordinary call gives the value or the error.
            let v = self.eval_command(fr, dot, origin, &last, value)?;
            self.print_value(fr, pipe, v, out)?;
        }
        Ok(true)
    }

    /// Writes `s` indented as `indent`/`nindent` (the `last` command) would return it and
    /// printing would write it, charging the same steps and output; false if that call would
    /// refuse `s` (then nothing is charged or written).
    #[allow(clippy::too_many_arguments)]
    fn print_indented(
        &mut self,
        fr: &Frame<'_>,
        pipe: &Pipe,
        last: &Command<'_>,
        s: &str,
        spaces: usize,
        newline: bool,
        out: &mut String,
    ) -> R<bool> {
        if !crate::funcs::indent_fits(spaces as i64, s) {
            return Ok(false);
        }
        let len = crate::funcs::indented_len(spaces, s, newline);
        if len > self.limits.max_output {
            return Ok(false);
        }
        self.charge_string(fr, last.pos, last, len)?;
        self.count_output(fr, pipe.pos, len)?;
        out.reserve(len);
        crate::funcs::write_indented(out, spaces, s, newline);
        Ok(true)
    }

    /// Executes the `include` command `cmd` (with `final_` piped into it) into `out`: what
    /// evaluating it does, without the string it would return.
    fn include_into(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        cmd: &Command<'_>,
        final_: Option<Value>,
        out: &mut String,
    ) -> R<()> {
        use crate::funcs::Param;
        let Some(Arg::Func { name, .. }) = cmd.args.first() else {
            return Ok(());
        };
        let tree = fr.tree;
        let name = tree.arena.text(*name);
        let rest = &cmd.args[1..];
        let tname = self.eval_arg_typed(fr, dot, origin, &rest[0], Param::String)?;
        let data = match final_ {
            Some(f) => f,
            None => self.eval_arg_typed(fr, dot, origin, &rest[1], Param::Any)?,
        };
        let tname = tname.as_str().unwrap_or_default();
        self.include(tname, literal_site(rest.first()), &data, out)
            .map_err(|e| self.wrap_call_error(fr, cmd.pos, cmd, name, e))
    }

    /// Counts `len` bytes of output, refusing them past the cap (as [`write`](Self::write)).
    fn count_output(&mut self, fr: &Frame<'_>, pos: usize, len: usize) -> R<()> {
        self.output += len;
        if self.output > self.limits.max_output {
            return Err(self.error(
                fr,
                pos,
                &"output",
                format!(
                    "output limit exceeded: more than {} bytes",
                    self.limits.max_output
                ),
            ));
        }
        Ok(())
    }

    fn print_value(&mut self, fr: &Frame<'_>, pipe: &Pipe, v: Value, out: &mut String) -> R<()> {
        match &v {
            Value::Nil => self.write(fr, pipe.pos, out, "<no value>"),
            Value::String(s) => self.write(fr, pipe.pos, out, s),
            Value::Bool(b) => self.write(fr, pipe.pos, out, if *b { "true" } else { "false" }),
            Value::Int(_) | Value::Int64(_) | Value::Float(_) => {
                // Written in place, then counted (an error ends the render and its output).
                let start = out.len();
                let _ = write!(out, "{v}");
                self.count_output(fr, pipe.pos, out.len() - start)
            }
            Value::Object(o)
                if reads_a_field(pipe, &fr.tree.arena) && o.field_string().is_some() =>
            {
                let s = o.field_string().unwrap_or_default();
                self.write(fr, pipe.pos, out, &s)
            }
            _ => {
                self.check_expansion(fr, pipe.pos, pipe, "print", true, std::slice::from_ref(&v))?;
                let v = self.forward.deep(v);
                let s = v.to_string();
                self.write(fr, pipe.pos, out, &s)
            }
        }
    }

    fn walk_if_with<'t>(
        &mut self,
        fr: &mut Frame<'t>,
        dot: &Value,
        origin: Origin,
        b: &'t Branch,
        is_with: bool,
        out: &mut String,
    ) -> R<Ctl> {
        self.step(fr, b.pos, &b.pipe)?;
        let mark = fr.vars.len();
        let (v, o) = self.eval_pipeline(fr, dot, origin, &b.pipe)?;
        let r = if v.is_truthy() {
            if is_with {
                self.walk_list(fr, &v, o, b.list, out)
            } else {
                self.walk_list(fr, dot, origin, b.list, out)
            }
        } else if let Some(el) = b.else_list {
            self.walk_list(fr, dot, origin, el, out)
        } else {
            Ok(Ctl::Normal)
        };
        fr.vars.truncate(mark);
        r
    }

    fn walk_range<'t>(
        &mut self,
        fr: &mut Frame<'t>,
        dot: &Value,
        origin: Origin,
        b: &'t Branch,
        out: &mut String,
    ) -> R<Ctl> {
        self.step(fr, b.pos, &b.pipe)?;
        let mark = fr.vars.len();
        // Evaluate without declaring: range declares per iteration.
        let (v, _) = self.eval_pipeline_raw(fr, dot, origin, &b.pipe)?;
        let tree = fr.tree;
        let src: &'t str = &tree.source;
        let decl = tree.arena.decls(b.pipe.decl);
        let mut ran = false;
        let mut iterate = |this: &mut Self,
                           fr: &mut Frame<'t>,
                           key: Value,
                           elem: Value,
                           // An element of a list or map is an `interface {}`; an integer's
                           // values are typed.
                           elem_origin: Origin,
                           out: &mut String|
         -> R<bool> {
            this.step(fr, b.pos, &b.pipe)?;
            ran = true;
            let m = fr.vars.len();
            if let Some(first) = decl.first() {
                if decl.len() == 1 {
                    let first = first.get(src);
                    this.set_or_push(fr, b.pipe.is_assign, first, elem.clone(), elem_origin, b)?;
                } else {
                    this.set_or_push(fr, b.pipe.is_assign, first.get(src), key, Origin::Typed, b)?;
                    this.set_or_push(
                        fr,
                        b.pipe.is_assign,
                        decl[1].get(src),
                        elem.clone(),
                        elem_origin,
                        b,
                    )?;
                }
            }
            let r = this.walk_list(fr, &elem, elem_origin, b.list, out);
            fr.vars.truncate(m);
            match r? {
                Ctl::Break => Ok(false),
                _ => Ok(true),
            }
        };
        match &v {
            Value::List(l) => {
                // A typed slice's elements have its element type; `[]interface {}`'s are
                // interfaces to field errors.
                let origin = if l.list_type() == ListType::Interface {
                    Origin::Iface
                } else {
                    Origin::Typed
                };
                for (i, e) in l.iter().enumerate() {
                    let e = self.forward.shallow(e.clone());
                    if !iterate(self, fr, Value::Int(i as i64), e, origin, out)? {
                        break;
                    }
                }
            }
            Value::Map(m) => {
                for (k, e) in m.iter() {
                    let e = self.forward.shallow(e.clone());
                    if !iterate(self, fr, Value::string(k.as_str()), e, Origin::Iface, out)? {
                        break;
                    }
                }
            }
            Value::Int(n) | Value::Int64(n) => {
                if decl.len() > 1 {
                    fr.vars.truncate(mark);
                    let at = last_node(&b.pipe, &fr.tree.arena);
                    return Err(self.error(
                        fr,
                        at.pos(),
                        at,
                        format!("can't use {n} to iterate over more than one variable"),
                    ));
                }
                // The values have the integer's own type (Go ranges with `Value.Seq`).
                let typed = if matches!(v, Value::Int64(_)) {
                    Value::Int64
                } else {
                    Value::Int
                };
                for i in 0..(*n).max(0) {
                    if !iterate(self, fr, typed(i), typed(i), Origin::Typed, out)? {
                        break;
                    }
                }
            }
            Value::Bytes(bs) => {
                for (i, e) in bs.iter().enumerate() {
                    if !iterate(
                        self,
                        fr,
                        Value::Int(i as i64),
                        Value::Int(i64::from(*e)),
                        Origin::Iface,
                        out,
                    )? {
                        break;
                    }
                }
            }
            Value::Nil => {}
            Value::Object(o) => {
                // Structs can't be ranged over; a map or slice type ranges over its elements.
                match o.elements() {
                    Some(p @ (Value::Map(_) | Value::List(_))) => {
                        let r = match &p {
                            Value::List(l) => {
                                for (i, e) in l.iter().enumerate() {
                                    // A VersionSet's strings, typed.
                                    let t = Origin::Typed;
                                    if !iterate(self, fr, Value::Int(i as i64), e.clone(), t, out)?
                                    {
                                        break;
                                    }
                                }
                                Ok(())
                            }
                            Value::Map(m) => {
                                for (k, e) in m.iter() {
                                    if !iterate(
                                        self,
                                        fr,
                                        Value::string(k.as_str()),
                                        e.clone(),
                                        Origin::Typed,
                                        out,
                                    )? {
                                        break;
                                    }
                                }
                                Ok(())
                            }
                            _ => Ok(()),
                        };
                        r?;
                    }
                    _ => {
                        let at = last_node(&b.pipe, &fr.tree.arena);
                        return Err(self.error(
                            fr,
                            at.pos(),
                            at,
                            format!("range can't iterate over {v}"),
                        ));
                    }
                }
            }
            other => {
                let msg = format!("range can't iterate over {other}");
                let at = last_node(&b.pipe, &fr.tree.arena);
                return Err(self.error(fr, at.pos(), at, msg));
            }
        }
        fr.vars.truncate(mark);
        if !ran && let Some(el) = b.else_list {
            let r = self.walk_list(fr, dot, origin, el, out);
            fr.vars.truncate(mark);
            return r.map(|_| Ctl::Normal);
        }
        Ok(Ctl::Normal)
    }

    fn set_or_push<'t>(
        &mut self,
        fr: &mut Frame<'t>,
        assign: bool,
        name: &'t str,
        v: Value,
        origin: Origin,
        b: &Branch,
    ) -> R<()> {
        if assign {
            self.set_var(fr, name, v, origin, b.pos, &b.pipe)
        } else {
            fr.vars.push((Cow::Borrowed(name), v, origin));
            Ok(())
        }
    }

    fn set_var(
        &mut self,
        fr: &mut Frame<'_>,
        name: &str,
        v: Value,
        origin: Origin,
        pos: usize,
        node: &dyn fmt::Display,
    ) -> R<()> {
        for slot in fr.vars.iter_mut().rev() {
            if *slot.0 == *name {
                slot.1 = v;
                slot.2 = origin;
                return Ok(());
            }
        }
        Err(self.error(fr, pos, node, format!("undefined variable: {name}")))
    }

    /// Evaluates a pipeline and binds its declared variables.
    fn eval_pipeline<'t>(
        &mut self,
        fr: &mut Frame<'t>,
        dot: &Value,
        origin: Origin,
        pipe: &'t Pipe,
    ) -> R<(Value, Origin)> {
        let (v, o) = self.eval_pipeline_raw(fr, dot, origin, pipe)?;
        let tree = fr.tree;
        for name in tree.arena.decls(pipe.decl) {
            let name = name.get(&tree.source);
            if pipe.is_assign {
                self.set_var(fr, name, v.clone(), o, pipe.pos, pipe)?;
            } else {
                fr.vars.push((Cow::Borrowed(name), v.clone(), o));
            }
        }
        Ok((v, o))
    }

    fn eval_pipeline_raw(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        pipe: &Pipe,
    ) -> R<(Value, Origin)> {
        let mut value: Option<Value> = None;
        let tree = fr.tree;
        for cmd in pipe.cmds(&tree.arena) {
            let v = self.eval_command(fr, dot, origin, &cmd, value.take())?;
            value = Some(v);
        }
        let v = value.unwrap_or_default();
        // Go unwraps interface values between commands: a nil one becomes "no value".
        let o = if matches!(v, Value::Nil) {
            Origin::Invalid
        } else {
            Origin::Typed
        };
        Ok((v, o))
    }

    fn not_a_function(&self, fr: &Frame<'_>, cmd: &Command<'_>, final_: &Option<Value>) -> R<()> {
        if cmd.args.len() > 1 || final_.is_some() {
            let first = &cmd.args[0];
            return Err(self.error(
                fr,
                first.pos(),
                first,
                format!("can't give argument to non-function {}", shown(fr, first)),
            ));
        }
        Ok(())
    }

    fn eval_command(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        cmd: &Command<'_>,
        final_: Option<Value>,
    ) -> R<Value> {
        let first = &cmd.args[0];
        let rest = &cmd.args[1..];
        match first {
            Arg::Field { pos, idents } => self.eval_field_chain(
                fr,
                dot,
                origin,
                dot.clone(),
                origin,
                idents,
                rest,
                final_.as_ref(),
                *pos,
                first,
            ),
            Arg::Chain { pos, node, fields } => {
                if matches!(node.as_ref(), Arg::Nil(_)) {
                    return Err(self.error(
                        fr,
                        *pos,
                        first,
                        format!("indirection through explicit nil in {}", shown(fr, first)),
                    ));
                }
                let (recv, o) = self.eval_arg_value(fr, dot, origin, node)?;
                self.eval_field_chain(
                    fr,
                    dot,
                    origin,
                    recv,
                    o,
                    fields,
                    rest,
                    final_.as_ref(),
                    *pos,
                    first,
                )
            }
            Arg::Variable { pos, name, fields } => {
                let tree = fr.tree;
                let (v, o) = self.var_value(fr, tree.arena.text(*name), *pos, first)?;
                if fields.is_empty() {
                    self.not_a_function(fr, cmd, &final_)?;
                    return Ok(v);
                }
                self.eval_field_chain(
                    fr,
                    dot,
                    origin,
                    v,
                    o,
                    fields,
                    rest,
                    final_.as_ref(),
                    *pos,
                    first,
                )
            }
            Arg::Func { pos, name, func } => {
                let tree = fr.tree;
                let name = tree.arena.text(*name);
                self.eval_call(
                    fr, dot, origin, *func, name, *pos, cmd.pos, cmd, rest, final_,
                )
            }
            Arg::Pipe { at, .. } => {
                self.not_a_function(fr, cmd, &final_)?;
                let tree = fr.tree;
                self.enter_pipe(fr, dot, origin, tree.arena.pipe(*at))
                    .map(|(v, _)| v)
            }
            Arg::Bool(_, b) => {
                self.not_a_function(fr, cmd, &final_)?;
                Ok(Value::Bool(*b))
            }
            Arg::Dot(_) => {
                self.not_a_function(fr, cmd, &final_)?;
                Ok(dot.clone())
            }
            Arg::Nil(pos) => {
                self.not_a_function(fr, cmd, &final_)?;
                Err(self.error(fr, *pos, first, "nil is not a command".to_string()))
            }
            Arg::Number(pos, n) => {
                self.not_a_function(fr, cmd, &final_)?;
                self.ideal_constant(fr, *pos, first, n)
            }
            Arg::String { value, .. } => {
                self.not_a_function(fr, cmd, &final_)?;
                Ok(value.clone())
            }
        }
    }

    fn enter_pipe(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        p: &Pipe,
    ) -> R<(Value, Origin)> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            self.depth -= 1;
            return Err(self.error(fr, p.pos, p, "expression nested too deeply".to_string()));
        }
        // Parenthesised pipelines may declare variables that live on in the frame.
        let r = stacker::maybe_grow(super::parse::RED_ZONE, super::parse::STACK_GROWTH, || {
            self.eval_pipeline_decl_only(fr, dot, origin, p)
        });
        self.depth -= 1;
        r
    }

    fn eval_pipeline_decl_only(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        p: &Pipe,
    ) -> R<(Value, Origin)> {
        let (v, o) = self.eval_pipeline_raw(fr, dot, origin, p)?;
        if !p.decl.is_empty() {
            // `($x := 1)`: Go declares the variable in the current scope.
            let tree = fr.tree;
            for name in tree.arena.decls(p.decl) {
                let name = name.get(&tree.source);
                if p.is_assign {
                    self.set_var(fr, name, v.clone(), o, p.pos, p)?;
                } else {
                    fr.vars.push((Cow::Owned(name.to_string()), v.clone(), o));
                }
            }
        }
        Ok((v, o))
    }

    fn ideal_constant(&self, fr: &Frame<'_>, pos: usize, node: &Arg, n: &Number) -> R<Value> {
        if n.is_complex {
            return Err(self.error(fr, pos, node, "complex numbers are not supported".into()));
        }
        let text = n.text.get(&fr.tree.source);
        let is_hex = text.len() > 2
            && (text.starts_with("0x") || text.starts_with("0X"))
            && !text.contains(['p', 'P']);
        if let Some(f) = n.float
            && !n.is_char
            && !is_hex
            && text.contains(['.', 'e', 'E', 'p', 'P'])
        {
            return Ok(Value::Float(f));
        }
        if let Some(i) = n.int {
            return Ok(Value::Int(i));
        }
        Err(self.error(fr, pos, node, format!("{text} overflows int")))
    }

    fn var_value(
        &self,
        fr: &Frame<'_>,
        name: &str,
        pos: usize,
        node: &dyn fmt::Display,
    ) -> R<(Value, Origin)> {
        for (n, v, o) in fr.vars.iter().rev() {
            if **n == *name {
                return Ok((self.forward.shallow(v.clone()), *o));
            }
        }
        Err(self.error(fr, pos, node, format!("undefined variable: {name}")))
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        recv: Value,
        recv_origin: Origin,
        idents: &super::ast::Fields,
        args: &[Arg],
        final_: Option<&Value>,
        pos: usize,
        node: &Arg,
    ) -> R<Value> {
        // Brought up to date once: every field step returns an up-to-date value.
        let mut cur = self.forward.shallow(recv);
        let mut o = recv_origin;
        let tree = fr.tree;
        let n = idents.len(&tree.source);
        for (i, name) in idents.iter(&tree.source).enumerate() {
            let last = i + 1 == n;
            let (a, fin): (&[Arg], Option<&Value>) =
                if last { (args, final_) } else { (&[], None) };
            let (v, no) = self.eval_field(fr, dot, origin, name, pos, node, a, fin, &cur, o)?;
            cur = v;
            o = no;
        }
        Ok(cur)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        name: &str,
        pos: usize,
        node: &Arg,
        args: &[Arg],
        final_: Option<&Value>,
        recv: &Value,
        recv_origin: Origin,
    ) -> R<(Value, Origin)> {
        // `recv` is up to date (the caller's first receiver, or an earlier step's result), and
        // so is every value this returns.
        let has_args = !args.is_empty() || final_.is_some();
        // Go looks for a method before a field or key (`common.Values` has five).
        let params = match recv {
            Value::Map(m) if m.is_values() => crate::objects::values_method(name),
            Value::Object(obj) => obj.method(name),
            _ => None,
        };
        if let Some(params) = params {
            // `Table`, `PathValue` and `YAML` look inside nested maps.
            let recv = match recv {
                Value::Map(_) => self.forward.deep(recv.clone()),
                _ => recv.clone(),
            };
            let call = |argv: &[Value]| match &recv {
                Value::Object(obj) => obj
                    .call(name, argv)
                    .unwrap_or_else(|| Err(FuncError::new(format!("no method {name}")))),
                values => crate::objects::call_values_method(values, name, argv),
            };
            return self.call_method(fr, dot, origin, name, pos, node, params, args, final_, call);
        }
        match recv {
            Value::Nil => {
                if recv_origin == Origin::Invalid {
                    return Ok((Value::Nil, Origin::Invalid));
                }
                Err(self.error(
                    fr,
                    pos,
                    node,
                    format!("nil pointer evaluating interface {{}}.{name}"),
                ))
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.error(
                        fr,
                        pos,
                        node,
                        format!("{name} is not a method but has arguments"),
                    ));
                }
                let v = self.scratch.fields.get(m.arc(), name);
                Ok((self.forward.shallow(v), Origin::Iface))
            }
            Value::Object(obj) => {
                // Go names the static type: an element of a map or list is an `interface {}`.
                let ty = || {
                    if recv_origin == Origin::Iface {
                        "interface {}"
                    } else {
                        obj.type_name()
                    }
                };
                match obj.field(name) {
                    Some(v) => {
                        if has_args {
                            return Err(self.error(
                                fr,
                                pos,
                                node,
                                format!("{name} has arguments but cannot be invoked as function"),
                            ));
                        }
                        Ok((self.forward.shallow(v), Origin::Typed))
                    }
                    None => Err(self.error(
                        fr,
                        pos,
                        node,
                        format!("can't evaluate field {name} in type {}", ty()),
                    )),
                }
            }
            other => {
                let ty = if recv_origin == Origin::Iface {
                    "interface {}".to_string()
                } else {
                    other.type_name().to_string()
                };
                Err(self.error(
                    fr,
                    pos,
                    node,
                    format!("can't evaluate field {name} in type {ty}"),
                ))
            }
        }
    }

    /// Calls method `name`, whose parameters are `params`, as Go's `evalCall` does: the
    /// number of arguments, then each evaluated and checked against its type, then the call,
    /// whose error is reported as `error calling NAME: ...` at the method's node.
    #[allow(clippy::too_many_arguments)]
    fn call_method(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        name: &str,
        pos: usize,
        node: &Arg,
        params: &[crate::funcs::Param],
        args: &[Arg],
        final_: Option<&Value>,
        call: impl FnOnce(&[Value]) -> Result<Value, FuncError>,
    ) -> R<(Value, Origin)> {
        let num_in = args.len() + usize::from(final_.is_some());
        if num_in != params.len() {
            // Go reports it where it last stood: the method's field or variable node, or for
            // a chain (`(semver "1.2.3").Major 1`), the last node its operand evaluated.
            let at = match node {
                Arg::Chain { node: inner, .. } => last_evaluated(inner, &fr.tree.arena),
                _ => node,
            };
            return Err(self.error(
                fr,
                at.pos(),
                at,
                format!(
                    "wrong number of args for {name}: want {} got {num_in}",
                    params.len()
                ),
            ));
        }
        let mut argv = Vec::with_capacity(num_in);
        for (a, param) in args.iter().zip(params) {
            let v = self.eval_arg_typed(fr, dot, origin, a, *param)?;
            argv.push(self.forward.deep(v));
        }
        if let Some(f) = final_ {
            let v = self.forward.deep(f.clone());
            argv.push(self.validate(fr, pos, node, v, Origin::Invalid, params[args.len()])?);
        }
        match call(&argv) {
            Ok(v) => Ok((self.forward.shallow(v), Origin::Typed)),
            Err(e) => Err(self.call_error(fr, pos, node, name, &e)),
        }
    }

    fn call_error(
        &self,
        fr: &Frame<'_>,
        pos: usize,
        node: &dyn fmt::Display,
        name: &str,
        e: &FuncError,
    ) -> Error {
        self.error(fr, pos, node, format!("error calling {name}: {e}"))
    }

    /// Evaluates an argument node with no type expectations (Go's `evalArg` with
    /// `interface{}`), returning where the value came from.
    fn eval_arg_value(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        a: &Arg,
    ) -> R<(Value, Origin)> {
        match a {
            Arg::Dot(_) => Ok((dot.clone(), origin)),
            Arg::Nil(_) => Ok((Value::Nil, Origin::Typed)),
            Arg::Field { pos, idents } => {
                let mut cur = self.forward.shallow(dot.clone());
                let mut o = origin;
                let tree = fr.tree;
                for name in idents.iter(&tree.source) {
                    let (v, no) =
                        self.eval_field(fr, dot, origin, name, *pos, a, &[], None, &cur, o)?;
                    cur = v;
                    o = no;
                }
                Ok((cur, o))
            }
            Arg::Variable { pos, name, fields } => {
                let tree = fr.tree;
                let (mut cur, mut o) = self.var_value(fr, tree.arena.text(*name), *pos, a)?;
                for f in fields.iter(&tree.source) {
                    let (v, no) =
                        self.eval_field(fr, dot, origin, f, *pos, a, &[], None, &cur, o)?;
                    cur = v;
                    o = no;
                }
                Ok((cur, o))
            }
            Arg::Pipe { at, .. } => {
                let tree = fr.tree;
                self.enter_pipe(fr, dot, origin, tree.arena.pipe(*at))
            }
            Arg::Func {
                pos, name, func, ..
            } => {
                let tree = fr.tree;
                let name = tree.arena.text(*name);
                let v = self.eval_call(fr, dot, origin, *func, name, *pos, *pos, a, &[], None)?;
                Ok((v, Origin::Typed))
            }
            Arg::Chain { pos, node, fields } => {
                if matches!(node.as_ref(), Arg::Nil(_)) {
                    return Err(self.error(
                        fr,
                        *pos,
                        a,
                        format!("indirection through explicit nil in {}", shown(fr, a)),
                    ));
                }
                let (cur, mut o) = self.eval_arg_value(fr, dot, origin, node)?;
                let mut cur = self.forward.shallow(cur);
                let tree = fr.tree;
                for f in fields.iter(&tree.source) {
                    let (v, no) =
                        self.eval_field(fr, dot, origin, f, *pos, a, &[], None, &cur, o)?;
                    cur = v;
                    o = no;
                }
                Ok((cur, o))
            }
            Arg::Bool(_, b) => Ok((Value::Bool(*b), Origin::Typed)),
            Arg::Number(pos, n) => Ok((self.ideal_constant(fr, *pos, a, n)?, Origin::Typed)),
            Arg::String { value, .. } => Ok((value.clone(), Origin::Typed)),
        }
    }

    /// Evaluates an argument for a parameter of Go type `param`, with Go's checks.
    fn eval_arg_typed(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        a: &Arg,
        param: crate::funcs::Param,
    ) -> R<Value> {
        use crate::funcs::Param;
        // Literals are converted to the parameter type, or refused, by node kind.
        match a {
            Arg::Number(pos, n) => {
                let converted = match param {
                    Param::Any => return self.ideal_constant(fr, *pos, a, n),
                    Param::Int => n.int.filter(|_| !n.is_complex).map(Value::Int),
                    Param::Float64 => n.float.filter(|_| !n.is_complex).map(Value::Float),
                    _ => None,
                };
                return converted.ok_or_else(|| {
                    self.error(fr, *pos, a, literal_mismatch(param, &shown(fr, a)))
                });
            }
            Arg::String { pos, value, .. } => {
                return match param {
                    Param::Any | Param::String | Param::Text => Ok(value.clone()),
                    _ => Err(self.error(fr, *pos, a, literal_mismatch(param, &shown(fr, a)))),
                };
            }
            Arg::Bool(pos, b) => {
                return match param {
                    Param::Any | Param::Bool => Ok(Value::Bool(*b)),
                    _ => Err(self.error(fr, *pos, a, literal_mismatch(param, &shown(fr, a)))),
                };
            }
            Arg::Nil(pos) => {
                return match param {
                    Param::Any | Param::Map | Param::Object(_) => Ok(Value::Nil),
                    _ => Err(self.error(
                        fr,
                        *pos,
                        a,
                        format!("cannot assign nil to {}", param.go_name()),
                    )),
                };
            }
            _ => {}
        }
        let (v, o) = self.eval_arg_value(fr, dot, origin, a)?;
        let at = last_evaluated(a, &fr.tree.arena);
        self.validate(fr, at.pos(), at, v, o, param)
    }

    /// Go's `validateType` for a value against a parameter type.
    fn validate(
        &self,
        fr: &Frame<'_>,
        pos: usize,
        node: &dyn fmt::Display,
        v: Value,
        o: Origin,
        param: crate::funcs::Param,
    ) -> R<Value> {
        use crate::funcs::Param;
        let ok = match (&v, param) {
            (_, Param::Any) => true,
            (Value::Nil, Param::Map) => true,
            (Value::Nil, Param::Object(_)) if o != Origin::Iface => true,
            (Value::Nil, _) => {
                if o == Origin::Iface {
                    return Err(self.error(
                        fr,
                        pos,
                        node,
                        format!(
                            "wrong type for value; expected {}; got interface {{}}",
                            param.go_name()
                        ),
                    ));
                }
                return Err(self.error(
                    fr,
                    pos,
                    node,
                    format!("invalid value; expected {}", param.go_name()),
                ));
            }
            (Value::String(_), Param::String | Param::Text) => true,
            (Value::Bytes(_), Param::Text) => true,
            (Value::Int(_), Param::Int) => true,
            (Value::Float(_), Param::Float64) => true,
            (Value::Bool(_), Param::Bool) => true,
            (Value::Map(_), Param::Map) => true,
            (Value::Object(o), Param::Time) => o.type_name() == "time.Time",
            (Value::Object(o), Param::Object(t)) => o.type_name() == t,
            _ => false,
        };
        if ok {
            return Ok(v);
        }
        Err(self.error(
            fr,
            pos,
            node,
            format!(
                "wrong type for value; expected {}; got {}",
                param.go_name(),
                v.type_name()
            ),
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        func: FuncRef,
        name: &str,
        ident_pos: usize,
        cmd_pos: usize,
        cmd: &dyn fmt::Display,
        args: &[Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let num_in = args.len() + usize::from(final_.is_some());
        let ident = Ident(name);
        // Arity, as Go checks it before evaluating anything.
        let (fixed, variadic) = match func {
            FuncRef::Builtin(b) => b.arity(),
            FuncRef::Plain(_, Some(sig)) => (sig.params.len(), sig.variadic.is_some()),
            FuncRef::Plain(_, None) => (num_in, false),
            FuncRef::Include | FuncRef::Tpl | FuncRef::Required => (2, false),
            FuncRef::Fail => (1, false),
            FuncRef::Lookup => (4, false),
        };
        if variadic {
            if num_in < fixed {
                return Err(self.error(
                    fr,
                    ident_pos,
                    &ident,
                    format!(
                        "wrong number of args for {name}: want at least {fixed} got {}",
                        args.len()
                    ),
                ));
            }
        } else if num_in != fixed {
            return Err(self.error(
                fr,
                ident_pos,
                &ident,
                format!("wrong number of args for {name}: want {fixed} got {num_in}"),
            ));
        }

        // and/or short-circuit.
        if let FuncRef::Builtin(b @ (Builtin::And | Builtin::Or)) = func {
            let want = b == Builtin::Or;
            let mut v = Value::Nil;
            for a in args {
                let (x, _) = self.eval_arg_value(fr, dot, origin, a)?;
                if x.is_truthy() == want {
                    return Ok(x);
                }
                v = x;
            }
            if let Some(f) = final_ {
                v = f;
            }
            return Ok(v);
        }

        // The argument vector comes from a pool: a call allocates none once the pool has
        // grown to the deepest nesting of calls.
        let mut argv = self.scratch.arg_pool.pop().unwrap_or_default();
        argv.reserve(num_in);
        let r = self.call_with(
            fr, dot, origin, func, name, ident_pos, cmd_pos, cmd, args, final_, &mut argv,
        );
        argv.clear();
        self.scratch.arg_pool.push(argv);
        r
    }

    /// The rest of [`eval_call`](Self::eval_call): evaluates the arguments into `argv` (empty)
    /// and calls.
    #[allow(clippy::too_many_arguments)]
    fn call_with(
        &mut self,
        fr: &mut Frame<'_>,
        dot: &Value,
        origin: Origin,
        func: FuncRef,
        name: &str,
        ident_pos: usize,
        cmd_pos: usize,
        cmd: &dyn fmt::Display,
        args: &[Arg],
        final_: Option<Value>,
        argv: &mut Vec<Value>,
    ) -> R<Value> {
        use crate::funcs::{Param, flags};
        let ident = Ident(name);
        let param_of =
            |i: usize| -> Param {
                match func {
                    FuncRef::Plain(_, Some(sig)) => {
                        if i < sig.params.len() {
                            sig.params[i]
                        } else {
                            sig.variadic.unwrap_or(Param::Any)
                        }
                    }
                    FuncRef::Include | FuncRef::Fail | FuncRef::Tpl | FuncRef::Required => {
                        if i == 0 { Param::String } else { Param::Any }
                    }
                    FuncRef::Lookup => {
                        if i < 3 {
                            Param::String
                        } else {
                            Param::Any
                        }
                    }
                    FuncRef::Builtin(Builtin::Printf) if i == 0 => Param::String,
                    _ => Param::Any,
                }
            };
        for (i, a) in args.iter().enumerate() {
            let v = self.eval_arg_typed(fr, dot, origin, a, param_of(i))?;
            argv.push(v);
        }
        if let Some(f) = final_ {
            let p = param_of(argv.len());
            let v = self.validate(fr, ident_pos, &ident, f, Origin::Invalid, p)?;
            argv.push(v);
        }

        match func {
            FuncRef::Plain(f, sig) => {
                let fl = sig.map_or(0, |s| s.flags);
                // Only a mutating call needs the identity of the map it was given.
                let first_map = match argv.first() {
                    Some(Value::Map(m)) if fl & flags::MUTATES_FIRST != 0 => Some(m.clone()),
                    _ => None,
                };
                if !self.forward.map.is_empty() {
                    let nested = fl & flags::READS_NESTED != 0;
                    for v in argv.iter_mut() {
                        let x = std::mem::take(v);
                        *v = if nested {
                            self.forward.deep(x)
                        } else {
                            self.forward.shallow(x)
                        };
                    }
                }
                self.check_expansion(fr, cmd_pos, cmd, name, fl & flags::EXPANDS != 0, argv)?;
                if fl & flags::QUADRATIC != 0 {
                    self.charge_quadratic(fr, cmd_pos, cmd, argv)?;
                }
                match f(argv) {
                    Ok(v) => {
                        self.charge(fr, cmd_pos, cmd, &v)?;
                        // Go's deepCopy returns new maps; a shared one would let a later
                        // `set` on the copy reach the original.
                        let v = if fl & flags::DEEP_COPY != 0 {
                            fresh_copy(&v)
                        } else {
                            v
                        };
                        if let Some(m) = first_map
                            && matches!(v, Value::Map(_))
                        {
                            self.forward.record(&m, v.clone());
                        }
                        Ok(self.forward.shallow(v))
                    }
                    Err(e) => Err(self.call_error(fr, cmd_pos, cmd, name, &e)),
                }
            }
            FuncRef::Builtin(b) => {
                let expands = matches!(
                    b,
                    Builtin::Print
                        | Builtin::Printf
                        | Builtin::Println
                        | Builtin::Html
                        | Builtin::Js
                        | Builtin::Urlquery
                );
                self.check_expansion(fr, cmd_pos, cmd, name, expands, argv)?;
                if b == Builtin::Len && matches!(argv.first(), Some(Value::Nil)) {
                    // Go's len sees a nil map element read by a field chain as a nil
                    // interface; any other nil (a pipeline's, a variable's) as no value at
                    // all, whose type it then asks for.
                    let from_field = match args.first() {
                        Some(Arg::Field { .. }) => true,
                        Some(Arg::Variable { fields, .. }) => !fields.is_empty(),
                        Some(Arg::Dot(_)) => origin == Origin::Iface,
                        _ => false,
                    };
                    if !from_field {
                        return Err(self.error(
                            fr,
                            cmd_pos,
                            cmd,
                            format!(
                                "error calling {name}: reflect: call of reflect.Value.Type on zero Value"
                            ),
                        ));
                    }
                }
                let v = self.call_builtin(fr, b, name, cmd_pos, cmd, argv)?;
                self.charge(fr, cmd_pos, cmd, &v)?;
                Ok(v)
            }
            FuncRef::Include => {
                let tname = argv[0].as_str().unwrap_or_default();
                let mut buf = self.scratch.spare.pop().unwrap_or_default();
                // The value is one exact-size copy; the buffer goes back for the next include.
                let r = self
                    .include(tname, literal_site(args.first()), &argv[1], &mut buf)
                    .map(|()| Value::string(buf.as_str()));
                buf.clear();
                self.scratch.spare.push(buf);
                r.map_err(|e| self.wrap_call_error(fr, cmd_pos, cmd, name, e))
            }
            FuncRef::Tpl => {
                let text = argv[0].as_str().unwrap_or_default();
                match self.tpl(text, &argv[1]) {
                    Ok(s) => Ok(Value::string(s)),
                    Err(e) => Err(self.wrap_call_error(fr, cmd_pos, cmd, name, e)),
                }
            }
            FuncRef::Required => {
                let missing = match &argv[1] {
                    Value::Nil => true,
                    Value::String(s) => s.is_empty(),
                    _ => false,
                };
                if missing {
                    let msg = argv[0].as_str().unwrap_or_default().to_string();
                    let mut e = self.error(
                        fr,
                        cmd_pos,
                        cmd,
                        format!("error calling {name}: HELM_ERR_START{msg}HELM_ERR_END"),
                    );
                    if let Error::Exec(x) = &mut e {
                        x.helm_message = Some(msg);
                    }
                    return Err(e);
                }
                Ok(argv[1].clone())
            }
            FuncRef::Fail => {
                let msg = argv[0].as_str().unwrap_or_default().to_string();
                let mut e = self.error(
                    fr,
                    cmd_pos,
                    cmd,
                    format!("error calling {name}: HELM_ERR_START{msg}HELM_ERR_END"),
                );
                if let Error::Exec(x) = &mut e {
                    x.helm_message = Some(msg);
                }
                Err(e)
            }
            FuncRef::Lookup => Ok(Value::map(Map::new())),
        }
    }

    /// Wraps an error from an included template or tpl text as Go does:
    /// `error calling include: <inner Go text>`, keeping a fail/required message.
    fn wrap_call_error(
        &self,
        fr: &Frame<'_>,
        pos: usize,
        node: &dyn fmt::Display,
        name: &str,
        inner: CallErr,
    ) -> Error {
        let (text, helm) = match inner {
            CallErr::Inner(e) => (e.go_message(), e.helm_message().map(str::to_string)),
            CallErr::Wrapped(prefix, e) => (
                format!("{prefix}: {}", e.go_message()),
                e.helm_message().map(str::to_string),
            ),
            CallErr::Msg(m) => (m, None),
        };
        let mut e = self.error(fr, pos, node, format!("error calling {name}: {text}"));
        if let Error::Exec(x) = &mut e {
            x.helm_message = helm;
        }
        e
    }

    fn call_builtin(
        &mut self,
        fr: &Frame<'_>,
        b: Builtin,
        name: &str,
        pos: usize,
        node: &dyn fmt::Display,
        argv: &[Value],
    ) -> R<Value> {
        let fail = |this: &Self, m: String| {
            this.error(fr, pos, node, format!("error calling {name}: {m}"))
        };
        let deep = |this: &mut Self, v| deep_args(this.forward, v);
        match b {
            Builtin::Not => Ok(Value::Bool(!argv[0].is_truthy())),
            Builtin::Len => builtins::len(&argv[0]).map_err(|m| fail(self, m)),
            Builtin::Index => {
                let r = builtins::index(&argv[0], &argv[1..]).map_err(|m| fail(self, m))?;
                Ok(self.forward.shallow(r))
            }
            Builtin::Slice => builtins::slice(&argv[0], &argv[1..]).map_err(|m| fail(self, m)),
            Builtin::Print => {
                let a = deep(self, argv);
                Ok(Value::string(crate::gofmt::sprint(&a)))
            }
            Builtin::Println => {
                let a = deep(self, argv);
                Ok(Value::string(crate::gofmt::sprintln(&a)))
            }
            Builtin::Printf => {
                let a = deep(self, &argv[1..]);
                let f = argv[0].as_str().unwrap_or_default();
                Ok(Value::string(crate::gofmt::sprintf(f, &a)))
            }
            Builtin::Html => Ok(builtins::html(&deep(self, argv))),
            Builtin::Js => Ok(builtins::js(&deep(self, argv))),
            Builtin::Urlquery => Ok(builtins::urlquery(&deep(self, argv))),
            Builtin::Call => match &argv[0] {
                Value::Nil => Err(fail(self, "call of nil".into())),
                other => Err(fail(
                    self,
                    format!("non-function of type {}", other.type_name()),
                )),
            },
            Builtin::Eq => builtins::eq(argv).map_err(|m| fail(self, m)),
            Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => {
                builtins::compare(b, &argv[0], &argv[1]).map_err(|m| fail(self, m))
            }
            Builtin::And | Builtin::Or => Ok(Value::Nil),
        }
    }

    /// Helm's `include`: execute a named template into a string, with its depth limit.
    /// `site` is the address of the call's literal name, if it has one.
    fn include(
        &mut self,
        name: &str,
        site: Option<usize>,
        data: &Value,
        out: &mut String,
    ) -> Result<(), CallErr> {
        let site = site.filter(|_| self.overlays.is_empty());
        let known = site.and_then(|p| self.scratch.includes.sites.get(&p).cloned());
        let (tree, slot) = match known {
            Some((tree, slot)) => (Some(tree), slot),
            None => {
                let slot = match self.scratch.includes.slots.get(name) {
                    Some(s) => *s,
                    None => {
                        let s = self.scratch.includes.counts.len();
                        self.scratch.includes.counts.push(0);
                        self.scratch.includes.slots.insert(name.to_string(), s);
                        s
                    }
                };
                let tree = self.lookup(name);
                if let (Some(p), Some(t)) = (site, &tree) {
                    self.scratch.includes.sites.insert(p, (t.clone(), slot));
                }
                (tree, slot)
            }
        };
        if self.scratch.includes.counts[slot] > INCLUDE_LIMIT {
            return Err(CallErr::Msg(format!(
                "rendering template has a nested reference name: {name}: unable to execute template"
            )));
        }
        self.scratch.includes.counts[slot] += 1;
        let r = match tree {
            Some(tree) => self.exec_tree(&tree, data, true, out),
            None => Err(Error::NoTemplate {
                name: name.to_string(),
            }),
        };
        self.scratch.includes.counts[slot] -= 1;
        r.map_err(CallErr::Inner)
    }

    /// Helm's `tpl`: parse `text` into a layer over the current templates and execute it.
    fn tpl(&mut self, text: &str, data: &Value) -> Result<String, CallErr> {
        // Quoted only for an error message: most tpl calls succeed.
        let quoted = || super::lex::go_quote(text);
        let trees = match self.scratch.tpl_trees.trees.get(text) {
            Some(trees) => trees.clone(),
            None => {
                let trees: Arc<[Arc<Tree>]> = super::parse::parse_file(super::TPL_NAME, text)
                    .map_err(|e| {
                        CallErr::Wrapped(format!("cannot parse template {}", quoted()), e)
                    })?
                    .into_iter()
                    .map(Arc::new)
                    .collect();
                if self.scratch.tpl_trees.bytes + text.len() <= KEEP_TPL_BYTES {
                    self.scratch.tpl_trees.bytes += text.len();
                    self.scratch
                        .tpl_trees
                        .trees
                        .insert(text.to_string(), trees.clone());
                }
                trees
            }
        };
        let mut layer = Templates::new();
        let mut iter = trees.iter();
        // Go executes the template it just parsed, even an empty one; only lookups by name keep
        // an older non-empty `gotpl` (text/template's `associate`).
        let main = iter.next().cloned();
        if let Some(main) = &main {
            let keep_old =
                main.is_empty() && self.lookup(super::TPL_NAME).is_some_and(|t| !t.is_empty());
            if !keep_old {
                layer.insert(main.name.to_string(), main.clone());
            }
        }
        for t in iter {
            let name = t.name.to_string();
            if t.is_empty() && self.lookup(&name).is_some_and(|o| !o.is_empty()) {
                continue;
            }
            layer.insert(name, t.clone());
        }
        self.overlays.push(Arc::new(layer));
        let mut out = String::new();
        let r = match main {
            Some(tree) => self.exec_tree(&tree, data, true, &mut out),
            None => Ok(()),
        };
        self.overlays.pop();
        r.map_err(|e| {
            CallErr::Wrapped(
                format!("error during tpl function execution for {}", quoted()),
                e,
            )
        })?;
        if memchr::memmem::find(out.as_bytes(), b"<no value>").is_some() {
            out = out.replace("<no value>", "");
        }
        Ok(out)
    }
}

/// Why an engine-bound function call failed.
enum CallErr {
    /// The inner template's error, wrapped as is.
    Inner(Error),
    /// The inner error behind a prefix (`error during tpl function execution for "..."`).
    Wrapped(String, Error),
    /// A plain message.
    Msg(String),
}

/// Go's `TemplateNode.String()`.
struct TemplateNode<'a>(&'a str, Option<&'a Pipe>);

impl fmt::Display for TemplateNode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{template {}", super::lex::go_quote(self.0))?;
        if let Some(p) = self.1 {
            write!(f, " {p}")?;
        }
        f.write_str("}}")
    }
}

/// `v` with every nested map brought up to date. Only maps and lists can hold replaced maps:
/// other arguments are passed as they are.
fn deep_args<'v>(forward: &mut Forward, v: &'v [Value]) -> Cow<'v, [Value]> {
    if forward.map.is_empty()
        || !v
            .iter()
            .any(|x| matches!(x, Value::Map(_) | Value::List(_)))
    {
        return Cow::Borrowed(v);
    }
    Cow::Owned(v.iter().map(|x| forward.deep(x.clone())).collect())
}

/// A copy of `v` in which every map and list is a new allocation.
fn fresh_copy(v: &Value) -> Value {
    crate::value::grow(|| match v {
        // copystructure keeps each map's type (a `common.Values` stays one).
        Value::Map(m) => Value::Map(m.like(Arc::new(
            m.iter().map(|(k, x)| (k.clone(), fresh_copy(x))).collect(),
        ))),
        Value::List(l) => Value::List(l.like(l.iter().map(fresh_copy).collect())),
        other => other.clone(),
    })
}

/// Whether `pipe` is nothing but a field read or a variable (`.a.b`, `$x.a`, `(x).a`, `$x`),
/// whose value Go's engine holds as it was read, addressable if a field of a struct behind a
/// pointer (a variable keeps the `reflect.Value`; a function gets a copy).
fn reads_a_field(pipe: &Pipe, all: &Arena) -> bool {
    pipe.cmds(all).count() == 1
        && matches!(
            pipe.last_cmd(all).args,
            [Arg::Field { .. } | Arg::Chain { .. } | Arg::Variable { .. }]
        )
}

/// The node Go's engine last stood at (`state.at`) once `pipe` is evaluated, where it reports
/// what is wrong with the pipeline's value: its last command's last argument (looked into in
/// turn when that is a parenthesised pipeline) or, without arguments, its function or operand.
/// So `range $i, $v := add 1 (add 2 3)` fails at `<3>` and `trunc (add 1 2) "x"` at `<2>`, as
/// helm says.
fn last_node<'a>(pipe: &'a Pipe, all: &'a Arena) -> &'a Arg {
    match pipe.last_cmd(all).args {
        [Arg::Func { .. }, .., last] | [last @ Arg::Pipe { .. }] => last_evaluated(last, all),
        [first, ..] => first,
        [] => &NIL_ARG,
    }
}

/// [`last_node`] of a parenthesised pipeline argument; any other argument is itself.
fn last_evaluated<'a>(a: &'a Arg, all: &'a Arena) -> &'a Arg {
    match a {
        Arg::Pipe { at, .. } => crate::value::grow(|| last_node(all.pipe(*at), all)),
        _ => a,
    }
}

static NIL_ARG: Arg = Arg::Nil(0);

struct Ident<'a>(&'a str);

impl fmt::Display for Ident<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// How `node`, of `fr`'s tree, prints (Go's `String()`): nodes print their text, lists and
/// arguments from their tree's arena, which this points the printing at. Every node a message
/// names is printed through here.
fn shown(fr: &Frame<'_>, node: &dyn fmt::Display) -> String {
    let before = super::ast::show_arena(Some(fr.tree.arena.clone()));
    let text = node.to_string();
    super::ast::show_arena(before);
    text
}

/// Go's message for a literal (printed as `a`) that cannot be passed as a parameter of type
/// `param`.
fn literal_mismatch(param: crate::funcs::Param, a: &str) -> String {
    use crate::funcs::Param;
    let expected = match param {
        Param::Int => "integer",
        Param::Float64 => "float",
        Param::String | Param::Text => "string",
        Param::Bool => "bool",
        _ => return format!("can't handle {a} for arg of type {}", param.go_name()),
    };
    format!("expected {expected}; found {a}")
}

/// Whether `v`, with every shared map and list expanded, counts more than `budget`: one per
/// node, the bytes of its strings, and two per level of nesting above it (the indentation a
/// YAML or indented JSON line at that depth starts with, so a value nested thousands deep is
/// refused before printing it writes a quadratic amount of spaces). Stops at the budget.
fn expanded_larger_than(v: &Value, budget: usize) -> bool {
    let mut stack = vec![(v, 0usize)];
    let mut n = 0usize;
    while let Some((v, depth)) = stack.pop() {
        n = n.saturating_add(1 + 2 * depth);
        match v {
            Value::List(l) => stack.extend(l.iter().map(|c| (c, depth + 1))),
            Value::Map(m) => stack.extend(m.values().map(|c| (c, depth + 1))),
            Value::String(s) => n = n.saturating_add(s.len()),
            _ => {}
        }
        if n > budget {
            return true;
        }
    }
    false
}

/// `indent N` or `nindent N` with a constant `N >= 0` that Go converts to `int`: the spaces and
/// whether a newline goes first.
fn indent_call(cmd: &Command<'_>) -> Option<(usize, bool)> {
    use crate::funcs::flags;
    let [Arg::Func { func, .. }, Arg::Number(_, n)] = cmd.args else {
        return None;
    };
    let FuncRef::Plain(_, Some(sig)) = func else {
        return None;
    };
    let newline = match sig.flags & (flags::INDENT | flags::NINDENT) {
        flags::INDENT => false,
        flags::NINDENT => true,
        _ => return None,
    };
    let spaces = n.int.filter(|i| *i >= 0 && !n.is_complex)?;
    Some((usize::try_from(spaces).ok()?, newline))
}

/// The address of a string literal's value: the same for every evaluation of that literal.
fn literal_site(a: Option<&Arg>) -> Option<usize> {
    match a {
        Some(Arg::String {
            value: Value::String(s),
            ..
        }) => Some(Arc::as_ptr(s) as *const u8 as usize),
        _ => None,
    }
}

/// Whether `cmd` calls `include` with the right number of arguments (counting a piped one).
fn include_call(cmd: &Command<'_>, piped: bool) -> bool {
    matches!(
        cmd.args.first(),
        Some(Arg::Func {
            func: FuncRef::Include,
            ..
        })
    ) && cmd.args.len() - 1 + usize::from(piped) == 2
}

#[cfg(test)]
mod tests {
    use crate::template::{Limits, TemplateSet};
    use crate::value::{Map, Value};

    const HELPERS: &str = r#"{{ define "two" }}a
b{{ end }}{{ define "dot" }}[{{ . }}]{{ end }}{{ define "bad" }}{{ fail "no" }}{{ end }}{{ define "big" }}0123456789012345678901234567890123456789{{ end }}"#;

    fn render(text: &str, limits: Limits) -> Result<String, String> {
        let mut set = TemplateSet::with_limits(limits);
        set.add("c/templates/_h.tpl", HELPERS)
            .map_err(|e| e.to_string())?;
        set.add("c/templates/t.yaml", text)
            .map_err(|e| e.to_string())?;
        let mut m = Map::new();
        m.insert("m".into(), Value::map(Map::new()));
        m.insert("s".into(), Value::from("x\ny"));
        set.render("c/templates/t.yaml", &Value::map(m))
            .map_err(|e| e.to_string())
    }

    /// The error of rendering `text`, with every field.
    fn debug_error(text: &str) -> String {
        let mut set = TemplateSet::with_limits(Limits::default());
        if let Err(e) = set.add("c/templates/t.yaml", text) {
            return format!("{e:?}");
        }
        let mut m = Map::new();
        m.insert("m".into(), Value::map(Map::new()));
        m.insert("s".into(), Value::from("x\ny"));
        match set.render("c/templates/t.yaml", &Value::map(m)) {
            Ok(out) => out,
            Err(e) => format!("{e:?}"),
        }
    }

    fn ok(text: &str) -> String {
        render(text, Limits::default()).unwrap_or_else(|e| e)
    }

    #[test]
    fn messages_name_nodes_as_go_prints_them() {
        // Nodes print their text, lists and arguments from their file's arena; these are the
        // contexts and messages the trees gave when each node owned its pieces.
        for (text, wanted) in [
            (
                "{{ (print 1) 2 }}",
                r#"context: "print 1", message: "can't give argument to non-function print 1""#,
            ),
            (
                r#"{{ trunc "a" "b" }}"#,
                r#"context: "\"a\"", message: "expected integer; found \"a\"""#,
            ),
            (
                r#"{{ include "nope" (dict "a" .b.c) }}"#,
                r#"context: ".b.c""#,
            ),
            (
                r#"{{ include "nope" (dict "a" 1 "b" .m) }}"#,
                r#"context: "include \"nope\" (dict \"a\" 1 \"b\" .m)""#,
            ),
            (
                "{{ range $i, $v := 3 }}{{ end }}",
                r#"context: "3", message: "can't use 3 to iterate over more than one variable""#,
            ),
            (
                r#"{{ template "nope" (list 1 2) }}"#,
                r#"context: "{{template \"nope\" (list 1 2)}}""#,
            ),
            (
                r#"{{ range $i, $v := (list 1) }}{{ $v.x }}{{ end }}"#,
                r#"context: "$v.x""#,
            ),
            (
                r#"{{ $x := 1 }}{{ $x = (fail "f") }}"#,
                r#"context: "fail \"f\"""#,
            ),
            (
                r#"{{ if (print .m.a) }}x{{ else if .s }}{{ .s.x.y }}{{ end }}"#,
                "x",
            ),
            (
                r#"{{ "a".b }}"#,
                r#"message: "unexpected . after term \"\\\"a\\\"\"""#,
            ),
        ] {
            let got = debug_error(text);
            assert!(got.contains(wanted), "{text}: {got}");
        }
    }

    #[test]
    fn pipelines_printed_in_place_print_what_the_calls_return() {
        // The nested forms are evaluated call by call; the piped forms are written in place.
        for (piped, nested) in [
            (
                r#"{{ include "two" . | nindent 2 }}"#,
                r#"{{ nindent 2 (include "two" .) }}"#,
            ),
            (
                r#"{{ include "two" . | indent 3 }}"#,
                r#"{{ indent 3 (include "two" .) }}"#,
            ),
            (
                r#"{{ include "two" . }}"#,
                r#"{{ print (include "two" .) }}"#,
            ),
            (
                r#"{{ "v" | include "dot" | nindent 1 }}"#,
                r#"{{ nindent 1 (include "dot" "v") }}"#,
            ),
            (r#"{{ .s | nindent 4 }}"#, r#"{{ nindent 4 .s }}"#),
            (
                r#"{{ .s | upper | indent 0 }}"#,
                r#"{{ indent 0 (upper .s) }}"#,
            ),
            (
                r#"{{ include "dot" .missing | nindent 2 }}"#,
                r#"{{ nindent 2 (include "dot" .missing) }}"#,
            ),
        ] {
            assert_eq!(ok(piped), ok(nested), "{piped}");
        }
        assert_eq!(ok(r#"{{ include "two" . | nindent 2 }}"#), "\n  a\n  b");
        assert_eq!(ok(r#"{{ "v" | include "dot" | nindent 1 }}"#), "\n [v]");
    }

    #[test]
    fn pipelines_printed_in_place_fail_as_the_calls_do() {
        // `{{(P)}}` evaluates P call by call, with every position where `{{ P }}` has it.
        for (p, wanted) in [
            (
                ".m | nindent 2",
                "wrong type for value; expected string; got map",
            ),
            (
                r#"include "two" . | nindent -1"#,
                "strings: negative Repeat count",
            ),
            (
                r#"include "bad" . | nindent 2"#,
                "execution error at (c/templates/t.yaml:1:3): no",
            ),
            (r#"include "nope" . | nindent 2"#, "no template \"nope\""),
            (
                r#"include "two" | nindent 2"#,
                "wrong number of args for include",
            ),
            (
                r#"3 | include "dot" . | nindent 2"#,
                "wrong number of args for include",
            ),
            (r#"include 3 . | nindent 2"#, "expected string"),
            (r#"include "bad" ."#, "execution error at"),
        ] {
            let fused = ok(&format!("{{{{ {p} }}}}"));
            assert!(fused.contains(wanted), "{p}: {fused}");
            assert_eq!(fused, ok(&format!("{{{{({p})}}}}")), "{p}");
        }
    }

    #[test]
    fn text_printed_in_place_counts_against_the_output_cap_as_printed_text() {
        // An included template's 40 bytes count when it writes them and again when they are
        // printed: 80 bytes, 82 with two spaces of indentation.
        let at = |cap: usize, text: &str| render(text, Limits::default().with_max_output(cap));
        assert!(at(80, r#"{{ include "big" . }}"#).is_ok());
        assert!(at(79, r#"{{ include "big" . }}"#).is_err_and(|e| e.contains("output limit")));
        assert!(at(83, r#"{{ include "big" . | nindent 2 }}"#).is_ok());
        assert!(
            at(82, r#"{{ include "big" . | nindent 2 }}"#)
                .is_err_and(|e| e.contains("output limit"))
        );
        for text in [
            r#"{{ include "big" . }}"#,
            r#"{{ include "big" . | nindent 2 }}"#,
        ] {
            assert_eq!(
                at(81, text).map_err(|e| e.contains("output limit")),
                at(
                    81,
                    &text.replace(r#"include "big" ."#, r#"(include "big" .)"#)
                )
                .map_err(|e| e.contains("output limit")),
                "{text}"
            );
        }
    }

    #[test]
    fn a_render_starts_from_zeroed_include_counts_after_a_failed_one() {
        let mut set = TemplateSet::new();
        set.add(
            "c/templates/r.yaml",
            r#"{{ define "r" }}{{ if lt (len .) 2000 }}{{ include "r" (append . 1) }}{{ end }}{{ end }}{{ include "r" (list) }}"#,
        )
        .unwrap();
        set.add(
            "c/templates/ok.yaml",
            r#"{{ define "o" }}o{{ end }}{{ include "o" . }}"#,
        )
        .unwrap();
        let first = set
            .render("c/templates/r.yaml", &Value::Nil)
            .unwrap_err()
            .to_string();
        assert!(first.contains("nested reference name: r"), "{first}");
        let again = set
            .render("c/templates/r.yaml", &Value::Nil)
            .unwrap_err()
            .to_string();
        assert_eq!(first, again);
        assert_eq!(set.render("c/templates/ok.yaml", &Value::Nil).unwrap(), "o");
    }

    #[test]
    fn include_call_sites_follow_tpl_layers_and_replaced_templates() {
        let mut set = TemplateSet::new();
        set.add("c/templates/_n.tpl", r#"{{ define "n" }}base{{ end }}"#)
            .unwrap();
        set.add(
            "c/templates/t.yaml",
            r#"{{ range list 1 2 }}{{ include "n" . }}{{ tpl "{{ define \"n\" }}over{{ end }}{{ include \"n\" . }}" $ }}{{ end }}"#,
        )
        .unwrap();
        assert_eq!(
            set.render("c/templates/t.yaml", &Value::Nil).unwrap(),
            "baseoverbaseover"
        );
        // A later definition replaces the template the call site led to before.
        set.add("c/templates/_m.tpl", r#"{{ define "n" }}new{{ end }}"#)
            .unwrap();
        assert_eq!(
            set.render("c/templates/t.yaml", &Value::Nil).unwrap(),
            "newovernewover"
        );
    }

    #[test]
    fn tpl_texts_parsed_before_execute_and_fail_as_the_first_time() {
        let text = r#"{{ range list 1 2 3 }}{{ tpl "{{ .x }}{{ define \"d\" }}d{{ end }}{{ include \"d\" . }}" (dict "x" .) }}{{ tpl "{{ .x" $ }}{{ end }}"#;
        let mut set = TemplateSet::new();
        set.add("c/templates/t.yaml", text).unwrap();
        let e = set
            .render("c/templates/t.yaml", &Value::Nil)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot parse template"), "{e}");
        let mut ok = TemplateSet::new();
        ok.add(
            "c/templates/t.yaml",
            &text.replace(
                r#"{{ tpl "{{ .x" $ }}"#,
                r#"{{ tpl "-{{ .x }}" (dict "x" .) }}"#,
            ),
        )
        .unwrap();
        assert_eq!(
            ok.render("c/templates/t.yaml", &Value::Nil).unwrap(),
            "1d-12d-23d-3"
        );
        assert_eq!(
            set.render("c/templates/t.yaml", &Value::Nil)
                .unwrap_err()
                .to_string(),
            e
        );
    }

    #[test]
    fn fields_read_maps_as_set_left_them() {
        for (text, want) in [
            (r#"{{ $_ := set .m "k" "v" }}{{ .m.k }}"#, "v"),
            (
                r#"{{ with dict "z" 1 }}{{ $_ := set . "k" "w" }}{{ .k }}{{ end }}"#,
                "w",
            ),
            (
                r#"{{ $d := dict }}{{ $_ := set $d "a" (dict) }}{{ $_ := set $d.a "b" 1 }}{{ $d.a.b }}{{ (index $d "a").b }}"#,
                "11",
            ),
            (
                r#"{{ $_ := set .m "n" (dict "x" 2) }}{{ $_ := set .m.n "x" 3 }}{{ .m.n.x }}"#,
                "3",
            ),
        ] {
            assert_eq!(ok(text), want, "{text}");
        }
    }
}
