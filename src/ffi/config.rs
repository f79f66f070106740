//! `mikey_config`: what an endpoint knows.

use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::Arc;

use crate::mcptt::KmsCommunity;
use crate::Clock;
use crate::{Config, DhGroup, Method, SignatureScheme, SrtpProfile};

use super::boundary::{
    boundary, free_handle, guarded, put_out, try_bytes, try_mut, try_opt_str, try_ref, try_slice, try_str, Failure,
};
use super::srtp::mikey_srtp_policy;
use super::types::{
    mikey_dh_group, mikey_method, mikey_result, mikey_signature_scheme, mikey_stream, MIKEY_ERR_INVALID_ARGUMENT,
    MIKEY_SIGNATURE_PKCS1_SHA1, MIKEY_SIGNATURE_PKCS1_SHA256, MIKEY_SIGNATURE_PSS_SHA1, MIKEY_SIGNATURE_PSS_SHA256,
};

/// An endpoint configuration: the method, its credentials, identities and policies, and the
/// replay cache shared by every session created from it. Opaque; create it with
/// `mikey_config_new`, free it with `mikey_config_free`.
///
/// Configure it fully first: the first `mikey_session_new` freezes it, and every setter then
/// returns `MIKEY_ERR_STATE`. So all its sessions have the same settings and one replay cache,
/// and no setter can race a session being created. For other settings, make another config.
pub struct mikey_config {
    pub(crate) config: Config,
    /// The detail of the last setter's failure ("" after a success).
    last_error: CString,
}

impl mikey_config {
    /// A handle for `config`.
    pub(crate) fn wrapping(config: Config) -> Self {
        mikey_config { config, last_error: CString::default() }
    }
}

// A config is shared read-only across threads; the replay cache inside is synchronised.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<mikey_config>();
};

/// Creates a configuration for `method` (`MIKEY_METHOD_*`), with the system clock, the system
/// random generator, the default SRTP policy, a 60-second replay window and no interop flags.
///
/// On success writes a new handle to `*config_out`; the caller owns it and frees it with
/// `mikey_config_free`. On failure `*config_out` is not written. Unknown method numbers return
/// `MIKEY_ERR_INVALID_ARGUMENT` (every `MIKEY_METHOD_*` is implemented). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_new(method: mikey_method, config_out: *mut *mut mikey_config) -> mikey_result {
    let new_config = || {
        let method = Method::from_number(method)
            .ok_or_else(|| Failure::invalid(format!("invalid argument: unknown method {method}")))?;
        Ok(Box::into_raw(Box::new(mikey_config::wrapping(Config::new(method)?))))
    };
    // SAFETY: `config_out` is NULL or writable (documentation).
    guarded(|| unsafe { put_out(config_out, "config_out", new_config) })
}

/// Frees a configuration. NULL is fine (nothing happens).
///
/// Sessions created from it stay valid: each keeps its own copy of the settings and a reference
/// to the shared replay cache. `config` must come from `mikey_config_new`, must not be used
/// again, and no other thread may use it during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_free(config: *mut mikey_config) {
    // SAFETY: `config` is NULL or a handle from its constructor that the caller gives up
    // (documentation).
    unsafe { free_handle(config) }
}

