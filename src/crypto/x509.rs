//! X.509 certificates for the public-key methods (PK, DH-SIGN, RSA-R): the CERT payload
//! (RFC 3830 §6.7, DER), the CHASH payload (§6.8, a SHA-1 hash of the certificate), chain
//! validation against configured trust anchors (the "trusted root" model of §4.3.2) and the
//! binding between the ID payload and the certificate's subjectAltName.
//!
//! Validation is aws-lc's `X509_verify_cert`, the OpenSSL-derived path validator that AWS-LC
//! and BoringSSL ship and test for TLS:
//! - signatures up to a configured anchor (any configured certificate ends a chain:
//!   `X509_V_FLAG_PARTIAL_CHAIN`, so an intermediate or a single end entity may be an anchor);
//! - validity of every certificate at the given time, the session clock, never the system clock
//!   (`X509_VERIFY_PARAM_set_time_posix`);
//! - basicConstraints / keyCertSign of the issuers, path length, unhandled critical extensions;
//! - the end entity's keyUsage where the extension is present ([`KeyUsageNeed`]).
//!
//! Not checked: revocation (CRL, OCSP: local policy, §4.3.1), extendedKeyUsage (MIKEY defines
//! none), name constraints on URI or email names beyond what aws-lc does.
//!
//! A self-signed peer certificate is never accepted by [`TrustStore::verify_chain`] unless it
//! is itself a configured anchor; the separate, explicit check for a pinned certificate is
//! [`Certificate::matches_pin`] (or [`Certificate::matches_sha256_fingerprint`]) together with
//! [`Certificate::check_usable`].
//!
//! The aws-lc-sys bindings this crate builds (`default-features = false`: the "universal" set,
//! without x509.h) leave out the X.509 functions, so the few needed are declared in a private
//! `ffi` module with the link names and signatures of aws-lc-sys 0.47.0's full bindings (its
//! `all-bindings` feature, the default one). A
//! [`Certificate`] is plain Rust data (the DER plus what was read from it); every operation
//! that needs aws-lc parses the DER again into objects owned by RAII guards local to that
//! call, so no aws-lc object is shared between threads or outlives a call.
//!
//! PEM (RFC 7468) is decoded, in safe Rust, by the private `pem` module, which [`rsa`](super::rsa)
//! uses for private keys.

#![deny(clippy::undocumented_unsafe_blocks)]

use std::fmt;
use std::os::raw::{c_int, c_long};
use std::ptr::{self, NonNull};
use std::sync::Arc;

use aws_lc_rs::digest;
use aws_lc_sys::{ERR_clear_error, NID_subject_alt_name, OPENSSL_free};
use once_cell::sync::OnceCell;

use super::pem::parse_pem;
use super::rsa::RsaPublicKey;
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};

/// The aws-lc X.509 functions this module uses, declared as in aws-lc-sys 0.47.0's full
/// bindings (`src/x86_64_unknown_linux_gnu_crypto.rs` and the other pregenerated platform
/// files, identical for these items). The link names carry aws-lc-sys's symbol prefix, so a
/// different aws-lc-sys version fails to link rather than mismatching. With aws-lc-sys's
/// `all-bindings` feature enabled, this module can be replaced by `use aws_lc_sys::{...}`.
#[allow(non_camel_case_types)]
mod ffi {
    use std::marker::{PhantomData, PhantomPinned};
    use std::os::raw::{c_char, c_int, c_long, c_uchar, c_ulong, c_void};

    macro_rules! opaque {
        ($($name:ident),*) => {$(
            /// An opaque aws-lc type, only handled through pointers.
            #[repr(C)]
            pub struct $name {
                _private: [u8; 0],
                _marker: PhantomData<(*mut u8, PhantomPinned)>,
            }
        )*};
    }
    opaque!(X509, X509_STORE, X509_STORE_CTX, X509_VERIFY_PARAM, X509_PUBKEY, ASN1_STRING, GENERAL_NAME, OPENSSL_STACK);

    /// `ASN1_TIME` is an `ASN1_STRING` in aws-lc (`typedef struct asn1_string_st ASN1_TIME`).
    pub type ASN1_TIME = ASN1_STRING;
    /// `STACK_OF(GENERAL_NAME)`, handled through the generic `OPENSSL_sk_*` functions as the C
    /// macros do.
    pub type GENERAL_NAMES = OPENSSL_STACK;
    /// `STACK_OF(X509)`, likewise.
    pub type stack_st_X509 = OPENSSL_STACK;

    pub const GEN_EMAIL: c_int = 1;
    pub const GEN_URI: c_int = 6;
    pub const EXFLAG_KUSAGE: u32 = 0x2;
    pub const EXFLAG_INVALID: u32 = 0x80;
    pub const EXFLAG_CRITICAL: u32 = 0x200;
    pub const X509_V_FLAG_PARTIAL_CHAIN: c_ulong = 0x80000;
    pub const X509V3_KU_DIGITAL_SIGNATURE: u32 = 0x0080;
    pub const X509V3_KU_KEY_ENCIPHERMENT: u32 = 0x0020;

