#include "rcd/image/artifact.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rcd::image {

Blob empty_config() {
    return Blob::of(kEmptyMediaType, "{}");
}

Blob artifact_manifest(const Artifact& artifact, const Descriptor& subject) {
    const Blob config = empty_config();
    nlohmann::json doc = {
        {"schemaVersion", 2},
        {"mediaType", kOciManifest},
        {"artifactType", artifact.artifact_type},
        {"config",
         {{"mediaType", config.media_type},
          {"digest", config.digest},
          {"size", config.data.size()},
          {"data", "e30="}}}, // "{}" in base64, as the image spec suggests
        {"layers",
         {{{"mediaType", artifact.document.media_type},
           {"digest", artifact.document.digest},
           {"size", artifact.document.data.size()}}}},
        {"subject",
         {{"mediaType", subject.media_type}, {"digest", subject.digest}, {"size", subject.size}}},
    };
    if (!artifact.annotations.empty())
        doc["annotations"] = artifact.annotations;
    return Blob::of(kOciManifest, doc.dump());
}

std::string referrers_tag(const std::string& digest) {
    auto tag = digest;
    if (auto colon = tag.find(':'); colon != std::string::npos)
        tag[colon] = '-';
    return tag.substr(0, 128); // a tag's longest
}

Result<std::optional<Blob>> add_referrers(const std::optional<std::string>& existing,
                                          const std::vector<Referrer>& referrers) {
    nlohmann::json index = {
        {"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", nlohmann::json::array()}};
    if (existing) {
        index = nlohmann::json::parse(*existing, nullptr, false);
        if (index.is_discarded() || !index.is_object() ||
            index.value("mediaType", "") != kOciIndex || !index.contains("manifests") ||
            !index["manifests"].is_array())
            return fail(ExitCode::registry,
                        "the referrers tag names something that is not an OCI image index",
                        "delete the tag, or let another tool own it");
    }
    bool added = false;
    for (const auto& [artifact, manifest] : referrers) {
        bool listed = false;
        for (const auto& entry : index["manifests"])
            listed = listed || (entry.is_object() && entry.value("digest", "") == manifest.digest);
        if (listed)
            continue;
        nlohmann::json entry = {{"mediaType", manifest.media_type},
                                {"digest", manifest.digest},
                                {"size", manifest.data.size()},
                                {"artifactType", artifact.artifact_type}};
        if (!artifact.annotations.empty())
            entry["annotations"] = artifact.annotations;
        index["manifests"].push_back(std::move(entry));
        added = true;
    }
    if (!added)
        return std::nullopt;
    return std::optional{Blob::of(kOciIndex, index.dump())};
}

} // namespace rcd::image
