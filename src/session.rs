//! One crypto session bundle (CSB) as initiator or responder: the state machine of the PSK and
//! NULL exchanges (RFC 3830 §3.1, §4.5, §5), re-keying, and SRTP key export.
//!
//! Incoming messages are checked completely before anything changes: decode → method checks →
//! key and policy validation → replay cache → commit. A rejected message leaves the session as
//! it was.

use std::borrow::Cow;
use std::sync::Arc;

use smallvec::{smallvec, SmallVec};

use crate::clock::unix_seconds;
use crate::config::{Config, InteropFlags, Method, RsaRGroup, Settings, MANDATORY_MKI_LEN, RAND_LEN};
use crate::crypto::dh::DhKeyPair;
use crate::crypto::rsa::RsaPrivateKey;
use crate::crypto::x509::{Certificate, KeyUsageNeed};
use crate::crypto::{MacKey, PrfFunction, TgkDeriver, TgkKeyPurpose};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::method::envelope;
use crate::method::psk::{self, ExchangeContext, Plaintext, Protection, VerificationContext};
use crate::method::signed::{self, PeerTrust, SignedExtra};
use crate::replay::{ReplayCache, ReplayCheck};
use crate::secret::{InlineSecret, SecretBytes, SecretRef};
use crate::srtp::{SrtpKeys, SrtpPolicy, SrtpProfile, MAX_MKI_LEN};
use crate::wire::registry::{envelope_cache, extension_type, id_type};
use crate::wire::{
    CommonHeader, CsIdMap, DataType, DecodeOptions, DhPayload, ErrorPayload, GeneralExtension, HashFunction,
    HeaderStart, IdPayload, KeyData, KeyDataList, KeyDataType, KeyValidity, Message, Payload, SrtpCsEntry, SrtpIdMap,
    Timestamp, TimestampType,
};

/// Which side of the exchange a session plays (C API `mikey_role`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Role {
    /// Sends the I_MESSAGE.
    Initiator = 0,
    /// Answers it.
    Responder = 1,
}

/// Where a session stands (C API `mikey_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum State {
    /// Nothing exchanged yet.
    Idle = 0,
    /// The initiator sent an I_MESSAGE asking for verification and waits for the R_MESSAGE.
    WaitResponse = 1,
    /// Keys are agreed; SRTP keys can be exported.
    Established = 2,
    /// The peer answered with an error message; a new I_MESSAGE starts over.
    Failed = 3,
}

/// SP policy number of the one policy an initiator offers.
const OFFERED_POLICY_NO: u8 = 0;

/// The crypto sessions of a CSB in CS ID order; a few are kept inline (no allocation).
type Streams = SmallVec<[Stream; 4]>;
/// The SRTP policies of a CSB by SP policy number; usually one, kept inline.
type Policies = SmallVec<[(u8, SrtpPolicy); 1]>;
/// A CSB's RAND (at least 16 bytes, §6.11); the usual lengths are kept inline.
type RandBytes = SmallVec<[u8; 32]>;

/// One crypto session: an SRTP stream of the CSB; its CS ID is its 1-based position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stream {
    ssrc: u32,
    roc: u32,
    policy_no: u8,
}

/// What the keying material of a CSB is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    /// A TGK, from which each crypto session's TEK and salt are derived (§4.1.3).
    Tgk,
    /// A TGK and a salt, which replaces the derived one (§4.1.3: "SHALL use the salt key carried").
    TgkSalt,
    /// A TEK and salt used directly as the SRTP master key and salt of every crypto session.
    Tek,
}

/// The keying material agreed for the CSB: the key followed by its salt (if any) in one
/// zeroized buffer.
#[derive(Clone, Debug)]
struct KeyMaterial {
    kind: KeyKind,
    key_and_salt: SecretBytes,
    key_len: usize,
}

impl KeyMaterial {
    /// A TGK without salt, taken as it is.
    fn tgk(tgk: SecretBytes) -> Self {
        KeyMaterial { kind: KeyKind::Tgk, key_len: tgk.len(), key_and_salt: tgk }
    }

    /// `key` and `salt` copied into one buffer.
    fn joined(kind: KeyKind, key: &[u8], salt: &[u8]) -> Self {
        // Sized up front, so no reallocation leaves a copy behind.
        let mut key_and_salt = Vec::with_capacity(key.len() + salt.len());
        key_and_salt.extend_from_slice(key);
        key_and_salt.extend_from_slice(salt);
        KeyMaterial { kind, key_and_salt: SecretBytes::new(key_and_salt), key_len: key.len() }
    }

    fn key(&self) -> &[u8] {
        &self.key_and_salt.expose()[..self.key_len]
    }

    /// The salt: carried with a TGK, or a TEK's.
    fn salt(&self) -> Option<&[u8]> {
        (self.kind != KeyKind::Tgk).then(|| &self.key_and_salt.expose()[self.key_len..])
    }

    /// The Key data sub-payload that sends this material (§6.13); `concatenate_tek_salt` sends a
    /// TEK and its salt as one TEK (GStreamer, Live555, cameras).
    fn key_data<'k>(&'k self, validity: KeyValidity<'k>, concatenate_tek_salt: bool) -> KeyData<'k> {
        let (key_type, key, salt) = match self.kind {
            KeyKind::Tek if concatenate_tek_salt => (KeyDataType::Tek, self.key_and_salt.expose(), None),
            KeyKind::Tek => (KeyDataType::TekSalt, self.key(), self.salt()),
            KeyKind::TgkSalt => (KeyDataType::TgkSalt, self.key(), self.salt()),
            KeyKind::Tgk => (KeyDataType::Tgk, self.key(), None),
        };
        KeyData { key_type, key: SecretRef::new(key), salt: salt.map(SecretRef::new), validity }
    }

    /// The SRTP policy (among `policies`) of crypto session `cs_id` carrying `stream`, checked
    /// against this material: a carried TEK and salt must have the profile's lengths (a TGK
    /// gives any).
    fn checked_policy(&self, policies: &[(u8, SrtpPolicy)], cs_id: u8, stream: Stream) -> Result<SrtpPolicy> {
        let policy = policy_of(policies, cs_id, stream)?;
        let profile = policy.profile;
        let (key_len, salt_len) = (usize::from(profile.master_key_len()), usize::from(profile.master_salt_len()));
        let salt = self.salt();
        let key_fits = self.kind != KeyKind::Tek || self.key().len() == key_len;
        let salt_fits = salt.map_or(true, |salt| salt.len() == salt_len);
        if !key_fits || !salt_fits {
            return Err(misfit(profile, self.key().len(), salt.map_or(0, <[u8]>::len)));
        }
        Ok(policy)
    }
}

/// The committed state of an established (or, for an initiator, sent) CSB.
#[derive(Clone, Debug)]
struct Bundle {
    csb_id: u32,
    rand: RandBytes,
    keys: KeyMaterial,
    mki: Vec<u8>,
    policies: Policies,
    /// The crypto sessions in CS ID order, each checked to be exportable when the bundle is made.
    streams: Streams,
    /// The TGK's prepared PRF (§4.1.3), which derives every crypto session's keys on export;
    /// `None` for a TEK. Shared by the forks of a session.
    deriver: Option<Arc<TgkDeriver>>,
    /// PK: the envelope key the initiator asked to cache; updates of this CSB are then PSK
    /// messages under it (RFC 3830 §3.2, §4.5).
    envelope_key: Option<SecretBytes>,
}

/// What an initiator remembers to check the R_MESSAGE against.
#[derive(Clone, Debug)]
struct SentMessage {
    /// The data type sent, which fixes the one that answers it.
    request_type: DataType,
    csb_id: u32,
    timestamp: Timestamp,
    initiator_id: Vec<u8>,
    responder_id: Vec<u8>,
    /// The exchange's MAC key (§4.1.4), which checks the V payload or the DH-HMAC KEMAC; none
    /// for signed exchanges.
    auth: Option<Arc<MacKey>>,
    /// DH and RSA-R: what the CSB will be once the keys arrive with the R_MESSAGE.
    pending: Option<PendingKeys>,
}

/// An exchange whose keys come with the R_MESSAGE: DH-HMAC and DH-SIGN wait for DHr (our key
/// pair kept), RSA-R for the responder's envelope (RFC 4738 §3.6).
#[derive(Clone, Debug)]
struct PendingKeys {
    /// Shared by the forks of the session: they answer one I_MESSAGE, hence one DHi.
    key_pair: Option<Arc<DhKeyPair>>,
    rand: RandBytes,
    mki: Vec<u8>,
    policy: SrtpPolicy,
}

/// The keys an accepted message brings: carried in KEMAC Key data (PSK, NULL), or made here,
/// agreed by Diffie-Hellman (DH methods) or chosen by an RSA-R responder, with their MKI; `None`
/// keeps the CSB's keys (§4.5 update).
enum NewKeys<'a> {
    Carried(&'a [KeyData<'a>]),
    Local(Option<LocalKeys>),
}

/// How a received message was authenticated: by its KEMAC MAC (PSK, NULL, DH-HMAC), with the
/// key data and the exchange's MAC key, or by a signature and the signer's certificate.
enum Authenticated<'m> {
    Kemac {
        plaintext: Plaintext<'m>,
        auth: MacKey,
    },
    Signed(Certificate),
    /// PK (§3.2): signed by a checked certificate, key data from the envelope, and the envelope
    /// key when the initiator asked to cache it.
    Enveloped {
        plaintext: Plaintext<'m>,
        auth: MacKey,
        envelope_key: Option<SecretBytes>,
    },
}

