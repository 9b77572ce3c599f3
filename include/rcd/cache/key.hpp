// Cache keys: one per cooked profile, a pure function of what changes compiled dependencies.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace rcd::cache {

// One cargo command a cook runs, and the environment it runs in (what its stage adds).
struct CookCommand {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;
    bool operator==(const CookCommand&) const = default;
};

struct KeyInput {
    std::string recipe_hash;
    std::string rustc_version; // `rustc -vV`, whole
    std::string cargo_version; // `cargo -V`
    std::string target_triple;
    std::string profile; // debug, release, ...
    // The cook's commands, in order; each environment whole (the key keeps what matters).
    std::vector<CookCommand> commands;
};

// The variables that change compiled output: RUSTFLAGS, CARGO_ENCODED_RUSTFLAGS, RUSTDOCFLAGS,
// CARGO_PROFILE_*, CARGO_BUILD_*, CARGO_TARGET_*, CC, CXX, CFLAGS, CXXFLAGS, LDFLAGS, AR, ...
std::map<std::string, std::string>
output_environment(const std::map<std::string, std::string>& env);

// sha256 hex over a canonical, line-based rendering of the input.
std::string cache_key(const KeyInput& input);

// The command that builds a stage's dependencies, from the stage's own cargo command: cargo's
// arguments up to `--` (without --message-format); `cargo test` gets `--no-run` (and loses
// `--doc`: doc tests compile nothing ahead of time).
std::vector<std::string> cook_command(const std::vector<std::string>& stage_argv);

} // namespace rcd::cache
