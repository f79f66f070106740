#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
# Tests the Debian packages as installed: apt-get installs libmikey0, libmikey-dev and
# mikey-tools from DEBDIR, then with no hints at all (no MIKEY_ROOT, no CMAKE_PREFIX_PATH):
#   - pkg-config mikey builds and runs a C program against the system's libmikey.so.0;
#   - find_package(Mikey CONFIG) finds /usr/lib/<multiarch>/cmake/Mikey (ffi-tests/config-package);
#   - the ffi-tests project (C tests, the C++ binding's test, with libsrtp) builds and passes ctest;
#   - mikey decode works from /usr/bin;
# and finally removes the packages again and checks their files are gone.
#
# Usage: bash packaging/test-installed-deb.sh DEBDIR   (as root or with sudo)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
debdir=$(cd "$1" && pwd)
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
packages=(libmikey0 libmikey-dev mikey-tools)
work=$(mktemp -d "${TMPDIR:-/tmp}/mikey-installed.XXXXXX")
remove_packages() { as_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "${packages[@]}" >/dev/null 2>&1 || true; }
trap 'remove_packages; rm -rf "$work"' EXIT

files=()
for package in "${packages[@]}"; do
  files+=("$(ls "$debdir/${package}"_*.deb)")
done
echo "== apt-get install ${files[*]##*/}"
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${files[@]}" >/dev/null

echo "== pkg-config mikey: $(pkg-config --modversion mikey)"
# shellcheck disable=SC2046 # pkg-config prints separate flags
cc -std=c99 -Wall -Wextra -Werror -DMIKEY_EXPECT_STATIC=0 -o "$work/linkage" "$repo/ffi-tests/linkage.c" \
  $(pkg-config --cflags --libs mikey) -ldl
"$work/linkage"
readelf -d "$work/linkage" | grep -q 'NEEDED.*libmikey.so.0' || { echo "not linked to libmikey.so.0" >&2; exit 1; }

echo "== find_package(Mikey CONFIG) with no hints"
cmake -S "$repo/ffi-tests/config-package" -B "$work/config-package" >"$work/config-package.log"
grep "Mikey .* from /usr/lib/" "$work/config-package.log"
cmake --build "$work/config-package" >/dev/null
"$work/config-package/consumer"

echo "== ffi-tests against the system's libmikey (no MIKEY_ROOT)"
cmake -S "$repo/ffi-tests" -B "$work/ffi-tests" >/dev/null
cmake --build "$work/ffi-tests" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
ctest --test-dir "$work/ffi-tests" --output-on-failure | tail -n 3

echo "== mikey decode from /usr/bin"
command -v mikey
mikey decode "$(sed -n 's/.*"i_message_hex": "\([0-9a-f]*\)".*/\1/p' "$repo/tests/vectors/minisip/psk/exchange-1.json")" | head -n 4

remove_packages
for file in /usr/include/mikey.h /usr/bin/mikey "$(pkg-config --variable=libdir mikey 2>/dev/null || echo /nonexistent)"; do
  [ ! -e "$file" ] || [ "$file" = /nonexistent ] || { echo "$file is still there after removal" >&2; exit 1; }
done
dpkg-query -W -f='${Status}\n' "${packages[@]}" 2>/dev/null | grep -q "install ok installed" && { echo "still installed" >&2; exit 1; }
echo "== installed packages tested and removed"