/// What an RSA-R responder answers with, besides the I_MESSAGE (RFC 4738 §3.6).
struct RsaRReply<'a> {
    /// The signer of the I_MESSAGE, whose key the envelope key is sealed for.
    initiator: &'a Certificate,
    /// IDi as the I_MESSAGE carried it (empty when absent), signed after the R_MESSAGE.
    initiator_id: &'a [u8],
    rand: RandBytes,
    /// True when the I_MESSAGE had no RAND, so we chose it and send it.
    rand_is_ours: bool,
    timestamp: Timestamp,
    prf: PrfFunction,
}

/// A TGK made here (agreed by Diffie-Hellman or chosen) and the MKI bound to it.
type LocalKeys = (KeyMaterial, Vec<u8>);

/// A message was rejected: the error, and possibly an error message to send to the peer
/// (RFC 3830 §5.1.2).
#[derive(Clone, Debug)]
pub struct Rejection {
    /// Why.
    pub error: Error,
    /// An error message for the peer, when the RFC calls for one.
    pub response: Option<Vec<u8>>,
}

impl From<Error> for Rejection {
    fn from(error: Error) -> Self {
        Rejection { error, response: None }
    }
}

/// One CSB, as initiator or responder. Not synchronised: callers serialise calls on one
/// session; distinct sessions are independent.
#[derive(Debug)]
pub struct Session {
    /// The config's settings when the session was made (copy-on-write there).
    settings: Arc<Settings>,
    replay_cache: Arc<ReplayCache>,
    role: Role,
    state: State,
    /// Initiator: the streams to key, in CS ID order.
    streams: Streams,
    bundle: Option<Bundle>,
    sent: Option<Box<SentMessage>>,
    /// The MKI counter of an initiator (one value per key it sends).
    next_mki: u32,
}

impl Session {
    /// A new session in state `Idle`, with a copy of `config`'s settings and its replay cache.
    pub fn new(config: &Config, role: Role) -> Result<Self> {
        let settings = &config.settings;
        if settings.method.uses_psk() && settings.psk.is_none() {
            return Err(Error::invalid_argument("this method needs a PSK (set it on the config first)"));
        }
        if settings.method.uses_certificates() {
            let (Some(key), Some(end_entity)) = (&settings.private_key, settings.certificate_chain.first()) else {
                return Err(Error::invalid_argument("this method needs a certificate chain and its private key"));
            };
            if end_entity.public_key()? != *key.public_key() {
                return Err(Error::invalid_argument("the private key does not belong to the end-entity certificate"));
            }
        }
        Ok(Session {
            settings: config.settings.clone(),
            replay_cache: config.replay_cache.clone(),
            role,
            state: State::Idle,
            streams: Streams::new(),
            bundle: None,
            sent: None,
            next_mki: 1,
        })
    }

    /// The session's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The session's state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Number of crypto sessions (initiator: streams added; responder: streams received).
    pub fn cs_count(&self) -> usize {
        match (&self.bundle, self.role) {
            (_, Role::Initiator) => self.streams.len(),
            (Some(bundle), Role::Responder) => bundle.streams.len(),
            (None, Role::Responder) => 0,
        }
    }

    /// The CSB ID once known.
    pub fn csb_id(&self) -> Option<u32> {
        self.bundle.as_ref().map(|bundle| bundle.csb_id)
    }

    /// Initiator: adds an SRTP stream (one crypto session) and returns its CS ID (1-based).
    /// Streams added after the first message are keyed by the next (re-keying) message.
    pub fn add_srtp_stream(&mut self, ssrc: u32, roc: u32) -> Result<u8> {
        if self.role != Role::Initiator {
            return Err(Error::new(ErrorKind::State, "only an initiator adds streams"));
        }
        if ssrc == 0 && !self.settings.interop.has(InteropFlags::SSRC_ZERO) {
            return Err(Error::invalid_argument("SSRC 0 is a placeholder; enable the SSRC-zero interop flag"));
        }
        if self.streams.iter().any(|stream| stream.ssrc == ssrc && ssrc != 0) {
            return Err(Error::invalid_argument("this SSRC already has a crypto session"));
        }
        if self.streams.len() >= usize::from(u8::MAX) {
            return Err(Error::invalid_argument("a CSB holds at most 255 crypto sessions"));
        }
        self.streams.push(Stream { ssrc, roc, policy_no: OFFERED_POLICY_NO });
        Ok(self.streams.len() as u8)
    }

    /// Initiator: writes the I_MESSAGE; for an established CSB this is the re-keying message
    /// (§4.5: same CSB ID, new timestamp, no RAND, a new TGK, the CS ID map kept).
    pub fn create_message(&mut self) -> Result<Vec<u8>> {
        if self.role != Role::Initiator {
            return Err(Error::new(ErrorKind::State, "only an initiator creates I_MESSAGEs"));
        }
        let is_update = self.state != State::Failed && self.bundle.is_some();
        let (csb_id, rand) = match (&self.bundle, is_update) {
            (Some(bundle), true) => (bundle.csb_id, bundle.rand.clone()),
            _ => {
                let csb_id = u32::from_be_bytes(self.random::<4>()?);
                (csb_id, RandBytes::from_slice(&self.random::<RAND_LEN>()?))
            }
        };
        let (policy, mki) = self.outgoing_mki();
        let validity = key_validity(&mki);
        let method = self.settings.method;
        let uses_dh = matches!(method, Method::DhHmac | Method::DhSign);
        // DH and RSA-R keys come with the R_MESSAGE (§6.1: V is set and ignored there).
        let response_required = self.settings.request_verification || uses_dh || method == Method::RsaR;
        // §4.5: a PK CSB whose envelope key is cached is updated by PSK messages under it.
        let cached_envelope_key =
            if is_update { self.bundle.as_ref().and_then(|bundle| bundle.envelope_key.clone()) } else { None };
        let request_type = match method {
            Method::Pk if cached_envelope_key.is_some() => DataType::PskInit,
            Method::DhHmac => DataType::DhHmacInit,
            Method::DhSign => DataType::DhInit,
            Method::Pk => DataType::PkInit,
            Method::RsaR => DataType::RsaRInit,
            _ => DataType::PskInit,
        };
        let signs = method.uses_certificates() && request_type != DataType::PskInit;
        if method == Method::DhHmac && self.settings.peer_id.is_none() {
            return Err(Error::invalid_argument(
                "DH-HMAC always names the responder: set the peer identity (RFC 4650 §3)",
            ));
        }
        let timestamp = self.next_timestamp();
        // The signing methods identify the initiator by its certificate ([IDi|CERTi], §3.2, §3.3);
        // their PSK-mode updates, which carry none, by IDi.
        let initiator_id = if signs {
            Vec::new()
        } else if method.uses_certificates() {
            self.own_identity_payload()?.data.into_owned()
        } else {
            self.settings.own_id.clone().unwrap_or_default().into_bytes()
        };
        let responder_id = self.settings.peer_id.clone().unwrap_or_default().into_bytes();
        let header = CommonHeader {
            data_type: request_type,
            verification_requested: response_required,
            prf_function: 0,
            csb_id,
            cs_id_map: self.cs_id_map(),
        };
        let mut payloads = vec![Payload::Timestamp(timestamp)];
        if !is_update {
            payloads.push(Payload::Rand(Cow::Borrowed(&rand)));
        }
        if signs {
            payloads.extend(signed::certificate_payloads(&self.settings.certificate_chain));
        }
        for id in [&initiator_id, &responder_id].into_iter().filter(|id| !id.is_empty()) {
            payloads.push(Payload::Id(IdPayload { id_type: id_type::URI, data: Cow::Borrowed(id) }));
        }
        let gstreamer_layout = self.settings.interop.has(InteropFlags::GSTREAMER_SP_LAYOUT);
        payloads.push(Payload::SecurityPolicy(policy.to_security_policy(OFFERED_POLICY_NO, gstreamer_layout)?));
        let (keys, pending) = if uses_dh {
            // DHi in the message; the TGK comes with DHr. MKI in the DH payload's KV (§6.4).
            let key_pair = DhKeyPair::generate(self.settings.dh_group, self.settings.rng.as_ref())?;
            let group = self.settings.dh_group;
            let value = key_pair.public_value().to_vec().into();
            payloads.push(Payload::Dh(DhPayload { group, value, validity: validity.clone() }));
            let pending =
                PendingKeys { key_pair: Some(Arc::new(key_pair)), rand: rand.clone(), mki: mki.clone(), policy };
            (None, Some(pending))
        } else if method == Method::RsaR {
            // The responder chooses the TGK and its MKI (RFC 4738 §3.6).
            let pending = PendingKeys { key_pair: None, rand: rand.clone(), mki: Vec::new(), policy };
            (None, Some(pending))
        } else {
            (Some(self.new_keys(policy.profile)?), None)
        };
        let concatenate_tek_salt = self.settings.interop.has(InteropFlags::TEK_WITH_CONCATENATED_SALT);
        let prf = PrfFunction::MikeyHmacSha1;
        let mut message = Message { header, payloads };
        let mut new_envelope_key = None;
        // The key list borrows the keys until the message is sealed, before the commit below.
        let (bytes, auth) = {
            let key_list = KeyDataList {
                id: None,
                keys: keys.iter().map(|keys| keys.key_data(validity.clone(), concatenate_tek_salt)).collect(),
            };
            let context = ExchangeContext { prf, csb_id, rand: &rand, timestamp };
            match request_type {
                DataType::DhInit | DataType::RsaRInit => {
                    (signed::seal_signed(message, self.private_key()?, self.settings.signature_scheme)?, None)
                }
                DataType::PkInit => {
                    // §3.2: KEMAC = E(encr_key, IDi || {TGK}) || MAC, PKE = E(PKr, env_key), SIGNi.
                    let responder = self.settings.peer_certificate.as_ref().ok_or_else(|| {
                        Error::invalid_argument(
                            "the PK method needs the responder's certificate (set the peer certificate)",
                        )
                    })?;
                    let key_list = KeyDataList { id: Some(self.own_identity_payload()?), ..key_list };
                    let cache = if self.settings.cache_envelope_key {
                        envelope_cache::CACHE_FOR_CSB
                    } else {
                        envelope_cache::NO_CACHE
                    };
                    let sealed = envelope::seal(
                        &key_list,
                        &responder.public_key()?,
                        cache,
                        &context,
                        self.settings.rng.as_ref(),
                    )?;
                    // No [CHASH]: it only helps a responder with several certificates, and Wireshark
                    // (4.0) stops dissecting at it. A received one is checked (`open_envelope`).
                    message.payloads.push(Payload::Kemac(sealed.kemac));
                    message.payloads.push(Payload::Pke(sealed.pke));
                    if cache != envelope_cache::NO_CACHE {
                        new_envelope_key = Some(sealed.envelope_key);
                    }
                    let bytes = signed::seal_signed(message, self.private_key()?, self.settings.signature_scheme)?;
                    (bytes, Some(sealed.auth))
                }
                _ => {
                    let protection = match &cached_envelope_key {
                        Some(envelope_key) => Protection::PreShared(envelope_key),
                        None => self.protection()?,
                    };
                    let (bytes, auth) = psk::seal_kemac_message(message, &key_list, protection, &context)?;
                    (bytes, Some(auth))
                }
            }
        };
        // Sent: commit.
        self.next_mki = self.next_mki.wrapping_add(1);
        if let Some(keys) = keys {
            let policies: Policies = smallvec![(OFFERED_POLICY_NO, policy)];
            let mut bundle = Bundle::new(csb_id, prf, rand, keys, mki, self.streams.clone(), policies)?;
            bundle.envelope_key = new_envelope_key.or(cached_envelope_key);
            self.bundle = Some(bundle);
        }
        let auth = auth.map(Arc::new);
        let sent = SentMessage { request_type, csb_id, timestamp, initiator_id, responder_id, auth, pending };
        self.sent = Some(Box::new(sent));
        self.state = if response_required { State::WaitResponse } else { State::Established };
        Ok(bytes)
    }

