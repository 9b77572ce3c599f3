// What a release says about its image, attached to it in the registry: the SBOM (SPDX 2.3) and
// the SLSA provenance statement, each an OCI artifact whose `subject` is the image's manifest,
// listed in the referrers tag `sha256-<hex>` (for registries without the referrers API).
#pragma once

#include "rcd/image/artifact.hpp"
#include "rcd/ops/project.hpp"
#include "rcd/registry/client.hpp"
#include "rcd/report/run_report.hpp"
#include "rcd/supply/sbom.hpp"

#include <string>
#include <vector>

namespace rcd::ops {

struct BuiltImage;

enum class SbomFormat { spdx, cyclonedx };

// The SBOM of the binary rcd.yaml names, built for `triple`, as of the commit in front of rcd.
Result<supply::SbomInput> sbom_input(const Project& project, const std::string& triple);

// The documents rcd.yaml asks for (image.sbom and image.provenance, both on by default) for
// `built`, from what `run` did: its stages, its cache keys.
Result<std::vector<image::Artifact>> attestations(const Project& project, const BuiltImage& built,
                                                  const report::RunReport& run);

// Pushes each artifact (the empty config, the document, the manifest by digest) and lists it
// in the referrers index of `subject`; adds each to `summary.attachments`.
Status attach(registry::Client& client, const std::string& repo, const image::Blob& subject,
              const std::vector<image::Artifact>& artifacts, report::ImageSummary& summary);

} // namespace rcd::ops
