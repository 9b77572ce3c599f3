#include "rcd/cargo/dependencies.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace rcd;
using namespace rcd::cargo;

namespace {

const char* kCratesIo = "registry+https://github.com/rust-lang/crates.io-index";

// The shape of `cargo metadata --format-version 1`: an app with a library member, a normal, a
// build and a dev dependency, and a crate only the dev dependency needs.
std::string metadata() {
    auto package = [](std::string id, std::string name, std::string version, nlohmann::json source,
                      std::string license, nlohmann::json targets) {
        return nlohmann::json{
            {"id", id},           {"name", name},       {"version", version},   {"source", source},
            {"license", license}, {"targets", targets}, {"repository", nullptr}};
    };
    auto bin = [](std::string name) {
        return nlohmann::json::array({{{"name", name}, {"kind", {"bin"}}}});
    };
    auto lib = [](std::string name) {
        return nlohmann::json::array({{{"name", name}, {"kind", {"lib"}}}});
    };
    auto dep = [](std::string pkg, nlohmann::json kind) {
        return nlohmann::json{
            {"name", pkg}, {"pkg", pkg}, {"dep_kinds", {{{"kind", kind}, {"target", nullptr}}}}};
    };
    nlohmann::json doc = {
        {"workspace_members", {"path+file:///w/app#0.1.0", "path+file:///w/core#0.2.0"}},
        {"packages",
         {package("path+file:///w/app#0.1.0", "app", "0.1.0", nullptr, "", bin("app")),
          package("path+file:///w/core#0.2.0", "core", "0.2.0", nullptr, "MIT", lib("core")),
          package("serde@1", "serde", "1.0.0", kCratesIo, "MIT/Apache-2.0", lib("serde")),
          package("cc@1", "cc", "1.0.0", kCratesIo, "MIT", lib("cc")),
          package("itoa@1", "itoa", "1.0.0", kCratesIo, "MIT", lib("itoa")),
          package("only-dev@1", "only-dev", "1.0.0", kCratesIo, "MIT", lib("only-dev"))}},
        {"resolve",
         {{"root", nullptr},
          {"nodes",
           {{{"id", "path+file:///w/app#0.1.0"},
             {"deps", {dep("path+file:///w/core#0.2.0", nullptr), dep("itoa@1", "dev")}}},
            {{"id", "path+file:///w/core#0.2.0"},
             {"deps", {dep("serde@1", nullptr), dep("cc@1", "build")}}},
            {{"id", "serde@1"}, {"deps", nlohmann::json::array()}},
            {{"id", "cc@1"}, {"deps", nlohmann::json::array()}},
            {{"id", "itoa@1"}, {"deps", {dep("only-dev@1", nullptr)}}},
            {{"id", "only-dev@1"}, {"deps", nlohmann::json::array()}}}}}},
    };
    return doc.dump();
}

const char* kLock = R"(version = 3

[[package]]
name = "serde"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aaaa"

[[package]]
name = "cc"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "bbbb"
)";

} // namespace

TEST_CASE("a binary's graph holds its normal and build dependencies, never dev ones") {
    auto graph = binary_dependencies(metadata(), kLock, "app");
    REQUIRE(graph);
    CHECK(graph->root == "path+file:///w/app#0.1.0");
    std::vector<std::string> names;
    for (const auto& p : graph->packages)
        names.push_back(p.name);
    CHECK(names == std::vector<std::string>{"app", "cc", "core", "serde"}); // root first
    REQUIRE(graph->edges.size() == 3);
    CHECK(graph->edges[0] == DependencyEdge{"path+file:///w/app#0.1.0", "path+file:///w/core#0.2.0",
                                            DependencyKind::normal});
    CHECK(graph->edges[1] ==
          DependencyEdge{"path+file:///w/core#0.2.0", "cc@1", DependencyKind::build});
    const auto& serde = graph->packages[3];
    CHECK(serde.checksum == "aaaa");
    CHECK(serde.license == "MIT/Apache-2.0");
    CHECK(serde.source == std::optional<std::string>(kCratesIo));
    CHECK_FALSE(serde.workspace_member);
    CHECK(graph->packages[2].workspace_member);
    CHECK(graph->packages[2].checksum.empty());
    CHECK_FALSE(graph->packages[2].source);
}

TEST_CASE("a binary no member builds, or a graph without a resolve, is a clear error") {
    auto missing = binary_dependencies(metadata(), kLock, "core"); // a lib, not a bin
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ExitCode::usage);
    CHECK_THAT(missing.error().message, Catch::Contains("'core'"));
    auto doc = nlohmann::json::parse(metadata());
    doc.erase("resolve");
    auto no_resolve = binary_dependencies(doc.dump(), kLock, "app");
    REQUIRE_FALSE(no_resolve);
    CHECK_THAT(no_resolve.error().message, Catch::Contains("dependency graph"));
    auto bad_lock = binary_dependencies(metadata(), "[[package]\n", "app");
    REQUIRE_FALSE(bad_lock);
    CHECK_THAT(bad_lock.error().message, Catch::Contains("Cargo.lock"));
}
