//! The Ticket Transfer exchange (RFC 6043 §4.2.2) as a session's method, with the two KMS
//! exchanges around it: an initiator without a ticket first asks the KMS for one (Ticket
//! Request), or makes one under its own TPK (modes 3 and 4 of §4.1.1); a responder that cannot
//! open the ticket asks the KMS to (Ticket Resolve), else opens it itself (modes 2 and 4).
//!
//! ```text
//! TRANSFER_INIT = HDR, T, RANDRi, [IDRi], [IDRr], {SP}, TICKET, [KEMAC], V
//! TRANSFER_RESP = HDR, T, [RANDRr], [IDRr], [RANDRkms], {SP}, [KEMAC], V
//! ```
//!
//! This library sends IDRi and IDRr, one SP, no KEMAC of the initiator's or responder's own
//! (keys come from the ticket), a GENERIC-ID map (§6.1: SRTP-ID SHALL NOT be used) naming the
//! session key's SPI for each crypto session, and asks for a TRANSFER_RESP (F) with a RANDRr (G)
//! and RANDRi in the key derivation (H). Either end may then update the CSB (§5.2).

use std::fmt;
use std::sync::Arc;

use super::base::{self, TicketContents};
use super::forking;
use super::kms_exchange::{single, ClientSigner, KmsClient, KmsExchange, CLIENT_ENVELOPE_KEY_LEN};
use super::policy::whole_seconds;
use super::protection::{MessageProtection, Trailer};
use super::TicketTerms;
use crate::bundle::{
    generic_id_map, Bundle, KeyKind, KeyMaterial, Peer, Policies, RandBytes, TicketUpdates, OFFERED_POLICY_NO,
};
use crate::crypto::ticket_kdf::{fork_key, mpk_part, ForkedKey, MessageDirection, MpkPart, TicketTrafficKeys};
use crate::crypto::{ct_eq, CryptoSessionKeys, PrfFunction};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::exchange::accept::{self, NewKeys};
use crate::method::{Answer, Answering, Completing, KmsConsultation, Offer, Offering, Pending, Received};
use crate::replay::single_timestamp;
use crate::secret::{SecretBytes, SecretRef};
use crate::srtp::SrtpPolicy;
use crate::wire::registry::{id_role, id_type, rand_role, ticket_type};
use crate::wire::{
    CommonHeader, CsIdMap, DataType, IdrPayload, KeyData, KeyDataList, KeyDataType, KeyValidity, Message, Payload,
    RandWithRole, Ticket, TicketFlags, TicketPolicy, Timestamp, TimestampType,
};

/// The PRF func of the messages and tickets we make: PRF-HMAC-SHA-256 (RFC 6043 §6.1).
const OUR_PRF_FUNCTION: u8 = 1;
const OUR_PRF: PrfFunction = PrfFunction::HmacSha256;
/// Length of the RANDs, MPKs, TGKs and SPIs we make (§12.1: RANDRi and RANDRr together at least
/// as long as the longest key; a ticket's RAND at least as long as the TPK and the MPK).
const RAND_LEN: usize = 32;
const KEY_LEN: usize = 32;
const SPI_LEN: usize = 4;

/// A ticket an initiator holds and the keys that came with it (§4.2.1.6): MPKi, [MPKr], then
/// the session keys, as Key data sub-payloads (zeroized on drop).
pub(crate) struct HeldTicket {
    ticket: Ticket<'static>,
    key_data: SecretBytes,
}

impl fmt::Debug for HeldTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeldTicket").field("policy", &self.ticket.policy).finish_non_exhaustive()
    }
}

/// What a MIKEY-TICKET party waits for.
pub(crate) enum TicketPending {
    /// Initiator: the KMS's answer to our REQUEST_INIT, keyed by `key`.
    Request { init: Vec<u8>, key: SecretBytes },
    /// Initiator: the responder's TRANSFER_RESP.
    Transfer(TransferSent),
    /// Responder: the KMS's answer to our RESOLVE_INIT (keyed by `key`) for a TRANSFER_INIT.
    Resolve { transfer_init: Vec<u8>, resolve_init: Vec<u8>, key: SecretBytes },
    /// Initiator: the TRANSFER_RESP to our update of an established CSB (§5.2).
    Update(UpdateSent),
}

/// Our update TRANSFER_INIT (from either end) and what checks its answer.
pub(crate) struct UpdateSent {
    init: Vec<u8>,
    updates: Arc<TicketUpdates>,
    /// The new TGK it carries, and its SPI.
    tgk: SecretBytes,
    spi: Vec<u8>,
    /// The CSB's policies after the update: as established, with an initiator's SP re-offered.
    policies: Policies,
    /// The CSB's peer, whom the answer must come from.
    peer: Peer,
    rand: RandBytes,
}

impl TicketPending {
    pub(crate) fn waits_for_kms(&self) -> bool {
        matches!(self, TicketPending::Request { .. } | TicketPending::Resolve { .. })
    }
}

impl fmt::Debug for TicketPending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TicketPending::Request { .. } => "TicketPending::Request",
            TicketPending::Transfer(_) => "TicketPending::Transfer",
            TicketPending::Resolve { .. } => "TicketPending::Resolve",
            TicketPending::Update(_) => "TicketPending::Update",
        })
    }
}

/// An initiator's TRANSFER_INIT and what checks the TRANSFER_RESP.
pub(crate) struct TransferSent {
    init: Vec<u8>,
    randri: Vec<u8>,
    flags: TicketFlags,
    /// The ticket's PRF, for forking.
    ticket_prf: PrfFunction,
    /// MPKi, [MPKr], then the session keys.
    key_data: SecretBytes,
    policy: SrtpPolicy,
}

