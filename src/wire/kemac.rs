//! Key data transport payload (KEMAC, RFC 3830 §6.2), Key data sub-payloads (§6.13; the key
//! types of RFC 6043 §6.2.1) and key validity data (§6.14).

use std::borrow::Cow;
use std::fmt;

use smallvec::SmallVec;

use super::identity::IdPayload;
use super::reader::{put_u16_len, put_u8_len, Reader};
use super::registry::{KeyDataType, KeyValidityType, MacAlgorithmCode, PayloadType};
use crate::error::{Error, Result};
use crate::secret::{SecretBytes, SecretRef};

/// KEMAC: encrypted Key data sub-payloads and a MAC. `Debug` shows lengths, never the data:
/// with NULL encryption it is the keys in clear.
#[derive(Clone, PartialEq, Eq)]
pub struct Kemac<'a> {
    /// Encr alg (see `registry::encryption_algorithm`).
    pub encryption_algorithm: u8,
    /// The encrypted sub-payloads: ciphertext, or with NULL encryption the keys in clear.
    pub encrypted_data: Cow<'a, [u8]>,
    /// MAC alg.
    pub mac_algorithm: MacAlgorithmCode,
    /// The MAC; its length is implied by the MAC algorithm.
    pub mac: Cow<'a, [u8]>,
}

impl fmt::Debug for Kemac<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kemac")
            .field("encryption_algorithm", &self.encryption_algorithm)
            .field("encrypted_data_len", &self.encrypted_data.len())
            .field("mac_algorithm", &self.mac_algorithm)
            .field("mac_len", &self.mac.len())
            .finish()
    }
}

impl<'a> Kemac<'a> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self> {
        let encryption_algorithm = reader.u8("KEMAC encr alg")?;
        let encrypted_data = Cow::Borrowed(reader.take_u16_len("KEMAC encr data")?);
        let mac_code = reader.u8("KEMAC MAC alg")?;
        let mac_algorithm = MacAlgorithmCode::from_code(mac_code)
            .ok_or_else(|| Error::unsupported(format!("unknown KEMAC MAC algorithm {mac_code}")))?;
        let mac = Cow::Borrowed(reader.take(mac_algorithm.tag_len(), "KEMAC MAC")?);
        Ok(Kemac { encryption_algorithm, encrypted_data, mac_algorithm, mac })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        if self.mac.len() != self.mac_algorithm.tag_len() {
            return Err(Error::invalid_argument("KEMAC MAC length does not match its algorithm"));
        }
        out.push(self.encryption_algorithm);
        put_u16_len(out, &self.encrypted_data, "KEMAC encr data")?;
        out.push(self.mac_algorithm.code());
        out.extend_from_slice(&self.mac);
        Ok(())
    }
}

/// Key validity data (RFC 3830 §6.14).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum KeyValidity<'a> {
    /// No specific rule.
    #[default]
    Null,
    /// The key is bound to this SPI / SRTP MKI.
    Spi(Cow<'a, [u8]>),
    /// The key is valid from `from` to `to` (for SRTP, 6-byte packet indexes).
    Interval {
        /// Valid From.
        from: Cow<'a, [u8]>,
        /// Valid To.
        to: Cow<'a, [u8]>,
    },
}

impl<'a> KeyValidity<'a> {
    /// The KV type code.
    pub fn validity_type(&self) -> KeyValidityType {
        match self {
            KeyValidity::Null => KeyValidityType::Null,
            KeyValidity::Spi(_) => KeyValidityType::Spi,
            KeyValidity::Interval { .. } => KeyValidityType::Interval,
        }
    }

    /// Decodes the KV data of a type read from a 4-bit KV field.
    pub(crate) fn decode(kv_code: u8, reader: &mut Reader<'a>) -> Result<Self> {
        let kv_type = KeyValidityType::from_code(kv_code)
            .ok_or_else(|| Error::unsupported(format!("unknown key validity type {kv_code}")))?;
        Ok(match kv_type {
            KeyValidityType::Null => KeyValidity::Null,
            KeyValidityType::Spi => KeyValidity::Spi(Cow::Borrowed(reader.take_u8_len("KV SPI")?)),
            KeyValidityType::Interval => KeyValidity::Interval {
                from: Cow::Borrowed(reader.take_u8_len("KV valid from")?),
                to: Cow::Borrowed(reader.take_u8_len("KV valid to")?),
            },
        })
    }

