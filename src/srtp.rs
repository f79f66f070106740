//! SRTP policy ⇄ SP payload parameters (RFC 3830 §6.10.1, RFC 4771, RFC 6188, RFC 7714) and
//! the per-crypto-session key export handed to an SRTP stack such as libsrtp.

use crate::error::{Error, MikeyErrorCode, Result};
use crate::secret::InlineSecret;
use crate::wire::registry::{protocol_type, srtp_auth, srtp_encryption, srtp_param};
use crate::wire::{PolicyParam, SecurityPolicy};

/// SRTP protection profiles. Numbers 1..8 equal libsrtp's `srtp_profile_t` (and the DTLS-SRTP
/// registry); the RFC 6188 AES-192/256 counter-mode profiles have no libsrtp number and use
/// 0x0101.. (configure libsrtp with `srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80` etc.).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u32)]
pub enum SrtpProfile {
    /// AES_CM_128_HMAC_SHA1_80 (RFC 3711 default).
    #[default]
    AesCm128HmacSha1_80 = 1,
    /// AES_CM_128_HMAC_SHA1_32.
    AesCm128HmacSha1_32 = 2,
    /// NULL cipher, HMAC-SHA1 80-bit tag.
    NullHmacSha1_80 = 5,
    /// NULL cipher, HMAC-SHA1 32-bit tag.
    NullHmacSha1_32 = 6,
    /// AEAD_AES_128_GCM (RFC 7714).
    AeadAes128Gcm = 7,
    /// AEAD_AES_256_GCM (RFC 7714).
    AeadAes256Gcm = 8,
    /// AES_256_CM_HMAC_SHA1_80 (RFC 6188).
    AesCm256HmacSha1_80 = 0x0101,
    /// AES_256_CM_HMAC_SHA1_32 (RFC 6188).
    AesCm256HmacSha1_32 = 0x0102,
    /// AES_192_CM_HMAC_SHA1_80 (RFC 6188).
    AesCm192HmacSha1_80 = 0x0103,
    /// AES_192_CM_HMAC_SHA1_32 (RFC 6188).
    AesCm192HmacSha1_32 = 0x0104,
}

/// HMAC-SHA1 session authentication key length (RFC 3711 §8.2, n_a = 160 bits).
const HMAC_SHA1_AUTH_KEY_LEN: u8 = 20;
/// Master salt length for AES-CM (112 bits, RFC 3711 §8.2).
const AES_CM_SALT_LEN: u8 = 14;
/// Master salt length for AEAD AES-GCM (96 bits, RFC 7714 §11).
const AEAD_SALT_LEN: u8 = 12;
/// AEAD authentication tag length (RFC 7714 §14.3).
const AEAD_TAG_LEN: u8 = 16;

impl SrtpProfile {
    /// Every profile this crate negotiates.
    pub const ALL: [SrtpProfile; 10] = [
        SrtpProfile::AesCm128HmacSha1_80,
        SrtpProfile::AesCm128HmacSha1_32,
        SrtpProfile::NullHmacSha1_80,
        SrtpProfile::NullHmacSha1_32,
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::AeadAes256Gcm,
        SrtpProfile::AesCm256HmacSha1_80,
        SrtpProfile::AesCm256HmacSha1_32,
        SrtpProfile::AesCm192HmacSha1_80,
        SrtpProfile::AesCm192HmacSha1_32,
    ];

