//! IANA code tables for MIKEY (RFC 3830 §6 and the RFCs that extend its registries).
//!
//! Fields whose unknown values make a message undecodable (data type, next payload, or any
//! code that fixes the length of a following field) are enums; an unknown code is an
//! `Unsupported` error. Fields that the codec can carry without understanding them (policy
//! parameter types, extension types) stay `u8` with named constants.

/// Defines a `u8`-coded enum with `from_code` / `code`.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// The value for a wire code, or `None` when the code is not registered here.
            pub fn from_code(code: u8) -> Option<Self> {
                match code { $($value => Some(Self::$variant),)+ _ => None }
            }

            /// The wire code.
            pub fn code(self) -> u8 {
                match self { $(Self::$variant => $value,)+ }
            }
        }
    };
}

impl DataType {
    /// The data type that answers an initiator's message of this type (Table 6.1.a pairs),
    /// `None` for responses and error messages.
    pub fn answered_by(self) -> Option<DataType> {
        match self {
            DataType::PskInit => Some(DataType::PskVerification),
            DataType::PkInit => Some(DataType::PkVerification),
            DataType::DhInit => Some(DataType::DhResponse),
            DataType::DhHmacInit => Some(DataType::DhHmacResponse),
            DataType::RsaRInit => Some(DataType::RsaRResponse),
            DataType::TicketRequestInitPsk | DataType::TicketRequestInitPk => Some(DataType::TicketRequestResponse),
            DataType::TicketTransferInit => Some(DataType::TicketTransferResponse),
            DataType::TicketResolveInitPsk | DataType::TicketResolveInitPk => Some(DataType::TicketResolveResponse),
            _ => None,
        }
    }
}

code_enum! {
    /// Common header "data type" (RFC 3830 Table 6.1.a; RFC 4650, 4738, 6043, 6267, 6509).
    DataType {
        /// Initiator's pre-shared key message.
        PskInit = 0,
        /// Verification message of a pre-shared key message.
        PskVerification = 1,
        /// Initiator's public-key transport message.
        PkInit = 2,
        /// Verification message of a public-key message.
        PkVerification = 3,
        /// Initiator's DH exchange message.
        DhInit = 4,
        /// Responder's DH exchange message.
        DhResponse = 5,
        /// Error message.
        Error = 6,
        /// DH-HMAC initiator message (RFC 4650).
        DhHmacInit = 7,
        /// DH-HMAC responder message (RFC 4650).
        DhHmacResponse = 8,
        /// RSA-R initiator message (RFC 4738).
        RsaRInit = 9,
        /// RSA-R responder message (RFC 4738).
        RsaRResponse = 10,
        /// Ticket request, PSK-protected (RFC 6043).
        TicketRequestInitPsk = 11,
        /// Ticket request, PK-protected (RFC 6043).
        TicketRequestInitPk = 12,
        /// Ticket request response (RFC 6043).
        TicketRequestResponse = 13,
        /// Ticket transfer initial message (RFC 6043).
        TicketTransferInit = 14,
        /// Ticket transfer response (RFC 6043).
        TicketTransferResponse = 15,
        /// Ticket resolve, PSK-protected (RFC 6043).
        TicketResolveInitPsk = 16,
        /// Ticket resolve, PK-protected (RFC 6043).
        TicketResolveInitPk = 17,
        /// Ticket resolve response (RFC 6043).
        TicketResolveResponse = 18,
        /// IBAKE private key request, PSK (RFC 6267).
        IbakeRequestKeyPsk = 19,
        /// IBAKE private key request, PKE (RFC 6267).
        IbakeRequestKeyPke = 20,
        /// IBAKE private key response (RFC 6267).
        IbakeRequestKeyResponse = 21,
        /// IBAKE first initiator message (RFC 6267).
        IbakeInit1 = 22,
        /// IBAKE first responder message (RFC 6267).
        IbakeResponse1 = 23,
        /// IBAKE second initiator message (RFC 6267).
        IbakeInit2 = 24,
        /// IBAKE second responder message (RFC 6267).
        IbakeResponse2 = 25,
        /// MIKEY-SAKKE initiator message (RFC 6509).
        SakkeInit = 26,
    }
}

