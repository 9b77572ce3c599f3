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
    in.cargo_args = {"cargo", "build", "--workspace", "--release", "--locked"};
    in.environment = {{"HOME", "/root"}, {"RUSTFLAGS", "-C target-feature=+crt-static"}};
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
    args.cargo_args.push_back("--features=x");
    CHECK(cache_key(args) != base);
    auto flags = input();
    flags.environment["RUSTFLAGS"] = "";
    CHECK(cache_key(flags) != base);
    auto profile_env = input();
    profile_env.environment["CARGO_PROFILE_RELEASE_LTO"] = "true";
    CHECK(cache_key(profile_env) != base);
}

TEST_CASE("unrelated environment and the target directory's place do not change the key") {
    const std::string base = cache_key(input());
    auto env = input();
    env.environment["HOME"] = "/home/someone";
    env.environment["CARGO_TARGET_DIR"] = "/elsewhere";
    env.environment["PATH"] = "/x";
    CHECK(cache_key(env) == base);
}

TEST_CASE("the cook command is the stage's cargo part, with --no-run for tests") {
    CHECK(cook_command({"cargo", "clippy", "--workspace", "--all-targets", "--locked", "--", "-D",
                        "warnings"},
                       "clippy") ==
          std::vector<std::string>{"cargo", "clippy", "--workspace", "--all-targets", "--locked"});
    CHECK(cook_command({"cargo", "test", "--workspace", "--doc", "--locked"}, "test") ==
          std::vector<std::string>{"cargo", "test", "--workspace", "--locked", "--no-run"});
    CHECK(cook_command({"cargo", "build", "--release"}, "release") ==
          std::vector<std::string>{"cargo", "build", "--release"});
}

TEST_CASE("how cargo reports is not part of the cook command") {
    CHECK(cook_command({"cargo", "build", "--release", "--message-format=json"}, "release") ==
          std::vector<std::string>{"cargo", "build", "--release"});
}
