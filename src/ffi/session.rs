//! `mikey_session`: one crypto session bundle, plus the C API's bookkeeping (last error text,
//! messages waiting for a large enough buffer).

use std::ffi::{c_char, CString};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use zeroize::Zeroizing;

use crate::{Rejection, Role, Session, State};

use super::boundary::{boundary, guarded, try_bytes, try_mut, try_ref, write_out, Failure, OutBuffer};
use super::config::mikey_config;
use super::srtp::mikey_srtp_keys;
use super::types::{
    mikey_result, mikey_role, mikey_state, MIKEY_ERR_BUFFER_TOO_SMALL, MIKEY_ERR_PANIC, MIKEY_ERR_STATE,
    MIKEY_STATE_INVALID,
};

/// One crypto session bundle (CSB), as initiator or responder. Opaque; create it with
/// `mikey_session_new`, free it with `mikey_session_free`.
///
/// Distinct sessions may be used at the same time from different threads. One session is not
/// synchronised: the caller serialises every call on it, the `const mikey_session *` ones
/// included, since any call may replace the text `mikey_session_last_error` returned.
pub struct mikey_session {
    session: Session,
    /// The detail of the last failure ("" after a successful call); guarded because const calls
    /// (`mikey_session_export_srtp`) set it too.
    last_error: Mutex<CString>,
    /// Set when a panic was caught inside a call: the session may be half-updated.
    poisoned: AtomicBool,
    /// An I_MESSAGE built by `mikey_session_create_message` that did not fit the caller's buffer.
    pending_message: Option<Zeroizing<Vec<u8>>>,
    /// A response from `mikey_session_process_message` that did not fit the caller's buffer.
    pending_response: Option<PendingResponse>,
}

/// A response waiting for `mikey_session_take_response`, with the result of the processing
/// that produced it.
struct PendingResponse {
    bytes: Zeroizing<Vec<u8>>,
    outcome: Result<(), Failure>,
}

const _: () = {
    const fn thread_safe<T: Send + Sync>() {}
    thread_safe::<mikey_session>();
};

impl mikey_session {
    /// A new handle for `session`.
    fn boxed(session: Session) -> Box<Self> {
        Box::new(mikey_session {
            session,
            last_error: Mutex::new(CString::default()),
            poisoned: AtomicBool::new(false),
            pending_message: None,
            pending_response: None,
        })
    }

    fn set_last_error(&self, text: &str) {
        let text = CString::new(text.replace('\0', " ")).unwrap_or_default();
        *self.last_error.lock().unwrap_or_else(PoisonError::into_inner) = text;
    }

    fn last_error_ptr(&self) -> *const c_char {
        self.last_error.lock().unwrap_or_else(PoisonError::into_inner).as_ptr()
    }

    /// Runs one call on the session: resets the last error, refuses a poisoned session, catches
    /// a panic (poisoning the session), and records the failure text.
    fn run<H: Deref<Target = Self>>(
        mut handle: H,
        body: impl FnOnce(&mut H) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        handle.set_last_error("");
        let result = if handle.poisoned.load(Ordering::Acquire) {
            Err(Failure::new(MIKEY_ERR_STATE, "the session is unusable after an internal error (panic); free it"))
        } else {
            boundary(Err(Failure::panic()), || body(&mut handle))
        };
        if let Err(failure) = &result {
            if failure.code == MIKEY_ERR_PANIC {
                handle.poisoned.store(true, Ordering::Release);
            }
            handle.set_last_error(&failure.text);
        }
        result
    }
}

/// Creates a session as `role` (`MIKEY_ROLE_INITIATOR` or `MIKEY_ROLE_RESPONDER`) in state
/// `MIKEY_STATE_IDLE`.
///
/// The session shares the config's settings and replay cache, and freezes the config: its
/// setters then return `MIKEY_ERR_STATE`. The config may be freed before the session. On success writes a new
/// handle to `*session_out`; the caller owns it and frees it with `mikey_session_free`. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers, an unknown role, or a PSK config without a
/// PSK; `*session_out` is written only on success. Thread-safe: a config may be used by several
/// threads at once to create sessions, as long as none changes it.
#[no_mangle]
pub unsafe extern "C" fn mikey_session_new(
    config: *const mikey_config,
    role: mikey_role,
    session_out: *mut *mut mikey_session,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `config` is NULL or a live handle no thread changes during the call (documentation).
        let config = unsafe { try_ref(config, "config") }?;
        if session_out.is_null() {
            return Err(Failure::null("session_out"));
        }
        let role = match role {
            0 => Role::Initiator,
            1 => Role::Responder,
            other => return Err(Failure::invalid(format!("invalid argument: unknown role {other}"))),
        };
        let handle = mikey_session::boxed(Session::new(&config.config, role)?);
        // SAFETY: `session_out` is non-NULL (checked above) and writable (documentation).
        unsafe { write_out(session_out, Box::into_raw(handle)) };
        Ok(())
    })
}

