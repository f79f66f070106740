//! The payload enum and the small payloads: T (§6.6), RAND (§6.11), V (§6.9), ERR (§6.12),
//! PKE (§6.3), DH (§6.4) and SIGN (§6.5).

use std::borrow::Cow;

use super::extension::GeneralExtension;
use super::identity::{CertHash, CertPayload, IdPayload, IdrPayload};
use super::kemac::{Kemac, KeyValidity};
use super::policy::SecurityPolicy;
use super::reader::{length_bits, length_u8, Reader};
use super::registry::{DhGroup, MacAlgorithmCode, PayloadType, TimestampType};
use super::sakke::SakkePayload;
use crate::error::{Error, Result};

/// A timestamp payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// NTP-UTC, NTP or COUNTER.
    pub ts_type: TimestampType,
    /// The value; a COUNTER occupies the low 32 bits.
    pub value: u64,
}

impl Timestamp {
    /// The 64-bit form used as PRF and IV input (a COUNTER padded with leading zeros, §6.6).
    pub fn as_64_bits(&self) -> [u8; 8] {
        self.value.to_be_bytes()
    }
}

/// A verification message payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification<'a> {
    /// Auth alg (same code space as the KEMAC MAC alg).
    pub mac_algorithm: MacAlgorithmCode,
    /// The verification MAC.
    pub mac: Cow<'a, [u8]>,
}

/// An error payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorPayload {
    /// Error no (RFC 3830 Table 6.12).
    pub code: u8,
}

/// An envelope data payload: the encrypted envelope key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pke<'a> {
    /// C: envelope key cache indicator (2 bits; Table 6.3).
    pub cache: u8,
    /// The encrypted envelope key (at most 2^14 - 1 bytes).
    pub data: Cow<'a, [u8]>,
}

/// A DH data payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhPayload<'a> {
    /// DH group, which fixes the value length.
    pub group: DhGroup,
    /// The public DH value, big-endian, exactly the group's length.
    pub value: Cow<'a, [u8]>,
    /// Key validity.
    pub validity: KeyValidity<'a>,
}

/// A signature payload; always the last payload of its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature<'a> {
    /// S type (4 bits; see `registry::signature_type`).
    pub sig_type: u8,
    /// The signature (at most 4095 bytes).
    pub data: Cow<'a, [u8]>,
}

