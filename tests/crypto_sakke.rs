//! SAKKE (RFC 6508 in Parameter Set 1 of RFC 6509) against every value of RFC 6508 Appendix A
//! (tests/vectors/rfc6508_sakke_appendixA.json: r and HashToIntegerRange's intermediates, R_(b,S),
//! g^r, the mask, H, the SED, w, the SSV, the RSK's validity), the parameters of RFC 6509 Appendix A
//! (rfc6509_sakke_parameter_set_1.json, with g = <P, P>) and the four SAKKE payloads of
//! Streamwide's MIKEY-SAKKE messages (mikey_sakke_streamwide_e2e.json: w, the mask, r, the SSV,
//! four RSKs). Then what must fail: tampered R or H, the wrong identifier or RSK, malformed points
//! and lengths; random round trips; and two SSVs, found by an independent implementation, whose H
//! and g^r start with a zero octet.

use std::path::Path;
use std::sync::LazyLock;

use mikey::crypto::sakke::{
    encapsulate, encapsulate_with_ssv, hash_to_integer_range_2n, hash_to_integer_range_blocks, hash_to_integer_range_q,
    pairing, sender_values, Identifier, Kms, KmsPublicKey, Point, ReceiverSecretKey, Sed, GENERATOR_P, ORDER_Q,
    PAIRING_G, POINT_LEN, PRIME_P, SED_LEN, SSV_LEN,
};
use mikey::crypto::{sha256, RandomSource, SystemRandomSource};
use mikey::{Error, ErrorKind};
use serde_json::Value;

fn unhex(text: &str) -> Vec<u8> {
    assert_eq!(text.len() % 2, 0, "{text}");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

fn vectors(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(file);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn field(value: &Value, key: &str) -> Vec<u8> {
    unhex(value[key].as_str().unwrap_or_else(|| panic!("{key}")))
}

static RFC6508: LazyLock<Value> = LazyLock::new(|| vectors("rfc6508_sakke_appendixA.json"));
static RFC6509: LazyLock<Value> = LazyLock::new(|| vectors("rfc6509_sakke_parameter_set_1.json"));
static STREAMWIDE: LazyLock<Value> = LazyLock::new(|| vectors("mikey_sakke_streamwide_e2e.json"));

fn sender(key: &str) -> Vec<u8> {
    field(&RFC6508["sender"], key)
}

fn receiver(key: &str) -> Vec<u8> {
    field(&RFC6508["receiver"], key)
}

/// The Appendix A receiver, b = "2011-02\0tel:+447700900123\0".
fn rfc_identifier() -> Identifier {
    Identifier::new(&sender("b")).unwrap()
}

/// The Appendix A KMS public key Z (its table made once for all tests).
static RFC_KMS: LazyLock<KmsPublicKey> =
    LazyLock::new(|| KmsPublicKey::new(&field(&RFC6508["kms"], "Z_uncompressed")).unwrap());

/// The Appendix A RSK, checked and precomputed once for all tests.
static RFC_RECEIVER: LazyLock<ReceiverSecretKey> =
    LazyLock::new(|| ReceiverSecretKey::new(&receiver("RSK_uncompressed"), &rfc_identifier(), &RFC_KMS).unwrap());

fn kind<T>(result: Result<T, Error>) -> ErrorKind {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.kind(),
    }
}

/// p - a for a < p, big-endian (the negation in F_p).
fn negate(a: &[u8]) -> Vec<u8> {
    let mut out = PRIME_P.to_vec();
    let mut borrow = 0i16;
    for (out, &a) in out.iter_mut().zip(a).rev() {
        let diff = i16::from(*out) - i16::from(a) - borrow;
        borrow = i16::from(diff < 0);
        *out = diff.rem_euclid(256) as u8;
    }
    assert_eq!(borrow, 0);
    out
}

/// -(x, y) = (x, p - y), uncompressed.
fn negate_point(point: &[u8]) -> Vec<u8> {
    let mut out = point[..=128].to_vec();
    out.extend(negate(&point[129..]));
    out
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(a, b)| a ^ b).collect()
}

