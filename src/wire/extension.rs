//! General extension payload (RFC 3830 §6.15) and the registered contents this crate
//! understands: Key ID information (RFC 4563 §4) and OMA BCAST (RFC 5410 §3). Other types are
//! carried as bytes.

use std::borrow::Cow;

use super::reader::{put_u16_len, put_u8_len, Reader};
use super::registry::extension_type;
use crate::error::{Error, Result};

/// A general extension payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneralExtension<'a> {
    /// Extension type (see `registry::extension_type`).
    pub ext_type: u8,
    /// The data, uninterpreted.
    pub data: Cow<'a, [u8]>,
}

/// One Key ID sub-payload (RFC 4563 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyId {
    /// Key ID type (0 MBMS key domain, 1 MBMS service key, 2 MBMS traffic key).
    pub key_id_type: u8,
    /// The key identifier.
    pub key_id: Vec<u8>,
}

impl<'a> GeneralExtension<'a> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self> {
        let ext_type = reader.u8("General extension type")?;
        Ok(GeneralExtension { ext_type, data: Cow::Borrowed(reader.take_u16_len("General extension data")?) })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        out.push(self.ext_type);
        put_u16_len(out, &self.data, "General extension data")
    }

    /// A Key ID extension (type 3) holding `key_ids`.
    pub fn from_key_ids(key_ids: &[KeyId]) -> Result<Self> {
        let mut data = Vec::new();
        for key_id in key_ids {
            data.push(key_id.key_id_type);
            put_u8_len(&mut data, &key_id.key_id, "Key ID")?;
        }
        Ok(GeneralExtension { ext_type: extension_type::KEY_ID, data: Cow::Owned(data) })
    }

    /// The Key ID sub-payloads of a type-3 extension (RFC 4563 §4).
    pub fn key_ids(&self) -> Result<Vec<KeyId>> {
        if self.ext_type != extension_type::KEY_ID {
            return Err(Error::invalid_argument("not a Key ID extension"));
        }
        let mut reader = Reader::new(&self.data);
        let mut key_ids = Vec::new();
        while !reader.is_empty() {
            let key_id_type = reader.u8("Key ID type")?;
            key_ids.push(KeyId { key_id_type, key_id: reader.take_u8_len("Key ID")?.to_vec() });
        }
        Ok(key_ids)
    }

    /// The subtype and subtype data of an OMA BCAST extension (type 5, RFC 5410 §3).
    pub fn oma_bcast(&self) -> Result<(u8, &[u8])> {
        if self.ext_type != extension_type::OMA_BCAST {
            return Err(Error::invalid_argument("not an OMA BCAST extension"));
        }
        match self.data.split_first() {
            Some((subtype, rest)) => Ok((*subtype, rest)),
            None => Err(Error::malformed("OMA BCAST extension without a subtype")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn key_ids_round_trip() {
        let ids =
            vec![KeyId { key_id_type: 0, key_id: vec![1, 2, 3] }, KeyId { key_id_type: 2, key_id: vec![0xAA; 4] }];
        let ext = GeneralExtension::from_key_ids(&ids).unwrap();
        assert_eq!(*ext.data, [0, 3, 1, 2, 3, 2, 4, 0xAA, 0xAA, 0xAA, 0xAA]);
        assert_eq!(ext.key_ids().unwrap(), ids);
        let truncated = GeneralExtension { data: ext.data[..ext.data.len() - 1].to_vec().into(), ..ext };
        assert_eq!(truncated.key_ids().unwrap_err().kind(), ErrorKind::Malformed);
    }

    #[test]
    fn oma_bcast_splits_subtype() {
        let ext = GeneralExtension { ext_type: extension_type::OMA_BCAST, data: vec![2, 9, 9].into() };
        assert_eq!(ext.oma_bcast().unwrap(), (2, &[9u8, 9][..]));
        let empty = GeneralExtension { ext_type: extension_type::OMA_BCAST, data: vec![].into() };
        assert!(empty.oma_bcast().is_err());
    }
}
