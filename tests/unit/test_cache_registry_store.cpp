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

struct Fixture {
    test::RegistryServer server;
    test::TempDir dir;
    std::shared_ptr<registry::Client> client;

    Fixture() {
        REQUIRE(server.running()); // scripts/install-deps.sh installs docker-registry
        auto connected = registry::Client::connect(server.address(), std::nullopt, {});
        REQUIRE(connected);
        client = *connected;
    }

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
    RemoteCache meta{kKey, "release", "toolchain-1", "recipe-1"};
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

    auto latest = latest_remote(*f.client, "team/app");
    REQUIRE(latest);
    REQUIRE(*latest);
    CHECK((*latest)->key == kKey);
    CHECK((*latest)->toolchain == "toolchain-1");
    CHECK((*latest)->recipe == "recipe-1");
    auto tagged = f.client->manifest_digest("team/app", cache_tag(kKey));
    auto moving = f.client->manifest_digest("team/app", "cache");
    REQUIRE(tagged);
    REQUIRE(moving);
    CHECK(*tagged == *moving);
}

TEST_CASE("an absent key, or another key with the same prefix, is a miss", "[registry]") {
    Fixture f;
    LocalStore store(f.dir / "cache");
    auto entry = f.saved_entry(store, kKey);
    REQUIRE(push_remote(*f.client, "team/app", store, entry, {kKey, "release", "t", "r"}));
    LocalStore empty(f.dir / "empty");
    auto other =
        pull_remote(*f.client, "team/app", std::string(16, 'a') + std::string(48, 'b'), empty);
    REQUIRE(other);
    CHECK_FALSE(*other);
    auto absent = pull_remote(*f.client, "team/app", std::string(64, 'c'), empty);
    REQUIRE(absent);
    CHECK_FALSE(*absent);
    auto none = latest_remote(*f.client, "team/nothing");
    REQUIRE(none);
    CHECK_FALSE(*none);
}

TEST_CASE("the cache manifest carries the key and recipe, as an artifact or a plain image") {
    image::Descriptor config{"application/vnd.oci.empty.v1+json", "sha256:c", 2};
    image::Descriptor layer{kCacheLayerType, "sha256:l", 10};
    RemoteCache meta{"k", "test", "tc", "rh"};
    auto artifact = nlohmann::json::parse(cache_manifest(meta, config, layer, true));
    CHECK(artifact["artifactType"] == kCacheArtifactType);
    CHECK(artifact["annotations"]["dev.rcd.cache.key"] == "k");
    CHECK(artifact["annotations"]["dev.rcd.cache.recipe"] == "rh");
    CHECK(artifact["layers"][0]["mediaType"] == kCacheLayerType);
    auto plain = nlohmann::json::parse(cache_manifest(meta, config, layer, false));
    CHECK_FALSE(plain.contains("artifactType"));
    CHECK(plain["annotations"]["dev.rcd.cache.profile"] == "test");
}
