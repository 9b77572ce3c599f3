#include "rcd/cache/local_store.hpp"

#include "rcd/cache/archive.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/hash.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fmt/format.h>
#include <fmt/std.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <unistd.h>

namespace rcd::cache {

Result<std::string> file_digest(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return fail(ExitCode::filesystem, fmt::format("cannot read {}", file),
                    "check the cache directory");
    util::Sha256 hasher;
    std::vector<char> buffer(1 << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        hasher.update(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
    }
    return "sha256:" + hasher.hex();
}

std::filesystem::path LocalStore::default_root() {
    if (const char* dir = std::getenv("RCD_CACHE_DIR"); dir && *dir)
        return dir;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        return std::filesystem::path(xdg) / "rcd";
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home && *home ? home : "/tmp") / ".cache" / "rcd";
}

std::filesystem::path LocalStore::blob_path(const std::string& digest) const {
    return root_ / "blobs" / "sha256" / digest.substr(digest.find(':') + 1);
}

std::filesystem::path LocalStore::key_path(const std::string& key) const {
    return root_ / "keys" / (key + ".json");
}

std::optional<CacheEntry> parse_index_entry(const std::string& key, const std::string& text) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (!doc.is_object())
        return std::nullopt;
    auto digest = doc.find("digest");
    auto size = doc.find("size");
    auto profile = doc.find("profile");
    if (digest == doc.end() || !digest->is_string() ||
        !util::is_sha256_digest(digest->get<std::string>()) || size == doc.end() ||
        !size->is_number_unsigned() || (profile != doc.end() && !profile->is_string()))
        return std::nullopt;
    return CacheEntry{key, digest->get<std::string>(), size->get<std::int64_t>(),
                      profile == doc.end() ? "" : profile->get<std::string>()};
}

Result<std::optional<CacheEntry>> LocalStore::find(const std::string& key, bool mark_used) const {
    std::error_code ec;
    if (!util::is_sha256_hex(key))
        return fail(ExitCode::filesystem, fmt::format("'{}' is not a cache key", key.substr(0, 80)),
                    "a cache key is 64 hex digits");
    auto file = key_path(key);
    if (!std::filesystem::exists(file, ec))
        return std::optional<CacheEntry>{};
    RCD_ASSIGN(auto text, util::read_file(file));
    auto entry = parse_index_entry(key, text);
    if (!entry) {
        std::filesystem::remove(file, ec); // the file is this key's own: nothing else goes
        return fail(ExitCode::filesystem,
                    fmt::format("the local cache index {} is damaged; ignored, a miss", file),
                    "nothing to do: the dependencies are built again and saved");
    }
    if (!std::filesystem::exists(blob_path(entry->digest), ec)) {
        std::filesystem::remove(file, ec); // a torn or orphaned index entry is a miss
        return std::optional<CacheEntry>{};
    }
    if (mark_used)
        std::filesystem::last_write_time(file, std::filesystem::file_time_type::clock::now(), ec);
    return entry;
}

Result<CacheEntry>
LocalStore::save(const std::string& key, const std::string& profile,
                 const std::filesystem::path& target_dir, const std::vector<std::string>& paths,
                 const std::map<std::string, std::filesystem::path>& content) const {
    RCD_ASSIGN(auto temp, incoming());
    auto digest = [&]() -> Result<std::string> {
        RCD_CHECK(cache::pack_tree(target_dir, paths, temp, content));
        return file_digest(temp);
    }();
    if (!digest) {
        std::error_code ec;
        std::filesystem::remove(temp, ec);
        return std::unexpected(digest.error());
    }
    return import(key, profile, *digest, temp);
}

Result<std::filesystem::path> LocalStore::incoming() const {
    static std::atomic<int> count{0}; // several profiles arrive at once
    RCD_CHECK(util::create_directories(root_ / "blobs" / "sha256"));
    return root_ / "blobs" / fmt::format("incoming-{}-{}", ::getpid(), ++count);
}