/// Sets the pre-shared key of the PSK and DH-HMAC methods (at least 16 bytes; RFC 3830 §9.2 asks
/// for a key at least as strong as the keys it protects).
///
/// The bytes are copied (and wiped when the config is freed); the caller keeps `psk`. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for a NULL pointer, a short key, or a config of another method.
/// Not synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_psk(
    config: *mut mikey_config,
    psk: *const u8,
    psk_len: usize,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: `psk` is NULL or `psk_len` readable bytes (documentation).
        let psk = unsafe { try_bytes(psk, psk_len, "psk") }?;
        Ok(config.set_psk(psk)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// Sets our identity and the peer's, as NUL-terminated UTF-8 URIs (`sip:alice@example.com`).
/// Either may be NULL, which clears it.
///
/// `own_id` is sent as IDi (initiator) or IDr (responder). `peer_id` is sent as IDr by an
/// initiator; when set, a responder requires the received IDi to match it, and an initiator
/// requires the IDr of a verification message to match it. The strings are copied. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config, an empty or longer than 65535 bytes identity,
/// or invalid UTF-8. Not synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_identities(
    config: *mut mikey_config,
    own_id: *const c_char,
    peer_id: *const c_char,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: `own_id` is NULL or a NUL-terminated string (documentation).
        let own_id = unsafe { try_opt_str(own_id, "own_id") }?;
        // SAFETY: `peer_id` is NULL or a NUL-terminated string (documentation).
        let peer_id = unsafe { try_opt_str(peer_id, "peer_id") }?;
        Ok(config.set_identities(own_id, peer_id)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// Sets the SRTP policy an initiator offers (see `mikey_srtp_policy`; start from
/// `mikey_srtp_policy_init`). A responder accepts what the initiator offers within what this
/// library supports and ignores this policy, except that it is sent back in an error message
/// when an offer is refused.
///
/// `*policy` is copied. Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers, an unknown
/// profile, an MKI longer than 16 bytes, or a field outside its documented range. Not
/// synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_srtp_policy(
    config: *mut mikey_config,
    policy: *const mikey_srtp_policy,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: `policy` is NULL or points to a mikey_srtp_policy (documentation).
        let policy = unsafe { try_ref(policy, "policy") }?.to_policy()?;
        Ok(config.set_srtp_policy(policy)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// Sets the SRTP profiles a peer's policy may name: the local policy minimum, `n_profiles`
/// profile numbers (as in `mikey_srtp_policy.profile`) at `profiles`. By default every profile
/// that encrypts (all but 5 and 6, the NULL-cipher ones); a refused offer is answered with an
/// error message carrying our policy.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers, an empty list or an unknown profile,
/// `MIKEY_ERR_STATE` once the config has a session. Not synchronised: no other thread may use
/// the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_accepted_profiles(
    config: *mut mikey_config,
    profiles: *const u32,
    n_profiles: usize,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: `profiles` is NULL or `n_profiles` readable u32 (documentation).
        let numbers = unsafe { try_slice(profiles, n_profiles, "profiles") }?;
        let profiles = numbers
            .iter()
            .map(|&number| {
                SrtpProfile::from_number(number)
                    .ok_or_else(|| Failure::invalid(format!("invalid argument: unknown SRTP profile {number}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(config.set_accepted_profiles(&profiles)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// Whether a peer's SRTP policy may turn SRTP or SRTCP encryption, or SRTP authentication, off
/// (non-zero = allow; default 0: such offers are refused with an error message).
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config, `MIKEY_ERR_STATE` once the config has
/// a session. Not synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_allow_unprotected_srtp(
    config: *mut mikey_config,
    allow: c_int,
) -> mikey_result {
    // SAFETY: `config` is as documented above.
    unsafe { set_switch(config, allow, Config::set_allow_unprotected_srtp) }
}

/// Sets how old the timestamp of an incoming message may be, 1 to 86400 seconds (default 60;
/// RFC 3830 §5.4), and gives the config a new replay cache sized for it.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config or a window outside the range. Not
/// synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_replay_window(config: *mut mikey_config, seconds: u32) -> mikey_result {
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documented contract).
    unsafe { configure(config, |config| Ok(config.set_replay_window(seconds)?)) }
}

/// Sets how far ahead of our clock the timestamp of an incoming message may be, 0 to 3600
/// seconds (default 5). Raise it for peers whose clocks run ahead; each second lets a flood of
/// future-dated messages (from a holder of the PSK or of a trusted certificate) keep genuine
/// ones out of the shared replay cache a second longer.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config or a value outside the range. Not
/// synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_max_future_skew(config: *mut mikey_config, seconds: u32) -> mikey_result {
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documented contract).
    unsafe { configure(config, |config| Ok(config.set_max_future_skew(seconds)?)) }
}

/// Runs `body` on the config behind `config`, and keeps the text of its failure ("" after a
/// success) for `mikey_config_last_error` (the shared body of the setters).
///
/// # Safety
/// `config` is NULL or a live handle no other thread uses.
unsafe fn configure(config: *mut mikey_config, body: impl FnOnce(&mut Config) -> Result<(), Failure>) -> mikey_result {
    guarded(|| {
        // SAFETY: `config` is NULL or a live handle that no other thread uses (this fn's contract).
        let handle = unsafe { try_mut(config, "config") }?;
        let result = body(&mut handle.config);
        let text = result.as_ref().err().map_or("", |failure| &failure.text);
        handle.last_error = CString::new(text.replace('\0', " ")).unwrap_or_default();
        result
    })
}

/// The detail of the last failed setter call on `config`, as a NUL-terminated string ("" when
/// the last setter succeeded): for instance which certificate was refused and why, or that a key
/// is shorter than 2048 bits. "invalid config" for NULL. The string belongs to the config: it
/// stays valid until the next setter call on it (or `mikey_config_free`). It never contains key
/// material. Not synchronised: no other thread may call a setter meanwhile.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_last_error(config: *const mikey_config) -> *const c_char {
    boundary(c"internal error (panic caught)".as_ptr(), || {
        // SAFETY: `config` is NULL or a live handle no thread changes during the call (documentation).
        match unsafe { try_ref(config, "config") } {
            Ok(config) => config.last_error.as_ptr(),
            Err(_) => c"invalid config".as_ptr(),
        }
    })
}

/// Runs `set` on the config with the bytes of `data` (the shared body of the credential setters).
///
/// # Safety
/// `config` is NULL or a live handle no other thread uses; `data` is NULL or `len` readable bytes.
unsafe fn set_credential(
    config: *mut mikey_config,
    data: *const u8,
    len: usize,
    set: impl FnOnce(&mut Config, &[u8]) -> crate::Result<()>,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: `data` is NULL or `len` readable bytes (this fn's contract).
        let data = unsafe { try_bytes(data, len, "data") }?;
        Ok(set(config, data)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (this fn's contract).
    unsafe { configure(config, body) }
}

/// Public-key methods (PK, DH-SIGN, RSA-R): sets our certificate chain, end-entity certificate first, as a
/// PEM bundle or one DER certificate (detected from the bytes).
///
/// The bytes are copied. Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers or data that is
/// not a certificate, `MIKEY_ERR_UNSUPPORTED` for a non-RSA or too small (< 2048-bit) key. Not
/// synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_certificate_chain(
    config: *mut mikey_config,
    data: *const u8,
    len: usize,
) -> mikey_result {
    // SAFETY: the pointers are as documented above.
    unsafe { set_credential(config, data, len, Config::set_certificate_chain) }
}

/// Public-key methods: sets the private key of our end-entity certificate: PKCS#8 or PKCS#1,
/// PEM or DER (detected from the bytes); encrypted keys are refused.
///
/// The key is copied and wiped when the config is freed. Returns `MIKEY_ERR_INVALID_ARGUMENT`
/// for NULL pointers or data that is not a key, `MIKEY_ERR_UNSUPPORTED` for encrypted, non-RSA
/// or too small keys. A session checks that the key belongs to the certificate. Not
/// synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_private_key(
    config: *mut mikey_config,
    data: *const u8,
    len: usize,
) -> mikey_result {
    // SAFETY: the pointers are as documented above.
    unsafe { set_credential(config, data, len, Config::set_private_key) }
}

/// Public-key methods: adds trust anchors (every certificate of a PEM bundle, or one DER
/// certificate); a peer's chain must lead to one of them, valid at the session clock.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers or data without a certificate. Not
/// synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_add_trust_anchor(
    config: *mut mikey_config,
    data: *const u8,
    len: usize,
) -> mikey_result {
    // SAFETY: the pointers are as documented above.
    unsafe { set_credential(config, data, len, Config::add_trust_anchor) }
}

/// Public-key methods: sets the peer's certificate (PEM or DER), accepted as it is when the peer
/// signs with it (pinning, e.g. a self-signed device certificate), and used when the peer sends
/// no certificate (RFC 3830 §3.2: the responder's certificate known in advance).
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers or data without a certificate,
/// `MIKEY_ERR_UNSUPPORTED` for a non-RSA or too small key. Not synchronised: no other thread may
/// use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_peer_certificate(
    config: *mut mikey_config,
    data: *const u8,
    len: usize,
) -> mikey_result {
    // SAFETY: the pointers are as documented above.
    unsafe { set_credential(config, data, len, Config::set_peer_certificate) }
}

/// Sets the Diffie-Hellman group an initiator of a DH method (DH-HMAC) offers:
/// `MIKEY_DH_GROUP_OAKLEY5` (1536-bit, the default and mandatory one), `MIKEY_DH_GROUP_OAKLEY1`
/// (768-bit) or `MIKEY_DH_GROUP_OAKLEY2` (1024-bit). A responder answers in the initiator's group.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config or an unknown group. Not synchronised:
/// no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_dh_group(config: *mut mikey_config, group: mikey_dh_group) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> { Ok(config.set_dh_group(dh_group(group)?)?) };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// Sets the weakest Diffie-Hellman group this endpoint uses (`MIKEY_DH_GROUP_*`; default
/// `MIKEY_DH_GROUP_OAKLEY5`): an initiator refuses to offer a weaker one, a responder refuses a
/// DHi in one with error no 6. OAKLEY 1 and 2 (768, 1024 bits) are breakable; allow them only
/// for old peers.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config or an unknown group, `MIKEY_ERR_STATE`
/// once the config has a session. Not synchronised: no other thread may use the config during
/// the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_min_dh_group(
    config: *mut mikey_config,
    group: mikey_dh_group,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> { Ok(config.set_min_dh_group(dh_group(group)?)?) };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// The group of a `MIKEY_DH_GROUP_*` number.
fn dh_group(group: mikey_dh_group) -> Result<DhGroup, Failure> {
    u8::try_from(group)
        .ok()
        .and_then(DhGroup::from_code)
        .ok_or_else(|| Failure::invalid(format!("unknown DH group {group}")))
}

/// Sets how we sign in PK, DH-SIGN and RSA-R: `MIKEY_SIGNATURE_PKCS1_SHA256` (the default;
/// `MIKEY_SIGNATURE_PKCS1_SHA1` under `MIKEY_INTEROP_MINISIP_SHA1_SIGNATURES`),
/// `MIKEY_SIGNATURE_PKCS1_SHA1`, `MIKEY_SIGNATURE_PSS_SHA1` or `MIKEY_SIGNATURE_PSS_SHA256`. A
/// peer verifies SHA-1 signatures only under that interop flag.
/// Received signatures are verified by their S type (PKCS#1 v1.5 or PSS) with SHA-1 or SHA-256,
/// whatever this says.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config or an unknown scheme. Not
/// synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_signature_scheme(
    config: *mut mikey_config,
    scheme: mikey_signature_scheme,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        let scheme = match scheme {
            MIKEY_SIGNATURE_PKCS1_SHA1 => SignatureScheme::PKCS1V15_SHA1,
            MIKEY_SIGNATURE_PKCS1_SHA256 => SignatureScheme::PKCS1V15_SHA256,
            MIKEY_SIGNATURE_PSS_SHA1 => SignatureScheme::PSS_SHA1,
            MIKEY_SIGNATURE_PSS_SHA256 => SignatureScheme::PSS_SHA256,
            other => return Err(Failure::invalid(format!("unknown signature scheme {other}"))),
        };
        Ok(config.set_signature_scheme(scheme)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// Sets the interop switches, a bitwise OR of `MIKEY_INTEROP_*` flags (0 = strict RFC plus the
/// unambiguous defaults). Replaces the previous flags.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config or an unknown flag bit. Not
/// synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_interop(config: *mut mikey_config, flags: u32) -> mikey_result {
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documented contract).
    unsafe { configure(config, |config| Ok(config.set_interop(flags)?)) }
}

