//! Result codes, enumeration values, flags, the version, and `mikey_result_str`.

use std::ffi::{c_char, CStr};

use crate::{ErrorKind, InteropFlags, Method, Role, SsrcType, State};

use super::boundary::boundary;

/// Major version of the library these declarations belong to (compare with `mikey_version()`
/// at run time).
pub const MIKEY_VERSION_MAJOR: u32 = 0;
/// Minor version of the library these declarations belong to.
pub const MIKEY_VERSION_MINOR: u32 = 1;
/// Patch version of the library these declarations belong to.
pub const MIKEY_VERSION_PATCH: u32 = 0;

/// The result of every fallible function: a fixed-width integer, 0 (`MIKEY_OK`) on success.
/// Numbers never change; retired numbers stay reserved.
pub type mikey_result = u32;

/// Success.
pub const MIKEY_OK: mikey_result = 0;
/// A caller passed an argument that cannot be used (NULL, out of range, wrong method).
pub const MIKEY_ERR_INVALID_ARGUMENT: mikey_result = 1;
/// An output buffer is too small; `*out_len` holds the size needed.
pub const MIKEY_ERR_BUFFER_TOO_SMALL: mikey_result = 2;
/// The bytes are not a well-formed MIKEY message (or SDP/RTSP value).
pub const MIKEY_ERR_MALFORMED: mikey_result = 3;
/// Well-formed, but uses a payload, algorithm, mode or method this version does not support.
pub const MIKEY_ERR_UNSUPPORTED: mikey_result = 4;
/// A MAC or signature did not verify, or an identity did not match.
pub const MIKEY_ERR_AUTH_FAILED: mikey_result = 5;
/// The message was already accepted once by a session of this config (RFC 3830 §5.4).
pub const MIKEY_ERR_REPLAY: mikey_result = 6;
/// The timestamp is outside the configured replay window (RFC 3830 §5.4).
pub const MIKEY_ERR_TIMESTAMP: mikey_result = 7;
/// The offered security policy is not acceptable (RFC 3830 §6.10).
pub const MIKEY_ERR_POLICY: mikey_result = 8;
/// The call does not fit the session's current state.
pub const MIKEY_ERR_STATE: mikey_result = 9;
/// The peer answered with an error message (RFC 3830 §6.12).
pub const MIKEY_ERR_PEER_ERROR: mikey_result = 10;
/// The crypto backend failed (for example the random generator).
pub const MIKEY_ERR_CRYPTO: mikey_result = 11;
/// An internal error (a Rust panic) was caught at the library boundary. A session that
/// returned it refuses further calls with `MIKEY_ERR_STATE`; free it.
pub const MIKEY_ERR_PANIC: mikey_result = 12;

/// Key-management methods (`mikey_config_new`).
pub type mikey_method = u32;

/// Pre-shared key (RFC 3830 §3.1).
pub const MIKEY_METHOD_PSK: mikey_method = 0;
/// The PSK exchange with NULL encryption and NULL MAC (RFC 3830 §4.2.3), as GStreamer, Live555
/// and RTSP cameras use it inside an already protected signalling channel.
pub const MIKEY_METHOD_NULL: mikey_method = 1;
/// Public-key envelope (RFC 3830 §3.2): the initiator signs, and sends the envelope key under
/// the responder's certificate (`mikey_config_set_peer_certificate`).
pub const MIKEY_METHOD_PK: mikey_method = 2;
/// Signed Diffie-Hellman (RFC 3830 §3.3): RSA signatures and X.509 certificates authenticate the
/// DH values.
pub const MIKEY_METHOD_DH_SIGN: mikey_method = 3;
/// HMAC-authenticated Diffie-Hellman (RFC 4650): a PSK authenticates the DH values.
pub const MIKEY_METHOD_DH_HMAC: mikey_method = 4;
/// Reverse RSA (RFC 4738): the initiator signs a request; the responder chooses the TGK and sends
/// it under the initiator's certificate (which must allow keyEncipherment), signed. The
/// responder's identity need not be known in advance (SIP forking and retargeting, RFC 5197).
pub const MIKEY_METHOD_RSA_R: mikey_method = 5;
/// MIKEY-TICKET (RFC 6043): initiator and responder sessions; the KMS is `mikey_kms`.
pub const MIKEY_METHOD_TICKET: mikey_method = 6;
/// MIKEY-SAKKE (RFC 6509, ECCSI and SAKKE) as TS 33.180 profiles it for MCPTT.
pub const MIKEY_METHOD_SAKKE: mikey_method = 7;

