//! The two exchanges with the KMS, both ends (RFC 6043 §4.2.1, §4.2.3), in their pre-shared key
//! form: the initiator's Ticket Request and the responder's Ticket Resolve. They have one shape:
//!
//! ```text
//! REQUEST_INIT_PSK = HDR, T, RANDRi, [IDRi], [IDRkms], TP, [IDRpsk], V
//! REQUEST_INIT_PK  = HDR, T, RANDRi, [IDRi], {CERTi}, [IDRkms], TP, [CHASH], PKE, SIGNi
//! RESOLVE_INIT_PSK = HDR, T, RANDRr, [IDRr], [IDRkms], TICKET, [IDRpsk], V
//! RESOLVE_INIT_PK  = HDR, T, RANDRr, [IDRr], {CERTr}, [IDRkms], TICKET, [CHASH], PKE, SIGNr
//! REQUEST_RESP     = HDR, T, [IDRkms], TICKET, KEMAC, V
//! RESOLVE_RESP     = HDR, T, [IDRkms], KEMAC, [IDRr], [RANDRkms], V
//! ```
//!
//! The initial message has V = 1, #CS = 0 and the empty map (§4.2.1.1, §4.2.3.1). In the PSK
//! form its MAC is keyed from the client's PSK; in the public-key form it carries an envelope key
//! encrypted to the KMS's certificate (PKE) and is signed with the client's; either covers the
//! message followed by the client's and the KMS's identities. The response copies the header but
//! V = 0, carries a fresh T, and its MAC, keyed from the PSK or the envelope key, covers it
//! followed by the initial message (Table 5.2). Its KEMAC's keys are those of responses (§5.1.2).
//!
//! This library always names both parties (IDRi or IDRr, and IDRkms), so the identities the
//! MACs cover are the ones on the wire.

use super::protection::{MessageProtection, Trailer};
use crate::crypto::rsa::{RsaPrivateKey, RsaPublicKey, SignatureScheme};
use crate::crypto::ticket_kdf::MessageDirection;
use crate::crypto::x509::Certificate;
use crate::crypto::{PrfFunction, RandomSource};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::exchange::signed::{
    authenticate_signed_with, certificate_payloads, seal_signed_with, PeerTrust, SignedExtra,
};
use crate::replay::single_timestamp;
use crate::secret::SecretBytes;
use crate::wire::registry::envelope_cache;
use crate::wire::registry::{id_role, id_type, rand_role};
use crate::wire::{
    CommonHeader, CsIdMap, DataType, ErrorPayload, IdrPayload, KeyDataList, Message, Payload, Pke, RandWithRole,
    Ticket, Timestamp,
};

/// Which exchange with the KMS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KmsExchange {
    /// Ticket Request (§4.2.1): the initiator asks for a ticket and its keys.
    Request,
    /// Ticket Resolve (§4.2.3): the responder asks for the keys a ticket holds.
    Resolve,
}

/// How a client authenticates to the KMS (§4.2.1.2, §4.2.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientForm {
    /// A MAC keyed from the PSK it shares with the KMS.
    PreSharedKey,
    /// Its certificate's signature, with an envelope key for the KMS's certificate.
    PublicKey,
}

impl KmsExchange {
    /// The exchange a KMS's incoming message starts, and its form, by its data type.
    pub(crate) fn started_by(data_type: DataType) -> Result<(Self, ClientForm)> {
        match data_type {
            DataType::TicketRequestInitPsk => Ok((KmsExchange::Request, ClientForm::PreSharedKey)),
            DataType::TicketRequestInitPk => Ok((KmsExchange::Request, ClientForm::PublicKey)),
            DataType::TicketResolveInitPsk => Ok((KmsExchange::Resolve, ClientForm::PreSharedKey)),
            DataType::TicketResolveInitPk => Ok((KmsExchange::Resolve, ClientForm::PublicKey)),
            other => Err(Error::unsupported(format!("a KMS takes REQUEST_INIT and RESOLVE_INIT, not {other:?}"))
                .with_peer_code(MikeyErrorCode::InvalidDataType)),
        }
    }

