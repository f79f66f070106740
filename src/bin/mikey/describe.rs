//! A decoded MIKEY message as a tree of fields named as their RFCs name them, rendered as
//! indented text or as JSON. Key material is never shown: a KEMAC with NULL encryption (whose
//! data are the keys in clear) shows its length only.

use mikey::clock::utc_time;
use mikey::wire::registry::{
    encryption_algorithm, extension_type, id_role, id_type, protocol_type, rand_role, srtp_param, ticket_type, ts_role,
};
use mikey::wire::{
    decode_payload_chain, BaseTicket, CommonHeader, CsIdMap, DataType, DhGroup, GenericCsEntry, HashFunction,
    KeyDataList, KeyDataType, KeyValidity, MacAlgorithmCode, Message, Payload, Ticket, TicketPolicy, Timestamp,
    TimestampType,
};

/// One field: its RFC name, its value (empty for a group) and its sub-fields.
pub struct Field {
    name: String,
    value: String,
    children: Vec<Field>,
}

impl Field {
    fn leaf(name: impl Into<String>, value: impl ToString) -> Field {
        Field { name: name.into(), value: value.to_string(), children: Vec::new() }
    }

    fn group(name: impl Into<String>, value: impl ToString, children: Vec<Field>) -> Field {
        Field { name: name.into(), value: value.to_string(), children }
    }

    /// Indented text, one field per line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(0, &mut out);
        out
    }

    fn write_text(&self, depth: usize, out: &mut String) {
        let indent = "  ".repeat(depth);
        if self.value.is_empty() {
            out.push_str(&format!("{indent}{}\n", self.name));
        } else {
            out.push_str(&format!("{indent}{}: {}\n", self.name, self.value));
        }
        for child in &self.children {
            child.write_text(depth + 1, out);
        }
    }

    /// `{"name": ..., "value": ..., "fields": [...]}`, recursively.
    pub fn to_json(&self) -> String {
        let mut out = format!("{{\"name\":{},\"value\":{}", json_string(&self.name), json_string(&self.value));
        if !self.children.is_empty() {
            let children: Vec<String> = self.children.iter().map(Field::to_json).collect();
            out.push_str(&format!(",\"fields\":[{}]", children.join(",")));
        }
        out.push('}');
        out
    }
}

/// A JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            character if (character as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", character as u32)),
            character => out.push(character),
        }
    }
    out.push('"');
    out
}

/// The tree of a whole message.
pub fn message(message: &Message<'_>, length: usize) -> Field {
    let mut children = vec![header(&message.header)];
    children.extend(message.payloads.iter().map(payload));
    Field::group("MIKEY message", format!("{length} bytes"), children)
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A MAC field's value: its hex, or "none" for the empty MAC of MAC algorithm NULL.
fn mac_value(mac: &[u8]) -> String {
    if mac.is_empty() {
        "none".to_owned()
    } else {
        hex(mac)
    }
}

/// The names the RFCs' tables give the data types (RFC 3830 Table 6.1.a; RFC 4650, 4738, 6043,
/// 6267, 6509).
fn data_type_name(data_type: DataType) -> &'static str {
    match data_type {
        DataType::PskInit => "Pre-shared",
        DataType::PskVerification => "PSK ver msg",
        DataType::PkInit => "Public key",
        DataType::PkVerification => "PK ver msg",
        DataType::DhInit => "D-H init",
        DataType::DhResponse => "D-H resp",
        DataType::Error => "Error",
        DataType::DhHmacInit => "DHHMAC init",
        DataType::DhHmacResponse => "DHHMAC resp",
        DataType::RsaRInit => "RSA-R I_MSG",
        DataType::RsaRResponse => "RSA-R R_MSG",
        DataType::TicketRequestInitPsk => "REQUEST_INIT_PSK",
        DataType::TicketRequestInitPk => "REQUEST_INIT_PK",
        DataType::TicketRequestResponse => "REQUEST_RESP",
        DataType::TicketTransferInit => "TRANSFER_INIT",
        DataType::TicketTransferResponse => "TRANSFER_RESP",
        DataType::TicketResolveInitPsk => "RESOLVE_INIT_PSK",
        DataType::TicketResolveInitPk => "RESOLVE_INIT_PK",
        DataType::TicketResolveResponse => "RESOLVE_RESP",
        DataType::IbakeRequestKeyPsk => "REQUEST_KEY_PSK",
        DataType::IbakeRequestKeyPke => "REQUEST_KEY_PKE",
        DataType::IbakeRequestKeyResponse => "REQUEST_KEY_RESP",
        DataType::IbakeInit1 => "I_MESSAGE_1",
        DataType::IbakeResponse1 => "R_MESSAGE_1",
        DataType::IbakeInit2 => "I_MESSAGE_2",
        DataType::IbakeResponse2 => "R_MESSAGE_2",
        DataType::SakkeInit => "SAKKE",
    }
}

/// TS type names (RFC 3830 Table 6.6, RFC 6043 Table 6.8).
fn timestamp_type_name(ts_type: TimestampType) -> &'static str {
    match ts_type {
        TimestampType::NtpUtc => "NTP-UTC",
        TimestampType::Ntp => "NTP",
        TimestampType::Counter => "COUNTER",
        TimestampType::NtpUtc32 => "NTP-UTC-32",
    }
}

