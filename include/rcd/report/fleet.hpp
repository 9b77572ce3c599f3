// The fleet's documents: a row per repository read from the JSON line its run printed, the
// table of them, the summary line, the live view, and the CI matrices. Pure.
#pragma once

#include "rcd/util/result.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::report {

struct FleetRow {
    std::string repository; // as given to the fleet (a directory)
    std::string name;       // rcd.yaml's, else the directory's
    std::string command;
    int exit_code = 0;
    long long duration_ms = 0;
    std::string outcome;             // the image reference, "passed", or the error
    std::vector<std::string> cooked; // profiles whose dependencies this run cooked
    std::vector<std::string> hits;   // profiles restored from a cache
    std::vector<std::string> keys;   // each profile's cache key, "profile=key"
    std::string log;                 // the repository's log of this fleet run
};

// One line of `rcd --json` (what `rcd fleet` and a CI job of the matrix keep): an error names
// what is wrong with it.
Result<FleetRow> fleet_row(std::string_view json_line, const std::string& repository);

// The exit code of the fleet: the worst (highest) of its repositories'.
int worst_exit_code(const std::vector<FleetRow>& rows);

// The summary table for people: repository, exit code, time, outcome; then a totals line.
std::string fleet_table(const std::vector<FleetRow>& rows, int saved_cooks);

// The last JSON line of `rcd fleet --json`.
nlohmann::json fleet_summary(const std::string& command, const std::string& directory,
                             const std::vector<FleetRow>& rows, int saved_cooks,
                             long long duration_ms);

// A repository while the fleet runs, for the live view on a terminal.
struct FleetProgress {
    std::string name;
    std::string state; // waiting, running, passed, failed (exit N)
    std::string stage; // the stage it is in, if running
    long long elapsed_ms = 0;
};
std::string fleet_live(const std::vector<FleetProgress>& rows);

// What `rcd fleet doctor` knows of a repository, to tell what differs from the fleet's norm.
struct RepoFacts {
    std::string name;
    std::string problem;                     // rcd.yaml could not be read: why; then nothing else
    std::vector<std::string> keys;           // the rcd.yaml settings it makes ("image.smoke", ...)
    std::vector<std::string> pipeline_files; // its own pipelines, .rcd/pipelines/*.yaml
    std::vector<std::string> extra_stages;   // stages rcd.yaml adds to the pipeline
    std::vector<std::string> skipped_stages; // stages rcd.yaml skips
    std::string toolchain = "default";       // rust-toolchain(.toml)'s channel
    std::string base = "scratch";            // image.base
    bool registry = false;                   // rcd.yaml or RCD_REGISTRY names one
};

// Each repository's differences from the fleet's norm: its own pipeline, added or skipped
// stages, a toolchain or base image other than most repositories', no registry, and an
// rcd.yaml setting no other repository makes. In the order of `repos`.
std::vector<std::vector<std::string>> fleet_drift(const std::vector<RepoFacts>& repos);

// The fleet as a CI matrix: each repository's name, path and clone URL.
struct FleetMember {
    std::string name;
    std::string path;
    std::string url; // the origin, credentials removed; "" without one
};
// GitHub Actions: {"include": [{"name", "path", "url"}, ...]}, for fromJSON().
std::string github_matrix(const std::vector<FleetMember>& members);
// GitLab: a child pipeline whose one job runs `rcd COMMAND` per repository through
// parallel:matrix, keeping each JSON line as an artifact.
std::string gitlab_matrix(const std::vector<FleetMember>& members, const std::string& command);

} // namespace rcd::report