    extern "C" {
        #[link_name = "aws_lc_0_47_0_d2i_X509"]
        pub fn d2i_X509(out: *mut *mut X509, inp: *mut *const u8, len: c_long) -> *mut X509;
        #[link_name = "aws_lc_0_47_0_X509_free"]
        pub fn X509_free(x509: *mut X509);
        #[link_name = "aws_lc_0_47_0_X509_get_extension_flags"]
        pub fn X509_get_extension_flags(x509: *mut X509) -> u32;
        #[link_name = "aws_lc_0_47_0_X509_get_key_usage"]
        pub fn X509_get_key_usage(x509: *mut X509) -> u32;
        #[link_name = "aws_lc_0_47_0_X509_get0_notBefore"]
        pub fn X509_get0_notBefore(x509: *const X509) -> *const ASN1_TIME;
        #[link_name = "aws_lc_0_47_0_X509_get0_notAfter"]
        pub fn X509_get0_notAfter(x509: *const X509) -> *const ASN1_TIME;
        #[link_name = "aws_lc_0_47_0_ASN1_TIME_to_posix"]
        pub fn ASN1_TIME_to_posix(t: *const ASN1_TIME, out: *mut i64) -> c_int;
        #[link_name = "aws_lc_0_47_0_X509_get_X509_PUBKEY"]
        pub fn X509_get_X509_PUBKEY(x509: *const X509) -> *mut X509_PUBKEY;
        #[link_name = "aws_lc_0_47_0_i2d_X509_PUBKEY"]
        pub fn i2d_X509_PUBKEY(key: *const X509_PUBKEY, outp: *mut *mut u8) -> c_int;
        #[link_name = "aws_lc_0_47_0_X509_get_ext_d2i"]
        pub fn X509_get_ext_d2i(
            x509: *const X509,
            nid: c_int,
            out_critical: *mut c_int,
            out_idx: *mut c_int,
        ) -> *mut c_void;
        #[link_name = "aws_lc_0_47_0_GENERAL_NAMES_free"]
        pub fn GENERAL_NAMES_free(gens: *mut GENERAL_NAMES);
        #[link_name = "aws_lc_0_47_0_GENERAL_NAME_get0_value"]
        pub fn GENERAL_NAME_get0_value(gen_: *const GENERAL_NAME, out_type: *mut c_int) -> *mut c_void;
        #[link_name = "aws_lc_0_47_0_ASN1_STRING_get0_data"]
        pub fn ASN1_STRING_get0_data(str_: *const ASN1_STRING) -> *const c_uchar;
        #[link_name = "aws_lc_0_47_0_ASN1_STRING_length"]
        pub fn ASN1_STRING_length(str_: *const ASN1_STRING) -> c_int;
        #[link_name = "aws_lc_0_47_0_OPENSSL_sk_num"]
        pub fn OPENSSL_sk_num(sk: *const OPENSSL_STACK) -> usize;
        #[link_name = "aws_lc_0_47_0_OPENSSL_sk_value"]
        pub fn OPENSSL_sk_value(sk: *const OPENSSL_STACK, i: usize) -> *mut c_void;
        #[link_name = "aws_lc_0_47_0_OPENSSL_sk_new_null"]
        pub fn OPENSSL_sk_new_null() -> *mut OPENSSL_STACK;
        #[link_name = "aws_lc_0_47_0_OPENSSL_sk_push"]
        pub fn OPENSSL_sk_push(sk: *mut OPENSSL_STACK, p: *mut c_void) -> usize;
        #[link_name = "aws_lc_0_47_0_OPENSSL_sk_free"]
        pub fn OPENSSL_sk_free(sk: *mut OPENSSL_STACK);
        #[link_name = "aws_lc_0_47_0_X509_STORE_new"]
        pub fn X509_STORE_new() -> *mut X509_STORE;
        #[link_name = "aws_lc_0_47_0_X509_STORE_free"]
        pub fn X509_STORE_free(store: *mut X509_STORE);
        #[link_name = "aws_lc_0_47_0_X509_STORE_add_cert"]
        pub fn X509_STORE_add_cert(store: *mut X509_STORE, x509: *mut X509) -> c_int;
        #[link_name = "aws_lc_0_47_0_X509_STORE_CTX_new"]
        pub fn X509_STORE_CTX_new() -> *mut X509_STORE_CTX;
        #[link_name = "aws_lc_0_47_0_X509_STORE_CTX_free"]
        pub fn X509_STORE_CTX_free(ctx: *mut X509_STORE_CTX);
        #[link_name = "aws_lc_0_47_0_X509_STORE_CTX_init"]
        pub fn X509_STORE_CTX_init(
            ctx: *mut X509_STORE_CTX,
            store: *mut X509_STORE,
            x509: *mut X509,
            chain: *mut stack_st_X509,
        ) -> c_int;
        #[link_name = "aws_lc_0_47_0_X509_STORE_CTX_get0_param"]
        pub fn X509_STORE_CTX_get0_param(ctx: *mut X509_STORE_CTX) -> *mut X509_VERIFY_PARAM;
        #[link_name = "aws_lc_0_47_0_X509_VERIFY_PARAM_set_time_posix"]
        pub fn X509_VERIFY_PARAM_set_time_posix(param: *mut X509_VERIFY_PARAM, t: i64);
        #[link_name = "aws_lc_0_47_0_X509_VERIFY_PARAM_set_flags"]
        pub fn X509_VERIFY_PARAM_set_flags(param: *mut X509_VERIFY_PARAM, flags: c_ulong) -> c_int;
        #[link_name = "aws_lc_0_47_0_X509_verify_cert"]
        pub fn X509_verify_cert(ctx: *mut X509_STORE_CTX) -> c_int;
        #[link_name = "aws_lc_0_47_0_X509_STORE_CTX_get_error"]
        pub fn X509_STORE_CTX_get_error(ctx: *mut X509_STORE_CTX) -> c_int;
        #[link_name = "aws_lc_0_47_0_X509_STORE_CTX_get_error_depth"]
        pub fn X509_STORE_CTX_get_error_depth(ctx: *mut X509_STORE_CTX) -> c_int;
        #[link_name = "aws_lc_0_47_0_X509_verify_cert_error_string"]
        pub fn X509_verify_cert_error_string(err: c_long) -> *const c_char;
    }
}

