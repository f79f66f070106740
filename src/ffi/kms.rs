//! `mikey_kms`: a MIKEY-TICKET KMS (RFC 6043), which answers Ticket Requests and Ticket
//! Resolves. HTTP or any other transport to it stays the caller's.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::{Arc, Mutex, OnceLock};

use crate::{
    Kms, KmsConfig, NamedResponders, Rejection, TicketAuthority, TicketProtectionKey, TicketRequest, TicketTerms,
    MAX_MESSAGE_LEN,
};

use super::boundary::{boundary, free_handle, guarded, put_out, try_bytes, try_ref, try_str, Failure, OutBuffer};
use super::config::{mikey_clock_fn, ForeignClock};
use super::types::{mikey_result, MIKEY_ERR_BUFFER_TOO_SMALL, MIKEY_ERR_INVALID_ARGUMENT, MIKEY_ERR_STATE};

/// A MIKEY-TICKET KMS: its identity, TPKs, clients and their PSKs, who may have and resolve
/// which ticket, and its replay cache. Opaque; create it with `mikey_kms_new`, free it with
/// `mikey_kms_free`.
///
/// Configure it first; its first `mikey_kms_process_message` starts it, and its setters then
/// return `MIKEY_ERR_STATE`. From then on `mikey_kms_process_message` may be called by several
/// threads at once.
pub struct mikey_kms {
    /// The settings, until the KMS starts.
    config: Mutex<Option<KmsConfig>>,
    /// The running KMS.
    kms: OnceLock<Kms>,
    authority: Mutex<CAuthority>,
}

/// Which exchange a `mikey_kms_authorize_fn` decides on.
pub type mikey_kms_exchange = u32;
/// A Ticket Request: may `client` (the initiator) have a ticket to `responder`?
pub const MIKEY_KMS_REQUEST: mikey_kms_exchange = 0;
/// A Ticket Resolve: may `client` (the responder) resolve a ticket `initiator` got?
pub const MIKEY_KMS_RESOLVE: mikey_kms_exchange = 1;

/// Decides whether a KMS grants a Ticket Request or a Ticket Resolve: non-zero allows. For
/// `MIKEY_KMS_REQUEST` it is called once per responder the initiator asks for (`client` and
/// `initiator` are then the same); for `MIKEY_KMS_RESOLVE`, once, with `responder` the client.
/// The identities are the authenticated ones, as bytes (not NUL-terminated), valid during the
/// call only. It may be called from several threads at once; it must not call the KMS.
pub type mikey_kms_authorize_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        exchange: mikey_kms_exchange,
        client: *const u8,
        client_len: usize,
        initiator: *const u8,
        initiator_len: usize,
        responder: *const u8,
        responder_len: usize,
    ) -> c_int,
>;

/// The caller's decision function, over the default authority's rules (a longest lifetime;
/// only the responders a ticket names resolve it).
#[derive(Clone, Copy)]
struct CAuthority {
    callback: mikey_kms_authorize_fn,
    user_data: *mut c_void,
    defaults: NamedResponders,
}

// SAFETY: `user_data` is only handed back to the caller's function, which the documentation of
// `mikey_kms_set_authorize` requires to be callable from any thread.
unsafe impl Send for CAuthority {}
// SAFETY: as above; the authority holds no state of its own that calls could race on.
unsafe impl Sync for CAuthority {}

impl CAuthority {
    fn allows(&self, exchange: mikey_kms_exchange, client: &[u8], initiator: &[u8], responder: &[u8]) -> bool {
        let Some(callback) = self.callback else { return true };
        // SAFETY: the caller's function takes these pointers for the lengths given, during the
        // call (documentation of `mikey_kms_authorize_fn`); a panic cannot cross it (it is C).
        let verdict = unsafe {
            callback(
                self.user_data,
                exchange,
                client.as_ptr(),
                client.len(),
                initiator.as_ptr(),
                initiator.len(),
                responder.as_ptr(),
                responder.len(),
            )
        };
        verdict != 0
    }
}

impl TicketAuthority for CAuthority {
    fn grant(&self, request: &TicketRequest<'_>, now: u64) -> crate::Result<TicketTerms> {
        let refused = request
            .desired
            .responders
            .iter()
            .any(|responder| !self.allows(MIKEY_KMS_REQUEST, request.initiator, request.initiator, responder));
        if refused {
            return Err(crate::Error::new(crate::ErrorKind::AuthFailed, "the KMS's policy refuses this ticket"));
        }
        self.defaults.grant(request, now)
    }

    fn may_resolve(&self, responder: &[u8], terms: &TicketTerms) -> bool {
        let initiator = terms.initiator.as_deref().unwrap_or_default();
        self.defaults.may_resolve(responder, terms) && self.allows(MIKEY_KMS_RESOLVE, responder, initiator, responder)
    }
}

