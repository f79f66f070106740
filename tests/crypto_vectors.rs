//! Known-answer tests for `mikey::crypto` against published vectors (copied into the test as constants, each naming its source).
//!
//! The hex values are copied from the JSON files (serde_json is not a dependency); each group
//! names its file and keys.

use aws_lc_rs::hmac;
use mikey::crypto::{
    ct_eq, decrypt_key_data, encrypt_key_data, EnvelopeDeriver, EnvelopeKeyPurpose, KeyTransport, MacAlgorithm, MacKey,
    PrfFunction, PrfKey, RandomSource, SystemRandomSource, TgkDeriver, TgkKeyPurpose,
};
use mikey::ErrorKind;

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit")).collect()
}

// ---------------------------------------------------------------------------------------------
// mikey_prf_helper_computed.json
// ---------------------------------------------------------------------------------------------

/// One `tgk_cases[k].outputs[j]` entry: (purpose, label, value).
type TgkOutput = (TgkKeyPurpose, &'static str, &'static str);

/// `tgk_cases[k]`: (prf, tgk, cs_id, outputs). All use csb_id 12345678, RAND A0..AF.
struct TgkCase {
    name: &'static str,
    prf: PrfFunction,
    tgk: &'static str,
    cs_id: u8,
    outputs: &'static [TgkOutput],
}

const HELPER_CSB_ID: u32 = 0x1234_5678;
const HELPER_RAND: &str = "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF";

const TGK_CASES: &[TgkCase] = &[
    TgkCase {
        name: "default PRF, 128-bit TGK, SRTP AES-CM TEK + 112-bit salt",
        prf: PrfFunction::MikeyHmacSha1,
        tgk: "000102030405060708090A0B0C0D0E0F",
        cs_id: 1,
        outputs: &[
            (
                TgkKeyPurpose::Tek,
                "2AD01C640112345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                "9BA4F67E6A85E7E7E9AA57681CA1F27D",
            ),
            (TgkKeyPurpose::Salt, "39A2C14B0112345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF", "C19BD30C0F756DF5CB26CB343639"),
        ],
    },
    TgkCase {
        name: "default PRF, 1536-bit TGK (n = 6), TEK 128 + salt 112 + auth 160",
        prf: PrfFunction::MikeyHmacSha1,
        tgk: concat!(
            "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
            "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F",
            "404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F",
            "606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F",
            "808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F",
            "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"
        ),
        cs_id: 2,
        outputs: &[
            (
                TgkKeyPurpose::Tek,
                "2AD01C640212345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                "77A408A6CBE6B41BEBF7B5411240B652",
            ),
            (TgkKeyPurpose::Salt, "39A2C14B0212345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF", "F1589633857CEB218A87A9CABAA9"),
            (
                TgkKeyPurpose::AuthKey,
                "1B5C79730212345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                "766C37847C0D5D885A919A93CF0A09A08C06040A",
            ),
        ],
    },
    TgkCase {
        name: "default PRF, 320-bit TGK (n = 2, short last block), 256-bit TEK (m = 2), 128-bit encr",
        prf: PrfFunction::MikeyHmacSha1,
        tgk: "404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F6061626364656667",
        cs_id: 0,
        outputs: &[
            (
                TgkKeyPurpose::Tek,
                "2AD01C640012345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                "6D644AC05295B2246AB6C24755A17C27CE1FAD71D6D30D72477F45B8E9D82A78",
            ),
            (
                TgkKeyPurpose::EncrKey,
                "15798CEF0012345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                "B634FE3843C01E5074040801E007157B",
            ),
        ],
    },
    TgkCase {
        name: "PRF-HMAC-SHA-256, 48-octet TGK (n = 2), 384-bit output (m = 2) + 96-bit salt",
        prf: PrfFunction::HmacSha256,
        tgk: "808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
        cs_id: 3,
        outputs: &[
            (
                TgkKeyPurpose::Tek,
                "2AD01C640312345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                concat!(
                    "AB6EE8BC918F00C5AF46D9E9DF25AE770CD221727A4BB6DEEC68ED69BB488E11",
                    "16CA08D594A22B7727D7F83E15C4DA65"
                ),
            ),
            (TgkKeyPurpose::Salt, "39A2C14B0312345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF", "D3A448A069ED11BE4B2811AC"),
        ],
    },
];

/// One `psk_cases[k].outputs[j]` entry: (purpose, label, value).
type PskOutput = (EnvelopeKeyPurpose, &'static str, &'static str);

struct PskCase {
    name: &'static str,
    prf: PrfFunction,
    inkey: &'static str,
    outputs: &'static [PskOutput],
}