    fn init_type(self, form: ClientForm) -> DataType {
        match (self, form) {
            (KmsExchange::Request, ClientForm::PreSharedKey) => DataType::TicketRequestInitPsk,
            (KmsExchange::Request, ClientForm::PublicKey) => DataType::TicketRequestInitPk,
            (KmsExchange::Resolve, ClientForm::PreSharedKey) => DataType::TicketResolveInitPsk,
            (KmsExchange::Resolve, ClientForm::PublicKey) => DataType::TicketResolveInitPk,
        }
    }

    fn response_type(self) -> DataType {
        match self {
            KmsExchange::Request => DataType::TicketRequestResponse,
            KmsExchange::Resolve => DataType::TicketResolveResponse,
        }
    }

    /// The client's role in ID and RAND payloads: the initiator, or the responder (the two
    /// registries give them the same numbers).
    fn client_role(self) -> u8 {
        match self {
            KmsExchange::Request => id_role::INITIATOR,
            KmsExchange::Resolve => id_role::RESPONDER,
        }
    }

    /// (RANDRi, RANDRr) for the message keys: the client's RAND in its own place (§5.1.2).
    fn rands(self, rand: &[u8]) -> (&[u8], &[u8]) {
        match self {
            KmsExchange::Request => (rand, &[]),
            KmsExchange::Resolve => (&[], rand),
        }
    }

    /// The keys of the exchange's messages in `direction`, from the client's PSK.
    fn protection(
        self,
        prf: PrfFunction,
        psk: &[u8],
        csb_id: u32,
        direction: MessageDirection,
        rand: &[u8],
    ) -> Result<MessageProtection> {
        let (randri, randrr) = self.rands(rand);
        MessageProtection::new(prf, psk, csb_id, direction, randri, randrr)
    }
}

/// Length of the envelope keys of the public-key form (RFC 6043 leaves it open): 256 bits, for
/// the PRF-HMAC-SHA-256 keys it derives (§5.1.2).
pub(crate) const CLIENT_ENVELOPE_KEY_LEN: usize = 32;

fn idr(role: u8, data: &[u8]) -> Payload<'static> {
    Payload::IdWithRole(IdrPayload { role, id_type: id_type::BYTE_STRING, data: data.to_vec().into() })
}

/// The one IDR payload of `role` in `message`; two are refused.
fn only_idr<'m>(message: &'m Message<'_>, role: u8) -> Result<Option<&'m [u8]>> {
    let mut found = message.payloads.iter().filter_map(Payload::as_id_with_role).filter(|id| id.role == role);
    let first = found.next().map(|id| id.data.as_ref());
    if found.next().is_some() {
        return Err(Error::malformed(format!("two IDR payloads of role {role}")));
    }
    Ok(first)
}

/// A client of the KMS: in the PSK form with the PSK it shares with it, in the public-key form
/// with an envelope key for this exchange and its certificate.
pub(crate) struct KmsClient<'a> {
    pub(crate) exchange: KmsExchange,
    /// The PRF func of our headers.
    pub(crate) prf_function: u8,
    /// What keys the exchange's MACs and KEMAC: the PSK, or the envelope key.
    pub(crate) psk: &'a [u8],
    /// The IDRpsk that names our PSK to the KMS, if it needs one.
    pub(crate) psk_id: Option<&'a [u8]>,
    /// The public-key form: how we sign, and the KMS's key the envelope key goes to.
    pub(crate) signer: Option<ClientSigner<'a>>,
    /// Our identity (IDRi or IDRr).
    pub(crate) identity: &'a [u8],
    /// The KMS's identity (IDRkms).
    pub(crate) kms: &'a [u8],
}