/// The initiator's I_MESSAGE: REQUEST_INIT to the KMS when we hold no ticket and no TPK, else
/// TRANSFER_INIT with the ticket held or one we seal ourselves.
pub(crate) fn offer(cx: &Offering<'_>) -> Result<Offer> {
    // The map names the session key's SPI (or MKI, §6.1.1), but every key has one (§6.2.1), so
    // unlike RFC 3830's key validity it cannot tell the responder that SRTP packets carry an
    // MKI: an initiator asking for one is refused rather than left to disagree with its peer.
    if cx.we_initiated && cx.policy.mki_len > 0 {
        return Err(Error::unsupported("MIKEY-TICKET: an SRTP MKI is not supported (set an MKI length of 0)"));
    }
    if let Some(update) = cx.update {
        return update_offer(cx, update);
    }
    let settings = &cx.settings.ticket;
    match (cx.held_ticket, settings.tpks.first()) {
        (Some(held), _) => transfer_init(cx, held.ticket.clone(), &held.key_data),
        (None, Some(tpk)) => {
            let (ticket, key_data) = own_ticket(cx, tpk)?;
            transfer_init(cx, ticket, &key_data)
        }
        (None, None) => request_init(cx),
    }
}

/// Our ID role and the other end's: the initiator's and the responder's when `we_initiated`,
/// else the other way round (an update may come from either end, §5.2).
fn update_roles(we_initiated: bool) -> (u8, u8) {
    match we_initiated {
        true => (id_role::INITIATOR, id_role::RESPONDER),
        false => (id_role::RESPONDER, id_role::INITIATOR),
    }
}

/// The update of an established CSB (§5.2), by either end: HDR, T, our IDR, the peer's IDR,
/// [SP] (the initiator's offer), KEMAC with a new TGK, V, under the keys of the initial
/// exchange's last message; no RAND, no TICKET. The MAC covers the message, then the sender's
/// identity and the receiver's (Table 5.2's TRANSFER_INIT, the sender in the initiator's place).
fn update_offer(cx: &Offering<'_>, established: &Bundle) -> Result<Offer> {
    let updates = established
        .ticket_updates
        .clone()
        .ok_or_else(|| Error::new(ErrorKind::State, "the CSB was not established by MIKEY-TICKET"))?;
    let (own, peer) = (own_id(cx.settings)?, established.peer.identity.as_slice());
    let (own_role, peer_role) = update_roles(cx.we_initiated);
    let (tgk, spi) = (random(cx, KEY_LEN)?, random(cx, SPI_LEN)?);
    let keys = KeyDataList { id: None, keys: [key_data(KeyDataType::Tgk, &tgk, spi.expose())].into_iter().collect() };
    let protection = update_protection(&updates, cx.csb_id)?;
    let header = CommonHeader {
        data_type: DataType::TicketTransferInit,
        verification_requested: true,
        prf_function: updates.prf.code(),
        csb_id: cx.csb_id,
        cs_id_map: generic_id_map(cx.streams.iter().copied(), spi.expose()),
    };
    let mut payloads = vec![Payload::Timestamp(cx.timestamp), idr(own_role, own), idr(peer_role, peer)];
    // A responder's own offered policy is not the CSB's: it sends none.
    if cx.we_initiated {
        payloads.push(cx.policy_payload()?);
    }
    payloads.push(Payload::Kemac(protection.seal_kemac(&keys, &cx.timestamp)?));
    drop(keys);
    let bytes = protection.seal(Message { header, payloads }, Trailer::Identities(own, peer))?;
    let mut policies = established.policies.clone();
    if cx.we_initiated {
        policies.retain(|(no, _)| *no != OFFERED_POLICY_NO);
        policies.push((OFFERED_POLICY_NO, cx.policy));
    }
    let sent = UpdateSent {
        init: bytes.clone(),
        updates,
        tgk,
        spi: spi.expose().to_vec(),
        policies,
        peer: established.peer.clone(),
        rand: established.rand.clone(),
    };
    Ok(Offer { bytes, bundle: None, pending: Pending::Ticket(Arc::new(TicketPending::Update(sent))) })
}

/// An update of the CSB `established` from its other end (§5.2): authenticated under the keys
/// of its initial exchange's last message, from the CSB's peer; new keys if it carries a KEMAC.
fn answer_update(cx: &Answering<'_>, received: &Received<'_>, established: &Bundle) -> Result<Answer> {
    let message = received.message;
    let updates = established
        .ticket_updates
        .as_ref()
        .ok_or_else(|| Error::new(ErrorKind::State, "the CSB was not established by MIKEY-TICKET"))?;
    if message.payloads.iter().any(|payload| matches!(payload, Payload::Ticket(_) | Payload::RandWithRole(_))) {
        return Err(Error::malformed("an update carries no new RAND or TICKET (RFC 6043 §5.2)"));
    }
    let (own_role, sender_role) = update_roles(cx.we_initiated);
    let sender = carried_id(message, sender_role)?.unwrap_or(&established.peer.identity);
    if sender != established.peer.identity.as_slice() {
        return Err(Error::new(ErrorKind::AuthFailed, "the update names another sender than the CSB's peer")
            .with_peer_code(MikeyErrorCode::InvalidId));
    }
    let own = own_id(cx.settings)?;
    let receiver = carried_id(message, own_role)?.unwrap_or(own);
    let protection = update_protection(updates, message.header.csb_id)?;
    protection.verify(received.bytes, message, Trailer::Identities(sender, receiver))?;
    let key_data = match message.find(Payload::as_kemac) {
        Some(kemac) => Some(protection.open_kemac(kemac, &single_timestamp(message)?)?),
        None => None,
    };
    let keys = key_data.as_ref().map(|plaintext| KeyDataList::decode(plaintext.expose(), false)).transpose()?;
    let new_key = keys.as_ref().map(|keys| session_key(keys, 0)).transpose()?;
    let material = new_key.map(traffic_key_material).transpose()?;
    let session_key_spi = new_key.map_or_else(|| Ok(updates.session_key_spi.clone()), spi_of)?;
    let new_keys = NewKeys::Local(material.map(|material| (material, Vec::new())));
    let mut bundle =
        accept::bundle(cx, message, (&established.rand, new_keys), SrtpPolicy::default(), established.peer.clone())?;
    let updates = Arc::new(TicketUpdates { session_key_spi, ..(**updates).clone() });
    key_as_ticket(&mut bundle, updates.clone())?;
    if !message.header.verification_requested {
        return Ok(Answer { bundle, response: None, sent_key: false });
    }
    let header = CommonHeader {
        data_type: DataType::TicketTransferResponse,
        verification_requested: false,
        prf_function: message.header.prf_function,
        csb_id: message.header.csb_id,
        cs_id_map: generic_id_map(bundle.streams(), &updates.session_key_spi),
    };
    let payloads = vec![
        Payload::Timestamp(Timestamp { ts_type: TimestampType::NtpUtc, value: cx.settings.clock.now_ntp() }),
        idr(own_role, own),
    ];
    let bytes = protection.seal(Message { header, payloads }, Trailer::InitialMessage(received.bytes))?;
    Ok(Answer { bundle, response: Some(bytes), sent_key: false })
}

