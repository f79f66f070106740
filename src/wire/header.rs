//! Common header payload (RFC 3830 §6.1) and its CS ID maps.

use std::borrow::Cow;

use super::reader::{put_u16_len, put_u8_len, Reader};
use super::registry::{CsIdMapType, DataType, PayloadType};
use crate::error::{Error, Result};

/// MIKEY version 1, the only one defined (RFC 3830 §6.1).
pub const MIKEY_VERSION: u8 = 1;

/// The common header: version, data type, V flag, PRF, CSB ID and CS ID map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommonHeader<'a> {
    /// Message type.
    pub data_type: DataType,
    /// V flag: the initiator asks for a verification message.
    pub verification_requested: bool,
    /// PRF func (7 bits): 0 = MIKEY-1, 1 = PRF-HMAC-SHA-256 (RFC 6043).
    pub prf_function: u8,
    /// Crypto session bundle ID.
    pub csb_id: u32,
    /// The crypto sessions of the bundle.
    pub cs_id_map: CsIdMap<'a>,
}

/// One SRTP-ID map entry (RFC 3830 §6.1.1). Its CS ID is its 1-based position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SrtpCsEntry {
    /// The SP payload's policy number for this stream.
    pub policy_no: u8,
    /// The stream's SSRC (0 = to be filled in by the responder).
    pub ssrc: u32,
    /// The current rollover counter.
    pub roc: u32,
}

/// One GENERIC-ID map entry (RFC 6043 §6.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenericCsEntry<'a> {
    /// CS ID.
    pub cs_id: u8,
    /// Security protocol (SP "Prot type").
    pub protocol: u8,
    /// S flag: the SRTP session data carries ROC and SEQ.
    pub session_data_flag: bool,
    /// Policy numbers offered for this crypto session (#P of them, at most 127).
    pub policy_nos: Cow<'a, [u8]>,
    /// Protocol-specific session data (for SRTP: SSRC [, ROC, SEQ]).
    pub session_data: Cow<'a, [u8]>,
    /// SPI / MKI.
    pub spi: Cow<'a, [u8]>,
}

/// The Session Data of an SRTP crypto session in a GENERIC-ID map (RFC 6043 §6.1.1): the SSRC,
/// and the ROC and SEQ when the S flag is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SrtpSessionData {
    /// The SSRC the crypto session uses (0 has no special meaning here).
    pub ssrc: u32,
    /// The current or initial ROC and SEQ, present with the S flag.
    pub roc_seq: Option<(u32, u16)>,
}

impl SrtpSessionData {
    /// The Session Data bytes and the S flag that goes with them.
    pub fn to_bytes(self) -> (Vec<u8>, bool) {
        let mut bytes = self.ssrc.to_be_bytes().to_vec();
        if let Some((roc, seq)) = self.roc_seq {
            bytes.extend_from_slice(&roc.to_be_bytes());
            bytes.extend_from_slice(&seq.to_be_bytes());
        }
        (bytes, self.roc_seq.is_some())
    }
}

/// An SRTP-ID map (§6.1.1): its entries as validated wire bytes, 9 per entry (borrowed from the
/// message when decoded), read through [`SrtpIdMap::entries`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SrtpIdMap<'a>(Cow<'a, [u8]>);

impl SrtpIdMap<'_> {
    /// The map without entries.
    pub const EMPTY: SrtpIdMap<'static> = SrtpIdMap(Cow::Borrowed(&[]));

    /// The map of `entries`, in CS ID order.
    pub fn from_entries(entries: impl IntoIterator<Item = SrtpCsEntry>) -> SrtpIdMap<'static> {
        let entries = entries.into_iter();
        let mut bytes = Vec::with_capacity(entries.size_hint().0 * SRTP_CS_ENTRY_LEN);
        for entry in entries {
            bytes.push(entry.policy_no);
            bytes.extend_from_slice(&entry.ssrc.to_be_bytes());
            bytes.extend_from_slice(&entry.roc.to_be_bytes());
        }
        SrtpIdMap(Cow::Owned(bytes))
    }

    /// The entries in CS ID order.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = SrtpCsEntry> + Clone + '_ {
        self.0.chunks_exact(SRTP_CS_ENTRY_LEN).map(|entry| SrtpCsEntry {
            policy_no: entry[0],
            ssrc: u32::from_be_bytes([entry[1], entry[2], entry[3], entry[4]]),
            roc: u32::from_be_bytes([entry[5], entry[6], entry[7], entry[8]]),
        })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len() / SRTP_CS_ENTRY_LEN
    }

    /// True when the map has no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The CS ID map of the common header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsIdMap<'a> {
    /// SRTP-ID map: one entry per crypto session.
    SrtpId(SrtpIdMap<'a>),
    /// Empty map (RFC 4563 §5) announcing `cs_count` crypto sessions.
    Empty {
        /// #CS.
        cs_count: u8,
    },
    /// GENERIC-ID map (RFC 6043 §6.1.1).
    GenericId(Vec<GenericCsEntry<'a>>),
}

impl CsIdMap<'_> {
    /// #CS: how many crypto sessions the map describes.
    pub fn cs_count(&self) -> usize {
        match self {
            CsIdMap::SrtpId(entries) => entries.len(),
            CsIdMap::Empty { cs_count } => usize::from(*cs_count),
            CsIdMap::GenericId(entries) => entries.len(),
        }
    }

    fn map_type(&self) -> CsIdMapType {
        match self {
            CsIdMap::SrtpId(_) => CsIdMapType::SrtpId,
            CsIdMap::Empty { .. } => CsIdMapType::Empty,
            CsIdMap::GenericId(_) => CsIdMapType::GenericId,
        }
    }
}

