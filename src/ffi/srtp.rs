//! The SRTP structs of the C API: the policy an initiator offers and the keys a session exports.
//!
//! ABI evolution: both keep their size and layout within `libmikey.so.0`. Their fields are laid
//! out without implicit padding, and each ends in `reserved` bytes: new fields take bytes from
//! there, and zero means "not used", so a program built against an older header keeps working.

use zeroize::Zeroize;

use crate::{SrtpKeys, SrtpPolicy, SrtpProfile};

use super::boundary::{guarded, put_out, try_mut, Failure};
use super::types::{mikey_result, MIKEY_ERR_UNSUPPORTED};

/// The SRTP policy an initiator offers (`mikey_config_set_srtp_policy`), filled by the caller.
///
/// Start from `mikey_srtp_policy_init()`: a zero-filled struct is NOT the default, because 0 in
/// the three switches means "send off" (no encryption, no authentication). Leave `reserved`
/// zero: a later version gives those bytes meaning, and this one refuses a policy that sets any.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct mikey_srtp_policy {
    /// The SRTP protection profile, in libsrtp `srtp_profile_t` numbers (1 =
    /// AES_CM_128_HMAC_SHA1_80, 2 = AES_CM_128_HMAC_SHA1_32, 5/6 = NULL cipher with HMAC-SHA1
    /// 80/32, 7 = AEAD_AES_128_GCM, 8 = AEAD_AES_256_GCM), or 0x0101..0x0104 for RFC 6188's
    /// AES_256_CM_HMAC_SHA1_80, _256_.._32, AES_192_CM_HMAC_SHA1_80, _192_.._32. 0 means the
    /// default, 1.
    pub profile: u32,
    /// MKI length in bytes, 0 (no MKI) to 16.
    pub mki_len: u8,
    /// SRTP encryption: -1 = not sent (on), 0 = off, 1 = on.
    pub srtp_encryption: i8,
    /// SRTCP encryption: -1 = not sent (on), 0 = off, 1 = on.
    pub srtcp_encryption: i8,
    /// SRTP authentication: -1 = not sent (on), 0 = off, 1 = on.
    pub srtp_authentication: i8,
    /// Key derivation rate (RFC 3711 §4.3.1), 0 to 4294967295; -1 = not sent (SRTP's default 0).
    pub key_derivation_rate: i64,
    /// Room for later fields; zero.
    pub reserved: [u8; 48],
}

impl mikey_srtp_policy {
    /// The default policy: profile 0 (= 1), no MKI, nothing optional sent.
    pub(crate) fn default_policy() -> Self {
        mikey_srtp_policy {
            profile: 0,
            mki_len: 0,
            key_derivation_rate: -1,
            srtp_encryption: -1,
            srtcp_encryption: -1,
            srtp_authentication: -1,
            reserved: [0; 48],
        }
    }

    /// The Rust policy, with every field checked.
    pub(crate) fn to_policy(self) -> Result<SrtpPolicy, Failure> {
        if self.reserved.iter().any(|&byte| byte != 0) {
            return Err(Failure::invalid("invalid argument: the policy's reserved bytes are not zero"));
        }
        let profile = match self.profile {
            0 => SrtpProfile::default(),
            number => SrtpProfile::from_number(number)
                .ok_or_else(|| Failure::invalid(format!("invalid argument: unknown SRTP profile {number}")))?,
        };
        let key_derivation_rate = match self.key_derivation_rate {
            -1 => None,
            rate => Some(u32::try_from(rate).map_err(|_| {
                Failure::invalid(format!("invalid argument: key derivation rate {rate} is not -1 or 0..=2^32-1"))
            })?),
        };
        let switch = |value: i8, name: &str| match value {
            -1 => Ok(None),
            0 => Ok(Some(false)),
            1 => Ok(Some(true)),
            other => Err(Failure::invalid(format!("invalid argument: {name} is {other}, not -1, 0 or 1"))),
        };
        Ok(SrtpPolicy {
            profile,
            mki_len: self.mki_len,
            key_derivation_rate,
            srtp_encryption: switch(self.srtp_encryption, "srtp_encryption")?,
            srtcp_encryption: switch(self.srtcp_encryption, "srtcp_encryption")?,
            srtp_authentication: switch(self.srtp_authentication, "srtp_authentication")?,
            roc_transform: None,
        })
    }
}

