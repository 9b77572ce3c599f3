#include "rcd/supply/provenance.hpp"

#include "rcd/image/oci.hpp"

namespace rcd::supply {

namespace {

// "sha256:abc" -> {"sha256": "abc"}
nlohmann::json digest_set(const std::string& digest) {
    auto colon = digest.find(':');
    return {{digest.substr(0, colon), digest.substr(colon + 1)}};
}

} // namespace

nlohmann::json provenance_statement(const ProvenanceInput& input) {
    nlohmann::json external = {{"command", input.command}, {"commit", input.commit}};
    if (input.repository)
        external["repository"] = *input.repository;
    if (input.branch)
        external["branch"] = *input.branch;
    if (input.dirty)
        external["dirty"] = true;

    nlohmann::json stages = nlohmann::json::array();
    for (const auto& stage : input.stages)
        stages.push_back({{"name", stage.name},
                          {"command", stage.command},
                          {"status", stage.status},
                          {"duration_ms", stage.duration_ms}});
    nlohmann::json internal = {{"stages", stages}, {"toolchain", input.toolchain}};
    if (!input.cache_keys.empty())
        internal["cache_keys"] = input.cache_keys;

    nlohmann::json dependencies = nlohmann::json::array();
    nlohmann::json source = {{"uri", input.repository ? "git+" + *input.repository : "git"},
                             {"digest", {{"gitCommit", input.commit}}}};
    if (input.branch)
        source["annotations"] = {{"branch", *input.branch}};
    dependencies.push_back(source);
    if (!input.lockfile_digest.empty())
        dependencies.push_back(
            {{"name", input.lockfile_name}, {"digest", digest_set(input.lockfile_digest)}});
    if (input.base_image) {
        auto at = input.base_image->find('@');
        nlohmann::json base = {{"uri", "oci://" + *input.base_image}};
        if (at != std::string::npos)
            base["digest"] = digest_set(input.base_image->substr(at + 1));
        dependencies.push_back(base);
    }

    return {
        {"_type", "https://in-toto.io/Statement/v1"},
        {"subject",
         {{{"name", input.image_repository}, {"digest", digest_set(input.manifest_digest)}}}},
        {"predicateType", kSlsaProvenanceV1},
        {"predicate",
         {{"buildDefinition",
           {{"buildType", kBuildType},
            {"externalParameters", external},
            {"internalParameters", internal},
            {"resolvedDependencies", dependencies}}},
          {"runDetails",
           {{"builder", {{"id", input.builder_id}, {"version", {{"rcd", input.rcd_version}}}}},
            {"metadata",
             {{"invocationId", input.invocation_id},
              {"startedOn", image::rfc3339(input.started)},
              {"finishedOn", image::rfc3339(input.finished)}}}}}}},
    };
}

} // namespace rcd::supply
