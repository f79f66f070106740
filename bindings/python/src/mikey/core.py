# SPDX-License-Identifier: Apache-2.0 OR MIT
"""Configs, sessions and what they hand out, and the MIKEY-TICKET KMS: the wrappers of
``mikey_config``, ``mikey_session`` and ``mikey_kms``."""

from __future__ import annotations

import contextlib
import ctypes
import sys
import threading
import time
import traceback
from ctypes import byref, c_size_t, c_uint8, c_uint32, sizeof
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _ffi
from ._util import (
    BytesLike,
    c_bytes,
    check,
    cstr,
    flag,
    make_error,
    read_out,
    sint,
    text,
    uint,
)
from .constants import (
    MAX_MESSAGE_LEN,
    DhGroup,
    Interop,
    KmsExchange,
    Method,
    Profile,
    Result,
    Role,
    SignatureScheme,
    SsrcType,
    State,
    _as_enum,
)

# ---- values ------------------------------------------------------------------------------------


@dataclass
class SrtpPolicy:
    """The SRTP policy an initiator offers (``mikey_srtp_policy``).

    ``None`` in the three switches and the key derivation rate means "not sent" (the C API's
    -1): SRTP's defaults, encryption and authentication on, rate 0. ``profile`` 0 is the default
    profile, :attr:`Profile.AES_CM_128_HMAC_SHA1_80`.
    """

    profile: int = Profile.DEFAULT
    mki_len: int = 0
    srtp_encryption: Optional[bool] = None
    srtcp_encryption: Optional[bool] = None
    srtp_authentication: Optional[bool] = None
    key_derivation_rate: Optional[int] = None

    def _to_c(self) -> _ffi.MikeySrtpPolicy:
        lib = _ffi.lib()
        policy = _ffi.MikeySrtpPolicy()
        check(lib.mikey_srtp_policy_init(byref(policy)), "mikey_srtp_policy_init")
        policy.profile = uint(int(self.profile), 32, "profile")
        policy.mki_len = uint(self.mki_len, 8, "mki_len")
        policy.srtp_encryption = _switch(self.srtp_encryption, "srtp_encryption")
        policy.srtcp_encryption = _switch(self.srtcp_encryption, "srtcp_encryption")
        policy.srtp_authentication = _switch(self.srtp_authentication, "srtp_authentication")
        rate = self.key_derivation_rate
        policy.key_derivation_rate = -1 if rate is None else sint(rate, 64, "key_derivation_rate")
        return policy


def _switch(value: Optional[Union[bool, int]], name: str) -> int:
    if value is None:
        return -1
    if isinstance(value, bool):
        return int(value)
    return sint(value, 8, name)  # a raw number, to probe the library's own range check


@dataclass(frozen=True)
class SrtpKeys:
    """The keys and parameters of one crypto session (``mikey_srtp_keys``), copied out of the C
    struct, which is then wiped with ``mikey_srtp_keys_clear``.

    The lengths of the C struct (``master_key_len``, ``master_salt_len``, ``mki_len``) are the
    lengths of the byte strings. Python cannot wipe ``bytes``: drop the object once the SRTP
    stack has the keys. The key material is left out of ``repr()``.
    """

    cs_id: int
    ssrc: int
    roc: int
    profile: int
    master_key: bytes = field(repr=False)
    master_salt: bytes = field(repr=False)
    mki: bytes
    cipher_key_len: int
    auth_key_len: int
    auth_tag_len: int
    key_derivation_rate: int
    srtp_encryption: bool
    srtcp_encryption: bool
    srtp_authentication: bool
    ssrc_type: int
    rcc_mode: int
    roc_transmission_rate: int

    @property
    def master_key_and_salt(self) -> bytes:
        """``master_key || master_salt``, the key libsrtp's ``srtp_policy_t.key`` takes."""
        return self.master_key + self.master_salt

    @classmethod
    def _from_c(cls, keys: _ffi.MikeySrtpKeys) -> "SrtpKeys":
        key_len = min(keys.master_key_len, len(keys.master_key))
        salt_len = min(keys.master_salt_len, len(keys.master_salt))
        mki_len = min(keys.mki_len, len(keys.mki))
        return cls(
            cs_id=keys.cs_id,
            ssrc=keys.ssrc,
            roc=keys.roc,
            profile=_as_enum(Profile, keys.profile),
            master_key=bytes(keys.master_key[:key_len]),
            master_salt=bytes(keys.master_salt[:salt_len]),
            mki=bytes(keys.mki[:mki_len]),
            cipher_key_len=keys.cipher_key_len,
            auth_key_len=keys.auth_key_len,
            auth_tag_len=keys.auth_tag_len,
            key_derivation_rate=keys.key_derivation_rate,
            srtp_encryption=bool(keys.srtp_encryption),
            srtcp_encryption=bool(keys.srtcp_encryption),
            srtp_authentication=bool(keys.srtp_authentication),
            ssrc_type=_as_enum(SsrcType, keys.ssrc_type),
            rcc_mode=keys.rcc_mode,
            roc_transmission_rate=keys.roc_transmission_rate,
        )


