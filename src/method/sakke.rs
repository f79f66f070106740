//! MIKEY-SAKKE (RFC 6509) as 3GPP TS 33.180 profiles it for mission-critical push-to-talk: one
//! signed I_MESSAGE, no answer (V is 0 and ignored, §2.2.1).
//!
//! I_MESSAGE = HDR, T, RAND, IDRuidi, IDRuidr, IDRkmsi, IDRkmsr, {SP}, SAKKE, [GENEXT type 7],
//! SIGN. The SAKKE payload (RFC 6508) carries the key, a GMK, PCK, CSK, MuSiK or MKFC, to the
//! receiver's identifier (the UID of TS 33.180 F.2.1); it is the TGK (RFC 6509 §2.1). The
//! ECCSI signature (RFC 6507) covers everything before it, the SIGN header included (RFC 3830
//! §5.2). The CSB ID is the key's ID, or for a GMK the receiver's GUK-ID (F.1.3); the SRTP keys
//! of each CS ID come from the key with PRF-HMAC-SHA-256 (TS 33.180 7.4.1, RFC 3830 §4.1.3).
//! General Extension type 7 carries the key parameters, encrypted under the DPCK (E.6.1); type 6,
//! when the config asks, the key encapsulated to the initiator too (SAKKE-to-self, E.5), which
//! a responder ignores.
//!
//! A responder follows the receiver algorithm of TS 33.180 5.2.6 and E: it finds the KMS
//! communities from IDRkmsi and IDRkmsr, its own key set from IDRuidr and the key period of T,
//! verifies the signature under the initiator's UID, decapsulates (the TEST check included),
//! checks the key ID's purpose and the key parameters, and, when the application names the
//! initiator as SIP told it, that the signer's UID is that user's. The session consults the
//! replay cache before any of it; an ECCSI signature's r, which names the message there, cannot
//! be changed without the signer's key (its s can: (r, q - s) verifies too).

use std::borrow::Cow;
use std::sync::Arc;

use smallvec::smallvec;

use crate::bundle::{
    generic_stream, Bundle, KeyMaterial, Peer, Policies, RandBytes, Stream, Streams, OFFERED_POLICY_NO,
};
use crate::clock::unix_seconds;
use crate::config::{InteropFlags, Settings};
use crate::crypto::eccsi::{self, SIGNATURE_LEN};
use crate::crypto::sakke::{self, Identifier, Sed};
use crate::crypto::PrfFunction;
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::exchange::accept;
use crate::mcptt::{
    gmk_id_of_guk_id, guk_id, open_key_parameters, seal_key_parameters, KeyParameters, KeyPurpose, KmsCommunity,
    McpttKey, McpttPeer, UserKeySet, STATUS_NOT_REVOKED,
};
use crate::method::{Answer, Answering, Completing, Credentials, KeyManagement, Offer, Offering, Pending, Received};
use crate::secret::SecretBytes;
use crate::srtp::{RocTransform, SrtpPolicy, SrtpProfile};
use crate::wire::registry::{extension_type, id_role, id_scheme, id_type, protocol_type, sakke_params, signature_type};
use crate::wire::{
    CommonHeader, CsIdMap, DataType, GeneralExtension, GenericCsEntry, IdrPayload, KeyParameters as KeyParametersIe,
    KeyParametersExtension, Message, Payload, ProtectedKeyParameters, SakkePayload, Signature, Timestamp,
};

/// The MIKEY-SAKKE method.
#[derive(Debug)]
pub(crate) struct Sakke;

/// PRF func 1, PRF-HMAC-SHA-256 (RFC 6043 §6.1), which TS 33.180 7.4.1 derives SRTP keys with.
const PRF_HMAC_SHA_256: u8 = 1;
/// The message type of the protected key parameters we send (TS 33.180 8.5.4: the protected
/// bit 0x40; Streamwide's 0x43, which it and Alea's receivers take).
const KEY_PARAMETERS_MESSAGE_TYPE: u8 = 0x43;
/// A UID is a SHA-256 hash (TS 33.180 F.2.1).
const UID_LEN: usize = 32;

/// The CS IDs TS 33.180 gives a key's media when the CS ID map names none (#CS = 0): the MCPTT
/// and MCVideo group media for a GMK (E.2), originator and terminator of MCPTT then MCVideo for
/// a PCK (E.3.1), the SRTCP of MCPTT and MCVideo for a CSK (E.4.1) and for a MuSiK.
fn default_cs_ids(purpose: KeyPurpose) -> &'static [u8] {
    match purpose {
        KeyPurpose::Gmk => &[4, 5],
        KeyPurpose::Pck => &[0, 1, 2, 3],
        KeyPurpose::Csk => &[6, 8],
        KeyPurpose::Musik => &[7, 9],
        KeyPurpose::Spk | KeyPurpose::Mkfc | KeyPurpose::Mscck => &[],
    }
}

