// Where the planner looks for a profile's archive, as ccache looks through its storage
// backends: one interface, and the stores in order, nearest first (the machine's LocalStore,
// then a RegistryStore). An archive is always restored from the local store: a farther store
// brings it there first (fetch).
#pragma once

#include "rcd/util/result.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace rcd::util {
class GrowingFile;
}

namespace rcd::cache {

// One archive of compiled dependencies: its key, its digest and size, and its profile.
struct CacheEntry {
    std::string key;
    std::string digest; // "sha256:<hex>" of the archive
    std::int64_t size = 0;
    std::string profile;
};

// What a pushed archive says about itself, so that a later run can find it by profile and
// toolchain (partial restores).
struct EntryMeta {
    std::string key;
    std::string profile;
    std::string toolchain; // a hash of `rustc -vV` and `cargo -V`: partial restores need the same
    std::string recipe;    // the recipe hash
    std::string created;   // RFC 3339, when it was pushed; empty for caches of older rcd
};

// (bytes so far, bytes in all) while an archive moves.
using TransferProgress = std::function<void(std::int64_t, std::int64_t)>;

class Store {
  public:
    virtual ~Store() = default;

    // For messages: "the local cache", or the registry repository.
    virtual std::string name() const = 0;
    // The archive restores from this store count as (local, or registry).
    virtual bool is_local() const = 0;

    // The archive of exactly `key`, if this store holds a sound one: a local entry checked
    // against its digest, or a remote one located (not downloaded yet). An error means the
    // store cannot be used at all (the planner stops asking it); a damaged entry is a miss.
    virtual Result<std::optional<CacheEntry>> locate(const std::string& key) = 0;

    // Whether it holds `key`, touching nothing: rcd plan and rcd cache status.
    virtual Result<std::optional<CacheEntry>> peek(const std::string& key) = 0;

    // Brings a located archive into the local store, checked against its digest as it
    // arrives, and readable from `growing` meanwhile when given. The local store returns it
    // as it is.
    virtual Result<CacheEntry> fetch(const CacheEntry& located, const TransferProgress& progress,
                                     util::GrowingFile* growing) = 0;

    // The newest archive of `profile` built by `toolchain`, if any: partial restores.
    virtual Result<std::optional<EntryMeta>> latest(const std::string& profile,
                                                    const std::string& toolchain) = 0;

    // Shares a local entry here; true when it was not here already.
    virtual Result<bool> put(const CacheEntry& entry, const EntryMeta& meta,
                             const TransferProgress& progress) = 0;
};

} // namespace rcd::cache
