// Real cargo on the fixture crate: cooking, then the stale-binary trap.
#include "rcd/cache/cook.hpp"
#include "rcd/cache/key.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>

using namespace rcd;

namespace {
std::filesystem::path copy_fixture(const std::filesystem::path& dir) {
    std::filesystem::copy(RCD_SOURCE_DIR "/tests/fixtures/service", dir / "service",
                          std::filesystem::copy_options::recursive);
    return dir / "service";
}

// The workspace's recipe, as the planner builds it.
std::optional<cache::Recipe> recipe_of(const cargo::Workspace& workspace) {
    auto input = cache::read_recipe_input(workspace);
    REQUIRE(input);
    auto recipe = cache::build_recipe(*input);
    REQUIRE(recipe);
    return std::move(*recipe);
}

bool has_member_artifacts(const std::filesystem::path& target) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(target, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.starts_with("fixture-service") || name.starts_with("fixture_service") ||
            name.starts_with("libfixture_service"))
            return true;
    }
    return false;
}
} // namespace

TEST_CASE("cooking builds from the skeleton and leaves nothing of the workspace's own crates",
          "[cargo]") {
    test::TempDir scratch;
    auto repo = copy_fixture(scratch.path);
    auto workspace = cargo::read_workspace(repo);
    REQUIRE(workspace);
    auto recipe = recipe_of(*workspace);
    auto command = cache::cook_command({"cargo", "build", "--workspace", "--release", "--locked"});
    auto cooked = cache::cook(*recipe, *workspace, {{command, {{"CARGO_TERM_COLOR", "never"}}}},
                              repo / "target" / "rcd" / "cook", scratch.path / "cook.log");
    REQUIRE(cooked);
    CHECK(cooked->paths.empty()); // no external dependencies: nothing to cache
    CHECK(std::filesystem::exists(scratch.path / "cook.log"));
    CHECK(std::filesystem::exists(repo / "target" / "release" / ".fingerprint"));
    CHECK_FALSE(has_member_artifacts(repo / "target"));
    CHECK_FALSE(std::filesystem::exists(repo / "target" / "rcd" / "cook"));

    // The stale-binary trap: sources older than anything cooked must still be compiled.
    REQUIRE(std::system(("touch -d 2001-01-01 " + (repo / "src" / "main.rs").string() + " " +
                         (repo / "src" / "lib.rs").string())
                            .c_str()) == 0);
    std::string build = "cd " + repo.string() +
                        " && cargo build --release --locked -q 2>/dev/null && "
                        "./target/release/fixture-service > out.txt";
    REQUIRE(std::system(build.c_str()) == 0);
    std::ifstream out(repo / "out.txt");
    std::string line;
    std::getline(out, line);
    CHECK(line == "fixture-service 42");
}

TEST_CASE("a cook runs its commands in turn and stops at the first that fails", "[cargo]") {
    test::TempDir scratch;
    auto repo = copy_fixture(scratch.path);
    auto workspace = cargo::read_workspace(repo);
    REQUIRE(workspace);
    auto recipe = recipe_of(*workspace);
    const std::map<std::string, std::string> env = {{"CARGO_TERM_COLOR", "never"}};
    const auto log = scratch.path / "cook.log";
    auto cooked =
        cache::cook(*recipe, *workspace,
                    {{cache::cook_command({"cargo", "check", "--workspace", "--locked"}), env},
                     {cache::cook_command({"cargo", "test", "--workspace", "--locked"}), env}},
                    repo / "target" / "rcd" / "cook", log);
    REQUIRE(cooked);
    auto count = [](const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
            ++n;
        return n;
    };
    CHECK(count(cooked->output, "\"reason\":\"build-finished\"") == 2); // both ran
    std::ifstream saved(log);
    std::string text((std::istreambuf_iterator<char>(saved)), std::istreambuf_iterator<char>());
    CHECK(text == cooked->output);
    CHECK_FALSE(has_member_artifacts(repo / "target"));

    auto failed = cache::cook(*recipe, *workspace,
                              {{{"cargo", "check", "--workspace"}, env},
                               {{"cargo", "no-such-subcommand"}, env},
                               {{"cargo", "build", "--release"}, env}},
                              repo / "target" / "rcd" / "cook", log);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message.find("cargo no-such-subcommand exited with") != std::string::npos);
    CHECK(failed.error().hint.find(log.string()) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(repo / "target" / "release")); // the third never ran
    CHECK_FALSE(has_member_artifacts(repo / "target"));
}

