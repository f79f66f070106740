# SPDX-License-Identifier: Apache-2.0 OR MIT
"""The binding against the header and the library: every function of include/mikey.h declared
with the C types it has there, the callback types too, every constant with its number, the
structs laid out as a C compiler lays them out; the library search; handles (configs, sessions,
KMSs) freed once, by close(), with or the garbage collector; callbacks kept alive as long as the
library may call them; the exported keys' C struct wiped."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mikey
from mikey import _ffi
from support import REPO, TEST_PSK, deliver


def header_path() -> Path:
    """$MIKEY_HEADER, else the include/mikey.h beside the staged library, else the repo's."""
    if os.environ.get("MIKEY_HEADER"):
        return Path(os.environ["MIKEY_HEADER"])
    library = os.environ.get(_ffi.LIBRARY_ENV)
    if library:
        staged = Path(library).resolve().parent.parent / "include" / "mikey.h"
        if staged.exists():
            return staged
    return REPO / "include" / "mikey.h"


@pytest.fixture(scope="module")
def header() -> str:
    path = header_path()
    if not path.exists():
        pytest.skip(f"no mikey.h at {path}")
    return path.read_text()


def without_comments(source: str) -> str:
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", source, flags=re.S))


def declarations(header: str) -> dict:
    """name -> (return type, [parameter types]) of every function the header declares."""
    found = {}
    pattern = re.compile(r"^(?P<ret>(?:const )?\w+(?: \*)?)\s*(?P<name>mikey_\w+)\((?P<params>[^)]*)\);", re.M)
    for match in pattern.finditer(without_comments(header)):
        params = " ".join(match["params"].split())
        types = []
        if params != "void":
            for param in params.split(","):
                typ = re.match(r"^(.*?[\s*])\w+$", param.strip())
                assert typ, f"cannot parse parameter {param!r} of {match['name']}"
                types.append(" ".join(typ.group(1).split()))
        found[match["name"]] = (" ".join(match["ret"].split()), types)
    return found


_SCALARS = {
    "uint8_t": ctypes.c_uint8,
    "uint16_t": ctypes.c_uint16,
    "uint32_t": ctypes.c_uint32,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "int": ctypes.c_int,
    "mikey_result": ctypes.c_uint32,
    "mikey_method": ctypes.c_uint32,
    "mikey_role": ctypes.c_uint32,
    "mikey_state": ctypes.c_uint32,
    "mikey_dh_group": ctypes.c_uint32,
    "mikey_signature_scheme": ctypes.c_uint32,
    "mikey_kms_exchange": ctypes.c_uint32,
    "mikey_clock_fn": _ffi.ClockFn,
    "mikey_kms_authorize_fn": _ffi.KmsAuthorizeFn,
    "mikey_srtp_policy": _ffi.MikeySrtpPolicy,
    "mikey_srtp_keys": _ffi.MikeySrtpKeys,
    "mikey_stream": _ffi.MikeyStream,
    "mikey_mcptt_key_parameters": _ffi.MikeyMcpttKeyParameters,
    "mikey_mcptt_key": _ffi.MikeyMcpttKey,
}
_HANDLES = {"mikey_config": _ffi.ConfigPtr, "mikey_session": _ffi.SessionPtr, "mikey_kms": _ffi.KmsPtr}


def expected_ctype(c_type: str):
    """The ctypes type a C parameter or return type must be declared with."""
    if c_type == "void":
        return None
    if c_type == "const char *":
        return ctypes.c_char_p  # a NUL-terminated input string
    if c_type == "char *":
        return ctypes.POINTER(ctypes.c_char)  # an output buffer
    if c_type == "void *":
        return ctypes.c_void_p
    bare = c_type.replace("const ", "").replace("struct ", "").replace(" ", "")
    stars = len(bare) - len(bare.rstrip("*"))
    base = bare.rstrip("*")
    if base in _HANDLES:
        assert stars >= 1, f"{c_type}: an opaque handle by value"
        result, stars = _HANDLES[base], stars - 1
    else:
        result = _SCALARS[base]
    for _ in range(stars):
        result = ctypes.POINTER(result)
    return result