/// Which side of the exchange a session plays (`mikey_session_new`).
pub type mikey_role = u32;

/// Sends the I_MESSAGE.
pub const MIKEY_ROLE_INITIATOR: mikey_role = 0;
/// Answers it.
pub const MIKEY_ROLE_RESPONDER: mikey_role = 1;

/// Where a session stands (`mikey_session_state`).
pub type mikey_state = u32;

/// Nothing exchanged yet.
pub const MIKEY_STATE_IDLE: mikey_state = 0;
/// The initiator sent an I_MESSAGE asking for verification and waits for the R_MESSAGE.
pub const MIKEY_STATE_WAIT_RESPONSE: mikey_state = 1;
/// Keys are agreed; `mikey_session_export_srtp` works.
pub const MIKEY_STATE_ESTABLISHED: mikey_state = 2;
/// The peer answered with an authenticated error message; a new I_MESSAGE starts over.
pub const MIKEY_STATE_FAILED: mikey_state = 3;
/// MIKEY-TICKET: the message the session just gave goes to the KMS (an initiator's
/// REQUEST_INIT, a responder's RESOLVE_INIT), and the KMS's answer goes to
/// `mikey_session_process_message` next.
pub const MIKEY_STATE_WAIT_KMS: mikey_state = 4;
/// Not a session: what `mikey_session_state` returns for NULL (or should a panic be caught), so
/// it never looks like an idle session.
pub const MIKEY_STATE_INVALID: mikey_state = 0xFF;

/// Diffie-Hellman groups of the DH methods (`mikey_config_set_dh_group`; RFC 3830 Table 6.4).
pub type mikey_dh_group = u32;

/// OAKLEY group 5 (1536-bit MODP), the default.
pub const MIKEY_DH_GROUP_OAKLEY5: mikey_dh_group = 0;
/// OAKLEY group 1 (768-bit MODP).
pub const MIKEY_DH_GROUP_OAKLEY1: mikey_dh_group = 1;
/// OAKLEY group 2 (1024-bit MODP).
pub const MIKEY_DH_GROUP_OAKLEY2: mikey_dh_group = 2;

/// One SRTP stream: its SSRC and the rollover counter it starts from
/// (`mikey_config_set_rsa_r_group`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct mikey_stream {
    /// The stream's SSRC.
    pub ssrc: u32,
    /// Its rollover counter.
    pub roc: u32,
}

/// RSA signature schemes we sign with (`mikey_config_set_signature_scheme`; RFC 3830 §6.5 S type
/// 0 = PKCS#1 v1.5, 1 = PSS; the hash is not on the wire: we verify with SHA-256, and SHA-1
/// under `MIKEY_INTEROP_MINISIP_SHA1_SIGNATURES`).
pub type mikey_signature_scheme = u32;

/// RSASSA-PKCS1-v1_5 with SHA-1 (RFC 3830 §4.2.6; what minisip uses; the default under
/// `MIKEY_INTEROP_MINISIP_SHA1_SIGNATURES`).
pub const MIKEY_SIGNATURE_PKCS1_SHA1: mikey_signature_scheme = 0;
/// RSASSA-PKCS1-v1_5 with SHA-256, the default.
pub const MIKEY_SIGNATURE_PKCS1_SHA256: mikey_signature_scheme = 1;
/// RSASSA-PSS with SHA-1 (MGF1-SHA-1, 20-byte salt).
pub const MIKEY_SIGNATURE_PSS_SHA1: mikey_signature_scheme = 2;
/// RSASSA-PSS with SHA-256 (MGF1-SHA-256, 32-byte salt).
pub const MIKEY_SIGNATURE_PSS_SHA256: mikey_signature_scheme = 3;

