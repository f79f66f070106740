//! Key-management methods: the registry, and the one interface every method implements.
//!
//! Each method lives in one file and implements `KeyManagement`, the phases every MIKEY
//! method has: the initiator offers (its I_MESSAGE, first or update, §4.5), the responder
//! answers (authenticates the I_MESSAGE, makes or takes the keys, builds any R_MESSAGE), and the
//! initiator completes (takes the R_MESSAGE). Each phase only *reads* the session and returns a
//! value (`Offer`, `Answer`, a `Bundle`) that the session commits after every check passed,
//! so a rejected message changes nothing.
//!
//! `Method::exchange` is the registry: the one place in the crate that maps a [`Method`] to
//! its implementation. Nothing outside this module branches on a method; the session asks the
//! method instead. The pieces several methods share (KEMAC sealing, signatures, the envelope,
//! Diffie-Hellman agreement, the verification message, what a responder accepts) live in
//! `crate::exchange`.
//!
//! - `psk`: the pre-shared key exchange and its NULL form (RFC 3830 §3.1).
//! - `pk`: the public-key envelope (RFC 3830 §3.2), with envelope key caching.
//! - `dh_sign`: signed Diffie-Hellman (RFC 3830 §3.3).
//! - `dh_hmac`: HMAC-authenticated Diffie-Hellman (RFC 4650).
//! - `rsa_r`: reverse RSA (RFC 4738), with the group key server.
//! - `sakke`: MIKEY-SAKKE (RFC 6509) as TS 33.180 profiles it for MCPTT.
//! - `ticket`: MIKEY-TICKET (RFC 6043): Ticket Request, Transfer and Resolve, the base ticket,
//!   and the KMS's ends of its exchanges (the KMS itself is `crate::kms`).

use std::fmt;
use std::sync::Arc;

use crate::bundle::{key_validity, srtp_id_map, Bundle, KeyMaterial, Peer, RandBytes, Streams, OFFERED_POLICY_NO};
use crate::config::{InteropFlags, Settings};
use crate::crypto::PrfFunction;
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::exchange::dh::DhOffer;
use crate::exchange::kemac::ExchangeContext;
use crate::exchange::verification::VerificationKey;
use crate::mcptt::{McpttKey, McpttPeer};
use crate::srtp::SrtpPolicy;
use crate::wire::{CommonHeader, DataType, KeyData, Message, Payload, Timestamp};

mod dh_hmac;
mod dh_sign;
mod pk;
mod psk;
mod rsa_r;
mod sakke;
pub(crate) mod ticket;

pub(crate) use rsa_r::RsaROffer;
pub(crate) use ticket::{HeldTicket, TicketPending};

/// Key-management methods (numbering fixed by the C API's `mikey_method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Method {
    /// Pre-shared key (RFC 3830 §3.1).
    Psk = 0,
    /// The PSK exchange with NULL encryption and NULL MAC (RFC 3830 §4.2.3), as GStreamer,
    /// Live555 and RTSP cameras use it inside an already protected signalling channel.
    Null = 1,
    /// Public-key envelope (RFC 3830 §3.2).
    Pk = 2,
    /// Signed Diffie-Hellman (RFC 3830 §3.3).
    DhSign = 3,
    /// HMAC-authenticated Diffie-Hellman (RFC 4650).
    DhHmac = 4,
    /// Reverse RSA (RFC 4738).
    RsaR = 5,
    /// MIKEY-TICKET (RFC 6043).
    Ticket = 6,
    /// MIKEY-SAKKE (RFC 6509).
    Sakke = 7,
}

impl Method {
    /// Every method, in C API order.
    const ALL: [Method; 8] = [
        Method::Psk,
        Method::Null,
        Method::Pk,
        Method::DhSign,
        Method::DhHmac,
        Method::RsaR,
        Method::Ticket,
        Method::Sakke,
    ];