/// Runs `set` on the config with `switch != 0` (the shared body of the on/off setters).
///
/// # Safety
/// `config` is NULL or a live handle no other thread uses.
unsafe fn set_switch(
    config: *mut mikey_config,
    switch: c_int,
    set: impl FnOnce(&mut Config, bool) -> crate::Result<()>,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> { Ok(set(config, switch != 0)?) };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (this fn's contract).
    unsafe { configure(config, body) }
}

/// Whether an initiator sets the V flag to ask the responder for a verification message
/// (non-zero = ask; default 0). With it, the initiator's session waits in
/// `MIKEY_STATE_WAIT_RESPONSE` until the R_MESSAGE is processed.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config. Not synchronised: no other thread may
/// use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_request_verification(
    config: *mut mikey_config,
    request: c_int,
) -> mikey_result {
    // SAFETY: `config` is as documented above.
    unsafe { set_switch(config, request, Config::set_request_verification) }
}

/// RSA-R responder: act as the key server of a group (RFC 4738 §3.2). Every member that asks
/// gets the same CSB: `csb_id` (sent in a CSB_ID general extension), the sender's `n_streams`
/// `streams` as the CS ID map, and one TGK and RAND drawn by this call for the configured SRTP
/// policy (set that first). Calling it again (before any session) draws a new group key. Each
/// member whose SP offer is another policy is refused with an error message (error no 10).
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config or `streams`, a config that is not
/// RSA-R, 0 or more than 255 streams, or an SSRC 0 without `MIKEY_INTEROP_SSRC_ZERO`. Not
/// synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_rsa_r_group(
    config: *mut mikey_config,
    csb_id: u32,
    streams: *const mikey_stream,
    n_streams: usize,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: `streams` is NULL or `n_streams` readable mikey_stream (documentation).
        let streams = unsafe { try_slice(streams, n_streams, "streams") }?;
        let streams: Vec<(u32, u32)> = streams.iter().map(|stream| (stream.ssrc, stream.roc)).collect();
        Ok(config.set_rsa_r_group(csb_id, &streams)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// Whether a message authenticated by a shared key (PSK, DH-HMAC, a verification message) must
/// carry the peer's ID payload when a peer identity is configured (non-zero = require; default
/// 0: a carried ID must match, an absent one is accepted, since the key authenticates the
/// peer). The certificate methods name the peer by its certificate either way.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config, `MIKEY_ERR_STATE` once the config has
/// a session. Not synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_require_peer_id(config: *mut mikey_config, require: c_int) -> mikey_result {
    // SAFETY: `config` is as documented above.
    unsafe { set_switch(config, require, Config::set_require_peer_id) }
}

