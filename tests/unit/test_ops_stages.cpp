#include "rcd/ops/stages.hpp"
#include "rcd/pipeline/loader.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace rcd;

namespace {
ops::Project project(const char* yaml = R"(language: rust
stages:
  - {name: fmt, run: [cargo, fmt]}
  - {name: test, run: [cargo, test], env: {OUT: "${target_dir}/x"}}
  - {name: doctest, run: [cargo, test, --doc], when: has_library}
  - {name: build, run: [cargo, build, --bin, "${binary}"], phase: build, needs: [fmt, test, doctest]}
)") {
    auto pipeline = pipeline::parse_pipeline(yaml, "rust.yaml");
    REQUIRE(pipeline);
    ops::Project p{"/repo",       {},
                   *pipeline,     fail(ExitCode::repository, "not a git repository", "git init"),
                   nullptr,       nullptr,
                   "/repo/target"};
    p.config.name = "hello";
    p.config.file = "rcd.yaml";
    return p;
}

std::vector<std::string> names(const std::vector<exec::StageJob>& jobs) {
    std::vector<std::string> out;
    for (const auto& j : jobs)
        out.push_back(j.name);
    return out;
}
} // namespace

TEST_CASE("check runs the check phase only") {
    auto jobs = ops::plan_jobs(project(), {}, {true, "", false, ""}, {});
    REQUIRE(jobs);
    CHECK(names(*jobs) == std::vector<std::string>{"fmt", "test", "doctest"});
}

TEST_CASE("build adds the build phase, with variables expanded and logs under target/rcd") {
    ops::Selection s;
    s.through = pipeline::Phase::build;
    auto jobs =
        ops::plan_jobs(project(), s, {true, "", false, ""}, {{"CARGO_TERM_COLOR", "never"}});
    REQUIRE(jobs);
    REQUIRE(jobs->size() == 4);
    const auto& build = jobs->back();
    CHECK(build.command.argv == std::vector<std::string>{"cargo", "build", "--bin", "hello"});
    CHECK(build.needs == std::vector<std::string>{"fmt", "test", "doctest"});
    CHECK(build.log_path == "/repo/target/rcd/logs/build.log");
    CHECK(build.command.cwd == "/repo");
    CHECK((*jobs)[1].command.env.at("OUT") == "/repo/target/x");
    CHECK((*jobs)[1].command.env.at("CARGO_TERM_COLOR") == "never");
}

TEST_CASE("doctest is skipped with the reason when there is no library") {
    auto jobs = ops::plan_jobs(project(), {}, {false, "no library target", false, ""}, {});
    REQUIRE(jobs);
    CHECK((*jobs)[2].skip_reason == "no library target");
}

TEST_CASE("--only keeps the named stages and drops needs on the others") {
    ops::Selection s;
    s.through = pipeline::Phase::build;
    s.only = {"build", "fmt"};
    auto jobs = ops::plan_jobs(project(), s, {true, "", false, ""}, {});
    REQUIRE(jobs);
    CHECK(names(*jobs) == std::vector<std::string>{"fmt", "build"});
    CHECK(jobs->back().needs == std::vector<std::string>{"fmt"});
}

TEST_CASE("--skip marks stages skipped") {
    ops::Selection s;
    s.skip = {"test"};
    auto jobs = ops::plan_jobs(project(), s, {true, "", false, ""}, {});
    REQUIRE(jobs);
    CHECK((*jobs)[1].skip_reason == "skipped with --skip");
}

TEST_CASE("an unknown stage in --only or --skip is a usage error with a suggestion") {
    ops::Selection s;
    s.only = {"tset"};
    auto jobs = ops::plan_jobs(project(), s, {true, "", false, ""}, {});
    REQUIRE_FALSE(jobs);
    CHECK(jobs.error().code == ExitCode::usage);
    CHECK(jobs.error().message == "--only: no stage named 'tset'");
    CHECK(jobs.error().hint == "did you mean 'test'?");
}

TEST_CASE("${commit} outside a git repository is a repository-state error") {
    auto p = project();
    p.pipeline.stages[0].args = {"${commit}"};
    auto jobs = ops::plan_jobs(p, {}, {true, "", false, ""}, {});
    REQUIRE_FALSE(jobs);
    CHECK(jobs.error().code == ExitCode::repository);
}

namespace {
ops::Project bench_project(bool enabled) {
    auto p = project(R"(language: rust
stages:
  - {name: fmt, run: [cargo, fmt]}
  - {name: bench, run: ["${rcd}", bench, run], when: has_benches, needs: [fmt]}
)");
    p.config.bench.enabled = enabled;
    return p;
}
} // namespace

TEST_CASE("the bench stage runs only with benches, and only when turned on") {
    const ops::Conditions benches{true, "", true, ""};
    const ops::Conditions none{true, "", false, "no bench target in the workspace"};
    ops::Selection asked;
    asked.bench = true;

    auto off = ops::plan_jobs(bench_project(false), {}, benches, {});
    REQUIRE(off);
    CHECK((*off)[1].skip_reason == "off: turn it on with --bench, or 'bench: true' in rcd.yaml");
    auto flag = ops::plan_jobs(bench_project(false), asked, benches, {});
    REQUIRE(flag);
    CHECK_FALSE((*flag)[1].skip_reason);
    auto config = ops::plan_jobs(bench_project(true), {}, benches, {});
    REQUIRE(config);
    CHECK_FALSE((*config)[1].skip_reason);
    // ${rcd} is this program itself.
    CHECK((*config)[1].command.argv[0] == std::filesystem::read_symlink("/proc/self/exe").string());
    CHECK((*config)[1].command.argv[1] == "bench");
    auto without = ops::plan_jobs(bench_project(true), asked, none, {});
    REQUIRE(without);
    CHECK((*without)[1].skip_reason == "no bench target in the workspace");
}
