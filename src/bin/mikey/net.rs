//! `mikey respond` and `mikey initiate`: one MIKEY exchange over UDP (port 2269, RFC 5197 §6, by
//! default) with the library's sessions, printing the exported SRTP keys. The responder answers
//! one I_MESSAGE (and any error message it calls for) and exits; the initiator sends its
//! I_MESSAGE, waits for the R_MESSAGE when its method has one, and exits.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use clap::{Args, ValueEnum};
use mikey::{Config, Method, Role, Session, SrtpKeys, State, MAX_MESSAGE_LEN};

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
}

impl MethodName {
    fn method(self) -> Method {
        match self {
            MethodName::Psk => Method::Psk,
            MethodName::DhHmac => Method::DhHmac,
            MethodName::DhSign => Method::DhSign,
            MethodName::Pk => Method::Pk,
            MethodName::RsaR => Method::RsaR,
        }
    }
}

/// What both ends of an exchange are configured with.
#[derive(Args)]
pub struct Peer {
    /// The key-management method.
    #[arg(long, value_enum)]
    method: MethodName,
    /// The pre-shared key in hex (psk, dh-hmac).
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
    /// Our identity (a URI such as sip:alice@example.org).
    #[arg(long, value_name = "URI")]
    id: Option<String>,
    /// The peer's identity (a DH-HMAC initiator and the certificate methods' initiators need
    /// it).
    #[arg(long, value_name = "URI")]
    peer_id: Option<String>,
    /// Seconds to wait for the peer's message.
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
        Ok(config)
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

/// Answers one I_MESSAGE arriving on `listen`, prints the keys.
pub fn respond(peer: &Peer, listen: SocketAddr, ssrcs: &[u32]) -> Result<(), String> {
    let config = peer.config()?;
    let mut session = Session::new(&config, Role::Responder).map_err(|error| error.context().to_owned())?;
    for &ssrc in ssrcs {
        session.add_srtp_stream(ssrc, 0).map_err(|error| error.context().to_owned())?;
    }
    let socket = UdpSocket::bind(listen).map_err(|error| format!("{listen}: {error}"))?;
    socket.set_read_timeout(Some(Duration::from_secs(peer.timeout))).map_err(|error| error.to_string())?;
    eprintln!("mikey respond: waiting on UDP {}", socket.local_addr().map_err(|error| error.to_string())?);
    let mut buffer = vec![0u8; MAX_MESSAGE_LEN];
    let (length, from) = socket.recv_from(&mut buffer).map_err(|error| format!("no I_MESSAGE: {error}"))?;
    match session.process_message(&buffer[..length]) {
        Ok(answer) => {
            if let Some(answer) = answer {
                socket.send_to(&answer, from).map_err(|error| format!("sending the R_MESSAGE: {error}"))?;
            }
            eprintln!("mikey respond: keyed by {from}");
            peer.print_keys(&session)
        }
        Err(rejection) => {
            if let Some(error_message) = rejection.response {
                // RFC 3830 §5.1.2: the peer learns why.
                let _ = socket.send_to(&error_message, from);
            }
            Err(format!("refused the I_MESSAGE from {from}: {}", rejection.error.context()))
        }
    }
}

/// Sends an I_MESSAGE for `ssrcs` to `to`, takes the R_MESSAGE if the method has one, prints
/// the keys.
pub fn initiate(peer: &Peer, to: SocketAddr, ssrcs: &[u32]) -> Result<(), String> {
    let config = peer.config()?;
    let mut session = Session::new(&config, Role::Initiator).map_err(|error| error.context().to_owned())?;
    for &ssrc in ssrcs {
        session.add_srtp_stream(ssrc, 0).map_err(|error| error.context().to_owned())?;
    }
    let message = session.create_message().map_err(|error| error.context().to_owned())?;
    let bind: SocketAddr = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse().map_err(|_| "bind address")?;
    let socket = UdpSocket::bind(bind).map_err(|error| error.to_string())?;
    socket.connect(to).map_err(|error| format!("{to}: {error}"))?;
    socket.send(&message).map_err(|error| format!("sending the I_MESSAGE to {to}: {error}"))?;
    if session.state() == State::WaitResponse {
        socket.set_read_timeout(Some(Duration::from_secs(peer.timeout))).map_err(|error| error.to_string())?;
        let mut buffer = vec![0u8; MAX_MESSAGE_LEN];
        let length = socket.recv(&mut buffer).map_err(|error| format!("no R_MESSAGE from {to}: {error}"))?;
        session
            .process_message(&buffer[..length])
            .map_err(|rejection| format!("refused the answer of {to}: {}", rejection.error.context()))?;
    }
    peer.print_keys(&session)
}