/// Declares an owning guard for an aws-lc pointer whose `Drop` calls `$free`.
macro_rules! owned {
    ($name:ident, $ty:ty, $free:path) => {
        struct $name(NonNull<$ty>);

        impl $name {
            /// Takes ownership of `ptr`; `None` when it is NULL.
            fn new(ptr: *mut $ty) -> Option<Self> {
                NonNull::new(ptr).map($name)
            }

            fn as_ptr(&self) -> *mut $ty {
                self.0.as_ptr()
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                // SAFETY: the guard owns the one reference it was constructed with (a fresh
                // object from an aws-lc constructor); it is released exactly once, here, and
                // every borrower of the pointer is a local dropped before the guard.
                unsafe { $free(self.0.as_ptr()) };
            }
        }
    };
}

owned!(X509Ptr, ffi::X509, ffi::X509_free);
owned!(StorePtr, ffi::X509_STORE, ffi::X509_STORE_free);
owned!(StoreCtxPtr, ffi::X509_STORE_CTX, ffi::X509_STORE_CTX_free);
owned!(GeneralNamesPtr, ffi::GENERAL_NAMES, ffi::GENERAL_NAMES_free);
// A stack that does not own its elements: OPENSSL_sk_free frees only the array.
owned!(StackPtr, ffi::OPENSSL_STACK, ffi::OPENSSL_sk_free);

fn clear_errors() {
    // SAFETY: ERR_clear_error only touches the calling thread's error queue.
    unsafe { ERR_clear_error() };
}

impl X509Ptr {
    /// Parses exactly `der` (trailing bytes rejected).
    fn parse(der: &[u8]) -> Option<Self> {
        let len = c_long::try_from(der.len()).ok()?;
        let mut cursor = der.as_ptr();
        // SAFETY: `cursor` points to `der`, readable for `len` bytes, which stays borrowed for
        // the call; d2i_X509 with a NULL `out` returns a new X509 we own (or NULL) and advances
        // `cursor` by the bytes consumed, never past `len`.
        let x509 = X509Ptr::new(unsafe { ffi::d2i_X509(ptr::null_mut(), &mut cursor, len) });
        let consumed = cursor as usize - der.as_ptr() as usize;
        match x509 {
            Some(x509) if consumed == der.len() => Some(x509),
            _ => {
                clear_errors();
                None
            }
        }
    }
}

/// Which key usages (RFC 5280 §4.2.1.3) the end-entity certificate must allow, where its
/// keyUsage extension is present. Combine with `|`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyUsageNeed(u32);

impl KeyUsageNeed {
    /// No particular usage.
    pub const NONE: KeyUsageNeed = KeyUsageNeed(0);
    /// digitalSignature: signing MIKEY messages (SIGN payload; PK initiator, DH-SIGN, RSA-R).
    pub const DIGITAL_SIGNATURE: KeyUsageNeed = KeyUsageNeed(ffi::X509V3_KU_DIGITAL_SIGNATURE);
    /// keyEncipherment: receiving an envelope key (PKE payload; PK responder, RSA-R initiator).
    pub const KEY_ENCIPHERMENT: KeyUsageNeed = KeyUsageNeed(ffi::X509V3_KU_KEY_ENCIPHERMENT);

    /// True when `key_usage` (aws-lc's X509v3_KU_* bits) has every bit of `self`.
    fn allowed_by(self, key_usage: u32) -> bool {
        key_usage & self.0 == self.0
    }
}