    /// The registry: the implementation of this method, `None` for those this version lacks.
    /// Adding a method is one file in this folder and one line here.
    pub(crate) fn exchange(self) -> Option<&'static dyn KeyManagement> {
        match self {
            Method::Psk => Some(&psk::Psk::PRE_SHARED),
            Method::Null => Some(&psk::Psk::NULL),
            Method::Pk => Some(&pk::Pk),
            Method::DhSign => Some(&dh_sign::DhSign),
            Method::DhHmac => Some(&dh_hmac::DhHmac),
            Method::RsaR => Some(&rsa_r::RsaR),
            Method::Sakke => Some(&sakke::Sakke),
            Method::Ticket => Some(&ticket::Ticket),
        }
    }

    /// The method with this C API number.
    pub fn from_number(number: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|method| *method as u32 == number)
    }

    /// True for the methods this version implements.
    pub fn is_implemented(self) -> bool {
        self.exchange().is_some()
    }

    /// True for the methods authenticated by certificates and signatures.
    pub fn uses_certificates(self) -> bool {
        self.exchange().is_some_and(|method| method.credentials() == Credentials::Certificates)
    }

    /// True for the methods keyed by a pre-shared secret (PSK, DH-HMAC's HMAC key, and the
    /// key MIKEY-TICKET's parties share with their KMS).
    pub fn uses_psk(self) -> bool {
        self.exchange()
            .is_some_and(|method| matches!(method.credentials(), Credentials::PreSharedKey | Credentials::TicketParty))
    }

    /// True for the methods whose responder can serve a group (RSA-R, RFC 4738 §3.2).
    pub fn serves_groups(self) -> bool {
        self.exchange().is_some_and(|method| method.serves_groups())
    }
}

/// What a method's own messages are authenticated with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// Nothing (NULL).
    None,
    /// A pre-shared key (PSK, DH-HMAC).
    PreSharedKey,
    /// A certificate chain and its private key (PK, DH-SIGN, RSA-R).
    Certificates,
    /// KMS communities and the keys a KMS issued to our identity (MIKEY-SAKKE).
    IdentityKeys,
    /// A PSK shared with a KMS, or a TPK (MIKEY-TICKET), and our identity.
    TicketParty,
}

impl Credentials {
    /// Checks that `settings` hold these credentials, consistently.
    pub(crate) fn check(self, settings: &Settings) -> Result<()> {
        match self {
            Credentials::None => Ok(()),
            Credentials::PreSharedKey => match &settings.psk {
                None => Err(Error::invalid_argument("this method needs a PSK (set it on the config first)")),
                // minisip's PRF replaces the last 32 bytes of a key by an empty one: a 32-byte
                // PSK would key nothing, and anyone could compute the MAC keys.
                Some(psk) if psk.len() == 32 && settings.interop.has(InteropFlags::MINISIP_PRF) => {
                    Err(Error::invalid_argument("minisip's PRF ignores a 32-byte PSK entirely: use another length"))
                }
                Some(_) => Ok(()),
            },
            Credentials::Certificates => {
                let (Some(key), Some(end_entity)) = (&settings.private_key, settings.certificate_chain.first()) else {
                    return Err(Error::invalid_argument("this method needs a certificate chain and its private key"));
                };
                if end_entity.public_key()? != *key.public_key() {
                    return Err(Error::invalid_argument(
                        "the private key does not belong to the end-entity certificate",
                    ));
                }
                Ok(())
            }
            Credentials::IdentityKeys => match (settings.kms_communities.is_empty(), settings.user_key_sets.is_empty())
            {
                (false, false) => Ok(()),
                _ => Err(Error::invalid_argument("this method needs a KMS community and a user key set of ours")),
            },
            Credentials::TicketParty => {
                let ticket = &settings.ticket;
                if settings.own_id.is_none() {
                    return Err(Error::invalid_argument("MIKEY-TICKET needs our identity (set the identities first)"));
                }
                // With the KMS: a PSK shared with it, or our certificate and its pinned one.
                let kms_credentials = settings.psk.is_some()
                    || (settings.peer_certificate.is_some() && Credentials::Certificates.check(settings).is_ok());
                match (kms_credentials, &ticket.kms_id, ticket.tpks.is_empty()) {
                    (true, Some(_), _) | (false, _, false) => Ok(()),
                    (true, None, _) => Err(Error::invalid_argument("MIKEY-TICKET with a KMS needs the KMS's identity")),
                    _ => Err(Error::invalid_argument(
                        "MIKEY-TICKET needs a PSK shared with a KMS or a certificate (with the KMS's pinned), \
                         and the KMS's identity; or a TPK",
                    )),
                }
            }
        }
    }
}