/// DH-SIGN and RSA-R initiators: whether to accept an answer signed by any certificate that
/// chains to the trust anchors when no peer identity is configured (non-zero = accept; default
/// 0). Without it, such an initiator with neither a peer identity (`mikey_config_set_identities`)
/// nor a pinned peer certificate refuses to create its I_MESSAGE (`MIKEY_ERR_INVALID_ARGUMENT`).
///
/// Risk: with it, anyone who holds a certificate under the anchors can answer and agree keys
/// with the initiator. Use it only where that is intended (SIP forking to callees not known in
/// advance), and check who answered with `mikey_session_peer_identity` or
/// `mikey_session_peer_certificate` before trusting the media.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config. Not synchronised: no other thread may
/// use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_accept_any_peer(config: *mut mikey_config, accept: c_int) -> mikey_result {
    // SAFETY: `config` is as documented above.
    unsafe { set_switch(config, accept, Config::set_accept_any_peer) }
}

/// PK initiator: whether to ask the responder to cache the envelope key for the CSB (non-zero =
/// ask; default 0; PKE cache indicator 2, RFC 3830 Table 6.3). Both ends then keep the key with
/// the CSB, and the initiator's re-keying messages (`mikey_session_create_message` on an
/// established session) are PSK messages protected by it, without public-key operations
/// (RFC 3830 §3.2, §4.5). A responder caches whenever the initiator asks.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config. Not synchronised: no other thread may
/// use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_envelope_key_cache(config: *mut mikey_config, cache: c_int) -> mikey_result {
    // SAFETY: `config` is as documented above.
    unsafe { set_switch(config, cache, Config::set_envelope_key_cache) }
}

