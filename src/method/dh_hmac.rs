//! HMAC-authenticated Diffie-Hellman (RFC 4650): both messages carry a KEMAC without key data
//! whose HMAC-SHA-1 is keyed from the PSK (§4.2), the TGK agreed (`exchange::dh`).
//!
//! I_MESSAGE = HDR, T, RAND, \[IDi\], IDr, {SP}, DHi, KEMAC
//! R_MESSAGE = HDR, T, \[IDr\], IDi, DHr, DHi, KEMAC
//!
//! The KEMAC uses RFC 3830's codes (Encr NULL = 0, HMAC-SHA-1-160 = 1), as Wireshark does: RFC
//! 4650 §4.2's "2 (NULL)" disagrees with RFC 3830's table.

use std::sync::Arc;

use crate::bundle::Bundle;
use crate::config::{InteropFlags, Settings};
use crate::error::{Error, Result};
use crate::exchange::accept;
use crate::exchange::dh;
use crate::exchange::identity::{
    carried_ids, check_identity, check_peer_named, id_payloads, initiator_and_responder_ids, uri_payload,
};
use crate::exchange::kemac::{self, ExchangeContext, KemacProtection};
use crate::method::{Answer, Answering, Completing, Credentials, KeyManagement, Offer, Offering, Pending, Received};
use crate::wire::{DataType, KeyDataList, Payload};

/// The DH-HMAC method.
#[derive(Debug)]
pub(crate) struct DhHmac;

/// The KEMAC protection of DH-HMAC: the HMAC keyed from the PSK, no key data.
fn protection(settings: &Settings) -> Result<KemacProtection<'_>> {
    Ok(KemacProtection::MacOnly(settings.psk()?))
}

impl KeyManagement for DhHmac {
    fn credentials(&self) -> Credentials {
        Credentials::PreSharedKey
    }

    fn request_type(&self, _update: Option<&Bundle>) -> DataType {
        DataType::DhHmacInit
    }

    fn offer(&self, cx: &Offering<'_>) -> Result<Offer> {
        let settings = cx.settings;
        let Some(responder_id) = &settings.peer_id else {
            return Err(Error::invalid_argument(
                "DH-HMAC always names the responder: set the peer identity (RFC 4650 §3)",
            ));
        };
        let initiator_id = settings.own_id.as_deref().unwrap_or_default().as_bytes();
        let (dh_value, kept) = dh::offer(cx)?;
        let mut message = cx.start_message();
        message.payloads.extend(id_payloads(initiator_id, responder_id.as_bytes()));
        message.payloads.push(cx.policy_payload()?);
        message.payloads.push(Payload::Dh(dh_value));
        let no_keys = KeyDataList::default();
        let (bytes, _) = kemac::seal_kemac_message(message, &no_keys, protection(settings)?, &cx.exchange_context())?;
        Ok(Offer { bytes, bundle: None, pending: Pending::DhValue(Arc::new(kept)) })
    }

    fn answer(&self, cx: &Answering<'_>, received: &Received<'_>) -> Result<Answer> {
        let (settings, message) = (cx.settings, received.message);
        let (rand, _) = accept::rand(cx, message, false)?;
        let ids = carried_ids(message);
        if ids.is_empty() && !settings.interop.has(InteropFlags::MINISIP_DH_HMAC_WITHOUT_IDR) {
            return Err(Error::malformed("a DH-HMAC I_MESSAGE names the responder (RFC 4650 §3)"));
        }
        let (initiator_id, responder_id) = initiator_and_responder_ids(&ids, true)?;
        let context =
            ExchangeContext { prf: cx.prf, csb_id: message.header.csb_id, rand: &rand, timestamp: cx.timestamp };
        let (plaintext, _) = kemac::open_kemac_message(received.bytes, message, protection(settings)?, &context)?;
        check_peer_named(settings, initiator_id, "IDi")?;
        check_identity(&settings.own_id, responder_id, "IDr")?;
        if !plaintext.key_data(false)?.keys.is_empty() {
            return Err(Error::malformed("a DH-HMAC KEMAC carries no key data (RFC 4650 §4.2)"));
        }
        let own_identity = settings.own_id.as_deref().map(|id| uri_payload(id.as_bytes()));
        let (bundle, response) =
            dh::answer(cx, received, &rand, (initiator_id, None), own_identity.into_iter(), DataType::DhHmacResponse)?;
        let no_keys = KeyDataList::default();
        let (response, _) = kemac::seal_kemac_message(response, &no_keys, protection(settings)?, &context)?;
        Ok(Answer { bundle, response: Some(response), sent_key: false })
    }

    fn complete(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<Option<Bundle>> {
        let offer = dh::pending_offer(cx)?;
        let context = cx.exchange_context(cx.sent.csb_id, offer.rand());
        kemac::open_kemac_message(received.bytes, received.message, protection(cx.settings)?, &context)?;
        dh::complete(cx, received, offer, None).map(Some)
    }
}
