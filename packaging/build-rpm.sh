#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
# Builds the RPM packages mikey, mikey-devel and mikey-tools from the committed tree (git
# ls-files) with rpmbuild -bb (on Debian too: apt-get install rpm), then runs rpmlint on them.
#
# Usage: bash packaging/build-rpm.sh [OUTDIR]   (default target/packages)
# The version is Cargo.toml's. CARGO_TARGET_DIR defaults to target/packages-build (shared with
# build-deb.sh); rpmbuild's tree is target/packaging/rpm.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(mkdir -p "${1:-$repo/target/packages}" && cd "${1:-$repo/target/packages}" && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n 1)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target/packages-build}

# A fixed build path: the cached target directory holds it (build.rs's version script).
top=$repo/target/packaging/rpm
rm -rf "$top"
mkdir -p "$top/SOURCES" "$top/mikey-$version"
(cd "$repo" && git ls-files -z | tar --null -T - -cf -) | tar -x -C "$top/mikey-$version"
tar -C "$top" -czf "$top/SOURCES/mikey-$version.tar.gz" "mikey-$version"

echo "== rpmbuild -bb (mikey $version)"
# --nodeps: cargo is rustup's, not a package the RPM database knows.
rpmbuild -bb --nodeps --define "_topdir $top" --define "mikey_version $version" \
  --define "_build_id_links none" "$repo/packaging/rpm/mikey.spec"
echo "== rpmlint"
rpmlint -r "$repo/packaging/rpm/rpmlintrc" "$top"/RPMS/*/*.rpm
cp "$top"/RPMS/*/*.rpm "$out/"
ls -l "$out"/*.rpm
