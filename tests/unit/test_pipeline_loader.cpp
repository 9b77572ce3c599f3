#include "rcd/pipeline/loader.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace rcd;
using namespace rcd::pipeline;

namespace {
Error repo_error(const std::string& yaml) {
    auto config = parse_repo_config(yaml, "rcd.yaml");
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().code == ExitCode::usage);
    return config.error();
}

Error pipeline_error(const std::string& yaml) {
    auto pipeline = parse_pipeline(yaml, "rust.yaml");
    REQUIRE_FALSE(pipeline.has_value());
    CHECK(pipeline.error().code == ExitCode::usage);
    return pipeline.error();
}

const char* kPipeline = R"(language: rust
detect: [Cargo.toml]
stages:
  - name: fmt
    run: [cargo, fmt, --all, --, --check]
  - name: clippy
    run: [cargo, clippy, --, -D, warnings]
    cook: clippy
    timeout: 10m
  - name: build
    run: [cargo, build, --release]
    phase: build
    needs: [fmt, clippy]
    produces: binary
)";
} // namespace

TEST_CASE("a minimal rcd.yaml gives a name and a language") {
    auto config = parse_repo_config("name: hello-api\nlanguage: rust\n", "rcd.yaml");
    REQUIRE(config);
    CHECK(config->name == "hello-api");
    CHECK(config->language == "rust");
    CHECK(config->binary_name() == "hello-api");
    CHECK(config->image.base == "scratch");
    CHECK_FALSE(config->registry);
}

TEST_CASE("every optional field of rcd.yaml is read") {
    auto config = parse_repo_config(R"(name: hello-api
language: rust
registry: 127.0.0.1:5000/team
binary: server
image:
  base: gcr.io/distroless/cc-debian12
  entrypoint: [/usr/local/bin/server]
  cmd: [--port, "8080"]
  env: {RUST_LOG: info}
  workdir: /srv
  user: "65532"
  expose: [8080, 9090/udp]
  labels: {team: payments}
  files: [{src: config/, dst: /etc/hello-api/}]
stages:
  clippy: {args: [--, -D, warnings]}
  doctest: {skip: true}
)",
                                    "rcd.yaml");
    REQUIRE(config);
    CHECK(config->registry == "127.0.0.1:5000/team");
    CHECK(config->binary_name() == "server");
    CHECK(config->image.base == "gcr.io/distroless/cc-debian12");
    CHECK(config->image.entrypoint == std::vector<std::string>{"/usr/local/bin/server"});
    CHECK(config->image.cmd == std::vector<std::string>{"--port", "8080"});
    CHECK(config->image.env.at("RUST_LOG") == "info");
    CHECK(config->image.workdir == "/srv");
    CHECK(config->image.user == "65532");
    CHECK(config->image.expose == std::vector<std::string>{"8080/tcp", "9090/udp"});
    CHECK(config->image.labels.at("team") == "payments");
    REQUIRE(config->image.files.size() == 1);
    CHECK(config->image.files[0].dst == "/etc/hello-api/");
    REQUIRE(config->stages.size() == 2);
    CHECK(config->stages[0].name == "clippy");
    CHECK(config->stages[1].skip == true);
}

TEST_CASE("a YAML syntax error names file, line and column") {
    auto e = repo_error("name: x\nlanguage: [rust\n");
    CHECK(e.message.starts_with("rcd.yaml:3:1: invalid YAML:"));
}

TEST_CASE("an unknown key gets its line, column and a did-you-mean") {
    auto e = repo_error("name: x\nlanguage: rust\nstagse: {}\n");
    CHECK(e.message == "rcd.yaml:3:1: unknown key 'stagse'");
    CHECK(e.hint == "did you mean 'stages'?");
}

TEST_CASE("an unknown key far from any known one lists the allowed keys") {
    auto e = repo_error("name: x\nlanguage: rust\nfrobnicate: 1\n");
    CHECK(e.message == "rcd.yaml:3:1: unknown key 'frobnicate'");
    CHECK(e.hint.starts_with("the keys allowed here are: name, language"));
}

TEST_CASE("an unknown key inside a stage entry points at it") {
    auto e = repo_error("name: x\nlanguage: rust\nstages:\n  clippy: {agrs: [-q]}\n");
    CHECK(e.message == "rcd.yaml:4:12: stage 'clippy': unknown key 'agrs'");
    CHECK(e.hint == "did you mean 'args'?");
}

TEST_CASE("a missing name or language is its own error") {
    auto no_name = repo_error("language: rust\n");
    CHECK(no_name.message == "rcd.yaml: missing required field 'name'");
    CHECK(no_name.hint == "add a line like 'name: my-service'");
    auto no_language = repo_error("name: x\n");
    CHECK(no_language.message == "rcd.yaml: missing required field 'language'");
}

