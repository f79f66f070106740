//! MCPTT identities and key identifiers for MIKEY-SAKKE (3GPP TS 33.180, TS 33.179): the
//! hashed user identity (UID, F.2.1), the key period it is bound to, the RFC 6509 §3.2 tel-URI
//! identifier, the purposes of key IDs (E.1), the GUK-ID that hides a GMK-ID per receiver (F.1.3),
//! and the DPCK (FC 0x53) that protects the 3GPP key parameters (E.6.1); and the key material a
//! KMS provisions (TS 33.180 Annex D): [`KmsCommunity`] and [`UserKeySet`], each validated when
//! made, and the keys MIKEY-SAKKE carries ([`McpttKey`], [`KeyParameters`]).

use std::fmt;
use std::sync::Arc;

use crate::clock::utc_time;
use crate::crypto::eccsi::{Kpak, Pvt, SigningKey, Ssk};
use crate::crypto::sakke::{Identifier, KmsPublicKey, ReceiverSecretKey};
use crate::crypto::{gcm, kdf_3gpp, sha256};
use crate::error::{Error, Result};
use crate::secret::SecretBytes;
use crate::wire::{KeyParameters as KeyParametersIe, ProtectedKeyParameters};

/// Payload algorithm 1 of an MCData protected payload: AEAD_AES_128_GCM (TS 33.180 8.5.4).
const AEAD_AES_128_GCM: u8 = 1;

/// The FC of the GUK-ID user salt (TS 33.180 F.1.3).
const FC_GUK_ID_SALT: u8 = 0x50;
/// The FC of the DPCK derived from a DPPK (TS 33.180 F.1.5).
const FC_DPCK: u8 = 0x53;
/// The purpose nibble: the 4 most significant bits of a 32-bit key ID (TS 33.180 E.1).
const PURPOSE_SHIFT: u32 = 28;
const LOW_28_BITS: u32 = (1 << PURPOSE_SHIFT) - 1;

/// What a key is for, from the 4 most significant bits of its 32-bit ID (TS 33.180 E.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum KeyPurpose {
    /// Group master key, distributed by the group management server.
    Gmk = 0,
    /// Private call key, from caller to callee.
    Pck = 1,
    /// Client-server key.
    Csk = 2,
    /// Signalling protection key between servers.
    Spk = 3,
    /// Group floor control key over MBMS.
    Mkfc = 4,
    /// MBMS signalling key (MSCCK).
    Mscck = 5,
    /// MBMS subchannel key.
    Musik = 6,
}

impl KeyPurpose {
    /// The purpose a key ID's top nibble names, or `None` for an unassigned one.
    pub fn of_key_id(key_id: u32) -> Option<Self> {
        match key_id >> PURPOSE_SHIFT {
            0 => Some(KeyPurpose::Gmk),
            1 => Some(KeyPurpose::Pck),
            2 => Some(KeyPurpose::Csk),
            3 => Some(KeyPurpose::Spk),
            4 => Some(KeyPurpose::Mkfc),
            5 => Some(KeyPurpose::Mscck),
            6 => Some(KeyPurpose::Musik),
            _ => None,
        }
    }

    /// A key ID of this purpose from 28 random bits.
    pub fn key_id(self, random_low_28_bits: u32) -> u32 {
        (u32::from(self as u8) << PURPOSE_SHIFT) | (random_low_28_bits & LOW_28_BITS)
    }
}

/// What a user's UID hashes (TS 33.180 F.2.1): the user, its KMS, and the key period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UidInputs<'a> {
    /// P1: the MC user ID, a URI as it is (`sip:alice@example.org`).
    pub user_uri: &'a str,
    /// P2: the KMS URI.
    pub kms_uri: &'a str,
    /// P3: the user key period, in seconds.
    pub key_period_secs: u64,
    /// P4: the user key period offset, in seconds.
    pub key_period_offset_secs: u64,
    /// P5: the number of the current key period since 1900-01-01 ([`key_period_number`]).
    pub key_period_number: u64,
}

