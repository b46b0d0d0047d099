//! Sprig v3.3.0 and Helm's pure template functions.
//!
//! Every function that needs only its arguments lives here: all of Sprig's `TxtFuncMap` except
//! `env`/`expandenv` (Helm removes them), and Helm's `toYaml`, `fromYaml`, `toJson`, `toToml`,
//! ... family and Helm 4's duration helpers. The engine resolves a name with [`lookup`] once, at
//! parse time, and calls the [`Func`] pointer. Functions that need the engine (`include`, `tpl`,
//! `required`, `fail`, `lookup`) and Go's builtins (`and`, `printf`, `eq`, ...) are not here.
//!
//! Arguments arrive as [`Value`]s. Sprig's Go signatures have typed parameters (`trunc(c int, s
//! string)`); Go's template engine refuses a value that is not assignable to such a parameter
//! *before* the call, with `wrong type for value; expected int; got float64`. [`signature`] tells
//! the engine each function's parameter types so it can do that check with Go's wording and
//! position; the functions repeat the check themselves (same message) so they are safe to call
//! directly.
//!
//! # Mutation
//!
//! In Go, `set`, `unset`, `merge`, `mergeOverwrite` (and their `must` forms) modify the map they
//! are given and return it. Values here are immutable and shared, so these functions return the
//! modified map and leave their argument unchanged; [`mutates_first_arg`] names them so the engine
//! can store the result back where the first argument came from (the `$_ := set $d "k" v` idiom).
//!
//! ```
//! use kokumi_render::funcs::lookup;
//! use kokumi_render::value::Value;
//!
//! let trunc = lookup("trunc").unwrap();
//! let out = trunc(&[Value::Int(3), Value::from("kokumi")]).unwrap();
//! assert_eq!(out.to_string(), "kok");
//! ```

use std::borrow::Cow;

use crate::value::{Func, FuncError, Map, Value};

mod crypto;
mod dates;
mod defaults;
mod dicts;
pub(crate) mod encoding;
mod json;
mod lists;
mod math;
mod paths;
mod regex;
mod regex_syntax;
mod rsa_keygen;
pub mod semver;
mod strings;
mod toml;
mod url;
mod xstrings;

/// A Go parameter type of a template function, for Go's argument check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Param {
    /// `interface{}`: anything.
    Any,
    /// `string`.
    String,
    /// `int`.
    Int,
    /// `float64`.
    Float64,
    /// `bool`.
    Bool,
    /// `map[string]interface{}`.
    Map,
    /// `time.Time` (`dateModify`, `unixEpoch`): refused before the call unless a time.
    Time,
    /// `string` for functions over a string's bytes (`b64enc`, `sha256sum`, ...): a Go string
    /// that holds binary data (`.Files.Get` of a non-UTF-8 file) arrives as [`Value::Bytes`],
    /// so bytes pass too.
    Text,
    /// A pointer or interface type a template can hand over only as a value of that type or
    /// as nil (`*semver.Version` of `Compare`, `io.Writer` of `.Values.Encode`).
    Object(&'static str),
}

impl Param {
    /// Go's name of the type, as it appears in `expected string`.
    pub fn go_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::String | Param::Text => "string",
            Param::Int => "int",
            Param::Float64 => "float64",
            Param::Bool => "bool",
            Param::Map => "map[string]interface {}",
            Param::Time => "time.Time",
            Param::Object(name) => name,
        }
    }
}

/// The Go signature of a template function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The fixed parameters.
    pub params: &'static [Param],
    /// The type of the trailing `...T` parameter, if the function is variadic.
    pub variadic: Option<Param>,
    /// What the engine must do around a call ([`flags`] bits), decided once from the name when
    /// the call is parsed instead of on every call.
    pub(crate) flags: u8,
}

