//! Reverse RSA (RFC 4738): the initiator signs and sends its certificate; the responder chooses
//! the TGK and sends it in an envelope for that certificate, signed.
//!
//! I_MESSAGE = HDR (V set), T, \[RAND\], \[IDi|CERTi\], \[IDr\], {SP}, SIGNi
//! R_MESSAGE = HDR, T (the initiator's), \[RAND\], \[IDr|CERTr\], {SP}, KEMAC, PKE, SIGNr, with
//! KEMAC = E(encr_key, IDr || TGK) || MAC. SIGNr covers the R_MESSAGE without its SIGN payload,
//! then IDi || IDr || T (§3.6). The responder sends RAND when the I_MESSAGE had none (§3.4).
//!
//! Group mode (§3.2): a responder configured as a group key server gives every member the same
//! CSB, named by a CSB_ID general extension, with the group's RAND and CS ID map.

use std::sync::Arc;

use smallvec::smallvec;

use crate::bundle::{
    key_validity, numbered_mki, streams_of, Bundle, KeyMaterial, Peer, Policies, RandBytes, OFFERED_POLICY_NO,
};
use crate::config::{InteropFlags, RsaRGroup, RAND_LEN};
use crate::crypto::x509::{Certificate, KeyUsageNeed};
use crate::crypto::PrfFunction;
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::exchange::accept::{self, NewKeys};
use crate::exchange::envelope;
use crate::exchange::identity::{
    carried_ids, certificate_holder, check_identity, check_signer_named, initiator_and_responder_ids, not_the_signer,
    own_identity_payload,
};
use crate::exchange::kemac::ExchangeContext;
use crate::exchange::signed::{self, PeerTrust, SignedExtra};
use crate::method::{Answer, Answering, Completing, Credentials, KeyManagement, Offer, Offering, Pending, Received};
use crate::replay::single_timestamp;
use crate::srtp::SrtpPolicy;
use crate::wire::registry::{envelope_cache, extension_type};
use crate::wire::{CsIdMap, DataType, GeneralExtension, KeyDataList, KeyDataType, Message, Payload};

/// The RSA-R method.
#[derive(Debug)]
pub(crate) struct RsaR;

/// What an initiator keeps until the responder's envelope arrives: the RAND and the policy it
/// offered.
#[derive(Debug)]
pub(crate) struct RsaROffer {
    rand: RandBytes,
    policy: SrtpPolicy,
}

impl KeyManagement for RsaR {
    fn credentials(&self) -> Credentials {
        Credentials::Certificates
    }

