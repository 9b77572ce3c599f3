#include "rcd/ops/project.hpp"

#include "rcd/pipeline/catalog.hpp"
#include "rcd/pipeline/loader.hpp"
#include "rcd/util/log.hpp"
#include "rcd/util/strings.hpp"

#include <fmt/format.h>
#include <fmt/std.h>

namespace rcd::ops {

Result<Project> load_project(const ProjectOptions& options) {
    std::error_code ec;
    if (!std::filesystem::is_directory(options.dir, ec))
        return fail(ExitCode::usage, fmt::format("{} is not a directory", options.dir),
                    "give -C an existing directory");
    std::filesystem::path config_file = options.config_file.value_or(options.dir / "rcd.yaml");
    std::filesystem::path dir = options.dir;
    if (options.config_file && options.dir == ".")
        dir = config_file.has_parent_path() ? config_file.parent_path() : ".";

    RCD_ASSIGN(auto config, pipeline::load_repo_config(config_file));
    pipeline::Catalog catalog(dir, options.pipelines_dir);
    auto base = catalog.load(config.language);
    if (!base)
        return std::unexpected(
            base.error().with_context(fmt::format("{}: language", config_file.string())));
    RCD_ASSIGN(auto merged, pipeline::apply_overrides(std::move(*base), config.stages));

    if (!merged.detect.empty()) {
        bool found = false;
        for (const auto& marker : merged.detect)
            found = found || std::filesystem::exists(dir / marker, ec);
        if (!found)
            return fail(ExitCode::usage,
                        fmt::format("{} says 'language: {}', but {} has no {}", config_file,
                                    config.language, dir, util::join(merged.detect, " or ")),
                        "run rcd in the project's root, or fix 'language'");
    }

    RCD_ASSIGN(auto language, lang::open_language(config.language, dir, config, merged));
    Project project{std::filesystem::absolute(dir, ec).lexically_normal(),
                    std::move(config),
                    std::move(merged),
                    git::inspect(dir),
                    language,
                    language->workspace(),
                    language->target_dir()};
    return project;
}

Result<exec::DirectoryLock> lock_target(const Project& project, bool wait) {
    return exec::DirectoryLock::acquire(project.rcd_dir() / "lock", wait, [&](long pid) {
        log::info("waiting for another rcd (pid {}) that is using {} ...", pid,
                  project.target_dir.string());
    });
}

} // namespace rcd::ops
