#include "rcd/ops/cache.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

using namespace rcd;

namespace {
ops::Project project_on(const std::string& registry) {
    ops::Project project{"/work/app", {}, {}, fail(ExitCode::repository, "none"), {}, {}, {}};
    project.config.name = "app";
    project.config.registry = registry;
    return project;
}
} // namespace

TEST_CASE("the dependency cache has a repository of its own beside the image's") {
    ::unsetenv("RCD_CACHE_REPOSITORY");
    ::unsetenv("RCD_REGISTRY");
    ops::PublishOptions options;
    auto project = project_on("reg.example:5000/team");
    CHECK(ops::cache_repository(project, options) == "reg.example:5000/team/app-cache");

    // rcd.yaml's cache.repository: a path is on the image's registry; a full name stands.
    project.config.cache.repository = "team/caches/app";
    CHECK(ops::cache_repository(project, options) == "reg.example:5000/team/caches/app");
    project.config.cache.repository = "other.example/ci/app-cache";
    CHECK(ops::cache_repository(project, options) == "other.example/ci/app-cache");

    // RCD_CACHE_REPOSITORY wins over rcd.yaml.
    ::setenv("RCD_CACHE_REPOSITORY", "env.example/from-env", 1);
    CHECK(ops::cache_repository(project, options) == "env.example/from-env");
    ::setenv("RCD_CACHE_REPOSITORY", "env.example/x:latest", 1);
    auto tagged = ops::cache_repository(project, options);
    REQUIRE_FALSE(tagged);
    CHECK(tagged.error().code == ExitCode::usage);
    ::unsetenv("RCD_CACHE_REPOSITORY");
}
