//! The keys a MIKEY message carries, for `mikey decode --psk` and `--null`: the message
//! goes to a responder session of the library whose clock reads the message's own T payload
//! (so that captures of any age are inside the replay window); it shows the TGK or TEK the KEMAC
//! carried, and every crypto session's keys as libsrtp takes them.

use std::sync::Arc;

use mikey::wire::Message;

use crate::describe::hex;
use mikey::{Clock, Config, InteropFlags, KeyKind, KeyMaterialView, Method, Role, Session, SrtpKeys, SrtpProfile};

/// A clock stopped at one NTP time.
struct StoppedClock(u64);

impl Clock for StoppedClock {
    fn now_ntp(&self) -> u64 {
        self.0
    }
}

/// What `mikey decode --psk` shows of a message's keys: the CSB's keying material, as the
/// KEMAC carried it, and each crypto session's SRTP keys derived from it.
pub struct Exported {
    pub key_material: [KeyField; 3],
    pub srtp_keys: Vec<SrtpKeys>,
}

/// One shown field: (JSON name, text label, value, whether JSON quotes it).
type KeyField = (&'static str, &'static str, String, bool);

/// The keying material and the keys of every crypto session of an initiator's `message` under
/// `method` (PSK with `psk`, or NULL), or why the library refused it.
pub fn exported(
    message: &[u8],
    decoded: &Message<'_>,
    method: Method,
    psk: Option<&[u8]>,
    interop: u32,
) -> Result<Exported, String> {
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
    let material = session.key_material().ok_or("the session established no CSB")?;
    let srtp_keys: Result<Vec<SrtpKeys>, String> =
        session.cs_ids().into_iter().map(|cs_id| session.export_srtp(cs_id).map_err(describe)).collect();
    Ok(Exported { key_material: key_material_fields(&material), srtp_keys: srtp_keys? })
}

/// The fields of a CSB's keying material (RFC 3830 §4.1.3: a TGK from which each crypto
/// session's keys are derived, or a TEK used as they are).
fn key_material_fields(material: &KeyMaterialView<'_>) -> [KeyField; 3] {
    let (kind, key_label) = match material.kind {
        KeyKind::Tgk => ("TGK", "TGK"),
        KeyKind::TgkSalt => ("TGK+SALT", "TGK"),
        KeyKind::Tek => ("TEK+SALT", "TEK"),
    };
    [
        ("kind", "key type", kind.to_owned(), true),
        ("key", key_label, hex(material.key.expose()), true),
        ("salt", "salt", material.salt.map(|salt| hex(salt.expose())).unwrap_or_default(), true),
    ]
}

/// The fields of one crypto session's keys. The text shows the SSRC in hex, as packet dumps do.
fn srtp_fields(keys: &SrtpKeys, json: bool) -> [KeyField; 8] {
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

/// A titled block of fields as text; an empty value reads "none".
fn block_text(title: &str, fields: &[KeyField]) -> String {
    let mut out = format!("{title}\n");
    for (_, label, value, _) in fields {
        out.push_str(&format!("  {label}: {}\n", if value.is_empty() { "none" } else { value }));
    }
    out
}

/// Fields as a JSON object.
fn object_json(fields: &[KeyField]) -> String {
    let members: Vec<String> = fields
        .iter()
        .map(
            |(name, _, value, quoted)| {
                if *quoted {
                    format!("\"{name}\":\"{value}\"")
                } else {
                    format!("\"{name}\":{value}")
                }
            },
        )
        .collect();
    format!("{{{}}}", members.join(","))
}

/// The keying material as text.
pub fn key_material_text(exported: &Exported) -> String {
    block_text("Key material (KEMAC key data, RFC 3830 §4.1.3)", &exported.key_material)
}

/// The keying material as a JSON object.
pub fn key_material_json(exported: &Exported) -> String {
    object_json(&exported.key_material)
}

/// The keys as text, one block per crypto session.
pub fn to_text(keys: &[SrtpKeys]) -> String {
    keys.iter().map(|keys| block_text("SRTP keys", &srtp_fields(keys, false))).collect()
}

/// The keys as a JSON array.
pub fn to_json(keys: &[SrtpKeys]) -> String {
    let items: Vec<String> = keys.iter().map(|keys| object_json(&srtp_fields(keys, true))).collect();
    format!("[{}]", items.join(","))
}