/// The keys and parameters of one crypto session, written by `mikey_session_export_srtp`.
///
/// It holds secret keys: wipe it with `mikey_srtp_keys_clear()` once the SRTP stack has them.
/// The library writes every byte of it, `reserved` (zero in this version) included.
#[repr(C)]
#[derive(Zeroize)]
pub struct mikey_srtp_keys {
    /// The stream's SSRC; 0 when it is unknown, which `ssrc_type` then says.
    pub ssrc: u32,
    /// The rollover counter to start from.
    pub roc: u32,
    /// The negotiated profile, numbered as in `mikey_srtp_policy.profile` (1..8 equal libsrtp's
    /// `srtp_profile_t`).
    pub profile: u32,
    /// Session encryption key length in bytes (equals `master_key_len`).
    pub cipher_key_len: u32,
    /// Session authentication key length in bytes (20 for HMAC-SHA1, 0 for AEAD).
    pub auth_key_len: u32,
    /// Authentication tag length in bytes (10 or 4 for HMAC-SHA1, 16 for AEAD).
    pub auth_tag_len: u32,
    /// Key derivation rate in effect (0, SRTP's default, when none was negotiated).
    pub key_derivation_rate: u32,
    /// RFC 3830 CS ID (1-based).
    pub cs_id: u8,
    /// SRTP encryption in effect: 1 = on, 0 = off (negotiated off).
    pub srtp_encryption: u8,
    /// SRTCP encryption in effect: 1 = on, 0 = off.
    pub srtcp_encryption: u8,
    /// SRTP authentication in effect: 1 = on, 0 = off.
    pub srtp_authentication: u8,
    /// Length of the master key: 16, 24 or 32.
    pub master_key_len: usize,
    /// Length of the master salt: 14, or 12 for the AEAD profiles.
    pub master_salt_len: usize,
    /// MKI length in bytes; 0 when no MKI was negotiated.
    pub mki_len: usize,
    /// SRTP master key, the first `master_key_len` bytes.
    pub master_key: [u8; 32],
    /// SRTP master salt, the first `master_salt_len` bytes.
    pub master_salt: [u8; 14],
    /// The MKI, the first `mki_len` bytes.
    pub mki: [u8; 16],
    /// How libsrtp should match the stream, as its `srtp_ssrc_type_t` numbers it:
    /// `MIKEY_SSRC_SPECIFIC` (1) when `ssrc` is known; when it is not, `MIKEY_SSRC_ANY_INBOUND`
    /// (2) for a stream we receive and `MIKEY_SSRC_ANY_OUTBOUND` (3) for one we send. Unknown:
    /// an SSRC 0 placeholder (RFC 3830 §6.1.1, a stream the responder sends) that no R_MESSAGE
    /// filled in, or an empty CS ID map (RFC 4563, the initiator's streams). So
    /// `policy.ssrc.type = keys.ssrc_type; policy.ssrc.value = keys.ssrc;`.
    pub ssrc_type: u8,
    /// The RFC 4771 ROC-carrying integrity transform negotiated for SRTP: 0 none, else the mode
    /// (1 = RCCm1, 2 = RCCm2, 3 = RCCm3; MCPTT group calls use RCCm3 with AES-GCM). libsrtp does
    /// not implement it: a stack that cannot must not use these keys as plain SRTP.
    pub rcc_mode: u8,
    /// With `rcc_mode`: R, the ROC is carried in every R-th packet (RFC 4771 §5); else 0.
    pub roc_transmission_rate: u16,
    /// Room for later fields; zero.
    pub reserved: [u8; 38],
}

// No implicit padding: the fields add up to the size, so no byte of either struct is left
// uninitialised when the library writes it, and the sizes are the ABI's.
const _: () = {
    use std::mem::size_of;
    assert!(size_of::<mikey_srtp_policy>() == 4 + 4 + 8 + 48 && size_of::<mikey_srtp_policy>() == 64);
    let usizes = 3 * size_of::<usize>();
    assert!(size_of::<mikey_srtp_keys>() == 7 * 4 + 4 + usizes + 32 + 14 + 16 + 1 + 1 + 2 + 38);
};