/// Length of one SRTP-ID entry on the wire.
const SRTP_CS_ENTRY_LEN: usize = 9;

/// The fixed first 8 bytes of a common header: enough to answer a message that does not decode
/// as a whole with an error message for its CSB (RFC 4738 §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderStart {
    /// Message type.
    pub data_type: DataType,
    /// The first payload's type.
    pub next_payload: u8,
    /// V flag.
    pub verification_requested: bool,
    /// PRF func.
    pub prf_function: u8,
    /// CSB ID.
    pub csb_id: u32,
}

impl HeaderStart {
    /// Reads the start of a header (version 1 and a known data type required).
    pub fn peek(bytes: &[u8]) -> Result<Self> {
        Self::decode(&mut Reader::new(bytes))
    }

    fn decode(reader: &mut Reader<'_>) -> Result<Self> {
        let version = reader.u8("HDR version")?;
        if version != MIKEY_VERSION {
            return Err(Error::unsupported(format!("MIKEY version {version} (only 1 is defined)")));
        }
        let data_type_code = reader.u8("HDR data type")?;
        let data_type = DataType::from_code(data_type_code)
            .ok_or_else(|| Error::unsupported(format!("unknown data type {data_type_code}")))?;
        let next_payload = reader.u8("HDR next payload")?;
        let v_and_prf = reader.u8("HDR V/PRF")?;
        let csb_id = reader.u32("HDR CSB ID")?;
        Ok(HeaderStart {
            data_type,
            next_payload,
            verification_requested: v_and_prf & 0x80 != 0,
            prf_function: v_and_prf & 0x7F,
            csb_id,
        })
    }
}

impl<'a> CommonHeader<'a> {
    /// Decodes the header; returns it and the type of the first payload.
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<(Self, u8)> {
        let start = HeaderStart::decode(reader)?;
        let cs_count = reader.u8("HDR #CS")?;
        let map_type_code = reader.u8("HDR CS ID map type")?;
        let map_type = CsIdMapType::from_code(map_type_code)
            .ok_or_else(|| Error::unsupported(format!("unknown CS ID map type {map_type_code}")))?;
        let cs_id_map = match map_type {
            CsIdMapType::SrtpId => {
                let map = reader.take(usize::from(cs_count) * SRTP_CS_ENTRY_LEN, "SRTP-ID map")?;
                CsIdMap::SrtpId(SrtpIdMap(Cow::Borrowed(map)))
            }
            CsIdMapType::Empty => CsIdMap::Empty { cs_count },
            CsIdMapType::GenericId => {
                let mut decoded = Vec::new();
                for _ in 0..cs_count {
                    decoded.push(GenericCsEntry::decode(reader)?);
                }
                CsIdMap::GenericId(decoded)
            }
        };
        let header = CommonHeader {
            data_type: start.data_type,
            verification_requested: start.verification_requested,
            prf_function: start.prf_function,
            csb_id: start.csb_id,
            cs_id_map,
        };
        Ok((header, start.next_payload))
    }

