#include "rcd/cache/registry_store.hpp"

#include "rcd/util/hash.hpp"

#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace rcd::cache {

namespace {

constexpr const char* kKey = "dev.rcd.cache.key";
constexpr const char* kProfile = "dev.rcd.cache.profile";
constexpr const char* kToolchain = "dev.rcd.cache.toolchain";
constexpr const char* kRecipe = "dev.rcd.cache.recipe";
constexpr const char* kCreated = "org.opencontainers.image.created";
constexpr const char* kEmptyType = "application/vnd.oci.empty.v1+json";

nlohmann::json descriptor(const image::Descriptor& d) {
    return {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
}

// What the registry wrote: any field may be missing or of another type.
std::optional<EntryMeta> annotations_of(const nlohmann::json& doc) {
    if (!doc.is_object() || !doc.contains("annotations") || !doc["annotations"].is_object())
        return std::nullopt;
    const auto& a = doc["annotations"];
    auto text = [&](const char* name) {
        auto it = a.find(name);
        return it != a.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    return EntryMeta{text(kKey), text(kProfile), text(kToolchain), text(kRecipe), text(kCreated)};
}

// Entries kept in the `cache` index: enough for every profile of a few toolchains.
constexpr std::size_t kIndexEntries = 12;

} // namespace

std::string cache_tag(const std::string& key) {
    return "cache-" + key.substr(0, 16);
}

std::string cache_manifest(const EntryMeta& meta, const image::Descriptor& config,
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
    if (!meta.created.empty())
        doc["annotations"][kCreated] = meta.created;
    if (as_artifact)
        doc["artifactType"] = kCacheArtifactType;
    return doc.dump();
}

Status push_remote(registry::Client& client, const std::string& repo, const LocalStore& store,
                   const CacheEntry& entry, const EntryMeta& meta,
                   const registry::Progress& progress) {
    RCD_ASSIGN([[maybe_unused]] auto layer_pushed,
               client.push_blob_file(repo, entry.digest, store.blob_file(entry), progress));

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
    const bool as_artifact = put.has_value();
    if (!put) {
        // Older registries refuse artifactType or the empty config: push a plain image.
        RCD_ASSIGN([[maybe_unused]] auto config_pushed,
                   client.push_blob(repo, config, std::nullopt));
        manifest = cache_manifest(meta, {image::kOciConfig, config.digest, size_of(config)},
                                  layer_descriptor, false);
        RCD_CHECK(client.put_manifest(repo, cache_tag(meta.key), image::kOciManifest, manifest));
    }

    nlohmann::json pushed = {{"mediaType", image::kOciManifest},
                             {"digest", util::sha256_digest(manifest)},
                             {"size", manifest.size()},
                             {"annotations", nlohmann::json::parse(manifest)["annotations"]}};
    if (as_artifact)
        pushed["artifactType"] = kCacheArtifactType;
    std::string current;
    if (auto head = client.manifest_digest(repo, "cache"); head && *head) {
        auto fetched = client.get_manifest(repo, "cache");
        if (fetched && fetched->media_type == image::kOciIndex)
            current = fetched->body;
    }
    return client.put_manifest(repo, "cache", image::kOciIndex, merge_cache_index(current, pushed));
}

std::string merge_cache_index(const std::string& current, const nlohmann::json& pushed) {
    auto pushed_meta = annotations_of(pushed);
    nlohmann::json manifests = nlohmann::json::array({pushed});
    auto doc = nlohmann::json::parse(current, nullptr, false);
    if (!doc.is_discarded() && doc.contains("manifests") && doc["manifests"].is_array())
        for (const auto& entry : doc["manifests"]) {
            auto meta = annotations_of(entry);
            if (!meta || (pushed_meta && meta->profile == pushed_meta->profile &&
                          meta->toolchain == pushed_meta->toolchain))
                continue;
            if (manifests.size() < kIndexEntries)
                manifests.push_back(entry);
        }
    return nlohmann::json{
        {"schemaVersion", 2}, {"mediaType", image::kOciIndex}, {"manifests", manifests}}
        .dump();
}

std::optional<RemoteLayer> parse_cache_manifest(const std::string& body, const std::string& key) {
    auto doc = nlohmann::json::parse(body, nullptr, false);
    auto meta = annotations_of(doc);
    // A tag names a key prefix: another key with the same prefix is a miss, not a hit.
    if (!meta || meta->key != key || !doc.contains("layers") || !doc["layers"].is_array() ||
        doc["layers"].size() != 1 || !doc["layers"][0].is_object())
        return std::nullopt;
    // The digest names a file and the size bounds the download: both are checked first.
    const auto& layer = doc["layers"][0];
    auto layer_digest = layer.find("digest");
    auto size = layer.find("size");
    if (layer_digest == layer.end() || !layer_digest->is_string() ||
        !util::is_sha256_digest(layer_digest->get<std::string>()) || size == layer.end() ||
        !size->is_number_unsigned())
        return std::nullopt;
    return RemoteLayer{*meta, layer_digest->get<std::string>(), size->get<std::int64_t>()};
}

Result<std::optional<RemoteLayer>> find_remote(registry::Client& client, const std::string& repo,
                                               const std::string& key) {
    RCD_ASSIGN(auto digest, client.manifest_digest(repo, cache_tag(key)));
    if (!digest)
        return std::optional<RemoteLayer>{};
    RCD_ASSIGN(auto manifest, client.get_manifest(repo, cache_tag(key)));
    return parse_cache_manifest(manifest.body, key);
}

Result<bool> has_remote(registry::Client& client, const std::string& repo, const std::string& key) {
    RCD_ASSIGN(auto found, find_remote(client, repo, key));
    return found.has_value();
}

Result<CacheEntry> download_remote(registry::Client& client, const std::string& repo,
                                   const RemoteLayer& layer, const LocalStore& store,
                                   const registry::Progress& progress, util::GrowingFile* growing) {
    RCD_ASSIGN(auto temp, store.incoming());
    RCD_CHECK(client.download_blob(repo, layer.digest, layer.size, temp, progress, growing));
    return store.import(layer.meta.key, layer.meta.profile, layer.digest, temp);
}

Result<std::optional<CacheEntry>> pull_remote(registry::Client& client, const std::string& repo,
                                              const std::string& key, const LocalStore& store,
                                              const registry::Progress& progress) {
    RCD_ASSIGN(auto found, find_remote(client, repo, key));
    if (!found)
        return std::optional<CacheEntry>{};
    RCD_ASSIGN(auto entry, download_remote(client, repo, *found, store, progress));
    return std::optional<CacheEntry>(entry);
}

Result<RemotePrune> prune_remote(registry::Client& client, const std::string& repo, int keep) {
    RemotePrune result;
    RCD_ASSIGN(auto tags, client.list_tags(repo));
    struct Candidate {
        std::string tag, digest;
        EntryMeta meta;
    };
    std::map<std::string, std::vector<Candidate>> by_profile;
    std::set<std::string> named_elsewhere; // digests a tag outside the cache names
    for (const auto& tag : tags) {
        if (tag == "cache")
            continue;
        RCD_ASSIGN(auto digest, client.manifest_digest(repo, tag));
        if (!digest)
            continue;
        if (!tag.starts_with("cache-")) {
            named_elsewhere.insert(*digest);
            continue;
        }
        RCD_ASSIGN(auto manifest, client.get_manifest(repo, *digest));
        auto meta = annotations_of(nlohmann::json::parse(manifest.body, nullptr, false));
        if (!meta || meta->key.empty())
            continue; // not a cache rcd wrote: left alone
        by_profile[meta->profile].push_back({tag, *digest, *meta});
    }
    std::set<std::string> deleted_digests;
    for (auto& [profile, candidates] : by_profile) {
        // Newest first; caches without a date (older rcd) count as the oldest.
        std::stable_sort(
            candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.meta.created > b.meta.created; });
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            const auto& c = candidates[i];
            if (static_cast<int>(i) < keep) {
                ++result.kept;
            } else if (named_elsewhere.contains(c.digest)) {
                result.protected_.push_back(c.tag);
                ++result.kept;
            } else {
                RCD_CHECK(client.delete_manifest(repo, c.digest));
                result.deleted.push_back(c.tag);
                deleted_digests.insert(c.digest);
            }
        }
    }
    if (deleted_digests.empty())
        return result;
    // The index must not name what is gone: a partial restore would look for it.
    RCD_ASSIGN(auto head, client.manifest_digest(repo, "cache"));
    if (!head)
        return result;
    RCD_ASSIGN(auto index, client.get_manifest(repo, "cache"));
    auto doc = nlohmann::json::parse(index.body, nullptr, false);
    if (doc.is_discarded() || !doc.contains("manifests") || !doc["manifests"].is_array())
        return result;
    nlohmann::json manifests = nlohmann::json::array();
    for (const auto& entry : doc["manifests"])
        if (!entry.is_object() || !deleted_digests.contains(entry.value("digest", "")))
            manifests.push_back(entry);
    doc["manifests"] = manifests;
    RCD_CHECK(client.put_manifest(repo, "cache", image::kOciIndex, doc.dump()));
    return result;
}

