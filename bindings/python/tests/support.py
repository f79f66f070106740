# SPDX-License-Identifier: Apache-2.0 OR MIT
"""Helpers of the binding's tests, the Python counterpart of ffi-tests/common.c. The tests run
against the installed package and the library $MIKEY_LIBRARY names (run-tests.sh stages it)."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from typing import List, Optional, Tuple

import mikey

REPO = Path(__file__).resolve().parents[3]
PKI = Path(os.environ.get("MIKEY_TEST_PKI_DIR", REPO / "tests" / "pki"))

# ffi-tests/common.c: TEST_PSK and TEST_PSK_OTHER (the last byte differs).
TEST_PSK = b"mikey-ffi-test-psk" + bytes(range(14))
TEST_PSK_OTHER = TEST_PSK[:-1] + b"\xd0"

ALICE = "sip:alice@example.com"
BOB = "sip:bob@example.com"


def pki(name: str) -> bytes:
    """tests/pki/<name>."""
    return (PKI / name).read_bytes()


def pem_to_der(pem: bytes) -> bytes:
    """The first certificate of a PEM file as DER (an independent decoding, for comparisons)."""
    match = re.search(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S)
    assert match, "no certificate in the PEM"
    return base64.b64decode(b"".join(match.group(1).split()))


def signing_config(
    method: mikey.Method,
    who: str,
    peer_id: Optional[str],
    peer_cert: Optional[str] = None,
    *,
    trust: bool = True,
    request_verification: bool = True,
    **settings,
) -> mikey.Config:
    """A certificate-method config from the test PKI, as ffi-tests' test_signing_config: `who`'s
    chain through the intermediate, its key, the test root as anchor."""
    config = mikey.Config(
        method,
        certificate_chain=pki(f"{who}.crt.pem") + pki("intermediate.crt.pem"),
        private_key=pki(f"{who}.key.pem"),
        request_verification=request_verification,
        **settings,
    )
    if trust:
        config.add_trust_anchor(pki("root.crt.pem"))
    if peer_id is not None:
        config.set_identities(None, peer_id)
    if peer_cert is not None:
        config.set_peer_certificate(pki(peer_cert))
    return config


def test_ssrc(base: int, index: int) -> int:
    """ffi-tests' TEST_SSRC."""
    return (base + 0x101 * index) & 0xFFFFFFFF


test_ssrc.__test__ = False  # a helper, not a test


def deliver(initiator: mikey.Session, responder: mikey.Session) -> bytes:
    """One round: the initiator's I_MESSAGE to the responder, its R_MESSAGE (if any) back.
    Returns the I_MESSAGE. Both must be ESTABLISHED afterwards."""
    message = initiator.create_message()
    assert message, "empty I_MESSAGE"
    reply = responder.process_message(message)
    if reply:
        assert initiator.state == mikey.State.WAIT_RESPONSE
        assert initiator.process_message(reply) == b"", "the initiator answered the R_MESSAGE"
    assert initiator.state == mikey.State.ESTABLISHED
    assert responder.state == mikey.State.ESTABLISHED
    return message


def run_exchange(
    init_config: mikey.Config, resp_config: mikey.Config, n_streams: int, ssrc_base: int
) -> Tuple[mikey.Session, mikey.Session]:
    """ffi-tests' run_exchange: an initiator with n streams, a responder, one round."""
    initiator = mikey.Session.initiator(init_config)
    responder = mikey.Session.responder(resp_config)
    assert initiator.state == mikey.State.IDLE and responder.state == mikey.State.IDLE
    for index in range(n_streams):
        assert initiator.add_srtp_stream(test_ssrc(ssrc_base, index), index * 7) == index + 1
    deliver(initiator, responder)
    assert initiator.cs_count == n_streams and responder.cs_count == n_streams
    return initiator, responder


def agree(initiator: mikey.Session, responder: mikey.Session) -> List[mikey.SrtpKeys]:
    """Both sides export the same keys for every CS; returns the initiator's."""
    assert initiator.cs_ids() == responder.cs_ids()
    mine, theirs = initiator.export_all(), responder.export_all()
    assert mine.keys() == theirs.keys() and mine
    for cs_id, keys in mine.items():
        assert keys == theirs[cs_id], f"CS {cs_id}: the two sides' keys differ"
        assert keys.cs_id == cs_id
        assert keys.master_key.strip(b"\0"), f"CS {cs_id}: all-zero master key"
        assert keys.master_salt.strip(b"\0"), f"CS {cs_id}: all-zero master salt"
    return list(mine.values())


# profile -> master key, master salt, session auth key, tag lengths (RFC 3711 / 7714 / 6188)
PROFILE_LENGTHS = {
    1: (16, 14, 20, 10),
    2: (16, 14, 20, 4),
    7: (16, 12, 0, 16),
    8: (32, 12, 0, 16),
    0x0101: (32, 14, 20, 10),
    0x0102: (32, 14, 20, 4),
    0x0103: (24, 14, 20, 10),
    0x0104: (24, 14, 20, 4),
}


def assert_profile(keys: mikey.SrtpKeys, profile: int) -> None:
    key_len, salt_len, auth_key_len, tag_len = PROFILE_LENGTHS[profile]
    assert keys.profile == profile
    assert len(keys.master_key) == key_len and keys.cipher_key_len == key_len
    assert len(keys.master_salt) == salt_len
    assert keys.auth_key_len == auth_key_len and keys.auth_tag_len == tag_len
    assert keys.srtp_encryption and keys.srtcp_encryption and keys.srtp_authentication