/// Interop switch (`mikey_config_set_interop`): write the SRTP tag length into the SP "session
/// auth key length" parameter, as GStreamer reads it (GStreamer <= 1.22 ignores the tag length
/// parameter).
pub const MIKEY_INTEROP_GSTREAMER_SP_LAYOUT: u32 = 1;
/// Interop switch: accept one trailing padding byte after the last payload (seen from
/// Milestone XProtect).
pub const MIKEY_INTEROP_TRAILING_PADDING_BYTE: u32 = 2;
/// Interop switch: always use, and require, a 4-byte MKI (Axis cameras).
pub const MIKEY_INTEROP_MANDATORY_MKI_4: u32 = 4;
/// Interop switch: send the SRTP master key and salt concatenated as one TEK, as GStreamer
/// sends and expects (NULL method only).
pub const MIKEY_INTEROP_TEK_WITH_CONCATENATED_SALT: u32 = 8;
/// Interop switch, responder: accept SSRC 0 placeholders (RFC 3830 §6.1.1) that none of our
/// own streams (`mikey_session_add_srtp_stream`) fills in, for peers that leave them open;
/// they are exported as unknown (`mikey_srtp_keys.ssrc_type`). Also allows SSRC 0 in
/// `mikey_config_set_rsa_r_group`.
pub const MIKEY_INTEROP_SSRC_ZERO: u32 = 16;
/// Interop switch: accept signatures over SHA-1, and sign with SHA-1 unless a signature scheme
/// is set, as minisip and other older RFC 3830 peers do (without it: SHA-256 both ways).
pub const MIKEY_INTEROP_MINISIP_SHA1_SIGNATURES: u32 = 32;
/// Interop switch: derive every key with minisip's PRF, which departs from RFC 3830 §4.1.2 for
/// keys of a multiple of 32 bytes (its 192-byte TGKs and DH secrets, a 32-byte PSK): it
/// replaces their last 32 bytes by an empty HMAC key. Both roles.
pub const MIKEY_INTEROP_MINISIP_PRF: u32 = 64;
/// Interop switch, DH-HMAC responder: accept an I_MESSAGE without IDr, as minisip sends it
/// (RFC 4650 §3 requires IDr; we know who we are).
pub const MIKEY_INTEROP_MINISIP_DH_HMAC_WITHOUT_IDR: u32 = 128;
/// Interop switch: R_MESSAGEs as minisip makes and checks them, both roles: the V MAC covers
/// the R_MESSAGE and the initiator's T without the identities (RFC 3830 §5.2 adds them); DH and
/// DH-HMAC answers may lack IDi; an RSA-R answer may carry its own T (which its KEMAC IV uses)
/// and an ignored RAND, and SIGNr covers R_MESSAGE || IDr || its T (RFC 4738 §3.6: IDi || IDr
/// || the initiator's T).
pub const MIKEY_INTEROP_MINISIP_RESPONSES: u32 = 256;
/// Interop switch: PK and RSA-R envelope keys of 112 bytes, as minisip makes them, sent and
/// expected (RFC 3830 §3.2 leaves the length open; 16 bytes otherwise).
pub const MIKEY_INTEROP_MINISIP_ENVELOPE_KEY: u32 = 512;
/// Interop switch, MIKEY-SAKKE responder: when the ECCSI signature does not verify over the
/// message with its SIGN header (RFC 3830 §5.2), try it without the 2-octet header, as older
/// Alea and Softil senders sign. We always sign with the header.
pub const MIKEY_INTEROP_SAKKE_SIGNATURE_WITHOUT_HEADER: u32 = 1024;
/// Interop switch, MIKEY-SAKKE: ECCSI and SAKKE identify a user by the UID's 64 lowercase hex
/// characters, as the Airbus KMS issues keys. Set it before adding user key sets.
pub const MIKEY_INTEROP_SAKKE_UID_AS_HEX_TEXT: u32 = 2048;
/// Interop switch, MIKEY-SAKKE responder: accept the key parameters (General Extension type 7)
/// in the clear form of senders before Rel-15.
pub const MIKEY_INTEROP_SAKKE_LEGACY_KEY_PARAMETERS: u32 = 4096;
/// Interop switch, MIKEY-SAKKE responder: accept key parameters with status 0, as Alea sends
/// them (TS 33.180 E.6.9: bit 0 set means not revoked).
pub const MIKEY_INTEROP_SAKKE_STATUS_ZERO: u32 = 8192;
/// Interop switch, MIKEY-SAKKE responder: accept IDRi and IDRr (roles 1 and 2) carrying 32-octet
/// UIDs instead of URIs, as SmartMS sends them.
pub const MIKEY_INTEROP_SAKKE_UIDS_IN_ROLES_1_2: u32 = 16384;
/// Interop switch, MIKEY-SAKKE, both roles, for Streamwide's sw_mikey_sakke, which hashes g^r
/// and w without leading zero octets, so that for about 1 SSV in 256 its H differs from RFC
/// 6508's: a responder whose TEST check fails tries Streamwide's hash too; an initiator refuses
/// (`MIKEY_ERR_INVALID_ARGUMENT`) a key whose H Streamwide would compute differently.
pub const MIKEY_INTEROP_SAKKE_STREAMWIDE_HASH: u32 = 32768;

