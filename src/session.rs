//! One crypto session bundle (CSB) as initiator or responder: the role and state, the
//! committed CSB, the timestamp window and replay cache (RFC 3830 §5.4), error messages
//! (§5.1.2), SRTP key export and forking. What an exchange means is the method's
//! (`crate::method`): the session names no method, it asks the one its config names.
//!
//! An incoming message is checked completely before anything changes: decode → header checks →
//! replay window → the method's authentication and keys → replay cache → commit. A rejected
//! message leaves the session as it was.

use std::sync::Arc;

use crate::bundle::{
    answered_streams, numbered_mki, Bundle, KeyMaterialView, RandBytes, Stream, Streams, OFFERED_POLICY_NO,
};
use crate::clock::ntp_diff;
use crate::config::{Config, InteropFlags, Settings, RAND_LEN};
use crate::crypto::x509::Certificate;
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::mcptt::{McpttKey, McpttPeer};
use crate::method::{Answer, Answering, Completing, HeldTicket, KeyManagement, Offering, Pending, Received, Sent};
use crate::replay::{single_timestamp, ReplayCache, ReplayCheck};
use crate::srtp::SrtpKeys;
use crate::wire::{
    CommonHeader, CsIdMap, DataType, DecodeOptions, ErrorPayload, HeaderStart, Message, Payload, SrtpIdMap, Timestamp,
    TimestampType, MAX_MESSAGE_LEN,
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
    /// The peer answered with an authenticated error message; a new I_MESSAGE starts over.
    Failed = 3,
    /// MIKEY-TICKET: the message just returned goes to the KMS, whose answer comes next (an
    /// initiator's Ticket Request, a responder's Ticket Resolve; RFC 6043 §4.2).
    WaitKms = 4,
}

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
    /// The config's method.
    method: &'static dyn KeyManagement,
    replay_cache: Arc<ReplayCache>,
    role: Role,
    state: State,
    /// Initiator: the streams to key, in CS ID order (SSRC 0: a placeholder for one of the
    /// responder's). Responder: our own sending streams, which fill the placeholders (§6.1.1).
    streams: Streams,
    bundle: Option<Bundle>,
    /// Initiator: the last message sent, and what checks its answer.
    sent: Option<Box<Sent>>,
    /// The number of the next key we send, counted into its MKI (§6.14).
    next_mki: u32,
    /// MIKEY-SAKKE initiator: the key the next I_MESSAGE sends.
    mcptt_key: Option<Arc<McpttKey>>,
    /// MIKEY-SAKKE: the user the initiator keys, or the initiator SIP named to a responder.
    mcptt_peer: Option<McpttPeer>,
    /// MIKEY-TICKET initiator: the ticket the KMS gave us for our next I_MESSAGE.
    held_ticket: Option<Arc<HeldTicket>>,
    /// Responder in state `WaitKms`: the I_MESSAGE waiting for the KMS's answer.
    awaiting_kms: Option<Box<Deferred>>,
}

/// A responder's I_MESSAGE checked as far as it can be before the KMS answers.
#[derive(Debug)]
struct Deferred {
    /// What the method takes up again.
    pending: Pending,
    /// The I_MESSAGE's place in the replay cache, recorded once it is accepted.
    replay: ReplayCheck,
    timestamp: Timestamp,
    prf: crate::crypto::PrfFunction,
    /// The I_MESSAGE's CSB ID and PRF func, for the error message that tells its initiator when
    /// the KMS refused (RFC 6043 §5.4).
    csb_id: u32,
    prf_function: u8,
}

