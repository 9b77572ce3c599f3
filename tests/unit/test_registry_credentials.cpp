#include "rcd/registry/credentials.hpp"

#include <catch2/catch.hpp>

using namespace rcd;
using namespace rcd::registry;

namespace {
HelperRunner helper_returning(std::string json, std::string* asked = nullptr) {
    return
        [json, asked](const std::string& helper, const std::string& server) -> Result<std::string> {
            if (asked)
                *asked = helper + " " + server;
            return json;
        };
}
HelperRunner no_helper = [](const std::string&, const std::string&) -> Result<std::string> {
    FAIL("no helper should run");
    return std::string();
};
} // namespace

TEST_CASE("auths entries decode base64 user:password, matched by normalised server") {
    auto config = nlohmann::json::parse(R"({"auths": {
        "http://127.0.0.1:5000/v2/": {"auth": "YWxpY2U6czNjcjN0OndpdGg6Y29sb25z"},
        "https://index.docker.io/v1/": {"auth": "Ym9iOnB3"}}})");
    auto local = credentials_from_config(config, "127.0.0.1:5000", no_helper);
    REQUIRE(local);
    REQUIRE(*local);
    CHECK((*local)->username == "alice");
    CHECK((*local)->secret == "s3cr3t:with:colons");
    auto hub = credentials_from_config(config, "docker.io", no_helper);
    REQUIRE(hub);
    CHECK((*hub)->username == "bob");
    auto none = credentials_from_config(config, "ghcr.io", no_helper);
    REQUIRE(none);
    CHECK_FALSE(*none);
}

TEST_CASE("credHelpers win over auths, and credsStore is the fallback") {
    auto config = nlohmann::json::parse(R"({
        "credHelpers": {"ghcr.io": "gh"},
        "auths": {"ghcr.io": {"auth": "eDp5"}},
        "credsStore": "pass"})");
    std::string asked;
    auto gh = credentials_from_config(config, "ghcr.io",
                                      helper_returning(R"({"Username":"u","Secret":"t"})", &asked));
    REQUIRE(gh);
    CHECK((*gh)->secret == "t");
    CHECK(asked == "gh ghcr.io");
    auto other = credentials_from_config(
        config, "quay.io", helper_returning(R"({"Username":"q","Secret":"s"})", &asked));
    REQUIRE(other);
    CHECK((*other)->username == "q");
    CHECK(asked == "pass quay.io");
}

TEST_CASE("a broken auth entry is an error that does not echo it") {
    auto config = nlohmann::json::parse(R"({"auths": {"r.io": {"auth": "bm9jb2xvbg=="}}})");
    auto r = credentials_from_config(config, "r.io", no_helper);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ExitCode::registry);
    CHECK(r.error().message.find("nocolon") == std::string::npos);
}