/// The phases of one key-management method. Implementations are stateless: what a phase needs
/// comes in its context, and what it leaves for later goes out in its result.
pub(crate) trait KeyManagement: fmt::Debug + Sync {
    /// What the method's messages are authenticated with (checked when a session is made).
    fn credentials(&self) -> Credentials;

    /// True when authenticating an I_MESSAGE costs public-key or Diffie-Hellman work. The
    /// session then consults the replay cache before authenticating, so a replay costs none of
    /// it (§5.4); elsewhere recording the message decides, at the same cost. By default true,
    /// the choice that is always safe; a method whose authentication is one MAC may say false.
    fn consults_replay_cache_first(&self) -> bool {
        true
    }

    /// True when an initiator's answer carries the initiator's T back (RFC 3830 §5.2), which
    /// the session then checks; a method whose answer carries a fresh T says false.
    fn response_echoes_timestamp(&self) -> bool {
        true
    }

    /// True when the responder may update an established CSB too, and the initiator answers it
    /// (MIKEY-TICKET, RFC 6043 §5.2); by default only initiators send I_MESSAGEs.
    fn updates_from_either_end(&self) -> bool {
        false
    }

    /// True when a responder can act as a group key server (RSA-R, RFC 4738 §3.2).
    fn serves_groups(&self) -> bool {
        false
    }

    /// True when the method keys MCPTT users (MIKEY-SAKKE): an initiator sends the key and to
    /// the user the session names, and a responder may name the initiator SIP told it about.
    fn keys_mcptt_users(&self) -> bool {
        false
    }

    /// The data type of the initiator's message that sets up a CSB or, given `update`, updates
    /// that established CSB (§4.5).
    fn request_type(&self, update: Option<&Bundle>) -> DataType;

    /// True when a responder takes an I_MESSAGE of `data_type` for `update` (by default, the
    /// data type an initiator of this method sends).
    fn takes(&self, data_type: DataType, update: Option<&Bundle>) -> bool {
        data_type == self.request_type(update)
    }

    /// True when the initiator asks for an answer (the V flag): the R_MESSAGE that brings the
    /// keys, or a verification message when `settings` ask for one. By default true, for the
    /// methods whose keys need the responder's part (DH; RSA-R, whose V flag the responder
    /// ignores, RFC 4738 §6.1); a method that sends the keys
    /// in its I_MESSAGE asks for an answer only as `settings` say.
    fn awaits_response(&self, _settings: &Settings) -> bool {
        true
    }