def test_every_header_function_is_declared_with_its_c_types(header):
    declared = declarations(header)
    assert len(declared) >= 64
    assert set(declared) == set(_ffi.PROTOTYPES), "functions of the header and of the binding differ"
    lib = _ffi.lib()
    for name, (ret, params) in declared.items():
        restype, argtypes = _ffi.PROTOTYPES[name]
        assert restype is expected_ctype(ret), f"{name}: restype"
        assert len(argtypes) == len(params), f"{name}: argument count"
        for index, (declared_type, c_type) in enumerate(zip(argtypes, params)):
            assert declared_type is expected_ctype(c_type), f"{name}: argument {index} ({c_type})"
        function = getattr(lib, name)
        assert function.restype is restype and list(function.argtypes) == argtypes


def test_callback_types_match_the_header(header):
    # The function pointer typedefs: what the library calls back with.
    pattern = re.compile(r"typedef (?P<ret>\w+) \(\*(?P<name>mikey_\w+_fn)\)\((?P<params>[^)]*)\);")
    found = {match["name"]: match for match in pattern.finditer(without_comments(header))}
    assert set(found) == {"mikey_clock_fn", "mikey_kms_authorize_fn"}
    for name, match in found.items():
        callback = _SCALARS[name]
        params = [re.match(r"^(.*?[\s*])\w+$", param.strip()).group(1) for param in match["params"].split(",")]
        params = [" ".join(param.split()) for param in params]
        assert callback._restype_ is expected_ctype(match["ret"]), name
        assert list(callback._argtypes_) == [expected_ctype(p) for p in params], name


def test_every_header_constant_has_its_number(header):
    defines = {name: int(value) for name, value in re.findall(r"^#define (MIKEY_\w+) (\d+)$", header, re.M)}
    enums = {
        "MIKEY_ERR_": mikey.Result,
        "MIKEY_METHOD_": mikey.Method,
        "MIKEY_ROLE_": mikey.Role,
        "MIKEY_STATE_": mikey.State,
        "MIKEY_DH_GROUP_": mikey.DhGroup,
        "MIKEY_SIGNATURE_": mikey.SignatureScheme,
        "MIKEY_SSRC_": mikey.SsrcType,
        "MIKEY_INTEROP_": mikey.Interop,
        "MIKEY_KMS_": mikey.KmsExchange,
    }
    scalars = {
        "MIKEY_OK": mikey.Result.OK,
        "MIKEY_MAX_MESSAGE_LEN": mikey.MAX_MESSAGE_LEN,
        "MIKEY_MCPTT_UID_LEN": mikey.MCPTT_UID_LEN,
        "MIKEY_MCPTT_STATUS_NOT_REVOKED": mikey.MCPTT_STATUS_NOT_REVOKED,
    }
    version = tuple(defines.pop(f"MIKEY_VERSION_{part}") for part in ("MAJOR", "MINOR", "PATCH"))
    assert mikey.library_version() == "%d.%d.%d" % version
    seen = {prefix: set() for prefix in enums}
    for name, value in defines.items():
        if name in scalars:
            assert scalars[name] == value, name
            continue
        prefix = next((p for p in enums if name.startswith(p)), None)
        assert prefix, f"{name} has no counterpart in the binding"
        member = name[len(prefix) :] if prefix != "MIKEY_ERR_" else name[len("MIKEY_") :]
        assert enums[prefix][member] == value, name
        seen[prefix].add(value)
        if prefix == "MIKEY_ERR_":
            cls = mikey.ERRORS[value]
            assert cls.result == value and issubclass(cls, mikey.MikeyError), name
    # And the enums hold nothing the header does not (but OK and the Interop helpers).
    for prefix, enum_type in enums.items():
        extra = {int(m) for m in enum_type.__members__.values()} - seen[prefix]
        allowed = set()
        if prefix == "MIKEY_ERR_":
            allowed = {0}  # MIKEY_OK, checked above
        elif enum_type is mikey.Interop:
            allowed = {0, int(mikey.Interop.GSTREAMER)}  # NONE, and the GStreamer pair
        assert extra <= allowed, f"{enum_type.__name__} has members the header lacks: {extra - allowed}"


