//! Security policy payload (RFC 3830 §6.10): a protocol type and a list of type/length/value
//! parameters. The SRTP meaning of the parameters lives in `crate::srtp`.
//!
//! The parameters are kept as their validated wire bytes (borrowed from the message when decoded) and read
//! through [`SecurityPolicy::params`].

use std::borrow::Cow;

use super::reader::{length_u16, length_u8, Reader};
use crate::error::{Error, Result};

/// One policy parameter (type, value), borrowed from its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyParam<'a> {
    /// Parameter type (see `registry::srtp_param` for SRTP).
    pub param_type: u8,
    /// The value bytes (at most 255).
    pub value: &'a [u8],
}

/// An SP payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityPolicy<'a> {
    /// Policy number, referenced by the CS ID map.
    pub policy_no: u8,
    /// Security protocol (see `registry::protocol_type`).
    pub protocol: u8,
    /// The parameters as type/length/value bytes, well-formed by construction.
    params: Cow<'a, [u8]>,
}

impl<'a> SecurityPolicy<'a> {
    /// An SP payload without parameters.
    pub fn new(policy_no: u8, protocol: u8) -> Self {
        SecurityPolicy { policy_no, protocol, params: Cow::Owned(Vec::new()) }
    }

    /// Appends a parameter; fails when the value or the parameter list outgrows its length field.
    pub fn push_param(&mut self, param_type: u8, value: &[u8]) -> Result<()> {
        let value_len = length_u8(value.len(), "SP param value")?;
        length_u16(self.params.len() + 2 + value.len(), "SP policy params")?;
        let params = self.params.to_mut();
        params.extend_from_slice(&[param_type, value_len]);
        params.extend_from_slice(value);
        Ok(())
    }

    /// The parameters in wire order.
    pub fn params(&self) -> impl Iterator<Item = PolicyParam<'_>> {
        let mut rest: &[u8] = &self.params;
        std::iter::from_fn(move || {
            // Well-formed by construction: every TLV is complete.
            let (&param_type, after_type) = rest.split_first()?;
            let (&len, after_len) = after_type.split_first()?;
            let (value, after_value) = after_len.split_at_checked(usize::from(len))?;
            rest = after_value;
            Some(PolicyParam { param_type, value })
        })
    }

    /// The value of the first parameter of `param_type`, if present.
    pub fn param(&self, param_type: u8) -> Option<&[u8]> {
        self.params().find(|p| p.param_type == param_type).map(|p| p.value)
    }

    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self> {
        let policy_no = reader.u8("SP policy no")?;
        let protocol = reader.u8("SP prot type")?;
        let params_len = reader.u16("SP policy param length")?;
        let params = reader.take(usize::from(params_len), "SP policy params")?;
        // Every type/length/value must be complete; `params()` relies on it.
        let mut rest = params;
        while let [_param_type, len, after_len @ ..] = rest {
            rest = after_len.get(usize::from(*len)..).ok_or_else(|| {
                Error::malformed(format!("SP param value of {len} bytes, {} present", after_len.len()))
            })?;
        }
        if !rest.is_empty() {
            return Err(Error::malformed("SP param type without its length"));
        }
        Ok(SecurityPolicy { policy_no, protocol, params: Cow::Borrowed(params) })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(&[self.policy_no, self.protocol]);
        out.extend_from_slice(&length_u16(self.params.len(), "SP policy params")?.to_be_bytes());
        out.extend_from_slice(&self.params);
        Ok(())
    }
}

/// Builds a policy from `(type, value)` pairs (for tests and callers assembling policies by hand).
impl TryFrom<(u8, u8, &[(u8, &[u8])])> for SecurityPolicy<'_> {
    type Error = Error;

    fn try_from((policy_no, protocol, params): (u8, u8, &[(u8, &[u8])])) -> Result<Self> {
        let mut policy = SecurityPolicy::new(policy_no, protocol);
        for (param_type, value) in params {
            policy.push_param(*param_type, value)?;
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn policy_round_trips_and_finds_params() {
        let policy = SecurityPolicy::try_from((0, 0, &[(0, &[1][..]), (1, &[16]), (20, &[16])][..])).unwrap();
        let mut out = Vec::new();
        policy.encode(&mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 9, 0, 1, 1, 1, 1, 16, 20, 1, 16]);
        let decoded = SecurityPolicy::decode(&mut Reader::new(&out)).unwrap();
        assert_eq!(decoded, policy);
        assert_eq!(decoded.param(1), Some(&[16u8][..]));
        assert_eq!(decoded.param(7), None);
        let types: Vec<u8> = decoded.params().map(|p| p.param_type).collect();
        assert_eq!(types, [0, 1, 20]);
    }

    #[test]
    fn a_param_running_past_the_declared_length_is_rejected() {
        // Param length 3 declares one TLV whose value length (5) exceeds the remaining 1 byte.
        let bytes = [0, 0, 0, 3, 0, 5, 1];
        assert_eq!(SecurityPolicy::decode(&mut Reader::new(&bytes)).unwrap_err().kind(), ErrorKind::Malformed);
    }

    #[test]
    fn a_param_type_without_its_length_is_rejected() {
        // One complete TLV (type 1, length 1, value 16), then a lone type byte.
        let bytes = [0, 0, 0, 4, 1, 1, 16, 7];
        assert_eq!(SecurityPolicy::decode(&mut Reader::new(&bytes)).unwrap_err().kind(), ErrorKind::Malformed);
        let complete = [0, 0, 0, 3, 1, 1, 16];
        assert_eq!(SecurityPolicy::decode(&mut Reader::new(&complete)).unwrap().params().count(), 1);
    }

    #[test]
    fn oversized_values_are_refused() {
        let mut policy = SecurityPolicy::new(0, 0);
        assert!(policy.push_param(1, &[0; 256]).is_err());
        assert_eq!(policy.params().count(), 0);
    }
}
