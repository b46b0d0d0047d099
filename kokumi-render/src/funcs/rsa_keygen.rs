//! RSA key generation for `genCA`, `genSelfSignedCert`, `genSignedCert` and `genPrivateKey`.
//!
//! A chart that makes its own certificates spends nearly all of its render finding primes
//! (helm too, in Go's `rsa.GenerateKey`). aws-lc's generator, used before, spent almost a third
//! of its time on constant-time trial division and gcd tests of every random candidate, work a
//! sieve does once per search window. The search here:
//!
//! - draws a random odd start with its two top bits set (so `p·q` has exactly twice the bits),
//!   as Go and aws-lc do;
//! - sieves the next [`WINDOW`] odd numbers by every odd prime below 2^16 and drops those `x`
//!   with `x ≡ 1 (mod 65537)` (then `gcd(x − 1, e) = 1`): the search by small increments from a
//!   random start of Go's `rand.Prime` and OpenSSL's generator;
//! - tests the survivors in order with Miller–Rabin, first to base 2 (the cheapest power, and
//!   it throws out nearly every composite left), then to [`ROUNDS`] random bases, more than the
//!   4 or 5 FIPS 186-5 (appendix B.3) asks for at these sizes;
//! - races the search for each prime on up to four threads (the first to find one wins), so a
//!   key takes about its work divided by the cores;
//! - keeps the powers out of timing: a fixed 4-bit window whose table reads touch every entry,
//!   Montgomery products and doublings that end in a masked subtraction. As in Go's and
//!   OpenSSL's sieves, the sieve's own divisions and marks depend on the start.
//!
//! The key is then assembled and checked by the `rsa` crate (`d = e⁻¹ mod λ(n)`, CRT values).

use std::sync::atomic::{AtomicBool, Ordering};

use rand_core::{OsRng, RngCore};

/// Odd numbers sieved per random start: the chance that none of them is prime is about
/// `exp(−2·WINDOW / (bits·ln 2))`, 10⁻⁵ for 1024-bit primes, 0.3% for 2048-bit ones.
const WINDOW: usize = 4096;
/// Miller–Rabin rounds to random bases for a candidate that passed the round to base 2.
const ROUNDS: usize = 5;
/// The largest prime size searched for, in limbs (2048-bit primes for 4096-bit keys).
const MAX_LIMBS: usize = 32;
/// The public exponent, Go's and everyone's.
pub(crate) const E: u32 = 65537;

/// Generates an RSA key of `bits` bits (2048 or 4096) with public exponent [`E`].
pub(crate) fn generate(bits: usize) -> Result<rsa::RsaPrivateKey, String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let (p, q) = match bits {
        2048 => prime_pair::<16>(threads),
        4096 => prime_pair::<32>(threads),
        _ => return Err(format!("unsupported RSA key size {bits}")),
    };
    rsa::RsaPrivateKey::from_p_q(p, q, rsa::BigUint::from(E)).map_err(|e| e.to_string())
}

/// Two primes of `64·N` bits whose difference has more than `64·N − 100` bits (FIPS 186-5
/// A.1.3), so `n` cannot be factored from its square root.
fn prime_pair<const N: usize>(threads: usize) -> (rsa::BigUint, rsa::BigUint) {
    let p = to_big(&race::<N>(threads));
    loop {
        let q = to_big(&race::<N>(threads));
        let diff = if p > q { &p - &q } else { &q - &p };
        if diff.bits() > 64 * N - 100 {
            return (p, q);
        }
    }
}

fn to_big<const N: usize>(limbs: &[u64; N]) -> rsa::BigUint {
    let bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
    rsa::BigUint::from_bytes_le(&bytes)
}

/// One prime, searched for on `threads` threads at once.
fn race<const N: usize>(threads: usize) -> [u64; N] {
    let found = AtomicBool::new(false);
    if threads == 1 {
        return search::<N>(&found).expect("a lone search runs until it finds a prime");
    }
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .map(|_| scope.spawn(|| search::<N>(&found)))
            .collect();
        let mine = search::<N>(&found);
        let theirs = helpers.into_iter().filter_map(|h| h.join().ok().flatten());
        // Whoever found one first set `found`; any of the primes found is as good.
        mine.into_iter()
            .chain(theirs)
            .next()
            .expect("the search that set `found` returned its prime")
    })
}