    /// Initiator: builds the I_MESSAGE.
    fn offer(&self, cx: &Offering<'_>) -> Result<Offer>;

    /// Responder: authenticates an I_MESSAGE, and makes or takes the CSB's keys and the
    /// R_MESSAGE, if any.
    fn answer(&self, cx: &Answering<'_>, received: &Received<'_>) -> Result<Answer>;

    /// Initiator: checks the R_MESSAGE answering `cx.sent`. Returns the CSB its keys establish,
    /// or `None` when the keys were already set by the offer (a verification message).
    fn complete(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<Option<Bundle>>;

    /// Responder, before [`KeyManagement::answer`]: whether the I_MESSAGE needs the KMS first
    /// (MIKEY-TICKET's Ticket Resolve, RFC 6043 §4.2.3). `Some`: the message for the KMS, and
    /// what [`KeyManagement::resume_answer`] takes up. By default no method needs one.
    fn consult_kms(&self, _cx: &Answering<'_>, _received: &Received<'_>) -> Result<Option<KmsConsultation>> {
        Ok(None)
    }

    /// Responder waiting for the KMS: answers the I_MESSAGE of `pending` with the KMS's answer.
    fn resume_answer(&self, _cx: &Answering<'_>, _pending: &Pending, _received: &Received<'_>) -> Result<Answer> {
        Err(Error::new(ErrorKind::State, "this method does not consult a KMS"))
    }

    /// Initiator waiting for the KMS (an offer whose pending state goes to the KMS): takes its
    /// answer, the ticket for the next offer (MIKEY-TICKET's Ticket Request, RFC 6043 §4.2.1).
    fn take_ticket(&self, _cx: &Completing<'_>, _received: &Received<'_>) -> Result<Arc<HeldTicket>> {
        Err(Error::new(ErrorKind::State, "this method does not consult a KMS"))
    }

    /// Initiator: checks that an error message answering `cx.sent` comes from the peer, by a V
    /// MAC under the exchange's key or the peer's signature (§5.1.2). Only such a message ends
    /// the exchange; by default a method has no way to authenticate one.
    fn authenticate_error(&self, _cx: &Completing<'_>, _received: &Received<'_>) -> Result<()> {
        Err(Error::new(ErrorKind::AuthFailed, "this method cannot authenticate an error message"))
    }

    /// The error message code a responder answers an undecodable message with, given the data
    /// type its header starts with (RSA-R: 13, RFC 4738 §3.5); `None` for silence.
    fn unparseable_reply(&self, _data_type: DataType) -> Option<MikeyErrorCode> {
        None
    }
}

/// A received message: its bytes (without an accepted padding byte) and its decoding.
#[derive(Clone, Copy)]
pub(crate) struct Received<'m> {
    /// The message bytes MACs and signatures cover.
    pub(crate) bytes: &'m [u8],
    /// The decoded message.
    pub(crate) message: &'m Message<'m>,
}

/// What an initiator's offer starts from: the session's choices for the I_MESSAGE.
pub(crate) struct Offering<'s> {
    pub(crate) settings: &'s Settings,
    /// True when we are the CSB's initiator; false for a responder updating its CSB.
    pub(crate) we_initiated: bool,
    /// From [`KeyManagement::request_type`].
    pub(crate) request_type: DataType,
    /// From [`KeyManagement::awaits_response`]: the V flag.
    pub(crate) awaits_response: bool,
    pub(crate) csb_id: u32,
    /// The CSB's RAND: new, or the established one's for an update (which does not send it).
    pub(crate) rand: &'s RandBytes,
    pub(crate) timestamp: Timestamp,
    /// The SRTP policy we offer, its MKI length included.
    pub(crate) policy: SrtpPolicy,
    /// The MKI of the key we send (empty without MKI).
    pub(crate) mki: &'s [u8],
    /// Our streams, in CS ID order.
    pub(crate) streams: &'s Streams,
    /// The established CSB this message updates, if any.
    pub(crate) update: Option<&'s Bundle>,
    /// MIKEY-SAKKE: the key to send.
    pub(crate) mcptt_key: Option<&'s McpttKey>,
    /// MIKEY-SAKKE: the user to send it to.
    pub(crate) mcptt_peer: Option<&'s McpttPeer>,
    /// MIKEY-TICKET: the ticket the KMS gave us, if any.
    pub(crate) held_ticket: Option<&'s HeldTicket>,
}