def test_structs_match_the_c_compiler(header, tmp_path):
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to check the struct layout with")
    structs = {
        "mikey_srtp_policy": _ffi.MikeySrtpPolicy,
        "mikey_srtp_keys": _ffi.MikeySrtpKeys,
        "mikey_stream": _ffi.MikeyStream,
        "mikey_mcptt_key_parameters": _ffi.MikeyMcpttKeyParameters,
        "mikey_mcptt_key": _ffi.MikeyMcpttKey,
    }
    lines = ["#include <stddef.h>", "#include <stdio.h>", '#include "mikey.h"', "int main(void) {"]
    expected = []
    for c_name, struct in structs.items():
        lines.append(f'    printf("{c_name} %zu %zu\\n", sizeof(struct {c_name}), _Alignof(struct {c_name}));')
        expected.append(f"{c_name} {ctypes.sizeof(struct)} {ctypes.alignment(struct)}")
        for field_name, field_type in struct._fields_:
            lines.append(
                f'    printf("{c_name}.{field_name} %zu %zu\\n", offsetof(struct {c_name}, {field_name}), '
                f"sizeof(((struct {c_name} *)0)->{field_name}));"
            )
            expected.append(f"{c_name}.{field_name} {getattr(struct, field_name).offset} {ctypes.sizeof(field_type)}")
    lines += ["    return 0;", "}"]
    source = tmp_path / "layout.c"
    source.write_text("\n".join(lines) + "\n")
    program = tmp_path / "layout"
    subprocess.run([compiler, "-std=c11", "-I", str(header_path().parent), str(source), "-o", str(program)], check=True)
    measured = subprocess.run([str(program)], check=True, capture_output=True, text=True).stdout.split("\n")
    assert measured[:-1] == expected


def _load_in_child(env_changes: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MIKEY_LIBRARY", "LD_LIBRARY_PATH")}
    env["PYTHONPATH"] = str(Path(mikey.__file__).resolve().parent.parent)  # the package under test
    env.update(env_changes)
    code = "import mikey; print(mikey.load_library()); print(mikey.library_version())"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd="/")


@pytest.fixture
def staged_library() -> Path:
    library = os.environ.get(_ffi.LIBRARY_ENV)
    if not library:
        pytest.skip("MIKEY_LIBRARY is not set")
    return Path(library)


def test_library_search(staged_library):
    # $MIKEY_LIBRARY names the file.
    named = _load_in_child({"MIKEY_LIBRARY": str(staged_library)})
    assert named.returncode == 0, named.stderr
    assert named.stdout.split("\n")[:2] == [str(staged_library), mikey.library_version()]
    # Without it: find_library("mikey") or the SONAME, through the loader's search path.
    by_name = _load_in_child({"LD_LIBRARY_PATH": str(staged_library.parent)})
    assert by_name.returncode == 0, by_name.stderr
    assert "libmikey.so.0" in by_name.stdout
    # A wrong path is an error naming the variable, not a fallback elsewhere.
    missing = _load_in_child(
        {"MIKEY_LIBRARY": "/nonexistent/libmikey.so.0", "LD_LIBRARY_PATH": str(staged_library.parent)}
    )
    assert missing.returncode != 0 and "LibraryNotFoundError" in missing.stderr and "MIKEY_LIBRARY" in missing.stderr
    # Some other library is refused.
    other = _load_in_child({"MIKEY_LIBRARY": ctypes.util.find_library("c") or "libc.so.6"})
    assert other.returncode != 0 and "not a libmikey" in other.stderr


class FreeCounter:
    """Wraps a free function of the library, counting the handles it frees."""

    def __init__(self, monkeypatch, name: str) -> None:
        lib = _ffi.lib()
        self.original = getattr(lib, name)
        self.freed = []
        monkeypatch.setattr(lib, name, self)

    def __call__(self, handle) -> None:
        self.freed.append(ctypes.addressof(handle.contents))
        self.original(handle)


def test_handles_are_freed_once(monkeypatch):
    configs = FreeCounter(monkeypatch, "mikey_config_free")
    sessions = FreeCounter(monkeypatch, "mikey_session_free")

    config = mikey.Config(mikey.Method.PSK, psk=TEST_PSK)
    config_address = ctypes.addressof(config._handle.contents)
    # close(): freed at once, once; a closed object refuses calls.
    explicit = mikey.Session.initiator(config)
    explicit_address = ctypes.addressof(explicit._handle.contents)
    explicit.close()
    explicit.close()
    assert sessions.freed == [explicit_address]
    assert explicit.closed
    with pytest.raises(ValueError):
        explicit.create_message()
    with pytest.raises(ValueError):
        _ = explicit.state
    # with: freed at the end of the block.
    with mikey.Session.responder(config) as scoped:
        scoped_address = ctypes.addressof(scoped._handle.contents)
        assert not scoped.closed
    assert sessions.freed[-1] == scoped_address and scoped.closed
    # The garbage collector as the fallback.
    dropped = mikey.Session.initiator(config)
    dropped_address = ctypes.addressof(dropped._handle.contents)
    del dropped
    gc.collect()
    assert sessions.freed[-1] == dropped_address
    assert len(sessions.freed) == 3
    with config:
        pass
    assert configs.freed == [config_address]
    with pytest.raises(ValueError):
        config.set_psk(TEST_PSK)
    with pytest.raises(ValueError):
        mikey.Session.initiator(config)
    config.close()
    assert configs.freed == [config_address]