/// MIKEY-SAKKE: adds the community of the KMS `kms_uri` (NUL-terminated UTF-8, as IDRkmsi and
/// IDRkmsr carry it): its SAKKE public key Z_T (`z`, 257 bytes, 0x04 || x || y), its ECCSI
/// public authentication key KPAK (`kpak`, 65 bytes), and the user key period and its offset
/// in seconds, which UIDs are bound to (TS 33.180 Annex D `KmsCertificate`: `PubEncKey`,
/// `PubAuthKey`, `UserKeyPeriod`, `UserKeyOffset`). Add one per KMS whose users we key or are
/// keyed by.
///
/// Both keys are checked to be points of their curves of the right order. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers, keys that are not valid, a zero period or a
/// KMS already added. Not synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_add_kms_community(
    config: *mut mikey_config,
    kms_uri: *const c_char,
    z: *const u8,
    z_len: usize,
    kpak: *const u8,
    kpak_len: usize,
    key_period_secs: u64,
    key_period_offset_secs: u64,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: NULL or a NUL-terminated string (documentation).
        let kms_uri = unsafe { try_str(kms_uri, "kms_uri", MIKEY_ERR_INVALID_ARGUMENT) }?;
        // SAFETY: NULL or `z_len` readable bytes (documentation).
        let z = unsafe { try_bytes(z, z_len, "z") }?;
        // SAFETY: NULL or `kpak_len` readable bytes (documentation).
        let kpak = unsafe { try_bytes(kpak, kpak_len, "kpak") }?;
        let community = KmsCommunity::new(kms_uri, z, kpak, key_period_secs, key_period_offset_secs)?;
        Ok(config.add_kms_community(community)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// MIKEY-SAKKE: adds our keys for key period `key_period_number`, issued by the KMS `kms_uri`
/// (add its community first) to the user `user_uri` (NUL-terminated UTF-8): the receiver secret
/// key `rsk` (257 bytes), the secret signing key `ssk` (32) and the public validation token
/// `pvt` (65) (TS 33.180 Annex D `KmsKeySet`: `UserDecryptKey`, `UserSigningKeySSK`,
/// `UserPubTokenPVT`). Add the next period's set before the period changes.
///
/// Both key pairs are validated against the community's keys and the user's UID for that
/// period (RFC 6507 §5.1.2, RFC 6508 §6.1.2; about 60 ms, which also prepares the RSK's pairing
/// tables). The keys are copied and wiped when the config is freed. Every key set of a config
/// belongs to one user. Set `MIKEY_INTEROP_SAKKE_UID_AS_HEX_TEXT` first when the KMS issues keys
/// for the UID's hex text. Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers, an unknown
/// KMS, keys that do not validate, another user, or a period already added. Not synchronised.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_add_user_key_set(
    config: *mut mikey_config,
    kms_uri: *const c_char,
    user_uri: *const c_char,
    key_period_number: u64,
    rsk: *const u8,
    rsk_len: usize,
    ssk: *const u8,
    ssk_len: usize,
    pvt: *const u8,
    pvt_len: usize,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: NULL or NUL-terminated strings (documentation).
        let kms_uri = unsafe { try_str(kms_uri, "kms_uri", MIKEY_ERR_INVALID_ARGUMENT) }?;
        // SAFETY: as above.
        let user_uri = unsafe { try_str(user_uri, "user_uri", MIKEY_ERR_INVALID_ARGUMENT) }?;
        // SAFETY: NULL or `rsk_len` readable bytes (documentation).
        let rsk = unsafe { try_bytes(rsk, rsk_len, "rsk") }?;
        // SAFETY: NULL or `ssk_len` readable bytes (documentation).
        let ssk = unsafe { try_bytes(ssk, ssk_len, "ssk") }?;
        // SAFETY: NULL or `pvt_len` readable bytes (documentation).
        let pvt = unsafe { try_bytes(pvt, pvt_len, "pvt") }?;
        Ok(config.add_user_key_set(kms_uri, user_uri, key_period_number, (rsk, ssk, pvt))?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// MIKEY-SAKKE responder: accepts messages whose T lies up to `periods` key periods (0, the
/// default, or 1) away from the period of the keys they were made with. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config or more than 1. Not synchronised.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_key_period_tolerance(config: *mut mikey_config, periods: u8) -> mikey_result {
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, |config| Ok(config.set_key_period_tolerance(periods)?)) }
}