    /// Appends the KV data (nothing for Null).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            KeyValidity::Null => Ok(()),
            KeyValidity::Spi(spi) => put_u8_len(out, spi, "KV SPI"),
            KeyValidity::Interval { from, to } => {
                put_u8_len(out, from, "KV valid from")?;
                put_u8_len(out, to, "KV valid to")
            }
        }
    }
}

/// A Key data sub-payload (RFC 3830 §6.13), as carried decrypted inside KEMAC.
#[derive(Clone, Debug)]
pub struct KeyData<'a> {
    /// TGK, TEK or GTGK, with or without salt, or MPK (RFC 6043 §6.2.1).
    pub key_type: KeyDataType,
    /// The key, borrowed from the plaintext or the key material that owns it.
    pub key: SecretRef<'a>,
    /// The salt, present exactly when `key_type` has one.
    pub salt: Option<SecretRef<'a>>,
    /// Key validity.
    pub validity: KeyValidity<'a>,
}

/// The decrypted content of a KEMAC: an optional leading ID payload (public-key methods,
/// §6.2) followed by Key data sub-payloads.
#[derive(Clone, Debug, Default)]
pub struct KeyDataList<'a> {
    /// The initiator's ID, which the PK methods put first inside the encryption.
    pub id: Option<IdPayload<'a>>,
    /// The key data sub-payloads, in order; one is the rule, and it is kept inline.
    pub keys: SmallVec<[KeyData<'a>; 1]>,
}

impl<'a> KeyDataList<'a> {
    /// Decodes the plaintext of a KEMAC. `leading_id` says whether the first sub-payload is an
    /// ID payload (public-key methods) rather than Key data. Empty plaintext is an update
    /// without keys (§4.5).
    pub fn decode(plaintext: &'a [u8], leading_id: bool) -> Result<Self> {
        let mut list = KeyDataList::default();
        let mut reader = Reader::new(plaintext);
        if reader.is_empty() && !leading_id {
            return Ok(list);
        }
        let mut next = if leading_id {
            let next = reader.u8("KEMAC ID next payload")?;
            list.id = Some(IdPayload::decode(&mut reader)?);
            next
        } else {
            PayloadType::KeyData.code()
        };
        while next != PayloadType::Last.code() {
            if next != PayloadType::KeyData.code() {
                return Err(Error::malformed(format!("payload {next} inside KEMAC, expected Key data")));
            }
            next = reader.u8("Key data next payload")?;
            list.keys.push(KeyData::decode(&mut reader)?);
        }
        if !reader.is_empty() {
            return Err(Error::malformed("bytes after the last Key data sub-payload"));
        }
        Ok(list)
    }

    /// Encodes the list as KEMAC plaintext (to be encrypted by the caller).
    pub fn encode(&self) -> Result<SecretBytes> {
        // Sized up front: a reallocation would leave a copy of the keys in freed memory.
        let mut out = Vec::with_capacity(self.encoded_len_bound());
        if let Some(id) = &self.id {
            out.push(if self.keys.is_empty() { PayloadType::Last } else { PayloadType::KeyData }.code());
            id.encode(&mut out)?;
        }
        for (index, key) in self.keys.iter().enumerate() {
            let is_last = index + 1 == self.keys.len();
            out.push(if is_last { PayloadType::Last } else { PayloadType::KeyData }.code());
            key.encode(&mut out)?;
        }
        Ok(SecretBytes::new(out))
    }

    /// Checks that every key names its SPI/MKI: a key validity of type SPI with a non-empty
    /// SPI, which RFC 6043 §6.2.1 makes mandatory for every key of its messages ("An SPI (or
    /// MKI) MUST be specified for each key").
    pub fn check_every_key_has_spi(&self) -> Result<()> {
        match self.keys.iter().position(|key| !matches!(&key.validity, KeyValidity::Spi(spi) if !spi.is_empty())) {
            None => Ok(()),
            Some(index) => Err(Error::malformed(format!(
                "Key data {} has no SPI/MKI, which RFC 6043 §6.2.1 requires of every key",
                index + 1
            ))),
        }
    }