@dataclass
class McpttKeyParameters:
    """The 3GPP key parameters of an MCPTT key (``mikey_mcptt_key_parameters``, TS 33.180
    Table E.6.1-1). Start from :meth:`for_key_id`."""

    key_type: int
    status: int = 1
    activation_time: int = 0
    expiry_time: int = 0
    legacy_clear: bool = False  # received only

    @classmethod
    def for_key_id(cls, key_id: int) -> "McpttKeyParameters":
        """``mikey_mcptt_key_parameters_init``: a new, not revoked key of the purpose the top 4
        bits of ``key_id`` name, with no time limits."""
        parameters = _ffi.MikeyMcpttKeyParameters()
        check(
            _ffi.lib().mikey_mcptt_key_parameters_init(uint(key_id, 32, "key_id"), byref(parameters)),
            "mikey_mcptt_key_parameters_init",
        )
        return cls._from_c(parameters)

    @classmethod
    def _from_c(cls, parameters: _ffi.MikeyMcpttKeyParameters) -> "McpttKeyParameters":
        return cls(
            key_type=parameters.key_type,
            status=parameters.status,
            activation_time=parameters.activation_time,
            expiry_time=parameters.expiry_time,
            legacy_clear=bool(parameters.legacy_clear),
        )

    def _to_c(self) -> _ffi.MikeyMcpttKeyParameters:
        parameters = _ffi.MikeyMcpttKeyParameters()
        parameters.key_type = uint(self.key_type, 8, "key_type")
        parameters.legacy_clear = flag(self.legacy_clear)
        parameters.status = uint(self.status, 32, "status")
        parameters.activation_time = uint(self.activation_time, 64, "activation_time")
        parameters.expiry_time = uint(self.expiry_time, 64, "expiry_time")
        return parameters


@dataclass(frozen=True)
class McpttKey:
    """The MCPTT key of an established MIKEY-SAKKE CSB (``mikey_session_mcptt_key``), with the
    MC group IDs and the text of its key parameters. The key is left out of ``repr()``."""

    key_id: int
    key: bytes = field(repr=False)
    parameters: Optional[McpttKeyParameters]
    group_ids: Tuple[str, ...] = ()
    text: str = ""


# ---- the clock ---------------------------------------------------------------------------------

#: Seconds from the NTP epoch (1900-01-01) to the Unix epoch.
NTP_UNIX_OFFSET = 2208988800


def ntp_from_unix(seconds: float) -> int:
    """A 64-bit NTP timestamp (seconds since 1900 in the high 32 bits, the fraction in the low
    32) from Unix time."""
    whole = int(seconds // 1)
    fraction = int((seconds - whole) * (1 << 32))
    return (((whole + NTP_UNIX_OFFSET) & 0xFFFFFFFF) << 32) | (fraction & 0xFFFFFFFF)


def unix_from_ntp(ntp: int) -> float:
    """Unix time from a 64-bit NTP timestamp (era 0)."""
    return (ntp >> 32) - NTP_UNIX_OFFSET + (ntp & 0xFFFFFFFF) / (1 << 32)


class ManualClock:
    """A clock for :meth:`Config.set_clock` that a lab script or test moves by hand: it reads
    ``ntp`` (a 64-bit NTP timestamp) until it is changed."""

    def __init__(self, ntp: Optional[int] = None) -> None:
        self.ntp = ntp_from_unix(time.time()) if ntp is None else uint(ntp, 64, "ntp")

    def __call__(self) -> int:
        return self.ntp

    def set_unix(self, seconds: float) -> None:
        self.ntp = ntp_from_unix(seconds)

    def advance(self, seconds: float) -> None:
        self.ntp = (self.ntp + int(seconds * (1 << 32))) & 0xFFFFFFFFFFFFFFFF


def _clock_trampoline(now: Callable[[], int]):
    def call(_user_data):
        try:
            return int(now()) & 0xFFFFFFFFFFFFFFFF
        except BaseException:  # noqa: B036 - an exception cannot cross into the library
            print("mikey: the clock callback failed; it reads 0 (1900-01-01)", file=sys.stderr)
            traceback.print_exc()
            return 0

    return _ffi.ClockFn(call)


def _clock_callback(now: Union[Callable[[], int], int]):
    """The ctypes clock callback of ``set_clock``'s argument: a callable, or an int for a clock
    stopped at that NTP time."""
    if isinstance(now, int) and not isinstance(now, bool):
        fixed = uint(now, 64, "now")
        now = lambda: fixed  # noqa: E731
    if not callable(now):
        raise TypeError("now must be a callable returning an NTP timestamp, or an int")
    return _clock_trampoline(now)


def _pairs(value: Union[Mapping[Any, Any], Iterable[Tuple[Any, Any]]], name: str) -> List[Tuple[Any, Any]]:
    """``(key, value)`` pairs from a mapping or an iterable of pairs (constructor keywords)."""
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be a mapping or an iterable of pairs, not {type(value).__name__}")
    pairs = []
    for item in value:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"{name} must hold (identifier, key) pairs, not {item!r:.40}")
        pairs.append((item[0], item[1]))
    return pairs


# ---- handles -----------------------------------------------------------------------------------


class _Handle:
    """An owned C handle: freed by close(), the end of a with block, or, as a fallback,
    garbage collection."""

    _handle = None
    _free_name = ""

    def _ptr(self):
        if not self._handle:
            raise ValueError(f"operation on a closed {type(self).__name__}")
        return self._handle

    @property
    def closed(self) -> bool:
        return not self._handle

    def close(self) -> None:
        """Frees the C object (and, for a session, wipes its keys). Idempotent."""
        handle, self._handle = self._handle, None
        if handle:
            getattr(_ffi.lib(), self._free_name)(handle)

    def __enter__(self):
        self._ptr()
        return self

    _KEYWORDS: tuple = ()

    def _settings_in_order(self, settings: dict) -> list:
        """The (name, value) pairs of constructor ``settings``, in the order of ``_KEYWORDS``
        (the order the C setters need); an unknown name is a TypeError."""
        unknown = set(settings) - set(self._KEYWORDS)
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unknown settings: {', '.join(sorted(unknown))}")
        return [(name, settings[name]) for name in self._KEYWORDS if name in settings]

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the module may be half torn down
            pass


