// What cargo's configuration says about how the release binary will be linked, read the way
// cargo reads it: CARGO_ENCODED_RUSTFLAGS, RUSTFLAGS, then `.cargo/config.toml` in the
// directory and each parent, then $CARGO_HOME/config.toml.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace rcd::cargo {

// true: static (`-C target-feature=+crt-static`, or a musl target); false: linked against the
// C library at run time; nothing when a `cfg(...)` table makes it impossible to tell.
// `env` is the environment cargo would run with, `host` rustc's host triple.
std::optional<bool> links_statically(const std::filesystem::path& dir, const std::string& host,
                                     const std::map<std::string, std::string>& env);

} // namespace rcd::cargo