/// Initiator: the TRANSFER_RESP to our update (§5.2), under the same keys; the CSB with the new
/// TGK.
fn complete_update(cx: &Completing<'_>, received: &Received<'_>, sent: &UpdateSent) -> Result<Option<Bundle>> {
    let message = received.message;
    single_timestamp(message)?;
    update_protection(&sent.updates, cx.sent.csb_id)?.verify(
        received.bytes,
        message,
        Trailer::InitialMessage(&sent.init),
    )?;
    check_named_spi(message, &sent.spi)?;
    let material = KeyMaterial::joined(KeyKind::Tgk, sent.tgk.expose(), &[]);
    let keying = (sent.rand.clone(), material, Vec::new());
    let mut bundle = Bundle::new(
        cx.sent.csb_id,
        sent.updates.prf,
        keying,
        cx.streams.clone(),
        sent.policies.clone(),
        sent.peer.clone(),
    )?;
    let updates = TicketUpdates { session_key_spi: sent.spi.clone(), ..(*sent.updates).clone() };
    key_as_ticket(&mut bundle, Arc::new(updates))?;
    Ok(Some(bundle))
}

/// The ID Data of the one IDR payload of `role`, if any; two are refused.
fn carried_id<'m>(message: &'m Message<'_>, role: u8) -> Result<Option<&'m [u8]>> {
    let mut ids = message.payloads.iter().filter_map(Payload::as_id_with_role).filter(|id| id.role == role);
    match (ids.next(), ids.next()) {
        (found, None) => Ok(found.map(|id| &*id.data)),
        _ => Err(Error::malformed(format!("two IDR payloads of role {role}"))),
    }
}

fn own_id(settings: &crate::config::Settings) -> Result<&[u8]> {
    settings.own_id.as_deref().map(str::as_bytes).ok_or_else(|| Error::invalid_argument("our identity is not set"))
}

fn peer_id(settings: &crate::config::Settings) -> Result<&[u8]> {
    settings
        .peer_id
        .as_deref()
        .map(str::as_bytes)
        .ok_or_else(|| Error::invalid_argument("MIKEY-TICKET: an initiator names the responder (its peer identity)"))
}

/// The key an exchange with the KMS is keyed by: the PSK we share with it, else a fresh envelope
/// key for its certificate (the public-key form, §4.2.1.3, §4.2.3.3).
fn kms_exchange_key(settings: &crate::config::Settings) -> Result<SecretBytes> {
    match &settings.psk {
        Some(psk) => Ok(psk.clone()),
        None => {
            let mut envelope_key = SecretBytes::zeroed(CLIENT_ENVELOPE_KEY_LEN);
            settings.rng.fill(envelope_key.expose_mut())?;
            Ok(envelope_key)
        }
    }
}

/// Our client end with the KMS for `exchange`, keyed by `key` ([`kms_exchange_key`]): the PSK
/// form when we share a PSK with the KMS, else the public-key form with our certificate and the
/// KMS's (the pinned peer certificate). Without them a responder cannot resolve the ticket, and
/// tells its initiator so (Unspecified error, §5.4) rather than leave it waiting.
fn kms_client<'s>(
    settings: &'s crate::config::Settings,
    exchange: KmsExchange,
    key: &'s [u8],
) -> Result<KmsClient<'s>> {
    let not_configured = |what: &'static str| Error::invalid_argument(what).with_peer_code(MikeyErrorCode::Unspecified);
    let kms = settings.ticket.kms_id.as_deref().ok_or_else(|| not_configured("the KMS's identity is not set"))?;
    let signer = match &settings.psk {
        Some(_) => None,
        None => {
            let kms_certificate = settings
                .peer_certificate
                .as_ref()
                .ok_or_else(|| not_configured("the KMS is needed: share a PSK with it, or pin its certificate"))?;
            Some(ClientSigner {
                chain: &settings.certificate_chain,
                key: settings.private_key()?,
                scheme: settings.signing_scheme(),
                kms_key: kms_certificate.public_key()?,
                rng: settings.rng.as_ref(),
            })
        }
    };
    Ok(KmsClient {
        exchange,
        prf_function: OUR_PRF_FUNCTION,
        psk: key,
        psk_id: None,
        signer,
        identity: own_id(settings)?,
        kms,
    })
}

/// The flags we ask for: a TRANSFER_RESP with RANDRr, RANDRi in the TGK derivation, forking if
/// configured (which makes resolving at the KMS mandatory).
fn our_flags(settings: &crate::config::Settings, generated_by_kms: bool) -> TicketFlags {
    let forking = settings.ticket.key_forking;
    TicketFlags {
        generated_by_kms,
        kms_must_resolve: forking,
        transfer_response: true,
        responder_rand: true,
        initiator_rand_in_tgk_derivation: true,
        key_forking: forking,
        initiator_may_supply_keys: !generated_by_kms,
        initiator_can_transfer: true,
        responder_can_process: true,
        ..TicketFlags::default()
    }
}