/// For SIP forking: an initiator in `MIKEY_STATE_WAIT_RESPONSE` gets a second session that waits
/// for another answer to the same I_MESSAGE. Give each answer (each early dialog) its own fork.
/// With RSA-R, DH-SIGN and DH-HMAC each responder brings its own keys; with PSK and PK all
/// forks share the initiator's TGK.
///
/// On success writes a new handle to `*fork_out`, which the caller frees with
/// `mikey_session_free`. Returns `MIKEY_ERR_STATE` for a responder or an initiator not waiting,
/// `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers; `*fork_out` is written only on success. Not
/// synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_fork(
    session: *const mikey_session,
    fork_out: *mut *mut mikey_session,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle no thread changes during the call (documentation).
        let session = unsafe { try_ref(session, "session") }?;
        mikey_session::run(session, |session| {
            if fork_out.is_null() {
                return Err(Failure::null("fork_out"));
            }
            let handle = mikey_session::boxed(session.session.fork()?);
            // SAFETY: `fork_out` is non-NULL (checked above) and writable (documentation).
            unsafe { write_out(fork_out, Box::into_raw(handle)) };
            Ok(())
        })
    })
}

/// Frees a session and wipes its keys and any message still waiting to be fetched. NULL is fine
/// (nothing happens).
///
/// `session` must come from `mikey_session_new` or `mikey_session_fork` and must not be used
/// again; no other thread may use it during the call. Pointers returned by
/// `mikey_session_last_error` become invalid.
#[no_mangle]
pub unsafe extern "C" fn mikey_session_free(session: *mut mikey_session) {
    boundary((), || {
        if !session.is_null() {
            // SAFETY: a non-NULL `session` is a handle from mikey_session_new or _fork
            // (Box::into_raw) that the caller gives up (documentation). Dropping wipes the secrets: SecretBytes
            // and the Zeroizing buffers zeroize on drop.
            drop(unsafe { Box::from_raw(session) });
        }
    })
}

/// Adds an SRTP stream with its SSRC and rollover counter, and writes its position (1-based,
/// in the order streams are added) to `*cs_id_out`.
///
/// Initiator: one crypto session, whose RFC 3830 CS ID is that position. Add the streams before
/// the first `mikey_session_create_message`; streams added later are keyed by the next
/// (re-keying) message. SSRC 0 is a placeholder for a stream the responder sends: its
/// R_MESSAGE fills in the SSRC (RFC 3830 §6.1.1), which `mikey_session_export_srtp` then
/// reports; without an R_MESSAGE the export says the SSRC is unknown (`ssrc_type`).
///
/// Responder: one of our own sending streams, added before the I_MESSAGE is processed. Its
/// SSRC (not 0) and ROC fill the I_MESSAGE's SSRC 0 placeholders in order (skipping SSRCs the
/// I_MESSAGE already names), and the R_MESSAGE tells the initiator. The crypto sessions and
/// their CS IDs are the I_MESSAGE's. An I_MESSAGE with more placeholders than our streams is
/// refused (`MIKEY_ERR_POLICY`) unless `MIKEY_INTEROP_SSRC_ZERO` is set.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers, a duplicate SSRC, SSRC 0 for a
/// responder, or a 256th stream. `*cs_id_out` is written only on success.
/// Not synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_add_srtp_stream(
    session: *mut mikey_session,
    ssrc: u32,
    roc: u32,
    cs_id_out: *mut u8,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle this thread alone uses (documentation).
        let session = unsafe { try_mut(session, "session") }?;
        mikey_session::run(session, |session| {
            if cs_id_out.is_null() {
                return Err(Failure::null("cs_id_out"));
            }
            let cs_id = session.session.add_srtp_stream(ssrc, roc)?;
            // SAFETY: `cs_id_out` is non-NULL (checked above) and writable (documentation).
            unsafe { write_out(cs_id_out, cs_id) };
            Ok(())
        })
    })
}

