//! The Ticket Policy payload TP and the Ticket payload TICKET (RFC 6043 §6.10), and the Ticket
//! Data of the MIKEY base ticket (RFC 6043 Appendix A).
//!
//! Pure codec: a base ticket's KEMAC stays encrypted and its V MAC stays bytes; checking and
//! opening them is for the method.

use std::borrow::Cow;

use super::identity::IdrPayload;
use super::kemac::Kemac;
use super::payload::{Payload, Timestamp, Verification};
use super::reader::{put_u16_len, Reader};
use super::registry::{id_role, ticket_type, MacAlgorithmCode};
use super::{decode_chain_to_end, decode_payload_chain, encode_chain, first_payload_type};
use crate::error::{Error, Result};

/// The flags D to O of a Ticket Policy (RFC 6043 §6.10), each named by what its '1' means.
///
/// They are not independent; [`TicketFlags::broken_rule`] checks how. Decoding and encoding a TP
/// or TICKET refuse flags that break a rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TicketFlags {
    /// D: the KMS generated the ticket ('0': the Initiator did).
    pub generated_by_kms: bool,
    /// E: the Ticket Resolve exchange is mandatory ('0': the Responder MAY resolve the ticket
    /// itself).
    pub kms_must_resolve: bool,
    /// F: the Responder SHALL send a TRANSFER_RESP ('0': it SHALL NOT).
    pub transfer_response: bool,
    /// G: the Responder SHALL generate a RANDRr ('0': it SHALL NOT).
    pub responder_rand: bool,
    /// H: RANDRi SHALL be used when deriving keys from a TGK/GTGK ('0': it SHALL NOT).
    pub initiator_rand_in_tgk_derivation: bool,
    /// I: key forking SHALL be used (§5.1.1; '0': it SHALL NOT).
    pub key_forking: bool,
    /// J: the ticket MAY be reused, and so cached (§5.3; '0': it SHALL NOT be reused).
    pub reusable: bool,
    /// K: the KMS changed the desired Ticket Policy or the desired KEMAC ('0': it did not). In a
    /// TP the Initiator SHALL set it to '0' and the KMS ignores it.
    pub changed_by_kms: bool,
    /// L: the Initiator MAY supply session keys ('0': it SHALL NOT).
    pub initiator_may_supply_keys: bool,
    /// M: the Responder MAY supply session keys ('0': it SHALL NOT).
    pub responder_may_supply_keys: bool,
    /// N: an Initiator following RFC 6043 can send a TRANSFER_INIT with the ticket ('0': the
    /// ticket type's own specification adds processing).
    pub initiator_can_transfer: bool,
    /// O: a Responder following RFC 6043 can process a TRANSFER_INIT with the ticket ('0': the
    /// ticket type's own specification adds processing).
    pub responder_can_process: bool,
}

/// A rule between flags, in the words of RFC 6043 §6.10, and the test that it holds.
type FlagRule = (&'static str, fn(&TicketFlags) -> bool);

/// The flag dependencies of §6.10: "NOT D implies L, G implies F, NOT G implies H, NOT H implies
/// G, I implies E, K implies D, and M implies F". The two rules on G and H are contrapositives
/// of each other (at least one of G and H; §5.1.3: "at least one of RANDRi and RANDRr MUST be
/// used"), so they are one test.
const FLAG_RULES: [FlagRule; 6] = [
    ("NOT D implies L", |flags| flags.generated_by_kms || flags.initiator_may_supply_keys),
    ("G implies F", |flags| !flags.responder_rand || flags.transfer_response),
    ("NOT G implies H, NOT H implies G", |flags| flags.responder_rand || flags.initiator_rand_in_tgk_derivation),
    ("I implies E", |flags| !flags.key_forking || flags.kms_must_resolve),
    ("K implies D", |flags| !flags.changed_by_kms || flags.generated_by_kms),
    ("M implies F", |flags| !flags.responder_may_supply_keys || flags.transfer_response),
];

impl TicketFlags {
    /// The flags in wire order, D first, each with its letter.
    pub fn in_wire_order(&self) -> [(char, bool); 12] {
        [
            ('D', self.generated_by_kms),
            ('E', self.kms_must_resolve),
            ('F', self.transfer_response),
            ('G', self.responder_rand),
            ('H', self.initiator_rand_in_tgk_derivation),
            ('I', self.key_forking),
            ('J', self.reusable),
            ('K', self.changed_by_kms),
            ('L', self.initiator_may_supply_keys),
            ('M', self.responder_may_supply_keys),
            ('N', self.initiator_can_transfer),
            ('O', self.responder_can_process),
        ]
    }

    /// The first flag dependency of §6.10 these flags break, in the RFC's words, or `None`.
    ///
    /// One more rule of §6.10, "F SHALL be '1' when I is '1' and a TGK is encoded in the
    /// ticket", depends on the encrypted keys and is left to whoever reads them.
    pub fn broken_rule(&self) -> Option<&'static str> {
        FLAG_RULES.iter().find(|(_, holds)| !holds(self)).map(|(rule, _)| *rule)
    }

    /// The flags from the 12 bits of the field, D the most significant.
    fn from_bits(bits: u16) -> Self {
        let [d, e, f, g, h, i, j, k, l, m, n, o] = std::array::from_fn(|index| bits & (0x800 >> index) != 0);
        TicketFlags {
            generated_by_kms: d,
            kms_must_resolve: e,
            transfer_response: f,
            responder_rand: g,
            initiator_rand_in_tgk_derivation: h,
            key_forking: i,
            reusable: j,
            changed_by_kms: k,
            initiator_may_supply_keys: l,
            responder_may_supply_keys: m,
            initiator_can_transfer: n,
            responder_can_process: o,
        }
    }

    /// The 12 bits of the field, D the most significant.
    fn bits(&self) -> u16 {
        self.in_wire_order().iter().fold(0, |bits, &(_, on)| (bits << 1) | u16::from(on))
    }
}

