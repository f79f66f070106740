//! The MIKEY wire format (RFC 3830 §6): bytes ⇄ typed messages.
//!
//! Pure: no crypto, no clock, no randomness. Decoding is strict: every length is checked
//! against the bytes present before anything is allocated, the next-payload chain must end
//! with Last, and trailing bytes are rejected unless an interop option allows one padding byte.

pub mod extension;
pub mod header;
pub mod identity;
pub mod kemac;
pub mod key_parameters;
pub mod payload;
pub mod policy;
pub mod reader;
pub mod registry;
pub mod sakke;
pub mod ticket;

pub use extension::{GeneralExtension, KeyId};
pub use header::{
    CommonHeader, CsIdMap, GenericCsEntry, HeaderStart, SrtpCsEntry, SrtpIdMap, SrtpSessionData, MIKEY_VERSION,
};
pub use identity::{CertHash, CertPayload, IdPayload, IdrPayload};
pub use kemac::{Kemac, KeyData, KeyDataList, KeyValidity};
pub use key_parameters::{KeyParameters, KeyParametersExtension, LegacyKeyParameters, ProtectedKeyParameters};
pub use payload::{
    DhPayload, ErrorPayload, Payload, Pke, RandWithRole, Signature, Timestamp, TimestampWithRole, Verification,
};
pub use policy::{PolicyParam, SecurityPolicy};
pub use registry::{
    CsIdMapType, DataType, DhGroup, HashFunction, KeyDataType, KeyValidityType, MacAlgorithmCode, PayloadType,
    TimestampType,
};
pub use sakke::SakkePayload;
pub use ticket::{BaseTicket, Ticket, TicketFlags, TicketPolicy};

use std::borrow::Cow;

use crate::error::{Error, Result};
use reader::Reader;

/// The longest MIKEY message this library takes or makes, in bytes: far more than any exchange
/// needs (an RSA-R answer with two 4096-bit certificates is under 6 KiB), small enough that
/// nothing sized by a message costs much. Callers can size their buffers by it.
pub const MAX_MESSAGE_LEN: usize = 16_384;

/// How strictly to decode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Accept one byte after the last payload (seen from Milestone XProtect). It is not part
    /// of the message: MACs and signatures never cover it.
    pub allow_trailing_padding_byte: bool,
}

/// A MIKEY message: the common header and the payloads in wire order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// The common header.
    pub header: CommonHeader<'a>,
    /// The payloads after the header, in order.
    pub payloads: Vec<Payload<'a>>,
}

/// The part of a message that did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessagePart {
    /// The common header (RFC 3830 §6.1).
    CommonHeader,
    /// A payload of this type.
    Payload(PayloadType),
    /// A payload whose type code this library does not know.
    UnknownPayload(u8),
    /// Bytes after the payload whose next payload is Last.
    AfterLastPayload,
}

/// Why and where a message did not decode: the rule broken, the part that broke it and the
/// offset of that part's first byte.
#[derive(Debug)]
pub struct DecodeFailure {
    /// Offset of the failing part's first byte in the message.
    pub offset: usize,
    /// The failing part.
    pub part: MessagePart,
    /// The rule broken, as for [`Message::decode`].
    pub error: Error,
}

/// Payload slots reserved up front: the PSK, NULL and DH messages carry at most 8 payloads.
const USUAL_PAYLOAD_COUNT: usize = 8;

impl<'a> Message<'a> {
    /// Decodes a whole message strictly (no trailing bytes); byte fields borrow from `bytes`.
    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        Self::decode_with(bytes, DecodeOptions::default()).map(|(message, _)| message)
    }

    /// Decodes a message; returns it and its length without any accepted padding byte.
    pub fn decode_with(bytes: &'a [u8], options: DecodeOptions) -> Result<(Self, usize)> {
        Self::decode_located(bytes, options).map_err(|failure| failure.error)
    }

    /// [`Message::decode_with`], telling on failure which part of the message broke which rule
    /// and where that part starts (for inspectors: `mikey decode`).
    pub fn decode_located(
        bytes: &'a [u8],
        options: DecodeOptions,
    ) -> std::result::Result<(Self, usize), DecodeFailure> {
        let mut reader = Reader::new(bytes);
        let (header, first) = CommonHeader::decode(&mut reader).map_err(|error| DecodeFailure {
            offset: 0,
            part: MessagePart::CommonHeader,
            error,
        })?;
        let mut payloads = Vec::with_capacity(USUAL_PAYLOAD_COUNT);
        decode_chain(&mut reader, first, &mut payloads)?;
        let message_len = reader.position();
        match reader.remaining() {
            0 => {}
            1 if options.allow_trailing_padding_byte => {}
            extra => {
                let error = Error::malformed(format!("{extra} bytes after the last payload"));
                return Err(DecodeFailure { offset: message_len, part: MessagePart::AfterLastPayload, error });
            }
        }
        Ok((Message { header, payloads }, message_len))
    }

    /// Encodes the message, filling in every next-payload field from the payload order.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(256);
        self.header.encode(first_payload_type(&self.payloads), &mut out)?;
        encode_chain(&self.payloads, &mut out)?;
        Ok(out)
    }

    /// The first payload that `pick` selects, e.g. `message.find(Payload::as_timestamp)`.
    pub fn find<'m, T: 'm>(&'m self, pick: impl Fn(&'m Payload<'a>) -> Option<&'m T>) -> Option<&'m T> {
        self.payloads.iter().find_map(pick)
    }

    /// How many payloads `pick` selects.
    pub fn count<'m, T: 'm>(&'m self, pick: impl Fn(&'m Payload<'a>) -> Option<&'m T>) -> usize {
        self.payloads.iter().filter_map(pick).count()
    }
}

