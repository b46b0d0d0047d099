//! Sprig's date functions (`now`, `date`, `dateInZone`, `htmlDate`, `toDate`, `dateModify`,
//! `ago`, `unixEpoch`, `duration`, `durationRound`) and Helm 4's duration helpers
//! (`mustToDuration`, `durationSeconds`, ..., `durationRoundTo`, `durationTruncateTo`).
//!
//! Times are `time.Time` objects, durations `time.Duration` objects, printing as Go prints
//! them. Go's layouts ("2006-01-02T15:04:05Z07:00", "Jan _2 15:04", ".000") are implemented
//! here for formatting and parsing. The local zone is `TZ` (an IANA name) or UTC, as Go reads
//! it in a container.

use std::sync::Arc;

use chrono::{
    DateTime, Datelike as _, FixedOffset, Offset as _, TimeZone as _, Timelike as _, Utc,
};

use crate::value::{FuncError, Object, Value};

use super::{Param, arity, ok_str, str_arg};

type R = Result<Value, FuncError>;

// --- time.Time ---------------------------------------------------------------------------

/// A Go `time.Time`: an instant and the zone it is shown in.
#[derive(Debug, Clone)]
pub(crate) struct GoTime {
    /// The instant, in its zone's offset.
    pub at: DateTime<FixedOffset>,
    /// The zone's abbreviation (`UTC`, `CET`, `+0530` when unnamed).
    pub zone: String,
}

fn local_zone() -> Option<chrono_tz::Tz> {
    let tz = std::env::var("TZ").ok()?;
    let tz = tz.trim_start_matches(':');
    if tz.is_empty() || tz == "UTC" {
        return None;
    }
    tz.parse().ok()
}

impl GoTime {
    fn in_zone(utc: DateTime<Utc>, zone: Option<chrono_tz::Tz>) -> GoTime {
        match zone {
            Some(tz) => {
                let local = utc.with_timezone(&tz);
                let name = format!("{}", local.format("%Z"));
                GoTime {
                    at: local.fixed_offset(),
                    zone: name,
                }
            }
            None => GoTime {
                at: utc.fixed_offset(),
                zone: "UTC".into(),
            },
        }
    }

    fn local(utc: DateTime<Utc>) -> GoTime {
        GoTime::in_zone(utc, local_zone())
    }

    /// Go's `time.LoadLocation(name)`: `""`/`UTC` is UTC, `Local` the local zone.
    fn load(utc: DateTime<Utc>, zone: &str) -> GoTime {
        match zone {
            "" | "UTC" => GoTime::in_zone(utc, None),
            "Local" => GoTime::local(utc),
            name => match name.parse::<chrono_tz::Tz>() {
                Ok(tz) => GoTime::in_zone(utc, Some(tz)),
                Err(_) => GoTime::in_zone(utc, None),
            },
        }
    }

    fn value(self) -> Value {
        Value::Object(Arc::new(TimeObject(self)))
    }
}

/// The `time.Time` object templates see.
#[derive(Debug)]
pub(crate) struct TimeObject(pub GoTime);

impl Object for TimeObject {
    fn type_name(&self) -> &str {
        "time.Time"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn method(&self, name: &str) -> Option<&'static [Param]> {
        match name {
            "Format" => Some(&[Param::String]),
            "Unix" | "UnixNano" | "UnixMilli" | "Year" | "Month" | "Day" | "Hour" | "Minute"
            | "Second" | "Nanosecond" | "YearDay" | "Weekday" | "UTC" | "Local" | "String"
            | "IsZero" => Some(&[]),
            _ => None,
        }
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let t = &self.0;
        Some(Ok(match name {
            "Format" => match args {
                [Value::String(layout)] => Value::from(format_go(t, layout)),
                _ => Value::from(""),
            },
            "Unix" => Value::Int64(t.at.timestamp()),
            "UnixNano" => Value::Int64(t.at.timestamp_nanos_opt().unwrap_or(i64::MIN)),
            "UnixMilli" => Value::Int64(t.at.timestamp_millis()),
            "Year" => Value::Int(i64::from(t.at.year())),
            "Month" => Value::from(MONTHS[t.at.month0() as usize]),
            "Day" => Value::Int(i64::from(t.at.day())),
            "Hour" => Value::Int(i64::from(t.at.hour())),
            "Minute" => Value::Int(i64::from(t.at.minute())),
            "Second" => Value::Int(i64::from(t.at.second())),
            "Nanosecond" => Value::Int(i64::from(t.at.nanosecond() % 1_000_000_000)),
            "YearDay" => Value::Int(i64::from(t.at.ordinal())),
            "Weekday" => Value::from(DAYS[t.at.weekday().num_days_from_sunday() as usize]),
            "UTC" => GoTime::in_zone(t.at.with_timezone(&Utc), None).value(),
            "Local" => GoTime::local(t.at.with_timezone(&Utc)).value(),
            "String" => Value::from(self.go_format()),
            "IsZero" => Value::Bool(t.at.timestamp() == ZERO_UNIX && t.at.nanosecond() == 0),
            _ => return None,
        }))
    }
    fn go_format(&self) -> String {
        format_go(&self.0, "2006-01-02 15:04:05.999999999 -0700 MST")
    }
    fn to_plain(&self) -> Value {
        Value::from(format_go(&self.0, "2006-01-02T15:04:05.999999999Z07:00"))
    }
}

