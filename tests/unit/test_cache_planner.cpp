// The planner's ladder with fake stores: no cargo, no registry; real archives and a real
// local store, so that a restore is a real unpack into a target directory.
#include "rcd/cache/archive.hpp"
#include "rcd/cache/planner.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/growing_file.hpp"

#include "temp_dir.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <poll.h>
#include <thread>
#include <unistd.h>

using namespace rcd;

namespace {

const std::string kKey = std::string(64, 'a');
const std::string kOld = std::string(64, 'b');

// A registry stand-in: archives by key, the newest of the profile, and what was asked of it.
class FakeRegistry final : public cache::Store {
  public:
    explicit FakeRegistry(cache::LocalStore& local) : local_(local) {}

    std::map<std::string, std::filesystem::path> archives; // key -> .tar.zst
    std::optional<cache::EntryMeta> newest;
    bool down = false;
    std::atomic<int> locates{0};
    std::atomic<int> fetched{0};
    std::vector<std::string> put_keys;
    bool fail_fetch = false;                 // every download fails
    std::chrono::milliseconds fetch_time{0}; // how long each download takes
    std::atomic<int> downloading{0};         // downloads under way now
    std::atomic<int> most_at_once{0};
    std::vector<std::string> fetch_order; // keys, as their downloads started
    std::mutex order_mutex;

    std::string name() const override { return "fake/registry-cache"; }
    bool is_local() const override { return false; }
    Result<std::optional<cache::CacheEntry>> locate(const std::string& key) override {
        ++locates;
        if (down)
            return fail(ExitCode::registry, "the fake registry is down");
        auto it = archives.find(key);
        if (it == archives.end())
            return std::optional<cache::CacheEntry>{};
        RCD_ASSIGN(auto digest, cache::file_digest(it->second));
        return std::optional<cache::CacheEntry>(cache::CacheEntry{
            key, digest, static_cast<std::int64_t>(std::filesystem::file_size(it->second)),
            "release"});
    }
    Result<std::optional<cache::CacheEntry>> peek(const std::string& key) override {
        return locate(key);
    }
    Result<cache::CacheEntry> fetch(const cache::CacheEntry& located,
                                    const cache::TransferProgress&,
                                    util::GrowingFile* growing) override {
        ++fetched;
        if (fail_fetch)
            return fail(ExitCode::registry, "the fake registry dropped the connection");
        {
            std::lock_guard lock(order_mutex);
            fetch_order.push_back(located.key);
        }
        int now = ++downloading;
        for (int most = most_at_once; now > most && !most_at_once.compare_exchange_weak(most, now);)
            ;
        std::this_thread::sleep_for(fetch_time);
        --downloading;
        RCD_ASSIGN(auto temp, local_.incoming());
        std::filesystem::copy_file(archives.at(located.key), temp);
        if (growing) { // the whole file at once: the reader sees it arrive and finish
            growing->open(::open(temp.c_str(), O_RDONLY | O_CLOEXEC));
            growing->grew(located.size);
            growing->finish(true);
        }
        return local_.import(located.key, located.profile, located.digest, temp);
    }
    Result<std::optional<cache::EntryMeta>> latest(const std::string& profile,
                                                   const std::string& toolchain) override {
        if (down)
            return fail(ExitCode::registry, "the fake registry is down");
        if (newest && newest->profile == profile && newest->toolchain == toolchain)
            return newest;
        return std::optional<cache::EntryMeta>{};
    }
    Result<bool> put(const cache::CacheEntry& entry, const cache::EntryMeta& meta,
                     const cache::TransferProgress&) override {
        CHECK(meta.key == entry.key);
        CHECK(meta.toolchain == "toolchain-1");
        if (archives.contains(entry.key))
            return false;
        put_keys.push_back(entry.key);
        return true;
    }

  private:
    cache::LocalStore& local_;
};

struct Fixture {
    test::TempDir dir;
    std::filesystem::path target = dir / "target";
    std::vector<std::string> cooked; // profiles the fake cook built

    // An archive holding release/deps/<name>, as a cook would have left it.
    std::filesystem::path archive(const std::string& name) {
        auto root = dir / ("src-" + name);
        REQUIRE(util::write_file_atomic(root / "release" / "deps" / name, "compiled " + name));
        auto file = dir / (name + ".tar.zst");
        REQUIRE(cache::pack_tree(root, {"release"}, file));
        return file;
    }

