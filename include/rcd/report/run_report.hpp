// The record of one rcd run, as --json and target/rcd/result.json give it.
#pragma once

#include "rcd/bench/results.hpp"
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

struct ImageSummary {
    std::string repository;
    // "pushed", "already-released" (the commit's image was there: nothing pushed), "dry-run",
    // or "written" (files only).
    std::string status;
    std::string digest;       // the image the tags name: for already-released, the registry's
    std::string build_digest; // already-released: this build's (the same when reproducible)
    std::vector<std::string> tags;
    std::string reference; // repository@digest
    int blobs_pushed = 0;
    int blobs_skipped = 0;
    std::int64_t bytes_uploaded = 0;
    std::vector<std::string> outputs; // oci:DIR, docker-archive:FILE written
    long long locate_ms = 0;          // asking cargo where the binary is (a no-op build)
    long long assemble_ms = 0;        // building the layers, config and manifest
    long long push_ms = 0;            // talking to the registry
    // The documents attached to the image (SBOM, provenance), each an artifact manifest that
    // refers to it, all listed in the index the tag `referrers_tag` names.
    struct Attachment {
        std::string artifact_type;
        std::string digest;
    };
    std::vector<Attachment> attachments;
    std::string referrers_tag;

    bool pushed() const { return status == "pushed"; }
    bool already_released() const { return status == "already-released"; }
    // The registry holds the image `reference` names: what the next CI job may deploy.
    bool in_registry() const { return pushed() || already_released(); }
};

struct CacheProfileSummary {
    std::string name;   // the profile: clippy, test, release
    std::string key;    // empty when there is nothing to cache
    std::string status; // fresh, hit-local, hit-registry, partial or miss
    std::int64_t bytes = 0;
    std::string detail;
};

struct CacheSummary {
    std::string recipe;
    std::string status; // the worst of the profiles'
    long long restore_ms = 0;
    long long save_ms = 0;
    std::vector<CacheProfileSummary> profiles;
    bool pushed = false; // the release pushed the cache to the registry
};

// The version of the JSON document's layout; it grows only by new fields until it changes.
inline constexpr int kSchemaVersion = 2;

// rcd's own version, as `rcd version` prints it.
const char* rcd_version();

struct RunReport {
    std::string command;
    std::string name;      // the project's, from rcd.yaml; empty before one was read
    std::string directory; // where rcd ran (-C)
    // Every check stage of the pipeline ran and passed (or was skipped by its `when`): what
    // lets `latest` move, also for a later `rcd image --push` of the same commit.
    bool checks_passed = false;
    int exit_code = 0;
    long long duration_ms = 0;
    std::optional<RepoSummary> repo;
    std::vector<exec::StageResult> stages;
    std::optional<CacheSummary> cache;
    std::optional<ImageSummary> image;
    std::optional<bench::Results> bench;       // what the bench stage measured and judged
    std::vector<bench::Results> bench_history; // earlier releases', for the step summary
    std::optional<Error> error;

    bool ok() const { return exit_code == 0; }
};

nlohmann::json to_json(const RunReport& report);

// The fields every JSON document of rcd starts with: schema, rcd_version, command, name and
// directory.
nlohmann::json json_header(const std::string& command, const std::string& name,
                           const std::string& directory);

// The GitHub Actions step summary: a table of the stages, the cache, and what was pushed.
// Never more than `limit` bytes (GitHub refuses a summary over 1 MiB).
// Log paths are shown relative to the repository (report.repo's path), not the runner's disk.
std::string to_markdown(const RunReport& report, std::size_t limit = 1000 * 1000);

} // namespace rcd::report
