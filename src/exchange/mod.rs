//! The pieces of MIKEY exchanges that several methods share, one module each. Methods
//! (`crate::method`) are built from them; the session uses none of them.
//!
//! - [`kemac`]: KEMAC protection, the key data encrypted and the message MACed (RFC 3830 §4.1.4,
//!   §5.2): PSK, NULL, DH-HMAC, and inside the envelope.
//! - [`signed`]: signatures and certificates (§5.2, §6.5, §6.7): PK, DH-SIGN, RSA-R.
//! - `envelope`: a TGK under the peer's public key, KEMAC + PKE (§3.2, RFC 4738 §3.6).
//! - `dh`: Diffie-Hellman agreement, DHi, DHr and the TGK (§3.3, RFC 4650 §3).
//! - [`verification`]: the verification message (§5.2): PSK, NULL, PK.
//! - `identity`: ID payloads and the rules that bind them to the configuration and the signer.
//! - `accept`: what a responder accepts: RAND, the SRTP policies, CS ID map and keys of a CSB.

pub(crate) mod accept;
pub(crate) mod dh;
pub(crate) mod envelope;
pub(crate) mod identity;
pub mod kemac;
pub mod signed;
pub mod verification;