    /// Initiator waiting for its R_MESSAGE: a second session that waits for another answer to
    /// the same I_MESSAGE. SIP forking delivers one I_MESSAGE to several responders, each of
    /// which answers; give each answer (each early dialog) its own fork. With RSA-R and the DH
    /// methods every responder brings its own keys (RFC 4738 §1, RFC 5197 §5); with PSK and PK
    /// all forks share the initiator's TGK.
    pub fn fork(&self) -> Result<Session> {
        if self.role != Role::Initiator || self.state != State::WaitResponse {
            return Err(Error::new(ErrorKind::State, "only an initiator waiting for its R_MESSAGE forks"));
        }
        Ok(Session {
            settings: self.settings.clone(),
            replay_cache: self.replay_cache.clone(),
            role: self.role,
            state: self.state,
            streams: self.streams.clone(),
            bundle: self.bundle.clone(),
            sent: self.sent.clone(),
            next_mki: self.next_mki,
        })
    }

    /// Takes one incoming message. `Ok(Some(bytes))`: send `bytes` to the peer (an R_MESSAGE).
    /// On rejection the session is unchanged, and the rejection may carry an error message to
    /// send (RFC 3830 §5.1.2).
    pub fn process_message(&mut self, bytes: &[u8]) -> std::result::Result<Option<Vec<u8>>, Rejection> {
        let options = DecodeOptions {
            allow_trailing_padding_byte: self.settings.interop.has(InteropFlags::TRAILING_PADDING_BYTE),
        };
        let (message, message_len) = match Message::decode_with(bytes, options) {
            Ok(decoded) => decoded,
            Err(error) => return Err(self.unparseable(bytes, error)),
        };
        let bytes = &bytes[..message_len];
        if message.header.data_type == DataType::Error {
            return Err(self.take_error_message(&message).into());
        }
        match self.role {
            Role::Responder => self.respond(bytes, &message).map_err(|error| {
                let response = self.error_message(&message, &error);
                Rejection { error, response }
            }),
            Role::Initiator => self.take_response(bytes, &message).map(|()| None).map_err(Rejection::from),
        }
    }

    /// Exports the SRTP keys of crypto session `cs_id` (1-based).
    pub fn export_srtp(&self, cs_id: u8) -> Result<SrtpKeys> {
        if self.state != State::Established {
            return Err(Error::new(ErrorKind::State, format!("no keys in state {:?}", self.state)));
        }
        let bundle = self.bundle.as_ref().ok_or_else(|| Error::new(ErrorKind::State, "no CSB"))?;
        bundle.export(cs_id)
    }

    /// `N` bytes from the configured randomness source.
    fn random<const N: usize>(&self) -> Result<[u8; N]> {
        let mut bytes = [0u8; N];
        self.settings.rng.fill(&mut bytes)?;
        Ok(bytes)
    }

    /// `len` secret bytes from the configured randomness source.
    fn random_secret(&self, len: usize) -> Result<SecretBytes> {
        let mut secret = SecretBytes::zeroed(len);
        self.settings.rng.fill(secret.expose_mut())?;
        Ok(secret)
    }

    /// Fresh keys for an I_MESSAGE or an RSA-R answer: a TGK, or for the NULL method the SRTP
    /// master key and salt as a TEK (peers such as GStreamer do not derive).
    fn new_keys(&self, profile: SrtpProfile) -> Result<KeyMaterial> {
        let key_len = usize::from(profile.master_key_len());
        let (kind, len) = match self.settings.method {
            Method::Null => (KeyKind::Tek, key_len + usize::from(profile.master_salt_len())),
            _ => (KeyKind::Tgk, key_len),
        };
        Ok(KeyMaterial { kind, key_and_salt: self.random_secret(len)?, key_len })
    }

