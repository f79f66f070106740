#!/usr/bin/env python3
"""Known answers for the MIKEY-TICKET key derivations (RFC 6043 §5.1.1-§5.1.3, §6.10, A.2.1, A.2.2).

No published vectors exist. This script is an implementation independent of mikey's: the
RFC 3830 §4.1.2 PRF (and RFC 6043 §6.1's PRF-HMAC-SHA-256) on Python's hmac, and each label
spelled out from the RFC text. It writes derivations.json, which tests/ticket_derivations.rs
checks mikey against. Run: python3 derivations.py > derivations.json
"""
import hashlib
import hmac
import json
import math


def p_function(s, label, m, hash_function):
    a, out = label, b""
    for _ in range(m):
        a = hmac.new(s, a, hash_function).digest()
        out += hmac.new(s, a + label, hash_function).digest()
    return out


def prf(inkey, label, out_len, sha256):
    """RFC 3830 §4.1.2: XOR of P(s_i, label, m) over the 256-bit chunks s_i of the inkey."""
    hash_function, hash_len = (hashlib.sha256, 32) if sha256 else (hashlib.sha1, 20)
    m = math.ceil(out_len / hash_len)
    out = bytes(out_len)
    for i in range(0, len(inkey), 32):
        chunk = p_function(inkey[i:i + 32], label, m, hash_function)[:out_len]
        out = bytes(x ^ y for x, y in zip(out, chunk))
    return out


def rand_field(rand):
    return bytes([len(rand)]) + rand


H = bytes.fromhex
NO_CSB = H("FFFFFFFF")
RANDRI = bytes(range(0x10, 0x20))
RANDRR = bytes(range(0x40, 0x54))
RANDR_KMS = bytes(range(0x80, 0x90))
TICKET_RAND = bytes(range(0xA0, 0xB0))
KEY16 = bytes(range(1, 17))
KEY32 = bytes(range(0x21, 0x41))
KEY40 = bytes(range(0x61, 0x89))  # two PRF chunks: 32 + 8 bytes
CSB_ID = 0x12345678
RESPONDER_ID = b"sip:bob@example.org"

# (name, derivation, parameters, PRF-HMAC-SHA-256?, inkey, label, out_len)
CASES = [
    ("initial message encr_key, RANDRi only", "message",
     {"direction": "initial", "purpose": "encr_key", "randri": RANDRI, "randrr": b""}, False, KEY16,
     H("150533E1") + b"\xff" + CSB_ID.to_bytes(4, "big") + b"\x01" + rand_field(RANDRI) + rand_field(b""), 16),
    ("response auth_key, both RANDs, SHA-256", "message",
     {"direction": "response", "purpose": "auth_key", "randri": RANDRI, "randrr": RANDRR}, True, KEY32,
     H("2D22AC75") + b"\xff" + CSB_ID.to_bytes(4, "big") + b"\x02" + rand_field(RANDRI) + rand_field(RANDRR), 32),
    ("resolve initial salt_key, RANDRr only", "message",
     {"direction": "initial", "purpose": "salt_key", "randri": b"", "randrr": RANDRR}, False, KEY40,
     H("29B88916") + b"\xff" + CSB_ID.to_bytes(4, "big") + b"\x01" + rand_field(b"") + rand_field(RANDRR), 14),
    ("TEK of CS 2, RANDRi only (H)", "traffic",
     {"purpose": "tek", "cs_id": 2, "randri": RANDRI, "randrr": b""}, False, KEY16,
     H("2AD01C64") + b"\x02" + NO_CSB + b"\x03" + rand_field(RANDRI) + rand_field(b""), 16),
    ("salt of CS 1, both RANDs (H, G), SHA-256", "traffic",
     {"purpose": "salt", "cs_id": 1, "randri": RANDRI, "randrr": RANDRR}, True, KEY32,
     H("39A2C14B") + b"\x01" + NO_CSB + b"\x03" + rand_field(RANDRI) + rand_field(RANDRR), 14),
    ("TEK of CS 1, RANDRr only (G)", "traffic",
     {"purpose": "tek", "cs_id": 1, "randri": b"", "randrr": RANDRR}, False, KEY16,
     H("2AD01C64") + b"\x01" + NO_CSB + b"\x03" + rand_field(b"") + rand_field(RANDRR), 16),
    ("MPKr' forked from a 40-byte MPKr", "fork",
     {"forked": "responder_mpk", "responder_id": RESPONDER_ID, "randr_kms": RANDR_KMS}, False, KEY40,
     H("2B288856") + b"\xff" + NO_CSB + b"\x00" + len(RESPONDER_ID).to_bytes(2, "big") + RESPONDER_ID
     + rand_field(RANDR_KMS), 40),
    ("TGK' forked, SHA-256", "fork",
     {"forked": "tgk", "responder_id": RESPONDER_ID, "randr_kms": RANDR_KMS}, True, KEY32,
     H("1512B54A") + b"\xff" + NO_CSB + b"\x00" + len(RESPONDER_ID).to_bytes(2, "big") + RESPONDER_ID
     + rand_field(RANDR_KMS), 32),
    ("ticket encr_key from the TPK", "ticket",
     {"purpose": "encr_key", "rand": TICKET_RAND}, False, KEY16,
     H("150533E1") + b"\xff" + NO_CSB + b"\x05" + rand_field(TICKET_RAND), 16),
    ("ticket salt_key from the TPK, SHA-256", "ticket",
     {"purpose": "salt_key", "rand": TICKET_RAND}, True, KEY32,
     H("29B88916") + b"\xff" + NO_CSB + b"\x05" + rand_field(TICKET_RAND), 14),
    ("Initiator Data auth_key from MPKr (§6.10)", "initiator_data",
     {"purpose": "auth_key"}, False, KEY16, H("2D22AC75") + b"\xff" + NO_CSB + b"\x04", 20),
    ("MPKi from the MPK", "mpk",
     {"part": "initiator", "rand": TICKET_RAND}, False, KEY16,
     H("220E99A2") + b"\xff" + NO_CSB + b"\x06" + rand_field(TICKET_RAND), 16),
    ("MPKr from a 40-byte MPK, SHA-256", "mpk",
     {"part": "responder", "rand": TICKET_RAND}, True, KEY40,
     H("1F4D675B") + b"\xff" + NO_CSB + b"\x06" + rand_field(TICKET_RAND), 40),
]

# The PRF itself, checked on RFC 3830 §4.1.3's label as mikey's own unit test has it.
assert prf(H("000102030405060708090A0B0C0D0E0F"), H("2AD01C640112345678A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), 16,
           False).hex() == "9ba4f67e6a85e7e7e9aa57681ca1f27d"

cases = []
for name, derivation, parameters, sha256, inkey, label, out_len in CASES:
    cases.append({
        "name": name,
        "derivation": derivation,
        "parameters": {k: v.hex() if isinstance(v, bytes) else v for k, v in parameters.items()},
        "prf": "PRF-HMAC-SHA-256" if sha256 else "MIKEY-1",
        "csb_id": CSB_ID,
        "inkey_hex": inkey.hex(),
        "label_hex": label.hex(),
        "out_len": out_len,
        "outkey_hex": prf(inkey, label, out_len, sha256).hex(),
    })
print(json.dumps({"source": "RFC 6043 labels, computed by tests/vectors/rfc6043/derivations.py", "cases": cases},
                 indent=1))
