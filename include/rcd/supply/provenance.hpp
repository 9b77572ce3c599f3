// How a release was built, as an in-toto statement with an SLSA provenance v1 predicate: the
// commit, the stages that ran and their results, the toolchain, the lockfile and the cache keys.
// Pure: the caller gathers the facts.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rcd::supply {

inline constexpr const char* kInTotoMediaType = "application/vnd.in-toto+json";
inline constexpr const char* kSlsaProvenanceV1 = "https://slsa.dev/provenance/v1";
// rcd's build type: what externalParameters and internalParameters mean (docs/deploy.md).
inline constexpr const char* kBuildType = "https://rcd.dev/buildtypes/release/v1";

struct StageRecord {
    std::string name;
    std::vector<std::string> command; // as run
    std::string status;               // passed, failed, skipped, ...
    long long duration_ms = 0;
};

struct ProvenanceInput {
    std::string image_repository; // the subject: 127.0.0.1:5000/team/api
    std::string manifest_digest;  // sha256:...
    std::string commit;
    bool dirty = false;
    std::optional<std::string> repository; // the origin, credentials removed
    std::optional<std::string> branch;
    std::string command; // "rcd release"
    std::string rcd_version;
    std::string builder_id; // who ran rcd: a CI run's address, else rcd's own URI
    std::string invocation_id;
    std::vector<StageRecord> stages;
    std::map<std::string, std::string> toolchain;  // rustc, cargo, host, target
    std::string lockfile_digest;                   // sha256:... of the lock file; "" without one
    std::string lockfile_name = "Cargo.lock";      // go.sum for Go
    std::map<std::string, std::string> cache_keys; // profile -> key
    std::optional<std::string> base_image;         // repository@sha256:..., if not scratch
    std::int64_t started = 0;                      // seconds since the epoch
    std::int64_t finished = 0;
};

nlohmann::json provenance_statement(const ProvenanceInput& input);

} // namespace rcd::supply