#[test]
fn parameter_set_1_is_rfc_6509_appendix_a() {
    let set = &*RFC6509;
    assert_eq!(PRIME_P.to_vec(), field(set, "p"));
    assert_eq!(ORDER_Q.to_vec(), field(set, "q"));
    assert_eq!(GENERATOR_P.to_vec(), field(set, "P_uncompressed"));
    assert_eq!(PAIRING_G.to_vec(), field(set, "g"));
    assert_eq!((set["n"].as_u64(), SSV_LEN), (Some(128), 16));
    assert_eq!((POINT_LEN, SED_LEN), (257, 273));
    let p = Point::from_uncompressed(&GENERATOR_P).unwrap();
    assert_eq!(p.to_uncompressed(), GENERATOR_P);
    // The Appendix A identifier is RFC 6509 §3.2's example.
    assert_eq!(sender("b"), field(&set["identifier_example"], "hex"));
}

#[test]
fn g_is_the_pairing_of_p_with_itself() {
    let p = Point::from_uncompressed(&GENERATOR_P).unwrap();
    assert_eq!(hex(pairing(&p, &p).unwrap().expose()), hex(&PAIRING_G));
    // Bilinearity: <P, -P> = <-P, P> = g^-1, represented by -g.
    let minus_p = Point::from_uncompressed(&negate_point(&GENERATOR_P)).unwrap();
    assert_eq!(hex(pairing(&p, &minus_p).unwrap().expose()), hex(&negate(&PAIRING_G)));
    assert_eq!(hex(pairing(&minus_p, &p).unwrap().expose()), hex(&negate(&PAIRING_G)));
}

#[test]
fn hash_to_integer_range_gives_the_worked_example_and_its_intermediates() {
    let example = &RFC6508["hash_to_integer_range_example"];
    let m = field(example, "M");
    assert_eq!(m, sender("r_hash_input"));
    assert_eq!(m, [sender("SSV"), sender("b")].concat());
    // A = SHA-256(M), h_0 = 0^256, h_i = SHA-256(h_(i-1)), v_i = SHA-256(h_i || A): the vector's
    // intermediates hold together.
    let a = sha256(&m);
    assert_eq!(a.to_vec(), field(example, "A"));
    let h: Vec<Vec<u8>> = example["h"].as_array().unwrap().iter().map(|h| unhex(h.as_str().unwrap())).collect();
    let v: Vec<Vec<u8>> = example["v"].as_array().unwrap().iter().map(|v| unhex(v.as_str().unwrap())).collect();
    assert_eq!((h.len(), v.len()), (5, 4));
    assert_eq!(h[0], [0u8; 32]);
    for i in 1..5 {
        assert_eq!(sha256(&h[i - 1]).to_vec(), h[i], "h_{i}");
        assert_eq!(sha256(&[&h[i][..], &a[..]].concat()).to_vec(), v[i - 1], "v_{i}");
    }
    // The library's v' = v_1 || ... || v_4, and v' mod q.
    assert_eq!(hash_to_integer_range_blocks(&m, 4).unwrap().expose(), v.concat());
    assert_eq!(hex(hash_to_integer_range_q(&m).expose()), hex(&field(example, "v_mod_q")));
    assert_eq!(field(example, "v_mod_q"), sender("r"));
    // l is 1 to 256 (n ≤ (2^256)^256).
    assert_eq!(kind(hash_to_integer_range_blocks(&m, 0)), ErrorKind::InvalidArgument);
    assert_eq!(kind(hash_to_integer_range_blocks(&m, 257)), ErrorKind::InvalidArgument);
    assert_eq!(hash_to_integer_range_blocks(&m, 256).unwrap().len(), 256 * 32);
    // l = 1 for 2^128: the mask is the low 128 bits of v_1.
    let g_r = sender("g_pow_r");
    assert_eq!(hash_to_integer_range_2n(&g_r).expose(), &hash_to_integer_range_blocks(&g_r, 1).unwrap().expose()[16..]);
}

