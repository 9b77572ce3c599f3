// One run of `rcd check` or `rcd build`: lock the target directory, run the stages, record.
#pragma once

#include "rcd/cache/planner.hpp"
#include "rcd/exec/scheduler.hpp"
#include "rcd/ops/project.hpp"
#include "rcd/ops/stages.hpp"
#include "rcd/report/run_report.hpp"

#include <functional>
#include <map>
#include <string>

namespace rcd::ops {

struct RunSettings {
    std::string command; // "check" or "build"
    Selection selection;
    int jobs = 1;
    bool keep_going = false;
    bool wait_for_lock = true;
    std::map<std::string, std::string> stage_env; // e.g. CARGO_TERM_COLOR
    cache::Planner* cache = nullptr;              // prepared once the target directory is locked
};

// Stage failures and interruptions are in the report's exit code; an Error is returned only
// when the run could not start.
Result<report::RunReport> run_pipeline(const Project& project, const RunSettings& settings,
                                       exec::StageObserver& observer);

report::RepoSummary repo_summary(const Project& project);

// A run record for `command` on this project: its name, directory and commit.
report::RunReport new_report(const Project& project, const std::string& command);

// target/rcd/result.json, written atomically; the run it records is over.
Status write_result(const Project& project, const report::RunReport& report);

// Starts the record of a run: result.json says at once that a run of `command` began and did
// not finish (exit 5), so that no way out, a kill or a crash included, leaves the record of an
// earlier run behind. write_result, or finish_result, then says how it ended.
// `checks_passed` carries over what an earlier check run recorded (rcd image).
void begin_result(const Project& project, const std::string& command, bool checks_passed = false);

// How a begun run ended when no report was made: an error, an interrupt, an exception. Does
// nothing when no run was begun or its record was written. Safe from any thread.
void finish_result(const Error& error);

} // namespace rcd::ops
