//! # mikey
//!
//! MIKEY (Multimedia Internet KEYing, RFC 3830 and its extensions): the wire codec, the
//! key-management methods, per-CSB sessions with a replay cache, and SRTP key export.
//!
//! Layers, one direction (DESIGN.md §1): [`wire`] (pure codec) → [`crypto`] (the only code that
//! touches aws-lc-rs) → [`method`] → [`session`] → [`srtp`] / [`sdp`].
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod crypto;
pub mod error;
pub mod secret;

pub use error::{Error, ErrorKind, MikeyErrorCode, Result};
pub use secret::SecretBytes;
pub mod wire;
pub mod srtp;
pub mod clock;
pub mod replay;
