#include "rcd/cache/key.hpp"

#include <catch2/catch.hpp>

using namespace rcd::cache;

namespace {
KeyInput input() {
    KeyInput in;
    in.recipe_hash = "abc";
    in.rustc_version = "rustc 1.95.0\nhost: x86_64-unknown-linux-gnu";
    in.cargo_version = "cargo 1.95.0";
    in.target_triple = "x86_64-unknown-linux-gnu";
    in.profile = "release";
    in.commands = {{{"cargo", "build", "--workspace", "--release", "--locked"},
                    {{"HOME", "/root"}, {"RUSTFLAGS", "-C target-feature=+crt-static"}}}};
    return in;
}
} // namespace

TEST_CASE("the key changes with each input that changes compiled output") {
    const std::string base = cache_key(input());
    CHECK(cache_key(input()) == base);
    auto recipe = input();
    recipe.recipe_hash = "abd";
    CHECK(cache_key(recipe) != base);
    auto rustc = input();
    rustc.rustc_version = "rustc 1.96.0";
    CHECK(cache_key(rustc) != base);
    auto profile = input();
    profile.profile = "test";
    CHECK(cache_key(profile) != base);
    auto args = input();
    args.commands[0].argv.push_back("--features=x");
    CHECK(cache_key(args) != base);
    auto flags = input();
    flags.commands[0].env["RUSTFLAGS"] = "";
    CHECK(cache_key(flags) != base);
    auto profile_env = input();
    profile_env.commands[0].env["CARGO_PROFILE_RELEASE_LTO"] = "true";
    CHECK(cache_key(profile_env) != base);
}

TEST_CASE("a profile cooked by several commands has a key over each, in order") {
    auto one = input();
    auto two = input();
    two.commands.push_back({{"cargo", "test", "--no-run"}, {{"HOME", "/root"}}});
    CHECK(cache_key(two) != cache_key(one));
    auto swapped = two;
    std::swap(swapped.commands[0], swapped.commands[1]);
    CHECK(cache_key(swapped) != cache_key(two));
    // The second command's own environment counts, not only the first's.
    auto env = two;
    env.commands[1].env["RUSTFLAGS"] = "-C debuginfo=0";
    CHECK(cache_key(env) != cache_key(two));
    // Where one command's arguments end and the next begin is part of the key.
    auto merged = input();
    merged.commands[0].argv.insert(merged.commands[0].argv.end(),
                                   {"args", "cargo", "test", "--no-run"});
    CHECK(cache_key(merged) != cache_key(two));
}

TEST_CASE("unrelated environment and the target directory's place do not change the key") {
    const std::string base = cache_key(input());
    auto env = input();
    env.commands[0].env["HOME"] = "/home/someone";
    env.commands[0].env["CARGO_TARGET_DIR"] = "/elsewhere";
    env.commands[0].env["PATH"] = "/x";
    CHECK(cache_key(env) == base);
}

TEST_CASE("the cook command is the stage's cargo part, with --no-run for tests") {
    CHECK(cook_command({"cargo", "clippy", "--workspace", "--all-targets", "--locked", "--", "-D",
                        "warnings"}) ==
          std::vector<std::string>{"cargo", "clippy", "--workspace", "--all-targets", "--locked"});
    CHECK(cook_command({"cargo", "test", "--workspace", "--doc", "--locked"}) ==
          std::vector<std::string>{"cargo", "test", "--workspace", "--locked", "--no-run"});
    CHECK(cook_command({"cargo", "+nightly", "test", "--workspace"}) ==
          std::vector<std::string>{"cargo", "+nightly", "test", "--workspace", "--no-run"});
    CHECK(cook_command({"cargo", "test", "--no-run"}) ==
          std::vector<std::string>{"cargo", "test", "--no-run"});
    CHECK(cook_command({"cargo", "build", "--release"}) ==
          std::vector<std::string>{"cargo", "build", "--release"});
    // Only the subcommand decides: a package called "test" is not a test run.
    CHECK(cook_command({"cargo", "build", "-p", "test"}) ==
          std::vector<std::string>{"cargo", "build", "-p", "test"});
}

TEST_CASE("how cargo reports is not part of the cook command") {
    CHECK(cook_command({"cargo", "build", "--release", "--message-format=json"}) ==
          std::vector<std::string>{"cargo", "build", "--release"});
}