    cache::PlannerSetup setup(bool with_cook = true) {
        cache::ProfileCache release;
        release.profile = "release";
        release.key = kKey;
        release.commands = {{{"cargo", "build", "--release"}, {}}};
        cache::Cook cook;
        if (with_cook)
            cook = [this](cache::ProfileCache& profile, cache::LocalStore& local,
                          int) -> Result<std::optional<cache::CacheEntry>> {
                cooked.push_back(profile.profile);
                REQUIRE(util::write_file_atomic(target / "release" / "deps" / "cooked", "x"));
                RCD_ASSIGN(auto saved,
                           local.save(profile.key, profile.profile, target, {"release"}));
                return std::optional<cache::CacheEntry>(saved);
            };
        return {target, {release}, "recipe-1", "toolchain-1", cache::LocalStore(dir / "store"),
                cook};
    }

    // A fake registry, asked after the local store.
    FakeRegistry* add_registry(cache::Planner& planner) {
        auto registry = std::make_unique<FakeRegistry>(planner.local());
        auto* fake = registry.get();
        planner.add_store(std::move(registry));
        return fake;
    }

    // The local store's entry for kKey, holding release/deps/local.
    cache::CacheEntry save_local(cache::Planner& planner) {
        auto src = dir / "src-local";
        REQUIRE(util::write_file_atomic(src / "release" / "deps" / "local", "compiled local"));
        auto saved = planner.local().save(kKey, "release", src, {"release"});
        REQUIRE(saved);
        return *saved;
    }

    bool restored(const std::string& name) {
        return util::read_file(target / "release" / "deps" / name) == "compiled " + name;
    }
};

} // namespace

TEST_CASE("planner: a fresh target directory asks no store") {
    Fixture f;
    REQUIRE(util::write_file_atomic(f.target / "rcd" / "cache" / "release.key", kKey + "\n"));
    cache::Planner planner(f.setup());
    auto* fake = f.add_registry(planner);
    REQUIRE(planner.prepare());
    CHECK(planner.profiles()[0].status == cache::CacheStatus::fresh);
    CHECK(fake->locates == 0);
    CHECK(f.cooked.empty());
}

TEST_CASE("planner: the local store comes first, and its restore marks the target fresh") {
    Fixture f;
    cache::Planner planner(f.setup());
    f.save_local(planner);
    auto* fake = f.add_registry(planner);
    fake->archives[kKey] = f.archive("remote");

    CHECK(planner.fetch());
    REQUIRE(planner.prepare());
    CHECK(planner.profiles()[0].status == cache::CacheStatus::hit_local);
    CHECK(f.restored("local"));
    CHECK_FALSE(f.restored("remote"));
    CHECK(fake->locates == 0);
    CHECK(util::read_file(f.target / "rcd" / "cache" / "release.key") == kKey + "\n");
    // Nothing to push: the registry has the key.
    CHECK(planner.push() == 0);
}

TEST_CASE("planner: a registry hit is downloaded into the local store as it restores") {
    Fixture f;
    cache::Planner planner(f.setup());
    auto* fake = f.add_registry(planner);
    fake->archives[kKey] = f.archive("remote");

    REQUIRE(planner.prepare());
    CHECK(planner.profiles()[0].status == cache::CacheStatus::hit_registry);
    CHECK(f.restored("remote"));
    CHECK(fake->fetched == 1);
    CHECK(f.cooked.empty());
    auto local = planner.local().find(kKey, false);
    REQUIRE(local);
    CHECK(local->has_value());
}

TEST_CASE("planner: partial restores the profile's newest archive, then cooks the difference") {
    Fixture f;
    cache::Planner planner(f.setup());
    auto* fake = f.add_registry(planner);
    fake->archives[kOld] = f.archive("older");
    fake->newest = cache::EntryMeta{kOld, "release", "toolchain-1", "recipe-0", ""};

    CHECK_FALSE(planner.fetch()); // the key itself is nowhere
    REQUIRE(planner.prepare());
    const auto& profile = planner.profiles()[0];
    CHECK(profile.status == cache::CacheStatus::partial);
    CHECK(profile.detail == "from cache " + kOld.substr(0, 16));
    CHECK(f.restored("older"));
    CHECK(f.cooked == std::vector<std::string>{"release"});
    // The cooked entry is the local one, and push shares it.
    CHECK(planner.push() == 1);
    CHECK(fake->put_keys == std::vector<std::string>{kKey});
}

