//! Signed Diffie-Hellman (RFC 3830 §3.3): both messages signed, each side named by its
//! certificate chain, the TGK agreed (`exchange::dh`).
//!
//! I_MESSAGE = HDR, T, RAND, \[IDi|CERTi\], \[IDr\], {SP}, DHi, SIGNi
//! R_MESSAGE = HDR, T, \[IDr|CERTr\], IDi, DHr, DHi, SIGNr

use std::sync::Arc;

use crate::bundle::Bundle;
use crate::crypto::x509::KeyUsageNeed;
use crate::error::Result;
use crate::exchange::accept;
use crate::exchange::dh;
use crate::exchange::identity::{carried_ids, check_identity, check_signer_named, initiator_and_responder_ids};
use crate::exchange::signed::{self, PeerTrust};
use crate::method::{Answer, Answering, Completing, Credentials, KeyManagement, Offer, Offering, Pending, Received};
use crate::wire::{DataType, Payload};

/// The DH-SIGN method.
#[derive(Debug)]
pub(crate) struct DhSign;

impl KeyManagement for DhSign {
    fn credentials(&self) -> Credentials {
        Credentials::Certificates
    }

    /// An error message signed by the responder.
    fn authenticate_error(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<()> {
        signed::authenticate_peer(cx.settings, received)
    }

    fn request_type(&self, _update: Option<&Bundle>) -> DataType {
        DataType::DhInit
    }

    fn offer(&self, cx: &Offering<'_>) -> Result<Offer> {
        let (dh_value, kept) = dh::offer(cx)?;
        let bytes = signed::signed_request(cx, [Payload::Dh(dh_value)])?;
        Ok(Offer { bytes, bundle: None, pending: Pending::DhValue(Arc::new(kept)) })
    }

    fn answer(&self, cx: &Answering<'_>, received: &Received<'_>) -> Result<Answer> {
        let (settings, message) = (cx.settings, received.message);
        let (rand, _) = accept::rand(cx, message, false)?;
        let ids = carried_ids(message);
        let (initiator_id, responder_id) = initiator_and_responder_ids(&ids, signed::carries_certificate(message))?;
        let trust = PeerTrust::from_settings(settings, KeyUsageNeed::DIGITAL_SIGNATURE);
        let signer = signed::authenticate_signed(received.bytes, message, &trust)?;
        check_identity(&settings.peer_id, initiator_id, "IDi")?;
        check_identity(&settings.own_id, responder_id, "IDr")?;
        check_signer_named(&signer, None, initiator_id, "IDi")?;
        let own_identity = signed::certificate_payloads(&settings.certificate_chain);
        let (bundle, response) =
            dh::answer(cx, received, &rand, (initiator_id, Some(&signer)), own_identity, DataType::DhResponse)?;
        let response = signed::seal_signed_by_us(settings, response)?;
        Ok(Answer { bundle, response: Some(response), sent_key: false })
    }

    fn complete(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<Option<Bundle>> {
        let offer = dh::pending_offer(cx)?;
        let trust = PeerTrust::from_settings(cx.settings, KeyUsageNeed::DIGITAL_SIGNATURE);
        let signer = signed::authenticate_signed(received.bytes, received.message, &trust)?;
        dh::complete(cx, received, offer, Some(&signer)).map(Some)
    }
}
