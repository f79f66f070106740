//! The crypto session bundle (CSB, RFC 3830 §1.3): its crypto sessions (SRTP streams), their
//! SRTP policies, the keying material they share, and the SRTP keys of each (§4.1.3).
//!
//! A [`Bundle`] is only ever made whole: [`Bundle::new`] checks that every crypto session can be
//! exported, so a session never commits a CSB it could not export. Methods make bundles; the
//! session keeps one and exports from it.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use smallvec::{smallvec, SmallVec};

use crate::crypto::x509::Certificate;
use crate::crypto::{sha256, CryptoSessionKeys, PrfFunction, RandomSource, TgkDeriver, TgkKeyPurpose};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::mcptt::McpttKey;
use crate::secret::{InlineSecret, SecretBytes, SecretRef};
use crate::srtp::{SrtpKeys, SrtpPolicy, SrtpProfile, SsrcType};
use crate::wire::registry::protocol_type;
use crate::wire::{
    CommonHeader, CsIdMap, DataType, GenericCsEntry, KeyData, KeyDataType, KeyValidity, SrtpCsEntry, SrtpIdMap,
    SrtpSessionData,
};

/// SP policy number of the one policy an initiator offers.
pub(crate) const OFFERED_POLICY_NO: u8 = 0;

/// The crypto sessions of a CSB in CS ID order; a few are kept inline (no allocation).
pub(crate) type Streams = SmallVec<[Stream; 4]>;
/// The SRTP policies of a CSB by SP policy number; usually one, kept inline.
pub(crate) type Policies = SmallVec<[(u8, SrtpPolicy); 1]>;
/// A CSB's RAND (at least 16 bytes, §6.11); the usual lengths are kept inline.
pub(crate) type RandBytes = SmallVec<[u8; 32]>;

/// One crypto session: an SRTP stream of the CSB. Its CS ID is its 1-based position in an
/// SRTP-ID map (RFC 3830 §6.1.1), or the one a GENERIC-ID map (RFC 6043 §6.1.1) or a MIKEY-SAKKE
/// profile (TS 33.180 E) gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stream {
    pub(crate) cs_id: u8,
    pub(crate) ssrc: u32,
    pub(crate) roc: u32,
    pub(crate) policy_no: u8,
}

/// What the keying material of a CSB is (RFC 3830 §4.1.3, the key types of §6.13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// A TGK, from which each crypto session's TEK and salt are derived (§4.1.3).
    Tgk,
    /// A TGK and a salt, which replaces the derived one (§4.1.3: "SHALL use the salt key carried").
    TgkSalt,
    /// A TEK and salt used directly as the SRTP master key and salt of every crypto session.
    Tek,
}

/// The keying material of an established CSB, borrowed from its session
/// ([`Session::key_material`](crate::Session::key_material)): for inspectors and tests, such as
/// `mikey decode --psk`. An SRTP stack takes [`Session::export_srtp`](crate::Session::export_srtp)'s
/// keys instead. `Debug` prints no key bytes.
#[derive(Clone, Copy, Debug)]
pub struct KeyMaterialView<'a> {
    /// TGK, TGK with salt, or TEK with salt.
    pub kind: KeyKind,
    /// The TGK or TEK.
    pub key: SecretRef<'a>,
    /// The salt carried with a TGK, or the TEK's; `None` for a TGK alone.
    pub salt: Option<SecretRef<'a>>,
}

/// The keying material agreed for the CSB: the key followed by its salt (if any) in one
/// zeroized buffer.
#[derive(Clone, Debug)]
pub(crate) struct KeyMaterial {
    kind: KeyKind,
    key_and_salt: SecretBytes,
    key_len: usize,
}

impl KeyMaterial {
    /// A TGK without salt, taken as it is.
    pub(crate) fn tgk(tgk: SecretBytes) -> Self {
        KeyMaterial { kind: KeyKind::Tgk, key_len: tgk.len(), key_and_salt: tgk }
    }

    /// A fresh random TGK of `profile`'s master key length.
    pub(crate) fn random_tgk(profile: SrtpProfile, rng: &dyn RandomSource) -> Result<Self> {
        Self::random(KeyKind::Tgk, profile, 0, rng)
    }

    /// A fresh random TEK and salt, the SRTP master key and salt of `profile` themselves (the
    /// NULL method: peers such as GStreamer do not derive).
    pub(crate) fn random_tek(profile: SrtpProfile, rng: &dyn RandomSource) -> Result<Self> {
        Self::random(KeyKind::Tek, profile, usize::from(profile.master_salt_len()), rng)
    }

