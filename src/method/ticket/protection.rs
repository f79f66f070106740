//! How MIKEY-TICKET's messages are protected (RFC 6043 §5.1.2, §5.5): keys derived from a PSK,
//! an envelope key or an MPK; a KEMAC encrypted under them with a NULL MAC; and a V payload
//! whose MAC covers the message (but the MAC) followed by what Table 5.2 appends: the two
//! parties' identities after an initial message, the whole initial message after a response.
//! In TRANSFER_INIT, the TICKET's Initiator Data length and data are not covered.

use std::ops::Range;

use super::suite::TicketSuite;
use crate::crypto::ticket_kdf::{MessageDirection, TicketMessageKeys};
use crate::crypto::{
    decrypt_key_data, encrypt_key_data, EnvelopeKeyPurpose, KeyTransport, MacAlgorithm, MacKey, PrfFunction,
};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::exchange::kemac::{mac_algorithm_code, mac_algorithm_of, transport_code, transport_of};
use crate::secret::SecretBytes;
use crate::wire::{DataType, Kemac, KeyDataList, MacAlgorithmCode, Message, Payload, Ticket, Timestamp, Verification};

/// The keys protecting one MIKEY-TICKET message (§5.1.2), and the algorithms we send with.
pub(crate) struct MessageProtection {
    keys: TicketMessageKeys,
    suite: TicketSuite,
    csb_id: u32,
}

/// What follows a message in its MAC coverage (Table 5.2).
#[derive(Clone, Copy)]
pub(crate) enum Trailer<'a> {
    /// After an initial message: the identities (ID Data only) of the sender and the receiver.
    Identities(&'a [u8], &'a [u8]),
    /// After a response: the whole initial message, its MAC included.
    InitialMessage(&'a [u8]),
    /// After an error message: nothing (§5.4).
    Nothing,
}

impl<'a> Trailer<'a> {
    fn parts(self) -> [&'a [u8]; 2] {
        match self {
            Trailer::Identities(sender, receiver) => [sender, receiver],
            Trailer::InitialMessage(initial) => [initial, &[]],
            Trailer::Nothing => [&[], &[]],
        }
    }
}

impl MessageProtection {
    /// The keys for the message of CSB `csb_id` in `direction`, from `key` (a PSK, an envelope
    /// key or an MPK) with the RANDs of the exchange (an omitted one given empty), under the PRF
    /// the header names.
    pub(crate) fn new(
        prf: PrfFunction,
        key: &[u8],
        csb_id: u32,
        direction: MessageDirection,
        randri: &[u8],
        randrr: &[u8],
    ) -> Result<Self> {
        Ok(MessageProtection {
            keys: TicketMessageKeys::for_message(prf, key, csb_id, direction, randri, randrr)?,
            suite: TicketSuite::for_prf(prf),
            csb_id,
        })
    }