/// Bits of [`Signature`]'s `flags`: the engine's per-function treatment.
pub(crate) mod flags {
    /// The function looks inside nested maps of its arguments, so they must be brought up to
    /// date with recorded mutations first (the others see only the top level).
    pub(crate) const READS_NESTED: u8 = 1;
    /// Its work grows with the fully expanded size of its list and map arguments (encoders,
    /// printers, deep copies, deep merges and comparisons): the expansion cap applies.
    pub(crate) const EXPANDS: u8 = 2;
    /// Go's version modifies its first argument (a map) in place ([`super::mutates_first_arg`]).
    pub(crate) const MUTATES_FIRST: u8 = 4;
    /// Compares every pair of list elements (`uniq`): charged quadratically before it runs.
    pub(crate) const QUADRATIC: u8 = 8;
    /// Returns a deep copy whose maps must be new allocations (`deepCopy`).
    pub(crate) const DEEP_COPY: u8 = 16;
    /// Sprig's `indent`: the engine may write its result straight into the output.
    pub(crate) const INDENT: u8 = 32;
    /// Sprig's `nindent`: like [`INDENT`], after a newline.
    pub(crate) const NINDENT: u8 = 64;
}

const fn sig(params: &'static [Param]) -> Signature {
    Signature {
        params,
        variadic: None,
        flags: 0,
    }
}

const fn var(params: &'static [Param], rest: Param) -> Signature {
    Signature {
        params,
        variadic: Some(rest),
        flags: 0,
    }
}

/// The [`flags`] of function `name`.
fn flags_of(name: &str) -> u8 {
    let mut f = 0;
    if reads_nested(name) {
        f |= flags::READS_NESTED;
    }
    if expands_arguments(name) {
        f |= flags::EXPANDS;
    }
    if mutates_first_arg(name) {
        f |= flags::MUTATES_FIRST;
    }
    if matches!(name, "uniq" | "mustUniq") {
        f |= flags::QUADRATIC;
    }
    if matches!(name, "deepCopy" | "mustDeepCopy") {
        f |= flags::DEEP_COPY;
    }
    match name {
        "indent" => f |= flags::INDENT,
        "nindent" => f |= flags::NINDENT,
        _ => {}
    }
    f
}

/// Whether function `name` looks inside nested maps of its arguments.
fn reads_nested(name: &str) -> bool {
    name.starts_with("to")
        || name.starts_with("mustTo")
        || name.contains("erge")
        || name.contains("eepCopy")
        || matches!(
            name,
            "dig"
                | "deepEqual"
                | "quote"
                | "squote"
                | "cat"
                | "join"
                | "sha256sum"
                | "sha1sum"
                | "b64enc"
                | "pluck"
                | "values"
                | "has"
                | "mustHas"
                | "uniq"
                | "mustUniq"
                | "without"
                | "mustWithout"
                | "splitList"
                | "fail"
                | "required"
        )
}

/// Whether function `name`'s work grows with the fully expanded size of its list and map
/// arguments.
pub(crate) fn expands_arguments(name: &str) -> bool {
    matches!(
        name,
        "print"
            | "printf"
            | "println"
            | "html"
            | "js"
            | "urlquery"
            | "toJson"
            | "mustToJson"
            | "toPrettyJson"
            | "mustToPrettyJson"
            | "toRawJson"
            | "mustToRawJson"
            | "toYaml"
            | "mustToYaml"
            | "toYamlPretty"
            | "toToml"
            | "mustToToml"
            | "toString"
            | "toStrings"
            | "quote"
            | "squote"
            | "cat"
            | "join"
            | "deepCopy"
            | "mustDeepCopy"
            | "merge"
            | "mustMerge"
            | "mergeOverwrite"
            | "mustMergeOverwrite"
            | "deepEqual"
            | "has"
            | "mustHas"
            | "uniq"
            | "mustUniq"
            | "without"
            | "mustWithout"
            | "sha1sum"
            | "sha256sum"
            | "b64enc"
            | "fail"
    )
}

use Param::{Any as A, Bool as B, Float64 as F, Int as I, Map as M, String as S, Time as T};

/// For functions over a string's bytes (`b64enc`, `sha256sum`, ...), checked before the call
/// as Go checks a `string` parameter.
const B_OR_S: Param = Param::Text;

