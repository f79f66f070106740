//! Hex constants decoded at compile time: the primes, orders and points of the groups the
//! crypto backend uses (OAKLEY, P-256, SAKKE Parameter Set 1), written as in their RFCs.

/// Decodes big-endian hex (either case) at compile time; a wrong length or digit fails the build.
pub(crate) const fn hex_to_bytes<const N: usize>(hex: &str) -> [u8; N] {
    const fn digit(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("not a hex digit"),
        }
    }
    let hex = hex.as_bytes();
    assert!(hex.len() == 2 * N, "hex string of the wrong length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = (digit(hex[2 * i]) << 4) | digit(hex[2 * i + 1]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::hex_to_bytes;

    #[test]
    fn decodes_either_case_and_the_empty_string() {
        assert_eq!(hex_to_bytes::<4>("00fFa510"), [0x00, 0xFF, 0xA5, 0x10]);
        assert_eq!(hex_to_bytes::<0>(""), [0u8; 0]);
    }
}
