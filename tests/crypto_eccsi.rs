//! ECCSI (`mikey::crypto::eccsi`, RFC 6507 on P-256 with SHA-256, as RFC 6509 §2.1.1 fixes):
//! every value of RFC 6507 Appendix A (tests/vectors/rfc6507_eccsi_appendixA.json) from the
//! KMS, the signer and the verifier, the refusals of tampered signatures and invalid keys, and
//! round trips with random keys and ephemerals.
//!
//! The points the public API does not show (the signer's J, the verifier's Y and J) are checked
//! by the unit tests in src/crypto/eccsi.rs against the same file.

mod common;

use common::{Scripted, Zeros};
use mikey::crypto::eccsi::{
    hash_he, hash_hs, verify, Kms, Kpak, Pvt, SigningKey, Ssk, POINT_LEN, SCALAR_LEN, SIGNATURE_LEN,
};
use mikey::crypto::{sha256, SystemRandomSource};
use mikey::{ErrorKind, MikeyErrorCode};

/// The Appendix A vector file.
struct Vectors(serde_json::Value);

impl Vectors {
    fn load() -> Self {
        Vectors(serde_json::from_str(include_str!("vectors/rfc6507_eccsi_appendixA.json")).expect("valid JSON"))
    }

    /// The octets of the hex value `section.name`.
    fn get(&self, section: &str, name: &str) -> Vec<u8> {
        let text = self.0[section][name].as_str().unwrap_or_else(|| panic!("{section}.{name} missing"));
        hex(text)
    }

    fn kpak(&self) -> Kpak {
        Kpak::from_bytes(&self.get("community", "KPAK")).unwrap()
    }

    fn id(&self) -> Vec<u8> {
        self.get("signer", "ID")
    }

    fn message(&self) -> Vec<u8> {
        self.get("signature", "M")
    }

    fn pvt(&self) -> Pvt {
        Pvt::from_bytes(&self.get("signer", "PVT")).unwrap()
    }

    fn ssk(&self) -> Ssk {
        Ssk::from_bytes(&self.get("signer", "SSK")).unwrap()
    }

    fn signing_key(&self) -> SigningKey {
        SigningKey::new(&self.kpak(), &self.id(), self.ssk(), self.pvt()).unwrap()
    }

    fn signature(&self) -> Vec<u8> {
        self.get("signature", "Sig")
    }
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit")).collect()
}

fn array<const LEN: usize>(bytes: &[u8]) -> [u8; LEN] {
    bytes.try_into().expect("length")
}

/// a - b for big-endian integers of equal length, a >= b.
fn sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i32;
    for i in (0..a.len()).rev() {
        let v = i32::from(a[i]) - i32::from(b[i]) - borrow;
        out[i] = v.rem_euclid(256) as u8;
        borrow = i32::from(v < 0);
    }
    assert_eq!(borrow, 0, "a < b");
    out
}

/// a + 1 for a big-endian integer (no overflow).
fn plus_one(a: &[u8]) -> Vec<u8> {
    let mut out = a.to_vec();
    for byte in out.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            break;
        }
    }
    out
}

/// A 32-octet big-endian scalar holding `value`.
fn scalar(value: u8) -> Vec<u8> {
    let mut out = vec![0u8; SCALAR_LEN];
    out[SCALAR_LEN - 1] = value;
    out
}

fn assert_auth_failed(result: mikey::Result<()>, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.kind(), ErrorKind::AuthFailed, "{what}: {err}");
    assert_eq!(err.peer_code(), Some(MikeyErrorCode::AuthFailure), "{what}");
}

fn assert_invalid_argument<T: std::fmt::Debug>(result: mikey::Result<T>, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{what}: {err}");
}

// ---------------------------------------------------------------------------------------------
// RFC 6507 Appendix A, value by value
// ---------------------------------------------------------------------------------------------

