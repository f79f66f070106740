#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
# The C-side tests of libmikey: installs the library into a temporary prefix (cargo cinstall,
# plus the CMake package), then configures, builds and runs the ffi-tests CMake project with
# ctest, once against libmikey.so and once against libmikey.a.
#
# Usage: bash ffi-tests/run.sh [--sanitize] [--valgrind] [--all] [--keep]
#   (none)      two builds: against libmikey.so and against libmikey.a
#   --sanitize  instead: the C code built with -fsanitize=address,undefined against libmikey.so,
#               LeakSanitizer on (ASAN_OPTIONS=detect_leaks=1); the Rust allocations are checked too
#   --valgrind  instead: every test program of a shared build under
#               valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
#   --all       the four builds: shared, static, sanitize, valgrind
#   --keep      keep the temporary directory (prefix and build trees) and print its path
# --sanitize and --valgrind combine. Needs cargo (and cargo-c for cargo cinstall; without it the
# library is staged from cargo build --release), cmake, pkg-config, a C compiler, libsrtp2-dev,
# valgrind for --valgrind: bash .ci/setup installs them. Exits non-zero when anything fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
plain=1
all=0
sanitize=0
valgrind=0
keep=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1; plain=0 ;;
    --valgrind) valgrind=1; plain=0 ;;
    --all) all=1 ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$all" = 1 ]; then
  plain=1 sanitize=1 valgrind=1
fi

missing=()
for tool in cargo cmake pkg-config cc; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ "$valgrind" = 0 ] || command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
pkg-config --exists libsrtp2 2>/dev/null || missing+=("libsrtp2 (libsrtp2-dev)")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "run.sh: missing: ${missing[*]} (bash .ci/setup installs them)" >&2
  exit 1
fi

# shellcheck source=ffi-tests/stage-library.sh
source "$here/stage-library.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/mikey-ffi-tests.XXXXXX")
if [ "$keep" = 1 ]; then
  trap 'echo "kept $work"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi
prefix="$work/prefix"
jobs=$(nproc 2>/dev/null || echo 2)

start=$SECONDS
mikey_stage_library "$prefix"
echo "== staged in $((SECONDS - start)) s"

failed=()
summaries=()

# run_suite NAME [cmake options...]: configure, build and ctest one build tree.
run_suite() {
  local name=$1
  shift
  local build="$work/build-$name" log="$work/$name.log" t0=$SECONDS status=0
  echo "== [$name] configure + build"
  if ! cmake -S "$here" -B "$build" -DMIKEY_ROOT="$prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$log" 2>&1 ||
    ! cmake --build "$build" -j "$jobs" >>"$log" 2>&1; then
    cat "$log"
    echo "== [$name] BUILD FAILED"
    failed+=("$name (build)")
    summaries+=("[$name] build failed")
    return 0
  fi
  echo "== [$name] ctest"
  (cd "$build" && ctest --output-on-failure --timeout 900) >"$build/ctest.log" 2>&1 || status=$?
  cat "$build/ctest.log"
  local summary
  summary=$(grep -E '^[0-9]+% tests passed' "$build/ctest.log" || echo "no ctest summary")
  summaries+=("[$name] $summary ($((SECONDS - t0)) s)")
  if [ "$status" != 0 ]; then
    failed+=("$name")
  fi
}

if [ "$plain" = 1 ]; then
  run_suite shared -DMIKEY_USE_STATIC_LIBS=OFF
  run_suite static -DMIKEY_USE_STATIC_LIBS=ON
fi

if [ "$sanitize" = 1 ]; then
  # LeakSanitizer covers the Rust allocations too (ASan replaces malloc for the whole process).
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite sanitize -DMIKEY_USE_STATIC_LIBS=OFF -DMIKEY_SANITIZE=ON
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [ "$valgrind" = 1 ]; then
  launcher="valgrind;--error-exitcode=1;--leak-check=full;--errors-for-leak-kinds=definite"
  launcher="$launcher;--show-leak-kinds=definite;--track-fds=no;--num-callers=30"
  run_suite valgrind -DMIKEY_USE_STATIC_LIBS=OFF "-DMIKEY_TEST_LAUNCHER=$launcher"
fi

echo "== summary (total $((SECONDS - start)) s)"
for line in "${summaries[@]}"; do
  echo "$line"
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all C tests passed"