    fn random(kind: KeyKind, profile: SrtpProfile, salt_len: usize, rng: &dyn RandomSource) -> Result<Self> {
        let key_len = usize::from(profile.master_key_len());
        let mut key_and_salt = SecretBytes::zeroed(key_len + salt_len);
        rng.fill(key_and_salt.expose_mut())?;
        Ok(KeyMaterial { kind, key_and_salt, key_len })
    }

    /// `key` and `salt` copied into one buffer.
    pub(crate) fn joined(kind: KeyKind, key: &[u8], salt: &[u8]) -> Self {
        // Sized up front, so no reallocation leaves a copy behind.
        let mut key_and_salt = Vec::with_capacity(key.len() + salt.len());
        key_and_salt.extend_from_slice(key);
        key_and_salt.extend_from_slice(salt);
        KeyMaterial { kind, key_and_salt: SecretBytes::new(key_and_salt), key_len: key.len() }
    }

    /// The material as the public API shows it.
    pub(crate) fn view(&self) -> KeyMaterialView<'_> {
        KeyMaterialView { kind: self.kind, key: SecretRef::new(self.key()), salt: self.salt().map(SecretRef::new) }
    }

    pub(crate) fn key(&self) -> &[u8] {
        &self.key_and_salt.expose()[..self.key_len]
    }

    /// The salt: carried with a TGK, or a TEK's.
    pub(crate) fn salt(&self) -> Option<&[u8]> {
        (self.kind != KeyKind::Tgk).then(|| &self.key_and_salt.expose()[self.key_len..])
    }

    /// The Key data sub-payload that sends this material (§6.13); `concatenate_tek_salt` sends a
    /// TEK and its salt as one TEK (GStreamer, Live555, cameras).
    pub(crate) fn key_data<'k>(&'k self, validity: KeyValidity<'k>, concatenate_tek_salt: bool) -> KeyData<'k> {
        let (key_type, key, salt) = match self.kind {
            KeyKind::Tek if concatenate_tek_salt => (KeyDataType::Tek, self.key_and_salt.expose(), None),
            KeyKind::Tek => (KeyDataType::TekSalt, self.key(), self.salt()),
            KeyKind::TgkSalt => (KeyDataType::TgkSalt, self.key(), self.salt()),
            KeyKind::Tgk => (KeyDataType::Tgk, self.key(), None),
        };
        KeyData { key_type, key: SecretRef::new(key), salt: salt.map(SecretRef::new), validity }
    }

    /// The SRTP policy (among `policies`) of crypto session `cs_id` carrying `stream`, checked
    /// against this material: a carried TEK and salt must have the profile's lengths (a TGK
    /// gives any).
    fn checked_policy(&self, policies: &[(u8, SrtpPolicy)], cs_id: u8, stream: Stream) -> Result<SrtpPolicy> {
        let policy = policy_of(policies, cs_id, stream)?;
        let profile = policy.profile;
        let (key_len, salt_len) = (usize::from(profile.master_key_len()), usize::from(profile.master_salt_len()));
        let salt = self.salt();
        let key_fits = self.kind != KeyKind::Tek || self.key().len() == key_len;
        let salt_fits = salt.is_none_or(|salt| salt.len() == salt_len);
        if !key_fits || !salt_fits {
            return Err(misfit(profile, self.key().len(), salt.map_or(0, <[u8]>::len)));
        }
        Ok(policy)
    }
}

/// A CSB's RAND, its keying material and the MKI bound to that material.
pub(crate) type Keying = (RandBytes, KeyMaterial, Vec<u8>);

/// Who authenticated a CSB: what its updates are bound to, and what the application learns
/// about the peer (`Session::peer_identity`, `Session::peer_certificate`). Small to move: a
/// certificate peer's details are shared.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    pub(crate) binding: PeerBinding,
    /// The identity the peer gave and its authentication covers (empty when it gave none, and
    /// for NULL messages, which nothing authenticates).
    pub(crate) identity: Vec<u8>,
}

/// What a CSB's updates must be authenticated by. Its CSB ID and RAND travel in clear, so
/// anyone else who can authenticate a message to us (another holder of a certificate under our
/// anchors) could otherwise re-key it.
#[derive(Clone, Debug)]
pub(crate) enum PeerBinding {
    /// Anyone: NULL messages are not authenticated.
    Anyone,
    /// The holders of the pre-shared key (PSK, DH-HMAC).
    PreSharedKey,
    /// The holder of a certificate's private key (PK, DH-SIGN, RSA-R).
    Certificate(Arc<CertificateHolder>),
    /// The holder of the keys a KMS issued to one identity (MIKEY-SAKKE): the KMS URI, a zero
    /// octet, and the identifier ECCSI verified the signature under.
    IdentityKeys(Arc<[u8]>),
    /// The holder of the MPK of a MIKEY-TICKET ticket (RFC 6043): SHA-256 of the MPKi the
    /// Transfer exchange was protected with.
    TicketHolder([u8; 32]),
}