/// A MAC alg field, `name (code)` (RFC 3830 Table 6.2.c, RFC 6043 Table 6.6).
fn mac_name(mac: MacAlgorithmCode) -> String {
    let name = match mac {
        MacAlgorithmCode::Null => "NULL",
        MacAlgorithmCode::HmacSha1_160 => "HMAC-SHA-1-160",
        MacAlgorithmCode::HmacSha256_256 => "HMAC-SHA-256-256",
    };
    named(mac.code(), Some(name))
}

/// Key data type names (RFC 3830 Table 6.13.a, RFC 6043 Table 6.7).
fn key_type_name(key_type: KeyDataType) -> &'static str {
    match key_type {
        KeyDataType::Tgk => "TGK",
        KeyDataType::TgkSalt => "TGK+SALT",
        KeyDataType::Tek => "TEK",
        KeyDataType::TekSalt => "TEK+SALT",
        KeyDataType::Gtgk => "GTGK",
        KeyDataType::GtgkSalt => "GTGK+SALT",
        KeyDataType::Mpk => "MPK",
    }
}

/// DH group names (RFC 3830 Table 6.4).
fn dh_group_name(group: DhGroup) -> &'static str {
    match group {
        DhGroup::Oakley5 => "OAKLEY 5",
        DhGroup::Oakley1 => "OAKLEY 1",
        DhGroup::Oakley2 => "OAKLEY 2",
    }
}

/// Hash func names (RFC 3830 Table 6.8, RFC 6043 §6.7).
fn hash_name(hash: HashFunction) -> &'static str {
    match hash {
        HashFunction::Sha1 => "SHA-1",
        HashFunction::Md5 => "MD5",
        HashFunction::Sha256 => "SHA-256",
    }
}

/// Error no names (RFC 3830 Table 6.12, RFC 4738 §3.9.2, RFC 6043 Table 6.14).
fn error_name(code: mikey::MikeyErrorCode) -> &'static str {
    use mikey::MikeyErrorCode::*;
    match code {
        AuthFailure => "Auth failure",
        InvalidTimestamp => "Invalid TS",
        InvalidPrf => "Invalid PRF",
        InvalidMac => "Invalid MAC",
        InvalidEncryptionAlgorithm => "Invalid EA",
        InvalidHashAlgorithm => "Invalid HA",
        InvalidDh => "Invalid DH",
        InvalidId => "Invalid ID",
        InvalidCertificate => "Invalid Cert",
        InvalidSecurityPolicy => "Invalid SP",
        InvalidSecurityPolicyParameter => "Invalid SPpar",
        InvalidDataType => "Invalid DT",
        Unspecified => "Unspecified error",
        UnsupportedMessageType => "Unsupported message type",
        InvalidTicket => "Invalid TICKET",
        InvalidTicketPolicyParameter => "Invalid TPpar",
    }
}

/// `name (code)` for a code with a registered name, else the code.
fn named(code: impl std::fmt::Display, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{name} ({code})"),
        None => format!("{code} (unknown)"),
    }
}

/// Bytes as text when they are printable ASCII (identities, URIs), else hex.
fn text_or_hex(bytes: &[u8]) -> String {
    if !bytes.is_empty() && bytes.iter().all(|byte| (0x20..0x7f).contains(byte)) {
        format!("\"{}\"", String::from_utf8_lossy(bytes))
    } else {
        hex(bytes)
    }
}

fn header(header: &CommonHeader<'_>) -> Field {
    let mut children = vec![
        Field::leaf("version", mikey::wire::MIKEY_VERSION),
        Field::leaf("data type", named(header.data_type.code(), Some(data_type_name(header.data_type)))),
        Field::leaf("V", u8::from(header.verification_requested)),
        Field::leaf("PRF func", named(header.prf_function, prf_name(header.prf_function))),
        Field::leaf("CSB ID", format!("{:#010x}", header.csb_id)),
        Field::leaf("#CS", header.cs_id_map.cs_count()),
    ];
    match &header.cs_id_map {
        CsIdMap::SrtpId(map) => {
            children.push(Field::leaf("CS ID map type", "SRTP-ID (0)"));
            children.extend(map.entries().enumerate().map(|(index, entry)| {
                Field::group(
                    format!("CS ID {}", index + 1),
                    "",
                    vec![
                        Field::leaf("Policy_no", entry.policy_no),
                        Field::leaf("SSRC", format!("{:#010x}", entry.ssrc)),
                        Field::leaf("ROC", entry.roc),
                    ],
                )
            }));
        }
        CsIdMap::Empty { .. } => children.push(Field::leaf("CS ID map type", "Empty map (1)")),
        CsIdMap::GenericId(entries) => {
            children.push(Field::leaf("CS ID map type", "GENERIC-ID (2)"));
            children.extend(entries.iter().map(|entry| {
                Field::group(
                    format!("CS ID {}", entry.cs_id),
                    "",
                    vec![
                        Field::leaf("Prot type", named(entry.protocol, protocol_name(entry.protocol))),
                        Field::leaf("S", u8::from(entry.session_data_flag)),
                        Field::leaf("#P", entry.policy_nos.len()),
                        Field::leaf("Ps", format!("{:?}", entry.policy_nos.as_ref())),
                        session_data(entry),
                        Field::leaf("SPI", hex(&entry.spi)),
                    ],
                )
            }));
        }
    }
    Field::group("HDR (RFC 3830 §6.1)", "", children)
}