code_enum! {
    /// "Next payload" values (RFC 3830 Table 6.1.b; RFC 6043 Table 6.2; RFC 6267; RFC 6509).
    PayloadType {
        /// End of the chain.
        Last = 0,
        /// Key data transport (§6.2).
        Kemac = 1,
        /// Envelope data (§6.3).
        Pke = 2,
        /// DH data (§6.4).
        Dh = 3,
        /// Signature (§6.5); always the last payload.
        Sign = 4,
        /// Timestamp (§6.6).
        Timestamp = 5,
        /// Identity (§6.7).
        Id = 6,
        /// Certificate (§6.7).
        Cert = 7,
        /// Certificate hash (§6.8).
        CertHash = 8,
        /// Verification message (§6.9).
        Verification = 9,
        /// Security policy (§6.10).
        SecurityPolicy = 10,
        /// RAND (§6.11).
        Rand = 11,
        /// Error (§6.12).
        Error = 12,
        /// Timestamp with role (RFC 6043 §6.4).
        TimestampWithRole = 13,
        /// Identity with role (RFC 6043 §6.6).
        IdWithRole = 14,
        /// RAND with role (RFC 6043 §6.8).
        RandWithRole = 15,
        /// Ticket policy (RFC 6043 §6.10).
        TicketPolicy = 16,
        /// Ticket (RFC 6043 §6.10).
        Ticket = 17,
        /// Key data sub-payload (§6.13), only inside KEMAC.
        KeyData = 20,
        /// General extension (§6.15).
        GeneralExtension = 21,
        /// IBAKE (RFC 6267 §6.1.1).
        Ibake = 22,
        /// Encrypted secret key (RFC 6267 §6.1.2).
        EncryptedSecretKey = 23,
        /// Secret key (RFC 6267 §6.1.5).
        SecretKey = 24,
        /// Elliptic curve point (RFC 6267 §6.1.4).
        EcPoint = 25,
        /// SAKKE encapsulated data (RFC 6509 §4.2).
        Sakke = 26,
    }
}

code_enum! {
    /// CS ID map type (RFC 3830 Table 6.1.d, RFC 4563 §5, RFC 6043 §6.1.1).
    CsIdMapType {
        /// SRTP-ID (RFC 3830 §6.1.1).
        SrtpId = 0,
        /// Empty map: the policy is conveyed outside MIKEY (RFC 4563 §5).
        Empty = 1,
        /// GENERIC-ID (RFC 6043 §6.1.1).
        GenericId = 2,
    }
}

code_enum! {
    /// Timestamp type (RFC 3830 Table 6.6, RFC 6043 Table 6.8).
    TimestampType {
        /// NTP timestamp in UTC, 64 bits.
        NtpUtc = 0,
        /// NTP timestamp, 64 bits.
        Ntp = 1,
        /// A 32-bit counter.
        Counter = 2,
        /// The seconds of an NTP timestamp in UTC, 32 bits (RFC 6043 §6.3).
        NtpUtc32 = 3,
    }
}

impl TimestampType {
    /// Length of the TS value field in bytes.
    pub fn value_len(self) -> usize {
        match self {
            TimestampType::NtpUtc | TimestampType::Ntp => 8,
            TimestampType::Counter | TimestampType::NtpUtc32 => 4,
        }
    }
}

/// TR "TS Role" values (RFC 6043 §6.4 Table 6.9).
pub mod ts_role {
    /// Time of issue (TRi).
    pub const TIME_OF_ISSUE: u8 = 1;
    /// Start of the validity period (TRs).
    pub const VALIDITY_START: u8 = 2;
    /// End of the validity period (TRe).
    pub const VALIDITY_END: u8 = 3;
    /// Rekeying interval (TRr): its TS type SHALL be NTP-UTC-32, its seconds the longest time
    /// between two rekeyings (§6.10).
    pub const REKEYING_INTERVAL: u8 = 4;
}

