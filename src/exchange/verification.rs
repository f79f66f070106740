//! The verification message (RFC 3830 §3.1, §5.2): R_MESSAGE = HDR, T, \[IDr\], V, where the V
//! MAC covers the response up to the MAC field followed by IDi || IDr || T. PSK, NULL and PK
//! initiators ask for it with the V flag; it confirms keys the I_MESSAGE already carried.
//!
//! The V MAC input after the message (§5.2 leaves the ID encoding open): the IDi and IDr data
//! (empty when absent; IDr as carried in the R_MESSAGE, else as in the I_MESSAGE), then the
//! initiator's T as its 64-bit value.

use std::borrow::Cow;

use super::identity::{carried_ids, check_peer_named};
use super::kemac::mac_algorithm_code;
use crate::bundle::Bundle;
use crate::config::{InteropFlags, Settings};
use crate::crypto::MacKey;
use crate::error::{Error, ErrorKind, Result};
use crate::method::{Answering, Completing, Pending, Received};
use crate::wire::registry::id_type;
use crate::wire::{DataType, IdPayload, Message, Payload, Timestamp, Verification};

/// What an initiator keeps to check a verification message: the exchange's MAC key (§4.1.4) and
/// the identities its I_MESSAGE carried.
#[derive(Debug)]
pub(crate) struct VerificationKey {
    pub(crate) auth: MacKey,
    /// IDi as the I_MESSAGE carried it (empty when absent).
    pub(crate) initiator_id: Vec<u8>,
    /// IDr as the I_MESSAGE carried it (empty when absent).
    pub(crate) responder_id: Vec<u8>,
}

/// Responder: the verification message answering an accepted I_MESSAGE that asked for one (the
/// V flag), or `None`, for the CSB it set up. `auth` is the exchange's MAC key; the IDs are those
/// the I_MESSAGE carried.
pub(crate) fn answer(
    cx: &Answering<'_>,
    (received, bundle): (&Received<'_>, &Bundle),
    auth: &MacKey,
    initiator_id: &[u8],
    responder_id: &[u8],
) -> Result<Option<Vec<u8>>> {
    let header = &received.message.header;
    if !header.verification_requested {
        return Ok(None);
    }
    let own_id = cx.settings.own_id.as_deref().map(str::as_bytes);
    let mut payloads = vec![Payload::Timestamp(cx.timestamp)];
    if let Some(id) = own_id {
        payloads.push(Payload::Id(IdPayload { id_type: id_type::URI, data: Cow::Borrowed(id) }));
    }
    let ids = VerificationContext::covered(cx.settings, initiator_id, own_id.unwrap_or(responder_id));
    let data_type = header.data_type.answered_by().unwrap_or(DataType::PskVerification);
    let header = bundle.response_header(header, data_type);
    seal_verification(Message { header, payloads }, auth, &cx.timestamp, &ids).map(Some)
}

/// Initiator: checks the verification message answering our I_MESSAGE, whose keys are already
/// set. A configured peer identity must match any IDr it carries.
pub(crate) fn complete(cx: &Completing<'_>, received: &Received<'_>) -> Result<()> {
    let Pending::Verification(key) = &cx.sent.pending else {
        return Err(Error::new(ErrorKind::State, "no verification message is expected"));
    };
    let carried_responder_id = carried_ids(received.message).first().copied();
    check_peer_named(cx.settings, carried_responder_id.unwrap_or_default(), "IDr")?;
    let responder_id = carried_responder_id.unwrap_or(&key.responder_id);
    let ids = VerificationContext::covered(cx.settings, &key.initiator_id, responder_id);
    open_verification(received.bytes, received.message, &key.auth, &cx.sent.timestamp, &ids)
}

/// The identities that follow a verification message in its MAC input (§5.2).
#[derive(Clone, Copy, Debug)]
pub struct VerificationContext<'a> {
    /// IDi as carried in the I_MESSAGE (empty when absent).
    pub initiator_id: &'a [u8],
    /// IDr as carried (empty when absent).
    pub responder_id: &'a [u8],
}

impl<'a> VerificationContext<'a> {
    /// The identities our V MACs cover: IDi and IDr, or none as minisip's do (its switch).
    fn covered(settings: &Settings, initiator_id: &'a [u8], responder_id: &'a [u8]) -> Self {
        match settings.interop.has(InteropFlags::MINISIP_RESPONSES) {
            true => VerificationContext { initiator_id: &[], responder_id: &[] },
            false => VerificationContext { initiator_id, responder_id },
        }
    }
}

/// The V MAC input after the message: IDi || IDr || T, T being the initiator's 64-bit value.
fn verification_suffix<'a>(ids: &VerificationContext<'a>, timestamp: &'a [u8; 8]) -> [&'a [u8]; 3] {
    [ids.initiator_id, ids.responder_id, timestamp]
}

/// Builds a sealed R_MESSAGE: `message` holds every payload but V, which is appended with the
/// MAC over the message, IDi, IDr and the initiator's `timestamp` (§5.2).
pub fn seal_verification(
    mut message: Message<'_>,
    auth: &MacKey,
    timestamp: &Timestamp,
    ids: &VerificationContext<'_>,
) -> Result<Vec<u8>> {
    let mac_algorithm = auth.algorithm();
    message.payloads.push(Payload::Verification(Verification {
        mac_algorithm: mac_algorithm_code(mac_algorithm),
        mac: vec![0; mac_algorithm.tag_len()].into(),
    }));
    let mut bytes = message.encode()?;
    let covered = bytes.len() - mac_algorithm.tag_len();
    let timestamp = timestamp.as_64_bits();
    let [idi, idr, t] = verification_suffix(ids, &timestamp);
    let tag = auth.sign_parts(&[&bytes[..covered], idi, idr, t]);
    bytes[covered..].copy_from_slice(tag.as_slice());
    Ok(bytes)
}

/// Verifies a received R_MESSAGE's V payload (which must be last) against the exchange's MAC
/// key and the initiator's `timestamp`.
pub fn open_verification(
    bytes: &[u8],
    message: &Message<'_>,
    auth: &MacKey,
    timestamp: &Timestamp,
    ids: &VerificationContext<'_>,
) -> Result<()> {
    let Some(Payload::Verification(verification)) = message.payloads.last() else {
        return Err(Error::malformed("a verification message must end with the V payload (§6.9)"));
    };
    if mac_algorithm_code(auth.algorithm()) != verification.mac_algorithm {
        return Err(Error::new(ErrorKind::AuthFailed, "verification message uses a different MAC algorithm"));
    }
    let covered = bytes.len() - verification.mac.len();
    let timestamp = timestamp.as_64_bits();
    let [idi, idr, t] = verification_suffix(ids, &timestamp);
    auth.verify_parts(&[&bytes[..covered], idi, idr, t], &verification.mac)
}
