//! The key derivations of MIKEY-TICKET (RFC 6043 §5.1 and Appendix A.2): a code path of its own,
//! apart from RFC 3830's (§4.1.3, §4.1.4), because the labels differ.
//!
//! Every label is `constant || byte || 32-bit field || tag || fields`: the byte is 0xFF or a
//! CS ID, the 32-bit field a CSB ID or 0xFFFFFFFF, and the tag byte names the derivation
//! (0x00 forking, 0x01 initial messages, 0x02 responses, 0x03 traffic keys, 0x04 the Initiator
//! Data's Vr, 0x05 ticket keys, 0x06 MPKi/MPKr). The fields after the tag are length-prefixed: a RAND's length is one byte,
//! an ID Data's two (big-endian). Labels carry RAND length and RAND only, never whole RANDR
//! payloads (§5.1, A.2).

use std::fmt;

use super::kdf::{EnvelopeKeyPurpose, TgkKeyPurpose};
use super::prf::{PrfFunction, PrfKey};
use crate::error::{Error, Result};
use crate::secret::SecretBytes;

/// The 32-bit field that stands where RFC 3830 puts the CSB ID, in every derivation not bound
/// to a CSB (§5.1.1, §5.1.3, A.2).
const NO_CSB_ID: u32 = 0xFFFF_FFFF;

/// The byte after the constant in every derivation but the traffic keys', which put the CS ID
/// there (§5.1.3).
const NO_CS_ID: u8 = 0xFF;

/// The tag byte of each derivation (§5.1.1–§5.1.3, A.2.1, A.2.2).
#[derive(Clone, Copy)]
#[repr(u8)]
enum Tag {
    Forking = 0x00,
    InitialMessage = 0x01,
    ResponseMessage = 0x02,
    TrafficKeys = 0x03,
    InitiatorData = 0x04,
    TicketKeys = 0x05,
    MpkParts = 0x06,
}

/// Which message of an exchange its keys protect (§5.1.2): the initial message (REQUEST_INIT,
/// TRANSFER_INIT, RESOLVE_INIT) or the response (…_RESP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageDirection {
    /// An initial message (tag 0x01).
    Initial,
    /// A response message (tag 0x02).
    Response,
}

/// A key forked for one responder (§5.1.1, Table 5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForkedKey {
    /// MPKr' from MPKr (0x2B288856).
    ResponderMpk,
    /// TGK' from a TGK (0x1512B54A).
    Tgk,
}

impl ForkedKey {
    /// The label constant of Table 5.1.
    pub fn constant(self) -> u32 {
        match self {
            ForkedKey::ResponderMpk => 0x2B28_8856,
            ForkedKey::Tgk => 0x1512_B54A,
        }
    }
}

/// The part of the MPK each party's Transfer messages are protected with (A.2.2, Table A.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MpkPart {
    /// MPKi, for TRANSFER_INIT (0x220E99A2).
    Initiator,
    /// MPKr, for TRANSFER_RESP (0x1F4D675B).
    Responder,
}

impl MpkPart {
    /// The label constant of Table A.1.
    pub fn constant(self) -> u32 {
        match self {
            MpkPart::Initiator => 0x220E_99A2,
            MpkPart::Responder => 0x1F4D_675B,
        }
    }
}

/// A prepared PRF key and the label bytes after its first nine: `tag || fields`.
struct TicketLabels {
    key: PrfKey,
    /// CSB ID or [`NO_CSB_ID`], big-endian.
    csb_id: [u8; 4],
    tag_and_fields: Vec<u8>,
}

impl TicketLabels {
    fn new(function: PrfFunction, inkey: &[u8], csb_id: u32, tag: Tag) -> Self {
        TicketLabels {
            key: PrfKey::new(function, inkey),
            csb_id: csb_id.to_be_bytes(),
            tag_and_fields: vec![tag as u8],
        }
    }

    /// Appends RAND length (8 bits) || RAND; an empty RAND stands for an omitted one.
    fn with_rand(mut self, rand: &[u8]) -> Result<Self> {
        let len = u8::try_from(rand.len())
            .map_err(|_| Error::invalid_argument("a RAND in an RFC 6043 label holds at most 255 bytes"))?;
        self.tag_and_fields.push(len);
        self.tag_and_fields.extend_from_slice(rand);
        Ok(self)
    }

    /// Fills `out` with PRF(inkey, constant || byte || CSB ID field || tag || fields).
    fn derive(&self, constant: u32, byte: u8, out: &mut [u8]) {
        let mut head = [0u8; 9];
        head[..4].copy_from_slice(&constant.to_be_bytes());
        head[4] = byte;
        head[5..].copy_from_slice(&self.csb_id);
        self.key.derive_parts(&[&head, &self.tag_and_fields], out);
    }