thread_local! {
    /// The detail of the calling thread's last failed `mikey_kms_*` call.
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Runs `body` and keeps the text of its failure ("" after a success) for this thread's
/// `mikey_kms_last_error`.
fn recorded(body: impl FnOnce() -> Result<(), Failure>) -> mikey_result {
    guarded(|| {
        let result = body();
        let text = result.as_ref().err().map_or("", |failure| &failure.text);
        LAST_ERROR.with(|last| *last.borrow_mut() = CString::new(text.replace('\0', " ")).unwrap_or_default());
        result
    })
}

/// Runs `change` on the settings of a KMS that has not started.
///
/// # Safety
/// `kms` is NULL or a live handle.
unsafe fn configure(
    kms: *const mikey_kms,
    change: impl FnOnce(&mut KmsConfig, &mut CAuthority) -> Result<(), Failure>,
) -> mikey_result {
    recorded(|| {
        // SAFETY: `kms` is NULL or a live handle (this fn's contract).
        let handle = unsafe { try_ref(kms, "kms") }?;
        let mut config = handle.config.lock().map_err(|_| Failure::panic())?;
        let mut authority = handle.authority.lock().map_err(|_| Failure::panic())?;
        match config.as_mut() {
            Some(config) => change(config, &mut authority),
            None => Err(Failure::new(MIKEY_ERR_STATE, "the KMS has started: configure it before its first message")),
        }
    })
}

/// Creates a KMS named `identity` (a NUL-terminated UTF-8 string: its IDRkms), with the system
/// clock and randomness, tickets valid a day at most, and the responders a ticket names as the
/// only ones who may resolve it. Add a TPK and its clients before the first message. On success
/// writes a new handle to `*kms_out`. Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers or
/// an empty identity. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_kms_new(identity: *const c_char, kms_out: *mut *mut mikey_kms) -> mikey_result {
    let new_kms = || {
        // SAFETY: `identity` is NULL or a NUL-terminated string (documentation).
        let identity = unsafe { try_str(identity, "identity", MIKEY_ERR_INVALID_ARGUMENT) }?;
        let defaults = NamedResponders { max_lifetime_secs: 86_400 };
        let authority = CAuthority { callback: None, user_data: std::ptr::null_mut(), defaults };
        let handle = mikey_kms {
            config: Mutex::new(Some(KmsConfig::new(identity.as_bytes())?)),
            kms: OnceLock::new(),
            authority: Mutex::new(authority),
        };
        Ok(Box::into_raw(Box::new(handle)))
    };
    // SAFETY: `kms_out` is NULL or writable (documentation).
    recorded(|| unsafe { put_out(kms_out, "kms_out", new_kms) })
}

/// Frees a KMS (NULL is ignored). No other thread may use it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn mikey_kms_free(kms: *mut mikey_kms) {
    // SAFETY: `kms` is NULL or a handle from its constructor that the caller gives up
    // (documentation).
    unsafe { free_handle(kms) }
}

/// Adds a Ticket Protection Key (`key_len` >= 16 bytes at `key`) named by `id_len` bytes at
/// `id` (the IDRpsk of the tickets it seals; `id_len` 0 for none). The first TPK added seals new
/// tickets; every TPK opens them, so an old one stays until its last ticket has expired. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers, a short key or an identifier already added,
/// `MIKEY_ERR_STATE` once the KMS has started.
#[no_mangle]
pub unsafe extern "C" fn mikey_kms_add_tpk(
    kms: *mut mikey_kms,
    id: *const u8,
    id_len: usize,
    key: *const u8,
    key_len: usize,
) -> mikey_result {
    let change = |config: &mut KmsConfig, _: &mut CAuthority| -> Result<(), Failure> {
        // SAFETY: `id` is NULL (only with `id_len` 0) or `id_len` readable bytes (documentation).
        let id = unsafe { try_bytes(id, id_len, "id") }?;
        // SAFETY: `key` is NULL or `key_len` readable bytes (documentation).
        let key = unsafe { try_bytes(key, key_len, "key") }?;
        Ok(config.add_tpk(TicketProtectionKey::new(id, key)?)?)
    };
    // SAFETY: `kms` is NULL or a live handle (documentation).
    unsafe { configure(kms, change) }
}

