//! The KMS of MIKEY-TICKET (RFC 6043): it answers Ticket Requests by issuing MIKEY base tickets
//! under its TPK, and Ticket Resolves by opening them again. It keeps no state beyond its keys
//! and its replay cache: a base ticket carries its keys, policy and validity itself
//! (Appendix A), MACed and encrypted under the TPK.
//!
//! Who may have which ticket, and who may resolve it, is the [`TicketAuthority`]'s decision;
//! [`NamedResponders`] grants what is asked within a longest lifetime and lets the responders a
//! ticket names resolve it.
//!
//! A message is handled completely before anything changes: decode → the client's PSK → the
//! replay window and cache → its MAC → the exchange → recorded in the replay cache. A message
//! that does not authenticate gets no answer (§5.4); a refusal after authentication gets an
//! error message MACed like the answer would have been.

use std::fmt;
use std::sync::Arc;

use crate::clock::unix_seconds;
use crate::clock::{Clock, SystemClock};
use crate::config::{DEFAULT_MAX_FUTURE_SKEW_SECS, DEFAULT_REPLAY_WINDOW_SECS};
use crate::crypto::rsa::RsaPrivateKey;
use crate::crypto::ticket_kdf::{fork_key, mpk_part, ForkedKey, MpkPart};
use crate::crypto::x509::{KeyUsageNeed, TrustStore};
use crate::crypto::{ct_eq, RandomSource, SystemRandomSource};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::exchange::signed::PeerTrust;
use crate::method::ticket::base::{self, TicketContents, TicketProtectionKey};
use crate::method::ticket::forking;
use crate::method::ticket::kms_exchange::{single, ClientForm, ClientInit, KmsExchange, KmsReply};
use crate::method::ticket::policy::whole_seconds;
use crate::method::ticket::TicketTerms;
use crate::replay::{ReplayCache, ReplayCheck};
use crate::secret::{SecretBytes, SecretRef};
use crate::session::Rejection;
use crate::wire::{
    KeyData, KeyDataList, KeyDataType, KeyValidity, Message, Payload, TicketFlags, TicketPolicy, Timestamp,
    TimestampType, MAX_MESSAGE_LEN,
};

/// Length of the MPKs, TGKs, ticket RANDs and SPIs this KMS makes, in bytes.
const MPK_LEN: usize = 32;
const TGK_LEN: usize = 32;
const SPI_LEN: usize = 4;
const RANDR_KMS_LEN: usize = 32;

/// What a client asked for, as the authority sees it.
#[derive(Debug)]
pub struct TicketRequest<'a> {
    /// The initiator, as its PSK authenticated it (its IDRi).
    pub initiator: &'a [u8],
    /// The terms it desires.
    pub desired: &'a TicketTerms,
    /// The flags it desires.
    pub flags: TicketFlags,
}

/// Decides which tickets a KMS issues and who may resolve them.
pub trait TicketAuthority: Send + Sync {
    /// The terms granted to `request`, or why not. The KMS then writes the initiator and
    /// itself into them, and drops any key template.
    fn grant(&self, request: &TicketRequest<'_>, now: u64) -> Result<TicketTerms>;

    /// Whether `responder` (authenticated by its PSK) may resolve a ticket with `terms`.
    fn may_resolve(&self, responder: &[u8], terms: &TicketTerms) -> bool;
}

/// The default authority: grants the desired terms, their validity cut to at most
/// `max_lifetime_secs` from now, and lets only the responders a ticket names resolve it.
#[derive(Clone, Copy, Debug)]
pub struct NamedResponders {
    /// The longest validity a ticket gets, in seconds.
    pub max_lifetime_secs: u32,
}

impl TicketAuthority for NamedResponders {
    fn grant(&self, request: &TicketRequest<'_>, now: u64) -> Result<TicketTerms> {
        let now = whole_seconds(now);
        let latest_end = now.wrapping_add(u64::from(self.max_lifetime_secs) << 32);
        let mut granted = request.desired.clone();
        granted.valid_from = Some(granted.valid_from.unwrap_or(now));
        let end = granted.valid_until.unwrap_or(latest_end);
        granted.valid_until = Some(if crate::clock::ntp_diff(end, latest_end) > 0 { latest_end } else { end });
        Ok(granted)
    }