code_enum! {
    /// KEMAC and V "MAC alg" (RFC 3830 Table 6.2.b; RFC 6043 §6.2).
    MacAlgorithmCode {
        /// No MAC (restricted use, §4.2.4).
        Null = 0,
        /// HMAC-SHA-1 with a 160-bit tag (mandatory).
        HmacSha1_160 = 1,
        /// HMAC-SHA-256 with a 256-bit tag (RFC 6043).
        HmacSha256_256 = 2,
    }
}

impl MacAlgorithmCode {
    /// Tag length in bytes, which the MAC field's length is implied by.
    pub fn tag_len(self) -> usize {
        match self {
            MacAlgorithmCode::Null => 0,
            MacAlgorithmCode::HmacSha1_160 => 20,
            MacAlgorithmCode::HmacSha256_256 => 32,
        }
    }
}

/// KEMAC "Encr alg" values (RFC 3830 Table 6.2.a, RFC 6043 §6.2).
pub mod encryption_algorithm {
    /// No encryption.
    pub const NULL: u8 = 0;
    /// AES in counter mode with a 128-bit key (mandatory).
    pub const AES_CM_128: u8 = 1;
    /// AES key wrap with a 128-bit key.
    pub const AES_KW_128: u8 = 2;
    /// AES in counter mode with a 256-bit key (RFC 6043).
    pub const AES_CM_256: u8 = 3;
}

code_enum! {
    /// Key data sub-payload type (RFC 3830 Table 6.13.a, RFC 6043 §6.2.1 Table 6.7).
    KeyDataType {
        /// TGK alone.
        Tgk = 0,
        /// TGK followed by a salt.
        TgkSalt = 1,
        /// TEK alone.
        Tek = 2,
        /// TEK followed by a salt.
        TekSalt = 3,
        /// Group TGK alone: a TGK that is never forked (RFC 6043).
        Gtgk = 4,
        /// Group TGK followed by a salt (RFC 6043).
        GtgkSalt = 5,
        /// MIKEY Protection Key, the pre-shared key of the Ticket Transfer exchange (RFC 6043).
        /// It has no salt: RFC 6043 defines no MPK+SALT type.
        Mpk = 6,
    }
}

impl KeyDataType {
    /// True when a salt field follows the key.
    pub fn has_salt(self) -> bool {
        matches!(self, KeyDataType::TgkSalt | KeyDataType::TekSalt | KeyDataType::GtgkSalt)
    }
}

code_enum! {
    /// Key validity type (RFC 3830 Table 6.13.b).
    KeyValidityType {
        /// No specific rule.
        Null = 0,
        /// Bound to an SPI/MKI.
        Spi = 1,
        /// Valid over an index interval.
        Interval = 2,
    }
}

code_enum! {
    /// DH group (RFC 3830 Table 6.4).
    DhGroup {
        /// OAKLEY 5, 1536-bit MODP (mandatory).
        Oakley5 = 0,
        /// OAKLEY 1, 768-bit MODP.
        Oakley1 = 1,
        /// OAKLEY 2, 1024-bit MODP.
        Oakley2 = 2,
    }
}

impl DhGroup {
    /// Length of a DH value of this group in bytes.
    pub fn value_len(self) -> usize {
        match self {
            DhGroup::Oakley5 => 192,
            DhGroup::Oakley1 => 96,
            DhGroup::Oakley2 => 128,
        }
    }
}

code_enum! {
    /// Certificate hash function (RFC 3830 Table 6.8, RFC 6043 §6.11).
    HashFunction {
        /// SHA-1, 160 bits.
        Sha1 = 0,
        /// MD5, 128 bits.
        Md5 = 1,
        /// SHA-256, 256 bits (RFC 6043).
        Sha256 = 2,
    }
}

