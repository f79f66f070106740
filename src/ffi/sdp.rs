//! RFC 4567 helpers: the SDP `a=key-mgmt` attribute value and the RTSP `KeyMgmt` header.
//!
//! Text outputs are NUL-terminated: on success `*out_len` is the length without the NUL; when
//! the buffer is too small `*out_len` is the size needed including the NUL, so a buffer of
//! `*out_len` bytes fits on the second call.

use std::ffi::c_char;

use zeroize::Zeroizing;

use crate::sdp::{self, RtspKeyMgmt};

use super::boundary::{guarded, put_out, try_bytes, try_opt_str, try_str, Failure, OutBuffer};
use super::types::{mikey_result, MIKEY_ERR_MALFORMED};

/// Writes the value of an SDP `a=key-mgmt` attribute carrying a MIKEY message: `mikey <base64>`
/// (without the `a=key-mgmt:` prefix), as a NUL-terminated string.
///
/// On success `out` holds the string and `*out_len` its length without the NUL. When `out_cap`
/// is smaller than length + 1, returns `MIKEY_ERR_BUFFER_TOO_SMALL` with `*out_len` = length + 1
/// (the size needed). `msg` may be NULL only when `msg_len` is 0; `out` may be NULL only when
/// `out_cap` is 0; `out_len` must not be NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_sdp_key_mgmt_encode(
    msg: *const u8,
    msg_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    // SAFETY: the pointers are as documented above.
    unsafe { write_encoded(msg, msg_len, out, out_cap, out_len, |msg| Ok(sdp::key_mgmt_encode(msg))) }
}

/// The shared body of the encoders: reads the message, then writes `encode`'s text to `out`.
///
/// # Safety
/// `msg` is NULL or `msg_len` readable bytes; `out` is NULL or `out_cap` writable bytes;
/// `out_len` is NULL or writable; `encode` reads no caller memory that `out` may overlap.
unsafe fn write_encoded(
    msg: *const u8,
    msg_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
    encode: impl FnOnce(&[u8]) -> Result<String, Failure>,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `msg` is NULL or `msg_len` readable bytes (this function's contract).
        let msg = unsafe { try_bytes(msg, msg_len, "msg") }?;
        // SAFETY: `out` is NULL or `out_cap` writable bytes, `out_len` NULL or writable (this
        // function's contract); every input is read by `encode` before `out` is written.
        let out = unsafe { OutBuffer::new(out.cast(), out_cap, out_len) }?;
        out.write_str(&Zeroizing::new(encode(msg)?))
    })
}

/// Reads the MIKEY message out of an SDP key-mgmt attribute value: `mikey <base64>`, with or
/// without the `a=key-mgmt:` / `key-mgmt:` prefix and surrounding white space.
///
/// On success writes the message to `out` and its length to `*out_len`. Returns
/// `MIKEY_ERR_BUFFER_TOO_SMALL` with `*out_len` = the size needed when it does not fit,
/// `MIKEY_ERR_UNSUPPORTED` for another key-management protocol, `MIKEY_ERR_MALFORMED` for a
/// value that is not `<protocol> <base64>` or not UTF-8. `value` is a NUL-terminated string; `out`
/// may be NULL only when `out_cap` is 0; `out_len` must not be NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_sdp_key_mgmt_decode(
    value: *const c_char,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `value` is NULL or a NUL-terminated string (documentation).
        let value = unsafe { try_str(value, "value", MIKEY_ERR_MALFORMED) }?;
        // SAFETY: `out` is NULL or `out_cap` writable bytes, `out_len` NULL or writable
        // (documentation); `value` is read completely before `out` is written.
        let out = unsafe { OutBuffer::new(out, out_cap, out_len) }?;
        out.write_bytes(&Zeroizing::new(sdp::key_mgmt_decode(value)?))
    })
}

/// Writes the value of an RTSP `KeyMgmt` header carrying a MIKEY message, as GStreamer and
/// Live555 write it: `prot=mikey; uri="<uri>"; data="<base64>"` (without `uri` when `uri` is
/// NULL), as a NUL-terminated string.
///
/// On success `out` holds the string and `*out_len` its length without the NUL. When `out_cap`
/// is smaller than length + 1, returns `MIKEY_ERR_BUFFER_TOO_SMALL` with `*out_len` = length + 1.
/// Returns `MIKEY_ERR_INVALID_ARGUMENT` for a URI with quotes or line breaks or that is not
/// UTF-8. `msg` may be NULL only when `msg_len` is 0; `out` may be NULL only when `out_cap` is 0;
/// `out_len` must not be NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_rtsp_key_mgmt_encode(
    msg: *const u8,
    msg_len: usize,
    uri: *const c_char,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    let encode = |msg: &[u8]| {
        // SAFETY: `uri` is NULL or a NUL-terminated string (documentation).
        let uri = unsafe { try_opt_str(uri, "uri") }?;
        Ok(sdp::rtsp_key_mgmt_encode(msg, uri)?)
    };
    // SAFETY: the pointers are as documented above; `encode` reads `uri` before `out` is written.
    unsafe { write_encoded(msg, msg_len, out, out_cap, out_len, encode) }
}