/// The CS ID our I_MESSAGE names in a GENERIC-ID map, as real senders do: CS 4 for a GMK, 6 for
/// a CSK, 7 for a MuSiK; a PCK's message has an empty map (#CS = 0, E.3.1).
fn sent_cs_id(purpose: KeyPurpose) -> Option<u8> {
    match purpose {
        KeyPurpose::Gmk => Some(4),
        KeyPurpose::Csk => Some(6),
        KeyPurpose::Musik => Some(7),
        _ => None,
    }
}

/// The default SRTP profile of a key's media (TS 33.179 Table E.2-1 for a GMK: AEAD_AES_128_GCM
/// with RCCm3, the ROC in a 4-octet tag of every packet; Table E.3-1 otherwise).
fn default_policy(purpose: KeyPurpose) -> SrtpPolicy {
    let roc_transform = (purpose == KeyPurpose::Gmk).then_some(RocTransform {
        mode: 3,
        rate: 1,
        srtp_tag_len: Some(4),
        srtcp_tag_len: Some(0),
    });
    SrtpPolicy {
        profile: SrtpProfile::AeadAes128Gcm,
        key_derivation_rate: Some(0),
        roc_transform,
        ..SrtpPolicy::default()
    }
}

/// The MKI of a key's SRTP packets: GMK-ID || GUK-ID for a GMK, else the 32-bit key ID
/// (TS 33.180 7.4.1, E.2); also the SPI of the GENERIC-ID map.
fn mki_of(purpose: KeyPurpose, key_id: u32, csb_id: u32) -> Vec<u8> {
    match purpose {
        KeyPurpose::Gmk => [key_id.to_be_bytes(), csb_id.to_be_bytes()].concat(),
        _ => key_id.to_be_bytes().to_vec(),
    }
}

/// Our key set for the key period `ntp_timestamp` falls in, in the community of `kms_uri` (any
/// of ours when `None`).
fn own_key_set<'s>(settings: &'s Settings, kms_uri: Option<&[u8]>, ntp_timestamp: u64) -> Result<&'s UserKeySet> {
    let mut candidates =
        settings.user_key_sets.iter().filter(|set| kms_uri.is_none_or(|uri| set.kms_uri().as_bytes() == uri));
    candidates
        .find(|set| {
            let community = settings.kms_community(set.kms_uri().as_bytes());
            community.ok().and_then(|community| community.key_period_number(ntp_timestamp))
                == Some(set.key_period_number())
        })
        .map(|set| &**set)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::AuthFailed,
                "no key set of ours for the key period of this time (add the current one)",
            )
            .with_peer_code(MikeyErrorCode::InvalidId)
        })
}

impl KeyManagement for Sakke {
    fn credentials(&self) -> Credentials {
        Credentials::IdentityKeys
    }

    fn keys_mcptt_users(&self) -> bool {
        true
    }

    fn request_type(&self, _update: Option<&Bundle>) -> DataType {
        DataType::SakkeInit
    }

    /// No answer: the I_MESSAGE authenticates both ends (RFC 6509 §2.2).
    fn awaits_response(&self, _settings: &Settings) -> bool {
        false
    }

