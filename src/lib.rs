//! # mikey
//!
//! MIKEY (Multimedia Internet KEYing, RFC 3830 and its extensions): the wire codec, the
//! key-management methods, per-CSB sessions with a replay cache, and SRTP key export.
//!
//! Layers, one direction (ARCHITECTURE.md): `wire` (pure codec) → `crypto` (the only code that
//! touches aws-lc-rs) → [`srtp`] (policies and key export) → the CSB → [`config`] → `exchange`
//! (what methods share) → `method` (one file per method) → [`session`] → [`ffi`]. [`sdp`] stands
//! beside them all.
//!
//! `wire`, `crypto`, `exchange` and `method` are public for the tests, benchmarks and fuzz
//! targets only: hazardous primitives (raw RSA operations, message sealing without the
//! session's checks), hidden from these docs and no stable API. What an application
//! needs of them is re-exported here.
//!
//! ```
//! use mikey::{Config, Method, Role, Session};
//!
//! let mut config = Config::new(Method::Psk)?;
//! config.set_psk(b"a pre-shared key of 32 bytes....")?;
//! let mut initiator = Session::new(&config, Role::Initiator)?;
//! let mut responder = Session::new(&config, Role::Responder)?;
//! initiator.add_srtp_stream(0x1234_5678, 0)?;
//! let i_message = initiator.create_message()?;
//! responder.process_message(&i_message).map_err(|rejection| rejection.error)?;
//! let sender = initiator.export_srtp(1)?;
//! let receiver = responder.export_srtp(1)?;
//! assert_eq!(sender.master_key.expose(), receiver.master_key.expose());
//! # Ok::<(), mikey::Error>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod bundle;
pub mod clock;
pub mod config;
#[doc(hidden)]
pub mod crypto;
pub mod error;
#[doc(hidden)]
pub mod exchange;
#[allow(unsafe_code)]
pub mod ffi;
pub mod kms;
#[cfg(feature = "kms-xml")]
pub mod kms_xml;
pub mod mcptt;
#[doc(hidden)]
pub mod method;
pub mod replay;
pub mod sdp;
pub mod secret;
pub mod session;
pub mod srtp;
#[doc(hidden)]
pub mod wire;

/// The inline vector of `wire::KeyDataList::keys`, re-exported so callers need not depend on it.
pub use smallvec;

pub use bundle::{KeyKind, KeyMaterialView};
pub use clock::{Clock, SystemClock};
pub use config::{Config, InteropFlags, Method};
pub use crypto::rsa::SignatureScheme;
pub use crypto::{RandomSource, SystemRandomSource};
pub use error::{Error, ErrorKind, MikeyErrorCode, Result};
pub use kms::{Kms, KmsConfig, NamedResponders, TicketAuthority, TicketRequest};
#[cfg(feature = "kms-xml")]
pub use kms_xml::KmsResponse;
pub use method::ticket::{TicketProtectionKey, TicketTerms};
pub use secret::SecretBytes;
pub use session::{Rejection, Role, Session, State};
pub use srtp::{RocTransform, SrtpKeys, SrtpPolicy, SrtpProfile, SsrcType};
pub use wire::{DhGroup, MAX_MESSAGE_LEN};