/// A client's certificate chain and key, and the KMS's public key (its certificate's), for the
/// public-key form (§4.2.1.3, §4.2.3.3).
pub(crate) struct ClientSigner<'a> {
    pub(crate) chain: &'a [Certificate],
    pub(crate) key: &'a RsaPrivateKey,
    pub(crate) scheme: SignatureScheme,
    pub(crate) kms_key: RsaPublicKey,
    pub(crate) rng: &'a dyn RandomSource,
}

/// What the KMS answered: the ticket (Request), the keys of its KEMAC (zeroized on drop), and
/// the modifier of a forked resolution (Resolve: IDRr and RANDRkms).
pub(crate) struct KmsAnswer {
    pub(crate) ticket: Option<Ticket<'static>>,
    pub(crate) key_data: SecretBytes,
    pub(crate) responder: Option<Vec<u8>>,
    pub(crate) randr_kms: Option<Vec<u8>>,
}

impl KmsClient<'_> {
    fn prf(&self) -> Result<PrfFunction> {
        PrfFunction::from_code(self.prf_function)
            .ok_or_else(|| Error::invalid_argument(format!("PRF func {}", self.prf_function)))
    }

    /// REQUEST_INIT_PSK carrying the desired policy `subject` (a TP payload), or
    /// RESOLVE_INIT_PSK carrying the ticket to resolve (a TICKET payload).
    pub(crate) fn init_message(
        &self,
        csb_id: u32,
        timestamp: Timestamp,
        rand: &[u8],
        subject: Payload<'_>,
    ) -> Result<Vec<u8>> {
        let role = self.exchange.client_role();
        let form = if self.signer.is_some() { ClientForm::PublicKey } else { ClientForm::PreSharedKey };
        let header = CommonHeader {
            data_type: self.exchange.init_type(form),
            verification_requested: true,
            prf_function: self.prf_function,
            csb_id,
            cs_id_map: CsIdMap::Empty { cs_count: 0 },
        };
        let mut payloads = vec![
            Payload::Timestamp(timestamp),
            Payload::RandWithRole(RandWithRole { role, rand: rand.into() }),
            idr(role, self.identity),
        ];
        let Some(signer) = &self.signer else {
            payloads.extend([idr(id_role::KMS, self.kms), subject]);
            payloads.extend(self.psk_id.map(|id| idr(id_role::PSK, id)));
            let protection =
                self.exchange.protection(self.prf()?, self.psk, csb_id, MessageDirection::Initial, rand)?;
            return protection.seal(Message { header, payloads }, Trailer::Identities(self.identity, self.kms));
        };
        payloads.extend(certificate_payloads(signer.chain));
        payloads.extend([idr(id_role::KMS, self.kms), subject]);
        let envelope = signer.kms_key.encrypt_pkcs1v15(self.psk, signer.rng)?;
        payloads.push(Payload::Pke(Pke { cache: envelope_cache::NO_CACHE, data: envelope.into() }));
        let suffix = [self.identity, self.kms];
        let extra = SignedExtra { without_sign_header: false, suffix: &suffix };
        seal_signed_with(Message { header, payloads }, signer.key, signer.scheme, &extra)
    }

    /// Checks the KMS's answer to `init` (sent with `rand`) and opens its KEMAC. An error
    /// message MACed with our keys is reported as the KMS's error (§5.4); any other failure
    /// leaves nothing behind.
    pub(crate) fn take_response(&self, init: &[u8], bytes: &[u8]) -> Result<KmsAnswer> {
        let sent = Message::decode(init)?;
        let rand = client_rand(&sent, self.exchange)?;
        let message = Message::decode(bytes)?;
        let header = &message.header;
        if header.csb_id != sent.header.csb_id || header.prf_function != sent.header.prf_function {
            return Err(Error::new(ErrorKind::State, "the KMS's answer is for another CSB or PRF"));
        }
        let prf = self.prf()?;
        if header.data_type == DataType::Error {
            let initial = self.exchange.protection(prf, self.psk, header.csb_id, MessageDirection::Initial, rand)?;
            return Err(authenticated_error(&initial, bytes, &message));
        }
        if header.data_type != self.exchange.response_type() {
            return Err(Error::unsupported(format!(
                "{:?} does not answer our {:?}",
                header.data_type, sent.header.data_type
            )));
        }
        if only_idr(&message, id_role::KMS)?.is_some_and(|kms| kms != self.kms) {
            return Err(Error::new(ErrorKind::AuthFailed, "the answer names another KMS"));
        }
        let response = self.exchange.protection(prf, self.psk, header.csb_id, MessageDirection::Response, rand)?;
        response.verify(bytes, &message, Trailer::InitialMessage(init))?;
        let timestamp = single_timestamp(&message)?;
        let kemac = single(&message, Payload::as_kemac, "KEMAC")?;
        let key_data = response.open_kemac(kemac, &timestamp)?;
        let ticket = message.find(Payload::as_ticket).map(owned_ticket);
        if (self.exchange == KmsExchange::Request) != ticket.is_some() {
            return Err(Error::malformed("REQUEST_RESP, and it alone, carries the TICKET (RFC 6043 §4.2.1)"));
        }
        let randr_kms =
            message.payloads.iter().filter_map(Payload::as_rand_with_role).find(|r| r.role == rand_role::KMS);
        Ok(KmsAnswer {
            ticket,
            key_data,
            responder: only_idr(&message, id_role::RESPONDER)?.map(<[u8]>::to_vec),
            randr_kms: randr_kms.map(|randr| randr.rand.to_vec()),
        })
    }
}