/// The holder of a certificate's private key: the key names the peer, so a renewed
/// certificate for the same key is the same peer.
#[derive(Debug)]
pub(crate) struct CertificateHolder {
    /// SHA-256 of the public key (PKCS#1 DER).
    key_hash: [u8; 32],
    pub(crate) certificate: Certificate,
}

impl PartialEq for PeerBinding {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (PeerBinding::Anyone, PeerBinding::Anyone) | (PeerBinding::PreSharedKey, PeerBinding::PreSharedKey) => true,
            (PeerBinding::Certificate(ours), PeerBinding::Certificate(theirs)) => ours.key_hash == theirs.key_hash,
            (PeerBinding::IdentityKeys(ours), PeerBinding::IdentityKeys(theirs)) => ours == theirs,
            (PeerBinding::TicketHolder(ours), PeerBinding::TicketHolder(theirs)) => ours == theirs,
            _ => false,
        }
    }
}

impl Peer {
    /// Anyone (NULL).
    pub(crate) const ANYONE: Peer = Peer { binding: PeerBinding::Anyone, identity: Vec::new() };

    /// A holder of the pre-shared key naming itself `identity`.
    pub(crate) fn pre_shared(identity: &[u8]) -> Self {
        Peer { binding: PeerBinding::PreSharedKey, identity: identity.to_vec() }
    }

    /// The holder of `certificate`'s private key, named `identity` (which the certificate names).
    pub(crate) fn holder_of(certificate: &Certificate, identity: &[u8]) -> Result<Self> {
        let key_hash = sha256(certificate.public_key()?.to_pkcs1_der());
        let holder = CertificateHolder { key_hash, certificate: certificate.clone() };
        Ok(Peer { binding: PeerBinding::Certificate(Arc::new(holder)), identity: identity.to_vec() })
    }

    /// The holder of the keys the KMS `kms_uri` issued under `identifier`, named `identity` (its
    /// URI where known, else its UID).
    pub(crate) fn identity_keys_holder(kms_uri: &str, identifier: &[u8], identity: &[u8]) -> Self {
        let binding: Vec<u8> = [kms_uri.as_bytes(), &[0], identifier].concat();
        Peer { binding: PeerBinding::IdentityKeys(binding.into()), identity: identity.to_vec() }
    }

    /// The holder of a ticket's MPKi, named `identity` (the initiator the ticket names, or the
    /// responder that answered).
    pub(crate) fn ticket_holder(mpki: &[u8], identity: &[u8]) -> Self {
        Peer { binding: PeerBinding::TicketHolder(sha256(mpki)), identity: identity.to_vec() }
    }

    /// The peer's end-entity certificate (certificate methods).
    pub(crate) fn certificate(&self) -> Option<&Certificate> {
        match &self.binding {
            PeerBinding::Certificate(holder) => Some(&holder.certificate),
            _ => None,
        }
    }
}

/// MIKEY-TICKET: the keys of a CSB's updates (RFC 6043 §5.2: "Both messages SHALL be protected
/// with the same keys ... that protected the last message ... in the initial exchange", its
/// TRANSFER_RESP): that message's MPK (MPKi, or MPKr' when forked), the initial exchange's RANDs
/// (labels of the response direction, §5.1.2), the PRF, and whether the RANDs enter the
/// derivation of new TGKs' keys (the H and G flags, §5.1.3); and the SPI of the CSB's current
/// session key, which each crypto session of the CS ID map names (§6.1.1). Zeroized on drop.
#[derive(Clone)]
pub(crate) struct TicketUpdates {
    pub(crate) mpk: SecretBytes,
    pub(crate) randri: Vec<u8>,
    pub(crate) randrr: Vec<u8>,
    pub(crate) prf: PrfFunction,
    pub(crate) randri_in_tgk: bool,
    pub(crate) randrr_in_tgk: bool,
    pub(crate) session_key_spi: Vec<u8>,
}

impl fmt::Debug for TicketUpdates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketUpdates").field("prf", &self.prf).finish_non_exhaustive()
    }
}