    /// The profile with this number (see the type's documentation).
    pub fn from_number(number: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|profile| profile.number() == number)
    }

    /// The profile's number.
    pub fn number(self) -> u32 {
        self as u32
    }

    /// True for the profiles that encrypt (every AES profile; not the NULL-cipher ones), which
    /// a config accepts by default.
    pub fn encrypts(self) -> bool {
        self.encryption_algorithm() != srtp_encryption::NULL
    }

    /// SP encryption algorithm code.
    pub fn encryption_algorithm(self) -> u8 {
        match self {
            SrtpProfile::NullHmacSha1_80 | SrtpProfile::NullHmacSha1_32 => srtp_encryption::NULL,
            SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm => srtp_encryption::AES_GCM,
            _ => srtp_encryption::AES_CM,
        }
    }

    /// Master (and session) encryption key length in bytes.
    pub fn master_key_len(self) -> u8 {
        match self {
            SrtpProfile::AeadAes256Gcm | SrtpProfile::AesCm256HmacSha1_80 | SrtpProfile::AesCm256HmacSha1_32 => 32,
            SrtpProfile::AesCm192HmacSha1_80 | SrtpProfile::AesCm192HmacSha1_32 => 24,
            _ => 16,
        }
    }

    /// Master salt length in bytes.
    pub fn master_salt_len(self) -> u8 {
        if self.is_aead() {
            AEAD_SALT_LEN
        } else {
            AES_CM_SALT_LEN
        }
    }

    /// True for the AES-GCM profiles (RFC 7714).
    pub fn is_aead(self) -> bool {
        matches!(self, SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm)
    }

    /// SRTP authentication tag length in bytes (the AEAD tag for GCM).
    pub fn auth_tag_len(self) -> u8 {
        match self {
            SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm => AEAD_TAG_LEN,
            SrtpProfile::AesCm128HmacSha1_32
            | SrtpProfile::NullHmacSha1_32
            | SrtpProfile::AesCm256HmacSha1_32
            | SrtpProfile::AesCm192HmacSha1_32 => 4,
            _ => 10,
        }
    }

    /// Session authentication key length in bytes (0 for AEAD).
    pub fn auth_key_len(self) -> u8 {
        if self.is_aead() {
            0
        } else {
            HMAC_SHA1_AUTH_KEY_LEN
        }
    }

    /// The profile for an encryption algorithm, key length and tag length.
    fn from_parts(encryption: u8, key_len: u8, tag_len: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|profile| {
            profile.encryption_algorithm() == encryption
                && profile.master_key_len() == key_len
                && profile.auth_tag_len() == tag_len
        })
    }
}

/// The RTP integrity transform that carries the ROC in the packets (RFC 4771): RCCm1, RCCm2 or
/// RCCm3, every R-th packet. MCPTT group calls use RCCm3 with AES-GCM (TS 33.179 7.5.1, Table
/// E.2-1), so that late entrants learn the ROC. libsrtp does not implement it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RocTransform {
    /// The mode, 1 to 3 (SP authentication algorithm values 2 to 4, RFC 4771 Table 1).
    pub mode: u8,
    /// R, the ROC transmission rate (SP parameter 13; 1 when absent, never 0).
    pub rate: u16,
    /// The SRTP authentication tag length (parameter 18), if sent: the ROC carriage tag.
    pub srtp_tag_len: Option<u8>,
    /// The SRTCP authentication tag length (parameter 19), if sent.
    pub srtcp_tag_len: Option<u8>,
}

/// The SRTP parameters of a crypto session: what an initiator offers and what both ends export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SrtpPolicy {
    /// The protection profile.
    pub profile: SrtpProfile,
    /// MKI length in bytes; 0 for none.
    pub mki_len: u8,
    /// Key derivation rate (RFC 3711 §4.3.1); `None` = not sent (SRTP's default 0).
    pub key_derivation_rate: Option<u32>,
    /// SRTP encryption on/off; `None` = not sent (on).
    pub srtp_encryption: Option<bool>,
    /// SRTCP encryption on/off; `None` = not sent (on).
    pub srtcp_encryption: Option<bool>,
    /// SRTP authentication on/off; `None` = not sent (on).
    pub srtp_authentication: Option<bool>,
    /// The ROC-carrying integrity transform of RFC 4771, if negotiated.
    pub roc_transform: Option<RocTransform>,
}

impl SrtpPolicy {
    /// True when the policy turns SRTP or SRTCP encryption, or SRTP authentication, off.
    pub fn is_unprotected(&self) -> bool {
        [self.srtp_encryption, self.srtcp_encryption, self.srtp_authentication].contains(&Some(false))
    }
}