/// The one payload `pick` finds in `message`; none or two are refused.
pub(crate) fn single<'m, 'a, T: 'm>(
    message: &'m Message<'a>,
    pick: impl Fn(&'m Payload<'a>) -> Option<&'m T> + Copy,
    what: &str,
) -> Result<&'m T> {
    match message.count(pick) {
        1 => message.find(pick).ok_or_else(|| Error::malformed(format!("no {what} payload"))),
        0 => Err(Error::malformed(format!("no {what} payload"))),
        _ => Err(Error::malformed(format!("two {what} payloads"))),
    }
}

/// The client's RAND in its initial message: RANDRi in a Request, RANDRr in a Resolve.
fn client_rand<'m>(message: &'m Message<'_>, exchange: KmsExchange) -> Result<&'m [u8]> {
    let role = exchange.client_role();
    let mut rands = message.payloads.iter().filter_map(Payload::as_rand_with_role).filter(|randr| randr.role == role);
    match (rands.next(), rands.next()) {
        (Some(randr), None) => Ok(&randr.rand),
        (None, _) => Err(Error::malformed(format!("no RANDR payload of role {role} (RFC 6043 §4.2.1.1, §4.2.3.1)"))),
        (Some(_), Some(_)) => Err(Error::malformed("two RANDR payloads of one role")),
    }
}