/// An integer as TS 33.180 F.2.1 hashes it: big-endian in as few octets as it needs, zero as
/// one 00 octet.
fn minimal_be(value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let first = bytes.iter().position(|&byte| byte != 0).unwrap_or(bytes.len() - 1);
    bytes[first..].to_vec()
}

/// The UID of a user (TS 33.180 F.2.1): SHA-256 of S = 0x00 || "MIKEY-SAKKE-UID" || L0 || P1 ||
/// L1 || ... || P5 || L5 (not an HMAC: F.2.1's NOTE), each Ln a 2-octet length.
pub fn uid(inputs: &UidInputs<'_>) -> Result<[u8; 32]> {
    const P0: &[u8] = b"MIKEY-SAKKE-UID";
    let integers = [inputs.key_period_secs, inputs.key_period_offset_secs, inputs.key_period_number].map(minimal_be);
    let parts: [&[u8]; 6] =
        [P0, inputs.user_uri.as_bytes(), inputs.kms_uri.as_bytes(), &integers[0], &integers[1], &integers[2]];
    let mut s = vec![0x00];
    for part in parts {
        let len = u16::try_from(part.len()).map_err(|_| Error::invalid_argument("a UID input over 65535 bytes"))?;
        s.extend_from_slice(part);
        s.extend_from_slice(&len.to_be_bytes());
    }
    Ok(sha256(&s))
}

/// The key period a 64-bit NTP timestamp falls in (TS 33.179 F.2.1): whole periods since
/// 1900-01-01, counted from the offset. `None` for a zero period or a time before the offset.
pub fn key_period_number(ntp_timestamp: u64, key_period_secs: u64, key_period_offset_secs: u64) -> Option<u64> {
    let ntp_seconds = ntp_timestamp >> 32;
    ntp_seconds.checked_sub(key_period_offset_secs)?.checked_div(key_period_secs)
}

/// The RFC 6509 §3.2 identifier for ID scheme 1: "YYYY-MM" 0x00 tel URI 0x00, the month of the
/// 64-bit NTP timestamp (UTC).
pub fn tel_uri_identifier(ntp_timestamp: u64, tel_uri: &str) -> Vec<u8> {
    let time = utc_time(ntp_timestamp);
    let mut identifier = format!("{:04}-{:02}", time.year, time.month).into_bytes();
    identifier.push(0);
    identifier.extend_from_slice(tel_uri.as_bytes());
    identifier.push(0);
    identifier
}

/// How a KMS turns a UID into the identifier ECCSI signs under and SAKKE encrypts to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IdentifierForm {
    /// The 32 UID octets themselves (TS 33.180 F.2.1; RFC 6507 §5.2.1 hashes the ID as it is).
    #[default]
    Uid,
    /// The UID's 64 lowercase hex characters (the Airbus KMS; Streamwide's `MODE_AIRBUS`).
    UidHexText,
}

impl IdentifierForm {
    /// The identifier of `uid` in this form.
    pub fn identifier(self, uid: &[u8; 32]) -> Vec<u8> {
        match self {
            IdentifierForm::Uid => uid.to_vec(),
            IdentifierForm::UidHexText => uid.iter().flat_map(|byte| format!("{byte:02x}").into_bytes()).collect(),
        }
    }
}

/// A KMS and the public keys of its community (TS 33.180 Annex D `KmsCertificate`): its URI,
/// the SAKKE KMS public key Z_T, the ECCSI KPAK, and the user key period and offset that UIDs
/// are bound to. Validated when made; cheap to share (the SAKKE tables are built once).
#[derive(Clone)]
pub struct KmsCommunity {
    kms_uri: String,
    z: Arc<KmsPublicKey>,
    kpak: Kpak,
    key_period_secs: u64,
    key_period_offset_secs: u64,
}

