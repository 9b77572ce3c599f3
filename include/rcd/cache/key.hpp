// Cache keys: one per cooked profile, a pure function of what changes compiled dependencies.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace rcd::cache {

struct KeyInput {
    std::string recipe_hash;
    std::string rustc_version; // `rustc -vV`, whole
    std::string cargo_version; // `cargo -V`
    std::string target_triple;
    std::string profile;                            // clippy, test or release
    std::vector<std::string> cargo_args;            // the cook command's arguments
    std::map<std::string, std::string> environment; // all of it; the key keeps what matters
};

// The variables that change compiled output: RUSTFLAGS, CARGO_ENCODED_RUSTFLAGS, RUSTDOCFLAGS,
// CARGO_PROFILE_*, CARGO_BUILD_*, CARGO_TARGET_*, CC, CXX, CFLAGS, CXXFLAGS, LDFLAGS, AR, ...
std::map<std::string, std::string>
output_environment(const std::map<std::string, std::string>& env);

// sha256 hex over a canonical, line-based rendering of the input.
std::string cache_key(const KeyInput& input);

// The command that builds a profile's dependencies, from the stage's own cargo command:
// cargo's arguments up to `--` (without --message-format), and `--no-run` for tests.
std::vector<std::string> cook_command(const std::vector<std::string>& stage_argv,
                                      const std::string& profile);

} // namespace rcd::cache