#[test]
fn vector_file_is_consistent_with_itself() {
    // The transcription: hash inputs laid out as §5.1.1 and §5.2.1 say, the hashes of those
    // inputs, the signature as r || s || PVT, the short integers padded.
    let v = Vectors::load();
    let hs_input = [v.get("community", "G"), v.get("community", "KPAK"), v.id(), v.get("signer", "PVT")].concat();
    assert_eq!(hs_input, v.get("signer", "HS_input"));
    assert_eq!(sha256(&hs_input).as_slice(), v.get("signer", "HS"));
    let he_input = [v.get("signer", "HS"), v.get("signature", "r"), v.message()].concat();
    assert_eq!(he_input, v.get("signature", "HE_input"));
    assert_eq!(sha256(&he_input).as_slice(), v.get("signature", "HE"));
    let signature = [v.get("signature", "r"), v.get("signature", "s"), v.get("signer", "PVT")].concat();
    assert_eq!(signature, v.signature());
    assert_eq!(v.signature().len(), SIGNATURE_LEN);
    assert_eq!(v.get("signature", "J")[1..33], v.get("signature", "r")[..]);
    assert_eq!(v.get("verification", "J"), v.get("signature", "J"));
    assert_eq!(v.get("verification", "Jx"), v.get("signature", "r"));
    assert_eq!(v.get("community", "KSAK"), [vec![0u8; 29], vec![0x01, 0x23, 0x45]].concat());
    assert_eq!(v.get("signer", "v"), [vec![0u8; 29], vec![0x02, 0x34, 0x56]].concat());
    assert_eq!(v.get("signature", "j"), [vec![0u8; 29], vec![0x03, 0x45, 0x67]].concat());
    assert_eq!(v.id(), b"2011-02\0tel:+447700900123\0");
    assert_eq!(v.message(), b"message\0");
}

#[test]
fn kpak_is_ksak_times_g() {
    let v = Vectors::load();
    let kms = Kms::from_ksak(&v.get("community", "KSAK")).unwrap();
    assert_eq!(kms.kpak().as_bytes().as_slice(), v.get("community", "KPAK"));
    assert_eq!(kms.kpak(), &v.kpak());
}

#[test]
fn kms_issues_the_rfc_pvt_and_ssk_from_v() {
    let v = Vectors::load();
    let kms = Kms::from_ksak(&v.get("community", "KSAK")).unwrap();
    let (ssk, pvt) = kms.issue_with_v(&v.id(), &v.get("signer", "v")).unwrap();
    assert_eq!(pvt.as_bytes().as_slice(), v.get("signer", "PVT"));
    assert_eq!(ssk.expose(), v.get("signer", "SSK"));
}

#[test]
fn kms_issue_draws_v_from_the_random_source() {
    let v = Vectors::load();
    let kms = Kms::from_ksak(&v.get("community", "KSAK")).unwrap();
    // q and 0 are not in 1..q and are drawn again; then the RFC's v.
    let rng = Scripted::new(&[&v.get("community", "q"), &scalar(0), &v.get("signer", "v")]);
    let (ssk, pvt) = kms.issue(&v.id(), &rng).unwrap();
    assert_eq!(rng.remaining(), 0);
    assert_eq!(pvt, v.pvt());
    assert_eq!(ssk.expose(), v.get("signer", "SSK"));
}

#[test]
fn hs_is_the_rfc_value() {
    let v = Vectors::load();
    assert_eq!(hash_hs(&v.kpak(), &v.id(), &v.pvt()).as_slice(), v.get("signer", "HS"));
}

#[test]
fn rfc_ssk_validates() {
    let v = Vectors::load();
    SigningKey::new(&v.kpak(), &v.id(), v.ssk(), v.pvt()).expect("the RFC's (SSK, PVT) validates (§5.1.2)");
}

#[test]
fn he_is_the_rfc_value() {
    let v = Vectors::load();
    let he = hash_he(&array(&v.get("signer", "HS")), &array(&v.get("signature", "r")), &v.message());
    assert_eq!(he.as_slice(), v.get("signature", "HE"));
}

