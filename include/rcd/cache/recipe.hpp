// The recipe: what the dependency build depends on, and nothing else (cargo-chef's idea).
// A pure function of the manifests, the lockfile and cargo/toolchain configuration.
#pragma once

#include "rcd/cargo/workspace.hpp"
#include "rcd/util/result.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rcd::cache {

// Files as read from the workspace, keyed by '/'-separated path relative to its root.
struct RecipeInput {
    cargo::Workspace workspace;                      // members and targets from cargo metadata
    std::map<std::string, std::string> manifests;    // the root Cargo.toml and every member's
    std::optional<std::string> lockfile;             // Cargo.lock
    std::map<std::string, std::string> config_files; // .cargo/config(.toml), rust-toolchain(.toml)
};

struct SkeletonFile {
    std::string path; // relative to the workspace root
    std::string content;
};

struct Recipe {
    std::string text; // canonical: the same workspace state always gives the same bytes
    std::string hash; // sha256 hex of text
    // What cooking writes into a scratch directory: rewritten manifests, the masked lockfile,
    // the config files, and dummy sources for every target.
    std::vector<SkeletonFile> skeleton;
};

// Manifests are rewritten: every target made explicit (auto-discovery off), local package
// versions and path-dependency versions masked, [lints] and [workspace.lints] dropped.
// Cargo.lock entries without a source get the masked version too.
Result<Recipe> build_recipe(const RecipeInput& input);

// Reads the files build_recipe needs from the workspace on disk.
Result<RecipeInput> read_recipe_input(const cargo::Workspace& workspace);

inline constexpr const char* kMaskedVersion = "0.0.0";

} // namespace rcd::cache