/// A GENERIC-ID entry's Session Data: SRTP's split into SSRC [ROC SEQ] (RFC 6043 §6.1.1).
fn session_data(entry: &GenericCsEntry<'_>) -> Field {
    let srtp = match entry.protocol {
        protocol_type::SRTP => entry.srtp_session_data(),
        _ => return Field::leaf("Session Data", hex(&entry.session_data)),
    };
    match srtp {
        Ok(None) => Field::leaf("Session Data", "none (the responder provides it)"),
        Ok(Some(data)) => {
            let mut children = vec![Field::leaf("SSRC", format!("{:#010x}", data.ssrc))];
            if let Some((roc, seq)) = data.roc_seq {
                children.extend([Field::leaf("ROC", roc), Field::leaf("SEQ", seq)]);
            }
            Field::group("Session Data", hex(&entry.session_data), children)
        }
        Err(error) => Field::leaf("Session Data", format!("{} ({error})", hex(&entry.session_data))),
    }
}

/// The PRF of a PRF func code (RFC 3830 §6.1, RFC 6043 Table 6.3).
fn prf_name(code: u8) -> Option<&'static str> {
    ["MIKEY-1", "PRF-HMAC-SHA-256"].get(usize::from(code)).copied()
}

fn protocol_name(code: u8) -> Option<&'static str> {
    (code == protocol_type::SRTP).then_some("SRTP")
}

fn key_validity(validity: &KeyValidity<'_>) -> Vec<Field> {
    match validity {
        KeyValidity::Null => vec![Field::leaf("KV", "NULL (0)")],
        KeyValidity::Spi(spi) => vec![Field::leaf("KV", "SPI/MKI (1)"), Field::leaf("SPI", hex(spi))],
        KeyValidity::Interval { from, to } => vec![
            Field::leaf("KV", "Interval (2)"),
            Field::leaf("Valid From", hex(from)),
            Field::leaf("Valid To", hex(to)),
        ],
    }
}