/// A clock for `mikey_config_set_clock`: returns the current time as a 64-bit NTP timestamp
/// (seconds since 1900-01-01 in the high 32 bits, the fraction in the low 32), given the
/// `user_data` pointer passed there. Called from whichever thread uses a session; it must be
/// thread-safe and must not call into the library.
pub type mikey_clock_fn = Option<unsafe extern "C" fn(user_data: *mut c_void) -> u64>;

/// A clock callback and its user data, as the library calls it (configs and KMSs).
pub(crate) struct ForeignClock {
    now: unsafe extern "C" fn(*mut c_void) -> u64,
    user_data: *mut c_void,
}

// SAFETY: `mikey_config_set_clock`'s contract: the callback is thread-safe with its user data.
unsafe impl Send for ForeignClock {}
// SAFETY: as above.
unsafe impl Sync for ForeignClock {}

impl ForeignClock {
    /// The clock of a caller's callback; NULL is an argument error.
    pub(crate) fn of_caller(now: mikey_clock_fn, user_data: *mut c_void) -> Result<Arc<dyn Clock>, Failure> {
        let now = now.ok_or_else(|| Failure::null("now"))?;
        Ok(Arc::new(ForeignClock { now, user_data }))
    }
}

impl Clock for ForeignClock {
    fn now_ntp(&self) -> u64 {
        // SAFETY: a valid callback that may be called with its user data from any thread
        // (`mikey_config_set_clock`'s contract).
        unsafe { (self.now)(self.user_data) }
    }
}