    /// Our identity as an encrypted ID payload names us (PK's IDi, RSA-R's IDr): the configured
    /// one, else the first subjectAltName of our end-entity certificate.
    fn own_identity_payload(&self) -> Result<IdPayload<'static>> {
        let data = match &self.settings.own_id {
            Some(own_id) => own_id.clone().into_bytes(),
            None => {
                let certificate = self.settings.certificate_chain.first();
                certificate
                    .and_then(|certificate| certificate.identities().into_iter().next())
                    .map(String::into_bytes)
                    .ok_or_else(|| Error::invalid_argument("our certificate names no identity; set our own identity"))?
            }
        };
        Ok(IdPayload { id_type: id_type::URI, data: data.into() })
    }

    /// The SRTP-ID map of an initiator's streams (§6.1.1).
    fn cs_id_map(&self) -> CsIdMap<'static> {
        srtp_id_map(self.streams.iter().copied())
    }

    /// The SRTP policy we offer and the MKI of the next key we send: the MKI counts the keys
    /// sent, big-endian in `mki_len` bytes (at most 16; §6.14).
    fn outgoing_mki(&self) -> (SrtpPolicy, Vec<u8>) {
        let mut policy = self.settings.srtp_policy;
        if self.settings.interop.has(InteropFlags::MANDATORY_MKI_4) {
            policy.mki_len = MANDATORY_MKI_LEN;
        }
        (policy, numbered_mki(self.next_mki, policy.mki_len))
    }

    /// Our private key (public-key methods).
    fn private_key(&self) -> Result<&RsaPrivateKey> {
        self.settings.private_key.as_deref().ok_or_else(|| Error::invalid_argument("no private key configured"))
    }

    /// What the signer of a message must satisfy: the configured anchors or pin, the peer's
    /// identity, at the session clock.
    fn peer_trust(&self) -> PeerTrust<'_> {
        // An RSA-R responder sends the envelope key under the initiator's certificate (RFC 4738 §3).
        let usage = match (self.settings.method, self.role) {
            (Method::RsaR, Role::Responder) => KeyUsageNeed::DIGITAL_SIGNATURE | KeyUsageNeed::KEY_ENCIPHERMENT,
            _ => KeyUsageNeed::DIGITAL_SIGNATURE,
        };
        PeerTrust {
            usage,
            anchors: &self.settings.trust_anchors,
            pinned: self.settings.peer_certificate.as_ref(),
            expected_identity: self.settings.peer_id.as_deref().map(str::as_bytes),
            at_unix_time: unix_seconds(self.settings.clock.now_ntp()),
        }
    }

    fn protection(&self) -> Result<Protection<'_>> {
        match (self.settings.method, &self.settings.psk) {
            (Method::Null, _) => Ok(Protection::Null),
            (Method::Psk, Some(psk)) => Ok(Protection::PreShared(psk)),
            (Method::DhHmac, Some(psk)) => Ok(Protection::DhHmac(psk)),
            _ => Err(Error::invalid_argument("no PSK configured")),
        }
    }

    /// A timestamp for a new message: now, but strictly after the last one sent (§5.2: every
    /// message of an initiator has a unique timestamp).
    fn next_timestamp(&self) -> Timestamp {
        let now = self.settings.clock.now_ntp();
        let value = match &self.sent {
            Some(sent) if sent.timestamp.value >= now => sent.timestamp.value.wrapping_add(1),
            _ => now,
        };
        Timestamp { ts_type: TimestampType::NtpUtc, value }
    }

    /// Responder: checks an I_MESSAGE completely, then commits it and builds the R_MESSAGE.
    fn respond(&mut self, bytes: &[u8], message: &Message) -> Result<Option<Vec<u8>>> {
        let header = &message.header;
        let method = self.settings.method;
        // §4.5: a PK CSB whose envelope key is cached takes PSK updates under it.
        let cached_envelope_key = self
            .bundle
            .as_ref()
            .filter(|bundle| bundle.csb_id == header.csb_id)
            .and_then(|bundle| bundle.envelope_key.as_ref());
        let expected = match method {
            Method::Pk if cached_envelope_key.is_some() && header.data_type == DataType::PskInit => DataType::PskInit,
            Method::DhHmac => DataType::DhHmacInit,
            Method::DhSign => DataType::DhInit,
            Method::Pk => DataType::PkInit,
            Method::RsaR => DataType::RsaRInit,
            _ => DataType::PskInit,
        };
        if header.data_type != expected {
            return Err(Error::unsupported(format!(
                "data type {:?}; this endpoint takes {expected:?}",
                header.data_type
            ))
            .with_peer_code(MikeyErrorCode::InvalidDataType));
        }
        let prf = match header.prf_function {
            0 => PrfFunction::MikeyHmacSha1,
            1 => PrfFunction::HmacSha256,
            other => {
                return Err(Error::unsupported(format!("PRF func {other}")).with_peer_code(MikeyErrorCode::InvalidPrf))
            }
        };
        let timestamp = single_timestamp(message)?;
        let update_of = match &self.bundle {
            Some(bundle) if bundle.csb_id == header.csb_id => Some(bundle),
            Some(bundle) => {
                return Err(Error::new(
                    ErrorKind::State,
                    format!("session holds CSB {:#010x}, message is for {:#010x}", bundle.csb_id, header.csb_id),
                ))
            }
            None => None,
        };
        let mut rands = message.payloads.iter().filter_map(Payload::as_rand);
        let (carried_rand, second_rand) = (rands.next(), rands.next());
        // An RSA-R initiator may leave RAND to the responder (RFC 4738 §3.4, §3.6).
        let rand_is_ours = carried_rand.is_none() && update_of.is_none() && method == Method::RsaR;
        let rand: Cow<'_, [u8]> = match (carried_rand, second_rand, update_of) {
            (Some(rand), None, None) if !rand.is_empty() => Cow::Borrowed(rand),
            (None, None, Some(bundle)) => Cow::Borrowed(&bundle.rand),
            (Some(rand), None, Some(bundle)) if **rand == *bundle.rand => Cow::Borrowed(&bundle.rand),
            (None, None, None) if rand_is_ours => Cow::Owned(self.random::<RAND_LEN>()?.to_vec()),
            (None, None, None) => return Err(Error::malformed("the initial I_MESSAGE has no RAND (§3.1)")),
            _ => return Err(Error::malformed("RAND must appear once, and an update must not change it (§4.5)")),
        };
        let ids: Vec<&[u8]> = message.payloads.iter().filter_map(Payload::as_id).map(|id| &*id.data).collect();
        let carries_certificate = message.payloads.iter().any(|payload| matches!(payload, Payload::Cert(_)));
        // PSK: [IDi], [IDr] (RFC 3830 §3.1); DH-SIGN: [IDi|CERTi], [IDr] (§3.3);
        // DH-HMAC: [IDi], IDr (RFC 4650 §3).
        let (initiator_id, responder_id): (&[u8], &[u8]) = match (ids.as_slice(), method) {
            ([], Method::DhHmac) => {
                return Err(Error::malformed("a DH-HMAC I_MESSAGE names the responder (RFC 4650 §3)"))
            }
            ([idr], Method::DhHmac) => (&[], idr),
            ([idr], Method::DhSign | Method::Pk | Method::RsaR) if carries_certificate => (&[], idr),
            ([], _) => (&[], &[]),
            ([idi], _) => (idi, &[]),
            ([idi, idr], _) => (idi, idr),
            _ => return Err(Error::malformed("more than two ID payloads")),
        };
        let replay = ReplayCheck {
            id: self.replay_cache.message_id(message, timestamp.value),
            timestamp: timestamp.value,
            now: self.settings.clock.now_ntp(),
            window_secs: self.settings.replay_window_secs,
        };
        // The cache itself is consulted before public-key or Diffie-Hellman work only, so a
        // replay costs no RSA or modexp; elsewhere `record` decides, at the same cost.
        if method.uses_certificates() || method == Method::DhHmac {
            self.replay_cache.check(&replay)?;
        } else {
            replay.check_window()?;
        }

        let context = ExchangeContext { prf, csb_id: header.csb_id, rand: &rand, timestamp };
        let authenticated = match method {
            Method::DhSign | Method::RsaR => {
                Authenticated::Signed(signed::authenticate_signed(bytes, message, &self.peer_trust())?)
            }
            Method::Pk if expected == DataType::PkInit => self.open_envelope(bytes, message, &context, initiator_id)?,
            _ => {
                let protection = match cached_envelope_key {
                    Some(envelope_key) => Protection::PreShared(envelope_key),
                    None => self.protection()?,
                };
                let (plaintext, auth) = psk::open_kemac_message(bytes, message, protection, &context)?;
                Authenticated::Kemac { plaintext, auth }
            }
        };
        check_identity(&self.settings.peer_id, initiator_id, "IDi")?;
        check_identity(&self.settings.own_id, responder_id, "IDr")?;
        if let Authenticated::Signed(certificate) = &authenticated {
            if !initiator_id.is_empty() && !certificate.matches_identity(initiator_id) {
                return Err(Error::new(ErrorKind::AuthFailed, "IDi is not the signer's identity")
                    .with_peer_code(MikeyErrorCode::InvalidId));
            }
        }

        let cached_key = match &authenticated {
            Authenticated::Enveloped { envelope_key, .. } => envelope_key.clone(),
            _ => cached_envelope_key.cloned(),
        };
        // Assigned in every arm; the bundle alone is the match's value, so it is not moved
        // through a tuple.
        let response: Option<Vec<u8>>;
        let mut bundle = match authenticated {
            Authenticated::Signed(initiator) if method == Method::RsaR => {
                let rand = RandBytes::from_slice(&rand);
                let reply = RsaRReply { initiator: &initiator, initiator_id, rand, rand_is_ours, timestamp, prf };
                let (bundle, rsa_r_response) = self.respond_rsa_r(message, reply, update_of)?;
                response = Some(rsa_r_response);
                bundle
            }
            Authenticated::Kemac { plaintext, auth } | Authenticated::Enveloped { plaintext, auth, .. }
                if !matches!(method, Method::DhHmac | Method::DhSign) =>
            {
                let key_data = plaintext.key_data(expected == DataType::PkInit)?;
                let keys = NewKeys::Carried(&key_data.keys);
                let bundle = self.accepted_bundle(message, prf, &rand, keys, update_of)?;
                response = if header.verification_requested {
                    let own_id = self.settings.own_id.as_deref().map(str::as_bytes);
                    let mut payloads = vec![Payload::Timestamp(timestamp)];
                    if let Some(id) = own_id {
                        payloads.push(Payload::Id(IdPayload { id_type: id_type::URI, data: Cow::Borrowed(id) }));
                    }
                    let responder_id = own_id.unwrap_or(responder_id);
                    let data_type = expected.answered_by().unwrap_or(DataType::PskVerification);
                    let response_header = CommonHeader { data_type, verification_requested: false, ..header.clone() };
                    let ids = VerificationContext { initiator_id, responder_id };
                    let message = Message { header: response_header, payloads };
                    Some(psk::seal_verification(message, &auth, &timestamp, &ids)?)
                } else {
                    None
                };
                bundle
            }
            authenticated => {
                // A DH method: R_MESSAGE = HDR, T, [IDr|CERTr], IDi, [DHr, DHi], KEMAC|SIGNr
                // (RFC 4650 §3, RFC 3830 §3.3).
                let initiator_id = match (&authenticated, initiator_id, &self.settings.peer_id) {
                    (Authenticated::Kemac { plaintext, .. }, ..) if !plaintext.key_data(false)?.keys.is_empty() => {
                        return Err(Error::malformed("a DH-HMAC KEMAC carries no key data (RFC 4650 §4.2)"))
                    }
                    (_, [], Some(peer_id)) => peer_id.clone().into_bytes(),
                    (Authenticated::Signed(certificate), [], None) => {
                        certificate.identities().into_iter().next().unwrap_or_default().into_bytes()
                    }
                    (_, carried, _) => carried.to_vec(),
                };
                if initiator_id.is_empty() {
                    return Err(Error::new(ErrorKind::AuthFailed, "the initiator's identity is unknown")
                        .with_peer_code(MikeyErrorCode::InvalidId));
                }
                let (agreed, dh_payloads) = self.agree_dh(message)?;
                let bundle = self.accepted_bundle(message, prf, &rand, NewKeys::Local(agreed), update_of)?;
                let mut payloads = vec![Payload::Timestamp(timestamp)];
                if method == Method::DhSign {
                    payloads.extend(signed::certificate_payloads(&self.settings.certificate_chain));
                } else if let Some(own_id) = &self.settings.own_id {
                    let data = Cow::Borrowed(own_id.as_bytes());
                    payloads.push(Payload::Id(IdPayload { id_type: id_type::URI, data }));
                }
                payloads.push(Payload::Id(IdPayload { id_type: id_type::URI, data: initiator_id.into() }));
                payloads.extend(dh_payloads.into_iter().map(Payload::Dh));
                let data_type = if method == Method::DhSign { DataType::DhResponse } else { DataType::DhHmacResponse };
                let response_header = CommonHeader { data_type, verification_requested: false, ..header.clone() };
                let message = Message { header: response_header, payloads };
                response = Some(match method {
                    Method::DhSign => {
                        signed::seal_signed(message, self.private_key()?, self.settings.signature_scheme)?
                    }
                    _ => psk::seal_kemac_message(message, &KeyDataList::default(), self.protection()?, &context)?.0,
                });
                bundle
            }
        };
        self.replay_cache.record(&replay)?;

        // Every check passed: commit.
        if method == Method::RsaR {
            self.next_mki = self.next_mki.wrapping_add(1);
        }
        bundle.envelope_key = cached_key;
        self.bundle = Some(bundle);
        self.state = State::Established;
        Ok(response)
    }

    /// Responder, PK (§3.2): checks SIGNi and the initiator's certificate, opens the envelope key
    /// (PKE) with our private key and the KEMAC with the envelope key, and checks the encrypted
    /// IDi against the certificate and any cleartext IDi. A PKE whose padding is wrong yields a
    /// random envelope key, so it fails exactly like a wrong one, at the KEMAC MAC (no padding
    /// oracle).
    fn open_envelope<'m>(
        &self,
        bytes: &[u8],
        message: &'m Message<'_>,
        context: &ExchangeContext<'_>,
        cleartext_initiator_id: &[u8],
    ) -> Result<Authenticated<'m>> {
        let certificate = signed::authenticate_signed(bytes, message, &self.peer_trust())?;
        if let Some(named) = message.find(Payload::as_cert_hash) {
            let ours = self.settings.certificate_chain.first().map(Certificate::sha1_fingerprint);
            if named.hash_function != HashFunction::Sha1 {
                return Err(Error::unsupported(format!("CHASH hash function {:?}", named.hash_function))
                    .with_peer_code(MikeyErrorCode::InvalidHashAlgorithm));
            }
            if ours.as_ref().map(|hash| hash.as_slice()) != Some(&*named.hash) {
                return Err(Error::new(ErrorKind::AuthFailed, "CHASH names another certificate than ours (§6.8)")
                    .with_peer_code(MikeyErrorCode::InvalidCertificate));
            }
        }
        let opened = envelope::open(message, self.private_key()?, context, self.settings.rng.as_ref())?;
        let consistent = {
            let key_data = opened.plaintext.key_data(true)?;
            let encrypted_id = key_data.id.as_ref().map(|id| &*id.data).unwrap_or_default();
            certificate.matches_identity(encrypted_id)
                && (cleartext_initiator_id.is_empty() || cleartext_initiator_id == encrypted_id)
        };
        if !consistent {
            return Err(Error::new(ErrorKind::AuthFailed, "the encrypted IDi is not the signer's identity (§3.2)")
                .with_peer_code(MikeyErrorCode::InvalidId));
        }
        let envelope_key = (opened.cache != envelope_cache::NO_CACHE).then_some(opened.envelope_key);
        Ok(Authenticated::Enveloped { plaintext: opened.plaintext, auth: opened.auth, envelope_key })
    }

    /// Responder, RSA-R (RFC 4738 §3.6): chooses the TGK and answers with
    /// R_MESSAGE = HDR, T, [RAND], CERTr…, {SP}, KEMAC, PKE, SIGNr: the KEMAC holds IDr and the
    /// TGK under a fresh envelope key, the PKE that key under the initiator's certificate, and
    /// SIGNr covers the R_MESSAGE without the SIGN payload, then IDi || IDr || T.
    fn respond_rsa_r(
        &self,
        message: &Message,
        reply: RsaRReply<'_>,
        update_of: Option<&Bundle>,
    ) -> Result<(Bundle, Vec<u8>)> {
        let group = self.settings.rsa_r_group.as_deref();
        let bundle = match group {
            Some(group) => self.group_bundle(group, reply.prf)?,
            None => {
                let (own_policy, mki) = self.outgoing_mki();
                let offered =
                    message.find(Payload::as_security_policy).map(SrtpPolicy::from_security_policy).transpose()?;
                let keys = NewKeys::Local(Some((self.new_keys(offered.unwrap_or(own_policy).profile)?, mki)));
                self.accepted_bundle(message, reply.prf, &reply.rand, keys, update_of)?
            }
        };
        let response = self.rsa_r_response(message, &reply, &bundle, group.is_some())?;
        Ok((bundle, response))
    }

    /// The R_MESSAGE of an RSA-R responder for `bundle` (RFC 4738 §3.6); `for_group` as a group
    /// key server.
    fn rsa_r_response(
        &self,
        message: &Message,
        reply: &RsaRReply<'_>,
        bundle: &Bundle,
        for_group: bool,
    ) -> Result<Vec<u8>> {
        let key_data = bundle.keys.key_data(key_validity(&bundle.mki), false);

        // A group answer names the group's CSB and its sender's streams, and always sends the
        // group RAND (§3.2, §3.6); the HDR keeps the member's CSB ID.
        let mut header =
            CommonHeader { data_type: DataType::RsaRResponse, verification_requested: false, ..message.header.clone() };
        let mut payloads = Vec::new();
        if for_group {
            header.cs_id_map = bundle.cs_id_map();
            let data = bundle.csb_id.to_be_bytes().to_vec().into();
            payloads.push(Payload::GeneralExtension(GeneralExtension { ext_type: extension_type::CSB_ID, data }));
        }
        payloads.push(Payload::Timestamp(reply.timestamp));
        if reply.rand_is_ours || for_group {
            payloads.push(Payload::Rand(Cow::Borrowed(&bundle.rand)));
        }
        payloads.extend(signed::certificate_payloads(&self.settings.certificate_chain));
        let gstreamer_layout = self.settings.interop.has(InteropFlags::GSTREAMER_SP_LAYOUT);
        for (policy_no, policy) in &bundle.policies {
            payloads.push(Payload::SecurityPolicy(policy.to_security_policy(*policy_no, gstreamer_layout)?));
        }
        let responder_id = self.own_identity_payload()?;
        let key_list = KeyDataList { id: Some(responder_id.clone()), keys: smallvec![key_data] };
        let context =
            ExchangeContext { prf: reply.prf, csb_id: bundle.csb_id, rand: &bundle.rand, timestamp: reply.timestamp };
        let recipient = reply.initiator.public_key()?;
        let cache = envelope_cache::NO_CACHE;
        let sealed = envelope::seal(&key_list, &recipient, cache, &context, self.settings.rng.as_ref())?;
        payloads.push(Payload::Kemac(sealed.kemac));
        payloads.push(Payload::Pke(sealed.pke));
        let timestamp = reply.timestamp.as_64_bits();
        let suffix: [&[u8]; 3] = [reply.initiator_id, &responder_id.data, &timestamp];
        signed::seal_signed_with(
            Message { header, payloads },
            self.private_key()?,
            self.settings.signature_scheme,
            &SignedExtra::rsa_r_response(&suffix),
        )
    }

    /// An RSA-R group key server's CSB and the Key data that sends its TGK: the same for every
    /// member (RFC 4738 §3.2), so the MKI is always the first.
    fn group_bundle(&self, group: &RsaRGroup, prf: PrfFunction) -> Result<Bundle> {
        let mki = numbered_mki(1, group.policy.mki_len);
        let streams =
            group.streams.iter().map(|&(ssrc, roc)| Stream { ssrc, roc, policy_no: OFFERED_POLICY_NO }).collect();
        let keys = KeyMaterial::tgk(group.tgk.clone());
        let policies = smallvec![(OFFERED_POLICY_NO, group.policy)];
        Bundle::new(group.csb_id, prf, RandBytes::from_slice(&group.rand), keys, mki, streams, policies)
    }

    /// Responder, DH-HMAC: answers DHi with a fresh DHr in the same group. Returns the agreed
    /// TGK g^(xi·xr) with the MKI of DHi's key validity, and the payloads DHr, DHi for the
    /// R_MESSAGE; nothing for an update without DHi (RFC 4650 §3.1 b).
    fn agree_dh<'m>(&self, message: &'m Message<'_>) -> Result<(Option<LocalKeys>, Vec<DhPayload<'m>>)> {
        let offered: Vec<&DhPayload<'_>> = message.payloads.iter().filter_map(Payload::as_dh).collect();
        let initiator_dh = match offered.as_slice() {
            [] => return Ok((None, Vec::new())),
            [initiator_dh] => *initiator_dh,
            _ => return Err(Error::malformed("more than one DH payload in a DH-HMAC I_MESSAGE")),
        };
        let key_pair = DhKeyPair::generate(initiator_dh.group, self.settings.rng.as_ref())?;
        let tgk = key_pair.shared_secret(&initiator_dh.value)?;
        let mki = self.mki_of(&initiator_dh.validity)?;
        let responder_dh = DhPayload {
            group: initiator_dh.group,
            value: key_pair.public_value().to_vec().into(),
            validity: KeyValidity::Null,
        };
        Ok((Some((KeyMaterial::tgk(tgk), mki)), vec![responder_dh, initiator_dh.clone()]))
    }

    /// Responder: the CSB an accepted I_MESSAGE establishes, fully validated (every crypto
    /// session can be exported).
    fn accepted_bundle(
        &self,
        message: &Message<'_>,
        prf: PrfFunction,
        rand: &[u8],
        new_keys: NewKeys<'_>,
        update_of: Option<&Bundle>,
    ) -> Result<Bundle> {
        let mut policies = update_of.map(|b| b.policies.clone()).unwrap_or_default();
        for sp in message.payloads.iter().filter_map(Payload::as_security_policy) {
            let policy = SrtpPolicy::from_security_policy(sp)?;
            policies.retain(|(no, _)| *no != sp.policy_no);
            policies.push((sp.policy_no, policy));
        }
        let default_policy_no = policies.first().map_or(OFFERED_POLICY_NO, |(no, _)| *no);
        let streams = received_streams(&message.header.cs_id_map, default_policy_no)?;
        let allow_ssrc_zero = self.settings.interop.has(InteropFlags::SSRC_ZERO)
            || matches!(message.header.cs_id_map, CsIdMap::Empty { .. });
        if !allow_ssrc_zero && streams.iter().any(|s| s.ssrc == 0) {
            return Err(Error::new(ErrorKind::Policy, "SSRC 0 placeholder in the CS ID map (see the SSRC-zero flag)")
                .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter));
        }
        if policies.is_empty() {
            // No SP: the defaults of §6.10.1, or ours where the responder chooses (RFC 4738 §3.6).
            let fallback =
                if self.settings.method == Method::RsaR { self.settings.srtp_policy } else { SrtpPolicy::default() };
            policies.push((OFFERED_POLICY_NO, fallback));
        }
        let new_keys = match new_keys {
            NewKeys::Carried([]) | NewKeys::Local(None) => None,
            NewKeys::Carried([key]) => Some(self.key_material(key, &policies, &streams)?),
            NewKeys::Carried(_) => {
                return Err(Error::unsupported("more than one Key data sub-payload in one KEMAC")
                    .with_peer_code(MikeyErrorCode::Unspecified))
            }
            NewKeys::Local(Some(local)) => Some(local),
        };
        let (keys, mki) = match (new_keys, update_of) {
            (Some(keys), _) => keys,
            (None, Some(previous)) => (previous.keys.clone(), previous.mki.clone()),
            (None, None) => return Err(Error::malformed("the initial I_MESSAGE carries no keys")),
        };
        for (_, policy) in policies.iter_mut() {
            // The MKI comes from the key validity data, not the SP (§6.14); at most 16 bytes.
            policy.mki_len = mki.len() as u8;
        }
        Bundle::new(message.header.csb_id, prf, RandBytes::from_slice(rand), keys, mki, streams, policies)
    }

    /// The MKI of received key validity data (§6.14): an SPI of 1 to 16 bytes, or none.
    fn mki_of(&self, validity: &KeyValidity<'_>) -> Result<Vec<u8>> {
        let mki = match validity {
            KeyValidity::Spi(spi) if spi.len() <= usize::from(MAX_MKI_LEN) && !spi.is_empty() => spi.to_vec(),
            KeyValidity::Spi(_) => {
                return Err(Error::new(ErrorKind::Policy, format!("MKI must be 1 to {MAX_MKI_LEN} bytes"))
                    .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter))
            }
            KeyValidity::Null | KeyValidity::Interval { .. } => Vec::new(),
        };
        if self.settings.interop.has(InteropFlags::MANDATORY_MKI_4) && mki.len() != usize::from(MANDATORY_MKI_LEN) {
            return Err(Error::new(ErrorKind::Policy, "a 4-byte MKI is required (mandatory-MKI interop flag)")
                .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter));
        }
        Ok(mki)
    }

    /// The key material and MKI of a received Key data sub-payload.
    fn key_material(&self, key: &KeyData<'_>, policies: &[(u8, SrtpPolicy)], streams: &[Stream]) -> Result<LocalKeys> {
        let mki = self.mki_of(&key.validity)?;
        if key.key.is_empty() {
            return Err(Error::malformed("empty key in Key data"));
        }
        let carried_salt =
            || key.salt.map(|salt| salt.expose()).ok_or_else(|| Error::malformed("Key data without its salt"));
        let material = match key.key_type {
            KeyDataType::Tgk => KeyMaterial::joined(KeyKind::Tgk, key.key.expose(), &[]),
            KeyDataType::TgkSalt => KeyMaterial::joined(KeyKind::TgkSalt, key.key.expose(), carried_salt()?),
            KeyDataType::TekSalt => KeyMaterial::joined(KeyKind::Tek, key.key.expose(), carried_salt()?),
            KeyDataType::Tek => {
                // Key and salt concatenated in one TEK (GStreamer, Live555, cameras): split where
                // every stream's profile agrees on the lengths.
                let profile_of = |no: u8| policies.iter().find(|(n, _)| *n == no).map(|(_, p)| p.profile);
                let mut profiles = streams.iter().filter_map(|s| profile_of(s.policy_no));
                let profile = profiles.next().or_else(|| policies.first().map(|(_, p)| p.profile));
                let Some(profile) = profile.filter(|p| profiles.all(|q| q == *p)) else {
                    return Err(Error::new(ErrorKind::Policy, "one TEK for crypto sessions of different profiles"));
                };
                let key_len = usize::from(profile.master_key_len());
                if key.key.len() != key_len + usize::from(profile.master_salt_len()) {
                    return Err(Error::new(
                        ErrorKind::Policy,
                        format!("a {}-byte TEK without salt does not fit {profile:?}", key.key.len()),
                    )
                    .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter));
                }
                let (master_key, master_salt) = key.key.expose().split_at(key_len);
                KeyMaterial::joined(KeyKind::Tek, master_key, master_salt)
            }
        };
        Ok((material, mki))
    }

    /// Initiator: checks the R_MESSAGE and completes the exchange: a verification message
    /// (PSK, NULL: RFC 3830 §3.1, §5.2) or the DH-HMAC response (RFC 4650 §3).
    fn take_response(&mut self, bytes: &[u8], message: &Message) -> Result<()> {
        let (Some(sent), State::WaitResponse) = (&self.sent, self.state) else {
            return Err(Error::new(ErrorKind::State, "no response is expected"));
        };
        let expected = sent.request_type.answered_by();
        if Some(message.header.data_type) != expected {
            return Err(Error::unsupported(format!("{:?} does not answer our message", message.header.data_type)));
        }
        if message.header.csb_id != sent.csb_id {
            return Err(Error::new(ErrorKind::State, "response for another CSB"));
        }
        // §5.2 says the responder echoes the initiator's T; minisip sends its own. Either way the
        // MAC covers what binds the response to this exchange (the T we sent, or our DHi).
        single_timestamp(message)?;
        let ids: Vec<&[u8]> = message.payloads.iter().filter_map(Payload::as_id).map(|id| &*id.data).collect();
        let bundle = match (message.header.data_type, &sent.auth) {
            (DataType::PskVerification | DataType::PkVerification, Some(auth)) => {
                let carried_responder_id = ids.first().copied();
                check_identity(&self.settings.peer_id, carried_responder_id.unwrap_or_default(), "IDr")?;
                let responder_id = carried_responder_id.unwrap_or(&sent.responder_id);
                let ids = VerificationContext { initiator_id: &sent.initiator_id, responder_id };
                psk::open_verification(bytes, message, auth, &sent.timestamp, &ids)?;
                None
            }
            (DataType::RsaRResponse, _) => Some(self.take_rsa_r_response(bytes, message, sent, &ids)?),
            _ => Some(self.take_dh_response(bytes, message, sent, &ids)?),
        };
        if let Some(bundle) = bundle {
            // An RSA-R group answer brings the group's CSB ID and streams (RFC 4738 §3.6).
            if bundle.csb_id != sent.csb_id {
                self.streams = bundle.streams().collect();
            }
            self.bundle = Some(bundle);
        }
        self.state = State::Established;
        Ok(())
    }

    /// Initiator, DH methods: R_MESSAGE = HDR, T, [IDr|CERTr], IDi, DHr, DHi, KEMAC|SIGNr
    /// (RFC 4650 §3, RFC 3830 §3.3). Checks the HMAC or the signature and certificate, the
    /// identities and that DHi is ours, then returns the CSB keyed by g^(xi·xr).
    fn take_dh_response(&self, bytes: &[u8], message: &Message, sent: &SentMessage, ids: &[&[u8]]) -> Result<Bundle> {
        let (Some(pending), Some(ours)) = (&sent.pending, sent.pending.as_ref().and_then(|p| p.key_pair.as_ref()))
        else {
            return Err(Error::new(ErrorKind::State, "no DH exchange is pending"));
        };
        let prf = PrfFunction::MikeyHmacSha1;
        let signer = match self.settings.method {
            Method::DhSign => Some(signed::authenticate_signed(bytes, message, &self.peer_trust())?),
            _ => {
                let context =
                    ExchangeContext { prf, csb_id: sent.csb_id, rand: &pending.rand, timestamp: sent.timestamp };
                psk::open_kemac_message(bytes, message, self.protection()?, &context)?;
                None
            }
        };
        let (responder_id, initiator_id) = match ids {
            [idi] => (None, *idi),
            [idr, idi] => (Some(*idr), *idi),
            _ => return Err(Error::malformed("a DH R_MESSAGE names the initiator (RFC 3830 §3.3, RFC 4650 §3)")),
        };
        check_identity(&self.settings.peer_id, responder_id.unwrap_or_default(), "IDr")?;
        if let (Some(signer), Some(responder_id)) = (&signer, responder_id) {
            if !signer.matches_identity(responder_id) {
                return Err(Error::new(ErrorKind::AuthFailed, "IDr is not the signer's identity")
                    .with_peer_code(MikeyErrorCode::InvalidId));
            }
        }
        check_identity(&self.settings.own_id, initiator_id, "IDi")?;
        let dh: Vec<&DhPayload> = message.payloads.iter().filter_map(Payload::as_dh).collect();
        let [responder_dh, echoed_dh] = dh.as_slice() else {
            return Err(Error::malformed("a DH R_MESSAGE carries DHr and DHi (RFC 3830 §3.3, RFC 4650 §3)"));
        };
        if echoed_dh.group != ours.group()
            || echoed_dh.value != ours.public_value()
            || responder_dh.group != ours.group()
        {
            return Err(Error::new(ErrorKind::AuthFailed, "the R_MESSAGE does not answer our DH value")
                .with_peer_code(MikeyErrorCode::InvalidDh));
        }
        let tgk = ours.shared_secret(&responder_dh.value)?;
        let policies = smallvec![(OFFERED_POLICY_NO, pending.policy)];
        let (rand, mki) = (pending.rand.clone(), pending.mki.clone());
        Bundle::new(sent.csb_id, prf, rand, KeyMaterial::tgk(tgk), mki, self.streams.clone(), policies)
    }

    /// Initiator, RSA-R (RFC 4738 §3.7): opens the envelope with our private key, then checks
    /// SIGNr and the responder's chain, that the encrypted IDr names the signer (and the
    /// configured peer), that T is ours, the RAND rule, and that any SP is the one we offered.
    /// Returns the CSB keyed by the responder's TGK. A General Extension with a new CSB ID
    /// (group mode, §3.2, §3.6) keys the CSB under that ID, with the responder's RAND and map.
    fn take_rsa_r_response(
        &self,
        bytes: &[u8],
        message: &Message,
        sent: &SentMessage,
        ids: &[&[u8]],
    ) -> Result<Bundle> {
        let pending =
            sent.pending.as_ref().ok_or_else(|| Error::new(ErrorKind::State, "no RSA-R exchange is pending"))?;
        if single_timestamp(message)? != sent.timestamp {
            return Err(Error::new(ErrorKind::AuthFailed, "the R_MESSAGE must echo our T (RFC 4738 §3.6)"));
        }
        let group_csb_id = group_csb_id(message)?;
        let rands: Vec<&[u8]> = message.payloads.iter().filter_map(Payload::as_rand).map(|rand| &**rand).collect();
        let rand = match (group_csb_id, rands.as_slice()) {
            (None, []) => pending.rand.clone(),
            (Some(_), [rand]) if !rand.is_empty() => RandBytes::from_slice(rand),
            (None, [_]) => return Err(Error::malformed("a RAND answers an I_MESSAGE that had one (RFC 4738 §3.7)")),
            _ => return Err(Error::malformed("a group R_MESSAGE carries one RAND (RFC 4738 §3.2)")),
        };
        let csb_id = group_csb_id.unwrap_or(sent.csb_id);
        let prf = PrfFunction::MikeyHmacSha1;
        let context = ExchangeContext { prf, csb_id, rand: &rand, timestamp: sent.timestamp };
        let opened = envelope::open(message, self.private_key()?, &context, self.settings.rng.as_ref())?;
        let key_data = opened.plaintext.key_data(true)?;
        let responder_id = key_data.id.as_ref().map(|id| &*id.data).unwrap_or_default();
        let timestamp = sent.timestamp.as_64_bits();
        let suffix: [&[u8]; 3] = [&sent.initiator_id, responder_id, &timestamp];
        let signer = signed::authenticate_signed_with(
            bytes,
            message,
            &self.peer_trust(),
            &SignedExtra::rsa_r_response(&suffix),
        )?;
        let cleartext_consistent = match ids {
            [] => true,
            [idr] => *idr == responder_id,
            _ => false,
        };
        if !signer.matches_identity(responder_id) || !cleartext_consistent {
            return Err(Error::new(
                ErrorKind::AuthFailed,
                "the encrypted IDr is not the signer's identity (RFC 4738 §3.6)",
            )
            .with_peer_code(MikeyErrorCode::InvalidId));
        }
        check_identity(&self.settings.peer_id, responder_id, "IDr")?;

        let mut policy = pending.policy;
        for sp in message.payloads.iter().filter_map(Payload::as_security_policy) {
            let answered = SrtpPolicy { mki_len: policy.mki_len, ..SrtpPolicy::from_security_policy(sp)? };
            if answered != policy {
                return Err(Error::new(
                    ErrorKind::Policy,
                    "the responder chose a policy we did not offer (RFC 4738 §3.7)",
                ));
            }
        }
        let streams: Streams = match (group_csb_id, &message.header.cs_id_map) {
            (Some(_), CsIdMap::SrtpId(map)) => map
                .entries()
                .map(|entry| Stream { ssrc: entry.ssrc, roc: entry.roc, policy_no: OFFERED_POLICY_NO })
                .collect(),
            (None, map) if *map == self.cs_id_map() => self.streams.clone(),
            _ => return Err(Error::new(ErrorKind::Policy, "the R_MESSAGE changed our CS ID map")),
        };
        let policies: Policies = smallvec![(OFFERED_POLICY_NO, policy)];
        let (keys, mki) = match key_data.keys.as_slice() {
            [key] if matches!(key.key_type, KeyDataType::Tgk | KeyDataType::TgkSalt) => {
                self.key_material(key, &policies, &streams)?
            }
            _ => return Err(Error::malformed("an RSA-R KEMAC carries one TGK (RFC 4738 §3.6)")),
        };
        policy.mki_len = mki.len() as u8;
        Bundle::new(csb_id, prf, rand, keys, mki, streams, smallvec![(OFFERED_POLICY_NO, policy)])
    }

    /// An error message from the peer (§5.1.2): reported as `PeerError` with its codes. An
    /// initiator waiting for a response moves to `Failed`; it was not authenticated, so nothing
    /// else changes (§5.1.2 asks to treat it as a recommendation).
    fn take_error_message(&mut self, message: &Message<'_>) -> Error {
        let codes: Vec<String> = message
            .payloads
            .iter()
            .filter_map(Payload::as_error)
            .map(|err| format!("{:?}", MikeyErrorCode::from_u8(err.code)))
            .collect();
        let for_us = self.sent.as_ref().is_some_and(|sent| sent.csb_id == message.header.csb_id);
        if for_us && self.role == Role::Initiator && self.state == State::WaitResponse {
            self.state = State::Failed;
        }
        Error::new(ErrorKind::PeerError, format!("peer sent an error message: {}", codes.join(", ")))
    }

    /// A message that does not decode. An RSA-R responder answers one whose header starts an
    /// RSA-R I_MESSAGE with error no 13, "unsupported message type" (RFC 4738 §3.5).
    fn unparseable(&self, bytes: &[u8], error: Error) -> Rejection {
        let response = match HeaderStart::peek(bytes) {
            Ok(start)
                if self.role == Role::Responder
                    && self.settings.method == Method::RsaR
                    && start.data_type == DataType::RsaRInit =>
            {
                self.error_response(start.csb_id, start.prf_function, None, MikeyErrorCode::UnsupportedMessageType)
            }
            _ => None,
        };
        Rejection { error, response }
    }

    /// The unauthenticated error message answering a rejected I_MESSAGE, when the RFC calls for
    /// one: HDR, T, ERR, {SP} (§5.1.2). Replays and stale timestamps are discarded silently (§5.3).
    fn error_message(&self, rejected: &Message<'_>, error: &Error) -> Option<Vec<u8>> {
        let timestamp = rejected.find(Payload::as_timestamp).copied();
        let header = &rejected.header;
        self.error_response(header.csb_id, header.prf_function, timestamp, error.peer_code()?)
    }

    /// HDR, T, ERR, {SP}: the SP (what we support) for the SP error codes; T echoes the rejected
    /// message's, or is now.
    fn error_response(
        &self,
        csb_id: u32,
        prf_function: u8,
        timestamp: Option<Timestamp>,
        code: MikeyErrorCode,
    ) -> Option<Vec<u8>> {
        let timestamp =
            timestamp.unwrap_or(Timestamp { ts_type: TimestampType::NtpUtc, value: self.settings.clock.now_ntp() });
        let mut payloads = vec![Payload::Timestamp(timestamp), Payload::Error(ErrorPayload { code: code as u8 })];
        if matches!(code, MikeyErrorCode::InvalidSecurityPolicy | MikeyErrorCode::InvalidSecurityPolicyParameter) {
            let gstreamer_layout = self.settings.interop.has(InteropFlags::GSTREAMER_SP_LAYOUT);
            let supported = self.settings.srtp_policy.to_security_policy(OFFERED_POLICY_NO, gstreamer_layout).ok()?;
            payloads.push(Payload::SecurityPolicy(supported));
        }
        let header = CommonHeader {
            data_type: DataType::Error,
            verification_requested: false,
            prf_function,
            csb_id,
            cs_id_map: CsIdMap::SrtpId(SrtpIdMap::default()),
        };
        Message { header, payloads }.encode().ok()
    }
}