/// The function table, sorted by name (a test checks it).
static TABLE: &[(&str, Func, Signature)] = &[
    ("abbrev", strings::abbrev, sig(&[I, S])),
    ("abbrevboth", strings::abbrevboth, sig(&[I, I, S])),
    ("add", math::add, var(&[], A)),
    ("add1", math::add1, sig(&[A])),
    ("add1f", math::add1f, sig(&[A])),
    ("addf", math::addf, var(&[], A)),
    ("adler32sum", encoding::adler32sum, sig(&[B_OR_S])),
    ("ago", dates::ago, sig(&[A])),
    ("all", defaults::all, var(&[], A)),
    ("any", defaults::any, var(&[], A)),
    ("append", lists::push, sig(&[A, A])),
    ("atoi", math::atoi, sig(&[S])),
    ("b32dec", encoding::b32dec, sig(&[S])),
    ("b32enc", encoding::b32enc, sig(&[B_OR_S])),
    ("b64dec", encoding::b64dec, sig(&[S])),
    ("b64enc", encoding::b64enc, sig(&[B_OR_S])),
    ("base", paths::base, sig(&[S])),
    ("bcrypt", crypto::bcrypt, sig(&[S])),
    ("biggest", math::max, var(&[A], A)),
    ("buildCustomCert", crypto::build_custom_cert, sig(&[S, S])),
    ("camelcase", xstrings::camelcase, sig(&[S])),
    ("cat", strings::cat, var(&[], A)),
    ("ceil", math::ceil, sig(&[A])),
    ("chunk", lists::chunk, sig(&[I, A])),
    ("clean", paths::clean, sig(&[S])),
    ("coalesce", defaults::coalesce, var(&[], A)),
    ("compact", lists::compact, sig(&[A])),
    ("concat", lists::concat, var(&[], A)),
    ("contains", strings::contains, sig(&[S, S])),
    ("date", dates::date, sig(&[S, A])),
    ("dateInZone", dates::date_in_zone, sig(&[S, A, S])),
    ("dateModify", dates::date_modify, sig(&[S, T])),
    ("date_in_zone", dates::date_in_zone, sig(&[S, A, S])),
    ("date_modify", dates::date_modify, sig(&[S, A])),
    ("decryptAES", crypto::decrypt_aes, sig(&[S, S])),
    ("deepCopy", defaults::deep_copy, sig(&[A])),
    ("deepEqual", defaults::deep_equal, sig(&[A, A])),
    ("default", defaults::default, var(&[A], A)),
    (
        "derivePassword",
        crypto::derive_password,
        sig(&[I, S, S, S, S]),
    ),
    ("dict", dicts::dict, var(&[], A)),
    ("dig", dicts::dig, var(&[], A)),
    ("dir", paths::dir, sig(&[S])),
    ("div", math::div, sig(&[A, A])),
    ("divf", math::divf, var(&[A], A)),
    ("duration", dates::duration, sig(&[A])),
    ("durationDays", dates::duration_days, sig(&[A])),
    ("durationHours", dates::duration_hours, sig(&[A])),
    (
        "durationMicroseconds",
        dates::duration_microseconds,
        sig(&[A]),
    ),
    (
        "durationMilliseconds",
        dates::duration_milliseconds,
        sig(&[A]),
    ),
    ("durationMinutes", dates::duration_minutes, sig(&[A])),
    (
        "durationNanoseconds",
        dates::duration_nanoseconds,
        sig(&[A]),
    ),
    ("durationRound", dates::duration_round, sig(&[A])),
    ("durationRoundTo", dates::duration_round_to, sig(&[A, A])),
    ("durationSeconds", dates::duration_seconds, sig(&[A])),
    (
        "durationTruncateTo",
        dates::duration_truncate_to,
        sig(&[A, A]),
    ),
    ("durationWeeks", dates::duration_weeks, sig(&[A])),
    ("empty", defaults::empty, sig(&[A])),
    ("encryptAES", crypto::encrypt_aes, sig(&[S, S])),
    ("ext", paths::ext, sig(&[S])),
    ("first", lists::first, sig(&[A])),
    ("float64", math::float64, sig(&[A])),
    ("floor", math::floor, sig(&[A])),
    ("fromJson", encoding::from_json, sig(&[S])),
    ("fromJsonArray", encoding::from_json_array, sig(&[S])),
    ("fromToml", toml::from_toml, sig(&[S])),
    ("fromYaml", encoding::from_yaml, sig(&[S])),
    ("fromYamlArray", encoding::from_yaml_array, sig(&[S])),
    ("genCA", crypto::gen_ca, sig(&[S, I])),
    ("genCAWithKey", crypto::gen_ca_with_key, sig(&[S, I, S])),
    ("genPrivateKey", crypto::gen_private_key, sig(&[S])),
    (
        "genSelfSignedCert",
        crypto::gen_self_signed_cert,
        sig(&[S, A, A, I]),
    ),
    (
        "genSelfSignedCertWithKey",
        crypto::gen_self_signed_cert_with_key,
        sig(&[S, A, A, I, S]),
    ),
    (
        "genSignedCert",
        crypto::gen_signed_cert,
        sig(&[S, A, A, I, A]),
    ),
    (
        "genSignedCertWithKey",
        crypto::gen_signed_cert_with_key,
        sig(&[S, A, A, I, A, S]),
    ),
    ("get", dicts::get, sig(&[M, S])),
    ("getHostByName", strings::get_host_by_name, sig(&[S])),
    ("has", lists::has, sig(&[A, A])),
    ("hasKey", dicts::has_key, sig(&[M, S])),
    ("hasPrefix", strings::has_prefix, sig(&[S, S])),
    ("hasSuffix", strings::has_suffix, sig(&[S, S])),
    ("hello", strings::hello, sig(&[])),
    ("htmlDate", dates::html_date, sig(&[A])),
    ("htmlDateInZone", dates::html_date_in_zone, sig(&[A, S])),
    ("htpasswd", crypto::htpasswd, sig(&[S, S])),
    ("indent", strings::indent, sig(&[I, S])),
    ("initial", lists::initial, sig(&[A])),
    ("initials", strings::initials, sig(&[S])),
    ("int", math::int, sig(&[A])),
    ("int64", math::int64, sig(&[A])),
    ("isAbs", paths::is_abs, sig(&[S])),
    ("join", strings::join, sig(&[S, A])),
    ("kebabcase", xstrings::kebabcase, sig(&[S])),
    ("keys", dicts::keys, var(&[], M)),
    ("kindIs", defaults::kind_is, sig(&[S, A])),
    ("kindOf", defaults::kind_of, sig(&[A])),
    ("last", lists::last, sig(&[A])),
    ("list", lists::list, var(&[], A)),
    ("lower", strings::lower, sig(&[S])),
    ("max", math::max, var(&[A], A)),
    ("maxf", math::maxf, var(&[A], A)),
    ("merge", dicts::merge, var(&[M], M)),
    ("mergeOverwrite", dicts::merge_overwrite, var(&[M], M)),
    ("min", math::min, var(&[A], A)),
    ("minf", math::minf, var(&[A], A)),
    ("mod", math::modulo, sig(&[A, A])),
    ("mul", math::mul, var(&[A], A)),
    ("mulf", math::mulf, var(&[A], A)),
    ("mustAppend", lists::must_push, sig(&[A, A])),
    ("mustChunk", lists::must_chunk, sig(&[I, A])),
    ("mustCompact", lists::must_compact, sig(&[A])),
    ("mustDateModify", dates::must_date_modify, sig(&[S, T])),
    ("mustDeepCopy", defaults::must_deep_copy, sig(&[A])),
    ("mustFirst", lists::must_first, sig(&[A])),
    ("mustFromJson", encoding::must_from_json, sig(&[S])),
    ("mustHas", lists::must_has, sig(&[A, A])),
    ("mustInitial", lists::must_initial, sig(&[A])),
    ("mustLast", lists::must_last, sig(&[A])),
    ("mustMerge", dicts::must_merge, var(&[M], M)),
    (
        "mustMergeOverwrite",
        dicts::must_merge_overwrite,
        var(&[M], M),
    ),
    ("mustPrepend", lists::must_prepend, sig(&[A, A])),
    ("mustPush", lists::must_push, sig(&[A, A])),
    ("mustRegexFind", regex::must_regex_find, sig(&[S, S])),
    (
        "mustRegexFindAll",
        regex::must_regex_find_all,
        sig(&[S, S, I]),
    ),
    ("mustRegexMatch", regex::must_regex_match, sig(&[S, S])),
    (
        "mustRegexReplaceAll",
        regex::must_regex_replace_all,
        sig(&[S, S, S]),
    ),
    (
        "mustRegexReplaceAllLiteral",
        regex::must_regex_replace_all_literal,
        sig(&[S, S, S]),
    ),
    ("mustRegexSplit", regex::must_regex_split, sig(&[S, S, I])),
    ("mustRest", lists::must_rest, sig(&[A])),
    ("mustReverse", lists::must_reverse, sig(&[A])),
    ("mustSlice", lists::must_slice, var(&[A], A)),
    ("mustToDate", dates::must_to_date, sig(&[S, S])),
    ("mustToDuration", dates::must_to_duration, sig(&[A])),
    ("mustToJson", encoding::must_to_json, sig(&[A])),
    ("mustToPrettyJson", encoding::must_to_pretty_json, sig(&[A])),
    ("mustToRawJson", encoding::must_to_raw_json, sig(&[A])),
    ("mustToToml", toml::must_to_toml, sig(&[A])),
    ("mustToYaml", encoding::must_to_yaml, sig(&[A])),
    ("mustUniq", lists::must_uniq, sig(&[A])),
    ("mustWithout", lists::must_without, var(&[A], A)),
    ("must_date_modify", dates::must_date_modify, sig(&[S, A])),
    ("nindent", strings::nindent, sig(&[I, S])),
    ("nospace", strings::nospace, sig(&[S])),
    ("now", dates::now, sig(&[])),
    ("omit", dicts::omit, var(&[M], S)),
    ("osBase", paths::base, sig(&[S])),
    ("osClean", paths::clean, sig(&[S])),
    ("osDir", paths::dir, sig(&[S])),
    ("osExt", paths::ext, sig(&[S])),
    ("osIsAbs", paths::is_abs, sig(&[S])),
    ("pick", dicts::pick, var(&[M], S)),
    ("pluck", dicts::pluck, var(&[S], M)),
    ("plural", strings::plural, sig(&[S, S, I])),
    ("prepend", lists::prepend, sig(&[A, A])),
    ("push", lists::push, sig(&[A, A])),
    ("quote", strings::quote, var(&[], A)),
    ("randAlpha", crypto::rand_alpha, sig(&[I])),
    ("randAlphaNum", crypto::rand_alpha_num, sig(&[I])),
    ("randAscii", crypto::rand_ascii, sig(&[I])),
    ("randBytes", crypto::rand_bytes, sig(&[I])),
    ("randInt", crypto::rand_int, sig(&[I, I])),
    ("randNumeric", crypto::rand_numeric, sig(&[I])),
    ("regexFind", regex::regex_find, sig(&[S, S])),
    ("regexFindAll", regex::regex_find_all, sig(&[S, S, I])),
    ("regexMatch", regex::regex_match, sig(&[S, S])),
    ("regexQuoteMeta", regex::regex_quote_meta, sig(&[S])),
    ("regexReplaceAll", regex::regex_replace_all, sig(&[S, S, S])),
    (
        "regexReplaceAllLiteral",
        regex::regex_replace_all_literal,
        sig(&[S, S, S]),
    ),
    ("regexSplit", regex::regex_split, sig(&[S, S, I])),
    ("repeat", strings::repeat, sig(&[I, S])),
    ("replace", strings::replace, sig(&[S, S, S])),
    ("rest", lists::rest, sig(&[A])),
    ("reverse", lists::reverse, sig(&[A])),
    ("round", math::round, var(&[A, I], F)),
    ("semver", semver::semver_fn, sig(&[S])),
    ("semverCompare", semver::semver_compare, sig(&[S, S])),
    ("seq", math::seq, var(&[], I)),
    ("set", dicts::set, sig(&[M, S, A])),
    ("sha1sum", encoding::sha1sum, sig(&[B_OR_S])),
    ("sha256sum", encoding::sha256sum, sig(&[B_OR_S])),
    ("sha512sum", encoding::sha512sum, sig(&[B_OR_S])),
    ("shuffle", crypto::shuffle, sig(&[S])),
    ("slice", lists::slice, var(&[A], A)),
    ("snakecase", xstrings::snakecase, sig(&[S])),
    ("sortAlpha", lists::sort_alpha, sig(&[A])),
    ("split", strings::split, sig(&[S, S])),
    ("splitList", strings::split_list, sig(&[S, S])),
    ("splitn", strings::splitn, sig(&[S, I, S])),
    ("squote", strings::squote, var(&[], A)),
    ("sub", math::sub, sig(&[A, A])),
    ("subf", math::subf, var(&[A], A)),
    ("substr", strings::substr, sig(&[I, I, S])),
    ("swapcase", strings::swapcase, sig(&[S])),
    ("ternary", defaults::ternary, sig(&[A, A, B])),
    ("title", strings::title, sig(&[S])),
    ("toDate", dates::to_date, sig(&[S, S])),
    ("toDecimal", math::to_decimal, sig(&[A])),
    ("toJson", encoding::to_json, sig(&[A])),
    ("toPrettyJson", encoding::to_pretty_json, sig(&[A])),
    ("toRawJson", encoding::to_raw_json, sig(&[A])),
    ("toString", strings::to_string, sig(&[A])),
    ("toStrings", lists::to_strings, sig(&[A])),
    ("toToml", toml::to_toml, sig(&[A])),
    ("toYaml", encoding::to_yaml, sig(&[A])),
    ("toYamlPretty", encoding::to_yaml_pretty, sig(&[A])),
    ("trim", strings::trim, sig(&[S])),
    ("trimAll", strings::trim_all, sig(&[S, S])),
    ("trimPrefix", strings::trim_prefix, sig(&[S, S])),
    ("trimSuffix", strings::trim_suffix, sig(&[S, S])),
    ("trimall", strings::trim_all, sig(&[S, S])),
    ("trunc", strings::trunc, sig(&[I, S])),
    ("tuple", lists::list, var(&[], A)),
    ("typeIs", defaults::type_is, sig(&[S, A])),
    ("typeIsLike", defaults::type_is_like, sig(&[S, A])),
    ("typeOf", defaults::type_of, sig(&[A])),
    ("uniq", lists::uniq, sig(&[A])),
    ("unixEpoch", dates::unix_epoch, sig(&[T])),
    ("unset", dicts::unset, sig(&[M, S])),
    ("until", math::until, sig(&[I])),
    ("untilStep", math::until_step, sig(&[I, I, I])),
    ("untitle", strings::untitle, sig(&[S])),
    ("upper", strings::upper, sig(&[S])),
    ("urlJoin", strings::url_join, sig(&[M])),
    ("urlParse", url::url_parse, sig(&[S])),
    ("uuidv4", crypto::uuidv4, sig(&[])),
    ("values", dicts::values, sig(&[M])),
    ("without", lists::without, var(&[A], A)),
    ("wrap", strings::wrap, sig(&[I, S])),
    ("wrapWith", strings::wrap_with, sig(&[I, S, S])),
];