/// `mikey_srtp_keys.ssrc_type`: the SSRC is known (libsrtp's `ssrc_specific`).
pub const MIKEY_SSRC_SPECIFIC: u8 = 1;
/// `mikey_srtp_keys.ssrc_type`: unknown SSRC of a stream we receive (libsrtp's
/// `ssrc_any_inbound`).
pub const MIKEY_SSRC_ANY_INBOUND: u8 = 2;
/// `mikey_srtp_keys.ssrc_type`: unknown SSRC of a stream we send (libsrtp's
/// `ssrc_any_outbound`).
pub const MIKEY_SSRC_ANY_OUTBOUND: u8 = 3;

/// The longest MIKEY message the library takes or makes, in bytes: size the `out` buffers of
/// `mikey_session_create_message` and `mikey_session_process_message` by it, and a response never
/// waits for `mikey_session_take_response`. A longer incoming message is refused with
/// `MIKEY_ERR_MALFORMED` before any work.
pub const MIKEY_MAX_MESSAGE_LEN: usize = 16384;

// The C numbering is the Rust numbering; a mismatch fails the build.
const _: () = {
    assert!(MIKEY_MAX_MESSAGE_LEN == crate::MAX_MESSAGE_LEN);
    assert!(MIKEY_METHOD_PSK == Method::Psk as u32);
    assert!(MIKEY_METHOD_NULL == Method::Null as u32);
    assert!(MIKEY_METHOD_PK == Method::Pk as u32);
    assert!(MIKEY_METHOD_DH_SIGN == Method::DhSign as u32);
    assert!(MIKEY_METHOD_DH_HMAC == Method::DhHmac as u32);
    assert!(MIKEY_METHOD_RSA_R == Method::RsaR as u32);
    assert!(MIKEY_METHOD_TICKET == Method::Ticket as u32);
    assert!(MIKEY_METHOD_SAKKE == Method::Sakke as u32);
    assert!(MIKEY_ROLE_INITIATOR == Role::Initiator as u32);
    assert!(MIKEY_ROLE_RESPONDER == Role::Responder as u32);
    assert!(MIKEY_STATE_IDLE == State::Idle as u32);
    assert!(MIKEY_STATE_WAIT_RESPONSE == State::WaitResponse as u32);
    assert!(MIKEY_STATE_ESTABLISHED == State::Established as u32);
    assert!(MIKEY_STATE_FAILED == State::Failed as u32);
    assert!(MIKEY_STATE_WAIT_KMS == State::WaitKms as u32);
    assert!(MIKEY_INTEROP_GSTREAMER_SP_LAYOUT == InteropFlags::GSTREAMER_SP_LAYOUT);
    assert!(MIKEY_INTEROP_TRAILING_PADDING_BYTE == InteropFlags::TRAILING_PADDING_BYTE);
    assert!(MIKEY_INTEROP_MANDATORY_MKI_4 == InteropFlags::MANDATORY_MKI_4);
    assert!(MIKEY_INTEROP_TEK_WITH_CONCATENATED_SALT == InteropFlags::TEK_WITH_CONCATENATED_SALT);
    assert!(MIKEY_INTEROP_SSRC_ZERO == InteropFlags::SSRC_ZERO);
    assert!(MIKEY_SSRC_SPECIFIC == SsrcType::Specific as u8);
    assert!(MIKEY_SSRC_ANY_INBOUND == SsrcType::AnyInbound as u8);
    assert!(MIKEY_SSRC_ANY_OUTBOUND == SsrcType::AnyOutbound as u8);
    assert!(MIKEY_INTEROP_MINISIP_SHA1_SIGNATURES == InteropFlags::MINISIP_SHA1_SIGNATURES);
    assert!(MIKEY_INTEROP_MINISIP_PRF == InteropFlags::MINISIP_PRF);
    assert!(MIKEY_INTEROP_MINISIP_DH_HMAC_WITHOUT_IDR == InteropFlags::MINISIP_DH_HMAC_WITHOUT_IDR);
    assert!(MIKEY_INTEROP_MINISIP_RESPONSES == InteropFlags::MINISIP_RESPONSES);
    assert!(MIKEY_INTEROP_MINISIP_ENVELOPE_KEY == InteropFlags::MINISIP_ENVELOPE_KEY);
    assert!(MIKEY_INTEROP_SAKKE_SIGNATURE_WITHOUT_HEADER == InteropFlags::SAKKE_SIGNATURE_WITHOUT_HEADER);
    assert!(MIKEY_INTEROP_SAKKE_UID_AS_HEX_TEXT == InteropFlags::SAKKE_UID_AS_HEX_TEXT);
    assert!(MIKEY_INTEROP_SAKKE_LEGACY_KEY_PARAMETERS == InteropFlags::SAKKE_LEGACY_KEY_PARAMETERS);
    assert!(MIKEY_INTEROP_SAKKE_STATUS_ZERO == InteropFlags::SAKKE_STATUS_ZERO);
    assert!(MIKEY_INTEROP_SAKKE_UIDS_IN_ROLES_1_2 == InteropFlags::SAKKE_UIDS_IN_ROLES_1_2);
    assert!(MIKEY_INTEROP_SAKKE_STREAMWIDE_HASH == InteropFlags::SAKKE_STREAMWIDE_HASH);
    assert!(
        MIKEY_INTEROP_GSTREAMER_SP_LAYOUT
            | MIKEY_INTEROP_TRAILING_PADDING_BYTE
            | MIKEY_INTEROP_MANDATORY_MKI_4
            | MIKEY_INTEROP_TEK_WITH_CONCATENATED_SALT
            | MIKEY_INTEROP_SSRC_ZERO
            | MIKEY_INTEROP_MINISIP_SHA1_SIGNATURES
            | MIKEY_INTEROP_MINISIP_PRF
            | MIKEY_INTEROP_MINISIP_DH_HMAC_WITHOUT_IDR
            | MIKEY_INTEROP_MINISIP_RESPONSES
            | MIKEY_INTEROP_MINISIP_ENVELOPE_KEY
            | MIKEY_INTEROP_SAKKE_SIGNATURE_WITHOUT_HEADER
            | MIKEY_INTEROP_SAKKE_UID_AS_HEX_TEXT
            | MIKEY_INTEROP_SAKKE_LEGACY_KEY_PARAMETERS
            | MIKEY_INTEROP_SAKKE_STATUS_ZERO
            | MIKEY_INTEROP_SAKKE_UIDS_IN_ROLES_1_2
            | MIKEY_INTEROP_SAKKE_STREAMWIDE_HASH
            == InteropFlags::ALL
    );
    assert!(MIKEY_VERSION_MAJOR == parse_u32(env!("CARGO_PKG_VERSION_MAJOR")));
    assert!(MIKEY_VERSION_MINOR == parse_u32(env!("CARGO_PKG_VERSION_MINOR")));
    assert!(MIKEY_VERSION_PATCH == parse_u32(env!("CARGO_PKG_VERSION_PATCH")));
};