Result<std::optional<EntryMeta>> latest_remote(registry::Client& client, const std::string& repo,
                                               const std::string& profile,
                                               const std::string& toolchain) {
    RCD_ASSIGN(auto digest, client.manifest_digest(repo, "cache"));
    if (!digest)
        return std::optional<EntryMeta>{};
    RCD_ASSIGN(auto fetched, client.get_manifest(repo, "cache"));
    auto doc = nlohmann::json::parse(fetched.body, nullptr, false);
    std::vector<nlohmann::json> candidates;
    if (!doc.is_discarded() && doc.contains("manifests") && doc["manifests"].is_array())
        candidates.assign(doc["manifests"].begin(), doc["manifests"].end());
    for (const auto& candidate : candidates)
        if (auto meta = annotations_of(candidate); meta && util::is_sha256_hex(meta->key) &&
                                                   meta->profile == profile &&
                                                   meta->toolchain == toolchain)
            return meta;
    return std::optional<EntryMeta>{};
}

Result<std::optional<CacheEntry>> RegistryStore::locate(const std::string& key) {
    RCD_ASSIGN(auto found, find_remote(*client_, repository_, key));
    if (!found)
        return std::optional<CacheEntry>{};
    return std::optional<CacheEntry>(
        CacheEntry{found->meta.key, found->digest, found->size, found->meta.profile});
}

Result<CacheEntry> RegistryStore::fetch(const CacheEntry& located, const TransferProgress& progress,
                                        util::GrowingFile* growing) {
    RemoteLayer layer{{located.key, located.profile, "", "", ""}, located.digest, located.size};
    return download_remote(*client_, repository_, layer, local_, progress, growing);
}

Result<std::optional<EntryMeta>> RegistryStore::latest(const std::string& profile,
                                                       const std::string& toolchain) {
    return latest_remote(*client_, repository_, profile, toolchain);
}

Result<bool> RegistryStore::put(const CacheEntry& entry, const EntryMeta& meta,
                                const TransferProgress& progress) {
    RCD_ASSIGN(auto there, has_remote(*client_, repository_, entry.key));
    if (there)
        return false;
    RCD_CHECK(push_remote(*client_, repository_, local_, entry, meta, progress));
    return true;
}

} // namespace rcd::cache
