#!/usr/bin/env bash
# Makes the relocatable rcd for any CI runner: dist/rcd-<version>-x86_64-linux-gnu.tar.gz holds
# bin/rcd and, in lib/rcd/, every library it loads except the C library's own (found through
# $ORIGIN/../lib/rcd), plus the man page and completions. It needs only glibc, of the version
# it prints. Install it with:  tar -xzf rcd-<version>-x86_64-linux-gnu.tar.gz -C /usr/local
#
#   scripts/bundle.sh                    build a release rcd (build/release) and bundle it
#   scripts/bundle.sh --binary PATH      bundle an rcd built elsewhere (its RPATH is the same)
#   scripts/bundle.sh --out DIR          write the tarball into DIR (default: dist)
set -euo pipefail
cd "$(dirname "$0")/.."
binary="" out=dist
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "bundle.sh: unknown argument '$1' (--binary PATH, --out DIR)" >&2; exit 2 ;;
  esac
done
if [ -z "$binary" ]; then
  scripts/install-deps.sh
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DRCD_TESTS=OFF >/dev/null
  cmake --build build/release --target rcd
  binary=build/release/rcd
fi
[ -x "$binary" ] || { echo "bundle.sh: $binary is not an executable" >&2; exit 2; }
readelf -d "$binary" | grep -qF 'Library rpath: [$ORIGIN/../lib/rcd]' ||
  { echo "bundle.sh: $binary was not linked with RPATH \$ORIGIN/../lib/rcd (CMakeLists.txt sets it)" >&2; exit 2; }

version=$("$binary" version | head -1 | cut -d' ' -f2)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib/rcd" "$stage/share/man/man1" "$stage/share/bash-completion/completions" \
  "$stage/share/zsh/site-functions" "$stage/share/fish/vendor_completions.d"
cp "$binary" "$stage/bin/rcd"
strip --strip-debug "$stage/bin/rcd"

# Every library the loader resolves for rcd, but the C library's own: those come with glibc.
glibc='^(ld-linux.*|libc|libm|libmvec|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl|libBrokenLocale|libnss_[a-z]*|libthread_db|libmemusage)\.so'
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | while read -r name path; do
  if [[ "$name" =~ $glibc ]]; then continue; fi
  cp -L "$path" "$stage/lib/rcd/$name"
  strip --strip-debug "$stage/lib/rcd/$name" 2>/dev/null || true
done

cp docs/rcd.1 "$stage/share/man/man1/rcd.1"
"$binary" completions bash >"$stage/share/bash-completion/completions/rcd"
"$binary" completions zsh >"$stage/share/zsh/site-functions/_rcd"
"$binary" completions fish >"$stage/share/fish/vendor_completions.d/rcd.fish"

# The newest glibc symbol version anything in the bundle asks for.
needs=$(objdump -T "$stage/bin/rcd" "$stage"/lib/rcd/* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
needs=${needs#GLIBC_}
printf 'rcd %s for x86_64 Linux with glibc %s or newer.\nInstall: tar -xzf THIS.tar.gz -C /usr/local\n' \
  "$version" "$needs" >"$stage/lib/rcd/README"

mkdir -p "$out"
tarball="$out/rcd-$version-x86_64-linux-gnu.tar.gz"
tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name -czf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
libraries=("$stage"/lib/rcd/*.so*)
echo "rcd: bundled $tarball ($(du -h "$tarball" | cut -f1), ${#libraries[@]} libraries); it needs glibc >= $needs" >&2
echo "$tarball"
