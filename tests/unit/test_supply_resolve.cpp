#include "rcd/supply/resolve.hpp"

#include <catch2/catch.hpp>

using namespace rcd::supply;

namespace {
const std::string kDigest = "sha256:" + std::string(64, 'a');
const std::string kOther = "sha256:" + std::string(64, 'b');
const ResolveTarget kTarget{"api", "reg:5000/team/api", kDigest};
const std::string kPinned = "reg:5000/team/api@" + kDigest;
} // namespace

TEST_CASE("placeholders and tagged references become the release's digest") {
    auto r = resolve_references("a: rcd://api\nb: reg:5000/team/api:latest\n"
                                "c: \"reg:5000/team/api:v1.2\"\n",
                                kTarget);
    CHECK(r.text == "a: " + kPinned + "\nb: " + kPinned + "\nc: \"" + kPinned + "\"\n");
    REQUIRE(r.replaced.size() == 3);
    CHECK(r.replaced[0].line == 1);
    CHECK(r.replaced[1].text == "reg:5000/team/api:latest");
    CHECK(r.replaced[2].line == 3);
    CHECK(r.drift.empty());
}

TEST_CASE("a reference is replaced only when it is whole") {
    const std::string text = "reg:5000/team/api-cache:latest\nx/reg:5000/team/api:1\n"
                             "reg:5000/team/api\nreg:5000/team/api/sub:1\nrcd://api2\n";
    auto r = resolve_references(text, kTarget);
    CHECK(r.text == text);
    CHECK(r.replaced.empty());
    REQUIRE(r.other_names.size() == 1);
    CHECK(r.other_names[0].text == "rcd://api2");
    CHECK(r.other_names[0].line == 5);
}

TEST_CASE("a pinned digest is current, or drift") {
    auto current = resolve_references("image: " + kPinned + "\n", kTarget);
    CHECK(current.text == "image: " + kPinned + "\n");
    CHECK(current.replaced.empty());
    CHECK(current.drift.empty());
    auto drift = resolve_references("\nimage: reg:5000/team/api:v1@" + kOther + "\n", kTarget);
    CHECK(drift.text == "\nimage: " + kPinned + "\n");
    REQUIRE(drift.drift.size() == 1);
    CHECK(drift.drift[0].line == 2);
    CHECK(drift.drift[0].text == "reg:5000/team/api:v1@" + kOther);
    // Not a digest (short, upper case): not a reference to pin.
    auto short_digest = resolve_references("reg:5000/team/api@sha256:abc", kTarget);
    CHECK(short_digest.text == "reg:5000/team/api@sha256:abc");
}