impl mikey_srtp_keys {
    /// An all-zero struct.
    pub(crate) fn zeroed() -> Self {
        mikey_srtp_keys {
            cs_id: 0,
            ssrc: 0,
            roc: 0,
            master_key: [0; 32],
            master_key_len: 0,
            master_salt: [0; 14],
            master_salt_len: 0,
            profile: 0,
            cipher_key_len: 0,
            auth_key_len: 0,
            auth_tag_len: 0,
            mki: [0; 16],
            mki_len: 0,
            key_derivation_rate: 0,
            srtp_encryption: 0,
            srtcp_encryption: 0,
            srtp_authentication: 0,
            ssrc_type: 0,
            rcc_mode: 0,
            roc_transmission_rate: 0,
            reserved: [0; 38],
        }
    }

    /// Fills a zeroed struct from exported keys.
    pub(crate) fn fill(&mut self, keys: &SrtpKeys) -> Result<(), Failure> {
        let copy = |to: &mut [u8], from: &[u8], what: &str| -> Result<usize, Failure> {
            to.get_mut(..from.len()).map(|to| to.copy_from_slice(from)).map(|()| from.len()).ok_or_else(|| {
                Failure::new(
                    MIKEY_ERR_UNSUPPORTED,
                    format!("a {}-byte {what} does not fit mikey_srtp_keys", from.len()),
                )
            })
        };
        let policy = &keys.policy;
        let profile = policy.profile;
        self.cs_id = keys.cs_id;
        self.ssrc = keys.ssrc;
        self.ssrc_type = keys.ssrc_type as u8;
        if let Some(transform) = policy.roc_transform {
            (self.rcc_mode, self.roc_transmission_rate) = (transform.mode, transform.rate);
        }
        self.roc = keys.roc;
        self.master_key_len = copy(&mut self.master_key, keys.master_key.expose(), "master key")?;
        self.master_salt_len = copy(&mut self.master_salt, keys.master_salt.expose(), "master salt")?;
        self.profile = profile.number();
        self.cipher_key_len = u32::from(profile.master_key_len());
        self.auth_key_len = u32::from(profile.auth_key_len());
        self.auth_tag_len = u32::from(profile.auth_tag_len());
        self.mki_len = copy(&mut self.mki, &keys.mki, "MKI")?;
        self.key_derivation_rate = policy.key_derivation_rate.unwrap_or(0);
        self.srtp_encryption = u8::from(policy.srtp_encryption.unwrap_or(true));
        self.srtcp_encryption = u8::from(policy.srtcp_encryption.unwrap_or(true));
        self.srtp_authentication = u8::from(policy.srtp_authentication.unwrap_or(true));
        Ok(())
    }
}

/// Fills `*policy` with the default policy: `profile` 0 (= 1, AES_CM_128_HMAC_SHA1_80),
/// `mki_len` 0, and -1 (not sent) in `key_derivation_rate` and the three switches. Change the
/// fields you need afterwards.
///
/// `policy` must point to writable caller memory; NULL returns `MIKEY_ERR_INVALID_ARGUMENT`.
/// Writes `*policy` only on success. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn mikey_srtp_policy_init(policy: *mut mikey_srtp_policy) -> mikey_result {
    // SAFETY: the caller passes NULL or a pointer to its own writable mikey_srtp_policy.
    guarded(|| unsafe { put_out(policy, "policy", || Ok(mikey_srtp_policy::default_policy())) })
}