impl Session {
    /// A new session in state `Idle`, with a copy of `config`'s settings and its replay cache.
    pub fn new(config: &Config, role: Role) -> Result<Self> {
        let settings = &config.settings;
        let method = settings
            .method
            .exchange()
            .ok_or_else(|| Error::unsupported(format!("method {:?} is not implemented yet", settings.method)))?;
        method.credentials().check(settings)?;
        config.freeze();
        Ok(Session {
            settings: config.settings.clone(),
            method,
            replay_cache: config.replay_cache.clone(),
            role,
            state: State::Idle,
            streams: Streams::new(),
            bundle: None,
            sent: None,
            next_mki: 1,
            mcptt_key: None,
            mcptt_peer: None,
            held_ticket: None,
            awaiting_kms: None,
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

    /// Number of crypto sessions (initiator: streams added, or those its message keyed;
    /// responder: those received).
    pub fn cs_count(&self) -> usize {
        self.cs_ids().len()
    }

    /// The CS IDs of the crypto sessions, in order: 1, 2, ... for an SRTP-ID map; those a
    /// GENERIC-ID map or the MCPTT profile gives (MIKEY-SAKKE: 4 and 5 of a GMK, 0 to 3 of a
    /// PCK, ...). What [`Session::export_srtp`] takes.
    pub fn cs_ids(&self) -> Vec<u8> {
        // An initiator's streams, also those added for the next message; else the CSB's.
        match (&self.bundle, self.role) {
            (_, Role::Initiator) if !self.streams.is_empty() => self.streams.iter().map(|s| s.cs_id).collect(),
            (Some(bundle), _) => bundle.streams().map(|stream| stream.cs_id).collect(),
            (None, _) => Vec::new(),
        }
    }

    /// The CSB ID once known.
    pub fn csb_id(&self) -> Option<u32> {
        self.bundle.as_ref().map(|bundle| bundle.csb_id)
    }

    /// The identity of the established CSB's peer, as its authentication covers it: the ID it
    /// sent (which its certificate names, for the certificate methods), else the configured peer
    /// identity (which the certificate names), else the certificate's first identity. `None`
    /// before the CSB is established, for the NULL method (nothing authenticates it), and when
    /// a PSK peer named none.
    pub fn peer_identity(&self) -> Option<&[u8]> {
        let identity = &self.established()?.peer.identity;
        (!identity.is_empty()).then_some(identity.as_slice())
    }

    /// The end-entity certificate (DER) of the established CSB's peer, for the certificate
    /// methods (PK, DH-SIGN, RSA-R); `None` otherwise.
    pub fn peer_certificate(&self) -> Option<&[u8]> {
        self.established()?.peer.certificate().map(Certificate::der)
    }

    /// The established CSB's keying material (the TGK or TEK, and its salt), for inspectors and
    /// tests; `None` before the CSB is established. SRTP keys come from [`Session::export_srtp`].
    pub fn key_material(&self) -> Option<KeyMaterialView<'_>> {
        self.established().map(|bundle| bundle.keys.view())
    }

    /// The CSB, once established.
    fn established(&self) -> Option<&Bundle> {
        self.bundle.as_ref().filter(|_| self.state == State::Established)
    }

    /// Adds an SRTP stream with its SSRC and rollover counter, and returns its position
    /// (1-based).
    ///
    /// Initiator: the position is the stream's CS ID. SSRC 0 is a placeholder for a stream the
    /// responder sends, whose SSRC its R_MESSAGE fills in (RFC 3830 §6.1.1). Streams added after
    /// the first message are keyed by the next (re-keying) message.
    ///
    /// Responder: one of our own sending streams, added before the I_MESSAGE is processed. They
    /// fill the I_MESSAGE's placeholders in order (skipping SSRCs it names already), and the
    /// R_MESSAGE tells the initiator (§6.1.1); the crypto sessions' CS IDs are the I_MESSAGE's.
    pub fn add_srtp_stream(&mut self, ssrc: u32, roc: u32) -> Result<u8> {
        if ssrc == 0 && self.role == Role::Responder {
            return Err(Error::invalid_argument("a responder's own stream has a real SSRC"));
        }
        if self.streams.iter().any(|stream| stream.ssrc == ssrc && ssrc != 0) {
            return Err(Error::invalid_argument("this SSRC already has a crypto session"));
        }
        if self.streams.len() >= usize::from(u8::MAX) {
            return Err(Error::invalid_argument("a CSB holds at most 255 crypto sessions"));
        }
        let cs_id = self.streams.len() as u8 + 1;
        self.streams.push(Stream { cs_id, ssrc, roc, policy_no: OFFERED_POLICY_NO });
        Ok(cs_id)
    }

    /// MIKEY-SAKKE initiator: the key the next I_MESSAGE sends (a GMK, PCK, CSK, MuSiK or MKFC
    /// and its ID, whose top nibble names the purpose; with the key parameters to send).
    pub fn set_mcptt_key(&mut self, key: McpttKey) -> Result<()> {
        self.check_keys_mcptt_users()?;
        if self.role != Role::Initiator {
            return Err(Error::new(ErrorKind::State, "only an initiator sends a key"));
        }
        self.mcptt_key = Some(Arc::new(key));
        Ok(())
    }

    /// MIKEY-SAKKE: the other user. Initiator: the responder the key goes to. Responder: the
    /// initiator as SIP named it; the message is then refused unless its signer's UID is that
    /// user's (identity hiding, TS 33.180 5.2.6), and the URI becomes the peer identity.
    pub fn set_mcptt_peer(&mut self, peer: McpttPeer) -> Result<()> {
        self.check_keys_mcptt_users()?;
        if peer.uri.is_empty() {
            return Err(Error::invalid_argument("an MCPTT user has a URI"));
        }
        self.mcptt_peer = Some(peer);
        Ok(())
    }

    /// MIKEY-SAKKE: the key of the established CSB, with its ID (the GMK-ID for a GMK) and the
    /// key parameters it came with.
    pub fn mcptt_key(&self) -> Option<&McpttKey> {
        self.established()?.mcptt_key.as_deref()
    }

    fn check_keys_mcptt_users(&self) -> Result<()> {
        match self.method.keys_mcptt_users() {
            true => Ok(()),
            false => Err(Error::invalid_argument("MCPTT keys and users are for the MIKEY-SAKKE method")),
        }
    }

    /// Initiator: writes the I_MESSAGE; for an established CSB this is the re-keying message
    /// (§4.5: same CSB ID, new timestamp, no RAND, new keys, the CS ID map kept). A responder
    /// writes one only to update an established CSB of a method whose responders may (MIKEY-TICKET,
    /// RFC 6043 §5.2).
    pub fn create_message(&mut self) -> Result<Vec<u8>> {
        if self.role != Role::Initiator && !self.updates_own_csb() {
            return Err(Error::new(ErrorKind::State, "only an initiator creates I_MESSAGEs"));
        }
        if self.state == State::WaitKms {
            return Err(Error::new(ErrorKind::State, "the KMS's answer is awaited first"));
        }
        let update = self.bundle.as_ref().filter(|_| self.state != State::Failed);
        let (csb_id, rand) = match update {
            Some(bundle) => (bundle.csb_id, bundle.rand.clone()),
            None => (u32::from_be_bytes(self.random::<4>()?), RandBytes::from_slice(&self.random::<RAND_LEN>()?)),
        };
        let policy = self.settings.offered_policy();
        let mki = numbered_mki(self.next_mki, policy.mki_len);
        let (request_type, awaits_response) =
            (self.method.request_type(update), self.method.awaits_response(&self.settings));
        let timestamp = self.next_timestamp();
        // A responder's update describes the CSB's crypto sessions, not only its own streams.
        let streams = match (self.role, update) {
            (Role::Responder, Some(bundle)) => &bundle.streams,
            _ => &self.streams,
        };
        let offering = Offering {
            settings: &self.settings,
            we_initiated: self.role == Role::Initiator,
            request_type,
            awaits_response,
            csb_id,
            rand: &rand,
            timestamp,
            policy,
            mki: &mki,
            streams,
            update,
            mcptt_key: self.mcptt_key.as_deref(),
            mcptt_peer: self.mcptt_peer.as_ref(),
            held_ticket: self.held_ticket.as_deref(),
        };
        let offer = self.method.offer(&offering)?;
        within_maximum(&offer.bytes)?;
        // The method may fix the CSB ID (MIKEY-SAKKE: the key's ID, or the GUK-ID).
        let csb_id = offer.bundle.as_ref().map_or(csb_id, |bundle| bundle.csb_id);
        // Sent: commit.
        self.next_mki = self.next_mki.wrapping_add(1);
        if let Some(bundle) = offer.bundle {
            self.bundle = Some(bundle);
        }
        self.state = match () {
            () if offer.pending.waits_for_kms() => State::WaitKms,
            () if awaits_response => State::WaitResponse,
            () => State::Established,
        };
        self.sent = Some(Box::new(Sent { request_type, csb_id, timestamp, pending: offer.pending }));
        Ok(offer.bytes)
    }

    /// True when this end holds a CSB that both ends may update (MIKEY-TICKET, RFC 6043 §5.2),
    /// established or waiting for the answer to an update.
    fn updates_own_csb(&self) -> bool {
        self.method.updates_from_either_end()
            && self.bundle.is_some()
            && matches!(self.state, State::Established | State::WaitResponse)
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
            method: self.method,
            replay_cache: self.replay_cache.clone(),
            role: self.role,
            state: self.state,
            streams: self.streams.clone(),
            bundle: self.bundle.clone(),
            sent: self.sent.clone(),
            next_mki: self.next_mki,
            mcptt_key: self.mcptt_key.clone(),
            mcptt_peer: self.mcptt_peer.clone(),
            held_ticket: self.held_ticket.clone(),
            awaiting_kms: None,
        })
    }

