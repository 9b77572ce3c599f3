// Everything rcd knows about the repository in front of it, loaded once per run.
#pragma once

#include "rcd/cargo/workspace.hpp"
#include "rcd/git/repository.hpp"
#include "rcd/pipeline/model.hpp"
#include "rcd/util/result.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace rcd::release {

struct ProjectOptions {
    std::filesystem::path dir = ".";                  // -C
    std::optional<std::filesystem::path> config_file; // -f
    std::optional<std::filesystem::path> pipelines_dir;
};

struct Project {
    std::filesystem::path dir; // where stages run
    pipeline::RepoConfig config;
    pipeline::Pipeline pipeline;               // with rcd.yaml's stage entries applied
    Result<git::RepoState> repo;               // an error outside a git repository
    std::optional<cargo::Workspace> workspace; // when the directory holds a Cargo.toml
    std::filesystem::path target_dir;

    std::filesystem::path rcd_dir() const { return target_dir / "rcd"; }
};

Result<Project> load_project(const ProjectOptions& options);

// A line for the person running rcd (hidden by -q): waits, decisions, pushed blobs.
using Notify = std::function<void(const std::string&)>;

} // namespace rcd::release
