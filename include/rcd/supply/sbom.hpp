// The software bill of materials of a release: the packages its binary is built from, as an
// SPDX 2.3 or a CycloneDX 1.5 JSON document. Pure: the same input gives the same bytes.
#pragma once

#include "rcd/cargo/dependencies.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace rcd::supply {

inline constexpr const char* kSpdxMediaType = "application/spdx+json";
inline constexpr const char* kCycloneDxMediaType = "application/vnd.cyclonedx+json";

struct SbomInput {
    cargo::DependencyGraph graph;
    std::string name;                      // the service, as rcd.yaml names it
    std::string commit;                    // "" outside a git repository
    std::int64_t created = 0;              // seconds since the epoch: the commit's time
    std::optional<std::string> source_url; // the repository's web address, if known
    std::string rcd_version;               // the tool that wrote it
};

// cargo's `license` as an SPDX expression: "MIT/Apache-2.0" (the old form) becomes
// "MIT OR Apache-2.0"; "" becomes NOASSERTION.
std::string license_expression(std::string_view cargo_license);

// pkg:cargo/NAME@VERSION, with the name and version percent-encoded as purl asks;
// pkg:golang/MODULE/PATH@VERSION for Go modules (ecosystem "golang"), pkg:generic/ otherwise.
std::string purl(const cargo::DependencyPackage& package, const std::string& ecosystem = "cargo");

// Where the package's source can be fetched, in SPDX's form: crates.io's download address, a
// git URL with its commit, the repository at the commit for a workspace member, or
// NOASSERTION.
std::string download_location(const cargo::DependencyPackage& package, const SbomInput& input);

nlohmann::json spdx_document(const SbomInput& input);
nlohmann::json cyclonedx_document(const SbomInput& input);

} // namespace rcd::supply
