//! The MIKEY base ticket (RFC 6043 Appendix A), sealed and opened under a Ticket Protection
//! Key (TPK): its KEMAC = E(encr_key, MPK || {TEK|TGK|GTGK}) with a NULL MAC, and its V MAC
//! over the whole TICKET payload but its Next Payload field, its Initiator Data and the MAC
//! itself (A.1). Keys come from the TPK with the ticket's own RAND and the PRF the Ticket
//! Policy names (A.2.1); the KEMAC's IV takes 0xFFFFFFFF as its CSB ID (A.1).

use std::fmt;

use super::suite::TicketSuite;
use crate::crypto::ticket_kdf::TicketMessageKeys;
use crate::crypto::{ct_eq, decrypt_key_data, encrypt_key_data, EnvelopeKeyPurpose, MacKey, PrfFunction};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::exchange::kemac::{mac_algorithm_code, mac_algorithm_of, transport_code, transport_of};
use crate::secret::SecretBytes;
use crate::wire::registry::{id_role, id_type, ticket_type};
use crate::wire::{
    BaseTicket, IdrPayload, Kemac, KeyDataList, KeyDataType, MacAlgorithmCode, Payload, PayloadType, Ticket,
    TicketPolicy, Timestamp, Verification,
};

/// The CSB ID field of a base ticket's KEMAC IV (A.1).
const TICKET_CSB_ID: u32 = 0xFFFF_FFFF;

/// A Ticket Protection Key: the secret a base ticket is sealed under, and the identifier its
/// IDRpsk carries so the party resolving it finds the key (A.1). Zeroized on drop; `Debug`
/// shows the identifier only.
#[derive(Clone)]
pub struct TicketProtectionKey {
    id: Vec<u8>,
    key: SecretBytes,
}

impl TicketProtectionKey {
    /// A TPK named `id` (empty: tickets carry no IDRpsk, for a party with one TPK). At least
    /// 16 bytes, like every MIKEY pre-shared key this library takes.
    pub fn new(id: &[u8], key: &[u8]) -> Result<Self> {
        if key.len() < 16 {
            return Err(Error::invalid_argument("a Ticket Protection Key has at least 16 bytes"));
        }
        Ok(TicketProtectionKey { id: id.to_vec(), key: SecretBytes::from_slice(key) })
    }

    /// The identifier tickets sealed under this key carry in their IDRpsk.
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// The key's length in bytes (a ticket's RAND is at least as long, §12.1).
    pub(crate) fn key_len(&self) -> usize {
        self.key.len()
    }
}

impl fmt::Debug for TicketProtectionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketProtectionKey").field("id", &String::from_utf8_lossy(&self.id)).finish_non_exhaustive()
    }
}

/// What a base ticket is made of, apart from its granted policy and its TPK.
pub(crate) struct TicketContents<'a, 'k> {
    /// The MPK, then the TEKs, TGKs or GTGKs, each with its SPI (RFC 6043 §6.2.1).
    pub(crate) keys: &'a KeyDataList<'k>,
    /// The time of issue.
    pub(crate) timestamp: Timestamp,
    /// The ticket's RAND, at least as long as the longer of the TPK and the MPK (§12.1).
    pub(crate) rand: &'a [u8],
}

/// A base ticket opened with its TPK: the key data it carries and its RAND (input to MPKi and
/// MPKr, A.2.2). The key data is zeroized on drop.
pub(crate) struct OpenedTicket {
    key_data: SecretBytes,
    pub(crate) rand: Vec<u8>,
    pub(crate) timestamp: Timestamp,
}

impl OpenedTicket {
    /// The Key data sub-payloads: the MPK first, then the session keys (checked when opened).
    pub(crate) fn keys(&self) -> Result<KeyDataList<'_>> {
        KeyDataList::decode(self.key_data.expose(), false)
    }
}

impl fmt::Debug for OpenedTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedTicket").field("timestamp", &self.timestamp).finish_non_exhaustive()
    }
}