/// A decimal number at compile time (the version check above).
const fn parse_u32(text: &str) -> u32 {
    let bytes = text.as_bytes();
    let mut value = 0u32;
    let mut index = 0;
    while index < bytes.len() {
        assert!(bytes[index].is_ascii_digit());
        value = value * 10 + (bytes[index] - b'0') as u32;
        index += 1;
    }
    value
}

/// The `mikey_result` of an error kind (one-to-one).
pub(crate) fn result_for(kind: ErrorKind) -> mikey_result {
    match kind {
        ErrorKind::InvalidArgument => MIKEY_ERR_INVALID_ARGUMENT,
        ErrorKind::BufferTooSmall => MIKEY_ERR_BUFFER_TOO_SMALL,
        ErrorKind::Malformed => MIKEY_ERR_MALFORMED,
        ErrorKind::Unsupported => MIKEY_ERR_UNSUPPORTED,
        ErrorKind::AuthFailed => MIKEY_ERR_AUTH_FAILED,
        ErrorKind::Replay => MIKEY_ERR_REPLAY,
        ErrorKind::Timestamp => MIKEY_ERR_TIMESTAMP,
        ErrorKind::Policy => MIKEY_ERR_POLICY,
        ErrorKind::State => MIKEY_ERR_STATE,
        ErrorKind::PeerError => MIKEY_ERR_PEER_ERROR,
        ErrorKind::Crypto => MIKEY_ERR_CRYPTO,
    }
}