const PSK_CASES: &[PskCase] = &[
    PskCase {
        name: "default PRF, 128-bit PSK: encr 128, salt 112, auth 160",
        prf: PrfFunction::MikeyHmacSha1,
        inkey: "101112131415161718191A1B1C1D1E1F",
        outputs: &[
            (
                EnvelopeKeyPurpose::EncrKey,
                "150533E1FF12345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                "82222D40DB0CDC619E2549EF2C27EF32",
            ),
            (
                EnvelopeKeyPurpose::Salt,
                "29B88916FF12345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                "C417042CDED72CA507B70C1C2524",
            ),
            (
                EnvelopeKeyPurpose::AuthKey,
                "2D22AC75FF12345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                "5C0B0C9E9A7BE44228915BDA0E45013C2932F230",
            ),
        ],
    },
    PskCase {
        name: "PRF-HMAC-SHA-256, 256-bit PSK (exactly one block): encr 256, salt 112, auth 256",
        prf: PrfFunction::HmacSha256,
        inkey: "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F",
        outputs: &[
            (
                EnvelopeKeyPurpose::EncrKey,
                "150533E1FF12345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                "A25C23D336917E0C3B45A60AB73B70842DC3C822E972C96CC9B411A75A5C0F52",
            ),
            (
                EnvelopeKeyPurpose::Salt,
                "29B88916FF12345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                "4D0045E523E70DB0CA71C65D614E",
            ),
            (
                EnvelopeKeyPurpose::AuthKey,
                "2D22AC75FF12345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
                "EC4951F54067DD56669A6F92248C7B4790448D51739BF9AA06DC82573AAF6515",
            ),
        ],
    },
];

#[test]
fn prf_helper_tgk_cases_via_prf_and_label() {
    let mut checked = 0;
    for case in TGK_CASES {
        for (_, label, value) in case.outputs {
            let want = hex(value);
            let mut out = vec![0u8; want.len()];
            PrfKey::new(case.prf, &hex(case.tgk)).derive(&hex(label), &mut out);
            assert_eq!(out, want, "{}: label {label}", case.name);
            checked += 1;
        }
    }
    assert_eq!(checked, 9);
}

#[test]
fn prf_helper_tgk_cases_via_tgk_deriver() {
    let mut checked = 0;
    for case in TGK_CASES {
        for (purpose, label, value) in case.outputs {
            // The label in the file starts with the purpose constant.
            assert_eq!(hex(&label[..8]), purpose.constant().to_be_bytes().to_vec());
            let want = hex(value);
            let got = TgkDeriver::new(case.prf, &hex(case.tgk), HELPER_CSB_ID, &hex(HELPER_RAND)).derive_secret(
                *purpose,
                case.cs_id,
                want.len(),
            );
            assert_eq!(got.expose(), want.as_slice(), "{}: {purpose:?}", case.name);
            checked += 1;
        }
    }
    assert_eq!(checked, 9);
}