    fn offer(&self, cx: &Offering<'_>) -> Result<Offer> {
        let settings = cx.settings;
        let key = cx.mcptt_key.ok_or_else(|| Error::invalid_argument("set the key to send first (set_mcptt_key)"))?;
        let peer = cx.mcptt_peer.ok_or_else(|| Error::invalid_argument("name the responder first (set_mcptt_peer)"))?;
        let purpose = key.purpose().ok_or_else(|| Error::invalid_argument("the key ID names no purpose"))?;
        if !cx.streams.is_empty() {
            return Err(Error::invalid_argument(
                "MIKEY-SAKKE keys the CS IDs of TS 33.180, not SRTP streams: add none",
            ));
        }
        let now = cx.timestamp.value;
        let own = own_key_set(settings, None, now)?;
        let peer_community = match &peer.kms_uri {
            Some(kms_uri) => settings.kms_community(kms_uri.as_bytes())?,
            None => settings.kms_community(own.kms_uri().as_bytes())?,
        };
        let period = peer_community
            .key_period_number(now)
            .ok_or_else(|| Error::invalid_argument("the time lies before the responder's first key period"))?;
        let peer_uid = peer_community.uid(&peer.uri, period)?;
        let peer_identifier = Identifier::new(&settings.identifier_form().identifier(&peer_uid))?;
        let csb_id = match purpose {
            KeyPurpose::Gmk => guk_id(key.key.expose(), key.key_id, &peer.uri)?,
            _ => key.key_id,
        };
        let mki = mki_of(purpose, key.key_id, csb_id);
        let mut policy = default_policy(purpose);
        policy.mki_len = mki.len() as u8;
        let cs_id_map = match sent_cs_id(purpose) {
            Some(cs_id) => CsIdMap::GenericId(vec![GenericCsEntry {
                cs_id,
                protocol: protocol_type::SRTP,
                session_data_flag: false,
                policy_nos: Cow::Borrowed(&[OFFERED_POLICY_NO]),
                session_data: Cow::Borrowed(&[]),
                spi: Cow::Borrowed(&mki),
            }]),
            None => CsIdMap::Empty { cs_count: 0 },
        };
        let sends_policy = matches!(cs_id_map, CsIdMap::GenericId(_));
        let header = CommonHeader {
            data_type: DataType::SakkeInit,
            verification_requested: false,
            prf_function: PRF_HMAC_SHA_256,
            csb_id,
            cs_id_map,
        };
        let sed = encapsulate(settings, key, &peer_identifier, peer_community)?;
        let idr = |role, data: &[u8]| {
            Payload::IdWithRole(IdrPayload { role, id_type: id_type::URI, data: Cow::Owned(data.to_vec()) })
        };
        let mut payloads = vec![
            Payload::Timestamp(cx.timestamp),
            Payload::Rand(cx.rand.as_slice().into()),
            idr(id_role::INITIATOR_UID, own.uid()),
            idr(id_role::RESPONDER_UID, &peer_uid),
            idr(id_role::INITIATOR_KMS, own.kms_uri().as_bytes()),
            idr(id_role::RESPONDER_KMS, peer_community.kms_uri().as_bytes()),
        ];
        if sends_policy {
            payloads.push(settings.policy_payload(OFFERED_POLICY_NO, &policy)?);
        }
        payloads.push(Payload::Sakke(sakke_payload(&sed)));
        if settings.sakke_to_self {
            // TS 33.180 E.5: the same key to our own identity, for our other devices.
            let own_community = settings.kms_community(own.kms_uri().as_bytes())?;
            let to_self = encapsulate(settings, key, own.receiver_key().identifier(), own_community)?;
            payloads.push(Payload::GeneralExtension(GeneralExtension {
                ext_type: extension_type::SAKKE_TO_SELF,
                data: sakke_payload(&to_self).to_self_extension_data()?.into(),
            }));
        }
        if let Some(parameters) = &key.parameters {
            let data = protected_key_parameters(settings, key, parameters, (csb_id, cx.timestamp))?;
            payloads.push(Payload::GeneralExtension(GeneralExtension {
                ext_type: extension_type::KEY_PARAMETERS_3GPP,
                data: data.into(),
            }));
        }
        let bytes = seal_eccsi_signed(Message { header, payloads }, own, settings)?;
        let streams: Streams = default_streams(purpose, sent_cs_id(purpose).as_slice());
        let keying = (RandBytes::from_slice(cx.rand), KeyMaterial::tgk(key.key.clone()), mki);
        let peer =
            Peer::identity_keys_holder(peer_community.kms_uri(), peer_identifier.as_bytes(), peer.uri.as_bytes());
        let policies: Policies = smallvec![(OFFERED_POLICY_NO, policy)];
        let mut bundle = Bundle::new(csb_id, PrfFunction::HmacSha256, keying, streams, policies, peer)?;
        bundle.ssrcs_outside_mikey = true;
        bundle.mcptt_key = Some(Arc::new(key.clone()));
        Ok(Offer { bytes, bundle: Some(bundle), pending: Pending::NoAnswer })
    }

    fn answer(&self, cx: &Answering<'_>, received: &Received<'_>) -> Result<Answer> {
        let settings = cx.settings;
        let message = received.message;
        let (signature, sakke_payload) = signature_and_sakke(message)?;
        let (rand, _) = accept::rand(cx, message, false)?;
        let ids = Identities::of(message, settings.interop)?;
        let now = cx.timestamp.value;
        // Step 4 of the receiver algorithm: the communities from IDRkmsi and IDRkmsr.
        let initiator_community = community_named(settings, ids.initiator_kms, "IDRkmsi")?;
        let responder_community = community_named(settings, ids.responder_kms, "IDRkmsr")?;
        let own = receiving_key_set(settings, responder_community, &ids.responder, now)?;
        // Step 5: the signature, under the initiator's identifier, over the message with its
        // SIGN header (RFC 3830 §5.2).
        let candidates = signer_candidates(initiator_community, &ids.initiator, now, settings.key_period_tolerance)?;
        let (signer, signer_identifier) =
            verified_signer(settings, initiator_community, &candidates, received, signature)?;
        // Step 6: the key, with the TEST check of RFC 6508 §6.2.2.
        let key = decapsulate(settings, own, &sakke_payload.data)?;
        // Step 7: the key ID and its purpose.
        let csb_id = message.header.csb_id;
        let purpose = KeyPurpose::of_key_id(csb_id).ok_or_else(|| {
            Error::malformed(format!("the CSB ID {csb_id:#010x} names no key purpose (TS 33.180 E.1)"))
                .with_peer_code(MikeyErrorCode::InvalidId)
        })?;
        let key_id = match purpose {
            KeyPurpose::Gmk => gmk_id_of_guk_id(key.expose(), csb_id, own.user_uri())?,
            _ => csb_id,
        };
        let mki = mki_of(purpose, key_id, csb_id);
        // Step 8: the key parameters.
        let parameters = received_key_parameters(settings, message, (&key, csb_id, purpose), now)?;
        // Step 9: the initiator SIP named is the signer.
        let initiator_uri = confirmed_initiator(cx, initiator_community, &ids.initiator, &signer, now)?;
        let (streams, policies) = received_crypto_sessions(settings, message, purpose, &mki)?;
        let identity = initiator_uri.as_deref().map_or(&signer[..], str::as_bytes);
        let peer = Peer::identity_keys_holder(initiator_community.kms_uri(), &signer_identifier, identity);
        let keying = (RandBytes::from_slice(&rand), KeyMaterial::tgk(SecretBytes::from_slice(key.expose())), mki);
        let prf = cx.prf;
        let mut bundle = Bundle::new(csb_id, prf, keying, streams, policies, peer)?;
        bundle.ssrcs_outside_mikey = true;
        bundle.mcptt_key = Some(Arc::new(McpttKey { key_id, key, parameters }));
        Ok(Answer { bundle, response: None, sent_key: false })
    }