#[test]
fn the_sender_computes_every_appendix_a_value() {
    let b = rfc_identifier();
    let ssv = sender("SSV");
    assert_eq!(hex(hash_to_integer_range_q(&[&ssv[..], b.as_bytes()].concat()).expose()), hex(&sender("r")));
    let values = sender_values(&ssv, &b, &RFC_KMS).unwrap();
    let r_point = [&[4u8][..], &sender("Rbx"), &sender("Rby")].concat();
    assert_eq!(hex(&values.point().to_uncompressed()), hex(&r_point));
    assert_eq!(hex(values.g_pow_r().expose()), hex(&sender("g_pow_r")));
    assert_eq!(sender("mask_hash_input"), sender("g_pow_r"));
    let mask = hash_to_integer_range_2n(values.g_pow_r().expose());
    assert_eq!(hex(mask.expose()), hex(&sender("mask")));
    assert_eq!(xor(&ssv, mask.expose()), sender("H"));
    let sed = encapsulate_with_ssv(&ssv, &b, &RFC_KMS).unwrap();
    assert_eq!(hex(&sed), hex(&sender("encapsulated_data_SED_derived")));
    let parsed = Sed::parse(&sed).unwrap();
    assert_eq!(parsed.point(), values.point());
    assert_eq!(parsed.hint().to_vec(), sender("H"));
    assert_eq!(parsed.to_bytes(), sed);
    assert_eq!(RFC_KMS.point().to_uncompressed().to_vec(), field(&RFC6508["kms"], "Z_uncompressed"));
}

#[test]
fn the_receiver_validates_its_rsk_and_recovers_the_appendix_a_ssv() {
    let key = &*RFC_RECEIVER; // RFC 6508 §6.1.2 accepted the RFC's own RSK.
    assert_eq!(key.identifier().as_bytes(), sender("b"));
    let sed = sender("encapsulated_data_SED_derived");
    let r_point = Sed::parse(&sed).unwrap().point().clone();
    let w = key.pairing_value(&r_point).unwrap();
    assert_eq!(hex(w.expose()), hex(&receiver("w")));
    assert_eq!(receiver("w"), sender("g_pow_r"), "w = g^r");
    // The one-shot pairing, from the points alone, agrees.
    let rsk = Point::from_uncompressed(&receiver("RSK_uncompressed")).unwrap();
    assert_eq!(hex(pairing(&r_point, &rsk).unwrap().expose()), hex(&receiver("w")));
    // <[b]P + Z, RSK> = g: the pairing of R_(b,S) = [r]([b]P + Z) with the RSK is g^r.
    assert_eq!(receiver("TESTx"), sender("Rbx"));
    assert_eq!(receiver("TESTy"), sender("Rby"));
    key.check_ssv(&receiver("SSV"), &r_point).unwrap();
    let ssv = key.decapsulate(&sed).unwrap();
    assert_eq!(hex(ssv.expose()), hex(&receiver("SSV")));
    assert_eq!(receiver("r"), sender("r"));
}

#[test]
fn streamwide_sakke_payloads_decapsulate_to_their_keys() {
    let vectors = &*STREAMWIDE;
    let kms = KmsPublicKey::new(&field(&vectors["kms"], "Z_PubEncKey")).unwrap();
    let users = vectors["users"].as_object().unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let sakke = &case["sakke"];
        let uid = field(sakke, "receiver_uid");
        let user = users.values().find(|user| field(user, "uid") == uid).expect("the receiver's key material");
        assert_eq!(user["rsk_valid_rfc6508_6_1_2"], Value::Bool(true));
        let b = Identifier::new(&uid).unwrap();
        let key = ReceiverSecretKey::new(&field(user, "rsk"), &b, &kms).unwrap();
        let payload = case["payloads"].as_array().unwrap().iter().find(|p| p["payload"] == "SAKKE").unwrap();
        let sed = unhex(&payload["fields"]["sed"].as_str().unwrap().to_uppercase());
        assert_eq!(sed.len(), SED_LEN);
        let parsed = Sed::parse(&sed).unwrap();
        let w = key.pairing_value(parsed.point()).unwrap();
        assert_eq!(hex(w.expose()), hex(&field(sakke, "w")), "{}", case["name"]);
        assert_eq!(hex(hash_to_integer_range_2n(w.expose()).expose()), hex(&field(sakke, "mask")));
        let ssv = key.decapsulate(&sed).unwrap();
        assert_eq!(hex(ssv.expose()), hex(&field(sakke, "ssv")));
        assert_eq!(ssv.expose(), field(case, "expected_key"));
        assert_eq!(hex(hash_to_integer_range_q(&[ssv.expose(), &uid].concat()).expose()), hex(&field(sakke, "r")));
        // Made again with our sender, the SED is the same: the encapsulation is deterministic.
        assert_eq!(encapsulate_with_ssv(ssv.expose(), &b, &kms).unwrap().to_vec(), sed);
    }
}

