# SPDX-License-Identifier: Apache-2.0 OR MIT
"""The ctypes layer: finding and loading libmikey.so.0, the C structs of include/mikey.h and the
prototype (argtypes/restype) of every function of the header.

Nothing here is public API; the classes of :mod:`mikey` wrap it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_int,
    c_int8,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import Optional

#: The environment variable that names the library file to load (a path).
LIBRARY_ENV = "MIKEY_LIBRARY"
#: The SONAME of the C ABI this binding is written for.
SONAME = "libmikey.so.0"
#: The major version of that ABI (``MIKEY_VERSION_MAJOR`` of the header).
ABI_MAJOR = 0


# ---- opaque handles and structs (include/mikey.h) ---------------------------------------------


class MikeyConfigStruct(Structure):
    """``struct mikey_config``: opaque."""


class MikeySessionStruct(Structure):
    """``struct mikey_session``: opaque."""


class MikeyKmsStruct(Structure):
    """``struct mikey_kms``: opaque."""


ConfigPtr = POINTER(MikeyConfigStruct)
SessionPtr = POINTER(MikeySessionStruct)
KmsPtr = POINTER(MikeyKmsStruct)


class MikeySrtpPolicy(Structure):
    """``mikey_srtp_policy`` (64 bytes)."""

    _fields_ = [
        ("profile", c_uint32),
        ("mki_len", c_uint8),
        ("srtp_encryption", c_int8),
        ("srtcp_encryption", c_int8),
        ("srtp_authentication", c_int8),
        ("key_derivation_rate", c_int64),
        ("reserved", c_uint8 * 48),
    ]


class MikeySrtpKeys(Structure):
    """``mikey_srtp_keys`` (160 bytes on LP64)."""

    _fields_ = [
        ("ssrc", c_uint32),
        ("roc", c_uint32),
        ("profile", c_uint32),
        ("cipher_key_len", c_uint32),
        ("auth_key_len", c_uint32),
        ("auth_tag_len", c_uint32),
        ("key_derivation_rate", c_uint32),
        ("cs_id", c_uint8),
        ("srtp_encryption", c_uint8),
        ("srtcp_encryption", c_uint8),
        ("srtp_authentication", c_uint8),
        ("master_key_len", c_size_t),
        ("master_salt_len", c_size_t),
        ("mki_len", c_size_t),
        ("master_key", c_uint8 * 32),
        ("master_salt", c_uint8 * 14),
        ("mki", c_uint8 * 16),
        ("ssrc_type", c_uint8),
        ("rcc_mode", c_uint8),
        ("roc_transmission_rate", c_uint16),
        ("reserved", c_uint8 * 38),
    ]


class MikeyStream(Structure):
    """``mikey_stream``."""

    _fields_ = [("ssrc", c_uint32), ("roc", c_uint32)]


class MikeyMcpttKeyParameters(Structure):
    """``mikey_mcptt_key_parameters``."""

    _fields_ = [
        ("key_type", c_uint8),
        ("legacy_clear", c_uint8),
        ("status", c_uint32),
        ("activation_time", c_uint64),
        ("expiry_time", c_uint64),
    ]


class MikeyMcpttKey(Structure):
    """``mikey_mcptt_key``."""

    _fields_ = [
        ("key_id", c_uint32),
        ("key_len", c_uint32),
        ("key", c_uint8 * 32),
        ("has_parameters", c_uint8),
        ("parameters", MikeyMcpttKeyParameters),
        ("group_id_count", c_uint32),
    ]


#: ``mikey_clock_fn``: ``uint64_t (*)(void *user_data)``.
ClockFn = CFUNCTYPE(c_uint64, c_void_p)

#: ``mikey_kms_authorize_fn``: ``int (*)(void *user_data, mikey_kms_exchange exchange,
#: const uint8_t *client, size_t client_len, const uint8_t *initiator, size_t initiator_len,
#: const uint8_t *responder, size_t responder_len)``.
KmsAuthorizeFn = CFUNCTYPE(
    c_int, c_void_p, c_uint32, POINTER(c_uint8), c_size_t, POINTER(c_uint8), c_size_t, POINTER(c_uint8), c_size_t
)

# ---- prototypes --------------------------------------------------------------------------------

_result = c_uint32  # mikey_result
_u8p = POINTER(c_uint8)  # const uint8_t * / uint8_t *
_charp_out = POINTER(c_char)  # char * (an output buffer)
_sizep = POINTER(c_size_t)

#: name -> (restype, argtypes), one entry per function of include/mikey.h.
PROTOTYPES = {
    "mikey_version": (c_char_p, []),
    "mikey_result_str": (c_char_p, [_result]),
    "mikey_srtp_policy_init": (_result, [POINTER(MikeySrtpPolicy)]),
    "mikey_srtp_keys_clear": (None, [POINTER(MikeySrtpKeys)]),
    # configs
    "mikey_config_new": (_result, [c_uint32, POINTER(ConfigPtr)]),
    "mikey_config_free": (None, [ConfigPtr]),
    "mikey_config_set_psk": (_result, [ConfigPtr, _u8p, c_size_t]),
    "mikey_config_set_identities": (_result, [ConfigPtr, c_char_p, c_char_p]),
    "mikey_config_set_srtp_policy": (_result, [ConfigPtr, POINTER(MikeySrtpPolicy)]),
    "mikey_config_set_accepted_profiles": (_result, [ConfigPtr, POINTER(c_uint32), c_size_t]),
    "mikey_config_set_allow_unprotected_srtp": (_result, [ConfigPtr, c_int]),
    "mikey_config_set_replay_window": (_result, [ConfigPtr, c_uint32]),
    "mikey_config_set_max_future_skew": (_result, [ConfigPtr, c_uint32]),
    "mikey_config_last_error": (c_char_p, [ConfigPtr]),
    "mikey_config_set_certificate_chain": (_result, [ConfigPtr, _u8p, c_size_t]),
    "mikey_config_set_private_key": (_result, [ConfigPtr, _u8p, c_size_t]),
    "mikey_config_add_trust_anchor": (_result, [ConfigPtr, _u8p, c_size_t]),
    "mikey_config_set_peer_certificate": (_result, [ConfigPtr, _u8p, c_size_t]),
    "mikey_config_set_dh_group": (_result, [ConfigPtr, c_uint32]),
    "mikey_config_set_min_dh_group": (_result, [ConfigPtr, c_uint32]),
    "mikey_config_set_signature_scheme": (_result, [ConfigPtr, c_uint32]),
    "mikey_config_set_interop": (_result, [ConfigPtr, c_uint32]),
    "mikey_config_set_request_verification": (_result, [ConfigPtr, c_int]),
    "mikey_config_set_rsa_r_group": (_result, [ConfigPtr, c_uint32, POINTER(MikeyStream), c_size_t]),
    "mikey_config_set_require_peer_id": (_result, [ConfigPtr, c_int]),
    "mikey_config_set_accept_any_peer": (_result, [ConfigPtr, c_int]),
    "mikey_config_set_envelope_key_cache": (_result, [ConfigPtr, c_int]),
    "mikey_config_add_kms_community": (
        _result,
        [ConfigPtr, c_char_p, _u8p, c_size_t, _u8p, c_size_t, c_uint64, c_uint64],
    ),
    "mikey_config_add_user_key_set": (
        _result,
        [ConfigPtr, c_char_p, c_char_p, c_uint64, _u8p, c_size_t, _u8p, c_size_t, _u8p, c_size_t],
    ),
    "mikey_config_set_key_period_tolerance": (_result, [ConfigPtr, c_uint8]),
    "mikey_config_set_clock": (_result, [ConfigPtr, ClockFn, c_void_p]),
    "mikey_config_add_kms_xml": (_result, [ConfigPtr, _u8p, c_size_t]),
    "mikey_config_set_sakke_to_self": (_result, [ConfigPtr, c_int]),
    "mikey_config_set_ticket_kms": (_result, [ConfigPtr, c_char_p]),
    "mikey_config_add_ticket_protection_key": (_result, [ConfigPtr, _u8p, c_size_t, _u8p, c_size_t]),
    "mikey_config_add_ticket_responder": (_result, [ConfigPtr, c_char_p]),
    "mikey_config_set_ticket_key_forking": (_result, [ConfigPtr, c_int]),
    "mikey_config_set_ticket_lifetime": (_result, [ConfigPtr, c_uint32]),
    # sessions
    "mikey_session_new": (_result, [ConfigPtr, c_uint32, POINTER(SessionPtr)]),
    "mikey_session_fork": (_result, [SessionPtr, POINTER(SessionPtr)]),
    "mikey_session_free": (None, [SessionPtr]),
    "mikey_session_add_srtp_stream": (_result, [SessionPtr, c_uint32, c_uint32, _u8p]),
    "mikey_session_create_message": (_result, [SessionPtr, _u8p, c_size_t, _sizep]),
    "mikey_session_process_message": (_result, [SessionPtr, _u8p, c_size_t, _u8p, c_size_t, _sizep]),
    "mikey_session_take_response": (_result, [SessionPtr, _u8p, c_size_t, _sizep]),
    "mikey_session_state": (c_uint32, [SessionPtr]),
    "mikey_session_cs_count": (c_size_t, [SessionPtr]),
    "mikey_session_cs_id": (_result, [SessionPtr, c_size_t, _u8p]),
    "mikey_session_export_srtp": (_result, [SessionPtr, c_uint8, POINTER(MikeySrtpKeys)]),
    "mikey_session_csb_id": (_result, [SessionPtr, POINTER(c_uint32)]),
    "mikey_session_peer_identity": (_result, [SessionPtr, _u8p, c_size_t, _sizep]),
    "mikey_session_peer_certificate": (_result, [SessionPtr, _u8p, c_size_t, _sizep]),
    "mikey_session_last_error": (c_char_p, [SessionPtr]),
    # the MIKEY-TICKET KMS
    "mikey_kms_new": (_result, [c_char_p, POINTER(KmsPtr)]),
    "mikey_kms_free": (None, [KmsPtr]),
    "mikey_kms_add_tpk": (_result, [KmsPtr, _u8p, c_size_t, _u8p, c_size_t]),
    "mikey_kms_add_client": (_result, [KmsPtr, c_char_p, _u8p, c_size_t]),
    "mikey_kms_set_private_key": (_result, [KmsPtr, _u8p, c_size_t]),
    "mikey_kms_add_trust_anchor": (_result, [KmsPtr, _u8p, c_size_t]),
    "mikey_kms_set_responders_hold_tpk": (_result, [KmsPtr, c_int]),
    "mikey_kms_set_max_lifetime": (_result, [KmsPtr, c_uint32]),
    "mikey_kms_set_authorize": (_result, [KmsPtr, KmsAuthorizeFn, c_void_p]),
    "mikey_kms_set_clock": (_result, [KmsPtr, ClockFn, c_void_p]),
    "mikey_kms_process_message": (_result, [KmsPtr, _u8p, c_size_t, _u8p, c_size_t, _sizep]),
    "mikey_kms_last_error": (c_char_p, []),
    # MIKEY-SAKKE
    "mikey_mcptt_key_parameters_init": (_result, [c_uint32, POINTER(MikeyMcpttKeyParameters)]),
    "mikey_session_set_mcptt_key": (
        _result,
        [SessionPtr, c_uint32, _u8p, c_size_t, POINTER(MikeyMcpttKeyParameters), c_char_p, c_char_p],
    ),
    "mikey_session_set_mcptt_peer": (_result, [SessionPtr, c_char_p, c_char_p]),
    "mikey_session_mcptt_key": (_result, [SessionPtr, POINTER(MikeyMcpttKey)]),
    "mikey_session_mcptt_group_id": (_result, [SessionPtr, c_uint32, _u8p, c_size_t, _sizep]),
    "mikey_session_mcptt_key_text": (_result, [SessionPtr, _u8p, c_size_t, _sizep]),
    "mikey_mcptt_uid": (_result, [c_char_p, c_char_p, c_uint64, c_uint64, c_uint64, _u8p]),
    "mikey_mcptt_key_period_number": (_result, [c_uint64, c_uint64, c_uint64, POINTER(c_uint64)]),
    "mikey_mcptt_guk_id": (_result, [_u8p, c_size_t, c_uint32, c_char_p, POINTER(c_uint32)]),
    "mikey_mcptt_gmk_id": (_result, [_u8p, c_size_t, c_uint32, c_char_p, POINTER(c_uint32)]),
    # SDP and RTSP (RFC 4567)
    "mikey_sdp_key_mgmt_encode": (_result, [_u8p, c_size_t, _charp_out, c_size_t, _sizep]),
    "mikey_sdp_key_mgmt_decode": (_result, [c_char_p, _u8p, c_size_t, _sizep]),
    "mikey_rtsp_key_mgmt_encode": (_result, [_u8p, c_size_t, c_char_p, _charp_out, c_size_t, _sizep]),
    "mikey_rtsp_key_mgmt_count": (_result, [c_char_p, _sizep]),
    "mikey_rtsp_key_mgmt_decode": (_result, [c_char_p, c_size_t, _u8p, c_size_t, _sizep]),
    "mikey_rtsp_key_mgmt_uri": (_result, [c_char_p, c_size_t, _charp_out, c_size_t, _sizep]),
}


# ---- loading -----------------------------------------------------------------------------------

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None


class LibraryNotFoundError(OSError):
    """libmikey.so.0 could not be found or loaded, or is not the ABI this binding expects."""


def _candidates() -> list:
    """Where to look, in order: $MIKEY_LIBRARY alone when set, else what
    ``ctypes.util.find_library("mikey")`` finds, then the SONAME through the dynamic loader's
    own search (LD_LIBRARY_PATH, the ld.so cache, the system directories)."""
    explicit = os.environ.get(LIBRARY_ENV)
    if explicit:
        return [explicit]
    names = []
    found = ctypes.util.find_library("mikey")
    if found:
        names.append(found)
    if SONAME not in names:
        names.append(SONAME)
    return names


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in PROTOTYPES.items():
        function = getattr(lib, name)  # AttributeError names a symbol the library lacks
        function.restype = restype
        function.argtypes = argtypes


def load(path: Optional[str] = None) -> ctypes.CDLL:
    """Loads the library (once per process; later calls return the same one).

    ``path`` overrides the search; it only counts on the first call. Raises
    :class:`LibraryNotFoundError` when nothing loads, when a function of the header is missing,
    or when the library's major version is not :data:`ABI_MAJOR`.
    """
    global _lib, _lib_path
    with _lock:
        if _lib is not None:
            return _lib
        names = [path] if path else _candidates()
        errors = []
        for name in names:
            try:
                lib = ctypes.CDLL(name)
            except OSError as error:
                errors.append(f"{name}: {error}")
                continue
            try:
                _declare(lib)
            except AttributeError as error:
                raise LibraryNotFoundError(f"{name} is not a libmikey of this ABI: {error}") from None
            version = lib.mikey_version().decode("ascii", "replace")
            if version.split(".")[0] != str(ABI_MAJOR):
                raise LibraryNotFoundError(
                    f"{name} is libmikey {version}; this binding needs major version {ABI_MAJOR} ({SONAME})"
                )
            _lib, _lib_path = lib, name
            return lib
        hint = f"set {LIBRARY_ENV} to the path of {SONAME}, or install libmikey where the dynamic loader finds it"
        raise LibraryNotFoundError("cannot load libmikey (" + "; ".join(errors) + "): " + hint)


def lib() -> ctypes.CDLL:
    """The loaded library, loading it on first use."""
    return _lib if _lib is not None else load()


def loaded_path() -> Optional[str]:
    """The name or path the library was loaded from (None before it is loaded)."""
    return _lib_path
