# SPDX-License-Identifier: Apache-2.0 OR MIT
"""Argument conversion and result checking shared by the wrappers."""

from __future__ import annotations

import contextlib
import ctypes
from ctypes import byref, c_size_t, c_uint8, create_string_buffer
from typing import Callable, Iterator, Optional, Tuple, Union

from . import _ffi
from .constants import Result
from .errors import MikeyError, error_class

BytesLike = Union[bytes, bytearray, memoryview]


def result_str(code: int) -> str:
    """``mikey_result_str``: the library's short English text for a result code."""
    return _ffi.lib().mikey_result_str(uint(code, 32, "code")).decode("utf-8", "replace")


def make_error(code: int, function: str, last_error: str = "", response: bytes = b"") -> MikeyError:
    """The exception for a failed call: the subclass of ``code``."""
    return error_class(code)(code, last_error, function=function, description=result_str(code), response=response)


def check(code: int, function: str, last_error: Optional[Callable[[], str]] = None) -> None:
    """Raises the exception of ``code`` unless it is ``MIKEY_OK``. ``last_error`` reads the
    library's text for it; it is called at once, before any other call on the object."""
    if code != Result.OK:
        raise make_error(code, function, last_error() if last_error is not None else "")


def uint(value: int, bits: int, name: str) -> int:
    """``value`` as an unsigned integer of ``bits`` bits; ctypes would silently truncate."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value < (1 << bits):
        raise ValueError(f"{name} = {value} does not fit an unsigned {bits}-bit integer")
    return value


def sint(value: int, bits: int, name: str) -> int:
    """``value`` as a signed integer of ``bits`` bits."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise ValueError(f"{name} = {value} does not fit a signed {bits}-bit integer")
    return value


def flag(value: object) -> int:
    """A C ``int`` switch from a truth value."""
    return 1 if value else 0


def as_bytes(data: Union[BytesLike, str], name: str, *, allow_str: bool = False) -> bytes:
    """Bytes from bytes-like data; with ``allow_str``, also the UTF-8 of a str (PEM text, XML).
    A str elsewhere (a message, a key) is refused: it is most likely a mistake."""
    if isinstance(data, str):
        if allow_str:
            return data.encode("utf-8")
        raise TypeError(f"{name} must be bytes-like, not str")
    try:
        return bytes(memoryview(data).cast("B"))
    except TypeError:
        raise TypeError(f"{name} must be bytes-like, not {type(data).__name__}") from None


def cstr(value: Optional[Union[str, bytes]], name: str) -> Optional[bytes]:
    """A NUL-terminated C string argument: None stays NULL, a str is sent as UTF-8, bytes as
    they are (a test tool may send invalid UTF-8 on purpose)."""
    if value is None:
        return None
    if isinstance(value, str):
        raw = value.encode("utf-8", "surrogateescape")
    elif isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
    else:
        raise TypeError(f"{name} must be str or bytes, not {type(value).__name__}")
    if b"\0" in raw:
        raise ValueError(f"{name} contains a NUL character, which a C string cannot carry")
    return raw


def text(raw: bytes) -> str:
    """Library text (URIs, identities) to str, losslessly (undecodable bytes become surrogates)."""
    return raw.decode("utf-8", "surrogateescape")


@contextlib.contextmanager
def c_bytes(
    data: Union[BytesLike, str], name: str, *, secret: bool = False, allow_str: bool = False
) -> Iterator[Tuple[object, int]]:
    """A C copy of ``data`` for a ``const uint8_t *`` argument, with its length: NULL and 0 for
    empty data. A ``secret`` copy is zeroed when the block ends (the caller's own object cannot
    be wiped from here)."""
    raw = as_bytes(data, name, allow_str=allow_str)
    size = len(raw)
    if size == 0:
        yield None, 0
        return
    buffer = (c_uint8 * size).from_buffer_copy(raw)
    try:
        yield buffer, size
    finally:
        if secret:
            ctypes.memset(ctypes.addressof(buffer), 0, size)


def read_out(
    call: Callable[[object, int, object], int],
    function: str,
    *,
    initial: int = 256,
    last_error: Optional[Callable[[], str]] = None,
    is_text: bool = False,
) -> bytes:
    """Calls ``call(out, out_cap, &out_len)`` with a buffer that fits: a first try of ``initial``
    bytes, then the size ``MIKEY_ERR_BUFFER_TOO_SMALL`` asked for. Returns the bytes written
    (without the NUL for text)."""
    cap = max(int(initial), 1)
    for _ in range(4):
        out = create_string_buffer(cap) if is_text else (c_uint8 * cap)()
        out_len = c_size_t(0)
        code = call(out, cap, byref(out_len))
        if code == Result.ERR_BUFFER_TOO_SMALL and out_len.value > cap:
            cap = out_len.value
            continue
        check(code, function, last_error)
        if is_text:
            return out.raw[: out_len.value]
        return bytes(out[: out_len.value])
    raise make_error(Result.ERR_BUFFER_TOO_SMALL, function, "the size asked for kept growing")
