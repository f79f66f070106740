#!/bin/sh
# Self-test of the interop tools (no cargo needed).
#   tests/interop/selftest.sh [build-dir]      (default: a fresh mktemp dir)
# Builds gst_mikey, runs make -> parse -> tshark, checks a truncated message
# is rejected, and validates every JSON printed. Exit 0 when all pass.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-$(mktemp -d)}
G=$DIR/gst_mikey
TS="python3 $HERE/tshark_mikey.py"
fail() { echo "FAIL: $*" >&2; exit 1; }
json() { python3 -m json.tool >/dev/null || fail "invalid JSON from $1"; }
get() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

"$HERE/build_gst_mikey.sh" "$G" || fail "build"

OUT=$("$G" make 12345 67890); echo "$OUT" | json make
MSG=$(echo "$OUT" | get "['message']")
echo "make 12345 67890: $MSG"

P=$("$G" parse "$MSG") || fail "gst parse rc=$?"
echo "$P" | json parse
[ "$(echo "$P" | get "['reencoded_equal']")" = True ] || fail "re-encode differs"
echo "gst parse: ok, re-encoded identically"

T=$($TS "$MSG") || fail "tshark_mikey rc=$? on GStreamer message: $T"
echo "$T" | json tshark
echo "tshark: ok=$(echo "$T" | get "['ok']")"

BAD=$(echo "$MSG" | cut -c1-120)
set +e
T=$($TS "$BAD"); RC=$?
set -e
echo "$T" | json tshark-bad
[ $RC -eq 1 ] || fail "truncated message: expected exit 1, got $RC"
[ "$(echo "$T" | get "['malformed']")" = True ] || fail "truncated message not malformed"
echo "tshark truncated: exit 1, malformed=True"

set +e
P=$("$G" parse "$BAD"); RC=$?
set -e
echo "$P" | json parse-bad
[ $RC -eq 1 ] || fail "gst parse of truncated: expected 1 got $RC"
echo "gst parse truncated: exit 1"

set +e
"$G" parse 0100150000000001000000 >/dev/null 2>&1; RC=$?
set -e
[ $RC -ne 0 ] || fail "GEN_EXT parse should be killed by alarm"
echo "gst parse GEN_EXT: killed (rc=$RC), no hang"
echo "ALL OK"