/// The terms we ask for: the responder we address and the others configured, valid from now for
/// our lifetime.
fn our_terms(cx: &Offering<'_>) -> Result<TicketTerms> {
    let now = whole_seconds(cx.settings.clock.now_ntp());
    let mut responders = vec![peer_id(cx.settings)?.to_vec()];
    responders.extend(cx.settings.ticket.other_responders.iter().cloned());
    Ok(TicketTerms {
        responders,
        valid_from: Some(now),
        valid_until: Some(now.wrapping_add(u64::from(cx.settings.ticket.lifetime_secs) << 32)),
        ..TicketTerms::default()
    })
}

fn base_ticket_policy(flags: TicketFlags, terms: &TicketTerms) -> Result<TicketPolicy<'static>> {
    Ok(TicketPolicy {
        ticket_type: ticket_type::MIKEY_BASE_TICKET,
        subtype: ticket_type::BASE_TICKET_SUBTYPE,
        version: ticket_type::BASE_TICKET_VERSION,
        prf_function: OUR_PRF_FUNCTION,
        flags,
        reserved: 0,
        tp_data: terms.tp_data()?.into(),
    })
}

/// REQUEST_INIT_PSK asking the KMS for a ticket to the responder we address (§4.2.1).
fn request_init(cx: &Offering<'_>) -> Result<Offer> {
    let key = kms_exchange_key(cx.settings)?;
    let client = kms_client(cx.settings, KmsExchange::Request, key.expose())?;
    let policy = base_ticket_policy(our_flags(cx.settings, true), &our_terms(cx)?)?;
    let randri = random(cx, RAND_LEN)?;
    let init = client.init_message(cx.csb_id, cx.timestamp, randri.expose(), Payload::TicketPolicy(policy))?;
    let pending = Pending::Ticket(Arc::new(TicketPending::Request { init: init.clone(), key }));
    Ok(Offer { bytes: init, bundle: None, pending })
}

/// Takes the KMS's REQUEST_RESP: the ticket and its keys, if the granted policy suits us
/// (§4.2.1.6: "the Initiator MUST check that the granted Ticket Policy is acceptable").
pub(crate) fn take_ticket(cx: &Completing<'_>, received: &Received<'_>) -> Result<Arc<HeldTicket>> {
    let Pending::Ticket(pending) = &cx.sent.pending else {
        return Err(Error::new(ErrorKind::State, "no Ticket Request is waiting"));
    };
    let TicketPending::Request { init, key } = &**pending else {
        return Err(Error::new(ErrorKind::State, "no Ticket Request is waiting"));
    };
    let answer = kms_client(cx.settings, KmsExchange::Request, key.expose())?.take_response(init, received.bytes)?;
    let ticket = answer.ticket.ok_or_else(|| Error::malformed("REQUEST_RESP without a TICKET"))?;
    let flags = ticket.policy.flags;
    let terms = TicketTerms::read(&ticket.policy)?;
    let unacceptable = |what: &str| Error::new(ErrorKind::Policy, format!("the granted Ticket Policy {what}"));
    if !flags.transfer_response || !flags.initiator_can_transfer {
        return Err(unacceptable("does not let us transfer it and have it answered (F, N)"));
    }
    if flags.key_forking != cx.settings.ticket.key_forking {
        return Err(unacceptable("changed key forking"));
    }
    if !terms.names_responder(peer_id(cx.settings)?) {
        return Err(unacceptable("does not name the responder we address"));
    }
    Ok(Arc::new(HeldTicket { ticket, key_data: answer.key_data }))
}

/// A ticket we seal under our own TPK (modes 3 and 4, §4.1.1), and MPKi || session key.
fn own_ticket(cx: &Offering<'_>, tpk: &base::TicketProtectionKey) -> Result<(Ticket<'static>, SecretBytes)> {
    if cx.settings.ticket.key_forking {
        return Err(Error::invalid_argument("key forking needs the KMS to resolve (RFC 6043 §6.10: I implies E)"));
    }
    let mut terms = our_terms(cx)?;
    terms.initiator = Some(own_id(cx.settings)?.to_vec());
    terms.kms = cx.settings.ticket.kms_id.clone();
    let policy = base_ticket_policy(our_flags(cx.settings, false), &terms)?;
    let (mpk, tgk, spi) = (random(cx, KEY_LEN)?, random(cx, KEY_LEN)?, random(cx, SPI_LEN)?);
    let rand = random(cx, RAND_LEN.max(tpk.key_len()))?;
    let keys = KeyDataList {
        id: None,
        keys: [key_data(KeyDataType::Mpk, &mpk, spi.expose()), key_data(KeyDataType::Tgk, &tgk, spi.expose())]
            .into_iter()
            .collect(),
    };
    let contents = TicketContents { keys: &keys, timestamp: cx.timestamp, rand: rand.expose() };
    let ticket = base::seal(policy, tpk, &contents)?;
    let mpki = mpk_part(OUR_PRF, mpk.expose(), MpkPart::Initiator, rand.expose())?;
    let ours = KeyDataList {
        id: None,
        keys: [key_data(KeyDataType::Mpk, &mpki, spi.expose()), key_data(KeyDataType::Tgk, &tgk, spi.expose())]
            .into_iter()
            .collect(),
    };
    Ok((ticket, ours.encode()?))
}

