// What every command receives: the global options, parsed, and the reporter they choose.
#pragma once

#include "rcd/release/project.hpp"
#include "rcd/report/terminal.hpp"

#include <string>
#include <vector>

namespace rcd::cli {

struct GlobalOptions {
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
};

struct StageOptions {
    std::vector<std::string> only;
    std::vector<std::string> skip;
    bool keep_going = false;
    int jobs = 2; // measured faster than 1 on the bundled example: bench/stage_overhead.sh
    bool no_wait = false;
    bool no_cache = false; // neither restore nor save the dependency cache
    std::string junit;     // --junit FILE
};

struct ReleaseOptions {
    std::string registry;
    std::vector<std::string> tags;
    bool no_latest = false;
    bool allow_dirty = false;
    bool force = false;
    bool dry_run = false;
    bool insecure = false;
    std::string ca_file;
    std::string compression = "gzip";
    std::vector<std::string> outputs; // rcd image --output
    bool push = false;                // rcd image --push
    bool no_cache_push = false;       // rcd release --no-cache-push
    std::string dotenv;               // --dotenv FILE: RCD_IMAGE=... for GitLab's dotenv reports
    std::string image_refs;           // --image-refs FILE: repo@sha256:..., as ko writes it
};

struct CacheOptions {
    std::string action;   // status, pull, push, prune
    std::string max_size; // prune --max-size: 500M, 2G, ...
    bool remote = false;  // prune --remote: the registry's caches
    int keep = 3;         // prune --remote --keep N: per profile
};

} // namespace rcd::cli