#[test]
fn tampered_r_is_refused() {
    let sed = sender("encapsulated_data_SED_derived");
    // A flipped bit of x or y leaves the curve: malformed.
    for at in [1, 64, 128, 129, 200, 256] {
        let mut tampered = sed.clone();
        tampered[at] ^= 0x01;
        assert_eq!(kind(RFC_RECEIVER.decapsulate(&tampered)), ErrorKind::Malformed, "octet {at}");
    }
    // Other points of the curve: the TEST check refuses them.
    let r_point = &sed[..POINT_LEN];
    for other in [GENERATOR_P.to_vec(), negate_point(r_point), field(&RFC6508["kms"], "Z_uncompressed")] {
        let tampered = [&other[..], &sed[POINT_LEN..]].concat();
        assert_eq!(kind(RFC_RECEIVER.decapsulate(&tampered)), ErrorKind::AuthFailed);
    }
    // The untampered one passes (the refusals above are the tampering's).
    assert!(RFC_RECEIVER.decapsulate(&sed).is_ok());
}

#[test]
fn tampered_h_is_refused() {
    let sed = sender("encapsulated_data_SED_derived");
    for at in POINT_LEN..SED_LEN {
        for bit in [0x01, 0x80] {
            let mut tampered = sed.clone();
            tampered[at] ^= bit;
            assert_eq!(kind(RFC_RECEIVER.decapsulate(&tampered)), ErrorKind::AuthFailed, "octet {at}");
        }
    }
    // A wrong SSV fails the TEST check on its own.
    let r_point = Sed::parse(&sed).unwrap().point().clone();
    let mut wrong = receiver("SSV");
    wrong[15] ^= 1;
    assert_eq!(kind(RFC_RECEIVER.check_ssv(&wrong, &r_point)), ErrorKind::AuthFailed);
}

#[test]
fn the_wrong_identifier_is_refused() {
    let mut other = sender("b");
    other[5] = b'3'; // "2011-03": next month's identifier.
    let other = Identifier::new(&other).unwrap();
    let ssv = sender("SSV");
    let sed = encapsulate_with_ssv(&ssv, &other, &RFC_KMS).unwrap();
    assert_eq!(kind(RFC_RECEIVER.decapsulate(&sed)), ErrorKind::AuthFailed);
    // The RSK is not the other identifier's: its check fails.
    assert_eq!(kind(ReceiverSecretKey::new(&receiver("RSK_uncompressed"), &other, &RFC_KMS)), ErrorKind::AuthFailed);
    // The same integer with a leading zero octet is hashed differently: r, and so TEST, differ.
    let padded = Identifier::new(&[&[0u8][..], &sender("b")].concat()).unwrap();
    let sed = encapsulate_with_ssv(&ssv, &padded, &RFC_KMS).unwrap();
    assert_ne!(sed.to_vec(), sender("encapsulated_data_SED_derived"));
    assert_eq!(kind(RFC_RECEIVER.decapsulate(&sed)), ErrorKind::AuthFailed);
}