/// The committed state of an established (or, for an initiator, sent) CSB.
#[derive(Clone, Debug)]
pub(crate) struct Bundle {
    pub(crate) csb_id: u32,
    pub(crate) rand: RandBytes,
    pub(crate) keys: KeyMaterial,
    pub(crate) mki: Vec<u8>,
    pub(crate) policies: Policies,
    /// The crypto sessions in CS ID order, each checked to be exportable when the bundle is made.
    /// SSRC 0 is a placeholder nobody filled in (§6.1.1).
    pub(crate) streams: Streams,
    /// The CS ID map was empty (RFC 4563 §5): the SSRCs are conveyed outside MIKEY.
    pub(crate) ssrcs_outside_mikey: bool,
    /// The TGK's prepared PRF (§4.1.3; RFC 6043 §5.1.3 for MIKEY-TICKET), which derives every
    /// crypto session's keys on export; `None` for a TEK. Shared by the forks of a session.
    deriver: Option<Arc<dyn CryptoSessionKeys>>,
    /// PK: the envelope key the initiator asked to cache; updates of this CSB are then PSK
    /// messages under it (RFC 3830 §3.2, §4.5).
    pub(crate) envelope_key: Option<SecretBytes>,
    /// MIKEY-TICKET: what protects the CSB's updates (RFC 6043 §5.2).
    pub(crate) ticket_updates: Option<Arc<TicketUpdates>>,
    /// MIKEY-SAKKE: the MCPTT key the CSB's TGK is, with its ID and key parameters.
    pub(crate) mcptt_key: Option<Arc<McpttKey>>,
    /// Who authenticated the CSB; its updates must come from the same peer.
    pub(crate) peer: Peer,
    /// Responder: the T (64-bit NTP) of the last I_MESSAGE that set up or updated the CSB; an
    /// update must come after it (§4.5), so a held-back older one cannot roll the keys back.
    pub(crate) accepted_timestamp: u64,
}

impl Bundle {
    /// A bundle of `peer` whose crypto sessions are `streams`, each checked to be exportable.
    pub(crate) fn new(
        csb_id: u32,
        prf: PrfFunction,
        (rand, keys, mki): Keying,
        streams: Streams,
        policies: Policies,
        peer: Peer,
    ) -> Result<Self> {
        if streams.len() > usize::from(u8::MAX) {
            return Err(Error::malformed("a CSB holds at most 255 crypto sessions"));
        }
        for (index, stream) in streams.iter().enumerate() {
            keys.checked_policy(&policies, stream.cs_id, *stream)?;
            if streams[..index].iter().any(|earlier| earlier.cs_id == stream.cs_id) {
                return Err(Error::malformed(format!("CS ID {} names two crypto sessions", stream.cs_id)));
            }
        }
        let deriver = match keys.kind {
            KeyKind::Tgk | KeyKind::TgkSalt => {
                Some(Arc::new(TgkDeriver::new(prf, keys.key(), csb_id, &rand)) as Arc<dyn CryptoSessionKeys>)
            }
            KeyKind::Tek => None,
        };
        Ok(Bundle {
            csb_id,
            rand,
            keys,
            mki,
            policies,
            streams,
            ssrcs_outside_mikey: false,
            deriver,
            peer,
            envelope_key: None,
            ticket_updates: None,
            mcptt_key: None,
            accepted_timestamp: 0,
        })
    }

    /// A CSB of `peer` under one SRTP policy, numbered as an initiator offers it: ours, or a
    /// group's.
    pub(crate) fn with_offered_policy(
        csb_id: u32,
        prf: PrfFunction,
        keying: Keying,
        streams: Streams,
        policy: SrtpPolicy,
        peer: Peer,
    ) -> Result<Self> {
        Bundle::new(csb_id, prf, keying, streams, smallvec![(OFFERED_POLICY_NO, policy)], peer)
    }

    /// MIKEY-TICKET: derives the crypto sessions' keys from the TGK with RFC 6043 §5.1.3's
    /// labels (`derive_from_tgk` keyed with it), not RFC 3830's. A TEK is used as it is.
    pub(crate) fn derive_as_ticket(
        &mut self,
        derive_from_tgk: impl FnOnce(&[u8]) -> Result<Arc<dyn CryptoSessionKeys>>,
    ) -> Result<()> {
        if self.deriver.is_some() {
            self.deriver = Some(derive_from_tgk(self.keys.key())?);
        }
        Ok(())
    }

