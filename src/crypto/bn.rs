//! Owned aws-lc big-number objects for the modules that do their own arithmetic through
//! aws-lc-sys (Diffie-Hellman, ECCSI): a `BIGNUM` released with `BN_clear_free`, a scratch
//! `BN_CTX`, a Montgomery context, and the error of a failed aws-lc call.
#![deny(clippy::undocumented_unsafe_blocks)]

use std::ptr::{self, NonNull};

use aws_lc_sys::{
    BN_CTX_free, BN_CTX_new, BN_MONT_CTX_free, BN_MONT_CTX_new_for_modulus, BN_bin2bn, BN_bn2bin_padded, BN_clear_free,
    BN_is_zero, BN_new, ERR_clear_error, BIGNUM, BN_CTX, BN_MONT_CTX,
};

use crate::error::{Error, Result};

/// An aws-lc call failed (allocation failure, or an input the caller should have rejected).
/// Clears this thread's aws-lc error queue so the entry does not surface in a later call.
pub(super) fn backend_failure(what: &'static str) -> Error {
    clear_errors();
    Error::crypto(what)
}

/// Empties this thread's aws-lc error queue.
pub(super) fn clear_errors() {
    // SAFETY: ERR_clear_error has no preconditions; it only empties the calling thread's queue.
    unsafe { ERR_clear_error() };
}

/// An owned aws-lc `BIGNUM`, released with `BN_clear_free` (which overwrites it) on drop. Callers
/// pass `.0.as_ptr()` to aws-lc functions that write it, `as_ptr()` to those that read it.
pub(super) struct Bn(pub(super) NonNull<BIGNUM>);

impl Bn {
    /// A new BIGNUM holding the big-endian unsigned integer `bytes`. Its width (in words) follows
    /// from `bytes.len()`, not from the value: leading zero octets are kept as width, so a
    /// 32-octet secret is 4 words whatever its value.
    pub(super) fn from_be_bytes(bytes: &[u8]) -> Result<Self> {
        // SAFETY: `bytes` is valid for reads of `bytes.len()` octets (a zero length reads
        // nothing); with a NULL `ret`, BN_bin2bn allocates a fresh BIGNUM, or returns NULL on
        // failure, and keeps no pointer to `bytes`.
        let raw = unsafe { BN_bin2bn(bytes.as_ptr(), bytes.len(), ptr::null_mut()) };
        NonNull::new(raw).map(Bn).ok_or_else(|| backend_failure("BN_bin2bn failed"))
    }

    /// A new BIGNUM holding zero.
    pub(super) fn new() -> Result<Self> {
        // SAFETY: BN_new has no preconditions; it returns a fresh BIGNUM or NULL.
        let raw = unsafe { BN_new() };
        NonNull::new(raw).map(Bn).ok_or_else(|| backend_failure("BN_new failed"))
    }

    /// True for zero. aws-lc ORs every word together (time depends on the width only).
    pub(super) fn is_zero(&self) -> bool {
        // SAFETY: `self.0` is a valid BIGNUM, only read.
        unsafe { BN_is_zero(self.as_ptr()) == 1 }
    }

    /// Writes the value big-endian to all of `out`, zero-padded on the left; fails if it does
    /// not fit.
    pub(super) fn write_be_padded(&self, out: &mut [u8]) -> Result<()> {
        // SAFETY: `self.0` is a valid BIGNUM, only read; `out` is exclusively borrowed and
        // writable for `out.len()` octets, and BN_bn2bin_padded writes at most that many (none
        // when the value does not fit, in which case it returns 0).
        let ok = unsafe { BN_bn2bin_padded(out.as_mut_ptr(), out.len(), self.as_ptr()) };
        if ok == 1 {
            Ok(())
        } else {
            Err(backend_failure("BN_bn2bin_padded: the value is longer than its field"))
        }
    }

    pub(super) fn as_ptr(&self) -> *const BIGNUM {
        self.0.as_ptr()
    }
}

impl Drop for Bn {
    fn drop(&mut self) {
        // SAFETY: `self.0` came from BN_new or BN_bin2bn, is owned by this wrapper alone (no
        // copies of the pointer outlive a call) and is freed exactly once, here.
        unsafe { BN_clear_free(self.0.as_ptr()) };
    }
}

/// An owned aws-lc `BN_CTX` (scratch BIGNUMs), released with `BN_CTX_free` on drop.
pub(super) struct BnCtx(pub(super) NonNull<BN_CTX>);

impl BnCtx {
    pub(super) fn new() -> Result<Self> {
        // SAFETY: BN_CTX_new has no preconditions; it returns a fresh context or NULL.
        let raw = unsafe { BN_CTX_new() };
        NonNull::new(raw).map(BnCtx).ok_or_else(|| backend_failure("BN_CTX_new failed"))
    }
}

impl Drop for BnCtx {
    fn drop(&mut self) {
        // SAFETY: `self.0` came from BN_CTX_new, is owned by this wrapper alone and freed exactly
        // once; every aws-lc function we pass it to ends the BN_CTX_start frames it opens.
        unsafe { BN_CTX_free(self.0.as_ptr()) };
    }
}

/// An owned aws-lc `BN_MONT_CTX` for one modulus, released with `BN_MONT_CTX_free` on drop.
pub(super) struct MontCtx(pub(super) NonNull<BN_MONT_CTX>);

impl MontCtx {
    /// The Montgomery context for the odd `modulus` (which it copies).
    pub(super) fn new(modulus: &Bn, ctx: &mut BnCtx) -> Result<Self> {
        // SAFETY: `modulus` is a valid BIGNUM and `ctx` a valid BN_CTX we borrow exclusively;
        // BN_MONT_CTX_new_for_modulus copies the modulus into a fresh context (or returns NULL,
        // also for an even modulus) and keeps no pointer to either argument.
        let raw = unsafe { BN_MONT_CTX_new_for_modulus(modulus.as_ptr(), ctx.0.as_ptr()) };
        NonNull::new(raw).map(MontCtx).ok_or_else(|| backend_failure("BN_MONT_CTX_new_for_modulus failed"))
    }
}

impl Drop for MontCtx {
    fn drop(&mut self) {
        // SAFETY: `self.0` came from BN_MONT_CTX_new_for_modulus, is owned by this wrapper alone
        // and is freed exactly once, here.
        unsafe { BN_MONT_CTX_free(self.0.as_ptr()) };
    }
}