impl Bundle {
    /// A bundle whose crypto sessions are `streams`, each checked to be exportable.
    fn new(
        csb_id: u32,
        prf: PrfFunction,
        rand: RandBytes,
        keys: KeyMaterial,
        mki: Vec<u8>,
        streams: Streams,
        policies: Policies,
    ) -> Result<Self> {
        if streams.len() > usize::from(u8::MAX) {
            return Err(Error::malformed("a CSB holds at most 255 crypto sessions"));
        }
        for (cs_id, stream) in (1..=u8::MAX).zip(&streams) {
            keys.checked_policy(&policies, cs_id, *stream)?;
        }
        let deriver = match keys.kind {
            KeyKind::Tgk | KeyKind::TgkSalt => Some(Arc::new(TgkDeriver::new(prf, keys.key(), csb_id, &rand))),
            KeyKind::Tek => None,
        };
        Ok(Bundle { csb_id, rand, keys, mki, policies, streams, deriver, envelope_key: None })
    }

    /// The streams of the crypto sessions, in CS ID order.
    fn streams(&self) -> impl Iterator<Item = Stream> + '_ {
        self.streams.iter().copied()
    }

    /// The CS ID map of the bundle's streams.
    fn cs_id_map(&self) -> CsIdMap<'static> {
        srtp_id_map(self.streams())
    }

    /// The SRTP keys of crypto session `cs_id` (§4.1.3): derived from the TGK, or the TEK.
    fn export(&self, cs_id: u8) -> Result<SrtpKeys> {
        let stream = usize::from(cs_id)
            .checked_sub(1)
            .and_then(|index| self.streams.get(index))
            .ok_or_else(|| Error::invalid_argument(format!("CS ID {cs_id} is not in 1..={}", self.streams.len())))?;
        // Checked against the key material when the bundle was made; the copies below still
        // refuse lengths that do not fit.
        let policy = policy_of(&self.policies, cs_id, *stream)?;
        let profile = policy.profile;
        // Filled in place: moving key arrays around costs more than deriving them.
        let mut keys = SrtpKeys {
            cs_id,
            ssrc: stream.ssrc,
            roc: stream.roc,
            master_key: InlineSecret::zeroed(usize::from(profile.master_key_len())),
            master_salt: InlineSecret::zeroed(usize::from(profile.master_salt_len())),
            policy,
            mki: self.mki.clone(),
        };
        let (master_key, master_salt) = (keys.master_key.expose_mut(), keys.master_salt.expose_mut());
        match (&self.deriver, self.keys.salt()) {
            (Some(deriver), carried_salt) => {
                deriver.derive(TgkKeyPurpose::Tek, cs_id, master_key);
                match carried_salt {
                    Some(salt) => copy_checked(master_salt, salt)?,
                    None => deriver.derive(TgkKeyPurpose::Salt, cs_id, master_salt),
                }
            }
            (None, salt) => {
                copy_checked(master_key, self.keys.key())?;
                copy_checked(master_salt, salt.unwrap_or_default())?;
            }
        }
        Ok(keys)
    }
}