/// Adds a client: its identity (a NUL-terminated UTF-8 string: the IDRi or IDRr it sends) and
/// the PSK (`psk_len` >= 16 bytes) it shares with the KMS. Returns `MIKEY_ERR_INVALID_ARGUMENT`
/// for NULL pointers, an empty identity, a short PSK or a client already added,
/// `MIKEY_ERR_STATE` once the KMS has started.
#[no_mangle]
pub unsafe extern "C" fn mikey_kms_add_client(
    kms: *mut mikey_kms,
    identity: *const c_char,
    psk: *const u8,
    psk_len: usize,
) -> mikey_result {
    let change = |config: &mut KmsConfig, _: &mut CAuthority| -> Result<(), Failure> {
        // SAFETY: `identity` is NULL or a NUL-terminated string (documentation).
        let identity = unsafe { try_str(identity, "identity", MIKEY_ERR_INVALID_ARGUMENT) }?;
        // SAFETY: `psk` is NULL or `psk_len` readable bytes (documentation).
        let psk = unsafe { try_bytes(psk, psk_len, "psk") }?;
        Ok(config.add_client(identity.as_bytes(), psk)?)
    };
    // SAFETY: `kms` is NULL or a live handle (documentation).
    unsafe { configure(kms, change) }
}

/// The public-key forms of Request and Resolve (RFC 6043 §4.2.1.3, §4.2.3.3): the KMS's private
/// key (`len` bytes at `data`: PKCS#8 or PKCS#1, PEM or DER), whose certificate the clients pin
/// and encrypt their envelope keys to. Without it the KMS takes the PSK forms only. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers or data that is not an RSA key,
/// `MIKEY_ERR_STATE` once the KMS has started.
#[no_mangle]
pub unsafe extern "C" fn mikey_kms_set_private_key(kms: *mut mikey_kms, data: *const u8, len: usize) -> mikey_result {
    // SAFETY: `data` is NULL or `len` readable bytes, `kms` NULL or a live handle (documentation).
    unsafe { configure_with_bytes(kms, data, len, KmsConfig::set_private_key) }
}

/// The public-key forms: adds trust anchors (`len` bytes at `data`: a PEM bundle or one DER
/// certificate) the clients' certificate chains must lead to; a client's certificate must name
/// the identity it sends (IDRi or IDRr). Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers
/// or data without a certificate, `MIKEY_ERR_STATE` once the KMS has started.
#[no_mangle]
pub unsafe extern "C" fn mikey_kms_add_trust_anchor(kms: *mut mikey_kms, data: *const u8, len: usize) -> mikey_result {
    // SAFETY: `data` is NULL or `len` readable bytes, `kms` NULL or a live handle (documentation).
    unsafe { configure_with_bytes(kms, data, len, KmsConfig::add_trust_anchor) }
}

/// Runs `set` on the settings of a KMS that has not started with the bytes of `data`.
///
/// # Safety
/// `kms` is NULL or a live handle; `data` is NULL or `len` readable bytes.
unsafe fn configure_with_bytes(
    kms: *mut mikey_kms,
    data: *const u8,
    len: usize,
    set: fn(&mut KmsConfig, &[u8]) -> crate::Result<()>,
) -> mikey_result {
    let change = |config: &mut KmsConfig, _: &mut CAuthority| -> Result<(), Failure> {
        // SAFETY: `data` is NULL or `len` readable bytes (this fn's contract).
        let data = unsafe { try_bytes(data, len, "data") }?;
        Ok(set(config, data)?)
    };
    // SAFETY: `kms` is NULL or a live handle (this fn's contract).
    unsafe { configure(kms, change) }
}

/// Whether the responders hold the TPK too (mode 2 of RFC 6043 §4.1.1; `hold` non-zero): the
/// tickets then let them resolve without the KMS, unless keys are forked. Off by default (mode
/// 1). Returns `MIKEY_ERR_STATE` once the KMS has started.
#[no_mangle]
pub unsafe extern "C" fn mikey_kms_set_responders_hold_tpk(kms: *mut mikey_kms, hold: c_int) -> mikey_result {
    // SAFETY: `kms` is NULL or a live handle (documentation).
    unsafe {
        configure(kms, |config, _| {
            config.set_responders_hold_tpk(hold != 0);
            Ok(())
        })
    }
}

/// The longest validity a ticket gets, in seconds (a day by default). Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for 0, `MIKEY_ERR_STATE` once the KMS has started.
#[no_mangle]
pub unsafe extern "C" fn mikey_kms_set_max_lifetime(kms: *mut mikey_kms, seconds: u32) -> mikey_result {
    // SAFETY: `kms` is NULL or a live handle (documentation).
    unsafe {
        configure(kms, |_, authority| match seconds {
            0 => Err(Failure::invalid("a ticket is valid for at least one second")),
            _ => {
                authority.defaults.max_lifetime_secs = seconds;
                Ok(())
            }
        })
    }
}