    fn may_resolve(&self, responder: &[u8], terms: &TicketTerms) -> bool {
        terms.names_responder(responder)
    }
}

/// One client of the KMS and the PSK it shares with it (RFC 6043 §4.2.1.2, §4.2.3.2).
struct Client {
    identity: Vec<u8>,
    psk: SecretBytes,
}

/// A KMS's settings: its identity, TPKs, clients, authority, clock and randomness.
pub struct KmsConfig {
    identity: Vec<u8>,
    tpks: Vec<TicketProtectionKey>,
    clients: Vec<Client>,
    authority: Arc<dyn TicketAuthority>,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn RandomSource>,
    replay_window_secs: u32,
    max_future_skew_secs: u32,
    responders_hold_tpk: bool,
    /// The public-key forms: our private key (clients encrypt the envelope key to its
    /// certificate), and the anchors the clients' certificates must chain to.
    private_key: Option<RsaPrivateKey>,
    trust_anchors: TrustStore,
}

impl KmsConfig {
    /// A KMS named `identity` (its IDRkms), with the [`NamedResponders`] authority granting
    /// tickets for up to a day, the system clock, aws-lc's randomness and the replay window of
    /// sessions (RFC 3830 §5.4).
    pub fn new(identity: &[u8]) -> Result<Self> {
        if identity.is_empty() {
            return Err(Error::invalid_argument("a KMS needs an identity"));
        }
        Ok(KmsConfig {
            identity: identity.to_vec(),
            tpks: Vec::new(),
            clients: Vec::new(),
            authority: Arc::new(NamedResponders { max_lifetime_secs: 86_400 }),
            clock: Arc::new(SystemClock),
            rng: Arc::new(SystemRandomSource),
            replay_window_secs: DEFAULT_REPLAY_WINDOW_SECS,
            max_future_skew_secs: DEFAULT_MAX_FUTURE_SKEW_SECS,
            responders_hold_tpk: false,
            private_key: None,
            trust_anchors: TrustStore::new(),
        })
    }

    /// The public-key forms of Request and Resolve (RFC 6043 §4.2.1.3, §4.2.3.3): the KMS's
    /// private key (PKCS#8 or PKCS#1, PEM or DER), whose certificate the clients pin and encrypt
    /// their envelope keys to.
    pub fn set_private_key(&mut self, data: &[u8]) -> Result<()> {
        self.private_key = Some(RsaPrivateKey::from_pem_or_der(data)?);
        Ok(())
    }

    /// The public-key forms: adds trust anchors (a PEM bundle or one DER certificate) the
    /// clients' certificate chains must lead to; the certificate must name the client's IDRi or
    /// IDRr.
    pub fn add_trust_anchor(&mut self, data: &[u8]) -> Result<()> {
        self.trust_anchors.add_anchors_from(data)
    }

    /// Whether the responders hold the TPK too (mode 2 of RFC 6043 §4.1.1): tickets then say
    /// that resolving at the KMS is optional (E = 0), unless they fork keys (I implies E). Off
    /// by default: only the KMS holds the TPK (mode 1).
    pub fn set_responders_hold_tpk(&mut self, hold: bool) {
        self.responders_hold_tpk = hold;
    }

    /// Adds a TPK. The first added seals new tickets; all open them, so an old TPK stays until
    /// its last ticket has expired.
    pub fn add_tpk(&mut self, tpk: TicketProtectionKey) -> Result<()> {
        if self.tpks.iter().any(|known| known.id() == tpk.id()) {
            return Err(Error::invalid_argument("a TPK with this identifier is already there"));
        }
        self.tpks.push(tpk);
        Ok(())
    }

    /// Adds a client: its identity (the IDRi or IDRr it sends, or the IDRpsk naming its key)
    /// and the PSK it shares with the KMS, at least 16 bytes.
    pub fn add_client(&mut self, identity: &[u8], psk: &[u8]) -> Result<()> {
        if psk.len() < 16 || identity.is_empty() {
            return Err(Error::invalid_argument("a client has an identity and a PSK of at least 16 bytes"));
        }
        if self.clients.iter().any(|client| client.identity == identity) {
            return Err(Error::invalid_argument("a client with this identity is already there"));
        }
        self.clients.push(Client { identity: identity.to_vec(), psk: SecretBytes::from_slice(psk) });
        Ok(())
    }

    /// Replaces the authority deciding who gets and resolves tickets.
    pub fn set_authority(&mut self, authority: Arc<dyn TicketAuthority>) {
        self.authority = authority;
    }

    /// Replaces the clock (tests, simulations).
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    /// Replaces the randomness source (tests only: keys and RANDs come from it).
    pub fn set_rng(&mut self, rng: Arc<dyn RandomSource>) {
        self.rng = rng;
    }

    /// The replay window in seconds (RFC 3830 §5.4), as [`crate::Config::set_replay_window`].
    pub fn set_replay_window(&mut self, seconds: u32) -> Result<()> {
        if seconds == 0 {
            return Err(Error::invalid_argument("the replay window is at least one second"));
        }
        self.replay_window_secs = seconds;
        Ok(())
    }
}

impl KmsConfig {
    /// Checks that a KMS can start with these settings: it holds a TPK.
    pub fn validate(&self) -> Result<()> {
        if self.tpks.is_empty() {
            return Err(Error::invalid_argument("a KMS needs a TPK to seal tickets"));
        }
        Ok(())
    }
}

impl fmt::Debug for KmsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsConfig")
            .field("identity", &String::from_utf8_lossy(&self.identity))
            .field("tpks", &self.tpks)
            .field("clients", &self.clients.len())
            .finish_non_exhaustive()
    }
}