/// Decodes the payloads of a chain whose first payload has the type code `first` onto
/// `payloads`, up to the one whose next payload is Last; offsets are from the reader's start.
fn decode_chain<'a>(
    reader: &mut Reader<'a>,
    first: u8,
    payloads: &mut Vec<Payload<'a>>,
) -> std::result::Result<(), DecodeFailure> {
    let mut next = first;
    while next != PayloadType::Last.code() {
        let offset = reader.position();
        let Some(payload_type) = PayloadType::from_code(next) else {
            let error = Error::unsupported(format!("unknown payload type {next}"));
            return Err(DecodeFailure { offset, part: MessagePart::UnknownPayload(next), error });
        };
        next = Payload::decode_onto(payload_type, reader, payloads).map_err(|error| DecodeFailure {
            offset,
            part: MessagePart::Payload(payload_type),
            error,
        })?;
    }
    Ok(())
}

/// Decodes a chain that starts with the type code `first` and ends exactly where `reader` does.
pub(crate) fn decode_chain_to_end<'a>(reader: &mut Reader<'a>, first: u8, what: &str) -> Result<Vec<Payload<'a>>> {
    let mut payloads = Vec::new();
    decode_chain(reader, first, &mut payloads).map_err(|failure| failure.error)?;
    match reader.remaining() {
        0 => Ok(payloads),
        extra => Err(Error::malformed(format!("{extra} bytes after the last payload of the {what}"))),
    }
}

/// Decodes a payload chain carried inside a payload: a first-payload octet, then the payloads it
/// announces, filling `bytes` exactly. This is the form of a Ticket Policy's TP Data and a
/// TICKET's Initiator Data (RFC 6043 §6.10).
pub fn decode_payload_chain(bytes: &[u8]) -> Result<Vec<Payload<'_>>> {
    let mut reader = Reader::new(bytes);
    let first = reader.u8("first payload")?;
    decode_chain_to_end(&mut reader, first, "payload chain")
}