/// Initiator: writes the I_MESSAGE to `out` and its length to `*out_len`. In state
/// `MIKEY_STATE_ESTABLISHED` this is the re-keying message (same CSB, new keys).
///
/// The message is built once and waits in the session until it is delivered:
/// - if it fits `out_cap`, it is copied to `out`, `*out_len` is set, and `MIKEY_OK` returned;
/// - if not, `*out_len` is set to its size and `MIKEY_ERR_BUFFER_TOO_SMALL` returned; the
///   message stays pending and the next call returns that same message (no second message, no
///   new timestamp). So `out = NULL, out_cap = 0` asks for the size.
///
/// The session state changes when the message is built (to `MIKEY_STATE_ESTABLISHED`, or
/// `MIKEY_STATE_WAIT_RESPONSE` when verification is requested), even if it is fetched later.
/// `out` may be NULL only when `out_cap` is 0; `out_len` must not be NULL. On other failures
/// nothing is written. Returns `MIKEY_ERR_STATE` for a responder. Not synchronised (see
/// `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_create_message(
    session: *mut mikey_session,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle this thread alone uses (documentation).
        let session = unsafe { try_mut(session, "session") }?;
        mikey_session::run(session, |session| {
            // SAFETY: `out` is NULL or `out_cap` writable bytes, `out_len` NULL or writable
            // (documentation); neither is read by this call.
            let out = unsafe { OutBuffer::new(out, out_cap, out_len) }?;
            let message = match session.pending_message.take() {
                Some(message) => message,
                None => Zeroizing::new(session.session.create_message()?),
            };
            out.write_bytes(&message).map_err(|too_small| {
                session.pending_message = Some(message);
                Failure::new(too_small.code, format!("{}; the message stays pending", too_small.text))
            })
        })
    })
}

/// Both roles: takes one incoming message (`in_len` bytes at `in`) and writes the response
/// to send back, if any, to `out`.
///
/// A responder answers an I_MESSAGE with an R_MESSAGE when the initiator asked for verification,
/// and may answer a rejected I_MESSAGE with an error message (RFC 3830 §5.1.2). An initiator
/// takes the R_MESSAGE, or an error message (`MIKEY_ERR_PEER_ERROR`). A session waiting for the
/// R_MESSAGE moves to `MIKEY_STATE_FAILED` only when the error message is authenticated by the
/// peer (its signature, or a V MAC under the exchange's key); anyone who saw the I_MESSAGE can
/// send an unauthenticated one, so the session then keeps waiting (RFC 3830 §5.1.2). A rejected
/// message leaves the session unchanged.
///
/// Unless `session` or `out_len` is NULL (or `out` is NULL with `out_cap` > 0), `*out_len` is
/// always written, whatever the result:
/// - 0: nothing to send;
/// - not 0, with `MIKEY_OK` or an error code: send those bytes (in `out`) to the peer; the
///   result is the processing result;
/// - not 0, with `MIKEY_ERR_BUFFER_TOO_SMALL`: a response of `*out_len` bytes did not fit
///   `out_cap`; it waits in the session, and `mikey_session_take_response` delivers it and
///   returns the processing result then.
///
/// A call that produces a response replaces a response still waiting; one that produces none
/// (a junk datagram, say) leaves it waiting. `in` may be NULL only when `in_len` is 0;
/// `out` may be NULL only when `out_cap` is 0; `out_len` must not be NULL. The library does not
/// keep the pointers. On failure `mikey_session_last_error` describes why. Not synchronised (see
/// `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_process_message(
    session: *mut mikey_session,
    r#in: *const u8,
    in_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    let body = |session: &mut mikey_session, out: &OutBuffer| {
        // SAFETY: `in` is NULL or `in_len` readable bytes (documentation).
        let input = unsafe { try_bytes(r#in, in_len, "in") }?;
        let (response, outcome) = match session.session.process_message(input) {
            Ok(response) => (response, Ok(())),
            Err(Rejection { error, response }) => (response, Err(Failure::from(error))),
        };
        match response {
            // A message with nothing to answer (junk, say) leaves a waiting response waiting.
            None => outcome,
            Some(bytes) => {
                session.pending_response = None;
                deliver(out, PendingResponse { bytes: Zeroizing::new(bytes), outcome }, session)
            }
        }
    };
    // SAFETY: the pointers are as documented above; the input is read completely before `out`
    // is written.
    unsafe { responding(session, out, out_cap, out_len, body) }
}

/// The boundary of the calls that may deliver a response: `*out_len` is 0 from the start,
/// whatever happens next (a poisoned session included), then `body` runs on the session.
///
/// # Safety
/// `session` is NULL or a live handle this thread alone uses; `out` is NULL or `out_cap`
/// writable bytes; `out_len` is NULL or writable.
unsafe fn responding(
    session: *mut mikey_session,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    body: impl FnOnce(&mut mikey_session, &OutBuffer) -> Result<(), Failure>,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle this thread alone uses (this fn's contract).
        let session = unsafe { try_mut(session, "session") }?;
        // SAFETY: `out`/`out_len` are as this fn's contract says.
        let out = unsafe { OutBuffer::new(out, out_cap, out_len) };
        if let Ok(out) = &out {
            out.set_len(0);
        }
        mikey_session::run(session, |session| body(session, &out?))
    })
}