TEST_CASE("purging keeps other crates' artifacts and removes hashed member ones only") {
    test::TempDir target_scratch;
    const std::filesystem::path& target = target_scratch.path;
    auto touch = [&](const std::string& path) {
        std::filesystem::create_directories((target / path).parent_path());
        std::ofstream(target / path) << "x";
    };
    touch("release/.fingerprint/app-0123456789abcdef/bin-app");
    touch("release/.fingerprint/app-core-0123456789abcdef/lib");
    touch("release/.fingerprint/serde-0123456789abcdef/lib");
    touch("release/deps/app-0123456789abcdef");
    touch("release/deps/libserde-0123456789abcdef.rlib");
    touch("release/app");
    touch("release/app.d");
    touch("debug/.fingerprint/app-0123456789abcdef/bin-app");
    touch("debug/incremental/app-1xksuavorq20b/s-h1-x/query-cache.bin"); // rustc's base 36
    touch("debug/incremental/app_core-2abcdefghij9z/s-h1-x/query-cache.bin");
    cargo::Workspace ws;
    ws.root = "/w";
    ws.members = {cargo::Package{
        "app", "0.1.0", "/w/Cargo.toml", {cargo::Target{"app", {"bin"}, "/w/src/main.rs"}}}};
    auto removed = cache::purge_members(ws, target);
    REQUIRE(removed);
    CHECK_FALSE(std::filesystem::exists(target / "release/.fingerprint/app-0123456789abcdef"));
    CHECK_FALSE(std::filesystem::exists(target / "release/deps/app-0123456789abcdef"));
    CHECK_FALSE(std::filesystem::exists(target / "release/app"));
    CHECK(std::filesystem::exists(target / "release/.fingerprint/app-core-0123456789abcdef"));
    CHECK(std::filesystem::exists(target / "release/.fingerprint/serde-0123456789abcdef"));
    CHECK(std::filesystem::exists(target / "release/deps/libserde-0123456789abcdef.rlib"));
    CHECK_FALSE(std::filesystem::exists(target / "debug/incremental/app-1xksuavorq20b"));
    CHECK(std::filesystem::exists(target / "debug/incremental/app_core-2abcdefghij9z"));
}

TEST_CASE("cargo's messages name the dependency units to cache, and never a local package") {
    test::TempDir dir;
    const auto t = dir.path / "target";
    const std::string json =
        R"({"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#hex@0.4.3","filenames":[")" +
        (t / "release/deps/libhex-83b88366958b18ac.rlib").string() + R"("]})" + "\n" +
        R"({"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#serde@1.0.152","filenames":[")" +
        (t / "release/build/serde-162fbfc1b5b59139/build-script-build").string() + R"("]})" +
        "\n   Compiling serde v1.0.152\n" +
        R"({"reason":"build-script-executed","package_id":"registry+https://github.com/rust-lang/crates.io-index#serde@1.0.152","out_dir":")" +
        (t / "release/build/serde-454a10c4c669646d/out").string() + R"("})" + "\n" +
        R"({"reason":"compiler-artifact","package_id":"path+file:///w#app@0.0.0","filenames":[")" +
        (t / "release/deps/libapp-0000000000000001.rlib").string() + R"("]})" + "\n" +
        R"({"reason":"compiler-artifact","package_id":"registry+x#out@1.0.0","filenames":["/elsewhere/deps/libout-0000000000000002.rlib"]})" +
        "\n{not json\n";
    auto units = cache::parse_dependency_units(json, t);
    REQUIRE(units.size() == 1);
    CHECK(units["release"] ==
          std::set<std::string>{"83b88366958b18ac", "162fbfc1b5b59139", "454a10c4c669646d"});

    auto touch = [&](const std::string& path) {
        std::filesystem::create_directories((t / path).parent_path());
        std::ofstream(t / path) << "x";
    };
    for (const char* file :
         {"release/deps/libhex-83b88366958b18ac.rlib", "release/deps/libhex-83b88366958b18ac.rmeta",
          "release/deps/hex-83b88366958b18ac.d", "release/deps/libhex-1111111111111111.rlib",
          "release/.fingerprint/hex-83b88366958b18ac/lib-hex",
          "release/.fingerprint/hex-1111111111111111/lib-hex",
          "release/build/serde-162fbfc1b5b59139/build-script-build",
          "release/build/serde-454a10c4c669646d/out/private.rs",
          "release/deps/libapp-0000000000000001.rlib"})
        touch(file);
    CHECK(cache::dependency_paths(units, t) ==
          std::vector<std::string>{
              "release/.fingerprint/hex-83b88366958b18ac", "release/build/serde-162fbfc1b5b59139",
              "release/build/serde-454a10c4c669646d", "release/deps/hex-83b88366958b18ac.d",
              "release/deps/libhex-83b88366958b18ac.rlib",
              "release/deps/libhex-83b88366958b18ac.rmeta"});
}