    /// An error message signed by the responder.
    fn authenticate_error(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<()> {
        signed::authenticate_peer(cx.settings, received)
    }

    fn serves_groups(&self) -> bool {
        true
    }

    fn request_type(&self, _update: Option<&Bundle>) -> DataType {
        DataType::RsaRInit
    }

    fn offer(&self, cx: &Offering<'_>) -> Result<Offer> {
        let bytes = signed::signed_request(cx, [])?;
        let kept = RsaROffer { rand: cx.rand.clone(), policy: cx.policy };
        Ok(Offer { bytes, bundle: None, pending: Pending::Envelope(Arc::new(kept)) })
    }

    /// Chooses the TGK (or gives the group's) and answers with it sealed for the initiator's
    /// certificate, which must allow keyEncipherment as well as digitalSignature.
    fn answer(&self, cx: &Answering<'_>, received: &Received<'_>) -> Result<Answer> {
        let (settings, message) = (cx.settings, received.message);
        let (rand, rand_is_ours) = accept::rand(cx, message, true)?;
        let ids = carried_ids(message);
        let (initiator_id, responder_id) = initiator_and_responder_ids(&ids, signed::carries_certificate(message))?;
        let usage = KeyUsageNeed::DIGITAL_SIGNATURE | KeyUsageNeed::KEY_ENCIPHERMENT;
        let initiator =
            signed::authenticate_signed(received.bytes, message, &PeerTrust::from_settings(settings, usage))?;
        check_identity(&settings.peer_id, initiator_id, "IDi")?;
        check_identity(&settings.own_id, responder_id, "IDr")?;
        check_signer_named(&initiator, None, initiator_id, "IDi")?;
        let group = settings.rsa_r_group.as_deref();
        let bundle = match group {
            Some(group) => {
                check_member_offer(message, group)?;
                group_bundle(group, cx.prf, certificate_holder(settings, &initiator, initiator_id)?)?
            }
            None => {
                let policy = settings.offered_policy();
                let mki = numbered_mki(cx.next_mki, policy.mki_len);
                let offered =
                    message.find(Payload::as_security_policy).map(SrtpPolicy::from_security_policy).transpose()?;
                let tgk = KeyMaterial::random_tgk(offered.unwrap_or(policy).profile, settings.rng.as_ref())?;
                let keys = (&*rand, NewKeys::Local(Some((tgk, mki))));
                let peer = certificate_holder(settings, &initiator, initiator_id)?;
                accept::bundle(cx, message, keys, settings.srtp_policy, peer)?
            }
        };
        let reply = Reply { initiator: &initiator, initiator_id, rand_is_ours, for_group: group.is_some() };
        let response = response(cx, message, &reply, &bundle)?;
        Ok(Answer { bundle, response: Some(response), sent_key: true })
    }

    /// Checks the responder's chain and SIGNr before opening anything, then opens the envelope
    /// with our private key, and checks that the encrypted IDr is the identity SIGNr covered
    /// (one the signer's certificate names, and the configured peer), that T is ours, the RAND
    /// rule, and that any SP is the one we offered (§3.7). A group answer keys the CSB under the
    /// group's CSB ID, with the responder's RAND and CS ID map (§3.2, §3.6).
    fn complete(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<Option<Bundle>> {
        let Pending::Envelope(offer) = &cx.sent.pending else {
            return Err(Error::new(ErrorKind::State, "no RSA-R exchange is pending"));
        };
        let (settings, sent, message) = (cx.settings, cx.sent, received.message);
        // The answer's T is ours (the session checked), or minisip's own, which its KEMAC IV and
        // SIGNr then use; minisip also sends a RAND of its own that keys nothing.
        let minisip = settings.interop.has(InteropFlags::MINISIP_RESPONSES);
        let timestamp = single_timestamp(message)?;
        let group_csb_id = group_csb_id(message)?;
        let rands: Vec<&[u8]> = message.payloads.iter().filter_map(Payload::as_rand).map(|rand| &**rand).collect();
        let rand = match (group_csb_id, rands.as_slice()) {
            (None, []) => offer.rand.clone(),
            (None, [_]) if minisip => offer.rand.clone(),
            (Some(_), [rand]) if rand.len() >= RAND_LEN => RandBytes::from_slice(rand),
            (None, [_]) => return Err(Error::malformed("a RAND answers an I_MESSAGE that had one (RFC 4738 §3.7)")),
            _ => return Err(Error::malformed("a group R_MESSAGE carries one RAND (RFC 4738 §3.2)")),
        };
        let csb_id = group_csb_id.unwrap_or(sent.csb_id);
        let cleartext_responder_id = match *carried_ids(message) {
            [] => &[][..],
            [responder_id] => responder_id,
            _ => return Err(not_the_signer("the encrypted IDr")),
        };
        let trust = PeerTrust::from_settings(settings, KeyUsageNeed::DIGITAL_SIGNATURE);
        let signer = signed::trusted_signer(message, &trust)?;
        let signed_responder_id =
            signed_responder_id(received, (&signer, &trust), cleartext_responder_id, (timestamp, minisip))?;
        let context = ExchangeContext { timestamp, ..cx.exchange_context(csb_id, &rand) };
        let opened = envelope::open(settings, message, &context)?;
        let key_data = opened.plaintext.key_data(true)?;
        let responder_id = key_data.id.as_ref().map(|id| &*id.data).unwrap_or_default();
        if responder_id != signed_responder_id.as_slice() {
            return Err(not_the_signer("the encrypted IDr"));
        }
        check_signer_named(&signer, Some(responder_id), cleartext_responder_id, "the encrypted IDr")?;
        check_identity(&settings.peer_id, responder_id, "IDr")?;

        let mut policy = offer.policy;
        for sp in message.payloads.iter().filter_map(Payload::as_security_policy) {
            let answered = SrtpPolicy { mki_len: policy.mki_len, ..SrtpPolicy::from_security_policy(sp)? };
            if answered != policy {
                return Err(Error::new(
                    ErrorKind::Policy,
                    "the responder chose a policy we did not offer (RFC 4738 §3.7)",
                ));
            }
        }
        let streams = match (group_csb_id, &message.header.cs_id_map) {
            (Some(_), CsIdMap::SrtpId(map)) => streams_of(map.entries().map(|entry| (entry.ssrc, entry.roc))),
            // Our own CSB: the session checks what the map fills in (§6.1.1).
            (None, _) => cx.streams.clone(),
            (Some(_), _) => return Err(Error::malformed("a group answer names the group's streams (RFC 4738 §3.6)")),
        };
        let policies: Policies = smallvec![(OFFERED_POLICY_NO, policy)];
        let (keys, mki) = match key_data.keys.as_slice() {
            [key] if matches!(key.key_type, KeyDataType::Tgk | KeyDataType::TgkSalt) => {
                accept::key_material(settings.interop, key, &policies, &streams)?
            }
            _ => return Err(Error::malformed("an RSA-R KEMAC carries one TGK (RFC 4738 §3.6)")),
        };
        policy.mki_len = mki.len() as u8;
        let peer = certificate_holder(settings, &signer, responder_id)?;
        Bundle::with_offered_policy(csb_id, settings.our_prf(), (rand, keys, mki), streams, policy, peer).map(Some)
    }

    /// Error no 13, "unsupported message type", for what starts as an RSA-R I_MESSAGE but does
    /// not decode (§3.5).
    fn unparseable_reply(&self, data_type: DataType) -> Option<MikeyErrorCode> {
        (data_type == DataType::RsaRInit).then_some(MikeyErrorCode::UnsupportedMessageType)
    }
}

/// The IDr that SIGNr covers (§3.6: the R_MESSAGE, then IDi || IDr || T), found before the
/// envelope holding IDr is opened, so an answer that is not signed costs no decryption: the
/// cleartext IDr, else one of the identities the signer's certificate names (which the
/// encrypted IDr must be). `timestamp` is the answer's, which is ours unless minisip answers.
fn signed_responder_id(
    received: &Received<'_>,
    (signer, trust): (&Certificate, &PeerTrust<'_>),
    cleartext_responder_id: &[u8],
    (timestamp, minisip): (crate::wire::Timestamp, bool),
) -> Result<Vec<u8>> {
    let candidates = match cleartext_responder_id {
        [] => signer.identities().into_iter().map(String::into_bytes).collect(),
        claimed => vec![claimed.to_vec()],
    };
    // IDi as our I_MESSAGE carried it: none, since our certificate names us (minisip covers
    // no IDi either).
    let timestamp = timestamp.as_64_bits();
    let mut last_error = Error::new(ErrorKind::AuthFailed, "the responder's certificate names no identity")
        .with_peer_code(MikeyErrorCode::AuthFailure);
    for candidate in candidates {
        let suffix: [&[u8]; 3] = [&[], &candidate, &timestamp];
        let extra = signr_extra(minisip, &suffix);
        match signed::verify_signature(received.bytes, received.message, signer, trust, &extra) {
            Ok(()) => return Ok(candidate),
            Err(error) => last_error = error,
        }
    }
    Err(last_error)
}

/// What SIGNr covers besides the R_MESSAGE: `suffix`, IDi || IDr || T (§3.6), after the
/// R_MESSAGE without its SIGN payload; or, as minisip signs (its switch), after the R_MESSAGE up
/// to the signature.
fn signr_extra<'a>(minisip: bool, suffix: &'a [&'a [u8]; 3]) -> SignedExtra<'a> {
    match minisip {
        true => SignedExtra::minisip_rsa_r_response(suffix),
        false => SignedExtra::rsa_r_response(suffix),
    }
}

/// What an RSA-R responder answers with, besides the I_MESSAGE and the CSB.
struct Reply<'a> {
    /// The signer of the I_MESSAGE, for whose key the envelope key is sealed.
    initiator: &'a Certificate,
    /// IDi as the I_MESSAGE carried it (empty when absent), signed after the R_MESSAGE.
    initiator_id: &'a [u8],
    /// True when the I_MESSAGE had no RAND, so we chose it and send it.
    rand_is_ours: bool,
    /// True when we answer as the group key server.
    for_group: bool,
}

/// The R_MESSAGE for `bundle` (§3.6): T, \[RAND\], CERTr…, {SP}, KEMAC, PKE, SIGNr, led by the
/// group's CSB_ID extension for a group.
fn response(cx: &Answering<'_>, message: &Message<'_>, reply: &Reply<'_>, bundle: &Bundle) -> Result<Vec<u8>> {
    let settings = cx.settings;
    let key_data = bundle.keys.key_data(key_validity(&bundle.mki), false);
    // A group answer names the group's CSB and its sender's streams, and always sends the
    // group RAND (§3.2, §3.6); the HDR keeps the member's CSB ID.
    let header = bundle.response_header(&message.header, DataType::RsaRResponse);
    let mut payloads = Vec::new();
    if reply.for_group {
        let data = bundle.csb_id.to_be_bytes().to_vec().into();
        payloads.push(Payload::GeneralExtension(GeneralExtension { ext_type: extension_type::CSB_ID, data }));
    }
    payloads.push(Payload::Timestamp(cx.timestamp));
    if reply.rand_is_ours || reply.for_group {
        payloads.push(Payload::Rand(bundle.rand.as_slice().into()));
    }
    let responder_id = own_identity_payload(settings)?;
    // minisip signs the IDs its answer carries in clear, and expects IDr there.
    let minisip = settings.interop.has(InteropFlags::MINISIP_RESPONSES);
    if minisip {
        payloads.push(Payload::Id(responder_id.clone()));
    }
    payloads.extend(signed::certificate_payloads(&settings.certificate_chain));
    for (policy_no, policy) in &bundle.policies {
        payloads.push(settings.policy_payload(*policy_no, policy)?);
    }
    let key_list = KeyDataList { id: Some(responder_id.clone()), keys: smallvec![key_data] };
    let context = ExchangeContext { prf: cx.prf, csb_id: bundle.csb_id, rand: &bundle.rand, timestamp: cx.timestamp };
    let recipient = reply.initiator.public_key()?;
    let sealed = envelope::seal(settings, &key_list, (&recipient, envelope_cache::NO_CACHE), &context)?;
    payloads.push(Payload::Kemac(sealed.kemac));
    payloads.push(Payload::Pke(sealed.pke));
    let timestamp = cx.timestamp.as_64_bits();
    let initiator_id = if minisip { &[][..] } else { reply.initiator_id };
    let suffix: [&[u8]; 3] = [initiator_id, &responder_id.data, &timestamp];
    signed::seal_signed_with(
        Message { header, payloads },
        settings.private_key()?,
        settings.signing_scheme(),
        &signr_extra(minisip, &suffix),
    )
}

/// A member's SP offer, if it sends one, must be the group's policy: the member takes only the
/// policy it offered (§3.7), so an answer with another would be refused anyway. The MKI length
/// is the group's to choose.
fn check_member_offer(message: &Message<'_>, group: &RsaRGroup) -> Result<()> {
    for sp in message.payloads.iter().filter_map(Payload::as_security_policy) {
        let offered = SrtpPolicy { mki_len: group.policy.mki_len, ..SrtpPolicy::from_security_policy(sp)? };
        if offered != group.policy {
            return Err(Error::new(ErrorKind::Policy, "the offered SRTP policy is not the group's (RFC 4738 §3.2)")
                .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter));
        }
    }
    Ok(())
}

/// A group key server's CSB for the member `peer`: the same keys for every member (§3.2), so the
/// MKI is always the first.
fn group_bundle(group: &RsaRGroup, prf: PrfFunction, peer: Peer) -> Result<Bundle> {
    let material = (
        RandBytes::from_slice(&group.rand),
        KeyMaterial::tgk(group.tgk.clone()),
        numbered_mki(1, group.policy.mki_len),
    );
    let streams = streams_of(group.streams.iter().copied());
    Bundle::with_offered_policy(group.csb_id, prf, material, streams, group.policy, peer)
}

/// The new CSB ID of a group R_MESSAGE (General Extension type 4, §3.6).
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