#[test]
fn prf_helper_psk_cases_via_envelope_deriver() {
    let mut checked = 0;
    for case in PSK_CASES {
        for (purpose, label, value) in case.outputs {
            assert_eq!(hex(&label[..8]), purpose.constant().to_be_bytes().to_vec());
            let want = hex(value);
            let got = EnvelopeDeriver::new(case.prf, &hex(case.inkey), HELPER_CSB_ID, &hex(HELPER_RAND))
                .derive_secret(*purpose, want.len());
            assert_eq!(got.expose(), want.as_slice(), "{}: {purpose:?}", case.name);
            // And the raw PRF with the printed label.
            let mut out = vec![0u8; want.len()];
            PrfKey::new(case.prf, &hex(case.inkey)).derive(&hex(label), &mut out);
            assert_eq!(out, want, "{}: label {label}", case.name);
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}

// ---------------------------------------------------------------------------------------------
// mikey_kdf_crosscheck_streamwide.json ("cases": tgk, cs_id, csb_id, rand, key_constant, key,
// salt; the salt constant is always 0x39A2C14B)
// ---------------------------------------------------------------------------------------------

struct StreamwideCase {
    name: &'static str,
    cs_id: u8,
    csb_id: u32,
    key_purpose: TgkKeyPurpose,
    key: &'static str,
    salt: &'static str,
}

const STREAMWIDE_TGK: &str = "A27B7D578EEB9B1EE7705E385996D300";
const STREAMWIDE_RAND: &str = "4339F62F55AAC86348846A482C893802";

const STREAMWIDE_CASES: &[StreamwideCase] = &[
    StreamwideCase {
        name: "encr_and_salt, cs_id 4",
        cs_id: 4,
        csb_id: 0x05A8_5C16,
        key_purpose: TgkKeyPurpose::EncrKey,
        key: "3924935940C154CCBC3C2AD05C8F5181",
        salt: "1725869B80F370CC9F24E13B",
    },
    StreamwideCase {
        name: "encr_and_salt, cs_id 0",
        cs_id: 0,
        csb_id: 0x05A8_5C16,
        key_purpose: TgkKeyPurpose::EncrKey,
        key: "F17C80A8D2F9BEFA47CF712603D7229A",
        salt: "C3B7B561A291A1D3ABEF482B",
    },
    StreamwideCase {
        name: "tek_and_salt, cs_id 4",
        cs_id: 4,
        csb_id: 0x0633_F457,
        key_purpose: TgkKeyPurpose::Tek,
        key: "59AAA49EBB54813602B7CC165961B4E8",
        salt: "745EB4DF7D155C473114A799",
    },
];

#[test]
fn streamwide_kdf_crosscheck_prf_hmac_sha256() {
    for case in STREAMWIDE_CASES {
        let tgk = hex(STREAMWIDE_TGK);
        let rand = hex(STREAMWIDE_RAND);
        let key = TgkDeriver::new(PrfFunction::HmacSha256, &tgk, case.csb_id, &rand).derive_secret(
            case.key_purpose,
            case.cs_id,
            16,
        );
        assert_eq!(key.expose(), hex(case.key).as_slice(), "{} key", case.name);
        let salt = TgkDeriver::new(PrfFunction::HmacSha256, &tgk, case.csb_id, &rand).derive_secret(
            TgkKeyPurpose::Salt,
            case.cs_id,
            12,
        );
        assert_eq!(salt.expose(), hex(case.salt).as_slice(), "{} salt", case.name);
    }
}

#[test]
fn prf_hmac_sha1_and_sha256_differ() {
    let tgk = hex(STREAMWIDE_TGK);
    let a = TgkDeriver::new(PrfFunction::MikeyHmacSha1, &tgk, 1, &[0; 16]).derive_secret(TgkKeyPurpose::Tek, 4, 16);
    let b = TgkDeriver::new(PrfFunction::HmacSha256, &tgk, 1, &[0; 16]).derive_secret(TgkKeyPurpose::Tek, 4, 16);
    assert_ne!(a.expose(), b.expose());
}

// ---------------------------------------------------------------------------------------------
// rfc3711_srtp_appendixB.json "B2_aes_cm": session_key, keystream_blocks, segment length
// ---------------------------------------------------------------------------------------------

const B2_KEY: &str = "2B7E151628AED2A6ABF7158809CF4F3C";
/// The 112-bit part of the B.2 counter ("offset" F0F1...FCFD || 0000). With CSB ID 0 and T 0
/// the §4.2.3 IV is exactly the B.2 initial counter.
const B2_SALT: &str = "F0F1F2F3F4F5F6F7F8F9FAFBFCFD";
const B2_SEGMENT_LEN: usize = 1_044_512;
const B2_FIRST_BLOCKS: &str =
    concat!("E03EAD0935C95E80E166B16DD92B4EB4", "D23513162B02D0F72A43A2FE4A5F97AB", "41E95B3BB0A2E8DD477901E4FCA894C0");
const B2_LAST_BLOCKS: &str =
    concat!("EC8CDF7398607CB0F2D21675EA9EA1E4", "362B7C3C6773516318A077D7FC5073AE", "6A2CC3787889374FBEB4C81B17BA6C44");

#[test]
fn aes_cm_rfc3711_b2_keystream_through_kemac_iv() {
    let zeros = vec![0u8; B2_SEGMENT_LEN];
    let ks = encrypt_key_data(KeyTransport::AesCm128, &hex(B2_KEY), &hex(B2_SALT), 0, &[0; 8], &zeros).unwrap();
    assert_eq!(ks.len(), B2_SEGMENT_LEN);
    assert_eq!(&ks[..48], hex(B2_FIRST_BLOCKS).as_slice());
    assert_eq!(&ks[B2_SEGMENT_LEN - 48..], hex(B2_LAST_BLOCKS).as_slice());
}

#[test]
fn aes_cm_iv_folds_csb_id_and_timestamp_into_salt() {
    // IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000: using (S, csb, T) must equal using the
    // pre-XORed salt with csb 0 and T 0.
    let key = hex(B2_KEY);
    let salt = hex(B2_SALT);
    let csb_id = 0xDEAD_BEEFu32;
    let ts = hex("E3A1B2C3D4E5F607");
    let mut folded = salt.clone();
    for (k, b) in csb_id.to_be_bytes().iter().enumerate() {
        folded[2 + k] ^= b;
    }
    for (k, b) in ts.iter().enumerate() {
        folded[6 + k] ^= b;
    }
    let pt: Vec<u8> = (0..100u8).collect();
    let a = encrypt_key_data(KeyTransport::AesCm128, &key, &salt, csb_id, &ts, &pt).unwrap();
    let b = encrypt_key_data(KeyTransport::AesCm128, &key, &folded, 0, &[0; 8], &pt).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, pt);
    // B.2's first keystream block, relocated: the folded salt with the B.2 key and zero data.
    let c = encrypt_key_data(KeyTransport::AesCm128, &key, &folded, 0, &[0; 8], &[0; 16]).unwrap();
    let d = encrypt_key_data(KeyTransport::AesCm128, &key, &salt, csb_id, &ts, &[0; 16]).unwrap();
    assert_eq!(c, d);
}

#[test]
fn aes_cm_size_limit() {
    let key = [1u8; 16];
    let salt = [2u8; 14];
    let ok = vec![0u8; 1 << 20];
    assert!(encrypt_key_data(KeyTransport::AesCm128, &key, &salt, 0, &[0; 8], &ok).is_ok());
    let too_long = vec![0u8; (1 << 20) + 1];
    let e = encrypt_key_data(KeyTransport::AesCm128, &key, &salt, 0, &[0; 8], &too_long).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = decrypt_key_data(KeyTransport::AesCm128, &key, &salt, 0, &[0; 8], &too_long).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
}

// ---------------------------------------------------------------------------------------------
// RFC 3394 §4.1 (128-bit key data, 128-bit KEK, default IV A6A6A6A6A6A6A6A6)
// ---------------------------------------------------------------------------------------------

const KW_KEK: &str = "000102030405060708090A0B0C0D0E0F";
const KW_DATA: &str = "00112233445566778899AABBCCDDEEFF";
const KW_OUT: &str = "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5";
const KW_DEFAULT_IV: [u8; 8] = [0xA6; 8];

#[test]
fn aes_kw_rfc3394_4_1_with_default_iv_as_salt() {
    let wrapped =
        encrypt_key_data(KeyTransport::AesKw128, &hex(KW_KEK), &KW_DEFAULT_IV, 7, &[], &hex(KW_DATA)).unwrap();
    assert_eq!(wrapped, hex(KW_OUT));
    let unwrapped = decrypt_key_data(KeyTransport::AesKw128, &hex(KW_KEK), &KW_DEFAULT_IV, 7, &[], &wrapped).unwrap();
    assert_eq!(unwrapped.expose(), hex(KW_DATA).as_slice());
}

#[test]
fn aes_kw_custom_iv_round_trip_and_tamper() {
    let kek = hex(KW_KEK);
    let iv = hex("29B889160533E1FF");
    let data: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37)).collect();
    let wrapped = encrypt_key_data(KeyTransport::AesKw128, &kek, &iv, 0, &[], &data).unwrap();
    assert_eq!(wrapped.len(), data.len() + 8);
    let back = decrypt_key_data(KeyTransport::AesKw128, &kek, &iv, 0, &[], &wrapped).unwrap();
    assert_eq!(back.expose(), data.as_slice());

    let mut tampered = wrapped.clone();
    tampered[13] ^= 0x80;
    let e = decrypt_key_data(KeyTransport::AesKw128, &kek, &iv, 0, &[], &tampered).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AuthFailed);

    let e = decrypt_key_data(KeyTransport::AesKw128, &kek, &KW_DEFAULT_IV, 0, &[], &wrapped).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AuthFailed);
}

