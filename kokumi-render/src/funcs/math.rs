//! Sprig's number functions: conversions with spf13/cast semantics (`int`, `int64`,
//! `float64`, `atoi`), integer math (`add`, `sub`, `mul`, `div`, `mod`, `max`, `min`), the
//! decimal float math of shopspring/decimal (`addf`, `subf`, `mulf`, `divf`), rounding and
//! sequences (`until`, `untilStep`, `seq`).

use crate::value::{FuncError, ListType, Value};

use super::{arity, arity_min, int_arg, ok_str};

type R = Result<Value, FuncError>;

/// Go's `int64(f)` on amd64: truncation, and the "integer indefinite" value for NaN or a value
/// out of range.
pub(crate) fn f64_to_i64(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// Go's `strconv.ParseInt(s, base, 64)`; `base` 0 reads Go's prefixes (`0x`, `0o`, `0b`, `0`)
/// and underscores. `Err(true)` is a range error (with the clamped value), `Err(false)` a
/// syntax error.
pub(crate) fn parse_go_int(s: &str, base: u32) -> Result<i64, (bool, i64)> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return Err((false, 0));
    }
    let (radix, digits) = if base == 0 {
        let lower = body.to_ascii_lowercase();
        if lower.starts_with("0x") {
            (16, &body[2..])
        } else if lower.starts_with("0b") {
            (2, &body[2..])
        } else if lower.starts_with("0o") {
            (8, &body[2..])
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        }
    } else {
        (base, body)
    };
    if base == 0 && s.contains('_') && !underscores_ok(s) {
        return Err((false, 0));
    }
    let mut n: u128 = 0;
    let mut any = false;
    for c in digits.chars() {
        if c == '_' && base == 0 {
            continue;
        }
        let Some(d) = c.to_digit(radix) else {
            return Err((false, 0));
        };
        any = true;
        n = n * u128::from(radix) + u128::from(d);
        if n > 1 << 64 {
            n = 1 << 64;
        }
    }
    if !any {
        return Err((false, 0));
    }
    if neg {
        if n > 1u128 << 63 {
            return Err((true, i64::MIN));
        }
        Ok((-(n as i128)) as i64)
    } else {
        if n > i64::MAX as u128 {
            return Err((true, i64::MAX));
        }
        Ok(n as i64)
    }
}

/// Go's rule for `_` in a number literal (`strconv`'s base-0 integers and every float): each
/// one sits between two digits, or between a base prefix (`0x`, `0o`, `0b`) and a digit.
fn underscores_ok(s: &str) -> bool {
    #[derive(PartialEq)]
    enum Last {
        Start,
        Digit,
        Underscore,
        Other,
    }
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let prefix = match b {
        [b'0', p, ..] if matches!(p.to_ascii_lowercase(), b'x' | b'o' | b'b') => {
            Some(p.to_ascii_lowercase())
        }
        _ => None,
    };
    let (mut last, rest) = match prefix {
        Some(_) => (Last::Digit, &b[2..]),
        None => (Last::Start, b),
    };
    for &c in rest {
        last = if c.is_ascii_digit() || (prefix == Some(b'x') && c.is_ascii_hexdigit()) {
            Last::Digit
        } else if c == b'_' {
            if last != Last::Digit {
                return false;
            }
            Last::Underscore
        } else if last == Last::Underscore {
            return false;
        } else {
            Last::Other
        };
    }
    last != Last::Underscore
}