/// Per first byte of a name, where the table's names starting with it begin (entry `b`) and
/// end (entry `b + 1`), and the [`flags`] of every entry: computed once, so a lookup searches
/// a handful of names and the flags cost nothing per call site.
struct Index {
    starts: [u16; 257],
    flags: Vec<u8>,
}

static INDEX: std::sync::LazyLock<Index> = std::sync::LazyLock::new(|| {
    let mut starts = [0u16; 257];
    for (b, start) in starts.iter_mut().enumerate() {
        *start = TABLE
            .iter()
            .take_while(|(n, _, _)| usize::from(n.as_bytes()[0]) < b)
            .count() as u16;
    }
    Index {
        starts,
        flags: TABLE.iter().map(|(n, _, _)| flags_of(n)).collect(),
    }
});

fn find(name: &str) -> Option<usize> {
    let first = usize::from(*name.as_bytes().first()?);
    let idx = &*INDEX;
    let (lo, hi) = (
        usize::from(idx.starts[first]),
        usize::from(idx.starts[first + 1]),
    );
    TABLE[lo..hi]
        .binary_search_by(|(n, _, _)| (*n).cmp(name))
        .ok()
        .map(|i| lo + i)
}

/// The function called `name`, if it is a Sprig or pure Helm function.
pub fn lookup(name: &str) -> Option<Func> {
    find(name).map(|i| TABLE[i].1)
}