/// TRANSFER_INIT carrying `ticket`, MACed under MPKi; with key forking, the Initiator Data is
/// added after the MAC, which does not cover it (§5.5).
fn transfer_init(cx: &Offering<'_>, mut ticket: Ticket<'static>, key_data: &SecretBytes) -> Result<Offer> {
    let flags = ticket.policy.flags;
    let ticket_prf = base::policy_prf(&ticket.policy)?;
    let keys = KeyDataList::decode(key_data.expose(), false)?;
    let (mpki, mpkr) = mpks(&keys, flags.key_forking)?;
    let spi = spi_of(session_key(&keys, if flags.key_forking { 2 } else { 1 })?)?;
    let (own, peer) = (own_id(cx.settings)?, peer_id(cx.settings)?);
    let randri = random(cx, RAND_LEN)?;
    let header = CommonHeader {
        data_type: DataType::TicketTransferInit,
        verification_requested: flags.transfer_response,
        prf_function: OUR_PRF_FUNCTION,
        csb_id: cx.csb_id,
        cs_id_map: generic_id_map(cx.streams.iter().copied(), &spi),
    };
    let payloads = |ticket: Ticket<'static>| -> Result<Vec<Payload<'static>>> {
        Ok(vec![
            Payload::Timestamp(cx.timestamp),
            Payload::RandWithRole(RandWithRole { role: rand_role::INITIATOR, rand: randri.expose().to_vec().into() }),
            idr(id_role::INITIATOR, own),
            idr(id_role::RESPONDER, peer),
            cx.policy_payload()?,
            Payload::Ticket(ticket),
        ])
    };
    let protection = MessageProtection::new(OUR_PRF, mpki, cx.csb_id, MessageDirection::Initial, randri.expose(), &[])?;
    let message = Message { header: header.clone(), payloads: payloads(ticket.clone())? };
    let mut bytes = protection.seal(message, Trailer::Identities(own, peer))?;
    if let Some(mpkr) = mpkr {
        let sealed = Message::decode(&bytes)?;
        let Some(Payload::Verification(vi)) = sealed.payloads.last() else {
            return Err(Error::malformed("a sealed TRANSFER_INIT ends with V"));
        };
        ticket.initiator_data = forking::seal_initiator_data(ticket_prf, mpkr, vi)?.into();
        let mut with_initiator_data = payloads(ticket)?;
        with_initiator_data.push(Payload::Verification(vi.clone()));
        bytes = Message { header, payloads: with_initiator_data }.encode()?;
    }
    let sent = TransferSent {
        init: bytes.clone(),
        randri: randri.expose().to_vec(),
        flags,
        ticket_prf,
        key_data: SecretBytes::from_slice(key_data.expose()),
        policy: cx.policy,
    };
    let pending = Pending::Ticket(Arc::new(TicketPending::Transfer(sent)));
    Ok(Offer { bytes, bundle: None, pending })
}

/// MPKi and, with key forking, MPKr: the first Key data sub-payloads (§4.2.1.5).
fn mpks<'k>(keys: &'k KeyDataList<'_>, forking: bool) -> Result<(&'k [u8], Option<&'k [u8]>)> {
    let mpk = |index: usize| {
        keys.keys
            .get(index)
            .filter(|key| key.key_type == KeyDataType::Mpk)
            .map(|key| key.key.expose())
            .ok_or_else(|| Error::malformed("the ticket's keys start with MPKi, [MPKr] (RFC 6043 §4.2.1.5)"))
    };
    Ok((mpk(0)?, if forking { Some(mpk(1)?) } else { None }))
}

/// The one session key of a ticket's keys (after the MPKs); several are not supported yet.
fn session_key<'k>(keys: &'k KeyDataList<'_>, mpk_count: usize) -> Result<&'k KeyData<'k>> {
    match keys.keys.get(mpk_count..) {
        Some([key]) if !matches!(key.key_type, KeyDataType::Mpk) => Ok(key),
        _ => Err(Error::unsupported("a ticket with one TEK, TGK or GTGK is supported, not several")
            .with_peer_code(MikeyErrorCode::InvalidTicketPolicyParameter)),
    }
}

fn key_data<'k>(key_type: KeyDataType, key: &'k SecretBytes, spi: &'k [u8]) -> KeyData<'k> {
    KeyData { key_type, key: SecretRef::new(key.expose()), salt: None, validity: KeyValidity::Spi(spi.into()) }
}

/// The SPI (or MKI) a ticket's or KEMAC's key is named by (§6.2.1: every key has one).
fn spi_of(key: &KeyData<'_>) -> Result<Vec<u8>> {
    match &key.validity {
        KeyValidity::Spi(spi) if !spi.is_empty() => Ok(spi.to_vec()),
        _ => Err(Error::malformed("a key without an SPI (RFC 6043 §6.2.1)")),
    }
}

/// Initiator: a TRANSFER_RESP names, for every crypto session, the SPI of the session key it
/// uses (§6.1.1: "it MUST be provided in the response message"); a CSB has one, `spi`.
fn check_named_spi(message: &Message<'_>, spi: &[u8]) -> Result<()> {
    let CsIdMap::GenericId(entries) = &message.header.cs_id_map else {
        return Err(Error::malformed("a TRANSFER_RESP uses the GENERIC-ID map (RFC 6043 §6.1)"));
    };
    match entries.iter().find(|entry| *entry.spi != *spi) {
        Some(entry) => Err(Error::malformed(format!(
            "the TRANSFER_RESP names for CS {} an SPI other than the session key's (RFC 6043 §6.1.1)",
            entry.cs_id
        ))),
        None => Ok(()),
    }
}

fn idr(role: u8, data: &[u8]) -> Payload<'static> {
    Payload::IdWithRole(IdrPayload { role, id_type: id_type::BYTE_STRING, data: data.to_vec().into() })
}

fn random(cx: &Offering<'_>, len: usize) -> Result<SecretBytes> {
    let mut bytes = SecretBytes::zeroed(len);
    cx.settings.rng.fill(bytes.expose_mut())?;
    Ok(bytes)
}

/// What a responder reads of a TRANSFER_INIT before it can authenticate it (§4.2.2.2).
struct TransferInit<'m> {
    ticket: &'m Ticket<'m>,
    randri: &'m [u8],
    /// The initiator's IDRi, which must be the one the ticket names.
    initiator: &'m [u8],
    /// The responder identity the MAC covers: the IDRr sent, else ours.
    responder: &'m [u8],
}