#[test]
fn signing_with_the_rfc_j_gives_the_rfc_r_s_and_signature() {
    let v = Vectors::load();
    let signature = v.signing_key().sign_with_ephemeral(&v.message(), &v.get("signature", "j")).unwrap();
    assert_eq!(signature.r().as_slice(), v.get("signature", "r"), "r = Jx");
    assert_eq!(signature.s().as_slice(), v.get("signature", "s_prime"), "s'");
    assert_eq!(signature.s().as_slice(), v.get("signature", "s"), "s = s' (step 6 does not apply)");
    assert_eq!(signature.pvt(), &v.pvt());
    assert_eq!(signature.to_bytes().as_slice(), v.signature());
}

#[test]
fn rfc_signature_verifies() {
    let v = Vectors::load();
    verify(&v.kpak(), &v.id(), &v.message(), &v.signature()).expect("the RFC's signature verifies (§5.2.2)");
}

#[test]
fn sign_draws_j_from_the_random_source() {
    let v = Vectors::load();
    let q_plus_1 = plus_one(&v.get("community", "q"));
    let rng = Scripted::new(&[&[0xFF; SCALAR_LEN], &q_plus_1, &scalar(0), &v.get("signature", "j")]);
    let signature = v.signing_key().sign(&v.message(), &rng).unwrap();
    assert_eq!(rng.remaining(), 0);
    assert_eq!(signature.to_bytes().as_slice(), v.signature());
}

// ---------------------------------------------------------------------------------------------
// Tampered signatures
// ---------------------------------------------------------------------------------------------

#[test]
fn every_flipped_message_bit_is_refused() {
    let v = Vectors::load();
    let message = v.message();
    for at in 0..message.len() {
        for bit in [0x01, 0x80] {
            let mut tampered = message.clone();
            tampered[at] ^= bit;
            assert_auth_failed(verify(&v.kpak(), &v.id(), &tampered, &v.signature()), &format!("M[{at}] ^ {bit:#x}"));
        }
    }
    let shorter = &message[..message.len() - 1];
    assert_auth_failed(verify(&v.kpak(), &v.id(), shorter, &v.signature()), "M without its NUL");
    assert_auth_failed(verify(&v.kpak(), &v.id(), &[message.clone(), vec![0]].concat(), &v.signature()), "M + NUL");
    assert_auth_failed(verify(&v.kpak(), &v.id(), b"", &v.signature()), "empty M");
}

#[test]
fn every_flipped_signature_bit_is_refused() {
    // r (octets 0..32), s (32..64) and PVT (64..129): any change is refused, whether it leaves a
    // point on the curve or not.
    let v = Vectors::load();
    let signature = v.signature();
    for at in 0..SIGNATURE_LEN {
        for bit in [0x01, 0x80] {
            let mut tampered = signature.clone();
            tampered[at] ^= bit;
            assert_auth_failed(verify(&v.kpak(), &v.id(), &v.message(), &tampered), &format!("Sig[{at}] ^ {bit:#x}"));
        }
    }
}

#[test]
fn another_valid_pvt_in_the_signature_is_refused() {
    // A PVT that is on the curve and issued by the same KMS, but not the one the signer's SSK
    // goes with.
    let v = Vectors::load();
    let kms = Kms::from_ksak(&v.get("community", "KSAK")).unwrap();
    let (_, other_pvt) = kms.issue_with_v(&v.id(), &scalar(7)).unwrap();
    let mut tampered = v.signature();
    tampered[2 * SCALAR_LEN..].copy_from_slice(other_pvt.as_bytes());
    assert_auth_failed(verify(&v.kpak(), &v.id(), &v.message(), &tampered), "another PVT");
}

#[test]
fn wrong_id_is_refused() {
    let v = Vectors::load();
    let id = v.id();
    let mut next_month = id.clone();
    next_month[6] = b'3'; // 2011-03
    let without_nul = id[..id.len() - 1].to_vec();
    for wrong in [next_month, without_nul, b"tel:+447700900123".to_vec(), Vec::new()] {
        assert_auth_failed(
            verify(&v.kpak(), &wrong, &v.message(), &v.signature()),
            &format!("ID {:?}", String::from_utf8_lossy(&wrong)),
        );
    }
}

