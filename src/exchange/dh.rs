//! Diffie-Hellman agreement (RFC 3830 §3.3, RFC 4650 §3): the initiator sends DHi, the
//! responder answers with DHr and echoes DHi, and both take the TGK g^(xi·xr). DH-SIGN and
//! DH-HMAC share all of it and differ only in how their messages are authenticated.
//!
//! I_MESSAGE = HDR, T, RAND, \[IDi|CERTi\], \[IDr\], {SP}, DHi, SIGNi | KEMAC
//! R_MESSAGE = HDR, T, \[IDr|CERTr\], IDi, DHr, DHi, SIGNr | KEMAC
//!
//! The MKI of the TGK travels in DHi's key validity data (§6.4).

use super::accept::{self, LocalKeys, NewKeys};
use super::identity::{
    carried_ids, certificate_holder, check_identity, check_peer_named, check_signer_named, key_holder, uri_payload,
};
use crate::bundle::{key_validity, Bundle, KeyMaterial, RandBytes};
use crate::config::InteropFlags;
use crate::crypto::dh::DhKeyPair;
use crate::crypto::x509::Certificate;
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::method::{Answering, Completing, Offering, Pending, Received};
use crate::srtp::SrtpPolicy;
use crate::wire::{DataType, DhPayload, KeyValidity, Message, Payload};

/// What an initiator keeps until DHr arrives: our key pair, and the CSB's RAND, MKI and policy.
#[derive(Debug)]
pub(crate) struct DhOffer {
    key_pair: DhKeyPair,
    rand: RandBytes,
    mki: Vec<u8>,
    policy: SrtpPolicy,
}

impl DhOffer {
    /// The RAND of the exchange.
    pub(crate) fn rand(&self) -> &[u8] {
        &self.rand
    }
}

/// Initiator: what our I_MESSAGE left to take DHr with.
pub(crate) fn pending_offer<'c>(cx: &Completing<'c>) -> Result<&'c DhOffer> {
    match &cx.sent.pending {
        Pending::DhValue(offer) => Ok(offer),
        _ => Err(Error::new(ErrorKind::State, "no DH exchange is pending")),
    }
}

/// Initiator: DHi in the configured group, with our MKI, and what is kept to take DHr.
pub(crate) fn offer<'a>(cx: &Offering<'a>) -> Result<(DhPayload<'a>, DhOffer)> {
    let group = cx.settings.dh_group;
    cx.settings.check_dh_group(group).map_err(|error| Error::invalid_argument(error.context().to_owned()))?;
    let key_pair = DhKeyPair::generate(group, cx.settings.rng.as_ref())?;
    let dh = DhPayload { group, value: key_pair.public_value().to_vec().into(), validity: key_validity(cx.mki) };
    let kept = DhOffer { key_pair, rand: cx.rand.clone(), mki: cx.mki.to_vec(), policy: cx.policy };
    Ok((dh, kept))
}

/// Responder: the CSB an authenticated DH I_MESSAGE establishes (or updates), and its R_MESSAGE
/// of `response_type`, still to be sealed: HDR, T, `own_identity` (CERTr… or IDr), IDi, DHr,
/// DHi. IDi names the initiator as its I_MESSAGE did (`initiator_id`), else as configured, else
/// as the first identity of `signer`'s certificate.
pub(crate) fn answer<'a>(
    cx: &Answering<'a>,
    received: &Received<'a>,
    rand: &[u8],
    (initiator_id, signer): (&[u8], Option<&Certificate>),
    own_identity: impl Iterator<Item = Payload<'a>>,
    response_type: DataType,
) -> Result<(Bundle, Message<'a>)> {
    let peer = match signer {
        Some(signer) => certificate_holder(cx.settings, signer, initiator_id)?,
        None => key_holder(cx.settings, initiator_id),
    };
    let initiator_id = match (initiator_id, &cx.settings.peer_id, signer) {
        ([], Some(peer_id), _) => peer_id.clone().into_bytes(),
        ([], None, Some(certificate)) => certificate.identities().into_iter().next().unwrap_or_default().into_bytes(),
        (carried, _, _) => carried.to_vec(),
    };
    if initiator_id.is_empty() {
        return Err(Error::new(ErrorKind::AuthFailed, "the initiator's identity is unknown")
            .with_peer_code(MikeyErrorCode::InvalidId));
    }
    let message = received.message;
    let (agreed, dh_payloads) = agree(cx, message)?;
    let keys = (rand, NewKeys::Local(agreed));
    let bundle = accept::bundle(cx, message, keys, SrtpPolicy::default(), peer)?;
    let mut payloads = vec![Payload::Timestamp(cx.timestamp)];
    payloads.extend(own_identity);
    payloads.push(uri_payload(initiator_id));
    payloads.extend(dh_payloads.into_iter().map(Payload::Dh));
    let header = bundle.response_header(&message.header, response_type);
    Ok((bundle, Message { header, payloads }))
}