/// The static text of a result code.
fn result_text(result: mikey_result) -> &'static CStr {
    match result {
        MIKEY_OK => c"ok",
        MIKEY_ERR_INVALID_ARGUMENT => c"invalid argument",
        MIKEY_ERR_BUFFER_TOO_SMALL => c"buffer too small",
        MIKEY_ERR_MALFORMED => c"malformed message",
        MIKEY_ERR_UNSUPPORTED => c"unsupported",
        MIKEY_ERR_AUTH_FAILED => c"authentication failed",
        MIKEY_ERR_REPLAY => c"replayed message",
        MIKEY_ERR_TIMESTAMP => c"timestamp outside the replay window",
        MIKEY_ERR_POLICY => c"security policy not acceptable",
        MIKEY_ERR_STATE => c"not allowed in the session's state",
        MIKEY_ERR_PEER_ERROR => c"the peer sent an error message",
        MIKEY_ERR_CRYPTO => c"crypto backend failure",
        MIKEY_ERR_PANIC => c"internal error (panic caught)",
        _ => c"unknown result code",
    }
}

/// The library version, "MAJOR.MINOR.PATCH".
///
/// Returns a static NUL-terminated string; never NULL, never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn mikey_version() -> *const c_char {
    static VERSION: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("the package version contains a NUL byte"),
    };
    boundary(VERSION.as_ptr(), || VERSION.as_ptr())
}

/// A short English description of `result` ("unknown result code" for numbers this version
/// does not know).
///
/// Returns a static NUL-terminated string; never NULL, never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn mikey_result_str(result: mikey_result) -> *const c_char {
    boundary(c"internal error (panic caught)".as_ptr(), || result_text(result).as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_own_code_and_text() {
        use ErrorKind::*;
        let kinds =
            [InvalidArgument, BufferTooSmall, Malformed, Unsupported, AuthFailed, Replay, Timestamp, Policy, State];
        let kinds = kinds.into_iter().chain([PeerError, Crypto]);
        for (expected, kind) in (1..).zip(kinds) {
            assert_eq!(result_for(kind), expected, "{kind:?}");
            assert_ne!(result_text(expected), c"unknown result code");
        }
        assert_eq!(result_text(MIKEY_ERR_PANIC), c"internal error (panic caught)");
        assert_eq!(result_text(13), c"unknown result code");
    }

    #[test]
    fn version_matches_cargo() {
        // SAFETY: mikey_version returns a static NUL-terminated string.
        let version = unsafe { CStr::from_ptr(mikey_version()) };
        assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        let expected = format!("{MIKEY_VERSION_MAJOR}.{MIKEY_VERSION_MINOR}.{MIKEY_VERSION_PATCH}");
        assert_eq!(version.to_str().unwrap(), expected);
    }
}
