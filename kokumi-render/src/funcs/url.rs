//! Sprig's `urlParse`, which is Go's `net/url.Parse`: its split into scheme, opaque part,
//! authority (user information and host), path, query and fragment, its unescaping, and its
//! refusals (`parse "a\nb": net/url: invalid control character in URL`, `invalid URL escape
//! "%zz"`, `missing ']' in host`, `invalid port ":x" after host`...), worded as Go words them.

use crate::gofmt::quote;
use crate::value::{FuncError, Map, Value};

use super::strings::one_str;

type R = Result<Value, FuncError>;

/// A dict of `scheme host hostname path query opaque fragment userinfo`.
pub(crate) fn url_parse(args: &[Value]) -> R {
    let s = one_str(args, "urlParse")?;
    let u = parse(s).map_err(|e| FuncError::new(format!("unable to parse url: {e}")))?;
    let mut m = Map::new();
    let hostname = hostname(&u.host);
    m.insert("scheme".into(), Value::from(u.scheme));
    m.insert("hostname".into(), Value::from(hostname));
    m.insert("host".into(), Value::from(u.host));
    m.insert("path".into(), Value::from(u.path));
    m.insert("query".into(), Value::from(u.query));
    m.insert("opaque".into(), Value::from(u.opaque));
    m.insert("fragment".into(), Value::from(u.fragment));
    m.insert("userinfo".into(), Value::from(u.userinfo));
    Ok(Value::map(m))
}

#[derive(Default)]
struct Url {
    scheme: String,
    opaque: String,
    /// `User.String()`: the name and password unescaped, then escaped again.
    userinfo: String,
    host: String,
    path: String,
    query: String,
    fragment: String,
}

/// `url.Parse`; the error is `url.Error`'s text (`parse "URL": reason`), which names the URL
/// without its fragment unless the fragment is what is wrong.
fn parse(raw: &str) -> Result<Url, String> {
    let (without_fragment, fragment) = raw.split_once('#').unwrap_or((raw, ""));
    let mut u = parse_without_fragment(without_fragment)
        .map_err(|e| format!("parse {}: {e}", quote(without_fragment)))?;
    u.fragment =
        unescape(fragment, Mode::Fragment).map_err(|e| format!("parse {}: {e}", quote(raw)))?;
    Ok(u)
}

fn parse_without_fragment(raw: &str) -> Result<Url, String> {
    if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut u = Url::default();
    if raw == "*" {
        u.path = "*".into();
        return Ok(u);
    }
    let (scheme, rest) = scheme(raw)?;
    u.scheme = scheme.to_ascii_lowercase();
    let (mut rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    u.query = query.to_string();
    if !rest.starts_with('/') {
        if !u.scheme.is_empty() {
            // A rootless path after a scheme is opaque (`mailto:a@b`).
            u.opaque = rest.to_string();
            return Ok(u);
        }
        if rest
            .split('/')
            .next()
            .is_some_and(|first| first.contains(':'))
        {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!u.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let after = &rest[2..];
        let (authority, path) = after.split_at(after.find('/').unwrap_or(after.len()));
        let (userinfo, host) = authority_parts(authority)?;
        u.userinfo = userinfo;
        u.host = host;
        rest = path;
    }
    u.path = unescape(rest, Mode::Path)?;
    Ok(u)
}

/// `getScheme`: letters, then letters, digits, `+`, `-` or `.`, up to a `:`.
fn scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// `parseAuthority`: the user information before the last `@` and the host after it.
fn authority_parts(authority: &str) -> Result<(String, String), String> {
    let (user, host) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let host = parse_host(host)?;
    let Some(user) = user else {
        return Ok((String::new(), host));
    };
    let valid = user
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&c));
    if !valid {
        return Err("net/url: invalid userinfo".into());
    }
    let userinfo = match user.split_once(':') {
        None => escape_user(&unescape(user, Mode::User)?),
        Some((name, password)) => format!(
            "{}:{}",
            escape_user(&unescape(name, Mode::User)?),
            escape_user(&unescape(password, Mode::User)?)
        ),
    };
    Ok((userinfo, host))
}

/// `parseHost`: an IP literal in brackets (an IPv6 address, perhaps with a `%25` zone) or a
/// name, then an optional `:port` of digits.
fn parse_host(host: &str) -> Result<String, String> {
    match host.rfind('[') {
        Some(0) => {}
        Some(_) => return Err("invalid IP-literal".into()),
        None => {
            check_port(host.rfind(':').map_or("", |i| &host[i..]))?;
            return unescape(host, Mode::Host);
        }
    }
    let Some(close) = host.rfind(']') else {
        return Err("missing ']' in host".into());
    };
    let port = &host[close + 1..];
    check_port(port)?;
    let port = unescape(port, Mode::Host)?;
    let inner = &host[1..close];
    let name = match inner.find("%25") {
        Some(zone) => {
            unescape(&inner[..zone], Mode::Host)? + &unescape(&inner[zone..], Mode::Zone)?
        }
        None => unescape(inner, Mode::Host)?,
    };
    match parse_addr(&name)? {
        IpKind::V4 => Err("invalid IP-literal".into()),
        IpKind::V6 => Ok(format!("[{name}]{port}")),
    }
}

