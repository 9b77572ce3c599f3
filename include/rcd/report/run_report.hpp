// The record of one rcd run, as --json and target/rcd/result.json give it.
#pragma once

#include "rcd/exec/scheduler.hpp"
#include "rcd/util/result.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rcd::report {

struct RepoSummary {
    std::string path;
    std::optional<std::string> commit;
    std::optional<std::string> branch;
    bool dirty = false;
};

struct RunReport {
    std::string command;
    int exit_code = 0;
    long long duration_ms = 0;
    std::optional<RepoSummary> repo;
    std::vector<exec::StageResult> stages;
    std::optional<Error> error;

    bool ok() const { return exit_code == 0; }
};

nlohmann::json to_json(const RunReport& report);

} // namespace rcd::report
