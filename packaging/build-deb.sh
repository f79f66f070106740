#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
# Builds the Debian packages libmikey0, libmikey-dev and mikey-tools from the committed tree
# (git ls-files) with dpkg-buildpackage -us -uc -b, then runs lintian on them.
#
# Usage: bash packaging/build-deb.sh [OUTDIR]   (default target/packages)
# The version is Cargo.toml's, written into a generated debian/changelog; packaging/debian/
# holds the rest. Needs debhelper, lintian and the Rust toolchain on PATH (crates come from the
# network). CARGO_TARGET_DIR defaults to target/packages-build (shared with build-rpm.sh), so
# rebuilds are incremental; the source copy is built in target/packaging/deb.
set -euo pipefail

# shellcheck source=packaging/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mikey_packaging_start deb "${1:-}"
source_dir="$work/mikey-$version"
cp -r "$repo/packaging/debian" "$source_dir/debian"
cat >"$source_dir/debian/changelog" <<CHANGELOG
mikey ($version) unstable; urgency=medium

  * mikey $version (the version of Cargo.toml).

 -- mikey developers <mikey-dev@lists.example.org>  $(git -C "$repo" log -1 --format=%aD)
CHANGELOG

echo "== dpkg-buildpackage -us -uc -b (mikey $version)"
(cd "$source_dir" && dpkg-buildpackage -us -uc -b)
changes="$work/mikey_${version}_$(dpkg --print-architecture).changes"
echo "== lintian"
lintian --fail-on error --info "$changes"
for file in "$work"/*.deb "$changes" "$work"/*.buildinfo; do
  mv "$file" "$out/"
done
ls -l "$out"/*.deb