class Config(_Handle):
    """An endpoint configuration (``mikey_config``): the method, credentials, identities,
    policies, interop switches, and the replay cache its sessions share.

    Configure it fully before its first session: that session freezes it, and the setters then
    raise :class:`StateError`. Every setter returns the config, so calls chain. Keyword
    arguments of the constructor call the setters of the same names, in a fixed order (interop
    switches first)::

        config = Config(Method.PSK, psk=key, request_verification=True)
        config = Config(Method.DH_SIGN, certificate_chain=chain, private_key=key,
                        trust_anchors=[root], peer_id="sip:bob@example.com")
    """

    _free_name = "mikey_config_free"

    # constructor keyword -> setter, applied in this order
    _KEYWORDS = (
        "interop",
        "psk",
        "identities",
        "srtp_policy",
        "accepted_profiles",
        "allow_unprotected_srtp",
        "replay_window",
        "max_future_skew",
        "certificate_chain",
        "private_key",
        "trust_anchors",
        "peer_certificate",
        "dh_group",
        "min_dh_group",
        "signature_scheme",
        "request_verification",
        "require_peer_id",
        "accept_any_peer",
        "envelope_key_cache",
        "key_period_tolerance",
        "sakke_to_self",
        "ticket_kms",
        "ticket_protection_keys",
        "ticket_responders",
        "ticket_key_forking",
        "ticket_lifetime",
        "clock",
    )

    def __init__(self, method: Union[Method, int], **settings) -> None:
        handle = _ffi.ConfigPtr()
        check(_ffi.lib().mikey_config_new(uint(int(method), 32, "method"), byref(handle)), "mikey_config_new")
        self._handle = handle
        self.method = _as_enum(Method, method)
        self._clock = None  # the ctypes callback, kept alive as long as any session of ours
        try:
            self._configure(settings)
        except BaseException:
            self.close()
            raise

    def _configure(self, settings: dict) -> None:
        own_id = settings.pop("own_id", None)
        peer_id = settings.pop("peer_id", None)
        if own_id is not None or peer_id is not None:
            settings["identities"] = (own_id, peer_id)
        for name, value in self._settings_in_order(settings):
            if name == "identities":
                self.set_identities(*value)
            elif name == "trust_anchors":
                for anchor in value:
                    self.add_trust_anchor(anchor)
            elif name == "ticket_protection_keys":
                for tpk_id, key in _pairs(value, name):
                    self.add_ticket_protection_key(tpk_id, key)
            elif name == "ticket_responders":
                if isinstance(value, (str, bytes)):
                    raise TypeError("ticket_responders must be an iterable of identities, not one identity")
                for responder_id in value:
                    self.add_ticket_responder(responder_id)
            else:
                getattr(self, "set_" + name)(value)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<mikey.Config {self.method!r} {state}>"

    @property
    def last_error(self) -> str:
        """``mikey_config_last_error``: why the last setter refused ("" after a success)."""
        return text(_ffi.lib().mikey_config_last_error(self._ptr()) or b"")

    def _set(self, function: str, *args) -> "Config":
        handle = self._ptr()
        check(getattr(_ffi.lib(), function)(handle, *args), function, lambda: self.last_error)
        return self

    def _set_bytes(self, function: str, data, name: str, secret: bool = False, allow_str: bool = False) -> "Config":
        with c_bytes(data, name, secret=secret, allow_str=allow_str) as (buffer, size):
            return self._set(function, buffer, size)

    # -- credentials and identities

    def set_psk(self, psk: BytesLike) -> "Config":
        """The pre-shared key of PSK and DH-HMAC (at least 16 bytes)."""
        return self._set_bytes("mikey_config_set_psk", psk, "psk", secret=True)

    def set_identities(self, own_id: Optional[str] = None, peer_id: Optional[str] = None) -> "Config":
        """Our identity and the peer's (URIs such as ``sip:alice@example.com``); None clears."""
        return self._set("mikey_config_set_identities", cstr(own_id, "own_id"), cstr(peer_id, "peer_id"))

    def set_certificate_chain(self, chain: Union[BytesLike, str]) -> "Config":
        """Our certificate chain, end entity first: a PEM bundle or one DER certificate."""
        return self._set_bytes("mikey_config_set_certificate_chain", chain, "chain", allow_str=True)

    def set_private_key(self, key: Union[BytesLike, str]) -> "Config":
        """The private key of our certificate: PKCS#8 or PKCS#1, PEM or DER, not encrypted."""
        return self._set_bytes("mikey_config_set_private_key", key, "key", secret=True, allow_str=True)

    def add_trust_anchor(self, anchors: Union[BytesLike, str]) -> "Config":
        """Trust anchors: every certificate of a PEM bundle, or one DER certificate."""
        return self._set_bytes("mikey_config_add_trust_anchor", anchors, "anchors", allow_str=True)

    def set_peer_certificate(self, certificate: Union[BytesLike, str]) -> "Config":
        """The peer's certificate (pinned; a PK initiator's envelope key goes to it)."""
        return self._set_bytes("mikey_config_set_peer_certificate", certificate, "certificate", allow_str=True)

    # -- policies

    def set_srtp_policy(self, policy: SrtpPolicy) -> "Config":
        """The SRTP policy an initiator offers."""
        c_policy = policy._to_c()
        return self._set("mikey_config_set_srtp_policy", byref(c_policy))

    def set_accepted_profiles(self, profiles: Iterable[int]) -> "Config":
        """The SRTP profiles a peer's policy may name (default: all that encrypt)."""
        values = [uint(int(profile), 32, "profile") for profile in profiles]
        array = (c_uint32 * len(values))(*values) if values else None
        return self._set("mikey_config_set_accepted_profiles", array, len(values))

    def set_allow_unprotected_srtp(self, allow: bool) -> "Config":
        """Whether a peer's policy may turn SRTP/SRTCP encryption or SRTP authentication off."""
        return self._set("mikey_config_set_allow_unprotected_srtp", flag(allow))

    def set_replay_window(self, seconds: int) -> "Config":
        """How old an incoming timestamp may be, 1 to 86400 s (default 60)."""
        return self._set("mikey_config_set_replay_window", uint(seconds, 32, "seconds"))

    def set_max_future_skew(self, seconds: int) -> "Config":
        """How far ahead of our clock an incoming timestamp may be, 0 to 3600 s (default 5)."""
        return self._set("mikey_config_set_max_future_skew", uint(seconds, 32, "seconds"))

    def set_dh_group(self, group: Union[DhGroup, int]) -> "Config":
        """The Diffie-Hellman group a DH initiator offers (default OAKLEY 5)."""
        return self._set("mikey_config_set_dh_group", uint(int(group), 32, "group"))

    def set_min_dh_group(self, group: Union[DhGroup, int]) -> "Config":
        """The weakest Diffie-Hellman group this endpoint uses (default OAKLEY 5)."""
        return self._set("mikey_config_set_min_dh_group", uint(int(group), 32, "group"))

    def set_signature_scheme(self, scheme: Union[SignatureScheme, int]) -> "Config":
        """How PK, DH-SIGN and RSA-R sign (default PKCS#1 v1.5 with SHA-256)."""
        return self._set("mikey_config_set_signature_scheme", uint(int(scheme), 32, "scheme"))

    def set_interop(self, flags: Union[Interop, int]) -> "Config":
        """The interop switches, a bitwise OR of :class:`Interop` flags; replaces the previous."""
        return self._set("mikey_config_set_interop", uint(int(flags), 32, "flags"))

    def set_request_verification(self, request: bool) -> "Config":
        """Whether an initiator asks for a verification message (the V flag)."""
        return self._set("mikey_config_set_request_verification", flag(request))

    def set_require_peer_id(self, require: bool) -> "Config":
        """Whether a shared-key message must carry the configured peer's ID."""
        return self._set("mikey_config_set_require_peer_id", flag(require))

    def set_accept_any_peer(self, accept: bool) -> "Config":
        """DH-SIGN and RSA-R initiators: accept any peer under the trust anchors (SIP forking);
        check :meth:`Session.peer_identity` afterwards."""
        return self._set("mikey_config_set_accept_any_peer", flag(accept))

    def set_envelope_key_cache(self, cache: bool) -> "Config":
        """PK initiator: ask the responder to cache the envelope key for PSK-mode updates."""
        return self._set("mikey_config_set_envelope_key_cache", flag(cache))

    def set_rsa_r_group(self, csb_id: int, streams: Sequence[Tuple[int, int]]) -> "Config":
        """RSA-R responder as a group key server: every member gets CSB ``csb_id`` with these
        ``(ssrc, roc)`` streams and one TGK drawn now (set the SRTP policy first)."""
        pairs = list(streams)
        array = (_ffi.MikeyStream * len(pairs))() if pairs else None
        for index, (ssrc, roc) in enumerate(pairs):
            array[index].ssrc = uint(ssrc, 32, "ssrc")
            array[index].roc = uint(roc, 32, "roc")
        return self._set("mikey_config_set_rsa_r_group", uint(csb_id, 32, "csb_id"), array, len(pairs))

    def set_clock(self, now: Union[Callable[[], int], int]) -> "Config":
        """Replaces the system clock: ``now()`` returns a 64-bit NTP timestamp (see
        :func:`ntp_from_unix`, :class:`ManualClock`); an int is a clock stopped at that time.
        For tests and lab tools replaying captures. It is called from whichever thread uses a
        session, must not call into the library, and reads 0 should it raise."""
        callback = _clock_callback(now)
        self._set("mikey_config_set_clock", callback, None)
        self._clock = callback
        return self

    # -- MIKEY-SAKKE

    def add_kms_community(
        self,
        kms_uri: str,
        z: BytesLike,
        kpak: BytesLike,
        key_period_secs: int,
        key_period_offset_secs: int = 0,
    ) -> "Config":
        """A KMS's community: its SAKKE public key Z_T (257 bytes), ECCSI KPAK (65 bytes), and
        user key period and offset in seconds."""
        with c_bytes(z, "z") as (z_buf, z_len), c_bytes(kpak, "kpak") as (kpak_buf, kpak_len):
            return self._set(
                "mikey_config_add_kms_community",
                cstr(kms_uri, "kms_uri"),
                z_buf,
                z_len,
                kpak_buf,
                kpak_len,
                uint(key_period_secs, 64, "key_period_secs"),
                uint(key_period_offset_secs, 64, "key_period_offset_secs"),
            )

    def add_user_key_set(
        self,
        kms_uri: str,
        user_uri: str,
        key_period_number: int,
        rsk: BytesLike,
        ssk: BytesLike,
        pvt: BytesLike,
    ) -> "Config":
        """Our keys for one key period: RSK (257 bytes), SSK (32), PVT (65); validated."""
        with contextlib.ExitStack() as stack:
            rsk_buf, rsk_len = stack.enter_context(c_bytes(rsk, "rsk", secret=True))
            ssk_buf, ssk_len = stack.enter_context(c_bytes(ssk, "ssk", secret=True))
            pvt_buf, pvt_len = stack.enter_context(c_bytes(pvt, "pvt"))
            return self._set(
                "mikey_config_add_user_key_set",
                cstr(kms_uri, "kms_uri"),
                cstr(user_uri, "user_uri"),
                uint(key_period_number, 64, "key_period_number"),
                rsk_buf,
                rsk_len,
                ssk_buf,
                ssk_len,
                pvt_buf,
                pvt_len,
            )

    def add_kms_xml(self, xml: Union[BytesLike, str]) -> "Config":
        """What a KMS response (TS 33.180 Annex D XML) carries: communities or key sets."""
        return self._set_bytes("mikey_config_add_kms_xml", xml, "xml", secret=True, allow_str=True)

    def set_key_period_tolerance(self, periods: int) -> "Config":
        """MIKEY-SAKKE responder: accept messages up to ``periods`` (0 or 1) key periods off."""
        return self._set("mikey_config_set_key_period_tolerance", uint(periods, 8, "periods"))

    def set_sakke_to_self(self, to_self: bool) -> "Config":
        """MIKEY-SAKKE initiator: encapsulate the key to our own identity too."""
        return self._set("mikey_config_set_sakke_to_self", flag(to_self))

    # -- MIKEY-TICKET

    def set_ticket_kms(self, kms_id: str) -> "Config":
        """MIKEY-TICKET: the KMS's identity (its IDRkms) for the Ticket Request and Resolve
        exchanges; :meth:`set_psk` is then the key this party shares with that KMS."""
        return self._set("mikey_config_set_ticket_kms", cstr(kms_id, "kms_id"))

    def add_ticket_protection_key(self, id: Union[BytesLike, str], key: BytesLike) -> "Config":  # noqa: A002
        """MIKEY-TICKET: a Ticket Protection Key (``key``, at least 16 bytes) named ``id`` (the
        IDRpsk of the tickets it seals; bytes, or a str sent as UTF-8; ``b""`` for none). An
        initiator holding a TPK makes its tickets itself (modes 3 and 4); a responder opens the
        tickets sealed under any of its TPKs without the KMS (modes 2 and 4)."""
        with c_bytes(id, "id", allow_str=True) as (id_buf, id_len):
            with c_bytes(key, "key", secret=True) as (key_buf, key_len):
                return self._set("mikey_config_add_ticket_protection_key", id_buf, id_len, key_buf, key_len)

    def add_ticket_responder(self, responder_id: str) -> "Config":
        """MIKEY-TICKET initiator: another responder the tickets we ask for authorise besides the
        peer identity (an end a forked call may reach)."""
        return self._set("mikey_config_add_ticket_responder", cstr(responder_id, "responder_id"))

    def set_ticket_key_forking(self, forking: bool) -> "Config":
        """MIKEY-TICKET initiator: ask for key forking (RFC 6043 §5.1.1), which binds the keys to
        the responder that resolves the ticket. Off by default."""
        return self._set("mikey_config_set_ticket_key_forking", flag(forking))

    def set_ticket_lifetime(self, seconds: int) -> "Config":
        """MIKEY-TICKET initiator: how long the tickets we ask for or make should be valid, in
        seconds (an hour by default; a KMS may grant less)."""
        return self._set("mikey_config_set_ticket_lifetime", uint(seconds, 32, "seconds"))