    /// The KEMAC carrying `keys` encrypted (encr_key and salt_key from these keys, the IV from
    /// the CSB ID and the message's `timestamp`), with a NULL MAC: the V payload carries the
    /// message's MAC (§4.2.1.5, §4.2.3.5, §5.2).
    pub(crate) fn seal_kemac(&self, keys: &KeyDataList<'_>, timestamp: &Timestamp) -> Result<Kemac<'static>> {
        keys.check_every_key_has_spi()?;
        let transport = self.suite.transport;
        let plaintext = keys.encode()?;
        let encrypted = encrypt_key_data(
            transport,
            self.keys.derive_secret(EnvelopeKeyPurpose::EncrKey, transport.key_len()).expose(),
            self.keys.derive_secret(EnvelopeKeyPurpose::Salt, transport.salt_len()).expose(),
            self.csb_id,
            &timestamp.as_64_bits(),
            plaintext.expose(),
        )?;
        Ok(Kemac {
            encryption_algorithm: transport_code(transport),
            encrypted_data: encrypted.into(),
            mac_algorithm: MacAlgorithmCode::Null,
            mac: Vec::new().into(),
        })
    }

    /// The key data of a KEMAC sealed as [`MessageProtection::seal_kemac`] does, in a message
    /// whose V was verified: the plaintext, zeroized on drop. Every key names its SPI.
    pub(crate) fn open_kemac(&self, kemac: &Kemac<'_>, timestamp: &Timestamp) -> Result<SecretBytes> {
        let transport = transport_of(kemac.encryption_algorithm)?;
        if transport == KeyTransport::Null {
            return Err(Error::new(ErrorKind::AuthFailed, "MIKEY-TICKET keys travel encrypted (RFC 6043 §4.2)")
                .with_peer_code(MikeyErrorCode::InvalidEncryptionAlgorithm));
        }
        if kemac.mac_algorithm != MacAlgorithmCode::Null {
            return Err(Error::malformed("a MIKEY-TICKET KEMAC has a NULL MAC; V carries the MAC (RFC 6043 §4.2)"));
        }
        let plaintext = decrypt_key_data(
            transport,
            self.keys.derive_secret(EnvelopeKeyPurpose::EncrKey, transport.key_len()).expose(),
            self.keys.derive_secret(EnvelopeKeyPurpose::Salt, transport.salt_len()).expose(),
            self.csb_id,
            &timestamp.as_64_bits(),
            &kemac.encrypted_data,
        )?;
        KeyDataList::decode(plaintext.expose(), false)?.check_every_key_has_spi()?;
        Ok(plaintext)
    }

    /// `message` with a V payload appended, MACed over what Table 5.2 says.
    pub(crate) fn seal(&self, mut message: Message<'_>, trailer: Trailer<'_>) -> Result<Vec<u8>> {
        let mac = self.suite.mac;
        let tag_len = mac.tag_len();
        message.payloads.push(Payload::Verification(Verification {
            mac_algorithm: mac_algorithm_code(mac),
            mac: vec![0; tag_len].into(),
        }));
        let mut bytes = message.encode()?;
        let excluded = excluded_span(&bytes, &Message::decode(&bytes)?)?;
        let auth = self.mac_key(mac);
        let covered_end = bytes.len() - tag_len;
        let [first, second] = trailer.parts();
        let tag = auth.sign_parts(&[&bytes[..excluded.start], &bytes[excluded.end..covered_end], first, second]);
        bytes[covered_end..].copy_from_slice(tag.as_slice());
        Ok(bytes)
    }

    /// Verifies the V payload, the last one, of a received message (`bytes` decoded as
    /// `message`) in constant time; a NULL MAC is refused.
    pub(crate) fn verify(&self, bytes: &[u8], message: &Message<'_>, trailer: Trailer<'_>) -> Result<()> {
        let Some(Payload::Verification(verification)) = message.payloads.last() else {
            return Err(Error::malformed("the last payload of a MIKEY-TICKET message is V (RFC 6043 §4.2)"));
        };
        let mac = mac_algorithm_of(verification.mac_algorithm);
        if TicketSuite::refuses(self.suite.transport, mac) {
            return Err(Error::new(ErrorKind::AuthFailed, "a NULL MAC protects nothing (RFC 6043 §4.2)")
                .with_peer_code(MikeyErrorCode::InvalidMac));
        }
        let excluded = excluded_span(bytes, message)?;
        let covered_end = bytes.len() - verification.mac.len();
        let [first, second] = trailer.parts();
        self.mac_key(mac)
            .verify_parts(
                &[&bytes[..excluded.start], &bytes[excluded.end..covered_end], first, second],
                &verification.mac,
            )
            .map_err(|error| error.with_peer_code(MikeyErrorCode::AuthFailure))
    }

    fn mac_key(&self, mac: MacAlgorithm) -> MacKey {
        MacKey::new(mac, self.keys.derive_secret(EnvelopeKeyPurpose::AuthKey, mac.key_len()).expose())
    }
}

/// The bytes of `bytes` (decoded as `message`) no MAC covers: in a TRANSFER_INIT, the TICKET's
/// Initiator Data length and data (§5.5); elsewhere none (an empty span at the start).
fn excluded_span(bytes: &[u8], message: &Message<'_>) -> Result<Range<usize>> {
    if message.header.data_type != DataType::TicketTransferInit {
        return Ok(0..0);
    }
    let Some(ticket) = message.find(Payload::as_ticket) else {
        return Ok(0..0);
    };
    initiator_data_span(bytes, ticket)
}

/// Where a decoded TICKET's Initiator Data length field and data lie in the message bytes it
/// was decoded from (its data borrows from them).
fn initiator_data_span(bytes: &[u8], ticket: &Ticket<'_>) -> Result<Range<usize>> {
    let data = ticket.initiator_data.as_ref();
    let offset = (data.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
    match offset.checked_add(data.len()) {
        Some(end) if offset >= 2 && end <= bytes.len() => Ok(offset - 2..end),
        _ => Err(Error::invalid_argument("the TICKET was not decoded from these message bytes")),
    }
}
