#include "rcd/report/fleet.hpp"

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

using namespace rcd;
using namespace rcd::report;

namespace {
const char* kReleased =
    R"({"command":"release","name":"api","exit_code":0,"duration_ms":8200,)"
    R"("image":{"reference":"reg/team/api@sha256:aa"},"error":null,)"
    R"("cache":{"recipe":"r1","profiles":[{"name":"clippy","status":"hit-local","key":"k"},)"
    R"({"name":"release","status":"miss","key":"k2"}]}})";
const char* kFailed = R"({"command":"check","name":"web","exit_code":1,"duration_ms":1500,)"
                      R"("image":null,"error":{"message":"stage 'fmt' failed","hint":"h"}})";
} // namespace

TEST_CASE("a fleet row is read from a run's JSON line") {
    auto row = fleet_row(kReleased, "/fleet/api");
    REQUIRE(row);
    CHECK(row->name == "api");
    CHECK(row->command == "release");
    CHECK(row->exit_code == 0);
    CHECK(row->duration_ms == 8200);
    CHECK(row->outcome == "reg/team/api@sha256:aa");
    CHECK(row->keys == std::vector<std::string>{"clippy=k", "release=k2"});
    CHECK(row->hits == std::vector<std::string>{"clippy"});
    CHECK(row->cooked == std::vector<std::string>{"release"});
    auto failed = fleet_row(kFailed, "/fleet/web");
    REQUIRE(failed);
    CHECK(failed->outcome == "stage 'fmt' failed");
    auto unnamed = fleet_row(R"({"exit_code":4,"name":null})", "/fleet/x");
    REQUIRE(unnamed);
    CHECK(unnamed->name == "x");
    CHECK(unnamed->outcome == "exit 4");
    auto bad = fleet_row("not json", "runs.jsonl:3");
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message, Catch::Contains("runs.jsonl:3"));
}

TEST_CASE("the fleet's exit code is its worst repository's, and the table counts them") {
    std::vector<FleetRow> rows = {*fleet_row(kReleased, "/f/api"), *fleet_row(kFailed, "/f/web")};
    CHECK(worst_exit_code(rows) == 1);
    rows[0].exit_code = 4;
    CHECK(worst_exit_code(rows) == 4);
    rows[0].exit_code = 0;
    auto table = fleet_table(rows, 3);
    CHECK(table.find("repository  exit      time  image or error\n") == 0);
    CHECK(table.find("api            0      8.2s  reg/team/api@sha256:aa\n") != std::string::npos);
    CHECK(table.find("web            1      1.5s  stage 'fmt' failed\n") != std::string::npos);
    CHECK(table.ends_with("2 repositories: 1 passed, 1 failed; 3 dependency cooks saved by "
                          "shared recipes\n"));
    auto summary = fleet_summary("fleet check", "/f", rows, 3, 9000);
    CHECK(summary["exit_code"] == 1);
    CHECK(summary["ok"] == false);
    CHECK(summary["fleet"]["failed"] == 1);
    CHECK(summary["fleet"]["saved_cooks"] == 3);
    CHECK(summary["command"] == "fleet check");
}

TEST_CASE("the live view shows each repository's state, stage and time") {
    auto text = fleet_live({{"api", "running", "clippy", 2500}, {"web", "waiting", "", 0}});
    CHECK(text.find("api         running           clippy          2.5s\n") != std::string::npos);
    // Waiting: no stage and no time yet.
    CHECK(text.find("web         waiting" + std::string(31, ' ') + "\n") != std::string::npos);
}

TEST_CASE("the matrices list every repository for GitHub and GitLab") {
    std::vector<FleetMember> members = {{"api", "services/api", "https://git.example/api.git"},
                                        {"web \"x\"", "services/web", ""}};
    auto github = nlohmann::json::parse(github_matrix(members));
    REQUIRE(github["include"].size() == 2);
    CHECK(github["include"][0]["url"] == "https://git.example/api.git");
    CHECK(github["include"][1]["name"] == "web \"x\"");
    auto gitlab = YAML::Load(gitlab_matrix(members, "release"));
    auto matrix = gitlab["rcd-release"]["parallel"]["matrix"];
    REQUIRE(matrix.size() == 2);
    CHECK(matrix[1]["RCD_NAME"].as<std::string>() == "web \"x\"");
    CHECK(matrix[0]["RCD_PATH"].as<std::string>() == "services/api");
    CHECK(gitlab["rcd-summary"]["script"][0].as<std::string>() == "rcd fleet summary *.json");
    CHECK(gitlab["rcd-summary"]["when"].as<std::string>() == "always");
}

TEST_CASE("drift is what a repository does that the fleet's norm does not") {
    RepoFacts norm;
    norm.keys = {"binary"};
    norm.registry = true;
    std::vector<RepoFacts> repos(3, norm);
    repos[0].name = "a";
    repos[1].name = "b";
    repos[2].name = "odd";
    repos[2].pipeline_files = {".rcd/pipelines/rust.yaml"};
    repos[2].extra_stages = {"audit"};
    repos[2].skipped_stages = {"doctest"};
    repos[2].toolchain = "1.80.0";
    repos[2].base = "gcr.io/distroless/cc-debian12";
    repos[2].registry = false;
    repos[2].keys = {"binary", "image.smoke", "image.base", "stages.audit"};
    auto drift = fleet_drift(repos);
    CHECK(drift[0].empty());
    CHECK(drift[1].empty());
    CHECK(drift[2] == std::vector<std::string>{
                          "its own pipeline: .rcd/pipelines/rust.yaml", "adds stages: audit",
                          "skips stages: doctest", "toolchain 1.80.0 (the fleet's: default)",
                          "base image gcr.io/distroless/cc-debian12 (the fleet's: scratch)",
                          "no registry (rcd.yaml's 'registry', or RCD_REGISTRY)",
                          "sets what no other repository does: image.smoke"});
    RepoFacts broken;
    broken.name = "broken";
    broken.problem = "rcd.yaml: missing required field 'name'";
    auto with_broken = fleet_drift({repos[0], broken});
    CHECK(with_broken[0].empty()); // a broken repository sets no norm
    CHECK(with_broken[1] == std::vector<std::string>{"rcd.yaml: missing required field 'name'"});
}