fn payload(payload: &Payload<'_>) -> Field {
    match payload {
        Payload::Kemac(kemac) => {
            let encryption = kemac.encryption_algorithm;
            let (data, key_data) = if encryption == encryption_algorithm::NULL {
                let shown = format!("{} bytes, keys in clear (not shown)", kemac.encrypted_data.len());
                (shown, clear_key_data(&kemac.encrypted_data))
            } else {
                (hex(&kemac.encrypted_data), Vec::new())
            };
            let mut children = vec![
                Field::leaf(
                    "Encr alg",
                    named(
                        encryption,
                        ["NULL", "AES-CM-128", "AES-KW-128", "AES-CM-256"].get(usize::from(encryption)).copied(),
                    ),
                ),
                Field::leaf("Encr data len", kemac.encrypted_data.len()),
                Field::leaf("Encr data", data),
            ];
            children.extend(key_data);
            children.push(Field::leaf("MAC alg", mac_name(kemac.mac_algorithm)));
            children.push(Field::leaf("MAC", mac_value(&kemac.mac)));
            Field::group("KEMAC (RFC 3830 §6.2)", "", children)
        }
        Payload::Pke(pke) => Field::group(
            "PKE (RFC 3830 §6.3)",
            "",
            vec![
                Field::leaf(
                    "C",
                    named(pke.cache, ["No cache", "Cache", "Cache for CSB"].get(usize::from(pke.cache)).copied()),
                ),
                Field::leaf("Data len", pke.data.len()),
                Field::leaf("Data", hex(&pke.data)),
            ],
        ),
        Payload::Dh(dh) => {
            let mut children = vec![
                Field::leaf("DH-Group", named(dh.group.code(), Some(dh_group_name(dh.group)))),
                Field::leaf("DH-value", hex(&dh.value)),
            ];
            children.extend(key_validity(&dh.validity));
            Field::group("DH (RFC 3830 §6.4)", "", children)
        }
        Payload::Sign(sign) => Field::group(
            "SIGN (RFC 3830 §6.5)",
            "",
            vec![
                Field::leaf(
                    "S type",
                    named(
                        sign.sig_type,
                        ["RSA/PKCS#1/1.5", "RSA/PSS", "ECCSI"].get(usize::from(sign.sig_type)).copied(),
                    ),
                ),
                Field::leaf("Signature len", sign.data.len()),
                Field::leaf("Signature", hex(&sign.data)),
            ],
        ),
        Payload::Timestamp(timestamp) => Field::group("T (RFC 3830 §6.6)", "", timestamp_fields(timestamp, false)),
        Payload::TimestampWithRole(tr) => {
            let mut children = vec![Field::leaf("TS Role", named(tr.role, ts_role_name(tr.role)))];
            children.extend(timestamp_fields(&tr.timestamp, tr.role == ts_role::REKEYING_INTERVAL));
            Field::group("TR (RFC 6043 §6.4)", "", children)
        }
        Payload::Id(id) => Field::group("ID (RFC 3830 §6.7)", "", identity(id.id_type, &id.data)),
        Payload::IdWithRole(idr) => {
            let mut children = vec![Field::leaf("ID Role", named(idr.role, id_role_name(idr.role)))];
            children.extend(identity(idr.id_type, &idr.data));
            Field::group("IDR (RFC 6043 §6.6)", "", children)
        }
        Payload::Cert(cert) => Field::group(
            "CERT (RFC 3830 §6.7)",
            "",
            vec![
                Field::leaf(
                    "Cert type",
                    named(
                        cert.cert_type,
                        ["X.509v3", "X.509v3 URL", "X.509v3 Sign", "X.509v3 Encr"]
                            .get(usize::from(cert.cert_type))
                            .copied(),
                    ),
                ),
                Field::leaf("Cert len", cert.data.len()),
                Field::leaf("Cert data", hex(&cert.data)),
            ],
        ),
        Payload::CertHash(hash) => Field::group(
            "CHASH (RFC 3830 §6.8)",
            "",
            vec![
                Field::leaf("Hash func", named(hash.hash_function.code(), Some(hash_name(hash.hash_function)))),
                Field::leaf("Hash", hex(&hash.hash)),
            ],
        ),
        Payload::Verification(verification) => Field::group(
            "V (RFC 3830 §6.9)",
            "",
            vec![
                Field::leaf("Auth alg", mac_name(verification.mac_algorithm)),
                Field::leaf("Verification MAC", mac_value(&verification.mac)),
            ],
        ),
        Payload::SecurityPolicy(policy) => {
            let mut children = vec![
                Field::leaf("Policy no", policy.policy_no),
                Field::leaf("Prot type", named(policy.protocol, protocol_name(policy.protocol))),
            ];
            children.extend(policy.params().map(|param| {
                let name =
                    if policy.protocol == protocol_type::SRTP { srtp_param_name(param.param_type) } else { None };
                Field::group(
                    "Policy param",
                    "",
                    vec![
                        Field::leaf("Type", named(param.param_type, name)),
                        Field::leaf("Length", param.value.len()),
                        Field::leaf("Value", srtp_param_value(policy.protocol, param.param_type, param.value)),
                    ],
                )
            }));
            Field::group("SP (RFC 3830 §6.10)", "", children)
        }
        Payload::Rand(rand) => Field::group("RAND (RFC 3830 §6.11)", "", rand_fields(rand)),
        Payload::RandWithRole(randr) => {
            let mut children = vec![Field::leaf("RAND Role", named(randr.role, rand_role_name(randr.role)))];
            children.extend(rand_fields(&randr.rand));
            Field::group("RANDR (RFC 6043 §6.8)", "", children)
        }
        Payload::TicketPolicy(policy) => Field::group("TP (RFC 6043 §6.10)", "", ticket_policy_fields(policy)),
        Payload::Ticket(ticket) => Field::group("TICKET (RFC 6043 §6.10)", "", ticket_fields(ticket)),
        Payload::Error(error) => Field::group(
            "ERR (RFC 3830 §6.12)",
            "",
            vec![{
                let known = mikey::MikeyErrorCode::from_u8(error.code);
                let name = (known as u8 == error.code).then(|| error_name(known));
                Field::leaf("Error no", named(error.code, name))
            }],
        ),
        Payload::GeneralExtension(extension) => Field::group(
            "General Ext. (RFC 3830 §6.15)",
            "",
            vec![
                Field::leaf("Type", named(extension.ext_type, extension_name(extension.ext_type))),
                Field::leaf("Length", extension.data.len()),
                Field::leaf("Data", hex(&extension.data)),
            ],
        ),
        Payload::Sakke(sakke) => Field::group(
            "SAKKE (RFC 6509 §4.2)",
            "",
            vec![
                Field::leaf("SAKKE params", named(sakke.params, (sakke.params == 1).then_some("Parameter Set 1"))),
                Field::leaf(
                    "ID scheme",
                    named(
                        sakke.id_scheme,
                        ["tel URI with monthly keys", "hashed UID"]
                            .get(usize::from(sakke.id_scheme.wrapping_sub(1)))
                            .copied(),
                    ),
                ),
                Field::leaf("SAKKE data length", sakke.data.len()),
                Field::leaf("SAKKE data", hex(&sakke.data)),
            ],
        ),
    }
}

/// The fields T and TR share: TS type and TS value as on the wire, with the UTC time an NTP-UTC
/// value names; a rekeying interval (TRr, RFC 6043 §6.10) shows its seconds instead.
fn timestamp_fields(timestamp: &Timestamp, is_interval: bool) -> Vec<Field> {
    let value = timestamp.value;
    let shown = match timestamp.ts_type {
        // NTP-UTC-32 is decoded into the high 32 bits of the 64-bit form.
        TimestampType::NtpUtc32 if is_interval => format!("{:#010x} ({} s)", value >> 32, value >> 32),
        TimestampType::NtpUtc32 => format!("{:#010x} ({})", value >> 32, utc_time(value)),
        TimestampType::NtpUtc => format!("{value:#018x} ({})", utc_time(value)),
        TimestampType::Ntp | TimestampType::Counter => format!("{value:#018x}"),
    };
    vec![
        Field::leaf("TS type", named(timestamp.ts_type.code(), Some(timestamp_type_name(timestamp.ts_type)))),
        Field::leaf("TS value", shown),
    ]
}