/// One decoded payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    /// KEMAC.
    Kemac(Kemac<'a>),
    /// PKE.
    Pke(Pke<'a>),
    /// DH.
    Dh(DhPayload<'a>),
    /// SIGN.
    Sign(Signature<'a>),
    /// T.
    Timestamp(Timestamp),
    /// ID.
    Id(IdPayload<'a>),
    /// CERT.
    Cert(CertPayload<'a>),
    /// CHASH.
    CertHash(CertHash<'a>),
    /// V.
    Verification(Verification<'a>),
    /// SP.
    SecurityPolicy(SecurityPolicy<'a>),
    /// RAND.
    Rand(Cow<'a, [u8]>),
    /// ERR.
    Error(ErrorPayload),
    /// General extension.
    GeneralExtension(GeneralExtension<'a>),
    /// IDR: an ID with its role (RFC 6043 §6.6).
    IdWithRole(IdrPayload<'a>),
    /// SAKKE (RFC 6509 §4.2).
    Sakke(SakkePayload<'a>),
}

impl<'a> Payload<'a> {
    /// The "next payload" code that announces this payload.
    pub fn payload_type(&self) -> PayloadType {
        match self {
            Payload::Kemac(_) => PayloadType::Kemac,
            Payload::Pke(_) => PayloadType::Pke,
            Payload::Dh(_) => PayloadType::Dh,
            Payload::Sign(_) => PayloadType::Sign,
            Payload::Timestamp(_) => PayloadType::Timestamp,
            Payload::Id(_) => PayloadType::Id,
            Payload::Cert(_) => PayloadType::Cert,
            Payload::CertHash(_) => PayloadType::CertHash,
            Payload::Verification(_) => PayloadType::Verification,
            Payload::SecurityPolicy(_) => PayloadType::SecurityPolicy,
            Payload::Rand(_) => PayloadType::Rand,
            Payload::Error(_) => PayloadType::Error,
            Payload::GeneralExtension(_) => PayloadType::GeneralExtension,
            Payload::IdWithRole(_) => PayloadType::IdWithRole,
            Payload::Sakke(_) => PayloadType::Sakke,
        }
    }

    /// Decodes one payload of `payload_type` onto `payloads`; returns the code of the payload
    /// after it.
    #[inline(always)]
    pub(crate) fn decode_onto(
        payload_type: PayloadType,
        reader: &mut Reader<'a>,
        payloads: &mut Vec<Self>,
    ) -> Result<u8> {
        // SIGN has no next-payload field: it always ends the message (§6.5).
        let next =
            if payload_type == PayloadType::Sign { PayloadType::Last.code() } else { reader.u8("next payload")? };
        let payload = match payload_type {
            PayloadType::Sign => Payload::Sign(decode_signature(reader)?),
            PayloadType::Kemac => Payload::Kemac(Kemac::decode(reader)?),
            PayloadType::Pke => {
                let cache_and_len = reader.u16("PKE C/length")?;
                let data = Cow::Borrowed(reader.take(usize::from(cache_and_len & 0x3FFF), "PKE data")?);
                Payload::Pke(Pke { cache: (cache_and_len >> 14) as u8, data })
            }
            PayloadType::Dh => {
                let code = reader.u8("DH group")?;
                let group =
                    DhGroup::from_code(code).ok_or_else(|| Error::unsupported(format!("unknown DH group {code}")))?;
                let value = Cow::Borrowed(reader.take(group.value_len(), "DH value")?);
                let kv = reader.u8("DH reserved/KV")? & 0x0F;
                Payload::Dh(DhPayload { group, value, validity: KeyValidity::decode(kv, reader)? })
            }
            PayloadType::Timestamp => {
                let code = reader.u8("TS type")?;
                let ts_type = TimestampType::from_code(code)
                    .ok_or_else(|| Error::unsupported(format!("unknown timestamp type {code}")))?;
                let value = match ts_type {
                    TimestampType::Counter => u64::from(reader.u32("TS value")?),
                    TimestampType::NtpUtc | TimestampType::Ntp => {
                        let high = u64::from(reader.u32("TS value")?);
                        (high << 32) | u64::from(reader.u32("TS value")?)
                    }
                };
                Payload::Timestamp(Timestamp { ts_type, value })
            }
            PayloadType::Id => Payload::Id(IdPayload::decode(reader)?),
            PayloadType::Cert => Payload::Cert(CertPayload::decode(reader)?),
            PayloadType::CertHash => Payload::CertHash(CertHash::decode(reader)?),
            PayloadType::Verification => {
                let code = reader.u8("V auth alg")?;
                let mac_algorithm = MacAlgorithmCode::from_code(code)
                    .ok_or_else(|| Error::unsupported(format!("unknown V auth algorithm {code}")))?;
                let mac = Cow::Borrowed(reader.take(mac_algorithm.tag_len(), "V data")?);
                Payload::Verification(Verification { mac_algorithm, mac })
            }
            PayloadType::SecurityPolicy => Payload::SecurityPolicy(SecurityPolicy::decode(reader)?),
            PayloadType::Rand => Payload::Rand(Cow::Borrowed(reader.take_u8_len("RAND")?)),
            PayloadType::Error => {
                let code = reader.u8("ERR error no")?;
                reader.u16("ERR reserved")?;
                Payload::Error(ErrorPayload { code })
            }
            PayloadType::GeneralExtension => Payload::GeneralExtension(GeneralExtension::decode(reader)?),
            PayloadType::IdWithRole => Payload::IdWithRole(IdrPayload::decode(reader)?),
            PayloadType::Sakke => Payload::Sakke(SakkePayload::decode(reader)?),
            PayloadType::Last | PayloadType::KeyData => {
                return Err(Error::malformed(format!(
                    "payload type {} cannot appear in the payload chain",
                    payload_type.code()
                )))
            }
            other => {
                return Err(Error::unsupported(format!("payload type {} is not supported", other.code())));
            }
        };
        payloads.push(payload);
        Ok(next)
    }

    /// Appends this payload with `next` as its next-payload field (SIGN has none).
    pub(crate) fn encode(&self, next: PayloadType, out: &mut Vec<u8>) -> Result<()> {
        if let Payload::Sign(_) = self {
            if next != PayloadType::Last {
                return Err(Error::invalid_argument("SIGN must be the last payload"));
            }
        } else {
            out.push(next.code());
        }
        match self {
            Payload::Sign(signature) => encode_signature(signature, out),
            Payload::Kemac(kemac) => kemac.encode(out),
            Payload::Pke(pke) => {
                if pke.cache > 3 {
                    return Err(Error::invalid_argument("PKE cache indicator is a 2-bit field"));
                }
                let len = length_bits(pke.data.len(), 14, "PKE data")?;
                out.extend_from_slice(&((u16::from(pke.cache) << 14) | len).to_be_bytes());
                out.extend_from_slice(&pke.data);
                Ok(())
            }
            Payload::Dh(dh) => {
                if dh.value.len() != dh.group.value_len() {
                    return Err(Error::invalid_argument("DH value length does not match its group"));
                }
                out.push(dh.group.code());
                out.extend_from_slice(&dh.value);
                out.push(dh.validity.validity_type().code());
                dh.validity.encode(out)
            }
            Payload::Timestamp(ts) => {
                out.push(ts.ts_type.code());
                match ts.ts_type {
                    TimestampType::Counter => {
                        let counter = u32::try_from(ts.value)
                            .map_err(|_| Error::invalid_argument("a COUNTER timestamp is 32 bits"))?;
                        out.extend_from_slice(&counter.to_be_bytes());
                    }
                    TimestampType::NtpUtc | TimestampType::Ntp => out.extend_from_slice(&ts.value.to_be_bytes()),
                }
                Ok(())
            }
            Payload::Id(id) => id.encode(out),
            Payload::Cert(cert) => cert.encode(out),
            Payload::CertHash(hash) => hash.encode(out),
            Payload::Verification(v) => {
                if v.mac.len() != v.mac_algorithm.tag_len() {
                    return Err(Error::invalid_argument("V MAC length does not match its algorithm"));
                }
                out.push(v.mac_algorithm.code());
                out.extend_from_slice(&v.mac);
                Ok(())
            }
            Payload::SecurityPolicy(policy) => policy.encode(out),
            Payload::Rand(rand) => {
                out.push(length_u8(rand.len(), "RAND")?);
                out.extend_from_slice(rand);
                Ok(())
            }
            Payload::Error(err) => {
                out.extend_from_slice(&[err.code, 0, 0]);
                Ok(())
            }
            Payload::GeneralExtension(ext) => ext.encode(out),
            Payload::IdWithRole(idr) => idr.encode(out),
            Payload::Sakke(sakke) => sakke.encode(out),
        }
    }
}

fn decode_signature<'a>(reader: &mut Reader<'a>) -> Result<Signature<'a>> {
    let type_and_len = reader.u16("SIGN type/length")?;
    let data = Cow::Borrowed(reader.take(usize::from(type_and_len & 0x0FFF), "SIGN signature")?);
    Ok(Signature { sig_type: (type_and_len >> 12) as u8, data })
}

fn encode_signature(signature: &Signature<'_>, out: &mut Vec<u8>) -> Result<()> {
    if signature.sig_type > 0x0F {
        return Err(Error::invalid_argument("SIGN S type is a 4-bit field"));
    }
    let len = length_bits(signature.data.len(), 12, "SIGN signature")?;
    out.extend_from_slice(&((u16::from(signature.sig_type) << 12) | len).to_be_bytes());
    out.extend_from_slice(&signature.data);
    Ok(())
}
