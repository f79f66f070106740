//! What a responder accepts from an authenticated I_MESSAGE: its RAND, and the CSB its SP
//! payloads, CS ID map and keys describe, checked whole before anything is committed.

use std::borrow::Cow;

use crate::bundle::{
    fill_placeholders, received_streams, Bundle, KeyKind, KeyMaterial, Peer, RandBytes, Stream, OFFERED_POLICY_NO,
};
use crate::config::{InteropFlags, MANDATORY_MKI_LEN, RAND_LEN};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::method::Answering;
use crate::srtp::{SrtpPolicy, MAX_MKI_LEN};
use crate::wire::{CsIdMap, KeyData, KeyDataType, KeyValidity, Message, Payload};

/// The shortest TGK we accept: as strong as the AES-128 keys it keys (RFC 3830 §9.2).
const MIN_TGK_LEN: usize = 16;

/// Keying material and the MKI bound to it.
pub(crate) type LocalKeys = (KeyMaterial, Vec<u8>);

/// The keys an accepted I_MESSAGE brings: carried in KEMAC Key data, or made here (agreed by
/// Diffie-Hellman, or chosen by an RSA-R responder) with their MKI. None of either keeps the
/// CSB's keys (an update, §4.5).
pub(crate) enum NewKeys<'a> {
    Carried(&'a [KeyData<'a>]),
    Local(Option<LocalKeys>),
}

/// The RAND of the exchange an I_MESSAGE belongs to (§3.1, §4.5): the one it carries, or for an
/// update the CSB's (which it may repeat but not change). With `responder_chooses` (RSA-R, RFC
/// 4738 §3.4) an initial I_MESSAGE may carry none, and we draw it: the flag returned says so.
pub(crate) fn rand<'a>(
    cx: &Answering<'a>,
    message: &'a Message<'_>,
    responder_chooses: bool,
) -> Result<(Cow<'a, [u8]>, bool)> {
    let mut rands = message.payloads.iter().filter_map(Payload::as_rand);
    let (carried, second) = (rands.next(), rands.next());
    let ours = carried.is_none() && cx.update.is_none() && responder_chooses;
    let rand = match (carried, second, cx.update) {
        (Some(rand), None, None) if rand.len() >= RAND_LEN => Cow::Borrowed(&**rand),
        (Some(_), None, None) => return Err(Error::malformed("a RAND holds at least 16 bytes (§6.11)")),
        (None, None, Some(bundle)) => Cow::Borrowed(&bundle.rand[..]),
        (Some(rand), None, Some(bundle)) if **rand == *bundle.rand => Cow::Borrowed(&bundle.rand[..]),
        (None, None, None) if ours => {
            let mut rand = vec![0; RAND_LEN];
            cx.settings.rng.fill(&mut rand)?;
            Cow::Owned(rand)
        }
        (None, None, None) => return Err(Error::malformed("the initial I_MESSAGE has no RAND (§3.1)")),
        _ => return Err(Error::malformed("RAND must appear once, and an update must not change it (§4.5)")),
    };
    Ok((rand, ours))
}

/// The CSB an accepted I_MESSAGE from `peer` establishes or updates, fully validated (every
/// crypto session can be exported). Without any SP payload the CSB takes `policy_without_sp`:
/// the defaults of §6.10.1, or ours where the responder chooses (RFC 4738 §3.6).
pub(crate) fn bundle(
    cx: &Answering<'_>,
    message: &Message<'_>,
    (rand, new_keys): (&[u8], NewKeys<'_>),
    policy_without_sp: SrtpPolicy,
    peer: Peer,
) -> Result<Bundle> {
    let mut policies = cx.update.map(|bundle| bundle.policies.clone()).unwrap_or_default();
    for sp in message.payloads.iter().filter_map(Payload::as_security_policy) {
        let policy = SrtpPolicy::from_security_policy(sp)?;
        cx.settings.check_peer_policy(&policy)?;
        policies.retain(|(no, _)| *no != sp.policy_no);
        policies.push((sp.policy_no, policy));
    }
    let default_policy_no = policies.first().map_or(OFFERED_POLICY_NO, |(no, _)| *no);
    let mut streams = received_streams(&message.header.cs_id_map, default_policy_no)?;
    let ssrcs_outside_mikey = matches!(message.header.cs_id_map, CsIdMap::Empty { .. });
    let open = if ssrcs_outside_mikey { 0 } else { fill_placeholders(&mut streams, cx.own_streams) };
    if open > 0 && !cx.settings.interop.has(InteropFlags::SSRC_ZERO) {
        let error = format!(
            "{open} SSRC placeholder(s) in the CS ID map and no SSRC of ours to fill them in (§6.1.1): \
             add our sending streams first, or set the SSRC-zero interop flag"
        );
        return Err(Error::new(ErrorKind::Policy, error).with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter));
    }
    if policies.is_empty() {
        policies.push((OFFERED_POLICY_NO, policy_without_sp));
    }
    let new_keys = match new_keys {
        NewKeys::Carried([]) | NewKeys::Local(None) => None,
        NewKeys::Carried([key]) => Some(key_material(cx.settings.interop, key, &policies, &streams)?),
        NewKeys::Carried(_) => {
            return Err(Error::unsupported("more than one Key data sub-payload in one KEMAC")
                .with_peer_code(MikeyErrorCode::Unspecified))
        }
        NewKeys::Local(Some(local)) => Some(local),
    };
    let (keys, mki) = match (new_keys, cx.update) {
        (Some(keys), _) => keys,
        (None, Some(previous)) => (previous.keys.clone(), previous.mki.clone()),
        (None, None) => return Err(Error::malformed("the initial I_MESSAGE carries no keys")),
    };
    for (_, policy) in policies.iter_mut() {
        // The MKI comes from the key validity data, not the SP (§6.14); at most 16 bytes.
        policy.mki_len = mki.len() as u8;
    }
    let keying = (RandBytes::from_slice(rand), keys, mki);
    let mut bundle = Bundle::new(message.header.csb_id, cx.prf, keying, streams, policies, peer)?;
    bundle.ssrcs_outside_mikey = ssrcs_outside_mikey;
    Ok(bundle)
}