impl HashFunction {
    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            HashFunction::Sha1 => 20,
            HashFunction::Md5 => 16,
            HashFunction::Sha256 => 32,
        }
    }
}

/// Signature "S type" values (RFC 3830 Table 6.5, RFC 6509 §4.3).
pub mod signature_type {
    /// RSA PKCS#1 v1.5.
    pub const RSA_PKCS1_V15: u8 = 0;
    /// RSASSA-PSS.
    pub const RSA_PSS: u8 = 1;
    /// ECCSI (RFC 6507, RFC 6509).
    pub const ECCSI: u8 = 2;
}

/// ID type values (RFC 3830 Table 6.7.a, RFC 6043 §6.6).
pub mod id_type {
    /// Network access identifier.
    pub const NAI: u8 = 0;
    /// URI.
    pub const URI: u8 = 1;
    /// Byte string (RFC 6043).
    pub const BYTE_STRING: u8 = 2;
}

/// IDR ID role values (RFC 6043 Table 6.6, RFC 6509 §4.4, TS 33.180 E.7).
pub mod id_role {
    /// The initiator (IDRi).
    pub const INITIATOR: u8 = 1;
    /// The responder (IDRr).
    pub const RESPONDER: u8 = 2;
    /// The KMS (IDRkms, RFC 6043).
    pub const KMS: u8 = 3;
    /// A pre-shared key (IDRpsk, RFC 6043).
    pub const PSK: u8 = 4;
    /// An application (IDRapp, RFC 6043).
    pub const APPLICATION: u8 = 5;
    /// The initiator's KMS (IDRkmsi, RFC 6509).
    pub const INITIATOR_KMS: u8 = 6;
    /// The responder's KMS (IDRkmsr, RFC 6509).
    pub const RESPONDER_KMS: u8 = 7;
    /// The initiator's hashed identity, its UID (IDRuidi, TS 33.180 E.7).
    pub const INITIATOR_UID: u8 = 8;
    /// The responder's hashed identity, its UID (IDRuidr, TS 33.180 E.7).
    pub const RESPONDER_UID: u8 = 9;
}

/// RANDR "RAND Role" values (RFC 6043 §6.8 Table 6.13).
pub mod rand_role {
    /// Generated by the Initiator (RANDRi).
    pub const INITIATOR: u8 = 1;
    /// Generated by the Responder (RANDRr).
    pub const RESPONDER: u8 = 2;
    /// Generated by the KMS (RANDRkms).
    pub const KMS: u8 = 3;
}

/// TP and TICKET "Ticket Type" values (RFC 6043 §6.10 Table 6.15, §14).
pub mod ticket_type {
    use std::ops::RangeInclusive;

    /// The MIKEY base ticket (Appendix A), with subtype and version [`BASE_TICKET_SUBTYPE`] and
    /// [`BASE_TICKET_VERSION`].
    pub const MIKEY_BASE_TICKET: u16 = 1;
    /// The 3GPP base ticket, used and specified by 3GPP.
    pub const THREE_GPP_BASE_TICKET: u16 = 2;
    /// Ticket types reserved for private use.
    pub const PRIVATE_USE: RangeInclusive<u16> = 61_440..=65_534;
    /// The subtype of the MIKEY base ticket of RFC 6043 (§6.10).
    pub const BASE_TICKET_SUBTYPE: u8 = 1;
    /// The version of the MIKEY base ticket of RFC 6043 (§6.10).
    pub const BASE_TICKET_VERSION: u8 = 1;
}

/// SAKKE params values (RFC 6509 §4.2, §7).
pub mod sakke_params {
    /// Parameter Set 1 (RFC 6509 Appendix A).
    pub const PARAMETER_SET_1: u8 = 1;
}