#[test]
fn wrong_kpak_is_refused() {
    let v = Vectors::load();
    let other_kms = Kms::from_ksak(&plus_one(&v.get("community", "KSAK"))).unwrap();
    assert_auth_failed(verify(other_kms.kpak(), &v.id(), &v.message(), &v.signature()), "KPAK of KSAK + 1");
    // G itself is a point on the curve, but not this KMS's.
    let g = Kpak::from_bytes(&v.get("community", "G")).unwrap();
    assert_auth_failed(verify(&g, &v.id(), &v.message(), &v.signature()), "KPAK = G");
}

#[test]
fn malformed_signatures_are_refused() {
    let v = Vectors::load();
    let signature = v.signature();
    let q = v.get("community", "q");
    let check = |bytes: &[u8], what: &str| assert_auth_failed(verify(&v.kpak(), &v.id(), &v.message(), bytes), what);
    check(&[], "empty");
    check(&signature[..SIGNATURE_LEN - 1], "128 octets");
    check(&[signature.clone(), vec![0]].concat(), "130 octets");
    check(&signature[..2 * SCALAR_LEN + 33], "compressed-length PVT");
    let with = |range: std::ops::Range<usize>, value: &[u8]| {
        let mut out = signature.clone();
        out[range].copy_from_slice(value);
        out
    };
    check(&with(0..32, &scalar(0)), "r = 0");
    check(&with(32..64, &scalar(0)), "s = 0");
    check(&with(32..64, &q), "s = q");
    check(&with(32..64, &plus_one(&q)), "s = q + 1");
    check(&with(32..64, &[0xFF; SCALAR_LEN]), "s = 2^256 - 1");
    // An r at or above p can never equal Jx.
    check(&with(0..32, &v.get("global", "p")), "r = p");
    check(&with(64..65, &[0x06]), "PVT in hybrid form");
    check(&with(64..65, &[0x00]), "PVT form octet 0");
    check(&with(64..129, &[0u8; POINT_LEN]), "PVT all zero");
}

#[test]
fn the_twin_signature_r_q_minus_s_verifies_as_rfc_6507_section_6_says() {
    // "the value s in the Signature can be replaced by q - s": [q - s]X = -[s]X has the same x
    // coordinate. Signatures are malleable; whoever keys anything on signature octets must know.
    let v = Vectors::load();
    let q_minus_s = sub(&v.get("community", "q"), &v.get("signature", "s"));
    let mut twin = v.signature();
    twin[32..64].copy_from_slice(&q_minus_s);
    verify(&v.kpak(), &v.id(), &v.message(), &twin).expect("(r, q - s) verifies");
}

// ---------------------------------------------------------------------------------------------
// Invalid keys and arguments
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_ssk_pairs_are_refused() {
    let v = Vectors::load();
    let kpak = v.kpak();
    let id = v.id();
    let ssk_plus_1 = Ssk::from_bytes(&plus_one(&v.get("signer", "SSK"))).unwrap();
    assert_invalid_argument(SigningKey::new(&kpak, &id, ssk_plus_1, v.pvt()), "SSK + 1");
    assert_invalid_argument(SigningKey::new(&kpak, b"2011-03\0tel:+447700900123\0", v.ssk(), v.pvt()), "other ID");
    let other_kms = Kms::from_ksak(&plus_one(&v.get("community", "KSAK"))).unwrap();
    assert_invalid_argument(SigningKey::new(other_kms.kpak(), &id, v.ssk(), v.pvt()), "other KPAK");
    let kms = Kms::from_ksak(&v.get("community", "KSAK")).unwrap();
    let (other_ssk, other_pvt) = kms.issue_with_v(&id, &scalar(7)).unwrap();
    assert_invalid_argument(SigningKey::new(&kpak, &id, v.ssk(), other_pvt.clone()), "other PVT");
    assert_invalid_argument(SigningKey::new(&kpak, &id, other_ssk.clone(), v.pvt()), "other SSK");
    // The pair the KMS issued together does validate.
    SigningKey::new(&kpak, &id, other_ssk, other_pvt).unwrap();
}

