//! The pre-shared key exchange (RFC 3830 §3.1, §5.2, §5.3) and its NULL-protected form.
//!
//! I_MESSAGE = HDR, T, RAND, [IDi], [IDr], {SP}, KEMAC — the KEMAC MAC covers the whole
//! message up to the MAC field. R_MESSAGE = HDR, T, [IDr], V — the V MAC covers the response up
//! to the MAC field followed by IDi || IDr || T (§5.2). With the NULL method both MACs are NULL
//! and the key data travels in clear (§4.2.3, §4.2.4).

use crate::crypto::{
    decrypt_key_data, derive_from_envelope, encrypt_key_data, mac, verify_mac, EnvelopeKeyPurpose, KeyTransport,
    MacAlgorithm, PrfFunction,
};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::secret::SecretBytes;
use crate::wire::registry::encryption_algorithm;
use crate::wire::{Kemac, KeyDataList, MacAlgorithmCode, Message, Payload, Timestamp, Verification};

/// How the messages of one exchange are protected.
#[derive(Clone, Copy, Debug)]
pub enum Protection<'a> {
    /// AES-CM-128 key transport and HMAC-SHA-1-160 with keys derived from the PSK (§4.1.4).
    PreShared(&'a SecretBytes),
    /// NULL encryption and NULL MAC.
    Null,
}

/// What the key derivation of §4.1.4 takes from the exchange.
#[derive(Clone, Copy, Debug)]
pub struct ExchangeContext<'a> {
    /// The PRF named in the header.
    pub prf: PrfFunction,
    /// The CSB ID.
    pub csb_id: u32,
    /// RAND of the initial exchange.
    pub rand: &'a [u8],
    /// The initiator's timestamp (IV input of AES-CM).
    pub timestamp: Timestamp,
}

/// The encryption, salt and authentication keys of §4.1.4.
struct MessageKeys {
    encr_key: SecretBytes,
    salt: SecretBytes,
    auth_key: SecretBytes,
}

impl Protection<'_> {
    fn algorithms(self) -> (KeyTransport, MacAlgorithm) {
        match self {
            Protection::PreShared(_) => (KeyTransport::AesCm128, MacAlgorithm::HmacSha1_160),
            Protection::Null => (KeyTransport::Null, MacAlgorithm::Null),
        }
    }

    /// The message keys, derived from the PSK for the KEMAC's transport (§4.1.4).
    fn message_keys(self, transport: KeyTransport, context: &ExchangeContext<'_>) -> MessageKeys {
        match self {
            Protection::PreShared(psk) => {
                let derive = |purpose, len| {
                    derive_from_envelope(context.prf, psk.expose(), purpose, context.csb_id, context.rand, len)
                };
                MessageKeys {
                    encr_key: derive(EnvelopeKeyPurpose::EncrKey, transport.key_len()),
                    salt: derive(EnvelopeKeyPurpose::Salt, transport.salt_len()),
                    auth_key: derive(EnvelopeKeyPurpose::AuthKey, MacAlgorithm::HmacSha1_160.key_len()),
                }
            }
            Protection::Null => MessageKeys {
                encr_key: SecretBytes::default(),
                salt: SecretBytes::default(),
                auth_key: SecretBytes::default(),
            },
        }
    }
}

fn mac_algorithm_code(algorithm: MacAlgorithm) -> MacAlgorithmCode {
    match algorithm {
        MacAlgorithm::Null => MacAlgorithmCode::Null,
        MacAlgorithm::HmacSha1_160 => MacAlgorithmCode::HmacSha1_160,
    }
}

fn transport_code(transport: KeyTransport) -> u8 {
    match transport {
        KeyTransport::Null => encryption_algorithm::NULL,
        KeyTransport::AesCm128 => encryption_algorithm::AES_CM_128,
        KeyTransport::AesKw128 => encryption_algorithm::AES_KW_128,
    }
}

/// Builds a sealed I_MESSAGE: `message` holds every payload but the KEMAC, which is appended
/// with `keys` encrypted and the MAC computed over the encoded message (§5.2).
pub fn seal_i_message(
    mut message: Message,
    keys: &KeyDataList,
    protection: Protection<'_>,
    context: &ExchangeContext<'_>,
) -> Result<Vec<u8>> {
    let (transport, mac_algorithm) = protection.algorithms();
    let message_keys = protection.message_keys(transport, context);
    let plaintext = keys.encode()?;
    let encrypted_data = encrypt_key_data(
        transport,
        message_keys.encr_key.expose(),
        message_keys.salt.expose(),
        context.csb_id,
        &context.timestamp.as_64_bits(),
        plaintext.expose(),
    )?;
    message.payloads.push(Payload::Kemac(Kemac {
        encryption_algorithm: transport_code(transport),
        encrypted_data,
        mac_algorithm: mac_algorithm_code(mac_algorithm),
        mac: vec![0; mac_algorithm.tag_len()],
    }));
    let mut bytes = message.encode()?;
    let covered = bytes.len() - mac_algorithm.tag_len();
    let tag = mac(mac_algorithm, message_keys.auth_key.expose(), &bytes[..covered]);
    bytes[covered..].copy_from_slice(&tag);
    Ok(bytes)
}

