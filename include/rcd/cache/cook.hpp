// Cooking: building a profile's dependencies from the recipe's skeleton.
#pragma once

#include "rcd/cache/key.hpp"
#include "rcd/cache/recipe.hpp"
#include "rcd/exec/process.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::cache {

// The dependency units a cargo run reported (compiler-artifact and build-script-executed
// messages of packages that are not local paths): per profile directory relative to the target
// directory ("release", "debug", "<triple>/release"), the units' metadata hashes.
using DependencyUnits = std::map<std::string, std::set<std::string>>;

DependencyUnits parse_dependency_units(std::string_view cargo_json,
                                       const std::filesystem::path& target_dir);

// Every file and directory of those units, relative to the target directory, sorted:
// deps/*-<hash>.*, build/*-<hash>, .fingerprint/*-<hash>.
std::vector<std::string> dependency_paths(const DependencyUnits& units,
                                          const std::filesystem::path& target_dir);

// The build scripts and proc macros among those units, relative to the target directory:
// programs only cargo and rustc run, whose debug info nobody reads. In the debug profiles they
// are half of what a cache archive holds, most of it debug info.
std::vector<std::string> parse_host_tools(std::string_view cargo_json,
                                          const std::filesystem::path& target_dir);

// Copies of `files` (relative to `target_dir`) without their debug info, written into `scratch`
// by `objcopy --strip-debug`, as pack_tree's `content`: what a cache archive stores in their
// place. They run as before: cargo strips them the same way in release. A file objcopy cannot
// make smaller (already stripped, not ELF, no objcopy on the machine) keeps its own bytes.
std::map<std::string, std::filesystem::path>
strip_debug_copies(const std::filesystem::path& target_dir, const std::vector<std::string>& files,
                   const std::filesystem::path& scratch);

struct Cooked {
    std::string output;                  // cargo's, merged, of every command
    std::vector<std::string> paths;      // the compiled dependencies: what to archive
    std::vector<std::string> host_tools; // of which build scripts and proc macros
};

// Writes the skeleton into `scratch`, runs `commands` there one after another (stopping at the
// first that fails) with the project's target directory, then purges the workspace's own
// crates from it (see purge_members). Cargo's output goes to `log`. A signal on
// `interrupt_fd` stops cargo (an `interrupted` error).
Result<Cooked> cook(const Recipe& recipe, const cargo::Workspace& workspace,
                    const std::vector<CookCommand>& commands, const std::filesystem::path& scratch,
                    const std::filesystem::path& log, int interrupt_fd = -1);

// Removes every artifact and fingerprint of the workspace's own packages and targets from
// every profile directory under `target_dir`, so a later build can never reuse something
// compiled from a dummy source, whatever the order of mtimes (the stale-binary trap).
// Returns how many files and directories were removed.
Result<std::size_t> purge_members(const cargo::Workspace& workspace,
                                  const std::filesystem::path& target_dir);

} // namespace rcd::cache
