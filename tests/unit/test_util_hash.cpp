#include "rcd/util/hash.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace rcd;

TEST_CASE("sha256 of known inputs, as hex and as a digest") {
    CHECK(util::sha256_hex("") ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(util::sha256_digest("abc") ==
          "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("only a well-formed digest may name a file or a URL") {
    const std::string hex(64, 'a');
    CHECK(util::is_sha256_hex(hex));
    CHECK(util::is_sha256_digest("sha256:" + hex));
    CHECK_FALSE(util::is_sha256_hex(std::string(63, 'a')));
    CHECK_FALSE(util::is_sha256_hex(std::string(64, 'A'))); // lower case only
    CHECK_FALSE(util::is_sha256_hex("../" + std::string(61, 'a')));
    CHECK_FALSE(util::is_sha256_digest(hex));
    CHECK_FALSE(util::is_sha256_digest("sha512:" + hex));
    CHECK_FALSE(util::is_sha256_digest("sha256:" + hex + "/x"));
}