impl KmsCommunity {
    /// The community of the KMS `kms_uri` with Z_T (`0x04 || x || y`, 257 octets), the KPAK
    /// (65 octets), and the user key period and its offset in seconds. Both keys must be points
    /// of their curves of the right order, and the period must be at least one second.
    pub fn new(
        kms_uri: &str,
        z: &[u8],
        kpak: &[u8],
        key_period_secs: u64,
        key_period_offset_secs: u64,
    ) -> Result<Self> {
        if kms_uri.is_empty() || key_period_secs == 0 {
            return Err(Error::invalid_argument("a KMS community needs its URI and a key period of at least 1 s"));
        }
        Ok(KmsCommunity {
            kms_uri: kms_uri.to_owned(),
            z: Arc::new(KmsPublicKey::new(z)?),
            kpak: Kpak::from_bytes(kpak)?,
            key_period_secs,
            key_period_offset_secs,
        })
    }

    /// The KMS URI (what IDRkmsi and IDRkmsr carry).
    pub fn kms_uri(&self) -> &str {
        &self.kms_uri
    }

    /// Z_T, the SAKKE KMS public key.
    pub fn kms_public_key(&self) -> &KmsPublicKey {
        &self.z
    }

    /// The ECCSI KMS public authentication key.
    pub fn kpak(&self) -> &Kpak {
        &self.kpak
    }

    /// The key period a 64-bit NTP timestamp falls in ([`key_period_number`]).
    pub fn key_period_number(&self, ntp_timestamp: u64) -> Option<u64> {
        key_period_number(ntp_timestamp, self.key_period_secs, self.key_period_offset_secs)
    }

    /// The UID of `user_uri` in key period `key_period_number` of this community (F.2.1).
    pub fn uid(&self, user_uri: &str, key_period_number: u64) -> Result<[u8; 32]> {
        uid(&UidInputs {
            user_uri,
            kms_uri: &self.kms_uri,
            key_period_secs: self.key_period_secs,
            key_period_offset_secs: self.key_period_offset_secs,
            key_period_number,
        })
    }
}

impl fmt::Debug for KmsCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsCommunity")
            .field("kms_uri", &self.kms_uri)
            .field("key_period_secs", &self.key_period_secs)
            .field("key_period_offset_secs", &self.key_period_offset_secs)
            .finish_non_exhaustive()
    }
}

/// One user's keys for one key period (TS 33.180 Annex D `KmsKeySet`): the RSK that opens
/// SAKKE payloads sent to the user, and the SSK and PVT it signs with. Both pairs are validated
/// against the community's keys and the user's identifier when made (RFC 6507 §5.1.2, RFC 6508
/// §6.1.2); the secret halves are zeroized on drop and never printed.
pub struct UserKeySet {
    kms_uri: String,
    user_uri: String,
    key_period_number: u64,
    uid: [u8; 32],
    identifier: Vec<u8>,
    signing_key: SigningKey,
    receiver_key: ReceiverSecretKey,
}

impl UserKeySet {
    /// The keys of `user_uri` in period `key_period_number` of `community`: the RSK (257
    /// octets), SSK (32) and PVT (65), under the identifier `form` makes of the user's UID.
    pub fn new(
        community: &KmsCommunity,
        user_uri: &str,
        key_period_number: u64,
        (rsk, ssk, pvt): (&[u8], &[u8], &[u8]),
        form: IdentifierForm,
    ) -> Result<Self> {
        let uid = community.uid(user_uri, key_period_number)?;
        let identifier = form.identifier(&uid);
        // Keys that do not validate are a bad argument, whichever check refused them.
        let refused = |what: &str, error: Error| {
            Error::invalid_argument(format!(
                "the {what} of {user_uri} (period {key_period_number}): {}",
                error.context()
            ))
        };
        let signing_key = SigningKey::new(community.kpak(), &identifier, Ssk::from_bytes(ssk)?, Pvt::from_bytes(pvt)?)
            .map_err(|error| refused("SSK and PVT", error))?;
        let receiver_key = ReceiverSecretKey::new(rsk, &Identifier::new(&identifier)?, community.kms_public_key())
            .map_err(|error| refused("RSK", error))?;
        Ok(UserKeySet {
            kms_uri: community.kms_uri.clone(),
            user_uri: user_uri.to_owned(),
            key_period_number,
            uid,
            identifier,
            signing_key,
            receiver_key,
        })
    }

