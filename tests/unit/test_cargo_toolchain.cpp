#include "rcd/cargo/toolchain.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace rcd;

TEST_CASE("the host triple is the 'host:' line of rustc -vV, and nothing without one") {
    CHECK(cargo::host_triple("rustc 1.63.0\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\n"
                             "release: 1.63.0\n") == "x86_64-unknown-linux-gnu");
    CHECK(cargo::host_triple("host:  aarch64-unknown-linux-musl  ") ==
          "aarch64-unknown-linux-musl");
    CHECK(cargo::host_triple("rustc 1.63.0\nLLVM version: 14\n").empty());
    CHECK(cargo::host_triple("").empty());
}

TEST_CASE("the toolchain probe runs the real rustc and cargo; its id follows both versions") {
    test::TempDir dir;
    auto toolchain = cargo::probe_toolchain(dir.path);
    INFO((toolchain ? "" : toolchain.error().message));
    REQUIRE(toolchain);
    CHECK(toolchain->rustc.starts_with("rustc "));
    CHECK(toolchain->cargo.starts_with("cargo "));
    CHECK_FALSE(toolchain->host.empty());
    CHECK(toolchain->id().size() == 16);
    auto other = *toolchain;
    other.cargo += " (patched)";
    CHECK(other.id() != toolchain->id());
}
