//! What a Ticket Policy's TP Data says (RFC 6043 §6.10): the KMS and initiator it names, the
//! validity window, the rekeying interval, the requested keys, and the applications and
//! responders it authorises.

use crate::clock::ntp_diff;
use crate::error::{Error, MikeyErrorCode, Result};
use crate::wire::registry::{id_role, id_type, ts_role};
use crate::wire::{
    encode_payload_chain, IdrPayload, Kemac, Payload, TicketPolicy, Timestamp, TimestampType, TimestampWithRole,
};

/// The terms of a Ticket Policy, read from or written to its TP Data:
/// `First Payload, [IDRkms], [IDRi], [TRs], [TRe], [TRr], [KEMAC], {IDRapp}, (IDRr)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketTerms {
    /// IDRkms: a KMS that can resolve the ticket.
    pub kms: Option<Vec<u8>>,
    /// IDRi: the peer that requested or created the ticket.
    pub initiator: Option<Vec<u8>>,
    /// TRs: the start of the validity period, as 64-bit NTP time; `None`: no defined start.
    pub valid_from: Option<u64>,
    /// TRe: the end of the validity period, as 64-bit NTP time; `None`: no defined end.
    pub valid_until: Option<u64>,
    /// TRr: the longest time between two rekeyings, in seconds.
    pub rekeying_interval: Option<u32>,
    /// KEMAC: the keys requested, with NULL encryption and MAC and zeroed key fields. Never
    /// present in a granted policy.
    pub requested_keys: Option<Kemac<'static>>,
    /// IDRapp: the authorised application IDs; none means all.
    pub applications: Vec<Vec<u8>>,
    /// IDRr: the responders (or groups) authorised to resolve the ticket.
    pub responders: Vec<Vec<u8>>,
}

/// `ntp` (64-bit NTP time) without its fraction, as NTP-UTC-32 carries validity times (§6.3).
pub(crate) fn whole_seconds(ntp: u64) -> u64 {
    ntp & !0xFFFF_FFFF
}

/// A Ticket Policy term that is not what it may be is an invalid TP parameter (§6.9).
fn invalid_term(what: String) -> Error {
    Error::malformed(what).with_peer_code(MikeyErrorCode::InvalidTicketPolicyParameter)
}

impl TicketTerms {
    /// The terms of `policy`'s TP Data. Payloads §6.10 does not list there are ignored, as it
    /// asks; a listed one given twice, a TRr not in NTP-UTC-32, or no IDRr ("(IDRr)": one or
    /// more, §2.1) is refused.
    pub fn read(policy: &TicketPolicy<'_>) -> Result<Self> {
        let mut terms = TicketTerms::default();
        let payloads = policy.tp_data_payloads().map_err(|error| invalid_term(error.context().to_owned()))?;
        for payload in &payloads {
            match payload {
                Payload::IdWithRole(id) => match id.role {
                    id_role::KMS => once(&mut terms.kms, id.data.to_vec(), "IDRkms")?,
                    id_role::INITIATOR => once(&mut terms.initiator, id.data.to_vec(), "IDRi")?,
                    id_role::APPLICATION => terms.applications.push(id.data.to_vec()),
                    id_role::RESPONDER => terms.responders.push(id.data.to_vec()),
                    _ => {}
                },
                Payload::TimestampWithRole(TimestampWithRole { role, timestamp }) => match *role {
                    ts_role::VALIDITY_START => once(&mut terms.valid_from, timestamp.value, "TRs")?,
                    ts_role::VALIDITY_END => once(&mut terms.valid_until, timestamp.value, "TRe")?,
                    ts_role::REKEYING_INTERVAL if timestamp.ts_type == TimestampType::NtpUtc32 => {
                        once(&mut terms.rekeying_interval, (timestamp.value >> 32) as u32, "TRr")?
                    }
                    ts_role::REKEYING_INTERVAL => {
                        return Err(invalid_term("the TS type of TRr SHALL be NTP-UTC-32 (RFC 6043 §6.10)".into()))
                    }
                    _ => {}
                },
                Payload::Kemac(kemac) => once(&mut terms.requested_keys, owned_kemac(kemac), "KEMAC")?,
                _ => {}
            }
        }
        if terms.responders.is_empty() {
            return Err(invalid_term("a Ticket Policy names one or more responders, IDRr (RFC 6043 §6.10)".into()));
        }
        Ok(terms)
    }