/// Unix time of Go's zero `time.Time` (January 1, year 1, UTC).
const ZERO_UNIX: i64 = -62_135_596_800;

fn zero_time() -> GoTime {
    let at = Utc.timestamp_opt(ZERO_UNIX, 0).single().unwrap_or_default();
    GoTime::in_zone(at, None)
}

fn time_arg(v: &Value) -> Option<GoTime> {
    match v {
        Value::Object(o) if o.type_name() == "time.Time" => {
            // Recover the instant from the RFC 3339 plain form.
            let s = o.to_plain();
            let text = s.as_str()?;
            let at = DateTime::parse_from_rfc3339(text).ok()?;
            let zone = o
                .go_format()
                .rsplit(' ')
                .next()
                .unwrap_or("UTC")
                .to_string();
            Some(GoTime { at, zone })
        }
        _ => None,
    }
}

fn typed_time(v: &Value) -> Result<GoTime, FuncError> {
    time_arg(v).ok_or_else(|| {
        FuncError::new(match v {
            Value::Nil => "invalid value; expected time.Time".to_string(),
            other => format!(
                "wrong type for value; expected time.Time; got {}",
                other.type_name()
            ),
        })
    })
}

pub(crate) fn now(args: &[Value]) -> R {
    arity(args, 0, "now")?;
    Ok(GoTime::local(Utc::now()).value())
}

/// The time a `date`-family argument stands for: a time, Unix seconds, or else now.
fn date_of(v: &Value) -> DateTime<Utc> {
    if let Some(t) = time_arg(v) {
        return t.at.with_timezone(&Utc);
    }
    match v {
        Value::Int(secs) | Value::Int64(secs) => Utc
            .timestamp_opt(*secs, 0)
            .single()
            .unwrap_or_else(Utc::now),
        _ => Utc::now(),
    }
}

pub(crate) fn date(args: &[Value]) -> R {
    arity(args, 2, "date")?;
    let layout = str_arg(&args[0])?;
    ok_str(format_go(&GoTime::local(date_of(&args[1])), layout))
}

pub(crate) fn date_in_zone(args: &[Value]) -> R {
    arity(args, 3, "dateInZone")?;
    let layout = str_arg(&args[0])?;
    let zone = str_arg(&args[2])?;
    ok_str(format_go(&GoTime::load(date_of(&args[1]), zone), layout))
}

pub(crate) fn html_date(args: &[Value]) -> R {
    arity(args, 1, "htmlDate")?;
    ok_str(format_go(&GoTime::local(date_of(&args[0])), "2006-01-02"))
}

pub(crate) fn html_date_in_zone(args: &[Value]) -> R {
    arity(args, 2, "htmlDateInZone")?;
    let zone = str_arg(&args[1])?;
    ok_str(format_go(
        &GoTime::load(date_of(&args[0]), zone),
        "2006-01-02",
    ))
}

pub(crate) fn unix_epoch(args: &[Value]) -> R {
    arity(args, 1, "unixEpoch")?;
    ok_str(typed_time(&args[0])?.at.timestamp().to_string())
}

pub(crate) fn date_modify(args: &[Value]) -> R {
    arity(args, 2, "dateModify")?;
    let d = str_arg(&args[0])?;
    let t = typed_time(&args[1])?;
    match parse_duration(d) {
        Ok(n) => Ok(add(&t, n).value()),
        Err(_) => Ok(t.value()),
    }
}

pub(crate) fn must_date_modify(args: &[Value]) -> R {
    arity(args, 2, "mustDateModify")?;
    let d = str_arg(&args[0])?;
    let t = typed_time(&args[1])?;
    let n = parse_duration(d).map_err(FuncError::new)?;
    Ok(add(&t, n).value())
}

fn add(t: &GoTime, nanos: i64) -> GoTime {
    let at = t.at + chrono::Duration::nanoseconds(nanos);
    GoTime {
        at,
        zone: t.zone.clone(),
    }
}

pub(crate) fn ago(args: &[Value]) -> R {
    arity(args, 1, "ago")?;
    let t = match &args[0] {
        v if time_arg(v).is_some() => date_of(v),
        Value::Int(secs) | Value::Int64(secs) => Utc
            .timestamp_opt(*secs, 0)
            .single()
            .unwrap_or_else(Utc::now),
        _ => Utc::now(),
    };
    let since = (Utc::now() - t).num_nanoseconds().unwrap_or(i64::MAX);
    ok_str(duration_string(round_duration(since, 1_000_000_000)))
}

pub(crate) fn to_date(args: &[Value]) -> R {
    arity(args, 2, "toDate")?;
    let layout = str_arg(&args[0])?;
    let s = str_arg(&args[1])?;
    Ok(parse_go(layout, s).unwrap_or_else(|_| zero_time()).value())
}

pub(crate) fn must_to_date(args: &[Value]) -> R {
    arity(args, 2, "mustToDate")?;
    let layout = str_arg(&args[0])?;
    let s = str_arg(&args[1])?;
    parse_go(layout, s)
        .map(GoTime::value)
        .map_err(FuncError::new)
}