/// Searches windows of random starts until it finds a prime or another search has.
fn search<const N: usize>(found: &AtomicBool) -> Option<[u64; N]> {
    let sieve = small_primes();
    let mut composite = vec![false; WINDOW];
    loop {
        if found.load(Ordering::Relaxed) {
            return None;
        }
        let start = random_start::<N>();
        mark_composites(&start, sieve, &mut composite);
        let start_mod_e = rem_u64(&start, u64::from(E));
        for (k, &skip) in composite.iter().enumerate() {
            if skip || (start_mod_e + 2 * k as u64) % u64::from(E) == 1 {
                continue;
            }
            if found.load(Ordering::Relaxed) {
                return None;
            }
            let mut candidate = start;
            add_small(&mut candidate, 2 * k as u64);
            let ctx = Mont::new(&candidate);
            if ctx.probably_prime(ROUNDS) && !found.swap(true, Ordering::Relaxed) {
                return Some(candidate);
            }
        }
    }
}

/// A random odd `64·N`-bit number with its two top bits set, whose top limb leaves room to
/// add `2·WINDOW` without a carry out.
fn random_start<const N: usize>() -> [u64; N] {
    loop {
        let mut x = random_limbs::<N>();
        x[N - 1] |= 0b11 << 62;
        x[0] |= 1;
        if x[N - 1] != u64::MAX {
            return x;
        }
    }
}

fn random_limbs<const N: usize>() -> [u64; N] {
    let mut bytes = vec![0u8; 8 * N];
    OsRng.fill_bytes(&mut bytes);
    let mut x = [0u64; N];
    for (limb, chunk) in x.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8-byte chunk"));
    }
    x
}

fn add_small<const N: usize>(x: &mut [u64; N], v: u64) {
    let mut carry = v;
    for limb in x.iter_mut() {
        let (s, c) = limb.overflowing_add(carry);
        *limb = s;
        carry = u64::from(c);
        if carry == 0 {
            break;
        }
    }
}

/// `x mod m` for `m < 2^64`.
fn rem_u64(x: &[u64], m: u64) -> u64 {
    x.iter().rev().fold(0u128, |r, &limb| {
        ((r << 64) | u128::from(limb)) % u128::from(m)
    }) as u64
}

/// The odd primes below 2^16, grouped so each group's product fits in a `u64`: a start's
/// residue is taken once per group (one pass over its limbs) and per prime from that.
struct SmallPrimes {
    groups: Vec<(u64, Vec<u32>)>,
}

fn small_primes() -> &'static SmallPrimes {
    static PRIMES: std::sync::OnceLock<SmallPrimes> = std::sync::OnceLock::new();
    PRIMES.get_or_init(|| {
        const BOUND: usize = 1 << 16;
        let mut is_composite = vec![false; BOUND];
        let mut groups: Vec<(u64, Vec<u32>)> = Vec::new();
        let mut group = (1u64, Vec::new());
        for n in 3..BOUND {
            if is_composite[n] {
                continue;
            }
            for multiple in (n * n..BOUND).step_by(n) {
                is_composite[multiple] = true;
            }
            if n % 2 == 0 {
                continue;
            }
            let p = n as u64;
            match group.0.checked_mul(p) {
                Some(product) => {
                    group.0 = product;
                    group.1.push(n as u32);
                }
                None => {
                    groups.push(std::mem::replace(&mut group, (p, vec![n as u32])));
                }
            }
        }
        groups.push(group);
        SmallPrimes { groups }
    })
}

/// Sets `composite[k]` for each `k` where a small prime divides `start + 2k`.
fn mark_composites<const N: usize>(start: &[u64; N], sieve: &SmallPrimes, composite: &mut [bool]) {
    composite.fill(false);
    for (product, primes) in &sieve.groups {
        let r = rem_u64(start, *product);
        for &p in primes {
            let p = u64::from(p);
            // start + 2k ≡ 0 (mod p)  ⇔  k ≡ (p − start mod p) · 2⁻¹ (mod p), 2⁻¹ = (p + 1) / 2
            let first = (p - r % p) % p * p.div_ceil(2) % p;
            let mut k = first as usize;
            while k < composite.len() {
                composite[k] = true;
                k += p as usize;
            }
        }
    }
}

/// Montgomery arithmetic modulo an odd `m` of exactly `64·N` bits, with `R = 2^(64·N)`.
struct Mont<const N: usize> {
    m: [u64; N],
    /// `−m⁻¹ mod 2^64`.
    m_inv: u64,
    /// `R mod m`: one, in Montgomery form.
    one: [u64; N],
}