    /// Takes one incoming message. `Ok(Some(bytes))`: send `bytes` to the peer (an R_MESSAGE).
    /// On rejection the session is unchanged, and the rejection may carry an error message to
    /// send (RFC 3830 §5.1.2).
    pub fn process_message(&mut self, bytes: &[u8]) -> std::result::Result<Option<Vec<u8>>, Rejection> {
        if bytes.len() > MAX_MESSAGE_LEN {
            let error = format!("a message of {} bytes exceeds MAX_MESSAGE_LEN ({MAX_MESSAGE_LEN})", bytes.len());
            return Err(Error::malformed(error).into());
        }
        let options = DecodeOptions {
            allow_trailing_padding_byte: self.settings.interop.has(InteropFlags::TRAILING_PADDING_BYTE),
        };
        let (message, message_len) = match Message::decode_with(bytes, options) {
            Ok(decoded) => decoded,
            Err(error) => return Err(self.unparseable(bytes, error)),
        };
        let received = Received { bytes: &bytes[..message_len], message: &message };
        if self.state == State::WaitKms {
            return self.take_kms_answer(&received);
        }
        if message.header.data_type == DataType::Error {
            return Err(self.take_error_message(&received).into());
        }
        // Where both ends may update a CSB (MIKEY-TICKET), either may wait for an answer, and an
        // established initiator answers its responder's updates. When two updates cross, the
        // initiator's wins: its responder drops its own and answers, and it refuses the other.
        let is_request = message.header.data_type == self.method.request_type(self.bundle.as_ref());
        let answers = match self.role {
            Role::Responder => self.state != State::WaitResponse || is_request,
            Role::Initiator => is_request && self.state == State::Established && self.updates_own_csb(),
        };
        if !answers {
            if is_request && self.updates_own_csb() {
                let error = "the responder's update crossed ours, and the initiator's goes first";
                return Err(Error::new(ErrorKind::State, error).into());
            }
            return self.take_response(&received).map(|()| None).map_err(Rejection::from);
        }
        self.respond(&received).map_err(|error| {
            let response = self.error_message(&message, &error);
            Rejection { error, response }
        })
    }

