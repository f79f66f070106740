//! What an endpoint knows: its method, credentials, identities, SRTP offer, replay window and
//! interop switches. Sessions keep the settings as they were when made (shared, copied on write);
//! the replay cache stays shared by every session of one config.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::crypto::rsa::{RsaPrivateKey, SignatureScheme};
use crate::crypto::x509::{Certificate, TrustStore};
use crate::crypto::PrfFunction;
use crate::crypto::{RandomSource, SystemRandomSource};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::mcptt::{IdentifierForm, KmsCommunity, UserKeySet};
use crate::method::ticket::TicketProtectionKey;
pub use crate::method::Method;
use crate::replay::ReplayCache;
use crate::secret::SecretBytes;
use crate::srtp::{SrtpPolicy, SrtpProfile, MAX_MKI_LEN};
use crate::wire::{DhGroup, Payload};

/// Interop switches for real devices (a bitwise OR; 0 = strict RFC plus the unambiguous
/// defaults the README lists). Values are fixed by the C API's `MIKEY_INTEROP_*`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InteropFlags(pub u32);

impl InteropFlags {
    /// Write the SRTP tag length into the SP "session auth key length" parameter, as GStreamer
    /// reads it (GStreamer ≤ 1.22 ignores the tag length parameter).
    pub const GSTREAMER_SP_LAYOUT: u32 = 1 << 0;
    /// Accept one trailing padding byte after the last payload (seen from Milestone XProtect).
    pub const TRAILING_PADDING_BYTE: u32 = 1 << 1;
    /// Always use, and require, a 4-byte MKI (Axis cameras).
    pub const MANDATORY_MKI_4: u32 = 1 << 2;
    /// Send the SRTP master key and salt concatenated as one TEK, as GStreamer sends and expects
    /// (only with a TEK, i.e. the NULL method).
    pub const TEK_WITH_CONCATENATED_SALT: u32 = 1 << 3;
    /// Responder: accept SSRC 0 placeholders (RFC 3830 §6.1.1) that none of our own streams
    /// fills in, for peers that leave them open; they are exported as unknown SSRCs
    /// ([`crate::SsrcType`]). Also allows SSRC 0 in an RSA-R group's streams.
    pub const SSRC_ZERO: u32 = 1 << 4;
    /// Accept signatures over SHA-1, and sign with SHA-1 unless a signature scheme is set, as
    /// minisip and other older RFC 3830 peers do (§4.2.6 names SHA-1); SHA-256 otherwise.
    pub const MINISIP_SHA1_SIGNATURES: u32 = 1 << 5;
    /// Derive every key (TEK and salt, the KEMAC and MAC keys) with minisip's MIKEY-1, which
    /// departs from RFC 3830 §4.1.2 for inkeys of a multiple of 32 bytes (its 192-byte TGKs, a
    /// 32-byte PSK): [`crate::crypto::PrfFunction::MinisipHmacSha1`]. Both roles.
    pub const MINISIP_PRF: u32 = 1 << 6;
    /// DH-HMAC responder: accept an I_MESSAGE without IDr, as minisip sends it (RFC 4650 §3
    /// requires IDr); we know who we are, and answer with our configured identity.
    pub const MINISIP_DH_HMAC_WITHOUT_IDR: u32 = 1 << 7;
    /// R_MESSAGEs as minisip's libmikey makes and checks them, both roles: the V MAC covers the
    /// R_MESSAGE and the initiator's T but no identities (RFC 3830 §5.2 adds IDi and IDr); a DH
    /// or DH-HMAC R_MESSAGE may lack IDi (§3.3, RFC 4650 §3 require it); an RSA-R answer may
    /// carry its own T, which its KEMAC IV uses, and a RAND, which is ignored, and SIGNr covers
    /// the R_MESSAGE, IDr and the R_MESSAGE's T (RFC 4738 §3.6: IDi, IDr and the initiator's T).
    pub const MINISIP_RESPONSES: u32 = 1 << 8;
    /// PK and RSA-R envelope keys of 112 bytes, as minisip makes them, sent and expected (RFC
    /// 3830 §3.2 leaves the length open; 16 bytes otherwise). A recipient expects one length, so
    /// the envelope reveals nothing about its contents.
    pub const MINISIP_ENVELOPE_KEY: u32 = 1 << 9;
    /// MIKEY-SAKKE responder: when the ECCSI signature does not verify over the message with
    /// its SIGN header (RFC 3830 §5.2), try it without the 2-octet header, as older Alea and
    /// Softil senders sign. We always sign with the header.
    pub const SAKKE_SIGNATURE_WITHOUT_HEADER: u32 = 1 << 10;
    /// MIKEY-SAKKE, both roles: ECCSI and SAKKE identify a user by the UID's 64 lowercase hex
    /// characters instead of its 32 octets, as the Airbus KMS issues keys (Streamwide's
    /// `MODE_AIRBUS`). Set it before adding user key sets: they are validated under it.
    pub const SAKKE_UID_AS_HEX_TEXT: u32 = 1 << 11;
    /// MIKEY-SAKKE responder: accept the 3GPP key parameters (General Extension type 7) in the
    /// clear form of senders before Rel-15, which nothing authenticates but the signature.
    pub const SAKKE_LEGACY_KEY_PARAMETERS: u32 = 1 << 12;
    /// MIKEY-SAKKE responder: accept key parameters with status 0, as Alea sends them (bit 0
    /// set means "not revoked", TS 33.180 E.6.9; a revoked key is refused otherwise).
    pub const SAKKE_STATUS_ZERO: u32 = 1 << 13;
    /// MIKEY-SAKKE responder: accept IDRi and IDRr (roles 1 and 2) that carry 32-octet UIDs
    /// instead of URIs, as SmartMS sends them; they are then read as IDRuidi and IDRuidr.
    pub const SAKKE_UIDS_IN_ROLES_1_2: u32 = 1 << 14;
    /// MIKEY-SAKKE, both roles, for Streamwide's sw_mikey_sakke (up to 1.3.6 at least), which
    /// hashes g^r and w without their leading zero octets (RFC 6508 §6.2.1 and §6.2.2 hash the
    /// 128-octet value): for about 1 SSV in 256 its H differs from RFC 6508's. A responder whose
    /// TEST check fails tries Streamwide's hash too (the TEST check then decides); an initiator
    /// refuses, with an error asking for another key, a key whose H Streamwide would compute
    /// differently.
    pub const SAKKE_STREAMWIDE_HASH: u32 = 1 << 15;
    /// Every flag this version knows.
    pub const ALL: u32 = (1 << 16) - 1;

