//! Key forking (RFC 6043 §5.1.1, §6.10): the TICKET's Initiator Data, by which the initiator
//! proves to the KMS that it sent the TRANSFER_INIT, and the forked keys.
//!
//! Initiator Data = First Payload, Vi, Vr. Vi is the TRANSFER_INIT's own V payload; Vr's MAC,
//! with Vi's algorithm, covers the Initiator Data but itself, keyed from MPKr (not forked) with
//! the label constant || 0xFF || 0xFFFFFFFF || 0x04.

use crate::crypto::ticket_kdf::TicketMessageKeys;
use crate::crypto::{EnvelopeKeyPurpose, MacKey, PrfFunction};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::exchange::kemac::mac_algorithm_of;
use crate::wire::{decode_payload_chain, encode_payload_chain, Payload, Verification};

/// The MAC key of Vr, from MPKr under the Ticket Policy's PRF, for `verification`'s algorithm.
fn vr_key(prf: PrfFunction, mpkr: &[u8], verification: &Verification<'_>) -> MacKey {
    let mac = mac_algorithm_of(verification.mac_algorithm);
    let keys = TicketMessageKeys::for_initiator_data(prf, mpkr);
    MacKey::new(mac, keys.derive_secret(EnvelopeKeyPurpose::AuthKey, mac.key_len()).expose())
}

/// The Initiator Data for a TRANSFER_INIT whose V payload is `vi`.
pub(crate) fn seal_initiator_data(prf: PrfFunction, mpkr: &[u8], vi: &Verification<'_>) -> Result<Vec<u8>> {
    let vr = Verification { mac_algorithm: vi.mac_algorithm, mac: vec![0; vi.mac.len()].into() };
    let key = vr_key(prf, mpkr, &vr);
    let mut data = encode_payload_chain(&[Payload::Verification(vi.clone()), Payload::Verification(vr)])?;
    let covered = data.len() - vi.mac.len();
    let tag = key.sign(&data[..covered]);
    data[covered..].copy_from_slice(tag.as_slice());
    Ok(data)
}

/// Vi and Vr of Initiator Data: its two V payloads, Vr last, with one algorithm.
fn parse(data: &[u8]) -> Result<(Verification<'_>, Verification<'_>)> {
    let invalid = || {
        Error::new(ErrorKind::AuthFailed, "the TICKET's Initiator Data is not Vi, Vr (RFC 6043 §6.10)")
            .with_peer_code(MikeyErrorCode::InvalidTicket)
    };
    let payloads = decode_payload_chain(data).map_err(|_| invalid())?;
    let mut verifications = payloads.into_iter().filter_map(|payload| match payload {
        Payload::Verification(verification) => Some(verification),
        _ => None,
    });
    match (verifications.next(), verifications.next(), verifications.next()) {
        (Some(vi), Some(vr), None) if vr.mac_algorithm == vi.mac_algorithm && data.ends_with(&vr.mac) => Ok((vi, vr)),
        _ => Err(invalid()),
    }
}

/// Vi of Initiator Data, unverified: the responder compares it with the TRANSFER_INIT's V after
/// the KMS verified Vr (§4.2.3.6).
pub(crate) fn initiator_data_vi(data: &[u8]) -> Result<Verification<'_>> {
    parse(data).map(|(vi, _)| vi)
}

/// Vi of Initiator Data whose Vr verifies under MPKr (§4.2.3.4: the KMS "SHALL also verify the
/// integrity of the Initiator Data"). A failure is an Invalid TICKET.
pub(crate) fn verified_vi(prf: PrfFunction, mpkr: &[u8], data: &[u8]) -> Result<Verification<'static>> {
    let (vi, vr) = parse(data)?;
    let covered = data.len() - vr.mac.len();
    vr_key(prf, mpkr, &vr).verify(&data[..covered], &vr.mac).map_err(|_| {
        Error::new(ErrorKind::AuthFailed, "the TICKET's Initiator Data does not verify (RFC 6043 §6.10)")
            .with_peer_code(MikeyErrorCode::InvalidTicket)
    })?;
    Ok(Verification { mac_algorithm: vi.mac_algorithm, mac: vi.mac.to_vec().into() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::MacAlgorithmCode;

    fn vi() -> Verification<'static> {
        Verification { mac_algorithm: MacAlgorithmCode::HmacSha256_256, mac: vec![7; 32].into() }
    }

    #[test]
    fn initiator_data_verifies_under_mpkr_only_and_untouched() {
        let data = seal_initiator_data(PrfFunction::HmacSha256, &[1; 32], &vi()).unwrap();
        assert_eq!(verified_vi(PrfFunction::HmacSha256, &[1; 32], &data).unwrap(), vi());
        let wrong_key = verified_vi(PrfFunction::HmacSha256, &[2; 32], &data).unwrap_err();
        assert_eq!(wrong_key.peer_code(), Some(MikeyErrorCode::InvalidTicket));
        for at in 0..data.len() {
            let mut tampered = data.clone();
            tampered[at] ^= 0x10;
            assert!(verified_vi(PrfFunction::HmacSha256, &[1; 32], &tampered).is_err(), "byte {at}");
        }
        // First payload, Vi (next payload, auth alg, 32-byte MAC), Vr: the RFC's layout.
        assert_eq!((data.len(), data[0], data[1]), (1 + 2 * 34, 9, 9));
        assert!(verified_vi(PrfFunction::HmacSha256, &[1; 32], &data[..35]).is_err(), "Vi alone");
    }
}
