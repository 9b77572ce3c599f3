#include "rcd/report/documents.hpp"

#include <catch2/catch.hpp>

using namespace rcd;

namespace {

report::Plan sample_plan() {
    report::Plan plan;
    plan.run.command = "plan";
    plan.run.name = "hello-api";
    plan.run.directory = "/work/hello-api";
    plan.run.repo = report::RepoSummary{"/work/hello-api", std::string(40, 'a'), "main", false};
    plan.language = "rust";
    plan.origin = "built-in";
    plan.stages = {{"fmt", {"cargo", "fmt", "--check"}, {}, std::nullopt},
                   {"test", {"cargo", "test"}, {"fmt"}, std::nullopt},
                   {"doctest", {"cargo", "test", "--doc"}, {}, "no library target"}};
    plan.repository = std::string("127.0.0.1:5000/team/hello-api");
    plan.tags = {std::string(40, 'a'), "latest"};
    plan.base = "scratch";
    plan.attachments = {"sbom", "provenance"};
    return plan;
}

} // namespace

TEST_CASE("the plan's JSON lists each stage with its status, and the image") {
    auto doc = report::plan_json(sample_plan());
    CHECK(doc["command"] == "plan");
    REQUIRE(doc["plan"]["stages"].size() == 3);
    CHECK(doc["plan"]["stages"][1]["needs"] == nlohmann::json::array({"fmt"}));
    CHECK(doc["plan"]["stages"][1]["status"] == "run");
    CHECK(doc["plan"]["stages"][1]["reason"].is_null());
    CHECK(doc["plan"]["stages"][2]["status"] == "skip");
    CHECK(doc["plan"]["stages"][2]["reason"] == "no library target");
    CHECK(doc["plan"]["image"]["repository"] == "127.0.0.1:5000/team/hello-api");
    CHECK(doc["plan"]["image"]["tags"][1] == "latest");
    CHECK(doc["plan"]["image"]["attachments"] == nlohmann::json({"sbom", "provenance"}));

    auto without = sample_plan();
    without.repository = fail(ExitCode::usage, "no registry to push the image to");
    CHECK(report::plan_json(without)["plan"]["image"]["repository"].is_null());
}

TEST_CASE("the plan's text numbers the stages, aligns them and says why one is skipped") {
    auto text = report::plan_text(sample_plan());
    CHECK(text.starts_with("hello-api (rust pipeline, built-in) in /work/hello-api\n"));
    CHECK(text.find("commit " + std::string(40, 'a') + "\n") != std::string::npos);
    CHECK(text.find("  1. fmt      cargo fmt --check\n") != std::string::npos);
    CHECK(text.find("  2. test     cargo test   (after fmt)\n") != std::string::npos);
    CHECK(text.find("  3. doctest  skip: no library target\n") != std::string::npos);
    CHECK(text.find("image 127.0.0.1:5000/team/hello-api (base scratch)\n") != std::string::npos);
    CHECK(text.find("  attached: sbom, provenance\n") != std::string::npos);
    auto bare = sample_plan();
    bare.attachments.clear();
    CHECK(report::plan_text(bare).find("  attached: nothing\n") != std::string::npos);

    auto without = sample_plan();
    without.repository = fail(ExitCode::usage, "no registry to push the image to");
    CHECK(report::plan_text(without).ends_with("image: no registry to push the image to\n"));
}

TEST_CASE("doctor: the exit code is the first failure's, and the JSON names every verdict") {
    std::vector<report::Check> checks = {
        {"cargo", report::Verdict::ok, "cargo 1.63.0", "", ExitCode::ok},
        {"registry", report::Verdict::warn, "no registry", "add registry:", ExitCode::ok},
        {"credentials", report::Verdict::fail, "refused", "docker login", ExitCode::registry},
        {"config", report::Verdict::fail, "bad rcd.yaml", "fix it", ExitCode::usage}};
    CHECK(report::doctor_exit_code(checks) == static_cast<int>(ExitCode::registry));
    CHECK(report::doctor_exit_code({checks[0], checks[1]}) == 0);
    auto doc = report::doctor_json(checks, "/work");
    CHECK(doc["ok"] == false);
    CHECK(doc["exit_code"] == static_cast<int>(ExitCode::registry));
    CHECK(doc["checks"][0]["hint"].is_null());
    CHECK(doc["checks"][1]["verdict"] == "warn");
    auto text = report::doctor_text(checks, false);
    CHECK(text.find("ok    cargo       cargo 1.63.0\n") != std::string::npos);
    CHECK(text.find("                  docker login\n") != std::string::npos);
    CHECK(text.find("\x1b[") == std::string::npos);
    CHECK(report::doctor_text(checks, true).find("\x1b[31mfail\x1b[0m") != std::string::npos);
}

TEST_CASE("prune documents carry what was kept, deleted and freed") {
    auto remote =
        report::remote_prune_json({"r/app-cache", 3, {"cache-1"}, {"cache-2"}}, "app", "/work");
    CHECK(remote["command"] == "cache prune");
    CHECK(remote["kept"] == 3);
    CHECK(remote["deleted"] == nlohmann::json::array({"cache-1"}));
    CHECK(remote["protected"] == nlohmann::json::array({"cache-2"}));
    auto local = report::local_prune_json("/home/u/.cache/rcd", 1024, "/work");
    CHECK(local["freed_bytes"] == 1024);
    CHECK(local["cache_dir"] == "/home/u/.cache/rcd");
}
