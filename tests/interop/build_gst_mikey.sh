#!/bin/sh
# Build the GStreamer MIKEY interop helper.
#   tests/interop/build_gst_mikey.sh <output-binary-path>
# Exit status: 0 built; 1 usage; 2 pkg-config/GStreamer dev files missing;
# 3 compiler failure.
set -u

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 <output-binary-path>" >&2
    exit 1
fi
OUT=$1
SRC=$(dirname "$0")/gst_mikey.c
CC=${CC:-cc}

if ! command -v pkg-config >/dev/null 2>&1; then
    echo "build_gst_mikey.sh: pkg-config not found (apt-get install pkg-config)" >&2
    exit 2
fi
if ! FLAGS=$(pkg-config --cflags --libs gstreamer-sdp-1.0 gstreamer-1.0 2>&1); then
    echo "build_gst_mikey.sh: pkg-config cannot find gstreamer-sdp-1.0/gstreamer-1.0:" >&2
    echo "$FLAGS" >&2
    echo "(apt-get install libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev)" >&2
    exit 2
fi
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "build_gst_mikey.sh: C compiler '$CC' not found" >&2
    exit 3
fi

mkdir -p "$(dirname "$OUT")"
# shellcheck disable=SC2086
if ! "$CC" -std=gnu99 -O1 -g -Wall -Wno-deprecated-declarations -o "$OUT" "$SRC" $FLAGS; then
    echo "build_gst_mikey.sh: compilation failed" >&2
    exit 3
fi
exit 0
