#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 OR MIT
# Checks that the RPM packages split the files as the Debian ones do: per package pair
# (libmikey0/mikey, libmikey-dev/mikey-devel, mikey-tools/mikey-tools) the same files, with
# /usr/lib/<multiarch> read as %{_libdir} and documentation left out (rpm -qlp, dpkg-deb -c);
# and that the requires match the Debian dependencies: -devel on the library of the same
# version, the library and the tool on glibc and libgcc_s only (rpm -qRp).
#
# Usage: bash packaging/check-rpm-split.sh PACKAGEDIR   (holding the .deb and .rpm files)
set -euo pipefail
dir=$(cd "$1" && pwd)
failed=0

normalise() {
  sed -E -e 's|^\./|/|' -e 's|/usr/lib/[a-z0-9_]+-linux-gnu[a-z0-9_]*/|/usr/lib64/|' -e 's|/usr/lib/[a-z0-9_]+-linux-gnu[a-z0-9_]*$|/usr/lib64|' |
    grep -v -E '^/usr/share/(doc|licenses)(/|$)' | grep -v -E '/$' | sort -u
}

for pair in libmikey0:mikey libmikey-dev:mikey-devel mikey-tools:mikey-tools; do
  deb=${pair%%:*} rpm=${pair##*:}
  deb_file=$(ls "$dir/${deb}"_*.deb) rpm_file=$(ls "$dir/${rpm}"-[0-9]*.rpm)
  deb_list=$(dpkg-deb -c "$deb_file" | awk '{print $6}' | normalise)
  # Directories the RPM owns (cmake/Mikey) are listed too: keep files only.
  rpm_list=$(rpm -qlp --nodigest --nosignature "$rpm_file" 2>/dev/null | normalise | grep -v -x '/usr/lib64/cmake/Mikey')
  if [ "$deb_list" = "$rpm_list" ]; then
    echo "== $deb / $rpm: the same $(wc -l <<<"$rpm_list") files"
  else
    echo "== $deb / $rpm differ:" >&2
    diff <(echo "$deb_list") <(echo "$rpm_list") >&2 || true
    failed=1
  fi
done

requires() { rpm -qRp --nodigest --nosignature "$dir/$1"-[0-9]*.rpm 2>/dev/null | grep -v '^rpmlib(' | sed -E 's/\(.*//' | sort -u | tr '\n' ' '; }
version=$(rpm -qp --nodigest --nosignature --qf '%{VERSION}-%{RELEASE}' "$dir"/mikey-devel-[0-9]*.rpm 2>/dev/null)
rpm -qRp --nodigest --nosignature "$dir"/mikey-devel-[0-9]*.rpm 2>/dev/null | grep -q -x "mikey(x86-64) = $version" ||
  { echo "mikey-devel does not require mikey = $version" >&2; failed=1; }
for package in mikey mikey-tools; do
  shared=$(requires "$package" | tr ' ' '\n' | grep -v -E '^(/sbin/ldconfig|ld-linux-x86-64\.so\.2|libc\.so\.6|libgcc_s\.so\.1|rtld)$' || true)
  if [ -n "$shared" ]; then
    echo "$package requires more than glibc and libgcc_s: $shared" >&2
    failed=1
  fi
  echo "== $package requires: $(requires "$package")"
done
echo "== Debian: libmikey0 depends on $(dpkg-deb -f "$dir"/libmikey0_*.deb Depends); libmikey-dev on $(dpkg-deb -f "$dir"/libmikey-dev_*.deb Depends)"
exit "$failed"
