//! Security policy payload (RFC 3830 §6.10): a protocol type and a list of type/length/value
//! parameters. The SRTP meaning of the parameters lives in `crate::srtp`.

use super::reader::{length_u16, put_u8_len, Reader};
use crate::error::Result;

/// One policy parameter (type, value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyParam {
    /// Parameter type (see `registry::srtp_param` for SRTP).
    pub param_type: u8,
    /// The value bytes (at most 255).
    pub value: Vec<u8>,
}

/// An SP payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityPolicy {
    /// Policy number, referenced by the CS ID map.
    pub policy_no: u8,
    /// Security protocol (see `registry::protocol_type`).
    pub protocol: u8,
    /// The parameters, in wire order.
    pub params: Vec<PolicyParam>,
}

impl SecurityPolicy {
    /// The value of the first parameter of `param_type`, if present.
    pub fn param(&self, param_type: u8) -> Option<&[u8]> {
        self.params.iter().find(|p| p.param_type == param_type).map(|p| p.value.as_slice())
    }

    pub(crate) fn decode(reader: &mut Reader<'_>) -> Result<Self> {
        let policy_no = reader.u8("SP policy no")?;
        let protocol = reader.u8("SP prot type")?;
        let params_len = reader.u16("SP policy param length")?;
        let mut params_reader = Reader::new(reader.take(usize::from(params_len), "SP policy params")?);
        let mut params = Vec::new();
        while !params_reader.is_empty() {
            let param_type = params_reader.u8("SP param type")?;
            let value = params_reader.vec_u8_len("SP param value")?;
            params.push(PolicyParam { param_type, value });
        }
        Ok(SecurityPolicy { policy_no, protocol, params })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(&[self.policy_no, self.protocol]);
        let mut params = Vec::new();
        for param in &self.params {
            params.push(param.param_type);
            put_u8_len(&mut params, &param.value, "SP param value")?;
        }
        out.extend_from_slice(&length_u16(params.len(), "SP policy params")?.to_be_bytes());
        out.extend_from_slice(&params);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn policy_round_trips_and_finds_params() {
        let policy = SecurityPolicy {
            policy_no: 0,
            protocol: 0,
            params: vec![
                PolicyParam { param_type: 0, value: vec![1] },
                PolicyParam { param_type: 1, value: vec![16] },
                PolicyParam { param_type: 20, value: vec![16] },
            ],
        };
        let mut out = Vec::new();
        policy.encode(&mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 9, 0, 1, 1, 1, 1, 16, 20, 1, 16]);
        let decoded = SecurityPolicy::decode(&mut Reader::new(&out)).unwrap();
        assert_eq!(decoded, policy);
        assert_eq!(decoded.param(1), Some(&[16u8][..]));
        assert_eq!(decoded.param(7), None);
    }

    #[test]
    fn a_param_running_past_the_declared_length_is_rejected() {
        // Param length 3 declares one TLV whose value length (5) exceeds the remaining 1 byte.
        let bytes = [0, 0, 0, 3, 0, 5, 1];
        assert_eq!(SecurityPolicy::decode(&mut Reader::new(&bytes)).unwrap_err().kind(), ErrorKind::Malformed);
    }
}
