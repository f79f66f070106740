//! RSA envelope keys and signatures (`mikey::crypto::rsa`) and X.509 chains
//! (`mikey::crypto::x509`) against the committed test PKI in tests/pki/ (made by
//! tests/pki/make-test-pki.sh, which lists every certificate and its purpose), including
//! signatures and a PKE ciphertext made by the openssl CLI.

use mikey::crypto::rsa::{RsaPrivateKey, RsaPublicKey, SignatureHash, SignaturePadding, SignatureScheme};
use mikey::crypto::x509::{Certificate, KeyUsageNeed, TrustStore};
use mikey::crypto::{RandomSource, SystemRandomSource};
use mikey::{Error, ErrorKind, MikeyErrorCode};

macro_rules! pki {
    ($name:literal) => {
        &include_bytes!(concat!("pki/", $name))[..]
    };
}

/// 2026-01-01T00:00:00Z: "now" for the session clock in these tests.
const NOW: i64 = 1_767_225_600;
/// 2020-06-01T00:00:00Z: inside the expired certificate's validity (2020 to 2021).
const IN_2020: i64 = 1_590_969_600;
/// 2105-01-01T00:00:00Z: inside the not-yet-valid certificate's validity (2100 to 2110).
const IN_2105: i64 = 4_260_211_200;
/// 2019-01-01T00:00:00Z: before every certificate.
const IN_2019: i64 = 1_546_300_800;

const ALL_SCHEMES: [SignatureScheme; 4] = [
    SignatureScheme::PKCS1V15_SHA1,
    SignatureScheme::PKCS1V15_SHA256,
    SignatureScheme::PSS_SHA1,
    SignatureScheme::PSS_SHA256,
];

fn cert(pem: &[u8]) -> Certificate {
    let mut certificates = Certificate::from_pem_or_der(pem).expect("test certificate parses");
    assert_eq!(certificates.len(), 1);
    certificates.remove(0)
}

/// digitalSignature and keyEncipherment (an RSA-R initiator's certificate needs both).
fn both() -> KeyUsageNeed {
    KeyUsageNeed::DIGITAL_SIGNATURE | KeyUsageNeed::KEY_ENCIPHERMENT
}

fn alice_key() -> RsaPrivateKey {
    RsaPrivateKey::from_pem_or_der(pki!("alice.key.pem")).unwrap()
}

fn bob_key() -> RsaPrivateKey {
    RsaPrivateKey::from_pem_or_der(pki!("bob.key.pem")).unwrap()
}

fn root_store() -> TrustStore {
    let mut store = TrustStore::new();
    store.add_anchor(cert(pki!("root.crt.pem")));
    store
}

fn intermediate() -> Certificate {
    cert(pki!("intermediate.crt.pem"))
}

fn assert_auth_failed(result: Result<impl std::fmt::Debug, Error>, peer_code: MikeyErrorCode, context: &str) {
    let error = result.expect_err("must fail");
    assert_eq!(error.kind(), ErrorKind::AuthFailed, "{error}");
    assert_eq!(error.peer_code(), Some(peer_code), "{error}");
    assert!(error.context().contains(context), "expected {context:?} in {error}");
}

/// A deterministic RandomSource (xorshift64*), for repeatable ciphertexts and fuzz inputs.
struct TestRng(std::sync::Mutex<u64>);

impl TestRng {
    fn new(seed: u64) -> Self {
        TestRng(std::sync::Mutex::new(seed | 1))
    }

    fn next(&self) -> u64 {
        let mut state = self.0.lock().unwrap();
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&self, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        self.fill(&mut out).unwrap();
        out
    }
}