// --- Go layouts --------------------------------------------------------------------------

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TZ,
    Iso8601TZ,
    Iso8601SecondsTZ,
    Iso8601ShortTZ,
    Iso8601ColonTZ,
    Iso8601ColonSecondsTZ,
    NumTZ,
    NumSecondsTz,
    NumShortTZ,
    NumColonTZ,
    NumColonSecondsTZ,
    /// `.000` / `,000` (fixed digits) — the count.
    FracZero(usize),
    /// `.999` (trailing zeros trimmed) — the count.
    FracNine(usize),
}

/// Go's `nextStdChunk`: splits a layout into literal text and tokens.
fn chunks(layout: &str) -> Vec<Result<Tok, &str>> {
    let b = layout.as_bytes();
    let mut out = Vec::new();
    let mut lit_start = 0;
    let mut i = 0;
    let starts = |i: usize, s: &str| layout[i..].starts_with(s);
    while i < b.len() {
        let (tok, len): (Option<Tok>, usize) = match b[i] {
            b'J' if starts(i, "January") => (Some(Tok::LongMonth), 7),
            b'J' if starts(i, "Jan") => (Some(Tok::Month), 3),
            b'M' if starts(i, "Monday") => (Some(Tok::LongWeekDay), 6),
            b'M' if starts(i, "Mon") => (Some(Tok::WeekDay), 3),
            b'M' if starts(i, "MST") => (Some(Tok::TZ), 3),
            b'0' if i + 1 < b.len() && (b'1'..=b'6').contains(&b[i + 1]) => (
                Some(match b[i + 1] {
                    b'1' => Tok::ZeroMonth,
                    b'2' => Tok::ZeroDay,
                    b'3' => Tok::ZeroHour12,
                    b'4' => Tok::ZeroMinute,
                    b'5' => Tok::ZeroSecond,
                    _ => Tok::Year,
                }),
                2,
            ),
            b'0' if starts(i, "002") => (Some(Tok::ZeroYearDay), 3),
            b'1' if starts(i, "15") => (Some(Tok::Hour), 2),
            b'1' => (Some(Tok::NumMonth), 1),
            b'2' if starts(i, "2006") => (Some(Tok::LongYear), 4),
            b'2' => (Some(Tok::Day), 1),
            b'_' if starts(i, "_2") => {
                if starts(i, "_2006") {
                    // "_" literal then year
                    (None, 0)
                } else if starts(i, "__2") {
                    (Some(Tok::UnderYearDay), 3)
                } else {
                    (Some(Tok::UnderDay), 2)
                }
            }
            b'_' if starts(i, "__2") => (Some(Tok::UnderYearDay), 3),
            b'3' => (Some(Tok::Hour12), 1),
            b'4' => (Some(Tok::Minute), 1),
            b'5' => (Some(Tok::Second), 1),
            b'P' if starts(i, "PM") => (Some(Tok::PM), 2),
            b'p' if starts(i, "pm") => (Some(Tok::Pm), 2),
            b'-' if starts(i, "-07:00:00") => (Some(Tok::NumColonSecondsTZ), 9),
            b'-' if starts(i, "-0700") && !starts(i, "-070000") => (Some(Tok::NumTZ), 5),
            b'-' if starts(i, "-070000") => (Some(Tok::NumSecondsTz), 7),
            b'-' if starts(i, "-07:00") => (Some(Tok::NumColonTZ), 6),
            b'-' if starts(i, "-07") => (Some(Tok::NumShortTZ), 3),
            b'Z' if starts(i, "Z07:00:00") => (Some(Tok::Iso8601ColonSecondsTZ), 9),
            b'Z' if starts(i, "Z070000") => (Some(Tok::Iso8601SecondsTZ), 7),
            b'Z' if starts(i, "Z0700") => (Some(Tok::Iso8601TZ), 5),
            b'Z' if starts(i, "Z07:00") => (Some(Tok::Iso8601ColonTZ), 6),
            b'Z' if starts(i, "Z07") => (Some(Tok::Iso8601ShortTZ), 3),
            b'.' | b',' if i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                // Only a fraction if not followed by another digit.
                if j < b.len() && b[j].is_ascii_digit() {
                    (None, 0)
                } else if ch == b'0' {
                    (Some(Tok::FracZero(j - i - 1)), j - i)
                } else {
                    (Some(Tok::FracNine(j - i - 1)), j - i)
                }
            }
            _ => (None, 0),
        };
        match tok {
            Some(t) => {
                if lit_start < i {
                    out.push(Err(&layout[lit_start..i]));
                }
                out.push(Ok(t));
                i += len;
                lit_start = i;
            }
            None => {
                i += layout[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    if lit_start < b.len() {
        out.push(Err(&layout[lit_start..]));
    }
    out
}

fn push_offset(out: &mut String, secs: i32, colon: bool, seconds: bool, short: bool, z: bool) {
    if z && secs == 0 {
        out.push('Z');
        return;
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    out.push(sign);
    out.push_str(&format!("{:02}", a / 3600));
    if short {
        return;
    }
    if colon {
        out.push(':');
    }
    out.push_str(&format!("{:02}", (a / 60) % 60));
    if seconds {
        if colon {
            out.push(':');
        }
        out.push_str(&format!("{:02}", a % 60));
    }
}

/// Go's `Time.Format(layout)`.
pub(crate) fn format_go(t: &GoTime, layout: &str) -> String {
    let at = &t.at;
    let mut out = String::with_capacity(layout.len() + 8);
    let offset = at.offset().fix().local_minus_utc();
    for c in chunks(layout) {
        match c {
            Err(lit) => out.push_str(lit),
            Ok(tok) => match tok {
                Tok::LongMonth => out.push_str(MONTHS[at.month0() as usize]),
                Tok::Month => out.push_str(&MONTHS[at.month0() as usize][..3]),
                Tok::NumMonth => out.push_str(&at.month().to_string()),
                Tok::ZeroMonth => out.push_str(&format!("{:02}", at.month())),
                Tok::LongWeekDay => {
                    out.push_str(DAYS[at.weekday().num_days_from_sunday() as usize]);
                }
                Tok::WeekDay => {
                    out.push_str(&DAYS[at.weekday().num_days_from_sunday() as usize][..3]);
                }
                Tok::Day => out.push_str(&at.day().to_string()),
                Tok::UnderDay => out.push_str(&format!("{:>2}", at.day())),
                Tok::ZeroDay => out.push_str(&format!("{:02}", at.day())),
                Tok::UnderYearDay => out.push_str(&format!("{:>3}", at.ordinal())),
                Tok::ZeroYearDay => out.push_str(&format!("{:03}", at.ordinal())),
                Tok::Hour => out.push_str(&format!("{:02}", at.hour())),
                Tok::Hour12 => out.push_str(
                    &(if at.hour().is_multiple_of(12) {
                        12
                    } else {
                        at.hour() % 12
                    })
                    .to_string(),
                ),
                Tok::ZeroHour12 => {
                    out.push_str(&format!(
                        "{:02}",
                        if at.hour().is_multiple_of(12) {
                            12
                        } else {
                            at.hour() % 12
                        }
                    ));
                }
                Tok::Minute => out.push_str(&at.minute().to_string()),
                Tok::ZeroMinute => out.push_str(&format!("{:02}", at.minute())),
                Tok::Second => out.push_str(&at.second().to_string()),
                Tok::ZeroSecond => out.push_str(&format!("{:02}", at.second())),
                Tok::LongYear => out.push_str(&format!("{:04}", at.year())),
                Tok::Year => out.push_str(&format!("{:02}", at.year().rem_euclid(100))),
                Tok::PM => out.push_str(if at.hour() >= 12 { "PM" } else { "AM" }),
                Tok::Pm => out.push_str(if at.hour() >= 12 { "pm" } else { "am" }),
                Tok::TZ => {
                    if t.zone.is_empty() {
                        push_offset(&mut out, offset, false, false, false, false);
                    } else {
                        out.push_str(&t.zone);
                    }
                }
                Tok::Iso8601TZ => push_offset(&mut out, offset, false, false, false, true),
                Tok::Iso8601SecondsTZ => push_offset(&mut out, offset, false, true, false, true),
                Tok::Iso8601ShortTZ => push_offset(&mut out, offset, false, false, true, true),
                Tok::Iso8601ColonTZ => push_offset(&mut out, offset, true, false, false, true),
                Tok::Iso8601ColonSecondsTZ => {
                    push_offset(&mut out, offset, true, true, false, true);
                }
                Tok::NumTZ => push_offset(&mut out, offset, false, false, false, false),
                Tok::NumSecondsTz => push_offset(&mut out, offset, false, true, false, false),
                Tok::NumShortTZ => push_offset(&mut out, offset, false, false, true, false),
                Tok::NumColonTZ => push_offset(&mut out, offset, true, false, false, false),
                Tok::NumColonSecondsTZ => push_offset(&mut out, offset, true, true, false, false),
                Tok::FracZero(n) => {
                    let digits = format!("{:09}", at.nanosecond() % 1_000_000_000);
                    out.push('.');
                    out.push_str(&digits[..n.min(9)]);
                }
                Tok::FracNine(n) => {
                    let digits = format!("{:09}", at.nanosecond() % 1_000_000_000);
                    let d = digits[..n.min(9)].trim_end_matches('0');
                    if !d.is_empty() {
                        out.push('.');
                        out.push_str(d);
                    }
                }
            },
        }
    }
    out
}

/// Go's `time.ParseInLocation(layout, value, time.Local)` for the common layout elements.
fn parse_go(layout: &str, value: &str) -> Result<GoTime, String> {
    let err = |what: &str| {
        format!(
            "parsing time {} as {}: cannot parse {}",
            crate::gofmt::quote(value),
            crate::gofmt::quote(layout),
            what
        )
    };
    let mut s = value;
    let (mut year, mut month, mut day, mut hour, mut min, mut sec, mut nanos) =
        (1i32, 1u32, 1u32, 0u32, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut offset: Option<i32> = None;
    let mut zone_name: Option<String> = None;
    fn num(s: &mut &str, min: usize, max: usize) -> Option<u32> {
        let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
        if n < min {
            return None;
        }
        let v = s[..n].parse().ok()?;
        *s = &s[n..];
        Some(v)
    }
    for c in chunks(layout) {
        match c {
            Err(lit) => {
                s = s
                    .strip_prefix(lit)
                    .ok_or_else(|| err(&crate::gofmt::quote(s)))?;
            }
            Ok(tok) => {
                let bad = || err(&crate::gofmt::quote(s));
                match tok {
                    Tok::LongYear => year = num(&mut s, 4, 4).ok_or_else(bad)? as i32,
                    Tok::Year => {
                        let y = num(&mut s, 2, 2).ok_or_else(bad)? as i32;
                        year = if y >= 69 { 1900 + y } else { 2000 + y };
                    }
                    Tok::LongMonth | Tok::Month => {
                        let idx = MONTHS
                            .iter()
                            .position(|m| {
                                let name = if tok == Tok::Month { &m[..3] } else { m };
                                s.len() >= name.len() && s[..name.len()].eq_ignore_ascii_case(name)
                            })
                            .ok_or_else(bad)?;
                        let len = if tok == Tok::Month {
                            3
                        } else {
                            MONTHS[idx].len()
                        };
                        s = &s[len..];
                        month = idx as u32 + 1;
                    }
                    Tok::NumMonth | Tok::ZeroMonth => {
                        month = num(&mut s, if tok == Tok::ZeroMonth { 2 } else { 1 }, 2)
                            .ok_or_else(bad)?;
                    }
                    Tok::LongWeekDay | Tok::WeekDay => {
                        let idx = DAYS
                            .iter()
                            .position(|d| {
                                let name = if tok == Tok::WeekDay { &d[..3] } else { d };
                                s.len() >= name.len() && s[..name.len()].eq_ignore_ascii_case(name)
                            })
                            .ok_or_else(bad)?;
                        s = &s[if tok == Tok::WeekDay {
                            3
                        } else {
                            DAYS[idx].len()
                        }..];
                    }
                    Tok::Day | Tok::ZeroDay | Tok::UnderDay => {
                        if tok == Tok::UnderDay {
                            s = s.strip_prefix(' ').unwrap_or(s);
                        }
                        day = num(&mut s, if tok == Tok::ZeroDay { 2 } else { 1 }, 2)
                            .ok_or_else(bad)?;
                    }
                    Tok::UnderYearDay | Tok::ZeroYearDay => {
                        num(&mut s, 1, 3).ok_or_else(bad)?;
                    }
                    Tok::Hour => hour = num(&mut s, 2, 2).ok_or_else(bad)?,
                    Tok::Hour12 | Tok::ZeroHour12 => {
                        hour = num(&mut s, if tok == Tok::ZeroHour12 { 2 } else { 1 }, 2)
                            .ok_or_else(bad)?;
                    }
                    Tok::Minute | Tok::ZeroMinute => {
                        min = num(&mut s, if tok == Tok::ZeroMinute { 2 } else { 1 }, 2)
                            .ok_or_else(bad)?;
                    }
                    Tok::Second | Tok::ZeroSecond => {
                        sec = num(&mut s, if tok == Tok::ZeroSecond { 2 } else { 1 }, 2)
                            .ok_or_else(bad)?;
                        // A fraction may follow even if the layout has none.
                        if let Some(rest) = s.strip_prefix('.')
                            && rest.starts_with(|c: char| c.is_ascii_digit())
                            && !layout.contains(".0")
                            && !layout.contains(".9")
                        {
                            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
                            let digits = format!("{:0<9}", &rest[..n.min(9)]);
                            nanos = digits.parse().unwrap_or(0);
                            s = &rest[n..];
                        }
                    }
                    Tok::FracZero(n) | Tok::FracNine(n) => {
                        let Some(rest) = s.strip_prefix(['.', ',']) else {
                            if matches!(tok, Tok::FracNine(_)) {
                                continue;
                            }
                            return Err(bad());
                        };
                        let k = rest.bytes().take_while(u8::is_ascii_digit).count();
                        if matches!(tok, Tok::FracZero(_)) && k != n {
                            return Err(bad());
                        }
                        let digits = format!("{:0<9}", &rest[..k.min(9)]);
                        nanos = digits.parse().unwrap_or(0);
                        s = &rest[k..];
                    }
                    Tok::PM | Tok::Pm => {
                        let p = s.get(..2).ok_or_else(bad)?.to_ascii_uppercase();
                        pm = Some(match p.as_str() {
                            "PM" => true,
                            "AM" => false,
                            _ => return Err(bad()),
                        });
                        s = &s[2..];
                    }
                    Tok::TZ => {
                        let n = s.bytes().take_while(u8::is_ascii_uppercase).count();
                        if n < 3 {
                            return Err(bad());
                        }
                        zone_name = Some(s[..n].to_string());
                        if &s[..n] == "UTC" || &s[..n] == "GMT" {
                            offset = Some(0);
                        }
                        s = &s[n..];
                    }
                    _ => {
                        // numeric zones
                        let z_ok = matches!(
                            tok,
                            Tok::Iso8601TZ
                                | Tok::Iso8601SecondsTZ
                                | Tok::Iso8601ShortTZ
                                | Tok::Iso8601ColonTZ
                                | Tok::Iso8601ColonSecondsTZ
                        );
                        if z_ok && let Some(rest) = s.strip_prefix('Z') {
                            s = rest;
                            offset = Some(0);
                            continue;
                        }
                        let sign = match s.as_bytes().first() {
                            Some(b'+') => 1,
                            Some(b'-') => -1,
                            _ => return Err(bad()),
                        };
                        s = &s[1..];
                        let h = num(&mut s, 2, 2).ok_or_else(bad)? as i32;
                        let mut m = 0;
                        let mut secs = 0;
                        let short = matches!(tok, Tok::NumShortTZ | Tok::Iso8601ShortTZ);
                        let colon = matches!(
                            tok,
                            Tok::NumColonTZ
                                | Tok::NumColonSecondsTZ
                                | Tok::Iso8601ColonTZ
                                | Tok::Iso8601ColonSecondsTZ
                        );
                        let with_secs = matches!(
                            tok,
                            Tok::NumSecondsTz
                                | Tok::NumColonSecondsTZ
                                | Tok::Iso8601SecondsTZ
                                | Tok::Iso8601ColonSecondsTZ
                        );
                        if !short {
                            if colon {
                                s = s.strip_prefix(':').ok_or_else(bad)?;
                            }
                            m = num(&mut s, 2, 2).ok_or_else(bad)? as i32;
                            if with_secs {
                                if colon {
                                    s = s.strip_prefix(':').ok_or_else(bad)?;
                                }
                                secs = num(&mut s, 2, 2).ok_or_else(bad)? as i32;
                            }
                        }
                        offset = Some(sign * (h * 3600 + m * 60 + secs));
                    }
                }
            }
        }
    }
    if !s.is_empty() {
        return Err(format!(
            "parsing time {}: extra text: {}",
            crate::gofmt::quote(value),
            crate::gofmt::quote(s)
        ));
    }
    if let Some(p) = pm {
        if hour > 12 {
            return Err(err("hour"));
        }
        if p && hour < 12 {
            hour += 12;
        } else if !p && hour == 12 {
            hour = 0;
        }
    }
    let range = |what: &str| {
        format!(
            "parsing time {}: {what} out of range",
            crate::gofmt::quote(value)
        )
    };
    if !(1..=12).contains(&month) {
        return Err(range("month"));
    }
    let naive = chrono::NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| range("day"))?
        .and_hms_nano_opt(hour, min, sec, nanos)
        .ok_or_else(|| range("hour"))?;
    match offset {
        Some(off) => {
            let fixed = FixedOffset::east_opt(off).ok_or_else(|| range("zone"))?;
            let at = fixed
                .from_local_datetime(&naive)
                .single()
                .ok_or_else(|| range("time"))?;
            let zone = match zone_name {
                Some(z) => z,
                None if off == 0 && local_zone().is_none() => "UTC".to_string(),
                None => String::new(),
            };
            Ok(GoTime { at, zone })
        }
        None => {
            // Local time.
            match local_zone() {
                Some(tz) => {
                    let local = tz
                        .from_local_datetime(&naive)
                        .earliest()
                        .ok_or_else(|| range("time"))?;
                    Ok(GoTime {
                        at: local.fixed_offset(),
                        zone: zone_name.unwrap_or_else(|| format!("{}", local.format("%Z"))),
                    })
                }
                None => Ok(GoTime {
                    at: Utc.from_utc_datetime(&naive).fixed_offset(),
                    zone: zone_name.unwrap_or_else(|| "UTC".into()),
                }),
            }
        }
    }
}

// --- durations ---------------------------------------------------------------------------

const NS: i64 = 1;
const US: i64 = 1_000;
const MS: i64 = 1_000_000;
const SEC: i64 = 1_000_000_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;

/// Go's `Duration.String()`: `1h30m0s`, `1.5s`, `2ms`, `0s`.
pub(crate) fn duration_string(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if u < SEC as u64 {
        let (unit, div) = if u < US as u64 {
            ("ns", 1u64)
        } else if u < MS as u64 {
            ("µs", US as u64)
        } else {
            ("ms", MS as u64)
        };
        out.push_str(&frac(u, div));
        out.push_str(unit);
    } else {
        let h = u / HOUR as u64;
        let m = (u / MIN as u64) % 60;
        let s = u % MIN as u64;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac(s, SEC as u64));
        out.push('s');
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

fn frac(v: u64, div: u64) -> String {
    let whole = v / div;
    let rest = v % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = (div as f64).log10().round() as usize;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Go's `time.ParseDuration`.
pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    let orig = s;
    let bad = || format!("time: invalid duration {}", crate::gofmt::quote(orig));
    let mut s = s;
    let mut neg = false;
    if let Some(c) = s.chars().next()
        && (c == '-' || c == '+')
    {
        neg = c == '-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &s[..n];
        s = &s[n..];
        let mut frac_part = "";
        if let Some(rest) = s.strip_prefix('.') {
            let k = rest.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &rest[..k];
            s = &rest[k..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(bad());
        }
        let u = s
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(s.len(), |(i, _)| i);
        let unit = &s[..u];
        s = &s[u..];
        let mult: u128 = match unit {
            "ns" => NS as u128,
            "us" | "µs" | "μs" => US as u128,
            "ms" => MS as u128,
            "s" => SEC as u128,
            "m" => MIN as u128,
            "h" => HOUR as u128,
            "" => {
                return Err(format!(
                    "time: missing unit in duration {}",
                    crate::gofmt::quote(orig)
                ));
            }
            other => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    crate::gofmt::quote(other),
                    crate::gofmt::quote(orig)
                ));
            }
        };
        let iv: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| bad())?
        };
        let mut v = iv.checked_mul(mult).ok_or_else(bad)?;
        if !frac_part.is_empty() {
            let mut scale: u128 = 1;
            let mut fv: u128 = 0;
            for c in frac_part.bytes().take(30) {
                fv = fv * 10 + u128::from(c - b'0');
                scale *= 10;
            }
            v += fv * mult / scale;
        }
        total = total.checked_add(v).ok_or_else(bad)?;
        if total > i64::MAX as u128 + u128::from(neg) {
            return Err(bad());
        }
    }
    Ok(if neg {
        (total as i128).wrapping_neg() as i64
    } else {
        total as i64
    })
}

/// The `time.Duration` object (`mustToDuration`, `durationRoundTo`): prints as `1h30m0s`.
#[derive(Debug)]
pub(crate) struct DurationObject(pub i64);

impl Object for DurationObject {
    fn type_name(&self) -> &str {
        "time.Duration"
    }
    fn kind(&self) -> &str {
        "int64"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn method(&self, name: &str) -> Option<&'static [Param]> {
        match name {
            "String" | "Seconds" | "Minutes" | "Hours" | "Milliseconds" | "Nanoseconds" => {
                Some(&[])
            }
            _ => None,
        }
    }
    fn call(&self, name: &str, _args: &[Value]) -> Option<Result<Value, FuncError>> {
        let d = self.0;
        Some(Ok(match name {
            "String" => Value::from(duration_string(d)),
            "Seconds" => Value::Float(seconds(d)),
            "Minutes" => Value::Float(seconds(d) / 60.0),
            "Hours" => Value::Float(seconds(d) / 3600.0),
            "Milliseconds" => Value::Int64(d / MS),
            "Nanoseconds" => Value::Int64(d),
            _ => return None,
        }))
    }
    fn go_format(&self) -> String {
        duration_string(self.0)
    }
    fn to_plain(&self) -> Value {
        Value::Int64(self.0)
    }
}

fn duration_value(d: i64) -> Value {
    Value::Object(Arc::new(DurationObject(d)))
}

/// Go's `Duration.Seconds()` (split to keep precision).
fn seconds(d: i64) -> f64 {
    let sec = d / SEC;
    let nsec = d % SEC;
    sec as f64 + nsec as f64 / 1e9
}

fn from_seconds_float(f: f64) -> Result<i64, String> {
    if f.is_nan() || f.is_infinite() {
        return Err(format!("invalid duration seconds: {}", Value::Float(f)));
    }
    let max = i64::MAX as f64 / 1e9;
    let min = i64::MIN as f64 / 1e9;
    if f > max || f < min {
        return Err(format!("duration seconds overflow: {}", Value::Float(f)));
    }
    let nanos = f * 1e9;
    if nanos > i64::MAX as f64 || nanos < i64::MIN as f64 {
        return Err(format!(
            "duration nanoseconds overflow: {}",
            Value::Float(nanos)
        ));
    }
    Ok(nanos as i64)
}

/// Helm 4's `asDuration`.
fn as_duration(v: &Value) -> Result<i64, String> {
    match v {
        Value::Object(o) if o.type_name() == "time.Duration" => match o.to_plain() {
            Value::Int64(n) => Ok(n),
            _ => Err("invalid duration".into()),
        },
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Err("empty duration".into());
            }
            if let Ok(d) = parse_duration(t) {
                return Ok(d);
            }
            if let Some(f) = super::parse_float_go(t) {
                return from_seconds_float(f);
            }
            Err(format!(
                "could not parse duration {}",
                crate::gofmt::quote(s)
            ))
        }
        Value::Nil => Err("invalid duration".into()),
        Value::Int(i) | Value::Int64(i) => {
            if *i > i64::MAX / SEC || *i < i64::MIN / SEC {
                return Err(format!("duration seconds overflow: {i}"));
            }
            Ok(i * SEC)
        }
        Value::Float(f) => from_seconds_float(*f),
        other => Err(format!("unsupported duration type {}", other.type_name())),
    }
}

