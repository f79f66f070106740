//! The SAKKE payload (RFC 6509 §4.2): SAKKE encapsulated data (SED, RFC 6508 §4) under a
//! parameter set, for an identifier scheme.

use std::borrow::Cow;

use super::reader::{put_u16_len, Reader};
use crate::error::Result;

/// A SAKKE payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SakkePayload<'a> {
    /// SAKKE params: the parameter set (`registry::sakke_params`).
    pub params: u8,
    /// ID scheme: how the receiver's identifier is formed (`registry::id_scheme`).
    pub id_scheme: u8,
    /// The SED: R (uncompressed point) and H.
    pub data: Cow<'a, [u8]>,
}

impl<'a> SakkePayload<'a> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self> {
        let params = reader.u8("SAKKE params")?;
        let id_scheme = reader.u8("SAKKE ID scheme")?;
        Ok(SakkePayload { params, id_scheme, data: Cow::Borrowed(reader.take_u16_len("SAKKE data")?) })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        out.push(self.params);
        out.push(self.id_scheme);
        put_u16_len(out, &self.data, "SAKKE data")
    }
}
