// A base image as its registry describes it, read as pure functions: which manifest an index
// names for a platform, an image manifest's layers and config, and what the config adds (the
// layers' diff ids, the environment, the history). Every digest is checked before it can name
// a URL or a file.
#pragma once

#include "rcd/image/assemble.hpp"
#include "rcd/image/oci.hpp"
#include "rcd/util/result.hpp"

#include <string>
#include <vector>

namespace rcd::image {

enum class ManifestKind { index, image };

// An OCI index or a Docker manifest list; an OCI or Docker v2 image manifest. Anything else
// (Docker's schema 1, an artifact) is an error naming `reference`. A manifest without a
// media type is judged by its shape.
Result<ManifestKind> manifest_kind(const std::string& media_type, const std::string& body,
                                   const std::string& reference);

// The digest of the manifest an index names for `platform` (os and architecture, and the
// variant when both name one).
Result<std::string> select_platform(const std::string& index_body, const Platform& platform,
                                    const std::string& reference);

struct ImageManifest {
    std::vector<Descriptor> layers;
    Descriptor config;
};

Result<ImageManifest> parse_image_manifest(const std::string& body, const std::string& reference);

// `base.diff_ids`, `env` and `history` from the image's config blob; one diff id per layer.
Status read_base_config(const std::string& config_body, BaseImage& base);

} // namespace rcd::image
