//! `mikey_session`: one crypto session bundle, plus the C API's bookkeeping (last error text,
//! messages waiting for a large enough buffer).

use std::ffi::{c_char, CString};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use zeroize::{Zeroize, Zeroizing};

use crate::mcptt::{KeyParameters, McpttKey, McpttPeer};
use crate::{Rejection, Role, Session, State};

use super::boundary::{
    boundary, free_handle, guarded, put_out, try_bytes, try_mut, try_opt_str, try_ref, try_str, Failure, OutBuffer,
};
use super::config::mikey_config;
use super::srtp::mikey_srtp_keys;
use super::types::{
    mikey_result, mikey_role, mikey_state, MIKEY_ERR_BUFFER_TOO_SMALL, MIKEY_ERR_INVALID_ARGUMENT, MIKEY_ERR_PANIC,
    MIKEY_ERR_STATE, MIKEY_STATE_INVALID,
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
        let new_session = || {
            let role = match role {
                0 => Role::Initiator,
                1 => Role::Responder,
                other => return Err(Failure::invalid(format!("invalid argument: unknown role {other}"))),
            };
            Ok(Box::into_raw(mikey_session::boxed(Session::new(&config.config, role)?)))
        };
        // SAFETY: `session_out` is NULL or writable (documentation).
        unsafe { put_out(session_out, "session_out", new_session) }
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
            let fork = || Ok(Box::into_raw(mikey_session::boxed(session.session.fork()?)));
            // SAFETY: `fork_out` is NULL or writable (documentation).
            unsafe { put_out(fork_out, "fork_out", fork) }
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
    // SAFETY: `session` is NULL or a handle from its constructor that the caller gives up
    // (documentation).
    unsafe { free_handle(session) }
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
            // SAFETY: `cs_id_out` is NULL or writable (documentation).
            unsafe { put_out(cs_id_out, "cs_id_out", || Ok(session.session.add_srtp_stream(ssrc, roc)?)) }
        })
    })
}

/// Initiator: writes the I_MESSAGE to `out` and its length to `*out_len`. In state
/// `MIKEY_STATE_ESTABLISHED` this is the re-keying message (same CSB, new keys). MIKEY-TICKET:
/// in state `MIKEY_STATE_WAIT_KMS` afterwards the message goes to the KMS; an established
/// responder may write an update too (RFC 6043 §5.2), which its initiator answers.
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
/// nothing is written. Returns `MIKEY_ERR_STATE` for a responder (but an established MIKEY-TICKET
/// one). Not synchronised (see `mikey_session`).
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
/// message leaves the session unchanged. MIKEY-TICKET: an established initiator also answers its
/// responder's CSB update (RFC 6043 §5.2), and a responder waiting for the answer to its own
/// update takes it; when updates cross, the initiator's wins (the initiator refuses the
/// responder's with `MIKEY_ERR_STATE`, and the responder answers the initiator's).
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

/// The number of crypto sessions (initiator: streams added, or those its message keyed;
/// responder: those received); 0 for NULL. `mikey_session_cs_id` gives each one's CS ID.
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

/// The CS ID of crypto session number `index` (0 to `mikey_session_cs_count` - 1) into
/// `*cs_id_out`: `index + 1` for an SRTP-ID map, the CS IDs a GENERIC-ID map or the MCPTT
/// profile gives for MIKEY-SAKKE (4 and 5 of a GMK, 0 to 3 of a PCK, ...). What
/// `mikey_session_export_srtp` takes. Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers or
/// an index past the end; writes `*cs_id_out` only on success. Not synchronised.
#[no_mangle]
pub unsafe extern "C" fn mikey_session_cs_id(
    session: *const mikey_session,
    index: usize,
    cs_id_out: *mut u8,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle no thread changes during the call (documentation).
        let session = unsafe { try_ref(session, "session") }?;
        mikey_session::run(session, |session| {
            let cs_id = || {
                let cs_ids = session.session.cs_ids();
                cs_ids.get(index).copied().ok_or_else(|| {
                    Failure::invalid(format!("invalid argument: crypto session {index} of {}", cs_ids.len()))
                })
            };
            // SAFETY: `cs_id_out` is NULL or writable (documentation).
            unsafe { put_out(cs_id_out, "cs_id_out", cs_id) }
        })
    })
}

