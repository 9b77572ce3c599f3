#include "rcd/registry/credentials.hpp"
#include "rcd/util/fs.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fmt/format.h>
#include <map>

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

namespace {
// Sets environment variables for one test and puts the old values back.
struct ScopedEnv {
    std::map<std::string, std::optional<std::string>> saved;
    void set(const std::string& name, const std::optional<std::string>& value) {
        if (!saved.contains(name)) {
            const char* old = std::getenv(name.c_str());
            saved[name] = old ? std::optional<std::string>(old) : std::nullopt;
        }
        if (value)
            ::setenv(name.c_str(), value->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    ~ScopedEnv() {
        for (const auto& [name, value] : saved)
            if (value)
                ::setenv(name.c_str(), value->c_str(), 1);
            else
                ::unsetenv(name.c_str());
    }
};
} // namespace

TEST_CASE("the containers' auth files come before docker's config.json, in podman's order") {
    test::TempDir dir;
    ScopedEnv env;
    env.set("HOME", (dir / "home").string());
    env.set("XDG_CONFIG_HOME", std::nullopt);
    env.set("XDG_RUNTIME_DIR", (dir / "run").string());
    env.set("DOCKER_CONFIG", (dir / "docker").string());
    env.set("REGISTRY_AUTH_FILE", std::nullopt);
    env.set("RCD_REGISTRY_USERNAME", "env-user");
    env.set("RCD_REGISTRY_PASSWORD", "env-pw");
    auto entry = [](const char* base64) {
        return fmt::format(R"({{"auths": {{"reg.example:5000": {{"auth": "{}"}}}}}})", base64);
    };
    auto user = [] {
        auto found = find_credentials("reg.example:5000");
        REQUIRE(found);
        REQUIRE(*found);
        return (*found)->username;
    };
    CHECK(user() == "env-user");
    REQUIRE(
        util::write_file_atomic(dir / "docker/config.json", entry("ZG9ja2VyOnB3"))); // docker:pw
    CHECK(user() == "docker");
    REQUIRE(util::write_file_atomic(dir / "home/.config/containers/auth.json",
                                    entry("aG9tZTpwdw=="))); // home:pw
    CHECK(user() == "home");
    REQUIRE(util::write_file_atomic(dir / "run/containers/auth.json",
                                    entry("cnVudGltZTpwdw=="))); // runtime:pw
    CHECK(user() == "runtime");
    REQUIRE(util::write_file_atomic(dir / "auth.json", entry("ZmlsZTpwdw=="))); // file:pw
    env.set("REGISTRY_AUTH_FILE", (dir / "auth.json").string());
    CHECK(user() == "file");
    auto source = find_credentials("reg.example:5000");
    CHECK((*source)->source.find("containers auth file") != std::string::npos);
    // A file without an entry for the registry passes the question on.
    CHECK(find_credentials("other.example")->value().username == "env-user");
}