/// SAKKE ID scheme values (RFC 6509 §4.2, TS 33.180 E.2).
pub mod id_scheme {
    /// tel URI with a monthly key period (RFC 6509 §3.2).
    pub const TEL_URI_MONTHLY: u8 = 1;
    /// 3GPP MCX hashed UID (TS 33.180 F.2.1).
    pub const HASHED_UID: u8 = 2;
}

/// Certificate type values (RFC 3830 Table 6.7.b).
pub mod cert_type {
    /// X.509v3, DER.
    pub const X509V3: u8 = 0;
    /// URL of an X.509v3 certificate.
    pub const X509V3_URL: u8 = 1;
    /// X.509v3 for signatures only.
    pub const X509V3_SIGN: u8 = 2;
    /// X.509v3 for encryption only.
    pub const X509V3_ENCR: u8 = 3;
}

/// SP payload "Prot type" values (RFC 3830 Table 6.10 and its extensions).
pub mod protocol_type {
    /// SRTP.
    pub const SRTP: u8 = 0;
}

/// SRTP policy parameter types (RFC 3830 Table 6.10.1.a, RFC 4771 §4, RFC 7714 §14.3).
pub mod srtp_param {
    /// Encryption algorithm (see [`super::srtp_encryption`]).
    pub const ENCRYPTION_ALGORITHM: u8 = 0;
    /// Session encryption key length, which is also the master key length.
    pub const SESSION_ENCRYPTION_KEY_LEN: u8 = 1;
    /// Authentication algorithm (see [`super::srtp_auth`]).
    pub const AUTH_ALGORITHM: u8 = 2;
    /// Session authentication key length.
    pub const SESSION_AUTH_KEY_LEN: u8 = 3;
    /// Session salt key length.
    pub const SESSION_SALT_KEY_LEN: u8 = 4;
    /// SRTP pseudo-random function.
    pub const SRTP_PRF: u8 = 5;
    /// Key derivation rate.
    pub const KEY_DERIVATION_RATE: u8 = 6;
    /// SRTP encryption off (0) / on (1).
    pub const SRTP_ENCRYPTION: u8 = 7;
    /// SRTCP encryption off (0) / on (1).
    pub const SRTCP_ENCRYPTION: u8 = 8;
    /// Sender's FEC order.
    pub const FEC_ORDER: u8 = 9;
    /// SRTP authentication off (0) / on (1).
    pub const SRTP_AUTHENTICATION: u8 = 10;
    /// Authentication tag length in bytes.
    pub const AUTH_TAG_LEN: u8 = 11;
    /// SRTP prefix length.
    pub const SRTP_PREFIX_LEN: u8 = 12;
    /// ROC transmission rate (RFC 4771).
    pub const ROC_TRANSMISSION_RATE: u8 = 13;
    /// SRTP authentication algorithm (RFC 4771).
    pub const SRTP_AUTH_ALGORITHM: u8 = 14;
    /// SRTCP authentication algorithm (RFC 4771).
    pub const SRTCP_AUTH_ALGORITHM: u8 = 15;
    /// SRTP session authentication key length (RFC 4771).
    pub const SRTP_SESSION_AUTH_KEY_LEN: u8 = 16;
    /// SRTCP session authentication key length (RFC 4771).
    pub const SRTCP_SESSION_AUTH_KEY_LEN: u8 = 17;
    /// SRTP authentication tag length (RFC 4771).
    pub const SRTP_AUTH_TAG_LEN: u8 = 18;
    /// SRTCP authentication tag length (RFC 4771).
    pub const SRTCP_AUTH_TAG_LEN: u8 = 19;
    /// AEAD authentication tag length (RFC 7714).
    pub const AEAD_AUTH_TAG_LEN: u8 = 20;
}