// ---------------------------------------------------------------------------------------------
// Round trips, MAC, argument checks
// ---------------------------------------------------------------------------------------------

#[test]
fn encrypt_decrypt_round_trip_all_transports() {
    let pt: Vec<u8> = (0..48u8).collect();
    let ts = hex("E3A1B2C3D4E5F607");
    for t in [KeyTransport::Null, KeyTransport::AesCm128, KeyTransport::AesKw128] {
        let key = vec![0x42u8; t.key_len()];
        let salt = vec![0x24u8; t.salt_len()];
        let ct = encrypt_key_data(t, &key, &salt, 99, &ts, &pt).unwrap();
        if t == KeyTransport::Null {
            assert_eq!(ct, pt);
        } else {
            assert_ne!(&ct[..pt.len()], pt.as_slice());
        }
        let back = decrypt_key_data(t, &key, &salt, 99, &ts, &ct).unwrap();
        assert_eq!(back.expose(), pt.as_slice(), "{t:?}");
    }
    // AES-CM with a different CSB ID does not decrypt to the plaintext.
    let ct = encrypt_key_data(KeyTransport::AesCm128, &[1; 16], &[2; 14], 5, &ts, &pt).unwrap();
    let wrong = decrypt_key_data(KeyTransport::AesCm128, &[1; 16], &[2; 14], 6, &ts, &ct).unwrap();
    assert_ne!(wrong.expose(), pt.as_slice());
}