/// The SRTP policy (among `policies`) of crypto session `cs_id` carrying `stream`.
fn policy_of(policies: &[(u8, SrtpPolicy)], cs_id: u8, stream: Stream) -> Result<SrtpPolicy> {
    policies.iter().find(|(no, _)| *no == stream.policy_no).map(|(_, policy)| *policy).ok_or_else(|| {
        Error::new(ErrorKind::Policy, format!("CS {cs_id} refers to SP {} which was not sent", stream.policy_no))
            .with_peer_code(MikeyErrorCode::InvalidSecurityPolicy)
    })
}

/// Key material of `key_len`/`salt_len` bytes does not fit `profile`.
fn misfit(profile: SrtpProfile, key_len: usize, salt_len: usize) -> Error {
    Error::new(ErrorKind::Policy, format!("key/salt of {key_len}/{salt_len} bytes do not fit {profile:?}"))
        .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter)
}

/// Copies `source` into `target` of the same length (checked by [`KeyMaterial::checked_policy`]).
fn copy_checked(target: &mut [u8], source: &[u8]) -> Result<()> {
    if target.len() != source.len() {
        return Err(Error::new(
            ErrorKind::Policy,
            format!("{} key bytes where {} are needed", source.len(), target.len()),
        ));
    }
    target.copy_from_slice(source);
    Ok(())
}

