//! The C ABI (ARCHITECTURE.md, "The C API contract"), rendered into `include/mikey.h` by cbindgen (see `cbindgen.toml`).
//!
//! Practices, after rustls-ffi:
//! - opaque handles: `mikey_config` and `mikey_session` are Rust values boxed into raw pointers;
//! - only raw pointers cross the boundary, checked for NULL at the top of every function
//!   (the pointer toolkit of the private `boundary` module);
//! - every export body runs inside `boundary::boundary`, which turns a panic into
//!   `MIKEY_ERR_PANIC` (the crate never builds with `panic = "abort"`);
//! - outputs are written only on success, except the documented `*out_len` of
//!   `MIKEY_ERR_BUFFER_TOO_SMALL` and of the message-processing calls;
//! - enumerations cross as fixed-width `uint32_t` typedefs with `#define`d values, so an unknown
//!   number from C is a checked argument error, never an invalid Rust enum.
//!
//! Every export is an `unsafe extern "C" fn`: the safety requirements are the pointer rules
//! written in each function's documentation (for C readers, so without a `# Safety` heading).
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

// The declaration order is the order of the header (cbindgen.toml: sort_by = "None").

// Result codes, enumeration values, flags, the version.
pub mod types;

// The SRTP policy and key structs.
pub mod srtp;

// mikey_config.
pub mod config;

// mikey_session.
pub mod session;

// The MIKEY-TICKET KMS.
pub mod kms;

// The SDP and RTSP helpers.
pub mod sdp;

// The MCPTT identity and key-ID helpers (MIKEY-SAKKE).
pub mod mcptt;

// The panic boundary and the pointer toolkit (nothing exported).
pub(crate) mod boundary;

#[cfg(test)]
mod tests;

pub use config::*;
pub use kms::*;
pub use mcptt::*;
pub use sdp::*;
pub use session::*;
pub use srtp::*;
pub use types::*;