impl std::ops::BitOr for KeyUsageNeed {
    type Output = KeyUsageNeed;
    fn bitor(self, other: KeyUsageNeed) -> KeyUsageNeed {
        KeyUsageNeed(self.0 | other.0)
    }
}

impl fmt::Debug for KeyUsageNeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names = Vec::new();
        if self.0 & ffi::X509V3_KU_DIGITAL_SIGNATURE != 0 {
            names.push("digitalSignature");
        }
        if self.0 & ffi::X509V3_KU_KEY_ENCIPHERMENT != 0 {
            names.push("keyEncipherment");
        }
        write!(f, "KeyUsageNeed({})", if names.is_empty() { "none".to_string() } else { names.join(" | ") })
    }
}

/// A subjectAltName entry this module reads.
#[derive(Clone, Debug, PartialEq, Eq)]
enum AltName {
    /// uniformResourceIdentifier, e.g. "sip:alice@example.com" (an ID of type URI).
    Uri(String),
    /// rfc822Name, e.g. "alice@example.com" (an ID of type NAI).
    Email(String),
}

/// One X.509 certificate: its DER and what was read from it when it was parsed.
///
/// Plain data (`Send`, `Sync`, `Clone`: a copy of about 2 KB); `Debug` shows the SHA-256 fingerprint, the
/// identities and the validity period.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    spki: Vec<u8>,
    alt_names: Vec<AltName>,
    not_before: i64,
    not_after: i64,
    /// aws-lc's X509v3_KU_* bits, or `None` without a keyUsage extension.
    key_usage: Option<u32>,
}

fn cert_error(kind: ErrorKind, context: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(kind, context).with_peer_code(MikeyErrorCode::InvalidCertificate)
}

impl Certificate {
    /// Parses one DER certificate, as carried in a CERT payload (RFC 3830 §6.7).
    ///
    /// Errors: `Malformed` for bytes that are not exactly one certificate or whose extensions
    /// do not decode, `Unsupported` for an unhandled critical extension; both with the
    /// `InvalidCertificate` peer code.
    pub fn from_der(der: &[u8]) -> Result<Certificate> {
        let x509 =
            X509Ptr::parse(der).ok_or_else(|| cert_error(ErrorKind::Malformed, "not a DER X.509 certificate"))?;
        Self::read(der, &x509)
    }

    /// Parses configured certificates (the own chain, trust anchors, the peer's
    /// certificate): one DER certificate, or every CERTIFICATE block of PEM data, in order
    /// (other PEM blocks, such as a key in the same file, are skipped).
    ///
    /// Errors: `InvalidArgument` when the data is neither, holds no certificate or a block does
    /// not parse.
    pub fn from_pem_or_der(data: &[u8]) -> Result<Vec<Certificate>> {
        let invalid = |error: Error| Error::invalid_argument(error.context().to_string());
        match parse_pem(data)? {
            None => Ok(vec![Self::from_der(data).map_err(invalid)?]),
            Some(blocks) => {
                let certificates = blocks
                    .iter()
                    .filter(|block| matches!(block.label.as_str(), "CERTIFICATE" | "X509 CERTIFICATE"))
                    .map(|block| Self::from_der(block.der.expose()).map_err(invalid))
                    .collect::<Result<Vec<_>>>()?;
                if certificates.is_empty() {
                    return Err(Error::invalid_argument("no CERTIFICATE block in the PEM data"));
                }
                Ok(certificates)
            }
        }
    }

    /// Reads everything this type keeps from a parsed certificate.
    fn read(der: &[u8], x509: &X509Ptr) -> Result<Certificate> {
        // SAFETY: `x509` is a valid X509 we own and use from this thread only; the call fills
        // its extension cache (the reason for the non-const pointer).
        let flags = unsafe { ffi::X509_get_extension_flags(x509.as_ptr()) };
        if flags & ffi::EXFLAG_INVALID != 0 {
            clear_errors();
            return Err(cert_error(ErrorKind::Malformed, "certificate extensions do not decode"));
        }
        if flags & ffi::EXFLAG_CRITICAL != 0 {
            return Err(cert_error(ErrorKind::Unsupported, "certificate has an unhandled critical extension"));
        }
        let key_usage = if flags & ffi::EXFLAG_KUSAGE != 0 {
            // SAFETY: as above; the extension cache is already computed.
            Some(unsafe { ffi::X509_get_key_usage(x509.as_ptr()) })
        } else {
            None
        };
        // SAFETY: `x509` is valid; the getters return pointers into it (never NULL for a parsed
        // certificate), read here while `x509` is alive.
        let (not_before, not_after) = unsafe {
            (asn1_time(ffi::X509_get0_notBefore(x509.as_ptr())), asn1_time(ffi::X509_get0_notAfter(x509.as_ptr())))
        };
        let (Some(not_before), Some(not_after)) = (not_before, not_after) else {
            clear_errors();
            return Err(cert_error(ErrorKind::Malformed, "certificate validity does not decode"));
        };
        let spki = spki_der(x509).ok_or_else(|| Error::crypto("cannot encode the certificate's public key"))?;
        let alt_names = alt_names(x509)?;
        Ok(Certificate { der: der.to_vec(), spki, alt_names, not_before, not_after, key_usage })
    }