/// A Ticket Policy (RFC 6043 §6.10): on its own the TP payload, the policy an Initiator
/// desires; inside a [`Ticket`] the policy the ticket was granted with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketPolicy<'a> {
    /// Ticket Type (see `registry::ticket_type`), which says how to read the Ticket Data.
    pub ticket_type: u16,
    /// Subtype of the ticket type.
    pub subtype: u8,
    /// Version of the ticket subtype.
    pub version: u8,
    /// PRF Func (7 bits): the PRF for key forking and, in the base ticket, for the keys
    /// derived from the TPK and the MPK (Appendix A.2).
    pub prf_function: u8,
    /// The flags D to O.
    pub flags: TicketFlags,
    /// Res (5 bits): reserved for future use. §6.10 gives it no value, so any is taken and kept:
    /// a ticket is forwarded (TRANSFER_INIT, RESOLVE_INIT) and its MAC covers these bits
    /// (Appendix A.1).
    pub reserved: u8,
    /// TP Data: a first-payload octet and a chain of payloads,
    /// `[IDRkms], [IDRi], [TRs], [TRe], [TRr], [KEMAC], {IDRapp}, (IDRr)`; read it with
    /// [`TicketPolicy::tp_data_payloads`].
    pub tp_data: Cow<'a, [u8]>,
}

/// A TICKET payload (RFC 6043 §6.10): the granted Ticket Policy, the Ticket Data for the party
/// that resolves the ticket, and the Initiator Data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket<'a> {
    /// The granted Ticket Policy.
    pub policy: TicketPolicy<'a>,
    /// Ticket Data, in the format of the policy's ticket type ([`BaseTicket`] for the MIKEY
    /// base ticket).
    pub ticket_data: Cow<'a, [u8]>,
    /// Initiator Data: empty, or with key forking (I flag) a first-payload octet and the
    /// payloads Vi and Vr ([`super::decode_payload_chain`] reads them).
    pub initiator_data: Cow<'a, [u8]>,
}

/// Which payload a Ticket Policy is read from or written to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PolicyPayload {
    /// TP: the desired policy, whose K flag the KMS ignores.
    Desired,
    /// TICKET: the granted policy.
    Granted,
}

impl<'a> TicketPolicy<'a> {
    /// True for the MIKEY base ticket of RFC 6043: ticket type 1, subtype 1, version 1 (§6.10),
    /// whose Ticket Data [`BaseTicket`] reads.
    pub fn is_mikey_base_ticket(&self) -> bool {
        (self.ticket_type, self.subtype, self.version)
            == (ticket_type::MIKEY_BASE_TICKET, ticket_type::BASE_TICKET_SUBTYPE, ticket_type::BASE_TICKET_VERSION)
    }