/// [`lookup`] and [`signature`] in one search, for the template parser.
pub(crate) fn lookup_with_signature(name: &str) -> Option<(Func, Signature)> {
    find(name).map(|i| {
        (
            TABLE[i].1,
            Signature {
                flags: INDEX.flags[i],
                ..TABLE[i].2
            },
        )
    })
}

/// The Go signature of function `name`, for the engine's argument checks.
pub fn signature(name: &str) -> Option<Signature> {
    lookup_with_signature(name).map(|(_, s)| s)
}

/// Every function name in the table, sorted.
pub fn names() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|(n, _, _)| *n)
}

/// Whether Go's version of `name` modifies its first argument (a map) in place and returns it.
///
/// Our version returns the modified map instead; the engine should store that result where
/// the first argument came from.
pub fn mutates_first_arg(name: &str) -> bool {
    matches!(
        name,
        "set" | "unset" | "merge" | "mergeOverwrite" | "mustMerge" | "mustMergeOverwrite"
    )
}

pub(crate) use json::{JsonOpts, json_float, to_json};
pub(crate) use math::{parse_go_float as parse_float_go, parse_go_int as parse_int_go};
pub(crate) use strings::{indent_fits, indented_len, write_indented};

// ---------------------------------------------------------------------------------------------
// Argument helpers shared by the function families.

