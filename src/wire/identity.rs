//! ID and CERT payloads (RFC 3830 §6.7), the certificate hash payload (§6.8) and the ID payload
//! with a role, IDR (RFC 6043 §6.6; roles of RFC 6509 §4.4 and TS 33.180 E.7).

use std::borrow::Cow;

use super::reader::{put_u16_len, Reader};
use super::registry::HashFunction;
use crate::error::{Error, Result};

/// An ID payload: an identity of `id_type` (see `registry::id_type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdPayload<'a> {
    /// ID type (NAI, URI, ...).
    pub id_type: u8,
    /// The identity bytes.
    pub data: Cow<'a, [u8]>,
}

/// An IDR payload: an identity with its role (see `registry::id_role`) and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdrPayload<'a> {
    /// ID role: initiator, responder, KMS, ... (RFC 6043 Table 6.6; RFC 6509; TS 33.180).
    pub role: u8,
    /// ID type (NAI, URI, byte string).
    pub id_type: u8,
    /// The identity bytes (a URI, or a 32-byte UID for roles 8 and 9).
    pub data: Cow<'a, [u8]>,
}

/// A CERT payload: one certificate of `cert_type` (see `registry::cert_type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertPayload<'a> {
    /// Certificate type.
    pub cert_type: u8,
    /// DER certificate (or URL, by type).
    pub data: Cow<'a, [u8]>,
}

/// A CHASH payload: the hash of the certificate used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertHash<'a> {
    /// Hash function, which fixes the hash length.
    pub hash_function: HashFunction,
    /// The digest.
    pub hash: Cow<'a, [u8]>,
}

/// ID and CERT share one layout: type (8), length (16), data.
fn decode_typed<'a>(reader: &mut Reader<'a>, what: &'static str) -> Result<(u8, Cow<'a, [u8]>)> {
    let kind = reader.u8(what)?;
    Ok((kind, Cow::Borrowed(reader.take_u16_len(what)?)))
}

fn encode_typed(kind: u8, data: &[u8], out: &mut Vec<u8>, what: &'static str) -> Result<()> {
    out.push(kind);
    put_u16_len(out, data, what)
}

impl<'a> IdPayload<'a> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self> {
        let (id_type, data) = decode_typed(reader, "ID")?;
        Ok(IdPayload { id_type, data })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        encode_typed(self.id_type, &self.data, out, "ID")
    }
}

impl<'a> IdrPayload<'a> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self> {
        let role = reader.u8("IDR role")?;
        let (id_type, data) = decode_typed(reader, "IDR")?;
        Ok(IdrPayload { role, id_type, data })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        out.push(self.role);
        encode_typed(self.id_type, &self.data, out, "IDR")
    }
}

impl<'a> CertPayload<'a> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self> {
        let (cert_type, data) = decode_typed(reader, "CERT")?;
        Ok(CertPayload { cert_type, data })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        encode_typed(self.cert_type, &self.data, out, "CERT")
    }
}

impl<'a> CertHash<'a> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self> {
        let code = reader.u8("CHASH hash func")?;
        let hash_function = HashFunction::from_code(code)
            .ok_or_else(|| Error::unsupported(format!("unknown CHASH hash function {code}")))?;
        let hash = Cow::Borrowed(reader.take(hash_function.digest_len(), "CHASH hash")?);
        Ok(CertHash { hash_function, hash })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        if self.hash.len() != self.hash_function.digest_len() {
            return Err(Error::invalid_argument("CHASH length does not match its hash function"));
        }
        out.push(self.hash_function.code());
        out.extend_from_slice(&self.hash);
        Ok(())
    }
}
