//! AES-GCM with any IV length (NIST SP 800-38D), through aws-lc's EVP cipher interface: the 3GPP
//! key parameters of MIKEY-SAKKE are protected with a 16-byte IV (TS 33.180 E.6.1, 8.5.4),
//! which aws-lc-rs's AEAD interface (96-bit nonces only) does not take.
//!
//! The tag is always 16 bytes and checked by aws-lc in constant time; a failed check releases
//! no plaintext.
#![deny(clippy::undocumented_unsafe_blocks)]

use std::ffi::c_int;
use std::ptr::{self, NonNull};

use aws_lc_sys::{
    ERR_clear_error, EVP_CIPHER_CTX_ctrl, EVP_CIPHER_CTX_free, EVP_CIPHER_CTX_new, EVP_DecryptFinal_ex,
    EVP_DecryptInit_ex, EVP_DecryptUpdate, EVP_EncryptFinal_ex, EVP_EncryptInit_ex, EVP_EncryptUpdate, EVP_aes_128_gcm,
    EVP_aes_256_gcm, EVP_CIPHER, EVP_CIPHER_CTX, EVP_CTRL_GCM_GET_TAG, EVP_CTRL_GCM_SET_IVLEN, EVP_CTRL_GCM_SET_TAG,
};

use crate::error::{Error, ErrorKind, Result};
use crate::secret::SecretBytes;

/// The GCM tag length.
pub const GCM_TAG_LEN: usize = 16;

/// An owned EVP_CIPHER_CTX.
struct CipherContext(NonNull<EVP_CIPHER_CTX>);

impl Drop for CipherContext {
    fn drop(&mut self) {
        // SAFETY: the context came from EVP_CIPHER_CTX_new and is freed once, here; freeing also
        // wipes its key schedule.
        unsafe { EVP_CIPHER_CTX_free(self.0.as_ptr()) }
    }
}

/// A failed aws-lc call on public data (lengths, set-up).
fn crypto_failure(what: &str) -> Error {
    // SAFETY: clears this thread's aws-lc error queue; no pointers.
    unsafe { ERR_clear_error() };
    Error::crypto(format!("AES-GCM: {what} failed"))
}

/// The cipher for a 16- or 32-byte key.
fn cipher_for(key: &[u8]) -> Result<*const EVP_CIPHER> {
    match key.len() {
        // SAFETY: returns a pointer to a static cipher description.
        16 => Ok(unsafe { EVP_aes_128_gcm() }),
        // SAFETY: as above.
        32 => Ok(unsafe { EVP_aes_256_gcm() }),
        other => Err(Error::invalid_argument(format!("an AES-GCM key of {other} bytes (16 or 32)"))),
    }
}

/// A context set up for `key` and `iv` (any length above 0), encrypting or decrypting.
fn context(key: &[u8], iv: &[u8], encrypt: bool) -> Result<CipherContext> {
    let cipher = cipher_for(key)?;
    let iv_len = c_int::try_from(iv.len()).map_err(|_| Error::invalid_argument("AES-GCM IV too long"))?;
    if iv.is_empty() {
        return Err(Error::invalid_argument("an empty AES-GCM IV"));
    }
    // SAFETY: allocates a new context, or returns NULL.
    let context = NonNull::new(unsafe { EVP_CIPHER_CTX_new() }).ok_or_else(|| crypto_failure("allocation"))?;
    let context = CipherContext(context);
    let init = if encrypt { EVP_EncryptInit_ex } else { EVP_DecryptInit_ex };
    // SAFETY: the context is valid; the cipher is static; key and IV are set afterwards.
    if unsafe { init(context.0.as_ptr(), cipher, ptr::null_mut(), ptr::null(), ptr::null()) } != 1 {
        return Err(crypto_failure("cipher set-up"));
    }
    // SAFETY: sets the IV length of a GCM context; no pointer argument.
    if unsafe { EVP_CIPHER_CTX_ctrl(context.0.as_ptr(), EVP_CTRL_GCM_SET_IVLEN, iv_len, ptr::null_mut()) } != 1 {
        return Err(crypto_failure("IV length"));
    }
    // SAFETY: key and IV are readable for the lengths the cipher and the IV length set above
    // fix (the key length was checked against the cipher); aws-lc copies both.
    if unsafe { init(context.0.as_ptr(), ptr::null(), ptr::null_mut(), key.as_ptr(), iv.as_ptr()) } != 1 {
        return Err(crypto_failure("key and IV"));
    }
    Ok(context)
}

/// Feeds the associated data.
fn associated_data(context: &CipherContext, aad: &[u8], encrypt: bool) -> Result<()> {
    let len = c_int::try_from(aad.len()).map_err(|_| Error::invalid_argument("AES-GCM AAD too long"))?;
    let update = if encrypt { EVP_EncryptUpdate } else { EVP_DecryptUpdate };
    let mut out_len: c_int = 0;
    // SAFETY: with a NULL output, the update only absorbs `len` readable bytes of AAD.
    if unsafe { update(context.0.as_ptr(), ptr::null_mut(), &mut out_len, aad.as_ptr(), len) } != 1 {
        return Err(crypto_failure("AAD"));
    }
    Ok(())
}

