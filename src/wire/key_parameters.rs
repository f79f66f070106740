//! The 3GPP key parameters of a MIKEY-SAKKE I_MESSAGE (General Extension type 7, TS 33.180
//! E.6): an MCData protected payload (TS 33.180 8.5.4) whose payload, once decrypted, is the
//! Key Parameters IE (Table E.6.1-1); and the legacy clear form older senders use. Layout only:
//! the decryption (DPCK, AES-GCM) belongs to the crypto backend.

use std::borrow::Cow;

use super::reader::{put_u16_len, Reader};
use crate::error::{Error, Result};

/// The message-type bit that marks a protected (encrypted) payload (TS 33.180 8.5.4).
const PROTECTED_BIT: u8 = 0x40;
/// Length of the IV of a protected payload: GCM with a 16-byte IV.
pub const KEY_PARAMETERS_IV_LEN: usize = 16;
/// Length of the associated data GCM authenticates: the fixed fields, the IV and the DPPK-ID.
pub const KEY_PARAMETERS_AAD_LEN: usize = 12 + KEY_PARAMETERS_IV_LEN + 4;

/// A type-7 extension's content: protected, or the legacy clear parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyParametersExtension<'a> {
    /// The encrypted form of TS 33.180 E.6.1.
    Protected(ProtectedKeyParameters<'a>),
    /// The clear form of senders before Rel-15, first octet the key type plus one (1..=3).
    LegacyClear(LegacyKeyParameters<'a>),
}

/// An MCData protected payload carrying the Key Parameters IE (TS 33.180 8.5.4, E.6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectedKeyParameters<'a> {
    /// Message type, with the protected bit 0x40 set (0x40 or 0x43 seen).
    pub message_type: u8,
    /// Date and time, 5 octets (Unix seconds from some senders, a constant from others).
    pub date_time: [u8; 5],
    /// Payload ID (0).
    pub payload_id: u32,
    /// Payload sequence number (0).
    pub payload_sequence: u8,
    /// Payload algorithm: 1 AEAD_AES_128_GCM, 2 AEAD_AES_256_GCM.
    pub payload_algorithm: u8,
    /// The GCM IV.
    pub iv: [u8; KEY_PARAMETERS_IV_LEN],
    /// DPPK-ID: the CSB ID of the MIKEY message.
    pub dppk_id: u32,
    /// Payload IE type (0).
    pub payload_type: u8,
    /// The encrypted Key Parameters IE followed by the GCM tag.
    pub ciphertext: Cow<'a, [u8]>,
}

/// The Key Parameters IE (TS 33.180 Table E.6.1-1), as decrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyParameters<'a> {
    /// Key type (E.6.11): 0 GMK, 1 PCK, 2 CSK, ... (the purpose tags of the key IDs).
    pub key_type: u8,
    /// Status (E.6.9): bit 0 set means not revoked, bit 1 shared with a security gateway.
    pub status: u32,
    /// Activation time (E.6.4), 5 octets.
    pub activation_time: u64,
    /// Expiry time (E.6.10), 5 octets.
    pub expiry_time: u64,
    /// Text (E.6.5).
    pub text: Cow<'a, [u8]>,
    /// Group IDs (E.6.3), present for GMK, MKFC and MuSiK: each an IEI and its value (a URI).
    pub group_ids: Option<Vec<(u8, Cow<'a, [u8]>)>>,
}

/// The legacy clear key parameters: key type plus one, status, activation, expiry, text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyKeyParameters<'a> {
    /// The key type (the first octet minus one).
    pub key_type: u8,
    /// Status, as in [`KeyParameters::status`].
    pub status: u32,
    /// Activation time, 5 octets.
    pub activation_time: u64,
    /// Expiry time, 5 octets.
    pub expiry_time: u64,
    /// Text.
    pub text: Cow<'a, [u8]>,
    /// Octets after the text that some senders add (4 seen), carried as they are.
    pub trailing: Cow<'a, [u8]>,
}

fn u40(reader: &mut Reader<'_>, what: &'static str) -> Result<u64> {
    Ok(reader.take(5, what)?.iter().fold(0, |value, byte| (value << 8) | u64::from(*byte)))
}

fn put_u40(out: &mut Vec<u8>, value: u64, what: &str) -> Result<()> {
    if value >> 40 != 0 {
        return Err(Error::invalid_argument(format!("{what} is a 5-octet field")));
    }
    out.extend_from_slice(&value.to_be_bytes()[3..]);
    Ok(())
}