    /// The TP Data of these terms, in the order of §6.10.
    pub fn tp_data(&self) -> Result<Vec<u8>> {
        let idr = |role, data: &[u8]| {
            Payload::IdWithRole(IdrPayload { role, id_type: id_type::BYTE_STRING, data: data.to_vec().into() })
        };
        let tr = |role, ts_type, value| {
            Payload::TimestampWithRole(TimestampWithRole { role, timestamp: Timestamp { ts_type, value } })
        };
        let mut payloads = Vec::new();
        payloads.extend(self.kms.as_deref().map(|kms| idr(id_role::KMS, kms)));
        payloads.extend(self.initiator.as_deref().map(|initiator| idr(id_role::INITIATOR, initiator)));
        payloads.extend(self.valid_from.map(|from| tr(ts_role::VALIDITY_START, TimestampType::NtpUtc32, from)));
        payloads.extend(self.valid_until.map(|until| tr(ts_role::VALIDITY_END, TimestampType::NtpUtc32, until)));
        payloads.extend(
            self.rekeying_interval
                .map(|seconds| tr(ts_role::REKEYING_INTERVAL, TimestampType::NtpUtc32, u64::from(seconds) << 32)),
        );
        payloads.extend(self.requested_keys.clone().map(Payload::Kemac));
        payloads.extend(self.applications.iter().map(|application| idr(id_role::APPLICATION, application)));
        payloads.extend(self.responders.iter().map(|responder| idr(id_role::RESPONDER, responder)));
        encode_payload_chain(&payloads)
    }

    /// Whether `now` (64-bit NTP time) lies in the validity period: an omitted TRs or TRe leaves
    /// that end open (§6.10). Outside it, the ticket is an Invalid TICKET (§6.9).
    pub fn check_valid_at(&self, now: u64) -> Result<()> {
        let started = self.valid_from.is_none_or(|from| ntp_diff(now, from) >= 0);
        let not_ended = self.valid_until.is_none_or(|until| ntp_diff(until, now) >= 0);
        match (started, not_ended) {
            (true, true) => Ok(()),
            (false, _) => Err(expired("is not valid yet (TRs)")),
            (_, false) => Err(expired("has expired (TRe)")),
        }
    }

    /// Whether `responder` is one of the responders the terms name.
    pub fn names_responder(&self, responder: &[u8]) -> bool {
        self.responders.iter().any(|named| named == responder)
    }
}

fn expired(what: &str) -> Error {
    Error::new(crate::error::ErrorKind::Timestamp, format!("the ticket {what}"))
        .with_peer_code(MikeyErrorCode::InvalidTicket)
}

/// Sets `slot` to `value` unless a payload already did.
fn once<T>(slot: &mut Option<T>, value: T, what: &str) -> Result<()> {
    if slot.replace(value).is_some() {
        return Err(invalid_term(format!("two {what} payloads in a Ticket Policy")));
    }
    Ok(())
}

