//! `mikey kms`: a MIKEY-TICKET KMS (RFC 6043) on UDP, one datagram per message, answering each
//! to its sender, so that `mikey initiate --method ticket` and `mikey respond --method ticket`
//! can be seen working over real sockets. The library's [`mikey::Kms`] answers Ticket Requests
//! (§4.2.1) and Ticket Resolves (§4.2.3); this prints one line per exchange (who, which exchange,
//! the result) and never a key. A message that does not authenticate gets no answer (§5.4): it
//! is logged to standard error with the reason.

use std::net::{SocketAddr, UdpSocket};

use clap::Args;
use mikey::wire::registry::id_role;
use mikey::wire::{DataType, Message, Payload};
use mikey::{Kms, KmsConfig, Rejection, TicketProtectionKey, MAX_MESSAGE_LEN};

use crate::describe::json_string;
use crate::input::named_key;

/// What `mikey kms` runs with.
#[derive(Args)]
pub struct KmsArgs {
    /// The UDP address to listen on (RFC 6043 names no port).
    #[arg(long, value_name = "ADDRESS")]
    listen: SocketAddr,
    /// The KMS's identity, its IDRkms: what the clients give as --kms-id.
    #[arg(long, value_name = "URI")]
    id: String,
    /// A ticket protection key: its identifier, a colon, the key in hex (at least 16 bytes). The
    /// first seals new tickets; all open them. Repeat for more.
    #[arg(long, value_name = "ID:HEX", required = true, value_parser = parse_tpk)]
    tpk: Vec<TicketProtectionKey>,
    /// A client: its identity (the --id it runs with), a colon, and the PSK it shares with the
    /// KMS in hex (at least 16 bytes). Repeat for each initiator and responder.
    #[arg(long, value_name = "URI:PSKHEX", value_parser = named_key)]
    client: Vec<(String, Vec<u8>)>,
    /// The responders hold the TPK too (mode 2 of RFC 6043 §4.1.1): tickets without key forking
    /// then need no Ticket Resolve.
    #[arg(long)]
    responders_hold_tpk: bool,
    /// Exit after answering N messages (refusals sent as error messages count); by default the
    /// KMS runs until killed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// Print each exchange as a JSON object, one a line.
    #[arg(long)]
    json: bool,
}

/// A `--tpk ID:HEX` value.
pub fn parse_tpk(text: &str) -> Result<TicketProtectionKey, String> {
    let (id, key) = named_key(text)?;
    TicketProtectionKey::new(id.as_bytes(), &key).map_err(|error| error.context().to_owned())
}

impl KmsArgs {
    /// The library's KMS with these keys and clients.
    fn kms(&self) -> Result<Kms, String> {
        let describe = |error: mikey::Error| error.context().to_owned();
        let mut config = KmsConfig::new(self.id.as_bytes()).map_err(describe)?;
        for tpk in &self.tpk {
            config.add_tpk(tpk.clone()).map_err(describe)?;
        }
        for (identity, psk) in &self.client {
            config
                .add_client(identity.as_bytes(), psk)
                .map_err(|error| format!("--client {identity}: {}", error.context()))?;
        }
        config.set_responders_hold_tpk(self.responders_hold_tpk);
        Kms::new(config).map_err(describe)
    }
}

/// One answered exchange, as printed.
struct Exchange {
    /// Ticket Request or Ticket Resolve.
    name: &'static str,
    /// The client's identity, from its IDRi or IDRr.
    client: String,
    from: SocketAddr,
    /// What the KMS did, or why it refused.
    result: Result<&'static str, String>,
}

impl Exchange {
    /// The exchange `request` started with the client at `from`, answered (`refusal`: with an
    /// error message, for that reason). The KMS answered, so the request decodes.
    fn of(request: &[u8], from: SocketAddr, refusal: Option<String>) -> Exchange {
        let message = Message::decode(request).ok();
        let (name, done) = match message.as_ref().map(|message| message.header.data_type) {
            Some(DataType::TicketRequestInitPsk) => ("Ticket Request", "ticket issued"),
            Some(DataType::TicketResolveInitPsk) => ("Ticket Resolve", "ticket resolved"),
            _ => ("An unknown exchange", "answered"),
        };
        let client = message
            .as_ref()
            .and_then(|message| {
                message.payloads.iter().filter_map(Payload::as_id_with_role).find(|idr| {
                    (idr.role == id_role::INITIATOR || idr.role == id_role::RESPONDER) && !idr.data.is_empty()
                })
            })
            .map_or_else(|| "an unnamed client".to_owned(), |idr| String::from_utf8_lossy(&idr.data).into_owned());
        Exchange { name, client, from, result: refusal.map_or(Ok(done), Err) }
    }

    fn to_text(&self) -> String {
        let result = match &self.result {
            Ok(done) => (*done).to_owned(),
            Err(reason) => format!("refused: {reason}"),
        };
        format!("{} from {} at {}: {result}", self.name, self.client, self.from)
    }

    fn to_json(&self) -> String {
        let result = match &self.result {
            Ok(done) => json_string(done),
            Err(reason) => format!("\"refused\",\"reason\":{}", json_string(reason)),
        };
        format!(
            "{{\"exchange\":{},\"client\":{},\"from\":{},\"result\":{result}}}",
            json_string(self.name),
            json_string(&self.client),
            json_string(&self.from.to_string())
        )
    }
}

/// Runs the KMS until it has answered `--count` messages, or forever.
pub fn serve(args: &KmsArgs) -> Result<(), String> {
    let kms = args.kms()?;
    let socket = UdpSocket::bind(args.listen).map_err(|error| format!("{}: {error}", args.listen))?;
    eprintln!("mikey kms: waiting on UDP {}", socket.local_addr().map_err(|error| error.to_string())?);
    let mut buffer = vec![0u8; MAX_MESSAGE_LEN];
    let mut answered = 0;
    while args.count.is_none_or(|count| answered < count) {
        let (length, from) = socket.recv_from(&mut buffer).map_err(|error| error.to_string())?;
        let request = &buffer[..length];
        let (answer, refusal) = match kms.process_message(request) {
            Ok(answer) => (answer, None),
            // Authenticated, then refused: the client gets an error message (§5.4).
            Err(Rejection { error, response: Some(error_message) }) => {
                (error_message, Some(error.context().to_owned()))
            }
            Err(Rejection { error, response: None }) => {
                eprintln!("mikey kms: no answer to {length} bytes from {from}: {}", error.context());
                continue;
            }
        };
        if let Err(error) = socket.send_to(&answer, from) {
            eprintln!("mikey kms: could not answer {from}: {error}");
            continue;
        }
        let exchange = Exchange::of(request, from, refusal);
        println!("{}", if args.json { exchange.to_json() } else { exchange.to_text() });
        answered += 1;
    }
    Ok(())
}