impl RandomSource for TestRng {
    fn fill(&self, out: &mut [u8]) -> mikey::Result<()> {
        for chunk in out.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

#[test]
fn private_key_loads_from_pkcs8_and_pkcs1_pem_and_der() {
    let reference = alice_key();
    assert_eq!(reference.bits(), 2048);
    assert_eq!(reference.size(), 256);
    for (name, data) in [
        ("PKCS#1 PEM", pki!("alice.key.pkcs1.pem")),
        ("PKCS#8 DER", pki!("alice.key.der")),
        ("PKCS#1 DER", pki!("alice.key.pkcs1.der")),
    ] {
        let key = RsaPrivateKey::from_pem_or_der(data).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key.public_key(), reference.public_key(), "{name}");
    }
    // The key matches its certificate and no other.
    let alice = cert(pki!("alice.crt.pem"));
    assert_eq!(&alice.public_key().unwrap(), reference.public_key());
    assert_ne!(&cert(pki!("bob.crt.pem")).public_key().unwrap(), reference.public_key());
    assert_eq!(RsaPublicKey::from_der_spki(alice.spki_der()).unwrap(), alice.public_key().unwrap());
    // A clone of the public key outlives the private key it came from.
    let cloned = alice_key().public_key().clone();
    assert_eq!(&cloned, reference.public_key());
    let signature = reference.sign(SignatureScheme::RFC3830_DEFAULT, b"data").unwrap();
    cloned.verify(SignatureScheme::RFC3830_DEFAULT, b"data", &signature).unwrap();
    // A bundle with the certificate before the key: the key is found.
    let bundle = [pki!("alice.crt.pem"), pki!("alice.key.pem")].concat();
    assert_eq!(RsaPrivateKey::from_pem_or_der(&bundle).unwrap().public_key(), reference.public_key());
}

#[test]
fn private_key_rejections() {
    let kind = |data: &[u8]| RsaPrivateKey::from_pem_or_der(data).unwrap_err().kind();
    assert_eq!(kind(pki!("alice.key.encrypted.pem")), ErrorKind::Unsupported, "encrypted PKCS#8");
    assert_eq!(kind(pki!("weak-1024.key.pem")), ErrorKind::Unsupported, "1024-bit key");
    assert_eq!(kind(pki!("ec-p256.key.pem")), ErrorKind::InvalidArgument, "EC key");
    assert_eq!(kind(pki!("alice.crt.pem")), ErrorKind::InvalidArgument, "a certificate");
    assert_eq!(kind(pki!("alice.crt.der")), ErrorKind::InvalidArgument, "a DER certificate");
    assert_eq!(kind(b""), ErrorKind::InvalidArgument);
    let mut trailing = pki!("alice.key.der").to_vec();
    trailing.push(0);
    assert_eq!(kind(&trailing), ErrorKind::InvalidArgument, "trailing byte after the DER");
    let mut corrupt = pki!("alice.key.pkcs1.der").to_vec();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1; // qInv no longer matches: aws-lc's RSA_check_key rejects the key
    assert_eq!(kind(&corrupt), ErrorKind::InvalidArgument, "inconsistent key");
    // Certificates with unusable keys parse, but give no RSA public key.
    for name in ["weak-1024", "ec-p256"] {
        let data = if name == "weak-1024" { pki!("weak-1024.crt.pem") } else { pki!("ec-p256.crt.pem") };
        let error = cert(data).public_key().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unsupported, "{name}: {error}");
        assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidCertificate), "{name}");
    }
}

