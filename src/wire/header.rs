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