/// A MIKEY-TICKET KMS. Thread-safe: `process_message` takes `&self`, and messages from many
/// clients may be handled at once.
pub struct Kms {
    config: KmsConfig,
    replay_cache: ReplayCache,
}

impl fmt::Debug for Kms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kms").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Kms {
    /// A KMS with `config`, which must hold a TPK ([`KmsConfig::validate`]).
    pub fn new(config: KmsConfig) -> Result<Self> {
        config.validate()?;
        let replay_cache = ReplayCache::new(ReplayCache::capacity_for_window(config.replay_window_secs))?;
        Ok(Kms { config, replay_cache })
    }

    /// Takes a REQUEST_INIT_PSK or RESOLVE_INIT_PSK and returns the REQUEST_RESP or
    /// RESOLVE_RESP. On rejection nothing changes, and the rejection carries an error message
    /// for the client when the message authenticated (RFC 6043 §5.4).
    pub fn process_message(&self, bytes: &[u8]) -> std::result::Result<Vec<u8>, Rejection> {
        if bytes.len() > MAX_MESSAGE_LEN {
            return Err(Error::malformed(format!("a message of {} bytes exceeds MAX_MESSAGE_LEN", bytes.len())).into());
        }
        let message = Message::decode(bytes)?;
        let init = ClientInit::read(&message)?;
        let now = self.config.clock.now_ntp();
        let replay = ReplayCheck {
            id: self.replay_cache.message_id(&message, init.timestamp.value),
            timestamp: init.timestamp.value,
            now,
            window_secs: self.config.replay_window_secs,
            future_secs: self.config.max_future_skew_secs,
        };
        self.replay_cache.check(&replay)?;
        let key = self.authenticate(&init, bytes, &message, now)?;
        // Authenticated: a refusal from here on is answered (§5.4).
        let psk = &key;
        let authenticated = Authenticated { init: &init, bytes, message: &message, psk, now };
        let answer = match init.exchange {
            KmsExchange::Request => self.issue(&authenticated),
            KmsExchange::Resolve => self.resolve(&authenticated),
        };
        let answer = answer.map_err(|error| {
            let code = error.peer_code().unwrap_or(MikeyErrorCode::Unspecified);
            let response = init.error_message(&message, psk.expose(), ntp_timestamp(now), code).ok();
            Rejection { error, response }
        })?;
        self.replay_cache.record(&replay)?;
        Ok(answer)
    }

    /// Authenticates a client's message, and returns the key of the answer: the PSK the KMS shares
    /// with the client, or the envelope key of the public-key form, whose signature must come from
    /// a certificate under our anchors naming the client (§4.2.1.3, §4.2.3.3).
    fn authenticate(
        &self,
        init: &ClientInit<'_>,
        bytes: &[u8],
        message: &Message<'_>,
        now: u64,
    ) -> Result<SecretBytes> {
        let identity = &self.config.identity;
        match init.form {
            ClientForm::PreSharedKey => {
                let psk = self.client_psk(init)?;
                init.authenticate(bytes, message, identity, psk.expose())?;
                Ok(psk.clone())
            }
            ClientForm::PublicKey => {
                let key = self.config.private_key.as_ref().ok_or_else(|| {
                    Error::unsupported("this KMS has no private key: it takes the PSK forms only")
                        .with_peer_code(MikeyErrorCode::InvalidDataType)
                })?;
                let trust = PeerTrust {
                    anchors: &self.config.trust_anchors,
                    pinned: None,
                    only_pinned: false,
                    expected_identity: Some(init.client),
                    at_unix_time: unix_seconds(now),
                    usage: KeyUsageNeed::DIGITAL_SIGNATURE,
                    accept_sha1: false,
                };
                init.authenticate_signed(bytes, message, identity, (key, &trust))
            }
        }
    }

    /// The PSK of the client the message names: by its IDRpsk, else by its identity.
    fn client_psk(&self, init: &ClientInit<'_>) -> Result<&SecretBytes> {
        let name = init.psk_id.unwrap_or(init.client);
        self.config
            .clients
            .iter()
            .find(|client| ct_eq(&client.identity, name))
            .map(|client| &client.psk)
            .ok_or_else(|| Error::new(ErrorKind::AuthFailed, "the KMS shares no PSK with this client"))
    }

    /// Ticket Request (§4.2.1.4): grants a policy, makes the keys, seals the ticket and answers
    /// with it and MPKi || [MPKr] || the session keys.
    fn issue(&self, authenticated: &Authenticated<'_>) -> Result<Vec<u8>> {
        let Authenticated { init, message, now, .. } = *authenticated;
        let desired = single(message, Payload::as_ticket_policy, "TP")?;
        if !desired.is_mikey_base_ticket() {
            return Err(Error::unsupported("this KMS issues the MIKEY base ticket (type 1) only")
                .with_peer_code(MikeyErrorCode::InvalidTicket));
        }
        let prf = base::policy_prf(desired)?;
        let desired_terms = TicketTerms::read(desired)?;
        let request = TicketRequest { initiator: init.client, desired: &desired_terms, flags: desired.flags };
        let mut granted = self.config.authority.grant(&request, now)?;
        granted.initiator = Some(init.client.to_vec());
        granted.kms = Some(self.config.identity.clone());
        let key_template = granted.requested_keys.take();
        let flags = TicketFlags {
            // Made by the KMS; resolving at the KMS is mandatory unless the responders hold the
            // TPK (mode 2 rather than 1, §4.1.1) and no key is forked (I implies E).
            generated_by_kms: true,
            kms_must_resolve: !self.config.responders_hold_tpk || desired.flags.key_forking,
            changed_by_kms: granted != TicketTerms { requested_keys: None, ..desired_terms.clone() },
            initiator_can_transfer: true,
            responder_can_process: true,
            ..desired.flags
        };
        let policy = TicketPolicy {
            ticket_type: desired.ticket_type,
            subtype: desired.subtype,
            version: desired.version,
            prf_function: desired.prf_function,
            flags,
            reserved: 0,
            tp_data: granted.tp_data()?.into(),
        };
        if let Some(rule) = flags.broken_rule() {
            return Err(Error::unsupported(format!("the granted flags would break RFC 6043 §6.10: {rule}"))
                .with_peer_code(MikeyErrorCode::InvalidTicketPolicyParameter));
        }
        let session_keys = self.session_keys(key_template.as_ref())?;
        let mpk = self.random_secret(MPK_LEN)?;
        let mpk_spi = self.random_spi()?;
        let tpk = &self.config.tpks[0];
        let rand = self.random_secret(MPK_LEN.max(tpk.key_len()))?;
        let mut ticket_keys = vec![key_data(KeyDataType::Mpk, &mpk, &mpk_spi)];
        ticket_keys.extend(session_keys.iter().map(|(key_type, key, spi)| key_data(*key_type, key, spi)));
        let contents = TicketContents {
            keys: &KeyDataList { id: None, keys: ticket_keys.into_iter().collect() },
            timestamp: ntp_timestamp(now),
            rand: rand.expose(),
        };
        let ticket = base::seal(policy, tpk, &contents)?;
        let mpki = mpk_part(prf, mpk.expose(), MpkPart::Initiator, rand.expose())?;
        let mpkr =
            flags.key_forking.then(|| mpk_part(prf, mpk.expose(), MpkPart::Responder, rand.expose())).transpose()?;
        let mut answer_keys = vec![key_data(KeyDataType::Mpk, &mpki, &mpk_spi)];
        answer_keys.extend(mpkr.as_ref().map(|mpkr| key_data(KeyDataType::Mpk, mpkr, &mpk_spi)));
        answer_keys.extend(session_keys.iter().map(|(key_type, key, spi)| key_data(*key_type, key, spi)));
        let reply = KmsReply {
            timestamp: ntp_timestamp(now),
            ticket: Some(ticket),
            key_data: KeyDataList { id: None, keys: answer_keys.into_iter().collect() },
            modifier: None,
        };
        authenticated.answer(&self.config.identity, reply)
    }

    /// Ticket Resolve (§4.2.3.4): opens the ticket, checks its validity and that the responder
    /// may resolve it, forks the keys for it when the ticket says so, and answers with
    /// MPKi || [MPKr'] || the session keys.
    fn resolve(&self, authenticated: &Authenticated<'_>) -> Result<Vec<u8>> {
        let Authenticated { init, message, now, .. } = *authenticated;
        let ticket = single(message, Payload::as_ticket, "TICKET")?;
        let opened = base::open(ticket, &self.config.tpks)?;
        let terms = TicketTerms::read(&ticket.policy)?;
        terms.check_valid_at(now)?;
        if !self.config.authority.may_resolve(init.client, &terms) {
            return Err(Error::new(ErrorKind::AuthFailed, "the ticket does not authorise this responder")
                .with_peer_code(MikeyErrorCode::Unspecified));
        }
        let prf = base::policy_prf(&ticket.policy)?;
        let keys = opened.keys()?;
        let (mpk, session_keys) = keys.keys.split_first().ok_or_else(|| Error::malformed("an empty ticket"))?;
        let mpk_spi = spi_of(mpk)?;
        let mpki = mpk_part(prf, mpk.key.expose(), MpkPart::Initiator, &opened.rand)?;
        let forking = ticket.policy.flags.key_forking;
        let randr_kms = if forking { Some(self.random_secret(RANDR_KMS_LEN)?) } else { None };
        let mut forked_mpkr = None;
        let mut forked_keys = Vec::new();
        if let Some(randr_kms) = &randr_kms {
            let mpkr = mpk_part(prf, mpk.key.expose(), MpkPart::Responder, &opened.rand)?;
            forking::verified_vi(prf, mpkr.expose(), &ticket.initiator_data)?;
            let mpkr_forked = fork_key(prf, mpkr.expose(), ForkedKey::ResponderMpk, init.client, randr_kms.expose())?;
            forked_mpkr = Some(mpkr_forked);
            for key in session_keys {
                // TGKs are forked, TEKs and GTGKs not (§5.1.1).
                let forked = matches!(key.key_type, KeyDataType::Tgk | KeyDataType::TgkSalt)
                    .then(|| fork_key(prf, key.key.expose(), ForkedKey::Tgk, init.client, randr_kms.expose()))
                    .transpose()?;
                forked_keys.push((key, forked));
            }
        } else {
            forked_keys.extend(session_keys.iter().map(|key| (key, None)));
        }
        let mut answer_keys = vec![key_data(KeyDataType::Mpk, &mpki, mpk_spi)];
        answer_keys.extend(forked_mpkr.as_ref().map(|mpkr| key_data(KeyDataType::Mpk, mpkr, mpk_spi)));
        answer_keys.extend(forked_keys.iter().map(|(key, forked)| KeyData {
            key: forked.as_ref().map_or(key.key, |forked| SecretRef::new(forked.expose())),
            ..(*key).clone()
        }));
        let reply = KmsReply {
            timestamp: ntp_timestamp(now),
            ticket: None,
            key_data: KeyDataList { id: None, keys: answer_keys.into_iter().collect() },
            modifier: randr_kms.as_ref().map(|randr_kms| (init.client, randr_kms.expose())),
        };
        authenticated.answer(&self.config.identity, reply)
    }

    /// The session keys of a new ticket, each with a random SPI: as the KEMAC of the desired
    /// policy lists them (their types and lengths; §6.10 zeroes the key fields), else the one
    /// TGK §4.2.1.5 recommends.
    fn session_keys(
        &self,
        template: Option<&crate::wire::Kemac<'_>>,
    ) -> Result<Vec<(KeyDataType, SecretBytes, Vec<u8>)>> {
        let requested: Vec<(KeyDataType, usize)> = match template {
            Some(kemac) => KeyDataList::decode(&kemac.encrypted_data, false)
                .map_err(|error| error.with_peer_code(MikeyErrorCode::InvalidTicketPolicyParameter))?
                .keys
                .iter()
                .map(|key| (key.key_type, key.key.len()))
                .collect(),
            None => vec![(KeyDataType::Tgk, TGK_LEN)],
        };
        let acceptable = |(key_type, len): &(KeyDataType, usize)| {
            matches!(key_type, KeyDataType::Tgk | KeyDataType::Tek | KeyDataType::Gtgk) && (16..=64).contains(len)
        };
        if requested.is_empty() || !requested.iter().all(acceptable) {
            return Err(Error::unsupported("this KMS makes TGKs, TEKs and GTGKs of 16 to 64 bytes, without salts")
                .with_peer_code(MikeyErrorCode::InvalidTicketPolicyParameter));
        }
        requested
            .into_iter()
            .map(|(key_type, len)| Ok((key_type, self.random_secret(len)?, self.random_spi()?)))
            .collect()
    }

    /// A random SPI (§6.2.1), which an SRTP stack may use as the MKI.
    fn random_spi(&self) -> Result<Vec<u8>> {
        let mut spi = vec![0; SPI_LEN];
        self.config.rng.fill(&mut spi)?;
        Ok(spi)
    }

    fn random_secret(&self, len: usize) -> Result<SecretBytes> {
        let mut secret = SecretBytes::zeroed(len);
        self.config.rng.fill(secret.expose_mut())?;
        Ok(secret)
    }
}