def test_fork_is_its_own_handle(monkeypatch):
    sessions = FreeCounter(monkeypatch, "mikey_session_free")
    with mikey.Config(mikey.Method.PSK, psk=TEST_PSK, request_verification=True) as config:
        with mikey.Session.initiator(config) as initiator, mikey.Session.responder(config) as responder:
            initiator.add_srtp_stream(0x1234)
            message = initiator.create_message()
            with initiator.fork() as fork:
                assert fork.state == mikey.State.WAIT_RESPONSE
            assert initiator.state == mikey.State.WAIT_RESPONSE  # the original is untouched
            initiator.process_message(responder.process_message(message))
            assert initiator.export_srtp(1) == responder.export_srtp(1)
    assert len(sessions.freed) == 3 and len(set(sessions.freed)) == 3


def test_clock_callback_outlives_the_config():
    # The callback must stay alive as long as a session of the config: the library calls it.
    ticks = []

    def now():
        ticks.append(1)
        return mikey.ntp_from_unix(1_800_000_000)

    config = mikey.Config(mikey.Method.PSK, psk=TEST_PSK, clock=now)
    initiator = mikey.Session.initiator(config)
    responder = mikey.Session.responder(config)
    config.close()
    del config, now
    gc.collect()
    initiator.add_srtp_stream(0x1)
    deliver(initiator, responder)
    assert ticks, "the clock was not called"
    initiator.close()
    responder.close()


def test_kms_is_freed_once_and_keeps_its_callbacks(monkeypatch):
    freed = FreeCounter(monkeypatch, "mikey_kms_free")
    decided, ticks = [], []

    def allow(exchange, client, initiator, responder):
        decided.append(exchange)
        return True

    def now():
        ticks.append(1)
        return mikey.ntp_from_unix(1_800_000_000)

    kms = mikey.Kms("kms.example.org", tpks=[(b"t", bytes(range(32)))], clients={"sip:a@x": TEST_PSK})
    kms.set_authorize(allow).set_clock(now)
    address = ctypes.addressof(kms._handle.contents)
    # The library holds the only references to the callbacks the binding made: they must live
    # as long as the KMS.
    del allow, now
    gc.collect()
    with mikey.Config(mikey.Method.TICKET, own_id="sip:a@x", peer_id="sip:b@x", psk=TEST_PSK) as config:
        config.set_ticket_kms("kms.example.org").set_clock(mikey.ntp_from_unix(1_800_000_000))
        with mikey.Session.initiator(config) as initiator:
            initiator.add_srtp_stream(0x1)
            assert kms.process_message(initiator.create_message())
    assert decided == [mikey.KmsExchange.REQUEST] and ticks
    with kms:
        pass
    assert kms.closed and freed.freed == [address]
    kms.close()
    assert freed.freed == [address]
    # The garbage collector as the fallback.
    dropped = mikey.Kms("kms.example.org")
    dropped_address = ctypes.addressof(dropped._handle.contents)
    del dropped
    gc.collect()
    assert freed.freed == [address, dropped_address]


def test_exported_keys_struct_is_wiped(monkeypatch):
    lib = _ffi.lib()
    original = lib.mikey_srtp_keys_clear
    structs = []

    def clear(pointer):
        original(pointer)
        structs.append(bytes(ctypes.string_at(ctypes.addressof(pointer._obj), ctypes.sizeof(_ffi.MikeySrtpKeys))))

    monkeypatch.setattr(lib, "mikey_srtp_keys_clear", clear)
    with mikey.Config(mikey.Method.PSK, psk=TEST_PSK) as config, mikey.Session.initiator(config) as initiator:
        initiator.add_srtp_stream(0x1)
        initiator.create_message()
        keys = initiator.export_srtp(1)
        with pytest.raises(mikey.InvalidArgumentError):
            initiator.export_srtp(2)
    assert len(keys.master_key) == 16 and any(keys.master_key)
    assert len(structs) == 2 and structs[0] == bytes(len(structs[0]))
    assert repr(keys.master_key) not in repr(keys) and repr(keys.master_salt) not in repr(keys)
