//! `mikey respond` and `mikey initiate`: one MIKEY exchange over UDP (port 2269, RFC 5197 §6, by
//! default) with the library's sessions, printing the exported SRTP keys. The responder answers
//! one I_MESSAGE (and any error message it calls for) and exits; the initiator sends its
//! I_MESSAGE, waits for the R_MESSAGE when its method has one, and exits.
//!
//! MIKEY-TICKET (RFC 6043) adds the KMS: a message the session returns in state `WaitKms` (the
//! initiator's REQUEST_INIT, the responder's RESOLVE_INIT) goes to `--kms`, and its answer back
//! to the session, before the TRANSFER_INIT and TRANSFER_RESP pass between the peers.

use std::io::ErrorKind;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use clap::{Args, ValueEnum};
use mikey::{Config, Method, Rejection, Role, Session, SrtpKeys, State, TicketProtectionKey, MAX_MESSAGE_LEN};

use crate::input::hex_bytes;

/// The key-management methods the network commands run.
#[derive(Clone, Copy, ValueEnum)]
pub enum MethodName {
    /// Pre-shared key (RFC 3830 §3.1): --psk.
    Psk,
    /// HMAC-authenticated Diffie-Hellman (RFC 4650): --psk.
    DhHmac,
    /// Signed Diffie-Hellman (RFC 3830 §3.3): --cert, --key, --ca or --peer-cert.
    DhSign,
    /// Public-key envelope (RFC 3830 §3.2): --cert, --key, --ca or --peer-cert.
    Pk,
    /// Reverse RSA (RFC 4738): --cert, --key, --ca or --peer-cert.
    RsaR,
    /// MIKEY-TICKET (RFC 6043): --id, and --kms, --kms-id and --psk for a KMS, or --tpk.
    Ticket,
}

impl MethodName {
    fn method(self) -> Method {
        match self {
            MethodName::Psk => Method::Psk,
            MethodName::DhHmac => Method::DhHmac,
            MethodName::DhSign => Method::DhSign,
            MethodName::Pk => Method::Pk,
            MethodName::RsaR => Method::RsaR,
            MethodName::Ticket => Method::Ticket,
        }
    }
}

/// What both ends of an exchange are configured with.
#[derive(Args)]
pub struct Peer {
    /// The key-management method.
    #[arg(long, value_enum)]
    method: MethodName,
    /// The pre-shared key in hex (psk, dh-hmac; ticket: the one shared with the KMS).
    #[arg(long, value_name = "HEX")]
    psk: Option<String>,
    /// Our certificate chain, PEM (dh-sign, pk, rsa-r).
    #[arg(long, value_name = "FILE")]
    cert: Option<String>,
    /// Our private key, PEM (dh-sign, pk, rsa-r).
    #[arg(long, value_name = "FILE")]
    key: Option<String>,
    /// Trust anchors for the peer's certificate, PEM.
    #[arg(long, value_name = "FILE")]
    ca: Option<String>,
    /// The peer's certificate, pinned, PEM (a PK initiator needs the responder's).
    #[arg(long, value_name = "FILE")]
    peer_cert: Option<String>,
    /// Our identity (a URI such as sip:alice@example.org; ticket: as the KMS knows us).
    #[arg(long, value_name = "URI")]
    id: Option<String>,
    /// The peer's identity (a DH-HMAC initiator, the certificate methods' initiators and a
    /// ticket initiator need it).
    #[arg(long, value_name = "URI")]
    peer_id: Option<String>,
    /// Ticket: the KMS's UDP address, for the initiator's Ticket Request and the responder's
    /// Ticket Resolve (modes 1-3 of RFC 6043 §4.1.1).
    #[arg(long, value_name = "HOST:PORT", value_parser = udp_address)]
    kms: Option<SocketAddr>,
    /// Ticket: the KMS's identity (its IDRkms), with --psk.
    #[arg(long, value_name = "URI")]
    kms_id: Option<String>,
    /// Ticket: a ticket protection key we hold, its identifier, a colon and the key in hex. An
    /// initiator seals its own ticket under it (modes 3, 4 of RFC 6043 §4.1.1), a responder opens
    /// tickets with it (modes 2, 4). Repeat for more.
    #[arg(long, value_name = "ID:HEX", value_parser = crate::kms::parse_tpk)]
    tpk: Vec<TicketProtectionKey>,
    /// Ticket initiator: ask for key forking (RFC 6043 §5.1.1), which binds the keys to the
    /// responder resolving the ticket at the KMS.
    #[arg(long)]
    forking: bool,
    /// Seconds to wait for each message from the peer or the KMS.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
    /// Print the keys as JSON.
    #[arg(long)]
    json: bool,
}