impl<const N: usize> Mont<N> {
    fn new(m: &[u64; N]) -> Self {
        debug_assert!(m[0] & 1 == 1 && m[N - 1] >> 63 == 1);
        // Newton's iteration doubles the correct low bits of an inverse: 3 → 6 → … → 96.
        let mut inv = m[0];
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv)));
        }
        Mont {
            m: *m,
            m_inv: inv.wrapping_neg(),
            // R − m < m because m ≥ R/2.
            one: sub(&[0; N], m).0,
        }
    }

    /// `R² mod m`: multiplying by it brings a number into Montgomery form. Only bases other
    /// than 2 need it, so only candidates that passed the round to base 2 pay for it.
    fn r2(&self) -> [u64; N] {
        let mut r2 = self.one;
        for _ in 0..64 * N {
            r2 = double_mod(&r2, &self.m);
        }
        r2
    }

    /// `a·b·R⁻¹ mod m` for `a, b < m` (coarsely integrated operand scanning).
    fn mul(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let m = &self.m;
        let mut t = [0u64; N];
        let mut top = 0u64;
        for &ai in a {
            let ai = u128::from(ai);
            let mut carry = 0u128;
            for (tj, &bj) in t.iter_mut().zip(b) {
                let s = u128::from(*tj) + ai * u128::from(bj) + carry;
                *tj = s as u64;
                carry = s >> 64;
            }
            let s = u128::from(top) + carry;
            top = s as u64;
            let top2 = (s >> 64) as u64;
            let u = u128::from(t[0].wrapping_mul(self.m_inv));
            let mut carry = (u128::from(t[0]) + u * u128::from(m[0])) >> 64;
            for j in 1..N {
                let s = u128::from(t[j]) + u * u128::from(m[j]) + carry;
                t[j - 1] = s as u64;
                carry = s >> 64;
            }
            let s = u128::from(top) + carry;
            t[N - 1] = s as u64;
            top = top2 + (s >> 64) as u64;
        }
        // t + top·R < 2m: subtract m unless that borrows past `top`.
        let (reduced, borrow) = sub(&t, m);
        select(u64::from(top == 1 || !borrow), &reduced, &t)
    }

    /// `a²·R⁻¹ mod m`: the square's cross products are counted once and doubled, then the
    /// double-width square is reduced (squarings are four in five of a power's products).
    fn sqr(&self, a: &[u64; N]) -> [u64; N] {
        let m = &self.m;
        let mut wide = [0u64; 2 * MAX_LIMBS];
        let t = &mut wide[..2 * N];
        for i in 0..N {
            let ai = u128::from(a[i]);
            let mut carry = 0u128;
            for j in i + 1..N {
                let s = u128::from(t[i + j]) + ai * u128::from(a[j]) + carry;
                t[i + j] = s as u64;
                carry = s >> 64;
            }
            t[i + N] = carry as u64;
        }
        let mut shifted_out = 0u64;
        for limb in t.iter_mut() {
            let next = *limb >> 63;
            *limb = (*limb << 1) | shifted_out;
            shifted_out = next;
        }
        let mut carry = 0u128;
        for i in 0..N {
            let sq = u128::from(a[i]) * u128::from(a[i]);
            let s = u128::from(t[2 * i]) + (sq & u128::from(u64::MAX)) + carry;
            t[2 * i] = s as u64;
            let s = u128::from(t[2 * i + 1]) + (sq >> 64) + (s >> 64);
            t[2 * i + 1] = s as u64;
            carry = s >> 64;
        }
        // Montgomery reduction, one limb at a time; `extra` carries into the next row's top.
        let mut extra = 0u64;
        for i in 0..N {
            let u = u128::from(t[i].wrapping_mul(self.m_inv));
            let mut carry = 0u128;
            for j in 0..N {
                let s = u128::from(t[i + j]) + u * u128::from(m[j]) + carry;
                t[i + j] = s as u64;
                carry = s >> 64;
            }
            let s = u128::from(t[i + N]) + carry + u128::from(extra);
            t[i + N] = s as u64;
            extra = (s >> 64) as u64;
        }
        let mut out = [0u64; N];
        out.copy_from_slice(&t[N..]);
        let (reduced, borrow) = sub(&out, m);
        select(u64::from(extra == 1 || !borrow), &reduced, &out)
    }

    /// `2^exp` in Montgomery form, for `exp < 2^bits`: one squaring and one masked doubling
    /// per bit, cheaper than a general power (the first, filtering Miller–Rabin round uses 2).
    fn pow2(&self, exp: &[u64; N], bits: usize) -> [u64; N] {
        let mut acc = self.one;
        for bit in (0..bits).rev() {
            acc = self.sqr(&acc);
            let doubled = double_mod(&acc, &self.m);
            acc = select((exp[bit / 64] >> (bit % 64)) & 1, &doubled, &acc);
        }
        acc
    }

    /// `base^exp` for `base` in Montgomery form; the time does not depend on `exp`.
    fn pow(&self, base: &[u64; N], exp: &[u64; N]) -> [u64; N] {
        let mut table = [[0u64; N]; 16];
        table[0] = self.one;
        table[1] = *base;
        for i in 2..16 {
            table[i] = self.mul(&table[i - 1], base);
        }
        let mut acc = self.one;
        for window in (0..16 * N).rev() {
            for _ in 0..4 {
                acc = self.sqr(&acc);
            }
            let digit = (exp[window / 16] >> (4 * (window % 16))) & 0xf;
            let mut entry = [0u64; N];
            for (i, candidate) in table.iter().enumerate() {
                let mask = u64::from(i as u64 == digit).wrapping_neg();
                for (e, c) in entry.iter_mut().zip(candidate) {
                    *e |= c & mask;
                }
            }
            acc = self.mul(&acc, &entry);
        }
        acc
    }

    /// Miller–Rabin to base 2 (which throws out nearly every composite the sieve let through,
    /// at a power's lowest cost), then to `rounds` random bases; false means `m` is composite.
    fn probably_prime(&self, rounds: usize) -> bool {
        // m − 1 = d · 2^s with d odd (m is odd, so s ≥ 1); d < 2^(64·N − s).
        let mut d = self.m;
        d[0] -= 1;
        let s = trailing_zeros(&d);
        shift_right(&mut d, s);
        let bits = 64 * N - s as usize;
        let minus_one = sub(&self.m, &self.one).0;
        let passes = |mut x: [u64; N]| {
            if x == self.one || x == minus_one {
                return true;
            }
            for _ in 1..s {
                x = self.sqr(&x);
                if x == minus_one {
                    return true;
                }
                if x == self.one {
                    return false;
                }
            }
            false
        };
        if !passes(self.pow2(&d, bits)) {
            return false;
        }
        let r2 = self.r2();
        (0..rounds).all(|_| passes(self.pow(&self.mul(&random_base::<N>(), &r2), &d)))
    }
}