pub(crate) fn must_to_duration(args: &[Value]) -> R {
    arity(args, 1, "mustToDuration")?;
    as_duration(&args[0])
        .map(duration_value)
        .map_err(FuncError::new)
}

fn dur_or_zero(args: &[Value], name: &str) -> Result<i64, FuncError> {
    arity(args, 1, name)?;
    Ok(as_duration(&args[0]).unwrap_or(0))
}

pub(crate) fn duration_seconds(args: &[Value]) -> R {
    Ok(Value::Float(seconds(dur_or_zero(args, "durationSeconds")?)))
}

pub(crate) fn duration_milliseconds(args: &[Value]) -> R {
    Ok(Value::Int64(
        dur_or_zero(args, "durationMilliseconds")? / MS,
    ))
}

pub(crate) fn duration_microseconds(args: &[Value]) -> R {
    Ok(Value::Int64(
        dur_or_zero(args, "durationMicroseconds")? / US,
    ))
}

pub(crate) fn duration_nanoseconds(args: &[Value]) -> R {
    Ok(Value::Int64(dur_or_zero(args, "durationNanoseconds")?))
}

/// Go's `Duration.Minutes()`.
fn minutes(d: i64) -> f64 {
    let m = d / MIN;
    let nsec = d % MIN;
    m as f64 + nsec as f64 / (60e9)
}