/// The SRTP-ID map of `streams` (§6.1.1).
fn srtp_id_map(streams: impl Iterator<Item = Stream>) -> CsIdMap<'static> {
    let entries = streams.map(|s| SrtpCsEntry { policy_no: s.policy_no, ssrc: s.ssrc, roc: s.roc });
    CsIdMap::SrtpId(SrtpIdMap::from_entries(entries))
}

/// The MKI numbered `counter`, big-endian in `len` bytes (at most 16; §6.14).
fn numbered_mki(counter: u32, len: u8) -> Vec<u8> {
    let counter = u128::from(counter).to_be_bytes();
    counter[counter.len() - usize::from(len)..].to_vec()
}

/// The key validity data that binds a key to `mki` (§6.14): SPI, or none without an MKI.
fn key_validity(mki: &[u8]) -> KeyValidity<'_> {
    if mki.is_empty() {
        KeyValidity::Null
    } else {
        KeyValidity::Spi(Cow::Borrowed(mki))
    }
}

/// The new CSB ID of an RSA-R group R_MESSAGE (General Extension type 4, RFC 4738 §3.6).
fn group_csb_id(message: &Message<'_>) -> Result<Option<u32>> {
    let mut extensions = message
        .payloads
        .iter()
        .filter_map(Payload::as_general_extension)
        .filter(|extension| extension.ext_type == extension_type::CSB_ID);
    match (extensions.next(), extensions.next()) {
        (None, _) => Ok(None),
        (Some(extension), None) => match <[u8; 4]>::try_from(&*extension.data) {
            Ok(csb_id) => Ok(Some(u32::from_be_bytes(csb_id))),
            Err(_) => Err(Error::malformed("a CSB_ID extension holds 4 bytes (RFC 4738 §3.9.3)")),
        },
        (Some(_), Some(_)) => Err(Error::malformed("more than one CSB_ID extension")),
    }
}