/// The fields RAND and RANDR share: RAND len and RAND.
fn rand_fields(rand: &[u8]) -> Vec<Field> {
    vec![Field::leaf("RAND len", rand.len()), Field::leaf("RAND", hex(rand))]
}

/// The Key data sub-payloads of a NULL-encrypted KEMAC: their types, lengths and key validity,
/// never the keys. Nothing when the data is not a Key data list.
fn clear_key_data(plaintext: &[u8]) -> Vec<Field> {
    let Ok(list) = KeyDataList::decode(plaintext, false).or_else(|_| KeyDataList::decode(plaintext, true)) else {
        return Vec::new();
    };
    let id = list.id.iter().map(|id| Field::group("ID (RFC 3830 §6.7)", "", identity(id.id_type, &id.data)));
    let keys = list.keys.iter().map(|key| {
        let mut children = vec![
            Field::leaf("Type", named(key.key_type.code(), Some(key_type_name(key.key_type)))),
            Field::leaf("Key data len", key.key.len()),
        ];
        children.extend(key.salt.map(|salt| Field::leaf("Salt len", salt.len())));
        children.extend(key_validity(&key.validity));
        Field::group("Key data (RFC 3830 §6.13)", "", children)
    });
    id.chain(keys).collect()
}

/// The fields TP and TICKET share (RFC 6043 §6.10), TP Data's payloads included.
fn ticket_policy_fields(policy: &TicketPolicy<'_>) -> Vec<Field> {
    let mut children = vec![
        Field::leaf("Ticket Type", named(policy.ticket_type, ticket_type_name(policy.ticket_type))),
        Field::leaf("Subtype", policy.subtype),
        Field::leaf("Version", policy.version),
        Field::leaf("PRF Func", named(policy.prf_function, prf_name(policy.prf_function))),
    ];
    let flags = policy.flags.in_wire_order().into_iter().zip(FLAG_MEANINGS);
    children.extend(flags.map(|((letter, on), meaning)| Field::leaf(format!("{letter} ({meaning})"), u8::from(on))));
    children.push(Field::leaf("Res", policy.reserved));
    children.push(Field::leaf("TP Data length", policy.tp_data.len()));
    children.push(payload_chain("TP Data", &policy.tp_data));
    children
}

/// The fields of a TICKET: its policy, its Ticket Data (a MIKEY base ticket's payloads) and its
/// Initiator Data.
fn ticket_fields(ticket: &Ticket<'_>) -> Vec<Field> {
    let mut children = ticket_policy_fields(&ticket.policy);
    children.push(Field::leaf("Ticket Data length", ticket.ticket_data.len()));
    let base_ticket = ticket.policy.is_mikey_base_ticket().then(|| BaseTicket::decode(&ticket.ticket_data));
    children.push(match base_ticket {
        Some(Ok(base)) => Field::group("Ticket Data", "MIKEY base ticket (RFC 6043 A)", base_ticket_fields(&base)),
        Some(Err(error)) => Field::group(
            "Ticket Data",
            hex(&ticket.ticket_data),
            vec![Field::leaf("not a MIKEY base ticket", error.context())],
        ),
        None => Field::leaf("Ticket Data", hex(&ticket.ticket_data)),
    });
    children.push(Field::leaf("Initiator Data length", ticket.initiator_data.len()));
    if !ticket.initiator_data.is_empty() {
        children.push(payload_chain("Initiator Data", &ticket.initiator_data));
    }
    children
}

/// A MIKEY base ticket's payloads: `THDR, T, RAND, KEMAC, [IDRpsk], V` (RFC 6043 A.1).
fn base_ticket_fields(ticket: &BaseTicket<'_>) -> Vec<Field> {
    let header = Field::group(
        "THDR (RFC 6043 A.3)",
        "",
        vec![
            Field::leaf("THDR Data length", ticket.header_data.len()),
            Field::leaf("THDR Data", hex(&ticket.header_data)),
        ],
    );
    let mut payloads = vec![
        Payload::Timestamp(ticket.timestamp),
        Payload::Rand(ticket.rand.clone()),
        Payload::Kemac(ticket.kemac.clone()),
    ];
    payloads.extend(ticket.tpk_id.clone().map(Payload::IdWithRole));
    payloads.push(Payload::Verification(ticket.verification.clone()));
    std::iter::once(header).chain(payloads.iter().map(payload)).collect()
}

/// A field carrying a payload chain (TP Data, Initiator Data): its payloads, or its hex and why
/// they do not decode.
fn payload_chain(name: &str, bytes: &[u8]) -> Field {
    match decode_payload_chain(bytes) {
        Ok(payloads) => Field::group(name, "", payloads.iter().map(payload).collect()),
        Err(error) => Field::group(name, hex(bytes), vec![Field::leaf("not a payload chain", error.context())]),
    }
}