impl Offering<'_> {
    /// HDR, T and, unless this is an update (§4.5), RAND: how every I_MESSAGE starts.
    pub(crate) fn start_message(&self) -> Message<'_> {
        let header = CommonHeader {
            data_type: self.request_type,
            verification_requested: self.awaits_response,
            prf_function: 0,
            csb_id: self.csb_id,
            cs_id_map: srtp_id_map(self.streams.iter().copied()),
        };
        let mut payloads = vec![Payload::Timestamp(self.timestamp)];
        if self.update.is_none() {
            payloads.push(Payload::Rand(self.rand.as_slice().into()));
        }
        Message { header, payloads }
    }

    /// The SP payload of our offer.
    pub(crate) fn policy_payload(&self) -> Result<Payload<'static>> {
        self.settings.policy_payload(OFFERED_POLICY_NO, &self.policy)
    }

    /// The Key data sub-payload that sends `keys` with our MKI (§6.13, §6.14).
    pub(crate) fn key_data<'k>(&'k self, keys: &'k KeyMaterial) -> KeyData<'k> {
        let concatenate_tek_salt = self.settings.interop.has(InteropFlags::TEK_WITH_CONCATENATED_SALT);
        keys.key_data(key_validity(self.mki), concatenate_tek_salt)
    }

    /// What the KEMAC keys of our I_MESSAGE derive from (§4.1.4).
    pub(crate) fn exchange_context(&self) -> ExchangeContext<'_> {
        ExchangeContext {
            prf: self.settings.our_prf(),
            csb_id: self.csb_id,
            rand: self.rand,
            timestamp: self.timestamp,
        }
    }

    /// The CSB of our offer to `peer`, keyed by `keys` sent with it.
    pub(crate) fn bundle(&self, keys: KeyMaterial, peer: Peer) -> Result<Bundle> {
        let keying = (self.rand.clone(), keys, self.mki.to_vec());
        let prf = self.settings.our_prf();
        Bundle::with_offered_policy(self.csb_id, prf, keying, self.streams.clone(), self.policy, peer)
    }
}

/// An initiator's message, and what the session keeps of it.
pub(crate) struct Offer {
    /// The I_MESSAGE.
    pub(crate) bytes: Vec<u8>,
    /// The CSB, when the I_MESSAGE carries its keys.
    pub(crate) bundle: Option<Bundle>,
    /// What checks the answer.
    pub(crate) pending: Pending,
}

/// What an initiator keeps to check the R_MESSAGE with; shared by the forks of a session.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    /// The keys went with the I_MESSAGE; a verification message would confirm them (§5.2).
    Verification(Arc<VerificationKey>),
    /// The keys come with the responder's DH value (DH-SIGN, DH-HMAC).
    DhValue(Arc<DhOffer>),
    /// The keys come in the responder's envelope (RSA-R).
    Envelope(Arc<RsaROffer>),
    /// No answer comes (MIKEY-SAKKE, RFC 6509 §2.2.1).
    NoAnswer,
    /// MIKEY-TICKET: a Ticket Request, Transfer or Resolve waiting for its answer.
    Ticket(Arc<TicketPending>),
}

impl Pending {
    /// True when the message sent goes to the KMS, whose answer comes before the exchange's
    /// (MIKEY-TICKET's Ticket Request and Resolve).
    pub(crate) fn waits_for_kms(&self) -> bool {
        matches!(self, Pending::Ticket(pending) if pending.waits_for_kms())
    }
}

/// A responder's I_MESSAGE that needs the KMS first: the message for the KMS, and what takes
/// the answer up again.
pub(crate) struct KmsConsultation {
    pub(crate) request: Vec<u8>,
    pub(crate) pending: Pending,
}

/// The message an initiator sent and waits to have answered.
#[derive(Clone, Debug)]
pub(crate) struct Sent {
    /// The data type sent, which fixes the one that answers it.
    pub(crate) request_type: DataType,
    pub(crate) csb_id: u32,
    pub(crate) timestamp: Timestamp,
    pub(crate) pending: Pending,
}