    /// True when `flag` is set.
    pub fn has(self, flag: u32) -> bool {
        self.0 & flag != 0
    }
}

/// Default accepted clock skew for the T payload, in seconds (RFC 3830 §5.4 leaves it to local
/// policy). One minute tolerates cameras and phones with loosely kept clocks.
pub const DEFAULT_REPLAY_WINDOW_SECS: u32 = 60;

/// Default accepted skew of a timestamp ahead of our clock, in seconds. Separate from the window
/// (which bounds how old a message may be): a message dated ahead stays in the replay cache
/// longer, and a flood of them would lift the cache's floor past "now"; a few seconds bound
/// that, and clocks kept by NTP are much closer.
pub const DEFAULT_MAX_FUTURE_SKEW_SECS: u32 = 5;

/// Length of the RANDs we make (RFC 3830 §6.11: at least 16 bytes).
pub(crate) const RAND_LEN: usize = 16;

/// The MKI length the mandatory-MKI interop switch imposes (Axis cameras).
pub(crate) const MANDATORY_MKI_LEN: u8 = 4;

/// A session's copy of the configuration.
#[derive(Clone)]
pub struct Settings {
    /// The key-management method.
    pub method: Method,
    /// The pre-shared key (PSK method).
    pub psk: Option<SecretBytes>,
    /// Our identity, sent as IDi (initiator) or IDr (responder), URI type.
    pub own_id: Option<String>,
    /// The peer's identity: sent as IDr by an initiator; when set, a responder requires IDi to match.
    pub peer_id: Option<String>,
    /// What an initiator offers.
    pub srtp_policy: SrtpPolicy,
    /// The SRTP profiles a peer's policy may name (the local policy minimum).
    pub accepted_profiles: Vec<SrtpProfile>,
    /// Whether a peer's policy may turn SRTP or SRTCP encryption, or SRTP authentication, off.
    pub allow_unprotected_srtp: bool,
    /// How old a timestamp may be, seconds (the replay window, §5.4).
    pub replay_window_secs: u32,
    /// How far ahead of our clock a timestamp may be, seconds.
    pub max_future_skew_secs: u32,
    /// Interop switches.
    pub interop: InteropFlags,
    /// Whether a message authenticated by a shared key must carry the configured peer identity.
    pub require_peer_id: bool,
    /// Whether an initiator asks for a verification message (V flag).
    pub request_verification: bool,
    /// The DH group an initiator of a DH method uses (RFC 3830 Table 6.4; OAKLEY 5 is mandatory).
    pub dh_group: DhGroup,
    /// The weakest DH group accepted, offered or answered (OAKLEY 5 by default).
    pub min_dh_group: DhGroup,
    /// Public-key methods: our certificate chain, end entity first (RFC 3830 §6.7).
    pub certificate_chain: Vec<Certificate>,
    /// Public-key methods: the private key of our end-entity certificate.
    pub private_key: Option<Arc<RsaPrivateKey>>,
    /// Public-key methods: the anchors peer chains must lead to.
    pub trust_anchors: TrustStore,
    /// Public-key methods: a peer certificate accepted as it is (pinned, e.g. self-signed), and
    /// used when the peer sends none (RFC 3830 §3.2: the responder's certificate known in advance).
    pub peer_certificate: Option<Certificate>,
    /// PK initiator: ask the responder to cache the envelope key for the CSB (PKE C = 2), so
    /// updates are PSK messages under it (RFC 3830 §3.2, §4.5).
    pub cache_envelope_key: bool,
    /// DH-SIGN and RSA-R initiators: accept an answer signed by any certificate under the trust
    /// anchors, without a configured peer identity (SIP forking to unknown callees).
    pub accept_any_peer: bool,
    /// RSA-R responder: answer as the group key server of this group (RFC 4738 §3.2).
    pub rsa_r_group: Option<Arc<RsaRGroup>>,
    /// Public-key methods: how we sign, when set (see [`Settings::signing_scheme`]).
    pub signature_scheme: Option<SignatureScheme>,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// The randomness source.
    pub rng: Arc<dyn RandomSource>,
    /// MIKEY-SAKKE: the KMS communities whose users we talk to.
    pub kms_communities: Vec<KmsCommunity>,
    /// MIKEY-SAKKE: our keys, one set per KMS and key period.
    pub user_key_sets: Vec<Arc<UserKeySet>>,
    /// MIKEY-SAKKE responder: how many key periods a message's T may be away from the key
    /// period its keys belong to (0 or 1; TS 33.180 F.2.1 UIDs change with the period).
    pub key_period_tolerance: u8,
    /// MIKEY-SAKKE initiator: also encapsulate the key to ourselves (SAKKE-to-self, TS 33.180
    /// E.5), so that our other devices can read what we sent.
    pub sakke_to_self: bool,
    /// MIKEY-TICKET: the KMS, our TPKs and the ticket an initiator asks for.
    pub ticket: TicketSettings,
}