    /// The DER encoding (for the CERT payload).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The subject's RSA public key (errors as [`RsaPublicKey::from_der_spki`]: another key type
    /// or an RSA key outside 2048..=8192 bits is `Unsupported` / `InvalidCertificate`).
    pub fn public_key(&self) -> Result<RsaPublicKey> {
        RsaPublicKey::from_der_spki(&self.spki)
    }

    /// SHA-1 of the DER: the CHASH payload's hash (RFC 3830 §6.8, hash func 0).
    pub fn sha1_fingerprint(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out.copy_from_slice(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &self.der).as_ref());
        out
    }

    /// SHA-256 of the DER (for pinning by fingerprint).
    pub fn sha256_fingerprint(&self) -> [u8; 32] {
        super::sha256(&self.der)
    }

    /// The subjectAltName URIs and rfc822Names (e-mail addresses), in certificate order: the
    /// identities an ID payload may claim (URI type: a URI; NAI type: an address).
    pub fn identities(&self) -> Vec<String> {
        self.alt_names
            .iter()
            .map(|name| match name {
                AltName::Uri(s) | AltName::Email(s) => s.clone(),
            })
            .collect()
    }

    /// True when `id` (the data of an IDi/IDr payload) is one of the certificate's identities:
    /// byte for byte a subjectAltName URI, or an rfc822Name with the domain compared
    /// case-insensitively (RFC 5280 §4.2.1.6). The common name is never used.
    pub fn matches_identity(&self, id: &[u8]) -> bool {
        self.alt_names.iter().any(|name| match name {
            AltName::Uri(uri) => uri.as_bytes() == id,
            AltName::Email(email) => email_eq(email.as_bytes(), id),
        })
    }

    /// notBefore, as a POSIX time (seconds).
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// notAfter, as a POSIX time (seconds).
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// True when `at_unix_time` is within [notBefore, notAfter] (RFC 5280 §4.1.2.5).
    pub fn is_valid_at(&self, at_unix_time: i64) -> bool {
        (self.not_before..=self.not_after).contains(&at_unix_time)
    }

    /// True when the keyUsage extension is absent or allows every usage of `need`.
    pub fn permits(&self, need: KeyUsageNeed) -> bool {
        self.key_usage.is_none_or(|key_usage| need.allowed_by(key_usage))
    }

    /// The checks of [`TrustStore::verify_chain`] that apply to a certificate accepted by
    /// pinning: valid at `at_unix_time` and keyUsage (where present) allowing `need`.
    ///
    /// Errors: `AuthFailed` with the `InvalidCertificate` peer code.
    pub fn check_usable(&self, at_unix_time: i64, need: KeyUsageNeed) -> Result<()> {
        if at_unix_time < self.not_before {
            return Err(cert_error(ErrorKind::AuthFailed, "certificate is not yet valid"));
        }
        if at_unix_time > self.not_after {
            return Err(cert_error(ErrorKind::AuthFailed, "certificate has expired"));
        }
        if !self.permits(need) {
            return Err(cert_error(ErrorKind::AuthFailed, format!("certificate keyUsage does not allow {need:?}")));
        }
        Ok(())
    }

    /// True when this is exactly the `pinned` certificate (same DER): the explicit way to accept
    /// a self-signed or otherwise unchained peer (§4.3.2, "specific peer-to-peer
    /// configuration"). Follow with [`check_usable`](Self::check_usable).
    pub fn matches_pin(&self, pinned: &Certificate) -> bool {
        super::ct_eq(&self.der, &pinned.der)
    }

    /// True when the SHA-256 of the DER is `fingerprint` (32 bytes).
    pub fn matches_sha256_fingerprint(&self, fingerprint: &[u8]) -> bool {
        super::ct_eq(&self.sha256_fingerprint(), fingerprint)
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fingerprint: String = self.sha256_fingerprint()[..8].iter().map(|b| format!("{b:02x}")).collect();
        f.debug_struct("Certificate")
            .field("sha256", &format_args!("{fingerprint}..."))
            .field("identities", &self.identities())
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

/// `a == b` for e-mail addresses: local part exact, domain ASCII case-insensitive.
fn email_eq(a: &[u8], b: &[u8]) -> bool {
    match (a.iter().rposition(|&c| c == b'@'), b.iter().rposition(|&c| c == b'@')) {
        (Some(i), Some(j)) => a[..i] == b[..j] && a[i..].eq_ignore_ascii_case(&b[j..]),
        _ => a == b,
    }
}

/// Converts an ASN1_TIME to POSIX seconds.
///
/// # Safety
/// `time` must be NULL or point to a valid ASN1_TIME that stays alive for the call.
unsafe fn asn1_time(time: *const ffi::ASN1_TIME) -> Option<i64> {
    if time.is_null() {
        return None;
    }
    let mut out = 0i64;
    // SAFETY: `time` is a valid ASN1_TIME (caller's contract, checked non-NULL) and `out` is a
    // valid i64 for writes.
    (unsafe { ffi::ASN1_TIME_to_posix(time, &mut out) } == 1).then_some(out)
}

/// The certificate's SubjectPublicKeyInfo, re-encoded by aws-lc.
fn spki_der(x509: &X509Ptr) -> Option<Vec<u8>> {
    // SAFETY: `x509` is valid; the result points into it (not owned, not freed here).
    let key = unsafe { ffi::X509_get_X509_PUBKEY(x509.as_ptr()) };
    if key.is_null() {
        return None;
    }
    let mut out: *mut u8 = ptr::null_mut();
    // SAFETY: `key` is a valid X509_PUBKEY inside the live `x509`; with `*outp == NULL`,
    // i2d_X509_PUBKEY allocates a buffer of the returned length with OPENSSL_malloc and hands
    // it to us (or returns a negative value and allocates nothing).
    let len = unsafe { ffi::i2d_X509_PUBKEY(key, &mut out) };
    if len <= 0 || out.is_null() {
        clear_errors();
        return None;
    }
    // SAFETY: `out` holds `len` initialised bytes (see above).
    let der = unsafe { std::slice::from_raw_parts(out, len as usize) }.to_vec();
    // SAFETY: `out` came from OPENSSL_malloc, is freed exactly once and not used afterwards.
    unsafe { OPENSSL_free(out.cast()) };
    Some(der)
}

/// The URI and rfc822Name entries of the subjectAltName extension (none without one). Entries
/// that are not printable ASCII without spaces are skipped: no ID payload could match them.
fn alt_names(x509: &X509Ptr) -> Result<Vec<AltName>> {
    let mut critical: c_int = 0;
    // SAFETY: `x509` is valid; `critical` is valid for writes; the NID is subjectAltName, whose
    // decoded type is GENERAL_NAMES (x509.h), owned by the caller; a NULL `out_idx` makes
    // duplicates an error as RFC 5280 requires.
    let names = unsafe { ffi::X509_get_ext_d2i(x509.as_ptr(), NID_subject_alt_name, &mut critical, ptr::null_mut()) };
    let Some(names) = GeneralNamesPtr::new(names.cast()) else {
        if critical == -1 {
            return Ok(Vec::new());
        }
        clear_errors();
        return Err(cert_error(ErrorKind::Malformed, "subjectAltName does not decode"));
    };
    // SAFETY: `names` is a valid STACK_OF(GENERAL_NAME) we own (const use).
    let count = unsafe { ffi::OPENSSL_sk_num(names.as_ptr()) };
    let mut out = Vec::new();
    for i in 0..count {
        // SAFETY: `i < count`, so this is element `i` of the live stack, a GENERAL_NAME owned by
        // it (borrowed here, not freed).
        let name = unsafe { ffi::OPENSSL_sk_value(names.as_ptr(), i) }.cast::<ffi::GENERAL_NAME>();
        if name.is_null() {
            continue;
        }
        let mut kind: c_int = -1;
        // SAFETY: `name` is a valid GENERAL_NAME (see above); `kind` is valid for writes.
        let value = unsafe { ffi::GENERAL_NAME_get0_value(name, &mut kind) };
        if value.is_null() || (kind != ffi::GEN_URI && kind != ffi::GEN_EMAIL) {
            continue;
        }
        // For GEN_URI and GEN_EMAIL the value is an ASN1_IA5STRING, an ASN1_STRING (x509.h,
        // GENERAL_NAME); the type was checked just above, as GENERAL_NAME_get0_value requires.
        let string = value.cast::<ffi::ASN1_STRING>();
        // SAFETY: `string` is a valid ASN1_STRING owned by the live stack; data and length
        // describe its contents, which are copied before the stack is freed.
        let bytes = unsafe {
            let data = ffi::ASN1_STRING_get0_data(string);
            let len = usize::try_from(ffi::ASN1_STRING_length(string)).unwrap_or(0);
            if data.is_null() || len == 0 {
                continue;
            }
            std::slice::from_raw_parts(data, len).to_vec()
        };
        if !bytes.iter().all(|&c| c.is_ascii_graphic()) {
            continue;
        }
        let Ok(text) = String::from_utf8(bytes) else { continue };
        out.push(if kind == ffi::GEN_URI { AltName::Uri(text) } else { AltName::Email(text) });
    }
    Ok(out)
}

/// Trust anchors (`mikey_config_add_trust_anchor`): usually root CAs; any
/// configured certificate ends a chain. They are parsed into one aws-lc store when the first
/// chain is validated, which every later validation shares: through clones of the trust store
/// too (a config's sessions), on any thread.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    anchors: Vec<Certificate>,
    store: Arc<OnceCell<AnchorStore>>,
}