TEST_CASE("planner: with no store and no cook a miss stays a miss, and its gate opens") {
    Fixture f;
    cache::Planner planner(f.setup(false));
    REQUIRE(planner.prepare());
    CHECK(planner.profiles()[0].status == cache::CacheStatus::miss);
    pollfd gate{planner.ready_fd("release"), POLLIN, 0};
    CHECK(::poll(&gate, 1, 0) == 1); // open: a stage waiting for it may start
    auto pushed = planner.push();
    REQUIRE_FALSE(pushed);
    CHECK(pushed.error().message == "no registry to push the dependency cache to");
}

TEST_CASE("planner: a store that fails is asked once in a run, then not again") {
    Fixture f;
    auto setup = f.setup();
    auto second = setup.profiles[0];
    second.profile = "test";
    second.key = std::string(64, 'c');
    setup.profiles.push_back(second);
    cache::Planner planner(std::move(setup));
    auto* fake = f.add_registry(planner);
    fake->down = true;
    planner.look();
    CHECK(fake->locates == 1);
    CHECK(planner.profiles()[0].status == cache::CacheStatus::miss);
    CHECK(planner.profiles()[1].status == cache::CacheStatus::miss);
    auto pushed = planner.push();
    REQUIRE_FALSE(pushed); // the failed registry is not pushed to either
}

TEST_CASE("planner: a damaged local entry is a miss, removed, and the registry is asked") {
    Fixture f;
    cache::Planner planner(f.setup());
    auto saved = f.save_local(planner);
    // Flip the archive's bytes: its digest no longer matches.
    auto blob = planner.local().root() / "blobs" / "sha256" / saved.digest.substr(7);
    REQUIRE(util::write_file_atomic(blob, "not the archive"));
    auto* fake = f.add_registry(planner);
    fake->archives[kKey] = f.archive("remote");

    REQUIRE(planner.prepare());
    CHECK(planner.profiles()[0].status == cache::CacheStatus::hit_registry);
    CHECK(f.restored("remote"));
    CHECK(fake->locates == 1);
}

TEST_CASE("planner: a cache the stages fill is saved after them, restored into its own root") {
    Fixture f;
    auto setup = f.setup(false);
    auto& profile = setup.profiles[0];
    profile.paths = {"cache/objects", "cache/absent"};
    profile.root = f.dir / "repo"; // language: generic caches inside the repository
    {
        cache::Planner planner(setup);
        f.add_registry(planner);
        REQUIRE(planner.prepare());
        CHECK(planner.profiles()[0].status == cache::CacheStatus::miss);
        CHECK(planner.save() == 0); // the stages made nothing: nothing to save
        // What a stage writes, then saved: the entry is local, the marker names its key.
        REQUIRE(util::write_file_atomic(f.dir / "repo" / "cache" / "objects" / "a.o", "object"));
        CHECK(planner.save() == 1);
        CHECK(planner.profiles()[0].bytes > 0);
        CHECK(util::read_file(f.target / "rcd" / "cache" / "release.key") == kKey + "\n");
        CHECK(planner.local().find(kKey).value().has_value());
        CHECK(planner.push() == 1);
    }
    // A fresh clone: the entry restores into the root, not the target directory.
    std::filesystem::remove_all(f.dir / "repo");
    std::filesystem::remove_all(f.target);
    cache::Planner again(setup);
    REQUIRE(again.prepare());
    CHECK(again.profiles()[0].status == cache::CacheStatus::hit_local);
    CHECK(util::read_file(f.dir / "repo" / "cache" / "objects" / "a.o") == "object");
    CHECK(again.save() == 0); // restored whole: nothing new to save
}

