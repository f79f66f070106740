//! MCPTT identity and key-ID helpers (3GPP TS 33.180) for MIKEY-SAKKE callers: the UID of a
//! user in a key period (F.2.1), the key period of a timestamp, and the GUK-ID that carries a
//! GMK-ID to one receiver (F.1.3) and back.

use std::ffi::c_char;

use crate::mcptt::{self, UidInputs};

use super::boundary::{guarded, put_out, try_bytes, try_str, Failure};
use super::types::{mikey_result, MIKEY_ERR_INVALID_ARGUMENT};

/// Length of a UID (`mikey_mcptt_uid`).
pub const MIKEY_MCPTT_UID_LEN: usize = 32;

/// Writes the UID of `user_uri` (the MC user ID, e.g. "sip:alice@example.org") under the KMS
/// `kms_uri` in key period `key_period_number` (TS 33.180 F.2.1: SHA-256 over the identifiers
/// and the KMS's user key period and offset, in seconds) to `uid_out` (`MIKEY_MCPTT_UID_LEN`,
/// 32 bytes). This is what
/// IDR roles 8 and 9 carry and what ECCSI and SAKKE key to. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers or strings that are not UTF-8. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_mcptt_uid(
    user_uri: *const c_char,
    kms_uri: *const c_char,
    key_period_secs: u64,
    key_period_offset_secs: u64,
    key_period_number: u64,
    uid_out: *mut u8,
) -> mikey_result {
    guarded(|| {
        // SAFETY: NULL or NUL-terminated strings, as documented.
        let user_uri = unsafe { try_str(user_uri, "user_uri", MIKEY_ERR_INVALID_ARGUMENT) }?;
        // SAFETY: as above.
        let kms_uri = unsafe { try_str(kms_uri, "kms_uri", MIKEY_ERR_INVALID_ARGUMENT) }?;
        let inputs = UidInputs { user_uri, kms_uri, key_period_secs, key_period_offset_secs, key_period_number };
        // SAFETY: NULL or 32 writable bytes, as documented; a byte array needs no alignment.
        unsafe { put_out(uid_out.cast::<[u8; MIKEY_MCPTT_UID_LEN]>(), "uid_out", || Ok(mcptt::uid(&inputs)?)) }
    })
}

/// Writes the key period a 64-bit NTP timestamp (a T payload's value) falls in, for a KMS's user
/// key period and offset in seconds (TS 33.179 F.2.1), to `*number_out`. Returns
/// `MIKEY_ERR_INVALID_ARGUMENT` for a NULL pointer, a zero period or a time before the offset.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_mcptt_key_period_number(
    ntp_timestamp: u64,
    key_period_secs: u64,
    key_period_offset_secs: u64,
    number_out: *mut u64,
) -> mikey_result {
    guarded(|| {
        let number = || {
            mcptt::key_period_number(ntp_timestamp, key_period_secs, key_period_offset_secs)
                .ok_or_else(|| Failure::invalid("invalid argument: a zero key period, or a time before the offset"))
        };
        // SAFETY: `number_out` is NULL or writable (documentation).
        unsafe { put_out(number_out, "number_out", number) }
    })
}

/// Writes the GUK-ID under which a group management server sends the GMK `gmk` (its ID
/// `gmk_id`) to the member `receiver_uri` (TS 33.180 F.1.3): the CSB ID of that member's
/// I_MESSAGE. Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers or an empty GMK.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_mcptt_guk_id(
    gmk: *const u8,
    gmk_len: usize,
    gmk_id: u32,
    receiver_uri: *const c_char,
    guk_id_out: *mut u32,
) -> mikey_result {
    // SAFETY: the pointers are as documented.
    unsafe { xor_key_id(gmk, gmk_len, gmk_id, receiver_uri, guk_id_out, mcptt::guk_id) }
}

/// Writes the GMK-ID behind the GUK-ID `guk_id` of a GMK `gmk` sent to `receiver_uri` (the
/// reverse of `mikey_mcptt_guk_id`). Returns `MIKEY_ERR_INVALID_ARGUMENT` for NULL pointers or
/// an empty GMK. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_mcptt_gmk_id(
    gmk: *const u8,
    gmk_len: usize,
    guk_id: u32,
    receiver_uri: *const c_char,
    gmk_id_out: *mut u32,
) -> mikey_result {
    // SAFETY: the pointers are as documented.
    unsafe { xor_key_id(gmk, gmk_len, guk_id, receiver_uri, gmk_id_out, mcptt::gmk_id_of_guk_id) }
}

/// The shared body of the GUK-ID helpers.
///
/// # Safety
/// `gmk` is NULL or `gmk_len` readable bytes; `receiver_uri` NULL or a NUL-terminated string;
/// `out` NULL or a writable, aligned u32.
unsafe fn xor_key_id(
    gmk: *const u8,
    gmk_len: usize,
    key_id: u32,
    receiver_uri: *const c_char,
    out: *mut u32,
    derive: fn(&[u8], u32, &str) -> crate::Result<u32>,
) -> mikey_result {
    guarded(|| {
        // SAFETY: NULL or `gmk_len` readable bytes (this function's contract).
        let gmk = unsafe { try_bytes(gmk, gmk_len, "gmk") }?;
        if gmk.is_empty() {
            return Err(Failure::invalid("invalid argument: an empty GMK"));
        }
        // SAFETY: NULL or a NUL-terminated string (this function's contract).
        let receiver_uri = unsafe { try_str(receiver_uri, "receiver_uri", MIKEY_ERR_INVALID_ARGUMENT) }?;
        // SAFETY: NULL or a writable, aligned u32 (this function's contract).
        unsafe { put_out(out, "out", || Ok(derive(gmk, key_id, receiver_uri)?)) }
    })
}
