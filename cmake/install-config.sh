#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
# Installs the CMake package files of mikey (MikeyConfig.cmake, MikeyConfigVersion.cmake and
# FindMikey.cmake) into <libdir>/cmake/Mikey/ of an installation made by `cargo cinstall`,
# so that `find_package(Mikey)` works with CMAKE_PREFIX_PATH=<prefix>.
#
# Usage: cmake/install-config.sh PREFIX [LIBDIR]
#   PREFIX   the --prefix given to cargo cinstall (holds include/mikey.h)
#   LIBDIR   the directory holding libmikey.so / libmikey.a (default: found under PREFIX:
#            lib, lib64 or lib/<multiarch>)
# Honours DESTDIR like `make install`: files go to $DESTDIR$PREFIX/...
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 PREFIX [LIBDIR]" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=${1%/}
root="${DESTDIR:-}$prefix"

header="$root/include/mikey.h"
if [ ! -f "$header" ]; then
  echo "install-config.sh: $header not found (run cargo cinstall --prefix=$prefix first)" >&2
  exit 1
fi

if [ $# -eq 2 ]; then
  libdir=${2%/}
  case "$libdir" in /*) ;; *) libdir="$prefix/$libdir" ;; esac
else
  libdir=""
  for candidate in "$prefix/lib" "$prefix/lib64" "$prefix"/lib/*-linux-*; do
    if [ -e "${DESTDIR:-}$candidate/libmikey.so" ] || [ -e "${DESTDIR:-}$candidate/libmikey.a" ]; then
      libdir=$candidate
      break
    fi
  done
  if [ -z "$libdir" ]; then
    echo "install-config.sh: no libmikey.so or libmikey.a under $root/lib*" >&2
    exit 1
  fi
fi

version_part() {
  sed -n "s/^#define[[:space:]]\{1,\}MIKEY_VERSION_$1[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p" "$header"
}
major=$(version_part MAJOR)
minor=$(version_part MINOR)
patch=$(version_part PATCH)
if [ -z "$major" ] || [ -z "$minor" ] || [ -z "$patch" ]; then
  echo "install-config.sh: no MIKEY_VERSION_MAJOR/MINOR/PATCH in $header" >&2
  exit 1
fi

# The native libraries libmikey.a needs: Libs.private of mikey.pc (cargo-c writes rustc's
# native-static-libs there), else the Linux default.
native_libs="gcc_s;util;rt;pthread;m;dl;c"
pc="${DESTDIR:-}$libdir/pkgconfig/mikey.pc"
if [ -f "$pc" ]; then
  private=$(sed -n 's/^Libs\.private:[[:space:]]*//p' "$pc")
  names=""
  for flag in $private; do
    case "$flag" in -l*) names="$names${names:+;}${flag#-l}" ;; esac
  done
  [ -z "$names" ] || native_libs=$names
fi

configdir="$libdir/cmake/Mikey"
to_prefix=$(realpath -m --relative-to="$configdir" "$prefix")
bits=$(getconf LONG_BIT)
sizeof_void_p=$((bits / 8))

mkdir -p "${DESTDIR:-}$configdir"
configure() {
  sed -e "s|@MIKEY_VERSION@|$major.$minor.$patch|g" \
      -e "s|@MIKEY_VERSION_MAJOR@|$major|g" \
      -e "s|@MIKEY_VERSION_MINOR@|$minor|g" \
      -e "s|@MIKEY_VERSION_PATCH@|$patch|g" \
      -e "s|@MIKEY_CONFIG_TO_PREFIX@|$to_prefix|g" \
      -e "s|@MIKEY_NATIVE_STATIC_LIBS@|$native_libs|g" \
      -e "s|@MIKEY_SHARED_NAME@|libmikey.so|g" \
      -e "s|@MIKEY_STATIC_NAME@|libmikey.a|g" \
      -e "s|@MIKEY_SIZEOF_VOID_P@|$sizeof_void_p|g" \
      -e "s|@MIKEY_BITS@|$bits|g" \
      "$1" >"$2"
  if grep -n '@MIKEY_[A-Z_]*@' "$2" >&2; then
    echo "install-config.sh: unreplaced placeholder in $2" >&2
    exit 1
  fi
}
configure "$here/MikeyConfig.cmake.in" "${DESTDIR:-}$configdir/MikeyConfig.cmake"
configure "$here/MikeyConfigVersion.cmake.in" "${DESTDIR:-}$configdir/MikeyConfigVersion.cmake"
install -m 0644 "$here/FindMikey.cmake" "${DESTDIR:-}$configdir/FindMikey.cmake"
echo "installed the CMake package of mikey $major.$minor.$patch into ${DESTDIR:-}$configdir (native static libs: $native_libs)"
