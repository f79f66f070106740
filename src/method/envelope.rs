//! The envelope that carries a TGK under a public key: PK's I_MESSAGE (RFC 3830 §3.2) and
//! RSA-R's R_MESSAGE (RFC 4738 §3.6) send
//!
//! KEMAC = E(encr_key, ID || {TGK}) || MAC and PKE = E(PK of the recipient, env_key),
//!
//! with the KEMAC keys derived from a fresh envelope key (§4.1.4) and the MAC over the KEMAC
//! payload alone. The ID is the sender's: IDi for PK, IDr for RSA-R.

use crate::crypto::rsa::{RsaPrivateKey, RsaPublicKey};
use crate::crypto::{MacKey, RandomSource};
use crate::error::{Error, Result};
use crate::method::psk::{self, ExchangeContext};
use crate::secret::SecretBytes;
use crate::wire::{Kemac, KeyDataList, Message, Payload, Pke};

/// Length of the envelope keys we make (RFC 3830 §3.2 leaves it open): 128 bits, the strength of
/// the AES-CM-128 key transport it keys (§4.1.4). A recipient expects exactly this length.
pub const ENVELOPE_KEY_LEN: usize = 16;

/// Seals `keys` (whose leading ID names the sender) for the holder of `recipient`: the KEMAC and
/// the PKE, and the exchange's MAC key (for a verification message).
pub fn seal(
    keys: &KeyDataList,
    recipient: &RsaPublicKey,
    context: &ExchangeContext<'_>,
    rng: &dyn RandomSource,
) -> Result<(Kemac, Pke, MacKey)> {
    let mut envelope_key = SecretBytes::zeroed(ENVELOPE_KEY_LEN);
    rng.fill(envelope_key.expose_mut())?;
    let (kemac, auth) = psk::seal_kemac_payload(keys, &envelope_key, context)?;
    let encrypted_envelope = recipient.encrypt_pkcs1v15(envelope_key.expose(), rng)?;
    Ok((kemac, Pke { cache: 0, data: encrypted_envelope }, auth))
}

/// Opens the one KEMAC and PKE of `message` with our private key. A PKE whose padding is wrong
/// yields a random envelope key, so it fails exactly like a wrong key, at the KEMAC MAC (no
/// padding oracle). Returns the key data (its leading ID is the sender's) and the MAC key.
pub fn open(
    message: &Message,
    own_key: &RsaPrivateKey,
    context: &ExchangeContext<'_>,
    rng: &dyn RandomSource,
) -> Result<(KeyDataList, MacKey)> {
    let envelopes: Vec<&Pke> = message
        .payloads
        .iter()
        .filter_map(|payload| match payload {
            Payload::Pke(pke) => Some(pke),
            _ => None,
        })
        .collect();
    let ([envelope], Some(kemac), 1) =
        (envelopes.as_slice(), message.find(Payload::as_kemac), message.count(Payload::as_kemac))
    else {
        return Err(Error::malformed("the message must carry one PKE and one KEMAC (RFC 3830 §3.2, RFC 4738 §3.6)"));
    };
    let envelope_key = own_key.decrypt_pkcs1v15_or_random(&envelope.data, ENVELOPE_KEY_LEN, rng)?;
    psk::open_kemac_payload(kemac, &envelope_key, context)
}