fn owned_ticket(ticket: &Ticket<'_>) -> Ticket<'static> {
    Ticket {
        policy: crate::wire::TicketPolicy { tp_data: ticket.policy.tp_data.to_vec().into(), ..ticket.policy.clone() },
        ticket_data: ticket.ticket_data.to_vec().into(),
        initiator_data: ticket.initiator_data.to_vec().into(),
    }
}

/// An error message from the KMS (§5.4): its codes, reported as the peer's error (`PeerError`)
/// when its V verifies under the initial message's keys, else as an authentication failure.
fn authenticated_error(initial: &MessageProtection, bytes: &[u8], message: &Message<'_>) -> Error {
    let codes: Vec<String> = message
        .payloads
        .iter()
        .filter_map(Payload::as_error)
        .take(4)
        .map(|error| format!("{:?}", MikeyErrorCode::from_u8(error.code)))
        .collect();
    // Only an authenticated refusal ends the exchange; anyone can send the other kind. The
    // refusal carries the KMS's first code, which a responder passes on to the initiator.
    let first_code = message
        .find(Payload::as_error)
        .map_or(MikeyErrorCode::Unspecified, |error| MikeyErrorCode::from_u8(error.code));
    match initial.verify(bytes, message, Trailer::Nothing) {
        Ok(()) => Error::new(ErrorKind::PeerError, format!("the KMS refused: {}", codes.join(", ")))
            .with_peer_code(first_code),
        Err(_) => {
            Error::new(ErrorKind::AuthFailed, format!("unauthenticated error message (ignored): {}", codes.join(", ")))
        }
    }
}

/// A client's initial message as the KMS reads it, before authentication.
pub(crate) struct ClientInit<'m> {
    pub(crate) exchange: KmsExchange,
    pub(crate) form: ClientForm,
    pub(crate) prf: PrfFunction,
    pub(crate) timestamp: Timestamp,
    /// The client's identity (IDRi or IDRr), which this KMS requires.
    pub(crate) client: &'m [u8],
    /// The IDRpsk, if the client named its PSK.
    pub(crate) psk_id: Option<&'m [u8]>,
    rand: &'m [u8],
    kms_named: Option<&'m [u8]>,
}

impl<'m> ClientInit<'m> {
    /// Reads REQUEST_INIT_PSK or RESOLVE_INIT_PSK: its parts, and that it is shaped as
    /// §4.2.1.1 and §4.2.3.1 say (one T, the client's RANDR, #CS = 0 with the empty map).
    pub(crate) fn read(message: &'m Message<'_>) -> Result<Self> {
        let header = &message.header;
        let (exchange, form) = KmsExchange::started_by(header.data_type)?;
        if header.cs_id_map != (CsIdMap::Empty { cs_count: 0 }) {
            return Err(Error::malformed("a message to the KMS has #CS = 0 and the empty map (RFC 6043 §4.2.1.1)"));
        }
        let prf = PrfFunction::from_code(header.prf_function).ok_or_else(|| {
            Error::unsupported(format!("PRF func {}", header.prf_function)).with_peer_code(MikeyErrorCode::InvalidPrf)
        })?;
        let client = only_idr(message, exchange.client_role())?.ok_or_else(|| {
            Error::new(ErrorKind::AuthFailed, "this KMS needs the client to name itself (IDRi or IDRr)")
                .with_peer_code(MikeyErrorCode::InvalidId)
        })?;
        Ok(ClientInit {
            exchange,
            form,
            prf,
            timestamp: single_timestamp(message)?,
            client,
            psk_id: only_idr(message, id_role::PSK)?,
            rand: client_rand(message, exchange)?,
            kms_named: only_idr(message, id_role::KMS)?,
        })
    }

    /// The PSK form: checks that the message is for the KMS `kms` and that its V verifies under
    /// `psk`.
    pub(crate) fn authenticate(&self, bytes: &[u8], message: &Message<'_>, kms: &[u8], psk: &[u8]) -> Result<()> {
        self.check_kms(kms)?;
        let initial = self.protection(psk, message.header.csb_id, MessageDirection::Initial)?;
        initial.verify(bytes, message, Trailer::Identities(self.client, kms))
    }

