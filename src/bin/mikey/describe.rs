//! A decoded MIKEY message as a tree of fields named as their RFCs name them, rendered as
//! indented text or as JSON. Key material is never shown: a KEMAC with NULL encryption (whose
//! data are the keys in clear) shows its length only.

use mikey::wire::registry::{encryption_algorithm, extension_type, id_role, id_type, protocol_type, srtp_param};
use mikey::wire::{CommonHeader, CsIdMap, KeyValidity, Message, Payload};

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

/// `name (code)` for a code with a registered name, else the code.
fn named(code: u8, name: Option<&str>) -> String {
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
        Field::leaf("data type", format!("{:?} ({})", header.data_type, header.data_type.code())),
        Field::leaf("V", u8::from(header.verification_requested)),
        Field::leaf(
            "PRF func",
            named(
                header.prf_function,
                [Some("MIKEY-1"), Some("PRF-HMAC-SHA-256")].get(usize::from(header.prf_function)).copied().flatten(),
            ),
        ),
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
                        Field::leaf("Session Data", hex(&entry.session_data)),
                        Field::leaf("SPI", hex(&entry.spi)),
                    ],
                )
            }));
        }
    }
    Field::group("HDR (RFC 3830 §6.1)", "", children)
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
            let data = if encryption == encryption_algorithm::NULL {
                format!("{} bytes, keys in clear (not shown)", kemac.encrypted_data.len())
            } else {
                hex(&kemac.encrypted_data)
            };
            Field::group(
                "KEMAC (RFC 3830 §6.2)",
                "",
                vec![
                    Field::leaf(
                        "Encr alg",
                        named(
                            encryption,
                            ["NULL", "AES-CM-128", "AES-KW-128", "AES-CM-256"].get(usize::from(encryption)).copied(),
                        ),
                    ),
                    Field::leaf("Encr data len", kemac.encrypted_data.len()),
                    Field::leaf("Encr data", data),
                    Field::leaf("MAC alg", format!("{:?} ({})", kemac.mac_algorithm, kemac.mac_algorithm.code())),
                    Field::leaf("MAC", hex(&kemac.mac)),
                ],
            )
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
                Field::leaf("DH-Group", format!("{:?} ({})", dh.group, dh.group.code())),
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
        Payload::Timestamp(timestamp) => Field::group(
            "T (RFC 3830 §6.6)",
            "",
            vec![
                Field::leaf("TS type", format!("{:?} ({})", timestamp.ts_type, timestamp.ts_type.code())),
                Field::leaf("TS value", format!("{:#018x}", timestamp.value)),
            ],
        ),
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
                Field::leaf("Hash func", format!("{:?} ({})", hash.hash_function, hash.hash_function.code())),
                Field::leaf("Hash", hex(&hash.hash)),
            ],
        ),
        Payload::Verification(verification) => Field::group(
            "V (RFC 3830 §6.9)",
            "",
            vec![
                Field::leaf(
                    "Auth alg",
                    format!("{:?} ({})", verification.mac_algorithm, verification.mac_algorithm.code()),
                ),
                Field::leaf("Verification MAC", hex(&verification.mac)),
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
                        Field::leaf("Value", hex(param.value)),
                    ],
                )
            }));
            Field::group("SP (RFC 3830 §6.10)", "", children)
        }
        Payload::Rand(rand) => Field::group(
            "RAND (RFC 3830 §6.11)",
            "",
            vec![Field::leaf("RAND len", rand.len()), Field::leaf("RAND", hex(rand))],
        ),
        Payload::Error(error) => Field::group(
            "ERR (RFC 3830 §6.12)",
            "",
            vec![{
                let known = mikey::MikeyErrorCode::from_u8(error.code);
                let name = (known as u8 == error.code).then(|| format!("{known:?}"));
                Field::leaf("Error no", named(error.code, name.as_deref()))
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
