//! Sprig's random and crypto functions: random strings, `uuidv4`, `bcrypt`, `htpasswd`,
//! `derivePassword`, `genPrivateKey`, the certificate family (`genCA`, `genSelfSignedCert`,
//! `genSignedCert`, their `WithKey` forms, `buildCustomCert`) and `encryptAES`/`decryptAES`.
//!
//! Randomness comes from the operating system (as Go's `crypto/rand`). Certificates are built
//! as Go's `x509.CreateCertificate` builds them from Sprig's template: v3, a random 128-bit
//! serial, the common name as subject, `notBefore` now, key usages, extended key usages
//! server+client auth, basic constraints, SANs, SHA-256 signatures (RSA PKCS#1 v1.5, ECDSA
//! P-256 or Ed25519). New keys are RSA-2048 (RSA-4096 for `genPrivateKey`), PEM-encoded like
//! Go does (`RSA PRIVATE KEY`, `EC PRIVATE KEY`, `PRIVATE KEY`, `DSA PRIVATE KEY`).

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use rand_core::{OsRng, RngCore};
use sha2::Digest as _;

use crate::value::{FuncError, Map, Object, Value};

use super::{arity, as_slice, int_arg, ok_str, rsa_keygen, str_arg};

type R = Result<Value, FuncError>;

/// Random strings longer than this are refused (a template budget, not Go's).
const MAX_RANDOM: i64 = 1 << 20;

fn random_index(n: usize) -> usize {
    // Rejection sampling for a uniform index below n.
    let n = n as u32;
    let zone = u32::MAX - (u32::MAX % n);
    loop {
        let v = OsRng.next_u32();
        if v < zone {
            return (v % n) as usize;
        }
    }
}

fn random_from(count: &Value, name: &str, alphabet: &[u8]) -> R {
    let n = int_arg(count)?;
    if n < 0 {
        // goutils refuses and Sprig swallows the error.
        return ok_str("");
    }
    if n > MAX_RANDOM {
        return Err(FuncError::new(format!(
            "{name}: length {n} exceeds the limit of {MAX_RANDOM}"
        )));
    }
    let s: String = (0..n)
        .map(|_| char::from(alphabet[random_index(alphabet.len())]))
        .collect();
    ok_str(s)
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DIGITS: &[u8] = b"0123456789";

pub(crate) fn rand_alpha_num(args: &[Value]) -> R {
    arity(args, 1, "randAlphaNum")?;
    random_from(&args[0], "randAlphaNum", ALNUM)
}

pub(crate) fn rand_alpha(args: &[Value]) -> R {
    arity(args, 1, "randAlpha")?;
    random_from(&args[0], "randAlpha", ALPHA)
}

pub(crate) fn rand_numeric(args: &[Value]) -> R {
    arity(args, 1, "randNumeric")?;
    random_from(&args[0], "randNumeric", DIGITS)
}

pub(crate) fn rand_ascii(args: &[Value]) -> R {
    arity(args, 1, "randAscii")?;
    let printable: Vec<u8> = (32u8..127).collect();
    random_from(&args[0], "randAscii", &printable)
}

pub(crate) fn rand_bytes(args: &[Value]) -> R {
    arity(args, 1, "randBytes")?;
    let n = int_arg(&args[0])?;
    if n < 0 {
        return Err(FuncError::new("runtime error: makeslice: len out of range"));
    }
    if n > MAX_RANDOM {
        return Err(FuncError::new(format!(
            "randBytes: length {n} exceeds the limit of {MAX_RANDOM}"
        )));
    }
    let mut buf = vec![0u8; n as usize];
    OsRng.fill_bytes(&mut buf);
    ok_str(base64::engine::general_purpose::STANDARD.encode(buf))
}

pub(crate) fn rand_int(args: &[Value]) -> R {
    arity(args, 2, "randInt")?;
    let min = int_arg(&args[0])?;
    let max = int_arg(&args[1])?;
    let span = max.wrapping_sub(min);
    if span <= 0 {
        return Err(FuncError::new("invalid argument to Intn"));
    }
    let span = span as u64;
    let zone = u64::MAX - (u64::MAX % span);
    let v = loop {
        let v = OsRng.next_u64();
        if v < zone {
            break v % span;
        }
    };
    Ok(Value::Int(min + v as i64))
}

/// xstrings' `Shuffle`: the characters in a random order.
pub(crate) fn shuffle(args: &[Value]) -> R {
    arity(args, 1, "shuffle")?;
    let mut chars: Vec<char> = str_arg(&args[0])?.chars().collect();
    for i in (1..chars.len()).rev() {
        let j = random_index(i + 1);
        chars.swap(i, j);
    }
    ok_str(chars.into_iter().collect::<String>())
}

pub(crate) fn uuidv4(args: &[Value]) -> R {
    arity(args, 0, "uuidv4")?;
    ok_str(uuid::Uuid::new_v4().to_string())
}

/// Go's `bcrypt.DefaultCost` (the bcrypt crate defaults to 12).
const GO_BCRYPT_COST: u32 = 10;

fn bcrypt_hash(input: &str) -> String {
    if input.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .to_string();
    }
    match bcrypt::hash_with_result(input, GO_BCRYPT_COST) {
        Ok(parts) => parts.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

pub(crate) fn bcrypt(args: &[Value]) -> R {
    arity(args, 1, "bcrypt")?;
    ok_str(bcrypt_hash(str_arg(&args[0])?))
}

pub(crate) fn htpasswd(args: &[Value]) -> R {
    arity(args, 2, "htpasswd")?;
    let user = str_arg(&args[0])?;
    let password = str_arg(&args[1])?;
    if user.contains(':') {
        return ok_str(format!("invalid username: {user}"));
    }
    ok_str(format!("{user}:{}", bcrypt_hash(password)))
}

// --- derivePassword (Master Password algorithm) ------------------------------------------

const MASTER_SEED: &str = "com.lyndir.masterpassword";

fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_chars(c: u8) -> &'static str {
    match c {
        b'V' => "AEIOU",
        b'C' => "BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => "aeiou",
        b'c' => "bcdfghjklmnpqrstvwxyz",
        b'A' => "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => "0123456789",
        b'o' => "@&%?,=[]_:-+*$#!'^~;()/.",
        _ => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

pub(crate) fn derive_password(args: &[Value]) -> R {
    use hmac::Mac as _;
    arity(args, 5, "derivePassword")?;
    let counter = int_arg(&args[0])? as u32;
    let kind = str_arg(&args[1])?;
    let password = str_arg(&args[2])?;
    let user = str_arg(&args[3])?;
    let site = str_arg(&args[4])?;
    let Some(temps) = templates(kind) else {
        return ok_str(format!("cannot find password template {kind}"));
    };
    let mut salt = MASTER_SEED.as_bytes().to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let params = scrypt::Params::new(15, 8, 2, 64)
        .map_err(|e| FuncError::new(format!("failed to derive password: {e}")))?;
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key) {
        return ok_str(format!("failed to derive password: {e}"));
    }
    let mut msg = MASTER_SEED.as_bytes().to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key)
        .map_err(|e| FuncError::new(format!("failed to derive password: {e}")))?;
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let temp = temps[usize::from(seed[0]) % temps.len()].as_bytes();
    let out: String = temp
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let chars = template_chars(*c).as_bytes();
            char::from(chars[usize::from(seed[i + 1]) % chars.len()])
        })
        .collect();
    ok_str(out)
}