/// A random base in `[2, 2^(64·N − 1))`, below `m − 1` since `m ≥ 2^(64·N − 1)`.
fn random_base<const N: usize>() -> [u64; N] {
    loop {
        let mut a = random_limbs::<N>();
        a[N - 1] >>= 1;
        if a[1..].iter().any(|&l| l != 0) || a[0] > 1 {
            return a;
        }
    }
}

/// `a − b` and whether it borrowed.
fn sub<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], bool) {
    let mut out = [0u64; N];
    let mut borrow = false;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (d, b1) = x.overflowing_sub(y);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        *o = d;
        borrow = b1 | b2;
    }
    (out, borrow)
}

/// `a` where `choose_a` is 1, `b` where it is 0, without a branch on it.
fn select<const N: usize>(choose_a: u64, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
    let mask = choose_a.wrapping_neg();
    let mut out = [0u64; N];
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = (x & mask) | (y & !mask);
    }
    out
}

/// `2x mod m` for `x < m`.
fn double_mod<const N: usize>(x: &[u64; N], m: &[u64; N]) -> [u64; N] {
    let mut doubled = [0u64; N];
    let mut carry = 0u64;
    for (d, &l) in doubled.iter_mut().zip(x) {
        *d = (l << 1) | carry;
        carry = l >> 63;
    }
    let (reduced, borrow) = sub(&doubled, m);
    select(u64::from(carry == 1 || !borrow), &reduced, &doubled)
}

fn trailing_zeros<const N: usize>(x: &[u64; N]) -> u32 {
    let mut zeros = 0;
    for &l in x {
        if l != 0 {
            return zeros + l.trailing_zeros();
        }
        zeros += 64;
    }
    zeros
}

