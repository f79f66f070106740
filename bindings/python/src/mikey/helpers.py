# SPDX-License-Identifier: Apache-2.0 OR MIT
"""The functions of the C API that need no session: SDP ``a=key-mgmt`` and RTSP ``KeyMgmt``
values (RFC 4567), and the MCPTT identifiers (TS 33.180)."""

from __future__ import annotations

from ctypes import byref, c_size_t, c_uint8, c_uint32, c_uint64
from dataclasses import dataclass
from typing import List, Optional, Union

from . import _ffi
from ._util import BytesLike, c_bytes, check, cstr, read_out, text, uint
from .constants import MCPTT_UID_LEN

# ---- SDP and RTSP ------------------------------------------------------------------------------


def sdp_key_mgmt_encode(message: BytesLike) -> str:
    """The value of an SDP ``a=key-mgmt`` attribute carrying ``message``: ``mikey <base64>``
    (without the ``a=key-mgmt:`` prefix)."""
    lib = _ffi.lib()
    with c_bytes(message, "message") as (buffer, size):
        raw = read_out(
            lambda out, cap, out_len: lib.mikey_sdp_key_mgmt_encode(buffer, size, out, cap, out_len),
            "mikey_sdp_key_mgmt_encode",
            initial=size * 4 // 3 + 16,
            is_text=True,
        )
    return raw.decode("ascii")


def sdp_key_mgmt_line(message: BytesLike) -> str:
    """The whole SDP attribute line: ``a=key-mgmt:mikey <base64>`` (no line break)."""
    return "a=key-mgmt:" + sdp_key_mgmt_encode(message)


def sdp_key_mgmt_decode(value: Union[str, bytes]) -> bytes:
    """The MIKEY message of an SDP key-mgmt attribute value, with or without the
    ``a=key-mgmt:`` / ``key-mgmt:`` prefix and surrounding white space. Raises
    :class:`UnsupportedError` for another protocol, :class:`MalformedError` for bad values."""
    raw = cstr(value, "value")
    lib = _ffi.lib()
    return read_out(
        lambda out, cap, out_len: lib.mikey_sdp_key_mgmt_decode(raw, out, cap, out_len),
        "mikey_sdp_key_mgmt_decode",
        initial=len(raw),
    )


def rtsp_key_mgmt_encode(message: BytesLike, uri: Optional[str] = None) -> str:
    """The value of an RTSP ``KeyMgmt`` header: ``prot=mikey; uri="<uri>"; data="<base64>"``
    (without ``uri`` when it is None)."""
    lib = _ffi.lib()
    c_uri = cstr(uri, "uri")
    with c_bytes(message, "message") as (buffer, size):
        raw = read_out(
            lambda out, cap, out_len: lib.mikey_rtsp_key_mgmt_encode(buffer, size, c_uri, out, cap, out_len),
            "mikey_rtsp_key_mgmt_encode",
            initial=size * 4 // 3 + len(c_uri or b"") + 64,
            is_text=True,
        )
    return text(raw)


def rtsp_key_mgmt_count(value: Union[str, bytes]) -> int:
    """How many MIKEY specs an RTSP ``KeyMgmt`` header value (or whole line) holds; specs of
    other protocols are skipped. Raises :class:`MalformedError` when there is none."""
    count = c_size_t(0)
    check(_ffi.lib().mikey_rtsp_key_mgmt_count(cstr(value, "value"), byref(count)), "mikey_rtsp_key_mgmt_count")
    return count.value


def rtsp_key_mgmt_decode(value: Union[str, bytes], index: int = 0) -> bytes:
    """The MIKEY message of the ``index``-th (0-based) MIKEY spec of an RTSP ``KeyMgmt`` value."""
    raw = cstr(value, "value")
    position = uint(index, 64, "index")
    lib = _ffi.lib()
    return read_out(
        lambda out, cap, out_len: lib.mikey_rtsp_key_mgmt_decode(raw, position, out, cap, out_len),
        "mikey_rtsp_key_mgmt_decode",
        initial=len(raw),
    )


