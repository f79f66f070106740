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
    config.set_accepted_profiles(&SrtpProfile::ALL).map_err(describe)?;
    // An inspector accepts whatever the message offers.
    config.set_allow_unprotected_srtp(true).map_err(describe)?;
    config.set_interop(interop | InteropFlags::SSRC_ZERO).map_err(describe)?;
    let mut session = Session::new(&config, Role::Responder).map_err(describe)?;
    session.process_message(message).map_err(|rejection| format!("refused: {}", rejection.error.context()))?;
    session.cs_ids().into_iter().map(|cs_id| session.export_srtp(cs_id).map_err(describe)).collect()
}

/// The fields of one crypto session's keys: (JSON name, text label, value, whether JSON
/// quotes it). The text shows the SSRC in hex, as packet dumps do.
fn fields(keys: &SrtpKeys, json: bool) -> [(&'static str, &'static str, String, bool); 8] {
    let profile = keys.policy.profile;
    [
        ("cs_id", "CS ID", keys.cs_id.to_string(), false),
        ("ssrc", "SSRC", if json { keys.ssrc.to_string() } else { format!("{:#010x}", keys.ssrc) }, false),
        ("roc", "ROC", keys.roc.to_string(), false),
        ("profile", "profile", format!("{profile:?}"), true),
        ("libsrtp_profile", "libsrtp srtp_profile_t", profile.number().to_string(), false),
        ("master_key", "master key", hex(keys.master_key.expose()), true),
        ("master_salt", "master salt", hex(keys.master_salt.expose()), true),
        ("mki", "MKI", hex(&keys.mki), true),
    ]
}

/// The keys as text, one block per crypto session.
pub fn to_text(keys: &[SrtpKeys]) -> String {
    let mut out = String::new();
    for keys in keys {
        out.push_str("SRTP keys\n");
        for (_, label, value, _) in fields(keys, false) {
            out.push_str(&format!("  {label}: {}\n", if value.is_empty() { "none" } else { &value }));
        }
    }
    out
}

/// The keys as a JSON array.
pub fn to_json(keys: &[SrtpKeys]) -> String {
    let items: Vec<String> = keys
        .iter()
        .map(|keys| {
            let members: Vec<String> = fields(keys, true)
                .into_iter()
                .map(
                    |(name, _, value, quoted)| {
                        if quoted {
                            format!("\"{name}\":\"{value}\"")
                        } else {
                            format!("\"{name}\":{value}")
                        }
                    },
                )
                .collect();
            format!("{{{}}}", members.join(","))
        })
        .collect();
    format!("[{}]", items.join(","))
}