fn owned_kemac(kemac: &Kemac<'_>) -> Kemac<'static> {
    Kemac {
        encryption_algorithm: kemac.encryption_algorithm,
        encrypted_data: kemac.encrypted_data.to_vec().into(),
        mac_algorithm: kemac.mac_algorithm,
        mac: kemac.mac.to_vec().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ntp_from_seconds;
    use crate::wire::registry::ticket_type;
    use crate::wire::{decode_payload_chain, MacAlgorithmCode, TicketFlags};

    const NOON: u64 = 0xEAB0_0000_0000_0000;

    fn policy_with(tp_data: Vec<u8>) -> TicketPolicy<'static> {
        TicketPolicy {
            ticket_type: ticket_type::MIKEY_BASE_TICKET,
            subtype: 1,
            version: 1,
            prf_function: 0,
            flags: TicketFlags {
                generated_by_kms: true,
                responder_rand: true,
                transfer_response: true,
                ..TicketFlags::default()
            },
            reserved: 0,
            tp_data: tp_data.into(),
        }
    }

    fn full_terms() -> TicketTerms {
        TicketTerms {
            kms: Some(b"kms.example.org".to_vec()),
            initiator: Some(b"sip:alice@example.org".to_vec()),
            valid_from: Some(NOON),
            valid_until: Some(NOON + (3600 << 32)),
            rekeying_interval: Some(600),
            requested_keys: Some(Kemac {
                encryption_algorithm: 0,
                encrypted_data: vec![0; 4].into(),
                mac_algorithm: MacAlgorithmCode::Null,
                mac: Vec::new().into(),
            }),
            applications: vec![b"app-1".to_vec()],
            responders: vec![b"sip:bob@example.org".to_vec(), b"sip:carol@example.org".to_vec()],
        }
    }

    #[test]
    fn terms_round_trip_through_the_tp_data_in_the_rfc_order() {
        let terms = full_terms();
        let tp_data = terms.tp_data().unwrap();
        assert_eq!(TicketTerms::read(&policy_with(tp_data.clone())).unwrap(), terms);
        let roles: Vec<(crate::wire::PayloadType, u8)> = decode_payload_chain(&tp_data)
            .unwrap()
            .iter()
            .map(|payload| {
                let role = match payload {
                    Payload::IdWithRole(id) => id.role,
                    Payload::TimestampWithRole(tr) => tr.role,
                    _ => 0,
                };
                (payload.payload_type(), role)
            })
            .collect();
        use crate::wire::PayloadType::{IdWithRole as Idr, Kemac as K, TimestampWithRole as Tr};
        assert_eq!(roles, [(Idr, 3), (Idr, 1), (Tr, 2), (Tr, 3), (Tr, 4), (K, 0), (Idr, 5), (Idr, 2), (Idr, 2)]);
        // NTP-UTC-32: whole seconds.
        assert!(tp_data.windows(4).any(|window| window == 0xEAB0_0000u32.to_be_bytes()));
    }

    #[test]
    fn the_validity_window_has_open_ends_when_omitted() {
        let terms = full_terms();
        assert!(terms.check_valid_at(NOON).is_ok());
        assert!(terms.check_valid_at(NOON + (3600 << 32)).is_ok());
        let early = terms.check_valid_at(NOON - 1).unwrap_err();
        assert_eq!(early.peer_code(), Some(MikeyErrorCode::InvalidTicket));
        assert!(early.context().contains("not valid yet"));
        let late = terms.check_valid_at(NOON + (3601 << 32)).unwrap_err();
        assert!(late.context().contains("expired"), "{late}");
        let open = TicketTerms { valid_from: None, valid_until: None, ..full_terms() };
        assert!(open.check_valid_at(0).is_ok() && open.check_valid_at(u64::MAX).is_ok());
        // Across the NTP era wrap of 2036 (RFC 4330 §3): a window from just before to after it.
        let wrapping =
            TicketTerms { valid_from: Some(u64::MAX - (60 << 32)), valid_until: Some(60 << 32), ..full_terms() };
        assert!(wrapping.check_valid_at(ntp_from_seconds(1) as u64).is_ok());
    }

    #[test]
    fn responders_are_named_one_or_more() {
        let terms = full_terms();
        assert!(terms.names_responder(b"sip:carol@example.org"));
        assert!(!terms.names_responder(b"sip:mallory@example.org"));
        let error = TicketTerms::read(&policy_with(vec![0])).unwrap_err();
        assert!(error.context().contains("one or more responders"), "{error}");
    }

    #[test]
    fn a_term_given_twice_or_a_trr_of_another_type_is_an_invalid_parameter() {
        let twice = TicketTerms { kms: Some(b"a".to_vec()), ..TicketTerms::default() }.tp_data().unwrap();
        let mut doubled = twice.clone();
        // Chain a second IDRkms after the first: first-payload octet, then IDR with next = IDR.
        doubled[1] = crate::wire::PayloadType::IdWithRole.code();
        doubled.extend_from_slice(&twice[1..]);
        assert_eq!(decode_payload_chain(&doubled).unwrap().len(), 2);
        let error = TicketTerms::read(&policy_with(doubled)).unwrap_err();
        assert_eq!(error.peer_code(), Some(MikeyErrorCode::InvalidTicketPolicyParameter));
        let trr = Payload::TimestampWithRole(TimestampWithRole {
            role: ts_role::REKEYING_INTERVAL,
            timestamp: Timestamp { ts_type: TimestampType::NtpUtc, value: 600 << 32 },
        });
        let bob =
            Payload::IdWithRole(IdrPayload { role: id_role::RESPONDER, id_type: 2, data: b"bob".to_vec().into() });
        let error = TicketTerms::read(&policy_with(encode_payload_chain(&[trr, bob]).unwrap())).unwrap_err();
        assert!(error.context().contains("NTP-UTC-32"), "{error}");
    }
}