TEST_CASE("the build scripts and proc macros of dependencies are the host tools") {
    const std::filesystem::path t = "/w/target";
    auto artifact = [&](const std::string& id, const std::string& kind, const std::string& debug,
                        const std::string& file) {
        return R"({"reason":"compiler-artifact","package_id":")" + id + R"(","target":{"kind":[")" +
               kind + R"("]},"profile":{"debuginfo":)" + debug + R"(},"filenames":[")" +
               (t / file).string() + "\"]}\n";
    };
    const std::string json =
        artifact("registry+x#serde_derive@1", "proc-macro", "2",
                 "debug/deps/libserde_derive-0123456789abcdef.so") +
        artifact("registry+x#serde@1", "custom-build", "2",
                 "debug/build/serde-0123456789abcdef/build-script-build") +
        artifact("registry+x#tokio@1", "custom-build", R"("line-tables-only")",
                 "debug/build/tokio-0123456789abcdef/build-script-build") +
        artifact("registry+x#serde@1", "lib", "2", "debug/deps/libserde-0123456789abcdef.rlib") +
        artifact("registry+x#serde_derive@1", "proc-macro", "0",
                 "release/deps/libserde_derive-fedcba9876543210.so") +
        artifact("registry+x#libc@1", "custom-build", R"("none")",
                 "release/build/libc-fedcba9876543210/build-script-build") +
        artifact("path+file:///w#macros@0.1.0", "proc-macro", "2",
                 "debug/deps/libmacros-0000000000000001.so") +
        "   Compiling serde v1\n{not json\n";
    CHECK(cache::parse_host_tools(json, t) ==
          std::vector<std::string>{"debug/build/serde-0123456789abcdef/build-script-build",
                                   "debug/build/tokio-0123456789abcdef/build-script-build",
                                   "debug/deps/libserde_derive-0123456789abcdef.so",
                                   "release/build/libc-fedcba9876543210/build-script-build",
                                   "release/deps/libserde_derive-fedcba9876543210.so"});
}

TEST_CASE("a host tool's copy without debug info is smaller and still runs; others keep theirs") {
    test::TempDir dir;
    auto target = dir.path / "target";
    auto tool = target / "debug/build/s-0123456789abcdef/build-script-build";
    std::filesystem::create_directories(tool.parent_path());
    REQUIRE(
        std::system(("printf '#include <stdio.h>\\nint main(void){puts(\"cargo:rustc-cfg=x\");}' | "
                     "cc -g -x c - -o " +
                     tool.string())
                        .c_str()) == 0);
    std::filesystem::create_directories(target / "debug/deps");
    std::ofstream(target / "debug/deps/libnot_elf-0123456789abcdef.so") << "not an ELF file";
    auto copies = cache::strip_debug_copies(target,
                                            {"debug/build/s-0123456789abcdef/build-script-build",
                                             "debug/deps/libnot_elf-0123456789abcdef.so"},
                                            dir.path / "stripped");
    REQUIRE(copies.size() == 1);
    const auto& copy = copies.at("debug/build/s-0123456789abcdef/build-script-build");
    CHECK(std::filesystem::file_size(copy) < std::filesystem::file_size(tool));
    std::filesystem::permissions(copy, std::filesystem::perms::owner_exec,
                                 std::filesystem::perm_options::add);
    CHECK(std::system((copy.string() + " | grep -qx cargo:rustc-cfg=x").c_str()) == 0);
    CHECK(std::filesystem::file_size(target / "debug/deps/libnot_elf-0123456789abcdef.so") == 15);
}
