// Reading rcd.yaml and pipeline files: strict, with file:line:column in every error.
#pragma once

#include "rcd/pipeline/model.hpp"
#include "rcd/util/result.hpp"

#include <filesystem>
#include <string_view>

namespace rcd::pipeline {

Result<RepoConfig> parse_repo_config(std::string_view text, const std::string& file);
Result<RepoConfig> load_repo_config(const std::filesystem::path& file);

Result<Pipeline> parse_pipeline(std::string_view text, const std::string& file);

// Applies rcd.yaml's stage entries to the pipeline, by stage name, and validates the result.
Result<Pipeline> apply_overrides(Pipeline pipeline, const std::vector<StageOverride>& overrides);

} // namespace rcd::pipeline
