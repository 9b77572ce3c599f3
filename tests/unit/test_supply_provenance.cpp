#include "rcd/supply/provenance.hpp"

#include <catch2/catch.hpp>

using namespace rcd;
using namespace rcd::supply;

TEST_CASE("the provenance statement names the image, the commit, the stages and the inputs") {
    ProvenanceInput in;
    in.image_repository = "127.0.0.1:5000/team/api";
    in.manifest_digest = "sha256:" + std::string(64, 'a');
    in.commit = "0123456789abcdef0123456789abcdef01234567";
    in.repository = "https://github.com/team/api.git";
    in.branch = "main";
    in.command = "rcd release";
    in.rcd_version = "9.9.9";
    in.builder_id = "https://ci.example/run/1";
    in.invocation_id = "https://ci.example/run/1";
    in.stages = {{"test", {"cargo", "test"}, "passed", 1200}};
    in.toolchain = {{"rustc", "rustc 1.95.0"}, {"target", "x86_64-unknown-linux-gnu"}};
    in.lockfile_digest = "sha256:" + std::string(64, 'b');
    in.cache_keys = {{"release", "k1"}};
    in.base_image = "127.0.0.1:5000/base@sha256:" + std::string(64, 'c');
    in.started = 1700000000;
    in.finished = 1700000060;
    auto doc = provenance_statement(in);

    CHECK(doc["_type"] == "https://in-toto.io/Statement/v1");
    CHECK(doc["predicateType"] == "https://slsa.dev/provenance/v1");
    CHECK(doc["subject"][0]["name"] == "127.0.0.1:5000/team/api");
    CHECK(doc["subject"][0]["digest"]["sha256"] == std::string(64, 'a'));
    const auto& build = doc["predicate"]["buildDefinition"];
    CHECK(build["buildType"] == kBuildType);
    CHECK(build["externalParameters"]["commit"] == in.commit);
    CHECK(build["externalParameters"]["branch"] == "main");
    CHECK_FALSE(build["externalParameters"].contains("dirty"));
    CHECK(build["internalParameters"]["stages"][0]["command"] == nlohmann::json({"cargo", "test"}));
    CHECK(build["internalParameters"]["stages"][0]["status"] == "passed");
    CHECK(build["internalParameters"]["cache_keys"]["release"] == "k1");
    const auto& deps = build["resolvedDependencies"];
    REQUIRE(deps.size() == 3);
    CHECK(deps[0]["uri"] == "git+https://github.com/team/api.git");
    CHECK(deps[0]["digest"]["gitCommit"] == in.commit);
    CHECK(deps[1]["name"] == "Cargo.lock");
    CHECK(deps[1]["digest"]["sha256"] == std::string(64, 'b'));
    CHECK(deps[2]["digest"]["sha256"] == std::string(64, 'c'));
    const auto& run = doc["predicate"]["runDetails"];
    CHECK(run["builder"]["id"] == "https://ci.example/run/1");
    CHECK(run["builder"]["version"]["rcd"] == "9.9.9");
    CHECK(run["metadata"]["startedOn"] == "2023-11-14T22:13:20Z");
    CHECK(run["metadata"]["finishedOn"] == "2023-11-14T22:14:20Z");

    in.dirty = true;
    in.base_image.reset();
    in.lockfile_digest.clear();
    auto dirty = provenance_statement(in);
    CHECK(dirty["predicate"]["buildDefinition"]["externalParameters"]["dirty"] == true);
    CHECK(dirty["predicate"]["buildDefinition"]["resolvedDependencies"].size() == 1);
}