    /// The KMS whose community issued the keys.
    pub fn kms_uri(&self) -> &str {
        &self.kms_uri
    }

    /// The user's MC service ID (URI).
    pub fn user_uri(&self) -> &str {
        &self.user_uri
    }

    /// The key period the keys belong to.
    pub fn key_period_number(&self) -> u64 {
        self.key_period_number
    }

    /// The user's UID in that period (F.2.1).
    pub fn uid(&self) -> &[u8; 32] {
        &self.uid
    }

    /// The identifier ECCSI signs under and SAKKE encrypts to (the UID, or its hex text).
    pub fn identifier(&self) -> &[u8] {
        &self.identifier
    }

    /// The ECCSI signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing_key
    }

    /// The SAKKE receiver secret key, prepared for decapsulation.
    pub fn receiver_key(&self) -> &ReceiverSecretKey {
        &self.receiver_key
    }
}

impl fmt::Debug for UserKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserKeySet")
            .field("kms_uri", &self.kms_uri)
            .field("user_uri", &self.user_uri)
            .field("key_period_number", &self.key_period_number)
            .finish_non_exhaustive()
    }
}

/// Status bit 0 of the key parameters: the key is not revoked (TS 33.180 E.6.9).
pub const STATUS_NOT_REVOKED: u32 = 1;

/// The 3GPP key parameters (TS 33.180 Table E.6.1-1) a MIKEY-SAKKE message carries about its
/// key, in General Extension type 7.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyParameters {
    /// Key type (E.6.11): the key's purpose, as in its ID.
    pub key_type: u8,
    /// Status (E.6.9): bit 0 set means not revoked, bit 1 shared with a security gateway.
    pub status: u32,
    /// Activation time (E.6.4), 40 bits; 0 when not given.
    pub activation_time: u64,
    /// Expiry time (E.6.10), 40 bits; 0 when not given.
    pub expiry_time: u64,
    /// Text (E.6.5).
    pub text: Vec<u8>,
    /// The MC group IDs (URIs) the key serves (E.6.3; GMK, MKFC and MuSiK).
    pub group_ids: Vec<Vec<u8>>,
    /// True when they came in the legacy clear form (older senders), not encrypted.
    pub legacy_clear: bool,
}

/// The IEI of an MC group ID in the Group IDs element (TS 24.379 Annex I, as senders use it).
pub const GROUP_ID_IEI: u8 = 0x7B;

impl KeyParameters {
    /// The parameters of a new, not revoked key of `purpose` with no time limits.
    pub fn for_key(purpose: KeyPurpose) -> Self {
        KeyParameters { key_type: purpose as u8, status: STATUS_NOT_REVOKED, ..KeyParameters::default() }
    }

    /// Whether a Group IDs element goes with the key type (E.6.3: GMK, MKFC and MuSiK).
    fn carries_group_ids(&self) -> bool {
        [KeyPurpose::Gmk, KeyPurpose::Mkfc, KeyPurpose::Musik].iter().any(|purpose| *purpose as u8 == self.key_type)
    }

