# SPDX-License-Identifier: Apache-2.0 OR MIT
# Sourced by build-deb.sh and build-rpm.sh (bash). `mikey_packaging_start KIND [OUTDIR]` sets
# repo, out (OUTDIR, default target/packages), version (Cargo.toml's), exports CARGO_TARGET_DIR
# (default target/packages-build, shared by both) and copies the committed tree (git ls-files)
# to "$work/mikey-$version", work being target/packaging/KIND, emptied first: a fixed path, as
# the cached target directory remembers it.
mikey_packaging_start() {
  local kind=$1
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  out=$(mkdir -p "${2:-$repo/target/packages}" && cd "${2:-$repo/target/packages}" && pwd)
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n 1)
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target/packages-build}
  work=$repo/target/packaging/$kind
  rm -rf "$work"
  mkdir -p "$work/mikey-$version"
  (cd "$repo" && git ls-files -z | tar --null -T - -cf -) | tar -x -C "$work/mikey-$version"
}
