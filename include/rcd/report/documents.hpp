// The documents of the commands that do not run stages: plan, cache, doctor, prune. Each has a
// plain struct, its JSON (one line, after json_header's fields) and its text for people.
#pragma once

#include "rcd/report/run_report.hpp"
#include "rcd/util/result.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rcd::report {

// `rcd plan`: the stages a release would run, in order, and the image it would push.
struct PlannedStage {
    std::string name;
    std::vector<std::string> run;
    std::vector<std::string> needs;
    std::optional<std::string> skip_reason; // skipped, and why
};

struct Plan {
    RunReport run; // name, directory, commit, and the cache section once looked at
    std::string language;
    std::string origin; // where the pipeline came from
    std::vector<PlannedStage> stages;
    Result<std::string> repository = std::string(); // or why there is none
    std::vector<std::string> tags;
    std::string base;
    std::vector<std::string> attachments; // what rcd.yaml lets rcd attach: sbom, provenance
};

nlohmann::json plan_json(const Plan& plan);
std::string plan_text(const Plan& plan);

// The cache section of `rcd plan` and `rcd cache status|pull|push`, for people.
std::string cache_text(const CacheSummary& cache);

// `rcd doctor`: one verdict per check.
enum class Verdict { ok, warn, fail };

struct Check {
    std::string name; // cargo, rustfmt, clippy, repository, config, registry, credentials
    Verdict verdict = Verdict::ok;
    std::string detail;           // versions, paths, or what is wrong; never a secret
    std::string hint;             // what to do, for a warning or a failure
    ExitCode code = ExitCode::ok; // for a failure: the exit code it would give a release
};

const char* verdict_name(Verdict verdict);
int doctor_exit_code(const std::vector<Check>& checks); // the first failure's, else 0
nlohmann::json doctor_json(const std::vector<Check>& checks, const std::string& directory);
std::string doctor_text(const std::vector<Check>& checks, bool color);

// `rcd cache prune`: the local store's (bytes freed) or the registry's (manifests deleted).
struct RemotePruneSummary {
    std::string repository;
    int kept = 0;
    std::vector<std::string> deleted;
    std::vector<std::string> protected_; // named by an image tag, so kept
};

nlohmann::json remote_prune_json(const RemotePruneSummary& pruned, const std::string& name,
                                 const std::string& directory);
nlohmann::json local_prune_json(const std::string& cache_dir, std::int64_t freed,
                                const std::string& directory);

} // namespace rcd::report