/// What the MIKEY-TICKET method (RFC 6043) needs besides the PSK (which it shares with the KMS)
/// and the identities (ours, and the responder an initiator addresses).
#[derive(Clone, Debug)]
pub struct TicketSettings {
    /// The KMS's identity (IDRkms).
    pub kms_id: Option<Vec<u8>>,
    /// The TPKs we hold. An initiator holding one makes its tickets itself (modes 3 and 4 of
    /// §4.1.1); a responder opens the tickets sealed under any of them without the KMS (modes
    /// 2 and 4).
    pub tpks: Vec<TicketProtectionKey>,
    /// Initiator: ask for key forking (§5.1.1, the I flag).
    pub key_forking: bool,
    /// Initiator: how long a ticket should be valid, in seconds.
    pub lifetime_secs: u32,
    /// Initiator: the responders the ticket also authorises besides the one we address (the
    /// other ends a forked call may reach, RFC 6043 §5.1.1).
    pub other_responders: Vec<Vec<u8>>,
}

/// The validity an initiator asks its tickets for by default: an hour.
pub const DEFAULT_TICKET_LIFETIME_SECS: u32 = 3600;

impl Default for TicketSettings {
    fn default() -> Self {
        TicketSettings {
            kms_id: None,
            tpks: Vec::new(),
            key_forking: false,
            lifetime_secs: DEFAULT_TICKET_LIFETIME_SECS,
            other_responders: Vec::new(),
        }
    }
}

impl Settings {
    /// The PRF a header's PRF func names (RFC 3830 §6.1, RFC 6043 §6.1): MIKEY-1 (0), as
    /// minisip computes it under its switch, or PRF-HMAC-SHA-256 (1).
    pub(crate) fn prf_named(&self, prf_function: u8) -> Result<PrfFunction> {
        match PrfFunction::from_code(prf_function) {
            Some(PrfFunction::MikeyHmacSha1) if self.interop.has(InteropFlags::MINISIP_PRF) => {
                Ok(PrfFunction::MinisipHmacSha1)
            }
            Some(prf) => Ok(prf),
            None => {
                Err(Error::unsupported(format!("PRF func {prf_function}")).with_peer_code(MikeyErrorCode::InvalidPrf))
            }
        }
    }

    /// The PRF of the messages we start: MIKEY-1 (PRF func 0).
    pub(crate) fn our_prf(&self) -> PrfFunction {
        self.prf_named(0).unwrap_or(PrfFunction::MikeyHmacSha1)
    }

    /// The SRTP policy we offer (or, as an RSA-R responder, choose): the configured one, with
    /// the MKI length the mandatory-MKI switch imposes.
    pub(crate) fn offered_policy(&self) -> SrtpPolicy {
        let mut policy = self.srtp_policy;
        if self.interop.has(InteropFlags::MANDATORY_MKI_4) {
            policy.mki_len = MANDATORY_MKI_LEN;
        }
        policy
    }