impl<'a> KeyParametersExtension<'a> {
    /// Decodes the data of a type-7 general extension.
    pub fn decode(data: &'a [u8]) -> Result<Self> {
        match data.first() {
            Some(first) if first & PROTECTED_BIT != 0 => {
                ProtectedKeyParameters::decode(data).map(KeyParametersExtension::Protected)
            }
            Some(1..=3) => LegacyKeyParameters::decode(data).map(KeyParametersExtension::LegacyClear),
            Some(other) => Err(Error::unsupported(format!("3GPP key parameters of message type {other:#04x}"))),
            None => Err(Error::malformed("an empty 3GPP key parameters extension")),
        }
    }

    /// The extension data.
    pub fn encode(&self) -> Result<Vec<u8>> {
        match self {
            KeyParametersExtension::Protected(protected) => protected.encode(),
            KeyParametersExtension::LegacyClear(legacy) => legacy.encode(),
        }
    }
}

impl<'a> ProtectedKeyParameters<'a> {
    /// Decodes a protected payload, every byte accounted for.
    pub fn decode(data: &'a [u8]) -> Result<Self> {
        let mut reader = Reader::new(data);
        let message_type = reader.u8("key parameters message type")?;
        let mut date_time = [0; 5];
        date_time.copy_from_slice(reader.take(5, "key parameters date/time")?);
        let payload_id = reader.u32("key parameters payload ID")?;
        let payload_sequence = reader.u8("key parameters payload sequence")?;
        let payload_algorithm = reader.u8("key parameters payload algorithm")?;
        let mut iv = [0; KEY_PARAMETERS_IV_LEN];
        iv.copy_from_slice(reader.take(KEY_PARAMETERS_IV_LEN, "key parameters IV")?);
        let dppk_id = reader.u32("key parameters DPPK-ID")?;
        let payload_type = reader.u8("key parameters payload type")?;
        let ciphertext = Cow::Borrowed(reader.take_u16_len("key parameters payload")?);
        if !reader.is_empty() {
            return Err(Error::malformed("bytes after the protected key parameters"));
        }
        Ok(ProtectedKeyParameters {
            message_type,
            date_time,
            payload_id,
            payload_sequence,
            payload_algorithm,
            iv,
            dppk_id,
            payload_type,
            ciphertext,
        })
    }

    /// The fields before the payload, in wire order: what GCM authenticates as associated data
    /// (the first 12 octets, the IV and the DPPK-ID).
    pub fn associated_data(&self) -> [u8; KEY_PARAMETERS_AAD_LEN] {
        let mut aad = [0; KEY_PARAMETERS_AAD_LEN];
        aad[0] = self.message_type;
        aad[1..6].copy_from_slice(&self.date_time);
        aad[6..10].copy_from_slice(&self.payload_id.to_be_bytes());
        aad[10] = self.payload_sequence;
        aad[11] = self.payload_algorithm;
        aad[12..28].copy_from_slice(&self.iv);
        aad[28..].copy_from_slice(&self.dppk_id.to_be_bytes());
        aad
    }

    /// The extension data.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = self.associated_data().to_vec();
        out.push(self.payload_type);
        put_u16_len(&mut out, &self.ciphertext, "key parameters payload")?;
        Ok(out)
    }
}

impl<'a> KeyParameters<'a> {
    /// Decodes a decrypted Key Parameters IE; Group IDs are read when present.
    pub fn decode(data: &'a [u8]) -> Result<Self> {
        let mut reader = Reader::new(data);
        let key_type = reader.u8("key type")?;
        let status = reader.u32("key status")?;
        let activation_time = u40(&mut reader, "key activation time")?;
        let expiry_time = u40(&mut reader, "key expiry time")?;
        let text = Cow::Borrowed(reader.take_u16_len("key text")?);
        let group_ids =
            if reader.is_empty() { None } else { Some(decode_group_ids(reader.take_u16_len("group IDs")?)?) };
        if !reader.is_empty() {
            return Err(Error::malformed("bytes after the key parameters"));
        }
        Ok(KeyParameters { key_type, status, activation_time, expiry_time, text, group_ids })
    }

    /// The IE's bytes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = vec![self.key_type];
        out.extend_from_slice(&self.status.to_be_bytes());
        put_u40(&mut out, self.activation_time, "the activation time")?;
        put_u40(&mut out, self.expiry_time, "the expiry time")?;
        put_u16_len(&mut out, &self.text, "key text")?;
        if let Some(group_ids) = &self.group_ids {
            let count = u8::try_from(group_ids.len()).map_err(|_| Error::invalid_argument("at most 255 group IDs"))?;
            let mut list = vec![count];
            for (iei, value) in group_ids {
                list.push(*iei);
                put_u16_len(&mut list, value, "group ID")?;
            }
            put_u16_len(&mut out, &list, "group IDs")?;
        }
        Ok(out)
    }
}