/// `wrong number of args for NAME: want N got M`, as Go's engine says it.
pub(crate) fn arity(args: &[Value], want: usize, name: &str) -> Result<(), FuncError> {
    if args.len() == want {
        Ok(())
    } else {
        Err(FuncError::new(format!(
            "wrong number of args for {name}: want {want} got {}",
            args.len()
        )))
    }
}

/// At least `want` arguments (variadic functions).
pub(crate) fn arity_min(args: &[Value], want: usize, name: &str) -> Result<(), FuncError> {
    if args.len() >= want {
        Ok(())
    } else {
        Err(FuncError::new(format!(
            "wrong number of args for {name}: want at least {want} got {}",
            args.len()
        )))
    }
}

fn wrong_type(v: &Value, expected: Param) -> FuncError {
    match v {
        Value::Nil => FuncError::new(format!("invalid value; expected {}", expected.go_name())),
        other => FuncError::new(format!(
            "wrong type for value; expected {}; got {}",
            expected.go_name(),
            other.type_name()
        )),
    }
}

/// A Go `string` parameter whose bytes are what matters: a string, or the bytes of a Go string
/// that is not UTF-8 (`.Files.Get` of a binary file).
pub(crate) fn bytes_arg(v: &Value) -> Result<&[u8], FuncError> {
    match v {
        Value::String(s) => Ok(s.as_bytes()),
        Value::Bytes(b) => Ok(b),
        other => Err(wrong_type(other, Param::String)),
    }
}