/// Exports the SRTP keys of crypto session `cs_id` into `*keys_out`: 1-based for the SRTP-ID
/// maps of RFC 3830; for MIKEY-SAKKE the CS IDs of TS 33.180 (`mikey_session_cs_id` lists them).
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
            let csb_id = || session.session.csb_id().ok_or_else(|| Failure::new(MIKEY_ERR_STATE, "no CSB yet"));
            // SAFETY: `csb_id_out` is NULL or writable (documentation).
            unsafe { put_out(csb_id_out, "csb_id_out", csb_id) }
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

/// The 3GPP key parameters of an MCPTT key (TS 33.180 Table E.6.1-1), sent in General
/// Extension type 7 and reported as received. Start from `mikey_mcptt_key_parameters_init`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct mikey_mcptt_key_parameters {
    /// Key type (E.6.11): the purpose of the key ID (0 GMK, 1 PCK, 2 CSK, 4 MKFC, 6 MuSiK).
    pub key_type: u8,
    /// 1 when the parameters came in the legacy clear form (received only).
    pub legacy_clear: u8,
    /// Status (E.6.9): bit 0 set means not revoked (`MIKEY_MCPTT_STATUS_NOT_REVOKED`).
    pub status: u32,
    /// Activation time (E.6.4), 40 bits; 0 when not given.
    pub activation_time: u64,
    /// Expiry time (E.6.10), 40 bits, compared with T in Unix seconds; 0 when not given.
    pub expiry_time: u64,
}

/// `mikey_mcptt_key_parameters.status` bit 0: the key is not revoked (TS 33.180 E.6.9).
pub const MIKEY_MCPTT_STATUS_NOT_REVOKED: u32 = 1;
const _: () = assert!(MIKEY_MCPTT_STATUS_NOT_REVOKED == crate::mcptt::STATUS_NOT_REVOKED);

/// The MCPTT key of an established MIKEY-SAKKE CSB, written by `mikey_session_mcptt_key`. It
/// holds the key: wipe it (for instance with `memset_s` or `explicit_bzero`) after use.
#[repr(C)]
#[derive(Debug)]
pub struct mikey_mcptt_key {
    /// The key's ID: the GMK-ID of a GMK (the CSB ID, `mikey_session_csb_id`, is the GUK-ID),
    /// else the PCK-ID, CSK-ID, MuSiK-ID or MKFC-ID. Its top 4 bits are the purpose.
    pub key_id: u32,
    /// The length of `key` (16).
    pub key_len: u32,
    /// The key (GMK, PCK, ...), the first `key_len` bytes.
    pub key: [u8; 32],
    /// 1 when the message carried key parameters, which `parameters` then holds.
    pub has_parameters: u8,
    /// The key parameters (zero without them).
    pub parameters: mikey_mcptt_key_parameters,
    /// How many MC group IDs the key parameters name (`mikey_session_mcptt_group_id`).
    pub group_id_count: u32,
}

/// The parameters of a new, not revoked key of the purpose `key_id`'s top 4 bits name, with no
/// time limits, into `*parameters`. Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL or a key ID
/// that names no purpose. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_mcptt_key_parameters_init(
    key_id: u32,
    parameters: *mut mikey_mcptt_key_parameters,
) -> mikey_result {
    guarded(|| {
        let initial = || {
            let purpose = crate::mcptt::KeyPurpose::of_key_id(key_id)
                .ok_or_else(|| Failure::invalid("invalid argument: the key ID names no purpose"))?;
            Ok(parameters_to_c(&KeyParameters::for_key(purpose)))
        };
        // SAFETY: `parameters` is NULL or writable (documentation).
        unsafe { put_out(parameters, "parameters", initial) }
    })
}

fn parameters_to_c(parameters: &KeyParameters) -> mikey_mcptt_key_parameters {
    mikey_mcptt_key_parameters {
        key_type: parameters.key_type,
        legacy_clear: u8::from(parameters.legacy_clear),
        status: parameters.status,
        activation_time: parameters.activation_time,
        expiry_time: parameters.expiry_time,
    }
}