    /// The streams of the crypto sessions, in CS ID order.
    pub(crate) fn streams(&self) -> impl Iterator<Item = Stream> + '_ {
        self.streams.iter().copied()
    }

    /// The CS ID map of the bundle's streams, placeholders filled in as far as we know them.
    pub(crate) fn cs_id_map(&self) -> CsIdMap<'static> {
        match self.ssrcs_outside_mikey {
            true => CsIdMap::Empty { cs_count: self.streams.len() as u8 },
            false => srtp_id_map(self.streams()),
        }
    }

    /// Responder: the HDR of our R_MESSAGE of `data_type` answering `request`: its CSB ID and
    /// PRF, and the CSB's CS ID map, our SSRCs filled into its placeholders (§6.1.1).
    pub(crate) fn response_header(&self, request: &CommonHeader<'_>, data_type: DataType) -> CommonHeader<'static> {
        CommonHeader {
            data_type,
            verification_requested: false,
            prf_function: request.prf_function,
            csb_id: request.csb_id,
            cs_id_map: self.cs_id_map(),
        }
    }

    /// The SRTP keys of crypto session `cs_id` (§4.1.3): derived from the TGK, or the TEK.
    /// `we_initiated` tells which way a stream of unknown SSRC goes ([`SsrcType`]).
    pub(crate) fn export(&self, cs_id: u8, we_initiated: bool) -> Result<SrtpKeys> {
        let stream = self.streams.iter().find(|stream| stream.cs_id == cs_id).ok_or_else(|| {
            let cs_ids: Vec<String> = self.streams.iter().map(|stream| stream.cs_id.to_string()).collect();
            Error::invalid_argument(format!("CS ID {cs_id} is not in the CSB (its CS IDs: {})", cs_ids.join(", ")))
        })?;
        // Checked against the key material when the bundle was made; the copies below still
        // refuse lengths that do not fit.
        let policy = policy_of(&self.policies, cs_id, *stream)?;
        let profile = policy.profile;
        // Filled in place: moving key arrays around costs more than deriving them.
        let initiator_sends = self.ssrcs_outside_mikey;
        let ssrc_type = match (stream.ssrc, initiator_sends == we_initiated) {
            (0, true) => SsrcType::AnyOutbound,
            (0, false) => SsrcType::AnyInbound,
            _ => SsrcType::Specific,
        };
        let mut keys = SrtpKeys {
            cs_id,
            ssrc: stream.ssrc,
            ssrc_type,
            roc: stream.roc,
            master_key: InlineSecret::zeroed(usize::from(profile.master_key_len())),
            master_salt: InlineSecret::zeroed(usize::from(profile.master_salt_len())),
            policy,
            mki: self.mki.clone(),
        };
        let (master_key, master_salt) = (keys.master_key.expose_mut(), keys.master_salt.expose_mut());
        match (&self.deriver, self.keys.salt()) {
            (Some(deriver), carried_salt) => {
                deriver.derive(TgkKeyPurpose::Tek, cs_id, master_key);
                match carried_salt {
                    Some(salt) => copy_checked(master_salt, salt)?,
                    None => deriver.derive(TgkKeyPurpose::Salt, cs_id, master_salt),
                }
            }
            (None, salt) => {
                copy_checked(master_key, self.keys.key())?;
                copy_checked(master_salt, salt.unwrap_or_default())?;
            }
        }
        Ok(keys)
    }
}

/// The SRTP policy (among `policies`) of crypto session `cs_id` carrying `stream`.
fn policy_of(policies: &[(u8, SrtpPolicy)], cs_id: u8, stream: Stream) -> Result<SrtpPolicy> {
    policies.iter().find(|(no, _)| *no == stream.policy_no).map(|(_, policy)| *policy).ok_or_else(|| {
        Error::new(ErrorKind::Policy, format!("CS {cs_id} refers to SP {} which was not sent", stream.policy_no))
            .with_peer_code(MikeyErrorCode::InvalidSecurityPolicy)
    })
}

/// Key material of `key_len`/`salt_len` bytes does not fit `profile`.
fn misfit(profile: SrtpProfile, key_len: usize, salt_len: usize) -> Error {
    Error::new(ErrorKind::Policy, format!("key/salt of {key_len}/{salt_len} bytes do not fit {profile:?}"))
        .with_peer_code(MikeyErrorCode::InvalidSecurityPolicyParameter)
}

/// Copies `source` into `target` of the same length (checked by [`KeyMaterial::checked_policy`]).
fn copy_checked(target: &mut [u8], source: &[u8]) -> Result<()> {
    if target.len() != source.len() {
        return Err(Error::new(
            ErrorKind::Policy,
            format!("{} key bytes where {} are needed", source.len(), target.len()),
        ));
    }
    target.copy_from_slice(source);
    Ok(())
}

/// The crypto sessions of `entries` (SSRC, ROC), under the offered policy.
pub(crate) fn streams_of(entries: impl Iterator<Item = (u32, u32)>) -> Streams {
    (1..=u8::MAX)
        .zip(entries)
        .map(|(cs_id, (ssrc, roc))| Stream { cs_id, ssrc, roc, policy_no: OFFERED_POLICY_NO })
        .collect()
}