/// A client's message whose MAC verified, and what answering it takes.
#[derive(Clone, Copy)]
struct Authenticated<'a> {
    init: &'a ClientInit<'a>,
    bytes: &'a [u8],
    message: &'a Message<'a>,
    psk: &'a SecretBytes,
    now: u64,
}

impl Authenticated<'_> {
    /// The response carrying `reply`, from the KMS `identity`.
    fn answer(&self, identity: &[u8], reply: KmsReply<'_>) -> Result<Vec<u8>> {
        self.init.response(self.bytes, self.message, self.psk.expose(), identity, reply)
    }
}

/// A Key data sub-payload of `key_type` carrying `key`, bound to `spi` (§6.2.1: mandatory).
fn key_data<'k>(key_type: KeyDataType, key: &'k SecretBytes, spi: &'k [u8]) -> KeyData<'k> {
    KeyData { key_type, key: SecretRef::new(key.expose()), salt: None, validity: KeyValidity::Spi(spi.into()) }
}

/// The SPI a key is bound to (every key of a ticket has one, checked when it was opened).
fn spi_of<'k>(key: &'k KeyData<'_>) -> Result<&'k [u8]> {
    match &key.validity {
        KeyValidity::Spi(spi) => Ok(spi),
        _ => Err(Error::malformed("a ticket's key without an SPI (RFC 6043 §6.2.1)")),
    }
}

