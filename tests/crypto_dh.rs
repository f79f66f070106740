//! Diffie-Hellman over the OAKLEY groups (`mikey::crypto::dh`, RFC 3830 §3.3, §4.2.7, §6.4):
//! group constants against RFC 2412, agreement, public-value range, peer-value validation,
//! known answers and redaction.
//!
//! The known answers were computed offline with Python 3's built-in `pow` (arbitrary-precision
//! integers, independent of aws-lc), the primes taken from
//! tests/vectors/modp_groups_oakley_1_2_5.json:
//!
//! ```python
//! p = int(group["prime"], 16); n = group["octets"]
//! x1 = int.from_bytes(bytes(range(32)), "big")          # 00 01 .. 1F
//! x2 = int.from_bytes(bytes(range(31, -1, -1)), "big")  # 1F 1E .. 00
//! pub1 = pow(2, x1, p); pub2 = pow(2, x2, p); shared = pow(pub2, x1, p)
//! assert shared == pow(pub1, x2, p)
//! hex = lambda v: v.to_bytes(n, "big").hex().upper()
//! ```
//!
//! and, for OAKLEY 1, the first x = 0xA5A5..A5 + k (k = 0, 1, ..) whose public value
//! (respectively whose shared secret with pub2) is below 2^760, i.e. starts with a zero byte.

mod common;

use std::sync::Mutex;

use common::{Scripted, Zeros};
use mikey::crypto::dh::{prime, DhKeyPair};
use mikey::crypto::{RandomSource, SystemRandomSource};
use mikey::wire::DhGroup;
use mikey::{Error, ErrorKind, MikeyErrorCode};

const GROUPS: [DhGroup; 3] = [DhGroup::Oakley5, DhGroup::Oakley1, DhGroup::Oakley2];

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len().is_multiple_of(2), "odd hex length");
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).expect("hex digit"))
        .collect()
}

/// Big-endian bytes of a decimal number (digits only; whitespace ignored).
fn decimal_to_be_bytes(decimal: &str) -> Vec<u8> {
    let mut little_endian: Vec<u8> = Vec::new();
    for c in decimal.chars().filter(|c| !c.is_whitespace()) {
        let mut carry = c.to_digit(10).expect("decimal digit");
        for byte in &mut little_endian {
            let v = u32::from(*byte) * 10 + carry;
            *byte = v as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            little_endian.push(carry as u8);
            carry >>= 8;
        }
    }
    little_endian.reverse();
    little_endian
}

/// (p-1)/2 for an odd big-endian p.
fn half_of_p_minus_1(p: &[u8]) -> Vec<u8> {
    let mut carry = 0u8;
    let mut q: Vec<u8> = p
        .iter()
        .enumerate()
        .map(|(i, &byte)| {
            let byte = if i == p.len() - 1 { byte & !1 } else { byte };
            let out = (byte >> 1) | carry;
            carry = byte << 7;
            out
        })
        .collect();
    if q.first() == Some(&0) {
        q.remove(0);
    }
    q
}

/// `p + delta` (delta may be negative, small), big-endian, with the carry kept (may grow a byte).
fn add_small(p: &[u8], delta: i32) -> Vec<u8> {
    let mut out = p.to_vec();
    let mut carry = delta;
    for byte in out.iter_mut().rev() {
        let v = i32::from(*byte) + carry;
        *byte = v.rem_euclid(256) as u8;
        carry = v.div_euclid(256);
        if carry == 0 {
            break;
        }
    }
    if carry > 0 {
        out.insert(0, carry as u8);
    }
    out
}

/// p - y, big-endian, same length (y <= p).
fn sub_from(p: &[u8], y: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; p.len()];
    let mut borrow = 0i32;
    for i in (0..p.len()).rev() {
        let v = i32::from(p[i]) - i32::from(y[i]) - borrow;
        out[i] = v.rem_euclid(256) as u8;
        borrow = i32::from(v < 0);
    }
    assert_eq!(borrow, 0);
    out
}

/// xorshift64* as a RandomSource: deterministic, for agreement tests.
struct XorShift(Mutex<u64>);

impl XorShift {
    fn new(seed: u64) -> Self {
        XorShift(Mutex::new(seed | 1))
    }
}