/// What each Ticket Policy flag's '1' means (RFC 6043 §6.10), D to O.
const FLAG_MEANINGS: [&str; 12] = [
    "generated by the KMS",
    "Ticket Resolve mandatory",
    "TRANSFER_RESP to be sent",
    "Responder generates RANDRr",
    "RANDRi in TGK derivations",
    "key forking",
    "ticket reusable",
    "KMS changed the policy",
    "Initiator may supply keys",
    "Responder may supply keys",
    "Initiator needs no extra processing",
    "Responder needs no extra processing",
];

fn ticket_type_name(code: u16) -> Option<&'static str> {
    Some(match code {
        ticket_type::MIKEY_BASE_TICKET => "MIKEY base ticket",
        ticket_type::THREE_GPP_BASE_TICKET => "3GPP base ticket",
        code if ticket_type::PRIVATE_USE.contains(&code) => "private use",
        _ => return None,
    })
}

fn ts_role_name(code: u8) -> Option<&'static str> {
    Some(match code {
        ts_role::TIME_OF_ISSUE => "Time of issue (TRi)",
        ts_role::VALIDITY_START => "Start of validity period (TRs)",
        ts_role::VALIDITY_END => "End of validity period (TRe)",
        ts_role::REKEYING_INTERVAL => "Rekeying interval (TRr)",
        _ => return None,
    })
}

fn rand_role_name(code: u8) -> Option<&'static str> {
    Some(match code {
        rand_role::INITIATOR => "Initiator (RANDRi)",
        rand_role::RESPONDER => "Responder (RANDRr)",
        rand_role::KMS => "KMS (RANDRkms)",
        _ => return None,
    })
}

/// The fields ID and IDR share: ID Type, ID len, ID data.
fn identity(id_type: u8, data: &[u8]) -> Vec<Field> {
    vec![
        Field::leaf("ID Type", named(id_type, id_type_name(id_type))),
        Field::leaf("ID len", data.len()),
        Field::leaf("ID data", text_or_hex(data)),
    ]
}

fn id_type_name(code: u8) -> Option<&'static str> {
    match code {
        id_type::NAI => Some("NAI"),
        id_type::URI => Some("URI"),
        id_type::BYTE_STRING => Some("Byte string"),
        _ => None,
    }
}

fn id_role_name(code: u8) -> Option<&'static str> {
    Some(match code {
        id_role::INITIATOR => "Initiator (IDRi)",
        id_role::RESPONDER => "Responder (IDRr)",
        id_role::KMS => "KMS (IDRkms)",
        id_role::PSK => "Pre-Shared Key (IDRpsk)",
        id_role::APPLICATION => "Application (IDRapp)",
        id_role::INITIATOR_KMS => "Initiator's KMS (IDRkmsi)",
        id_role::RESPONDER_KMS => "Responder's KMS (IDRkmsr)",
        id_role::INITIATOR_UID => "Initiator's UID (IDRuidi)",
        id_role::RESPONDER_UID => "Responder's UID (IDRuidr)",
        _ => return None,
    })
}

fn extension_name(code: u8) -> Option<&'static str> {
    Some(match code {
        extension_type::VENDOR_ID => "Vendor ID",
        extension_type::SDP_IDS => "SDP IDs",
        extension_type::KEY_ID => "Key ID (RFC 4563)",
        extension_type::CSB_ID => "CSB ID (RFC 4563)",
        extension_type::OMA_BCAST => "OMA BCAST (RFC 5410)",
        extension_type::SAKKE_TO_SELF => "SAKKE-to-self (TS 33.180)",
        extension_type::KEY_PARAMETERS_3GPP => "3GPP key parameters (TS 33.180)",
        _ => return None,
    })
}

/// An SRTP policy parameter's value by its meaning (RFC 3830 Table 6.10.1.a–c, RFC 4771, RFC
/// 7714): algorithms by name, lengths in bytes, flags as off/on; anything else in hex.
fn srtp_param_value(protocol: u8, param_type: u8, value: &[u8]) -> String {
    // The key derivation rate may take 4 bytes (RFC 3711's 2^24 rate does not fit one).
    if protocol == protocol_type::SRTP
        && param_type == srtp_param::KEY_DERIVATION_RATE
        && (1..=4).contains(&value.len())
    {
        return value.iter().fold(0u32, |rate, &byte| rate << 8 | u32::from(byte)).to_string();
    }
    let (&[byte], protocol_type::SRTP) = (value, protocol) else { return hex(value) };
    let names: &[&str] = match param_type {
        srtp_param::ENCRYPTION_ALGORITHM => {
            &["NULL", "AES-CM", "AES-F8", "SEED-CTR", "SEED-CCM", "SEED-GCM", "AES-GCM", "ARIA-CTR", "ARIA-GCM"]
        }
        srtp_param::AUTH_ALGORITHM | srtp_param::SRTP_AUTH_ALGORITHM | srtp_param::SRTCP_AUTH_ALGORITHM => {
            &["NULL", "HMAC-SHA-1", "RCCm1", "RCCm2", "RCCm3"]
        }
        srtp_param::SRTP_PRF => &["AES-CM"],
        srtp_param::FEC_ORDER => &["FEC-SRTP", "SRTP-FEC"],
        srtp_param::SRTP_ENCRYPTION | srtp_param::SRTCP_ENCRYPTION | srtp_param::SRTP_AUTHENTICATION => &["off", "on"],
        srtp_param::SESSION_ENCRYPTION_KEY_LEN
        | srtp_param::SESSION_AUTH_KEY_LEN
        | srtp_param::SESSION_SALT_KEY_LEN
        | srtp_param::AUTH_TAG_LEN
        | srtp_param::SRTP_PREFIX_LEN
        | srtp_param::SRTP_SESSION_AUTH_KEY_LEN
        | srtp_param::SRTCP_SESSION_AUTH_KEY_LEN
        | srtp_param::SRTP_AUTH_TAG_LEN
        | srtp_param::SRTCP_AUTH_TAG_LEN
        | srtp_param::AEAD_AUTH_TAG_LEN => return format!("{byte} bytes"),
        srtp_param::ROC_TRANSMISSION_RATE => return byte.to_string(),
        _ => return hex(value),
    };
    named(byte, names.get(usize::from(byte)).copied())
}

