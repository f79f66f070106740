//! Key-management methods: how each one protects, builds and opens its messages.
//!
//! - [`psk`]: the pre-shared key exchange (RFC 3830 §3.1), including its NULL-protected form.

pub mod psk;