    /// The SP payload numbered `policy_no` that describes `policy`, in the layout the interop
    /// switches ask for.
    pub(crate) fn policy_payload(&self, policy_no: u8, policy: &SrtpPolicy) -> Result<Payload<'static>> {
        let gstreamer_layout = self.interop.has(InteropFlags::GSTREAMER_SP_LAYOUT);
        Ok(Payload::SecurityPolicy(policy.to_security_policy(policy_no, gstreamer_layout)?))
    }

    /// The pre-shared key (PSK, DH-HMAC).
    pub(crate) fn psk(&self) -> Result<&SecretBytes> {
        self.psk.as_ref().ok_or_else(|| Error::invalid_argument("no PSK configured"))
    }

    /// Checks a peer's SRTP policy against the local minimum (`accepted_profiles`,
    /// `allow_unprotected_srtp`); a refusal answers with what we support (error no 10).
    pub(crate) fn check_peer_policy(&self, policy: &SrtpPolicy) -> Result<()> {
        let refusal = |what: String| {
            Err(Error::new(ErrorKind::Policy, what).with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter))
        };
        if !self.accepted_profiles.contains(&policy.profile) {
            return refusal(format!("the SRTP profile {:?} is not accepted here", policy.profile));
        }
        if policy.is_unprotected() && !self.allow_unprotected_srtp {
            return refusal("SRTP with encryption or authentication off is not accepted here".to_owned());
        }
        Ok(())
    }

    /// Checks that `group` is at least as strong as the configured minimum.
    pub(crate) fn check_dh_group(&self, group: DhGroup) -> Result<()> {
        if group.value_len() < self.min_dh_group.value_len() {
            return Err(Error::new(
                ErrorKind::Policy,
                format!("DH group {group:?} is weaker than the minimum {:?}", self.min_dh_group),
            )
            .with_peer_code(MikeyErrorCode::InvalidDh));
        }
        Ok(())
    }

    /// How we sign: the scheme set, else PKCS#1 v1.5 with SHA-256, or with SHA-1 for minisip
    /// and older peers (`InteropFlags::MINISIP_SHA1_SIGNATURES`).
    pub fn signing_scheme(&self) -> SignatureScheme {
        self.signature_scheme.unwrap_or(if self.interop.has(InteropFlags::MINISIP_SHA1_SIGNATURES) {
            SignatureScheme::PKCS1V15_SHA1
        } else {
            SignatureScheme::PKCS1V15_SHA256
        })
    }

    /// MIKEY-SAKKE: the community of the KMS `kms_uri`.
    pub(crate) fn kms_community(&self, kms_uri: &[u8]) -> Result<&KmsCommunity> {
        self.kms_communities.iter().find(|community| community.kms_uri().as_bytes() == kms_uri).ok_or_else(|| {
            Error::new(
                ErrorKind::AuthFailed,
                format!("no KMS community {:?} is configured", String::from_utf8_lossy(kms_uri)),
            )
            .with_peer_code(MikeyErrorCode::InvalidId)
        })
    }

    /// MIKEY-SAKKE: how ECCSI and SAKKE identify a user here.
    pub(crate) fn identifier_form(&self) -> IdentifierForm {
        match self.interop.has(InteropFlags::SAKKE_UID_AS_HEX_TEXT) {
            true => IdentifierForm::UidHexText,
            false => IdentifierForm::Uid,
        }
    }

    /// Our private key (public-key methods).
    pub(crate) fn private_key(&self) -> Result<&RsaPrivateKey> {
        self.private_key.as_deref().ok_or_else(|| Error::invalid_argument("no private key configured"))
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("method", &self.method)
            .field("psk", &self.psk)
            .field("own_id", &self.own_id)
            .field("peer_id", &self.peer_id)
            .field("srtp_policy", &self.srtp_policy)
            .field("accepted_profiles", &self.accepted_profiles)
            .field("allow_unprotected_srtp", &self.allow_unprotected_srtp)
            .field("replay_window_secs", &self.replay_window_secs)
            .field("max_future_skew_secs", &self.max_future_skew_secs)
            .field("interop", &self.interop)
            .field("request_verification", &self.request_verification)
            .field("require_peer_id", &self.require_peer_id)
            .field("dh_group", &self.dh_group)
            .field("min_dh_group", &self.min_dh_group)
            .field("certificate_chain", &self.certificate_chain.len())
            .field("private_key", &self.private_key.is_some())
            .field("trust_anchors", &self.trust_anchors)
            .field("peer_certificate", &self.peer_certificate.is_some())
            .field("signature_scheme", &self.signature_scheme)
            .field("accept_any_peer", &self.accept_any_peer)
            .field("rsa_r_group", &self.rsa_r_group.as_ref().map(|group| group.csb_id))
            .field("kms_communities", &self.kms_communities)
            .field("user_key_sets", &self.user_key_sets)
            .field("key_period_tolerance", &self.key_period_tolerance)
            .field("sakke_to_self", &self.sakke_to_self)
            .field("ticket", &self.ticket)
            .finish_non_exhaustive()
    }
}

/// The CSB an RSA-R group key server gives every member (RFC 4738 §3.2, §3.6): its CSB ID (sent
/// in the CSB_ID general extension), the sender's streams, one TGK and one RAND, and the policy.
pub struct RsaRGroup {
    /// The group's CSB ID.
    pub csb_id: u32,
    /// The group sender's streams (SSRC, ROC), in CS ID order.
    pub streams: Vec<(u32, u32)>,
    /// The group's SRTP policy (its MKI length included).
    pub policy: SrtpPolicy,
    /// The group TGK.
    pub tgk: SecretBytes,
    /// The group RAND.
    pub rand: Vec<u8>,
}

