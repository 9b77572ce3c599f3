// The implementations behind lang::Language, one per language; open_language picks one.
#pragma once

#include "rcd/lang/language.hpp"

namespace rcd::lang::detail {

Result<std::shared_ptr<const Language>> open_rust(const std::filesystem::path& dir,
                                                  const pipeline::RepoConfig& config);
Result<std::shared_ptr<const Language>> open_go(const std::filesystem::path& dir,
                                                const pipeline::RepoConfig& config);
// Also any language rcd has no hooks for (a pipeline of one's own in .rcd/pipelines/).
Result<std::shared_ptr<const Language>> open_generic(const std::string& name,
                                                     const std::filesystem::path& dir,
                                                     const pipeline::RepoConfig& config,
                                                     const pipeline::Pipeline& pipeline);

Result<std::string> rust_name(const std::filesystem::path& dir); // for rcd init
Result<std::string> go_name(const std::filesystem::path& dir);

// <dir>/target, or CARGO_TARGET_DIR when set (rcd's state lives there for every language).
std::filesystem::path default_target_dir(const std::filesystem::path& dir);

// The value after `flag` in argv (`-o PATH` or `-o=PATH`), if any.
std::optional<std::string> flag_value(const std::vector<std::string>& argv,
                                      const std::string& flag);

} // namespace rcd::lang::detail