/// The anchors as an aws-lc `X509_STORE`, complete before it is shared and never changed after.
struct AnchorStore(StorePtr);

// SAFETY: an X509_STORE that is no longer changed may be used from several threads at once:
// aws-lc guards its lookups with the store's own lock and counts its references atomically (it
// is what every TLS context shares across connections). This one is filled in `AnchorStore::new`
// before anything else can see it, and only read after (X509_STORE_CTX_init takes a reference).
unsafe impl Send for AnchorStore {}
// SAFETY: see `Send` above: shared references only read the store.
unsafe impl Sync for AnchorStore {}

impl fmt::Debug for AnchorStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AnchorStore")
    }
}

impl AnchorStore {
    /// A store holding `anchors`.
    fn new(anchors: &[Certificate]) -> Result<Self> {
        // SAFETY: X509_STORE_new takes nothing and returns a new store we own (or NULL).
        let store = StorePtr::new(unsafe { ffi::X509_STORE_new() }).ok_or_else(alloc_failed)?;
        for anchor in anchors {
            let anchor =
                X509Ptr::parse(&anchor.der).ok_or_else(|| Error::crypto("cannot re-parse a parsed certificate"))?;
            // SAFETY: `store` and `anchor` are valid; the store takes its own reference to the
            // certificate, so it does not depend on `anchor`'s lifetime.
            if unsafe { ffi::X509_STORE_add_cert(store.as_ptr(), anchor.as_ptr()) } != 1 {
                return Err(alloc_failed());
            }
        }
        Ok(AnchorStore(store))
    }
}