/// Go's `Duration.Hours()`.
fn hours(d: i64) -> f64 {
    let h = d / HOUR;
    let nsec = d % HOUR;
    h as f64 + nsec as f64 / (60.0 * 60e9)
}

pub(crate) fn duration_minutes(args: &[Value]) -> R {
    Ok(Value::Float(minutes(dur_or_zero(args, "durationMinutes")?)))
}

pub(crate) fn duration_hours(args: &[Value]) -> R {
    Ok(Value::Float(hours(dur_or_zero(args, "durationHours")?)))
}

pub(crate) fn duration_days(args: &[Value]) -> R {
    Ok(Value::Float(
        hours(dur_or_zero(args, "durationDays")?) / 24.0,
    ))
}

pub(crate) fn duration_weeks(args: &[Value]) -> R {
    Ok(Value::Float(
        hours(dur_or_zero(args, "durationWeeks")?) / 24.0 / 7.0,
    ))
}

/// Go's `Duration.Round(m)`.
fn round_duration(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let mut r = d % m;
    if d < 0 {
        r = -r;
        if r + r < m {
            return d + r;
        }
        if let Some(d1) = (d - m).checked_add(r)
            && d1 < d
        {
            return d1;
        }
        return i64::MIN;
    }
    if r + r < m {
        return d - r;
    }
    if let Some(d1) = (d + m).checked_sub(r)
        && d1 > d
    {
        return d1;
    }
    i64::MAX
}

