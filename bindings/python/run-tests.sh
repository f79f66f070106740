#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
#
# Tests the Python binding as a user installs it:
#   1. stages libmikey into a temporary prefix (ffi-tests/stage-library.sh, mikey_stage_library:
#      cargo cinstall, or the same layout from cargo build --release);
#   2. creates a venv (python3 -m venv) and runs `pip install ./bindings/python` into it;
#   3. runs the pytest suite of bindings/python/tests with MIKEY_LIBRARY pointing at the staged
#      libmikey.so.0 (and MIKEY_HEADER at the staged mikey.h, which the tests compare against).
#
# pytest comes from the system when the interpreter has it (Debian: python3-pytest; the venv
# then sees it through --system-site-packages, which works offline), else from the package
# index, through the package's `test` extra. Without an index, `pip install` falls back to
# --no-build-isolation, which needs setuptools >= 61 and wheel in the venv (Debian:
# python3-wheel, seen through --system-site-packages).
#
# Usage: bash bindings/python/run-tests.sh [pytest arguments...]
# Environment: PYTHON (default python3), MIKEY_PY_KEEP_WORK=1 keeps the temporary directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}

work=$(mktemp -d "${TMPDIR:-/tmp}/mikey-python.XXXXXX")
cleanup() {
  if [ "${MIKEY_PY_KEEP_WORK:-0}" = 1 ]; then
    echo "== kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

echo "== staging libmikey into $work/prefix"
# shellcheck source=../../ffi-tests/stage-library.sh
source "$repo/ffi-tests/stage-library.sh"
mikey_stage_library "$work/prefix"
library="$work/prefix/lib/libmikey.so.0"
header="$work/prefix/include/mikey.h"
if [ ! -e "$library" ] || [ ! -e "$header" ]; then
  echo "run-tests.sh: staging did not produce $library and $header" >&2
  exit 1
fi

venv="$work/venv"
if "$python" -c 'import pytest' >/dev/null 2>&1; then
  echo "== venv with the system's pytest ($("$python" -c 'import pytest; print(pytest.__version__)')): $python -m venv --system-site-packages"
  "$python" -m venv --system-site-packages "$venv"
  target="$here"
else
  echo "== venv: $python -m venv (pytest from the package index, the test extra)"
  "$python" -m venv "$venv"
  target="$here[test]"
fi
vpython="$venv/bin/python"

# The build writes build/ and src/*.egg-info beside the sources; remove what this run made.
built_before=0
[ -e "$here/build" ] && built_before=1
cd "$repo"
echo "== pip install ./bindings/python"
if ! "$vpython" -m pip install --disable-pip-version-check "${target/#$repo/.}"; then
  echo "== pip install failed (no package index?); again without build isolation" >&2
  "$vpython" -m pip install --disable-pip-version-check --no-build-isolation "${target/#$repo/.}"
fi
[ "$built_before" = 1 ] || rm -rf "$here/build"
rm -rf "$here/src/mikey.egg-info"

if ! "$vpython" -c 'import pytest' >/dev/null 2>&1; then
  echo "run-tests.sh: pytest is not available in the venv; install it (Debian: apt-get install" \
    "python3-pytest, then PYTHON=/usr/bin/python3) or give pip a package index" >&2
  exit 1
fi

# The tests must import the installed package (the sources are under src/, which is not on
# the path from bindings/python).
cd "$here"
installed=$("$vpython" -c 'import mikey; print(mikey.__file__)')
case "$installed" in
  "$venv"/*) echo "== testing the installed package $installed" ;;
  *)
    echo "run-tests.sh: import mikey found $installed, not the venv's copy" >&2
    exit 1
    ;;
esac

export MIKEY_LIBRARY="$library"
export MIKEY_HEADER="$header"
export PYTHONDONTWRITEBYTECODE=1
echo "== pytest (MIKEY_LIBRARY=$MIKEY_LIBRARY)"
"$vpython" -m pytest -p no:cacheprovider tests "$@"
