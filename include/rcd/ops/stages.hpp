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
    // Cargo's build, check, clippy and test print JSON messages (--message-format=json), for
    // annotations; the reporter shows their rendered text.
    bool cargo_json = false;
    // --bench: the bench stage runs even when rcd.yaml does not turn it on.
    bool bench = false;
};

// Adds --message-format=json to a cargo command that compiles (before any `--`), unless it
// has a message format already.
std::vector<std::string> with_json_messages(std::vector<std::string> argv);

// A stage that runs tests (`cargo test ...`), whose output is libtest's: what --junit reads.
bool runs_tests(const pipeline::Stage& stage);

// The facts `when:` conditions are decided on, gathered from the project.
struct Conditions {
    bool has_library = false;
    std::string no_library_reason;
    bool has_benches = false;
    std::string no_benches_reason;
};

Conditions conditions_of(const Project& project);

// Unknown names in --only/--skip: an error with "did you mean", before anything else happens.
Status check_selection(const Project& project, const Selection& selection);

// Selected stages in run order, variables expanded, with the reason for each one skipped.
// Unknown names in --only/--skip are an error with "did you mean".
Result<std::vector<exec::StageJob>> plan_jobs(const Project& project, const Selection& selection,
                                              const Conditions& conditions,
                                              const std::map<std::string, std::string>& extra_env);

} // namespace rcd::ops