#[test]
fn the_wrong_rsk_is_refused() {
    let b = rfc_identifier();
    // Points of order q that are not the RSK of b: P, and the RSK negated.
    for wrong in [GENERATOR_P.to_vec(), negate_point(&receiver("RSK_uncompressed"))] {
        assert_eq!(kind(ReceiverSecretKey::new(&wrong, &b, &RFC_KMS)), ErrorKind::AuthFailed);
    }
    // The RSK under another KMS key.
    let other_kms = KmsPublicKey::new(&GENERATOR_P).unwrap();
    assert_eq!(kind(ReceiverSecretKey::new(&receiver("RSK_uncompressed"), &b, &other_kms)), ErrorKind::AuthFailed);
    // Another user's valid key cannot open Alice's message (Streamwide test 1 is for Alice).
    let vectors = &*STREAMWIDE;
    let kms = KmsPublicKey::new(&field(&vectors["kms"], "Z_PubEncKey")).unwrap();
    let gms = &vectors["users"]["GMS"];
    let gms_key =
        ReceiverSecretKey::new(&field(gms, "rsk"), &Identifier::new(&field(gms, "uid")).unwrap(), &kms).unwrap();
    let case = &vectors["cases"][0];
    let payload = case["payloads"].as_array().unwrap().iter().find(|p| p["payload"] == "SAKKE").unwrap();
    let sed = unhex(&payload["fields"]["sed"].as_str().unwrap().to_uppercase());
    assert_eq!(kind(gms_key.decapsulate(&sed)), ErrorKind::AuthFailed);
    // Alice's RSK given with GMS's identifier fails its check.
    let alice = &vectors["users"]["Alice"];
    let gms_uid = Identifier::new(&field(gms, "uid")).unwrap();
    assert_eq!(kind(ReceiverSecretKey::new(&field(alice, "rsk"), &gms_uid, &kms)), ErrorKind::AuthFailed);
}

#[test]
fn malformed_points_lengths_and_identifiers_are_refused() {
    let sed = sender("encapsulated_data_SED_derived");
    let b = rfc_identifier();
    for length in [0, 1, POINT_LEN, SED_LEN - 1, SED_LEN + 1] {
        let data: Vec<u8> = sed.iter().copied().cycle().take(length).collect();
        assert_eq!(kind(RFC_RECEIVER.decapsulate(&data)), ErrorKind::Malformed, "{length} octets");
    }
    // Not the uncompressed form: 0x02/0x03 (compressed), 0x00 (the identity), 0x06 (hybrid).
    for form in [0x00, 0x02, 0x03, 0x06] {
        let mut data = sed.clone();
        data[0] = form;
        assert_eq!(kind(RFC_RECEIVER.decapsulate(&data)), ErrorKind::Malformed);
        assert_eq!(kind(Point::from_uncompressed(&data[..POINT_LEN])), ErrorKind::Malformed);
    }
    // A coordinate of p or more (x = p encodes 0 out of range; (0, 0) itself is on the curve).
    let mut origin = [0u8; POINT_LEN];
    origin[0] = 4;
    let mut x_is_p = origin;
    x_is_p[1..=128].copy_from_slice(&PRIME_P);
    assert_eq!(kind(Point::from_uncompressed(&x_is_p)), ErrorKind::Malformed);
    let mut y_too_big = GENERATOR_P;
    y_too_big[129..].copy_from_slice(&[0xFF; 128]);
    assert_eq!(kind(Point::from_uncompressed(&y_too_big)), ErrorKind::Malformed);
    // Not on the curve: P with y + 1.
    let mut off_curve = GENERATOR_P;
    off_curve[POINT_LEN - 1] ^= 0x01;
    assert_eq!(kind(Point::from_uncompressed(&off_curve)), ErrorKind::Malformed);
    assert_eq!(kind(KmsPublicKey::new(&off_curve)), ErrorKind::InvalidArgument);
    assert_eq!(kind(ReceiverSecretKey::new(&off_curve, &b, &RFC_KMS)), ErrorKind::InvalidArgument);
    // (0, 0) is on the curve but of order 2: no key.
    assert!(Point::from_uncompressed(&origin).is_ok());
    assert_eq!(kind(KmsPublicKey::new(&origin)), ErrorKind::InvalidArgument);
    assert_eq!(kind(ReceiverSecretKey::new(&origin, &b, &RFC_KMS)), ErrorKind::InvalidArgument);
    // R = (0, 0) in an SED parses, and fails the TEST check.
    let data = [&origin[..], &sed[POINT_LEN..]].concat();
    assert_eq!(kind(RFC_RECEIVER.decapsulate(&data)), ErrorKind::AuthFailed);
    // Identifiers: 2 to q - 1, 1 to 128 octets.
    let mut q_minus_1 = ORDER_Q;
    q_minus_1[127] -= 1;
    for good in [&[2u8][..], &q_minus_1[..], &[0, 0, 2]] {
        assert!(Identifier::new(good).is_ok(), "{good:?}");
    }
    for bad in [&[][..], &[0u8][..], &[1], &[0, 1], &ORDER_Q[..], &[0xFF; 128], &[1; 129]] {
        assert_eq!(kind(Identifier::new(bad)), ErrorKind::InvalidArgument, "{bad:?}");
    }
    // The SSV is n = 128 bits.
    for length in [0, 15, 17, 32] {
        let ssv = vec![7u8; length];
        assert_eq!(kind(encapsulate_with_ssv(&ssv, &b, &RFC_KMS)), ErrorKind::InvalidArgument);
        assert_eq!(kind(sender_values(&ssv, &b, &RFC_KMS)), ErrorKind::InvalidArgument);
        let r_point = Point::from_uncompressed(&sed[..POINT_LEN]).unwrap();
        assert_eq!(kind(RFC_RECEIVER.check_ssv(&ssv, &r_point)), ErrorKind::InvalidArgument);
    }
}