#[test]
fn transport_and_mac_lengths() {
    assert_eq!((KeyTransport::Null.key_len(), KeyTransport::Null.salt_len()), (0, 0));
    assert_eq!((KeyTransport::AesCm128.key_len(), KeyTransport::AesCm128.salt_len()), (16, 14));
    assert_eq!((KeyTransport::AesKw128.key_len(), KeyTransport::AesKw128.salt_len()), (16, 8));
    assert_eq!((MacAlgorithm::Null.tag_len(), MacAlgorithm::Null.key_len()), (0, 0));
    assert_eq!((MacAlgorithm::HmacSha1_160.tag_len(), MacAlgorithm::HmacSha1_160.key_len()), (20, 20));
}

#[test]
fn hmac_sha1_rfc2202_test_case_1() {
    // RFC 2202 §3 test case 1: key = 0x0b * 20, data = "Hi There".
    let tag = MacKey::new(MacAlgorithm::HmacSha1_160, &[0x0b; 20]).sign(b"Hi There").as_slice().to_vec();
    assert_eq!(tag, hex("B617318655057264E28BC0B6FB378C8EF146BE00"));
    assert!(MacKey::new(MacAlgorithm::HmacSha1_160, &[0x0b; 20]).verify(b"Hi There", &tag).is_ok());
}

#[test]
fn mac_verify_accepts_and_rejects() {
    let key = [0x33u8; 20];
    let data = b"MIKEY message up to the MAC field";
    let tag = MacKey::new(MacAlgorithm::HmacSha1_160, &key).sign(data).as_slice().to_vec();
    assert_eq!(tag.len(), 20);
    MacKey::new(MacAlgorithm::HmacSha1_160, &key).verify(data, &tag).unwrap();

    for bit in [0usize, 7, 80, 159] {
        let mut t = tag.clone();
        t[bit / 8] ^= 1 << (bit % 8);
        let e = MacKey::new(MacAlgorithm::HmacSha1_160, &key).verify(data, &t).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AuthFailed);
        assert_eq!(e.context(), "MAC mismatch");
    }
    let mut d = data.to_vec();
    d[3] ^= 0x01;
    assert_eq!(
        MacKey::new(MacAlgorithm::HmacSha1_160, &key).verify(&d, &tag).unwrap_err().kind(),
        ErrorKind::AuthFailed
    );
    // Truncated, extended and empty tags.
    for t in [&tag[..19], &[tag.as_slice(), &[0]].concat()[..], &[][..]] {
        assert_eq!(
            MacKey::new(MacAlgorithm::HmacSha1_160, &key).verify(data, t).unwrap_err().kind(),
            ErrorKind::AuthFailed
        );
    }
    // NULL MAC: empty tag only.
    assert!(MacKey::new(MacAlgorithm::Null, &key).sign(data).is_empty());
    MacKey::new(MacAlgorithm::Null, &key).verify(data, &[]).unwrap();
    assert_eq!(MacKey::new(MacAlgorithm::Null, &key).verify(data, &[0]).unwrap_err().kind(), ErrorKind::AuthFailed);
}

