//! Key-management methods: how each one protects, builds and opens its messages.
//!
//! - [`psk`]: the pre-shared key exchange (RFC 3830 §3.1), including its NULL-protected form,
//!   and the KEMAC protection DH-HMAC shares (RFC 4650).
//! - [`signed`]: signatures and certificates, for DH-SIGN (RFC 3830 §3.3).

pub mod envelope;
pub mod psk;
pub mod signed;