/// Writes a response to `out`, or keeps it waiting when it does not fit.
fn deliver(out: &OutBuffer, pending: PendingResponse, session: &mut mikey_session) -> Result<(), Failure> {
    match out.write_bytes(&pending.bytes) {
        Ok(()) => pending.outcome,
        Err(too_small) => {
            let processing = match &pending.outcome {
                Ok(()) => "ok".into(),
                Err(failure) => failure.text.clone(),
            };
            session.pending_response = Some(pending);
            Err(Failure::new(
                MIKEY_ERR_BUFFER_TOO_SMALL,
                format!(
                    "{}; the response waits for mikey_session_take_response (processing result: {processing})",
                    too_small.text
                ),
            ))
        }
    }
}

/// Delivers a response that `mikey_session_process_message` kept because it did not fit.
///
/// If a response waits and fits `out_cap`, it is copied to `out`, `*out_len` is set to its
/// length, and the result of the processing that produced it is returned (`MIKEY_OK` or the
/// error; `mikey_session_last_error` describes it again). If it does not fit,
/// `MIKEY_ERR_BUFFER_TOO_SMALL` with `*out_len` = its size, and it keeps waiting. If no response
/// waits, `*out_len` = 0 and `MIKEY_OK`. As with `mikey_session_process_message`, `*out_len` is
/// written whatever the result (0 when nothing was delivered) unless the pointers are invalid.
/// `out` may be NULL only when `out_cap` is 0; `out_len` must not be NULL. Not synchronised (see
/// `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_take_response(
    session: *mut mikey_session,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    // SAFETY: the pointers are as documented above.
    unsafe {
        responding(session, out, out_cap, out_len, |session, out| match session.pending_response.take() {
            Some(pending) => deliver(out, pending, session),
            None => Ok(()),
        })
    }
}

/// The session's state (`MIKEY_STATE_*`); `MIKEY_STATE_INVALID` for NULL.
///
/// Writes nothing. Not synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_state(session: *const mikey_session) -> mikey_state {
    boundary(MIKEY_STATE_INVALID, || {
        // SAFETY: `session` is NULL or a live handle no thread changes during the call (documentation).
        let session = unsafe { try_ref(session, "session") };
        session.map_or(MIKEY_STATE_INVALID, |session| session.session.state() as mikey_state)
    })
}

/// The number of crypto sessions (initiator: streams added; responder: streams received); 0 for
/// NULL.
///
/// Writes nothing. Not synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_cs_count(session: *const mikey_session) -> usize {
    boundary(0, || {
        // SAFETY: `session` is NULL or a live handle no thread changes during the call (documentation).
        let session = unsafe { try_ref(session, "session") };
        session.map_or(0, |session| session.session.cs_count())
    })
}

/// Exports the SRTP keys of crypto session `cs_id` (1-based) into `*keys_out`.
///
/// Writes `*keys_out` only on success; the struct then holds secret keys, which the caller wipes
/// with `mikey_srtp_keys_clear` when done. Returns `MIKEY_ERR_STATE` unless the session is
/// `MIKEY_STATE_ESTABLISHED`, `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers or an unknown CS
/// ID. Not synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_export_srtp(
    session: *const mikey_session,
    cs_id: u8,
    keys_out: *mut mikey_srtp_keys,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle no thread changes during the call (documentation).
        let session = unsafe { try_ref(session, "session") }?;
        mikey_session::run(session, |session| {
            if keys_out.is_null() {
                return Err(Failure::null("keys_out"));
            }
            let keys = session.session.export_srtp(cs_id)?;
            let mut exported = Zeroizing::new(mikey_srtp_keys::zeroed());
            exported.fill(&keys)?;
            // SAFETY: `keys_out` is non-NULL (checked above) and points to writable caller memory
            // for one mikey_srtp_keys (documentation), which cannot overlap our local copy. The
            // local copy is wiped when `exported` drops.
            unsafe { keys_out.copy_from_nonoverlapping(&*exported, 1) };
            Ok(())
        })
    })
}