/// The KEMAC algorithms the sender used, checked against what `protection` demands. A PSK
/// endpoint never accepts NULL encryption or a NULL MAC (no downgrade); a NULL endpoint cannot
/// open anything else.
fn accepted_algorithms(kemac: &Kemac, protection: Protection<'_>) -> Result<(KeyTransport, MacAlgorithm)> {
    let transport = match kemac.encryption_algorithm {
        encryption_algorithm::NULL => KeyTransport::Null,
        encryption_algorithm::AES_CM_128 => KeyTransport::AesCm128,
        encryption_algorithm::AES_KW_128 => KeyTransport::AesKw128,
        other => {
            return Err(Error::unsupported(format!("KEMAC encryption algorithm {other}"))
                .with_peer_code(MikeyErrorCode::InvalidEncryptionAlgorithm))
        }
    };
    let mac_algorithm = match kemac.mac_algorithm {
        MacAlgorithmCode::Null => MacAlgorithm::Null,
        MacAlgorithmCode::HmacSha1_160 => MacAlgorithm::HmacSha1_160,
        MacAlgorithmCode::HmacSha256_256 => {
            return Err(Error::unsupported("KEMAC MAC HMAC-SHA-256 (RFC 6043) in a PSK message")
                .with_peer_code(MikeyErrorCode::InvalidMac))
        }
    };
    match protection {
        Protection::PreShared(_) if transport == KeyTransport::Null || mac_algorithm == MacAlgorithm::Null => {
            Err(Error::new(ErrorKind::AuthFailed, "NULL-protected message refused by a PSK endpoint (downgrade)")
                .with_peer_code(MikeyErrorCode::AuthFailure))
        }
        Protection::Null if transport != KeyTransport::Null || mac_algorithm != MacAlgorithm::Null => {
            Err(Error::unsupported("protected KEMAC, but this endpoint has no PSK (NULL method)")
                .with_peer_code(MikeyErrorCode::AuthFailure))
        }
        _ => Ok((transport, mac_algorithm)),
    }
}

/// Verifies the MAC of a received I_MESSAGE and decrypts its key data. `bytes` is the message
/// without any accepted padding byte; `message` its decoding. Nothing is changed anywhere, so a
/// failure leaves the caller's state as it was.
pub fn open_i_message(
    bytes: &[u8],
    message: &Message,
    protection: Protection<'_>,
    context: &ExchangeContext<'_>,
) -> Result<KeyDataList> {
    let Some(Payload::Kemac(kemac)) = message.payloads.last() else {
        return Err(Error::malformed("a PSK I_MESSAGE must end with the KEMAC payload (§6.2)"));
    };
    let (transport, mac_algorithm) = accepted_algorithms(kemac, protection)?;
    let message_keys = protection.message_keys(transport, context);
    let covered = bytes.len() - kemac.mac.len();
    verify_mac(mac_algorithm, message_keys.auth_key.expose(), &bytes[..covered], &kemac.mac)
        .map_err(|error| error.with_peer_code(MikeyErrorCode::AuthFailure))?;
    let plaintext = decrypt_key_data(
        transport,
        message_keys.encr_key.expose(),
        message_keys.salt.expose(),
        context.csb_id,
        &context.timestamp.as_64_bits(),
        &kemac.encrypted_data,
    )?;
    KeyDataList::decode(plaintext.expose(), false)
}

/// The identities and timestamp that follow a verification message in its MAC input (§5.2).
#[derive(Clone, Copy, Debug)]
pub struct VerificationContext<'a> {
    /// IDi as carried in the I_MESSAGE (empty when absent).
    pub initiator_id: &'a [u8],
    /// IDr as carried (empty when absent).
    pub responder_id: &'a [u8],
}

fn verification_input(covered: &[u8], ids: &VerificationContext<'_>, timestamp: &Timestamp) -> Vec<u8> {
    let mut input = Vec::with_capacity(covered.len() + ids.initiator_id.len() + ids.responder_id.len() + 8);
    input.extend_from_slice(covered);
    input.extend_from_slice(ids.initiator_id);
    input.extend_from_slice(ids.responder_id);
    input.extend_from_slice(&timestamp.as_64_bits());
    input
}

/// Builds a sealed R_MESSAGE: `message` holds every payload but V, which is appended.
pub fn seal_verification(
    mut message: Message,
    protection: Protection<'_>,
    context: &ExchangeContext<'_>,
    ids: &VerificationContext<'_>,
) -> Result<Vec<u8>> {
    let (transport, mac_algorithm) = protection.algorithms();
    let keys = protection.message_keys(transport, context);
    message.payloads.push(Payload::Verification(Verification {
        mac_algorithm: mac_algorithm_code(mac_algorithm),
        mac: vec![0; mac_algorithm.tag_len()],
    }));
    let mut bytes = message.encode()?;
    let covered = bytes.len() - mac_algorithm.tag_len();
    let tag =
        mac(mac_algorithm, keys.auth_key.expose(), &verification_input(&bytes[..covered], ids, &context.timestamp));
    bytes[covered..].copy_from_slice(&tag);
    Ok(bytes)
}

/// Verifies a received R_MESSAGE's V payload (which must be last).
pub fn open_verification(
    bytes: &[u8],
    message: &Message,
    protection: Protection<'_>,
    context: &ExchangeContext<'_>,
    ids: &VerificationContext<'_>,
) -> Result<()> {
    let Some(Payload::Verification(verification)) = message.payloads.last() else {
        return Err(Error::malformed("a verification message must end with the V payload (§6.9)"));
    };
    let (_, mac_algorithm) = protection.algorithms();
    if mac_algorithm_code(mac_algorithm) != verification.mac_algorithm {
        return Err(Error::new(ErrorKind::AuthFailed, "verification message uses a different MAC algorithm"));
    }
    let keys = protection.message_keys(KeyTransport::Null, context);
    let covered = bytes.len() - verification.mac.len();
    verify_mac(
        mac_algorithm,
        keys.auth_key.expose(),
        &verification_input(&bytes[..covered], ids, &context.timestamp),
        &verification.mac,
    )
}