impl fmt::Debug for RsaRGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaRGroup")
            .field("csb_id", &self.csb_id)
            .field("streams", &self.streams)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// An endpoint configuration: settings plus the replay cache its sessions share.
///
/// Configure it fully, then create sessions: the first session freezes it, and its setters then
/// fail with `ErrorKind::State`. So every session of a config has the same settings and the
/// same replay cache (a new replay window would install a new cache, and sessions made before
/// and after would miss each other's replays), and, through the C API, no setter can race a
/// session being created. A clone is a new, unfrozen config that shares the replay cache.
#[derive(Debug)]
pub struct Config {
    /// Shared with the sessions made from it.
    pub(crate) settings: Arc<Settings>,
    pub(crate) replay_cache: Arc<ReplayCache>,
    /// Set by the first session made from this config.
    frozen: AtomicBool,
}

impl Clone for Config {
    fn clone(&self) -> Self {
        Config {
            settings: self.settings.clone(),
            replay_cache: self.replay_cache.clone(),
            frozen: AtomicBool::new(false),
        }
    }
}

impl Config {
    /// A configuration for `method` with the system clock and aws-lc-rs randomness.
    pub fn new(method: Method) -> Result<Self> {
        Self::with_sources(method, Arc::new(SystemClock), Arc::new(SystemRandomSource))
    }

    /// A configuration with an explicit clock and randomness source (deterministic tests).
    pub fn with_sources(method: Method, clock: Arc<dyn Clock>, rng: Arc<dyn RandomSource>) -> Result<Self> {
        if !method.is_implemented() {
            return Err(Error::unsupported(format!("method {method:?} is not implemented yet")));
        }
        let replay_cache = Arc::new(ReplayCache::new(ReplayCache::capacity_for_window(DEFAULT_REPLAY_WINDOW_SECS))?);
        Ok(Config {
            settings: Arc::new(Settings {
                method,
                psk: None,
                own_id: None,
                peer_id: None,
                srtp_policy: SrtpPolicy::default(),
                accepted_profiles: SrtpProfile::ALL.into_iter().filter(|profile| profile.encrypts()).collect(),
                allow_unprotected_srtp: false,
                replay_window_secs: DEFAULT_REPLAY_WINDOW_SECS,
                max_future_skew_secs: DEFAULT_MAX_FUTURE_SKEW_SECS,
                interop: InteropFlags::default(),
                request_verification: false,
                require_peer_id: false,
                dh_group: DhGroup::Oakley5,
                min_dh_group: DhGroup::Oakley5,
                certificate_chain: Vec::new(),
                private_key: None,
                trust_anchors: TrustStore::new(),
                peer_certificate: None,
                cache_envelope_key: false,
                accept_any_peer: false,
                rsa_r_group: None,
                signature_scheme: None,
                clock,
                rng,
                kms_communities: Vec::new(),
                user_key_sets: Vec::new(),
                key_period_tolerance: 0,
                sakke_to_self: false,
                ticket: TicketSettings::default(),
            }),
            replay_cache,
            frozen: AtomicBool::new(false),
        })
    }

    /// Freezes the config: its first session is being made.
    pub(crate) fn freeze(&self) {
        self.frozen.store(true, Ordering::Release);
    }

    /// The settings sessions will copy.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The settings for a change, unless a session was made from the config.
    fn settings_mut(&mut self) -> Result<&mut Settings> {
        self.check_configurable()?;
        Ok(Arc::make_mut(&mut self.settings))
    }

    /// Refuses a change once a session was made from the config.
    pub(crate) fn check_configurable(&self) -> Result<()> {
        if self.frozen.load(Ordering::Acquire) {
            return Err(Error::new(
                ErrorKind::State,
                "the config has sessions: configure it before creating the first one (or use a clone)",
            ));
        }
        Ok(())
    }

    /// Sets the pre-shared key (PSK and DH-HMAC methods; at least 16 bytes, RFC 3830 §9.2 asks
    /// for a key at least as strong as the protected keys).
    pub fn set_psk(&mut self, psk: &[u8]) -> Result<()> {
        if !self.settings.method.uses_psk() {
            return Err(Error::invalid_argument("a PSK is only used by the PSK, DH-HMAC and TICKET methods"));
        }
        if psk.len() < 16 {
            return Err(Error::invalid_argument("a PSK must be at least 16 bytes"));
        }
        self.settings_mut()?.psk = Some(SecretBytes::from_slice(psk));
        Ok(())
    }

    /// Sets our identity and the peer's (URIs such as `sip:alice@example.com`); `None` clears.
    pub fn set_identities(&mut self, own_id: Option<&str>, peer_id: Option<&str>) -> Result<()> {
        for id in [own_id, peer_id].into_iter().flatten() {
            if id.is_empty() || id.len() > usize::from(u16::MAX) {
                return Err(Error::invalid_argument("an identity must be 1 to 65535 bytes"));
            }
        }
        self.settings_mut()?.own_id = own_id.map(str::to_owned);
        self.settings_mut()?.peer_id = peer_id.map(str::to_owned);
        Ok(())
    }

