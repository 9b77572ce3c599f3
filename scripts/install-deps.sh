#!/usr/bin/env bash
# Installs what rcd needs to build and test on Debian 12. Safe to run again: it does nothing
# when everything is already there.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build pkg-config g++ clang-format
  libcli11-dev libyaml-cpp-dev libgit2-dev libfmt-dev libspdlog-dev nlohmann-json3-dev catch2
  libcurl4-openssl-dev libarchive-dev libssl-dev zlib1g-dev libzstd-dev libtomlplusplus-dev
  # the local registry of the demo and the tests, and the clients that check rcd's images
  docker-registry apache2-utils curl openssl git jq
  skopeo umoci oci-image-tool podman runc python3-jwt python3-cryptography zstd libxml2-utils man-db
  # tests/e2e/doc_examples.py reads the CI examples' YAML; test_supply_chain.sh checks the SBOM
  # against the SPDX 2.3 schema and the resolved Kubernetes YAML
  python3-yaml python3-jsonschema
  # the libFuzzer targets (scripts/fuzz.sh): clang 16 and its fuzzer runtime
  clang-16 libclang-rt-16-dev
  # objcopy: the dependency cache stores build scripts and proc macros without debug info
  binutils
  # crates of the dependency-cache fixture (tests/fixtures/deps-workspace), from Debian
  librust-hex-dev librust-itoa-dev librust-serde-dev
  # criterion, for the bench stage's fixture (tests/fixtures/bench-service)
  librust-criterion-dev
  # the go pipeline's toolchain (tests/fixtures/go-service), and the generic pipeline's C/CMake
  # example (examples/hello-c, with ccache as its stage cache)
  golang-go ccache
)
# bench/cache.sh: a service of about 87 crates; bench/go.sh: a Go service
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(librust-tokio-dev librust-hyper-dev librust-serde-derive-dev librust-serde-json-dev
    librust-regex-dev librust-clap-dev librust-tracing-dev librust-tracing-subscriber-dev
    librust-thiserror-dev librust-sha2-dev librust-hex-dev librust-walkdir-dev
    librust-flate2-dev librust-tar-dev
    # bench/go.sh: a Go service of 18 modules, vendored from these
    golang-github-prometheus-client-golang-dev golang-github-gorilla-mux-dev
    golang-github-sirupsen-logrus-dev golang-github-spf13-cobra-dev golang-github-google-uuid-dev
    golang-gopkg-yaml.v3-dev golang-golang-x-text-dev golang-golang-x-net-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "rcd: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export PATH="$HOME/.cargo/bin:$PATH"
for tool in cargo rustfmt cargo-clippy; do
  command -v "$tool" >/dev/null || { echo "rcd: $tool is missing; install Rust with rustfmt and clippy" >&2; exit 1; }
done
