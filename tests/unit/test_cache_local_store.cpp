#include "rcd/cache/local_store.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/hash.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace rcd;
using namespace rcd::cache;

namespace {
// A cache key as rcd makes them: 64 hex digits.
std::string key_of(const std::string& name) {
    return util::sha256_hex(name);
}
} // namespace

TEST_CASE("a saved profile is found by its key and restored into another target directory") {
    test::TempDir dir;
    LocalStore store(dir / "cache");
    REQUIRE(util::write_file_atomic(dir / "a/target/release/deps/libx-1.rlib", "compiled"));
    auto saved = store.save(key_of("key1"), "release", dir / "a/target", {"release"});
    REQUIRE(saved);
    CHECK(saved->digest.starts_with("sha256:"));
    auto found = store.find(key_of("key1"));
    REQUIRE(found);
    REQUIRE(*found);
    CHECK((*found)->digest == saved->digest);
    REQUIRE(store.restore(**found, dir / "b/target"));
    CHECK(util::read_file(dir / "b/target/release/deps/libx-1.rlib") == "compiled");
    auto missing = store.find(key_of("key2"));
    REQUIRE(missing);
    CHECK_FALSE(*missing);
}

TEST_CASE("a corrupted blob is detected, removed, and becomes a miss") {
    test::TempDir dir;
    LocalStore store(dir / "cache");
    REQUIRE(util::write_file_atomic(dir / "t/release/deps/libx-1.rlib", std::string(4096, 'x')));
    auto saved = store.save(key_of("key"), "release", dir / "t", {"release"});
    REQUIRE(saved);
    auto blob = dir / "cache/blobs/sha256" / saved->digest.substr(7);
    {
        std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(20);
        char c = 0;
        f.read(&c, 1);
        f.seekp(20);
        c = static_cast<char>(c ^ 0xff);
        f.write(&c, 1);
    }
    auto restored = store.restore(*saved, dir / "u");
    REQUIRE_FALSE(restored);
    CHECK(restored.error().code == ExitCode::filesystem);
    CHECK(restored.error().message.find("is corrupt") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(blob));
    CHECK_FALSE(std::filesystem::exists(dir / "u/release/deps/libx-1.rlib"));
    CHECK_FALSE(*store.find(key_of("key")));
}

TEST_CASE("prune evicts the least recently used entries first") {
    test::TempDir dir;
    LocalStore store(dir / "cache");
    std::vector<CacheEntry> entries;
    for (int i = 0; i < 3; ++i) {
        // Random-ish contents so each archive is its own blob of a similar size.
        std::string data;
        for (int j = 0; j < 20000; ++j)
            data += static_cast<char>((j * 7919 + i * 104729) % 251);
        REQUIRE(util::write_file_atomic(dir / ("t" + std::to_string(i)) / "release/f", data));
        auto saved = store.save(key_of("k" + std::to_string(i)), "release",
                                dir / ("t" + std::to_string(i)), {"release"});
        REQUIRE(saved);
        entries.push_back(*saved);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE(*store.find(key_of("k0"))); // k0 is now the most recently used
    auto freed = store.prune(entries[0].size + 10);
    REQUIRE(freed);
    CHECK(*freed == entries[1].size + entries[2].size);
    CHECK(*store.find(key_of("k0")));
    CHECK_FALSE(*store.find(key_of("k1")));
    CHECK_FALSE(*store.find(key_of("k2")));
}

TEST_CASE("the cache lives in RCD_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache") {
    // Given back as they were: later tests run rustup's proxies, which need the real HOME.
    struct Saved {
        std::vector<std::pair<const char*, std::optional<std::string>>> values;
        Saved() {
            for (const char* name : {"RCD_CACHE_DIR", "XDG_CACHE_HOME", "HOME"}) {
                const char* value = std::getenv(name);
                values.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
            }
        }
        ~Saved() {
            for (const auto& [name, value] : values)
                value ? ::setenv(name, value->c_str(), 1) : ::unsetenv(name);
        }
    } saved;
    ::setenv("RCD_CACHE_DIR", "/x/rcd-cache", 1);
    CHECK(LocalStore::default_root() == "/x/rcd-cache");
    ::unsetenv("RCD_CACHE_DIR");
    ::setenv("XDG_CACHE_HOME", "/x/xdg", 1);
    CHECK(LocalStore::default_root() == "/x/xdg/rcd");
    ::unsetenv("XDG_CACHE_HOME");
    ::setenv("HOME", "/x/home", 1);
    CHECK(LocalStore::default_root() == "/x/home/.cache/rcd");
}

TEST_CASE("what an index file says never names a file outside the cache") {
    test::TempDir dir;
    LocalStore store(dir / "cache");
    REQUIRE(util::write_file_atomic(dir / "victim", "keep me"));
    REQUIRE(util::write_file_atomic(dir / "t/release/f", "x"));
    REQUIRE(store.save(key_of("good"), "release", dir / "t", {"release"}));
    // Index files whose digest would name another file, or whose fields have other types.
    const std::string key = key_of("hostile");
    for (const auto& text :
         {std::string(R"({"digest": "sha256:../../../victim", "size": 7})"),
          std::string(R"({"digest": "../victim", "size": 7})"),
          std::string(R"({"digest": 42, "size": 7})"), std::string(R"({"digest": ["x"]})"),
          std::string(R"({"digest": "sha256:)") + std::string(64, 'a') + R"(", "size": "big"})",
          std::string("[1,2]"), std::string("not json")}) {
        INFO(text);
        REQUIRE(util::write_file_atomic(dir / "cache/keys" / (key + ".json"), text));
        auto found = store.find(key);
        REQUIRE_FALSE(found); // a miss with a warning
        CHECK(found.error().message.find("damaged") != std::string::npos);
        REQUIRE(util::write_file_atomic(dir / "cache/keys" / (key + ".json"), text));
        REQUIRE(store.prune(0)); // evicts everything it may: never the victim
        CHECK(util::read_file(dir / "victim") == "keep me");
    }
    // A key that is not one is refused before it names a file.
    auto odd = store.find("../../victim");
    REQUIRE_FALSE(odd);
    CHECK(odd.error().message.find("not a cache key") != std::string::npos);
}