fn srtp_param_name(code: u8) -> Option<&'static str> {
    Some(match code {
        srtp_param::ENCRYPTION_ALGORITHM => "Encryption algorithm",
        srtp_param::SESSION_ENCRYPTION_KEY_LEN => "Session Encr. key length",
        srtp_param::AUTH_ALGORITHM => "Authentication algorithm",
        srtp_param::SESSION_AUTH_KEY_LEN => "Session Auth. key length",
        srtp_param::SESSION_SALT_KEY_LEN => "Session Salt key length",
        srtp_param::SRTP_PRF => "SRTP Pseudo Random Function",
        srtp_param::KEY_DERIVATION_RATE => "Key derivation rate",
        srtp_param::SRTP_ENCRYPTION => "SRTP encryption off/on",
        srtp_param::SRTCP_ENCRYPTION => "SRTCP encryption off/on",
        srtp_param::FEC_ORDER => "sender's FEC order",
        srtp_param::SRTP_AUTHENTICATION => "SRTP authentication off/on",
        srtp_param::AUTH_TAG_LEN => "Authentication tag length",
        srtp_param::SRTP_PREFIX_LEN => "SRTP prefix length",
        srtp_param::ROC_TRANSMISSION_RATE => "ROC transmission rate (RFC 4771)",
        srtp_param::SRTP_AUTH_ALGORITHM => "SRTP Auth. algorithm (TS 33.180)",
        srtp_param::SRTCP_AUTH_ALGORITHM => "SRTCP Auth. algorithm (TS 33.180)",
        srtp_param::SRTP_SESSION_AUTH_KEY_LEN => "SRTP Session Auth. key length",
        srtp_param::SRTCP_SESSION_AUTH_KEY_LEN => "SRTCP Session Auth. key length",
        srtp_param::SRTP_AUTH_TAG_LEN => "SRTP Authentication tag length",
        srtp_param::SRTCP_AUTH_TAG_LEN => "SRTCP Authentication tag length",
        srtp_param::AEAD_AUTH_TAG_LEN => "AEAD authentication tag length (RFC 7714)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mikey::wire::{DataType, ErrorPayload, PayloadType};

    fn text_of(bytes: &[u8]) -> String {
        message(&Message::decode(bytes).unwrap(), bytes.len()).to_text()
    }

    fn assert_shows(text: &str, lines: &[&str]) {
        for line in lines {
            assert!(text.lines().any(|shown| shown.trim_start() == *line), "no {line:?} in\n{text}");
        }
    }

    #[test]
    fn a_ticket_shows_its_policy_its_flags_by_name_and_its_base_ticket() {
        let text = text_of(include_bytes!("../../../fuzz/corpus/decode_message/hand_ticket_transfer_init"));
        assert_shows(
            &text,
            &[
                "data type: TRANSFER_INIT (14)",
                "T (RFC 3830 §6.6)",
                "TS type: NTP-UTC (0)",
                "RANDR (RFC 6043 §6.8)",
                "RAND Role: Initiator (RANDRi) (1)",
                "RAND len: 16",
                "TICKET (RFC 6043 §6.10)",
                "Ticket Type: MIKEY base ticket (1)",
                "Subtype: 1",
                "Version: 1",
                "PRF Func: PRF-HMAC-SHA-256 (1)",
                "D (generated by the KMS): 1",
                "E (Ticket Resolve mandatory): 0",
                "G (Responder generates RANDRr): 1",
                "I (key forking): 0",
                "K (KMS changed the policy): 0",
                "O (Responder needs no extra processing): 1",
                "Res: 0",
                "TP Data length: 58",
                "TP Data",
                "TR (RFC 6043 §6.4)",
                "TS Role: End of validity period (TRe) (3)",
                "TS type: NTP-UTC-32 (3)",
                "TS value: 0xe9f80000 (2024-05-22 05:24:16 UTC)",
                "ID Role: Responder (IDRr) (2)",
                "Ticket Data: MIKEY base ticket (RFC 6043 A)",
                "THDR (RFC 6043 A.3)",
                "THDR Data: ba5e",
                "TS value: 0xe9f00000 (2024-05-16 03:46:08 UTC)",
                "Encr alg: AES-CM-128 (1)",
                "MAC: none",
                "ID Role: Pre-Shared Key (IDRpsk) (4)",
                "Auth alg: HMAC-SHA-1-160 (1)",
                "Initiator Data length: 0",
            ],
        );
        // The twelve flags, in wire order, each once.
        let flags: Vec<char> = text
            .lines()
            .filter_map(|line| line.trim_start().strip_suffix(": 1").or(line.trim_start().strip_suffix(": 0")))
            .filter(|name| name.len() > 2 && name.as_bytes()[1] == b' ' && name.ends_with(')'))
            .map(|name| name.chars().next().unwrap())
            .collect();
        assert_eq!(flags.iter().collect::<String>(), "DEFGHIJKLMNO");
    }

    #[test]
    fn a_tp_shows_its_requested_keys_by_type_and_never_their_bytes() {
        let text = text_of(include_bytes!("../../../fuzz/corpus/decode_message/hand_ticket_request_init_psk"));
        assert_shows(
            &text,
            &[
                "TP (RFC 6043 §6.10)",
                "ID Role: KMS (IDRkms) (3)",
                "TS Role: Start of validity period (TRs) (2)",
                "TS Role: Rekeying interval (TRr) (4)",
                "TS value: 0x00000e10 (3600 s)",
                "Encr data: 22 bytes, keys in clear (not shown)",
                "Key data (RFC 3830 §6.13)",
                "Type: GTGK (4)",
                "Key data len: 16",
                "KV: SPI/MKI (1)",
                "ID Role: Application (IDRapp) (5)",
            ],
        );
        assert!(!text.contains(&"00".repeat(16)), "a key's bytes are shown:\n{text}");
    }

    #[test]
    fn a_forked_ticket_shows_its_initiator_data_and_a_broken_base_ticket_says_why() {
        let seed = include_bytes!("../../../fuzz/corpus/decode_ticket/hand_ticket_forked");
        let chain = [&[PayloadType::Ticket.code()], &seed[1..]].concat();
        let mut payloads = decode_payload_chain(&chain).unwrap();
        let text = payload(&payloads[0]).to_text();
        assert_shows(&text, &["I (key forking): 1", "Initiator Data length: 69", "Initiator Data"]);
        assert_eq!(text.matches("V (RFC 3830 §6.9)").count(), 3, "Vi, Vr and the base ticket's V:\n{text}");
        let Payload::Ticket(ticket) = &mut payloads[0] else { unreachable!() };
        ticket.ticket_data = vec![0x05, 0x00].into();
        let text = payload(&payloads[0]).to_text();
        assert_shows(
            &text,
            &["Ticket Data: 0500", "not a MIKEY base ticket: truncated THDR Data: needs 2 bytes, 1 left"],
        );
    }

    #[test]
    fn srtp_session_data_and_policy_values_are_shown_by_meaning() {
        let text = text_of(include_bytes!("../../../fuzz/corpus/decode_message/hand_generic_map"));
        assert_shows(&text, &["Session Data: 00000001000000000005", "SSRC: 0x00000001", "ROC: 0", "SEQ: 5"]);
        let text = text_of(include_bytes!("../../../fuzz/corpus/decode_message/hand_sp_every_srtp_param"));
        let values = [
            "Value: AES-CM (1)",
            "Value: 16 bytes",
            "Value: HMAC-SHA-1 (1)",
            "Value: AES-CM (0)",
            "Value: 256",
            "Value: on (1)",
            "Value: off (0)",
            "Value: FEC-SRTP (0)",
        ];
        assert_shows(&text, &values);
        assert_eq!(srtp_param_value(0, srtp_param::ENCRYPTION_ALGORITHM, &[9]), "9 (unknown)");
        assert_eq!(srtp_param_value(0, srtp_param::ENCRYPTION_ALGORITHM, &[1, 0]), "0100", "not one byte");
        assert_eq!(srtp_param_value(1, srtp_param::ENCRYPTION_ALGORITHM, &[1]), "01", "not SRTP");
        // Session Data that is not SSRC [ROC SEQ] is shown in hex with the reason.
        let entry = GenericCsEntry {
            cs_id: 3,
            protocol: protocol_type::SRTP,
            session_data_flag: true,
            policy_nos: vec![].into(),
            session_data: vec![1, 2, 3, 4].into(),
            spi: vec![].into(),
        };
        let shown = session_data(&entry).to_text();
        assert!(shown.starts_with("Session Data: 01020304 (Malformed: SRTP Session Data"), "{shown}");
    }

    #[test]
    fn the_rfc_6043_error_numbers_are_named() {
        let header = CommonHeader {
            data_type: DataType::Error,
            verification_requested: false,
            prf_function: 1,
            csb_id: 1,
            cs_id_map: CsIdMap::Empty { cs_count: 0 },
        };
        let errors = [14, 15].map(|code| Payload::Error(ErrorPayload { code }));
        let text = message(&Message { header, payloads: errors.to_vec() }, 0).to_text();
        assert_shows(&text, &["Error no: Invalid TICKET (14)", "Error no: Invalid TPpar (15)"]);
    }
}