    /// The payloads of the TP Data (§6.10), in order. What they must be is for the reader to
    /// check: §6.10 asks that unexpected ones be ignored.
    pub fn tp_data_payloads(&self) -> Result<Vec<Payload<'_>>> {
        decode_payload_chain(&self.tp_data)
    }

    /// Decodes a TP payload after its next-payload field. Its K flag is ignored, as the KMS
    /// does (§6.10): it reads as '0'.
    pub(crate) fn decode_desired(reader: &mut Reader<'a>) -> Result<Self> {
        Self::decode(reader, PolicyPayload::Desired)
    }

    /// Appends a TP payload after its next-payload field; refuses a K flag, which the
    /// Initiator SHALL set to '0' (§6.10).
    pub(crate) fn encode_desired(&self, out: &mut Vec<u8>) -> Result<()> {
        self.encode(PolicyPayload::Desired, out)
    }

    fn decode(reader: &mut Reader<'a>, payload: PolicyPayload) -> Result<Self> {
        let ticket_type = reader.u16("Ticket Type")?;
        let subtype = reader.u8("Ticket Subtype")?;
        let version = reader.u8("Ticket Version")?;
        // PRF Func (7 bits), D to O (12 bits), Res (5 bits).
        let high = reader.u8("Ticket Policy PRF Func/flags")?;
        let word = (u32::from(high) << 16) | u32::from(reader.u16("Ticket Policy flags/Res")?);
        let mut flags = TicketFlags::from_bits(((word >> 5) & 0xFFF) as u16);
        if payload == PolicyPayload::Desired {
            flags.changed_by_kms = false;
        }
        if let Some(rule) = flags.broken_rule() {
            return Err(Error::malformed(format!("the Ticket Policy flags break RFC 6043 §6.10: {rule}")));
        }
        Ok(TicketPolicy {
            ticket_type,
            subtype,
            version,
            prf_function: (word >> 17) as u8,
            flags,
            reserved: (word & 0x1F) as u8,
            tp_data: Cow::Borrowed(reader.take_u16_len("TP Data")?),
        })
    }

    fn encode(&self, payload: PolicyPayload, out: &mut Vec<u8>) -> Result<()> {
        if self.prf_function > 0x7F {
            return Err(Error::invalid_argument("the Ticket Policy's PRF Func is a 7-bit field"));
        }
        if self.reserved > 0x1F {
            return Err(Error::invalid_argument("the Ticket Policy's Res is a 5-bit field"));
        }
        if payload == PolicyPayload::Desired && self.flags.changed_by_kms {
            return Err(Error::invalid_argument("the K flag of a TP SHALL be '0' (RFC 6043 §6.10)"));
        }
        if let Some(rule) = self.flags.broken_rule() {
            return Err(Error::invalid_argument(format!("the Ticket Policy flags break RFC 6043 §6.10: {rule}")));
        }
        let word =
            (u32::from(self.prf_function) << 17) | (u32::from(self.flags.bits()) << 5) | u32::from(self.reserved);
        out.extend_from_slice(&self.ticket_type.to_be_bytes());
        out.extend_from_slice(&[self.subtype, self.version]);
        out.extend_from_slice(&word.to_be_bytes()[1..]);
        put_u16_len(out, &self.tp_data, "TP Data")
    }
}

impl<'a> Ticket<'a> {
    /// Decodes a TICKET payload after its next-payload field.
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self> {
        let ticket = Ticket {
            policy: TicketPolicy::decode(reader, PolicyPayload::Granted)?,
            ticket_data: Cow::Borrowed(reader.take_u16_len("Ticket Data")?),
            initiator_data: Cow::Borrowed(reader.take_u16_len("Initiator Data")?),
        };
        ticket.check_initiator_data().map_err(Error::malformed)?;
        Ok(ticket)
    }

    /// Appends a TICKET payload after its next-payload field.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        self.check_initiator_data().map_err(Error::invalid_argument)?;
        self.policy.encode(PolicyPayload::Granted, out)?;
        put_u16_len(out, &self.ticket_data, "Ticket Data")?;
        put_u16_len(out, &self.initiator_data, "Initiator Data")
    }

    /// Initiator Data SHALL be there "if and only if key forking is used (I flag)" (§6.10). Only
    /// one direction is the payload's: without I there is none. With I, the KMS issues the
    /// ticket without it (REQUEST_RESP) and the Initiator adds it (TRANSFER_INIT), so its
    /// presence is for the method to check.
    fn check_initiator_data(&self) -> std::result::Result<(), &'static str> {
        if self.initiator_data.is_empty() || self.policy.flags.key_forking {
            Ok(())
        } else {
            Err("a TICKET carries Initiator Data only with key forking, the I flag (RFC 6043 §6.10)")
        }
    }
}

/// The Ticket Data of a MIKEY base ticket (RFC 6043 Appendix A):
/// `THDR, T, RAND, KEMAC, [IDRpsk], V`.
///
/// Decoding takes T, RAND, KEMAC and IDRpsk in any order, V last (A.1: "The last payload SHALL
/// be a Verification payload"), and skips any other payload (A: "Unexpected payloads in the
/// Ticket Data SHOULD be ignored"; an IDR of another role is one). Encoding writes the order of
/// A, without the skipped payloads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseTicket<'a> {
    /// THDR Data: implementation-specific (A.3). The THDR has no payload type code: it is the
    /// Ticket Data's first payload by position, and its next-payload field starts the chain.
    pub header_data: Cow<'a, [u8]>,
    /// T: the time of issue or a counter, which may enter the KEMAC's IV.
    pub timestamp: Timestamp,
    /// RAND: input to the keys derived from the TPK and the MPK (A.2).
    pub rand: Cow<'a, [u8]>,
    /// KEMAC = E(encr_key, MPK || {TEK|TGK|GTGK}) under keys from the TPK, still encrypted. Its
    /// MAC algorithm SHALL be NULL: the V payload carries the MAC (A.1).
    pub kemac: Kemac<'a>,
    /// IDRpsk: names the TPK (an IDR of role Pre-Shared Key), when needed to find it.
    pub tpk_id: Option<IdrPayload<'a>>,
    /// V: the MAC under the TPK's auth_key, over the TICKET payload but its Next Payload field,
    /// its Initiator Data length and data, and the MAC itself (A.1).
    pub verification: Verification<'a>,
}