// --- AES ---------------------------------------------------------------------------------

fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let b = password.as_bytes();
    let n = b.len().min(32);
    key[..n].copy_from_slice(&b[..n]);
    key
}

pub(crate) fn encrypt_aes(args: &[Value]) -> R {
    use aes::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
    arity(args, 2, "encryptAES")?;
    let password = str_arg(&args[0])?;
    let plaintext = str_arg(&args[1])?;
    if plaintext.is_empty() {
        return ok_str("");
    }
    let key = aes_key(password);
    let mut iv = [0u8; 16];
    OsRng.fill_bytes(&mut iv);
    let enc = cbc::Encryptor::<aes::Aes256>::new(&key.into(), &iv.into());
    let ct = enc.encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes());
    let mut out = iv.to_vec();
    out.extend_from_slice(&ct);
    ok_str(base64::engine::general_purpose::STANDARD.encode(out))
}

pub(crate) fn decrypt_aes(args: &[Value]) -> R {
    use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::NoPadding};
    arity(args, 2, "decryptAES")?;
    let password = str_arg(&args[0])?;
    let crypt64 = str_arg(&args[1])?;
    if crypt64.is_empty() {
        return ok_str("");
    }
    let crypt = base64::engine::general_purpose::STANDARD
        .decode(crypt64)
        .map_err(|e| FuncError::new(format!("illegal base64 data: {e}")))?;
    if crypt.len() < 16 {
        return Err(FuncError::new(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            crypt.len()
        )));
    }
    let (iv, body) = crypt.split_at(16);
    if body.len() % 16 != 0 {
        return Err(FuncError::new("crypto/cipher: input not full blocks"));
    }
    let key = aes_key(password);
    let iv: [u8; 16] = iv.try_into().map_err(|_| FuncError::new("bad iv"))?;
    let dec = cbc::Decryptor::<aes::Aes256>::new(&key.into(), &iv.into());
    let plain = dec
        .decrypt_padded_vec_mut::<NoPadding>(body)
        .map_err(|e| FuncError::new(e.to_string()))?;
    let Some(&pad) = plain.last() else {
        return Err(FuncError::new("runtime error: index out of range [-1]"));
    };
    let keep = plain.len().checked_sub(usize::from(pad)).ok_or_else(|| {
        FuncError::new(format!(
            "runtime error: slice bounds out of range [:-{}]",
            usize::from(pad) - plain.len()
        ))
    })?;
    ok_str(super::bytes_to_string(&plain[..keep]))
}

// --- keys ----------------------------------------------------------------------------------