    fn complete(&self, _cx: &Completing<'_>, _received: &Received<'_>) -> Result<Option<Bundle>> {
        Err(Error::new(ErrorKind::State, "MIKEY-SAKKE has no R_MESSAGE (RFC 6509 §2.2.1)"))
    }
}

/// The SAKKE payload of Encapsulated Data `sed`: Parameter Set 1, to a hashed UID.
fn sakke_payload(sed: &[u8]) -> SakkePayload<'_> {
    SakkePayload { params: sakke_params::PARAMETER_SET_1, id_scheme: id_scheme::HASHED_UID, data: Cow::Borrowed(sed) }
}

/// The SAKKE Encapsulated Data of `key` for the receiver `identifier` (RFC 6508 §6.2.1). Under
/// the Streamwide switch, a key whose g^r starts with a zero octet is refused: Streamwide would
/// hash g^r without it and compute another SSV (1 key in 256 for a given receiver).
fn encapsulate(
    settings: &Settings,
    key: &McpttKey,
    identifier: &Identifier,
    community: &KmsCommunity,
) -> Result<[u8; sakke::SED_LEN]> {
    let z = community.kms_public_key();
    if settings.interop.has(InteropFlags::SAKKE_STREAMWIDE_HASH) {
        let values = sakke::sender_values(key.key.expose(), identifier, z)?;
        if values.g_pow_r().expose().first() == Some(&0) {
            return Err(Error::invalid_argument(
                "Streamwide would decrypt this key wrongly for this receiver (its hash drops a leading zero \
                 octet of g^r, 1 key in 256): use another key",
            ));
        }
    }
    sakke::encapsulate_with_ssv(key.key.expose(), identifier, z)
}

/// The key of SAKKE data `data` for our key set (RFC 6508 §6.2.2, the TEST check included).
/// Data one octet short, whose H lost a leading zero octet (Streamwide), is read with it. Under
/// the Streamwide switch a failed TEST check is tried again with Streamwide's mask, the hash of
/// w without its leading zero octets; the TEST check decides that too.
fn decapsulate(settings: &Settings, own: &UserKeySet, data: &[u8]) -> Result<SecretBytes> {
    let padded;
    let data = match data.len() {
        short if short == sakke::SED_LEN - 1 => {
            let (r, h) = data.split_at(sakke::POINT_LEN);
            padded = [r, &[0], h].concat();
            &padded[..]
        }
        _ => data,
    };
    let not_for_us = |error: Error| match error.kind() {
        ErrorKind::AuthFailed => Error::new(ErrorKind::AuthFailed, "the SAKKE payload was not made for our key")
            .with_peer_code(MikeyErrorCode::AuthFailure),
        _ => error,
    };
    let rsk = own.receiver_key();
    match rsk.decapsulate(data) {
        Err(error)
            if error.kind() == ErrorKind::AuthFailed && settings.interop.has(InteropFlags::SAKKE_STREAMWIDE_HASH) =>
        {
            let sed = Sed::parse(data)?;
            let w = rsk.pairing_value(sed.point())?;
            // Not constant-time in w's leading zero octets: only under the switch, after the
            // RFC's TEST check failed.
            let significant = w.expose().iter().position(|&octet| octet != 0).unwrap_or(w.len());
            let mask = sakke::hash_to_integer_range_2n(&w.expose()[significant..]);
            let mut key = SecretBytes::zeroed(sakke::SSV_LEN);
            for ((out, hint), mask) in key.expose_mut().iter_mut().zip(sed.hint()).zip(mask.expose()) {
                *out = hint ^ mask;
            }
            rsk.check_ssv(key.expose(), sed.point()).map_err(not_for_us)?;
            Ok(key)
        }
        decapsulated => decapsulated.map_err(not_for_us),
    }
}