Result<CacheEntry> LocalStore::import(const std::string& key, const std::string& profile,
                                      const std::string& digest,
                                      const std::filesystem::path& file) const {
    std::error_code ec;
    if (!util::is_sha256_digest(digest) || !util::is_sha256_hex(key)) {
        std::filesystem::remove(file, ec);
        return fail(ExitCode::filesystem,
                    fmt::format("refusing a cache entry named '{}' / '{}'", key.substr(0, 80),
                                digest.substr(0, 80)),
                    "a key is 64 hex digits and a digest sha256: and 64 more");
    }
    auto size = static_cast<std::int64_t>(std::filesystem::file_size(file, ec));
    // Not synced: a blob is checked against its digest whenever it is restored from disk.
    if (!ec)
        std::filesystem::rename(file, blob_path(digest), ec);
    if (ec) {
        std::filesystem::remove(file, ec);
        return fail(ExitCode::filesystem, fmt::format("cannot store a cache blob in {}", root_),
                    "check the cache directory's permissions and free space");
    }
    nlohmann::json index = {{"key", key}, {"digest", digest}, {"size", size}, {"profile", profile}};
    RCD_CHECK(util::write_file_atomic(key_path(key), index.dump() + "\n"));
    return CacheEntry{key, digest, size, profile};
}

std::filesystem::path LocalStore::blob_file(const CacheEntry& entry) const {
    return blob_path(entry.digest);
}

Status LocalStore::verify(const CacheEntry& entry) const {
    RCD_ASSIGN(auto actual, file_digest(blob_path(entry.digest)));
    if (actual == entry.digest)
        return {};
    remove(entry);
    return fail(
        ExitCode::filesystem,
        fmt::format("the local cache blob {} is corrupt (its digest is {})", entry.digest, actual),
        "it was removed; the dependencies will be built again");
}

Status LocalStore::restore(const CacheEntry& entry, const std::filesystem::path& target_dir,
                           bool check_digest) const {
    if (check_digest)
        RCD_CHECK(verify(entry));
    return cache::unpack_tree(blob_path(entry.digest), target_dir);
}

void LocalStore::remove(const CacheEntry& entry) const {
    std::error_code ec;
    std::filesystem::remove(blob_path(entry.digest), ec);
    std::filesystem::remove(key_path(entry.key), ec);
}

void LocalStore::remove_leftovers() const {
    util::remove_stale(root_ / "blobs", "incoming-");
    util::remove_stale(std::filesystem::temp_directory_path(), "rcd-cook-");
}

Result<std::int64_t> LocalStore::prune(std::int64_t max_bytes) const {
    remove_leftovers();
    struct Item {
        std::filesystem::path key_file;
        std::filesystem::file_time_type used;
        std::string digest;
        std::int64_t size;
    };
    std::vector<Item> items;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root_ / "keys", ec)) {
        auto text = util::read_file(entry.path());
        auto parsed = parse_index_entry(entry.path().stem().string(), text.value_or(""));
        if (!parsed) // what an index file says never names a file to delete
            continue;
        items.push_back({entry.path(), entry.last_write_time(ec), parsed->digest, parsed->size});
    }
    std::sort(items.begin(), items.end(),
              [](const Item& a, const Item& b) { return a.used > b.used; });
    // Keep the most recently used until the first that does not fit; everything older goes.
    // A blob shared by several keys counts once.
    std::set<std::string> kept;
    std::int64_t total = 0, freed = 0;
    for (const auto& item : items) {
        if (kept.count(item.digest))
            continue;
        if (total + item.size > max_bytes)
            break;
        kept.insert(item.digest);
        total += item.size;
    }
    for (const auto& item : items) {
        if (kept.count(item.digest))
            continue;
        std::filesystem::remove(item.key_file, ec);
        if (std::filesystem::exists(blob_path(item.digest), ec)) {
            freed += item.size;
            std::filesystem::remove(blob_path(item.digest), ec);
        }
    }
    return freed;
}

Result<std::optional<CacheEntry>> LocalStore::locate(const std::string& key) {
    RCD_ASSIGN(auto entry, find(key));
    if (entry)
        RCD_CHECK(verify(*entry));
    return entry;
}

} // namespace rcd::cache
