// Cooking: building a profile's dependencies from the recipe's skeleton.
#pragma once

#include "rcd/cache/recipe.hpp"
#include "rcd/exec/process.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace rcd::cache {

// Writes the skeleton into `scratch`, runs `command` there with the project's target
// directory, then purges the workspace's own crates from it (see purge_members).
Result<exec::Captured> cook(const Recipe& recipe, const cargo::Workspace& workspace,
                            const std::vector<std::string>& command,
                            const std::map<std::string, std::string>& env,
                            const std::filesystem::path& scratch);

// Removes every artifact and fingerprint of the workspace's own packages and targets from
// every profile directory under `target_dir`, so a later build can never reuse something
// compiled from a dummy source, whatever the order of mtimes (the stale-binary trap).
// Returns how many files and directories were removed.
Result<std::size_t> purge_members(const cargo::Workspace& workspace,
                                  const std::filesystem::path& target_dir);

} // namespace rcd::cache