/// SRTP encryption algorithm values (RFC 3830 Table 6.10.1.b, RFC 5748, RFC 7714, RFC 8269).
pub mod srtp_encryption {
    /// No encryption.
    pub const NULL: u8 = 0;
    /// AES counter mode (AES-128 or, with a 32-byte key, AES-256 per RFC 6188).
    pub const AES_CM: u8 = 1;
    /// AES f8 mode.
    pub const AES_F8: u8 = 2;
    /// SEED counter mode (RFC 5748).
    pub const SEED_CTR: u8 = 3;
    /// SEED CCM (RFC 5748).
    pub const SEED_CCM: u8 = 4;
    /// SEED GCM (RFC 5748).
    pub const SEED_GCM: u8 = 5;
    /// AES-GCM (RFC 7714).
    pub const AES_GCM: u8 = 6;
    /// ARIA counter mode (RFC 8269).
    pub const ARIA_CTR: u8 = 7;
    /// ARIA GCM (RFC 8269).
    pub const ARIA_GCM: u8 = 8;
}

/// SRTP authentication algorithm values (RFC 3830 Table 6.10.1.c, RFC 4771 Table 1).
pub mod srtp_auth {
    /// No authentication.
    pub const NULL: u8 = 0;
    /// HMAC-SHA-1.
    pub const HMAC_SHA1: u8 = 1;
    /// RCCm1 (RFC 4771).
    pub const RCCM1: u8 = 2;
    /// RCCm2 (RFC 4771).
    pub const RCCM2: u8 = 3;
    /// RCCm3 (RFC 4771).
    pub const RCCM3: u8 = 4;
}

/// Envelope key cache indicator of the PKE payload (RFC 3830 Table 6.3).
pub mod envelope_cache {
    /// The envelope key MUST NOT be cached.
    pub const NO_CACHE: u8 = 0;
    /// The envelope key MUST be cached.
    pub const CACHE: u8 = 1;
    /// The envelope key MUST be cached, for this CSB only.
    pub const CACHE_FOR_CSB: u8 = 2;
}

/// General extension types (RFC 3830 Table 6.15, RFC 4563, RFC 4738, RFC 5410).
pub mod extension_type {
    /// Vendor-specific byte string.
    pub const VENDOR_ID: u8 = 0;
    /// List of SDP key management IDs (RFC 4567).
    pub const SDP_IDS: u8 = 1;
    /// Key ID information (RFC 4563 §4).
    pub const KEY_ID: u8 = 3;
    /// The responder's new CSB ID in RSA-R group mode (RFC 4738 §3.9.3).
    pub const CSB_ID: u8 = 4;
    /// OMA BCAST (RFC 5410).
    pub const OMA_BCAST: u8 = 5;
    /// SAKKE-to-self: the key encapsulated to the initiator too (TS 33.180 E.5).
    pub const SAKKE_TO_SELF: u8 = 6;
    /// 3GPP key parameters (TS 33.180 E.6).
    pub const KEY_PARAMETERS_3GPP: u8 = 7;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_none() {
        for code in 0..=255u8 {
            if let Some(payload) = PayloadType::from_code(code) {
                assert_eq!(payload.code(), code);
            }
            if let Some(data_type) = DataType::from_code(code) {
                assert_eq!(data_type.code(), code);
            }
        }
        assert_eq!(PayloadType::from_code(18), None);
        assert_eq!(DataType::from_code(27), None);
        assert_eq!(PayloadType::from_code(26), Some(PayloadType::Sakke));
    }

    #[test]
    fn implicit_lengths_match_the_rfc_tables() {
        assert_eq!(DhGroup::Oakley5.value_len() * 8, 1536);
        assert_eq!(DhGroup::Oakley1.value_len() * 8, 768);
        assert_eq!(DhGroup::Oakley2.value_len() * 8, 1024);
        assert_eq!(MacAlgorithmCode::HmacSha1_160.tag_len() * 8, 160);
        assert_eq!(TimestampType::Counter.value_len(), 4);
        assert_eq!(TimestampType::NtpUtc32.value_len() * 8, 32);
        assert_eq!(HashFunction::Sha1.digest_len() * 8, 160);
    }
}
