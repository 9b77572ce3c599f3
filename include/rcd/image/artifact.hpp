// OCI artifacts that refer to an image (an SBOM, a provenance statement), and the referrers
// tag schema that finds them on a registry without the OCI 1.1 referrers API: the tag
// `sha256-<hex>` of the image's digest names an index listing every artifact whose `subject`
// is that image. Pure.
#pragma once

#include "rcd/image/oci.hpp"

#include <map>
#include <optional>
#include <string>

namespace rcd::image {

inline constexpr const char* kEmptyMediaType = "application/vnd.oci.empty.v1+json";

// A document to attach to an image.
struct Artifact {
    std::string artifact_type; // application/spdx+json, application/vnd.in-toto+json, ...
    Blob document;
    std::map<std::string, std::string> annotations; // on the manifest and in the index entry
    std::string tag; // also tagged so (bench-<commit>), or not tagged at all
};

// The empty config every artifact manifest points at: "{}".
Blob empty_config();

// The artifact's manifest: `artifactType`, the empty config, the document as its one layer,
// and `subject` the image's manifest.
Blob artifact_manifest(const Artifact& artifact, const Descriptor& subject);

// "sha256:<hex>" -> "sha256-<hex>": the tag of the image's referrers index.
std::string referrers_tag(const std::string& digest);

// An artifact and its manifest (artifact_manifest's).
struct Referrer {
    const Artifact& artifact;
    const Blob& manifest;
};

// The referrers index `existing` (what the tag names now: none, or an index's JSON) with the
// manifest of each referrer listed, and what others listed kept; nothing when it lists them
// all already. An `existing` document that is not an index is an error (the tag is someone
// else's).
Result<std::optional<Blob>> add_referrers(const std::optional<std::string>& existing,
                                          const std::vector<Referrer>& referrers);

} // namespace rcd::image
