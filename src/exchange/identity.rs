//! Identities in an exchange: the ID payloads a message carries, our own, and the two rules
//! that bind a carried identity: to the configured one, and to the signer's certificate.

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::bundle::Peer;
use crate::config::Settings;
use crate::crypto::x509::Certificate;
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::wire::registry::id_type;
use crate::wire::{IdPayload, Message, Payload};

/// The data of a message's ID payloads, in order.
pub(crate) fn carried_ids<'m>(message: &'m Message<'_>) -> SmallVec<[&'m [u8]; 2]> {
    message.payloads.iter().filter_map(Payload::as_id).map(|id| &*id.data).collect()
}

/// IDi and IDr of an I_MESSAGE (empty when absent) from its ID payloads: [IDi], [IDr]
/// (RFC 3830 §3.1). When the initiator is named otherwise, by its certificate ([IDi|CERTi],
/// §3.2, §3.3) or not at all (DH-HMAC's mandatory IDr, RFC 4650 §3), a lone ID is IDr:
/// `lone_id_is_responder`.
pub(crate) fn initiator_and_responder_ids<'m>(
    ids: &[&'m [u8]],
    lone_id_is_responder: bool,
) -> Result<(&'m [u8], &'m [u8])> {
    match *ids {
        [] => Ok((&[], &[])),
        [responder_id] if lone_id_is_responder => Ok((&[], responder_id)),
        [initiator_id] => Ok((initiator_id, &[])),
        [initiator_id, responder_id] => Ok((initiator_id, responder_id)),
        _ => Err(Error::malformed("more than two ID payloads")),
    }
}

/// The ID payloads (URI) of an I_MESSAGE's non-empty identities, IDi first.
pub(crate) fn id_payloads<'a>(initiator_id: &'a [u8], responder_id: &'a [u8]) -> impl Iterator<Item = Payload<'a>> {
    [initiator_id, responder_id].into_iter().filter(|id| !id.is_empty()).map(uri_payload)
}

/// An ID payload of type URI.
pub(crate) fn uri_payload<'a>(id: impl Into<Cow<'a, [u8]>>) -> Payload<'a> {
    Payload::Id(IdPayload { id_type: id_type::URI, data: id.into() })
}

/// Our identity as an encrypted ID payload names us (PK's IDi, RSA-R's IDr): the configured
/// one, else the first subjectAltName of our end-entity certificate.
pub(crate) fn own_identity_payload(settings: &Settings) -> Result<IdPayload<'static>> {
    let data = match &settings.own_id {
        Some(own_id) => own_id.clone().into_bytes(),
        None => settings
            .certificate_chain
            .first()
            .and_then(|certificate| certificate.identities().into_iter().next())
            .map(String::into_bytes)
            .ok_or_else(|| Error::invalid_argument("our certificate names no identity; set our own identity"))?,
    };
    Ok(IdPayload { id_type: id_type::URI, data: data.into() })
}

/// The peer behind a signature by `certificate`, going by the identity it `claimed` (which the
/// certificate names); without one, by the configured peer identity if the certificate names
/// it, else by the certificate's first identity.
pub(crate) fn certificate_holder(settings: &Settings, certificate: &Certificate, claimed: &[u8]) -> Result<Peer> {
    let configured = settings.peer_id.as_deref().map(str::as_bytes).filter(|id| certificate.matches_identity(id));
    let identity = match (claimed, configured) {
        ([], Some(configured)) => configured.to_vec(),
        ([], None) => certificate.identities().into_iter().next().unwrap_or_default().into_bytes(),
        (claimed, _) => claimed.to_vec(),
    };
    Peer::holder_of(certificate, &identity)
}

/// A holder of the pre-shared key, going by the identity it `claimed` under its MAC, else by
/// the configured peer identity.
pub(crate) fn key_holder(settings: &Settings, claimed: &[u8]) -> Peer {
    match (claimed, &settings.peer_id) {
        ([], Some(configured)) => Peer::pre_shared(configured.as_bytes()),
        (claimed, _) => Peer::pre_shared(claimed),
    }
}

/// With `Settings::require_peer_id`, a message authenticated by a shared key must carry the
/// configured peer identity: `carried` may not be absent then (its value is checked by
/// [`check_identity`]).
pub(crate) fn check_peer_named(settings: &Settings, carried: &[u8], which: &str) -> Result<()> {
    if settings.require_peer_id && settings.peer_id.is_some() && carried.is_empty() {
        return Err(Error::new(ErrorKind::AuthFailed, format!("{which} is required and absent"))
            .with_peer_code(MikeyErrorCode::InvalidId));
    }
    check_identity(&settings.peer_id, carried, which)
}