/// What a responder's answer starts from.
pub(crate) struct Answering<'s> {
    pub(crate) settings: &'s Settings,
    /// True when we are the CSB's initiator, taking our responder's update; false for a
    /// responder.
    pub(crate) we_initiated: bool,
    /// The established CSB this I_MESSAGE updates, if any.
    pub(crate) update: Option<&'s Bundle>,
    /// The PRF the I_MESSAGE names.
    pub(crate) prf: PrfFunction,
    /// The I_MESSAGE's timestamp.
    pub(crate) timestamp: Timestamp,
    /// The number of the next key we send (RSA-R), for its MKI.
    pub(crate) next_mki: u32,
    /// Our own sending streams, which fill the I_MESSAGE's SSRC placeholders (§6.1.1).
    pub(crate) own_streams: &'s Streams,
    /// MIKEY-SAKKE: the initiator as SIP named it, to be confirmed (TS 33.180 5.2.6).
    pub(crate) mcptt_peer: Option<&'s McpttPeer>,
}

/// A responder's verdict on an accepted I_MESSAGE.
pub(crate) struct Answer {
    /// The CSB the I_MESSAGE establishes or updates.
    pub(crate) bundle: Bundle,
    /// The R_MESSAGE to send, if any.
    pub(crate) response: Option<Vec<u8>>,
    /// True when the responder sent a key of its own, numbered by `next_mki`.
    pub(crate) sent_key: bool,
}

/// What an initiator's completion starts from.
pub(crate) struct Completing<'s> {
    pub(crate) settings: &'s Settings,
    /// The I_MESSAGE being answered.
    pub(crate) sent: &'s Sent,
    /// Our streams, in CS ID order.
    pub(crate) streams: &'s Streams,
}

impl Completing<'_> {
    /// What the KEMAC keys of an R_MESSAGE for CSB `csb_id` derive from (§4.1.4).
    pub(crate) fn exchange_context<'a>(&self, csb_id: u32, rand: &'a [u8]) -> ExchangeContext<'a> {
        ExchangeContext { prf: self.settings.our_prf(), csb_id, rand, timestamp: self.sent.timestamp }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_numbers_and_implements_every_method_once() {
        for method in Method::ALL {
            assert_eq!(Method::from_number(method as u32), Some(method));
            assert_eq!(method.is_implemented(), method.exchange().is_some(), "{method:?}");
        }
        assert_eq!(Method::from_number(8), None);
        assert!(Method::ALL.into_iter().all(Method::is_implemented));
    }

    #[test]
    fn every_method_takes_what_its_initiator_sends_and_has_an_answer_to_it() {
        for method in Method::ALL.into_iter().filter_map(Method::exchange) {
            let request_type = method.request_type(None);
            assert!(method.takes(request_type, None), "{method:?}");
            // MIKEY-SAKKE alone has no answer (RFC 6509 §2.2.1).
            assert_eq!(request_type.answered_by().is_some(), request_type != DataType::SakkeInit, "{method:?}");
            assert!(!method.takes(DataType::Error, None), "{method:?}");
        }
    }

    #[test]
    fn the_credentials_each_method_needs() {
        let with = |credentials| -> Vec<Method> {
            let needs = |method: &Method| method.exchange().is_some_and(|m| m.credentials() == credentials);
            Method::ALL.into_iter().filter(needs).collect()
        };
        assert_eq!(with(Credentials::PreSharedKey), [Method::Psk, Method::DhHmac]);
        assert_eq!(with(Credentials::Certificates), [Method::Pk, Method::DhSign, Method::RsaR]);
        assert_eq!(with(Credentials::None), [Method::Null]);
        assert_eq!(with(Credentials::IdentityKeys), [Method::Sakke]);
        assert_eq!(with(Credentials::TicketParty), [Method::Ticket]);
        assert!(Method::ALL.into_iter().filter(|method| method.serves_groups()).eq([Method::RsaR]));
    }
}
