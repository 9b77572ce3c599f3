// The workspace as `cargo metadata --no-deps` describes it.
#pragma once

#include "rcd/util/result.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::cargo {

struct Target {
    std::string name;
    std::vector<std::string> kind; // "lib", "bin", "proc-macro", "test", "example", ...
    std::filesystem::path src_path;

    bool has_kind(std::string_view k) const;
    bool is_library() const; // of any crate type: what `cargo test --doc` can test
};

struct Package {
    std::string name;
    std::string version;
    std::filesystem::path manifest_path;
    std::vector<Target> targets;
};

struct Workspace {
    std::filesystem::path root;
    std::filesystem::path target_directory;
    std::vector<Package> members;

    bool has_library() const; // some member has a library target
};

// Parses the JSON document of `cargo metadata --no-deps --format-version 1`.
Result<Workspace> parse_metadata(std::string_view json);

// Runs cargo metadata in `dir`.
Result<Workspace> read_workspace(const std::filesystem::path& dir);

} // namespace rcd::cargo
