//! A bounds-checked byte reader and the matching big-endian writer helpers.
//!
//! Every read checks the bytes present first, so no caller ever allocates from an
//! attacker-controlled length before the bytes are known to be there.

use crate::error::{Error, Result};

/// Reads big-endian fields from a byte slice, never past its end.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    /// A reader positioned at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, position: 0 }
    }

    /// Bytes consumed so far.
    #[inline(always)]
    pub fn position(&self) -> usize {
        self.position
    }

    /// Bytes left to read.
    #[inline(always)]
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    /// True when every byte was read.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next `len` bytes; `what` names the field in the error.
    #[inline(always)]
    pub fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8]> {
        if len > self.remaining() {
            return Err(truncated(what, len, self.remaining()));
        }
        let start = self.position;
        self.position += len;
        Ok(&self.bytes[start..self.position])
    }

    /// All bytes left.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = &self.bytes[self.position..];
        self.position = self.bytes.len();
        rest
    }

    /// One byte.
    #[inline(always)]
    pub fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    /// A big-endian u16.
    #[inline(always)]
    pub fn u16(&mut self, what: &'static str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A big-endian u32.
    #[inline(always)]
    pub fn u32(&mut self, what: &'static str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A field preceded by an 8-bit length, borrowed.
    #[inline(always)]
    pub fn take_u8_len(&mut self, what: &'static str) -> Result<&'a [u8]> {
        let len = self.u8(what)?;
        self.take(usize::from(len), what)
    }

    /// A field preceded by a 16-bit length, borrowed.
    #[inline(always)]
    pub fn take_u16_len(&mut self, what: &'static str) -> Result<&'a [u8]> {
        let len = self.u16(what)?;
        self.take(usize::from(len), what)
    }
}

/// Appends `value` as an 8-bit length followed by the bytes; fails when it does not fit.
pub fn put_u8_len(out: &mut Vec<u8>, value: &[u8], what: &'static str) -> Result<()> {
    out.push(length_u8(value.len(), what)?);
    out.extend_from_slice(value);
    Ok(())
}

/// Appends `value` as a 16-bit length followed by the bytes; fails when it does not fit.
pub fn put_u16_len(out: &mut Vec<u8>, value: &[u8], what: &'static str) -> Result<()> {
    out.extend_from_slice(&length_u16(value.len(), what)?.to_be_bytes());
    out.extend_from_slice(value);
    Ok(())
}

/// `len` as an 8-bit length field.
pub fn length_u8(len: usize, what: &'static str) -> Result<u8> {
    u8::try_from(len).map_err(|_| too_long(what, len, u8::MAX.into()))
}

/// `len` as a 16-bit length field.
pub fn length_u16(len: usize, what: &'static str) -> Result<u16> {
    u16::try_from(len).map_err(|_| too_long(what, len, u16::MAX.into()))
}

/// `len` as a length field of `bits` bits (12 or 14 bits in SIGN and PKE).
pub fn length_bits(len: usize, bits: u32, what: &'static str) -> Result<u16> {
    let max = (1usize << bits) - 1;
    if len > max {
        return Err(too_long(what, len, max));
    }
    // Fits: max < 2^16 for the field widths MIKEY uses.
    Ok(len as u16)
}

#[cold]
#[inline(never)]
fn truncated(what: &'static str, len: usize, left: usize) -> Error {
    Error::malformed(format!("truncated {what}: needs {len} bytes, {left} left"))
}

fn too_long(what: &'static str, len: usize, max: usize) -> Error {
    Error::invalid_argument(format!("{what} is {len} bytes, the field holds at most {max}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn reads_big_endian_fields_and_stops_at_the_end() {
        let mut reader = Reader::new(&[1, 0, 2, 0, 0, 0, 3, 9]);
        assert_eq!(reader.u8("a").unwrap(), 1);
        assert_eq!(reader.u16("b").unwrap(), 2);
        assert_eq!(reader.u32("c").unwrap(), 3);
        assert_eq!(reader.remaining(), 1);
        let error = reader.u16("d").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Malformed);
        assert!(error.context().contains("truncated d"));
        assert_eq!(reader.remaining(), 1, "a failed read consumes nothing");
    }

    #[test]
    fn length_prefixed_field_longer_than_the_input_is_rejected() {
        let mut reader = Reader::new(&[0xFF, 0xFF, 1, 2]);
        assert_eq!(reader.take_u16_len("blob").unwrap_err().kind(), ErrorKind::Malformed);
    }

    #[test]
    fn writers_reject_values_that_overflow_their_length_field() {
        let mut out = Vec::new();
        assert!(put_u8_len(&mut out, &[0; 256], "x").is_err());
        assert!(put_u8_len(&mut out, &[7; 3], "x").is_ok());
        assert_eq!(out, [3, 7, 7, 7]);
        assert!(length_bits(4096, 12, "sig").is_err());
        assert_eq!(length_bits(4095, 12, "sig").unwrap(), 4095);
    }
}