    /// The Key Parameters IE of these parameters.
    pub fn to_ie(&self) -> KeyParametersIe<'_> {
        let group_ids = self
            .carries_group_ids()
            .then(|| self.group_ids.iter().map(|group_id| (GROUP_ID_IEI, group_id.as_slice().into())).collect());
        KeyParametersIe {
            key_type: self.key_type,
            status: self.status,
            activation_time: self.activation_time,
            expiry_time: self.expiry_time,
            text: self.text.as_slice().into(),
            group_ids,
        }
    }

    /// The parameters a decrypted Key Parameters IE gives.
    pub fn from_ie(ie: &KeyParametersIe<'_>) -> Self {
        KeyParameters {
            key_type: ie.key_type,
            status: ie.status,
            activation_time: ie.activation_time,
            expiry_time: ie.expiry_time,
            text: ie.text.to_vec(),
            group_ids: ie.group_ids.iter().flatten().map(|(_, value)| value.to_vec()).collect(),
            legacy_clear: false,
        }
    }
}

/// A key MIKEY-SAKKE carries (TS 33.180 7.4, E): what an initiator sends, and what the receiver
/// of an accepted message learns. The key is zeroized on drop and never printed.
#[derive(Clone)]
pub struct McpttKey {
    /// The key's ID: the GMK-ID of a GMK (whose message names it by the receiver's GUK-ID), the
    /// PCK-ID, CSK-ID, MuSiK-ID or MKFC-ID. Its top nibble is the purpose.
    pub key_id: u32,
    /// The key itself (16 octets: the SAKKE SSV).
    pub key: SecretBytes,
    /// The 3GPP key parameters: sent in General Extension type 7; received, when the message
    /// had them.
    pub parameters: Option<KeyParameters>,
}

impl McpttKey {
    /// A key of `key_id` with the parameters of a new, not revoked key of its purpose.
    pub fn new(key_id: u32, key: &[u8]) -> Result<Self> {
        let purpose = KeyPurpose::of_key_id(key_id)
            .ok_or_else(|| Error::invalid_argument(format!("key ID {key_id:#010x} names no purpose (E.1)")))?;
        if key.len() != crate::crypto::sakke::SSV_LEN {
            return Err(Error::invalid_argument("an MCPTT key is 16 octets (TS 33.179 E.1.0; the SAKKE SSV)"));
        }
        Ok(McpttKey { key_id, key: SecretBytes::from_slice(key), parameters: Some(KeyParameters::for_key(purpose)) })
    }

    /// The purpose the key ID names.
    pub fn purpose(&self) -> Option<KeyPurpose> {
        KeyPurpose::of_key_id(self.key_id)
    }
}

impl fmt::Debug for McpttKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpttKey")
            .field("key_id", &format_args!("{:#010x}", self.key_id))
            .field("parameters", &self.parameters)
            .finish_non_exhaustive()
    }
}

/// The MCPTT user a session keys or is keyed by: the MC service user ID (URI) and, when it is
/// another KMS's user, that KMS's URI. An initiator names the responder with it; a responder
/// may name the initiator as SIP told it, and the library then confirms that the UID the
/// message was signed under is that user's (identity hiding, TS 33.180 5.2.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McpttPeer {
    /// The user's URI (`sip:bob@example.org`).
    pub uri: String,
    /// The user's KMS, when it is not ours.
    pub kms_uri: Option<String>,
}

/// The 28-bit user salt that turns a GMK-ID into the GUK-ID of one receiver (TS 33.180 F.1.3):
/// the 28 least significant bits of KDF(GMK, FC 0x50, P0 = the receiver's MC service user ID).
fn guk_id_salt(gmk: &[u8], receiver_uri: &str) -> Result<u32> {
    let out = kdf_3gpp(gmk, FC_GUK_ID_SALT, &[receiver_uri.as_bytes()])?;
    Ok(u32::from_be_bytes([out[28], out[29], out[30], out[31]]) & LOW_28_BITS)
}

/// The GUK-ID a GMS sends to `receiver_uri` for the GMK `gmk_id` (TS 33.180 F.1.3): the purpose
/// nibble kept, the low 28 bits XORed with the receiver's salt. The CSB ID of the I_MESSAGE.
pub fn guk_id(gmk: &[u8], gmk_id: u32, receiver_uri: &str) -> Result<u32> {
    Ok(gmk_id ^ guk_id_salt(gmk, receiver_uri)?)
}