enum IpKind {
    V4,
    V6,
}

/// `netip.ParseAddr`, for telling an IPv6 address from an IPv4 one and refusing the rest:
/// `invalid host: ParseAddr("zz"): unable to parse IP`. IPv4 errors are worded as Go words
/// them; an IPv6 address Go would refuse is refused, with a shorter reason than Go's.
fn parse_addr(s: &str) -> Result<IpKind, String> {
    let fail = |msg: &str, at: Option<&str>| {
        let at = at.map_or(String::new(), |at| format!(" (at {})", quote(at)));
        Err(format!("invalid host: ParseAddr({}): {msg}{at}", quote(s)))
    };
    match s.find(['.', ':', '%']).map(|i| s.as_bytes()[i]) {
        Some(b'.') => match parse_v4(s) {
            Ok(()) => Ok(IpKind::V4),
            Err((msg, at)) => fail(msg, at),
        },
        Some(b':') => {
            let (addr, zone) = s.split_once('%').unwrap_or((s, ""));
            if s.contains('%') && zone.is_empty() {
                return fail("zone must be a non-empty string", None);
            }
            match addr.parse::<std::net::Ipv6Addr>() {
                Ok(_) => Ok(IpKind::V6),
                Err(_) => fail("unable to parse IPv6 address", None),
            }
        }
        Some(_) => fail("missing IPv6 address", None),
        None => fail("unable to parse IP", None),
    }
}

/// `parseAddrV4`: four decimal fields up to 255 without leading zeros; the error and the rest
/// of the input it was found at.
fn parse_v4(s: &str) -> Result<(), (&'static str, Option<&str>)> {
    let b = s.as_bytes();
    let (mut fields, mut value, mut digits) = (0, 0u32, 0);
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_digit() {
            if digits == 1 && value == 0 {
                return Err(("IPv4 field has octet with leading zero", None));
            }
            value = value * 10 + u32::from(c - b'0');
            digits += 1;
            if value > 255 {
                return Err(("IPv4 field has value >255", None));
            }
        } else if c == b'.' {
            if i == 0 || i == b.len() - 1 || b[i - 1] == b'.' {
                return Err(("IPv4 field must have at least one digit", Some(&s[i..])));
            }
            if fields == 3 {
                return Err(("IPv4 address too long", None));
            }
            fields += 1;
            value = 0;
            digits = 0;
        } else {
            return Err(("unexpected character", Some(&s[i..])));
        }
    }
    if fields < 3 {
        return Err(("IPv4 address too short", None));
    }
    Ok(())
}

fn check_port(port: &str) -> Result<(), String> {
    if valid_optional_port(port) {
        Ok(())
    } else {
        Err(format!("invalid port {} after host", quote(port)))
    }
}

fn valid_optional_port(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

/// `URL.Hostname()`: the host without a valid `:port` and without IP-literal brackets.
fn hostname(host: &str) -> &str {
    let mut name = host;
    if let Some(colon) = host.rfind(':')
        && valid_optional_port(&host[colon..])
    {
        name = &host[..colon];
    }
    match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(inner) => inner,
        None => name,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Path,
    Host,
    Zone,
    User,
    Fragment,
}

/// `unescape`: `%XX` escapes must be well formed (`invalid URL escape "%zz"`); in a host only
/// non-ASCII bytes may be escaped (and `%25`), and only the characters a host allows appear.
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
                let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                    // Go quotes the three bytes, which may cut a character (`"%2\xc3"`).
                    let end = (i + 3).min(b.len());
                    return Err(escape_error(&b[i..end]));
                };
                let escaped = &s[i..i + 3];
                if mode == Mode::Host && hi < 8 && escaped != "%25" {
                    return Err(escape_error(escaped.as_bytes()));
                }
                let byte = (hi * 16 + lo) as u8;
                if mode == Mode::Zone && byte < 0x80 && escaped != "%25" && host_must_escape(byte) {
                    return Err(escape_error(escaped.as_bytes()));
                }
                out.push(byte);
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && host_must_escape(c) {
                    return Err(format!(
                        "invalid character {} in host name",
                        quote(&s[i..i + 1])
                    ));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `url.EscapeError`: the bytes quoted as Go quotes them.
fn escape_error(escape: &[u8]) -> String {
    format!("invalid URL escape {}", quote_bytes(escape))
}

/// `strconv.Quote` of bytes that may not be UTF-8: invalid bytes as `\xNN`.
fn quote_bytes(b: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in b.utf8_chunks() {
        let valid = quote(chunk.valid());
        out.push_str(&valid[1..valid.len() - 1]);
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('"');
    out
}

/// `shouldEscape` for a host: all but letters, digits, `-_.~` and the sub-delimiters and
/// brackets a host may hold.
fn host_must_escape(c: u8) -> bool {
    !(c.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&c))
}

/// `escape(s, encodeUserPassword)`: letters, digits, `-_.~` and the sub-delimiters other than
/// `@ / ? :` stay; everything else becomes `%XX`.
fn escape_user(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-_.~$&+,;=".contains(&c) {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}