TEST_CASE("an empty rcd.yaml says what it needs") {
    auto e = repo_error("");
    CHECK(e.message == "rcd.yaml: the file is empty");
}

TEST_CASE("a type error names the field and its position") {
    auto e = repo_error("name: [a, b]\nlanguage: rust\n");
    CHECK(e.message == "rcd.yaml:1:7: 'name' must be a string, not a list");
    auto expose = repo_error("name: x\nlanguage: rust\nimage:\n  expose: 8080\n");
    CHECK(expose.message == "rcd.yaml:4:11: 'expose' must be a list, not a value");
    auto port = repo_error("name: x\nlanguage: rust\nimage:\n  expose: [80800]\n");
    CHECK(port.message == "rcd.yaml:4:12: 'expose': bad port '80800'");
    auto skip = repo_error("name: x\nlanguage: rust\nstages:\n  fmt: {skip: maybe}\n");
    CHECK(skip.message == "rcd.yaml:4:15: 'skip' must be true or false");
}

TEST_CASE("a bad timeout asks for a unit") {
    auto e = repo_error("name: x\nlanguage: rust\nstages:\n  test: {timeout: 90}\n");
    CHECK(e.message == "rcd.yaml:4:19: 'timeout' is not a duration: '90'");
    CHECK(e.hint == "use a number with a unit, like 90s, 10m or 1h");
}

TEST_CASE("run given as a string is rejected with the list form as a hint") {
    auto e = pipeline_error("language: rust\nstages:\n  - name: fmt\n    run: cargo fmt --check\n");
    CHECK(e.message == "rust.yaml:4:10: 'run' must be a list of arguments, not a string");
    CHECK(e.hint == "rcd runs commands without a shell: write run: [cargo, fmt, --check]");
}

TEST_CASE("a pipeline reads every stage field") {
    auto pipeline = parse_pipeline(kPipeline, "rust.yaml");
    REQUIRE(pipeline);
    CHECK(pipeline->language == "rust");
    CHECK(pipeline->detect == std::vector<std::string>{"Cargo.toml"});
    REQUIRE(pipeline->stages.size() == 3);
    const Stage& clippy = pipeline->stages[1];
    CHECK(clippy.cook == "clippy");
    CHECK(clippy.timeout == std::chrono::minutes(10));
    CHECK(clippy.location.str() == "rust.yaml:6:5");
    const Stage& build = pipeline->stages[2];
    CHECK(build.phase == Phase::build);
    CHECK(build.needs == std::vector<std::string>{"fmt", "clippy"});
    CHECK(build.produces == "binary");
}

TEST_CASE("pipeline mistakes each have their own message") {
    auto no_run = pipeline_error("language: rust\nstages:\n  - name: fmt\n");
    CHECK(no_run.message == "rust.yaml:3:5: stage 'fmt' is missing its 'run'");
    auto no_name = pipeline_error("language: rust\nstages:\n  - run: [true]\n");
    CHECK(no_name.message == "rust.yaml:3:5: a stage is missing its 'name'");
    auto bad_when = pipeline_error(
        "language: rust\nstages:\n  - name: d\n    run: [x]\n    when: has_libary\n");
    CHECK(bad_when.message == "rust.yaml:5:11: unknown when 'has_libary'");
    CHECK(bad_when.hint == "did you mean 'has_library'?");
    auto bad_phase =
        pipeline_error("language: rust\nstages:\n  - name: d\n    run: [x]\n    phase: deploy\n");
    CHECK(bad_phase.message == "rust.yaml:5:12: unknown phase 'deploy'");
}

TEST_CASE("duplicate stage names, unknown needs and cycles are reported") {
    auto duplicate = pipeline_error(
        "language: rust\nstages:\n  - {name: a, run: [x]}\n  - {name: a, run: [y]}\n");
    CHECK(duplicate.message ==
          "rust.yaml:4:5: duplicate stage name 'a' (first defined at rust.yaml:3:5)");
    auto unknown = pipeline_error("language: rust\nstages:\n  - {name: test, run: [x]}\n  - {name: "
                                  "b, run: [y], needs: [tset]}\n");
    CHECK(unknown.message == "rust.yaml:4:5: stage 'b' needs 'tset', which is not a stage");
    CHECK(unknown.hint == "did you mean 'test'?");
    auto cycle = pipeline_error("language: rust\nstages:\n  - {name: a, run: [x], needs: [c]}\n"
                                "  - {name: b, run: [y], needs: [a]}\n"
                                "  - {name: c, run: [z], needs: [b]}\n");
    CHECK(cycle.message == "rust.yaml:3:5: 'needs' forms a cycle: a -> c -> b -> a");
}