/// Sets the function deciding who may have and resolve which ticket (see
/// `mikey_kms_authorize_fn`), with `user_data` handed back to it; NULL removes it. It decides
/// on top of the default rules (the longest lifetime; only the responders a ticket names
/// resolve it). Returns `MIKEY_ERR_STATE` once the KMS has started.
#[no_mangle]
pub unsafe extern "C" fn mikey_kms_set_authorize(
    kms: *mut mikey_kms,
    authorize: mikey_kms_authorize_fn,
    user_data: *mut c_void,
) -> mikey_result {
    // SAFETY: `kms` is NULL or a live handle (documentation).
    unsafe {
        configure(kms, |_, authority| {
            (authority.callback, authority.user_data) = (authorize, user_data);
            Ok(())
        })
    }
}

/// Replaces the KMS's system clock by `now(user_data)`, as `mikey_config_set_clock` does a
/// config's (tests, simulations; the same contract). Returns `MIKEY_ERR_INVALID_ARGUMENT` for a
/// NULL callback, `MIKEY_ERR_STATE` once the KMS has started.
#[no_mangle]
pub unsafe extern "C" fn mikey_kms_set_clock(
    kms: *mut mikey_kms,
    now: mikey_clock_fn,
    user_data: *mut c_void,
) -> mikey_result {
    // SAFETY: `kms` is NULL or a live handle (documentation).
    unsafe {
        configure(kms, |config, _| {
            config.set_clock(ForeignClock::of_caller(now, user_data)?);
            Ok(())
        })
    }
}

/// Takes one REQUEST_INIT or RESOLVE_INIT (`in_len` bytes at `in`) and writes the answer to
/// send back to `out`: the REQUEST_RESP or RESOLVE_RESP, or an error message (RFC 6043 §5.4)
/// when an authenticated message is refused (its result is then the refusal's). A message that
/// does not authenticate, or a replay, gets no answer (`*out_len` 0). `out_cap` must be at
/// least `MIKEY_MAX_MESSAGE_LEN`, or `MIKEY_ERR_BUFFER_TOO_SMALL` is returned before anything
/// is read (so an answer is never lost to a short buffer). `*out_len` is written whatever the
/// result, unless `out_len` is NULL. The first call starts the KMS (`MIKEY_ERR_INVALID_ARGUMENT`
/// if it has no TPK). Thread-safe once started; `mikey_kms_last_error` describes the calling
/// thread's last failure.
#[no_mangle]
pub unsafe extern "C" fn mikey_kms_process_message(
    kms: *mut mikey_kms,
    r#in: *const u8,
    in_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    recorded(|| {
        // SAFETY: `out` and `out_len` are as documented above.
        let out = unsafe { OutBuffer::new(out, out_cap, out_len) }?;
        out.set_len(0);
        // SAFETY: `kms` is NULL or a live handle (documentation).
        let handle = unsafe { try_ref(kms, "kms") }?;
        // SAFETY: `in` is NULL or `in_len` readable bytes (documentation).
        let input = unsafe { try_bytes(r#in, in_len, "in") }?;
        if out_cap < MAX_MESSAGE_LEN {
            out.set_len(MAX_MESSAGE_LEN);
            return Err(Failure::new(MIKEY_ERR_BUFFER_TOO_SMALL, "out_cap must be at least MIKEY_MAX_MESSAGE_LEN"));
        }
        let running = match handle.kms.get() {
            Some(running) => running,
            None => start(handle)?,
        };
        match running.process_message(input) {
            Ok(answer) => out.write_bytes(&answer),
            Err(Rejection { error, response }) => {
                if let Some(response) = response {
                    out.write_bytes(&response)?;
                }
                Err(Failure::from(error))
            }
        }
    })
}

/// Starts the KMS of `handle` with its settings (once; a racing call finds it started).
fn start(handle: &mikey_kms) -> Result<&Kms, Failure> {
    let mut config = handle.config.lock().map_err(|_| Failure::panic())?;
    if let Some(running) = handle.kms.get() {
        return Ok(running);
    }
    let authority = *handle.authority.lock().map_err(|_| Failure::panic())?;
    let settings = config.as_mut().ok_or_else(|| Failure::new(MIKEY_ERR_STATE, "the KMS failed to start"))?;
    // Checked before the settings are taken, so a KMS that cannot start can still be configured.
    settings.validate()?;
    settings.set_authority(Arc::new(authority));
    let settings = config.take().ok_or_else(|| Failure::new(MIKEY_ERR_STATE, "the KMS failed to start"))?;
    // Past validation only the replay cache's key (aws-lc's generator) can fail.
    let kms = Kms::new(settings)?;
    Ok(handle.kms.get_or_init(|| kms))
}

/// The detail of the calling thread's last failed `mikey_kms_*` call, as a NUL-terminated
/// string ("" after a success): why a message was refused, for instance. Valid until this
/// thread's next `mikey_kms_*` call. It never contains key material.
#[no_mangle]
pub extern "C" fn mikey_kms_last_error() -> *const c_char {
    boundary(c"internal error (panic caught)".as_ptr(), || LAST_ERROR.with(|last| last.borrow().as_ptr()))
}