/// Bytes from a counter: a deterministic source, as sessions take in tests.
struct Counter(std::sync::atomic::AtomicU8);

impl RandomSource for Counter {
    fn fill(&self, out: &mut [u8]) -> mikey::Result<()> {
        for byte in out {
            *byte = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }
}

struct Broken;

impl RandomSource for Broken {
    fn fill(&self, _: &mut [u8]) -> mikey::Result<()> {
        Err(Error::crypto("no randomness"))
    }
}

#[test]
fn random_ssvs_round_trip() {
    let b = rfc_identifier();
    let mut seds = Vec::new();
    for _ in 0..6 {
        let (ssv, sed) = encapsulate(&SystemRandomSource, &b, &RFC_KMS).unwrap();
        assert_eq!((ssv.len(), sed.len()), (SSV_LEN, SED_LEN));
        assert_eq!(RFC_RECEIVER.decapsulate(&sed).unwrap().expose(), ssv.expose());
        seds.push(sed);
    }
    seds.sort();
    seds.dedup();
    assert_eq!(seds.len(), 6, "fresh SSVs");
    // The SSV comes from the source given, and nowhere else.
    let (ssv, sed) = encapsulate(&Counter(0.into()), &b, &RFC_KMS).unwrap();
    assert_eq!(ssv.expose(), (0..16).collect::<Vec<u8>>());
    assert_eq!(sed, encapsulate_with_ssv(ssv.expose(), &b, &RFC_KMS).unwrap());
    assert_eq!(kind(encapsulate(&Broken, &b, &RFC_KMS)), ErrorKind::Crypto);
}

#[test]
fn leading_zero_octets_of_h_and_g_r_are_kept() {
    let b = rfc_identifier();
    let ssv = |n: u128| n.to_be_bytes();
    // SSV 553: H starts with a zero octet; the SED is still 273 octets and opens.
    let sed = encapsulate_with_ssv(&ssv(553), &b, &RFC_KMS).unwrap();
    assert_eq!(hex(&sed[POINT_LEN..]), "003ECA7EAFE55805C27B40F4B5247EFA");
    assert_eq!(RFC_RECEIVER.decapsulate(&sed).unwrap().expose(), ssv(553));
    // SSV 95: g^r starts with a zero octet; it is hashed as 128 octets (RFC 6508 §4), which a
    // minimal-length encoding (Streamwide's) does not match.
    let values = sender_values(&ssv(95), &b, &RFC_KMS).unwrap();
    let g_r = values.g_pow_r().expose();
    assert_eq!(
        hex(g_r),
        concat!(
            "0091022E3B1B146438CAF73378FACC2DAA5616728CB683A7ECD434522A4E27EF",
            "71CD9B25BB19B5D318DF6A0255B51F4093B49DECD7180500894F41FB01926092",
            "86EBFB4DC55A8AE3BB94E653013B15CC69512106A93A136D83513A5FA996DC2E",
            "A42538AE2AC7195BBDA2DDAFDB94C1FB0A70DF420294AD737E0A0986AD2E8713",
        )
    );
    let sed = encapsulate_with_ssv(&ssv(95), &b, &RFC_KMS).unwrap();
    assert_eq!(hex(&sed[POINT_LEN..]), "D772638383A59C8938F43FF567496EC7");
    assert_ne!(hash_to_integer_range_2n(g_r).expose(), hash_to_integer_range_2n(&g_r[1..]).expose());
    assert_eq!(RFC_RECEIVER.decapsulate(&sed).unwrap().expose(), ssv(95));
    let w = RFC_RECEIVER.pairing_value(values.point()).unwrap();
    assert_eq!(w.expose(), g_r);
}

#[test]
fn keys_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>(_: &T) {}
    shared(&*RFC_KMS);
    shared(&*RFC_RECEIVER);
    shared(&rfc_identifier());
    // Decapsulations on two threads at once, with one key.
    let sed = sender("encapsulated_data_SED_derived");
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..2).map(|_| scope.spawn(|| RFC_RECEIVER.decapsulate(&sed).unwrap())).collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap().expose(), receiver("SSV"));
        }
    });
}