/// Replaces the system clock of the config's sessions by `now(user_data)` (see
/// `mikey_clock_fn`): timestamps we send, the replay window, MIKEY-SAKKE key periods and
/// certificate validity all read it. For lab tools that replay captured traffic, and for tests;
/// production code keeps the system clock. `user_data` must stay valid while the config or a
/// session made from it lives. Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config or
/// callback. Not synchronised: no other thread may use the config during the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_clock(
    config: *mut mikey_config,
    now: mikey_clock_fn,
    user_data: *mut c_void,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        Ok(config.set_clock(ForeignClock::of_caller(now, user_data)?)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// MIKEY-SAKKE: adds what a KMS response (TS 33.180 Annex D XML, `xml_len` bytes of UTF-8, the
/// body of the KMS's HTTP answer) carries: the community of each `KmsCertificate` of a
/// `KmsInit` or `KmsCertCache` (as `mikey_config_add_kms_community`), or each `KmsKeySet` of a
/// `KmsKeyProv` (as `mikey_config_add_user_key_set`; add the certificate first). A key set's
/// `UserID` (hex or base64) must be the UID its user has in its key period.
///
/// Everything in the document is checked before anything is added. Returns
/// `MIKEY_ERR_MALFORMED` for a document that is not a KmsResponse of the Annex D namespace,
/// `MIKEY_ERR_UNSUPPORTED` for TrK-encrypted keys (the wrapping of 257- and 65-octet keys is an
/// open point of TS 33.180) or a library built without the `kms-xml` feature, and
/// `MIKEY_ERR_INVALID_ARGUMENT` as the two calls it stands for. Not synchronised.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_add_kms_xml(
    config: *mut mikey_config,
    xml: *const u8,
    xml_len: usize,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: NULL or `xml_len` readable bytes (documentation).
        let xml = unsafe { try_bytes(xml, xml_len, "xml") }?;
        let xml = std::str::from_utf8(xml).map_err(|_| Failure::invalid("invalid argument: the XML is not UTF-8"))?;
        add_kms_xml(config, xml)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// The communities or key sets of a KMS response, into a copy of `config` that replaces it
/// once all were added.
#[cfg(feature = "kms-xml")]
fn add_kms_xml(config: &mut Config, xml: &str) -> Result<(), Failure> {
    // A clone is not frozen: refuse first if the config is.
    config.check_configurable()?;
    let mut updated = config.clone();
    match crate::KmsResponse::parse(xml)? {
        crate::KmsResponse::Certificates(certificates) => {
            for certificate in certificates {
                updated.add_kms_community(KmsCommunity::new(
                    &certificate.kms_uri,
                    &certificate.public_encryption_key,
                    &certificate.public_authentication_key,
                    certificate.user_key_period_secs,
                    certificate.user_key_offset_secs,
                )?)?;
            }
        }
        crate::KmsResponse::KeySets(key_sets) => {
            for set in key_sets {
                let community = updated.settings().kms_communities.iter().find(|c| c.kms_uri() == set.kms_uri);
                let community = community.ok_or_else(|| {
                    Failure::invalid(format!(
                        "invalid argument: no community of {} (add its KmsInit first)",
                        set.kms_uri
                    ))
                })?;
                if community.uid(&set.user_uri, set.key_period_number)?[..] != set.user_id[..] {
                    return Err(Failure::invalid(format!(
                        "invalid argument: the UserID of {} is not its UID in period {}",
                        set.user_uri, set.key_period_number
                    )));
                }
                let keys = (set.rsk.expose(), set.ssk.expose(), &set.pvt[..]);
                updated.add_user_key_set(&set.kms_uri, &set.user_uri, set.key_period_number, keys)?;
            }
        }
    }
    *config = updated;
    Ok(())
}

#[cfg(not(feature = "kms-xml"))]
fn add_kms_xml(_config: &mut Config, _xml: &str) -> Result<(), Failure> {
    Err(Failure::new(super::types::MIKEY_ERR_UNSUPPORTED, "this library was built without the kms-xml feature"))
}

/// MIKEY-TICKET: the KMS's identity (its IDRkms), a NUL-terminated UTF-8 string, for the Ticket
/// Request and Resolve exchanges (RFC 6043 §4.2.1, §4.2.3). The PSK (`mikey_config_set_psk`) is
/// the one this party shares with that KMS. Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL
/// pointers, an empty identity or invalid UTF-8. Not synchronised.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_ticket_kms(config: *mut mikey_config, kms_id: *const c_char) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: `kms_id` is NULL or a NUL-terminated string (documentation).
        let kms_id = unsafe { try_str(kms_id, "kms_id", MIKEY_ERR_INVALID_ARGUMENT) }?;
        Ok(config.set_ticket_kms(kms_id)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// MIKEY-TICKET: adds a Ticket Protection Key (`key_len` >= 16 bytes at `key`) named by
/// `id_len` bytes at `id` (the IDRpsk tickets sealed under it carry; `id_len` 0 for none). An
/// initiator holding a TPK makes its tickets itself (modes 3 and 4 of RFC 6043 §4.1.1); a
/// responder opens tickets sealed under any of its TPKs without the KMS (modes 2 and 4). Both
/// are copied. Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers, a short key or a TPK
/// identifier already added. Not synchronised.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_add_ticket_protection_key(
    config: *mut mikey_config,
    id: *const u8,
    id_len: usize,
    key: *const u8,
    key_len: usize,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: `id` is NULL (only with `id_len` 0) or `id_len` readable bytes (documentation).
        let id = unsafe { try_bytes(id, id_len, "id") }?;
        // SAFETY: `key` is NULL or `key_len` readable bytes (documentation).
        let key = unsafe { try_bytes(key, key_len, "key") }?;
        Ok(config.add_ticket_protection_key(crate::TicketProtectionKey::new(id, key)?)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// MIKEY-TICKET initiator: another responder (a NUL-terminated UTF-8 identity) the tickets we ask
/// for authorise besides the one we address (the peer identity): an end a forked call may reach
/// (RFC 6043 §5.1.1). With key forking each gets keys of its own. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers or an empty identity. Not synchronised.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_add_ticket_responder(
    config: *mut mikey_config,
    responder_id: *const c_char,
) -> mikey_result {
    let body = |config: &mut Config| -> Result<(), Failure> {
        // SAFETY: `responder_id` is NULL or a NUL-terminated string (documentation).
        let responder_id = unsafe { try_str(responder_id, "responder_id", MIKEY_ERR_INVALID_ARGUMENT) }?;
        Ok(config.add_ticket_responder(responder_id)?)
    };
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, body) }
}