#[test]
fn debug_output_never_shows_key_material() {
    let key = alice_key();
    assert_eq!(format!("{key:?}"), "RsaPrivateKey(2048 bits, redacted)");
    let public = format!("{:?}", key.public_key());
    assert!(public.starts_with("RsaPublicKey(2048 bits, sha256 of RSAPublicKey "), "{public}");
    let plaintext = key.open_envelope_key(pki!("alice.pke.bin"), 20).unwrap();
    assert_eq!(format!("{plaintext:?}"), "SecretBytes(20 bytes, redacted)");
    let shown = format!("{:?}", cert(pki!("alice.crt.pem")));
    assert!(shown.contains("sip:alice@example.com") && shown.contains("sha256"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Envelope key encryption (RFC 3830 §4.2.5)
// ---------------------------------------------------------------------------------------------

#[test]
fn encrypt_decrypt_round_trip_for_every_length() {
    let key = alice_key();
    let public = cert(pki!("alice.crt.pem")).public_key().unwrap();
    assert_eq!(public.max_plaintext_len(), 245);
    let rng = SystemRandomSource;
    for len in [0usize, 1, 16, 20, 32, 64, 128, 244, 245] {
        let plaintext: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
        let ciphertext = public.encrypt_pkcs1v15(&plaintext, &rng).unwrap();
        assert_eq!(ciphertext.len(), 256);
        if len <= 32 {
            assert_eq!(key.open_envelope_key(&ciphertext, len).unwrap().expose(), &plaintext[..], "len {len}");
        }
        // An envelope opens to exactly the key length it must hold: the plaintext when its
        // length is that, a stand-in otherwise.
        let opened = key.open_envelope_key(&ciphertext, 20).unwrap();
        assert_eq!(opened.len(), 20, "len {len}");
        assert_eq!(opened.expose() == &plaintext[..], len == 20, "len {len}, implicit rejection path");
    }
    let error = public.encrypt_pkcs1v15(&[0u8; 246], &rng).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn encryption_draws_its_padding_from_the_given_rng() {
    let public = alice_key().public_key().clone();
    let one = public.encrypt_pkcs1v15(b"envelope key....", &TestRng::new(7)).unwrap();
    let two = public.encrypt_pkcs1v15(b"envelope key....", &TestRng::new(7)).unwrap();
    let other = public.encrypt_pkcs1v15(b"envelope key....", &TestRng::new(8)).unwrap();
    assert_eq!(one, two);
    assert_ne!(one, other);
}

#[test]
fn decrypts_openssl_and_aws_lc_rs_ciphertexts_and_they_decrypt_ours() {
    use aws_lc_rs::rsa::{
        Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
    };
    let key = alice_key();
    // openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:pkcs1 (minisip's RSA_public_encrypt).
    assert_eq!(key.open_envelope_key(pki!("alice.pke.bin"), 20).unwrap().expose(), pki!("envelope-key.bin"));

    let alice = cert(pki!("alice.crt.pem"));
    let theirs_public =
        Pkcs1PublicEncryptingKey::new(PublicEncryptingKey::from_der(alice.spki_der()).unwrap()).unwrap();
    let theirs_private =
        Pkcs1PrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(pki!("alice.key.der")).unwrap()).unwrap();
    let ours_public = alice.public_key().unwrap();
    let rng = SystemRandomSource;
    for len in [1usize, 16, 20, 32, 245] {
        let plaintext = vec![0xC3u8; len];
        let mut ciphertext = vec![0u8; 256];
        let ciphertext = theirs_public.encrypt(&plaintext, &mut ciphertext).unwrap();
        if len <= 32 {
            assert_eq!(key.open_envelope_key(ciphertext, len).unwrap().expose(), &plaintext[..]);
        }
        let ours = ours_public.encrypt_pkcs1v15(&plaintext, &rng).unwrap();
        let mut out = vec![0u8; 256];
        assert_eq!(theirs_private.decrypt(&ours, &mut out).unwrap(), &plaintext[..]);
    }
}

/// Only failures on public data (the ciphertext's length and value) are errors, all reading
/// the same; anything else opens to a stand-in.
#[test]
fn envelope_failures_on_public_data_are_one_auth_error() {
    let key = alice_key();
    let rng = SystemRandomSource;
    let ciphertext = key.public_key().encrypt_pkcs1v15(b"0123456789abcdef", &rng).unwrap();
    let fail = |ciphertext: &[u8]| {
        let error = key.open_envelope_key(ciphertext, 16).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AuthFailed);
        assert_eq!(error.peer_code(), Some(MikeyErrorCode::AuthFailure));
        error.context().to_string()
    };
    let mut texts = vec![
        fail(&ciphertext[..255]),
        fail(&[ciphertext.clone(), vec![0]].concat()),
        fail(&[0xFFu8; 256]), // not below the modulus
        fail(&[]),
    ];
    texts.dedup();
    assert_eq!(texts, ["RSA decryption failed"], "every failure reads the same");
    // Anything else opens to a stand-in, or fails as above when the changed value is not below
    // the modulus.
    let does_not_open = |ciphertext: &[u8]| {
        key.open_envelope_key(ciphertext, 16).map_or(true, |opened| opened.expose() != b"0123456789abcdef")
    };
    for byte in [0usize, 1, 100, 255] {
        let mut tampered = ciphertext.clone();
        tampered[byte] ^= 0x01;
        assert!(does_not_open(&tampered), "byte {byte}");
    }
    // Encrypted to bob: alice's key does not open it, bob's does.
    let to_bob = cert(pki!("bob.crt.pem")).public_key().unwrap().encrypt_pkcs1v15(b"0123456789abcdef", &rng).unwrap();
    assert!(does_not_open(&to_bob));
    assert_eq!(bob_key().open_envelope_key(&to_bob, 16).unwrap().expose(), b"0123456789abcdef");
}

/// Issue 13, point 1: the envelope opening was a timing oracle. With valid padding it returned
/// the real plaintext, 0 to 245 bytes, and the key set-up that followed grew with the length.
/// Now a conformant long plaintext, a conformant plaintext of another short length and a
/// non-conformant block all open to exactly the expected key length, so what follows (the PRF
/// keyed with it, the MAC check) is the same work; the stand-in is the same for the same
/// ciphertext, so asking again tells nothing either.
#[test]
fn an_envelope_opens_to_the_expected_length_whatever_it_holds() {
    let key = alice_key();
    let rng = SystemRandomSource;
    let seal = |plaintext: &[u8]| key.public_key().encrypt_pkcs1v15(plaintext, &rng).unwrap();
    let genuine = seal(b"0123456789abcdef");
    let long = seal(&[0x5A; 200]);
    let short = seal(b"0123456789");
    let mut tampered = genuine.clone();
    tampered[17] ^= 0x40;
    assert_eq!(key.open_envelope_key(&genuine, 16).unwrap().expose(), b"0123456789abcdef");
    let mut stand_ins = Vec::new();
    for ciphertext in [&long, &short, &tampered] {
        let one = key.open_envelope_key(ciphertext, 16).unwrap();
        let again = key.open_envelope_key(ciphertext, 16).unwrap();
        assert_eq!(one.len(), 16);
        assert_eq!(one.expose(), again.expose(), "the same ciphertext opens the same way");
        assert_ne!(&one.expose()[..10], b"0123456789");
        stand_ins.push(one.expose().to_vec());
    }
    assert!(stand_ins[0] != stand_ins[1] && stand_ins[1] != stand_ins[2], "each ciphertext its own stand-in");
    // Another load of the same key has another secret, so other stand-ins.
    assert_ne!(alice_key().open_envelope_key(&tampered, 16).unwrap().expose(), &stand_ins[2][..]);
    // Public-data failures still error.
    assert_eq!(key.open_envelope_key(&tampered[..100], 16).unwrap_err().kind(), ErrorKind::AuthFailed);
    assert_eq!(key.open_envelope_key(&genuine, 129).unwrap_err().kind(), ErrorKind::InvalidArgument);
    // minisip's 112-byte envelope keys open; a 16-byte one gets a 112-byte stand-in.
    assert_eq!(key.open_envelope_key(&seal(&[0x5A; 112]), 112).unwrap().expose(), [0x5A; 112]);
    let stand_in = key.open_envelope_key(&genuine, 112).unwrap();
    assert_eq!(stand_in.len(), 112);
    assert_ne!(&stand_in.expose()[..10], b"0123456789");
    assert_eq!(stand_in.expose(), key.open_envelope_key(&genuine, 112).unwrap().expose());
    assert_ne!(&stand_in.expose()[..32], &stand_in.expose()[32..64], "each 32-byte block its own");
}

// ---------------------------------------------------------------------------------------------
// Signatures (RFC 3830 §4.2.6, §6.5)
// ---------------------------------------------------------------------------------------------

#[test]
fn sign_verify_every_scheme_and_reject_tampering() {
    let key = alice_key();
    let public = cert(pki!("alice.crt.pem")).public_key().unwrap();
    let bob = cert(pki!("bob.crt.pem")).public_key().unwrap();
    let data = b"HDR T RAND IDi CERTi SP KEMAC PKE, then the SIGN payload header";
    for scheme in ALL_SCHEMES {
        let signature = key.sign(scheme, data).unwrap();
        assert_eq!(signature.len(), 256);
        public.verify(scheme, data, &signature).unwrap_or_else(|e| panic!("{scheme:?}: {e}"));
        assert_eq!(public.verify_any_hash(scheme.padding, data, &signature).unwrap(), scheme);
        assert_auth_failed(bob.verify(scheme, data, &signature), MikeyErrorCode::AuthFailure, "signature");
        assert_auth_failed(public.verify(scheme, &data[1..], &signature), MikeyErrorCode::AuthFailure, "signature");
        let mut tampered = signature.clone();
        tampered[200] ^= 0x10;
        assert_auth_failed(public.verify(scheme, data, &tampered), MikeyErrorCode::AuthFailure, "signature");
        assert!(public.verify(scheme, data, &signature[..255]).is_err());
        assert!(public.verify(scheme, data, &[]).is_err());
        // The other padding, or the other hash, does not verify.
        let other_padding = match scheme.padding {
            SignaturePadding::Pkcs1v15 => SignaturePadding::Pss,
            SignaturePadding::Pss => SignaturePadding::Pkcs1v15,
        };
        let other_hash = match scheme.hash {
            SignatureHash::Sha1 => SignatureHash::Sha256,
            SignatureHash::Sha256 => SignatureHash::Sha1,
        };
        assert!(public.verify(SignatureScheme { padding: other_padding, ..scheme }, data, &signature).is_err());
        assert!(public.verify(SignatureScheme { hash: other_hash, ..scheme }, data, &signature).is_err());
        assert!(public.verify_any_hash(other_padding, data, &signature).is_err());
    }
    // PKCS#1 v1.5 is deterministic, PSS is salted.
    assert_eq!(
        key.sign(SignatureScheme::RFC3830_DEFAULT, data).unwrap(),
        key.sign(SignatureScheme::RFC3830_DEFAULT, data).unwrap()
    );
    assert_ne!(
        key.sign(SignatureScheme::PSS_SHA256, data).unwrap(),
        key.sign(SignatureScheme::PSS_SHA256, data).unwrap()
    );
}

#[test]
fn verifies_openssl_signatures_and_aws_lc_rs_agrees_with_ours() {
    use aws_lc_rs::signature::{self, KeyPair, UnparsedPublicKey};
    let public = cert(pki!("alice.crt.pem")).public_key().unwrap();
    let message = pki!("signed-message.bin");
    // openssl dgst -sha1 -sign: what minisip's EVP_SignInit(EVP_sha1()) produces.
    public.verify(SignatureScheme::RFC3830_DEFAULT, message, pki!("alice.sig-pkcs1-sha1.bin")).unwrap();
    public.verify(SignatureScheme::PKCS1V15_SHA256, message, pki!("alice.sig-pkcs1-sha256.bin")).unwrap();
    public.verify(SignatureScheme::PSS_SHA256, message, pki!("alice.sig-pss-sha256.bin")).unwrap();
    // PSS verification accepts any salt length (this one has the maximum, 234 bytes).
    public.verify(SignatureScheme::PSS_SHA1, message, pki!("alice.sig-pss-sha1-maxsalt.bin")).unwrap();
    assert_eq!(
        public.verify_any_hash(SignaturePadding::Pkcs1v15, message, pki!("alice.sig-pkcs1-sha1.bin")).unwrap(),
        SignatureScheme::PKCS1V15_SHA1
    );
    // Our PKCS#1 v1.5 signatures are byte-identical to OpenSSL's.
    let key = alice_key();
    assert_eq!(key.sign(SignatureScheme::PKCS1V15_SHA1, message).unwrap(), pki!("alice.sig-pkcs1-sha1.bin"));
    assert_eq!(key.sign(SignatureScheme::PKCS1V15_SHA256, message).unwrap(), pki!("alice.sig-pkcs1-sha256.bin"));

    // aws-lc-rs verifies ours, we verify aws-lc-rs's.
    let pair = signature::RsaKeyPair::from_pkcs8(pki!("alice.key.der")).unwrap();
    let pkcs1_public = pair.public_key().as_ref().to_vec();
    for (scheme, params) in [
        (SignatureScheme::PKCS1V15_SHA1, &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY),
        (SignatureScheme::PKCS1V15_SHA256, &signature::RSA_PKCS1_2048_8192_SHA256),
        (SignatureScheme::PSS_SHA256, &signature::RSA_PSS_2048_8192_SHA256),
    ] {
        let ours = key.sign(scheme, message).unwrap();
        UnparsedPublicKey::new(params, &pkcs1_public).verify(message, &ours).unwrap_or_else(|_| panic!("{scheme:?}"));
    }
    let rng = aws_lc_rs::rand::SystemRandom::new();
    for (scheme, encoding) in [
        (SignatureScheme::PKCS1V15_SHA256, &signature::RSA_PKCS1_SHA256),
        (SignatureScheme::PSS_SHA256, &signature::RSA_PSS_SHA256),
    ] {
        let mut theirs = vec![0u8; pair.public_modulus_len()];
        pair.sign(encoding, &rng, message, &mut theirs).unwrap();
        public.verify(scheme, message, &theirs).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates: parsing, identities, fingerprints
// ---------------------------------------------------------------------------------------------

#[test]
fn pem_bundle_and_der_parsing() {
    let chain = Certificate::from_pem_or_der(pki!("alice-chain.pem")).unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0], cert(pki!("alice.crt.pem")));
    assert_eq!(chain[1], intermediate());
    assert_eq!(chain[0].der(), pki!("alice.crt.der"));
    assert_eq!(chain[1].der(), pki!("intermediate.crt.der"));
    let der = Certificate::from_pem_or_der(pki!("alice.crt.der")).unwrap();
    assert_eq!(der, vec![chain[0].clone()]);
    assert_eq!(Certificate::from_der(pki!("alice.crt.der")).unwrap(), chain[0]);
    // A key file with a certificate in it: the key block is skipped.
    let bundle = [pki!("alice.key.pem"), pki!("alice.crt.pem")].concat();
    assert_eq!(Certificate::from_pem_or_der(&bundle).unwrap(), vec![chain[0].clone()]);
    // Validity as read from the certificate.
    assert_eq!(chain[0].not_before(), 1_577_836_800); // 2020-01-01
    assert_eq!(chain[0].not_after(), 4_733_510_400); // 2120-01-01
    assert!(chain[0].is_valid_at(NOW));
    assert!(!cert(pki!("expired.crt.pem")).is_valid_at(NOW));
}

#[test]
fn certificate_parse_errors() {
    let peer = |data: &[u8]| Certificate::from_der(data).unwrap_err();
    let config = |data: &[u8]| Certificate::from_pem_or_der(data).unwrap_err();
    let der = pki!("alice.crt.der");
    for error in [peer(pki!("alice.crt.pem")), peer(&der[..der.len() - 1]), peer(&[der, &[0][..]].concat()), peer(b"")]
    {
        assert_eq!(error.kind(), ErrorKind::Malformed, "{error}");
        assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidCertificate));
    }
    for error in [config(pki!("alice.key.pem")), config(b""), config(b"garbage"), config(&der[..100])] {
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
    }
}