class Session(_Handle):
    """One crypto session bundle as initiator or responder (``mikey_session``). With
    MIKEY-TICKET, a message a session gives while its state is :attr:`State.WAIT_KMS` goes to
    the KMS rather than to the peer.

    Calls on one session must not run concurrently (the library does not synchronise them);
    distinct sessions may be used from different threads. A session stays valid after its
    config is closed.
    """

    _free_name = "mikey_session_free"

    def __init__(self, config: Config, role: Union[Role, int]) -> None:
        handle = _ffi.SessionPtr()
        code = _ffi.lib().mikey_session_new(config._ptr(), uint(int(role), 32, "role"), byref(handle))
        check(code, "mikey_session_new", lambda: config.last_error)
        self._adopt(handle, _as_enum(Role, role), config.method, config._clock)

    def _adopt(self, handle, role, method, clock) -> None:
        self._handle = handle
        self.role = role
        self.method = method
        self._clock = clock  # the config's clock callback must outlive the session

    @classmethod
    def initiator(cls, config: Config) -> "Session":
        return cls(config, Role.INITIATOR)

    @classmethod
    def responder(cls, config: Config) -> "Session":
        return cls(config, Role.RESPONDER)

    def __repr__(self) -> str:
        if self.closed:
            return f"<mikey.Session {self.method!r} {self.role!r} closed>"
        return f"<mikey.Session {self.method!r} {self.role!r} {self.state!r}>"

    def _error_text(self) -> str:
        return text(_ffi.lib().mikey_session_last_error(self._ptr()) or b"")

    @property
    def last_error(self) -> str:
        """``mikey_session_last_error``: the detail of the last failed call ("" after a
        success). The exceptions carry it already."""
        return self._error_text()

    def _call(self, function: str, *args) -> None:
        handle = self._ptr()
        check(getattr(_ffi.lib(), function)(handle, *args), function, self._error_text)

    # -- the exchange

    def add_srtp_stream(self, ssrc: int, roc: int = 0) -> int:
        """Adds an SRTP stream and returns its CS ID. Initiator: a crypto session (SSRC 0 is a
        placeholder for a stream the responder sends). Responder: one of our sending streams,
        filling the I_MESSAGE's placeholders; add it before processing the I_MESSAGE."""
        cs_id = c_uint8(0)
        self._call("mikey_session_add_srtp_stream", uint(ssrc, 32, "ssrc"), uint(roc, 32, "roc"), byref(cs_id))
        return cs_id.value

    def create_message(self) -> bytes:
        """Initiator: the I_MESSAGE (on an established session, the re-keying message). With
        MIKEY-TICKET, first the REQUEST_INIT for the KMS (the state is then
        :attr:`State.WAIT_KMS`) unless we hold a TPK, then, holding the ticket, the
        TRANSFER_INIT; once established, either end may write a CSB update (RFC 6043 §5.2),
        which the other end answers."""
        handle = self._ptr()
        lib = _ffi.lib()
        return read_out(
            lambda out, cap, out_len: lib.mikey_session_create_message(handle, out, cap, out_len),
            "mikey_session_create_message",
            initial=MAX_MESSAGE_LEN,
            last_error=self._error_text,
        )

    def process_message(self, message: BytesLike) -> bytes:
        """Takes one incoming message and returns the response to send back (``b""`` for none).
        When the state is then :attr:`State.WAIT_KMS` (MIKEY-TICKET), the response goes to the
        KMS (:meth:`Kms.process_message`) and its answer comes back here.

        On failure the exception carries the library's text and, in ``response``, an error
        message to send back if the library made one. A refused message leaves the session as
        it was.
        """
        handle = self._ptr()
        lib = _ffi.lib()
        out = (c_uint8 * MAX_MESSAGE_LEN)()
        out_len = c_size_t(0)
        with c_bytes(message, "message") as (buffer, size):
            code = lib.mikey_session_process_message(handle, buffer, size, out, MAX_MESSAGE_LEN, byref(out_len))
        if code == Result.ERR_BUFFER_TOO_SMALL and out_len.value > MAX_MESSAGE_LEN:
            return self.take_response()
        return self._finish(code, "mikey_session_process_message", bytes(out[: out_len.value]))

    def take_response(self) -> bytes:
        """Delivers a response that waited in the session (``b""`` when none waits), raising the
        result of the processing that made it."""
        handle = self._ptr()
        lib = _ffi.lib()
        cap = MAX_MESSAGE_LEN
        while True:
            out = (c_uint8 * cap)()
            out_len = c_size_t(0)
            code = lib.mikey_session_take_response(handle, out, cap, byref(out_len))
            if code == Result.ERR_BUFFER_TOO_SMALL and out_len.value > cap:
                cap = out_len.value
                continue
            return self._finish(code, "mikey_session_take_response", bytes(out[: out_len.value]))

    def _finish(self, code: int, function: str, response: bytes) -> bytes:
        if code != Result.OK:
            raise make_error(code, function, self._error_text(), response)
        return response

    def fork(self) -> "Session":
        """SIP forking: a second session waiting for another answer to the same I_MESSAGE."""
        handle = self._ptr()
        forked = _ffi.SessionPtr()
        check(_ffi.lib().mikey_session_fork(handle, byref(forked)), "mikey_session_fork", self._error_text)
        session = Session.__new__(Session)
        session._adopt(forked, self.role, self.method, self._clock)
        return session

    # -- what it holds

    @property
    def state(self) -> State:
        """``mikey_session_state``."""
        return _as_enum(State, _ffi.lib().mikey_session_state(self._ptr()))

    @property
    def cs_count(self) -> int:
        """``mikey_session_cs_count``: the number of crypto sessions."""
        return _ffi.lib().mikey_session_cs_count(self._ptr())

    def cs_ids(self) -> List[int]:
        """The CS ID of every crypto session (``mikey_session_cs_id``), what
        :meth:`export_srtp` takes."""
        ids = []
        for index in range(self.cs_count):
            cs_id = c_uint8(0)
            self._call("mikey_session_cs_id", index, byref(cs_id))
            ids.append(cs_id.value)
        return ids

    def export_srtp(self, cs_id: int) -> SrtpKeys:
        """The SRTP keys of crypto session ``cs_id``; the C struct is wiped after the copy."""
        handle = self._ptr()
        lib = _ffi.lib()
        keys = _ffi.MikeySrtpKeys()
        try:
            code = lib.mikey_session_export_srtp(handle, uint(cs_id, 8, "cs_id"), byref(keys))
            check(code, "mikey_session_export_srtp", self._error_text)
            return SrtpKeys._from_c(keys)
        finally:
            lib.mikey_srtp_keys_clear(byref(keys))

    def export_all(self) -> Dict[int, SrtpKeys]:
        """The SRTP keys of every crypto session, by CS ID."""
        return {cs_id: self.export_srtp(cs_id) for cs_id in self.cs_ids()}

    @property
    def csb_id(self) -> int:
        """``mikey_session_csb_id`` (raises :class:`StateError` before there is a CSB)."""
        value = c_uint32(0)
        self._call("mikey_session_csb_id", byref(value))
        return value.value

    def _read(self, function: str, *args, initial: int = 256) -> bytes:
        handle = self._ptr()
        call = getattr(_ffi.lib(), function)
        return read_out(
            lambda out, cap, out_len: call(handle, *args, out, cap, out_len),
            function,
            initial=initial,
            last_error=self._error_text,
        )

    def peer_identity(self) -> bytes:
        """The established CSB's authenticated peer (typically a URI, ``b""`` when nothing names
        it); bytes, since a MIKEY-SAKKE peer may be a 32-byte UID. ``.decode()`` a URI."""
        return self._read("mikey_session_peer_identity")

    def peer_certificate(self) -> bytes:
        """The peer's end-entity certificate, DER (``b""`` for methods without one)."""
        return self._read("mikey_session_peer_certificate", initial=4096)

    # -- MIKEY-SAKKE

    def set_mcptt_key(
        self,
        key_id: int,
        key: BytesLike,
        parameters: Optional[McpttKeyParameters] = None,
        group_id: Optional[str] = None,
        key_text: Optional[str] = None,
    ) -> None:
        """MIKEY-SAKKE initiator: the key (16 bytes) the next I_MESSAGE sends, its ID, and the
        key parameters, MC group ID and text sent with it."""
        c_parameters = byref(parameters._to_c()) if parameters is not None else None
        with c_bytes(key, "key", secret=True) as (buffer, size):
            self._call(
                "mikey_session_set_mcptt_key",
                uint(key_id, 32, "key_id"),
                buffer,
                size,
                c_parameters,
                cstr(group_id, "group_id"),
                cstr(key_text, "key_text"),
            )

    def set_mcptt_peer(self, uri: str, kms_uri: Optional[str] = None) -> None:
        """MIKEY-SAKKE: the other user (initiator: the receiver; responder: the sender as SIP
        named it, which the message's signer must then be)."""
        self._call("mikey_session_set_mcptt_peer", cstr(uri, "uri"), cstr(kms_uri, "kms_uri"))

    def mcptt_key(self) -> McpttKey:
        """MIKEY-SAKKE: the established key, its ID, parameters, MC group IDs and text."""
        handle = self._ptr()
        lib = _ffi.lib()
        key = _ffi.MikeyMcpttKey()
        try:
            check(lib.mikey_session_mcptt_key(handle, byref(key)), "mikey_session_mcptt_key", self._error_text)
            key_bytes = bytes(key.key[: min(key.key_len, len(key.key))])
            parameters = McpttKeyParameters._from_c(key.parameters) if key.has_parameters else None
            key_id, count = key.key_id, key.group_id_count
        finally:
            ctypes.memset(ctypes.addressof(key), 0, sizeof(key))
        group_ids = tuple(text(self._read("mikey_session_mcptt_group_id", index)) for index in range(count))
        key_text = text(self._read("mikey_session_mcptt_key_text"))
        return McpttKey(key_id=key_id, key=key_bytes, parameters=parameters, group_ids=group_ids, text=key_text)