/// The early checks of §4.2.2.2: the ticket is one we can process, valid now and for us, and
/// the TRANSFER_INIT names its initiator and the policies we accept (checked when the CSB is
/// made; here, the shape). A failure is answered before any KMS is asked.
fn read_transfer_init<'m>(cx: &Answering<'m>, message: &'m Message<'m>) -> Result<TransferInit<'m>> {
    if !matches!(message.header.cs_id_map, CsIdMap::GenericId(_)) {
        return Err(Error::malformed(
            "TRANSFER_INIT uses the GENERIC-ID map; SRTP-ID SHALL NOT be used (RFC 6043 §6.1)",
        )
        .with_peer_code(MikeyErrorCode::Unspecified));
    }
    let ticket = single(message, Payload::as_ticket, "TICKET")?;
    let flags = ticket.policy.flags;
    if !ticket.policy.is_mikey_base_ticket() || !flags.responder_can_process {
        return Err(Error::unsupported(
            "a ticket other than the MIKEY base ticket, or one needing more processing (O)",
        )
        .with_peer_code(MikeyErrorCode::InvalidTicket));
    }
    if !flags.transfer_response {
        return Err(Error::unsupported("tickets without a TRANSFER_RESP (F = 0) are not supported yet")
            .with_peer_code(MikeyErrorCode::InvalidTicketPolicyParameter));
    }
    let terms = TicketTerms::read(&ticket.policy)?;
    terms.check_valid_at(cx.settings.clock.now_ntp())?;
    let own = own_id(cx.settings)?;
    if !terms.names_responder(own) {
        return Err(Error::new(ErrorKind::AuthFailed, "the ticket is not for us (its IDRr)")
            .with_peer_code(MikeyErrorCode::InvalidId));
    }
    let id = |role| carried_id(message, role);
    let initiator = id(id_role::INITIATOR)?.ok_or_else(|| {
        Error::malformed("this responder needs the initiator's IDRi").with_peer_code(MikeyErrorCode::InvalidId)
    })?;
    if terms.initiator.as_deref() != Some(initiator) {
        return Err(Error::new(ErrorKind::AuthFailed, "the IDRi is not the initiator the ticket names")
            .with_peer_code(MikeyErrorCode::InvalidId));
    }
    let randri = message
        .payloads
        .iter()
        .filter_map(Payload::as_rand_with_role)
        .find(|randr| randr.role == rand_role::INITIATOR)
        .map(|randr| &*randr.rand)
        .ok_or_else(|| Error::malformed("TRANSFER_INIT without RANDRi (RFC 6043 §4.2.2.1)"))?;
    Ok(TransferInit { ticket, randri, initiator, responder: id(id_role::RESPONDER)?.unwrap_or(own) })
}

/// Responder: whether the TRANSFER_INIT needs the KMS (mode 1 and 3), and then the
/// RESOLVE_INIT_PSK for it (§4.2.3).
pub(crate) fn consult_kms(cx: &Answering<'_>, received: &Received<'_>) -> Result<Option<KmsConsultation>> {
    if cx.update.is_some() {
        return Ok(None);
    }
    let view = read_transfer_init(cx, received.message)?;
    let tpks = &cx.settings.ticket.tpks;
    if !view.ticket.policy.flags.kms_must_resolve && base::holds_tpk_for(view.ticket, tpks) {
        return Ok(None);
    }
    let key = kms_exchange_key(cx.settings)?;
    let client = kms_client(cx.settings, KmsExchange::Resolve, key.expose())?;
    let draw = |len| -> Result<Vec<u8>> {
        let mut bytes = vec![0; len];
        cx.settings.rng.fill(&mut bytes)?;
        Ok(bytes)
    };
    let csb_id = u32::from_be_bytes(draw(4)?.try_into().unwrap_or_default());
    let now = Timestamp { ts_type: TimestampType::NtpUtc, value: cx.settings.clock.now_ntp() };
    let request = client.init_message(csb_id, now, &draw(RAND_LEN)?, Payload::Ticket(view.ticket.clone()))?;
    let pending = TicketPending::Resolve { transfer_init: received.bytes.to_vec(), resolve_init: request.clone(), key };
    Ok(Some(KmsConsultation { request, pending: Pending::Ticket(Arc::new(pending)) }))
}

/// What resolving a ticket gives a responder: MPKi, [MPKr'], the session key (TGK' when
/// forked), and a forked resolution's modifier (IDRr, RANDRkms).
struct Resolved {
    key_data: SecretBytes,
    modifier: Option<(Vec<u8>, Vec<u8>)>,
}

/// Responder holding the TPK (modes 2 and 4): opens the ticket itself and answers.
pub(crate) fn answer(cx: &Answering<'_>, received: &Received<'_>) -> Result<Answer> {
    if let Some(established) = cx.update {
        return answer_update(cx, received, established);
    }
    let view = read_transfer_init(cx, received.message)?;
    let opened = base::open(view.ticket, &cx.settings.ticket.tpks)?;
    let keys = opened.keys()?;
    let (mpk, session_keys) = keys.keys.split_first().ok_or_else(|| Error::malformed("an empty ticket"))?;
    let mpki = mpk_part(base::policy_prf(&view.ticket.policy)?, mpk.key.expose(), MpkPart::Initiator, &opened.rand)?;
    let mut resolved = vec![KeyData { key: SecretRef::new(mpki.expose()), ..mpk.clone() }];
    resolved.extend(session_keys.iter().cloned());
    let key_data = KeyDataList { id: None, keys: resolved.into_iter().collect() }.encode()?;
    finish_transfer(cx, received, view, Resolved { key_data, modifier: None })
}

/// Responder: the KMS resolved the ticket of the TRANSFER_INIT `pending` waits with.
pub(crate) fn resume_answer(cx: &Answering<'_>, pending: &Pending, received: &Received<'_>) -> Result<Answer> {
    let Pending::Ticket(pending) = pending else {
        return Err(Error::new(ErrorKind::State, "no Ticket Resolve is waiting"));
    };
    let TicketPending::Resolve { transfer_init, resolve_init, key } = &**pending else {
        return Err(Error::new(ErrorKind::State, "no Ticket Resolve is waiting"));
    };
    let client = kms_client(cx.settings, KmsExchange::Resolve, key.expose())?;
    let answer = client.take_response(resolve_init, received.bytes)?;
    let modifier = match (answer.responder, answer.randr_kms) {
        (Some(responder), Some(randr_kms)) => Some((responder, randr_kms)),
        (None, None) => None,
        _ => return Err(Error::malformed("RESOLVE_RESP carries IDRr and RANDRkms together (RFC 6043 §4.2.3.5)")),
    };
    let message = Message::decode(transfer_init)?;
    let transfer = Received { bytes: transfer_init, message: &message };
    let view = read_transfer_init(cx, &message)?;
    finish_transfer(cx, &transfer, view, Resolved { key_data: answer.key_data, modifier })
}

