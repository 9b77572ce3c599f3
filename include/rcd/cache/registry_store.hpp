// The shared dependency cache: an OCI artifact in the cache repository, tagged
// `cache-<key prefix>`, plus the moving tag `cache`: an index naming the newest push of each
// profile and toolchain, for partial restores.
#pragma once

#include "rcd/cache/local_store.hpp"
#include "rcd/cache/store.hpp"
#include "rcd/registry/client.hpp"

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace rcd::cache {

inline constexpr const char* kCacheArtifactType = "application/vnd.rcd.cache.v1";
inline constexpr const char* kCacheLayerType = "application/vnd.rcd.cache.v1.tar+zstd";

std::string cache_tag(const std::string& key); // "cache-" and the first 16 hex digits

// The manifest for a cache blob, with the key and the recipe as annotations. With
// `as_artifact` false, a plain image manifest for registries that refuse artifactType.
std::string cache_manifest(const EntryMeta& meta, const image::Descriptor& config,
                           const image::Descriptor& layer, bool as_artifact);

// Pushes the local entry's archive, then the manifest tagged `cache-<key prefix>`, then puts
// it at the head of the `cache` index (replacing the entry of the same profile and toolchain).
Status push_remote(registry::Client& client, const std::string& repo, const LocalStore& store,
                   const CacheEntry& entry, const EntryMeta& meta,
                   const registry::Progress& progress = {});

// The `cache` index after `pushed` (a manifest descriptor with its annotations) was added to
// `current` (the index's JSON, or empty): newest first, one per profile and toolchain.
std::string merge_cache_index(const std::string& current, const nlohmann::json& pushed);

// The cache of exactly one key in the registry: its annotations and its archive.
struct RemoteLayer {
    EntryMeta meta;
    std::string digest;
    std::int64_t size = 0;
};

// What a cache manifest says, if it is one of exactly this key, with a layer whose digest and
// size are well-formed (they name a file and bound a download).
std::optional<RemoteLayer> parse_cache_manifest(const std::string& body, const std::string& key);

// `cache-<key prefix>`, if it holds exactly this key.
Result<std::optional<RemoteLayer>> find_remote(registry::Client& client, const std::string& repo,
                                               const std::string& key);

// Whether the registry holds the cache of exactly this key.
Result<bool> has_remote(registry::Client& client, const std::string& repo, const std::string& key);

// Downloads a found cache into the local store, checking its digest as it arrives (and
// letting `growing`'s reader unpack it meanwhile).
Result<CacheEntry> download_remote(registry::Client& client, const std::string& repo,
                                   const RemoteLayer& layer, const LocalStore& store,
                                   const registry::Progress& progress = {},
                                   util::GrowingFile* growing = nullptr);

// find_remote, then download_remote; nothing when the registry has none.
Result<std::optional<CacheEntry>> pull_remote(registry::Client& client, const std::string& repo,
                                              const std::string& key, const LocalStore& store,
                                              const registry::Progress& progress = {});

// What `rcd cache prune --remote` did.
struct RemotePrune {
    int kept = 0;
    std::vector<std::string> deleted;    // tags whose manifests were deleted
    std::vector<std::string> protected_; // cache tags an image tag also names: never deleted
};

// Keeps the `keep` newest caches of each profile in `repo` and deletes the other `cache-*`
// manifests, never one that a tag outside the cache's own names; then drops the deleted ones
// from the `cache` index. The registry frees the blobs at its next garbage collection.
Result<RemotePrune> prune_remote(registry::Client& client, const std::string& repo, int keep);

// The newest cache of this profile and toolchain that `cache` names, if any.
Result<std::optional<EntryMeta>> latest_remote(registry::Client& client, const std::string& repo,
                                               const std::string& profile,
                                               const std::string& toolchain);

// The cache repository as a Store: archives located by their `cache-<key prefix>` tag,
// downloaded into the local store, and pushed from it.
class RegistryStore final : public Store {
  public:
    RegistryStore(std::shared_ptr<registry::Client> client, std::string repository,
                  const LocalStore& local)
        : client_(std::move(client)), repository_(std::move(repository)), local_(local) {}

    std::string name() const override { return repository_; }
    bool is_local() const override { return false; }
    Result<std::optional<CacheEntry>> locate(const std::string& key) override;
    Result<std::optional<CacheEntry>> peek(const std::string& key) override { return locate(key); }
    Result<CacheEntry> fetch(const CacheEntry& located, const TransferProgress& progress,
                             util::GrowingFile* growing) override;
    Result<std::optional<EntryMeta>> latest(const std::string& profile,
                                            const std::string& toolchain) override;
    Result<bool> put(const CacheEntry& entry, const EntryMeta& meta,
                     const TransferProgress& progress) override;

  private:
    std::shared_ptr<registry::Client> client_;
    std::string repository_;
    const LocalStore& local_;
};

} // namespace rcd::cache
