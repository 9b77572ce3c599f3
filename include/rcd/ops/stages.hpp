// From a pipeline to the list of stage jobs one command runs.
#pragma once

#include "rcd/exec/scheduler.hpp"
#include "rcd/ops/project.hpp"
#include "rcd/pipeline/model.hpp"

#include <set>
#include <string>
#include <vector>

namespace rcd::ops {

struct Selection {
    pipeline::Phase through = pipeline::Phase::check; // check: the check phase; build: both
    std::vector<std::string> only;
    std::vector<std::string> skip;
    // Compilers print JSON messages (cargo's --message-format=json), for annotations; the
    // reporter shows their rendered text (lang::Language::prepare_job).
    bool cargo_json = false;
    // --bench: the bench stage runs even when rcd.yaml does not turn it on.
    bool bench = false;
};

using Conditions = lang::Conditions;

// The facts `when:` conditions are decided on: the language's (none without one).
Conditions conditions_of(const Project& project);

// Unknown names in --only/--skip: an error with "did you mean", before anything else happens.
Status check_selection(const Project& project, const Selection& selection);

// Selected stages in run order, variables expanded, with the reason for each one skipped.
// Unknown names in --only/--skip are an error with "did you mean".
Result<std::vector<exec::StageJob>> plan_jobs(const Project& project, const Selection& selection,
                                              const Conditions& conditions,
                                              const std::map<std::string, std::string>& extra_env);

} // namespace rcd::ops
