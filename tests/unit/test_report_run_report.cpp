#include "rcd/report/run_report.hpp"

#include <catch2/catch.hpp>

using namespace rcd;

TEST_CASE("the JSON document carries every field SPEC.md lists") {
    report::RunReport r;
    r.command = "check";
    r.exit_code = 1;
    r.duration_ms = 1234;
    r.repo = report::RepoSummary{"/repo", "abc123", "main", true};
    exec::StageResult passed{"fmt", exec::StageStatus::passed, 0, 10, "/t/fmt.log", ""};
    exec::StageResult skipped{"doctest",   exec::StageStatus::skipped, std::nullopt, 0, "",
                              "no library"};
    r.stages = {passed, skipped};
    r.error = Error{ExitCode::stage_failed, "stage 'x' failed", "see the log"};
    auto doc = report::to_json(r);
    CHECK(doc["command"] == "check");
    CHECK(doc["schema"] == report::kSchemaVersion);
    CHECK(doc["rcd_version"] == report::rcd_version());
    CHECK(doc["name"].is_null());
    CHECK(doc["ok"] == false);
    CHECK(doc["exit_code"] == 1);
    CHECK(doc["duration_ms"] == 1234);
    CHECK(doc["repo"]["commit"] == "abc123");
    CHECK(doc["repo"]["dirty"] == true);
    CHECK(doc["stages"][0]["status"] == "passed");
    CHECK(doc["stages"][0]["log"] == "/t/fmt.log");
    CHECK(doc["stages"][1]["status"] == "skipped");
    CHECK(doc["stages"][1]["exit_code"].is_null());
    CHECK(doc["stages"][1]["reason"] == "no library");
    CHECK(doc["error"]["message"] == "stage 'x' failed");
    CHECK(doc["error"]["hint"] == "see the log");
    CHECK(doc.contains("cache"));
    CHECK(doc.contains("image"));
}

TEST_CASE("a successful run has ok true and a null error") {
    report::RunReport r;
    r.command = "build";
    auto doc = report::to_json(r);
    CHECK(doc["ok"] == true);
    CHECK(doc["error"].is_null());
    CHECK(doc["repo"].is_null());
}

TEST_CASE("the step summary is a table of stages, the cache and the pushed image, within a limit") {
    report::RunReport report;
    report.command = "release";
    report.duration_ms = 12'300;
    report.stages.push_back({"clippy", exec::StageStatus::failed, 101, 2'000, "", "exit | 101"});
    report.stages.push_back(
        {"build", exec::StageStatus::skipped, std::nullopt, 0, "", "needs clippy"});
    report::CacheSummary cache;
    cache.profiles.push_back({"release", "abc", "hit-registry", 10, ""});
    report.cache = cache;
    report.exit_code = 1;
    auto md = report::to_markdown(report);
    CHECK(md.starts_with("### rcd release: failed in 12.3s"));
    CHECK(md.find("| stage | status | time | note | log |") != std::string::npos);
    CHECK(md.find("| clippy | failed | 2.0s | exit \\| 101 |  |") != std::string::npos);
    CHECK(md.find("| build | skipped | - | needs clippy |  |") != std::string::npos);
    CHECK(md.find("release `hit-registry`") != std::string::npos);
    report.stages.assign(20'000, report.stages.front());
    CHECK(report::to_markdown(report, 50'000).size() <= 50'000);
}

TEST_CASE("the JSON document names the project and where it ran") {
    report::RunReport r;
    r.command = "release";
    r.name = "hello-api";
    r.directory = "/work/hello-api";
    r.checks_passed = true;
    report::ImageSummary image;
    image.status = "already-released";
    image.digest = "sha256:aaa";
    image.build_digest = "sha256:bbb";
    r.image = image;
    auto doc = report::to_json(r);
    CHECK(doc["name"] == "hello-api");
    CHECK(doc["directory"] == "/work/hello-api");
    CHECK(doc["checks_passed"] == true);
    CHECK(doc["image"]["status"] == "already-released");
    CHECK(doc["image"]["digest"] == "sha256:aaa");
    CHECK(doc["image"]["build_digest"] == "sha256:bbb");
    // One line: a run appends to a JSON Lines file.
    CHECK(doc.dump().find('\n') == std::string::npos);
}

TEST_CASE("the step summary names logs from the repository's root, not the runner's disk") {
    report::RunReport report;
    report.command = "check";
    report.repo = report::RepoSummary{"/home/runner/work/app", "abc", "main", false};
    report.stages.push_back({"test", exec::StageStatus::failed, 101, 1'000,
                             "/home/runner/work/app/target/rcd/logs/test.log", "exit code 101"});
    report.error = Error{ExitCode::stage_failed, "stage 'test' failed: exit code 101",
                         "its whole output is in /home/runner/work/app/target/rcd/logs/test.log"};
    report.exit_code = 1;
    auto md = report::to_markdown(report);
    CHECK(md.find("`target/rcd/logs/test.log`") != std::string::npos);
    CHECK(md.find("its whole output is in target/rcd/logs/test.log") != std::string::npos);
    CHECK(md.find("/home/runner") == std::string::npos);
}

TEST_CASE("the JSON and the step summary list what was attached to the image") {
    report::RunReport r;
    r.command = "release";
    report::ImageSummary image;
    image.status = "pushed";
    image.repository = "reg/team/api";
    image.reference = "reg/team/api@sha256:aaa";
    image.attachments = {{"application/spdx+json", "sha256:s"},
                         {"application/vnd.in-toto+json", "sha256:p"}};
    image.referrers_tag = "sha256-aaa";
    r.image = image;
    auto doc = report::to_json(r);
    REQUIRE(doc["image"]["attachments"].size() == 2);
    CHECK(doc["image"]["attachments"][0]["artifact_type"] == "application/spdx+json");
    CHECK(doc["image"]["attachments"][1]["reference"] == "reg/team/api@sha256:p");
    CHECK(doc["image"]["referrers_tag"] == "sha256-aaa");
    CHECK(report::to_markdown(r).find("**Attached:** application/spdx+json `sha256:s`, "
                                      "application/vnd.in-toto+json `sha256:p` (tag "
                                      "`sha256-aaa`)") != std::string::npos);
    r.image->attachments.clear();
    r.image->referrers_tag.clear();
    CHECK(report::to_json(r)["image"]["referrers_tag"].is_null());
    CHECK(report::to_markdown(r).find("Attached") == std::string::npos);
}