/// A Go `string` parameter.
pub(crate) fn str_arg(v: &Value) -> Result<&str, FuncError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(wrong_type(other, Param::String)),
    }
}

/// A Go `int` parameter.
pub(crate) fn int_arg(v: &Value) -> Result<i64, FuncError> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(wrong_type(other, Param::Int)),
    }
}

/// A Go `bool` parameter.
pub(crate) fn bool_arg(v: &Value) -> Result<bool, FuncError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type(other, Param::Bool)),
    }
}

/// A Go `float64` parameter (an integer constant converts, as Go's engine does for literals).
pub(crate) fn float_arg(v: &Value) -> Result<f64, FuncError> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        other => Err(wrong_type(other, Param::Float64)),
    }
}

/// A Go `map[string]interface{}` parameter (nil is an empty map, as Go passes a nil map).
pub(crate) fn map_arg(v: &Value) -> Result<Cow<'_, Map>, FuncError> {
    match v {
        Value::Map(m) => Ok(Cow::Borrowed(m)),
        Value::Nil => Ok(Cow::Owned(Map::new())),
        Value::Object(o) => match o.to_plain() {
            Value::Map(m) if o.kind() == "map" => Ok(Cow::Owned((*m).clone())),
            _ => Err(wrong_type(v, Param::Map)),
        },
        other => Err(wrong_type(other, Param::Map)),
    }
}

