//! The one panic boundary, the internal failure type, and the NULL-checking pointer toolkit.

use std::borrow::Cow;
use std::ffi::{c_char, CStr};
use std::panic::{self, AssertUnwindSafe};
use std::{mem, ptr, slice};

use crate::Error;

use super::types::{
    mikey_result, result_for, MIKEY_ERR_BUFFER_TOO_SMALL, MIKEY_ERR_INVALID_ARGUMENT, MIKEY_ERR_PANIC, MIKEY_OK,
};

/// Runs an export's body, turning a panic into `on_panic`. Every `extern "C"` function of the
/// crate runs its body through this (a panic must never unwind into C).
///
/// `AssertUnwindSafe`: after a panic the caller sees only `on_panic`; session handles that were
/// being changed are poisoned by [`super::session`], so no half-updated state is used again.
pub(crate) fn boundary<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            // Dropping the payload runs arbitrary code, which could panic in turn: drop it
            // inside the boundary too, and leak whatever that second panic carries.
            if let Err(second) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
                mem::forget(second);
            }
            on_panic
        }
    }
}

/// [`boundary`] for the usual body: `Ok(())` is `MIKEY_OK`, a failure its code.
pub(crate) fn guarded(body: impl FnOnce() -> Result<(), Failure>) -> mikey_result {
    boundary(MIKEY_ERR_PANIC, || match body() {
        Ok(()) => MIKEY_OK,
        Err(failure) => failure.code,
    })
}

/// Why a call failed: the result code and a text for `mikey_session_last_error` (never key
/// material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) code: mikey_result,
    pub(crate) text: Cow<'static, str>,
}

impl Failure {
    pub(crate) fn new(code: mikey_result, text: impl Into<Cow<'static, str>>) -> Self {
        Failure { code, text: text.into() }
    }

    pub(crate) fn invalid(text: impl Into<Cow<'static, str>>) -> Self {
        Self::new(MIKEY_ERR_INVALID_ARGUMENT, text)
    }

    pub(crate) fn null(name: &'static str) -> Self {
        Self::invalid(format!("invalid argument: {name} is NULL"))
    }

    pub(crate) fn panic() -> Self {
        Self::new(MIKEY_ERR_PANIC, "internal error: a panic was caught at the library boundary")
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { code: result_for(error.kind()), text: error.to_string().into() }
    }
}

/// A shared reference from a caller's pointer; NULL is an argument error.
///
/// # Safety
/// `pointer` is NULL or points to a live, properly aligned `T` that nothing writes to while the
/// reference (lifetime `'a`, chosen by the caller) is in use.
pub(crate) unsafe fn try_ref<'a, T>(pointer: *const T, name: &'static str) -> Result<&'a T, Failure> {
    // SAFETY: non-NULL pointers are valid and unaliased for 'a, as this function's contract says.
    unsafe { pointer.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// A unique reference from a caller's pointer; NULL is an argument error.
///
/// # Safety
/// `pointer` is NULL or points to a live, properly aligned `T` that nothing else reads or writes
/// while the reference (lifetime `'a`, chosen by the caller) is in use.
pub(crate) unsafe fn try_mut<'a, T>(pointer: *mut T, name: &'static str) -> Result<&'a mut T, Failure> {
    // SAFETY: non-NULL pointers are valid and exclusive for 'a, as this function's contract says.
    unsafe { pointer.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// The bytes of a caller's (pointer, length) pair. NULL is allowed only with length 0.
///
/// # Safety
/// As [`try_slice`].
pub(crate) unsafe fn try_bytes<'a>(pointer: *const u8, len: usize, name: &'static str) -> Result<&'a [u8], Failure> {
    // SAFETY: this function's contract is try_slice's.
    unsafe { try_slice(pointer, len, name) }
}

/// Frees a handle the caller gives up (NULL is ignored), inside the panic boundary: dropping it
/// wipes the secrets it holds (`SecretBytes` and the `Zeroizing` buffers zeroize on drop).
///
/// # Safety
/// `handle` is NULL or a pointer from `Box::into_raw` that nothing uses during or after the call.
pub(crate) unsafe fn free_handle<T>(handle: *mut T) {
    boundary((), || {
        if !handle.is_null() {
            // SAFETY: a non-NULL `handle` came from Box::into_raw and is given up (this fn's contract).
            drop(unsafe { Box::from_raw(handle) });
        }
    })
}