/// A private key of one of the kinds Sprig handles.
enum Key {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ec(p256::SecretKey),
    Ed(ed25519_dalek::SigningKey),
    Dsa(Box<dsa::SigningKey>),
}

fn pem(kind: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// The first PEM block of `text`: its type and decoded bytes.
fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let end_type = rest.find("-----")?;
    let kind = rest[..end_type].to_string();
    let body_start = end_type + 5;
    let end_marker = format!("-----END {kind}-----");
    let body_end = rest.find(&end_marker)?;
    let body: String = rest[body_start..body_end]
        .lines()
        .filter(|l| !l.contains(':'))
        .collect::<Vec<_>>()
        .join("");
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()?;
    Some((kind, der))
}

impl Key {
    fn pem(&self) -> Result<String, FuncError> {
        use rsa::pkcs1::EncodeRsaPrivateKey as _;
        let fail = |e: &dyn fmt::Display| FuncError::new(format!("error pem-encoding key: {e}"));
        Ok(match self {
            Key::Rsa(k) => pem(
                "RSA PRIVATE KEY",
                k.to_pkcs1_der().map_err(|e| fail(&e))?.as_bytes(),
            ),
            Key::Ec(k) => {
                // Go's MarshalECPrivateKey: version 1, the scalar, the named curve, the point.
                use p256::elliptic_curve::sec1::ToEncodedPoint as _;
                let point = k.public_key().to_encoded_point(false);
                let der = seq(&[
                    int_bytes(&[1]),
                    octet_string(&k.to_bytes()),
                    tlv(0xa0, &oid(OID_P256)),
                    tlv(0xa1, &bit_string(point.as_bytes())),
                ]);
                pem("EC PRIVATE KEY", &der)
            }
            Key::Ed(k) => {
                // Go's MarshalPKCS8PrivateKey for Ed25519: version 0, no public key.
                let der = seq(&[
                    int_bytes(&[0]),
                    seq(&[oid(OID_ED25519)]),
                    octet_string(&octet_string(&k.to_bytes())),
                ]);
                pem("PRIVATE KEY", &der)
            }
            Key::Dsa(k) => {
                let c = k.verifying_key().components();
                let der = seq(&[
                    int_bytes(&[0]),
                    int_bytes(&c.p().to_bytes_be()),
                    int_bytes(&c.q().to_bytes_be()),
                    int_bytes(&c.g().to_bytes_be()),
                    int_bytes(&k.verifying_key().y().to_bytes_be()),
                    int_bytes(&k.x().to_bytes_be()),
                ]);
                pem("DSA PRIVATE KEY", &der)
            }
        })
    }

    fn parse_pem(text: &str) -> Result<Key, String> {
        use p256::pkcs8::DecodePrivateKey as _;
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        let (kind, der) = pem_decode(text).ok_or("no PEM data in input")?;
        if kind == "PRIVATE KEY" {
            if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_der(&der) {
                return Ok(Key::Rsa(Box::new(k)));
            }
            if let Ok(k) = p256::SecretKey::from_pkcs8_der(&der) {
                return Ok(Key::Ec(k));
            }
            if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(&der) {
                return Ok(Key::Ed(k));
            }
            return Err("decoding PEM as PKCS#8: x509: failed to parse private key".into());
        }
        let Some(prefix) = kind.strip_suffix(" PRIVATE KEY") else {
            return Err(format!("no private key data in PEM block of type {kind}"));
        };
        match prefix {
            "RSA" => rsa::RsaPrivateKey::from_pkcs1_der(&der)
                .map(|k| Key::Rsa(Box::new(k)))
                .map_err(|e| format!("parsing RSA private key from PEM: {e}")),
            "EC" => p256::SecretKey::from_sec1_der(&der)
                .map(Key::Ec)
                .map_err(|e| format!("parsing EC private key from PEM: {e}")),
            "DSA" => {
                Err("parsing DSA private key from PEM: DSA keys cannot sign certificates".into())
            }
            _ => Err(format!("invalid private key type {kind}")),
        }
    }

    /// The DER SubjectPublicKeyInfo.
    fn spki(&self) -> Result<Vec<u8>, FuncError> {
        use rsa::pkcs1::EncodeRsaPublicKey as _;
        Ok(match self {
            Key::Rsa(k) => {
                let pk = k
                    .to_public_key()
                    .to_pkcs1_der()
                    .map_err(|e| FuncError::new(format!("error retrieving public key: {e}")))?;
                seq(&[seq(&[oid(OID_RSA), null()]), bit_string(pk.as_bytes())])
            }
            Key::Ec(k) => {
                use p256::elliptic_curve::sec1::ToEncodedPoint as _;
                let point = k.public_key().to_encoded_point(false);
                seq(&[
                    seq(&[oid(OID_EC_PUBLIC), oid(OID_P256)]),
                    bit_string(point.as_bytes()),
                ])
            }
            Key::Ed(k) => seq(&[
                seq(&[oid(OID_ED25519)]),
                bit_string(k.verifying_key().as_bytes()),
            ]),
            Key::Dsa(_) => {
                return Err(FuncError::new(
                    "error creating certificate: x509: only RSA, ECDSA and Ed25519 keys supported",
                ));
            }
        })
    }

