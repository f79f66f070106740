#!/usr/bin/env python3
"""Dissect one MIKEY message with Wireshark's tshark and report as JSON.

Usage:
  python3 tests/interop/tshark_mikey.py [--verbose] [--keep-pcap PATH] <hex>
  python3 tests/interop/tshark_mikey.py [--verbose] -            (hex on stdin)
  python3 tests/interop/tshark_mikey.py [--verbose] --file PATH  (raw bytes)

The message is wrapped as the UDP payload of a single Ethernet/IPv4/UDP
packet (10.0.0.1:40000 -> 10.0.0.2:2269, IPv4 checksum correct, UDP
checksum 0 = "none") in a temporary classic pcap, then dissected with

  tshark -n -r FILE -V -T pdml -d udp.port==2269,mikey

Exactly one JSON object is printed on stdout:
  {"ok": bool,            # tshark ran, mikey layer present, not malformed,
                          # no expert info of severity error or warning
   "mikey_present": bool,
   "malformed": bool,     # a _ws.malformed (or _ws.short) item exists
   "expert": [{"severity": "Error"|"Warning"|"Note"|"Chat"|"Comment",
               "group": str, "message": str}, ...],
   "fields":     {"mikey.version": ["1"], ...},   # PDML "show" values
   "fields_raw": {"mikey.version": ["01"], ...},  # PDML "value" (hex)
   "length": int,          # bytes of MIKEY payload fed in
   "tshark": "4.0.17"}     # tshark version
Every field whose name starts with "mikey." is listed, values in packet order.
On tool errors the object is {"ok": false, "error": "..."}.

Exit code: 0 if ok, 1 if not ok, 2 on tool error (tshark missing, bad hex,
tshark failure/timeout).
Python 3 standard library only.
"""

import json
import os
import shlex
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

MIKEY_PORT = 2269
SRC_PORT = 40000
TSHARK_TIMEOUT = 60

SEVERITY_BY_VALUE = {
    0x00100000: "Comment",
    0x00200000: "Chat",
    0x00400000: "Note",
    0x00600000: "Warning",
    0x00800000: "Error",
}
BAD_SEVERITIES = ("Error", "Warning", "Warn")


def emit(obj, code):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def tool_error(msg):
    emit({"ok": False, "error": msg}, 2)


def parse_hex(text):
    t = text.strip()
    if t[:2] in ("0x", "0X"):
        t = t[2:]
    t = "".join(ch for ch in t if not ch.isspace() and ch != ":")
    try:
        return bytes.fromhex(t)
    except ValueError:
        tool_error("input is not valid hex")


def ip_checksum(header):
    if len(header) % 2:
        header += b"\0"
    s = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def build_pcap(payload):
    if len(payload) > 65535 - 28:
        tool_error("MIKEY message too large for one UDP datagram")
    udp = struct.pack("!HHHH", SRC_PORT, MIKEY_PORT, 8 + len(payload), 0) + payload
    ip = bytearray(
        struct.pack(
            "!BBHHHBBH4s4s",
            0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0,
            bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]),
        )
    )
    ip[10:12] = struct.pack("!H", ip_checksum(bytes(ip)))
    eth = bytes([2, 0, 0, 0, 0, 2]) + bytes([2, 0, 0, 0, 0, 1]) + b"\x08\x00"
    frame = eth + bytes(ip) + udp
    # classic pcap, little-endian, microsecond, LINKTYPE_ETHERNET
    ghdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    phdr = struct.pack("<IIII", 1700000000, 0, len(frame), len(frame))
    return ghdr + phdr + frame


def severity_of(expert_el):
    for child in expert_el.iter("field"):
        if child.get("name") == "_ws.expert.severity":
            shown = child.get("showname") or ""
            if ":" in shown:
                return shown.split(":", 1)[1].strip()
            try:
                return SEVERITY_BY_VALUE.get(int(child.get("show", "0"), 0),
                                             child.get("show"))
            except ValueError:
                return child.get("show")
    return None