/// MIKEY-SAKKE initiator: the key the next I_MESSAGE sends: `key` (`key_len` = 16 bytes, the
/// SAKKE SSV) with its ID `key_id`, whose top 4 bits name the purpose (TS 33.180 E.1: 0 GMK,
/// 1 PCK, 2 CSK, 4 MKFC, 6 MuSiK). For a GMK, pass its GMK-ID: each member's message carries
/// that member's GUK-ID as CSB ID. `parameters` (NULL: those of
/// `mikey_mcptt_key_parameters_init`) and `group_id` (NULL for none; a GMK's MC group URI) are
/// sent encrypted in General Extension type 7; `text` (NULL for none) goes with them.
///
/// The key is copied, and wiped with the session. Returns `MIKEY_ERR_INVALID_ARGUMENT` for a
/// NULL session or key, a key that is not 16 bytes, a key ID without purpose, or a session of
/// another method; `MIKEY_ERR_STATE` for a responder. Not synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_set_mcptt_key(
    session: *mut mikey_session,
    key_id: u32,
    key: *const u8,
    key_len: usize,
    parameters: *const mikey_mcptt_key_parameters,
    group_id: *const c_char,
    text: *const c_char,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle this thread alone uses (documentation).
        let session = unsafe { try_mut(session, "session") }?;
        mikey_session::run(session, |session| {
            // SAFETY: NULL or `key_len` readable bytes (documentation).
            let key = unsafe { try_bytes(key, key_len, "key") }?;
            // SAFETY: NULL or NUL-terminated strings (documentation).
            let group_id = unsafe { try_opt_str(group_id, "group_id") }?;
            // SAFETY: as above.
            let text = unsafe { try_opt_str(text, "text") }?;
            let mut mcptt_key = McpttKey::new(key_id, key)?;
            if let Some(sent) = &mut mcptt_key.parameters {
                if !parameters.is_null() {
                    // SAFETY: non-NULL, readable and aligned (documentation).
                    let given = unsafe { *parameters };
                    (sent.key_type, sent.status) = (given.key_type, given.status);
                    (sent.activation_time, sent.expiry_time) = (given.activation_time, given.expiry_time);
                }
                sent.group_ids = group_id.map(|uri| uri.as_bytes().to_vec()).into_iter().collect();
                sent.text = text.unwrap_or_default().as_bytes().to_vec();
            }
            Ok(session.session.set_mcptt_key(mcptt_key)?)
        })
    })
}

/// MIKEY-SAKKE: the other user, `uri` (NUL-terminated UTF-8, the MC service user ID such as
/// `sip:bob@example.org`), of the KMS `kms_uri` (NULL: ours). Initiator: the responder the key
/// goes to. Responder: the initiator as SIP named it (the P-Asserted-Identity or From of the
/// INVITE that carried the message); the message is then refused (`MIKEY_ERR_AUTH_FAILED`)
/// unless the UID it was signed under is that user's (identity hiding, TS 33.180 5.2.6), and
/// `mikey_session_peer_identity` gives the URI instead of the UID. Any user of a configured KMS
/// can sign a valid message: name the one you expect (the GMS, the caller) unless the
/// application checks `mikey_session_peer_identity` itself.
///
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL or empty strings, invalid UTF-8, or a session
/// of another method. Not synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_set_mcptt_peer(
    session: *mut mikey_session,
    uri: *const c_char,
    kms_uri: *const c_char,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle this thread alone uses (documentation).
        let session = unsafe { try_mut(session, "session") }?;
        mikey_session::run(session, |session| {
            // SAFETY: NULL or NUL-terminated strings (documentation).
            let uri = unsafe { try_str(uri, "uri", MIKEY_ERR_INVALID_ARGUMENT) }?;
            // SAFETY: as above.
            let kms_uri = unsafe { try_opt_str(kms_uri, "kms_uri") }?;
            let peer = McpttPeer { uri: uri.to_owned(), kms_uri: kms_uri.map(str::to_owned) };
            Ok(session.session.set_mcptt_peer(peer)?)
        })
    })
}