/// Sprig's `strval`: strings and bytes as they are, everything else as Go's `%v`.
pub(crate) fn strval(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Bytes(b) => String::from_utf8_lossy(b),
        other => Cow::Owned(other.to_string()),
    }
}

/// A Go `string` result.
pub(crate) fn ok_str(s: impl Into<std::sync::Arc<str>>) -> Result<Value, FuncError> {
    Ok(Value::String(s.into()))
}

/// A string made from bytes that Go would keep as they are; invalid UTF-8 (a byte-offset cut
/// through a character) is replaced, since our strings are UTF-8.
pub(crate) fn bytes_to_string(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The Go message of a nil-pointer panic, which Go's engine reports as the call's error.
pub(crate) const NIL_PANIC: &str =
    "runtime error: invalid memory address or nil pointer dereference";

/// The elements of a Go slice or array argument, or `None` for any other kind.
pub(crate) fn as_slice(v: &Value) -> Option<Cow<'_, [Value]>> {
    match v {
        Value::List(l) => Some(Cow::Borrowed(l.as_slice())),
        Value::Bytes(b) => Some(Cow::Owned(
            b.iter().map(|x| Value::Int(i64::from(*x))).collect(),
        )),
        Value::Object(o) => match o.elements() {
            Some(Value::List(l)) => Some(Cow::Owned((*l).clone())),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in TABLE.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} >= {}", pair[0].0, pair[1].0);
        }
    }

    #[test]
    fn every_name_is_found_with_its_flags() {
        for (name, _, sig) in TABLE {
            let found = signature(name).unwrap();
            assert_eq!(found.params, sig.params, "{name}");
            assert_eq!(found.flags, flags_of(name), "{name}");
            assert!(lookup(name).is_some(), "{name}");
        }
        assert_eq!(
            signature("toYaml").map(|s| s.flags & flags::EXPANDS),
            Some(flags::EXPANDS)
        );
        assert_eq!(
            signature("set").map(|s| s.flags & flags::MUTATES_FIRST),
            Some(flags::MUTATES_FIRST)
        );
        assert!(lookup("").is_none());
        assert!(lookup("zzz").is_none());
        assert!(lookup("~").is_none());
    }

    #[test]
    fn binary_strings_hash_and_encode_as_bytes() {
        // `.Files.Get` of a binary file: a Go string that is not UTF-8.
        let bin = Value::Bytes(std::sync::Arc::from(&[0xffu8, 0x00][..]));
        let b64 = lookup("b64enc").unwrap();
        assert_eq!(b64(std::slice::from_ref(&bin)).unwrap().to_string(), "/wA=");
        let sha = lookup("sha256sum").unwrap();
        assert_eq!(
            sha(std::slice::from_ref(&bin)).unwrap().to_string(),
            "ea5dbf9596d187e9500f23e9a680109475341cf4e81f7e043f7d97152c10772f"
        );
        assert!(b64(&[Value::Int(1)]).is_err());
    }

    #[test]
    fn env_functions_are_absent() {
        assert!(lookup("env").is_none());
        assert!(lookup("expandenv").is_none());
        assert!(lookup("include").is_none());
        assert!(lookup("trunc").is_some());
    }
}