# ---- the MIKEY-TICKET KMS ----------------------------------------------------------------------


class _KmsThreadState(threading.local):
    """Per thread (the library calls the authorize callback on the thread that called
    ``mikey_kms_process_message``): what the callback raised during this thread's last
    :meth:`Kms.process_message`, and whether it is running now."""

    error: Optional[BaseException] = None
    in_callback: bool = False


def _identity(pointer, length: int) -> bytes:
    """The bytes of an identity the library hands the authorize callback (valid during the call
    only, so copied; a zero length may come with a dangling pointer, never read)."""
    return ctypes.string_at(pointer, length) if length else b""


def _authorize_trampoline(decide: Callable[[KmsExchange, bytes, bytes, bytes], object], state: _KmsThreadState):
    """The ctypes ``mikey_kms_authorize_fn`` calling ``decide``. An exception cannot cross into
    the library: it is kept in ``state`` (the first one of the call) and the request denied."""

    def call(_user_data, exchange, client, client_len, initiator, initiator_len, responder, responder_len):
        state.in_callback = True
        try:
            verdict = decide(
                _as_enum(KmsExchange, exchange),
                _identity(client, client_len),
                _identity(initiator, initiator_len),
                _identity(responder, responder_len),
            )
            return 1 if verdict else 0
        except BaseException as error:  # noqa: B036 - an exception cannot cross into the library
            if state.error is None:
                state.error = error
            return 0
        finally:
            state.in_callback = False

    return _ffi.KmsAuthorizeFn(call)