fn shift_right<const N: usize>(x: &mut [u64; N], by: u32) {
    let (limbs, bits) = ((by / 64) as usize, by % 64);
    for i in 0..N {
        let lo = x.get(i + limbs).copied().unwrap_or(0);
        let hi = x.get(i + limbs + 1).copied().unwrap_or(0);
        x[i] = if bits == 0 {
            lo
        } else {
            (lo >> bits) | (hi << (64 - bits))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};

    fn limbs<const N: usize>(x: &rsa::BigUint) -> [u64; N] {
        let mut bytes = x.to_bytes_le();
        bytes.resize(8 * N, 0);
        let mut out = [0u64; N];
        for (l, c) in out.iter_mut().zip(bytes.chunks_exact(8)) {
            *l = u64::from_le_bytes(c.try_into().unwrap());
        }
        out
    }

    /// Montgomery products and powers agree with plain big-number arithmetic.
    #[test]
    fn montgomery_matches_big_numbers() {
        for _ in 0..20 {
            let m_l = random_start::<16>();
            let m = to_big(&m_l);
            let ctx = Mont::new(&m_l);
            let r = rsa::BigUint::from(1u8) << 1024;
            assert_eq!(to_big(&ctx.one), &r % &m);
            let r2 = ctx.r2();
            assert_eq!(to_big(&r2), (&r * &r) % &m);
            let a = to_big(&random_base::<16>()) % &m;
            let b = to_big(&random_base::<16>()) % &m;
            let (a_m, b_m) = (ctx.mul(&limbs(&a), &r2), ctx.mul(&limbs(&b), &r2));
            let unit = limbs::<16>(&rsa::BigUint::from(1u8));
            let product = ctx.mul(&ctx.mul(&a_m, &b_m), &unit);
            assert_eq!(to_big(&product), (&a * &b) % &m);
            let square = ctx.mul(&ctx.sqr(&a_m), &unit);
            assert_eq!(to_big(&square), (&a * &a) % &m);
            let exp = random_limbs::<16>();
            let power = ctx.mul(&ctx.pow(&a_m, &exp), &unit);
            assert_eq!(to_big(&power), a.modpow(&to_big(&exp), &m));
            let power_of_two = ctx.mul(&ctx.pow2(&exp, 1024), &unit);
            assert_eq!(
                to_big(&power_of_two),
                rsa::BigUint::from(2u8).modpow(&to_big(&exp), &m)
            );
        }
    }

    /// Found primes are prime by another implementation's test, and products of two primes
    /// (composites without small factors) are refused.
    #[test]
    fn primes_are_prime_and_composites_refused() {
        let found = AtomicBool::new(false);
        let p = search::<8>(&found).unwrap();
        found.store(false, Ordering::Relaxed);
        let q = search::<8>(&found).unwrap();
        for x in [p, q] {
            assert!(num_bigint_dig::prime::probably_prime(&to_big(&x), 20));
            assert_ne!(rem_u64(&x, u64::from(E)), 1);
            assert_eq!(x[7] >> 62, 0b11);
        }
        let n = to_big(&p) * to_big(&q);
        assert!(!Mont::new(&limbs::<16>(&n)).probably_prime(ROUNDS));
    }

    /// The sieve marks exactly the offsets where a small prime divides the number.
    #[test]
    fn sieve_marks_multiples_of_small_primes() {
        let start = random_start::<16>();
        let sieve = small_primes();
        let mut composite = vec![false; WINDOW];
        mark_composites(&start, sieve, &mut composite);
        let primes: Vec<u32> = sieve
            .groups
            .iter()
            .flat_map(|(_, ps)| ps.iter().copied())
            .collect();
        assert_eq!(
            (primes.len(), primes[0], *primes.last().unwrap()),
            (6541, 3, 65521)
        );
        let start = to_big(&start);
        for k in (0..WINDOW).step_by(61) {
            let x = &start + 2 * k as u64;
            let divisible = primes.iter().any(|&p| (&x % p) == rsa::BigUint::from(0u8));
            assert_eq!(composite[k], divisible, "offset {k}");
        }
    }

    #[test]
    fn keys_are_valid_and_sized() {
        let key = generate(2048).unwrap();
        key.validate().unwrap();
        assert_eq!(key.n().bits(), 2048);
        assert_eq!(key.e(), &rsa::BigUint::from(E));
        assert_eq!(key.primes().len(), 2);
        assert!(generate(1024).is_err());
    }

    /// `genPrivateKey "rsa"` makes 4096-bit keys, from 2048-bit primes.
    #[test]
    fn keys_of_4096_bits() {
        let key = generate(4096).unwrap();
        key.validate().unwrap();
        assert_eq!(key.n().bits(), 4096);
    }
}
