#include "rcd/cargo/config.hpp"
#include "rcd/util/fs.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace rcd;

namespace {
const std::string kHost = "x86_64-unknown-linux-gnu";
// An environment with nothing from the machine: no RUSTFLAGS, and a CARGO_HOME of its own.
std::map<std::string, std::string> clean(const test::TempDir& dir) {
    return {{"CARGO_HOME", (dir / "cargo-home").string()}};
}
} // namespace

TEST_CASE("without configuration a binary links the C library at run time") {
    test::TempDir dir;
    CHECK(cargo::links_statically(dir.path, kHost, clean(dir)) == false);
}

TEST_CASE("crt-static in .cargo/config.toml, for the host or for every target, is static") {
    test::TempDir dir;
    REQUIRE(util::write_file_atomic(dir / "app/.cargo/config.toml",
                                    "[target.x86_64-unknown-linux-gnu]\n"
                                    "rustflags = [\"-C\", \"target-feature=+crt-static\"]\n"));
    CHECK(cargo::links_statically(dir / "app", kHost, clean(dir)) == true);
    CHECK(cargo::links_statically(dir / "app", "aarch64-unknown-linux-gnu", clean(dir)) == false);
    // A parent directory's configuration applies to the projects below it.
    REQUIRE(util::write_file_atomic(dir / "config-in-parent/.cargo/config.toml",
                                    "[build]\nrustflags = \"-C target-feature=+crt-static\"\n"));
    CHECK(cargo::links_statically(dir / "config-in-parent/deep/app", kHost, clean(dir)) == true);
}

TEST_CASE("RUSTFLAGS wins over the configuration, and a musl target is static") {
    test::TempDir dir;
    REQUIRE(util::write_file_atomic(dir / ".cargo/config.toml",
                                    "[build]\nrustflags = \"-C target-feature=+crt-static\"\n"));
    auto env = clean(dir);
    env["RUSTFLAGS"] = "-C opt-level=3";
    CHECK(cargo::links_statically(dir.path, kHost, env) == false);
    env.erase("RUSTFLAGS");
    env["CARGO_BUILD_TARGET"] = "x86_64-unknown-linux-musl";
    CHECK(cargo::links_statically(dir.path, kHost, env) == true);
    env["RUSTFLAGS"] = "-C target-feature=-crt-static";
    CHECK(cargo::links_statically(dir.path, kHost, env) == false);
}

TEST_CASE("a cfg(...) rustflags table cannot be judged") {
    test::TempDir dir;
    REQUIRE(util::write_file_atomic(dir / ".cargo/config.toml",
                                    "[target.'cfg(target_os = \"linux\")']\n"
                                    "rustflags = [\"-C\", \"target-feature=+crt-static\"]\n"));
    CHECK_FALSE(cargo::links_statically(dir.path, kHost, clean(dir)).has_value());
}