#[test]
fn subject_alt_name_identities() {
    let alice = cert(pki!("alice.crt.pem"));
    assert_eq!(alice.identities(), ["sip:alice@example.com"]);
    assert!(alice.matches_identity(b"sip:alice@example.com"));
    assert!(!alice.matches_identity(b"sip:bob@example.com"));
    assert!(!alice.matches_identity(b"Alice"), "the common name is not an identity");
    assert!(!alice.matches_identity(b"alice@example.com"), "a URI is not an address");
    assert!(!alice.matches_identity(b"sip:alice@example.com "));
    assert_eq!(cert(pki!("bob.crt.pem")).identities(), ["sip:bob@example.com"]);

    let carol = cert(pki!("carol.crt.pem"));
    assert_eq!(carol.identities(), ["carol@example.com"]);
    assert!(carol.matches_identity(b"carol@example.com"));
    assert!(carol.matches_identity(b"carol@EXAMPLE.com"), "domain is case-insensitive");
    assert!(!carol.matches_identity(b"Carol@example.com"), "local part is not");
    assert!(!carol.matches_identity(b"sip:carol@example.com"));

    assert_eq!(cert(pki!("noku.crt.pem")).identities(), ["sip:noku@example.com", "noku@example.com"]);
    assert!(cert(pki!("root.crt.pem")).identities().is_empty());
    // Mallory claims alice's URI: only the chain check tells them apart.
    assert!(cert(pki!("mallory.crt.pem")).matches_identity(b"sip:alice@example.com"));
}