/// Go's `strconv.ParseFloat(s, 64)`: `None` on a syntax or range error.
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.trim_start_matches(['+', '-']);
    let lower = t.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity") {
        return Some(if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" {
        return Some(f64::NAN);
    }
    if lower.starts_with("0x") {
        return parse_hex_float(s);
    }
    if s.contains('_') {
        return if underscores_ok(s) {
            parse_go_float(&s.replace('_', ""))
        } else {
            None
        };
    }
    if s.is_empty()
        || !s
            .bytes()
            .all(|c| c.is_ascii_digit() || b"+-.eE".contains(&c))
    {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    if f.is_infinite() {
        return None;
    }
    Some(f)
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let body = &body[2..];
    let (mant, exp) = body.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
    let mut v: f64 = 0.0;
    for c in ip.chars().filter(|c| *c != '_') {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in fp.chars().filter(|c| *c != '_') {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    let r = v * 2f64.powi(exp);
    Some(if neg { -r } else { r })
}

/// Go's `strconv.FormatFloat`-free `trimZeroDecimal` of spf13/cast: `"1.00"` → `"1"`.
fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    for i in (1..=b.len()).rev() {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// spf13/cast's `ToInt64` (errors become 0, as Sprig ignores them).
pub(crate) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Nil => 0,
        Value::Bool(b) => i64::from(*b),
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => f64_to_i64(*f),
        Value::String(s) => parse_go_int(trim_zero_decimal(s), 0).unwrap_or(0),
        _ => 0,
    }
}

/// spf13/cast's `ToFloat64` (errors become 0).
pub(crate) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Nil => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float(f) => *f,
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

pub(crate) fn int(args: &[Value]) -> R {
    arity(args, 1, "int")?;
    Ok(Value::Int(to_int64(&args[0])))
}

pub(crate) fn int64(args: &[Value]) -> R {
    arity(args, 1, "int64")?;
    Ok(Value::Int64(to_int64(&args[0])))
}

pub(crate) fn float64(args: &[Value]) -> R {
    arity(args, 1, "float64")?;
    Ok(Value::Float(to_float64(&args[0])))
}

pub(crate) fn atoi(args: &[Value]) -> R {
    arity(args, 1, "atoi")?;
    let s = super::str_arg(&args[0])?;
    Ok(Value::Int(match parse_go_int(s, 10) {
        Ok(i) => i,
        Err((true, clamped)) => clamped,
        Err((false, _)) => 0,
    }))
}

pub(crate) fn to_decimal(args: &[Value]) -> R {
    arity(args, 1, "toDecimal")?;
    Ok(Value::Int64(
        parse_go_int(&args[0].to_string(), 8).unwrap_or(0),
    ))
}

pub(crate) fn add1(args: &[Value]) -> R {
    arity(args, 1, "add1")?;
    Ok(Value::Int64(to_int64(&args[0]).wrapping_add(1)))
}

pub(crate) fn add(args: &[Value]) -> R {
    Ok(Value::Int64(
        args.iter().fold(0i64, |a, b| a.wrapping_add(to_int64(b))),
    ))
}

pub(crate) fn sub(args: &[Value]) -> R {
    arity(args, 2, "sub")?;
    Ok(Value::Int64(
        to_int64(&args[0]).wrapping_sub(to_int64(&args[1])),
    ))
}

const DIV_ZERO: &str = "runtime error: integer divide by zero";

pub(crate) fn div(args: &[Value]) -> R {
    arity(args, 2, "div")?;
    let b = to_int64(&args[1]);
    if b == 0 {
        return Err(FuncError::new(DIV_ZERO));
    }
    Ok(Value::Int64(to_int64(&args[0]).wrapping_div(b)))
}

pub(crate) fn modulo(args: &[Value]) -> R {
    arity(args, 2, "mod")?;
    let b = to_int64(&args[1]);
    if b == 0 {
        return Err(FuncError::new(DIV_ZERO));
    }
    Ok(Value::Int64(to_int64(&args[0]).wrapping_rem(b)))
}

pub(crate) fn mul(args: &[Value]) -> R {
    arity_min(args, 1, "mul")?;
    Ok(Value::Int64(
        args[1..]
            .iter()
            .fold(to_int64(&args[0]), |a, b| a.wrapping_mul(to_int64(b))),
    ))
}

pub(crate) fn max(args: &[Value]) -> R {
    arity_min(args, 1, "max")?;
    Ok(Value::Int64(
        args[1..]
            .iter()
            .map(to_int64)
            .fold(to_int64(&args[0]), i64::max),
    ))
}

pub(crate) fn min(args: &[Value]) -> R {
    arity_min(args, 1, "min")?;
    Ok(Value::Int64(
        args[1..]
            .iter()
            .map(to_int64)
            .fold(to_int64(&args[0]), i64::min),
    ))
}

/// Go's `math.Max`: NaN wins, +0 beats -0.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        if a.is_sign_negative() { b } else { a }
    } else {
        a.max(b)
    }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        if a.is_sign_negative() { a } else { b }
    } else {
        a.min(b)
    }
}

pub(crate) fn maxf(args: &[Value]) -> R {
    arity_min(args, 1, "maxf")?;
    Ok(Value::Float(
        args[1..]
            .iter()
            .map(to_float64)
            .fold(to_float64(&args[0]), go_max),
    ))
}

pub(crate) fn minf(args: &[Value]) -> R {
    arity_min(args, 1, "minf")?;
    Ok(Value::Float(
        args[1..]
            .iter()
            .map(to_float64)
            .fold(to_float64(&args[0]), go_min),
    ))
}

pub(crate) fn floor(args: &[Value]) -> R {
    arity(args, 1, "floor")?;
    Ok(Value::Float(to_float64(&args[0]).floor()))
}