/// The crypto sessions of a key whose message names none, or `named`: each with no SSRC (SRTP
/// learns them from the packets) under the offered policy.
fn default_streams(purpose: KeyPurpose, named: &[u8]) -> Streams {
    let cs_ids = if named.is_empty() { default_cs_ids(purpose) } else { named };
    cs_ids.iter().map(|&cs_id| Stream { cs_id, ssrc: 0, roc: 0, policy_no: OFFERED_POLICY_NO }).collect()
}

/// The key parameters extension we send: the Key Parameters IE encrypted under the DPCK of the
/// key, with the CSB ID as DPPK-ID (TS 33.180 E.6.1), dated with T in Unix seconds.
fn protected_key_parameters(
    settings: &Settings,
    key: &McpttKey,
    parameters: &KeyParameters,
    (csb_id, timestamp): (u32, Timestamp),
) -> Result<Vec<u8>> {
    let mut iv = [0; 16];
    settings.rng.fill(&mut iv)?;
    let date = unix_seconds(timestamp.value).to_be_bytes();
    let mut protected = ProtectedKeyParameters {
        message_type: KEY_PARAMETERS_MESSAGE_TYPE,
        date_time: [date[3], date[4], date[5], date[6], date[7]],
        payload_id: 0,
        payload_sequence: 0,
        payload_algorithm: 0,
        iv,
        dppk_id: csb_id,
        payload_type: 0,
        ciphertext: Cow::Borrowed(&[]),
    };
    let plaintext = parameters.to_ie().encode()?;
    seal_key_parameters(&mut protected, key.key.expose(), &plaintext)?;
    protected.encode()
}

/// Appends the SIGN payload and signs the encoded message up to the signature field, its SIGN
/// header included (RFC 3830 §5.2), with ECCSI under our key set (RFC 6507 §5.2.1).
fn seal_eccsi_signed(mut message: Message<'_>, own: &UserKeySet, settings: &Settings) -> Result<Vec<u8>> {
    let placeholder = Signature { sig_type: signature_type::ECCSI, data: vec![0; SIGNATURE_LEN].into() };
    message.payloads.push(Payload::Sign(placeholder));
    let mut bytes = message.encode()?;
    let covered = bytes.len() - SIGNATURE_LEN;
    let signature = own.signing_key().sign(&bytes[..covered], settings.rng.as_ref())?;
    bytes[covered..].copy_from_slice(&signature.to_bytes());
    Ok(bytes)
}

/// The ECCSI signature (last, §6.1) and the one SAKKE payload of parameter set 1 for a hashed
/// UID (step 1 of the receiver algorithm: what else is refused).
fn signature_and_sakke<'m>(message: &'m Message<'_>) -> Result<(&'m Signature<'m>, &'m SakkePayload<'m>)> {
    let Some(Payload::Sign(signature)) = message.payloads.last() else {
        return Err(Error::malformed("a MIKEY-SAKKE I_MESSAGE ends with SIGN (RFC 6509 §2.2.1)"));
    };
    if signature.sig_type != signature_type::ECCSI || signature.data.len() != SIGNATURE_LEN {
        return Err(Error::unsupported(format!(
            "a signature of S type {} and {} octets; MIKEY-SAKKE signs with ECCSI (S type 2, 129 octets)",
            signature.sig_type,
            signature.data.len()
        ))
        .with_peer_code(MikeyErrorCode::AuthFailure));
    }
    let mut sakke = message.payloads.iter().filter_map(Payload::as_sakke);
    let (Some(payload), None) = (sakke.next(), sakke.next()) else {
        return Err(Error::malformed("a MIKEY-SAKKE I_MESSAGE carries one SAKKE payload (RFC 6509 §2.2.1)"));
    };
    if payload.params != sakke_params::PARAMETER_SET_1 {
        return Err(Error::unsupported(format!("SAKKE parameter set {}; this version has set 1", payload.params)));
    }
    if payload.id_scheme != id_scheme::HASHED_UID {
        return Err(Error::unsupported(format!(
            "SAKKE ID scheme {}; this version keys the hashed UIDs of TS 33.180 (scheme 2)",
            payload.id_scheme
        )));
    }
    Ok((signature, payload))
}

/// How a message names a user: by UID (IDRuidi/IDRuidr, TS 33.180 E.7), or by URI (IDRi/IDRr,
/// RFC 6509 §4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NamedBy<'m> {
    Uid(&'m [u8]),
    Uri(&'m [u8]),
    Nothing,
}

/// The IDR payloads of a MIKEY-SAKKE I_MESSAGE, each role at most once.
struct Identities<'m> {
    initiator: NamedBy<'m>,
    responder: NamedBy<'m>,
    initiator_kms: Option<&'m [u8]>,
    responder_kms: Option<&'m [u8]>,
}