    /// Appends the encoded header with `next_payload` as the first payload's type.
    pub(crate) fn encode(&self, next_payload: PayloadType, out: &mut Vec<u8>) -> Result<()> {
        if self.prf_function > 0x7F {
            return Err(Error::invalid_argument("PRF func is a 7-bit field"));
        }
        let cs_count = u8::try_from(self.cs_id_map.cs_count())
            .map_err(|_| Error::invalid_argument("a CSB holds at most 255 crypto sessions"))?;
        out.extend_from_slice(&[
            MIKEY_VERSION,
            self.data_type.code(),
            next_payload.code(),
            (u8::from(self.verification_requested) << 7) | self.prf_function,
        ]);
        out.extend_from_slice(&self.csb_id.to_be_bytes());
        out.extend_from_slice(&[cs_count, self.cs_id_map.map_type().code()]);
        match &self.cs_id_map {
            CsIdMap::SrtpId(map) => out.extend_from_slice(&map.0),
            CsIdMap::Empty { .. } => {}
            CsIdMap::GenericId(entries) => {
                for entry in entries {
                    entry.encode(out)?;
                }
            }
        }
        Ok(())
    }
}

impl<'a> GenericCsEntry<'a> {
    /// The SRTP Session Data (§6.1.1): `None` when omitted (an initial message's placeholder),
    /// else SSRC, and ROC and SEQ as the S flag says; any other length is malformed.
    pub fn srtp_session_data(&self) -> Result<Option<SrtpSessionData>> {
        let data = &*self.session_data;
        let word = |at: usize| u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
        match (data.len(), self.session_data_flag) {
            (0, _) => Ok(None),
            (4, false) => Ok(Some(SrtpSessionData { ssrc: word(0), roc_seq: None })),
            (10, true) => Ok(Some(SrtpSessionData {
                ssrc: word(0),
                roc_seq: Some((word(4), u16::from_be_bytes([data[8], data[9]]))),
            })),
            (len, flag) => Err(Error::malformed(format!(
                "SRTP Session Data of crypto session {} is SSRC [ROC SEQ], not {len} bytes with S = {}",
                self.cs_id,
                u8::from(flag)
            ))),
        }
    }

    fn decode(reader: &mut Reader<'a>) -> Result<Self> {
        let cs_id = reader.u8("GENERIC-ID CS ID")?;
        let protocol = reader.u8("GENERIC-ID prot type")?;
        let flag_and_count = reader.u8("GENERIC-ID S/#P")?;
        let policy_nos = Cow::Borrowed(reader.take(usize::from(flag_and_count & 0x7F), "GENERIC-ID policies")?);
        let session_data = Cow::Borrowed(reader.take_u16_len("GENERIC-ID session data")?);
        let spi = Cow::Borrowed(reader.take_u8_len("GENERIC-ID SPI")?);
        Ok(GenericCsEntry {
            cs_id,
            protocol,
            session_data_flag: flag_and_count & 0x80 != 0,
            policy_nos,
            session_data,
            spi,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        if self.policy_nos.len() > 0x7F {
            return Err(Error::invalid_argument("GENERIC-ID #P is a 7-bit field"));
        }
        out.extend_from_slice(&[
            self.cs_id,
            self.protocol,
            (u8::from(self.session_data_flag) << 7) | self.policy_nos.len() as u8,
        ]);
        out.extend_from_slice(&self.policy_nos);
        put_u16_len(out, &self.session_data, "GENERIC-ID session data")?;
        put_u8_len(out, &self.spi, "GENERIC-ID SPI")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(session_data: &[u8], session_data_flag: bool) -> GenericCsEntry<'_> {
        GenericCsEntry {
            cs_id: 1,
            protocol: 0,
            session_data_flag,
            policy_nos: Cow::Borrowed(&[]),
            session_data: Cow::Borrowed(session_data),
            spi: Cow::Borrowed(&[]),
        }
    }

    #[test]
    fn srtp_session_data_is_ssrc_then_roc_and_seq_with_the_s_flag() {
        assert_eq!(entry(&[], false).srtp_session_data().unwrap(), None);
        let ssrc_only = SrtpSessionData { ssrc: 0x0102_0304, roc_seq: None };
        assert_eq!(entry(&[1, 2, 3, 4], false).srtp_session_data().unwrap(), Some(ssrc_only));
        let full = SrtpSessionData { ssrc: 0x0102_0304, roc_seq: Some((0x0506_0708, 0x090a)) };
        let bytes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(entry(&bytes, true).srtp_session_data().unwrap(), Some(full));
        assert_eq!(full.to_bytes(), (bytes.to_vec(), true));
        assert_eq!(ssrc_only.to_bytes(), (vec![1, 2, 3, 4], false));
        // The S flag and the length must agree; nothing else is SRTP Session Data.
        for (data, flag) in [(&bytes[..4], true), (&bytes[..], false), (&bytes[..8], true), (&bytes[..3], false)] {
            assert!(entry(data, flag).srtp_session_data().is_err(), "{} bytes, S = {flag}", data.len());
        }
    }
}