/// Longest SRTP master key (AES-256).
pub const MAX_MASTER_KEY_LEN: usize = 32;
/// Longest SRTP master salt (112 bits).
pub const MAX_MASTER_SALT_LEN: usize = 14;

/// Largest MKI this crate negotiates (bytes).
pub const MAX_MKI_LEN: u8 = 16;

fn policy_error(context: String) -> Error {
    Error::new(crate::ErrorKind::Policy, context).with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter)
}

impl SrtpPolicy {
    /// The SP payload offering this policy (RFC 3830 §6.10.1, RFC 7714 §15).
    ///
    /// With `gstreamer_tag_layout`, the "session auth key length" parameter carries the tag
    /// length instead, as GStreamer writes and reads it (see tests/interop/README.md).
    pub fn to_security_policy(&self, policy_no: u8, gstreamer_tag_layout: bool) -> Result<SecurityPolicy<'static>> {
        let profile = self.profile;
        let mut params: Vec<(u8, [u8; 4], usize)> = vec![
            (srtp_param::ENCRYPTION_ALGORITHM, [profile.encryption_algorithm(), 0, 0, 0], 1),
            (srtp_param::SESSION_ENCRYPTION_KEY_LEN, [profile.master_key_len(), 0, 0, 0], 1),
        ];
        let one = |param_type: u8, value: u8| (param_type, [value, 0, 0, 0], 1);
        // RCCm1..3 are SP authentication algorithms 2..4 (RFC 4771 Table 1).
        let rcc = self.roc_transform.map(|transform| transform.mode + 1);
        if profile.is_aead() {
            params.push(one(srtp_param::AUTH_ALGORITHM, rcc.unwrap_or(srtp_auth::NULL)));
            params.push(one(srtp_param::SESSION_SALT_KEY_LEN, profile.master_salt_len()));
            params.push(one(srtp_param::AEAD_AUTH_TAG_LEN, profile.auth_tag_len()));
        } else {
            let auth_key_len = if gstreamer_tag_layout { profile.auth_tag_len() } else { profile.auth_key_len() };
            params.push(one(srtp_param::AUTH_ALGORITHM, rcc.unwrap_or(srtp_auth::HMAC_SHA1)));
            params.push(one(srtp_param::SESSION_AUTH_KEY_LEN, auth_key_len));
            params.push(one(srtp_param::SESSION_SALT_KEY_LEN, profile.master_salt_len()));
            params.push(one(srtp_param::AUTH_TAG_LEN, profile.auth_tag_len()));
        }
        params.push(one(srtp_param::SRTP_PRF, 0));
        if let Some(transform) = self.roc_transform {
            let [high, low] = transform.rate.to_be_bytes();
            params.push((srtp_param::ROC_TRANSMISSION_RATE, [high, low, 0, 0], 2));
            for (param_type, tag_len) in [
                (srtp_param::SRTP_AUTH_TAG_LEN, transform.srtp_tag_len),
                (srtp_param::SRTCP_AUTH_TAG_LEN, transform.srtcp_tag_len),
            ] {
                if let Some(len) = tag_len {
                    params.push(one(param_type, len));
                }
            }
        }
        if let Some(rate) = self.key_derivation_rate {
            params.push((srtp_param::KEY_DERIVATION_RATE, rate.to_be_bytes(), 4));
        }
        for (param_type, switch) in [
            (srtp_param::SRTP_ENCRYPTION, self.srtp_encryption),
            (srtp_param::SRTCP_ENCRYPTION, self.srtcp_encryption),
            (srtp_param::SRTP_AUTHENTICATION, self.srtp_authentication),
        ] {
            if let Some(on) = switch {
                params.push(one(param_type, u8::from(on)));
            }
        }
        let mut policy = SecurityPolicy::new(policy_no, protocol_type::SRTP);
        for (param_type, value, len) in &params {
            policy.push_param(*param_type, &value[..*len])?;
        }
        Ok(policy)
    }

    /// Reads an SRTP SP payload; the MKI length comes from the key validity data, not the SP.
    ///
    /// Absent parameters take SRTP's defaults. GStreamer's layout (the tag length in the auth
    /// key length parameter, no tag length parameter) is read as the tag length, since 4- and
    /// 10-byte HMAC-SHA1 keys are not used in practice. The RFC 4771 parameters (13 to 19) give
    /// [`SrtpPolicy::roc_transform`] for RCCm1..3, which the export reports; anything else this
    /// crate cannot hand to an SRTP stack (f8, SEED, ARIA, a prefix, FEC orders, unknown
    /// parameter types) is an "Invalid SPpar" policy error.
    pub fn from_security_policy(policy: &SecurityPolicy) -> Result<Self> {
        if policy.protocol != protocol_type::SRTP {
            return Err(Error::new(crate::ErrorKind::Policy, format!("SP protocol {} is not SRTP", policy.protocol))
                .with_peer_code(MikeyErrorCode::InvalidSecurityPolicy));
        }
        let mut encryption = srtp_encryption::AES_CM;
        let mut key_len = None;
        let mut auth = srtp_auth::HMAC_SHA1;
        let mut auth_key_len = None;
        let mut salt_len = None;
        let mut tag_len = None;
        let mut aead_tag_len = None;
        let mut roc_rate = None;
        let (mut rcc_srtp_tag_len, mut rcc_srtcp_tag_len) = (None, None);
        let mut result = SrtpPolicy::default();
        for PolicyParam { param_type, value } in policy.params() {
            let byte = || match value {
                [single] => Ok(*single),
                _ => Err(policy_error(format!("SRTP parameter {param_type} must be one byte"))),
            };
            let switch = || match byte()? {
                0 => Ok(false),
                1 => Ok(true),
                other => Err(policy_error(format!("SRTP parameter {param_type} is off/on, not {other}"))),
            };
            match param_type {
                srtp_param::ENCRYPTION_ALGORITHM => encryption = byte()?,
                srtp_param::SESSION_ENCRYPTION_KEY_LEN => key_len = Some(byte()?),
                // RFC 4771 Table 3: the SRTP-only forms of 2, 3 and 11.
                srtp_param::AUTH_ALGORITHM | srtp_param::SRTP_AUTH_ALGORITHM => auth = byte()?,
                srtp_param::SESSION_AUTH_KEY_LEN | srtp_param::SRTP_SESSION_AUTH_KEY_LEN => {
                    auth_key_len = Some(byte()?)
                }
                // SRTCP keeps HMAC-SHA1 (or the AEAD tag): RCC carries the ROC in SRTP only.
                srtp_param::SRTCP_AUTH_ALGORITHM if matches!(byte()?, srtp_auth::NULL | srtp_auth::HMAC_SHA1) => {}
                srtp_param::SRTCP_SESSION_AUTH_KEY_LEN if matches!(byte()?, 0 | HMAC_SHA1_AUTH_KEY_LEN) => {}
                srtp_param::ROC_TRANSMISSION_RATE => {
                    // A 16-bit integer (RFC 4771 §5); one octet seen from Alea, read the same.
                    let rate = match value {
                        [rate] => u16::from(*rate),
                        [high, low] => u16::from_be_bytes([*high, *low]),
                        _ => return Err(policy_error("the ROC transmission rate is a 16-bit integer".into())),
                    };
                    if rate == 0 {
                        return Err(policy_error("the ROC transmission rate must not be 0 (RFC 4771 §5)".into()));
                    }
                    roc_rate = Some(rate);
                }
                srtp_param::SRTP_AUTH_TAG_LEN => rcc_srtp_tag_len = Some(byte()?),
                srtp_param::SRTCP_AUTH_TAG_LEN => rcc_srtcp_tag_len = Some(byte()?),
                srtp_param::SESSION_SALT_KEY_LEN => salt_len = Some(byte()?),
                srtp_param::SRTP_PRF if byte()? == 0 => {}
                srtp_param::KEY_DERIVATION_RATE => {
                    if value.is_empty() || value.len() > 4 {
                        return Err(policy_error("key derivation rate must be 1 to 4 bytes".into()));
                    }
                    let rate = value.iter().fold(0u32, |rate, byte| (rate << 8) | u32::from(*byte));
                    result.key_derivation_rate = Some(rate);
                }
                srtp_param::SRTP_ENCRYPTION => result.srtp_encryption = Some(switch()?),
                srtp_param::SRTCP_ENCRYPTION => result.srtcp_encryption = Some(switch()?),
                srtp_param::FEC_ORDER if byte()? == 0 => {}
                srtp_param::SRTP_AUTHENTICATION => result.srtp_authentication = Some(switch()?),
                srtp_param::AUTH_TAG_LEN => tag_len = Some(byte()?),
                srtp_param::SRTP_PREFIX_LEN if byte()? == 0 => {}
                srtp_param::AEAD_AUTH_TAG_LEN => aead_tag_len = Some(byte()?),
                other => return Err(policy_error(format!("unsupported SRTP parameter {other} = {value:02x?}"))),
            }
        }
        // RCCm1..3 (RFC 4771): the ROC rides in the SRTP packets.
        let rcc_mode = match auth {
            srtp_auth::RCCM1 | srtp_auth::RCCM2 | srtp_auth::RCCM3 => Some(auth - 1),
            _ => None,
        };
        result.roc_transform = rcc_mode.map(|mode| RocTransform {
            mode,
            rate: roc_rate.unwrap_or(1),
            srtp_tag_len: rcc_srtp_tag_len,
            srtcp_tag_len: rcc_srtcp_tag_len,
        });
        if rcc_mode.is_none() {
            if roc_rate.is_some() {
                return Err(policy_error("a ROC transmission rate without an RCC transform (RFC 4771)".into()));
            }
            // Without RCC, parameter 18 is the tag length (11).
            tag_len = tag_len.or(rcc_srtp_tag_len);
        }
        let profile = if encryption == srtp_encryption::AES_GCM {
            SrtpProfile::from_parts(encryption, key_len.unwrap_or(16), aead_tag_len.unwrap_or(AEAD_TAG_LEN))
        } else {
            if auth != srtp_auth::HMAC_SHA1 && rcc_mode.is_none() {
                return Err(policy_error(format!("SRTP authentication algorithm {auth} is not supported")));
            }
            // GStreamer's layout: the tag length (4 or 10) in the auth key length parameter, with
            // no tag length parameter or an equal one.
            if let Some(len @ (4 | 10)) = auth_key_len {
                if tag_len.is_none_or(|tag| tag == len) {
                    tag_len = Some(len);
                    auth_key_len = None;
                }
            }
            let tag_len = tag_len.unwrap_or(10);
            if auth_key_len.is_some_and(|len| len != HMAC_SHA1_AUTH_KEY_LEN) {
                return Err(policy_error("HMAC-SHA1 session auth keys are 20 bytes".into()));
            }
            SrtpProfile::from_parts(encryption, key_len.unwrap_or(16), tag_len)
        }
        .ok_or_else(|| {
            policy_error(format!("no SRTP profile for encryption {encryption}, key length {key_len:?}, tag length"))
        })?;
        if salt_len.is_some_and(|len| len != profile.master_salt_len()) {
            return Err(policy_error(format!("salt length {salt_len:?} does not fit {profile:?}")));
        }
        result.profile = profile;
        Ok(result)
    }
}