/// The PRF a Ticket Policy names for the TPK's and the MPK's keys (A.2): a code this library
/// does not know is an invalid Ticket Policy parameter (§6.9).
pub(crate) fn policy_prf(policy: &TicketPolicy<'_>) -> Result<PrfFunction> {
    PrfFunction::from_code(policy.prf_function).ok_or_else(|| {
        Error::unsupported(format!("Ticket Policy PRF func {}", policy.prf_function))
            .with_peer_code(MikeyErrorCode::InvalidTicketPolicyParameter)
    })
}

/// Seals `contents` into a MIKEY base ticket under `tpk`, with the granted `policy`: the
/// TICKET payload, without Initiator Data.
pub(crate) fn seal(
    policy: TicketPolicy<'static>,
    tpk: &TicketProtectionKey,
    contents: &TicketContents<'_, '_>,
) -> Result<Ticket<'static>> {
    if !policy.is_mikey_base_ticket() {
        return Err(Error::invalid_argument(
            "only the MIKEY base ticket (type 1, subtype 1, version 1) is sealed here",
        ));
    }
    check_ticket_keys(contents.keys)?;
    let prf = policy_prf(&policy)?;
    let suite = TicketSuite::for_prf(prf);
    let keys = TicketMessageKeys::for_ticket(prf, tpk.key.expose(), contents.rand)?;
    let plaintext = contents.keys.encode()?;
    let encrypted = encrypt_key_data(
        suite.transport,
        keys.derive_secret(EnvelopeKeyPurpose::EncrKey, suite.transport.key_len()).expose(),
        keys.derive_secret(EnvelopeKeyPurpose::Salt, suite.transport.salt_len()).expose(),
        TICKET_CSB_ID,
        &contents.timestamp.as_64_bits(),
        plaintext.expose(),
    )?;
    let tag_len = suite.mac.tag_len();
    let base = BaseTicket {
        header_data: Vec::new().into(),
        timestamp: contents.timestamp,
        rand: contents.rand.to_vec().into(),
        kemac: Kemac {
            encryption_algorithm: transport_code(suite.transport),
            encrypted_data: encrypted.into(),
            mac_algorithm: MacAlgorithmCode::Null,
            mac: Vec::new().into(),
        },
        tpk_id: (!tpk.id.is_empty()).then(|| IdrPayload {
            role: id_role::PSK,
            id_type: id_type::BYTE_STRING,
            data: tpk.id.clone().into(),
        }),
        verification: Verification { mac_algorithm: mac_algorithm_code(suite.mac), mac: vec![0; tag_len].into() },
    };
    let mut ticket = Ticket { policy, ticket_data: base.encode()?.into(), initiator_data: Vec::new().into() };
    let auth = MacKey::new(suite.mac, keys.derive_secret(EnvelopeKeyPurpose::AuthKey, suite.mac.key_len()).expose());
    let tag = auth.sign(mac_coverage(&ticket, tag_len)?.as_slice());
    let ticket_data = ticket.ticket_data.to_mut();
    let mac_at = ticket_data.len() - tag_len;
    ticket_data[mac_at..].copy_from_slice(tag.as_slice());
    Ok(ticket)
}