/// Responder with the ticket's keys: authenticates the TRANSFER_INIT under MPKi (with forking,
/// also its Vi against the Initiator Data the KMS verified), makes the CSB and the TRANSFER_RESP.
fn finish_transfer(
    cx: &Answering<'_>,
    received: &Received<'_>,
    view: TransferInit<'_>,
    resolved: Resolved,
) -> Result<Answer> {
    let message = received.message;
    let flags = view.ticket.policy.flags;
    let header_prf = cx.prf;
    let keys = KeyDataList::decode(resolved.key_data.expose(), false)?;
    let (mpki, mpkr_forked) = mpks(&keys, flags.key_forking)?;
    let csb_id = message.header.csb_id;
    let initial = MessageProtection::new(header_prf, mpki, csb_id, MessageDirection::Initial, view.randri, &[])?;
    initial.verify(received.bytes, message, Trailer::Identities(view.initiator, view.responder))?;
    if flags.key_forking {
        let Some(Payload::Verification(v)) = message.payloads.last() else {
            return Err(Error::malformed("TRANSFER_INIT ends with V"));
        };
        let vi = forking::initiator_data_vi(&view.ticket.initiator_data)?;
        if !ct_eq(&vi.mac, &v.mac) || vi.mac_algorithm != v.mac_algorithm {
            return Err(Error::new(
                ErrorKind::AuthFailed,
                "the Initiator Data's Vi is not the TRANSFER_INIT's V (RFC 6043 §4.2.3.6)",
            )
            .with_peer_code(MikeyErrorCode::AuthFailure));
        }
    }
    let key = session_key(&keys, if flags.key_forking { 2 } else { 1 })?;
    let material = traffic_key_material(key)?;
    let session_key_spi = spi_of(key)?;
    let peer = Peer::ticket_holder(mpki, view.initiator);
    let mut bundle = accept::bundle(
        cx,
        message,
        (view.randri, NewKeys::Local(Some((material, Vec::new())))),
        SrtpPolicy::default(),
        peer,
    )?;
    let randrr = if flags.responder_rand {
        let mut randrr = vec![0; RAND_LEN];
        cx.settings.rng.fill(&mut randrr)?;
        randrr
    } else {
        Vec::new()
    };
    let response_key = mpkr_forked.unwrap_or(mpki);
    let updates = TicketUpdates {
        mpk: SecretBytes::from_slice(response_key),
        randri: view.randri.to_vec(),
        randrr: randrr.clone(),
        prf: header_prf,
        randri_in_tgk: flags.initiator_rand_in_tgk_derivation,
        randrr_in_tgk: flags.responder_rand,
        session_key_spi,
    };
    let updates = Arc::new(updates);
    key_as_ticket(&mut bundle, updates.clone())?;
    // Our identity, or the one the KMS forked the keys for; it "MAY differ from the one sent in
    // the IDRr payload in the TRANSFER_INIT" (§4.2.2.3), as when a forked call reaches us.
    let own = own_id(cx.settings)?;
    let responder = resolved.modifier.as_ref().map_or(own, |(responder, _)| responder.as_slice());
    let mut payloads =
        vec![Payload::Timestamp(Timestamp { ts_type: TimestampType::NtpUtc, value: cx.settings.clock.now_ntp() })];
    if flags.responder_rand {
        payloads.push(Payload::RandWithRole(RandWithRole { role: rand_role::RESPONDER, rand: randrr.clone().into() }));
    }
    payloads.push(idr(id_role::RESPONDER, responder));
    if let Some((_, randr_kms)) = &resolved.modifier {
        payloads.push(Payload::RandWithRole(RandWithRole { role: rand_role::KMS, rand: randr_kms.clone().into() }));
    }
    let header = CommonHeader {
        data_type: DataType::TicketTransferResponse,
        verification_requested: false,
        prf_function: message.header.prf_function,
        csb_id,
        cs_id_map: generic_id_map(bundle.streams(), &updates.session_key_spi),
    };
    let response =
        MessageProtection::new(header_prf, response_key, csb_id, MessageDirection::Response, view.randri, &randrr)?;
    let bytes = response.seal(Message { header, payloads }, Trailer::InitialMessage(received.bytes))?;
    Ok(Answer { bundle, response: Some(bytes), sent_key: false })
}

/// The CSB's key material from a ticket's session key: a GTGK is used as a TGK (never forked,
/// §6.2.1). Salts are not supported yet.
fn traffic_key_material(key: &KeyData<'_>) -> Result<KeyMaterial> {
    let kind = match key.key_type {
        KeyDataType::Tgk | KeyDataType::Gtgk => KeyKind::Tgk,
        KeyDataType::Tek => return Err(Error::unsupported("a ticket's TEK without salt fits no SRTP profile")),
        other => return Err(Error::unsupported(format!("a ticket's {other:?} is not supported yet"))),
    };
    Ok(KeyMaterial::joined(kind, key.key.expose(), &[]))
}

/// Keys the CSB as MIKEY-TICKET does: each crypto session's keys from its TGK with RFC 6043's
/// labels (§5.1.3), RANDRi when H says so and RANDRr when G does; and keeps what protects the
/// CSB's updates (§5.2).
fn key_as_ticket(bundle: &mut Bundle, updates: Arc<TicketUpdates>) -> Result<()> {
    let randri: &[u8] = if updates.randri_in_tgk { &updates.randri } else { &[] };
    let randrr: &[u8] = if updates.randrr_in_tgk { &updates.randrr } else { &[] };
    bundle.derive_as_ticket(|tgk| {
        Ok(Arc::new(TicketTrafficKeys::new(updates.prf, tgk, randri, randrr)?) as Arc<dyn CryptoSessionKeys>)
    })?;
    bundle.ticket_updates = Some(updates);
    Ok(())
}

