// Where pipelines come from: --pipelines DIR, then .rcd/pipelines/ in the repository,
// then the ones compiled into rcd.
#pragma once

#include "rcd/pipeline/model.hpp"
#include "rcd/util/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rcd::pipeline {

struct PipelineSource {
    std::string language;
    std::string origin; // "built-in" or the file's path
    std::string text;
};

class Catalog {
  public:
    Catalog(std::filesystem::path repo_dir, std::optional<std::filesystem::path> pipelines_dir);

    std::vector<PipelineSource> list() const;
    Result<PipelineSource> find(const std::string& language) const;
    Result<Pipeline> load(const std::string& language) const;

  private:
    std::vector<std::filesystem::path> search_dirs() const;

    std::filesystem::path repo_dir_;
    std::optional<std::filesystem::path> pipelines_dir_;
};

// The pipelines/ folder of the project, compiled in: language -> YAML text.
const std::vector<std::pair<std::string, std::string>>& builtin_pipelines();

// The yaml-cpp version rcd was built with, for `rcd version`.
std::string yaml_library_version();

} // namespace rcd::pipeline