/// Opens a MIKEY base ticket with the TPK among `tpks` its IDRpsk names (the only one, when it
/// names none): checks its V MAC in constant time, then decrypts its keys. Every failure is an
/// Invalid TICKET (§6.9) and leaves nothing behind.
pub(crate) fn open(ticket: &Ticket<'_>, tpks: &[TicketProtectionKey]) -> Result<OpenedTicket> {
    let invalid = |error: Error| error.with_peer_code(MikeyErrorCode::InvalidTicket);
    let policy = &ticket.policy;
    if !policy.is_mikey_base_ticket() {
        let what = if policy.ticket_type == ticket_type::THREE_GPP_BASE_TICKET {
            "the 3GPP base ticket (type 2), which TS 33.328 specifies and this library does not read yet".to_owned()
        } else {
            format!("ticket type {} subtype {} version {}", policy.ticket_type, policy.subtype, policy.version)
        };
        return Err(invalid(Error::unsupported(format!("{what}: only the MIKEY base ticket is opened"))));
    }
    let base = BaseTicket::decode(&ticket.ticket_data).map_err(invalid)?;
    let tpk = find_tpk(tpks, base.tpk_id.as_ref()).map_err(invalid)?;
    let prf = policy_prf(policy)?;
    let transport = transport_of(base.kemac.encryption_algorithm)?;
    let mac = mac_algorithm_of(base.verification.mac_algorithm);
    if TicketSuite::refuses(transport, mac) {
        return Err(invalid(Error::new(ErrorKind::AuthFailed, "a base ticket is encrypted and MACed (RFC 6043 A.1)")));
    }
    let keys = TicketMessageKeys::for_ticket(prf, tpk.key.expose(), &base.rand).map_err(invalid)?;
    let auth = MacKey::new(mac, keys.derive_secret(EnvelopeKeyPurpose::AuthKey, mac.key_len()).expose());
    auth.verify(mac_coverage(ticket, base.verification.mac.len())?.as_slice(), &base.verification.mac)
        .map_err(|_| invalid(Error::new(ErrorKind::AuthFailed, "the ticket's MAC does not verify under our TPK")))?;
    let key_data = decrypt_key_data(
        transport,
        keys.derive_secret(EnvelopeKeyPurpose::EncrKey, transport.key_len()).expose(),
        keys.derive_secret(EnvelopeKeyPurpose::Salt, transport.salt_len()).expose(),
        TICKET_CSB_ID,
        &base.timestamp.as_64_bits(),
        &base.kemac.encrypted_data,
    )?;
    check_ticket_keys(&KeyDataList::decode(key_data.expose(), false).map_err(invalid)?).map_err(invalid)?;
    Ok(OpenedTicket { key_data, rand: base.rand.to_vec(), timestamp: base.timestamp })
}

/// True when one of `tpks` is the one `ticket` (a MIKEY base ticket) names, so that we can open
/// it ourselves.
pub(crate) fn holds_tpk_for(ticket: &Ticket<'_>, tpks: &[TicketProtectionKey]) -> bool {
    ticket.policy.is_mikey_base_ticket()
        && BaseTicket::decode(&ticket.ticket_data).is_ok_and(|base| find_tpk(tpks, base.tpk_id.as_ref()).is_ok())
}

/// The TPK an IDRpsk names, or the only one we have when the ticket names none.
fn find_tpk<'k>(tpks: &'k [TicketProtectionKey], named: Option<&IdrPayload<'_>>) -> Result<&'k TicketProtectionKey> {
    let found = match named {
        Some(id) => tpks.iter().find(|tpk| ct_eq(&tpk.id, &id.data)),
        None if tpks.len() == 1 => tpks.first(),
        None => None,
    };
    found.ok_or_else(|| Error::new(ErrorKind::AuthFailed, "the ticket is not sealed under a TPK of ours"))
}

/// A base ticket's keys: an MPK first, then at least one session key, every key with its SPI
/// (A.1, §6.2.1).
fn check_ticket_keys(keys: &KeyDataList<'_>) -> Result<()> {
    keys.check_every_key_has_spi()?;
    let mut types = keys.keys.iter().map(|key| key.key_type);
    if types.next() != Some(KeyDataType::Mpk) {
        return Err(Error::malformed("a base ticket's KEMAC starts with the MPK (RFC 6043 A.1)"));
    }
    let session_key = |key_type: &KeyDataType| !matches!(key_type, KeyDataType::Mpk);
    if !types.all(|key_type| session_key(&key_type)) || keys.keys.len() < 2 {
        return Err(Error::malformed("a base ticket carries one MPK and then TEKs, TGKs or GTGKs (RFC 6043 A.1)"));
    }
    Ok(())
}