/// The elements of a caller's (pointer, count) array. NULL is allowed only with count 0.
///
/// # Safety
/// When `len > 0`, `pointer` is NULL or points to `len` initialised, aligned `T` that nothing
/// writes to during `'a`.
pub(crate) unsafe fn try_slice<'a, T>(pointer: *const T, len: usize, name: &'static str) -> Result<&'a [T], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if pointer.is_null() {
        return Err(Failure::null(name));
    }
    if len.checked_mul(std::mem::size_of::<T>()).is_none_or(|bytes| bytes > isize::MAX as usize) {
        return Err(Failure::invalid(format!("invalid argument: {name} is longer than the address space")));
    }
    // SAFETY: non-NULL, `len` readable, initialised, aligned elements not written during 'a (this
    // function's contract), and their size fits in isize (checked above).
    Ok(unsafe { slice::from_raw_parts(pointer, len) })
}

/// A caller's NUL-terminated string as UTF-8; NULL or invalid UTF-8 fail with `invalid_utf8`'s
/// code.
///
/// # Safety
/// `pointer` is NULL or points to a NUL-terminated string that stays unchanged during `'a`.
pub(crate) unsafe fn try_str<'a>(
    pointer: *const c_char,
    name: &'static str,
    invalid_utf8: mikey_result,
) -> Result<&'a str, Failure> {
    if pointer.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-NULL and NUL-terminated, unchanged during 'a (this function's contract).
    let text = unsafe { CStr::from_ptr(pointer) };
    text.to_str().map_err(|_| Failure::new(invalid_utf8, format!("{name} is not UTF-8")))
}

/// Like [`try_str`], with NULL meaning `None`.
///
/// # Safety
/// As [`try_str`].
pub(crate) unsafe fn try_opt_str<'a>(pointer: *const c_char, name: &'static str) -> Result<Option<&'a str>, Failure> {
    if pointer.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL; the rest is this function's contract, passed on.
    unsafe { try_str(pointer, name, MIKEY_ERR_INVALID_ARGUMENT) }.map(Some)
}

/// Writes `value` through a caller's out-pointer (already checked for NULL).
///
/// # Safety
/// `pointer` is valid for a write of a `T` (alignment included). The old value is not dropped.
unsafe fn write_out<T>(pointer: *mut T, value: T) {
    // SAFETY: valid for writes, as this function's contract says.
    unsafe { pointer.write(value) }
}

/// Writes the value `compute` gives through a caller's out-pointer. A NULL pointer is an
/// argument error found before `compute` runs (so a call that would change state does not);
/// when `compute` fails, nothing is written.
///
/// # Safety
/// `pointer` is NULL or valid for a write of a `T` (alignment included). The old value is not dropped.
pub(crate) unsafe fn put_out<T>(
    pointer: *mut T,
    name: &'static str,
    compute: impl FnOnce() -> Result<T, Failure>,
) -> Result<(), Failure> {
    if pointer.is_null() {
        return Err(Failure::null(name));
    }
    let value = compute()?;
    // SAFETY: non-NULL (checked above) and valid for writes, as this function's contract says.
    unsafe { write_out(pointer, value) };
    Ok(())
}

/// A caller's output buffer: `out` (`out_cap` bytes, NULL allowed when `out_cap` is 0) and
/// `out_len`, checked for NULL when created.
pub(crate) struct OutBuffer {
    out: *mut u8,
    cap: usize,
    len_out: *mut usize,
}

impl OutBuffer {
    /// Checks the three arguments of an output buffer.
    ///
    /// # Safety
    /// `out` is NULL or valid for writes of `out_cap` bytes, and `out_len` is NULL or valid for a
    /// write of a `size_t`, for as long as the returned value lives (the export's call). Neither
    /// overlaps memory the export reads after writing.
    pub(crate) unsafe fn new(out: *mut u8, out_cap: usize, out_len: *mut usize) -> Result<Self, Failure> {
        if out_len.is_null() {
            return Err(Failure::null("out_len"));
        }
        if out.is_null() && out_cap != 0 {
            return Err(Failure::invalid("invalid argument: out is NULL but out_cap is not 0"));
        }
        Ok(OutBuffer { out, cap: out_cap, len_out: out_len })
    }

    /// Sets `*out_len`.
    pub(crate) fn set_len(&self, len: usize) {
        // SAFETY: `len_out` is non-NULL and writable (checked and promised in `new`).
        unsafe { write_out(self.len_out, len) }
    }

    /// Copies `bytes` out and sets `*out_len` to their length; when they do not fit, sets
    /// `*out_len` to the size needed and fails with `MIKEY_ERR_BUFFER_TOO_SMALL`.
    pub(crate) fn write_bytes(&self, bytes: &[u8]) -> Result<(), Failure> {
        self.fits(bytes.len())?;
        if !bytes.is_empty() {
            // SAFETY: `out` is non-NULL (out_cap >= len > 0, and NULL only comes with cap 0) and
            // writable for `cap >= len` bytes (promised in `new`); `ptr::copy` tolerates overlap.
            unsafe { ptr::copy(bytes.as_ptr(), self.out, bytes.len()) }
        }
        self.set_len(bytes.len());
        Ok(())
    }

