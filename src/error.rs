//! The one error type of the crate: a kind (mapped one-to-one to the C API's `mikey_result`)
//! and a human-readable context. Error text never contains key material.

use std::borrow::Cow;
use std::fmt;

/// What went wrong, at the granularity the C API reports (`mikey_result`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A caller passed an argument that cannot be used (NULL, out of range, wrong method).
    InvalidArgument,
    /// An output buffer is too small; the context says how much is needed.
    BufferTooSmall,
    /// The bytes are not a well-formed MIKEY message.
    Malformed,
    /// Well-formed, but uses a payload, algorithm or mode this endpoint does not support.
    Unsupported,
    /// A MAC or signature did not verify.
    AuthFailed,
    /// The message was already accepted once (RFC 3830 §5.4 replay cache).
    Replay,
    /// The timestamp is outside the accepted window (RFC 3830 §5.4).
    Timestamp,
    /// The offered security policy is not acceptable (RFC 3830 §6.10).
    Policy,
    /// The call does not fit the session's current state.
    State,
    /// The peer answered with an error message (RFC 3830 §6.12).
    PeerError,
    /// The crypto backend failed (for example the RNG).
    Crypto,
}

/// An RFC 3830 §6.12 error code (RFC 4738 §3.9.2, RFC 6043 §6.9 Table 6.14), as carried in an
/// ERR payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MikeyErrorCode {
    /// Authentication failure.
    AuthFailure = 0,
    /// Invalid timestamp.
    InvalidTimestamp = 1,
    /// PRF function not supported.
    InvalidPrf = 2,
    /// MAC algorithm not supported.
    InvalidMac = 3,
    /// Encryption algorithm not supported.
    InvalidEncryptionAlgorithm = 4,
    /// Hash function not supported.
    InvalidHashAlgorithm = 5,
    /// DH group not supported.
    InvalidDh = 6,
    /// ID not supported.
    InvalidId = 7,
    /// Certificate not supported.
    InvalidCertificate = 8,
    /// SP type not supported.
    InvalidSecurityPolicy = 9,
    /// SP parameters not supported.
    InvalidSecurityPolicyParameter = 10,
    /// Data type not supported.
    InvalidDataType = 11,
    /// An unspecified error occurred.
    Unspecified = 12,
    /// Unsupported message type: an unparseable MIKEY message (RFC 4738 §3.9.2).
    UnsupportedMessageType = 13,
    /// Invalid TICKET: Ticket Type not supported (RFC 6043 §6.9).
    InvalidTicket = 14,
    /// Invalid TPpar: TP parameters not supported (RFC 6043 §6.9).
    InvalidTicketPolicyParameter = 15,
}

impl MikeyErrorCode {
    /// Maps a wire value; unknown values become `Unspecified` (the registry may grow).
    pub fn from_u8(value: u8) -> Self {
        use MikeyErrorCode::*;
        match value {
            0 => AuthFailure,
            1 => InvalidTimestamp,
            2 => InvalidPrf,
            3 => InvalidMac,
            4 => InvalidEncryptionAlgorithm,
            5 => InvalidHashAlgorithm,
            6 => InvalidDh,
            7 => InvalidId,
            8 => InvalidCertificate,
            9 => InvalidSecurityPolicy,
            10 => InvalidSecurityPolicyParameter,
            11 => InvalidDataType,
            13 => UnsupportedMessageType,
            14 => InvalidTicket,
            15 => InvalidTicketPolicyParameter,
            _ => Unspecified,
        }
    }
}

/// The crate's error: a kind plus context for logs and `mikey_session_last_error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    context: Cow<'static, str>,
    /// The RFC 3830 §6.12 code to send back to the peer, where the RFC asks for an error message.
    peer_code: Option<MikeyErrorCode>,
}

impl Error {
    /// An error of `kind` with a context message.
    pub fn new(kind: ErrorKind, context: impl Into<Cow<'static, str>>) -> Self {
        Error { kind, context: context.into(), peer_code: None }
    }

    /// Shorthand for a malformed-message error.
    pub fn malformed(context: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Malformed, context)
    }

    /// Shorthand for an unsupported-feature error.
    pub fn unsupported(context: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unsupported, context)
    }

    /// Shorthand for an invalid-argument error.
    pub fn invalid_argument(context: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidArgument, context)
    }

    /// Shorthand for a crypto-backend error.
    pub fn crypto(context: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Crypto, context)
    }

    /// Attaches the §6.12 code that should be reported to the peer in an error message.
    pub fn with_peer_code(mut self, code: MikeyErrorCode) -> Self {
        self.peer_code = Some(code);
        self
    }

    /// The kind, which the C API maps to a `mikey_result`.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The context text (never contains key material).
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The §6.12 code for an error message to the peer, if the RFC calls for one.
    pub fn peer_code(&self) -> Option<MikeyErrorCode> {
        self.peer_code
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.context)
    }
}

impl std::error::Error for Error {}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_error_no_maps_back_to_itself() {
        for code in 0..=15u8 {
            assert_eq!(MikeyErrorCode::from_u8(code) as u8, code);
        }
        assert_eq!(MikeyErrorCode::from_u8(14), MikeyErrorCode::InvalidTicket);
        assert_eq!(MikeyErrorCode::from_u8(15), MikeyErrorCode::InvalidTicketPolicyParameter);
        assert_eq!(MikeyErrorCode::from_u8(16), MikeyErrorCode::Unspecified);
    }
}