/// Encodes `payloads` as [`decode_payload_chain`] reads them: the first payload's type, then
/// the payloads with their next-payload fields filled in.
pub fn encode_payload_chain(payloads: &[Payload<'_>]) -> Result<Vec<u8>> {
    let mut out = vec![first_payload_type(payloads).code()];
    encode_chain(payloads, &mut out)?;
    Ok(out)
}

/// The type of the first of `payloads`, Last for none.
pub(crate) fn first_payload_type(payloads: &[Payload<'_>]) -> PayloadType {
    payloads.first().map_or(PayloadType::Last, Payload::payload_type)
}

/// Appends `payloads`, each announcing the type of the one after it (Last for the last).
pub(crate) fn encode_chain(payloads: &[Payload<'_>], out: &mut Vec<u8>) -> Result<()> {
    for (index, payload) in payloads.iter().enumerate() {
        payload.encode(first_payload_type(&payloads[index + 1..]), out)?;
    }
    Ok(())
}

/// Accessors for `Message::find`.
impl<'a> Payload<'a> {
    /// The PKE payload, if this is one.
    pub fn as_pke(&self) -> Option<&Pke<'a>> {
        match self {
            Payload::Pke(pke) => Some(pke),
            _ => None,
        }
    }

    /// The T payload, if this is one.
    pub fn as_timestamp(&self) -> Option<&Timestamp> {
        match self {
            Payload::Timestamp(ts) => Some(ts),
            _ => None,
        }
    }

    /// The RAND bytes, if this is a RAND payload.
    pub fn as_rand(&self) -> Option<&Cow<'a, [u8]>> {
        match self {
            Payload::Rand(rand) => Some(rand),
            _ => None,
        }
    }

    /// The KEMAC, if this is one.
    pub fn as_kemac(&self) -> Option<&Kemac<'a>> {
        match self {
            Payload::Kemac(kemac) => Some(kemac),
            _ => None,
        }
    }

    /// The SP payload, if this is one.
    pub fn as_security_policy(&self) -> Option<&SecurityPolicy<'a>> {
        match self {
            Payload::SecurityPolicy(policy) => Some(policy),
            _ => None,
        }
    }

    /// The ID payload, if this is one.
    pub fn as_id(&self) -> Option<&IdPayload<'a>> {
        match self {
            Payload::Id(id) => Some(id),
            _ => None,
        }
    }

    /// The CHASH payload, if this is one.
    pub fn as_cert_hash(&self) -> Option<&CertHash<'a>> {
        match self {
            Payload::CertHash(hash) => Some(hash),
            _ => None,
        }
    }

    /// The DH payload, if this is one.
    pub fn as_dh(&self) -> Option<&DhPayload<'a>> {
        match self {
            Payload::Dh(dh) => Some(dh),
            _ => None,
        }
    }

    /// The V payload, if this is one.
    pub fn as_verification(&self) -> Option<&Verification<'a>> {
        match self {
            Payload::Verification(v) => Some(v),
            _ => None,
        }
    }

    /// The ERR payload, if this is one.
    pub fn as_error(&self) -> Option<&ErrorPayload> {
        match self {
            Payload::Error(err) => Some(err),
            _ => None,
        }
    }

    /// The general extension, if this is one.
    pub fn as_general_extension(&self) -> Option<&GeneralExtension<'a>> {
        match self {
            Payload::GeneralExtension(ext) => Some(ext),
            _ => None,
        }
    }

    /// The IDR payload, if this is one.
    pub fn as_id_with_role(&self) -> Option<&IdrPayload<'a>> {
        match self {
            Payload::IdWithRole(idr) => Some(idr),
            _ => None,
        }
    }

    /// The SAKKE payload, if this is one.
    pub fn as_sakke(&self) -> Option<&SakkePayload<'a>> {
        match self {
            Payload::Sakke(sakke) => Some(sakke),
            _ => None,
        }
    }

    /// The TR payload, if this is one.
    pub fn as_timestamp_with_role(&self) -> Option<&TimestampWithRole> {
        match self {
            Payload::TimestampWithRole(tr) => Some(tr),
            _ => None,
        }
    }

    /// The RANDR payload, if this is one.
    pub fn as_rand_with_role(&self) -> Option<&RandWithRole<'a>> {
        match self {
            Payload::RandWithRole(randr) => Some(randr),
            _ => None,
        }
    }

    /// The TP payload, if this is one.
    pub fn as_ticket_policy(&self) -> Option<&TicketPolicy<'a>> {
        match self {
            Payload::TicketPolicy(policy) => Some(policy),
            _ => None,
        }
    }

    /// The TICKET payload, if this is one.
    pub fn as_ticket(&self) -> Option<&Ticket<'a>> {
        match self {
            Payload::Ticket(ticket) => Some(ticket),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn header(data_type: DataType, cs_id_map: CsIdMap<'_>) -> CommonHeader<'_> {
        CommonHeader { data_type, verification_requested: true, prf_function: 0, csb_id: 0xDEADBEEF, cs_id_map }
    }

    /// A message carrying one of every RFC 3830 payload (SIGN last): the committed fuzz seed,
    /// which `tests/decode_robustness.rs` builds (`write_seed_corpus`).
    const EVERY_PAYLOAD: &[u8] = include_bytes!("../../fuzz/corpus/decode_message/hand_every_payload");

    fn every_payload() -> Message<'static> {
        Message::decode(EVERY_PAYLOAD).unwrap()
    }

    #[test]
    fn a_failure_is_located_at_the_part_that_broke_the_rule() {
        let message = every_payload();
        let header_len = {
            let mut bytes = Vec::new();
            message.header.encode(message.payloads[0].payload_type(), &mut bytes).unwrap();
            bytes.len()
        };
        // Cut the first payload short: located at its start, as that payload.
        let cut = &EVERY_PAYLOAD[..header_len + 1];
        let failure = Message::decode_located(cut, DecodeOptions::default()).unwrap_err();
        assert_eq!(
            (failure.offset, failure.part),
            (header_len, MessagePart::Payload(message.payloads[0].payload_type()))
        );
        // A broken header, and a byte after the last payload.
        let failure = Message::decode_located(&EVERY_PAYLOAD[..3], DecodeOptions::default()).unwrap_err();
        assert_eq!((failure.offset, failure.part), (0, MessagePart::CommonHeader));
        let mut padded = EVERY_PAYLOAD.to_vec();
        padded.push(0);
        let failure = Message::decode_located(&padded, DecodeOptions::default()).unwrap_err();
        assert_eq!((failure.offset, failure.part), (EVERY_PAYLOAD.len(), MessagePart::AfterLastPayload));
        assert_eq!(failure.error.kind(), ErrorKind::Malformed);
    }

    #[test]
    fn every_payload_round_trips() {
        let message = every_payload();
        assert_eq!(message.encode().unwrap(), EVERY_PAYLOAD);
        let carried: std::collections::BTreeSet<u8> =
            message.payloads.iter().map(|payload| payload.payload_type().code()).collect();
        use PayloadType::*;
        let rfc_3830 = [Kemac, Pke, Dh, Sign, Timestamp, Id, Cert, CertHash, Verification, SecurityPolicy, Rand, Error];
        let expected: std::collections::BTreeSet<u8> =
            rfc_3830.into_iter().chain([GeneralExtension]).map(PayloadType::code).collect();
        assert_eq!(carried, expected, "the fixture lacks a payload type");
    }

    #[test]
    fn every_cs_id_map_round_trips() {
        let maps = [CsIdMap::Empty { cs_count: 3 }, CsIdMap::SrtpId(SrtpIdMap::default())];
        for map in maps {
            let message = Message { header: header(DataType::PskInit, map), payloads: vec![] };
            let bytes = message.encode().unwrap();
            assert_eq!(Message::decode(&bytes).unwrap(), message);
        }
        // GENERIC-ID (RFC 6043): two entries, with and without session data, from the seed corpus.
        let generic = include_bytes!("../../fuzz/corpus/decode_message/hand_generic_map");
        let message = Message::decode(generic).unwrap();
        assert!(matches!(&message.header.cs_id_map, CsIdMap::GenericId(entries) if entries.len() == 2));
        assert_eq!(message.encode().unwrap(), generic);
    }

    #[test]
    fn header_has_the_rfc_layout() {
        let message = Message {
            header: header(
                DataType::PskInit,
                CsIdMap::SrtpId(SrtpIdMap::from_entries([SrtpCsEntry {
                    policy_no: 0,
                    ssrc: 0x01020304,
                    roc: 0x05060708,
                }])),
            ),
            payloads: vec![Payload::Rand(vec![9].into())],
        };
        assert_eq!(
            message.encode().unwrap(),
            [1, 0, 11, 0x80, 0xDE, 0xAD, 0xBE, 0xEF, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 9]
        );
    }

    #[test]
    fn every_truncation_is_rejected_without_panicking() {
        let bytes = every_payload().encode().unwrap();
        for len in 0..bytes.len() {
            let error = Message::decode(&bytes[..len]).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Malformed, "prefix of {len} bytes: {error}");
        }
    }

    #[test]
    fn trailing_bytes_need_the_interop_option_and_only_one_is_allowed() {
        let mut bytes = every_payload().encode().unwrap();
        let len = bytes.len();
        bytes.push(0);
        assert_eq!(Message::decode(&bytes).unwrap_err().kind(), ErrorKind::Malformed);
        let padded = DecodeOptions { allow_trailing_padding_byte: true };
        assert_eq!(Message::decode_with(&bytes, padded).unwrap().1, len);
        bytes.push(0);
        assert_eq!(Message::decode_with(&bytes, padded).unwrap_err().kind(), ErrorKind::Malformed);
    }

    #[test]
    fn broken_chains_and_unknown_codes_are_rejected() {
        let good = Message {
            header: header(DataType::PskInit, CsIdMap::Empty { cs_count: 0 }),
            payloads: vec![Payload::Rand(vec![1, 2].into())],
        }
        .encode()
        .unwrap();
        let with = |index: usize, value: u8| {
            let mut bytes = good.clone();
            bytes[index] = value;
            Message::decode(&bytes).unwrap_err().kind()
        };
        assert_eq!(with(0, 2), ErrorKind::Unsupported, "version 2");
        assert_eq!(with(1, 99), ErrorKind::Unsupported, "data type 99");
        assert_eq!(with(2, 99), ErrorKind::Unsupported, "next payload 99");
        assert_eq!(with(2, PayloadType::KeyData.code()), ErrorKind::Malformed, "key data outside KEMAC");
        assert_eq!(with(9, 7), ErrorKind::Unsupported, "CS ID map type 7");
        // The RAND's next-payload claims a T payload that is not there.
        assert_eq!(with(10, PayloadType::Timestamp.code()), ErrorKind::Malformed);
        // SIGN must be last when encoding.
        let sign_first = Message {
            header: header(DataType::PskInit, CsIdMap::Empty { cs_count: 0 }),
            payloads: vec![Payload::Sign(Signature { sig_type: 0, data: vec![].into() }), Payload::Rand(vec![].into())],
        };
        assert_eq!(sign_first.encode().unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn a_huge_cs_count_with_few_bytes_is_rejected_before_allocating() {
        let bytes = [1, 0, 0, 0, 0, 0, 0, 1, 255, 0, 1, 2, 3];
        assert_eq!(Message::decode(&bytes).unwrap_err().kind(), ErrorKind::Malformed);
    }
}
