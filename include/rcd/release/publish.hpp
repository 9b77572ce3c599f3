// From a built workspace to an image: find the binary, assemble, then push or write it.
#pragma once

#include "rcd/image/assemble.hpp"
#include "rcd/registry/client.hpp"
#include "rcd/release/project.hpp"
#include "rcd/report/run_report.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rcd::release {

struct PublishOptions {
    std::optional<std::string> registry; // --registry; else RCD_REGISTRY; else rcd.yaml
    std::vector<std::string> extra_tags; // --tag
    bool no_latest = false;
    bool allow_dirty = false;
    bool force = false;
    bool dry_run = false;
    bool push = true;
    bool insecure = false;
    std::string ca_file;
    image::Compression compression = image::Compression::gzip;
    std::vector<std::string> outputs; // oci:DIR, docker-archive:FILE
    bool checks_passed = true;        // every check stage passed: `latest` may move
    // Called from upload threads with (blob, bytes sent, bytes in all) while a blob uploads.
    std::function<void(const std::string&, std::int64_t, std::int64_t)> progress;
    Notify decisions; // the registry's scheme, upload fallbacks: shown with -v
    // Tries per registry request. Where the registry only serves the dependency cache (check,
    // build, plan), an unreachable one should cost a moment, not the full backoff.
    int attempts = 5;
};

// --registry, else RCD_REGISTRY, else rcd.yaml's `registry`, if any.
std::optional<std::string> configured_registry(const Project& project,
                                               const PublishOptions& options);

// A client for `registry_name` with the credentials rcd finds for it, checked against /v2/.
Result<std::shared_ptr<registry::Client>> connect_registry(const std::string& registry_name,
                                                           const PublishOptions& options,
                                                           const Notify& notify);

// The image's repository, e.g. 127.0.0.1:5000/team/hello-api.
Result<std::string> image_repository(const Project& project, const PublishOptions& options);

// `<sha>` (or `<sha>-dirty`), `latest` when allowed, then --tag values.
std::vector<std::string> release_tags(const git::RepoState& repo, const PublishOptions& options);

// Refuses a dirty tree (exit 3, listing the files) unless --allow-dirty.
Status check_clean(const Project& project, const PublishOptions& options);

// The executable cargo reports for the stage that `produces: binary`.
Result<std::filesystem::path> locate_binary(const Project& project);

Result<report::ImageSummary> publish(const Project& project, const PublishOptions& options,
                                     const Notify& notify);

} // namespace rcd::release
