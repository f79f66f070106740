#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
# Builds the RPM packages mikey, mikey-devel and mikey-tools from the committed tree (git
# ls-files) with rpmbuild -bb (on Debian too: apt-get install rpm), then runs rpmlint on them.
#
# Usage: bash packaging/build-rpm.sh [OUTDIR]   (default target/packages)
# The version is Cargo.toml's. CARGO_TARGET_DIR defaults to target/packages-build (shared with
# build-deb.sh); rpmbuild's tree is target/packaging/rpm.
set -euo pipefail

# shellcheck source=packaging/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mikey_packaging_start rpm "${1:-}"
top=$work
mkdir -p "$top/SOURCES"
tar -C "$top" -czf "$top/SOURCES/mikey-$version.tar.gz" "mikey-$version"

echo "== rpmbuild -bb (mikey $version)"
# --nodeps: cargo is rustup's, not a package the RPM database knows.
rpmbuild -bb --nodeps --define "_topdir $top" --define "mikey_version $version" \
  --define "_build_id_links none" "$repo/packaging/rpm/mikey.spec"
echo "== rpmlint"
rpmlint -r "$repo/packaging/rpm/rpmlintrc" "$top"/RPMS/*/*.rpm
cp "$top"/RPMS/*/*.rpm "$out/"
ls -l "$out"/*.rpm