/// The MKI of received key validity data (§6.14): an SPI of 1 to 16 bytes, or none.
pub(crate) fn mki_of(interop: InteropFlags, validity: &KeyValidity<'_>) -> Result<Vec<u8>> {
    let mki = match validity {
        KeyValidity::Spi(spi) if spi.len() <= usize::from(MAX_MKI_LEN) && !spi.is_empty() => spi.to_vec(),
        KeyValidity::Spi(_) => {
            return Err(Error::new(ErrorKind::Policy, format!("MKI must be 1 to {MAX_MKI_LEN} bytes"))
                .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter))
        }
        KeyValidity::Null | KeyValidity::Interval { .. } => Vec::new(),
    };
    if interop.has(InteropFlags::MANDATORY_MKI_4) && mki.len() != usize::from(MANDATORY_MKI_LEN) {
        return Err(Error::new(ErrorKind::Policy, "a 4-byte MKI is required (mandatory-MKI interop flag)")
            .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter));
    }
    Ok(mki)
}

/// The key material and MKI of a received Key data sub-payload, for crypto sessions `streams`
/// under `policies`.
pub(crate) fn key_material(
    interop: InteropFlags,
    key: &KeyData<'_>,
    policies: &[(u8, SrtpPolicy)],
    streams: &[Stream],
) -> Result<LocalKeys> {
    let mki = mki_of(interop, &key.validity)?;
    if key.key.is_empty() {
        return Err(Error::malformed("empty key in Key data"));
    }
    let carried_salt =
        || key.salt.map(|salt| salt.expose()).ok_or_else(|| Error::malformed("Key data without its salt"));
    if matches!(key.key_type, KeyDataType::Tgk | KeyDataType::TgkSalt) && key.key.len() < MIN_TGK_LEN {
        return Err(Error::new(ErrorKind::Policy, format!("a {}-byte TGK; at least {MIN_TGK_LEN}", key.key.len()))
            .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter));
    }
    let material = match key.key_type {
        KeyDataType::Tgk => KeyMaterial::joined(KeyKind::Tgk, key.key.expose(), &[]),
        KeyDataType::TgkSalt => KeyMaterial::joined(KeyKind::TgkSalt, key.key.expose(), carried_salt()?),
        KeyDataType::TekSalt => KeyMaterial::joined(KeyKind::Tek, key.key.expose(), carried_salt()?),
        KeyDataType::Tek => {
            // Key and salt concatenated in one TEK (GStreamer, Live555, cameras): split where
            // every stream's profile agrees on the lengths.
            let profile_of = |no: u8| policies.iter().find(|(n, _)| *n == no).map(|(_, p)| p.profile);
            let mut profiles = streams.iter().filter_map(|s| profile_of(s.policy_no));
            let profile = profiles.next().or_else(|| policies.first().map(|(_, p)| p.profile));
            let Some(profile) = profile.filter(|p| profiles.all(|q| q == *p)) else {
                return Err(Error::new(ErrorKind::Policy, "one TEK for crypto sessions of different profiles"));
            };
            let key_len = usize::from(profile.master_key_len());
            if key.key.len() != key_len + usize::from(profile.master_salt_len()) {
                return Err(Error::new(
                    ErrorKind::Policy,
                    format!("a {}-byte TEK without salt does not fit {profile:?}", key.key.len()),
                )
                .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter));
            }
            let (master_key, master_salt) = key.key.expose().split_at(key_len);
            KeyMaterial::joined(KeyKind::Tek, master_key, master_salt)
        }
        KeyDataType::Gtgk | KeyDataType::GtgkSalt | KeyDataType::Mpk => {
            return Err(Error::unsupported(format!("a {:?} key is MIKEY-TICKET's (RFC 6043 §6.2.1)", key.key_type)));
        }
    };
    Ok((material, mki))
}