impl<'a> BaseTicket<'a> {
    /// Decodes a TICKET's Ticket Data as a MIKEY base ticket, every byte accounted for.
    pub fn decode(ticket_data: &'a [u8]) -> Result<Self> {
        let mut reader = Reader::new(ticket_data);
        let first = reader.u8("THDR next payload")?;
        let header_data = Cow::Borrowed(reader.take_u16_len("THDR Data")?);
        let mut payloads = decode_chain_to_end(&mut reader, first, "base ticket")?;
        let Some(Payload::Verification(verification)) = payloads.pop() else {
            return Err(Error::malformed("the last payload of a base ticket SHALL be V (RFC 6043 A.1)"));
        };
        let (mut timestamp, mut rand, mut kemac, mut tpk_id) = (None, None, None, None);
        for payload in payloads {
            match payload {
                Payload::Timestamp(found) => only_one(&mut timestamp, found, "T")?,
                Payload::Rand(found) => only_one(&mut rand, found, "RAND")?,
                Payload::Kemac(found) => only_one(&mut kemac, found, "KEMAC")?,
                Payload::IdWithRole(found) if found.role == id_role::PSK => only_one(&mut tpk_id, found, "IDRpsk")?,
                Payload::Verification(_) => return Err(Error::malformed("two V payloads in a base ticket")),
                _ => {}
            }
        }
        let missing = |what: &str| Error::malformed(format!("a base ticket has no {what} payload (RFC 6043 A)"));
        let kemac = kemac.ok_or_else(|| missing("KEMAC"))?;
        check_kemac_mac(&kemac).map_err(Error::malformed)?;
        Ok(BaseTicket {
            header_data,
            timestamp: timestamp.ok_or_else(|| missing("T"))?,
            rand: rand.ok_or_else(|| missing("RAND"))?,
            kemac,
            tpk_id,
            verification,
        })
    }

    /// Encodes the Ticket Data: `THDR, T, RAND, KEMAC, [IDRpsk], V`.
    pub fn encode(&self) -> Result<Vec<u8>> {
        check_kemac_mac(&self.kemac).map_err(Error::invalid_argument)?;
        if self.tpk_id.as_ref().is_some_and(|id| id.role != id_role::PSK) {
            return Err(Error::invalid_argument("a base ticket's IDRpsk has the role Pre-Shared Key (4)"));
        }
        let mut payloads = vec![
            Payload::Timestamp(self.timestamp),
            Payload::Rand(self.rand.clone()),
            Payload::Kemac(self.kemac.clone()),
        ];
        payloads.extend(self.tpk_id.clone().map(Payload::IdWithRole));
        payloads.push(Payload::Verification(self.verification.clone()));
        // The THDR's next payload starts the chain.
        let mut out = vec![first_payload_type(&payloads).code()];
        put_u16_len(&mut out, &self.header_data, "THDR Data")?;
        encode_chain(&payloads, &mut out)?;
        Ok(out)
    }
}

/// Puts `found` in `slot`, refusing a second one.
fn only_one<T>(slot: &mut Option<T>, found: T, what: &str) -> Result<()> {
    match slot.replace(found) {
        None => Ok(()),
        Some(_) => Err(Error::malformed(format!("two {what} payloads in a base ticket"))),
    }
}

