//! Function behaviours that need no helm to check: random output shapes, errors, limits.

use super::{data, eval};

#[test]
fn random_functions_have_the_right_shape() {
    let dot = data();
    let s = eval("randAlphaNum 16", &dot);
    assert_eq!(s.len(), 16, "{s}");
    assert!(s.chars().all(|c| c.is_ascii_alphanumeric()), "{s}");
    assert_ne!(s, eval("randAlphaNum 16", &dot));
    let n = eval("randNumeric 8", &dot);
    assert!(n.len() == 8 && n.chars().all(|c| c.is_ascii_digit()), "{n}");
    let a = eval("randAlpha 5", &dot);
    assert!(
        a.len() == 5 && a.chars().all(|c| c.is_ascii_alphabetic()),
        "{a}"
    );
    let u = eval("uuidv4", &dot);
    assert_eq!(u.len(), 36, "{u}");
    assert_eq!(&u[14..15], "4", "{u}");
}

/// `derivePassword` (scrypt N=32768, slow in a debug build, so one case): pinned from helm.
#[test]
fn derive_password_matches_helm() {
    let dot = data();
    assert_eq!(
        eval(
            r#"derivePassword 1 "long" "password" "user" "example.com""#,
            &dot
        ),
        "ZedaFaxcZaso9*"
    );
}

#[test]
fn certificates_chain_and_parse() {
    // The WithKey forms with a fixed RSA key (test fixture) and fresh ECDSA keys; fresh RSA keys
    // (genCA/genSignedCert) are covered by the unit tests in funcs::crypto.
    let mut dot = data();
    if let kokumi_render::value::Value::Map(m) = &mut dot {
        std::sync::Arc::make_mut(m.arc_mut()).insert(
            "rsa".into(),
            include_str!("../fixtures/funcs/rsa2048.pem").into(),
        );
    }
    let out = super::render(
        r#"{{- $ca := genCAWithKey "my-ca" 365 .rsa -}}
{{- $k := genPrivateKey "ecdsa" -}}
{{- $c := genSignedCertWithKey "svc" (list "10.0.0.1") (list "svc.ns.svc") 30 $ca $k -}}
{{ $ca.Cert | b64enc | len | lt 1000 }} {{ hasPrefix "-----BEGIN CERTIFICATE-----" $c.Cert }} {{ eq $c.Key $k }} {{ eq $ca.Key .rsa }} {{ typeOf $ca }}"#,
        &dot,
    );
    assert_eq!(out, "true true true true sprig.certificate");
    let ed = super::render(
        r#"{{- $k := genPrivateKey "ed25519" -}}{{- $c := genSelfSignedCertWithKey "x" nil nil 1 $k -}}{{ hasPrefix "-----BEGIN PRIVATE KEY-----" $k }} {{ contains "CERTIFICATE" $c.Cert }}"#,
        &dot,
    );
    assert_eq!(ed, "true true");
    let bad = super::render(
        r#"{{ genSignedCert "x" nil nil 1 (dict "Cert" "a" "Key" "b") }}"#,
        &dot,
    );
    assert!(
        bad.starts_with("ERR:") && bad.contains("sprig.certificate"),
        "{bad}"
    );
}

#[test]
fn bcrypt_hashes_verify() {
    let dot = data();
    let h = eval(r#"bcrypt "secret""#, &dot);
    assert!(h.starts_with("$2a$10$"), "{h}");
    assert!(bcrypt::verify("secret", &h).unwrap());
    let ht = eval(r#"htpasswd "user" "pw""#, &dot);
    assert!(ht.starts_with("user:$2a$10$"), "{ht}");
}