#[test]
fn wrong_lengths_are_errors_not_panics() {
    let pt = [0u8; 32];
    let ts = [0u8; 8];
    let cases: &[(KeyTransport, usize, usize, usize)] = &[
        (KeyTransport::AesCm128, 15, 14, 8),
        (KeyTransport::AesCm128, 32, 14, 8),
        (KeyTransport::AesCm128, 16, 13, 8),
        (KeyTransport::AesCm128, 16, 16, 8),
        (KeyTransport::AesCm128, 16, 14, 4),
        (KeyTransport::AesCm128, 16, 14, 0),
        (KeyTransport::AesKw128, 0, 8, 8),
        (KeyTransport::AesKw128, 24, 8, 8),
        (KeyTransport::AesKw128, 16, 7, 8),
        (KeyTransport::AesKw128, 16, 14, 8),
    ];
    for &(t, kl, sl, tl) in cases {
        let key = vec![1u8; kl];
        let salt = vec![2u8; sl];
        let e = encrypt_key_data(t, &key, &salt, 0, &ts[..tl], &pt).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{t:?} {kl} {sl} {tl}");
        let e = decrypt_key_data(t, &key, &salt, 0, &ts[..tl], &pt).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{t:?} {kl} {sl} {tl}");
    }
    // AES-KW plaintext: multiple of 8, at least 16.
    for len in [0usize, 8, 15, 17, 23] {
        let e = encrypt_key_data(KeyTransport::AesKw128, &[1; 16], &[2; 8], 0, &[], &vec![0; len]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "len {len}");
    }
    // AES-KW ciphertext: multiple of 8, at least 24.
    for len in [0usize, 8, 16, 23, 25] {
        let e = decrypt_key_data(KeyTransport::AesKw128, &[1; 16], &[2; 8], 0, &[], &vec![0; len]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed, "len {len}");
    }
    // Empty AES-CM data is fine.
    let empty = encrypt_key_data(KeyTransport::AesCm128, &[1; 16], &[2; 14], 0, &ts, &[]).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn ct_eq_and_rng() {
    assert!(ct_eq(&hex(KW_OUT), &hex(KW_OUT)));
    assert!(!ct_eq(&hex(KW_OUT), &hex(KW_DATA)));
    let mut a = [0u8; 32];
    SystemRandomSource.fill(&mut a).unwrap();
    assert_ne!(a, [0u8; 32]);
}

// ---------------------------------------------------------------------------------------------
// Prepared keys (PrfKey, TgkDeriver, EnvelopeDeriver, MacKey), reused, against freshly prepared
// ones and an independent aws-lc-rs HMAC reference of RFC 3830 §4.1.2
// ---------------------------------------------------------------------------------------------

const FUNCTIONS: [PrfFunction; 3] = [PrfFunction::MikeyHmacSha1, PrfFunction::HmacSha256, PrfFunction::MinisipHmacSha1];
const TGK_PURPOSES: [TgkKeyPurpose; 4] =
    [TgkKeyPurpose::Tek, TgkKeyPurpose::Salt, TgkKeyPurpose::AuthKey, TgkKeyPurpose::EncrKey];
const ENVELOPE_PURPOSES: [EnvelopeKeyPurpose; 3] =
    [EnvelopeKeyPurpose::EncrKey, EnvelopeKeyPurpose::AuthKey, EnvelopeKeyPurpose::Salt];

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed)).collect()
}

/// RFC 3830 §4.1.2 written out with aws-lc-rs `hmac` (the PRF's implementation before PrfKey):
/// 32-byte chunks (an empty inkey is one empty chunk), XOR of P(s_i, label, m), truncated.
/// minisip's variant gives the last chunk the length inkey_len mod 32 (README of the minisip
/// vectors).
fn reference_prf(function: PrfFunction, inkey: &[u8], label: &[u8], out_len: usize) -> Vec<u8> {
    let (algorithm, minisip) = match function {
        PrfFunction::MikeyHmacSha1 => (hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, false),
        PrfFunction::MinisipHmacSha1 => (hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, true),
        PrfFunction::HmacSha256 => (hmac::HMAC_SHA256, false),
    };
    let block = algorithm.digest_algorithm().output_len();
    let m = out_len.div_ceil(block);
    let mut chunks: Vec<&[u8]> = if inkey.is_empty() { vec![&[]] } else { inkey.chunks(32).collect() };
    if minisip {
        let last = chunks.len() - 1;
        chunks[last] = &chunks[last][..inkey.len() % 32];
    }
    let mut out = vec![0u8; m * block];
    for s in chunks {
        let key = hmac::Key::new(algorithm, s);
        let mut a = label.to_vec();
        for i in 0..m {
            a = hmac::sign(&key, &a).as_ref().to_vec();
            let t = hmac::sign(&key, &[a.as_slice(), label].concat());
            for (o, x) in out[i * block..(i + 1) * block].iter_mut().zip(t.as_ref()) {
                *o ^= x;
            }
        }
    }
    out.truncate(out_len);
    out
}

