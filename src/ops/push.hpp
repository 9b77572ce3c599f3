// Pushing a built image: commit tags checked first, then the blobs by a pool of workers, then
// the manifest by digest, then the tags.
#pragma once

#include "rcd/ops/publish.hpp"

namespace rcd::ops {

// Commit tags are checked before anything is written: one naming this commit's image means
// the commit is released (nothing is pushed); one naming another revision's is refused unless
// --force. Then each distinct blob once, kBlobWorkers at a time, each worker taking the next
// blob as soon as it is done; then the manifest by digest; then the image's attachments (SBOM,
// provenance); then the tags, so that a tag never names an image whose blobs are not all there.
Status push_image(const Project& project, const BuiltImage& built, const PublishOptions& options,
                  report::ImageSummary& summary);

inline constexpr std::size_t kBlobWorkers = 4;

// The image a tag names: its manifest and the commit its revision label gives, if any.
struct Tagged {
    registry::FetchedManifest manifest;
    std::optional<std::string> revision;
};
Result<Tagged> read_tagged(registry::Client& client, const std::string& repo,
                           const std::string& tag);

} // namespace rcd::ops