TEST_CASE("rcd.yaml's stage entries merge into the pipeline by name") {
    auto pipeline = parse_pipeline(kPipeline, "rust.yaml");
    REQUIRE(pipeline);
    auto config = parse_repo_config(R"(name: x
language: rust
stages:
  clippy: {args: [--, -A, clippy::needless_return], env: {A: b}}
  fmt: {skip: true}
  audit: {run: [cargo, audit]}
)",
                                    "rcd.yaml");
    REQUIRE(config);
    auto merged = apply_overrides(*pipeline, config->stages);
    REQUIRE(merged);
    const Stage* clippy = merged->find("clippy");
    REQUIRE(clippy);
    CHECK(clippy->run == std::vector<std::string>{"cargo", "clippy", "--", "-D", "warnings"});
    CHECK(clippy->argv().back() == "clippy::needless_return");
    CHECK(clippy->env.at("A") == "b");
    CHECK(clippy->cook == "clippy"); // untouched fields stay
    CHECK(merged->find("fmt")->skip);
    REQUIRE(merged->find("audit"));
    CHECK(merged->stages.back().name == "audit");
}

TEST_CASE("a stage entry for a stage the pipeline lacks is an error with a suggestion") {
    auto pipeline = parse_pipeline(kPipeline, "rust.yaml");
    REQUIRE(pipeline);
    auto config =
        parse_repo_config("name: x\nlanguage: rust\nstages:\n  clipy: {args: [-q]}\n", "rcd.yaml");
    REQUIRE(config);
    auto merged = apply_overrides(*pipeline, config->stages);
    REQUIRE_FALSE(merged);
    CHECK(merged.error().message == "rcd.yaml:4:3: no stage named 'clipy' in the rust pipeline");
    CHECK(merged.error().hint == "did you mean 'clippy'?");
}

TEST_CASE("overrides that create a cycle are caught after merging") {
    auto pipeline = parse_pipeline(kPipeline, "rust.yaml");
    REQUIRE(pipeline);
    auto config = parse_repo_config("name: x\nlanguage: rust\nstages:\n  fmt: {needs: [build]}\n",
                                    "rcd.yaml");
    REQUIRE(config);
    auto merged = apply_overrides(*pipeline, config->stages);
    REQUIRE_FALSE(merged);
    CHECK(merged.error().message.find("'needs' forms a cycle: fmt -> build -> fmt") !=
          std::string::npos);
}

TEST_CASE("a missing rcd.yaml points at rcd init") {
    auto config = load_repo_config("/nonexistent/dir/rcd.yaml");
    REQUIRE_FALSE(config);
    CHECK(config.error().code == ExitCode::usage);
    CHECK(config.error().message == "no rcd.yaml found at /nonexistent/dir/rcd.yaml");
    CHECK(config.error().hint.find("rcd init") != std::string::npos);
}

TEST_CASE("image.files sources stay inside the repository") {
    for (const char* src : {"/etc/shadow", "../secrets", "config/../../x", "''"}) {
        INFO(src);
        auto config = parse_repo_config(
            fmt::format(
                "name: x\nlanguage: rust\nimage:\n  files:\n    - {{src: {}, dst: /etc/x}}\n", src),
            "rcd.yaml");
        REQUIRE_FALSE(config);
        CHECK(config.error().code == ExitCode::usage);
        CHECK(config.error().message.find("rcd.yaml:5") != std::string::npos);
        CHECK(config.error().message.find("inside the repository") != std::string::npos);
    }
    CHECK(parse_repo_config(
        "name: x\nlanguage: rust\nimage:\n  files:\n    - {src: config/app.toml, dst: /etc/x}\n",
        "rcd.yaml"));
}

TEST_CASE("the image's SBOM and provenance are on unless rcd.yaml turns them off") {
    auto on = parse_repo_config("name: a\nlanguage: rust\n", "rcd.yaml");
    REQUIRE(on);
    CHECK(on->image.sbom);
    CHECK(on->image.provenance);
    auto off = parse_repo_config(
        "name: a\nlanguage: rust\nimage: {sbom: false, provenance: false}\n", "rcd.yaml");
    REQUIRE(off);
    CHECK_FALSE(off->image.sbom);
    CHECK_FALSE(off->image.provenance);
    auto bad = repo_error("name: a\nlanguage: rust\nimage: {sbom: maybe}\n");
    CHECK_THAT(bad.message, Catch::Contains("rcd.yaml:3"));
}