impl<'m> Identities<'m> {
    fn of(message: &'m Message<'_>, interop: InteropFlags) -> Result<Self> {
        let mut ids = Identities {
            initiator: NamedBy::Nothing,
            responder: NamedBy::Nothing,
            initiator_kms: None,
            responder_kms: None,
        };
        let uids_in_uri_roles = interop.has(InteropFlags::SAKKE_UIDS_IN_ROLES_1_2);
        let read_uri = |data: &'m [u8]| match data.len() == UID_LEN && uids_in_uri_roles {
            true => NamedBy::Uid(data),
            false => NamedBy::Uri(data),
        };
        for idr in message.payloads.iter().filter_map(Payload::as_id_with_role) {
            let data = &*idr.data;
            let (slot, value) = match idr.role {
                id_role::INITIATOR => (&mut ids.initiator, read_uri(data)),
                id_role::RESPONDER => (&mut ids.responder, read_uri(data)),
                id_role::INITIATOR_UID => (&mut ids.initiator, NamedBy::Uid(data)),
                id_role::RESPONDER_UID => (&mut ids.responder, NamedBy::Uid(data)),
                id_role::INITIATOR_KMS | id_role::RESPONDER_KMS => {
                    let slot = if idr.role == id_role::INITIATOR_KMS {
                        &mut ids.initiator_kms
                    } else {
                        &mut ids.responder_kms
                    };
                    if slot.replace(data).is_some() {
                        return Err(Error::malformed(format!("IDR role {} appears twice", idr.role)));
                    }
                    continue;
                }
                other => return Err(Error::malformed(format!("IDR role {other} in a MIKEY-SAKKE I_MESSAGE"))),
            };
            if *slot != NamedBy::Nothing {
                return Err(Error::malformed("the initiator or the responder is named twice"));
            }
            *slot = value;
        }
        Ok(ids)
    }
}

/// The community of the KMS an IDRkms names; without one, the only community configured.
fn community_named<'s>(settings: &'s Settings, named: Option<&[u8]>, role: &str) -> Result<&'s KmsCommunity> {
    match (named, settings.kms_communities.as_slice()) {
        (Some(kms_uri), _) => settings.kms_community(kms_uri),
        (None, [only]) => Ok(only),
        (None, _) => Err(Error::malformed(format!("no {role}, and more than one KMS community is configured"))
            .with_peer_code(MikeyErrorCode::InvalidId)),
    }
}

/// The key periods of `community` a message of time `ntp_timestamp` may have been made in: its
/// own, then as many on each side as `tolerance` allows.
fn key_periods(community: &KmsCommunity, ntp_timestamp: u64, tolerance: u8) -> Result<Vec<u64>> {
    let period = community.key_period_number(ntp_timestamp).ok_or_else(|| {
        Error::new(ErrorKind::Timestamp, "T lies before the first key period of the KMS")
            .with_peer_code(MikeyErrorCode::InvalidTimestamp)
    })?;
    let mut periods = vec![period];
    for distance in 1..=u64::from(tolerance) {
        periods.extend(period.checked_sub(distance));
        periods.push(period + distance);
    }
    Ok(periods)
}

/// Our key set that the message is for: the one whose UID IDRuidr names, or ours for the key
/// period of T when the message names us by URI or not at all. Refused when it names another
/// user, or a key period we have no keys for.
fn receiving_key_set<'s>(
    settings: &'s Settings,
    community: &KmsCommunity,
    named: &NamedBy<'_>,
    ntp_timestamp: u64,
) -> Result<&'s UserKeySet> {
    let periods = key_periods(community, ntp_timestamp, settings.key_period_tolerance)?;
    let ours =
        |set: &&Arc<UserKeySet>| set.kms_uri() == community.kms_uri() && periods.contains(&set.key_period_number());
    let not_ours =
        |what: String| Err(Error::new(ErrorKind::AuthFailed, what).with_peer_code(MikeyErrorCode::InvalidId));
    let found = match named {
        NamedBy::Uid(uid) => settings.user_key_sets.iter().filter(ours).find(|set| set.uid()[..] == **uid),
        NamedBy::Uri(uri) if settings.user_key_sets.iter().any(|set| set.user_uri().as_bytes() != *uri) => {
            return not_ours("IDRr names another user".to_owned());
        }
        NamedBy::Uri(_) | NamedBy::Nothing => {
            // Our keys of T's own period first.
            periods.iter().find_map(|period| {
                settings.user_key_sets.iter().filter(ours).find(|set| set.key_period_number() == *period)
            })
        }
    };
    match found {
        Some(set) => Ok(set),
        None => not_ours(format!(
            "the message is not for a key set of ours: IDRuidr names another user, or key period {} of {} \
             (± {}) is not one we have keys for",
            periods[0],
            community.kms_uri(),
            settings.key_period_tolerance
        )),
    }
}