    /// Exports the SRTP keys of crypto session `cs_id` (1-based).
    pub fn export_srtp(&self, cs_id: u8) -> Result<SrtpKeys> {
        let bundle = self
            .established()
            .ok_or_else(|| Error::new(ErrorKind::State, format!("no keys in state {:?}", self.state)))?;
        bundle.export(cs_id, self.role == Role::Initiator)
    }

    /// `N` bytes from the configured randomness source.
    fn random<const N: usize>(&self) -> Result<[u8; N]> {
        let mut bytes = [0u8; N];
        self.settings.rng.fill(&mut bytes)?;
        Ok(bytes)
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

    /// Responder: checks an I_MESSAGE completely, then commits it and returns the R_MESSAGE.
    fn respond(&mut self, received: &Received<'_>) -> Result<Option<Vec<u8>>> {
        let header = &received.message.header;
        let update = self.bundle.as_ref().filter(|bundle| bundle.csb_id == header.csb_id);
        if !self.method.takes(header.data_type, update) {
            let expected = self.method.request_type(update);
            return Err(Error::unsupported(format!(
                "data type {:?}; this endpoint takes {expected:?}",
                header.data_type
            ))
            .with_peer_code(MikeyErrorCode::InvalidDataType));
        }
        let prf = self.settings.prf_named(header.prf_function)?;
        let timestamp = single_timestamp(received.message)?;
        if let Some(bundle) = self.bundle.as_ref().filter(|_| update.is_none()) {
            return Err(Error::new(
                ErrorKind::State,
                format!("session holds CSB {:#010x}, message is for {:#010x}", bundle.csb_id, header.csb_id),
            ));
        }
        let replay = ReplayCheck {
            id: self.replay_cache.message_id(received.message, timestamp.value),
            timestamp: timestamp.value,
            now: self.settings.clock.now_ntp(),
            window_secs: self.settings.replay_window_secs,
            future_secs: self.settings.max_future_skew_secs,
        };
        // An update older than the CSB's last accepted message would roll its keys back (§4.5);
        // a copy of that message is a replay, and is reported as one.
        let stale_update = update.is_some_and(|update| ntp_diff(timestamp.value, update.accepted_timestamp) <= 0);
        // A replay costs no RSA or modexp; elsewhere `record` decides, at the same cost.
        if self.method.consults_replay_cache_first() || stale_update {
            self.replay_cache.check(&replay)?;
        } else {
            replay.check_window()?;
        }
        if stale_update {
            return Err(Error::new(ErrorKind::Timestamp, "an update older than the CSB's last accepted message"));
        }
        let answering = Answering {
            settings: &self.settings,
            we_initiated: self.role == Role::Initiator,
            update,
            prf,
            timestamp,
            next_mki: self.next_mki,
            own_streams: &self.streams,
            mcptt_peer: self.mcptt_peer.as_ref(),
        };
        if let Some(consultation) = self.method.consult_kms(&answering, received)? {
            within_maximum(&consultation.request)?;
            // Checked as far as it can be: wait for the KMS.
            self.awaiting_kms = Some(Box::new(Deferred {
                pending: consultation.pending,
                replay,
                timestamp,
                prf,
                csb_id: header.csb_id,
                prf_function: header.prf_function,
            }));
            self.state = State::WaitKms;
            return Ok(Some(consultation.request));
        }
        let answer = self.method.answer(&answering, received)?;
        self.commit_answer(answer, update.is_some(), &replay, timestamp)
    }

    /// Responder: commits an accepted I_MESSAGE's answer, once it fits, comes from the CSB's
    /// peer (for an update), and is recorded in the replay cache.
    fn commit_answer(
        &mut self,
        answer: Answer,
        is_update: bool,
        replay: &ReplayCheck,
        timestamp: Timestamp,
    ) -> Result<Option<Vec<u8>>> {
        answer.response.as_deref().map_or(Ok(()), within_maximum)?;
        if let Some(update) = self.bundle.as_ref().filter(|_| is_update) {
            check_same_peer(update, &answer.bundle)?;
        }
        self.replay_cache.record(replay)?;

        // Every check passed: commit.
        if answer.sent_key {
            self.next_mki = self.next_mki.wrapping_add(1);
        }
        let bundle = self.bundle.insert(answer.bundle);
        bundle.accepted_timestamp = timestamp.value;
        self.awaiting_kms = None;
        self.state = State::Established;
        Ok(answer.response)
    }

    /// In state `WaitKms`: the KMS's answer. An initiator keeps the ticket for its next
    /// I_MESSAGE; a responder answers the I_MESSAGE that waited. An authenticated refusal by
    /// the KMS ends the exchange (state `Failed`), and a responder's rejection then carries the
    /// error message for its initiator (RFC 6043 §5.4); anything else leaves the session waiting.
    fn take_kms_answer(&mut self, received: &Received<'_>) -> std::result::Result<Option<Vec<u8>>, Rejection> {
        let refused_initiator = self.awaiting_kms.as_ref().map(|deferred| (deferred.csb_id, deferred.prf_function));
        let outcome = self.answer_with_kms(received);
        match outcome {
            Err(error) if error.kind() == ErrorKind::PeerError => {
                self.state = State::Failed;
                self.awaiting_kms = None;
                let code = error.peer_code().unwrap_or(MikeyErrorCode::Unspecified);
                let response = refused_initiator
                    .and_then(|(csb_id, prf_function)| self.error_response(csb_id, prf_function, None, code));
                Err(Rejection { error, response })
            }
            outcome => outcome.map_err(Rejection::from),
        }
    }

    /// [`Session::take_kms_answer`] but for a refusal by the KMS.
    fn answer_with_kms(&mut self, received: &Received<'_>) -> Result<Option<Vec<u8>>> {
        match self.role {
            Role::Initiator => {
                let sent = self.sent.as_deref().ok_or_else(|| Error::new(ErrorKind::State, "nothing was sent"))?;
                let completing = Completing { settings: &self.settings, sent, streams: &self.streams };
                self.method.take_ticket(&completing, received).map(|held| {
                    self.held_ticket = Some(held);
                    self.state = State::Idle;
                    None
                })
            }
            Role::Responder => {
                let deferred = self
                    .awaiting_kms
                    .take()
                    .ok_or_else(|| Error::new(ErrorKind::State, "nothing waits for the KMS"))?;
                let answering = Answering {
                    settings: &self.settings,
                    we_initiated: self.role == Role::Initiator,
                    update: None,
                    prf: deferred.prf,
                    timestamp: deferred.timestamp,
                    next_mki: self.next_mki,
                    own_streams: &self.streams,
                    mcptt_peer: self.mcptt_peer.as_ref(),
                };
                let answered = self
                    .method
                    .resume_answer(&answering, &deferred.pending, received)
                    .and_then(|answer| self.commit_answer(answer, false, &deferred.replay, deferred.timestamp));
                if answered.is_err() {
                    self.awaiting_kms = Some(deferred);
                }
                answered
            }
        }
    }

    /// Initiator: checks the R_MESSAGE and completes the exchange.
    fn take_response(&mut self, received: &Received<'_>) -> Result<()> {
        let (Some(sent), State::WaitResponse) = (&self.sent, self.state) else {
            return Err(Error::new(ErrorKind::State, "no response is expected"));
        };
        let header = &received.message.header;
        if Some(header.data_type) != sent.request_type.answered_by() {
            return Err(Error::unsupported(format!("{:?} does not answer our message", header.data_type)));
        }
        if header.csb_id != sent.csb_id {
            return Err(Error::new(ErrorKind::State, "response for another CSB"));
        }
        // §5.2: "The Responder does not create a new timestamp, but uses the timestamp used by
        // the Initiator." minisip sends its own (its switch); what binds its answer to this
        // exchange is then what the MAC or signature covers (the T we sent, our DHi, its T).
        let timestamp = single_timestamp(received.message)?;
        let echo_expected =
            self.method.response_echoes_timestamp() && !self.settings.interop.has(InteropFlags::MINISIP_RESPONSES);
        if timestamp != sent.timestamp && echo_expected {
            return Err(Error::new(ErrorKind::AuthFailed, "the R_MESSAGE does not carry our T (RFC 3830 §5.2)"));
        }
        // The crypto sessions our message described: an initiator's streams, or for a
        // responder's update the CSB's.
        let ours = match (self.role, &self.bundle) {
            (Role::Responder, Some(bundle)) => bundle.streams.clone(),
            _ => self.streams.clone(),
        };
        let completing = Completing { settings: &self.settings, sent, streams: &ours };
        let completed = self.method.complete(&completing, received)?;
        // An RSA-R group answer brings the group's CSB ID and streams (RFC 4738 §3.6); any other
        // answer our streams, with the responder's SSRCs in our placeholders (§6.1.1).
        let streams = match &completed {
            Some(group) if group.csb_id != sent.csb_id => group.streams.clone(),
            _ => answered_streams(&ours, &header.cs_id_map)?,
        };
        if let Some(bundle) = &completed {
            if let Some(established) = self.bundle.as_ref().filter(|bundle| bundle.csb_id == sent.csb_id) {
                check_same_peer(established, bundle)?;
            }
        }

        // Every check passed: commit.
        if let Some(bundle) = completed {
            self.bundle = Some(bundle);
        }
        if let Some(bundle) = &mut self.bundle {
            bundle.streams.clone_from(&streams);
            // An update from the other end (MIKEY-TICKET's may come from either) must come after
            // the last of its messages we accepted, by its clock (§4.5).
            bundle.accepted_timestamp = timestamp.value;
        }
        if self.role == Role::Initiator {
            self.streams = streams;
        }
        self.state = State::Established;
        Ok(())
    }

    /// An error message (§5.1.2): reported as `PeerError` with its codes. It ends the exchange
    /// of an initiator waiting for its R_MESSAGE (state `Failed`) only when the method verifies
    /// that the peer sent it (V or SIGN); an unauthenticated one is only a recommendation
    /// (§5.1.2), since anyone who saw the I_MESSAGE can send it, and the initiator keeps waiting.
    fn take_error_message(&mut self, received: &Received<'_>) -> Error {
        let message = received.message;
        // At most a few codes go into the text; a message may carry hundreds.
        const SHOWN: usize = 4;
        let mut codes: Vec<String> = message
            .payloads
            .iter()
            .filter_map(Payload::as_error)
            .take(SHOWN)
            .map(|err| format!("{:?}", MikeyErrorCode::from_u8(err.code)))
            .collect();
        let count = message.count(Payload::as_error);
        if count > SHOWN {
            codes.push(format!("and {} more", count - SHOWN));
        }
        let authenticated = match (&self.sent, self.state) {
            (Some(sent), State::WaitResponse) if sent.csb_id == message.header.csb_id => {
                let completing = Completing { settings: &self.settings, sent, streams: &self.streams };
                self.method.authenticate_error(&completing, received).is_ok()
            }
            _ => false,
        };
        let verdict = if authenticated {
            self.state = State::Failed;
            "authenticated error message"
        } else {
            "unauthenticated error message (ignored)"
        };
        Error::new(ErrorKind::PeerError, format!("peer sent an {verdict}: {}", codes.join(", ")))
    }

    /// A message that does not decode. A responder whose method asks for it answers with an
    /// error message (RSA-R: error no 13 for what starts as its I_MESSAGE, RFC 4738 §3.5).
    fn unparseable(&self, bytes: &[u8], error: Error) -> Rejection {
        let response = match HeaderStart::peek(bytes) {
            Ok(start) if self.role == Role::Responder => self
                .method
                .unparseable_reply(start.data_type)
                .and_then(|code| self.error_response(start.csb_id, start.prf_function, None, code)),
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
            payloads.push(self.settings.policy_payload(OFFERED_POLICY_NO, &self.settings.srtp_policy).ok()?);
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

/// A message we made must fit `MAX_MESSAGE_LEN`, as every peer of this library expects.
fn within_maximum(message: &[u8]) -> Result<()> {
    if message.len() > MAX_MESSAGE_LEN {
        return Err(Error::invalid_argument(format!(
            "our message would be {} bytes, over MAX_MESSAGE_LEN ({MAX_MESSAGE_LEN}): configure a shorter chain",
            message.len()
        )));
    }
    Ok(())
}

/// An update must come from the peer that set up the CSB (`Bundle::peer`).
fn check_same_peer(established: &Bundle, update: &Bundle) -> Result<()> {
    if update.peer.binding != established.peer.binding {
        return Err(Error::new(ErrorKind::AuthFailed, "the update comes from another peer than the CSB's")
            .with_peer_code(MikeyErrorCode::AuthFailure));
    }
    Ok(())
}