    /// Sets the SRTP policy an initiator offers.
    pub fn set_srtp_policy(&mut self, policy: SrtpPolicy) -> Result<()> {
        if policy.mki_len > MAX_MKI_LEN {
            return Err(Error::invalid_argument(format!("MKI length is at most {MAX_MKI_LEN}")));
        }
        self.settings_mut()?.srtp_policy = policy;
        Ok(())
    }

    /// Sets the SRTP profiles a peer's policy may name (the local policy minimum; by default
    /// every profile that [encrypts](SrtpProfile::encrypts)). Add the NULL-cipher ones only
    /// where media need not be confidential.
    pub fn set_accepted_profiles(&mut self, profiles: &[SrtpProfile]) -> Result<()> {
        if profiles.is_empty() {
            return Err(Error::invalid_argument("accept at least one SRTP profile"));
        }
        self.settings_mut()?.accepted_profiles = profiles.to_vec();
        Ok(())
    }

    /// Whether a peer's policy may turn SRTP or SRTCP encryption, or SRTP authentication, off
    /// (RFC 3830 §6.10.1; refused by default).
    pub fn set_allow_unprotected_srtp(&mut self, allow: bool) -> Result<()> {
        self.settings_mut()?.allow_unprotected_srtp = allow;
        Ok(())
    }

    /// Sets the accepted clock skew (1 s to 24 h) and sizes a new replay cache for it.
    pub fn set_replay_window(&mut self, seconds: u32) -> Result<()> {
        if !(1..=86_400).contains(&seconds) {
            return Err(Error::invalid_argument("the replay window is 1 to 86400 seconds"));
        }
        let replay_cache = ReplayCache::new(ReplayCache::capacity_for_window(seconds))?;
        self.settings_mut()?.replay_window_secs = seconds;
        self.replay_cache = Arc::new(replay_cache);
        Ok(())
    }

    /// Sets how far ahead of our clock a timestamp may be (0 s to 1 h; 5 s by default). Raise it
    /// for peers whose clocks run ahead; each second lets a flood of future-dated messages
    /// refuse genuine ones a second longer.
    pub fn set_max_future_skew(&mut self, seconds: u32) -> Result<()> {
        if seconds > 3_600 {
            return Err(Error::invalid_argument("the future skew is 0 to 3600 seconds"));
        }
        self.settings_mut()?.max_future_skew_secs = seconds;
        Ok(())
    }

    /// Sets the interop switches (`InteropFlags::*`).
    pub fn set_interop(&mut self, flags: u32) -> Result<()> {
        if flags & !InteropFlags::ALL != 0 {
            return Err(Error::invalid_argument(format!("unknown interop flags {:#x}", flags & !InteropFlags::ALL)));
        }
        self.settings_mut()?.interop = InteropFlags(flags);
        Ok(())
    }

    /// Sets the DH group an initiator of a DH method offers (responders take the initiator's).
    pub fn set_dh_group(&mut self, group: DhGroup) -> Result<()> {
        self.settings_mut()?.dh_group = group;
        Ok(())
    }

    /// Sets the weakest DH group this endpoint uses: an initiator refuses to offer a weaker one,
    /// a responder refuses a DHi in one (error no 6). OAKLEY 5 (1536-bit) by default; OAKLEY 1
    /// (768-bit) and 2 (1024-bit) are breakable and meant only for old peers.
    pub fn set_min_dh_group(&mut self, group: DhGroup) -> Result<()> {
        self.settings_mut()?.min_dh_group = group;
        Ok(())
    }

    /// Sets how we sign (PK, DH-SIGN, RSA-R): PKCS#1 v1.5 or RSA-PSS, with SHA-256 or SHA-1. By
    /// default PKCS#1 v1.5 with SHA-256 (with SHA-1 under the minisip interop flag). Received
    /// signatures are checked by their S type whatever this says, and SHA-1 ones only under that
    /// flag.
    pub fn set_signature_scheme(&mut self, scheme: SignatureScheme) -> Result<()> {
        self.settings_mut()?.signature_scheme = Some(scheme);
        Ok(())
    }

    /// Sets our certificate chain (PEM bundle or one DER certificate), end entity first.
    pub fn set_certificate_chain(&mut self, data: &[u8]) -> Result<()> {
        let chain = Certificate::from_pem_or_der(data)?;
        if chain.is_empty() {
            return Err(Error::invalid_argument("no certificate in the chain"));
        }
        chain[0].public_key()?;
        self.settings_mut()?.certificate_chain = chain;
        Ok(())
    }

    /// Sets the private key of our end-entity certificate (PKCS#8 or PKCS#1, PEM or DER).
    pub fn set_private_key(&mut self, data: &[u8]) -> Result<()> {
        self.settings_mut()?.private_key = Some(Arc::new(RsaPrivateKey::from_pem_or_der(data)?));
        Ok(())
    }