/// The error of an aws-lc allocation that failed.
fn alloc_failed() -> Error {
    clear_errors();
    Error::crypto("aws-lc allocation failed")
}

impl TrustStore {
    /// An empty store (every chain fails).
    pub fn new() -> TrustStore {
        TrustStore::default()
    }

    /// Adds a trust anchor.
    pub fn add_anchor(&mut self, anchor: Certificate) {
        if !self.anchors.contains(&anchor) {
            self.anchors.push(anchor);
            self.store = Arc::default();
        }
    }

    /// Adds every certificate of a PEM bundle, or one DER certificate, as a trust anchor; data
    /// without a certificate is an argument error.
    pub fn add_anchors_from(&mut self, data: &[u8]) -> Result<()> {
        let anchors = Certificate::from_pem_or_der(data)?;
        if anchors.is_empty() {
            return Err(Error::invalid_argument("no certificate in the trust anchor data"));
        }
        for anchor in anchors {
            self.add_anchor(anchor);
        }
        Ok(())
    }

    /// The configured anchors.
    pub fn anchors(&self) -> &[Certificate] {
        &self.anchors
    }

    /// True when no anchor is configured.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Validates `end_entity` (from the peer's CERT payloads or configuration) through any of
    /// `intermediates` (in any order; unused ones are ignored) to a configured anchor, at
    /// `at_unix_time` (the session clock, POSIX seconds), and checks that its keyUsage, where
    /// present, allows `need`. See the module documentation for what is checked.
    ///
    /// Errors: `AuthFailed` with the `InvalidCertificate` peer code, the context naming aws-lc's
    /// reason (e.g. "certificate has expired", "self-signed certificate", "unable to get local
    /// issuer certificate"); `Crypto` when aws-lc cannot allocate.
    pub fn verify_chain(
        &self,
        end_entity: &Certificate,
        intermediates: &[Certificate],
        at_unix_time: i64,
        need: KeyUsageNeed,
    ) -> Result<()> {
        let parse = |certificate: &Certificate| {
            X509Ptr::parse(&certificate.der).ok_or_else(|| Error::crypto("cannot re-parse a parsed certificate"))
        };
        let store = self.store.get_or_try_init(|| AnchorStore::new(&self.anchors))?;
        // Declaration order matters: locals drop in reverse, so the context goes first, then
        // the stack, then the certificates the context and the stack point to.
        let leaf = parse(end_entity)?;
        let chain = intermediates.iter().map(parse).collect::<Result<Vec<_>>>()?;
        // SAFETY: OPENSSL_sk_new_null takes nothing and returns a new empty stack (or NULL).
        let untrusted = StackPtr::new(unsafe { ffi::OPENSSL_sk_new_null() }).ok_or_else(alloc_failed)?;
        for certificate in &chain {
            // SAFETY: `untrusted` is a valid stack we own; the pushed X509 outlives it (`chain`
            // is declared first, so dropped after `untrusted`), and the stack does not free it.
            if unsafe { ffi::OPENSSL_sk_push(untrusted.as_ptr(), certificate.as_ptr().cast()) } == 0 {
                return Err(alloc_failed());
            }
        }
        // SAFETY: X509_STORE_CTX_new takes nothing and returns a new context we own (or NULL).
        let ctx = StoreCtxPtr::new(unsafe { ffi::X509_STORE_CTX_new() }).ok_or_else(alloc_failed)?;
        // SAFETY: all four pointers are valid. The context keeps pointers to the store, the
        // leaf and the stack, which x509.h requires to outlive it and not to change during
        // verification: the leaf and the stack are locals declared before `ctx` (so dropped
        // after it) that nothing else touches; the store is borrowed from `self` for the whole
        // call and never changed once built (`AnchorStore`).
        if unsafe { ffi::X509_STORE_CTX_init(ctx.as_ptr(), store.0.as_ptr(), leaf.as_ptr(), untrusted.as_ptr()) } != 1 {
            return Err(alloc_failed());
        }
        // SAFETY: `ctx` is initialised; the parameters belong to it (not freed here) and are
        // changed before verification, from this thread only.
        unsafe {
            let param = ffi::X509_STORE_CTX_get0_param(ctx.as_ptr());
            ffi::X509_VERIFY_PARAM_set_time_posix(param, at_unix_time);
            if ffi::X509_VERIFY_PARAM_set_flags(param, ffi::X509_V_FLAG_PARTIAL_CHAIN) != 1 {
                return Err(alloc_failed());
            }
        }
        // SAFETY: `ctx` is initialised with a valid store, leaf and untrusted stack (see above).
        let verified = unsafe { ffi::X509_verify_cert(ctx.as_ptr()) };
        if verified != 1 {
            // SAFETY: `ctx` is valid; these read the error fields set by the verification.
            let (code, depth) = unsafe {
                (ffi::X509_STORE_CTX_get_error(ctx.as_ptr()), ffi::X509_STORE_CTX_get_error_depth(ctx.as_ptr()))
            };
            clear_errors();
            return Err(cert_error(
                ErrorKind::AuthFailed,
                format!("certificate chain rejected at depth {depth}: {}", verify_error_string(code)),
            ));
        }
        if !end_entity.permits(need) {
            return Err(cert_error(ErrorKind::AuthFailed, format!("certificate keyUsage does not allow {need:?}")));
        }
        Ok(())
    }
}

