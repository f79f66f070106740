//! The envelope that carries a TGK under a public key: PK's I_MESSAGE (RFC 3830 §3.2) and
//! RSA-R's R_MESSAGE (RFC 4738 §3.6) send
//!
//! KEMAC = E(encr_key, ID || {TGK}) || MAC and PKE = E(PK of the recipient, env_key),
//!
//! with the KEMAC keys derived from a fresh envelope key (§4.1.4) and the MAC over the KEMAC
//! payload alone. The ID is the sender's: IDi for PK, IDr for RSA-R.

use super::kemac::{self, ExchangeContext, Plaintext};
use crate::config::{InteropFlags, Settings};
use crate::crypto::rsa::RsaPublicKey;
use crate::crypto::MacKey;
use crate::error::{Error, Result};
use crate::secret::SecretBytes;
use crate::wire::{Kemac, KeyDataList, Message, Payload, Pke};

/// Length of the envelope keys we make (RFC 3830 §3.2 leaves it open): 128 bits, the strength of
/// the AES-CM-128 key transport it keys (§4.1.4). A recipient expects exactly this length.
const ENVELOPE_KEY_LEN: usize = 16;
/// The length of minisip's envelope keys (its switch).
const MINISIP_ENVELOPE_KEY_LEN: usize = 112;

/// The length of the envelope keys we make and expect.
pub(crate) fn envelope_key_len(settings: &Settings) -> usize {
    match settings.interop.has(InteropFlags::MINISIP_ENVELOPE_KEY) {
        true => MINISIP_ENVELOPE_KEY_LEN,
        false => ENVELOPE_KEY_LEN,
    }
}

/// A sealed envelope: the payloads to send, the exchange's MAC key and the envelope key (which
/// the sender keeps when the CSB caches it, §3.2).
pub(crate) struct Sealed {
    /// KEMAC = E(encr_key, ID || {TGK}) || MAC.
    pub(crate) kemac: Kemac<'static>,
    /// PKE = E(PK of the recipient, env_key), with the cache indicator.
    pub(crate) pke: Pke<'static>,
    /// The exchange's MAC key (§4.1.4).
    pub(crate) auth: MacKey,
    /// env_key.
    pub(crate) envelope_key: SecretBytes,
}

/// An opened envelope: the key data (its leading ID is the sender's), the MAC key, the envelope
/// key and the PKE's cache indicator (Table 6.3).
pub(crate) struct Opened<'m> {
    /// The decrypted key data, led by the sender's ID (`Plaintext::key_data(true)`).
    pub(crate) plaintext: Plaintext<'m>,
    /// The exchange's MAC key (§4.1.4).
    pub(crate) auth: MacKey,
    /// env_key.
    pub(crate) envelope_key: SecretBytes,
    /// The PKE's cache indicator (`registry::envelope_cache`).
    pub(crate) cache: u8,
}

/// Seals `keys` (whose leading ID names the sender) for the holder of `recipient`, with the
/// envelope key cache indicator `cache` (Table 6.3).
pub(crate) fn seal(
    settings: &Settings,
    keys: &KeyDataList<'_>,
    (recipient, cache): (&RsaPublicKey, u8),
    context: &ExchangeContext<'_>,
) -> Result<Sealed> {
    let rng = settings.rng.as_ref();
    let mut envelope_key = SecretBytes::zeroed(envelope_key_len(settings));
    rng.fill(envelope_key.expose_mut())?;
    let (kemac, auth) = kemac::seal_kemac_payload(keys, &envelope_key, context)?;
    let encrypted_envelope = recipient.encrypt_pkcs1v15(envelope_key.expose(), rng)?;
    Ok(Sealed { kemac, pke: Pke { cache, data: encrypted_envelope.into() }, auth, envelope_key })
}

/// Opens the one KEMAC and PKE of `message` with our private key. A PKE that does not hold a
/// key of exactly [`envelope_key_len`] bytes under valid padding opens to a stand-in key, with
/// the same work, so it fails exactly like a wrong key, at the KEMAC MAC (no padding or length
/// oracle, `RsaPrivateKey::open_envelope_key`).
pub(crate) fn open<'m>(
    settings: &Settings,
    message: &'m Message<'_>,
    context: &ExchangeContext<'_>,
) -> Result<Opened<'m>> {
    let own_key = settings.private_key()?;
    let envelopes: Vec<&Pke<'_>> = message
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
    let envelope_key = own_key.open_envelope_key(&envelope.data, envelope_key_len(settings))?;
    let (plaintext, auth) = kemac::open_kemac_payload(kemac, &envelope_key, context)?;
    Ok(Opened { plaintext, auth, envelope_key, cache: envelope.cache })
}
