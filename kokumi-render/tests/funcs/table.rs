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