/// A base ticket's KEMAC uses the NULL MAC algorithm (RFC 6043 A.1).
fn check_kemac_mac(kemac: &Kemac<'_>) -> std::result::Result<(), &'static str> {
    if kemac.mac_algorithm == MacAlgorithmCode::Null {
        Ok(())
    } else {
        Err("a base ticket's KEMAC SHALL use the NULL MAC algorithm (RFC 6043 A.1)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::registry::{encryption_algorithm, id_type, ts_role, PayloadType, TimestampType};
    use crate::wire::{encode_payload_chain, KeyDataList, KeyDataType};
    use crate::ErrorKind;

    /// TP Data: the first payload's type (IDR), then IDRr "bob", a URI.
    const TP_DATA: [u8; 9] = [14, 0, 2, 1, 0, 3, b'b', b'o', b'b'];

    /// The 24 bits after Version (§6.10 figure), written by hand: PRF Func, the flags whose
    /// letters `set` lists, Res.
    fn word(prf: u8, set: &str, reserved: u8) -> [u8; 3] {
        let flags = set.chars().fold(0u32, |bits, letter| bits | 1 << (16 - (letter as u32 - 'D' as u32)));
        let word = (u32::from(prf) << 17) | flags | u32::from(reserved);
        [(word >> 16) as u8, (word >> 8) as u8, word as u8]
    }

    fn flags(set: &str) -> TicketFlags {
        let [high, middle, low] = word(0, set, 0);
        TicketFlags::from_bits((u32::from_be_bytes([0, high, middle, low]) >> 5) as u16)
    }

    /// A TP (`payload` 16) or TICKET (17) as a one-payload chain: its type, then the payload.
    /// Ticket Type 1, Subtype 1, Version 1, `word`, TP Data; a TICKET adds 3 bytes of Ticket
    /// Data and `initiator_data`.
    fn policy_chain(payload: u8, word: [u8; 3], initiator_data: &[u8]) -> Vec<u8> {
        let mut bytes = vec![payload, 0, 0x00, 0x01, 0x01, 0x01];
        bytes.extend(word);
        bytes.extend([0x00, 9]);
        bytes.extend(TP_DATA);
        if payload == PayloadType::Ticket.code() {
            bytes.extend([0x00, 0x03, 0x71, 0x72, 0x73]);
            bytes.extend((initiator_data.len() as u16).to_be_bytes());
            bytes.extend(initiator_data);
        }
        bytes
    }

    fn decode_one(bytes: &[u8]) -> Result<Payload<'_>> {
        let mut payloads = decode_payload_chain(bytes)?;
        assert_eq!(payloads.len(), 1);
        Ok(payloads.remove(0))
    }

    /// Initiator Data: the first payload's type (V), then Vi and Vr, both of the NULL MAC.
    const INITIATOR_DATA: [u8; 5] = [9, 9, 0, 0, 0];

    #[test]
    fn tp_has_the_rfc_6043_layout() {
        let bytes = policy_chain(16, [0x03, 0x75, 0x60], &[]);
        assert_eq!(word(1, "DFGHJLNO", 0), [0x03, 0x75, 0x60], "the test's own bit layout");
        let payload = decode_one(&bytes).unwrap();
        let policy = payload.as_ticket_policy().unwrap();
        assert_eq!((policy.ticket_type, policy.subtype, policy.version), (1, 1, 1));
        assert!(policy.is_mikey_base_ticket());
        assert_eq!((policy.prf_function, policy.reserved), (1, 0));
        let expected = TicketFlags {
            generated_by_kms: true,
            kms_must_resolve: false,
            transfer_response: true,
            responder_rand: true,
            initiator_rand_in_tgk_derivation: true,
            key_forking: false,
            reusable: true,
            changed_by_kms: false,
            initiator_may_supply_keys: true,
            responder_may_supply_keys: false,
            initiator_can_transfer: true,
            responder_can_process: true,
        };
        assert_eq!(policy.flags, expected);
        let letters: String = policy.flags.in_wire_order().iter().map(|(letter, _)| *letter).collect();
        assert_eq!(letters, "DEFGHIJKLMNO");
        assert_eq!(&policy.tp_data[..], TP_DATA);
        assert_eq!(encode_payload_chain(std::slice::from_ref(&payload)).unwrap(), bytes);
    }

    #[test]
    fn ticket_has_the_rfc_6043_layout_and_keeps_the_reserved_bits() {
        let bytes = policy_chain(17, [0x03, 0xFB, 0xE5], &INITIATOR_DATA);
        assert_eq!(word(1, "DEFGHIKLMNO", 5), [0x03, 0xFB, 0xE5]);
        let payload = decode_one(&bytes).unwrap();
        let ticket = payload.as_ticket().unwrap();
        assert_eq!(ticket.policy.flags, flags("DEFGHIKLMNO"));
        assert_eq!((ticket.policy.prf_function, ticket.policy.reserved), (1, 5));
        assert_eq!(&ticket.ticket_data[..], [0x71, 0x72, 0x73]);
        assert_eq!(&ticket.initiator_data[..], INITIATOR_DATA);
        let vi_vr = decode_payload_chain(&ticket.initiator_data).unwrap();
        assert_eq!(vi_vr.iter().filter_map(Payload::as_verification).count(), 2);
        assert_eq!(encode_payload_chain(std::slice::from_ref(&payload)).unwrap(), bytes, "byte for byte, Res included");
    }

    #[test]
    fn the_flag_rules_hold_in_every_word_the_rfc_allows() {
        assert_eq!(flags("DFGHL").broken_rule(), None);
        assert_eq!(TicketFlags::default().broken_rule(), Some("NOT D implies L"));
        for bits in 0..0x1000u16 {
            let flags = TicketFlags::from_bits(bits);
            assert_eq!(flags.bits(), bits);
            let implies = |a: bool, b: bool| !a || b;
            let (d, e, f, g, h, i, k, l, m) = (
                flags.generated_by_kms,
                flags.kms_must_resolve,
                flags.transfer_response,
                flags.responder_rand,
                flags.initiator_rand_in_tgk_derivation,
                flags.key_forking,
                flags.changed_by_kms,
                flags.initiator_may_supply_keys,
                flags.responder_may_supply_keys,
            );
            let allowed = implies(!d, l)
                && implies(g, f)
                && implies(!g, h)
                && implies(!h, g)
                && implies(i, e)
                && implies(k, d)
                && implies(m, f);
            assert_eq!(flags.broken_rule().is_none(), allowed, "{bits:#05x}");
        }
    }

    /// One flag word per rule of §6.10 that breaks that rule and no other before it.
    const BROKEN: [(&str, &str); 6] = [
        ("FGH", "NOT D implies L"),
        ("DGHL", "G implies F"),
        ("DFL", "NOT G implies H, NOT H implies G"),
        ("DFGHIL", "I implies E"),
        ("FGHKL", "K implies D"),
        ("DHLM", "M implies F"),
    ];

    #[test]
    fn a_ticket_breaking_a_flag_rule_is_refused_on_decode_and_encode() {
        for (set, rule) in BROKEN {
            assert_eq!(flags(set).broken_rule(), Some(rule));
            let bytes = policy_chain(17, word(1, set, 0), &[]);
            let error = decode_one(&bytes).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Malformed, "{rule}");
            assert!(error.context().ends_with(&format!("§6.10: {rule}")), "{error}");
            // The same ticket with the flags mended encodes; with them broken it does not.
            let mended = policy_chain(17, word(1, "DFGHL", 0), &[]);
            let Payload::Ticket(mut ticket) = decode_one(&mended).unwrap() else { unreachable!() };
            ticket.policy.flags = flags(set);
            let error = encode_payload_chain(&[Payload::Ticket(ticket)]).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{rule}");
            assert!(error.context().ends_with(&format!("§6.10: {rule}")), "{error}");
        }
    }

    #[test]
    fn a_tp_breaking_a_flag_rule_is_refused_but_its_k_flag_is_ignored() {
        let good_bytes = policy_chain(16, word(1, "DFGHL", 0), &[]);
        let Payload::TicketPolicy(good) = decode_one(&good_bytes).unwrap() else { unreachable!() };
        for (set, rule) in BROKEN {
            let bytes = policy_chain(16, word(1, set, 0), &[]);
            let decoded = decode_one(&bytes);
            let encoded =
                encode_payload_chain(&[Payload::TicketPolicy(TicketPolicy { flags: flags(set), ..good.clone() })]);
            let encode_error = encoded.unwrap_err();
            assert_eq!(encode_error.kind(), ErrorKind::InvalidArgument, "{rule}");
            if set.contains('K') {
                // The KMS ignores K in a TP (§6.10): it reads as '0', and then K implies D holds.
                let Payload::TicketPolicy(policy) = decoded.unwrap() else { unreachable!() };
                assert_eq!(policy.flags, flags(&set.replace('K', "")));
                assert!(encode_error.context().contains("K flag of a TP"), "{encode_error}");
            } else {
                let error = decoded.unwrap_err();
                assert_eq!(error.kind(), ErrorKind::Malformed, "{rule}");
                assert!(error.context().ends_with(&format!("§6.10: {rule}")), "{error}");
                assert!(encode_error.context().ends_with(&format!("§6.10: {rule}")), "{encode_error}");
            }
        }
    }

    #[test]
    fn initiator_data_needs_key_forking() {
        let error = decode_one(&policy_chain(17, word(1, "DFGHL", 0), &INITIATOR_DATA)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Malformed);
        assert!(error.context().contains("I flag"), "{error}");
        let forking = policy_chain(17, word(1, "DEFGHIL", 0), &INITIATOR_DATA);
        let Payload::Ticket(mut ticket) = decode_one(&forking).unwrap() else { unreachable!() };
        ticket.policy.flags.key_forking = false;
        ticket.policy.flags.kms_must_resolve = false;
        let error = encode_payload_chain(&[Payload::Ticket(ticket.clone())]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        // With I, the KMS issues it without Initiator Data (REQUEST_RESP).
        ticket.policy.flags.key_forking = true;
        ticket.policy.flags.kms_must_resolve = true;
        ticket.initiator_data = Cow::Borrowed(&[]);
        assert!(encode_payload_chain(&[Payload::Ticket(ticket)]).is_ok());
    }

    #[test]
    fn field_widths_are_checked_on_encode() {
        let good_bytes = policy_chain(16, word(1, "DFGHL", 0), &[]);
        let Payload::TicketPolicy(good) = decode_one(&good_bytes).unwrap() else { unreachable!() };
        for broken in [
            TicketPolicy { prf_function: 0x80, ..good.clone() },
            TicketPolicy { reserved: 0x20, ..good.clone() },
            TicketPolicy { tp_data: vec![0; 0x1_0000].into(), ..good },
        ] {
            let error = encode_payload_chain(&[Payload::TicketPolicy(broken)]).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        }
    }

    #[test]
    fn every_truncation_and_length_mismatch_is_refused() {
        for payload in [16, 17] {
            let bytes = policy_chain(payload, word(1, "DEFGHIL", 0), &INITIATOR_DATA);
            for len in 0..bytes.len() {
                let error = decode_payload_chain(&bytes[..len]).unwrap_err();
                assert_eq!(error.kind(), ErrorKind::Malformed, "{payload}, {len} bytes: {error}");
            }
            let mut long = bytes.clone();
            long.push(0);
            assert_eq!(decode_payload_chain(&long).unwrap_err().kind(), ErrorKind::Malformed);
            // TP Data length at 9, Ticket Data length at 20, Initiator Data length at 25.
            let length_fields: &[usize] = if payload == 16 { &[9] } else { &[9, 20, 25] };
            for &at in length_fields {
                let len = u16::from_be_bytes([bytes[at], bytes[at + 1]]);
                for wrong in [len - 1, len + 1, u16::MAX] {
                    let mut broken = bytes.clone();
                    broken[at..at + 2].copy_from_slice(&wrong.to_be_bytes());
                    assert!(decode_payload_chain(&broken).is_err(), "{payload}: length at {at} = {wrong}");
                }
            }
        }
    }

    #[test]
    fn tp_data_decodes_to_its_payloads() {
        // §6.10: First Payload, IDRkms, IDRi, TRs, TRe, TRr, KEMAC, IDRapp, IDRr.
        let idr = |next: u8, role: u8, id: &[u8]| [&[next, role, id_type::URI, 0, id.len() as u8], id].concat();
        let tr = |next: u8, role: u8, seconds: [u8; 4]| [&[next, role, 3][..], &seconds].concat();
        // The requested key: a 16-byte TEK, zeroed, with the SPI 1 (KV SPI).
        let key_data = [&[0x00, 0x21, 0x00, 0x10][..], &[0; 16], &[0x01, 0x01]].concat();
        let kemac = [&[14, encryption_algorithm::NULL, 0, key_data.len() as u8][..], &key_data, &[0]].concat();
        let tp_data = [
            &[14][..],
            &idr(14, id_role::KMS, b"kms"),
            &idr(13, id_role::INITIATOR, b"alice"),
            &tr(13, ts_role::VALIDITY_START, [0xE9, 0xF0, 0, 0]),
            &tr(13, ts_role::VALIDITY_END, [0xE9, 0xF1, 0, 0]),
            &tr(1, ts_role::REKEYING_INTERVAL, [0, 0, 0x0E, 0x10]),
            &kemac,
            &idr(14, id_role::APPLICATION, b"app"),
            &idr(0, id_role::RESPONDER, b"bob"),
        ]
        .concat();
        let policy = TicketPolicy {
            ticket_type: ticket_type::MIKEY_BASE_TICKET,
            subtype: 1,
            version: 1,
            prf_function: 1,
            flags: flags("DFGHL"),
            reserved: 0,
            tp_data: Cow::Borrowed(&tp_data),
        };
        let payloads = policy.tp_data_payloads().unwrap();
        let types: Vec<u8> = payloads.iter().map(|payload| payload.payload_type().code()).collect();
        assert_eq!(types, [14, 14, 13, 13, 13, 1, 14, 14]);
        let rekeying = payloads[4].as_timestamp_with_role().unwrap();
        assert_eq!(rekeying.role, ts_role::REKEYING_INTERVAL);
        assert_eq!(rekeying.timestamp, Timestamp { ts_type: TimestampType::NtpUtc32, value: 3600 << 32 });
        let requested = KeyDataList::decode(&payloads[5].as_kemac().unwrap().encrypted_data, false).unwrap();
        assert_eq!(requested.keys[0].key_type, KeyDataType::Tek);
        requested.check_every_key_has_spi().unwrap();
        assert_eq!(encode_payload_chain(&payloads).unwrap(), tp_data);
        // An empty TP Data lacks even its first-payload octet; trailing bytes are refused.
        assert_eq!(decode_payload_chain(&[]).unwrap_err().kind(), ErrorKind::Malformed);
        assert_eq!(
            decode_payload_chain(&[tp_data.as_slice(), &[0]].concat()).unwrap_err().kind(),
            ErrorKind::Malformed
        );
        assert_eq!(decode_payload_chain(&[0]).unwrap(), []);
    }

    // The payloads of a base ticket, by hand (Appendix A), each after its next-payload field.

    fn thdr(next: u8) -> Vec<u8> {
        vec![next, 0x00, 0x02, 0xAB, 0xCD]
    }

    fn t(next: u8) -> Vec<u8> {
        vec![next, 3, 0xE9, 0xF0, 0x12, 0x34]
    }

    fn rand(next: u8) -> Vec<u8> {
        [&[next, 16][..], &[0x5A; 16]].concat()
    }

    fn kemac(next: u8, mac_algorithm: MacAlgorithmCode) -> Vec<u8> {
        let mac = vec![0x3C; mac_algorithm.tag_len()];
        [&[next, encryption_algorithm::AES_CM_128, 0x00, 0x08][..], &[0xC1; 8], &[mac_algorithm.code()], &mac].concat()
    }

    fn idr(next: u8, role: u8) -> Vec<u8> {
        vec![next, role, id_type::BYTE_STRING, 0x00, 0x02, 0x01, 0x02]
    }

    fn v(next: u8) -> Vec<u8> {
        [&[next, MacAlgorithmCode::HmacSha256_256.code()][..], &[0x3C; 32]].concat()
    }

    const T: u8 = 5;
    const RAND: u8 = 11;
    const KEMAC: u8 = 1;
    const IDR: u8 = 14;
    const V: u8 = 9;

    fn base_ticket_bytes() -> Vec<u8> {
        [thdr(T), t(RAND), rand(KEMAC), kemac(IDR, MacAlgorithmCode::Null), idr(V, id_role::PSK), v(0)].concat()
    }

    #[test]
    fn the_base_ticket_has_the_appendix_a_layout() {
        let bytes = base_ticket_bytes();
        let ticket = BaseTicket::decode(&bytes).unwrap();
        assert_eq!(&ticket.header_data[..], [0xAB, 0xCD]);
        assert_eq!(ticket.timestamp, Timestamp { ts_type: TimestampType::NtpUtc32, value: 0xE9F0_1234 << 32 });
        assert_eq!(&ticket.rand[..], [0x5A; 16]);
        assert_eq!(
            (ticket.kemac.encryption_algorithm, &ticket.kemac.encrypted_data[..], ticket.kemac.mac_algorithm),
            (encryption_algorithm::AES_CM_128, &[0xC1; 8][..], MacAlgorithmCode::Null)
        );
        let tpk_id = ticket.tpk_id.as_ref().unwrap();
        assert_eq!((tpk_id.role, tpk_id.id_type, &tpk_id.data[..]), (id_role::PSK, id_type::BYTE_STRING, &[1, 2][..]));
        assert_eq!(
            (ticket.verification.mac_algorithm, &ticket.verification.mac[..]),
            (MacAlgorithmCode::HmacSha256_256, &[0x3C; 32][..])
        );
        assert_eq!(ticket.encode().unwrap(), bytes);
        // Without IDRpsk.
        let bare = [thdr(T), t(RAND), rand(KEMAC), kemac(V, MacAlgorithmCode::Null), v(0)].concat();
        let decoded = BaseTicket::decode(&bare).unwrap();
        assert_eq!(decoded, BaseTicket { tpk_id: None, ..ticket });
        assert_eq!(decoded.encode().unwrap(), bare);
    }

    #[test]
    fn a_base_ticket_skips_unexpected_payloads_and_takes_any_order_but_v_last() {
        let bytes = base_ticket_bytes();
        let canonical = BaseTicket::decode(&bytes).unwrap();
        let reordered = [
            thdr(RAND),
            rand(IDR),
            idr(IDR, id_role::INITIATOR),
            idr(T, id_role::PSK),
            t(15),
            vec![KEMAC, 1, 0],
            kemac(V, MacAlgorithmCode::Null),
            v(0),
        ]
        .concat();
        let decoded = BaseTicket::decode(&reordered).unwrap();
        assert_eq!(decoded, canonical, "the IDRi and the RANDR are skipped");
        assert_eq!(decoded.encode().unwrap(), bytes);
    }

    #[test]
    fn a_broken_base_ticket_is_refused() {
        let null = MacAlgorithmCode::Null;
        let cases: [(&str, Vec<u8>); 8] = [
            ("two T", [thdr(T), t(T), t(RAND), rand(KEMAC), kemac(V, null), v(0)].concat()),
            ("two RAND", [thdr(T), t(RAND), rand(RAND), rand(KEMAC), kemac(V, null), v(0)].concat()),
            ("two IDRpsk", [thdr(T), t(RAND), rand(KEMAC), kemac(IDR, null), idr(IDR, 4), idr(V, 4), v(0)].concat()),
            ("two V", [thdr(T), t(RAND), rand(KEMAC), kemac(V, null), v(V), v(0)].concat()),
            ("SHALL be V", [thdr(T), t(RAND), rand(KEMAC), kemac(V, null), v(T), t(0)].concat()),
            ("no T", [thdr(RAND), rand(KEMAC), kemac(V, null), v(0)].concat()),
            ("no KEMAC", [thdr(T), t(RAND), rand(V), v(0)].concat()),
            ("NULL MAC", [thdr(T), t(RAND), rand(KEMAC), kemac(V, MacAlgorithmCode::HmacSha1_160), v(0)].concat()),
        ];
        for (what, bytes) in cases {
            let error = BaseTicket::decode(&bytes).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Malformed, "{what}");
            assert!(error.context().contains(what), "{what}: {error}");
        }
        let no_rand = [thdr(T), t(KEMAC), kemac(V, null), v(0)].concat();
        assert!(BaseTicket::decode(&no_rand).unwrap_err().context().contains("no RAND"));
        // Truncations, a trailing byte and a THDR length that overruns or falls short.
        let bytes = base_ticket_bytes();
        for len in 0..bytes.len() {
            assert_eq!(BaseTicket::decode(&bytes[..len]).unwrap_err().kind(), ErrorKind::Malformed, "{len} bytes");
        }
        assert_eq!(BaseTicket::decode(&[bytes.as_slice(), &[0]].concat()).unwrap_err().kind(), ErrorKind::Malformed);
        for thdr_len in [1, 3, 0xFFFF] {
            let mut broken = bytes.clone();
            broken[1..3].copy_from_slice(&u16::to_be_bytes(thdr_len));
            assert!(BaseTicket::decode(&broken).is_err(), "THDR Data length {thdr_len}");
        }
    }

    #[test]
    fn a_base_ticket_is_not_encoded_with_a_kemac_mac_or_a_tpk_id_of_another_role() {
        let bytes = base_ticket_bytes();
        let good = BaseTicket::decode(&bytes).unwrap();
        let mut mac = good.clone();
        mac.kemac.mac_algorithm = MacAlgorithmCode::HmacSha1_160;
        mac.kemac.mac = vec![0; 20].into();
        let mut role = good.clone();
        role.tpk_id.as_mut().unwrap().role = id_role::INITIATOR;
        for broken in [mac, role] {
            assert_eq!(broken.encode().unwrap_err().kind(), ErrorKind::InvalidArgument);
        }
    }
}
