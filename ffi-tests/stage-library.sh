# SPDX-License-Identifier: Apache-2.0 OR MIT
# Sourced by ffi-tests/run.sh and .ci/demo (bash). Defines:
#
#   mikey_stage_library PREFIX
#   mikey_install_files DESTDIR PREFIX LIBDIR   (the files of a `cargo build --release`,
#                                               installed as a distribution package lays them out)
#
# Installs libmikey into PREFIX the way a user installs it: include/mikey.h,
# lib/libmikey.so{,.0,.X.Y.Z}, lib/libmikey.a, lib/pkgconfig/mikey.pc, and the CMake package
# (lib/cmake/Mikey/, by cmake/install-config.sh). With cargo-c this is
# `cargo cinstall --release --prefix=PREFIX`; without it, the same layout is staged from
# `cargo build --release` outputs (also when MIKEY_STAGE_WITHOUT_CARGO_C=1).

MIKEY_SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

mikey_stage_library() {
  local prefix=$1
  mkdir -p "$prefix"
  prefix=$(cd "$prefix" && pwd)
  if [ "${MIKEY_STAGE_WITHOUT_CARGO_C:-0}" != 1 ] && command -v cargo-cinstall >/dev/null 2>&1; then
    echo "== cargo cinstall --release --prefix=$prefix"
    (cd "$MIKEY_SOURCE_DIR" && cargo cinstall --release --locked --prefix="$prefix" --libdir="$prefix/lib")
  else
    echo "== staging from cargo build --release (cargo-cinstall not found, or MIKEY_STAGE_WITHOUT_CARGO_C=1)"
    _mikey_stage_from_cargo_build "$prefix"
  fi
  bash "$MIKEY_SOURCE_DIR/cmake/install-config.sh" "$prefix"
}

# The fallback: cargo-c's layout by hand (SONAME libmikey.so.MAJOR comes from build.rs).
_mikey_stage_from_cargo_build() {
  mikey_install_files "" "$1" "$1/lib"
}

# Installs what `cargo build --release` made into DESTDIR: PREFIX/include/mikey.h,
# LIBDIR/libmikey.so{.X.Y.Z,.X,}, LIBDIR/libmikey.a and LIBDIR/pkgconfig/mikey.pc (whose paths
# are PREFIX and LIBDIR, without DESTDIR). Also used by packaging/debian/rules.
mikey_install_files() {
  local destdir=$1 prefix=$2 libdir=$3 target_dir log native version major
  target_dir=${CARGO_TARGET_DIR:-$MIKEY_SOURCE_DIR/target}
  log=$(mktemp)
  # --print native-static-libs: the system libraries libmikey.a needs, for Libs.private.
  if ! (cd "$MIKEY_SOURCE_DIR" && cargo rustc --release --locked --lib -- --print native-static-libs) 2>"$log"; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  native=$(sed -n 's/.*native-static-libs: //p' "$log" | tail -n 1)
  rm -f "$log"
  [ -n "$native" ] || native="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$MIKEY_SOURCE_DIR/Cargo.toml" | head -n 1)
  major=${version%%.*}

  mkdir -p "$destdir$prefix/include" "$destdir$libdir/pkgconfig"
  install -m 0644 "$MIKEY_SOURCE_DIR/include/mikey.h" "$destdir$prefix/include/mikey.h"
  install -m 0644 "$target_dir/release/libmikey.so" "$destdir$libdir/libmikey.so.$version"
  ln -sf "libmikey.so.$version" "$destdir$libdir/libmikey.so.$major"
  ln -sf "libmikey.so.$major" "$destdir$libdir/libmikey.so"
  install -m 0644 "$target_dir/release/libmikey.a" "$destdir$libdir/libmikey.a"
  cat >"$destdir$libdir/pkgconfig/mikey.pc" <<PC
prefix=$prefix
exec_prefix=\${prefix}
libdir=$libdir
includedir=\${prefix}/include

Name: mikey
Description: MIKEY (RFC 3830) key management for SRTP, with a C ABI
Version: $version
Libs: -L\${libdir} -lmikey
Libs.private: $native
Cflags: -I\${includedir}
PC
}