/// The MIKEY specs of an RTSP `KeyMgmt` header value (or whole header line), or the failure.
///
/// # Safety
/// `value` is NULL or a NUL-terminated string.
unsafe fn rtsp_specs(value: *const c_char) -> Result<Vec<RtspKeyMgmt>, Failure> {
    // SAFETY: NULL or a NUL-terminated string (this function's contract).
    let value = unsafe { try_str(value, "value", MIKEY_ERR_MALFORMED) }?;
    Ok(sdp::rtsp_key_mgmt_decode(value)?)
}

/// The `index`-th (0-based) MIKEY spec of an RTSP `KeyMgmt` header, or the failure.
fn rtsp_spec(mut specs: Vec<RtspKeyMgmt>, index: usize) -> Result<RtspKeyMgmt, Failure> {
    let count = specs.len();
    if index >= count {
        return Err(Failure::invalid(format!("invalid argument: index {index}, but {count} MIKEY specs")));
    }
    Ok(specs.swap_remove(index))
}

/// Counts the MIKEY key-mgmt specs of an RTSP `KeyMgmt` header value (specs of other protocols
/// are skipped) and writes the count to `*count_out` (at least 1 on success).
///
/// `value` is the header value or the whole `KeyMgmt: ...` line, NUL-terminated. Returns
/// `MIKEY_ERR_MALFORMED` when no MIKEY spec with data is present or the value cannot be parsed.
/// `*count_out` is written only on success. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_rtsp_key_mgmt_count(value: *const c_char, count_out: *mut usize) -> mikey_result {
    guarded(|| {
        // SAFETY: `value` is NULL or a NUL-terminated string (documentation).
        let count = || unsafe { rtsp_specs(value) }.map(|specs| specs.len());
        // SAFETY: `count_out` is NULL or writable (documentation).
        unsafe { put_out(count_out, "count_out", count) }
    })
}

/// Reads the MIKEY message of the `index`-th (0-based) MIKEY spec of an RTSP `KeyMgmt` header
/// value (specs of other protocols are skipped; see `mikey_rtsp_key_mgmt_count`).
///
/// On success writes the message to `out` and its length to `*out_len`. Returns
/// `MIKEY_ERR_BUFFER_TOO_SMALL` with `*out_len` = the size needed when it does not fit,
/// `MIKEY_ERR_INVALID_ARGUMENT` when `index` is not below the count, `MIKEY_ERR_MALFORMED` when
/// the value cannot be parsed. `out` may be NULL only when `out_cap` is 0; `out_len` must not be
/// NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_rtsp_key_mgmt_decode(
    value: *const c_char,
    index: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `out` is NULL or `out_cap` writable bytes, `out_len` NULL or writable
        // (documentation); `value` is read completely before `out` is written.
        let out = unsafe { OutBuffer::new(out, out_cap, out_len) }?;
        // SAFETY: `value` is NULL or a NUL-terminated string (documentation).
        let specs = unsafe { rtsp_specs(value) }?;
        let spec = rtsp_spec(specs, index)?;
        out.write_bytes(&Zeroizing::new(spec.message))
    })
}

/// Writes the `uri` parameter of the `index`-th (0-based) MIKEY spec of an RTSP `KeyMgmt` header
/// value, as a NUL-terminated string: the URI the keys apply to, or "" (`*out_len` = 0) when the
/// spec has none (then the request URI applies).
///
/// On success `*out_len` is the length without the NUL. When `out_cap` is smaller than length +
/// 1, returns `MIKEY_ERR_BUFFER_TOO_SMALL` with `*out_len` = length + 1. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` when `index` is not below the count, `MIKEY_ERR_MALFORMED` when
/// the value cannot be parsed. `out` may be NULL only when `out_cap` is 0; `out_len` must not be
/// NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_rtsp_key_mgmt_uri(
    value: *const c_char,
    index: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> mikey_result {
    guarded(|| {
        // SAFETY: `out` is NULL or `out_cap` writable bytes, `out_len` NULL or writable
        // (documentation); `value` is read completely before `out` is written.
        let out = unsafe { OutBuffer::new(out.cast(), out_cap, out_len) }?;
        // SAFETY: `value` is NULL or a NUL-terminated string (documentation).
        let specs = unsafe { rtsp_specs(value) }?;
        let spec = rtsp_spec(specs, index)?;
        out.write_str(spec.uri.as_deref().unwrap_or(""))
    })
}