#[test]
fn prf_key_derive_equals_a_fresh_key_and_reference() {
    let labels = [Vec::new(), hex("2AD01C640112345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), bytes(64, 9), bytes(300, 1)];
    for function in FUNCTIONS {
        // Empty, short, one full chunk, one byte over, several chunks, 192 bytes (n = 6), odd.
        for key_len in [0usize, 1, 16, 20, 31, 32, 33, 64, 65, 100, 192, 200] {
            let inkey = bytes(key_len, 3);
            let key = PrfKey::new(function, &inkey);
            assert_eq!(key.function(), function);
            for label in &labels {
                // Single block, block boundaries of SHA-1 and SHA-256, several blocks (m up to 8).
                for out_len in [0usize, 1, 14, 16, 19, 20, 21, 31, 32, 33, 40, 41, 64, 65, 100, 160] {
                    let mut via_key = vec![0xA5u8; out_len];
                    key.derive(label, &mut via_key);
                    let mut via_fresh_key = vec![0x5Au8; out_len];
                    PrfKey::new(function, &inkey).derive(label, &mut via_fresh_key);
                    assert_eq!(
                        via_key,
                        via_fresh_key,
                        "{function:?} key {key_len} label {} out {out_len}",
                        label.len()
                    );
                    assert_eq!(
                        via_key,
                        reference_prf(function, &inkey, label, out_len),
                        "{function:?} key {key_len} label {} out {out_len}",
                        label.len()
                    );
                }
            }
        }
    }
}

#[test]
fn prf_key_is_reusable_in_any_order() {
    // A prepared key carries no state from one derivation to the next.
    for function in FUNCTIONS {
        let inkey = bytes(192, 0x40);
        let key = PrfKey::new(function, &inkey);
        let labels: Vec<Vec<u8>> = (0..6).map(|i| bytes(9 + 16 * i, i as u8)).collect();
        let first: Vec<Vec<u8>> = labels
            .iter()
            .map(|l| {
                let mut out = vec![0u8; 46];
                key.derive(l, &mut out);
                out
            })
            .collect();
        for (label, want) in labels.iter().zip(&first).rev() {
            let mut out = vec![0u8; 46];
            key.derive(label, &mut out);
            assert_eq!(&out, want);
            assert_eq!(out, reference_prf(function, &inkey, label, 46));
        }
    }
}

#[test]
fn prf_key_reproduces_the_helper_vectors() {
    for case in TGK_CASES {
        let key = PrfKey::new(case.prf, &hex(case.tgk));
        for (_, label, value) in case.outputs {
            let want = hex(value);
            let mut out = vec![0u8; want.len()];
            key.derive(&hex(label), &mut out);
            assert_eq!(out, want, "{}: label {label}", case.name);
        }
    }
    for case in PSK_CASES {
        let key = PrfKey::new(case.prf, &hex(case.inkey));
        for (_, label, value) in case.outputs {
            let want = hex(value);
            let mut out = vec![0u8; want.len()];
            key.derive(&hex(label), &mut out);
            assert_eq!(out, want, "{}: label {label}", case.name);
        }
    }
}

#[test]
fn derivers_reproduce_the_helper_and_streamwide_vectors() {
    for case in TGK_CASES {
        let deriver = TgkDeriver::new(case.prf, &hex(case.tgk), HELPER_CSB_ID, &hex(HELPER_RAND));
        for (purpose, _, value) in case.outputs {
            let want = hex(value);
            let mut out = vec![0u8; want.len()];
            deriver.derive(*purpose, case.cs_id, &mut out);
            assert_eq!(out, want, "{}: {purpose:?}", case.name);
            assert_eq!(deriver.derive_secret(*purpose, case.cs_id, want.len()).expose(), want.as_slice());
        }
    }
    for case in PSK_CASES {
        let deriver = EnvelopeDeriver::new(case.prf, &hex(case.inkey), HELPER_CSB_ID, &hex(HELPER_RAND));
        for (purpose, _, value) in case.outputs {
            let want = hex(value);
            let mut out = vec![0u8; want.len()];
            deriver.derive(*purpose, &mut out);
            assert_eq!(out, want, "{}: {purpose:?}", case.name);
            assert_eq!(deriver.derive_secret(*purpose, want.len()).expose(), want.as_slice());
        }
    }
    for case in STREAMWIDE_CASES {
        let deriver =
            TgkDeriver::new(PrfFunction::HmacSha256, &hex(STREAMWIDE_TGK), case.csb_id, &hex(STREAMWIDE_RAND));
        let mut key = [0u8; 16];
        deriver.derive(case.key_purpose, case.cs_id, &mut key);
        assert_eq!(key.to_vec(), hex(case.key), "{} key", case.name);
        let mut salt = [0u8; 12];
        deriver.derive(TgkKeyPurpose::Salt, case.cs_id, &mut salt);
        assert_eq!(salt.to_vec(), hex(case.salt), "{} salt", case.name);
    }
}

#[test]
fn derivers_equal_fresh_derivers_for_every_purpose() {
    // RAND: none, the usual 16 bytes, the largest a RAND payload carries, and longer.
    for function in FUNCTIONS {
        for key_len in [16usize, 32, 48, 192] {
            let inkey = bytes(key_len, 0x11);
            for rand_len in [0usize, 16, 255, 256, 300] {
                let rand = bytes(rand_len, 0x77);
                for csb_id in [0u32, 0x1234_5678, u32::MAX] {
                    let tgk = TgkDeriver::new(function, &inkey, csb_id, &rand);
                    for purpose in TGK_PURPOSES {
                        for cs_id in [0u8, 1, 2, 255] {
                            for out_len in [0usize, 12, 14, 16, 20, 32, 46] {
                                let want = TgkDeriver::new(function, &inkey, csb_id, &rand)
                                    .derive_secret(purpose, cs_id, out_len);
                                let mut out = vec![0xEEu8; out_len];
                                tgk.derive(purpose, cs_id, &mut out);
                                assert_eq!(out, want.expose(), "{function:?} {purpose:?} cs {cs_id} rand {rand_len}");
                                // And the label of §4.1.3 given to the reference PRF.
                                let label =
                                    [&purpose.constant().to_be_bytes()[..], &[cs_id], &csb_id.to_be_bytes(), &rand]
                                        .concat();
                                assert_eq!(out, reference_prf(function, &inkey, &label, out_len));
                            }
                        }
                    }
                    let envelope = EnvelopeDeriver::new(function, &inkey, csb_id, &rand);
                    for purpose in ENVELOPE_PURPOSES {
                        for out_len in [0usize, 14, 16, 20, 32, 46] {
                            let want =
                                EnvelopeDeriver::new(function, &inkey, csb_id, &rand).derive_secret(purpose, out_len);
                            let mut out = vec![0xEEu8; out_len];
                            envelope.derive(purpose, &mut out);
                            assert_eq!(out, want.expose(), "{function:?} {purpose:?} rand {rand_len}");
                            let label =
                                [&purpose.constant().to_be_bytes()[..], &[0xFF], &csb_id.to_be_bytes(), &rand].concat();
                            assert_eq!(out, reference_prf(function, &inkey, &label, out_len));
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn mac_key_equals_a_fresh_key() {
    for key_len in [0usize, 16, 20, 64, 65, 100] {
        let key = bytes(key_len, 0x21);
        let prepared = MacKey::new(MacAlgorithm::HmacSha1_160, &key);
        assert_eq!(prepared.algorithm(), MacAlgorithm::HmacSha1_160);
        for data_len in [0usize, 1, 55, 56, 64, 150, 1000] {
            let data = bytes(data_len, 0x42);
            let tag = prepared.sign(&data);
            assert_eq!(tag.len(), 20);
            assert_eq!(tag.as_slice(), MacKey::new(MacAlgorithm::HmacSha1_160, &key).sign(&data).as_slice());
            let reference = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key), &data);
            assert_eq!(tag.as_ref(), reference.as_ref());
            let (x, y) = data.split_at(data_len / 2);
            assert_eq!(prepared.sign_parts(&[x, &[], y]).as_slice(), tag.as_slice());
            prepared.verify(&data, tag.as_slice()).unwrap();
            prepared.verify_parts(&[x, y], tag.as_slice()).unwrap();
            MacKey::new(MacAlgorithm::HmacSha1_160, &key).verify(&data, tag.as_slice()).unwrap();
            let mut bad = tag.as_slice().to_vec();
            bad[19] ^= 0x80;
            let e = prepared.verify(&data, &bad).unwrap_err();
            assert_eq!((e.kind(), e.context()), (ErrorKind::AuthFailed, "MAC mismatch"));
            assert_eq!(prepared.verify(&data, &tag.as_slice()[..19]).unwrap_err().kind(), ErrorKind::AuthFailed);
            assert_eq!(prepared.verify(&data, &[]).unwrap_err().kind(), ErrorKind::AuthFailed);
        }
    }
    // RFC 2202 §3 test case 1 through the prepared key.
    let tag = MacKey::new(MacAlgorithm::HmacSha1_160, &[0x0b; 20]).sign(b"Hi There");
    assert_eq!(tag.as_slice(), hex("B617318655057264E28BC0B6FB378C8EF146BE00").as_slice());
    // NULL: empty tag, only an empty tag verifies.
    let null = MacKey::new(MacAlgorithm::Null, &[1; 20]);
    assert!(null.sign(b"data").is_empty());
    null.verify(b"data", &[]).unwrap();
    assert_eq!(null.verify(b"data", &[0]).unwrap_err().kind(), ErrorKind::AuthFailed);
}

#[test]
fn prepared_keys_do_not_print_key_material() {
    let secret = [0xABu8; 32];
    let shown = format!(
        "{:?} {:?} {:?} {:?}",
        PrfKey::new(PrfFunction::MikeyHmacSha1, &secret),
        TgkDeriver::new(PrfFunction::HmacSha256, &secret, 7, &[1; 16]),
        EnvelopeDeriver::new(PrfFunction::MikeyHmacSha1, &secret, 7, &[1; 16]),
        MacKey::new(MacAlgorithm::HmacSha1_160, &secret),
    )
    .to_lowercase();
    for needle in ["ab", "171", "h:", "data", "state"] {
        assert!(!shown.contains(needle), "{shown}");
    }
    assert!(shown.contains("mikeyhmacsha1") && shown.contains("hmacsha256"), "{shown}");
    fn send_sync<T: Send + Sync>() {}
    send_sync::<PrfKey>();
    send_sync::<TgkDeriver>();
    send_sync::<EnvelopeDeriver>();
    send_sync::<MacKey>();
}
