//! The pre-shared key method (RFC 3830 §3.1) and its NULL form (§4.2.3, §4.2.4).
//!
//! I_MESSAGE = HDR, T, RAND, \[IDi\], \[IDr\], {SP}, KEMAC: the KEMAC carries the TGK encrypted
//! under keys derived from the PSK, and its MAC covers the whole message (§5.2). The NULL form
//! sends the SRTP master key and salt themselves as a TEK, in clear and without MAC, as
//! GStreamer, Live555 and RTSP cameras do inside a protected signalling channel. With the V flag
//! the responder answers with a verification message (`exchange::verification`). An update
//! (§4.5) is the same I_MESSAGE for the established CSB, without RAND.
//!
//! PK updates under a cached envelope key are PSK messages too (§3.2): [`offer`] and [`answer`]
//! serve them.

use std::sync::Arc;

use smallvec::smallvec;

use crate::bundle::{Bundle, KeyMaterial, Peer};
use crate::config::Settings;
use crate::error::Result;
use crate::exchange::accept::{self, NewKeys};
use crate::exchange::identity::{
    carried_ids, check_identity, check_peer_named, id_payloads, initiator_and_responder_ids, key_holder,
};
use crate::exchange::kemac::{self, ExchangeContext, KemacProtection};
use crate::exchange::verification::{self, VerificationKey};
use crate::method::{Answer, Answering, Completing, Credentials, KeyManagement, Offer, Offering, Pending, Received};
use crate::srtp::SrtpPolicy;
use crate::wire::{DataType, KeyDataList};

/// The PSK method, or its NULL form.
#[derive(Debug)]
pub(crate) struct Psk {
    null: bool,
}

impl Psk {
    /// PSK: AES-CM-128 key transport and HMAC-SHA-1-160 under keys derived from the PSK.
    pub(crate) const PRE_SHARED: Psk = Psk { null: false };
    /// NULL: a TEK in clear, NULL MAC.
    pub(crate) const NULL: Psk = Psk { null: true };

    /// Who owns a CSB with us, going by `identity`: a holder of the PSK, or anyone (NULL).
    fn peer(&self, settings: &Settings, identity: &[u8]) -> Peer {
        if self.null {
            Peer::ANYONE
        } else {
            key_holder(settings, identity)
        }
    }

    fn protection<'s>(&self, settings: &'s Settings) -> Result<KemacProtection<'s>> {
        if self.null {
            return Ok(KemacProtection::Clear);
        }
        Ok(KemacProtection::Encrypted(settings.psk()?))
    }
}

impl KeyManagement for Psk {
    fn credentials(&self) -> Credentials {
        if self.null {
            Credentials::None
        } else {
            Credentials::PreSharedKey
        }
    }

    fn consults_replay_cache_first(&self) -> bool {
        false
    }

    fn request_type(&self, _update: Option<&Bundle>) -> DataType {
        DataType::PskInit
    }

    fn awaits_response(&self, settings: &Settings) -> bool {
        settings.request_verification
    }

    fn offer(&self, cx: &Offering<'_>) -> Result<Offer> {
        let initiator_id = cx.settings.own_id.as_deref().unwrap_or_default().as_bytes();
        let keys = if self.null {
            KeyMaterial::random_tek(cx.policy.profile, cx.settings.rng.as_ref())?
        } else {
            KeyMaterial::random_tgk(cx.policy.profile, cx.settings.rng.as_ref())?
        };
        let peer = |responder_id: &[u8]| self.peer(cx.settings, responder_id);
        offer(cx, (self.protection(cx.settings)?, &peer), initiator_id, keys)
    }

    fn answer(&self, cx: &Answering<'_>, received: &Received<'_>) -> Result<Answer> {
        let peer = |initiator_id: &[u8]| self.peer(cx.settings, initiator_id);
        answer(cx, received, (self.protection(cx.settings)?, &peer))
    }

    fn complete(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<Option<Bundle>> {
        verification::complete(cx, received).map(|()| None)
    }

    /// An error message whose V checks like a verification message's.
    fn authenticate_error(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<()> {
        verification::complete(cx, received)
    }
}

/// Who owns the CSB of a PSK exchange, given the identity the peer goes by in it.
pub(crate) type PeerOf<'a> = &'a dyn Fn(&[u8]) -> Peer;

/// The I_MESSAGE sending `keys` under `protection` to the peer `peer_of` the IDr we name (the
/// configured one), naming us `initiator_id`.
pub(crate) fn offer(
    cx: &Offering<'_>,
    (protection, peer_of): (KemacProtection<'_>, PeerOf<'_>),
    initiator_id: &[u8],
    keys: KeyMaterial,
) -> Result<Offer> {
    let responder_id = cx.settings.peer_id.as_deref().unwrap_or_default().as_bytes();
    let mut message = cx.start_message();
    message.payloads.extend(id_payloads(initiator_id, responder_id));
    message.payloads.push(cx.policy_payload()?);
    let (bytes, auth) = {
        let key_list = KeyDataList { id: None, keys: smallvec![cx.key_data(&keys)] };
        kemac::seal_kemac_message(message, &key_list, protection, &cx.exchange_context())?
    };
    let key = VerificationKey { auth, initiator_id: initiator_id.to_vec(), responder_id: responder_id.to_vec() };
    let bundle = cx.bundle(keys, peer_of(responder_id))?;
    Ok(Offer { bytes, bundle: Some(bundle), pending: Pending::Verification(Arc::new(key)) })
}

/// Responder: opens a PSK I_MESSAGE under `protection` and takes the keys it carries, for the
/// peer `peer_of` the IDi it carries.
pub(crate) fn answer(
    cx: &Answering<'_>,
    received: &Received<'_>,
    (protection, peer_of): (KemacProtection<'_>, PeerOf<'_>),
) -> Result<Answer> {
    let message = received.message;
    let (rand, _) = accept::rand(cx, message, false)?;
    let ids = carried_ids(message);
    let (initiator_id, responder_id) = initiator_and_responder_ids(&ids, false)?;
    let context = ExchangeContext { prf: cx.prf, csb_id: message.header.csb_id, rand: &rand, timestamp: cx.timestamp };
    let (plaintext, auth) = kemac::open_kemac_message(received.bytes, message, protection, &context)?;
    check_peer_named(cx.settings, initiator_id, "IDi")?;
    check_identity(&cx.settings.own_id, responder_id, "IDr")?;
    let key_data = plaintext.key_data(false)?;
    let keys = NewKeys::Carried(&key_data.keys);
    let bundle = accept::bundle(cx, message, (&rand, keys), SrtpPolicy::default(), peer_of(initiator_id))?;
    let response = verification::answer(cx, (received, &bundle), &auth, initiator_id, responder_id)?;
    Ok(Answer { bundle, response, sent_key: false })
}