/// A configured identity must match the one carried, when both are present.
pub(crate) fn check_identity(configured: &Option<String>, carried: &[u8], which: &str) -> Result<()> {
    match configured {
        Some(expected) if !carried.is_empty() && carried != expected.as_bytes() => {
            Err(Error::new(ErrorKind::AuthFailed, format!("{which} does not match the configured identity"))
                .with_peer_code(MikeyErrorCode::InvalidId))
        }
        _ => Ok(()),
    }
}

/// The identity a signer gives for itself must be one its certificate names (subjectAltName
/// URI or email). `encrypted` is the ID inside an envelope's KEMAC (PK's IDi, RFC 3830 §3.2;
/// RSA-R's IDr, RFC 4738 §3.6): required there, and a cleartext ID must then equal it.
/// Without an envelope, a cleartext ID, when present, must name the signer (§3.3).
pub(crate) fn check_signer_named(
    signer: &Certificate,
    encrypted: Option<&[u8]>,
    cleartext: &[u8],
    which: &str,
) -> Result<()> {
    let named = match encrypted {
        Some(encrypted) => signer.matches_identity(encrypted) && (cleartext.is_empty() || cleartext == encrypted),
        None => cleartext.is_empty() || signer.matches_identity(cleartext),
    };
    if named {
        Ok(())
    } else {
        Err(not_the_signer(which))
    }
}

/// The error of an identity that does not name the signer.
pub(crate) fn not_the_signer(which: &str) -> Error {
    Error::new(ErrorKind::AuthFailed, format!("{which} is not the signer's identity"))
        .with_peer_code(MikeyErrorCode::InvalidId)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &[u8] = b"sip:alice@example.com";
    const BOB: &[u8] = b"sip:bob@example.com";

    fn alice_certificate() -> Certificate {
        Certificate::from_pem_or_der(include_bytes!("../../tests/pki/alice.crt.pem")).unwrap().remove(0)
    }

    #[test]
    fn a_lone_id_is_idi_unless_the_initiator_is_named_otherwise() {
        assert_eq!(initiator_and_responder_ids(&[], false).unwrap(), (&[][..], &[][..]));
        assert_eq!(initiator_and_responder_ids(&[ALICE], false).unwrap(), (ALICE, &[][..]));
        assert_eq!(initiator_and_responder_ids(&[BOB], true).unwrap(), (&[][..], BOB));
        for lone_id_is_responder in [false, true] {
            assert_eq!(initiator_and_responder_ids(&[ALICE, BOB], lone_id_is_responder).unwrap(), (ALICE, BOB));
            let error = initiator_and_responder_ids(&[ALICE, BOB, BOB], lone_id_is_responder).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Malformed);
        }
    }

    #[test]
    fn a_configured_identity_must_match_a_carried_one() {
        let configured = Some("sip:alice@example.com".to_owned());
        check_identity(&configured, ALICE, "IDi").unwrap();
        check_identity(&configured, b"", "IDi").unwrap();
        check_identity(&None, BOB, "IDi").unwrap();
        let error = check_identity(&configured, BOB, "IDi").unwrap_err();
        assert_eq!((error.kind(), error.peer_code()), (ErrorKind::AuthFailed, Some(MikeyErrorCode::InvalidId)));
    }

    #[test]
    fn the_signer_must_be_named_by_the_identity_it_gives() {
        let alice = alice_certificate();
        // Without an envelope: a cleartext ID, when present, names the signer.
        check_signer_named(&alice, None, b"", "IDi").unwrap();
        check_signer_named(&alice, None, ALICE, "IDi").unwrap();
        // With an envelope: the encrypted ID is required and names the signer; a cleartext ID
        // must equal it.
        check_signer_named(&alice, Some(ALICE), b"", "IDi").unwrap();
        check_signer_named(&alice, Some(ALICE), ALICE, "IDi").unwrap();
        let refused = [(None, BOB), (Some(BOB), &b""[..]), (Some(&b""[..]), &b""[..]), (Some(ALICE), BOB)];
        for (encrypted, cleartext) in refused {
            let error = check_signer_named(&alice, encrypted, cleartext, "IDi").unwrap_err();
            assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidId), "{encrypted:?} {cleartext:?}");
            assert_eq!(error.kind(), ErrorKind::AuthFailed);
        }
    }
}
