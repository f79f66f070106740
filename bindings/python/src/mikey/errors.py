# SPDX-License-Identifier: Apache-2.0 OR MIT
"""Exceptions: :class:`MikeyError` and one subclass per ``MIKEY_ERR_*`` result code."""

from __future__ import annotations

from typing import Dict, Optional, Type

from .constants import Result, _as_enum


class MikeyError(Exception):
    """A libmikey call returned a result other than ``MIKEY_OK``.

    Attributes:
        code: the ``mikey_result`` (a :class:`mikey.Result` when the number is known).
        last_error: the library's text for the failure (``mikey_session_last_error``,
            ``mikey_config_last_error`` or ``mikey_kms_last_error``; ``""`` when the call has
            none, as the SDP helpers).
        description: ``mikey_result_str(code)``, the library's short text for the code.
        function: the C function that failed.
        response: bytes to send back to the peer that came with the failure (the error message
            of RFC 3830 §5.1.2 a responder answers a refused I_MESSAGE with, or of RFC 6043 §5.4
            a MIKEY-TICKET KMS answers a refused request with); ``b""`` for none.
    """

    #: The result code of the subclass (None on the base class).
    result: Optional[Result] = None

    def __init__(
        self,
        code: int,
        last_error: str = "",
        *,
        function: str = "",
        description: str = "",
        response: bytes = b"",
    ) -> None:
        self.code = _as_enum(Result, code)
        self.last_error = last_error
        self.function = function
        self.description = description
        self.response = response
        name = self.code.c_name if isinstance(self.code, Result) else f"result {int(code)}"
        text = f"{function}: {name}" if function else name
        if description:
            text += f" ({description})"
        if last_error:
            text += f": {last_error}"
        super().__init__(text)

    def __reduce__(self):
        # Picklable (multiprocessing lab tools) with every attribute.
        state = (int(self.code), self.last_error, self.function, self.description, self.response)
        return _rebuild, (type(self),) + state


def _rebuild(cls, code, last_error, function, description, response):
    return cls(code, last_error, function=function, description=description, response=response)


class InvalidArgumentError(MikeyError):
    """``MIKEY_ERR_INVALID_ARGUMENT``: an argument cannot be used (out of range, wrong method,
    missing credential, unparseable certificate or key)."""

    result = Result.ERR_INVALID_ARGUMENT


class BufferTooSmallError(MikeyError):
    """``MIKEY_ERR_BUFFER_TOO_SMALL``: an output buffer was too small (the binding sizes its
    buffers, so this only surfaces through lower-level use)."""

    result = Result.ERR_BUFFER_TOO_SMALL


class MalformedError(MikeyError):
    """``MIKEY_ERR_MALFORMED``: not a well-formed MIKEY message (or SDP/RTSP value)."""

    result = Result.ERR_MALFORMED


class UnsupportedError(MikeyError):
    """``MIKEY_ERR_UNSUPPORTED``: well-formed, but a payload, algorithm, mode or method this
    version does not support."""

    result = Result.ERR_UNSUPPORTED


class AuthFailedError(MikeyError):
    """``MIKEY_ERR_AUTH_FAILED``: a MAC or signature did not verify, or an identity did not
    match."""

    result = Result.ERR_AUTH_FAILED


class ReplayError(MikeyError):
    """``MIKEY_ERR_REPLAY``: the message was already accepted by a session of this config (or
    by this KMS)."""

    result = Result.ERR_REPLAY


class TimestampError(MikeyError):
    """``MIKEY_ERR_TIMESTAMP``: the timestamp is outside the replay window."""

    result = Result.ERR_TIMESTAMP


class PolicyError(MikeyError):
    """``MIKEY_ERR_POLICY``: the offered security policy is not acceptable."""

    result = Result.ERR_POLICY


class StateError(MikeyError):
    """``MIKEY_ERR_STATE``: the call does not fit the session's (or config's) state."""

    result = Result.ERR_STATE


class PeerError(MikeyError):
    """``MIKEY_ERR_PEER_ERROR``: the peer (or, with MIKEY-TICKET, the KMS) answered with an
    error message (RFC 3830 §6.12)."""

    result = Result.ERR_PEER_ERROR


class CryptoError(MikeyError):
    """``MIKEY_ERR_CRYPTO``: the crypto backend failed."""

    result = Result.ERR_CRYPTO


class PanicError(MikeyError):
    """``MIKEY_ERR_PANIC``: an internal error was caught at the library boundary; a session
    that returned it refuses further calls, close it."""

    result = Result.ERR_PANIC


#: Result code -> exception class, for every ``MIKEY_ERR_*``.
ERRORS: Dict[int, Type[MikeyError]] = {
    cls.result: cls
    for cls in (
        InvalidArgumentError,
        BufferTooSmallError,
        MalformedError,
        UnsupportedError,
        AuthFailedError,
        ReplayError,
        TimestampError,
        PolicyError,
        StateError,
        PeerError,
        CryptoError,
        PanicError,
    )
}


def error_class(code: int) -> Type[MikeyError]:
    """The exception class of a result code (:class:`MikeyError` itself for unknown codes)."""
    return ERRORS.get(int(code), MikeyError)