fn truncate_duration(d: i64, m: i64) -> i64 {
    if m <= 0 { d } else { d - d % m }
}

pub(crate) fn duration_round_to(args: &[Value]) -> R {
    arity(args, 2, "durationRoundTo")?;
    let Ok(d) = as_duration(&args[0]) else {
        return Ok(duration_value(0));
    };
    Ok(duration_value(match as_duration(&args[1]) {
        Ok(m) => round_duration(d, m),
        Err(_) => d,
    }))
}

pub(crate) fn duration_truncate_to(args: &[Value]) -> R {
    arity(args, 2, "durationTruncateTo")?;
    let Ok(d) = as_duration(&args[0]) else {
        return Ok(duration_value(0));
    };
    Ok(duration_value(match as_duration(&args[1]) {
        Ok(m) => truncate_duration(d, m),
        Err(_) => d,
    }))
}

/// Sprig's `duration`: seconds (an int64 or a decimal string) as a Go duration string.
pub(crate) fn duration(args: &[Value]) -> R {
    arity(args, 1, "duration")?;
    let n = match &args[0] {
        Value::String(s) => super::parse_int_go(s, 10).unwrap_or(0),
        // Sprig accepts an int64 only; a template's integers are Go ints, which it ignores.
        _ => 0,
    };
    ok_str(duration_string(n.wrapping_mul(SEC)))
}