/// The GMK-ID behind a GUK-ID, for the receiver `receiver_uri` (the same XOR, F.1.3).
pub fn gmk_id_of_guk_id(gmk: &[u8], guk_id: u32, receiver_uri: &str) -> Result<u32> {
    Ok(guk_id ^ guk_id_salt(gmk, receiver_uri)?)
}

/// The DPCK that protects the 3GPP key parameters (TS 33.180 E.6.1, F.1.5): the 128 least
/// significant bits of KDF(DPPK, FC 0x53, P0 = DPPK-ID). The DPPK is the key the SAKKE payload
/// carries, its ID the message's CSB ID.
pub fn dpck(dppk: &[u8], dppk_id: u32) -> Result<[u8; 16]> {
    let out = kdf_3gpp(dppk, FC_DPCK, &[&dppk_id.to_be_bytes()])?;
    let mut key = [0; 16];
    key.copy_from_slice(&out[16..]);
    Ok(key)
}

/// Decrypts the Key Parameters IE of a protected type-7 extension (TS 33.180 E.6.1): AES-128-GCM
/// under the DPCK of `dppk` (the key the SAKKE payload carries) and the payload's DPPK-ID, the
/// fields before the payload authenticated as associated data. A tag that fails is
/// `AuthFailed`; the caller checks that the DPPK-ID is the message's CSB ID.
pub fn open_key_parameters(protected: &ProtectedKeyParameters<'_>, dppk: &[u8]) -> Result<SecretBytes> {
    if protected.payload_algorithm != AEAD_AES_128_GCM {
        return Err(Error::unsupported(format!(
            "key parameters under payload algorithm {} (only 1, AEAD_AES_128_GCM, has a DPCK of its size)",
            protected.payload_algorithm
        )));
    }
    let key = dpck(dppk, protected.dppk_id)?;
    gcm::open(&key, &protected.iv, &protected.associated_data(), &protected.ciphertext)
}

/// Encrypts a Key Parameters IE into the ciphertext of `protected` (whose other fields are set),
/// as [`open_key_parameters`] opens it.
pub fn seal_key_parameters(protected: &mut ProtectedKeyParameters<'_>, dppk: &[u8], plaintext: &[u8]) -> Result<()> {
    protected.payload_algorithm = AEAD_AES_128_GCM;
    let key = dpck(dppk, protected.dppk_id)?;
    protected.ciphertext = gcm::seal(&key, &protected.iv, &protected.associated_data(), plaintext)?.into();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_minimal_and_zero_is_one_octet() {
        assert_eq!(minimal_be(0), [0]);
        assert_eq!(minimal_be(236), [236]);
        assert_eq!(minimal_be(2_592_000), [0x27, 0x8D, 0x00]);
        assert_eq!(minimal_be(u64::MAX), [0xFF; 8]);
    }

    #[test]
    fn the_purpose_nibble_names_the_key() {
        assert_eq!(KeyPurpose::of_key_id(0x0DF9_BC39), Some(KeyPurpose::Gmk));
        assert_eq!(KeyPurpose::of_key_id(0x1234_5678), Some(KeyPurpose::Pck));
        assert_eq!(KeyPurpose::of_key_id(0x7000_0000), None);
        assert_eq!(KeyPurpose::Csk.key_id(0xFFFF_FFFF), 0x2FFF_FFFF);
    }

    #[test]
    fn key_periods_count_from_the_offset() {
        let ntp = 0xEC89_8DA8_u64 << 32;
        assert_eq!(key_period_number(ntp, 16_777_215, 0), Some(236));
        assert_eq!(key_period_number(ntp, 0, 0), None);
        assert_eq!(key_period_number(5 << 32, 10, 6), None);
    }
}