/// How an SRTP stack should match a crypto session's stream, numbered as libsrtp's
/// `srtp_ssrc_type_t`: one SSRC, or any stream in one direction when the SSRC is unknown.
///
/// An SSRC is unknown when it is a placeholder (SSRC 0) nobody filled in: RFC 3830 §6.1.1 makes
/// a placeholder in the I_MESSAGE a stream the responder sends, whose SSRC the R_MESSAGE fills
/// in; where no R_MESSAGE fills it, the initiator receives it from an unknown SSRC and the
/// responder sends it under one it did not declare. With an empty CS ID map (RFC 4563 §5) the
/// SSRCs are conveyed outside MIKEY; such maps key the initiator's streams (MBMS, RFC 5410).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SsrcType {
    /// The SSRC is known: libsrtp's `ssrc_specific`.
    Specific = 1,
    /// Unknown, and we receive the stream: libsrtp's `ssrc_any_inbound`.
    AnyInbound = 2,
    /// Unknown, and we send the stream: libsrtp's `ssrc_any_outbound`.
    AnyOutbound = 3,
}

/// The keys and parameters of one crypto session, ready for an SRTP stack.
#[derive(Clone, Debug)]
pub struct SrtpKeys {
    /// RFC 3830 CS ID (1-based).
    pub cs_id: u8,
    /// The stream's SSRC; 0 when it is unknown (`ssrc_type` says which direction then).
    pub ssrc: u32,
    /// Whether `ssrc` is known, and if not, which way the stream goes.
    pub ssrc_type: SsrcType,
    /// The rollover counter to start from.
    pub roc: u32,
    /// SRTP master key (16, 24 or 32 bytes).
    pub master_key: InlineSecret<MAX_MASTER_KEY_LEN>,
    /// SRTP master salt (14 bytes, 12 for AEAD).
    pub master_salt: InlineSecret<MAX_MASTER_SALT_LEN>,
    /// The negotiated policy.
    pub policy: SrtpPolicy,
    /// The MKI bound to the key, if one was negotiated.
    pub mki: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    /// The SP of Streamwide's MCPTT group key message (TS 33.179 Table E.2-1 without ROC rate):
    /// AES-GCM, RCCm3 with a 4-octet ROC tag, no SRTCP tag beside the AEAD one.
    #[test]
    fn the_mcptt_group_profile_reads_as_aes_gcm_with_rccm3_and_round_trips() {
        let mut sp = SecurityPolicy::new(0, protocol_type::SRTP);
        for (param_type, value) in [(0, 6), (1, 16), (2, 4), (4, 12), (5, 0), (6, 0), (18, 4), (19, 0), (20, 16)] {
            sp.push_param(param_type, &[value]).unwrap();
        }
        let policy = SrtpPolicy::from_security_policy(&sp).unwrap();
        assert_eq!(policy.profile, SrtpProfile::AeadAes128Gcm);
        let transform = RocTransform { mode: 3, rate: 1, srtp_tag_len: Some(4), srtcp_tag_len: Some(0) };
        assert_eq!(policy.roc_transform, Some(transform));
        assert_eq!(SrtpPolicy::from_security_policy(&policy.to_security_policy(0, false).unwrap()).unwrap(), policy);

        // Alea sends the ROC transmission rate (a 16-bit integer) in one octet; 0 is refused.
        for (rate, expected) in [(&[1u8][..], Some(1)), (&[0x01, 0x00][..], Some(256)), (&[0][..], None)] {
            let mut with_rate = sp.clone();
            with_rate.push_param(srtp_param::ROC_TRANSMISSION_RATE, rate).unwrap();
            let read = SrtpPolicy::from_security_policy(&with_rate).ok().and_then(|policy| policy.roc_transform);
            assert_eq!(read.map(|transform| transform.rate), expected, "{rate:?}");
        }
        // Without RCC, parameter 18 is the SRTP tag length.
        let mut hmac = SecurityPolicy::new(0, protocol_type::SRTP);
        hmac.push_param(srtp_param::SRTP_AUTH_TAG_LEN, &[4]).unwrap();
        let policy = SrtpPolicy::from_security_policy(&hmac).unwrap();
        assert_eq!((policy.profile, policy.roc_transform), (SrtpProfile::AesCm128HmacSha1_32, None));
    }