    /// At least the encoded length: per sub-payload its next-payload, type and length fields
    /// (at most 8 bytes, KV lengths included) and its variable parts.
    fn encoded_len_bound(&self) -> usize {
        let validity_len = |validity: &KeyValidity<'_>| match validity {
            KeyValidity::Null => 0,
            KeyValidity::Spi(spi) => spi.len(),
            KeyValidity::Interval { from, to } => from.len() + to.len(),
        };
        let id_len = self.id.as_ref().map_or(0, |id| 8 + id.data.len());
        let keys_len: usize = self
            .keys
            .iter()
            .map(|key| 8 + key.key.len() + key.salt.map_or(0, |salt| salt.len()) + validity_len(&key.validity))
            .sum();
        id_len + keys_len
    }
}

impl<'a> KeyData<'a> {
    fn decode(reader: &mut Reader<'a>) -> Result<Self> {
        let type_and_kv = reader.u8("Key data type/KV")?;
        let type_code = type_and_kv >> 4;
        let key_type = KeyDataType::from_code(type_code)
            .ok_or_else(|| Error::unsupported(format!("unknown key data type {type_code}")))?;
        let key = SecretRef::new(reader.take_u16_len("Key data")?);
        let salt = if key_type.has_salt() { Some(SecretRef::new(reader.take_u16_len("Key data salt")?)) } else { None };
        let validity = KeyValidity::decode(type_and_kv & 0x0F, reader)?;
        Ok(KeyData { key_type, key, salt, validity })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        if self.key_type.has_salt() != self.salt.is_some() {
            return Err(Error::invalid_argument("key data type and salt presence disagree"));
        }
        out.push((self.key_type.code() << 4) | self.validity.validity_type().code());
        put_u16_len(out, self.key.expose(), "Key data")?;
        if let Some(salt) = &self.salt {
            put_u16_len(out, salt.expose(), "Key data salt")?;
        }
        self.validity.encode(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::registry::id_type;
    use crate::ErrorKind;
    use smallvec::smallvec;

    fn key<'a>(key_type: KeyDataType, salt: Option<&'a [u8]>, validity: KeyValidity<'a>) -> KeyData<'a> {
        KeyData { key_type, key: SecretRef::new(&[0x11; 16]), salt: salt.map(SecretRef::new), validity }
    }

    #[test]
    fn key_data_lists_round_trip_with_every_validity_type() {
        let list = KeyDataList {
            id: Some(IdPayload { id_type: id_type::URI, data: b"sip:alice@example.com".to_vec().into() }),
            keys: smallvec![
                key(KeyDataType::Tgk, None, KeyValidity::Null),
                key(KeyDataType::TekSalt, Some(&[0x22; 14]), KeyValidity::Spi(vec![0, 0, 0, 1].into())),
                key(
                    KeyDataType::TgkSalt,
                    Some(&[0x33; 14]),
                    KeyValidity::Interval { from: vec![0; 6].into(), to: vec![0xFF; 6].into() },
                ),
            ],
        };
        let bytes = list.encode().unwrap();
        let decoded = KeyDataList::decode(bytes.expose(), true).unwrap();
        assert_eq!(decoded.id, list.id);
        assert_eq!(decoded.keys.len(), 3);
        for (got, want) in decoded.keys.iter().zip(&list.keys) {
            assert_eq!(got.key_type, want.key_type);
            assert_eq!(got.key.expose(), want.key.expose());
            assert_eq!(got.salt.as_ref().map(|s| s.expose().to_vec()), want.salt.as_ref().map(|s| s.expose().to_vec()));
            assert_eq!(got.validity, want.validity);
        }
    }

    #[test]
    fn tgk_with_spi_has_the_rfc_layout() {
        let list =
            KeyDataList { id: None, keys: smallvec![key(KeyDataType::Tgk, None, KeyValidity::Spi(vec![7].into()))] };
        let bytes = list.encode().unwrap();
        let mut expected = vec![0x00, 0x01, 0x00, 0x10];
        expected.extend_from_slice(&[0x11; 16]);
        expected.extend_from_slice(&[0x01, 0x07]);
        assert_eq!(bytes.expose(), &expected[..]);
    }

    #[test]
    fn broken_key_data_is_rejected() {
        let good =
            KeyDataList { id: None, keys: smallvec![key(KeyDataType::Tgk, None, KeyValidity::Null)] }.encode().unwrap();
        let good = good.expose();
        // Truncated key.
        assert_eq!(KeyDataList::decode(&good[..good.len() - 1], false).unwrap_err().kind(), ErrorKind::Malformed);
        // Trailing byte.
        let mut long = good.to_vec();
        long.push(0);
        assert_eq!(KeyDataList::decode(&long, false).unwrap_err().kind(), ErrorKind::Malformed);
        // Chain pointing to a non-key-data payload.
        let mut chained = good.to_vec();
        chained[0] = PayloadType::Rand.code();
        assert_eq!(KeyDataList::decode(&chained, false).unwrap_err().kind(), ErrorKind::Malformed);
        // Unknown key type 7.
        let mut typed = good.to_vec();
        typed[1] = 0x70;
        assert_eq!(KeyDataList::decode(&typed, false).unwrap_err().kind(), ErrorKind::Unsupported);
        // Unknown KV type 3.
        let mut kv = good.to_vec();
        kv[1] = 0x03;
        assert_eq!(KeyDataList::decode(&kv, false).unwrap_err().kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn rfc_6043_key_types_have_the_table_6_7_codes_and_only_gtgk_salt_carries_a_salt() {
        // Type 5 (GTGK+SALT) with KV SPI, by hand: next payload Last, type/KV, key, salt, SPI.
        let bytes = [0x00, 0x51, 0x00, 0x02, 0xA1, 0xA2, 0x00, 0x01, 0x5A, 0x01, 0x09];
        let list = KeyDataList::decode(&bytes, false).unwrap();
        assert_eq!(list.keys[0].key_type, KeyDataType::GtgkSalt);
        assert_eq!(list.keys[0].key.expose(), [0xA1, 0xA2]);
        assert_eq!(list.keys[0].salt.unwrap().expose(), [0x5A]);
        assert_eq!(list.encode().unwrap().expose(), &bytes[..]);
        // Types 4 (GTGK) and 6 (MPK): no salt, so the SPI's KV data follows the key.
        for (code, key_type) in [(0x41, KeyDataType::Gtgk), (0x61, KeyDataType::Mpk)] {
            let bytes = [0x00, code, 0x00, 0x01, 0xA1, 0x01, 0x09];
            let list = KeyDataList::decode(&bytes, false).unwrap();
            assert_eq!((list.keys[0].key_type, list.keys[0].salt.is_none()), (key_type, true));
            assert_eq!(list.encode().unwrap().expose(), &bytes[..]);
        }
    }

    #[test]
    fn every_key_must_name_its_spi_under_rfc_6043() {
        let spi = |spi: &'static [u8]| KeyValidity::Spi(spi.into());
        let with = |validities: [KeyValidity<'static>; 2]| KeyDataList {
            id: None,
            keys: validities.into_iter().map(|validity| key(KeyDataType::Mpk, None, validity)).collect(),
        };
        assert!(with([spi(&[1]), spi(&[2])]).check_every_key_has_spi().is_ok());
        assert!(KeyDataList::default().check_every_key_has_spi().is_ok(), "no key, nothing to name");
        for broken in
            [KeyValidity::Null, spi(&[]), KeyValidity::Interval { from: vec![0; 6].into(), to: vec![1; 6].into() }]
        {
            let error = with([spi(&[1]), broken]).check_every_key_has_spi().unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Malformed);
            assert!(error.context().starts_with("Key data 2 "), "{error}");
        }
    }

    #[test]
    fn kemac_round_trips_and_checks_the_mac_length() {
        let kemac = Kemac {
            encryption_algorithm: 1,
            encrypted_data: vec![9; 21].into(),
            mac_algorithm: MacAlgorithmCode::HmacSha1_160,
            mac: vec![5; 20].into(),
        };
        let mut out = Vec::new();
        kemac.encode(&mut out).unwrap();
        assert_eq!(out.len(), 1 + 2 + 21 + 1 + 20);
        assert_eq!(Kemac::decode(&mut Reader::new(&out)).unwrap(), kemac);
        let short = Kemac { mac: vec![5; 19].into(), ..kemac };
        assert!(short.encode(&mut Vec::new()).is_err());
    }

    #[test]
    fn debug_shows_no_kemac_data() {
        let kemac = Kemac {
            encryption_algorithm: 0,
            encrypted_data: vec![0xAB; 16].into(),
            mac_algorithm: MacAlgorithmCode::Null,
            mac: Vec::new().into(),
        };
        let shown = format!("{kemac:?}");
        assert!(shown.contains("encrypted_data_len: 16"), "{shown}");
        assert!(!shown.contains("171") && !shown.to_lowercase().contains("ab,"), "{shown}");
    }
}
