// What a command line asks of an operation: the global options, and each command's own. cli
// fills these in; ops reads them.
#pragma once

#include "rcd/ops/project.hpp"
#include "rcd/ops/publish.hpp"
#include "rcd/report/terminal.hpp"

#include <string>
#include <vector>

namespace rcd::ops {

struct Invocation {
    std::string config_file;
    std::string pipelines_dir;
    std::string dir = ".";
    bool json = false;
    bool quiet = false;
    bool verbose = false;
    std::string color = "auto";
    bool ci_flag = false;
    bool no_ci_flag = false;

    bool ci() const; // CI=true or --ci, unless --no-ci
    report::Verbosity verbosity() const;
    ProjectOptions project() const;
    std::string absolute_dir() const;
};

struct StageOptions {
    std::vector<std::string> only;
    std::vector<std::string> skip;
    bool keep_going = false;
    int jobs = 2; // measured faster than 1 on the bundled example: bench/stage_overhead.sh
    bool no_wait = false;
    bool no_cache = false;      // neither restore nor save the dependency cache
    std::string junit;          // --junit FILE
    bool bench = false;         // --bench: run the bench stage
    std::string bench_baseline; // --bench-baseline REV: compare against this commit

    bool whole_pipeline() const { return only.empty() && skip.empty(); }
};

struct ReleaseOptions {
    PublishOptions publish;     // the registry, tags, outputs, and how to reach the registry
    bool no_cache_push = false; // rcd release --no-cache-push
    std::string dotenv;         // --dotenv FILE: RCD_IMAGE=... for GitLab's dotenv reports
    std::string image_refs;     // --image-refs FILE: repo@sha256:..., as ko writes it
};

struct ResolveOptions {
    std::vector<std::string> files; // "-" is standard input
    bool check = false;             // exit 1 when a file pins another digest
};

struct FleetOptions {
    std::string action;              // release, check, build, plan, matrix, summary
    std::vector<std::string> dirs;   // the repositories (summary: the JSON files)
    std::string list;                // --list FILE: one repository directory per line
    int jobs = 0;                    // -j: repositories at once; 0: half the cores
    std::string logs = ".rcd-fleet"; // --logs DIR: each repository's log and JSON line
    std::string format = "github";   // matrix --format github|gitlab
};

struct BenchOptions {
    std::string action;   // run, history
    std::string baseline; // run --baseline REV
    int last = 10;        // history --last N
};

struct CacheOptions {
    std::string action;   // status, pull, push, prune
    std::string max_size; // prune --max-size: 500M, 2G, ...
    bool remote = false;  // prune --remote: the registry's caches
    int keep = 3;         // prune --remote --keep N: per profile
};

// The reporter a command shows its run with: colour, CI format, spinner, and with a project,
// the annotation root. While it lives, rcd::log's lines go through it.
report::TerminalReporter make_reporter(const Invocation& invocation,
                                       const Project* project = nullptr);

// Prints one JSON document on one line of stdout, so that runs append to a JSON Lines file.
void print_json(const nlohmann::json& doc);

} // namespace rcd::ops