/// The keys of an update message of the CSB `csb_id` (§5.2): those of the initial exchange's
/// last message.
fn update_protection(updates: &TicketUpdates, csb_id: u32) -> Result<MessageProtection> {
    let direction = MessageDirection::Response;
    MessageProtection::new(updates.prf, updates.mpk.expose(), csb_id, direction, &updates.randri, &updates.randrr)
}

/// Initiator: checks the TRANSFER_RESP answering our TRANSFER_INIT (§4.2.2.4) and makes the CSB:
/// with forking, MPKr' and TGK' from the modifier it carries.
pub(crate) fn complete(cx: &Completing<'_>, received: &Received<'_>) -> Result<Option<Bundle>> {
    let Pending::Ticket(pending) = &cx.sent.pending else {
        return Err(Error::new(ErrorKind::State, "no Ticket Transfer is waiting"));
    };
    let sent = match &**pending {
        TicketPending::Transfer(sent) => sent,
        TicketPending::Update(sent) => return complete_update(cx, received, sent),
        _ => return Err(Error::new(ErrorKind::State, "no Ticket Transfer is waiting")),
    };
    let message = received.message;
    single_timestamp(message)?;
    let flags = sent.flags;
    let rand_of =
        |role| message.payloads.iter().filter_map(Payload::as_rand_with_role).find(|randr| randr.role == role);
    let randrr = match (rand_of(rand_role::RESPONDER), flags.responder_rand) {
        (Some(randr), true) => randr.rand.to_vec(),
        (None, false) => Vec::new(),
        _ => return Err(Error::malformed("TRANSFER_RESP carries RANDRr exactly when G says so (RFC 6043 §4.2.2.3)")),
    };
    let responder = message
        .payloads
        .iter()
        .filter_map(Payload::as_id_with_role)
        .find(|id| id.role == id_role::RESPONDER)
        .map(|id| id.data.to_vec());
    let keys = KeyDataList::decode(sent.key_data.expose(), false)?;
    let (mpki, mpkr) = mpks(&keys, flags.key_forking)?;
    let key = session_key(&keys, if flags.key_forking { 2 } else { 1 })?;
    let (response_key, tgk) = match mpkr {
        Some(mpkr) => {
            let (Some(responder), Some(randr_kms)) = (&responder, rand_of(rand_role::KMS)) else {
                return Err(Error::malformed("a forked TRANSFER_RESP names IDRr and RANDRkms (RFC 6043 §4.2.2.3)"));
            };
            let fork = |key: &[u8], forked| fork_key(sent.ticket_prf, key, forked, responder, &randr_kms.rand);
            let tgk = match key.key_type {
                KeyDataType::Tgk => Some(fork(key.key.expose(), ForkedKey::Tgk)?),
                _ => None,
            };
            (fork(mpkr, ForkedKey::ResponderMpk)?, tgk)
        }
        None => (SecretBytes::from_slice(mpki), None),
    };
    let prf = PrfFunction::from_code(message.header.prf_function)
        .ok_or_else(|| Error::unsupported("the TRANSFER_RESP's PRF func"))?;
    let protection = MessageProtection::new(
        prf,
        response_key.expose(),
        message.header.csb_id,
        MessageDirection::Response,
        &sent.randri,
        &randrr,
    )?;
    protection.verify(received.bytes, message, Trailer::InitialMessage(&sent.init))?;
    // A forked TGK' keeps the TGK's SPI.
    let session_key_spi = spi_of(key)?;
    check_named_spi(message, &session_key_spi)?;
    let material = match &tgk {
        Some(forked) => KeyMaterial::joined(KeyKind::Tgk, forked.expose(), &[]),
        None => traffic_key_material(key)?,
    };
    let peer_name = responder.unwrap_or_else(|| cx.settings.peer_id.clone().unwrap_or_default().into_bytes());
    let keying = (RandBytes::from_slice(&sent.randri), material, Vec::new());
    let mut bundle = Bundle::with_offered_policy(
        cx.sent.csb_id,
        prf,
        keying,
        cx.streams.clone(),
        sent.policy,
        Peer::ticket_holder(mpki, &peer_name),
    )?;
    let updates = TicketUpdates {
        mpk: response_key,
        randri: sent.randri.clone(),
        randrr,
        prf,
        randri_in_tgk: flags.initiator_rand_in_tgk_derivation,
        randrr_in_tgk: flags.responder_rand,
        session_key_spi,
    };
    key_as_ticket(&mut bundle, Arc::new(updates))?;
    Ok(Some(bundle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Stream;

    fn response_naming(spis: &[&[u8]]) -> Message<'static> {
        let streams = (1..).zip(spis).map(|(cs_id, _)| Stream { cs_id, ssrc: 7, roc: 0, policy_no: 0 });
        let mut map = generic_id_map(streams, &[]);
        if let CsIdMap::GenericId(entries) = &mut map {
            for (entry, spi) in entries.iter_mut().zip(spis) {
                entry.spi = spi.to_vec().into();
            }
        }
        let header = CommonHeader {
            data_type: DataType::TicketTransferResponse,
            verification_requested: false,
            prf_function: OUR_PRF_FUNCTION,
            csb_id: 1,
            cs_id_map: map,
        };
        Message { header, payloads: Vec::new() }
    }

    #[test]
    fn a_response_must_name_the_session_key_s_spi_for_every_crypto_session() {
        assert!(check_named_spi(&response_naming(&[b"spi1", b"spi1"]), b"spi1").is_ok());
        let wrong: [&[&[u8]]; 3] = [&[b"spi1", b"spi2"], &[b"", b"spi1"], &[b"spi2"]];
        for wrong in wrong {
            let error = check_named_spi(&response_naming(wrong), b"spi1").unwrap_err();
            assert!(error.to_string().contains("§6.1.1"), "{error}");
        }
        let mut srtp_id = response_naming(&[b"spi1"]);
        srtp_id.header.cs_id_map = CsIdMap::SrtpId(Default::default());
        assert!(check_named_spi(&srtp_id, b"spi1").is_err(), "an SRTP-ID map names no SPI");
    }
}
