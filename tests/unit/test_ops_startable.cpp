#include "rcd/ops/startable.hpp"
#include "rcd/util/fs.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

using namespace rcd;
using namespace rcd::ops;

namespace {
image::ImageSpec scratch_spec() {
    image::ImageSpec spec;
    spec.app = {{"/usr/local/bin/app", "", 0755}, {"/etc/passwd", "", 0644}};
    return spec;
}
} // namespace

TEST_CASE("a dynamic binary on scratch stops the release with exit 2 and both ways out") {
    image::ExecutableInfo dynamic;
    dynamic.interpreter = "/lib64/ld-linux-x86-64.so.2";
    dynamic.needed = {"libgcc_s.so.1", "libc.so.6"};
    dynamic.multiarch = "x86_64-linux-gnu";
    auto checked = check_image_starts(dynamic, scratch_spec(), nullptr, "scratch");
    REQUIRE_FALSE(checked);
    const auto& error = checked.error();
    CHECK(error.code == ExitCode::usage);
    CHECK(error.message ==
          "the image cannot start /usr/local/bin/app: its interpreter "
          "/lib64/ld-linux-x86-64.so.2 and the libraries libgcc_s.so.1, libc.so.6 are not in "
          "the image (base scratch)");
    CHECK(error.hint.find("gcr.io/distroless/cc-debian12") != std::string::npos);
    CHECK(error.hint.find("+crt-static") != std::string::npos);
    CHECK(error.hint.find("musl") != std::string::npos);
}

TEST_CASE("a static binary starts on scratch") {
    CHECK(check_image_starts(image::ExecutableInfo{}, scratch_spec(), nullptr, "scratch"));
}

TEST_CASE("image.files may bring the libraries a binary needs") {
    image::ExecutableInfo info;
    info.needed = {"libextra.so.1"};
    info.runpath = {"$ORIGIN/../lib"};
    auto spec = scratch_spec();
    CHECK_FALSE(check_image_starts(info, spec, nullptr, "scratch"));
    spec.files = {{"/usr/local/lib/libextra.so.1", "", 0644}};
    CHECK(check_image_starts(info, spec, nullptr, "scratch"));
}

TEST_CASE("init foresees a dynamic binary on scratch, and is quiet about a static one") {
    test::TempDir dir;
    REQUIRE(util::write_file_atomic(dir / "dynamic/Cargo.toml", "[package]\nname = \"x\"\n"));
    auto advice = predict_scratch_start(dir / "dynamic");
    if (!std::getenv("RUSTFLAGS") && !std::getenv("CARGO_ENCODED_RUSTFLAGS")) {
        REQUIRE(advice);
        CHECK_FALSE(advice->ok);
        CHECK(advice->hint.find("distroless") != std::string::npos);
    }
    REQUIRE(
        util::write_file_atomic(dir / "static/.cargo/config.toml",
                                "[build]\nrustflags = [\"-C\", \"target-feature=+crt-static\"]\n"));
    CHECK_FALSE(predict_scratch_start(dir / "static"));
}