/// `now` as a T payload's timestamp.
fn ntp_timestamp(now: u64) -> Timestamp {
    Timestamp { ts_type: TimestampType::NtpUtc, value: now }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::crypto::PrfFunction;
    use crate::method::ticket::kms_exchange::{KmsAnswer, KmsClient};
    use crate::wire::registry::ticket_type;
    use crate::wire::Ticket;

    const NOW: u64 = 0xEAB0_0000_0000_0000;
    const ALICE_PSK: [u8; 16] = [0xA1; 16];
    const BOB_PSK: [u8; 16] = [0xB0; 16];
    const CAROL_PSK: [u8; 16] = [0xC0; 16];

    struct TestClock(AtomicU64);

    impl Clock for TestClock {
        fn now_ntp(&self) -> u64 {
            self.0.load(Ordering::Relaxed)
        }
    }

    fn kms_with(clock: &Arc<TestClock>, tpk: u8) -> Kms {
        let mut config = KmsConfig::new(b"kms.example.org").unwrap();
        config.add_tpk(TicketProtectionKey::new(b"tpk-1", &[tpk; 32]).unwrap()).unwrap();
        config.add_client(b"sip:alice@example.org", &ALICE_PSK).unwrap();
        config.add_client(b"sip:bob@example.org", &BOB_PSK).unwrap();
        config.add_client(b"sip:carol@example.org", &CAROL_PSK).unwrap();
        config.set_clock(clock.clone());
        Kms::new(config).unwrap()
    }

    fn setup() -> (Kms, Arc<TestClock>) {
        let clock = Arc::new(TestClock(AtomicU64::new(NOW)));
        (kms_with(&clock, 0x7B), clock)
    }

    fn client<'a>(exchange: KmsExchange, identity: &'a [u8], psk: &'a [u8]) -> KmsClient<'a> {
        KmsClient { exchange, prf_function: 1, psk, psk_id: None, signer: None, identity, kms: b"kms.example.org" }
    }

    fn desired(flags: TicketFlags) -> Payload<'static> {
        let terms = TicketTerms { responders: vec![b"sip:bob@example.org".to_vec()], ..TicketTerms::default() };
        Payload::TicketPolicy(TicketPolicy {
            ticket_type: ticket_type::MIKEY_BASE_TICKET,
            subtype: 1,
            version: 1,
            prf_function: 1,
            flags,
            reserved: 0,
            tp_data: terms.tp_data().unwrap().into(),
        })
    }

    fn plain_flags() -> TicketFlags {
        TicketFlags {
            transfer_response: true,
            responder_rand: true,
            initiator_rand_in_tgk_derivation: true,
            initiator_may_supply_keys: true,
            ..TicketFlags::default()
        }
    }

    fn timestamp(clock: &TestClock) -> Timestamp {
        ntp_timestamp(clock.now_ntp())
    }

    /// A Ticket Request by alice, answered.
    fn request(kms: &Kms, clock: &TestClock, flags: TicketFlags) -> KmsAnswer {
        let alice = client(KmsExchange::Request, b"sip:alice@example.org", &ALICE_PSK);
        let init = alice.init_message(0x1234, timestamp(clock), &[0x11; 32], desired(flags)).unwrap();
        let response = kms.process_message(&init).unwrap();
        alice.take_response(&init, &response).unwrap()
    }

    fn resolve_init(who: &KmsClient<'_>, clock: &TestClock, ticket: &Ticket<'_>) -> Vec<u8> {
        who.init_message(0x5678, timestamp(clock), &[0x22; 32], Payload::Ticket(ticket.clone())).unwrap()
    }

    fn keys(answer: &KmsAnswer) -> Vec<(KeyDataType, Vec<u8>)> {
        let list = KeyDataList::decode(answer.key_data.expose(), false).unwrap();
        list.keys.iter().map(|key| (key.key_type, key.key.expose().to_vec())).collect()
    }

    #[test]
    fn mode_1_request_and_resolve_give_both_ends_the_same_mpki_and_tgk() {
        let (kms, clock) = setup();
        let issued = request(&kms, &clock, plain_flags());
        let ticket = issued.ticket.as_ref().unwrap();
        let granted = TicketTerms::read(&ticket.policy).unwrap();
        assert_eq!(granted.initiator.as_deref(), Some(&b"sip:alice@example.org"[..]));
        assert_eq!(granted.kms.as_deref(), Some(&b"kms.example.org"[..]));
        assert_eq!(granted.valid_from, Some(NOW));
        assert_eq!(granted.valid_until, Some(NOW + (86_400 << 32)));
        let flags = ticket.policy.flags;
        assert!(flags.generated_by_kms && flags.kms_must_resolve && flags.changed_by_kms && !flags.key_forking);
        let initiator_keys = keys(&issued);
        assert_eq!(
            initiator_keys.iter().map(|(key_type, key)| (*key_type, key.len())).collect::<Vec<_>>(),
            [(KeyDataType::Mpk, 32), (KeyDataType::Tgk, 32)]
        );

        let bob = client(KmsExchange::Resolve, b"sip:bob@example.org", &BOB_PSK);
        let init = resolve_init(&bob, &clock, ticket);
        let resolved = bob.take_response(&init, &kms.process_message(&init).unwrap()).unwrap();
        assert_eq!(keys(&resolved), initiator_keys);
        assert!(resolved.ticket.is_none() && resolved.responder.is_none() && resolved.randr_kms.is_none());
    }

    #[test]
    fn with_key_forking_the_responder_gets_mpkr_prime_and_tgk_prime_and_the_modifier() {
        let (kms, clock) = setup();
        let flags = TicketFlags { key_forking: true, kms_must_resolve: true, ..plain_flags() };
        let issued = request(&kms, &clock, flags);
        let initiator_keys = keys(&issued);
        let [(_, mpki), (_, mpkr), (KeyDataType::Tgk, tgk)] = &initiator_keys[..] else { panic!("{initiator_keys:?}") };
        let mut ticket = issued.ticket.clone().unwrap();
        let vi = crate::wire::Verification {
            mac_algorithm: crate::wire::MacAlgorithmCode::HmacSha256_256,
            mac: vec![5; 32].into(),
        };
        ticket.initiator_data = forking::seal_initiator_data(PrfFunction::HmacSha256, mpkr, &vi).unwrap().into();

        let bob = client(KmsExchange::Resolve, b"sip:bob@example.org", &BOB_PSK);
        let init = resolve_init(&bob, &clock, &ticket);
        let resolved = bob.take_response(&init, &kms.process_message(&init).unwrap()).unwrap();
        let randr_kms = resolved.randr_kms.clone().unwrap();
        assert_eq!(resolved.responder.as_deref(), Some(&b"sip:bob@example.org"[..]));
        let fork = |key: &[u8], forked| {
            fork_key(PrfFunction::HmacSha256, key, forked, b"sip:bob@example.org", &randr_kms)
                .unwrap()
                .expose()
                .to_vec()
        };
        assert_eq!(
            keys(&resolved),
            [
                (KeyDataType::Mpk, mpki.clone()),
                (KeyDataType::Mpk, fork(mpkr, ForkedKey::ResponderMpk)),
                (KeyDataType::Tgk, fork(tgk, ForkedKey::Tgk)),
            ]
        );

        // Initiator Data that does not verify under MPKr: an Invalid TICKET, answered.
        let mut forged = ticket.clone();
        forged.initiator_data = forking::seal_initiator_data(PrfFunction::HmacSha256, &[0; 32], &vi).unwrap().into();
        let init = resolve_init(&bob, &clock, &forged);
        let rejection = kms.process_message(&init).unwrap_err();
        assert_eq!(rejection.error.peer_code(), Some(MikeyErrorCode::InvalidTicket));
        let refused = bob.take_response(&init, &rejection.response.unwrap()).err().unwrap();
        assert!(refused.context().contains("the KMS refused: InvalidTicket"), "{refused}");
    }

    #[test]
    fn an_expired_ticket_a_wrong_responder_or_a_foreign_ticket_is_refused_with_an_authenticated_error() {
        let (kms, clock) = setup();
        let issued = request(&kms, &clock, plain_flags());
        let ticket = issued.ticket.unwrap();
        let carol = client(KmsExchange::Resolve, b"sip:carol@example.org", &CAROL_PSK);
        let refused = |who: &KmsClient<'_>, ticket: &Ticket<'_>| {
            let init = resolve_init(who, &clock, ticket);
            let rejection = kms.process_message(&init).unwrap_err();
            let answer = who.take_response(&init, rejection.response.as_deref().unwrap()).err().unwrap();
            (rejection.error.peer_code(), answer.context().to_owned())
        };
        // Carol is a client of the KMS, but the ticket names Bob.
        let (code, answer) = refused(&carol, &ticket);
        assert_eq!(code, Some(MikeyErrorCode::Unspecified));
        assert!(answer.starts_with("the KMS refused"), "{answer}");
        // A ticket sealed by another KMS.
        let other_clock = Arc::new(TestClock(AtomicU64::new(NOW)));
        let foreign = request(&kms_with(&other_clock, 0x99), &other_clock, plain_flags()).ticket.unwrap();
        let bob = client(KmsExchange::Resolve, b"sip:bob@example.org", &BOB_PSK);
        assert_eq!(refused(&bob, &foreign).0, Some(MikeyErrorCode::InvalidTicket));
        // The 3GPP base ticket is not read yet: a clear Invalid TICKET.
        let mut three_gpp = ticket.clone();
        three_gpp.policy.ticket_type = ticket_type::THREE_GPP_BASE_TICKET;
        assert_eq!(refused(&bob, &three_gpp).0, Some(MikeyErrorCode::InvalidTicket));
        // A day and a second later, the ticket has expired.
        clock.0.store(NOW + (86_401 << 32), Ordering::Relaxed);
        let (code, answer) = refused(&bob, &ticket);
        assert_eq!(code, Some(MikeyErrorCode::InvalidTicket));
        assert!(answer.contains("InvalidTicket"), "{answer}");
    }

    #[test]
    fn unauthenticated_replayed_or_misdirected_messages_get_no_answer_and_change_nothing() {
        let (kms, clock) = setup();
        let alice = client(KmsExchange::Request, b"sip:alice@example.org", &ALICE_PSK);
        let init = alice.init_message(0x1234, timestamp(&clock), &[0x11; 32], desired(plain_flags())).unwrap();
        // Every single-bit change after the header is refused without an answer.
        for at in 10..init.len() {
            let mut tampered = init.clone();
            tampered[at] ^= 0x01;
            if let Err(rejection) = kms.process_message(&tampered) {
                assert!(rejection.response.is_none(), "byte {at}: {}", rejection.error);
            } else {
                panic!("byte {at} accepted");
            }
        }
        // The tampered copies recorded nothing: the original is still accepted, once.
        let response = kms.process_message(&init).unwrap();
        assert!(alice.take_response(&init, &response).is_ok());
        let replay = kms.process_message(&init).unwrap_err();
        assert_eq!((replay.error.kind(), replay.response.is_none()), (ErrorKind::Replay, true));
        // The wrong PSK, an unknown client, another KMS named: no answer.
        let wrong_psk = client(KmsExchange::Request, b"sip:alice@example.org", &BOB_PSK);
        let mallory = client(KmsExchange::Request, b"sip:mallory@example.org", &ALICE_PSK);
        let elsewhere =
            KmsClient { kms: b"other-kms", ..client(KmsExchange::Request, b"sip:alice@example.org", &ALICE_PSK) };
        for (who, expected) in
            [(&wrong_psk, "MAC mismatch"), (&mallory, "no PSK with this client"), (&elsewhere, "another KMS")]
        {
            let init = who.init_message(0x99, timestamp(&clock), &[0x33; 32], desired(plain_flags())).unwrap();
            let rejection = kms.process_message(&init).unwrap_err();
            assert!(rejection.error.context().contains(expected), "{}", rejection.error);
            assert!(rejection.response.is_none());
        }
        // A message outside the replay window.
        let stale =
            alice.init_message(0x77, ntp_timestamp(NOW - (120 << 32)), &[0x44; 32], desired(plain_flags())).unwrap();
        assert_eq!(kms.process_message(&stale).unwrap_err().error.kind(), ErrorKind::Timestamp);
    }

    #[test]
    fn the_answer_is_bound_to_the_request() {
        let (kms, clock) = setup();
        let alice = client(KmsExchange::Request, b"sip:alice@example.org", &ALICE_PSK);
        let first = alice.init_message(0x1234, timestamp(&clock), &[0x11; 32], desired(plain_flags())).unwrap();
        let later = ntp_timestamp(NOW + 1);
        let second = alice.init_message(0x1234, later, &[0x11; 32], desired(plain_flags())).unwrap();
        let answer_to_first = kms.process_message(&first).unwrap();
        // Same CSB, PSK and RANDRi, so the same keys; but the answer's MAC covers the request it
        // answers (Table 5.2).
        assert!(alice.take_response(&second, &answer_to_first).is_err());
    }
}
