//! The SAKKE payload (RFC 6509 §4.2): SAKKE encapsulated data (SED, RFC 6508 §4) under a
//! parameter set, for an identifier scheme.

use std::borrow::Cow;

use super::reader::{put_u16_len, Reader};
use crate::error::{Error, Result};

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

    /// The data of a SAKKE-to-self General Extension (type 6, TS 33.180 E.5): this payload
    /// whole, its next-payload octet 0.
    pub fn to_self_extension_data(&self) -> Result<Vec<u8>> {
        let mut out = vec![0];
        self.encode(&mut out)?;
        Ok(out)
    }

    /// The SAKKE payload a SAKKE-to-self extension's data carries (its next-payload octet is
    /// ignored), every byte accounted for.
    pub fn from_self_extension_data(data: &'a [u8]) -> Result<Self> {
        let mut reader = Reader::new(data);
        reader.u8("SAKKE-to-self next payload")?;
        let payload = SakkePayload::decode(&mut reader)?;
        if !reader.is_empty() {
            return Err(Error::malformed("bytes after the SAKKE-to-self payload"));
        }
        Ok(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn a_sakke_to_self_extension_carries_a_whole_payload_and_nothing_else() {
        let payload = SakkePayload { params: 1, id_scheme: 2, data: Cow::Borrowed(&[7, 8, 9]) };
        let data = payload.to_self_extension_data().unwrap();
        assert_eq!(data, [0, 1, 2, 0, 3, 7, 8, 9]);
        assert_eq!(SakkePayload::from_self_extension_data(&data).unwrap(), payload);
        let kind = |data: &[u8]| SakkePayload::from_self_extension_data(data).unwrap_err().kind();
        assert_eq!(kind(&[data.as_slice(), &[0]].concat()), ErrorKind::Malformed);
        assert_eq!(kind(&data[..data.len() - 1]), ErrorKind::Malformed);
        assert_eq!(kind(&[]), ErrorKind::Malformed);
    }
}