def child_show(expert_el, name):
    for child in expert_el.iter("field"):
        if child.get("name") == name:
            shown = child.get("showname") or ""
            if name == "_ws.expert.message":
                return child.get("show") or shown
            if ":" in shown:
                return shown.split(":", 1)[1].strip()
            return child.get("show")
    return None


def main(argv):
    verbose = False
    keep = None
    source = None
    data = None
    args = list(argv)
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--verbose", "-v"):
            verbose = True
        elif a == "--keep-pcap":
            i += 1
            if i >= len(args):
                tool_error("--keep-pcap needs a path")
            keep = args[i]
        elif a == "--file":
            i += 1
            if i >= len(args):
                tool_error("--file needs a path")
            try:
                with open(args[i], "rb") as f:
                    data = f.read()
            except OSError as e:
                tool_error("cannot read %s: %s" % (args[i], e))
            source = "file"
        elif a in ("-h", "--help"):
            sys.stderr.write(__doc__)
            sys.exit(2)
        elif a == "-":
            data = parse_hex(sys.stdin.read())
            source = "stdin"
        elif a.startswith("--"):
            tool_error("unknown option %s" % a)
        else:
            data = parse_hex(a)
            source = "arg"
        i += 1
    if source is None:
        sys.stderr.write(__doc__)
        tool_error("no input given")

    pcap = build_pcap(data)
    fd, path = tempfile.mkstemp(prefix="mikey-", suffix=".pcap")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pcap)
        if keep:
            with open(keep, "wb") as f:
                f.write(pcap)
        cmd = ["tshark", "-n", "-r", path, "-V", "-T", "pdml",
               "-d", "udp.port==%d,mikey" % MIKEY_PORT]
        if verbose:
            sys.stderr.write("tshark command: %s\n" % " ".join(shlex.quote(c) for c in cmd))
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=TSHARK_TIMEOUT)
        except FileNotFoundError:
            tool_error("tshark not found in PATH (apt-get install tshark)")
        except subprocess.TimeoutExpired:
            tool_error("tshark timed out after %ds" % TSHARK_TIMEOUT)
        version = None
        try:
            v = subprocess.run(["tshark", "--version"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, timeout=TSHARK_TIMEOUT)
            first = v.stdout.decode("utf-8", "replace").splitlines()[0]
            version = first.split()[2] if len(first.split()) > 2 else first
        except Exception:  # noqa: BLE001 - version is informational only
            pass
    finally:
        os.unlink(path)

    stderr_text = proc.stderr.decode("utf-8", "replace")
    if verbose and stderr_text.strip():
        sys.stderr.write("tshark stderr:\n%s" % stderr_text)
    if proc.returncode != 0:
        tool_error("tshark exited with %d: %s" % (proc.returncode, stderr_text.strip()[-500:]))

    try:
        root = ET.fromstring(proc.stdout)
    except ET.ParseError as e:
        tool_error("cannot parse tshark PDML output: %s" % e)
    packets = root.findall("packet")
    if len(packets) != 1:
        tool_error("expected exactly 1 packet in tshark output, got %d" % len(packets))
    pkt = packets[0]

    mikey_present = False
    malformed = False
    fields = {}
    fields_raw = {}
    expert = []
    for el in pkt.iter():
        name = el.get("name") or ""
        if el.tag == "proto" and name == "mikey":
            mikey_present = True
        if name in ("_ws.malformed", "_ws.short", "_ws.malformed.expert"):
            malformed = True
        if el.tag == "field" and name == "_ws.expert":
            expert.append({
                "severity": severity_of(el),
                "group": child_show(el, "_ws.expert.group"),
                "message": child_show(el, "_ws.expert.message") or el.get("showname"),
            })
        if el.tag == "field" and name.startswith("mikey."):
            fields.setdefault(name, []).append(el.get("show", ""))
            fields_raw.setdefault(name, []).append(el.get("value", ""))

    bad_expert = any((e["severity"] or "") in BAD_SEVERITIES for e in expert)
    ok = mikey_present and not malformed and not bad_expert
    emit({
        "ok": ok,
        "mikey_present": mikey_present,
        "malformed": malformed,
        "expert": expert,
        "fields": fields,
        "fields_raw": fields_raw,
        "length": len(data),
        "tshark": version,
    }, 0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