/// Sprig's `durationRound`: the largest whole unit (`2h`, `3mo`, `1y`).
pub(crate) fn duration_round(args: &[Value]) -> R {
    arity(args, 1, "durationRound")?;
    let d: i64 = match &args[0] {
        Value::String(s) => parse_duration(s).unwrap_or(0),
        v if time_arg(v).is_some() => (Utc::now() - date_of(v)).num_nanoseconds().unwrap_or(0),
        _ => 0,
    };
    let u = d.unsigned_abs();
    let hour = HOUR as u64;
    let units: [(u64, &str); 6] = [
        (hour * 24 * 365, "y"),
        (hour * 24 * 30, "mo"),
        (hour * 24, "d"),
        (hour, "h"),
        (MIN as u64, "m"),
        (SEC as u64, "s"),
    ];
    for (size, name) in units {
        if u > size {
            return ok_str(format!("{}{name}", u / size));
        }
    }
    ok_str("0s")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(rfc: &str) -> GoTime {
        let at = DateTime::parse_from_rfc3339(rfc).unwrap();
        GoTime {
            at,
            zone: "UTC".into(),
        }
    }

    #[test]
    fn layouts_format_like_go() {
        let x = t("2006-01-02T15:04:05.123456789Z");
        assert_eq!(
            format_go(&x, "2006-01-02T15:04:05Z07:00"),
            "2006-01-02T15:04:05Z"
        );
        assert_eq!(
            format_go(&x, "Jan _2 3:04PM .000 .999999"),
            "Jan  2 3:04PM .123 .123456"
        );
        assert_eq!(
            format_go(&x, "Monday January 06 -0700 MST"),
            "Monday January 06 +0000 UTC"
        );
        assert_eq!(format_go(&x, "20060102150405"), "20060102150405");
    }

    #[test]
    fn layouts_parse_like_go() {
        let p = parse_go("2006-01-02", "2024-03-05").unwrap();
        assert_eq!(
            format_go(&p, "2006-01-02T15:04:05Z07:00"),
            "2024-03-05T00:00:00Z"
        );
        let p = parse_go("2006-01-02T15:04:05Z07:00", "2024-03-05T10:11:12+02:00").unwrap();
        assert_eq!(p.at.timestamp(), 1_709_626_272);
        assert!(parse_go("2006-01-02", "2024-13-05").is_err());
    }

    #[test]
    fn durations_like_go() {
        assert_eq!(duration_string(90 * MIN), "1h30m0s");
        assert_eq!(duration_string(1_500 * MS), "1.5s");
        assert_eq!(duration_string(2 * MS), "2ms");
        assert_eq!(duration_string(1_500), "1.5µs");
        assert_eq!(duration_string(-3 * SEC), "-3s");
        assert_eq!(parse_duration("1h30m").unwrap(), 90 * MIN);
        assert_eq!(parse_duration("1.5s").unwrap(), 1_500 * MS);
        assert_eq!(parse_duration("-2m3.5s").unwrap(), -(123_500 * MS));
        assert!(parse_duration("10").is_err());
        assert_eq!(round_duration(1_499 * MS, SEC), SEC);
    }
}