    /// An outkey as long as the inkey (§5.1.1, A.2.2: "SHALL be equal to inkey_len").
    fn derive_same_length(&self, constant: u32, inkey_len: usize) -> SecretBytes {
        let mut out = SecretBytes::zeroed(inkey_len);
        self.derive(constant, NO_CS_ID, out.expose_mut());
        out
    }
}

/// RFC 6043 requires at least one of RANDRi and RANDRr in the message and traffic key labels
/// (§5.1.2, §5.1.3).
fn check_some_rand(randri: &[u8], randrr: &[u8]) -> Result<()> {
    if randri.is_empty() && randrr.is_empty() {
        return Err(Error::invalid_argument("RFC 6043 §5.1.2/§5.1.3: at least one of RANDRi and RANDRr is used"));
    }
    Ok(())
}

/// Derives the keys protecting one MIKEY-TICKET message (encr_key, auth_key, salt_key, with
/// the RFC 3830 §4.1.4 constants) from a PSK, an envelope key or an MPK (§5.1.2), or the keys
/// protecting a base ticket from its TPK (A.2.1). Keyed once for all of them; zeroized on
/// drop; `Debug` shows only the PRF.
pub struct TicketMessageKeys(TicketLabels);

impl TicketMessageKeys {
    /// §5.1.2: label = constant || 0xFF || CSB ID || 0x01 or 0x02 || len RANDRi || RANDRi ||
    /// len RANDRr || RANDRr. An omitted RAND is given empty (its length is then 0); at least
    /// one must be present.
    pub fn for_message(
        function: PrfFunction,
        key: &[u8],
        csb_id: u32,
        direction: MessageDirection,
        randri: &[u8],
        randrr: &[u8],
    ) -> Result<Self> {
        check_some_rand(randri, randrr)?;
        let tag = match direction {
            MessageDirection::Initial => Tag::InitialMessage,
            MessageDirection::Response => Tag::ResponseMessage,
        };
        Ok(TicketMessageKeys(TicketLabels::new(function, key, csb_id, tag).with_rand(randri)?.with_rand(randrr)?))
    }

    /// A.2.1: label = constant || 0xFF || 0xFFFFFFFF || 0x05 || len RAND || RAND, with the
    /// base ticket's own RAND and the PRF the Ticket Policy names.
    pub fn for_ticket(function: PrfFunction, tpk: &[u8], rand: &[u8]) -> Result<Self> {
        Ok(TicketMessageKeys(TicketLabels::new(function, tpk, NO_CSB_ID, Tag::TicketKeys).with_rand(rand)?))
    }

    /// §6.10, the Vr payload of a TICKET's Initiator Data (key forking): label = constant ||
    /// 0xFF || 0xFFFFFFFF || 0x04, from MPKr (not forked), with the PRF the Ticket Policy names.
    pub fn for_initiator_data(function: PrfFunction, mpkr: &[u8]) -> Self {
        TicketMessageKeys(TicketLabels::new(function, mpkr, NO_CSB_ID, Tag::InitiatorData))
    }

    /// Fills `out` with the key for `purpose`.
    pub fn derive(&self, purpose: EnvelopeKeyPurpose, out: &mut [u8]) {
        self.0.derive(purpose.constant(), NO_CS_ID, out);
    }

    /// [`TicketMessageKeys::derive`] into a new `out_len`-byte secret.
    pub fn derive_secret(&self, purpose: EnvelopeKeyPurpose, out_len: usize) -> SecretBytes {
        let mut out = SecretBytes::zeroed(out_len);
        self.derive(purpose, out.expose_mut());
        out
    }
}

/// Derives each crypto session's keys (TEK, salt, … with the RFC 3830 §4.1.3 constants) from
/// a TGK, a forked TGK' or a GTGK (§5.1.3). Keyed once for all crypto sessions; zeroized on
/// drop; `Debug` shows only the PRF.
pub struct TicketTrafficKeys(TicketLabels);

impl TicketTrafficKeys {
    /// Label = constant || CS ID || 0xFFFFFFFF || 0x03 || len RANDRi || RANDRi || len RANDRr ||
    /// RANDRr. RANDRi is given when the Ticket Policy's H flag says so and RANDRr when its G
    /// flag does; an omitted one is given empty. At least one must be present.
    pub fn new(function: PrfFunction, tgk: &[u8], randri: &[u8], randrr: &[u8]) -> Result<Self> {
        check_some_rand(randri, randrr)?;
        Ok(TicketTrafficKeys(
            TicketLabels::new(function, tgk, NO_CSB_ID, Tag::TrafficKeys).with_rand(randri)?.with_rand(randrr)?,
        ))
    }

    /// Fills `out` with crypto session `cs_id`'s key for `purpose`.
    pub fn derive(&self, purpose: TgkKeyPurpose, cs_id: u8, out: &mut [u8]) {
        self.0.derive(purpose.constant(), cs_id, out);
    }