/// The Group IDs element's content: a count, then each group ID as IEI and TLV-E value.
fn decode_group_ids(data: &[u8]) -> Result<Vec<(u8, Cow<'_, [u8]>)>> {
    let mut reader = Reader::new(data);
    let count = reader.u8("group ID count")?;
    let mut group_ids = Vec::new();
    for _ in 0..count {
        let iei = reader.u8("group ID IEI")?;
        group_ids.push((iei, Cow::Borrowed(reader.take_u16_len("group ID")?)));
    }
    if !reader.is_empty() {
        return Err(Error::malformed("bytes after the group IDs"));
    }
    Ok(group_ids)
}

impl<'a> LegacyKeyParameters<'a> {
    /// Decodes the legacy clear form.
    pub fn decode(data: &'a [u8]) -> Result<Self> {
        let mut reader = Reader::new(data);
        let key_type = match reader.u8("legacy key type")? {
            type_plus_one @ 1..=3 => type_plus_one - 1,
            other => return Err(Error::unsupported(format!("legacy key parameters of key type octet {other}"))),
        };
        let status = reader.u32("key status")?;
        let activation_time = u40(&mut reader, "key activation time")?;
        let expiry_time = u40(&mut reader, "key expiry time")?;
        let text = Cow::Borrowed(reader.take_u16_len("key text")?);
        Ok(LegacyKeyParameters { key_type, status, activation_time, expiry_time, text, trailing: reader.rest().into() })
    }

    /// The extension data.
    pub fn encode(&self) -> Result<Vec<u8>> {
        if self.key_type > 2 {
            return Err(Error::invalid_argument("the legacy form carries key types 0 to 2"));
        }
        let mut out = vec![self.key_type + 1];
        out.extend_from_slice(&self.status.to_be_bytes());
        put_u40(&mut out, self.activation_time, "the activation time")?;
        put_u40(&mut out, self.expiry_time, "the expiry time")?;
        put_u16_len(&mut out, &self.text, "key text")?;
        out.extend_from_slice(&self.trailing);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn alea_s_key_parameters_with_a_group_id_round_trip() {
        let mut ie = unhex("00000000000068D7EAFA00FFFFFFFF0000");
        let uri = b"sip:g4.chat@veronica-cluster";
        ie.extend_from_slice(&[0x00, 0x20, 0x01, 0x7B, 0x00, 0x1C]);
        ie.extend_from_slice(uri);
        let parameters = KeyParameters::decode(&ie).unwrap();
        assert_eq!((parameters.key_type, parameters.status), (0, 0));
        assert_eq!((parameters.activation_time, parameters.expiry_time), (0x68D7EAFA, 0xFFFFFFFF));
        assert_eq!(parameters.group_ids, Some(vec![(0x7B, Cow::Borrowed(&uri[..]))]));
        assert_eq!(parameters.encode().unwrap(), ie);
        // Every cut is refused but the one after the text: Group IDs are optional (PCK, CSK).
        const WITHOUT_GROUP_IDS: usize = 17;
        for cut in 1..ie.len() {
            match KeyParameters::decode(&ie[..cut]) {
                Ok(parameters) => assert_eq!((cut, parameters.group_ids), (WITHOUT_GROUP_IDS, None)),
                Err(error) => assert_eq!(error.kind(), ErrorKind::Malformed, "{cut}"),
            }
        }
    }

    #[test]
    fn the_legacy_form_is_told_apart_by_its_first_octet() {
        let legacy = unhex("01000000010000000000FFFFFFFFFF0000");
        match KeyParametersExtension::decode(&legacy).unwrap() {
            KeyParametersExtension::LegacyClear(parameters) => {
                assert_eq!((parameters.key_type, parameters.status), (0, 1));
                assert_eq!(parameters.expiry_time, 0xFF_FFFF_FFFF);
                assert_eq!(parameters.encode().unwrap(), legacy);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(KeyParametersExtension::decode(&[0x05]).unwrap_err().kind(), ErrorKind::Unsupported);
        assert_eq!(KeyParametersExtension::decode(&[]).unwrap_err().kind(), ErrorKind::Malformed);
    }
}