#[test]
fn debug_output_shows_no_secret() {
    let shown = format!("{:?}", *RFC_RECEIVER);
    assert!(shown.contains(&hex(&sender("b"))), "{shown}");
    assert!(!shown.contains(&hex(&receiver("Kbx"))[..16]));
    let values = sender_values(&sender("SSV"), &rfc_identifier(), &RFC_KMS).unwrap();
    let shown = format!("{values:?}");
    assert!(shown.contains("redacted") && !shown.contains(&hex(&sender("g_pow_r"))[..16]), "{shown}");
    assert!(shown.contains(&hex(&sender("Rbx"))[..16]), "R_(b,S) is public: {shown}");
}

#[test]
fn a_kms_of_the_appendix_a_secret_makes_its_public_key_and_issues_its_rsk() {
    // RFC 6508 §6.1.1 and Appendix A: Z = [z]P, RSK = [(b + z)^-1]P.
    let kms = Kms::from_secret(&field(&RFC6508["kms"], "z")).unwrap();
    assert_eq!(kms.public_key().point().to_uncompressed().to_vec(), field(&RFC6508["kms"], "Z_uncompressed"));
    assert_eq!(kms.issue(&rfc_identifier()).unwrap().to_vec(), receiver("RSK_uncompressed"));
    // What it issues to another identifier validates (RFC 6508 §6.1.2) and opens what is sent
    // to that identifier.
    let other = Identifier::new(b"sip:carol@example.org").unwrap();
    let rsk = ReceiverSecretKey::new(&kms.issue(&other).unwrap()[..], &other, kms.public_key()).unwrap();
    let (ssv, sed) = encapsulate(&SystemRandomSource, &other, kms.public_key()).unwrap();
    assert_eq!(rsk.decapsulate(&sed).unwrap().expose(), ssv.expose());
    assert_eq!(kind(Kms::from_secret(&[])), ErrorKind::InvalidArgument);
    assert_eq!(kind(Kms::from_secret(&ORDER_Q)), ErrorKind::InvalidArgument);
}
