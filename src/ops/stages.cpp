#include "rcd/ops/stages.hpp"

#include "rcd/pipeline/expand.hpp"
#include "rcd/pipeline/graph.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>

namespace rcd::ops {

Conditions conditions_of(const Project& project) {
    if (project.language)
        return project.language->conditions();
    return {false, "no language to tell", false, "no language to tell"};
}

namespace {

Status check_names(const std::vector<std::string>& names, const pipeline::Pipeline& pipeline,
                   const char* option) {
    std::vector<std::string> known;
    for (const auto& stage : pipeline.stages)
        known.push_back(stage.name);
    for (const auto& name : names) {
        if (std::find(known.begin(), known.end(), name) != known.end())
            continue;
        std::string hint = fmt::format("the stages are: {}", util::join(known, ", "));
        if (auto suggestion = util::closest_match(name, known))
            hint = fmt::format("did you mean '{}'?", *suggestion);
        return fail(ExitCode::usage, fmt::format("{}: no stage named '{}'", option, name), hint);
    }
    return {};
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

} // namespace

Status check_selection(const Project& project, const Selection& selection) {
    RCD_CHECK(check_names(selection.only, project.pipeline, "--only"));
    return check_names(selection.skip, project.pipeline, "--skip");
}

Result<std::vector<exec::StageJob>> plan_jobs(const Project& project, const Selection& selection,
                                              const Conditions& conditions,
                                              const std::map<std::string, std::string>& extra_env) {
    const pipeline::Pipeline& pipeline = project.pipeline;
    RCD_CHECK(check_selection(project, selection));

    pipeline::VariableLookup lookup =
        [&](const std::string& name) -> Result<std::optional<std::string>> {
        if (name == "name")
            return project.config.name;
        if (name == "binary")
            return project.config.binary_name();
        if (name == "rcd") // rcd itself: the bench stage runs `rcd bench run`
            return util::self_executable();
        if (name == "target_dir")
            return project.target_dir.string();
        if (name == "dir") // where stages run: the project's directory
            return project.dir.string();
        if (name == "commit") {
            if (!project.repo)
                return std::unexpected(project.repo.error().with_context("${commit}"));
            return project.repo->commit;
        }
        if (project.language)
            return project.language->variable(name);
        return std::optional<std::string>{};
    };

    std::vector<std::string> selected;
    for (const auto& stage : pipeline.stages) {
        if (selection.through == pipeline::Phase::check && stage.phase != pipeline::Phase::check)
            continue;
        if (!selection.only.empty() && !contains(selection.only, stage.name))
            continue;
        selected.push_back(stage.name);
    }

    std::vector<exec::StageJob> jobs;
    for (std::size_t index : pipeline::topological_order(pipeline)) {
        const pipeline::Stage& stage = pipeline.stages[index];
        if (!contains(selected, stage.name))
            continue;
        RCD_ASSIGN(auto expanded, pipeline::expand_stage(stage, lookup));
        exec::StageJob job;
        job.name = stage.name;
        job.command.argv = expanded.argv();
        if (project.language) {
            job.command.env = project.language->stage_env();
            project.language->prepare_job(job, selection.cargo_json);
        }
        for (const auto& [key, value] : extra_env)
            job.command.env[key] = value;
        for (const auto& [key, value] : expanded.env)
            job.command.env[key] = value;
        job.command.cwd = project.dir;
        job.timeout = stage.timeout;
        // A need outside this run (another phase, or not selected) counts as met.
        for (const auto& need : stage.needs)
            if (contains(selected, need))
                job.needs.push_back(need);
        job.log_path = project.rcd_dir() / "logs" / (stage.name + ".log");
        if (contains(selection.skip, stage.name))
            job.skip_reason = "skipped with --skip";
        else if (stage.skip)
            job.skip_reason = "skip: true in the configuration";
        else if (stage.when == "has_library" && !conditions.has_library)
            job.skip_reason = conditions.no_library_reason;
        else if (stage.when == "has_benches" && !conditions.has_benches)
            job.skip_reason = conditions.no_benches_reason;
        else if (stage.when == "has_benches" && !selection.bench && !project.config.bench.enabled)
            job.skip_reason = "off: turn it on with --bench, or 'bench: true' in rcd.yaml";
        jobs.push_back(std::move(job));
    }
    return jobs;
}

} // namespace rcd::ops