    /// Copies `text` out with a terminating NUL and sets `*out_len` to its length without the
    /// NUL; when `out_cap < len + 1`, sets `*out_len` to `len + 1` (the size needed, NUL
    /// included) and fails with `MIKEY_ERR_BUFFER_TOO_SMALL`.
    pub(crate) fn write_str(&self, text: &str) -> Result<(), Failure> {
        if text.as_bytes().contains(&0) {
            return Err(Failure::invalid("the text contains a NUL byte"));
        }
        self.fits(text.len() + 1)?;
        // SAFETY: `out` is non-NULL (cap >= len + 1 > 0) and writable for `cap >= len + 1` bytes
        // (promised in `new`); `ptr::copy` tolerates overlap, the NUL goes at index len < cap.
        unsafe {
            ptr::copy(text.as_ptr(), self.out, text.len());
            self.out.add(text.len()).write(0);
        }
        self.set_len(text.len());
        Ok(())
    }

    /// Fails with `MIKEY_ERR_BUFFER_TOO_SMALL` (and `*out_len = needed`) when `needed > out_cap`.
    pub(crate) fn fits(&self, needed: usize) -> Result<(), Failure> {
        if needed > self.cap {
            self.set_len(needed);
            return Err(Failure::new(
                MIKEY_ERR_BUFFER_TOO_SMALL,
                format!("output buffer too small: {needed} bytes needed, out_cap is {}", self.cap),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boundary_turns_a_panic_into_mikey_err_panic() {
        let result = guarded(|| panic!("boom"));
        assert_eq!(result, MIKEY_ERR_PANIC);
        assert_eq!(boundary(7u32, || panic!("boom")), 7);
        assert_eq!(guarded(|| Ok(())), MIKEY_OK);
        assert_eq!(guarded(|| Err(Failure::invalid("x"))), MIKEY_ERR_INVALID_ARGUMENT);
    }

    #[test]
    fn a_panicking_payload_drop_stays_inside_the_boundary() {
        struct PanicOnDrop;
        impl Drop for PanicOnDrop {
            fn drop(&mut self) {
                panic!("drop");
            }
        }
        let result = guarded(|| std::panic::panic_any(PanicOnDrop));
        assert_eq!(result, MIKEY_ERR_PANIC);
    }

    #[test]
    fn out_buffer_reports_the_size_needed() {
        let mut len = 99usize;
        // SAFETY: NULL buffer with capacity 0, `len` is a live local.
        let out = unsafe { OutBuffer::new(ptr::null_mut(), 0, &mut len) }.unwrap();
        assert_eq!(out.write_bytes(&[1, 2, 3]).unwrap_err().code, MIKEY_ERR_BUFFER_TOO_SMALL);
        assert_eq!(len, 3);
        assert_eq!(out.write_str("abc").unwrap_err().code, MIKEY_ERR_BUFFER_TOO_SMALL);
        assert_eq!(len, 4);
        out.write_bytes(&[]).unwrap();
        assert_eq!(len, 0);

        let mut buffer = [0xFFu8; 4];
        // SAFETY: `buffer` is 4 writable bytes, `len` a live local.
        let out = unsafe { OutBuffer::new(buffer.as_mut_ptr(), buffer.len(), &mut len) }.unwrap();
        out.write_str("abc").unwrap();
        assert_eq!((&buffer, len), (b"abc\0", 3));
        out.write_bytes(&[9, 8, 7, 6]).unwrap();
        assert_eq!((buffer, len), ([9, 8, 7, 6], 4));
    }

    #[test]
    fn null_pointers_are_argument_errors() {
        let mut len = 0usize;
        // SAFETY: the pointers are NULL or point to live locals.
        unsafe {
            assert!(OutBuffer::new(ptr::null_mut(), 1, &mut len).is_err());
            assert!(OutBuffer::new(ptr::null_mut(), 0, ptr::null_mut()).is_err());
            assert_eq!(try_bytes(ptr::null(), 0, "x").unwrap(), &[] as &[u8]);
            assert_eq!(try_bytes(ptr::null(), 1, "x").unwrap_err().code, MIKEY_ERR_INVALID_ARGUMENT);
            assert_eq!(try_ref::<u8>(ptr::null(), "x").unwrap_err().code, MIKEY_ERR_INVALID_ARGUMENT);
            assert_eq!(try_opt_str(ptr::null(), "x").unwrap(), None);
            assert_eq!(try_opt_str(c"\xff".as_ptr(), "x").unwrap_err().code, MIKEY_ERR_INVALID_ARGUMENT);
        }
    }
}