/// Wipes `*keys` (every field set to 0 with writes the compiler cannot remove). Call it once the
/// keys are handed to the SRTP stack.
///
/// `keys` is NULL (nothing happens) or points to caller memory holding a `mikey_srtp_keys`.
/// Thread-safe for distinct structs.
#[no_mangle]
pub unsafe extern "C" fn mikey_srtp_keys_clear(keys: *mut mikey_srtp_keys) {
    super::boundary::boundary((), || {
        // SAFETY: the caller passes NULL or a pointer to its own writable mikey_srtp_keys.
        if let Ok(keys) = unsafe { try_mut(keys, "keys") } {
            keys.zeroize();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::types::{MIKEY_ERR_INVALID_ARGUMENT, MIKEY_OK};
    use crate::secret::InlineSecret;
    use crate::srtp::RocTransform;
    use crate::SsrcType;

    #[test]
    fn policy_fields_map_to_the_rust_policy() {
        let mut policy = mikey_srtp_policy { profile: 99, ..mikey_srtp_policy::default_policy() };
        // SAFETY: a live local.
        assert_eq!(unsafe { mikey_srtp_policy_init(&mut policy) }, MIKEY_OK);
        assert_eq!(policy.to_policy().unwrap(), SrtpPolicy::default());
        // SAFETY: NULL is allowed.
        assert_eq!(unsafe { mikey_srtp_policy_init(std::ptr::null_mut()) }, MIKEY_ERR_INVALID_ARGUMENT);

        let policy = mikey_srtp_policy {
            profile: 7,
            mki_len: 4,
            key_derivation_rate: 0x1_0000,
            srtp_encryption: 1,
            srtcp_encryption: 0,
            srtp_authentication: -1,
            reserved: [0; 48],
        };
        let expected = SrtpPolicy {
            profile: SrtpProfile::AeadAes128Gcm,
            mki_len: 4,
            key_derivation_rate: Some(0x1_0000),
            srtp_encryption: Some(true),
            srtcp_encryption: Some(false),
            srtp_authentication: None,
            roc_transform: None,
        };
        assert_eq!(policy.to_policy().unwrap(), expected);
        for bad in [
            mikey_srtp_policy { profile: 3, ..policy },
            mikey_srtp_policy { key_derivation_rate: -2, ..policy },
            mikey_srtp_policy { key_derivation_rate: 1 << 32, ..policy },
            mikey_srtp_policy { srtp_encryption: 2, ..policy },
            mikey_srtp_policy { srtp_authentication: -3, ..policy },
            mikey_srtp_policy { reserved: [1; 48], ..policy },
        ] {
            assert_eq!(bad.to_policy().unwrap_err().code, MIKEY_ERR_INVALID_ARGUMENT, "{bad:?}");
        }
    }

    #[test]
    fn keys_are_copied_and_cleared() {
        let keys = SrtpKeys {
            cs_id: 2,
            ssrc: 0xdead_beef,
            ssrc_type: SsrcType::AnyOutbound,
            roc: 5,
            master_key: InlineSecret::from_slice(&[0xAA; 16]).unwrap(),
            master_salt: InlineSecret::from_slice(&[0xBB; 14]).unwrap(),
            policy: SrtpPolicy {
                srtcp_encryption: Some(false),
                mki_len: 4,
                roc_transform: Some(RocTransform { mode: 3, rate: 2, srtp_tag_len: Some(4), srtcp_tag_len: None }),
                ..Default::default()
            },
            mki: vec![0, 0, 0, 1],
        };
        let mut out = mikey_srtp_keys::zeroed();
        out.fill(&keys).unwrap();
        assert_eq!((out.cs_id, out.ssrc, out.roc, out.profile, out.ssrc_type), (2, 0xdead_beef, 5, 1, 3));
        assert_eq!((out.rcc_mode, out.roc_transmission_rate), (3, 2));
        assert_eq!((out.master_key_len, out.master_salt_len, out.mki_len), (16, 14, 4));
        assert_eq!(&out.master_key[..16], &[0xAA; 16]);
        assert_eq!(&out.master_key[16..], &[0; 16]);
        assert_eq!(&out.mki[..4], &[0, 0, 0, 1]);
        assert_eq!((out.cipher_key_len, out.auth_key_len, out.auth_tag_len), (16, 20, 10));
        assert_eq!((out.srtp_encryption, out.srtcp_encryption, out.srtp_authentication), (1, 0, 1));
        assert_eq!(out.key_derivation_rate, 0);
        // SAFETY: a live local.
        unsafe { mikey_srtp_keys_clear(&mut out) };
        assert_eq!(out.master_key, [0; 32]);
        assert_eq!((out.cs_id, out.master_key_len, out.profile), (0, 0, 0));
        // SAFETY: NULL is allowed.
        unsafe { mikey_srtp_keys_clear(std::ptr::null_mut()) };
    }
}