/// The streams a received CS ID map names, in CS ID order: an empty map's (RFC 4563 §5) are
/// placeholders under `default_policy_no`.
fn received_streams(map: &CsIdMap<'_>, default_policy_no: u8) -> Result<Streams> {
    match map {
        CsIdMap::SrtpId(entries) => {
            let mut streams = Streams::with_capacity(entries.len());
            for entry in entries.entries() {
                streams.push(Stream { ssrc: entry.ssrc, roc: entry.roc, policy_no: entry.policy_no });
            }
            Ok(streams)
        }
        CsIdMap::Empty { cs_count } => {
            let placeholder = Stream { ssrc: 0, roc: 0, policy_no: default_policy_no };
            Ok(smallvec![placeholder; usize::from(*cs_count)])
        }
        CsIdMap::GenericId(_) => Err(Error::unsupported("GENERIC-ID CS ID maps are for MIKEY-TICKET (RFC 6043)")
            .with_peer_code(MikeyErrorCode::Unspecified)),
    }
}

/// The one T payload of a message; COUNTER timestamps cannot be checked against a clock, so
/// they are refused (§5.4 relies on loosely synchronised clocks).
fn single_timestamp(message: &Message<'_>) -> Result<Timestamp> {
    if message.count(Payload::as_timestamp) != 1 {
        return Err(Error::malformed("a message must carry exactly one T payload"));
    }
    let timestamp = *message.find(Payload::as_timestamp).ok_or_else(|| Error::malformed("no T payload"))?;
    if timestamp.ts_type == TimestampType::Counter {
        return Err(Error::new(ErrorKind::Timestamp, "COUNTER timestamps cannot be checked against the clock")
            .with_peer_code(MikeyErrorCode::InvalidTimestamp));
    }
    Ok(timestamp)
}

/// A configured identity must match the one carried, when both are present.
fn check_identity(configured: &Option<String>, carried: &[u8], which: &str) -> Result<()> {
    match configured {
        Some(expected) if !carried.is_empty() && carried != expected.as_bytes() => {
            Err(Error::new(ErrorKind::AuthFailed, format!("{which} does not match the configured identity"))
                .with_peer_code(MikeyErrorCode::InvalidId))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AES_CM_80: SrtpPolicy = SrtpPolicy {
        profile: SrtpProfile::AesCm128HmacSha1_80,
        mki_len: 0,
        key_derivation_rate: None,
        srtp_encryption: None,
        srtcp_encryption: None,
        srtp_authentication: None,
    };

    fn bundle(keys: KeyMaterial, streams: &[Stream]) -> Result<Bundle> {
        let policies = smallvec![(OFFERED_POLICY_NO, AES_CM_80)];
        Bundle::new(7, PrfFunction::MikeyHmacSha1, smallvec![9; 16], keys, Vec::new(), streams.into(), policies)
    }

    const STREAM: Stream = Stream { ssrc: 0x1234, roc: 5, policy_no: OFFERED_POLICY_NO };

    #[test]
    fn a_tek_is_exported_as_it_is_for_every_crypto_session() {
        let bundle = bundle(KeyMaterial::joined(KeyKind::Tek, &[1; 16], &[2; 14]), &[STREAM, STREAM]).unwrap();
        for cs_id in 1..=2 {
            let keys = bundle.export(cs_id).unwrap();
            assert_eq!((keys.cs_id, keys.ssrc, keys.roc), (cs_id, 0x1234, 5));
            assert_eq!((keys.master_key.expose(), keys.master_salt.expose()), (&[1; 16][..], &[2; 14][..]));
        }
        for cs_id in [0, 3] {
            assert_eq!(bundle.export(cs_id).unwrap_err().kind(), ErrorKind::InvalidArgument);
        }
    }

    #[test]
    fn a_carried_salt_replaces_the_derived_one() {
        let tgk = KeyMaterial::joined(KeyKind::Tgk, &[3; 16], &[]);
        let with_salt = KeyMaterial::joined(KeyKind::TgkSalt, &[3; 16], &[4; 14]);
        let derived = bundle(tgk, &[STREAM]).unwrap().export(1).unwrap();
        let carried = bundle(with_salt, &[STREAM]).unwrap().export(1).unwrap();
        assert_eq!(derived.master_key.expose(), carried.master_key.expose());
        assert_ne!(derived.master_salt.expose(), carried.master_salt.expose());
        assert_eq!(carried.master_salt.expose(), [4; 14]);
    }

    #[test]
    fn key_material_that_does_not_fit_the_profile_is_refused_when_the_bundle_is_made() {
        let misfits = [
            KeyMaterial::joined(KeyKind::Tek, &[1; 16], &[2; 12]),
            KeyMaterial::joined(KeyKind::Tek, &[1; 32], &[2; 14]),
            KeyMaterial::joined(KeyKind::TgkSalt, &[1; 16], &[2; 12]),
        ];
        for keys in misfits {
            let error = bundle(keys, &[STREAM]).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Policy);
            assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidSecurityPolicyParameter));
        }
        let unknown_policy = Stream { policy_no: 1, ..STREAM };
        let error = bundle(KeyMaterial::joined(KeyKind::Tgk, &[1; 16], &[]), &[unknown_policy]).unwrap_err();
        assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidSecurityPolicy));
    }
}
