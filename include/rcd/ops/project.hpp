// Everything rcd knows about the repository in front of it, loaded once per run.
#pragma once

#include "rcd/cargo/workspace.hpp"
#include "rcd/exec/lock.hpp"
#include "rcd/git/repository.hpp"
#include "rcd/lang/language.hpp"
#include "rcd/pipeline/model.hpp"
#include "rcd/util/result.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace rcd::ops {

struct ProjectOptions {
    std::filesystem::path dir = ".";                  // -C
    std::optional<std::filesystem::path> config_file; // -f
    std::optional<std::filesystem::path> pipelines_dir;
};

struct Project {
    std::filesystem::path dir; // where stages run
    pipeline::RepoConfig config;
    pipeline::Pipeline pipeline; // with rcd.yaml's stage entries applied
    Result<git::RepoState> repo; // an error outside a git repository
    // The language's hooks (lang/): everything rcd does differently per language goes there.
    std::shared_ptr<const lang::Language> language;
    const cargo::Workspace* workspace = nullptr; // language rust: its Cargo workspace
    std::filesystem::path target_dir;

    std::filesystem::path rcd_dir() const { return target_dir / "rcd"; }
};

Result<Project> load_project(const ProjectOptions& options);

// The target directory to this run alone (target/rcd/lock), waiting for another rcd with
// `wait` (and saying so), else failing at once.
Result<exec::DirectoryLock> lock_target(const Project& project, bool wait);

} // namespace rcd::ops