TEST_CASE("planner: the stages of one profile cook their distinct commands, keyed by all",
          "[cargo]") {
    test::TempDir dir;
    std::filesystem::copy(RCD_SOURCE_DIR "/tests/fixtures/deps-workspace", dir / "ws",
                          std::filesystem::copy_options::recursive);
    auto workspace = cargo::read_workspace(dir / "ws");
    REQUIRE(workspace);
    const std::vector<std::string> clippy = {"cargo", "clippy", "--workspace", "--locked",
                                             "--",    "-D",     "warnings"};
    const std::vector<std::string> test = {"cargo", "test", "--workspace", "--locked"};
    auto open = [&](const std::vector<cache::ProfileRequest>& requests) {
        auto planner = cache::Planner::create(*workspace, requests, cache::LocalStore(dir / "s"));
        REQUIRE(planner);
        return std::move(*planner);
    };
    auto both = open({{"debug", clippy, {}},
                      {"debug", test, {}},
                      {"debug", {"cargo", "test", "--workspace", "--locked", "--no-run"}, {}},
                      {"release", {"cargo", "build", "--release"}, {}}});
    REQUIRE(both->profiles().size() == 2);
    const auto& debug = both->profiles()[0];
    CHECK(debug.profile == "debug");
    // The third request is the second's cook command again: it runs once.
    REQUIRE(debug.commands.size() == 2);
    CHECK(debug.commands[0].argv ==
          std::vector<std::string>{"cargo", "clippy", "--workspace", "--locked"});
    CHECK(debug.commands[1].argv ==
          std::vector<std::string>{"cargo", "test", "--workspace", "--locked", "--no-run"});
    CHECK(debug.key.size() == 64);
    CHECK(both->profiles()[1].key != debug.key);

    // The key covers every stage's command and its environment, not only the first's.
    auto alone = open({{"debug", clippy, {}}});
    CHECK(alone->profiles()[0].key != debug.key);
    auto flags = open({{"debug", clippy, {}}, {"debug", test, {{"RUSTFLAGS", "-C opt-level=1"}}}});
    REQUIRE(flags->profiles()[0].commands.size() == 2);
    CHECK(flags->profiles()[0].commands[1].env.at("RUSTFLAGS") == "-C opt-level=1");
    CHECK(flags->profiles()[0].key != debug.key);
    CHECK(open({{"debug", clippy, {}}, {"debug", test, {}}})->profiles()[0].key == debug.key);
}

TEST_CASE("planner: downloads run one at a time, in the order the restores take turns") {
    Fixture f;
    auto setup = f.setup();
    // Profile order: clippy, test (one lane, "debug": the larger archive's turn comes first),
    // then release (a lane of its own).
    auto profile = [&](const std::string& name, const std::string& key,
                       std::vector<std::string> argv) {
        cache::ProfileCache p;
        p.profile = name;
        p.key = key;
        p.commands = {{std::move(argv), {}}};
        return p;
    };
    const std::string clippy_key(64, 'c'), test_key(64, 'd');
    setup.profiles = {profile("clippy", clippy_key, {"cargo", "clippy"}),
                      profile("test", test_key, {"cargo", "test", "--no-run"}),
                      profile("release", kKey, {"cargo", "build", "--release"})};
    cache::Planner planner(std::move(setup));
    auto* fake = f.add_registry(planner);
    fake->fetch_time = std::chrono::milliseconds(50);
    fake->archives[clippy_key] = f.archive("clippy");
    std::string noise(200000, '\0'); // does not compress: the archive stays the larger
    std::uint32_t state = 1;
    for (auto& c : noise)
        c = static_cast<char>((state = state * 1664525u + 1013904223u) >> 24);
    REQUIRE(util::write_file_atomic(f.dir / "big", noise));
    auto root = f.dir / "src-test";
    REQUIRE(util::write_file_atomic(root / "release" / "deps" / "test", "compiled test"));
    std::filesystem::copy_file(f.dir / "big", root / "release" / "deps" / "big");
    REQUIRE(cache::pack_tree(root, {"release"}, f.dir / "test.tar.zst"));
    fake->archives[test_key] = f.dir / "test.tar.zst";
    fake->archives[kKey] = f.archive("release");
    REQUIRE(planner.fetch());
    REQUIRE(planner.prepare());
    CHECK(fake->most_at_once == 1);
    CHECK(fake->fetch_order == std::vector<std::string>{test_key, clippy_key, kKey});
    for (const auto& p : planner.profiles())
        CHECK(p.status == cache::CacheStatus::hit_registry);
    CHECK(f.restored("clippy"));
    CHECK(f.restored("test"));
    CHECK(f.restored("release"));
}

TEST_CASE("planner: a download that fails leaves the next one unasked, and both profiles a miss") {
    Fixture f;
    auto setup = f.setup(false);
    auto second = setup.profiles[0];
    second.profile = "test";
    second.key = std::string(64, 'd');
    setup.profiles.push_back(second);
    cache::Planner planner(std::move(setup));
    auto* fake = f.add_registry(planner);
    fake->archives[kKey] = f.archive("release");
    fake->archives[std::string(64, 'd')] = f.archive("test");
    fake->fail_fetch = true;
    REQUIRE(planner.fetch());
    REQUIRE(planner.prepare());
    CHECK(fake->fetched == 1); // the registry failed once: the second download never asked it
    for (const auto& p : planner.profiles())
        CHECK(p.status == cache::CacheStatus::miss);
}