def _kms_error_text() -> str:
    """``mikey_kms_last_error``: the calling thread's last failed ``mikey_kms_*`` call."""
    return text(_ffi.lib().mikey_kms_last_error() or b"")


class Kms(_Handle):
    """A MIKEY-TICKET KMS (``mikey_kms``, RFC 6043): its identity, Ticket Protection Keys, clients
    and the PSKs they share with it, who may have and resolve which ticket, and its replay cache.
    It answers the REQUEST_INIT and RESOLVE_INIT messages sessions give while their state is
    :attr:`State.WAIT_KMS`; the transport to it (TS 33.328 uses HTTP) is the caller's.

    Configure it first: its first :meth:`process_message` starts it, and the setters then raise
    :class:`StateError`. Every setter returns the KMS, so calls chain. Keyword arguments of the
    constructor call the setters::

        kms = Kms("kms.example.org", tpks=[(b"tpk-1", tpk)],
                  clients={"sip:alice@example.org": alice_psk, "sip:bob@example.org": bob_psk})

    Once started, :meth:`process_message` may be called from several threads at once (the
    library releases the GIL meanwhile); :meth:`close` must not run concurrently with it.
    """

    _free_name = "mikey_kms_free"

    # constructor keyword -> setter, applied in this order
    _KEYWORDS = (
        "tpks",
        "clients",
        "private_key",
        "trust_anchors",
        "responders_hold_tpk",
        "max_lifetime",
        "authorize",
        "clock",
    )

    def __init__(self, identity: str, **settings) -> None:
        self._state = _KmsThreadState()
        self._authorize = None  # the ctypes callbacks the library holds, kept alive as long as it
        self._clock = None
        handle = _ffi.KmsPtr()
        check(_ffi.lib().mikey_kms_new(cstr(identity, "identity"), byref(handle)), "mikey_kms_new", _kms_error_text)
        self._handle = handle
        self.identity = identity
        try:
            self._configure(settings)
        except BaseException:
            self.close()
            raise

    def _configure(self, settings: dict) -> None:
        for name, value in self._settings_in_order(settings):
            if name == "tpks":
                for tpk_id, key in _pairs(value, name):
                    self.add_tpk(tpk_id, key)
            elif name == "clients":
                for client_id, psk in _pairs(value, name):
                    self.add_client(client_id, psk)
            elif name == "trust_anchors":
                for anchor in value:
                    self.add_trust_anchor(anchor)
            else:
                getattr(self, "set_" + name)(value)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<mikey.Kms {self.identity!r} {state}>"

    def close(self) -> None:
        """Frees the C object. Idempotent. Not from the authorize callback, nor while another
        thread is in :meth:`process_message`."""
        state = getattr(self, "_state", None)
        if state is not None and state.in_callback and self._handle:
            raise RuntimeError("the KMS's authorize callback must not close the KMS")
        super().close()

    @property
    def last_error(self) -> str:
        """``mikey_kms_last_error``: the detail of the calling thread's last failed
        ``mikey_kms_*`` call, on any KMS ("" after a success). The exceptions carry it already."""
        return _kms_error_text()

    @property
    def authorize_error(self) -> Optional[BaseException]:
        """What the authorize callback raised during the calling thread's last
        :meth:`process_message` (None when it did not raise): the request was denied. The
        exception that call raised has it as ``__cause__`` too."""
        return self._state.error

    def _set(self, function: str, *args) -> "Kms":
        handle = self._ptr()
        check(getattr(_ffi.lib(), function)(handle, *args), function, _kms_error_text)
        return self

    # -- configuring

    def add_tpk(self, id: Union[BytesLike, str], key: BytesLike) -> "Kms":  # noqa: A002
        """A Ticket Protection Key (``key``, at least 16 bytes) named ``id`` (the IDRpsk of the
        tickets it seals; bytes, or a str sent as UTF-8; ``b""`` for none). The first TPK added
        seals new tickets; every TPK opens them."""
        with c_bytes(id, "id", allow_str=True) as (id_buf, id_len):
            with c_bytes(key, "key", secret=True) as (key_buf, key_len):
                return self._set("mikey_kms_add_tpk", id_buf, id_len, key_buf, key_len)

    def add_client(self, identity: str, psk: BytesLike) -> "Kms":
        """A client: its identity (the IDRi or IDRr it sends) and the PSK (at least 16 bytes) it
        shares with the KMS (its :meth:`Config.set_psk`)."""
        with c_bytes(psk, "psk", secret=True) as (buffer, size):
            return self._set("mikey_kms_add_client", cstr(identity, "identity"), buffer, size)

    def set_private_key(self, key: Union[BytesLike, str]) -> "Kms":
        """The public-key forms of Request and Resolve (RFC 6043 §4.2.1.3, §4.2.3.3): the KMS's
        RSA private key (PKCS#8 or PKCS#1, PEM or DER), whose certificate the clients pin.
        Without it the KMS takes the PSK forms only."""
        with c_bytes(key, "key", secret=True, allow_str=True) as (buffer, size):
            return self._set("mikey_kms_set_private_key", buffer, size)

    def add_trust_anchor(self, anchors: Union[BytesLike, str]) -> "Kms":
        """The public-key forms: trust anchors the clients' certificate chains must lead to
        (every certificate of a PEM bundle, or one DER certificate)."""
        with c_bytes(anchors, "anchors", allow_str=True) as (buffer, size):
            return self._set("mikey_kms_add_trust_anchor", buffer, size)

    def set_responders_hold_tpk(self, hold: bool) -> "Kms":
        """Whether the responders hold the TPK too (mode 2): its tickets then let them resolve
        without the KMS, unless keys are forked. Off by default (mode 1)."""
        return self._set("mikey_kms_set_responders_hold_tpk", flag(hold))

    def set_max_lifetime(self, seconds: int) -> "Kms":
        """The longest validity a ticket gets, in seconds (a day by default)."""
        return self._set("mikey_kms_set_max_lifetime", uint(seconds, 32, "seconds"))

    def set_authorize(self, decide: Optional[Callable[[KmsExchange, bytes, bytes, bytes], object]]) -> "Kms":
        """Decides, on top of the default rules, who may have and resolve which ticket:
        ``decide(exchange, client, initiator, responder)`` returns a truth value (true allows).

        For :attr:`KmsExchange.REQUEST` it is asked once per responder the initiator asks for
        (``client`` is then the initiator); for :attr:`KmsExchange.RESOLVE`, once, with
        ``responder`` the client. The identities are the authenticated ones, as ``bytes``
        (``.decode()`` a URI). It runs on the thread calling :meth:`process_message`, possibly on
        several at once, and must not call the KMS. Should it raise, the request is denied and
        the exception kept (:attr:`authorize_error`, and the ``__cause__`` of what
        :meth:`process_message` raises). None removes it.
        """
        if decide is None:
            callback = _ffi.KmsAuthorizeFn()  # NULL
        elif callable(decide):
            callback = _authorize_trampoline(decide, self._state)
        else:
            raise TypeError("decide must be a callable or None")
        self._set("mikey_kms_set_authorize", callback, None)
        self._authorize = callback if decide is not None else None
        return self

    def set_clock(self, now: Union[Callable[[], int], int]) -> "Kms":
        """Replaces the system clock, as :meth:`Config.set_clock` does (a callable returning a
        64-bit NTP timestamp, or an int for a stopped clock; reads 0 should it raise)."""
        callback = _clock_callback(now)
        self._set("mikey_kms_set_clock", callback, None)
        self._clock = callback
        return self

    # -- serving

    def process_message(self, message: BytesLike) -> bytes:
        """Takes one REQUEST_INIT or RESOLVE_INIT and returns the answer to send back (the
        REQUEST_RESP or RESOLVE_RESP). The first call starts the KMS.

        A refused message raises the exception of the refusal, with the library's text; when the
        message authenticated, the KMS answers it with an error message (RFC 6043 §5.4), which the
        exception carries in ``response`` to send back to the session (where it raises
        :class:`PeerError`). A message that does not authenticate, or a replay, has none
        (``response`` is ``b""``).
        """
        state = self._state
        if state.in_callback:
            raise RuntimeError("the KMS's authorize callback must not call the KMS")
        handle = self._ptr()
        lib = _ffi.lib()
        out = (c_uint8 * MAX_MESSAGE_LEN)()
        out_len = c_size_t(0)
        state.error = None
        with c_bytes(message, "message") as (buffer, size):
            code = lib.mikey_kms_process_message(handle, buffer, size, out, MAX_MESSAGE_LEN, byref(out_len))
        detail = _kms_error_text() if code != Result.OK else ""  # this thread's, read at once
        answer = bytes(out[: min(out_len.value, MAX_MESSAGE_LEN)])
        raised = state.error
        if raised is not None and not isinstance(raised, Exception):
            raise raised  # KeyboardInterrupt, SystemExit: not to be turned into a refusal
        if code != Result.OK:
            raise make_error(code, "mikey_kms_process_message", detail, answer) from raised
        return answer