#[test]
fn fingerprints_and_pins() {
    let alice = cert(pki!("alice.crt.pem"));
    let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, pki!("alice.crt.der"));
    assert_eq!(alice.sha1_fingerprint(), sha1.as_ref());
    let sha256 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, pki!("alice.crt.der"));
    assert_eq!(alice.sha256_fingerprint(), sha256.as_ref());
    assert!(alice.matches_sha256_fingerprint(sha256.as_ref()));
    assert!(!alice.matches_sha256_fingerprint(&sha256.as_ref()[..31]));
    assert!(!alice.matches_sha256_fingerprint(sha1.as_ref()));
}

// ---------------------------------------------------------------------------------------------
// Chains
// ---------------------------------------------------------------------------------------------

#[test]
fn chain_to_the_root_verifies() {
    let store = root_store();
    for name in ["alice", "bob", "carol"] {
        let certificate = match name {
            "alice" => cert(pki!("alice.crt.pem")),
            "bob" => cert(pki!("bob.crt.pem")),
            _ => cert(pki!("carol.crt.pem")),
        };
        store.verify_chain(&certificate, &[intermediate()], NOW, both()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // Unrelated extra certificates and any order are fine.
    let alice = cert(pki!("alice.crt.pem"));
    let extras = [cert(pki!("bob.crt.pem")), cert(pki!("rogue-root.crt.pem")), intermediate()];
    store.verify_chain(&alice, &extras, NOW, both()).unwrap();
    // The chain as configured (own end entity first) splits into leaf and intermediates.
    let chain = Certificate::from_pem_or_der(pki!("alice-chain.pem")).unwrap();
    store.verify_chain(&chain[0], &chain[1..], NOW, KeyUsageNeed::NONE).unwrap();
    // An intermediate as the only anchor ends the chain there.
    let mut intermediate_only = TrustStore::new();
    intermediate_only.add_anchor(intermediate());
    intermediate_only.verify_chain(&alice, &[], NOW, both()).unwrap();
}

#[test]
fn missing_intermediate_or_empty_store_is_rejected() {
    let alice = cert(pki!("alice.crt.pem"));
    let error = root_store().verify_chain(&alice, &[], NOW, both()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AuthFailed);
    assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidCertificate));
    assert!(error.context().contains("issuer"), "{error}");
    assert!(TrustStore::new().verify_chain(&alice, &[intermediate()], NOW, both()).is_err());
}