/// The bytes a base ticket's V MAC covers (A.1): the TICKET payload without its Next Payload
/// field, its Initiator Data length and data, and the MAC (the last `tag_len` bytes of the
/// Ticket Data).
fn mac_coverage(ticket: &Ticket<'_>, tag_len: usize) -> Result<Vec<u8>> {
    let mut encoded = Vec::new();
    Payload::Ticket(ticket.clone()).encode(PayloadType::Last, &mut encoded)?;
    let ticket_data_end = encoded.len() - 2 - ticket.initiator_data.len();
    encoded.truncate(ticket_data_end.saturating_sub(tag_len));
    encoded.remove(0);
    Ok(encoded)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::secret::SecretRef;
    use crate::wire::{KeyValidity, TicketFlags, TimestampType};

    const MPK: [u8; 16] = [0x11; 16];
    const TGK: [u8; 16] = [0x22; 16];

    fn key(key_type: KeyDataType, key: &'static [u8], spi: &'static [u8]) -> crate::wire::KeyData<'static> {
        crate::wire::KeyData {
            key_type,
            key: SecretRef::new(key),
            salt: None,
            validity: KeyValidity::Spi(Cow::Borrowed(spi)),
        }
    }

    fn key_list<const N: usize>(keys: [crate::wire::KeyData<'static>; N]) -> KeyDataList<'static> {
        KeyDataList { id: None, keys: keys.into_iter().collect() }
    }

    fn keys() -> KeyDataList<'static> {
        key_list([key(KeyDataType::Mpk, &MPK, b"m1"), key(KeyDataType::Tgk, &TGK, b"t1")])
    }

    fn policy(prf_function: u8) -> TicketPolicy<'static> {
        TicketPolicy {
            ticket_type: ticket_type::MIKEY_BASE_TICKET,
            subtype: ticket_type::BASE_TICKET_SUBTYPE,
            version: ticket_type::BASE_TICKET_VERSION,
            prf_function,
            flags: TicketFlags {
                generated_by_kms: true,
                kms_must_resolve: true,
                transfer_response: true,
                responder_rand: true,
                initiator_rand_in_tgk_derivation: true,
                ..TicketFlags::default()
            },
            reserved: 0,
            tp_data: vec![0].into(),
        }
    }

    fn tpk(id: &[u8], byte: u8) -> TicketProtectionKey {
        TicketProtectionKey::new(id, &[byte; 32]).unwrap()
    }

    fn sealed(prf_function: u8, under: &TicketProtectionKey) -> Ticket<'static> {
        let list = keys();
        let contents = TicketContents {
            keys: &list,
            timestamp: Timestamp { ts_type: TimestampType::NtpUtc, value: 0xEA00_0000_0000_0000 },
            rand: &[0x5A; 32],
        };
        seal(policy(prf_function), under, &contents).unwrap()
    }

    fn opened_keys(ticket: &Ticket<'_>, tpks: &[TicketProtectionKey]) -> Result<Vec<(KeyDataType, Vec<u8>)>> {
        let opened = open(ticket, tpks)?;
        let list = opened.keys()?;
        Ok(list.keys.iter().map(|key| (key.key_type, key.key.expose().to_vec())).collect())
    }

    #[test]
    fn a_sealed_ticket_opens_under_its_tpk_with_either_prf() {
        let kms = tpk(b"kms-tpk-1", 7);
        for prf_function in [0, 1] {
            let ticket = sealed(prf_function, &kms);
            let expected = vec![(KeyDataType::Mpk, MPK.to_vec()), (KeyDataType::Tgk, TGK.to_vec())];
            assert_eq!(opened_keys(&ticket, &[tpk(b"other", 9), kms.clone()]).unwrap(), expected);
            // The algorithms follow the PRF, and the keys travel encrypted.
            let base = BaseTicket::decode(&ticket.ticket_data).unwrap();
            let (encryption, tag_len) = if prf_function == 1 { (3, 32) } else { (1, 20) };
            assert_eq!((base.kemac.encryption_algorithm, base.verification.mac.len()), (encryption, tag_len));
            assert_eq!(base.kemac.mac_algorithm, MacAlgorithmCode::Null);
            assert!(!base.kemac.encrypted_data.windows(16).any(|window| window == TGK));
            assert_eq!(base.tpk_id.unwrap().data.as_ref(), b"kms-tpk-1");
        }
    }

    #[test]
    fn every_bit_of_the_ticket_is_covered_but_the_initiator_data() {
        let kms = tpk(b"kms", 7);
        let ticket = sealed(0, &kms);
        let mut encoded = Vec::new();
        Payload::Ticket(ticket.clone()).encode(PayloadType::Last, &mut encoded).unwrap();
        // Flip one bit at a time after the Next Payload field: the ticket no longer opens (or no
        // longer decodes), whatever the bit.
        let mut refused = 0;
        for at in 1..encoded.len() - 2 {
            let mut tampered = encoded.clone();
            tampered[at] ^= 0x01;
            let chain = [&[PayloadType::Ticket.code()], &tampered[..]].concat();
            let Ok(message) = crate::wire::decode_payload_chain(&chain) else {
                continue;
            };
            let Some(Payload::Ticket(tampered)) = message.first() else { continue };
            let error = opened_keys(tampered, std::slice::from_ref(&kms)).unwrap_err();
            assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidTicket), "bit at {at}: {error}");
            refused += 1;
        }
        // Most flips still decode (lengths and flag rules aside), so the MAC is what refused them.
        assert!(refused > encoded.len() * 3 / 4, "{refused} of {}", encoded.len());
        // Initiator Data is outside the MAC (A.1): the initiator adds it when forking.
        let mut forked = ticket.clone();
        forked.policy.flags.key_forking = true;
        assert!(opened_keys(&forked, std::slice::from_ref(&kms)).is_err(), "the I flag is covered");
        let mut with_initiator_data = forked.clone();
        with_initiator_data.initiator_data = vec![0, 1, 2].into();
        let coverage_alone = forked;
        assert_eq!(mac_coverage(&with_initiator_data, 20).unwrap(), mac_coverage(&coverage_alone, 20).unwrap());
    }

    #[test]
    fn a_ticket_under_another_tpk_or_of_another_type_is_an_invalid_ticket() {
        let ticket = sealed(1, &tpk(b"kms", 7));
        let wrong_key = opened_keys(&ticket, &[tpk(b"kms", 8)]).unwrap_err();
        assert_eq!(
            (wrong_key.kind(), wrong_key.peer_code()),
            (ErrorKind::AuthFailed, Some(MikeyErrorCode::InvalidTicket))
        );
        let unknown_id = opened_keys(&ticket, &[tpk(b"other", 7)]).unwrap_err();
        assert!(unknown_id.context().contains("not sealed under a TPK of ours"), "{unknown_id}");
        let mut three_gpp = ticket.clone();
        three_gpp.policy.ticket_type = ticket_type::THREE_GPP_BASE_TICKET;
        let error = opened_keys(&three_gpp, &[tpk(b"kms", 7)]).unwrap_err();
        assert!(error.context().contains("3GPP base ticket"), "{error}");
        assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidTicket));
        // No IDRpsk: the one TPK we hold, never a guess among several.
        let anonymous = sealed(0, &tpk(b"", 7));
        assert!(opened_keys(&anonymous, &[tpk(b"", 7)]).is_ok());
        assert!(opened_keys(&anonymous, &[tpk(b"a", 7), tpk(b"b", 7)]).is_err());
    }

    #[test]
    fn a_ticket_needs_an_mpk_first_and_an_spi_on_every_key() {
        let kms = tpk(b"kms", 7);
        let contents = |list| TicketContents {
            keys: list,
            timestamp: Timestamp { ts_type: TimestampType::NtpUtc, value: 1 },
            rand: &[1; 32],
        };
        let no_mpk = key_list([key(KeyDataType::Tgk, &TGK, b"t")]);
        assert!(seal(policy(0), &kms, &contents(&no_mpk)).is_err());
        let mpk_only = key_list([key(KeyDataType::Mpk, &MPK, b"m")]);
        assert!(seal(policy(0), &kms, &contents(&mpk_only)).is_err());
        let no_spi = key_list([key(KeyDataType::Mpk, &MPK, b"m"), key(KeyDataType::Tgk, &TGK, b"")]);
        assert!(seal(policy(0), &kms, &contents(&no_spi)).is_err());
        let mut unknown_prf = policy(0);
        unknown_prf.prf_function = 5;
        let error = seal(unknown_prf, &kms, &contents(&keys())).unwrap_err();
        assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidTicketPolicyParameter));
    }

    #[test]
    fn debug_shows_the_tpk_id_only() {
        assert_eq!(format!("{:?}", tpk(b"kms-1", 0xAB)), "TicketProtectionKey { id: \"kms-1\", .. }");
        assert!(TicketProtectionKey::new(b"short", &[1; 15]).is_err());
    }
}
