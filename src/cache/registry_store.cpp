#include "rcd/cache/registry_store.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rcd::cache {

namespace {

constexpr const char* kKey = "dev.rcd.cache.key";
constexpr const char* kProfile = "dev.rcd.cache.profile";
constexpr const char* kToolchain = "dev.rcd.cache.toolchain";
constexpr const char* kRecipe = "dev.rcd.cache.recipe";
constexpr const char* kEmptyType = "application/vnd.oci.empty.v1+json";

nlohmann::json descriptor(const image::Descriptor& d) {
    return {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
}

std::optional<RemoteCache> annotations_of(const std::string& manifest) {
    auto doc = nlohmann::json::parse(manifest, nullptr, false);
    if (doc.is_discarded() || !doc.contains("annotations") || !doc["annotations"].is_object())
        return std::nullopt;
    const auto& a = doc["annotations"];
    return RemoteCache{a.value(kKey, ""), a.value(kProfile, ""), a.value(kToolchain, ""),
                       a.value(kRecipe, "")};
}

} // namespace

std::string cache_tag(const std::string& key) {
    return "cache-" + key.substr(0, 16);
}

std::string cache_manifest(const RemoteCache& meta, const image::Descriptor& config,
                           const image::Descriptor& layer, bool as_artifact) {
    nlohmann::json doc = {{"schemaVersion", 2},
                          {"mediaType", image::kOciManifest},
                          {"config", descriptor(config)},
                          {"layers", nlohmann::json::array({descriptor(layer)})},
                          {"annotations",
                           {{kKey, meta.key},
                            {kProfile, meta.profile},
                            {kToolchain, meta.toolchain},
                            {kRecipe, meta.recipe}}}};
    if (as_artifact)
        doc["artifactType"] = kCacheArtifactType;
    return doc.dump();
}

Status push_remote(registry::Client& client, const std::string& repo, const LocalStore& store,
                   const CacheEntry& entry, const RemoteCache& meta) {
    RCD_ASSIGN(auto data, store.read_blob(entry));
    image::Blob layer{kCacheLayerType, entry.digest, std::move(data)};
    RCD_ASSIGN([[maybe_unused]] auto pushed, client.push_blob(repo, layer, std::nullopt));

    // An artifact's config is the empty descriptor; the fallback needs a real image config.
    image::Blob empty = image::Blob::of(kEmptyType, "{}");
    image::Blob config = image::Blob::of(
        image::kOciConfig,
        nlohmann::json{{"architecture", "amd64"},
                       {"os", "linux"},
                       {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}}}
            .dump());
    auto size_of = [](const image::Blob& b) { return static_cast<std::int64_t>(b.data.size()); };
    image::Descriptor layer_descriptor{kCacheLayerType, entry.digest, entry.size};

    RCD_ASSIGN([[maybe_unused]] auto empty_pushed, client.push_blob(repo, empty, std::nullopt));
    std::string manifest =
        cache_manifest(meta, {kEmptyType, empty.digest, size_of(empty)}, layer_descriptor, true);
    auto put = client.put_manifest(repo, cache_tag(meta.key), image::kOciManifest, manifest);
    if (!put) {
        // Older registries refuse artifactType or the empty config: push a plain image.
        RCD_ASSIGN([[maybe_unused]] auto config_pushed,
                   client.push_blob(repo, config, std::nullopt));
        manifest = cache_manifest(meta, {image::kOciConfig, config.digest, size_of(config)},
                                  layer_descriptor, false);
        RCD_CHECK(client.put_manifest(repo, cache_tag(meta.key), image::kOciManifest, manifest));
    }
    return client.put_manifest(repo, "cache", image::kOciManifest, manifest);
}

Result<std::optional<CacheEntry>> pull_remote(registry::Client& client, const std::string& repo,
                                              const std::string& key, const LocalStore& store) {
    RCD_ASSIGN(auto digest, client.manifest_digest(repo, cache_tag(key)));
    if (!digest)
        return std::optional<CacheEntry>{};
    RCD_ASSIGN(auto manifest, client.get_manifest(repo, cache_tag(key)));
    auto meta = annotations_of(manifest.body);
    auto doc = nlohmann::json::parse(manifest.body, nullptr, false);
    // A tag names a key prefix: another key with the same prefix is a miss, not a hit.
    if (!meta || meta->key != key || doc.is_discarded() || !doc.contains("layers") ||
        doc["layers"].size() != 1)
        return std::optional<CacheEntry>{};
    std::string blob_digest = doc["layers"][0].value("digest", "");
    RCD_ASSIGN(auto data, client.get_blob(repo, blob_digest));
    RCD_ASSIGN(auto entry, store.import(key, meta->profile, blob_digest, data));
    return std::optional<CacheEntry>(entry);
}

Result<std::optional<RemoteCache>> latest_remote(registry::Client& client,
                                                 const std::string& repo) {
    RCD_ASSIGN(auto digest, client.manifest_digest(repo, "cache"));
    if (!digest)
        return std::optional<RemoteCache>{};
    RCD_ASSIGN(auto manifest, client.get_manifest(repo, "cache"));
    return annotations_of(manifest.body);
}

} // namespace rcd::cache
