//! MIKEY-TICKET (RFC 6043): a KMS issues a ticket to the initiator, which transfers it to the
//! responder, which resolves it at the KMS or, holding the TPK, itself.
//!
//! - `base`: the MIKEY base ticket (Appendix A) sealed and opened under a TPK.
//! - `forking`: the TICKET's Initiator Data, which key forking adds (§5.1.1, §6.10).
//! - `kms_exchange`: Ticket Request and Ticket Resolve, both ends (§4.2.1, §4.2.3).
//! - `policy`: the terms a Ticket Policy's TP Data sets (validity, responders, ...).
//! - `protection`: the keys, KEMAC and V MAC of every MIKEY-TICKET message (§5.1.2, §5.5).
//! - `suite`: the algorithms MIKEY-TICKET's own messages are protected with.
//! - `transfer`: the Ticket Transfer exchange, the method sessions run (§4.2.2).

use std::sync::Arc;

use super::{
    Answer, Answering, Completing, Credentials, KeyManagement, KmsConsultation, Offer, Offering, Pending, Received,
};
use crate::bundle::Bundle;
use crate::error::Result;
use crate::wire::DataType;

pub(crate) mod base;
pub(crate) mod forking;
pub(crate) mod kms_exchange;
pub(crate) mod policy;
mod protection;
mod suite;
mod transfer;

pub use base::TicketProtectionKey;
pub use policy::TicketTerms;
pub(crate) use transfer::{HeldTicket, TicketPending};

/// MIKEY-TICKET as a session's method: the initiator's Ticket Request and Transfer, the
/// responder's Transfer and Resolve.
#[derive(Debug)]
pub(crate) struct Ticket;

impl KeyManagement for Ticket {
    fn credentials(&self) -> Credentials {
        Credentials::TicketParty
    }

    fn request_type(&self, _update: Option<&Bundle>) -> DataType {
        DataType::TicketTransferInit
    }

    /// RFC 6043 §4.2.2.3: the responder "SHALL generate a fresh timestamp value"; its MAC covers
    /// our whole TRANSFER_INIT instead.
    fn response_echoes_timestamp(&self) -> bool {
        false
    }

    /// RFC 6043 §5.2: "The CSB updating can also be started by the Responder".
    fn updates_from_either_end(&self) -> bool {
        true
    }

    fn offer(&self, cx: &Offering<'_>) -> Result<Offer> {
        transfer::offer(cx)
    }

    fn consult_kms(&self, cx: &Answering<'_>, received: &Received<'_>) -> Result<Option<KmsConsultation>> {
        transfer::consult_kms(cx, received)
    }

    fn answer(&self, cx: &Answering<'_>, received: &Received<'_>) -> Result<Answer> {
        transfer::answer(cx, received)
    }

    fn resume_answer(&self, cx: &Answering<'_>, pending: &Pending, received: &Received<'_>) -> Result<Answer> {
        transfer::resume_answer(cx, pending, received)
    }

    fn take_ticket(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<Arc<HeldTicket>> {
        transfer::take_ticket(cx, received)
    }

    fn complete(&self, cx: &Completing<'_>, received: &Received<'_>) -> Result<Option<Bundle>> {
        transfer::complete(cx, received)
    }
}