impl RandomSource for XorShift {
    fn fill(&self, out: &mut [u8]) -> mikey::Result<()> {
        let mut state = self.0.lock().unwrap();
        for chunk in out.chunks_mut(8) {
            *state ^= *state >> 12;
            *state ^= *state << 25;
            *state ^= *state >> 27;
            let word = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_be_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

/// Always fails.
struct Failing;

impl RandomSource for Failing {
    fn fill(&self, _out: &mut [u8]) -> mikey::Result<()> {
        Err(Error::crypto("entropy source unavailable"))
    }
}

fn key_pair_with_exponent(group: DhGroup, x: &[u8]) -> DhKeyPair {
    let rng = Scripted::new(&[x]);
    let pair = DhKeyPair::generate(group, &rng).unwrap();
    assert_eq!(rng.remaining(), 0);
    pair
}

/// x as the 32-byte big-endian exponent the key pair draws.
fn exponent(x: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[24..].copy_from_slice(&x.to_be_bytes());
    out
}

// ---------------------------------------------------------------------------------------------
// Group constants
// ---------------------------------------------------------------------------------------------

/// RFC 2412 Appendix E.1/E.2/E.5, copied verbatim: (group, prime hex words, decimal value,
/// "Group order largest prime factor" hex words, strength).
const RFC2412: [(DhGroup, &str, &str, &str); 3] = [
    (
        DhGroup::Oakley1,
        "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
         29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
         EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
         E485B576 625E7EC6 F44C42E9 A63A3620 FFFFFFFF FFFFFFFF",
        "155251809230070893513091813125848175563133404943451431320235
         119490296623994910210725866945387659164244291000768028886422
         915080371891804634263272761303128298374438082089019628850917
         0691316593175367469551763119843371637221007210577919",
        "7FFFFFFF FFFFFFFF E487ED51 10B4611A 62633145 C06E0E68
         94812704 4533E63A 0105DF53 1D89CD91 28A5043C C71A026E
         F7CA8CD9 E69D218D 98158536 F92F8A1B A7F09AB6 B6A8E122
         F242DABB 312F3F63 7A262174 D31D1B10 7FFFFFFF FFFFFFFF",
    ),
    (
        DhGroup::Oakley2,
        "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
         29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
         EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
         E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
         EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381
         FFFFFFFF FFFFFFFF",
        "179769313486231590770839156793787453197860296048756011706444
         423684197180216158519368947833795864925541502180565485980503
         646440548199239100050792877003355816639229553136239076508735
         759914822574862575007425302077447712589550957937778424442426
         617334727629299387668709205606050270810842907692932019128194
         467627007",
        "7FFFFFFF FFFFFFFF E487ED51 10B4611A 62633145 C06E0E68
         94812704 4533E63A 0105DF53 1D89CD91 28A5043C C71A026E
         F7CA8CD9 E69D218D 98158536 F92F8A1B A7F09AB6 B6A8E122
         F242DABB 312F3F63 7A262174 D31BF6B5 85FFAE5B 7A035BF6
         F71C35FD AD44CFD2 D74F9208 BE258FF3 24943328 F67329C0
         FFFFFFFF FFFFFFFF",
    ),
    (
        DhGroup::Oakley5,
        "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
         29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
         EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
         E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
         EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
         C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
         83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
         670C354E 4ABC9804 F1746C08 CA237327 FFFFFFFF FFFFFFFF",
        "241031242692103258855207602219756607485695054850245994265411
         694195810883168261222889009385826134161467322714147790401219
         650364895705058263194273070680500922306273474534107340669624
         601458936165977404102716924945320037872943417032584377865919
         814376319377685986952408894019557734611984354530154704374720
         774996976375008430892633929555996888245787241299381012913029
         459299994792636526405928464720973038494721168143446471443848
         8520940127459844288859336526896320919633919",
        "7FFFFFFF FFFFFFFF E487ED51 10B4611A 62633145 C06E0E68
         94812704 4533E63A 0105DF53 1D89CD91 28A5043C C71A026E
         F7CA8CD9 E69D218D 98158536 F92F8A1B A7F09AB6 B6A8E122
         F242DABB 312F3F63 7A262174 D31BF6B5 85FFAE5B 7A035BF6
         F71C35FD AD44CFD2 D74F9208 BE258FF3 24943328 F6722D9E
         E1003E5C 50B1DF82 CC6D241B 0E2AE9CD 348B1FD4 7E9267AF
         C1B2AE91 EE51D6CB 0E3179AB 1042A95D CF6A9483 B84B4B36
         B3861AA7 255E4C02 78BA3604 6511B993 FFFFFFFF FFFFFFFF",
    ),
];

#[test]
fn primes_equal_rfc_2412_hex_and_decimal_and_half_p_minus_1_is_the_group_order() {
    for (group, prime_hex, decimal, order_hex) in RFC2412 {
        let prime = prime(group);
        assert_eq!(prime, hex(prime_hex), "{group:?} prime vs RFC 2412 hex");
        assert_eq!(prime, decimal_to_be_bytes(decimal), "{group:?} prime vs RFC 2412 decimal");
        assert_eq!(half_of_p_minus_1(prime), hex(order_hex), "{group:?} (p-1)/2 vs RFC 2412");
    }
}

#[test]
fn value_lengths_and_codes_follow_rfc_3830_table_6_4() {
    let table = [(DhGroup::Oakley5, 0u8, 1536usize), (DhGroup::Oakley1, 1, 768), (DhGroup::Oakley2, 2, 1024)];
    for (group, code, bits) in table {
        assert_eq!(group.value_len() * 8, bits);
        assert_eq!(prime(group).len(), group.value_len());
        assert_eq!(group.code(), code);
        assert_eq!(DhGroup::from_code(code), Some(group));
    }
    assert_eq!(
        [DhGroup::Oakley5.value_len(), DhGroup::Oakley1.value_len(), DhGroup::Oakley2.value_len()],
        [192, 96, 128]
    );
    for code in 3..=255u8 {
        assert_eq!(DhGroup::from_code(code), None);
    }
}

/// Against the spec files themselves (copies in tests/vectors/, see its README): the JSON
/// vector file the constants were copied from, and RFC 2412's Appendix E text.
#[test]
fn primes_equal_the_spec_files() {
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let json = std::fs::read_to_string(vectors.join("modp_groups_oakley_1_2_5.json")).unwrap();
    let rfc2412 = std::fs::read_to_string(vectors.join("rfc2412_appendix_e.txt")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    for entry in json["groups"].as_array().unwrap() {
        let code = u8::try_from(entry["mikey_dh_group_value"].as_u64().unwrap()).unwrap();
        let group = DhGroup::from_code(code).unwrap();
        assert_eq!(entry["octets"].as_u64().unwrap() as usize, group.value_len());
        assert_eq!(entry["generator"].as_u64().unwrap(), 2);
        assert_eq!(prime(group), hex(entry["prime"].as_str().unwrap()));
        assert_eq!(half_of_p_minus_1(prime(group)), hex(entry["q_equals_p_minus_1_over_2"].as_str().unwrap()));
    }

    // RFC 2412 App. E: in each section, the hex words after "Prime modulus" and after "Group order
    // largest prime factor" (each a "Data (hex):" block), and the decimal value.
    for (group, heading) in [
        (DhGroup::Oakley1, "E.1. Well-Known Group 1"),
        (DhGroup::Oakley2, "E.2. Well-Known Group 2"),
        (DhGroup::Oakley5, "E.5. Well-Known Group 5"),
    ] {
        let start = rfc2412.find(heading).unwrap();
        let section = &rfc2412[start..];
        let hex_block_after = |label: &str| -> Vec<u8> {
            let from = section.find(label).unwrap();
            let data = from + section[from..].find("Data (hex):").unwrap() + "Data (hex):".len();
            let words: String = section[data..]
                .lines()
                .skip(1)
                .take_while(|line| {
                    let line = line.trim();
                    !line.is_empty()
                        && line.split_whitespace().all(|w| w.len() == 8 && w.chars().all(|c| c.is_ascii_hexdigit()))
                })
                .collect();
            hex(&words)
        };
        assert_eq!(prime(group), hex_block_after("Prime modulus"), "{heading}");
        assert_eq!(half_of_p_minus_1(prime(group)), hex_block_after("Group order largest prime factor"), "{heading}");
        let from = section.find("decimal value is").unwrap() + "decimal value is".len();
        let to = from + section[from..].find("rigorously").unwrap();
        // Digit-only lines; the page footer and header between them are skipped.
        let decimal: String = section[from..to]
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && line.chars().all(|c| c.is_ascii_digit()))
            .collect();
        assert_eq!(prime(group), decimal_to_be_bytes(&decimal), "{heading} decimal");
    }
}

// ---------------------------------------------------------------------------------------------
// Agreement and public values
// ---------------------------------------------------------------------------------------------

#[test]
fn two_key_pairs_agree_in_every_group() {
    for group in GROUPS {
        for seed in [1u64, 0x0123_4567_89AB_CDEF, 0xDEAD_BEEF] {
            let initiator = DhKeyPair::generate(group, &XorShift::new(seed)).unwrap();
            let responder = DhKeyPair::generate(group, &XorShift::new(seed.wrapping_mul(31).wrapping_add(7))).unwrap();
            assert_eq!(initiator.group(), group);
            assert_ne!(initiator.public_value(), responder.public_value());
            let tgk_i = initiator.shared_secret(responder.public_value()).unwrap();
            let tgk_r = responder.shared_secret(initiator.public_value()).unwrap();
            assert_eq!(tgk_i.len(), group.value_len());
            assert_eq!(tgk_i.expose(), tgk_r.expose(), "{group:?} seed {seed:#x}");
            assert_ne!(tgk_i.expose(), initiator.public_value());
        }
        // And with the system RNG.
        let a = DhKeyPair::generate(group, &SystemRandomSource).unwrap();
        let b = DhKeyPair::generate(group, &SystemRandomSource).unwrap();
        assert_eq!(
            a.shared_secret(b.public_value()).unwrap().expose(),
            b.shared_secret(a.public_value()).unwrap().expose()
        );
    }
}

#[test]
fn same_seed_same_key_pair() {
    let a = DhKeyPair::generate(DhGroup::Oakley1, &XorShift::new(42)).unwrap();
    let b = DhKeyPair::generate(DhGroup::Oakley1, &XorShift::new(42)).unwrap();
    assert_eq!(a.public_value(), b.public_value());
}

#[test]
fn public_values_have_the_group_length_and_lie_in_2_to_p_minus_2() {
    for group in GROUPS {
        let p = prime(group);
        let p_minus_1 = add_small(p, -1);
        for seed in 1..=20u64 {
            let pair = DhKeyPair::generate(group, &XorShift::new(seed)).unwrap();
            let y = pair.public_value();
            assert_eq!(y.len(), group.value_len());
            // Equal-length big-endian strings compare like the integers.
            assert!(y < p_minus_1.as_slice(), "{group:?}");
            assert!(y.iter().rev().skip(1).any(|&b| b != 0) || y[y.len() - 1] >= 2);
            // A key pair accepts its own and other valid public values.
            pair.shared_secret(y).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Peer-value validation
// ---------------------------------------------------------------------------------------------

fn assert_invalid_dh(result: mikey::Result<mikey::SecretBytes>, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.kind(), ErrorKind::Malformed, "{what}: {err}");
    assert_eq!(err.peer_code(), Some(MikeyErrorCode::InvalidDh), "{what}");
}

#[test]
fn out_of_range_and_wrong_length_peer_values_are_rejected_with_invalid_dh() {
    for group in GROUPS {
        let pair = DhKeyPair::generate(group, &XorShift::new(7)).unwrap();
        let n = group.value_len();
        let p = prime(group);
        let mut zero = vec![0u8; n];
        assert_invalid_dh(pair.shared_secret(&zero), "0");
        zero[n - 1] = 1;
        assert_invalid_dh(pair.shared_secret(&zero), "1");
        assert_invalid_dh(pair.shared_secret(&add_small(p, -1)), "p-1");
        assert_invalid_dh(pair.shared_secret(p), "p");
        let p_plus_1 = add_small(p, 1);
        assert_eq!(p_plus_1.len(), n);
        assert_invalid_dh(pair.shared_secret(&p_plus_1), "p+1");
        assert_invalid_dh(pair.shared_secret(&vec![0xFF; n]), "all 0xFF");

        // Lengths: a valid number with an extra leading zero byte, a truncated value, empty,
        // one byte, and the other groups' lengths.
        let valid = DhKeyPair::generate(group, &XorShift::new(8)).unwrap();
        let mut padded = vec![0u8];
        padded.extend_from_slice(valid.public_value());
        assert_invalid_dh(pair.shared_secret(&padded), "n+1 bytes");
        assert_invalid_dh(pair.shared_secret(&valid.public_value()[1..]), "n-1 bytes");
        assert_invalid_dh(pair.shared_secret(&[]), "empty");
        assert_invalid_dh(pair.shared_secret(&[2]), "one byte");
        for other in GROUPS.into_iter().filter(|&g| g != group) {
            let theirs = DhKeyPair::generate(other, &XorShift::new(9)).unwrap();
            assert_invalid_dh(pair.shared_secret(theirs.public_value()), "other group's value");
        }
        // Still usable afterwards.
        pair.shared_secret(valid.public_value()).unwrap();
    }
}

#[test]
fn peer_values_2_and_p_minus_2_are_accepted() {
    for group in GROUPS {
        let pair = DhKeyPair::generate(group, &XorShift::new(11)).unwrap();
        let n = group.value_len();
        // y = 2 = g: y^x is our own public value.
        let mut two = vec![0u8; n];
        two[n - 1] = 2;
        assert_eq!(pair.shared_secret(&two).unwrap().expose(), pair.public_value());
        // y = p-2 = -2: y^x = ±2^x, i.e. our public value or p minus it.
        let minus_two = add_small(prime(group), -2);
        let secret = pair.shared_secret(&minus_two).unwrap();
        let negated = sub_from(prime(group), pair.public_value());
        assert!(secret.expose() == pair.public_value() || secret.expose() == negated.as_slice());
    }
}

// ---------------------------------------------------------------------------------------------
// Known answers (Python pow, see the module comment)
// ---------------------------------------------------------------------------------------------

/// (group, pub1 = 2^x1, pub2 = 2^x2, shared = 2^(x1*x2)), x1 = 00 01 .. 1F, x2 = 1F 1E .. 00.
const KAT: [(DhGroup, &str, &str, &str); 3] = [
    (
        DhGroup::Oakley1,
        "757595CCFA9171FC10E6AE714B003ABCA760093A643D3D65A714E8B775A5BA4B2C81FC78B2240165FDC2BC20578BD37A\
         345931D79E97A14B6CCC3C446081FE93221BFE859ED71B36D13FB53C882DAC99D1787092A17DACBD9A453ED33647EF7E",
        "4D3942778FC8E2C5BDAF398ED41A3AC49E4229B14C2D6993420DC425BE2B5C8A8479D179AF606D8234FFB40A7BCE677A\
         7A3CB04CB00402E311BA10BBD1BC9B34BCD226838C2A168ACF10A4EEF5BFD2834B02D115D52B570A314A2A24006A2D5E",
        "20380A8C12C8227A1448E2CBBB27EB723443ABF37CE2C3B2E292D88B59A5AB66016C6607FDD3C48DA9AED91D99283F1D\
         817C9BFC1B4034052D289F456495C226676E25C56DA5C5CABE762271A9629FAC78C00D7DCA2033A9AC02449FB2B107FF",
    ),
    (
        DhGroup::Oakley2,
        "2DBB058B34968F2815E2606A6006A0B2AECD9BA79FF997D12DB9D74BFB40F1D34898C3DE176FC9229C4BD10C3EC057FE\
         162DC117FF2E698EB8B6B8DCF882FF45228818ACC149FAF2F664BF2CD209F3707238103317F27B9D887B6CADEF650258\
         2FB9BAAF37C1E9B9D4824BCCDC6D7DC97B99CDB0808EED2225AEB50A0838B3D7",
        "591F1E67165073F60C247AD7D2874285C62005EB1AF5F28DFA1273CD57A7FB480291D1940907B74A0E8594549B780C73\
         6C9D6CFF79C77CA01F39AC9239B2D479F77CEEE376AAB77F9F60434126AC527D09147983F2D6A9382B1DE007CC1CD71E\
         BBEC9374970BECD464B4BABACFB5ED39C99D4A0B6BFF74CC40B309FD755F91DD",
        "8373D4AD5ED2F8F0359475F6B3E8B0717765AF2B2D0C5EC965DC846E6E7A3D695E1F51E51C61C20576937B057FC0E8CF\
         99A7BB56EEC0D7750DEC23328123247AC3092C070E4D575F7571A50B8A9F43A687F5F2DF50C8167DA92CC32543C80F55\
         27F36B091783C8578171AB3FFE0A8F4120FE58410FAC8E7C03E7C6CC57876189",
    ),
    (
        DhGroup::Oakley5,
        "636AF523EF8A93DD394F8010E02A9CFE465EDA3D814A153DC796F22BF060B265C59CEA0BCF2DA902EA0239B3D73F5840\
         DEE3AE97A81CFFC7DE5B22A57AE4F681675B4BF558143064B3A2FE31E99C58902A06E8B95D5C983A1E3B8C0DC31411AB\
         D9020AB72028ADA3C8D81982F6F731451CE063E8E73D8F84B288011A05489D8290C6FC104C147247A29B5B0A6BEBCE76\
         2DB3CE9455969604EE4AF5D4A0C4CB987795A5B69B2C47C47CC62988933E8F15FC77C56E715F282ED3D4A03CEC469331",
        "9089C7F01E0CBDB18390729BD99CAE8944ABBD8672B594AA516C988FF4C3F9AB6986E6B1526D13129AA7F566F8A2BEDC\
         9E3A9073C6DFD89062FD0010D21AFE583E7F18DEF5CEFAA23A19E53CA58B498E3BB32017F07773098E2AD2A8AE78E2F4\
         3424EC0B8A376884AC4AA52F25E8E2998AFFD354BC88162A67576190EC2817660136ED176148C28DA980E4CD85926BD0\
         75B57D80A2E7B994CD5E7BC7FE7733DA7CD6DB64F4BAC7A0EE14B70A75AF404E1BDB301542A048303FBC905517A7A6B8",
        "50CF4B8B63084AF58B038136F892DF8911080B565DF9FFB6143BB9C9169B5180107E72084CDA7C2B3B90C03995F23B45\
         4CBF6E5C3DBB8C2218530A84FE21CA57A62CA09DE4CE2496DEEC7BBEA60C8737720D2135195B93DA3E56678601BF6721\
         C5444F3B08ECCB4022EF7FBDD8689350562B568E7C9924B4A95B51DB4C342F0C4639A8BFB47BA2D48E18CEDF89A4423E\
         08C54852D46CF28FAC58422B39359E8197AD440621D2A5D4AEDB343662BA21FE3696229A5A52A601115F0A73FDDD8922",
    ),
];

fn x1() -> Vec<u8> {
    (0u8..32).collect()
}

fn x2() -> Vec<u8> {
    (0u8..32).rev().collect()
}

#[test]
fn known_answers_computed_with_python_pow() {
    for (group, pub1, pub2, shared) in KAT {
        let a = key_pair_with_exponent(group, &x1());
        let b = key_pair_with_exponent(group, &x2());
        assert_eq!(a.public_value(), hex(pub1), "{group:?} 2^x1");
        assert_eq!(b.public_value(), hex(pub2), "{group:?} 2^x2");
        assert_eq!(a.shared_secret(b.public_value()).unwrap().expose(), hex(shared), "{group:?} (2^x2)^x1");
        assert_eq!(b.shared_secret(a.public_value()).unwrap().expose(), hex(shared), "{group:?} (2^x1)^x2");
    }
}

#[test]
fn known_answers_small_and_extreme_exponents() {
    for group in GROUPS {
        let n = group.value_len();
        // 2^x for x < 768 needs no reduction (every p > 2^767): byte n-1-x/8 is 1 << (x % 8).
        for x in [2u64, 5, 255, 256, 700, 767] {
            let mut expected = vec![0u8; n];
            expected[n - 1 - (x / 8) as usize] = 1 << (x % 8);
            assert_eq!(key_pair_with_exponent(group, &exponent(x)).public_value(), expected, "{group:?} 2^{x}");
        }
    }
    // 2^(2^256 - 1) mod p for OAKLEY 1 (Python: pow(2, 2**256 - 1, p)).
    assert_eq!(
        key_pair_with_exponent(DhGroup::Oakley1, &[0xFF; 32]).public_value(),
        hex("DC64672F73AA0EABD5CE9169F3B932D54A3EB044133EF056B6C968995E29E360FB7F2D5E24E9F50452484E0200A17B49\
             18C2DE94B18FC1E1C02C9FEC408A67AA461401BCA643A71EF3CCF0410C29A1623A3E6DA1961BA9072DEBA966A805A3BE")
    );
}

#[test]
fn leading_zero_bytes_are_kept_in_public_value_and_shared_secret() {
    let group = DhGroup::Oakley1;
    let a = key_pair_with_exponent(group, &hex("A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A864"));
    assert_eq!(
        a.public_value(),
        hex("004E78AF7F8DE556B0B24F1B8DC2D787D72B22F8033D0879A464D5C625F6ADBBBB74637C38293F76B7290B28F8E40780\
             5B601631BDDAC18156EDCD059CDF2188F52D5B17AB264F41E49A80CAD4C2448A80D0521EE3EC8078D46F9712787C265F")
    );
    // Peers accept it as is (96 bytes, leading zero) and agree.
    let b = key_pair_with_exponent(group, &x2());
    assert_eq!(
        a.shared_secret(b.public_value()).unwrap().expose(),
        b.shared_secret(a.public_value()).unwrap().expose()
    );

    let c = key_pair_with_exponent(group, &hex("A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5B1"));
    assert_eq!(
        c.public_value(),
        hex("BB2C8EF118CE877244A546B129B69F7141E3057570C62ADF65E52D2BA590E5CC1E083F38068D2E60304145C60B31F4D1\
             A23E655BD1D69F4BD520873964737716EB6F161E8AC3ED8DDC1B50314FC0FC287611220A95DC5300C83A1A7DD1316796")
    );
    let tgk = c.shared_secret(b.public_value()).unwrap();
    assert_eq!(tgk.len(), 96);
    assert_eq!(
        tgk.expose(),
        hex("00C747C9E7D53E04E8E670F0BACAE232AE6C0735B4E8BBD06AAA44D200A5FD85AD40BE8C7E0490A26FD61EECB58D4941\
             33DA92CFE6C36F4F63EA148B8C6792441D251B66930FF6E96A804143F98A5446F545D0E9E6A39F83F40B0B5AB9A13E31")
    );
    assert_eq!(b.shared_secret(c.public_value()).unwrap().expose(), tgk.expose());
}

// ---------------------------------------------------------------------------------------------
// Randomness handling
// ---------------------------------------------------------------------------------------------

#[test]
fn exponents_0_and_1_are_drawn_again() {
    let mut one = [0u8; 32];
    one[31] = 1;
    let rng = Scripted::new(&[&[0u8; 32], &one, &x1()]);
    let pair = DhKeyPair::generate(DhGroup::Oakley1, &rng).unwrap();
    assert_eq!(rng.remaining(), 0);
    assert_eq!(pair.public_value(), hex(KAT[0].1));
}

#[test]
fn a_broken_or_failing_random_source_is_an_error_not_a_hang_or_panic() {
    for group in GROUPS {
        let err = DhKeyPair::generate(group, &Zeros).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Crypto);
        let err = DhKeyPair::generate(group, &Failing).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Crypto);
        assert_eq!(err.context(), "entropy source unavailable");
    }
}

// ---------------------------------------------------------------------------------------------
// Hygiene
// ---------------------------------------------------------------------------------------------

#[test]
fn debug_shows_no_secret() {
    let x = hex("C0FFEE0123456789ABCDEF0011223344556677889900AABBCCDDEEFF13579BDF");
    let pair = key_pair_with_exponent(DhGroup::Oakley2, &x);
    let shown = format!("{pair:?}");
    let shown_alt = format!("{pair:#?}");
    assert!(shown.contains("redacted"), "{shown}");
    assert!(shown.contains("Oakley2"), "{shown}");
    for text in [&shown, &shown_alt] {
        let lower = text.to_lowercase();
        assert!(!lower.contains("c0ffee"), "{text}");
        assert!(!lower.contains("192"), "{text}"); // 0xC0 as decimal
        assert!(!text.contains("[") && !text.contains("0x"), "no byte lists: {text}");
    }
    let other = key_pair_with_exponent(DhGroup::Oakley2, &x2());
    let secret = pair.shared_secret(other.public_value()).unwrap();
    assert_eq!(format!("{secret:?}"), "SecretBytes(128 bytes, redacted)");
}

#[test]
fn key_pairs_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<DhKeyPair>();
    assert_send_sync::<DhGroup>();
}