/// The SRTP-ID map of `streams` (§6.1.1).
pub(crate) fn srtp_id_map(streams: impl Iterator<Item = Stream>) -> CsIdMap<'static> {
    let entries = streams.map(|s| SrtpCsEntry { policy_no: s.policy_no, ssrc: s.ssrc, roc: s.roc });
    CsIdMap::SrtpId(SrtpIdMap::from_entries(entries))
}

/// Responder: fills the placeholders (SSRC 0) of a received SRTP-ID map with `ours`, our own
/// sending streams, in CS ID order, skipping those the map already names (RFC 3830 §6.1.1: "SSRCs
/// that are not chosen by the Initiator are set to zero and the Responder fills in these fields
/// in the response message"). Returns how many placeholders stay open.
pub(crate) fn fill_placeholders(streams: &mut Streams, ours: &[Stream]) -> usize {
    if streams.iter().all(|stream| stream.ssrc != 0) {
        return 0;
    }
    let named: Streams = streams.iter().copied().filter(|stream| stream.ssrc != 0).collect();
    let mut unnamed_ours = ours.iter().filter(|own| !named.iter().any(|stream| stream.ssrc == own.ssrc));
    let mut open = 0;
    for placeholder in streams.iter_mut().filter(|stream| stream.ssrc == 0) {
        match unnamed_ours.next() {
            Some(own) => (placeholder.ssrc, placeholder.roc) = (own.ssrc, own.roc),
            None => open += 1,
        }
    }
    open
}

/// Initiator: `ours` as an R_MESSAGE's CS ID map answers them (§6.1.1): the same crypto sessions
/// and policies, our SSRCs and ROCs unchanged, our placeholders filled in (or left open). A map
/// of no entries answers nothing.
pub(crate) fn answered_streams(ours: &Streams, map: &CsIdMap<'_>) -> Result<Streams> {
    let changed = || Error::new(ErrorKind::Policy, "the R_MESSAGE changed our CS ID map (§6.1.1)");
    let theirs = match map {
        CsIdMap::SrtpId(map) if map.is_empty() => return Ok(ours.clone()),
        CsIdMap::SrtpId(_) | CsIdMap::GenericId(_) => received_streams(map, OFFERED_POLICY_NO)?,
        CsIdMap::Empty { .. } => return Err(changed()),
    };
    // An SRTP-ID map numbers its crypto sessions by position; a GENERIC-ID map names them.
    let named = matches!(map, CsIdMap::GenericId(_));
    if theirs.len() != ours.len() {
        return Err(changed());
    }
    let mut answered = Streams::with_capacity(ours.len());
    for (own, entry) in ours.iter().zip(&theirs) {
        let unchanged = own.ssrc == 0 || (own.ssrc, own.roc) == (entry.ssrc, entry.roc);
        if (named && entry.cs_id != own.cs_id) || entry.policy_no != own.policy_no || !unchanged {
            return Err(changed());
        }
        answered.push(Stream { ssrc: entry.ssrc, roc: entry.roc, ..*own });
    }
    let mut ssrcs: SmallVec<[u32; 4]> = answered.iter().map(|stream| stream.ssrc).filter(|&ssrc| ssrc != 0).collect();
    ssrcs.sort_unstable();
    if ssrcs.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(Error::new(ErrorKind::Policy, "the R_MESSAGE gives one SSRC to two crypto sessions"));
    }
    Ok(answered)
}

/// The MKI numbered `counter`, big-endian in `len` bytes (at most 16; §6.14).
pub(crate) fn numbered_mki(counter: u32, len: u8) -> Vec<u8> {
    let counter = u128::from(counter).to_be_bytes();
    counter[counter.len() - usize::from(len)..].to_vec()
}

/// The key validity data that binds a key to `mki` (§6.14): SPI, or none without an MKI.
pub(crate) fn key_validity(mki: &[u8]) -> KeyValidity<'_> {
    if mki.is_empty() {
        KeyValidity::Null
    } else {
        KeyValidity::Spi(Cow::Borrowed(mki))
    }
}

/// The streams a received CS ID map names, in CS ID order: an empty map's (RFC 4563 §5) are
/// placeholders under `default_policy_no`.
pub(crate) fn received_streams(map: &CsIdMap<'_>, default_policy_no: u8) -> Result<Streams> {
    match map {
        CsIdMap::SrtpId(entries) => {
            let mut streams = Streams::with_capacity(entries.len());
            for (cs_id, entry) in (1..=u8::MAX).zip(entries.entries()) {
                streams.push(Stream { cs_id, ssrc: entry.ssrc, roc: entry.roc, policy_no: entry.policy_no });
            }
            Ok(streams)
        }
        CsIdMap::Empty { cs_count } => {
            let placeholder = |cs_id| Stream { cs_id, ssrc: 0, roc: 0, policy_no: default_policy_no };
            Ok((1..=*cs_count).map(placeholder).collect())
        }
        CsIdMap::GenericId(entries) => entries.iter().map(|entry| generic_stream(entry, default_policy_no)).collect(),
    }
}

