# SPDX-License-Identifier: Apache-2.0 OR MIT
"""Python binding of libmikey (MIKEY, RFC 3830 and its extensions) over ctypes, for test tools
and lab scripts.

It loads the installed C library ``libmikey.so.0``: the file ``$MIKEY_LIBRARY`` names when that
is set, else what ``ctypes.util.find_library("mikey")`` finds, else ``libmikey.so.0`` through
the dynamic loader's search. A PSK exchange::

    import mikey

    psk = bytes(range(32))
    with mikey.Config(mikey.Method.PSK, psk=psk, request_verification=True) as config, \\
            mikey.Session.initiator(config) as alice, mikey.Session.responder(config) as bob:
        cs_id = alice.add_srtp_stream(0x11223344)
        reply = bob.process_message(alice.create_message())   # the R_MESSAGE
        alice.process_message(reply)
        assert alice.export_srtp(cs_id) == bob.export_srtp(cs_id)

MIKEY-TICKET (RFC 6043) adds a third party, the KMS (:class:`Kms`): whenever a session's state
is :attr:`State.WAIT_KMS` after it gave a message, that message goes to the KMS, and the KMS's
answer back to the session (mode 1: Ticket Request, Transfer, Resolve)::

    kms = mikey.Kms("kms.example.org", tpks=[(b"tpk-1", tpk)],
                    clients={"sip:alice@example.org": alice_psk, "sip:bob@example.org": bob_psk})
    alice = mikey.Session.initiator(mikey.Config(
        mikey.Method.TICKET, own_id="sip:alice@example.org", peer_id="sip:bob@example.org",
        psk=alice_psk, ticket_kms="kms.example.org"))
    bob = mikey.Session.responder(mikey.Config(
        mikey.Method.TICKET, own_id="sip:bob@example.org", psk=bob_psk, ticket_kms="kms.example.org"))
    cs_id = alice.add_srtp_stream(0x11223344)
    alice.process_message(kms.process_message(alice.create_message()))  # the ticket
    resolve = bob.process_message(alice.create_message())               # bob is WAIT_KMS
    alice.process_message(bob.process_message(kms.process_message(resolve)))
    assert alice.export_srtp(cs_id) == bob.export_srtp(cs_id)

Every failing call raises a subclass of :class:`MikeyError` (one per ``MIKEY_ERR_*`` code).
"""

from __future__ import annotations

from typing import Optional

from . import _ffi
from ._ffi import LibraryNotFoundError
from ._util import result_str
from .constants import (
    MAX_MESSAGE_LEN,
    MCPTT_STATUS_NOT_REVOKED,
    MCPTT_UID_LEN,
    DhGroup,
    Interop,
    KmsExchange,
    McpttKeyType,
    Method,
    Profile,
    Result,
    Role,
    SignatureScheme,
    SsrcType,
    State,
)
from .core import (
    Config,
    Kms,
    ManualClock,
    McpttKey,
    McpttKeyParameters,
    Session,
    SrtpKeys,
    SrtpPolicy,
    ntp_from_unix,
    unix_from_ntp,
)
from .errors import (
    ERRORS,
    AuthFailedError,
    BufferTooSmallError,
    CryptoError,
    InvalidArgumentError,
    MalformedError,
    MikeyError,
    PanicError,
    PeerError,
    PolicyError,
    ReplayError,
    StateError,
    TimestampError,
    UnsupportedError,
    error_class,
)
from .helpers import (
    RtspKeyMgmtSpec,
    mcptt_gmk_id,
    mcptt_guk_id,
    mcptt_key_period_number,
    mcptt_uid,
    rtsp_key_mgmt_count,
    rtsp_key_mgmt_decode,
    rtsp_key_mgmt_encode,
    rtsp_key_mgmt_specs,
    rtsp_key_mgmt_uri,
    sdp_key_mgmt_decode,
    sdp_key_mgmt_encode,
    sdp_key_mgmt_line,
)

__version__ = "0.1.0"


def load_library(path: Optional[str] = None) -> str:
    """Loads libmikey now (it is loaded on first use otherwise) and returns where from.
    ``path`` overrides the search, on the first load only."""
    _ffi.load(path)
    return _ffi.loaded_path() or ""


def library_version() -> str:
    """``mikey_version()``: the C library's version, "MAJOR.MINOR.PATCH"."""
    return _ffi.lib().mikey_version().decode("ascii")


__all__ = [
    "AuthFailedError",
    "BufferTooSmallError",
    "Config",
    "CryptoError",
    "DhGroup",
    "ERRORS",
    "Interop",
    "InvalidArgumentError",
    "Kms",
    "KmsExchange",
    "LibraryNotFoundError",
    "MAX_MESSAGE_LEN",
    "MCPTT_STATUS_NOT_REVOKED",
    "MCPTT_UID_LEN",
    "MalformedError",
    "ManualClock",
    "McpttKey",
    "McpttKeyParameters",
    "McpttKeyType",
    "Method",
    "MikeyError",
    "PanicError",
    "PeerError",
    "PolicyError",
    "Profile",
    "ReplayError",
    "Result",
    "Role",
    "RtspKeyMgmtSpec",
    "Session",
    "SignatureScheme",
    "SrtpKeys",
    "SrtpPolicy",
    "SsrcType",
    "State",
    "StateError",
    "TimestampError",
    "UnsupportedError",
    "error_class",
    "library_version",
    "load_library",
    "mcptt_gmk_id",
    "mcptt_guk_id",
    "mcptt_key_period_number",
    "mcptt_uid",
    "ntp_from_unix",
    "result_str",
    "rtsp_key_mgmt_count",
    "rtsp_key_mgmt_decode",
    "rtsp_key_mgmt_encode",
    "rtsp_key_mgmt_specs",
    "rtsp_key_mgmt_uri",
    "sdp_key_mgmt_decode",
    "sdp_key_mgmt_encode",
    "sdp_key_mgmt_line",
    "unix_from_ntp",
]
