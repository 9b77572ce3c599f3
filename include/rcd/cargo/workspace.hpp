// The workspace as `cargo metadata --no-deps` describes it.
#pragma once

#include "rcd/cargo/toolchain.hpp"
#include "rcd/util/result.hpp"

#include <filesystem>
#include <future>
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
    // rustc's and cargo's versions, probed by read_workspace while `cargo metadata` runs.
    std::shared_future<Result<Toolchain>> probed;

    bool has_library() const; // some member has a library target
    bool has_benches() const; // some member has a bench target (`cargo bench` runs it)
    // The probe's answer; a Workspace made otherwise probes in `root` now.
    Result<Toolchain> toolchain() const;
};

// Parses the JSON document of `cargo metadata --no-deps --format-version 1`.
Result<Workspace> parse_metadata(std::string_view json);

// The JSON document of `cargo metadata --format-version 1 ARGS...` in `dir`.
Result<std::string> run_metadata(const std::filesystem::path& dir,
                                 const std::vector<std::string>& args);

// Runs cargo metadata in `dir`, and beside it the toolchain probe.
Result<Workspace> read_workspace(const std::filesystem::path& dir);

} // namespace rcd::cargo