    fn public_key_bits(&self) -> Result<Vec<u8>, FuncError> {
        use rsa::pkcs1::EncodeRsaPublicKey as _;
        Ok(match self {
            Key::Rsa(k) => k
                .to_public_key()
                .to_pkcs1_der()
                .map_err(|e| FuncError::new(e.to_string()))?
                .as_bytes()
                .to_vec(),
            Key::Ec(k) => {
                use p256::elliptic_curve::sec1::ToEncodedPoint as _;
                k.public_key().to_encoded_point(false).as_bytes().to_vec()
            }
            Key::Ed(k) => k.verifying_key().as_bytes().to_vec(),
            Key::Dsa(_) => Vec::new(),
        })
    }

    /// (signatureAlgorithm DER, signature bytes) over `tbs`.
    fn sign(&self, tbs: &[u8]) -> Result<(Vec<u8>, Vec<u8>), FuncError> {
        let fail =
            |e: &dyn fmt::Display| FuncError::new(format!("error creating certificate: {e}"));
        match self {
            Key::Rsa(k) => {
                let sig = match sign_rsa_fast(k, tbs) {
                    Some(sig) => sig,
                    None => {
                        let digest = sha2::Sha256::digest(tbs);
                        k.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest)
                            .map_err(|e| fail(&e))?
                    }
                };
                Ok((seq(&[oid(OID_SHA256_RSA), null()]), sig))
            }
            Key::Ec(k) => {
                use p256::ecdsa::signature::Signer as _;
                let sk = p256::ecdsa::SigningKey::from(k);
                let sig: p256::ecdsa::Signature = sk.sign(tbs);
                Ok((
                    seq(&[oid(OID_ECDSA_SHA256)]),
                    sig.to_der().as_bytes().to_vec(),
                ))
            }
            Key::Ed(k) => {
                use ed25519_dalek::Signer as _;
                Ok((seq(&[oid(OID_ED25519)]), k.sign(tbs).to_bytes().to_vec()))
            }
            Key::Dsa(_) => Err(FuncError::new(
                "error creating certificate: x509: only RSA, ECDSA and Ed25519 keys supported",
            )),
        }
    }
}

/// A PKCS#1 v1.5 SHA-256 signature of `msg` made with aws-lc, about fifteen times cheaper than
/// the `rsa` crate's (which spends ~40M instructions per 2048-bit signature on its big-number
/// arithmetic). PKCS#1 v1.5 signatures are deterministic, so the bytes are the same either way.
/// `None` for keys aws-lc does not take (smaller than 2048 bits, for one): the caller signs
/// with the `rsa` crate then.
fn sign_rsa_fast(key: &rsa::RsaPrivateKey, msg: &[u8]) -> Option<Vec<u8>> {
    use rsa::pkcs8::EncodePrivateKey as _;
    let der = key.to_pkcs8_der().ok()?;
    let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(der.as_bytes()).ok()?;
    let mut sig = vec![0; pair.public_modulus_len()];
    pair.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        msg,
        &mut sig,
    )
    .ok()?;
    Some(sig)
}

/// Generates an RSA key (public exponent 65537, like Go) of `bits` bits; see [`rsa_keygen`].
fn new_rsa(bits: usize) -> Result<Key, FuncError> {
    rsa_keygen::generate(bits)
        .map(|k| Key::Rsa(Box::new(k)))
        .map_err(|e| FuncError::new(format!("error generating rsa key: {e}")))
}

pub(crate) fn gen_private_key(args: &[Value]) -> R {
    arity(args, 1, "genPrivateKey")?;
    let key = match str_arg(&args[0])? {
        "" | "rsa" => new_rsa(4096)?,
        "ecdsa" => Key::Ec(p256::SecretKey::random(&mut OsRng)),
        "ed25519" => Key::Ed(ed25519_dalek::SigningKey::generate(&mut OsRng)),
        "dsa" => {
            let components = dsa::Components::generate(&mut OsRng, dsa::KeySize::DSA_2048_256);
            Key::Dsa(Box::new(dsa::SigningKey::generate(&mut OsRng, components)))
        }
        other => return ok_str(format!("Unknown type {other}")),
    };
    ok_str(key.pem()?)
}

// --- DER -------------------------------------------------------------------------------------

const OID_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
const OID_SHA256_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
const OID_EC_PUBLIC: &[u64] = &[1, 2, 840, 10045, 2, 1];
const OID_P256: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
const OID_ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const OID_ED25519: &[u64] = &[1, 3, 101, 112];
const OID_CN: &[u64] = &[2, 5, 4, 3];
const OID_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const OID_SUBJECT_KEY_ID: &[u64] = &[2, 5, 29, 14];
const OID_AUTHORITY_KEY_ID: &[u64] = &[2, 5, 29, 35];
const OID_SAN: &[u64] = &[2, 5, 29, 17];
const OID_SERVER_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 1];
const OID_CLIENT_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];

fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = body.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(body);
    out
}

fn seq(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &items.concat())
}

fn set(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x31, &items.concat())
}

fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    let first = arcs.first().copied().unwrap_or(0) * 40 + arcs.get(1).copied().unwrap_or(0);
    for (i, arc) in std::iter::once(first)
        .chain(arcs.iter().skip(2).copied())
        .enumerate()
    {
        let _ = i;
        let mut tmp = Vec::new();
        let mut v = arc;
        tmp.push((v & 0x7f) as u8);
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        body.extend_from_slice(&tmp);
    }
    tlv(0x06, &body)
}

/// A DER INTEGER from unsigned big-endian bytes.
fn int_bytes(be: &[u8]) -> Vec<u8> {
    let skip = be
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(be.len().saturating_sub(1));
    let mut body = be[skip..].to_vec();
    if body.is_empty() {
        body.push(0);
    }
    if body[0] & 0x80 != 0 {
        body.insert(0, 0);
    }
    tlv(0x02, &body)
}

fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut body = vec![0u8];
    body.extend_from_slice(bytes);
    tlv(0x03, &body)
}

fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(0x04, bytes)
}

fn name(cn: &str) -> Vec<u8> {
    if cn.is_empty() {
        return seq(&[]);
    }
    let printable = cn
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b" '()+,-./:=?*&".contains(&c));
    let value = tlv(if printable { 0x13 } else { 0x0c }, cn.as_bytes());
    seq(&[set(&[seq(&[oid(OID_CN), value])])])
}

fn time(t: chrono::DateTime<chrono::Utc>) -> Vec<u8> {
    use chrono::Datelike as _;
    if (1950..2050).contains(&t.year()) {
        tlv(0x17, t.format("%y%m%d%H%M%SZ").to_string().as_bytes())
    } else {
        tlv(0x18, t.format("%Y%m%d%H%M%SZ").to_string().as_bytes())
    }
}

fn extension(id: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    let mut parts = vec![oid(id)];
    if critical {
        parts.push(vec![0x01, 0x01, 0xff]);
    }
    parts.push(octet_string(value));
    seq(&parts)
}

/// Walks DER: the (tag, full element, body) at `pos`.
fn read_tlv(b: &[u8], pos: usize) -> Option<(u8, &[u8], &[u8], usize)> {
    let tag = *b.get(pos)?;
    let l0 = *b.get(pos + 1)?;
    let (len, hdr) = if l0 < 0x80 {
        (usize::from(l0), 2)
    } else {
        let n = usize::from(l0 & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(pos + 2 + i)?);
        }
        (len, 2 + n)
    };
    let end = pos.checked_add(hdr)?.checked_add(len)?;
    let whole = b.get(pos..end)?;
    Some((tag, whole, &whole[hdr..], end))
}

/// What signing with a parent needs from its certificate: the subject and subject key id.
struct Parent {
    subject: Vec<u8>,
    skid: Option<Vec<u8>>,
}

fn parse_parent(der: &[u8]) -> Option<Parent> {
    let (_, _, cert, _) = read_tlv(der, 0)?;
    let (_, _, tbs, _) = read_tlv(cert, 0)?;
    let mut pos = 0;
    let mut fields = Vec::new();
    while pos < tbs.len() {
        let (tag, whole, body, next) = read_tlv(tbs, pos)?;
        fields.push((tag, whole, body));
        pos = next;
    }
    let offset = usize::from(fields.first()?.0 == 0xa0);
    let subject = fields.get(offset + 4)?.1.to_vec();
    let mut skid = None;
    if let Some((_, _, ext_wrapper)) = fields.iter().find(|(t, _, _)| *t == 0xa3) {
        let (_, _, exts, _) = read_tlv(ext_wrapper, 0)?;
        let mut p = 0;
        let skid_oid = oid(OID_SUBJECT_KEY_ID);
        while p < exts.len() {
            let (_, _, ext, next) = read_tlv(exts, p)?;
            let (_, id, _, after_id) = read_tlv(ext, 0)?;
            if id == skid_oid.as_slice() {
                let mut q = after_id;
                let (mut tag, _, mut body, mut n) = read_tlv(ext, q)?;
                if tag == 0x01 {
                    q = n;
                    (tag, _, body, n) = read_tlv(ext, q)?;
                }
                let _ = n;
                if tag == 0x04 {
                    let (_, _, id_bytes, _) = read_tlv(body, 0)?;
                    skid = Some(id_bytes.to_vec());
                }
            }
            p = next;
        }
    }
    Some(Parent { subject, skid })
}

struct Template<'a> {
    cn: &'a str,
    ips: Vec<std::net::IpAddr>,
    dns: Vec<String>,
    days: i64,
    is_ca: bool,
}