/// MIKEY-SAKKE: the key of the established CSB, its ID and key parameters, into `*key_out`.
/// A responder learns them from the accepted I_MESSAGE; an initiator gets back what it sent.
/// The SRTP keys of each CS ID come from `mikey_session_export_srtp` (TS 33.180: CS 4 and 5 of
/// a GMK, 0 to 3 of a PCK, 6 and 8 of a CSK, 7 and 9 of a MuSiK, or those the message names).
///
/// Returns `MIKEY_ERR_STATE` unless a MIKEY-SAKKE CSB is established, and
/// `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers; `*key_out` is written only on success. Not
/// synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_mcptt_key(
    session: *const mikey_session,
    key_out: *mut mikey_mcptt_key,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle no thread changes during the call (documentation).
        let session = unsafe { try_ref(session, "session") }?;
        mikey_session::run(session, |session| {
            let mut bytes = [0u8; 32];
            let value = || {
                let key = established_mcptt_key(&session.session)?;
                let secret = key.key.expose();
                bytes[..secret.len()].copy_from_slice(secret);
                let parameters = key.parameters.as_ref();
                Ok(mikey_mcptt_key {
                    key_id: key.key_id,
                    key_len: secret.len() as u32,
                    key: bytes,
                    has_parameters: u8::from(parameters.is_some()),
                    parameters: parameters.map(parameters_to_c).unwrap_or_default(),
                    group_id_count: parameters.map_or(0, |parameters| parameters.group_ids.len() as u32),
                })
            };
            // SAFETY: `key_out` is NULL or writable (documentation).
            let written = unsafe { put_out(key_out, "key_out", value) };
            bytes.zeroize();
            written
        })
    })
}

/// MIKEY-SAKKE: MC group ID number `index` (from 0 to `group_id_count` - 1) of the established
/// key's parameters into `out` (a URI, not NUL-terminated), its length into `*out_len`. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for an index past the end, `MIKEY_ERR_BUFFER_TOO_SMALL` with the
/// size needed in `*out_len` (`out_cap = 0` asks), and `MIKEY_ERR_STATE` as
/// `mikey_session_mcptt_key`. Not synchronised (see `mikey_session`).
#[no_mangle]
pub unsafe extern "C" fn mikey_session_mcptt_group_id(
    session: *const mikey_session,
    index: u32,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    // SAFETY: the arguments are as documented above.
    unsafe {
        write_key_parameter(session, (out, out_cap, out_len), |parameters| {
            parameters.group_ids.get(index as usize).map(Vec::as_slice).ok_or_else(|| {
                Failure::invalid(format!("invalid argument: group ID {index} of {}", parameters.group_ids.len()))
            })
        })
    }
}

/// MIKEY-SAKKE: the text of the established key's parameters (E.6.5) into `out`, its length
/// into `*out_len` (0 without text or parameters). Errors as `mikey_session_mcptt_group_id`.
#[no_mangle]
pub unsafe extern "C" fn mikey_session_mcptt_key_text(
    session: *const mikey_session,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    // SAFETY: the arguments are as documented above.
    unsafe { write_key_parameter(session, (out, out_cap, out_len), |parameters| Ok(&parameters.text)) }
}

/// The established CSB's MCPTT key, or `MIKEY_ERR_STATE`.
fn established_mcptt_key(session: &Session) -> Result<&McpttKey, Failure> {
    session.mcptt_key().ok_or_else(|| Failure::new(MIKEY_ERR_STATE, "no MIKEY-SAKKE key is established"))
}

/// Writes what `detail` picks of the established key's parameters (nothing without them).
///
/// # Safety
/// As [`write_peer_detail`].
unsafe fn write_key_parameter(
    session: *const mikey_session,
    (out, out_cap, out_len): (*mut u8, usize, *mut usize),
    detail: impl FnOnce(&KeyParameters) -> Result<&[u8], Failure>,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `session` is NULL or a live handle no thread changes during the call (contract).
        let session = unsafe { try_ref(session, "session") }?;
        mikey_session::run(session, |session| {
            // SAFETY: `out` is NULL or `out_cap` writable bytes, `out_len` NULL or writable
            // (contract); neither is read by this call.
            let out = unsafe { OutBuffer::new(out, out_cap, out_len) }?;
            let key = established_mcptt_key(&session.session)?;
            let empty = KeyParameters::default();
            out.write_bytes(detail(key.parameters.as_ref().unwrap_or(&empty))?)
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