/// The UIDs the initiator may have signed under: the one IDRuidi carries, or the UID of the URI
/// IDRi carries in the key period of T (then those of the periods the tolerance allows).
fn signer_candidates(
    community: &KmsCommunity,
    named: &NamedBy<'_>,
    ntp_timestamp: u64,
    tolerance: u8,
) -> Result<Vec<[u8; 32]>> {
    match named {
        NamedBy::Uid(uid) => Ok(vec![<[u8; UID_LEN]>::try_from(*uid).map_err(|_| {
            Error::malformed(format!("IDRuidi carries {} octets; a UID is 32 (F.2.1)", uid.len()))
                .with_peer_code(MikeyErrorCode::InvalidId)
        })?]),
        NamedBy::Uri(uri) => {
            let uri = std::str::from_utf8(uri).map_err(|_| Error::malformed("IDRi is not a UTF-8 URI"))?;
            let periods = key_periods(community, ntp_timestamp, tolerance)?;
            periods.into_iter().map(|period| community.uid(uri, period)).collect()
        }
        NamedBy::Nothing => Err(Error::malformed("no IDRi or IDRuidi: the signer is unknown (RFC 6509 §2.2.1)")
            .with_peer_code(MikeyErrorCode::InvalidId)),
    }
}

/// The UID among `candidates` whose signature the message carries, with its identifier.
fn verified_signer(
    settings: &Settings,
    community: &KmsCommunity,
    candidates: &[[u8; 32]],
    received: &Received<'_>,
    signature: &Signature<'_>,
) -> Result<([u8; 32], Vec<u8>)> {
    let mut refusal = Error::new(ErrorKind::AuthFailed, "no signer");
    for uid in candidates {
        let identifier = settings.identifier_form().identifier(uid);
        match verify_signature(settings, community, &identifier, received.bytes, signature) {
            Ok(()) => return Ok((*uid, identifier)),
            Err(error) => refusal = error,
        }
    }
    Err(refusal)
}

/// Checks the ECCSI signature over everything before it, the SIGN header included (RFC 3830
/// §5.2), under `signer` and the initiator's KPAK; without the header only under the switch.
fn verify_signature(
    settings: &Settings,
    community: &KmsCommunity,
    signer: &[u8],
    bytes: &[u8],
    signature: &Signature<'_>,
) -> Result<()> {
    let covered = bytes.len() - signature.data.len();
    let verifies = |covered: usize| eccsi::verify(community.kpak(), signer, &bytes[..covered], &signature.data);
    let verified = verifies(covered).or_else(|error| {
        const SIGN_HEADER_LEN: usize = 2;
        match settings.interop.has(InteropFlags::SAKKE_SIGNATURE_WITHOUT_HEADER) {
            true => verifies(covered - SIGN_HEADER_LEN),
            false => Err(error),
        }
    });
    verified.map_err(|error| match error.kind() {
        ErrorKind::AuthFailed => {
            Error::new(ErrorKind::AuthFailed, "the ECCSI signature does not verify (RFC 6507 §5.2.2)")
                .with_peer_code(MikeyErrorCode::AuthFailure)
        }
        _ => error,
    })
}

/// The key parameters of General Extension type 7, decrypted and validated (TS 33.180 E.6):
/// at most one; the key type is the key ID's purpose, the key is not revoked (status bit 0, or
/// status 0 under its switch) and not expired; the legacy clear form only under its switch.
fn received_key_parameters(
    settings: &Settings,
    message: &Message<'_>,
    (key, csb_id, purpose): (&SecretBytes, u32, KeyPurpose),
    ntp_timestamp: u64,
) -> Result<Option<KeyParameters>> {
    let mut extensions = message
        .payloads
        .iter()
        .filter_map(Payload::as_general_extension)
        .filter(|extension| extension.ext_type == extension_type::KEY_PARAMETERS_3GPP);
    let Some(extension) = extensions.next() else { return Ok(None) };
    if extensions.next().is_some() {
        return Err(Error::malformed("two key parameters extensions (TS 33.180 E.6)"));
    }
    let refused = |what: String| Err(Error::new(ErrorKind::Policy, what).with_peer_code(MikeyErrorCode::Unspecified));
    let parameters = match KeyParametersExtension::decode(&extension.data)? {
        KeyParametersExtension::Protected(protected) => {
            if protected.dppk_id != csb_id {
                return refused(format!(
                    "the key parameters are for DPPK-ID {:#010x}, the message for CSB {csb_id:#010x} (E.6.1)",
                    protected.dppk_id
                ));
            }
            let plaintext = open_key_parameters(&protected, key.expose()).map_err(|error| match error.kind() {
                ErrorKind::AuthFailed | ErrorKind::Crypto => {
                    Error::new(ErrorKind::AuthFailed, "the key parameters' GCM tag does not verify (E.6.1)")
                        .with_peer_code(MikeyErrorCode::AuthFailure)
                }
                _ => error,
            })?;
            KeyParameters::from_ie(&KeyParametersIe::decode(plaintext.expose())?)
        }
        KeyParametersExtension::LegacyClear(legacy) => {
            if !settings.interop.has(InteropFlags::SAKKE_LEGACY_KEY_PARAMETERS) {
                return refused("key parameters in the legacy clear form (enable its interop switch)".to_owned());
            }
            KeyParameters {
                key_type: legacy.key_type,
                status: legacy.status,
                activation_time: legacy.activation_time,
                expiry_time: legacy.expiry_time,
                text: legacy.text.to_vec(),
                group_ids: Vec::new(),
                legacy_clear: true,
            }
        }
    };
    if parameters.key_type != purpose as u8 {
        return refused(format!(
            "the key parameters name key type {}, the key ID purpose {} (E.6.11)",
            parameters.key_type, purpose as u8
        ));
    }
    let status_zero_accepted = parameters.status == 0 && settings.interop.has(InteropFlags::SAKKE_STATUS_ZERO);
    if parameters.status & STATUS_NOT_REVOKED == 0 && !status_zero_accepted {
        return refused(format!("the key is revoked (status {:#010x}, E.6.9)", parameters.status));
    }
    if parameters.expiry_time != 0 && (parameters.expiry_time as i64) < unix_seconds(ntp_timestamp) {
        return refused(format!("the key expired at {} (Unix seconds, E.6.10)", parameters.expiry_time));
    }
    Ok(Some(parameters))
}