TEST_CASE("bench: true turns the stage on with its defaults; the map form sets each field") {
    auto off = parse_repo_config("name: x\nlanguage: rust\n", "rcd.yaml");
    REQUIRE(off);
    CHECK_FALSE(off->bench.enabled);
    auto on = parse_repo_config("name: x\nlanguage: rust\nbench: true\n", "rcd.yaml");
    REQUIRE(on);
    CHECK(on->bench.enabled);
    CHECK(on->bench.fail_on == "slower");
    CHECK(on->bench.min_effect == Approx(0.05));
    CHECK(on->bench.rounds == 3);
    auto full = parse_repo_config(R"(name: x
language: rust
bench:
  fail_on: never
  min_effect: 7.5%
  rounds: 5
  allow: {route: 15%, "group/fast": 20}
)",
                                  "rcd.yaml");
    REQUIRE(full);
    CHECK(full->bench.enabled);
    CHECK(full->bench.fail_on == "never");
    CHECK(full->bench.min_effect == Approx(0.075));
    CHECK(full->bench.rounds == 5);
    CHECK(full->bench.allow.at("route") == Approx(0.15));
    CHECK(full->bench.allow.at("group/fast") == Approx(0.20));
    auto disabled = parse_repo_config("name: x\nlanguage: rust\nbench: {enabled: false}\n", "r");
    REQUIRE(disabled);
    CHECK_FALSE(disabled->bench.enabled);
}

TEST_CASE("bench settings that make no sense name their line") {
    auto e = repo_error("name: x\nlanguage: rust\nbench:\n  fail_on: sometimes\n");
    CHECK(e.message == "rcd.yaml:4:12: unknown fail_on 'sometimes'");
    CHECK(e.hint == "'fail_on' may be: slower, never");
    e = repo_error("name: x\nlanguage: rust\nbench:\n  rounds: 2\n");
    CHECK(e.message == "rcd.yaml:4:11: 'rounds': '2' is not 3 to 20");
    e = repo_error("name: x\nlanguage: rust\nbench:\n  min_effect: lots\n");
    CHECK(e.message == "rcd.yaml:4:15: 'min_effect': 'lots' is not a percentage");
    e = repo_error("name: x\nlanguage: rust\nbench:\n  allow: {route: -3%}\n");
    CHECK(e.message.starts_with("rcd.yaml:4:18: 'route': '-3%' is not a percentage"));
    e = repo_error("name: x\nlanguage: rust\nbench:\n  roundz: 3\n");
    CHECK(e.hint == "did you mean 'rounds'?");
    e = repo_error("name: x\nlanguage: rust\nbench: maybe\n");
    CHECK(e.message == "rcd.yaml:3:8: 'bench' must be true or false");
}

TEST_CASE("a stage's cache and image.binary are read, for language: generic") {
    auto config = parse_repo_config(R"(name: hello-c
language: generic
image: {binary: build/hello-c}
stages:
  build:
    run: [cmake, --build, build]
    cache: {paths: [build/_deps, .ccache], key: [CMakeLists.txt]}
    produces: binary
)",
                                    "rcd.yaml");
    REQUIRE(config);
    CHECK(config->image.binary == "build/hello-c");
    REQUIRE(config->stages.size() == 1);
    REQUIRE(config->stages[0].cache);
    CHECK(config->stages[0].cache->paths == std::vector<std::string>{"build/_deps", ".ccache"});
    CHECK(config->stages[0].cache->key == std::vector<std::string>{"CMakeLists.txt"});
    auto pipeline = parse_pipeline("language: generic\nstages: []\n", "generic.yaml");
    REQUIRE(pipeline);
    auto merged = apply_overrides(*pipeline, config->stages);
    REQUIRE(merged);
    CHECK(merged->stages[0].cache_profile() == "build"); // a stage's cache is its own profile
    merged->stages[0].cook = "go";
    CHECK(merged->stages[0].cache_profile() == "go");
}

TEST_CASE("cache paths and image.binary stay inside the repository, with their position") {
    auto bad = [](const std::string& yaml) {
        auto config = parse_repo_config(yaml, "rcd.yaml");
        REQUIRE_FALSE(config);
        CHECK(config.error().code == ExitCode::usage);
        return config.error().message;
    };
    const std::string head = "name: x\nlanguage: generic\n";
    CHECK(bad(head + "image: {binary: /usr/bin/x}\n")
              .starts_with("rcd.yaml:3:17: 'image.binary' "
                           "must be a path inside"));
    CHECK(bad(head + "stages:\n  b: {run: [x], cache: {paths: [../up]}}\n")
              .starts_with("rcd.yaml:4:33: each of 'cache.paths' must be a path inside"));
    CHECK(bad(head + "stages:\n  b: {run: [x], cache: {paths: [a], key: [/etc/x]}}\n")
              .find("each of 'cache.key'") != std::string::npos);
    CHECK(
        bad(head + "stages:\n  b: {run: [x], cache: {key: [a]}}\n").find("'cache' needs 'paths'") !=
        std::string::npos);
    CHECK(bad(head + "stages:\n  b: {run: [x], cache: {paths: []}}\n")
              .find("'cache.paths' is empty") != std::string::npos);
    CHECK(bad(head + "stages:\n  b: {run: [x], cache: {paths: [a], keys: [b]}}\n").find("keys") !=
          std::string::npos);
}