#[test]
fn validity_is_checked_at_the_given_time() {
    let store = root_store();
    let expired = cert(pki!("expired.crt.pem"));
    assert_auth_failed(
        store.verify_chain(&expired, &[intermediate()], NOW, both()),
        MikeyErrorCode::InvalidCertificate,
        "expired",
    );
    store.verify_chain(&expired, &[intermediate()], IN_2020, both()).unwrap();

    let notyet = cert(pki!("notyet.crt.pem"));
    assert_auth_failed(
        store.verify_chain(&notyet, &[intermediate()], NOW, both()),
        MikeyErrorCode::InvalidCertificate,
        "not yet valid",
    );
    store.verify_chain(&notyet, &[intermediate()], IN_2105, both()).unwrap();

    // Before the CAs exist: the whole chain is not yet valid.
    let alice = cert(pki!("alice.crt.pem"));
    assert!(store.verify_chain(&alice, &[intermediate()], IN_2019, both()).is_err());
    // After 2120 everything has expired.
    assert!(store.verify_chain(&alice, &[intermediate()], 4_733_510_401, both()).is_err());
}

#[test]
fn untrusted_ca_and_self_signed_are_rejected() {
    let store = root_store();
    let mallory = cert(pki!("mallory.crt.pem"));
    let rogue_root = cert(pki!("rogue-root.crt.pem"));
    assert_auth_failed(store.verify_chain(&mallory, &[], NOW, both()), MikeyErrorCode::InvalidCertificate, "issuer");
    // Sending the rogue root along does not make it trusted.
    assert_auth_failed(
        store.verify_chain(&mallory, std::slice::from_ref(&rogue_root), NOW, both()),
        MikeyErrorCode::InvalidCertificate,
        "self signed",
    );
    assert!(store.verify_chain(&rogue_root, &[], NOW, KeyUsageNeed::NONE).is_err());

    // aws-lc reports a self-signed end entity whose keyUsage lacks keyCertSign as issuerless.
    let selfsigned = cert(pki!("selfsigned.crt.pem"));
    assert_auth_failed(store.verify_chain(&selfsigned, &[], NOW, both()), MikeyErrorCode::InvalidCertificate, "issuer");
    assert!(store.verify_chain(&selfsigned, std::slice::from_ref(&selfsigned), NOW, both()).is_err());
    // Accepted only by an explicit pin ...
    let pinned = cert(pki!("selfsigned.crt.pem"));
    assert!(selfsigned.matches_pin(&pinned));
    assert!(!cert(pki!("alice.crt.pem")).matches_pin(&pinned));
    assert!(!mallory.matches_pin(&pinned));
    assert!(selfsigned.matches_sha256_fingerprint(&pinned.sha256_fingerprint()));
    selfsigned.check_usable(NOW, both()).unwrap();
    assert_auth_failed(selfsigned.check_usable(4_733_510_401, both()), MikeyErrorCode::InvalidCertificate, "expired");
    assert_auth_failed(selfsigned.check_usable(IN_2019, both()), MikeyErrorCode::InvalidCertificate, "not yet");
    // ... or by configuring the certificate itself as an anchor.
    let mut pinned_store = TrustStore::new();
    pinned_store.add_anchor(pinned);
    pinned_store.verify_chain(&selfsigned, &[], NOW, both()).unwrap();
    assert!(pinned_store.verify_chain(&cert(pki!("alice.crt.pem")), &[intermediate()], NOW, both()).is_err());
}