    #[test]
    fn every_profile_round_trips_through_an_sp_payload() {
        for profile in SrtpProfile::ALL {
            for gstreamer in [false, true] {
                let policy = SrtpPolicy { profile, ..Default::default() };
                let sp = policy.to_security_policy(0, gstreamer).unwrap();
                assert_eq!(SrtpPolicy::from_security_policy(&sp).unwrap(), policy, "{profile:?}");
            }
        }
    }

    #[test]
    fn the_optional_switches_round_trip() {
        let policy = SrtpPolicy {
            profile: SrtpProfile::AesCm128HmacSha1_32,
            mki_len: 0,
            key_derivation_rate: Some(1 << 16),
            srtp_encryption: Some(false),
            srtcp_encryption: Some(true),
            srtp_authentication: Some(true),
            roc_transform: None,
        };
        let sp = policy.to_security_policy(3, false).unwrap();
        assert_eq!(sp.policy_no, 3);
        assert_eq!(SrtpPolicy::from_security_policy(&sp).unwrap(), policy);
    }

    #[test]
    fn gstreamer_sp_layout_selects_the_tag_length() {
        // Bytes of GStreamer 1.22's SP for hmac-sha1-32 (tests/interop/README.md).
        let params: [(u8, &[u8]); 7] = [(0, &[1]), (1, &[16]), (2, &[1]), (3, &[4]), (7, &[1]), (8, &[1]), (10, &[1])];
        let sp = SecurityPolicy::try_from((0, 0, &params[..])).unwrap();
        let policy = SrtpPolicy::from_security_policy(&sp).unwrap();
        assert_eq!(policy.profile, SrtpProfile::AesCm128HmacSha1_32);
        assert_eq!(policy.profile.auth_key_len(), 20);
    }