    /// The public-key form: checks that the message is for the KMS `kms`, signed by a certificate
    /// under `trust` that names the client (its IDRi or IDRr), and opens its envelope key with
    /// our `key`: the key of the exchange's answer. A PKE that does not open gives a stand-in key
    /// of the same length with the same work (`RsaPrivateKey::open_envelope_key`); the signature
    /// is checked first, so that only a signed request reaches it.
    pub(crate) fn authenticate_signed(
        &self,
        bytes: &[u8],
        message: &Message<'_>,
        kms: &[u8],
        (key, trust): (&RsaPrivateKey, &PeerTrust<'_>),
    ) -> Result<SecretBytes> {
        self.check_kms(kms)?;
        let suffix = [self.client, kms];
        let extra = SignedExtra { without_sign_header: false, suffix: &suffix };
        authenticate_signed_with(bytes, message, trust, &extra)?;
        let envelope = single(message, Payload::as_pke, "PKE")?;
        key.open_envelope_key(&envelope.data, CLIENT_ENVELOPE_KEY_LEN)
    }

    fn check_kms(&self, kms: &[u8]) -> Result<()> {
        if self.kms_named.is_some_and(|named| named != kms) {
            return Err(Error::new(ErrorKind::AuthFailed, "the message is for another KMS")
                .with_peer_code(MikeyErrorCode::InvalidId));
        }
        Ok(())
    }

    fn protection(&self, psk: &[u8], csb_id: u32, direction: MessageDirection) -> Result<MessageProtection> {
        self.exchange.protection(self.prf, psk, csb_id, direction, self.rand)
    }

    /// The KMS's answer to the authenticated `init` (decoded as `message`), keyed by the
    /// client's `psk`: HDR as the client's but V = 0, `reply.timestamp`, our identity, the
    /// ticket (Request), the KEMAC, and the modifier of a forked resolution.
    pub(crate) fn response(
        &self,
        init: &[u8],
        message: &Message<'_>,
        psk: &[u8],
        kms: &[u8],
        reply: KmsReply<'_>,
    ) -> Result<Vec<u8>> {
        let csb_id = message.header.csb_id;
        let header = CommonHeader {
            data_type: self.exchange.response_type(),
            verification_requested: false,
            ..message.header.clone()
        };
        let response = self.protection(psk, csb_id, MessageDirection::Response)?;
        let mut payloads = vec![Payload::Timestamp(reply.timestamp), idr(id_role::KMS, kms)];
        payloads.extend(reply.ticket.map(Payload::Ticket));
        payloads.push(Payload::Kemac(response.seal_kemac(&reply.key_data, &reply.timestamp)?));
        if let Some((responder, randr_kms)) = reply.modifier {
            payloads.push(idr(id_role::RESPONDER, responder));
            payloads.push(Payload::RandWithRole(RandWithRole { role: rand_role::KMS, rand: randr_kms.into() }));
        }
        response.seal(Message { header, payloads }, Trailer::InitialMessage(init))
    }

    /// The error message answering the authenticated `message` (§5.4): HDR, T, ERR, V, MACed
    /// with the initial message's keys and covering itself alone.
    pub(crate) fn error_message(
        &self,
        message: &Message<'_>,
        psk: &[u8],
        timestamp: Timestamp,
        code: MikeyErrorCode,
    ) -> Result<Vec<u8>> {
        let header = CommonHeader {
            data_type: DataType::Error,
            verification_requested: false,
            cs_id_map: CsIdMap::Empty { cs_count: 0 },
            ..message.header.clone()
        };
        let payloads = vec![Payload::Timestamp(timestamp), Payload::Error(ErrorPayload { code: code as u8 })];
        let initial = self.protection(psk, message.header.csb_id, MessageDirection::Initial)?;
        initial.seal(Message { header, payloads }, Trailer::Nothing)
    }
}

/// What a KMS answers with.
pub(crate) struct KmsReply<'a> {
    /// A fresh timestamp (§4.2.1.5, §4.2.3.5).
    pub(crate) timestamp: Timestamp,
    /// The ticket granted (Request only).
    pub(crate) ticket: Option<Ticket<'a>>,
    /// MPKi, [MPKr or MPKr'], then the session keys.
    pub(crate) key_data: KeyDataList<'a>,
    /// A forked resolution's modifier: the responder's identity and RANDRkms (§4.2.3.5).
    pub(crate) modifier: Option<(&'a [u8], &'a [u8])>,
}