#[test]
fn ssk_must_be_32_octets_in_1_to_q() {
    let v = Vectors::load();
    let q = v.get("community", "q");
    assert_invalid_argument(Ssk::from_bytes(&scalar(0)), "0");
    assert_invalid_argument(Ssk::from_bytes(&q), "q");
    assert_invalid_argument(Ssk::from_bytes(&plus_one(&q)), "q + 1");
    assert_invalid_argument(Ssk::from_bytes(&[0xFF; SCALAR_LEN]), "2^256 - 1");
    assert_invalid_argument(Ssk::from_bytes(&v.get("signer", "SSK")[1..]), "31 octets");
    assert_invalid_argument(Ssk::from_bytes(&[v.get("signer", "SSK"), vec![0]].concat()), "33 octets");
    assert_invalid_argument(Ssk::from_bytes(&[]), "empty");
    Ssk::from_bytes(&scalar(1)).unwrap();
    Ssk::from_bytes(&sub(&q, &scalar(1))).unwrap();
}

#[test]
fn kpak_and_pvt_must_be_uncompressed_points_on_the_curve() {
    let v = Vectors::load();
    let point = v.get("community", "KPAK");
    let mut off_curve = point.clone();
    off_curve[POINT_LEN - 1] ^= 1;
    let mut hybrid = point.clone();
    hybrid[0] = 0x06 | (point[POINT_LEN - 1] & 1);
    let mut x_is_p = point.clone();
    x_is_p[1..33].copy_from_slice(&v.get("global", "p"));
    let compressed = [vec![0x02 | (point[POINT_LEN - 1] & 1)], point[1..33].to_vec()].concat();
    for (bytes, what) in [
        (off_curve, "off the curve"),
        (hybrid, "hybrid form"),
        (x_is_p, "x = p"),
        (compressed, "compressed form"),
        (vec![0x00], "infinity"),
        (point[..POINT_LEN - 1].to_vec(), "64 octets"),
        ([point.clone(), vec![0]].concat(), "66 octets"),
        (Vec::new(), "empty"),
    ] {
        assert_invalid_argument(Kpak::from_bytes(&bytes), &format!("KPAK {what}"));
        assert_invalid_argument(Pvt::from_bytes(&bytes), &format!("PVT {what}"));
    }
    assert_eq!(Kpak::from_bytes(&point).unwrap().as_bytes().as_slice(), point);
}

#[test]
fn ksak_v_and_j_must_be_32_octets_in_1_to_q() {
    let v = Vectors::load();
    let q = v.get("community", "q");
    let kms = Kms::from_ksak(&v.get("community", "KSAK")).unwrap();
    let key = v.signing_key();
    for (bad, what) in
        [(scalar(0), "0"), (q.clone(), "q"), (scalar(1)[1..].to_vec(), "31 octets"), (Vec::new(), "empty")]
    {
        assert_invalid_argument(Kms::from_ksak(&bad), &format!("KSAK {what}"));
        assert_invalid_argument(kms.issue_with_v(&v.id(), &bad), &format!("v {what}"));
        assert_invalid_argument(key.sign_with_ephemeral(&v.message(), &bad), &format!("j {what}"));
    }
    // The largest valid values are accepted.
    let q_minus_1 = sub(&q, &scalar(1));
    Kms::from_ksak(&q_minus_1).unwrap();
    let (ssk, pvt) = kms.issue_with_v(&v.id(), &q_minus_1).unwrap();
    let key = SigningKey::new(kms.kpak(), &v.id(), ssk, pvt).unwrap();
    let signature = key.sign_with_ephemeral(&v.message(), &q_minus_1).unwrap();
    verify(kms.kpak(), &v.id(), &v.message(), &signature.to_bytes()).unwrap();
}