/// Encrypts `plaintext` under `key` (16 or 32 bytes) and `iv` (any length) with `aad`; returns
/// ciphertext || tag.
pub fn seal(key: &[u8], iv: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let context = context(key, iv, true)?;
    associated_data(&context, aad, true)?;
    let len = c_int::try_from(plaintext.len()).map_err(|_| Error::invalid_argument("AES-GCM plaintext too long"))?;
    let mut out = vec![0u8; plaintext.len() + GCM_TAG_LEN];
    let mut written: c_int = 0;
    // SAFETY: GCM is a stream mode: the update writes exactly `len` bytes into `out`, which
    // has room for them and the tag; the input is readable for `len` bytes.
    if unsafe { EVP_EncryptUpdate(context.0.as_ptr(), out.as_mut_ptr(), &mut written, plaintext.as_ptr(), len) } != 1 {
        return Err(crypto_failure("encryption"));
    }
    let mut final_len: c_int = 0;
    // SAFETY: GCM writes nothing at finalisation; the pointer is valid for the tag's room.
    if unsafe { EVP_EncryptFinal_ex(context.0.as_ptr(), out.as_mut_ptr().add(plaintext.len()), &mut final_len) } != 1 {
        return Err(crypto_failure("finalisation"));
    }
    let tag = &mut out[plaintext.len()..];
    // SAFETY: writes the 16-byte tag into `tag`, which holds exactly 16 bytes.
    let tag_ok = unsafe {
        EVP_CIPHER_CTX_ctrl(context.0.as_ptr(), EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN as c_int, tag.as_mut_ptr().cast())
    };
    if tag_ok != 1 {
        return Err(crypto_failure("tag"));
    }
    Ok(out)
}

/// Decrypts ciphertext || tag under `key` and `iv` with `aad`. A tag that does not verify is an
/// `AuthFailed` error, and no plaintext is returned.
pub fn open(key: &[u8], iv: &[u8], aad: &[u8], ciphertext_and_tag: &[u8]) -> Result<SecretBytes> {
    let Some(ciphertext_len) = ciphertext_and_tag.len().checked_sub(GCM_TAG_LEN) else {
        return Err(Error::new(ErrorKind::AuthFailed, "AES-GCM data shorter than its tag"));
    };
    let (ciphertext, tag) = ciphertext_and_tag.split_at(ciphertext_len);
    let context = context(key, iv, false)?;
    associated_data(&context, aad, false)?;
    let len = c_int::try_from(ciphertext_len).map_err(|_| Error::invalid_argument("AES-GCM data too long"))?;
    let mut plaintext = SecretBytes::zeroed(ciphertext_len);
    let mut written: c_int = 0;
    // SAFETY: the update writes exactly `len` bytes into `plaintext`, which holds them; the
    // ciphertext is readable for `len` bytes.
    let update = unsafe {
        EVP_DecryptUpdate(
            context.0.as_ptr(),
            plaintext.expose_mut().as_mut_ptr(),
            &mut written,
            ciphertext.as_ptr(),
            len,
        )
    };
    if update != 1 {
        return Err(crypto_failure("decryption"));
    }
    let mut expected_tag = [0u8; GCM_TAG_LEN];
    expected_tag.copy_from_slice(tag);
    // SAFETY: hands aws-lc the 16-byte tag to check at finalisation; it copies it.
    let set = unsafe {
        EVP_CIPHER_CTX_ctrl(
            context.0.as_ptr(),
            EVP_CTRL_GCM_SET_TAG,
            GCM_TAG_LEN as c_int,
            expected_tag.as_mut_ptr().cast(),
        )
    };
    if set != 1 {
        return Err(crypto_failure("tag set-up"));
    }
    let mut final_len: c_int = 0;
    let mut unused = [0u8; 16];
    // SAFETY: GCM writes nothing at finalisation; it compares the tag (in constant time).
    if unsafe { EVP_DecryptFinal_ex(context.0.as_ptr(), unused.as_mut_ptr(), &mut final_len) } != 1 {
        // SAFETY: clears the error queue the failed check left; no pointers.
        unsafe { ERR_clear_error() };
        return Err(Error::new(ErrorKind::AuthFailed, "the AES-GCM tag does not verify"));
    }
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    /// NIST GCM test case 6 (McGrew and Viega, "The Galois/Counter Mode of Operation"): AES-128
    /// with a 60-byte IV, the path a 16-byte IV takes too (GHASH of the IV).
    #[test]
    fn the_gcm_specification_s_long_iv_case_seals_and_opens() {
        let key = unhex("feffe9928665731c6d6a8f9467308308");
        let iv = unhex(
            "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
        );
        let plaintext = unhex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let expected = unhex(
            "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca701e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5619cc5aefffe0bfa462af43c1699d050",
        );
        let sealed = seal(&key, &iv, &aad, &plaintext).unwrap();
        assert_eq!(sealed, expected);
        assert_eq!(open(&key, &iv, &aad, &sealed).unwrap().expose(), plaintext);
        let mut tampered = sealed.clone();
        tampered[3] ^= 1;
        assert_eq!(open(&key, &iv, &aad, &tampered).unwrap_err().kind(), ErrorKind::AuthFailed);
        assert_eq!(open(&key, &iv, &aad[1..], &sealed).unwrap_err().kind(), ErrorKind::AuthFailed);
        assert_eq!(open(&key, &iv, &aad, &sealed[..10]).unwrap_err().kind(), ErrorKind::AuthFailed);
        assert_eq!(open(&key[..15], &iv, &aad, &sealed).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
}
