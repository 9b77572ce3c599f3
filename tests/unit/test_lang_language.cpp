#include "rcd/lang/language.hpp"
#include "rcd/pipeline/loader.hpp"
#include "rcd/util/fs.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace rcd;

namespace {
// A repository on `language` whose rcd.yaml is `yaml`, opened as rcd opens it.
std::shared_ptr<const lang::Language>
open_in(const std::filesystem::path& dir, const std::string& language, const std::string& yaml) {
    auto config = pipeline::parse_repo_config(yaml, "rcd.yaml");
    REQUIRE(config);
    auto base = pipeline::parse_pipeline("language: " + language + "\nstages: []\n", "p.yaml");
    REQUIRE(base);
    auto merged = pipeline::apply_overrides(*base, config->stages);
    REQUIRE(merged);
    auto opened = lang::open_language(language, dir, *config, *merged);
    REQUIRE(opened);
    return *opened;
}

const char* kGeneric = R"(name: app
language: generic
stages:
  build:
    run: [make, "CC=${dir}/cc"]
    env: {OUT: "${target_dir}/out"}
    cache: {paths: [.deps], key: [deps.lock]}
)";
} // namespace

TEST_CASE("a language without hooks of its own is generic, under its own name") {
    test::TempDir dir;
    auto zig = open_in(dir.path, "zig", "name: app\nlanguage: zig\n");
    CHECK(zig->name() == "zig");
    CHECK(zig->target_dir() == dir / "target");
    CHECK_FALSE(zig->conditions().has_library);
    auto located = zig->locate_binary(nullptr, "app");
    REQUIRE_FALSE(located);
    CHECK(located.error().code == ExitCode::usage);
    CHECK(located.error().message.find("needs image.binary") != std::string::npos);
    CHECK(lang::known_languages() == std::vector<std::string>{"rust", "go", "generic"});
}

TEST_CASE("generic: the shipped file's ELF header gives the image's platform") {
    test::TempDir dir;
    auto generic = open_in(dir.path, "generic", kGeneric);
    const std::filesystem::path true_binary = "/bin/true";
    auto target = generic->planned_target(nullptr, &true_binary);
    REQUIRE(target);
    CHECK(target->platform == image::Platform{"linux", "amd64", ""});
    auto graph = generic->dependencies(target->name, "app");
    REQUIRE(graph);
    CHECK(graph->ecosystem == "generic");
    REQUIRE(graph->packages.size() == 1);
    CHECK(graph->packages[0].name == "app");
}

TEST_CASE("generic: a stage's cache is keyed by its key files, the same for a clone elsewhere") {
    test::TempDir a;
    test::TempDir b;
    for (const auto* dir : {&a, &b})
        REQUIRE(util::write_file_atomic(*dir / "deps.lock", "zlib 1.3\n"));
    auto key_in = [&](const test::TempDir& dir) {
        auto generic = open_in(dir.path, "generic", kGeneric);
        // The request as the run makes it: expanded, so it names this clone's directories.
        auto planner = generic->open_cache(
            {{"build",
              {"make", "CC=" + (dir / "cc").string()},
              {{"OUT", (dir / "target/out").string()}, {"CARGO_TERM_COLOR", "never"}}}},
            cache::LocalStore(dir / "store"));
        REQUIRE(planner);
        REQUIRE(*planner);
        REQUIRE((*planner)->profiles().size() == 1);
        const auto& profile = (*planner)->profiles()[0];
        CHECK(profile.paths == std::vector<std::string>{".deps"});
        CHECK(profile.root == dir.path);
        return profile.key;
    };
    const auto key = key_in(a);
    CHECK(key_in(b) == key);
    REQUIRE(util::write_file_atomic(b / "deps.lock", "zlib 1.3.1\n"));
    CHECK(key_in(b) != key);
    // A stage without `cache:` asks for nothing.
    auto generic = open_in(a.path, "generic", "name: app\nlanguage: generic\n");
    auto none = generic->open_cache({{"build", {"make"}, {}}}, cache::LocalStore(a / "store"));
    REQUIRE(none);
    CHECK_FALSE(*none);
}

TEST_CASE("rcd init's name: Go's one command, else its module's last element") {
    test::TempDir dir;
    REQUIRE(util::write_file_atomic(dir / "go.mod", "module example.com/team/orders\n\ngo 1.19\n"));
    CHECK(lang::suggest_name("go", dir.path).value() == "orders");
    std::filesystem::create_directories(dir / "cmd" / "orders-api");
    CHECK(lang::suggest_name("go", dir.path).value() == "orders-api");
    std::filesystem::create_directories(dir / "cmd" / "orders-worker");
    auto several = lang::suggest_name("go", dir.path);
    REQUIRE_FALSE(several);
    CHECK(several.error().message.find("orders-api, orders-worker") != std::string::npos);
    CHECK(lang::suggest_name("generic", dir.path).value() == std::nullopt);
}

TEST_CASE("doctor checks each language's own tools") {
    auto names = [](const std::string& language) {
        std::vector<std::string> out;
        for (const auto& check : lang::toolchain_checks(language))
            out.push_back(check.name);
        return out;
    };
    CHECK(names("rust") == std::vector<std::string>{"cargo", "rustfmt", "clippy"});
    CHECK(names("go") == std::vector<std::string>{"go", "gofmt"});
    CHECK(names("generic").empty());
}