#[test]
fn key_usage_is_enforced_where_present() {
    let store = root_store();
    let chain = [intermediate()];
    let badku = cert(pki!("badku.crt.pem"));
    for need in [KeyUsageNeed::DIGITAL_SIGNATURE, KeyUsageNeed::KEY_ENCIPHERMENT, both()] {
        assert_auth_failed(
            store.verify_chain(&badku, &chain, NOW, need),
            MikeyErrorCode::InvalidCertificate,
            "keyUsage",
        );
        assert!(!badku.permits(need));
    }
    store.verify_chain(&badku, &chain, NOW, KeyUsageNeed::NONE).unwrap();

    let signonly = cert(pki!("signonly.crt.pem"));
    store.verify_chain(&signonly, &chain, NOW, KeyUsageNeed::DIGITAL_SIGNATURE).unwrap();
    assert_auth_failed(
        store.verify_chain(&signonly, &chain, NOW, KeyUsageNeed::KEY_ENCIPHERMENT),
        MikeyErrorCode::InvalidCertificate,
        "keyEncipherment",
    );
    assert!(store.verify_chain(&signonly, &chain, NOW, both()).is_err());

    // No keyUsage extension: every usage is allowed.
    store.verify_chain(&cert(pki!("noku.crt.pem")), &chain, NOW, both()).unwrap();
    assert_auth_failed(
        badku.check_usable(NOW, KeyUsageNeed::DIGITAL_SIGNATURE),
        MikeyErrorCode::InvalidCertificate,
        "",
    );
}