/// aws-lc's text for an `X509_V_ERR_*` code.
fn verify_error_string(code: c_int) -> String {
    // SAFETY: X509_verify_cert_error_string accepts any value and returns a pointer to a static,
    // NUL-terminated string (a generic one for unknown codes).
    let text = unsafe { ffi::X509_verify_cert_error_string(c_long::from(code)) };
    if text.is_null() {
        return format!("X509 error {code}");
    }
    // SAFETY: `text` is a static NUL-terminated C string (see above).
    unsafe { std::ffi::CStr::from_ptr(text) }.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_comparison() {
        assert!(email_eq(b"alice@example.com", b"alice@EXAMPLE.com"));
        assert!(!email_eq(b"alice@example.com", b"Alice@example.com"));
        assert!(!email_eq(b"alice@example.com", b"alice@example.org"));
        assert!(email_eq(b"noat", b"noat"));
    }

    #[test]
    fn key_usage_need() {
        let both = KeyUsageNeed::DIGITAL_SIGNATURE | KeyUsageNeed::KEY_ENCIPHERMENT;
        assert!(both.allowed_by(0x00A0));
        assert!(!both.allowed_by(0x0080));
        assert!(KeyUsageNeed::NONE.allowed_by(0));
        assert_eq!(format!("{both:?}"), "KeyUsageNeed(digitalSignature | keyEncipherment)");
    }

    /// The anchors are parsed once, into a store every clone of the trust store shares (a
    /// config's sessions), and again only after an anchor is added.
    #[test]
    fn the_anchors_are_parsed_once_for_every_copy_of_the_trust_store() {
        let pem =
            |name: &str| std::fs::read(format!("{}/tests/pki/{name}.crt.pem", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let certificate = |name: &str| Certificate::from_pem_or_der(&pem(name)).unwrap().remove(0);
        let (alice, intermediate) = (certificate("alice"), certificate("intermediate"));
        let mut anchors = TrustStore::new();
        anchors.add_anchor(certificate("root"));
        let copy = anchors.clone();
        let at = 1_800_000_000; // 2027
        anchors.verify_chain(&alice, std::slice::from_ref(&intermediate), at, KeyUsageNeed::NONE).unwrap();
        let built = anchors.store.get().expect("built by the first validation");
        assert!(std::ptr::eq(built, copy.store.get().expect("shared with the copy")));
        copy.verify_chain(&alice, std::slice::from_ref(&intermediate), at, KeyUsageNeed::NONE).unwrap();
        assert!(std::ptr::eq(built, anchors.store.get().unwrap()), "not built again");
        anchors.add_anchor(certificate("rogue-root"));
        assert!(anchors.store.get().is_none(), "an added anchor makes a new store");
    }
}
