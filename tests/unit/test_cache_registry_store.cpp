// The shared cache against a real registry: push, pull into an empty local store, restore.
#include "rcd/cache/registry_store.hpp"
#include "rcd/util/fs.hpp"

#include "registry_server.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

using namespace rcd;
using namespace rcd::cache;

namespace {
const std::string kKey = std::string(64, 'a');

struct Fixture : test::RegistryFixture {
    CacheEntry saved_entry(const LocalStore& store, const std::string& key) {
        REQUIRE(util::write_file_atomic(dir / "t/release/deps/libdep-1.rlib", "compiled dep"));
        timespec t[2] = {{1'600'000'000, 5}, {1'600'000'000, 5}};
        ::utimensat(AT_FDCWD, (dir / "t/release/deps/libdep-1.rlib").c_str(), t, 0);
        auto entry = store.save(key, "release", dir / "t", {"release"});
        REQUIRE(entry);
        return *entry;
    }
};
} // namespace

TEST_CASE("a cache pushed by one machine is pulled and restored by another", "[registry]") {
    Fixture f;
    LocalStore machine_a(f.dir / "cache-a");
    auto entry = f.saved_entry(machine_a, kKey);
    EntryMeta meta{kKey, "release", "toolchain-1", "recipe-1", "2026-01-01T00:00:00Z"};
    REQUIRE(push_remote(*f.client, "team/app", machine_a, entry, meta));

    LocalStore machine_b(f.dir / "cache-b");
    auto pulled = pull_remote(*f.client, "team/app", kKey, machine_b);
    REQUIRE(pulled);
    REQUIRE(*pulled);
    CHECK((*pulled)->digest == entry.digest);
    REQUIRE(machine_b.restore(**pulled, f.dir / "b"));
    CHECK(util::read_file(f.dir / "b/release/deps/libdep-1.rlib") == "compiled dep");
    struct stat st {};
    ::stat((f.dir / "b/release/deps/libdep-1.rlib").c_str(), &st);
    CHECK(st.st_mtim.tv_sec == 1'600'000'000);
    CHECK(st.st_mtim.tv_nsec == 5);

    auto latest = latest_remote(*f.client, "team/app", "release", "toolchain-1");
    REQUIRE(latest);
    REQUIRE(*latest);
    CHECK((*latest)->key == kKey);
    CHECK((*latest)->recipe == "recipe-1");
    auto other_toolchain = latest_remote(*f.client, "team/app", "release", "toolchain-2");
    REQUIRE(other_toolchain);
    CHECK_FALSE(*other_toolchain);
    auto other_profile = latest_remote(*f.client, "team/app", "test", "toolchain-1");
    REQUIRE(other_profile);
    CHECK_FALSE(*other_profile);

    auto tagged = f.client->manifest_digest("team/app", cache_tag(kKey));
    auto index = f.client->get_manifest("team/app", "cache");
    REQUIRE(tagged);
    REQUIRE(*tagged);
    REQUIRE(index);
    CHECK(index->media_type == image::kOciIndex);
    CHECK(nlohmann::json::parse(index->body)["manifests"][0]["digest"] == **tagged);
}

TEST_CASE("the cache index keeps the newest entry of each profile and toolchain, newest first") {
    auto entry = [](const std::string& digest, const std::string& profile,
                    const std::string& toolchain) {
        return nlohmann::json{{"mediaType", image::kOciManifest},
                              {"digest", digest},
                              {"size", 1},
                              {"annotations",
                               {{"dev.rcd.cache.key", digest},
                                {"dev.rcd.cache.profile", profile},
                                {"dev.rcd.cache.toolchain", toolchain}}}};
    };
    std::string index = merge_cache_index("", entry("sha256:1", "release", "t1"));
    index = merge_cache_index(index, entry("sha256:2", "test", "t1"));
    index = merge_cache_index(index, entry("sha256:3", "release", "t2"));
    index = merge_cache_index(index, entry("sha256:4", "release", "t1"));
    auto doc = nlohmann::json::parse(index);
    REQUIRE(doc["manifests"].size() == 3);
    CHECK(doc["manifests"][0]["digest"] == "sha256:4");
    CHECK(doc["manifests"][1]["digest"] == "sha256:3");
    CHECK(doc["manifests"][2]["digest"] == "sha256:2");
    CHECK(doc["mediaType"] == image::kOciIndex);
    CHECK(nlohmann::json::parse(
              merge_cache_index("not json", entry("sha256:5", "test", "t")))["manifests"]
              .size() == 1);
}

TEST_CASE("an absent key, or another key with the same prefix, is a miss", "[registry]") {
    Fixture f;
    LocalStore store(f.dir / "cache");
    auto entry = f.saved_entry(store, kKey);
    REQUIRE(push_remote(*f.client, "team/app", store, entry, {kKey, "release", "t", "r", ""}));
    LocalStore empty(f.dir / "empty");
    auto other =
        pull_remote(*f.client, "team/app", std::string(16, 'a') + std::string(48, 'b'), empty);
    REQUIRE(other);
    CHECK_FALSE(*other);
    auto absent = pull_remote(*f.client, "team/app", std::string(64, 'c'), empty);
    REQUIRE(absent);
    CHECK_FALSE(*absent);
    auto none = latest_remote(*f.client, "team/nothing", "release", "t");
    REQUIRE(none);
    CHECK_FALSE(*none);
}

TEST_CASE("the cache manifest carries the key and recipe, as an artifact or a plain image") {
    image::Descriptor config{"application/vnd.oci.empty.v1+json", "sha256:c", 2};
    image::Descriptor layer{kCacheLayerType, "sha256:l", 10};
    EntryMeta meta{"k", "test", "tc", "rh", "2026-01-01T00:00:00Z"};
    auto artifact = nlohmann::json::parse(cache_manifest(meta, config, layer, true));
    CHECK(artifact["annotations"]["org.opencontainers.image.created"] == "2026-01-01T00:00:00Z");
    CHECK(artifact["artifactType"] == kCacheArtifactType);
    CHECK(artifact["annotations"]["dev.rcd.cache.key"] == "k");
    CHECK(artifact["annotations"]["dev.rcd.cache.recipe"] == "rh");
    CHECK(artifact["layers"][0]["mediaType"] == kCacheLayerType);
    auto plain = nlohmann::json::parse(cache_manifest(meta, config, layer, false));
    CHECK_FALSE(plain.contains("artifactType"));
    CHECK(plain["annotations"]["dev.rcd.cache.profile"] == "test");
}

TEST_CASE("remote prune keeps the newest caches of each profile and what an image tag names",
          "[registry]") {
    Fixture f;
    LocalStore store(f.dir / "cache");
    // Each of another toolchain, so that the `cache` index names every one of them.
    auto push = [&](char fill, const std::string& profile, const std::string& created) {
        std::string key(64, fill);
        auto entry = f.saved_entry(store, key);
        REQUIRE(push_remote(*f.client, "team/app-cache", store, entry,
                            {key, profile, std::string(1, fill), "r", created}));
        return key;
    };
    auto oldest = push('a', "release", "2026-01-01T00:00:00Z");
    auto middle = push('b', "release", "2026-01-02T00:00:00Z");
    auto newest = push('c', "release", "2026-01-03T00:00:00Z");
    auto test = push('d', "test", "2026-01-01T00:00:00Z");
    // An image tag that names the oldest cache's manifest keeps it.
    auto oldest_manifest = f.client->get_manifest("team/app-cache", cache_tag(oldest));
    REQUIRE(oldest_manifest);
    REQUIRE(f.client->put_manifest("team/app-cache", "v1", oldest_manifest->media_type,
                                   oldest_manifest->body));

    auto pruned = prune_remote(*f.client, "team/app-cache", 1);
    REQUIRE(pruned);
    CHECK(pruned->deleted == std::vector<std::string>{cache_tag(middle)});
    CHECK(pruned->protected_ == std::vector<std::string>{cache_tag(oldest)});
    CHECK(pruned->kept == 3);
    auto gone = f.client->manifest_digest("team/app-cache", cache_tag(middle));
    REQUIRE(gone);
    CHECK_FALSE(*gone);
    for (const auto& key : {oldest, newest, test}) {
        auto there = f.client->manifest_digest("team/app-cache", cache_tag(key));
        REQUIRE(there);
        CHECK(*there);
    }
    auto index = f.client->get_manifest("team/app-cache", "cache");
    REQUIRE(index);
    auto manifests = nlohmann::json::parse(index->body)["manifests"];
    REQUIRE(manifests.size() == 3); // of the four it named
    for (const auto& entry : manifests)
        CHECK(entry["annotations"]["dev.rcd.cache.key"] != middle);
}