/// The CSB ID of the session's crypto session bundle into `*csb_id_out`: the initiator's once it
/// created its I_MESSAGE, the responder's once it accepted one.
///
/// Writes `*csb_id_out` only on success. Returns `MIKEY_ERR_STATE` before there is a CSB,
/// `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers. Not synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_csb_id(session: *const mikey_session, csb_id_out: *mut u32) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle no thread changes during the call (documentation).
        let session = unsafe { try_ref(session, "session") }?;
        mikey_session::run(session, |session| {
            if csb_id_out.is_null() {
                return Err(Failure::null("csb_id_out"));
            }
            let csb_id = session.session.csb_id().ok_or_else(|| Failure::new(MIKEY_ERR_STATE, "no CSB yet"))?;
            // SAFETY: `csb_id_out` is non-NULL (checked above) and writable (documentation).
            unsafe { write_out(csb_id_out, csb_id) };
            Ok(())
        })
    })
}

/// The identity of the established CSB's peer, as its authentication covers it, into `out`
/// (its bytes, typically a URI such as `sip:bob@example.com`; not NUL-terminated) and its length
/// into `*out_len`: the ID the peer sent (which its certificate names, for PK, DH-SIGN and
/// RSA-R), else the configured peer identity, else its certificate's first identity. The length
/// is 0 for the NULL method, which nothing authenticates, and when a PSK peer named none.
///
/// Returns `MIKEY_ERR_STATE` unless the session is `MIKEY_STATE_ESTABLISHED`, and
/// `MIKEY_ERR_BUFFER_TOO_SMALL` with the size needed in `*out_len` (`out_cap = 0` asks). Not
/// synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_peer_identity(
    session: *const mikey_session,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    // SAFETY: the arguments are as documented above.
    unsafe { write_peer_detail(session, (out, out_cap, out_len), Session::peer_identity) }
}

/// The end-entity certificate (DER) of the established CSB's peer into `out`, its length into
/// `*out_len`: for PK, DH-SIGN and RSA-R; the length is 0 for the other methods.
///
/// Returns `MIKEY_ERR_STATE` unless the session is `MIKEY_STATE_ESTABLISHED`, and
/// `MIKEY_ERR_BUFFER_TOO_SMALL` with the size needed in `*out_len` (`out_cap = 0` asks). Not
/// synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_peer_certificate(
    session: *const mikey_session,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    // SAFETY: the arguments are as documented above.
    unsafe { write_peer_detail(session, (out, out_cap, out_len), Session::peer_certificate) }
}

/// Writes what `detail` says of the established CSB's peer (empty for `None`) to the buffer.
///
/// # Safety
/// `session` is NULL or a live handle no thread changes during the call; `out` is NULL or
/// writable for `out_cap` bytes, `out_len` NULL or writable.
unsafe fn write_peer_detail(
    session: *const mikey_session,
    (out, out_cap, out_len): (*mut u8, usize, *mut usize),
    detail: impl FnOnce(&Session) -> Option<&[u8]>,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle no thread changes during the call (contract).
        let session = unsafe { try_ref(session, "session") }?;
        mikey_session::run(session, |session| {
            // SAFETY: `out` is NULL or `out_cap` writable bytes, `out_len` NULL or writable
            // (contract); neither is read by this call.
            let out = unsafe { OutBuffer::new(out, out_cap, out_len) }?;
            if session.session.state() != State::Established {
                return Err(Failure::new(MIKEY_ERR_STATE, "no CSB is established"));
            }
            out.write_bytes(detail(&session.session).unwrap_or_default())
        })
    })
}

/// The detail of the session's last failure, as a NUL-terminated string: "" when the last call
/// succeeded, "invalid session" for NULL.
///
/// Every call on the session that returns a `mikey_result` resets the text at its start and
/// sets it when it fails. The string belongs to the session: it stays valid until the next call
/// on the session (or `mikey_session_free`); copy it to keep it. It never contains key material.
#[no_mangle]
pub unsafe extern "C" fn mikey_session_last_error(session: *const mikey_session) -> *const c_char {
    boundary(c"internal error (panic caught)".as_ptr(), || {
        // SAFETY: `session` is NULL or a live handle no thread changes during the call (documentation).
        match unsafe { try_ref(session, "session") } {
            Ok(session) => session.last_error_ptr(),
            Err(_) => c"invalid session".as_ptr(),
        }
    })
}