#[test]
fn every_modified_certificate_fails_to_parse_or_to_verify() {
    let store = root_store();
    let chain = [intermediate()];
    let der = pki!("alice.crt.der");
    let (mut parse_errors, mut verify_errors) = (0, 0);
    for i in 0..der.len() {
        let mut modified = der.to_vec();
        modified[i] ^= 1 << (i % 8);
        match Certificate::from_der(&modified) {
            Err(_) => parse_errors += 1,
            Ok(certificate) => {
                let result = store.verify_chain(&certificate, &chain, NOW, KeyUsageNeed::NONE);
                assert!(result.is_err(), "byte {i} modified and still verified");
                verify_errors += 1;
            }
        }
    }
    for len in 0..der.len() {
        assert!(Certificate::from_der(&der[..len]).is_err(), "truncated to {len}");
    }
    println!("single-bit changes: {parse_errors} did not parse, {verify_errors} parsed and failed verification");
}

// ---------------------------------------------------------------------------------------------
// Garbage input
// ---------------------------------------------------------------------------------------------

fn garbage_inputs() -> Vec<Vec<u8>> {
    let rng = TestRng::new(0x5EED);
    let mut inputs: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x30],
        vec![0x30, 0x80],
        vec![0x30, 0x82, 0xFF, 0xFF],
        vec![0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00],
        vec![0x30, 0x00],
        vec![0x02, 0x01, 0x00],
        b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".to_vec(),
        b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n".to_vec(),
        b"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n".to_vec(),
        b"-----BEGIN RSA PRIVATE KEY-----\nMAMCAQA=\n-----END RSA PRIVATE KEY-----\n".to_vec(),
        b"-----BEGIN \xFF-----\n-----END \xFF-----\n".to_vec(),
        vec![0xFF; 300],
        vec![0u8; 256],
    ];
    for i in 0..500 {
        let len = (rng.next() % 1200) as usize;
        let mut bytes = rng.bytes(len);
        if i % 3 == 0 && !bytes.is_empty() {
            bytes[0] = 0x30; // looks like DER
        }
        inputs.push(bytes);
    }
    // Random damage to real inputs.
    for base in [pki!("alice.crt.der"), pki!("alice.key.der"), pki!("alice.key.pkcs1.der"), pki!("alice.crt.pem")] {
        for _ in 0..50 {
            let mut bytes = base.to_vec();
            for _ in 0..(1 + rng.next() % 4) {
                let at = (rng.next() as usize) % bytes.len();
                bytes[at] = rng.next() as u8;
            }
            let cut = (rng.next() as usize) % (bytes.len() + 1);
            if rng.next().is_multiple_of(2) {
                bytes.truncate(cut);
            }
            inputs.push(bytes);
        }
    }
    inputs
}

#[test]
fn garbage_returns_errors_never_panics() {
    let key = alice_key();
    let public = key.public_key().clone();
    let store = root_store();
    let mut parsed = 0;
    for input in garbage_inputs() {
        let _ = Certificate::from_pem_or_der(&input);
        if let Ok(certificate) = Certificate::from_der(&input) {
            parsed += 1;
            let _ = certificate.public_key();
            let _ = certificate.identities();
            let _ = store.verify_chain(&certificate, &[intermediate()], NOW, both());
        }
        let _ = RsaPrivateKey::from_pem_or_der(&input);
        let _ = RsaPublicKey::from_der_spki(&input);
        assert!(key.open_envelope_key(&input, 16).is_err() || input.len() == 256);
        for scheme in ALL_SCHEMES {
            assert!(public.verify(scheme, b"data", &input).is_err());
        }
    }
    // A few random damages leave a parseable certificate (e.g. inside the signature).
    println!("{parsed} garbage inputs parsed as certificates");
}

#[test]
fn types_are_send_and_sync_and_usable_from_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<RsaPrivateKey>();
    send_sync::<RsaPublicKey>();
    send_sync::<Certificate>();
    send_sync::<TrustStore>();

    let key = std::sync::Arc::new(alice_key());
    let store = std::sync::Arc::new(root_store());
    let alice = std::sync::Arc::new(cert(pki!("alice.crt.pem")));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (key, store, alice) = (key.clone(), store.clone(), alice.clone());
            std::thread::spawn(move || {
                for i in 0..10 {
                    let data = format!("thread {t} message {i}");
                    let signature = key.sign(SignatureScheme::PSS_SHA256, data.as_bytes()).unwrap();
                    key.public_key().verify(SignatureScheme::PSS_SHA256, data.as_bytes(), &signature).unwrap();
                    store.verify_chain(&alice, &[intermediate()], NOW, both()).unwrap();
                    let ciphertext = key.public_key().encrypt_pkcs1v15(data.as_bytes(), &SystemRandomSource).unwrap();
                    assert_eq!(key.open_envelope_key(&ciphertext, data.len()).unwrap().expose(), data.as_bytes());
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}
