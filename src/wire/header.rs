//! Common header payload (RFC 3830 §6.1) and its CS ID maps.

use super::reader::{put_u16_len, put_u8_len, Reader};
use super::registry::{CsIdMapType, DataType, PayloadType};
use crate::error::{Error, Result};

/// MIKEY version 1, the only one defined (RFC 3830 §6.1).
pub const MIKEY_VERSION: u8 = 1;

/// The common header: version, data type, V flag, PRF, CSB ID and CS ID map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommonHeader {
    /// Message type.
    pub data_type: DataType,
    /// V flag: the initiator asks for a verification message.
    pub verification_requested: bool,
    /// PRF func (7 bits): 0 = MIKEY-1, 1 = PRF-HMAC-SHA-256 (RFC 6043).
    pub prf_function: u8,
    /// Crypto session bundle ID.
    pub csb_id: u32,
    /// The crypto sessions of the bundle.
    pub cs_id_map: CsIdMap,
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
pub struct GenericCsEntry {
    /// CS ID.
    pub cs_id: u8,
    /// Security protocol (SP "Prot type").
    pub protocol: u8,
    /// S flag: the SRTP session data carries ROC and SEQ.
    pub session_data_flag: bool,
    /// Policy numbers offered for this crypto session (#P of them, at most 127).
    pub policy_nos: Vec<u8>,
    /// Protocol-specific session data (for SRTP: SSRC [, ROC, SEQ]).
    pub session_data: Vec<u8>,
    /// SPI / MKI.
    pub spi: Vec<u8>,
}

/// The CS ID map of the common header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsIdMap {
    /// SRTP-ID map: one entry per crypto session.
    SrtpId(Vec<SrtpCsEntry>),
    /// Empty map (RFC 4563 §5) announcing `cs_count` crypto sessions.
    Empty {
        /// #CS.
        cs_count: u8,
    },
    /// GENERIC-ID map (RFC 6043 §6.1.1).
    GenericId(Vec<GenericCsEntry>),
}

impl CsIdMap {
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

impl CommonHeader {
    /// Decodes the header; returns it and the type of the first payload.
    pub(crate) fn decode(reader: &mut Reader<'_>) -> Result<(Self, u8)> {
        let start = HeaderStart::decode(reader)?;
        let cs_count = reader.u8("HDR #CS")?;
        let map_type_code = reader.u8("HDR CS ID map type")?;
        let map_type = CsIdMapType::from_code(map_type_code)
            .ok_or_else(|| Error::unsupported(format!("unknown CS ID map type {map_type_code}")))?;
        let cs_id_map = match map_type {
            CsIdMapType::SrtpId => {
                // Check the bytes are there before allocating for #CS entries.
                let map = reader.take(usize::from(cs_count) * SRTP_CS_ENTRY_LEN, "SRTP-ID map")?;
                let mut entries = Reader::new(map);
                let mut decoded = Vec::with_capacity(usize::from(cs_count));
                for _ in 0..cs_count {
                    decoded.push(SrtpCsEntry {
                        policy_no: entries.u8("SRTP-ID policy")?,
                        ssrc: entries.u32("SRTP-ID SSRC")?,
                        roc: entries.u32("SRTP-ID ROC")?,
                    });
                }
                CsIdMap::SrtpId(decoded)
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
            CsIdMap::SrtpId(entries) => {
                for entry in entries {
                    out.push(entry.policy_no);
                    out.extend_from_slice(&entry.ssrc.to_be_bytes());
                    out.extend_from_slice(&entry.roc.to_be_bytes());
                }
            }
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

impl GenericCsEntry {
    fn decode(reader: &mut Reader<'_>) -> Result<Self> {
        let cs_id = reader.u8("GENERIC-ID CS ID")?;
        let protocol = reader.u8("GENERIC-ID prot type")?;
        let flag_and_count = reader.u8("GENERIC-ID S/#P")?;
        let policy_nos = reader.vec(usize::from(flag_and_count & 0x7F), "GENERIC-ID policies")?;
        let session_data = reader.vec_u16_len("GENERIC-ID session data")?;
        let spi = reader.vec_u8_len("GENERIC-ID SPI")?;
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
