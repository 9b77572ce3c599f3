// From a built workspace to an image: find the binary, assemble the image and check that it
// can start, then write it to files or push it.
#pragma once

#include "rcd/image/artifact.hpp"
#include "rcd/image/assemble.hpp"
#include "rcd/ops/project.hpp"
#include "rcd/registry/client.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/report/run_report.hpp"

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rcd::ops {

struct PublishOptions {
    std::string registry; // --registry ("" if not given); else RCD_REGISTRY, rcd.yaml
    std::vector<std::string> extra_tags; // --tag
    bool no_latest = false;
    bool allow_dirty = false;
    bool force = false;
    bool dry_run = false;
    bool push = true;
    image::Compression compression = image::Compression::gzip;
    std::vector<std::string> outputs; // oci:DIR, docker-archive:FILE
    bool checks_passed = true;        // every check stage passed: `latest` may move
    // Called from upload threads with (blob, bytes sent, bytes in all) while a blob uploads.
    std::function<void(const std::string&, std::int64_t, std::int64_t)> progress;
    // --insecure, --ca-file, tries and time limits. Where the registry only serves the
    // dependency cache (check, build, plan), an unreachable one should cost a moment, not the
    // full backoff: those commands try twice.
    registry::RegistryOptions connection;
};

// --registry, else RCD_REGISTRY, else rcd.yaml's `registry`, if any.
std::optional<std::string> configured_registry(const Project& project,
                                               const PublishOptions& options);

// A client for `registry_name` with the credentials rcd finds for it, checked against /v2/.
Result<std::shared_ptr<registry::Client>> connect_registry(const std::string& registry_name,
                                                           const PublishOptions& options);

// The image's repository, e.g. 127.0.0.1:5000/team/hello-api. A repository path is lower case
// in every registry, so the registry's path is lowered ("ghcr.io/My-Org" -> "ghcr.io/my-org").
Result<std::string> image_repository(const Project& project, const PublishOptions& options);

// Before any stage runs: the registry answers and the credentials may push to the image's
// repository (without --dry-run), so that a release fails in seconds rather than after the
// build.
Status check_registry_access(const Project& project, const PublishOptions& options);

// `<sha>` (or `<sha>-dirty`), `latest` when allowed, then --tag values.
std::vector<std::string> release_tags(const git::RepoState& repo, const PublishOptions& options);

// Refuses a dirty tree (exit 3, listing at most 20 paths) unless --allow-dirty.
Status check_clean(const Project& project, const PublishOptions& options);

// The tree is still what rcd saw when it started (the same HEAD, the same changes): exit 3
// otherwise, unless --allow-dirty. build_image asks after the binary is found, before any tag.
Status check_unchanged(const Project& project, const PublishOptions& options);

// Where the binary goes in the image: /usr/local/bin/<binary>.
std::string binary_in_image(const pipeline::RepoConfig& config);

// The target the stage that `produces: binary` builds for (the language says: its
// CARGO_BUILD_TARGET or the toolchain's host; go env GOOS GOARCH), or that `binary` was built
// for.
Result<lang::Target> planned_target(const Project& project,
                                    const std::filesystem::path* binary = nullptr);

// The file to ship: rcd.yaml's image.binary, else what the language finds for the stage that
// `produces: binary` (the executable cargo reports; go build's -o).
Result<std::filesystem::path> locate_binary(const Project& project);

// The base image as its registry describes it, for the target's platform.
struct PulledBase {
    image::BaseImage base;
    registry::Reference ref;
    std::shared_ptr<registry::Client> client;
    std::string digest; // of the platform's image manifest
};
Result<PulledBase> pull_base(const std::string& reference, const image::Platform& platform,
                             const PublishOptions& options);

// An image assembled from the last build and checked to start; nothing written or pushed yet.
struct BuiltImage {
    image::Image image;
    std::optional<PulledBase> base;
    std::string repository;
    std::vector<std::string> tags;
    std::string triple; // the target the binary was built for
    // Pushed with the image, referring to it: its SBOM and provenance (attest.hpp), made while
    // the blobs upload; none when not valid.
    std::shared_future<Result<std::vector<image::Artifact>>> attachments;
    long long locate_ms = 0;   // asking cargo where the binary is (a no-op build)
    long long assemble_ms = 0; // reading it, the base, the layers, config and manifest
};
Result<BuiltImage> build_image(const Project& project, const PublishOptions& options);

// The bytes of every layer of the image that are not its own (the base's), for writing the
// whole image to a file.
Result<std::vector<image::Blob>> base_blobs(const BuiltImage& built);

// Writes the --output files, then (with push) the blobs, the manifest by digest and the tags.
// A commit tag that names an image of this commit means the commit is released: nothing is
// pushed (status "already-released"); one that names another revision's image is refused
// (exit 4) unless --force.
Result<report::ImageSummary> deliver(const Project& project, const BuiltImage& built,
                                     const PublishOptions& options);

} // namespace rcd::ops