fn string_list(v: &Value, what: &str) -> Result<Vec<String>, FuncError> {
    match v {
        Value::Nil => Ok(Vec::new()),
        other => {
            let Some(items) = as_slice(other) else {
                return Err(FuncError::new(format!(
                    "wrong type for value; expected []interface {{}}; got {}",
                    other.type_name()
                )));
            };
            items
                .iter()
                .map(|x| match x {
                    Value::String(s) => Ok(s.to_string()),
                    other => Err(FuncError::new(format!("{what}: {other} is not a string"))),
                })
                .collect()
        }
    }
}

fn template<'a>(
    cn: &'a str,
    ips: &Value,
    dns: &Value,
    days: i64,
) -> Result<Template<'a>, FuncError> {
    let ips = string_list(ips, "error parsing ip")?
        .into_iter()
        .map(|s| {
            s.parse::<std::net::IpAddr>()
                .map_err(|_| FuncError::new(format!("error parsing ip: {s}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let dns = string_list(dns, "error processing alternate dns name")?;
    Ok(Template {
        cn,
        ips,
        dns,
        days,
        is_ca: false,
    })
}

/// Go's `x509.CreateCertificate` for Sprig's template, signed by `signer`.
fn create_cert(
    t: &Template<'_>,
    subject_key: &Key,
    parent: Option<&Parent>,
    signer: &Key,
) -> Result<String, FuncError> {
    let mut serial = [0u8; 16];
    OsRng.fill_bytes(&mut serial);
    let now = chrono::Utc::now();
    let not_after = now + chrono::Duration::hours(24 * t.days);
    let subject = name(t.cn);
    let issuer = parent.map_or_else(|| subject.clone(), |p| p.subject.clone());
    let spki = subject_key.spki()?;
    let (sig_alg, _) = signer.sign(b"")?;

    // Extensions, in Go's order.
    let mut exts = Vec::new();
    let mut ku: u8 = 0x80 | 0x20; // digitalSignature, keyEncipherment
    if t.is_ca {
        ku |= 0x04; // keyCertSign
    }
    let unused = ku.trailing_zeros() as u8;
    exts.push(extension(OID_KEY_USAGE, true, &tlv(0x03, &[unused, ku])));
    exts.push(extension(
        OID_EXT_KEY_USAGE,
        false,
        &seq(&[oid(OID_SERVER_AUTH), oid(OID_CLIENT_AUTH)]),
    ));
    let bc = if t.is_ca {
        seq(&[vec![0x01, 0x01, 0xff]])
    } else {
        seq(&[])
    };
    exts.push(extension(OID_BASIC_CONSTRAINTS, true, &bc));
    let skid = if t.is_ca {
        let bits = subject_key.public_key_bits()?;
        let h = sha2::Sha256::digest(&bits);
        Some(h[..20].to_vec())
    } else {
        None
    };
    if let Some(id) = &skid {
        exts.push(extension(OID_SUBJECT_KEY_ID, false, &octet_string(id)));
    }
    if let Some(p) = parent
        && let Some(id) = &p.skid
        && p.subject != subject
    {
        exts.push(extension(
            OID_AUTHORITY_KEY_ID,
            false,
            &seq(&[tlv(0x80, id)]),
        ));
    }
    if !t.dns.is_empty() || !t.ips.is_empty() {
        let mut names = Vec::new();
        for d in &t.dns {
            names.push(tlv(0x82, d.as_bytes()));
        }
        for ip in &t.ips {
            let bytes = match ip {
                std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
                std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => v4.octets().to_vec(),
                    None => v6.octets().to_vec(),
                },
            };
            names.push(tlv(0x87, &bytes));
        }
        exts.push(extension(OID_SAN, false, &seq(&names)));
    }

    let tbs = seq(&[
        tlv(0xa0, &int_bytes(&[2])),
        int_bytes(&serial),
        sig_alg.clone(),
        issuer,
        seq(&[time(now), time(not_after)]),
        subject,
        spki,
        tlv(0xa3, &seq(&exts)),
    ]);
    let (_, sig) = signer.sign(&tbs)?;
    let cert = seq(&[tbs, sig_alg, bit_string(&sig)]);
    Ok(pem("CERTIFICATE", &cert))
}

/// Sprig's `certificate` struct: `.Cert` and `.Key` PEM strings.
#[derive(Debug)]
pub(crate) struct Certificate {
    /// The PEM certificate.
    pub cert: String,
    /// The PEM private key.
    pub key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> &str {
        "sprig.certificate"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::from(self.cert.as_str())),
            "Key" => Some(Value::from(self.key.as_str())),
            _ => None,
        }
    }
    fn go_format(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }
    fn to_plain(&self) -> Value {
        let mut m = Map::new();
        m.insert("Cert".into(), Value::from(self.cert.as_str()));
        m.insert("Key".into(), Value::from(self.key.as_str()));
        Value::map(m)
    }
}

fn cert_value(cert: String, key: &Key) -> R {
    Ok(Value::Object(Arc::new(Certificate {
        cert,
        key: key.pem()?,
    })))
}

fn days_arg(v: &Value) -> Result<i64, FuncError> {
    int_arg(v)
}

fn parse_key_arg(v: &Value) -> Result<Key, FuncError> {
    Key::parse_pem(str_arg(v)?).map_err(|e| FuncError::new(format!("parsing private key: {e}")))
}

fn ca_internal(cn: &str, days: i64, key: &Key) -> R {
    let mut t = template(cn, &Value::Nil, &Value::Nil, days)?;
    t.is_ca = true;
    let cert = create_cert(&t, key, None, key)?;
    cert_value(cert, key)
}

pub(crate) fn gen_ca(args: &[Value]) -> R {
    arity(args, 2, "genCA")?;
    let cn = str_arg(&args[0])?;
    let days = days_arg(&args[1])?;
    ca_internal(cn, days, &new_rsa(2048)?)
}

pub(crate) fn gen_ca_with_key(args: &[Value]) -> R {
    arity(args, 3, "genCAWithKey")?;
    let cn = str_arg(&args[0])?;
    let days = days_arg(&args[1])?;
    ca_internal(cn, days, &parse_key_arg(&args[2])?)
}

fn self_signed_internal(args: &[Value], key: &Key) -> R {
    let cn = str_arg(&args[0])?;
    let days = days_arg(&args[3])?;
    let t = template(cn, &args[1], &args[2], days)?;
    let cert = create_cert(&t, key, None, key)?;
    cert_value(cert, key)
}

pub(crate) fn gen_self_signed_cert(args: &[Value]) -> R {
    arity(args, 4, "genSelfSignedCert")?;
    self_signed_internal(args, &new_rsa(2048)?)
}

pub(crate) fn gen_self_signed_cert_with_key(args: &[Value]) -> R {
    arity(args, 5, "genSelfSignedCertWithKey")?;
    let key = parse_key_arg(&args[4])?;
    self_signed_internal(args, &key)
}

fn signed_internal(args: &[Value], key: &Key) -> R {
    let cn = str_arg(&args[0])?;
    let days = days_arg(&args[3])?;
    let ca = match &args[4] {
        Value::Object(o) if o.type_name() == "sprig.certificate" => o.clone(),
        other => {
            return Err(FuncError::new(format!(
                "wrong type for value; expected sprig.certificate; got {}",
                other.type_name()
            )));
        }
    };
    let ca_cert = ca
        .field("Cert")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let ca_key = ca
        .field("Key")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let (_, der) =
        pem_decode(&ca_cert).ok_or_else(|| FuncError::new("unable to decode certificate"))?;
    let parent = parse_parent(&der).ok_or_else(|| {
        FuncError::new(
            "error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate",
        )
    })?;
    let signer = Key::parse_pem(&ca_key)
        .map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
    let t = template(cn, &args[1], &args[2], days)?;
    let cert = create_cert(&t, key, Some(&parent), &signer)?;
    cert_value(cert, key)
}

pub(crate) fn gen_signed_cert(args: &[Value]) -> R {
    arity(args, 5, "genSignedCert")?;
    signed_internal(args, &new_rsa(2048)?)
}

pub(crate) fn gen_signed_cert_with_key(args: &[Value]) -> R {
    arity(args, 6, "genSignedCertWithKey")?;
    let key = parse_key_arg(&args[5])?;
    signed_internal(args, &key)
}

pub(crate) fn build_custom_cert(args: &[Value]) -> R {
    arity(args, 2, "buildCustomCert")?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert = b64
        .decode(str_arg(&args[0])?)
        .map_err(|_| FuncError::new("unable to decode base64 certificate"))?;
    let key = b64
        .decode(str_arg(&args[1])?)
        .map_err(|_| FuncError::new("unable to decode base64 private key"))?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let (_, der) =
        pem_decode(&cert).ok_or_else(|| FuncError::new("unable to decode certificate"))?;
    if parse_parent(&der).is_none() {
        return Err(FuncError::new(
            "error parsing certificate: decodedCert.Bytes: x509: malformed certificate",
        ));
    }
    Key::parse_pem(&key).map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
    Ok(Value::Object(Arc::new(Certificate { cert, key })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_basics() {
        assert_eq!(oid(OID_CN), vec![0x06, 0x03, 0x55, 0x04, 0x03]);
        assert_eq!(int_bytes(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(int_bytes(&[0, 0, 5]), vec![0x02, 0x01, 0x05]);
    }

    #[test]
    fn ecdsa_ca_signs_a_leaf() {
        let key = Key::Ec(p256::SecretKey::random(&mut OsRng));
        let ca = ca_internal("my-ca", 365, &key).unwrap();
        let Value::Object(o) = &ca else {
            panic!("not an object")
        };
        let cert = o.field("Cert").unwrap();
        let (_, der) = pem_decode(cert.as_str().unwrap()).unwrap();
        let parent = parse_parent(&der).unwrap();
        assert_eq!(parent.subject, name("my-ca"));
        assert!(parent.skid.is_some());
        let leaf_key = p256::SecretKey::random(&mut OsRng);
        let leaf_pem = Key::Ec(leaf_key).pem().unwrap();
        let leaf = gen_signed_cert_with_key(&[
            Value::from("svc"),
            Value::list(vec![Value::from("10.0.0.1")]),
            Value::list(vec![Value::from("svc.ns")]),
            Value::Int(30),
            ca.clone(),
            Value::from(leaf_pem),
        ])
        .unwrap();
        assert!(leaf.to_string().contains("BEGIN CERTIFICATE"));
    }

    /// Verifies that `cert_pem` is signed (SHA-256, PKCS#1 v1.5) by `signer`.
    fn assert_rsa_signed(cert_pem: &str, signer: &rsa::RsaPublicKey) {
        let (kind, der) = pem_decode(cert_pem).unwrap();
        assert_eq!(kind, "CERTIFICATE");
        let (_, _, cert, _) = read_tlv(&der, 0).unwrap();
        let (_, tbs, _, next) = read_tlv(cert, 0).unwrap();
        let (_, alg, _, next) = read_tlv(cert, next).unwrap();
        assert_eq!(alg, seq(&[oid(OID_SHA256_RSA), null()]).as_slice());
        let (tag, _, sig, _) = read_tlv(cert, next).unwrap();
        assert_eq!((tag, sig[0]), (0x03, 0));
        let digest = sha2::Sha256::digest(tbs);
        signer
            .verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, &sig[1..])
            .unwrap();
    }

    fn rsa_of(key_pem: &str) -> rsa::RsaPrivateKey {
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        let (kind, der) = pem_decode(key_pem).unwrap();
        assert_eq!(kind, "RSA PRIVATE KEY");
        let key = rsa::RsaPrivateKey::from_pkcs1_der(&der).unwrap();
        key.validate().unwrap();
        key
    }

    #[test]
    fn aws_lc_signatures_are_the_rsa_crates_bytes() {
        let Key::Rsa(key) = new_rsa(2048).unwrap() else {
            panic!("not an RSA key");
        };
        let msg = b"to be signed";
        let digest = sha2::Sha256::digest(msg);
        let slow = key
            .sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest)
            .unwrap();
        assert_eq!(sign_rsa_fast(&key, msg), Some(slow));
        // aws-lc refuses keys under 2048 bits: those are signed by the `rsa` crate.
        let small = rsa::RsaPrivateKey::new(&mut OsRng, 1024).unwrap();
        assert_eq!(sign_rsa_fast(&small, msg), None);
        let (_, sig) = Key::Rsa(Box::new(small.clone())).sign(msg).unwrap();
        small
            .to_public_key()
            .verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, &sig)
            .unwrap();
    }

    #[test]
    fn fresh_rsa_keys_are_pkcs1_with_go_sizes() {
        use rsa::traits::PublicKeyParts as _;
        let pem = gen_private_key(&[Value::from("rsa")]).unwrap();
        let pem = pem.as_str().unwrap();
        assert!(
            pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"),
            "{pem}"
        );
        assert!(pem.ends_with("-----END RSA PRIVATE KEY-----\n"), "{pem}");
        let key = rsa_of(pem);
        assert_eq!(key.size() * 8, 4096);
        assert_eq!(key.e(), &rsa::BigUint::from(65537u32));
        let other = rsa_of(
            gen_private_key(&[Value::from("rsa")])
                .unwrap()
                .as_str()
                .unwrap(),
        );
        assert_ne!(key.n(), other.n());
    }

    #[test]
    fn fresh_rsa_ca_signs_fresh_rsa_leaf_and_self_signed() {
        use rsa::traits::PublicKeyParts as _;
        let ca = gen_ca(&[Value::from("my-ca"), Value::Int(365)]).unwrap();
        let Value::Object(o) = &ca else {
            panic!("not an object")
        };
        let ca_key = rsa_of(o.field("Key").unwrap().as_str().unwrap());
        assert_eq!(ca_key.size() * 8, 2048);
        let ca_cert = o.field("Cert").unwrap();
        assert_rsa_signed(ca_cert.as_str().unwrap(), &ca_key.to_public_key());

        let leaf = gen_signed_cert(&[
            Value::from("svc"),
            Value::list(vec![Value::from("10.0.0.1")]),
            Value::list(vec![Value::from("svc.ns")]),
            Value::Int(30),
            ca.clone(),
        ])
        .unwrap();
        let Value::Object(l) = &leaf else {
            panic!("not an object")
        };
        let leaf_key = rsa_of(l.field("Key").unwrap().as_str().unwrap());
        assert_eq!(leaf_key.size() * 8, 2048);
        assert_ne!(leaf_key.n(), ca_key.n());
        assert_rsa_signed(
            l.field("Cert").unwrap().as_str().unwrap(),
            &ca_key.to_public_key(),
        );

        let own = gen_self_signed_cert(&[
            Value::from("x"),
            Value::list(vec![]),
            Value::list(vec![]),
            Value::Int(1),
        ])
        .unwrap();
        let Value::Object(s) = &own else {
            panic!("not an object")
        };
        let own_key = rsa_of(s.field("Key").unwrap().as_str().unwrap());
        assert_rsa_signed(
            s.field("Cert").unwrap().as_str().unwrap(),
            &own_key.to_public_key(),
        );
    }
}
