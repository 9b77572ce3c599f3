#!/usr/bin/env bash
# rcd on any CI runner: the bundle of scripts/bundle.sh, installed as docs/ci.md installs it,
# runs `rcd version` and a whole release in a root file system that holds only glibc, the Rust
# toolchain (with the C linker it calls) and git: none of the build machine's other libraries.
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! unshare --mount true 2>/dev/null; then
  echo "skipped: building and entering a chroot needs root and mount namespaces"
  exit 77
fi
start_registry chroot
REG=$REGISTRY_ADDR
TOOLCHAIN=$(rustc --print sysroot)

# copy_into ROOT: each file named on stdin (links followed) at the same path under ROOT.
copy_into() {
  while read -r path; do
    if [ -e "$path" ] && [ ! -d "$path" ]; then echo "$path"; fi
  done |
    xargs -r -d '\n' cp -L --parents -t "$1"
}

# The libraries an executable loads, as paths.
libraries_of() {
  { ldd "$1" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

make_root() {
  local root=$1 pkg exe
  mkdir -p "$root"
  # glibc, the linker rustc calls (gcc's driver, collect2, binutils, crt files), and git.
  for pkg in libc6 libc6-dev libgcc-s1 libgcc-12-dev gcc-12 binutils binutils-x86-64-linux-gnu \
    libbinutils libctf0 libctf-nobfd0 libjansson4 git; do
    dpkg -L "$pkg" | grep -Ev '^/usr/(share|include)/'
  done | copy_into "$root"
  for exe in /usr/bin/git /usr/bin/x86_64-linux-gnu-ld.bfd /usr/bin/x86_64-linux-gnu-objcopy \
    "$TOOLCHAIN"/bin/* "$TOOLCHAIN"/lib/*.so*; do
    libraries_of "$exe" | grep -v "^$TOOLCHAIN/" || true # scripts have none
  done | sort -u | copy_into "$root"
  ln -sf gcc-12 "$root/usr/bin/cc"
  ln -sf x86_64-linux-gnu-ld "$root/usr/bin/ld"
  mkdir -p "$root/proc" "$root/dev" "$root/tmp" "$root/rust" "$root/home/ci" "$root/etc" \
    "$root/usr/local"
  chmod 1777 "$root/tmp"
  echo "root:x:0:0:root:/home/ci:/bin/sh" >"$root/etc/passwd"
}

# in_root ROOT [NAME=VALUE...] COMMAND...: COMMAND inside ROOT with only the environment given
# here, /proc, /dev and the toolchain (read-only) mounted in a mount namespace of its own, so
# nothing stays mounted afterwards.
in_root() {
  local root=$1
  shift
  unshare --mount --propagation private sh -c '
    root=$1; toolchain=$2; chroot=$3; shift 3
    mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
      mount --bind "$toolchain" "$root/rust" && mount -o remount,bind,ro "$root/rust" &&
      exec env -i HOME=/home/ci PATH=/usr/local/bin:/rust/bin:/usr/bin:/bin \
        RCD_CACHE_DIR=/home/ci/cache CARGO_HOME=/home/ci/.cargo "$chroot" "$root" "$@"' \
    in-root "$root" "$TOOLCHAIN" "$(command -v chroot)" "$@"
}

test_the_bundle_runs_a_release_where_only_glibc_rust_and_git_are() {
  local tarball root="$WORK/root" repo sha
  tarball=$("$RCD_SOURCE_DIR/scripts/bundle.sh" --binary "$RCD_BIN" --out "$WORK/dist" 2>"$WORK/bundle.log") ||
    { cat "$WORK/bundle.log"; return 1; }
  assert_contains "$(cat "$WORK/bundle.log")" "it needs glibc >= 2." "the glibc it needs"
  make_root "$root"
  # None of rcd's own libraries is on the root file system.
  for lib in libfmt.so.9 libyaml-cpp.so.0.7 libgit2.so.1.5 libcurl.so.4 libarchive.so.13 \
    libssl.so.3 libstdc++.so.6 libtomlplusplus.so.3; do
    [ -z "$(find "$root" -name "$lib" -print -quit)" ] || fail "$lib is on the root file system"
  done
  # Installed as docs/ci.md installs it.
  tar -xzf "$tarball" -C "$root/usr/local"
  in_root "$root" rcd version >"$WORK/version" 2>&1 || { cat "$WORK/version"; return 1; }
  assert_contains "$(head -1 "$WORK/version")" "rcd 0.1.0" "rcd version in the root"
  in_root "$root" /lib64/ld-linux-x86-64.so.2 --list /usr/local/bin/rcd >"$WORK/loaded" 2>&1
  assert_contains "$(cat "$WORK/loaded")" "libfmt.so.9 => /usr/local/bin/../lib/rcd/libfmt.so.9" "libraries from the bundle"

  repo=$(make_repo service in-root)
  printf 'registry: %s/chroot\n' "$REG" >>"$repo/rcd.yaml"
  commit_all "$repo"
  mkdir -p "$root/work"
  cp -a "$repo" "$root/work/service"
  sha=$(git -C "$repo" rev-parse HEAD)
  in_root "$root" git -C /work/service status --short >"$WORK/git" 2>&1 || { cat "$WORK/git"; return 1; }
  in_root "$root" rcd -C /work/service --json release >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq true "$(json "$WORK/doc" .ok)" "the release in the root"
  assert_eq "$(json "$WORK/doc" .image.digest)" \
    "$(skopeo inspect --tls-verify=false "docker://$REG/chroot/fixture-service:$sha" | jq -r .Digest)" "pushed"
}

run_test test_the_bundle_runs_a_release_where_only_glibc_rust_and_git_are
finish
