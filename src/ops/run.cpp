#include "rcd/ops/run.hpp"

#include "rcd/exec/lock.hpp"
#include "rcd/exec/signals.hpp"
#include "rcd/ops/cache.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/fs.hpp"

#include <chrono>
#include <fmt/format.h>
#include <fmt/std.h>
#include <future>
#include <mutex>
#include <optional>

namespace rcd::ops {

report::RepoSummary repo_summary(const Project& project) {
    report::RepoSummary summary;
    summary.path = project.dir.string();
    if (project.repo) {
        summary.path = project.repo->root.string();
        summary.commit = project.repo->commit;
        summary.branch = project.repo->branch;
        summary.dirty = project.repo->dirty();
    }
    return summary;
}

report::RunReport new_report(const Project& project, const std::string& command) {
    report::RunReport report;
    report.command = command;
    report.name = project.config.name;
    report.directory = project.dir.string();
    report.repo = repo_summary(project);
    return report;
}

namespace {

// The run begun and not yet recorded, if any.
std::mutex g_pending_mutex;
std::optional<std::pair<std::filesystem::path, report::RunReport>> g_pending;

Status write_record(const std::filesystem::path& file, const report::RunReport& report) {
    return util::write_file_atomic(file, report::to_json(report).dump(2) + "\n");
}

} // namespace

Status write_result(const Project& project, const report::RunReport& report) {
    std::lock_guard lock(g_pending_mutex);
    g_pending.reset();
    return write_record(project.rcd_dir() / "result.json", report);
}

void begin_result(const Project& project, const std::string& command, bool checks_passed) {
    auto report = new_report(project, command);
    report.checks_passed = checks_passed;
    report.exit_code = static_cast<int>(ExitCode::filesystem);
    report.error = Error{ExitCode::filesystem,
                         fmt::format("rcd {} did not finish: it was killed or crashed", command),
                         "run it again"};
    std::lock_guard lock(g_pending_mutex);
    g_pending.emplace(project.rcd_dir() / "result.json", report);
    (void)util::create_directories(project.rcd_dir());
    (void)write_record(g_pending->first, report);
}

void finish_result(const Error& error) {
    std::lock_guard lock(g_pending_mutex);
    if (!g_pending)
        return;
    g_pending->second.exit_code = static_cast<int>(error.code);
    g_pending->second.error = error;
    (void)write_record(g_pending->first, g_pending->second);
    g_pending.reset();
}

namespace {

// A stage that cooks with a profile waits for that profile's restore; any other, for the
// whole cache, since it may run cargo too.
void wait_for_cache(std::vector<exec::StageJob>& jobs, const Project& project,
                    const cache::Planner& cache) {
    for (auto& job : jobs) {
        const auto* stage = project.pipeline.find(job.name);
        auto profile = stage ? stage->cache_profile() : std::nullopt;
        job.ready_fd = profile ? cache.ready_fd(*profile) : cache.done_fd();
    }
}

} // namespace

Result<report::RunReport> run_pipeline(const Project& project, const RunSettings& settings,
                                       exec::StageObserver& observer) {
    const auto started = std::chrono::steady_clock::now();
    RCD_ASSIGN(auto jobs,
               plan_jobs(project, settings.selection, conditions_of(project), settings.stage_env));

    // Taken before the interrupt handlers go in, so Ctrl-C while waiting simply stops rcd.
    RCD_ASSIGN(auto lock, lock_target(project, settings.wait_for_lock));

    exec::InterruptGuard interrupts;
    report::RunReport report = new_report(project, settings.command);
    std::future<Status> restoring;
    if (settings.cache) {
        settings.cache->set_interrupt_fd(interrupts.fd());
        if (settings.cache->fetch()) {
            // Only restores are left: each stage starts as soon as its own profile is in place.
            restoring = std::async(std::launch::async, [&] { return settings.cache->prepare(); });
            wait_for_cache(jobs, project, *settings.cache);
        } else if (auto prepared = settings.cache->prepare(); !prepared) {
            report.cache = cache_summary(*settings.cache);
            report.exit_code = static_cast<int>(prepared.error().code);
            report.error = prepared.error();
            report.duration_ms = util::elapsed_ms(started);
            return report;
        }
    }

    exec::RunOptions options;
    options.jobs = settings.jobs;
    options.keep_going = settings.keep_going;
    exec::RunOutcome outcome = exec::run_stages(jobs, options, observer, interrupts);
    if (restoring.valid())
        (void)restoring.get(); // it cannot fail: a profile it cannot restore is left a miss
    if (settings.cache) {
        // What the stages filled (Go's caches, a stage's `cache:`), for the next run.
        if (outcome.interrupt_signal == 0)
            settings.cache->save();
        report.cache = cache_summary(*settings.cache);
    }
    report.stages = std::move(outcome.results);
    bool failed = false;
    for (const auto& stage : report.stages)
        failed = failed || stage.status == exec::StageStatus::failed;
    if (outcome.interrupt_signal != 0) {
        report.exit_code = static_cast<int>(ExitCode::interrupted);
        report.error = Error{ExitCode::interrupted, "interrupted; the running stages were stopped",
                             "run the command again to start over"};
    } else if (failed) {
        report.exit_code = static_cast<int>(ExitCode::stage_failed);
        for (const auto& stage : report.stages) {
            if (stage.status != exec::StageStatus::failed)
                continue;
            report.error =
                Error{ExitCode::stage_failed,
                      fmt::format("stage '{}' failed: {}", stage.name, stage.reason),
                      stage.log.empty() ? "fix the stage's command"
                                        : fmt::format("its whole output is in {}", stage.log)};
            break;
        }
    }
    // What lets `latest` move: every check stage was selected, and none failed.
    report.checks_passed =
        report.exit_code == 0 && settings.selection.only.empty() && settings.selection.skip.empty();
    report.duration_ms = util::elapsed_ms(started);
    return report;
}

} // namespace rcd::ops
