// The Rust toolchain in front of a directory, as `rustc -vV` and `cargo -V` describe it.
#pragma once

#include "rcd/util/result.hpp"

#include <filesystem>
#include <string>

namespace rcd::cargo {

struct Toolchain {
    std::string rustc; // `rustc -vV`
    std::string cargo; // `cargo -V`
    std::string host;  // the host triple, from `rustc -vV`

    std::string id() const; // a short hash of both versions: partial restores need the same
};

// The `host:` line of `rustc -vV`, or "" without one.
std::string host_triple(const std::string& rustc_version);

// Runs `rustc -vV` and `cargo -V` in `dir`, so rust-toolchain files apply.
Result<Toolchain> probe_toolchain(const std::filesystem::path& dir);

} // namespace rcd::cargo