/// MIKEY-TICKET initiator: whether to ask for key forking (RFC 6043 §5.1.1; `forking` non-zero),
/// which binds the keys to the responder that resolves the ticket at the KMS. Off by default.
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config. Not synchronised.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_ticket_key_forking(
    config: *mut mikey_config,
    forking: c_int,
) -> mikey_result {
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, |config| Ok(config.set_ticket_key_forking(forking != 0)?)) }
}

/// MIKEY-TICKET initiator: how long the tickets we ask for or make should be valid, in seconds
/// (an hour by default; a KMS may grant less). Returns `MIKEY_ERR_INVALID_ARGUMENT` for a NULL
/// config or 0. Not synchronised.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_ticket_lifetime(config: *mut mikey_config, seconds: u32) -> mikey_result {
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, |config| Ok(config.set_ticket_lifetime(seconds)?)) }
}

/// MIKEY-SAKKE initiator: whether to add the SAKKE-to-self extension (TS 33.180 E.5; `to_self`
/// non-zero): the key encapsulated to our own identity too, so our other devices holding our
/// RSK can read the key we sent. Off by default; receivers ignore it. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for a NULL config. Not synchronised.
#[no_mangle]
pub unsafe extern "C" fn mikey_config_set_sakke_to_self(config: *mut mikey_config, to_self: c_int) -> mikey_result {
    // SAFETY: `config` is NULL or a live handle that no other thread uses (documentation).
    unsafe { configure(config, |config| Ok(config.set_sakke_to_self(to_self != 0)?)) }
}