    #[test]
    fn an_empty_sp_means_the_srtp_defaults() {
        let sp = SecurityPolicy::new(0, 0);
        assert_eq!(SrtpPolicy::from_security_policy(&sp).unwrap().profile, SrtpProfile::AesCm128HmacSha1_80);
    }

    #[test]
    fn unsupported_parameters_are_policy_errors_with_the_sppar_code() {
        let cases: [&[(u8, &[u8])]; 7] = [
            &[(0, &[2])],     // AES-F8
            &[(2, &[7])],     // an unknown authentication algorithm
            &[(1, &[20])],    // 20-byte AES key
            &[(3, &[16])],    // 16-byte HMAC key
            &[(12, &[4])],    // SRTP prefix
            &[(13, &[0, 1])], // ROC transmission rate (RCC only)
            &[(7, &[2])],     // off/on switch with value 2
        ];
        for params in cases {
            let sp = SecurityPolicy::try_from((0, 0, params)).unwrap();
            let error = SrtpPolicy::from_security_policy(&sp).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Policy, "{params:?}");
            assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidSecurityPolicyParameter));
        }
    }

    #[test]
    fn profile_numbers_match_libsrtp() {
        assert_eq!(SrtpProfile::AesCm128HmacSha1_80.number(), 1);
        assert_eq!(SrtpProfile::AesCm128HmacSha1_32.number(), 2);
        assert_eq!(SrtpProfile::AeadAes128Gcm.number(), 7);
        assert_eq!(SrtpProfile::AeadAes256Gcm.number(), 8);
        assert_eq!(SrtpProfile::from_number(8), Some(SrtpProfile::AeadAes256Gcm));
        assert_eq!(SrtpProfile::from_number(3), None);
    }

    #[test]
    fn only_the_null_cipher_profiles_do_not_encrypt() {
        let clear: Vec<_> = SrtpProfile::ALL.into_iter().filter(|profile| !profile.encrypts()).collect();
        assert_eq!(clear, [SrtpProfile::NullHmacSha1_80, SrtpProfile::NullHmacSha1_32]);
    }
}