    /// Adds trust anchors (every certificate of a PEM bundle, or one DER certificate).
    pub fn add_trust_anchor(&mut self, data: &[u8]) -> Result<()> {
        self.settings_mut()?.trust_anchors.add_anchors_from(data)
    }

    /// Sets the peer's certificate, accepted as it is (pinned) and used when none is sent.
    pub fn set_peer_certificate(&mut self, data: &[u8]) -> Result<()> {
        let certificate = Certificate::from_pem_or_der(data)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::invalid_argument("no peer certificate in the data"))?;
        certificate.public_key()?;
        self.settings_mut()?.peer_certificate = Some(certificate);
        Ok(())
    }

    /// DH-SIGN and RSA-R initiators: whether to accept an answer signed by any certificate that
    /// chains to the trust anchors when no peer identity is configured (off by default: such an
    /// initiator refuses to start). Anyone holding such a certificate can then answer, and
    /// `Session::peer_identity` tells who did. Meant for SIP forking to callees not known in
    /// advance; prefer naming the peer (`set_identities`).
    pub fn set_accept_any_peer(&mut self, accept: bool) -> Result<()> {
        self.settings_mut()?.accept_any_peer = accept;
        Ok(())
    }

    /// Whether a message authenticated by a shared key (PSK, DH-HMAC, a verification message)
    /// must carry the peer's ID payload when a peer identity is configured. Without it (the
    /// default), a carried ID must match the configured one, and an absent one is accepted:
    /// the key, not the ID, authenticates the peer. The certificate methods name the peer by its
    /// certificate, which must name the configured identity either way.
    pub fn set_require_peer_id(&mut self, require: bool) -> Result<()> {
        self.settings_mut()?.require_peer_id = require;
        Ok(())
    }

    /// Whether an initiator sets the V flag to ask for a verification message.
    pub fn set_request_verification(&mut self, request: bool) -> Result<()> {
        self.settings_mut()?.request_verification = request;
        Ok(())
    }

    /// RSA-R responder: act as the key server of a group (RFC 4738 §3.2). Every member that
    /// asks gets the same CSB: `csb_id` in a CSB_ID general extension, the sender's `streams`
    /// (SSRC, ROC) as the CS ID map, and one TGK and RAND, drawn here from the config's
    /// randomness for the configured SRTP policy (set that first). Calling it again draws a new
    /// group key. A member whose SP offer is another policy is refused (error no 10).
    pub fn set_rsa_r_group(&mut self, csb_id: u32, streams: &[(u32, u32)]) -> Result<()> {
        if !self.settings.method.serves_groups() {
            return Err(Error::invalid_argument("a group key server is an RSA-R responder"));
        }
        if streams.is_empty() || streams.len() > usize::from(u8::MAX) {
            return Err(Error::invalid_argument("a group has 1 to 255 streams"));
        }
        if streams.iter().any(|&(ssrc, _)| ssrc == 0) && !self.settings.interop.has(InteropFlags::SSRC_ZERO) {
            return Err(Error::invalid_argument("SSRC 0 is a placeholder; enable the SSRC-zero interop flag"));
        }
        let policy = self.settings.offered_policy();
        let mut tgk = SecretBytes::zeroed(usize::from(policy.profile.master_key_len()));
        self.settings.rng.fill(tgk.expose_mut())?;
        let mut rand = vec![0u8; RAND_LEN];
        self.settings.rng.fill(&mut rand)?;
        let group = RsaRGroup { csb_id, streams: streams.to_vec(), policy, tgk, rand };
        self.settings_mut()?.rsa_r_group = Some(Arc::new(group));
        Ok(())
    }

    /// Replaces the clock the config's sessions read (timestamps, the replay window, key
    /// periods, certificate validity): for lab tools replaying captured traffic, and tests.
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) -> Result<()> {
        self.settings_mut()?.clock = clock;
        Ok(())
    }

    /// MIKEY-SAKKE: adds the community of a KMS (its URI, Z_T, KPAK and user key period), whose
    /// users we key or are keyed by. One community per KMS URI.
    pub fn add_kms_community(&mut self, community: KmsCommunity) -> Result<()> {
        if self.settings.kms_communities.iter().any(|known| known.kms_uri() == community.kms_uri()) {
            return Err(Error::invalid_argument(format!(
                "the KMS community {} is already configured",
                community.kms_uri()
            )));
        }
        self.settings_mut()?.kms_communities.push(community);
        Ok(())
    }

    /// MIKEY-SAKKE: adds our keys for one key period, issued by the KMS `kms_uri` (add its
    /// community first) to `user_uri`: RSK (257 octets), SSK (32) and PVT (65). Both key pairs
    /// are validated against the community's keys and the user's UID for that period (RFC 6507
    /// §5.1.2, RFC 6508 §6.1.2; about 60 ms). Every key set of a config belongs to one user.
    pub fn add_user_key_set(
        &mut self,
        kms_uri: &str,
        user_uri: &str,
        key_period_number: u64,
        keys: (&[u8], &[u8], &[u8]),
    ) -> Result<()> {
        let settings = &self.settings;
        if settings.user_key_sets.iter().any(|set| set.user_uri() != user_uri) {
            return Err(Error::invalid_argument("every key set of a config belongs to one user"));
        }
        if settings
            .user_key_sets
            .iter()
            .any(|set| set.kms_uri() == kms_uri && set.key_period_number() == key_period_number)
        {
            return Err(Error::invalid_argument(format!(
                "a key set for {kms_uri} period {key_period_number} is already configured"
            )));
        }
        let community = settings
            .kms_community(kms_uri.as_bytes())
            .map_err(|error| Error::invalid_argument(error.context().to_owned()))?;
        let key_set = UserKeySet::new(community, user_uri, key_period_number, keys, settings.identifier_form())?;
        self.settings_mut()?.user_key_sets.push(Arc::new(key_set));
        Ok(())
    }

    /// MIKEY-SAKKE responder: accept messages whose T lies up to `periods` key periods away
    /// from the period of the keys they were made with (at most one): a sender whose clock is
    /// near a period boundary, or that computes the period differently. 0 by default.
    pub fn set_key_period_tolerance(&mut self, periods: u8) -> Result<()> {
        if periods > 1 {
            return Err(Error::invalid_argument("the key period tolerance is 0 or 1 period"));
        }
        self.settings_mut()?.key_period_tolerance = periods;
        Ok(())
    }

    /// MIKEY-SAKKE initiator: whether to add a SAKKE-to-self extension (General Extension type
    /// 6, TS 33.180 E.5): the key encapsulated to our own identity too, so that our other
    /// devices holding our RSK can read the key we sent (E.3.1 recommends it for a private call
    /// that stays in one MC system). Off by default; receivers ignore it.
    pub fn set_sakke_to_self(&mut self, to_self: bool) -> Result<()> {
        self.settings_mut()?.sakke_to_self = to_self;
        Ok(())
    }

    /// MIKEY-TICKET: the KMS's identity (its IDRkms), for the Ticket Request and Resolve
    /// exchanges (RFC 6043 §4.2.1, §4.2.3); the PSK is the one we share with it.
    pub fn set_ticket_kms(&mut self, kms_id: &str) -> Result<()> {
        if kms_id.is_empty() || kms_id.len() > usize::from(u16::MAX) {
            return Err(Error::invalid_argument("an identity must be 1 to 65535 bytes"));
        }
        self.settings_mut()?.ticket.kms_id = Some(kms_id.as_bytes().to_vec());
        Ok(())
    }

    /// MIKEY-TICKET: adds a TPK we hold. An initiator seals its own tickets under the first
    /// (modes 3 and 4, RFC 6043 §4.1.1); a responder opens tickets sealed under any without
    /// asking the KMS (modes 2 and 4).
    pub fn add_ticket_protection_key(&mut self, tpk: TicketProtectionKey) -> Result<()> {
        let tpks = &mut self.settings_mut()?.ticket.tpks;
        if tpks.iter().any(|known| known.id() == tpk.id()) {
            return Err(Error::invalid_argument("a TPK with this identifier is already there"));
        }
        tpks.push(tpk);
        Ok(())
    }

    /// MIKEY-TICKET initiator: whether to ask for key forking (RFC 6043 §5.1.1), which binds the
    /// keys to the responder that resolves the ticket. Off by default.
    pub fn set_ticket_key_forking(&mut self, forking: bool) -> Result<()> {
        self.settings_mut()?.ticket.key_forking = forking;
        Ok(())
    }

    /// MIKEY-TICKET initiator: another responder the tickets we ask for authorise besides the
    /// one we address (our peer identity): an end a forked call may reach (RFC 6043 §5.1.1).
    pub fn add_ticket_responder(&mut self, responder_id: &str) -> Result<()> {
        if responder_id.is_empty() || responder_id.len() > usize::from(u16::MAX) {
            return Err(Error::invalid_argument("an identity must be 1 to 65535 bytes"));
        }
        self.settings_mut()?.ticket.other_responders.push(responder_id.as_bytes().to_vec());
        Ok(())
    }

    /// MIKEY-TICKET initiator: how long the tickets we ask for should be valid, in seconds
    /// (the KMS may grant less); an hour by default.
    pub fn set_ticket_lifetime(&mut self, seconds: u32) -> Result<()> {
        if seconds == 0 {
            return Err(Error::invalid_argument("a ticket is valid for at least one second"));
        }
        self.settings_mut()?.ticket.lifetime_secs = seconds;
        Ok(())
    }

    /// PK initiator: whether to ask the responder to cache the envelope key for the CSB (PKE
    /// C = 2, RFC 3830 Table 6.3). Both ends then keep it, and updates of the CSB are PSK
    /// messages protected by it, without public-key operations (§3.2, §4.5).
    pub fn set_envelope_key_cache(&mut self, cache: bool) -> Result<()> {
        self.settings_mut()?.cache_envelope_key = cache;
        Ok(())
    }
}
