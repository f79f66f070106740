//! MIKEY-TICKET (RFC 6043): a KMS issues a ticket to the initiator, which transfers it to the
//! responder, which resolves it at the KMS or, holding the TPK, itself.
//!
//! - `base`: the MIKEY base ticket (Appendix A) sealed and opened under a TPK.
//! - `forking`: the TICKET's Initiator Data, which key forking adds (§5.1.1, §6.10).
//! - `kms_exchange`: Ticket Request and Ticket Resolve, both ends (§4.2.1, §4.2.3).
//! - `policy`: the terms a Ticket Policy's TP Data sets (validity, responders, ...).
//! - `protection`: the keys, KEMAC and V MAC of every MIKEY-TICKET message (§5.1.2, §5.5).
//! - `suite`: the algorithms MIKEY-TICKET's own messages are protected with.

pub(crate) mod base;
pub(crate) mod forking;
pub(crate) mod kms_exchange;
mod policy;
mod protection;
mod suite;

pub use base::TicketProtectionKey;
pub use policy::TicketTerms;