def rtsp_key_mgmt_uri(value: Union[str, bytes], index: int = 0) -> Optional[str]:
    """The ``uri`` parameter of the ``index``-th MIKEY spec; None when it has none (the request
    URI applies)."""
    raw = cstr(value, "value")
    position = uint(index, 64, "index")
    lib = _ffi.lib()
    uri = read_out(
        lambda out, cap, out_len: lib.mikey_rtsp_key_mgmt_uri(raw, position, out, cap, out_len),
        "mikey_rtsp_key_mgmt_uri",
        initial=len(raw) + 1,
        is_text=True,
    )
    return text(uri) if uri else None


@dataclass(frozen=True)
class RtspKeyMgmtSpec:
    """One MIKEY spec of an RTSP ``KeyMgmt`` header."""

    uri: Optional[str]
    message: bytes


def rtsp_key_mgmt_specs(value: Union[str, bytes]) -> List[RtspKeyMgmtSpec]:
    """Every MIKEY spec of an RTSP ``KeyMgmt`` header value, in order."""
    return [
        RtspKeyMgmtSpec(uri=rtsp_key_mgmt_uri(value, index), message=rtsp_key_mgmt_decode(value, index))
        for index in range(rtsp_key_mgmt_count(value))
    ]


# ---- MCPTT -------------------------------------------------------------------------------------


def mcptt_uid(
    user_uri: str,
    kms_uri: str,
    key_period_secs: int,
    key_period_offset_secs: int,
    key_period_number: int,
) -> bytes:
    """The 32-byte UID of ``user_uri`` under the KMS ``kms_uri`` in a key period (TS 33.180
    F.2.1)."""
    uid = (c_uint8 * MCPTT_UID_LEN)()
    check(
        _ffi.lib().mikey_mcptt_uid(
            cstr(user_uri, "user_uri"),
            cstr(kms_uri, "kms_uri"),
            uint(key_period_secs, 64, "key_period_secs"),
            uint(key_period_offset_secs, 64, "key_period_offset_secs"),
            uint(key_period_number, 64, "key_period_number"),
            uid,
        ),
        "mikey_mcptt_uid",
    )
    return bytes(uid)


def mcptt_key_period_number(ntp_timestamp: int, key_period_secs: int, key_period_offset_secs: int = 0) -> int:
    """The key period a 64-bit NTP timestamp falls in (TS 33.179 F.2.1)."""
    number = c_uint64(0)
    check(
        _ffi.lib().mikey_mcptt_key_period_number(
            uint(ntp_timestamp, 64, "ntp_timestamp"),
            uint(key_period_secs, 64, "key_period_secs"),
            uint(key_period_offset_secs, 64, "key_period_offset_secs"),
            byref(number),
        ),
        "mikey_mcptt_key_period_number",
    )
    return number.value


def _mcptt_id_map(function: str, gmk: BytesLike, known: int, known_name: str, receiver_uri: str) -> int:
    """The ID that ``function`` (``mikey_mcptt_guk_id`` or ``mikey_mcptt_gmk_id``) maps
    ``known`` to under ``gmk`` for ``receiver_uri``."""
    mapped = c_uint32(0)
    with c_bytes(gmk, "gmk", secret=True) as (buffer, size):
        check(
            getattr(_ffi.lib(), function)(
                buffer, size, uint(known, 32, known_name), cstr(receiver_uri, "receiver_uri"), byref(mapped)
            ),
            function,
        )
    return mapped.value


def mcptt_guk_id(gmk: BytesLike, gmk_id: int, receiver_uri: str) -> int:
    """The GUK-ID under which a GMS sends the GMK ``gmk`` (ID ``gmk_id``) to ``receiver_uri``
    (TS 33.180 F.1.3): the CSB ID of that member's I_MESSAGE."""
    return _mcptt_id_map("mikey_mcptt_guk_id", gmk, gmk_id, "gmk_id", receiver_uri)


def mcptt_gmk_id(gmk: BytesLike, guk_id: int, receiver_uri: str) -> int:
    """The GMK-ID behind a GUK-ID (the reverse of :func:`mcptt_guk_id`)."""
    return _mcptt_id_map("mikey_mcptt_gmk_id", gmk, guk_id, "guk_id", receiver_uri)
