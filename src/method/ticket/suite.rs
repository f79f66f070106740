//! The algorithms of MIKEY-TICKET's own protection (RFC 6043 §6.2): what we send follows the
//! PRF in use, and what we take may be any of RFC 3830's and RFC 6043's but the NULL ones.

use crate::crypto::{KeyTransport, MacAlgorithm, PrfFunction};

/// A KEMAC encryption and a MAC used together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TicketSuite {
    pub(crate) transport: KeyTransport,
    pub(crate) mac: MacAlgorithm,
}

impl TicketSuite {
    /// What we protect with under `prf`: with PRF-HMAC-SHA-256, RFC 6043's AES-CM-256 and
    /// HMAC-SHA-256-256; with MIKEY-1, RFC 3830's AES-CM-128 and HMAC-SHA-1-160.
    pub(crate) fn for_prf(prf: PrfFunction) -> Self {
        match prf {
            PrfFunction::HmacSha256 => {
                TicketSuite { transport: KeyTransport::AesCm256, mac: MacAlgorithm::HmacSha256_256 }
            }
            PrfFunction::MikeyHmacSha1 | PrfFunction::MinisipHmacSha1 => {
                TicketSuite { transport: KeyTransport::AesCm128, mac: MacAlgorithm::HmacSha1_160 }
            }
        }
    }

    /// True for protection we never take: NULL encryption or a NULL MAC. Keys travel
    /// encrypted and every message is MACed or signed in MIKEY-TICKET (RFC 6043 §4.2).
    pub(crate) fn refuses(transport: KeyTransport, mac: MacAlgorithm) -> bool {
        transport == KeyTransport::Null || mac == MacAlgorithm::Null
    }
}