impl Peer {
    /// The library config these options describe.
    fn config(&self) -> Result<Config, String> {
        let describe = |error: mikey::Error| error.context().to_owned();
        let read = |path: &String| std::fs::read(path).map_err(|error| format!("{path}: {error}"));
        let mut config = Config::new(self.method.method()).map_err(describe)?;
        if let Some(psk) = &self.psk {
            config.set_psk(&hex_bytes(psk).ok_or("--psk takes the key in hex")?).map_err(describe)?;
        }
        if let Some(path) = &self.cert {
            config.set_certificate_chain(&read(path)?).map_err(describe)?;
        }
        if let Some(path) = &self.key {
            config.set_private_key(&read(path)?).map_err(describe)?;
        }
        if let Some(path) = &self.ca {
            config.add_trust_anchor(&read(path)?).map_err(describe)?;
        }
        if let Some(path) = &self.peer_cert {
            config.set_peer_certificate(&read(path)?).map_err(describe)?;
        }
        config.set_identities(self.id.as_deref(), self.peer_id.as_deref()).map_err(describe)?;
        let ticket_options = self.kms.is_some() || self.kms_id.is_some() || !self.tpk.is_empty() || self.forking;
        if ticket_options && !matches!(self.method, MethodName::Ticket) {
            return Err("--kms, --kms-id, --tpk and --forking are for --method ticket".to_owned());
        }
        if let Some(kms_id) = &self.kms_id {
            config.set_ticket_kms(kms_id).map_err(describe)?;
        }
        for tpk in &self.tpk {
            config.add_ticket_protection_key(tpk.clone()).map_err(describe)?;
        }
        if self.forking {
            config.set_ticket_key_forking(true).map_err(describe)?;
        }
        Ok(config)
    }

    /// A session in `role` for our streams `ssrcs`.
    fn session(&self, role: Role, ssrcs: &[u32]) -> Result<Session, String> {
        let mut session = Session::new(&self.config()?, role).map_err(|error| error.context().to_owned())?;
        for &ssrc in ssrcs {
            session.add_srtp_stream(ssrc, 0).map_err(|error| error.context().to_owned())?;
        }
        Ok(session)
    }

    /// A UDP socket connected to `to`, waiting --timeout seconds for each message.
    fn socket_to(&self, to: SocketAddr) -> Result<UdpSocket, String> {
        let bind = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
        let socket = UdpSocket::bind(bind).map_err(|error| error.to_string())?;
        socket.connect(to).map_err(|error| format!("{to}: {error}"))?;
        socket.set_read_timeout(Some(Duration::from_secs(self.timeout))).map_err(|error| error.to_string())?;
        Ok(socket)
    }

    /// The next datagram on `socket` and its sender, or why none came (--timeout passed).
    fn receive(&self, socket: &UdpSocket) -> Result<(Vec<u8>, SocketAddr), String> {
        let mut buffer = vec![0u8; MAX_MESSAGE_LEN];
        let (length, from) = socket.recv_from(&mut buffer).map_err(|error| match error.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => format!("nothing came in {} s (--timeout)", self.timeout),
            _ => error.to_string(),
        })?;
        buffer.truncate(length);
        Ok((buffer, from))
    }

    /// Ticket: sends the KMS `request`, the message `session` returned in state `WaitKms` (an
    /// initiator's REQUEST_INIT, RFC 6043 §4.2.1, or a responder's RESOLVE_INIT, §4.2.3), and
    /// gives the session the KMS's answer; returns what the session makes of it (its answer, or
    /// its rejection with any error message for the peer), or why the KMS could not be reached.
    fn consult_kms(&self, session: &mut Session, request: &[u8]) -> Result<Result<Option<Vec<u8>>, Rejection>, String> {
        let kms = self.kms.ok_or("this exchange goes through the KMS (RFC 6043 §4.1.1): give its address, --kms")?;
        let socket = self.socket_to(kms)?;
        socket.send(request).map_err(|error| format!("sending to the KMS at {kms}: {error}"))?;
        let (answer, _) = self.receive(&socket).map_err(|error| format!("no answer from the KMS at {kms}: {error}"))?;
        Ok(session.process_message(&answer))
    }

    /// Prints every crypto session's keys.
    fn print_keys(&self, session: &Session) -> Result<(), String> {
        let keys: Vec<SrtpKeys> = session
            .cs_ids()
            .into_iter()
            .map(|cs_id| session.export_srtp(cs_id).map_err(|error| error.context().to_owned()))
            .collect::<Result<_, _>>()?;
        if self.json {
            println!("{}", crate::keys::to_json(&keys));
        } else {
            print!("{}", crate::keys::to_text(&keys));
        }
        Ok(())
    }
}

