//! The payload enum and the small payloads: T (§6.6), RAND (§6.11), V (§6.9), ERR (§6.12),
//! PKE (§6.3), DH (§6.4) and SIGN (§6.5) of RFC 3830, and TR (§6.4) and RANDR (§6.8) of
//! RFC 6043.

use std::borrow::Cow;

use super::extension::GeneralExtension;
use super::identity::{CertHash, CertPayload, IdPayload, IdrPayload};
use super::kemac::{Kemac, KeyValidity};
use super::policy::SecurityPolicy;
use super::reader::{length_bits, put_u8_len, Reader};
use super::registry::{DhGroup, MacAlgorithmCode, PayloadType, TimestampType};
use super::sakke::SakkePayload;
use super::ticket::{Ticket, TicketPolicy};
use crate::error::{Error, Result};

/// A timestamp payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// NTP-UTC, NTP, COUNTER or NTP-UTC-32.
    pub ts_type: TimestampType,
    /// The value as 64 bits: a COUNTER occupies the low 32; an NTP-UTC-32 the high 32, its
    /// seconds, with a zero fraction (the 64-bit NTP-UTC form RFC 6043 §6.3 pads it to).
    pub value: u64,
}

impl Timestamp {
    /// The 64-bit form used as PRF and IV input (a COUNTER padded with leading zeros, RFC 3830
    /// §6.6; an NTP-UTC-32 with a zero fraction, RFC 6043 §6.3).
    pub fn as_64_bits(&self) -> [u8; 8] {
        self.value.to_be_bytes()
    }

    /// Decodes TS type and TS value (the T payload after its next-payload field).
    pub(crate) fn decode(reader: &mut Reader<'_>) -> Result<Self> {
        let code = reader.u8("TS type")?;
        let ts_type = TimestampType::from_code(code)
            .ok_or_else(|| Error::unsupported(format!("unknown timestamp type {code}")))?;
        let value = match ts_type {
            TimestampType::Counter => u64::from(reader.u32("TS value")?),
            TimestampType::NtpUtc32 => u64::from(reader.u32("TS value")?) << 32,
            TimestampType::NtpUtc | TimestampType::Ntp => {
                let high = u64::from(reader.u32("TS value")?);
                (high << 32) | u64::from(reader.u32("TS value")?)
            }
        };
        Ok(Timestamp { ts_type, value })
    }

    /// Appends TS type and TS value; refuses a value its type cannot carry.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        let bytes = self.value.to_be_bytes();
        let (high, low) = bytes.split_at(4);
        let value = match self.ts_type {
            TimestampType::Counter if high != [0; 4] => {
                return Err(Error::invalid_argument("a COUNTER timestamp is 32 bits"));
            }
            TimestampType::Counter => low,
            TimestampType::NtpUtc32 if low != [0; 4] => {
                return Err(Error::invalid_argument(
                    "an NTP-UTC-32 timestamp is whole seconds: its fraction must be zero (RFC 6043 §6.3)",
                ));
            }
            TimestampType::NtpUtc32 => high,
            TimestampType::NtpUtc | TimestampType::Ntp => &bytes[..],
        };
        out.push(self.ts_type.code());
        out.extend_from_slice(value);
        Ok(())
    }
}

/// A timestamp payload with a role, TR (RFC 6043 §6.4): the fields of T and what the time means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampWithRole {
    /// TS Role: time of issue, start or end of validity, rekeying interval (see
    /// `registry::ts_role`).
    pub role: u8,
    /// TS Type and TS Value, as in T.
    pub timestamp: Timestamp,
}