/// Step 9, identity hiding (TS 33.180 5.2.6): when the application names the initiator as SIP
/// told it, the signer's UID must be that user's, in the key period of T (± the tolerance).
/// Returns the initiator's URI where known: confirmed, or as IDRi carried it.
fn confirmed_initiator(
    cx: &Answering<'_>,
    community: &KmsCommunity,
    named: &NamedBy<'_>,
    signer: &[u8; 32],
    ntp_timestamp: u64,
) -> Result<Option<String>> {
    let carried_uri = match named {
        NamedBy::Uri(uri) => Some(String::from_utf8_lossy(uri).into_owned()),
        _ => None,
    };
    let Some(McpttPeer { uri, kms_uri }) = cx.mcptt_peer else { return Ok(carried_uri) };
    if kms_uri.as_deref().is_some_and(|kms_uri| kms_uri != community.kms_uri()) {
        return Err(Error::new(ErrorKind::AuthFailed, "the initiator is another KMS's user than the one expected")
            .with_peer_code(MikeyErrorCode::InvalidId));
    }
    for period in key_periods(community, ntp_timestamp, cx.settings.key_period_tolerance)? {
        if community.uid(uri, period)? == *signer {
            return Ok(Some(uri.clone()));
        }
    }
    Err(Error::new(ErrorKind::AuthFailed, format!("the message was not signed by {uri} (its UID differs, 5.2.6)"))
        .with_peer_code(MikeyErrorCode::InvalidId))
}

/// The crypto sessions and policies of a received I_MESSAGE: a GENERIC-ID map's CS IDs, whose
/// SPI must be the key's MKI; the default CS IDs of an empty map (or of an SRTP-ID map, whose
/// SSRCs they take in order); the SP payloads, or the default
/// profile of the key (TS 33.179 E). Senders send an SP with the empty map too, against RFC
/// 4563 §5: it is taken.
fn received_crypto_sessions(
    settings: &Settings,
    message: &Message<'_>,
    purpose: KeyPurpose,
    mki: &[u8],
) -> Result<(Streams, Policies)> {
    let mut policies = Policies::new();
    for sp in message.payloads.iter().filter_map(Payload::as_security_policy) {
        let policy = SrtpPolicy::from_security_policy(sp)?;
        settings.check_peer_policy(&policy)?;
        policies.retain(|(no, _)| *no != sp.policy_no);
        policies.push((sp.policy_no, policy));
    }
    if policies.is_empty() {
        policies.push((OFFERED_POLICY_NO, default_policy(purpose)));
    }
    for (_, policy) in policies.iter_mut() {
        policy.mki_len = mki.len() as u8;
    }
    let first_policy_no = policies[0].0;
    let streams = match &message.header.cs_id_map {
        CsIdMap::GenericId(entries) => {
            let mut streams = Streams::new();
            for entry in entries {
                if !entry.spi.is_empty() && *entry.spi != *mki {
                    return Err(Error::new(
                        ErrorKind::Policy,
                        format!("CS {}'s SPI is not the key's MKI", entry.cs_id),
                    )
                    .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter));
                }
                streams.push(generic_stream(entry, first_policy_no)?);
            }
            streams
        }
        CsIdMap::Empty { .. } => default_streams(purpose, &[]),
        // Streamwide up to 1.1 sent an SRTP-ID map, and keyed the profile's CS IDs anyway: its
        // SSRCs and ROCs go to those CS IDs in order.
        CsIdMap::SrtpId(map) => {
            let mut streams = default_streams(purpose, &[]);
            for (stream, entry) in streams.iter_mut().zip(map.entries()) {
                (stream.ssrc, stream.roc, stream.policy_no) = (entry.ssrc, entry.roc, entry.policy_no);
            }
            streams
        }
    };
    Ok((streams, policies))
}