pub(crate) fn ceil(args: &[Value]) -> R {
    arity(args, 1, "ceil")?;
    Ok(Value::Float(to_float64(&args[0]).ceil()))
}

pub(crate) fn round(args: &[Value]) -> R {
    arity_min(args, 2, "round")?;
    let val = to_float64(&args[0]);
    let places = int_arg(&args[1])? as f64;
    let round_on = match args.get(2) {
        Some(v) => super::float_arg(v)?,
        None => 0.5,
    };
    let pow = 10f64.powf(places);
    let digit = pow * val;
    let frac = digit - digit.trunc();
    let r = if frac >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Value::Float(r / pow))
}

// --- shopspring/decimal arithmetic --------------------------------------------------------

/// An exact decimal `mant × 10^exp`.
#[derive(Clone, Copy)]
struct Dec {
    mant: i128,
    exp: i32,
}

impl Dec {
    /// decimal.NewFromFloat: the shortest decimal that reads back as `f`.
    fn from_f64(f: f64) -> Option<Dec> {
        if !f.is_finite() {
            return None;
        }
        if f == 0.0 {
            return Some(Dec { mant: 0, exp: 0 });
        }
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e')?;
        let e: i32 = e.parse().ok()?;
        let neg = m.starts_with('-');
        let digits: String = m.chars().filter(char::is_ascii_digit).collect();
        let mant: i128 = digits.parse().ok()?;
        let exp = e - (digits.len() as i32 - 1);
        Some(Dec {
            mant: if neg { -mant } else { mant },
            exp,
        })
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.mant, self.exp)
            .parse()
            .unwrap_or(f64::NAN)
    }

    fn align(a: Dec, b: Dec) -> Option<(i128, i128, i32)> {
        let exp = a.exp.min(b.exp);
        let sa = pow10(a.exp - exp)?;
        let sb = pow10(b.exp - exp)?;
        Some((a.mant.checked_mul(sa)?, b.mant.checked_mul(sb)?, exp))
    }

    fn add(a: Dec, b: Dec) -> Option<Dec> {
        let (x, y, exp) = Dec::align(a, b)?;
        Some(Dec {
            mant: x.checked_add(y)?,
            exp,
        })
    }

    fn sub(a: Dec, b: Dec) -> Option<Dec> {
        let (x, y, exp) = Dec::align(a, b)?;
        Some(Dec {
            mant: x.checked_sub(y)?,
            exp,
        })
    }

    fn mul(a: Dec, b: Dec) -> Option<Dec> {
        Some(Dec {
            mant: a.mant.checked_mul(b.mant)?,
            exp: a.exp.checked_add(b.exp)?,
        })
    }

    /// decimal's `Div`: the quotient rounded (half away from zero) to 16 decimal places.
    fn div(a: Dec, b: Dec) -> Option<Dec> {
        if b.mant == 0 {
            return None;
        }
        // q = a.mant / b.mant × 10^(a.exp - b.exp); we want round(q × 10^16).
        let shift = a.exp - b.exp + 16;
        let (num, den) = if shift >= 0 {
            (a.mant.checked_mul(pow10(shift)?)?, b.mant)
        } else {
            (a.mant, b.mant.checked_mul(pow10(-shift)?)?)
        };
        let q = num / den;
        let r = num % den;
        let q = if (r.abs() * 2) >= den.abs() {
            if (num < 0) != (den < 0) { q - 1 } else { q + 1 }
        } else {
            q
        };
        Some(Dec { mant: q, exp: -16 })
    }
}

fn pow10(n: i32) -> Option<i128> {
    if !(0..=38).contains(&n) {
        return None;
    }
    10i128.checked_pow(n as u32)
}

fn decimal_op(
    first: &Value,
    rest: &[Value],
    op: fn(Dec, Dec) -> Option<Dec>,
    fop: fn(f64, f64) -> f64,
) -> Value {
    let mut acc_f = to_float64(first);
    let mut acc = Dec::from_f64(acc_f);
    for v in rest {
        let x = to_float64(v);
        acc = match (acc, Dec::from_f64(x)) {
            (Some(a), Some(b)) => op(a, b),
            _ => None,
        };
        acc_f = match acc {
            Some(d) => d.to_f64(),
            None => fop(acc_f, x),
        };
        if acc.is_none() {
            acc = Dec::from_f64(acc_f);
        }
    }
    Value::Float(acc.map_or(acc_f, Dec::to_f64))
}

pub(crate) fn add1f(args: &[Value]) -> R {
    arity(args, 1, "add1f")?;
    Ok(decimal_op(&args[0], &[Value::Int(1)], Dec::add, |a, b| {
        a + b
    }))
}

