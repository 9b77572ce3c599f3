// The local dependency cache: content-addressed archives under $RCD_CACHE_DIR.
//   blobs/sha256/<hex>   a .tar.zst of a profile's compiled dependencies
//   keys/<key>.json      which blob a cache key names; its mtime is the last use (for LRU)
#pragma once

#include "rcd/cache/store.hpp"
#include "rcd/util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rcd::cache {

// An index file's entry (keys/<key>.json), every field checked, since its digest names a file;
// nothing when it is damaged.
std::optional<CacheEntry> parse_index_entry(const std::string& key, const std::string& text);

// The machine's store: content-addressed .tar.zst blobs and an index of keys, shared by every
// project on the machine. As a Store it is the nearest: it locates sound entries, and is where
// every archive is restored from.
class LocalStore final : public Store {
  public:
    explicit LocalStore(std::filesystem::path root) : root_(std::move(root)) {}

    std::string name() const override { return "the local cache"; }
    bool is_local() const override { return true; }
    // find(key), then verify(): a damaged entry is removed and reported.
    Result<std::optional<CacheEntry>> locate(const std::string& key) override;
    Result<std::optional<CacheEntry>> peek(const std::string& key) override {
        return find(key, false);
    }
    Result<CacheEntry> fetch(const CacheEntry& located, const TransferProgress&,
                             util::GrowingFile*) override {
        return located;
    }
    Result<std::optional<EntryMeta>> latest(const std::string&, const std::string&) override {
        return std::optional<EntryMeta>{};
    }
    Result<bool> put(const CacheEntry&, const EntryMeta&, const TransferProgress&) override {
        return false; // it holds every entry it has saved
    }

    // $RCD_CACHE_DIR, else $XDG_CACHE_HOME/rcd, else ~/.cache/rcd.
    static std::filesystem::path default_root();

    const std::filesystem::path& root() const { return root_; }

    // The entry for a key, marking it used (unless `mark_used` is false: rcd plan only looks);
    // nothing when there is none.
    Result<std::optional<CacheEntry>> find(const std::string& key, bool mark_used = true) const;

    // Archives `paths` (relative to target_dir; `content` as pack_tree's) and records them
    // under `key`, atomically.
    Result<CacheEntry> save(const std::string& key, const std::string& profile,
                            const std::filesystem::path& target_dir,
                            const std::vector<std::string>& paths,
                            const std::map<std::string, std::filesystem::path>& content = {}) const;

    // Checks the archive against its digest. A blob that does not match is deleted, with its
    // key, and reported (exit code 5) so the caller falls back to building.
    Status verify(const CacheEntry& entry) const;

    // Unpacks the archive into target_dir, after verify() unless `check_digest` is false (for a
    // blob that was checked as it arrived, or just now).
    Status restore(const CacheEntry& entry, const std::filesystem::path& target_dir,
                   bool check_digest = true) const;

    // Forgets an entry whose archive cannot be restored, so the next run builds it anew.
    void remove(const CacheEntry& entry) const;

    // A new temporary file name inside the store, for a blob on its way in.
    Result<std::filesystem::path> incoming() const;

    // Moves `file` (from incoming(), already checked against `digest` by whoever fetched it)
    // into the store as the entry for `key`.
    Result<CacheEntry> import(const std::string& key, const std::string& profile,
                              const std::string& digest, const std::filesystem::path& file) const;

    // The archive's file, for pushing it to a registry.
    std::filesystem::path blob_file(const CacheEntry& entry) const;

    // Evicts the least recently used entries until the blobs take at most max_bytes.
    // Returns the bytes freed.
    Result<std::int64_t> prune(std::int64_t max_bytes) const;

    // Removes what killed runs left: incoming downloads and saves, and cook directories in the
    // temporary directory. prune() does it first.
    void remove_leftovers() const;

  private:
    std::filesystem::path blob_path(const std::string& digest) const;
    std::filesystem::path key_path(const std::string& key) const;

    std::filesystem::path root_;
};

// "sha256:<hex>" of a file, read in chunks.
Result<std::string> file_digest(const std::filesystem::path& file);

} // namespace rcd::cache