/// A `HOST:PORT` option value: its first address.
fn udp_address(text: &str) -> Result<SocketAddr, String> {
    let mut addresses = text.to_socket_addrs().map_err(|error| format!("{text}: {error}"))?;
    addresses.next().ok_or_else(|| format!("{text} has no address"))
}

/// Answers one I_MESSAGE arriving on `listen`, prints the keys. A ticket responder that cannot
/// open the TRANSFER_INIT's ticket itself has the KMS resolve it first.
pub fn respond(peer: &Peer, listen: SocketAddr, ssrcs: &[u32]) -> Result<(), String> {
    let mut session = peer.session(Role::Responder, ssrcs)?;
    let socket = UdpSocket::bind(listen).map_err(|error| format!("{listen}: {error}"))?;
    socket.set_read_timeout(Some(Duration::from_secs(peer.timeout))).map_err(|error| error.to_string())?;
    eprintln!("mikey respond: waiting on UDP {}", socket.local_addr().map_err(|error| error.to_string())?);
    let (i_message, from) = peer.receive(&socket).map_err(|error| format!("no I_MESSAGE: {error}"))?;
    // RFC 3830 §5.1.2, RFC 6043 §5.4: the peer learns why, when the rejection says.
    let refused = |rejection: Rejection, what: &str| {
        if let Some(error_message) = rejection.response {
            let _ = socket.send_to(&error_message, from);
        }
        format!("{what}: {}", rejection.error.context())
    };
    let answer = session
        .process_message(&i_message)
        .map_err(|rejection| refused(rejection, &format!("refused the I_MESSAGE from {from}")))?;
    let answer = match answer {
        Some(resolve_init) if session.state() == State::WaitKms => peer
            .consult_kms(&mut session, &resolve_init)?
            .map_err(|rejection| refused(rejection, "the KMS did not resolve the ticket"))?,
        answer => answer,
    };
    if let Some(answer) = answer {
        socket.send_to(&answer, from).map_err(|error| format!("sending the R_MESSAGE: {error}"))?;
    }
    eprintln!("mikey respond: keyed by {from}");
    peer.print_keys(&session)
}

/// Sends an I_MESSAGE for `ssrcs` to `to`, takes the R_MESSAGE if the method has one, prints
/// the keys. A ticket initiator without a TPK first gets its ticket from the KMS.
pub fn initiate(peer: &Peer, to: SocketAddr, ssrcs: &[u32]) -> Result<(), String> {
    let mut session = peer.session(Role::Initiator, ssrcs)?;
    let mut message = session.create_message().map_err(|error| error.context().to_owned())?;
    if session.state() == State::WaitKms {
        // The KMS's REQUEST_RESP gives the session the ticket its TRANSFER_INIT carries.
        peer.consult_kms(&mut session, &message)?
            .map_err(|rejection| format!("refused the answer of the KMS: {}", rejection.error.context()))?;
        message = session.create_message().map_err(|error| error.context().to_owned())?;
    }
    let socket = peer.socket_to(to)?;
    socket.send(&message).map_err(|error| format!("sending the I_MESSAGE to {to}: {error}"))?;
    if session.state() == State::WaitResponse {
        let (answer, _) = peer.receive(&socket).map_err(|error| format!("no R_MESSAGE from {to}: {error}"))?;
        session
            .process_message(&answer)
            .map_err(|rejection| format!("refused the answer of {to}: {}", rejection.error.context()))?;
    }
    peer.print_keys(&session)
}