/// The stream of a GENERIC-ID map entry (RFC 6043 §6.1.1): an SRTP crypto session whose Session
/// Data is SSRC [ROC SEQ] (empty: a placeholder the responder fills in), under its first policy.
pub(crate) fn generic_stream(entry: &GenericCsEntry<'_>, default_policy_no: u8) -> Result<Stream> {
    if entry.protocol != protocol_type::SRTP {
        return Err(Error::unsupported(format!("crypto session {} is not SRTP", entry.cs_id))
            .with_peer_code(MikeyErrorCode::InvalidSecurityPolicy));
    }
    let (ssrc, roc) =
        entry.srtp_session_data()?.map_or((0, 0), |data| (data.ssrc, data.roc_seq.map_or(0, |(roc, _)| roc)));
    Ok(Stream {
        cs_id: entry.cs_id,
        ssrc,
        roc,
        policy_no: entry.policy_nos.first().copied().unwrap_or(default_policy_no),
    })
}

/// The GENERIC-ID map of `streams` (RFC 6043 §6.1.1): one policy each, SSRC and ROC (with SEQ 0)
/// as Session Data (none for a placeholder), and `spi`, the SPI of the session key each crypto
/// session (initially) uses.
pub(crate) fn generic_id_map(streams: impl Iterator<Item = Stream>, spi: &[u8]) -> CsIdMap<'static> {
    CsIdMap::GenericId(
        streams
            .map(|stream| {
                let (session_data, session_data_flag) = match stream.ssrc {
                    0 => (Vec::new(), false),
                    ssrc => SrtpSessionData { ssrc, roc_seq: (stream.roc != 0).then_some((stream.roc, 0)) }.to_bytes(),
                };
                GenericCsEntry {
                    cs_id: stream.cs_id,
                    protocol: protocol_type::SRTP,
                    session_data_flag,
                    policy_nos: vec![stream.policy_no].into(),
                    session_data: session_data.into(),
                    spi: spi.to_vec().into(),
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const AES_CM_80: SrtpPolicy = SrtpPolicy {
        profile: SrtpProfile::AesCm128HmacSha1_80,
        mki_len: 0,
        key_derivation_rate: None,
        srtp_encryption: None,
        srtcp_encryption: None,
        srtp_authentication: None,
        roc_transform: None,
    };

    /// A bundle of `streams`, numbered by position (as an SRTP-ID map numbers them).
    fn bundle(keys: KeyMaterial, streams: &[Stream]) -> Result<Bundle> {
        let policies = smallvec![(OFFERED_POLICY_NO, AES_CM_80)];
        let keying = (smallvec![9; 16], keys, Vec::new());
        let streams = (1..).zip(streams).map(|(cs_id, stream)| Stream { cs_id, ..*stream }).collect();
        Bundle::new(7, PrfFunction::MikeyHmacSha1, keying, streams, policies, Peer::ANYONE)
    }

    const STREAM: Stream = Stream { cs_id: 1, ssrc: 0x1234, roc: 5, policy_no: OFFERED_POLICY_NO };

    #[test]
    fn a_tek_is_exported_as_it_is_for_every_crypto_session() {
        let bundle = bundle(KeyMaterial::joined(KeyKind::Tek, &[1; 16], &[2; 14]), &[STREAM, STREAM]).unwrap();
        for cs_id in 1..=2 {
            let keys = bundle.export(cs_id, false).unwrap();
            assert_eq!((keys.cs_id, keys.ssrc, keys.roc), (cs_id, 0x1234, 5));
            assert_eq!((keys.master_key.expose(), keys.master_salt.expose()), (&[1; 16][..], &[2; 14][..]));
        }
        for cs_id in [0, 3] {
            assert_eq!(bundle.export(cs_id, false).unwrap_err().kind(), ErrorKind::InvalidArgument);
        }
    }

    fn stream(ssrc: u32, roc: u32) -> Stream {
        Stream { cs_id: 1, ssrc, roc, policy_no: OFFERED_POLICY_NO }
    }

    #[test]
    fn our_streams_fill_the_placeholders_in_order_skipping_ssrcs_the_map_names() {
        let mut streams: Streams = smallvec![stream(0xA, 1), stream(0, 0), stream(0xB, 0), stream(0, 0)];
        let ours = [stream(0xB, 0), stream(0xC, 7), stream(0xD, 9)];
        assert_eq!(fill_placeholders(&mut streams, &ours), 0);
        assert_eq!(streams.as_slice(), [stream(0xA, 1), stream(0xC, 7), stream(0xB, 0), stream(0xD, 9)]);

        let mut streams: Streams = smallvec![stream(0, 0), stream(0, 0)];
        assert_eq!(fill_placeholders(&mut streams, &[stream(0xC, 7)]), 1);
        assert_eq!(streams.as_slice(), [stream(0xC, 7), stream(0, 0)]);
    }

    #[test]
    fn an_answer_may_fill_our_placeholders_and_change_nothing_else() {
        let ours: Streams = smallvec![stream(0xA, 1), stream(0, 0)];
        let map = |streams: &[Stream]| srtp_id_map(streams.iter().copied());
        let filled = [stream(0xA, 1), stream(0xC, 7)];
        assert_eq!(answered_streams(&ours, &map(&filled)).unwrap().as_slice(), filled);
        assert_eq!(answered_streams(&ours, &map(&ours)).unwrap(), ours);
        assert_eq!(answered_streams(&ours, &map(&[])).unwrap(), ours);
        let changed = [
            map(&[stream(0xB, 1), stream(0xC, 7)]),
            map(&[stream(0xA, 2), stream(0xC, 7)]),
            map(&[stream(0xA, 1), Stream { policy_no: 1, ..stream(0xC, 7) }]),
            map(&[stream(0xA, 1)]),
            map(&[stream(0xA, 1), stream(0xC, 7), stream(0xD, 0)]),
            map(&[stream(0xA, 1), stream(0xA, 1)]),
            CsIdMap::Empty { cs_count: 2 },
        ];
        for map in changed {
            assert_eq!(answered_streams(&ours, &map).unwrap_err().kind(), ErrorKind::Policy, "{map:?}");
        }
    }

    #[test]
    fn an_unknown_ssrc_is_exported_with_the_direction_of_its_stream() {
        let keys = || KeyMaterial::joined(KeyKind::Tek, &[1; 16], &[2; 14]);
        let placeholders = bundle(keys(), &[STREAM, stream(0, 0)]).unwrap();
        let ssrc_type = |bundle: &Bundle, cs_id, we_initiated| bundle.export(cs_id, we_initiated).unwrap().ssrc_type;
        assert_eq!(ssrc_type(&placeholders, 1, true), SsrcType::Specific);
        // §6.1.1: a placeholder is the responder's stream.
        assert_eq!(ssrc_type(&placeholders, 2, true), SsrcType::AnyInbound);
        assert_eq!(ssrc_type(&placeholders, 2, false), SsrcType::AnyOutbound);
        // RFC 4563: an empty map keys the initiator's streams.
        let mut outside = bundle(keys(), &[stream(0, 0)]).unwrap();
        outside.ssrcs_outside_mikey = true;
        assert_eq!(ssrc_type(&outside, 1, true), SsrcType::AnyOutbound);
        assert_eq!(ssrc_type(&outside, 1, false), SsrcType::AnyInbound);
        assert_eq!(outside.cs_id_map(), CsIdMap::Empty { cs_count: 1 });
    }

    #[test]
    fn a_carried_salt_replaces_the_derived_one() {
        let tgk = KeyMaterial::joined(KeyKind::Tgk, &[3; 16], &[]);
        let with_salt = KeyMaterial::joined(KeyKind::TgkSalt, &[3; 16], &[4; 14]);
        let derived = bundle(tgk, &[STREAM]).unwrap().export(1, false).unwrap();
        let carried = bundle(with_salt, &[STREAM]).unwrap().export(1, false).unwrap();
        assert_eq!(derived.master_key.expose(), carried.master_key.expose());
        assert_ne!(derived.master_salt.expose(), carried.master_salt.expose());
        assert_eq!(carried.master_salt.expose(), [4; 14]);
    }

    #[test]
    fn key_material_that_does_not_fit_the_profile_is_refused_when_the_bundle_is_made() {
        let misfits = [
            KeyMaterial::joined(KeyKind::Tek, &[1; 16], &[2; 12]),
            KeyMaterial::joined(KeyKind::Tek, &[1; 32], &[2; 14]),
            KeyMaterial::joined(KeyKind::TgkSalt, &[1; 16], &[2; 12]),
        ];
        for keys in misfits {
            let error = bundle(keys, &[STREAM]).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Policy);
            assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidSecurityPolicyParameter));
        }
        let unknown_policy = Stream { policy_no: 1, ..STREAM };
        let error = bundle(KeyMaterial::joined(KeyKind::Tgk, &[1; 16], &[]), &[unknown_policy]).unwrap_err();
        assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidSecurityPolicy));
    }
}
