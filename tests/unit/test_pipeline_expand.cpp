#include "rcd/pipeline/expand.hpp"

#include <catch2/catch.hpp>

using namespace rcd;
using namespace rcd::pipeline;

namespace {
Result<std::optional<std::string>> lookup(const std::string& name) {
    if (name == "name")
        return std::optional<std::string>("hello-api");
    if (name == "commit")
        return fail(ExitCode::repository, "not a git repository", "run git init");
    return std::optional<std::string>{};
}
} // namespace

TEST_CASE("variables expand inside a word") {
    CHECK(expand("--bin=${name}", lookup) == "--bin=hello-api");
    CHECK(expand("${name}-${name}", lookup) == "hello-api-hello-api");
    CHECK(expand("plain", lookup) == "plain");
}

TEST_CASE("$${ is a literal ${") {
    CHECK(expand("$${name}", lookup) == "${name}");
}

TEST_CASE("an unknown variable is a configuration error listing the known ones") {
    auto r = expand("${nmae}", lookup);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ExitCode::usage);
    CHECK(r.error().message == "unknown variable '${nmae}' in '${nmae}'");
}

TEST_CASE("an unclosed ${ is an error") {
    auto r = expand("${name", lookup);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "unclosed '${' in '${name'");
}

TEST_CASE("a variable without a value here keeps its own exit code") {
    auto r = expand("${commit}", lookup);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ExitCode::repository);
}

TEST_CASE("a stage's run, args and env are expanded and the error names the stage") {
    Stage stage;
    stage.name = "build";
    stage.location = Location{"rust.yaml", 3, 5};
    stage.run = {"cargo", "build", "--bin", "${name}"};
    stage.args = {"--x=${name}"};
    stage.env = {{"APP", "${name}"}};
    auto out = expand_stage(stage, lookup);
    REQUIRE(out);
    CHECK(out->run.back() == "hello-api");
    CHECK(out->args.back() == "--x=hello-api");
    CHECK(out->env.at("APP") == "hello-api");

    stage.args = {"${bogus}"};
    auto bad = expand_stage(stage, lookup);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message ==
          "rust.yaml:3:5: stage 'build': unknown variable '${bogus}' in '${bogus}'");
}
