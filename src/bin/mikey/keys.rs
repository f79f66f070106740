//! The SRTP keys a MIKEY message carries, for `mikey decode --psk` and `--null`: the message
//! goes to a responder session of the library whose clock reads the message's own T payload
//! (so that captures of any age are inside the replay window), and every crypto session's
//! keys are exported as libsrtp takes them.

use std::sync::Arc;

use mikey::wire::Message;

use crate::describe::hex;
use mikey::{Clock, Config, InteropFlags, Method, Role, Session, SrtpKeys, SrtpProfile};

/// A clock stopped at one NTP time.
struct StoppedClock(u64);

impl Clock for StoppedClock {
    fn now_ntp(&self) -> u64 {
        self.0
    }
}

/// Every profile the library knows: an inspector accepts what the message offers.
const EVERY_PROFILE: [SrtpProfile; 10] = [
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

/// The keys of every crypto session of an initiator's `message` under `method` (PSK with
/// `psk`, or NULL), or why the library refused it.
pub fn exported(
    message: &[u8],
    decoded: &Message<'_>,
    method: Method,
    psk: Option<&[u8]>,
    interop: u32,
) -> Result<Vec<SrtpKeys>, String> {
    let timestamp = decoded.find(mikey::wire::Payload::as_timestamp).ok_or("the message has no T payload")?;
    let describe = |error: mikey::Error| error.context().to_owned();
    let mut config = Config::new(method).map_err(describe)?;
    if let Some(psk) = psk {
        config.set_psk(psk).map_err(describe)?;
    }
    config.set_clock(Arc::new(StoppedClock(timestamp.value))).map_err(describe)?;
    config.set_accepted_profiles(&EVERY_PROFILE).map_err(describe)?;
    config.set_allow_unprotected_srtp(true).map_err(describe)?;
    config.set_interop(interop | InteropFlags::SSRC_ZERO).map_err(describe)?;
    let mut session = Session::new(&config, Role::Responder).map_err(describe)?;
    session.process_message(message).map_err(|rejection| format!("refused: {}", rejection.error.context()))?;
    session.cs_ids().into_iter().map(|cs_id| session.export_srtp(cs_id).map_err(describe)).collect()
}

/// The keys as text, one block per crypto session.
pub fn to_text(keys: &[SrtpKeys]) -> String {
    keys.iter()
        .map(|keys| {
            format!(
                "SRTP keys of CS ID {}\n  SSRC: {:#010x}\n  ROC: {}\n  profile: {:?} (libsrtp srtp_profile_t {})\n  master key: {}\n  master salt: {}\n  MKI: {}\n",
                keys.cs_id,
                keys.ssrc,
                keys.roc,
                keys.policy.profile,
                keys.policy.profile.number(),
                hex(keys.master_key.expose()),
                hex(keys.master_salt.expose()),
                if keys.mki.is_empty() { "none".to_owned() } else { hex(&keys.mki) },
            )
        })
        .collect()
}

/// The keys as a JSON array.
pub fn to_json(keys: &[SrtpKeys]) -> String {
    let items: Vec<String> = keys
        .iter()
        .map(|keys| {
            format!(
                "{{\"cs_id\":{},\"ssrc\":{},\"roc\":{},\"profile\":\"{:?}\",\"libsrtp_profile\":{},\"master_key\":\"{}\",\"master_salt\":\"{}\",\"mki\":\"{}\"}}",
                keys.cs_id,
                keys.ssrc,
                keys.roc,
                keys.policy.profile,
                keys.policy.profile.number(),
                hex(keys.master_key.expose()),
                hex(keys.master_salt.expose()),
                hex(&keys.mki),
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}
