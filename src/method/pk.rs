//! The public-key method (RFC 3830 §3.2): the initiator seals a TGK in an envelope for the
//! responder's certificate, configured in advance, and signs the message.
//!
//! I_MESSAGE = HDR, T, RAND, \[IDi|CERTi\], \[IDr\], {SP}, KEMAC, \[CHASH\], PKE, SIGNi, where
//! KEMAC = E(encr_key, IDi || {TGK}) || MAC and PKE = E(PKr, env_key) (`exchange::envelope`).
//! With the V flag the responder answers with a verification message. When the initiator asks
//! (PKE C = 2), both ends keep the envelope key with the CSB, and updates of the CSB are then
//! PSK messages under it (§3.2, §4.5; [`psk`](super::psk)).

use std::sync::Arc;

use smallvec::smallvec;

use super::psk;
use crate::bundle::{Bundle, KeyMaterial};
use crate::clock::unix_seconds;
use crate::config::Settings;
use crate::crypto::x509::{Certificate, KeyUsageNeed};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::exchange::accept::{self, NewKeys};
use crate::exchange::envelope;
use crate::exchange::identity::{
    carried_ids, certificate_holder, check_identity, check_signer_named, id_payloads, initiator_and_responder_ids,
    own_identity_payload,
};
use crate::exchange::kemac::{ExchangeContext, KemacProtection};
use crate::exchange::signed::{self, PeerTrust};
use crate::exchange::verification::{self, VerificationKey};
use crate::method::{Answer, Answering, Completing, Credentials, KeyManagement, Offer, Offering, Pending, Received};
use crate::secret::SecretBytes;
use crate::srtp::SrtpPolicy;
use crate::wire::registry::envelope_cache;
use crate::wire::{DataType, HashFunction, KeyDataList, Message, Payload};

/// The PK method.
#[derive(Debug)]
pub(crate) struct Pk;

/// The envelope key cached for the CSB `update`, if any (§3.2).
fn cached_envelope_key(update: Option<&Bundle>) -> Option<&SecretBytes> {
    update.and_then(|bundle| bundle.envelope_key.as_ref())
}

impl KeyManagement for Pk {
    fn credentials(&self) -> Credentials {
        Credentials::Certificates
    }

    fn request_type(&self, update: Option<&Bundle>) -> DataType {
        match cached_envelope_key(update) {
            Some(_) => DataType::PskInit,
            None => DataType::PkInit,
        }
    }

    /// A new envelope is always taken, also for a CSB whose envelope key is cached.
    fn takes(&self, data_type: DataType, update: Option<&Bundle>) -> bool {
        data_type == DataType::PkInit || data_type == self.request_type(update)
    }

    fn awaits_response(&self, settings: &Settings) -> bool {
        settings.request_verification
    }

    fn offer(&self, cx: &Offering<'_>) -> Result<Offer> {
        let keys = KeyMaterial::random_tgk(cx.policy.profile, cx.settings.rng.as_ref())?;
        if let (Some(envelope_key), Some(update)) = (cached_envelope_key(cx.update), cx.update) {
            // A PSK message under the envelope key, which carries no certificate: IDi names us.
            // Only the peer who opened the envelope knows the key.
            let initiator_id = own_identity_payload(cx.settings)?.data;
            let peer = |_: &[u8]| update.peer.clone();
            let mut offer = psk::offer(cx, (KemacProtection::Encrypted(envelope_key), &peer), &initiator_id, keys)?;
            if let Some(bundle) = &mut offer.bundle {
                bundle.envelope_key = Some(envelope_key.clone());
            }
            return Ok(offer);
        }
        let settings = cx.settings;
        let responder = settings.peer_certificate.as_ref().ok_or_else(|| {
            Error::invalid_argument("the PK method needs the responder's certificate (set the peer certificate)")
        })?;
        // Only to a certificate valid now, whose key may encrypt.
        responder.check_usable(unix_seconds(settings.clock.now_ntp()), KeyUsageNeed::KEY_ENCIPHERMENT)?;
        let responder_id = settings.peer_id.as_deref().unwrap_or_default().as_bytes();
        let mut message = cx.start_message();
        message.payloads.extend(signed::certificate_payloads(&settings.certificate_chain));
        message.payloads.extend(id_payloads(&[], responder_id));
        message.payloads.push(cx.policy_payload()?);
        let cache = if settings.cache_envelope_key { envelope_cache::CACHE_FOR_CSB } else { envelope_cache::NO_CACHE };
        let sealed = {
            let key_list =
                KeyDataList { id: Some(own_identity_payload(settings)?), keys: smallvec![cx.key_data(&keys)] };
            let recipient = responder.public_key()?;
            envelope::seal(settings, &key_list, (&recipient, cache), &cx.exchange_context())?
        };
        // No [CHASH]: it only helps a responder with several certificates, and Wireshark (4.0)
        // stops dissecting at it. A received one is checked (`check_certificate_hash`).
        message.payloads.push(Payload::Kemac(sealed.kemac));
        message.payloads.push(Payload::Pke(sealed.pke));
        let bytes = signed::seal_signed_by_us(settings, message)?;
        let mut bundle = cx.bundle(keys, certificate_holder(settings, responder, &[])?)?;
        bundle.envelope_key = (cache != envelope_cache::NO_CACHE).then_some(sealed.envelope_key);
        // We are named by our certificate, so the verification MAC has an empty IDi.
        let key = VerificationKey { auth: sealed.auth, initiator_id: Vec::new(), responder_id: responder_id.to_vec() };
        Ok(Offer { bytes, bundle: Some(bundle), pending: Pending::Verification(Arc::new(key)) })
    }