    /// [`TicketTrafficKeys::derive`] into a new `out_len`-byte secret.
    pub fn derive_secret(&self, purpose: TgkKeyPurpose, cs_id: u8, out_len: usize) -> SecretBytes {
        let mut out = SecretBytes::zeroed(out_len);
        self.derive(purpose, cs_id, out.expose_mut());
        out
    }
}

impl super::kdf::CryptoSessionKeys for TicketTrafficKeys {
    fn derive(&self, purpose: TgkKeyPurpose, cs_id: u8, out: &mut [u8]) {
        TicketTrafficKeys::derive(self, purpose, cs_id, out);
    }
}

/// Forks MPKr or a TGK for one responder (§5.1.1): PRF(key, constant || 0xFF || 0xFFFFFFFF ||
/// 0x00 || len ID Data (16 bits) || ID Data || len RANDRkms || RANDRkms), as long as the key.
/// `responder_id` is the ID Data of the IDRr payload, `randr_kms` the RAND of RANDRkms.
pub fn fork_key(
    function: PrfFunction,
    key: &[u8],
    forked: ForkedKey,
    responder_id: &[u8],
    randr_kms: &[u8],
) -> Result<SecretBytes> {
    let id_len = u16::try_from(responder_id.len())
        .map_err(|_| Error::invalid_argument("an IDRr's ID Data holds at most 65535 bytes"))?;
    let mut labels = TicketLabels::new(function, key, NO_CSB_ID, Tag::Forking);
    labels.tag_and_fields.reserve(2 + responder_id.len() + 1 + randr_kms.len());
    labels.tag_and_fields.extend_from_slice(&id_len.to_be_bytes());
    labels.tag_and_fields.extend_from_slice(responder_id);
    Ok(labels.with_rand(randr_kms)?.derive_same_length(forked.constant(), key.len()))
}

/// MPKi or MPKr from a ticket's MPK (A.2.2): PRF(MPK, constant || 0xFF || 0xFFFFFFFF || 0x06 ||
/// len RAND || RAND), as long as the MPK, with the base ticket's RAND.
pub fn mpk_part(function: PrfFunction, mpk: &[u8], part: MpkPart, rand: &[u8]) -> Result<SecretBytes> {
    let labels = TicketLabels::new(function, mpk, NO_CSB_ID, Tag::MpkParts).with_rand(rand)?;
    Ok(labels.derive_same_length(part.constant(), mpk.len()))
}

impl fmt::Debug for TicketMessageKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketMessageKeys").field("function", &self.0.key.function()).finish_non_exhaustive()
    }
}

impl fmt::Debug for TicketTrafficKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketTrafficKeys").field("function", &self.0.key.function()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_the_rfc_tables_and_digits_of_e() {
        assert_eq!(ForkedKey::ResponderMpk.constant(), 0x2B288856);
        assert_eq!(ForkedKey::Tgk.constant(), 0x1512B54A);
        assert_eq!(MpkPart::Initiator.constant(), 0x220E99A2);
        assert_eq!(MpkPart::Responder.constant(), 0x1F4D675B);
        // RFC 3830 §4.1.3 takes the constants from the decimal digits of e, nine at a time.
        assert_eq!(
            [0x2B288856u32, 0x1512B54A, 0x220E99A2, 0x1F4D675B].map(|constant| constant.to_string()),
            ["724076630", "353547594", "571382178", "525166427"]
        );
    }

    #[test]
    fn an_exchange_without_any_rand_is_refused() {
        let error = TicketTrafficKeys::new(PrfFunction::MikeyHmacSha1, &[1; 16], &[], &[]).unwrap_err();
        assert!(error.context().contains("at least one"));
        let direction = MessageDirection::Initial;
        assert!(TicketMessageKeys::for_message(PrfFunction::MikeyHmacSha1, &[1; 16], 1, direction, &[], &[]).is_err());
    }

    #[test]
    fn over_long_label_fields_are_refused() {
        let long = vec![7; 256];
        assert!(mpk_part(PrfFunction::MikeyHmacSha1, &[1; 16], MpkPart::Initiator, &long).is_err());
        let id = vec![7; 65_536];
        assert!(fork_key(PrfFunction::MikeyHmacSha1, &[1; 16], ForkedKey::Tgk, &id, &[1; 16]).is_err());
        assert!(fork_key(PrfFunction::MikeyHmacSha1, &[1; 16], ForkedKey::Tgk, &id[..65_535], &[1; 16]).is_ok());
    }

    #[test]
    fn debug_shows_no_key() {
        let keys = TicketMessageKeys::for_ticket(PrfFunction::HmacSha256, &[0xAB; 16], &[1; 16]).unwrap();
        assert_eq!(format!("{keys:?}"), "TicketMessageKeys { function: HmacSha256, .. }");
    }
}