/// A RAND payload with a role, RANDR (RFC 6043 §6.8): the fields of RAND and who generated it.
///
/// §6.8 sets no length rule of its own; the RAND length each exchange needs (§12.1) is checked
/// where the RAND is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RandWithRole<'a> {
    /// RAND Role: Initiator, Responder or KMS (see `registry::rand_role`).
    pub role: u8,
    /// The RAND (at most 255 bytes: its length field is 8 bits).
    pub rand: Cow<'a, [u8]>,
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
    /// TR: a timestamp with its role (RFC 6043 §6.4).
    TimestampWithRole(TimestampWithRole),
    /// RANDR: a RAND with its role (RFC 6043 §6.8).
    RandWithRole(RandWithRole<'a>),
    /// TP: a desired Ticket Policy (RFC 6043 §6.10).
    TicketPolicy(TicketPolicy<'a>),
    /// TICKET: a granted Ticket Policy and its ticket (RFC 6043 §6.10).
    Ticket(Ticket<'a>),
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
            Payload::TimestampWithRole(_) => PayloadType::TimestampWithRole,
            Payload::RandWithRole(_) => PayloadType::RandWithRole,
            Payload::TicketPolicy(_) => PayloadType::TicketPolicy,
            Payload::Ticket(_) => PayloadType::Ticket,
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
            PayloadType::Timestamp => Payload::Timestamp(Timestamp::decode(reader)?),
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
            PayloadType::TimestampWithRole => {
                let role = reader.u8("TS role")?;
                Payload::TimestampWithRole(TimestampWithRole { role, timestamp: Timestamp::decode(reader)? })
            }
            PayloadType::RandWithRole => {
                let role = reader.u8("RAND role")?;
                Payload::RandWithRole(RandWithRole { role, rand: Cow::Borrowed(reader.take_u8_len("RANDR RAND")?) })
            }
            PayloadType::TicketPolicy => Payload::TicketPolicy(TicketPolicy::decode_desired(reader)?),
            PayloadType::Ticket => Payload::Ticket(Ticket::decode(reader)?),
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
            Payload::Timestamp(ts) => ts.encode(out),
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
            Payload::Rand(rand) => put_u8_len(out, rand, "RAND"),
            Payload::Error(err) => {
                out.extend_from_slice(&[err.code, 0, 0]);
                Ok(())
            }
            Payload::GeneralExtension(ext) => ext.encode(out),
            Payload::IdWithRole(idr) => idr.encode(out),
            Payload::Sakke(sakke) => sakke.encode(out),
            Payload::TimestampWithRole(tr) => {
                out.push(tr.role);
                tr.timestamp.encode(out)
            }
            Payload::RandWithRole(randr) => {
                out.push(randr.role);
                put_u8_len(out, &randr.rand, "RANDR RAND")
            }
            Payload::TicketPolicy(policy) => policy.encode_desired(out),
            Payload::Ticket(ticket) => ticket.encode(out),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::registry::{rand_role, ts_role};
    use crate::ErrorKind;

    /// Decodes `bytes` as one payload of `payload_type`, every byte used; returns it and its next
    /// payload field.
    fn decode_one(payload_type: PayloadType, bytes: &[u8]) -> Result<(Payload<'_>, u8)> {
        let mut reader = Reader::new(bytes);
        let mut payloads = Vec::new();
        let next = Payload::decode_onto(payload_type, &mut reader, &mut payloads)?;
        assert!(reader.is_empty(), "{} bytes left", reader.remaining());
        Ok((payloads.pop().unwrap(), next))
    }

    fn encode_one(payload: &Payload<'_>, next: PayloadType) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        payload.encode(next, &mut out)?;
        Ok(out)
    }

    /// Every proper prefix of a payload's bytes is refused as malformed.
    fn assert_prefixes_refused(payload_type: PayloadType, bytes: &[u8]) {
        for len in 0..bytes.len() {
            let error = decode_one(payload_type, &bytes[..len]).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Malformed, "{payload_type:?} cut to {len} bytes: {error}");
        }
    }

    #[test]
    fn an_ntp_utc_32_timestamp_is_whole_seconds_padded_to_64_bits() {
        // RFC 6043 §6.3: next payload, TS type 3, the 32-bit seconds.
        let bytes = [0, 3, 0xE9, 0xF0, 0x12, 0x34];
        let (payload, next) = decode_one(PayloadType::Timestamp, &bytes).unwrap();
        let timestamp = *payload.as_timestamp().unwrap();
        assert_eq!((timestamp.ts_type, timestamp.value, next), (TimestampType::NtpUtc32, 0xE9F0_1234_0000_0000, 0));
        assert_eq!(timestamp.as_64_bits(), [0xE9, 0xF0, 0x12, 0x34, 0, 0, 0, 0], "the IV and PRF form");
        assert_eq!(encode_one(&payload, PayloadType::Last).unwrap(), bytes);
        assert_prefixes_refused(PayloadType::Timestamp, &bytes);
        // A fraction cannot be carried.
        let fraction = Payload::Timestamp(Timestamp { value: 0xE9F0_1234_0000_0001, ..timestamp });
        assert_eq!(encode_one(&fraction, PayloadType::Last).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn a_counter_stays_in_the_low_32_bits() {
        let bytes = [0, 2, 0, 0, 0, 42];
        let (payload, _) = decode_one(PayloadType::Timestamp, &bytes).unwrap();
        assert_eq!(*payload.as_timestamp().unwrap(), Timestamp { ts_type: TimestampType::Counter, value: 42 });
        assert_eq!(payload.as_timestamp().unwrap().as_64_bits(), [0, 0, 0, 0, 0, 0, 0, 42]);
        let wide = Payload::Timestamp(Timestamp { ts_type: TimestampType::Counter, value: 1 << 32 });
        assert_eq!(encode_one(&wide, PayloadType::Last).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn tr_has_the_rfc_6043_layout_for_every_timestamp_type() {
        // §6.4: next payload, TS role, TS type, TS value.
        let cases: [(&[u8], Timestamp); 3] = [
            (
                &[11, 2, 3, 0xE9, 0xF0, 0x12, 0x34],
                Timestamp { ts_type: TimestampType::NtpUtc32, value: 0xE9F0_1234_0000_0000 },
            ),
            (
                &[11, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8],
                Timestamp { ts_type: TimestampType::NtpUtc, value: 0x0102_0304_0506_0708 },
            ),
            (&[11, 4, 2, 0, 0, 0x0E, 0x10], Timestamp { ts_type: TimestampType::Counter, value: 3600 }),
        ];
        for (bytes, timestamp) in cases {
            let (payload, next) = decode_one(PayloadType::TimestampWithRole, bytes).unwrap();
            let tr = payload.as_timestamp_with_role().unwrap();
            assert_eq!((tr.role, tr.timestamp, next), (bytes[1], timestamp, PayloadType::Rand.code()));
            assert_eq!(payload.payload_type(), PayloadType::TimestampWithRole);
            assert_eq!(encode_one(&payload, PayloadType::Rand).unwrap(), bytes);
            assert_prefixes_refused(PayloadType::TimestampWithRole, bytes);
        }
        assert_eq!(
            decode_one(PayloadType::TimestampWithRole, &[0, ts_role::TIME_OF_ISSUE, 9, 0, 0, 0, 0]).unwrap_err().kind(),
            ErrorKind::Unsupported,
            "TS type 9"
        );
        let fraction = Payload::TimestampWithRole(TimestampWithRole {
            role: ts_role::REKEYING_INTERVAL,
            timestamp: Timestamp { ts_type: TimestampType::NtpUtc32, value: 1 },
        });
        assert_eq!(encode_one(&fraction, PayloadType::Last).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn randr_has_the_rfc_6043_layout_and_checks_its_length() {
        // §6.8: next payload, RAND role, RAND length, RAND.
        let bytes = [0, rand_role::KMS, 3, 0xA1, 0xA2, 0xA3];
        let (payload, _) = decode_one(PayloadType::RandWithRole, &bytes).unwrap();
        let randr = payload.as_rand_with_role().unwrap();
        assert_eq!((randr.role, &randr.rand[..]), (3, &[0xA1, 0xA2, 0xA3][..]));
        assert_eq!(encode_one(&payload, PayloadType::Last).unwrap(), bytes);
        assert_prefixes_refused(PayloadType::RandWithRole, &bytes);
        // The length says 4; 3 bytes follow.
        assert_eq!(
            decode_one(PayloadType::RandWithRole, &[0, 1, 4, 1, 2, 3]).unwrap_err().kind(),
            ErrorKind::Malformed
        );
        // §6.8 sets no minimum: an empty RAND is the wire's to carry and the method's to refuse.
        let (empty, _) = decode_one(PayloadType::RandWithRole, &[0, rand_role::INITIATOR, 0]).unwrap();
        assert!(empty.as_rand_with_role().unwrap().rand.is_empty());
        let long = Payload::RandWithRole(RandWithRole { role: rand_role::RESPONDER, rand: vec![0; 256].into() });
        assert_eq!(encode_one(&long, PayloadType::Last).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
}