    /// Checks SIGNi and the initiator's certificate, opens the envelope key (PKE) with our
    /// private key and the KEMAC with the envelope key, and checks that the encrypted IDi names
    /// the signer. A PKE whose padding is wrong yields a random envelope key, so it fails
    /// exactly like a wrong one, at the KEMAC MAC (no padding oracle).
    fn answer(&self, cx: &Answering<'_>, received: &Received<'_>) -> Result<Answer> {
        let message = received.message;
        if message.header.data_type == DataType::PskInit {
            let (Some(envelope_key), Some(update)) = (cached_envelope_key(cx.update), cx.update) else {
                return Err(Error::new(ErrorKind::State, "no envelope key is cached for this CSB"));
            };
            let peer = |_: &[u8]| update.peer.clone();
            let mut answer = psk::answer(cx, received, (KemacProtection::Encrypted(envelope_key), &peer))?;
            answer.bundle.envelope_key = Some(envelope_key.clone());
            return Ok(answer);
        }
        let settings = cx.settings;
        let (rand, _) = accept::rand(cx, message, false)?;
        let ids = carried_ids(message);
        let (initiator_id, responder_id) = initiator_and_responder_ids(&ids, signed::carries_certificate(message))?;
        let context =
            ExchangeContext { prf: cx.prf, csb_id: message.header.csb_id, rand: &rand, timestamp: cx.timestamp };
        let trust = PeerTrust::from_settings(settings, KeyUsageNeed::DIGITAL_SIGNATURE);
        let signer = signed::authenticate_signed(received.bytes, message, &trust)?;
        check_certificate_hash(settings, message)?;
        let opened = envelope::open(settings, message, &context)?;
        let mut bundle = {
            let key_data = opened.plaintext.key_data(true)?;
            let encrypted_id = key_data.id.as_ref().map(|id| &*id.data).unwrap_or_default();
            check_signer_named(&signer, Some(encrypted_id), initiator_id, "the encrypted IDi")?;
            check_identity(&settings.peer_id, initiator_id, "IDi")?;
            check_identity(&settings.own_id, responder_id, "IDr")?;
            let keys = (&*rand, NewKeys::Carried(&key_data.keys));
            let peer = certificate_holder(settings, &signer, encrypted_id)?;
            accept::bundle(cx, message, keys, SrtpPolicy::default(), peer)?
        };
        let response = verification::answer(cx, (received, &bundle), &opened.auth, initiator_id, responder_id)?;
        bundle.envelope_key = (opened.cache != envelope_cache::NO_CACHE).then_some(opened.envelope_key);
        Ok(Answer { bundle, response, sent_key: false })
    }

    fn complete(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<Option<Bundle>> {
        verification::complete(cx, received).map(|()| None)
    }

    /// An error message signed by the responder, or whose V checks like a verification
    /// message's.
    fn authenticate_error(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<()> {
        match received.message.payloads.last() {
            Some(Payload::Sign(_)) => signed::authenticate_peer(cx.settings, received),
            _ => verification::complete(cx, received),
        }
    }
}

/// A received CHASH must name our certificate by its SHA-1 (§6.8).
fn check_certificate_hash(settings: &Settings, message: &Message<'_>) -> Result<()> {
    let Some(named) = message.find(Payload::as_cert_hash) else {
        return Ok(());
    };
    if named.hash_function != HashFunction::Sha1 {
        return Err(Error::unsupported(format!("CHASH hash function {:?}", named.hash_function))
            .with_peer_code(MikeyErrorCode::InvalidHashAlgorithm));
    }
    let ours = settings.certificate_chain.first().map(Certificate::sha1_fingerprint);
    if ours.as_ref().map(|hash| hash.as_slice()) != Some(&*named.hash) {
        return Err(Error::new(ErrorKind::AuthFailed, "CHASH names another certificate than ours (§6.8)")
            .with_peer_code(MikeyErrorCode::InvalidCertificate));
    }
    Ok(())
}