pub(crate) fn addf(args: &[Value]) -> R {
    Ok(decimal_op(&Value::Float(0.0), args, Dec::add, |a, b| a + b))
}

pub(crate) fn subf(args: &[Value]) -> R {
    arity_min(args, 1, "subf")?;
    Ok(decimal_op(&args[0], &args[1..], Dec::sub, |a, b| a - b))
}

pub(crate) fn mulf(args: &[Value]) -> R {
    arity_min(args, 1, "mulf")?;
    Ok(decimal_op(&args[0], &args[1..], Dec::mul, |a, b| a * b))
}

pub(crate) fn divf(args: &[Value]) -> R {
    arity_min(args, 1, "divf")?;
    for v in &args[1..] {
        if to_float64(v) == 0.0 {
            return Err(FuncError::new("decimal division by 0"));
        }
    }
    Ok(decimal_op(&args[0], &args[1..], Dec::div, |a, b| a / b))
}

// --- sequences --------------------------------------------------------------------------------

/// Sequences longer than this are refused (a template budget, not Go's).
const MAX_SEQ: i64 = 10_000_000;

fn until_step_vec(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FuncError> {
    let mut v = Vec::new();
    if step == 0 || (stop < start && step > 0) || (stop >= start && step < 0) {
        return Ok(v);
    }
    let n = ((stop as i128 - start as i128) / step as i128).unsigned_abs();
    if n > MAX_SEQ as u128 {
        return Err(FuncError::new(format!(
            "sequence of {n} elements exceeds the limit of {MAX_SEQ}"
        )));
    }
    let mut i = start;
    if stop < start {
        while i > stop {
            v.push(i);
            i += step;
        }
    } else {
        while i < stop {
            v.push(i);
            i += step;
        }
    }
    Ok(v)
}

fn int_list(v: Vec<i64>) -> Value {
    Value::typed_list(ListType::Int, v.into_iter().map(Value::Int).collect())
}

pub(crate) fn until(args: &[Value]) -> R {
    arity(args, 1, "until")?;
    let count = int_arg(&args[0])?;
    let step = if count < 0 { -1 } else { 1 };
    Ok(int_list(until_step_vec(0, count, step)?))
}

pub(crate) fn until_step(args: &[Value]) -> R {
    arity(args, 3, "untilStep")?;
    Ok(int_list(until_step_vec(
        int_arg(&args[0])?,
        int_arg(&args[1])?,
        int_arg(&args[2])?,
    )?))
}

pub(crate) fn seq(args: &[Value]) -> R {
    let mut p = Vec::with_capacity(args.len());
    for a in args {
        p.push(int_arg(a)?);
    }
    let v = match p.as_slice() {
        [] => return ok_str(""),
        [end] => {
            let start = 1;
            let inc = if *end < start { -1 } else { 1 };
            until_step_vec(start, end + inc, inc)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step_vec(*start, end + step, step)?
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return ok_str("");
                }
            }
            until_step_vec(*start, end + inc, *step)?
        }
        _ => return ok_str(""),
    };
    let parts: Vec<String> = v.iter().map(i64::to_string).collect();
    ok_str(parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_conversions() {
        assert_eq!(to_int64(&Value::from("0x1F")), 31);
        assert_eq!(to_int64(&Value::from("010")), 8);
        assert_eq!(to_int64(&Value::from("1.0")), 1);
        assert_eq!(to_int64(&Value::from("1.5")), 0);
        assert_eq!(to_int64(&Value::Float(3.9)), 3);
        assert_eq!(to_int64(&Value::from("-0b11")), -3);
        assert_eq!(to_int64(&Value::from("1_000")), 1000);
        assert_eq!(to_int64(&Value::from("_1")), 0);
        assert_eq!(to_float64(&Value::from("1e3")), 1000.0);
        assert_eq!(to_int64(&Value::Bool(true)), 1);
    }

    #[test]
    fn decimal_math() {
        let f = |v: Value| v.to_string();
        assert_eq!(
            f(addf(&[Value::Float(0.1), Value::Float(0.2)]).unwrap()),
            "0.3"
        );
        assert_eq!(f(mulf(&[Value::Float(1.1), Value::Int(3)]).unwrap()), "3.3");
        assert_eq!(
            f(divf(&[Value::Int(10), Value::Int(3)]).unwrap()),
            "3.3333333333333335"
        );
        assert_eq!(
            f(subf(&[Value::Float(1.5), Value::Float(0.2)]).unwrap()),
            "1.3"
        );
    }
}