/// Responder: a fresh DHr in DHi's group. Returns the agreed TGK g^(xi·xr) with the MKI of DHi's
/// key validity, and the payloads DHr, DHi for the R_MESSAGE; nothing for an update without DHi
/// (RFC 4650 §3.1 b).
fn agree<'m>(cx: &Answering<'_>, message: &'m Message<'_>) -> Result<(Option<LocalKeys>, Vec<DhPayload<'m>>)> {
    let offered: Vec<&DhPayload<'_>> = message.payloads.iter().filter_map(Payload::as_dh).collect();
    let initiator_dh = match offered.as_slice() {
        [] => return Ok((None, Vec::new())),
        [initiator_dh] => *initiator_dh,
        _ => return Err(Error::malformed("more than one DH payload in a DH-HMAC I_MESSAGE")),
    };
    cx.settings.check_dh_group(initiator_dh.group)?;
    let key_pair = DhKeyPair::generate(initiator_dh.group, cx.settings.rng.as_ref())?;
    let tgk = key_pair.shared_secret(&initiator_dh.value)?;
    let mki = accept::mki_of(cx.settings.interop, &initiator_dh.validity)?;
    let responder_dh = DhPayload {
        group: initiator_dh.group,
        value: key_pair.public_value().to_vec().into(),
        validity: KeyValidity::Null,
    };
    Ok((Some((KeyMaterial::tgk(tgk), mki)), vec![responder_dh, initiator_dh.clone()]))
}

/// Initiator: checks a DH R_MESSAGE whose MAC or signature (by `signer`) was verified: its
/// identities, and that it answers our DHi. Returns the CSB keyed by g^(xi·xr).
pub(crate) fn complete(
    cx: &Completing<'_>,
    received: &Received<'_>,
    offer: &DhOffer,
    signer: Option<&Certificate>,
) -> Result<Bundle> {
    let message = received.message;
    let minisip = cx.settings.interop.has(InteropFlags::MINISIP_RESPONSES);
    let (responder_id, initiator_id) = match *carried_ids(message) {
        [] if minisip => (&[][..], &[][..]),
        [initiator_id] => (&[][..], initiator_id),
        [responder_id, initiator_id] => (responder_id, initiator_id),
        _ => return Err(Error::malformed("a DH R_MESSAGE names the initiator (RFC 3830 §3.3, RFC 4650 §3)")),
    };
    let peer = match signer {
        Some(signer) => {
            check_identity(&cx.settings.peer_id, responder_id, "IDr")?;
            check_signer_named(signer, None, responder_id, "IDr")?;
            certificate_holder(cx.settings, signer, responder_id)?
        }
        None => {
            check_peer_named(cx.settings, responder_id, "IDr")?;
            key_holder(cx.settings, responder_id)
        }
    };
    check_identity(&cx.settings.own_id, initiator_id, "IDi")?;
    let dh: Vec<&DhPayload> = message.payloads.iter().filter_map(Payload::as_dh).collect();
    let [responder_dh, echoed_dh] = dh.as_slice() else {
        return Err(Error::malformed("a DH R_MESSAGE carries DHr and DHi (RFC 3830 §3.3, RFC 4650 §3)"));
    };
    let ours = &offer.key_pair;
    if echoed_dh.group != ours.group() || echoed_dh.value != ours.public_value() || responder_dh.group != ours.group() {
        return Err(Error::new(ErrorKind::AuthFailed, "the R_MESSAGE does not answer our DH value")
            .with_peer_code(MikeyErrorCode::InvalidDh));
    }
    let tgk = ours.shared_secret(&responder_dh.value)?;
    let keying = (offer.rand.clone(), KeyMaterial::tgk(tgk), offer.mki.clone());
    let prf = cx.settings.our_prf();
    Bundle::with_offered_policy(cx.sent.csb_id, prf, keying, cx.streams.clone(), offer.policy, peer)
}