#[test]
fn a_random_source_without_usable_scalars_is_an_error() {
    let v = Vectors::load();
    let kms = Kms::from_ksak(&v.get("community", "KSAK")).unwrap();
    for err in [
        v.signing_key().sign(&v.message(), &Zeros).unwrap_err(),
        kms.issue(&v.id(), &Zeros).unwrap_err(),
        Kms::generate(&Zeros).unwrap_err(),
        // A failing source: its error comes through.
        v.signing_key().sign(&v.message(), &Scripted::new(&[])).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Crypto, "{err}");
    }
}

#[test]
fn secrets_do_not_print() {
    let v = Vectors::load();
    let kms = Kms::from_ksak(&v.get("community", "KSAK")).unwrap();
    let (issued_ssk, _) = kms.issue_with_v(&v.id(), &v.get("signer", "v")).unwrap();
    for (shown, secret) in [
        (format!("{:?}", v.ssk()), v.get("signer", "SSK")),
        (format!("{issued_ssk:?}"), v.get("signer", "SSK")),
        (format!("{:?}", v.signing_key()), v.get("signer", "SSK")),
        (format!("{kms:?}"), v.get("community", "KSAK")),
    ] {
        assert!(shown.contains("redacted"), "{shown}");
        let as_list = format!("{secret:?}");
        let as_hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!shown.contains(as_list.trim_matches(['[', ']'])), "{shown}");
        assert!(!shown.to_lowercase().contains(&as_hex), "{shown}");
    }
}

// ---------------------------------------------------------------------------------------------
// Round trips with random keys and ephemerals
// ---------------------------------------------------------------------------------------------

#[test]
fn random_keys_sign_and_verify() {
    let rng = SystemRandomSource;
    let kms = Kms::generate(&rng).unwrap();
    let id = b"2026-01\0sip:alice@example.org\0";
    let (ssk, pvt) = kms.issue(id, &rng).unwrap();
    let key = SigningKey::new(kms.kpak(), id, ssk, pvt.clone()).unwrap();
    let message = b"an I_MESSAGE up to its SIGN payload";
    let first = key.sign(message, &rng).unwrap();
    let second = key.sign(message, &rng).unwrap();
    assert_ne!(first.r(), second.r(), "a fresh j per signature");
    assert_eq!(first.pvt(), &pvt);
    for signature in [&first, &second] {
        let bytes = signature.to_bytes();
        verify(kms.kpak(), id, message, &bytes).unwrap();
        assert_auth_failed(verify(kms.kpak(), id, b"another message", &bytes), "other message");
        assert_auth_failed(verify(kms.kpak(), b"2026-01\0sip:bob@example.org\0", message, &bytes), "other ID");
        assert_auth_failed(verify(Kms::generate(&rng).unwrap().kpak(), id, message, &bytes), "other KMS");
    }
    // An empty message and an empty ID are values like any other.
    let (ssk, pvt) = kms.issue(b"", &rng).unwrap();
    let key = SigningKey::new(kms.kpak(), b"", ssk, pvt).unwrap();
    verify(kms.kpak(), b"", b"", &key.sign(b"", &rng).unwrap().to_bytes()).unwrap();
}

#[test]
fn many_random_signatures_verify() {
    // A spread of j (and so of r, including r >= q with probability 2^-32 each, and s) for one
    // key: every signature verifies and its twin bit flip does not.
    let v = Vectors::load();
    let key = v.signing_key();
    let rng = SystemRandomSource;
    for round in 0u32..64 {
        let message = round.to_be_bytes();
        let signature = key.sign(&message, &rng).unwrap().to_bytes();
        verify(&v.kpak(), &v.id(), &message, &signature).unwrap();
        let mut tampered = signature;
        tampered[(round as usize * 7) % SIGNATURE_LEN] ^= 0x10;
        assert_auth_failed(verify(&v.kpak(), &v.id(), &message, &tampered), "bit flip");
    }
}
