// The dependency-cache planner: for each cooked profile, its key, and where its compiled
// dependencies come from.
#pragma once

#include "rcd/cache/key.hpp"
#include "rcd/cache/local_store.hpp"
#include "rcd/cache/store.hpp"
#include "rcd/cargo/workspace.hpp"
#include "rcd/exec/scheduler.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace rcd::util {
class GrowingFile;
}

namespace rcd::cache {

enum class CacheStatus { fresh, hit_local, hit_registry, partial, miss }; // best to worst

const char* status_name(CacheStatus status);

// A stage that names a profile with `cook:` (or `cache:`). A cooked (Rust) profile's cook and
// key cover every stage of it, selected or not, so that `--only clippy` restores what a whole
// run cooked; Go's and generic caches hold what the selected stages leave behind, so only
// those count there.
struct ProfileRequest {
    std::string profile;
    std::vector<std::string> stage_argv;
    std::map<std::string, std::string> env; // what the stage adds to rcd's environment
    bool selected = true;                   // the stage runs in this run
};

struct ProfileCache {
    std::string profile;
    std::string key; // empty when the workspace has no external dependencies
    // What a cook runs, one command after another into the same target directory: the distinct
    // cook commands of the profile's stages (clippy's and test's for "debug"), so what they
    // share (build scripts, proc macros) is built and stored once.
    std::vector<CookCommand> commands;
    CacheStatus status = CacheStatus::miss;
    std::string detail;     // why, for people: "no external dependencies", "cooked 12 crates", ...
    std::int64_t bytes = 0; // the archive restored or saved
    long long restore_ms = 0; // fetching from the registry and unpacking
    long long save_ms = 0;
    // A cache of directories that the stages fill themselves (Go's GOCACHE, a generic stage's
    // `cache: {paths}`), rather than one a cook builds: what save() packs, relative to `root`.
    std::vector<std::string> paths;
    std::filesystem::path root; // where the archive unpacks; empty: the target directory
};

// The profile a request names, added to `profiles` when it is the profile's first request;
// nullptr when an earlier request added it.
ProfileCache* add_first(std::vector<ProfileCache>& profiles, const ProfileRequest& request);

// How a profile's dependencies are built when no store has them: the real one cooks the
// recipe's skeleton (stopping when `interrupt_fd` is readable) and saves the result in `local`.
// Returns the saved entry; nothing when the profile could not be cooked or saved (the reason
// is logged: the stages then build the dependencies themselves); an error only when
// interrupted.
using Cook = std::function<Result<std::optional<CacheEntry>>(ProfileCache& profile,
                                                             LocalStore& local, int interrupt_fd)>;

// What a planner works on: the profiles (keys decided), where they are restored, and how.
struct PlannerSetup {
    std::filesystem::path target_dir;
    std::vector<ProfileCache> profiles;
    std::string recipe_hash;
    std::string toolchain_id; // partial restores need the same toolchain
    LocalStore local;
    Cook cook; // unset: a miss stays a miss
};

// Walks, for each profile, the ladder: fresh (the target directory's marker names the key) ->
// the stores in order (local, then registry) -> partial (the newest archive of the same
// profile and toolchain, then a cook of the difference) -> cook. A store that fails is not
// asked again in this run; the local store's damaged entries are misses.
//
// Threads: fetch() locates every archive at once, and starts the downloads of the remote hits,
// one after another in turn order, that run_lanes' restores read as they arrive
// (util::GrowingFile). prepare() restores in lanes (lanes.hpp) and opens each profile's gate as
// it lands; when fetch() found every archive, prepare() runs beside the stages and never cooks.
class Planner {
  public:
    // (what, bytes so far, bytes in all) while a cache archive moves to or from a registry.
    using Progress = std::function<void(const std::string&, std::int64_t, std::int64_t)>;

    // Builds the recipe and, when there are external dependencies, each profile's key.
    static Result<std::unique_ptr<Planner>> create(const cargo::Workspace& workspace,
                                                   const std::vector<ProfileRequest>& requests,
                                                   LocalStore store);

    explicit Planner(PlannerSetup setup);
    Planner(const Planner&) = delete; // lanes and downloads hold on to it
    Planner& operator=(const Planner&) = delete;

    // A farther store (the registry's), asked after the local one.
    void add_store(std::unique_ptr<Store> store);
    LocalStore& local() { return setup_.local; }
    void set_interrupt_fd(int fd) { interrupt_fd_ = fd; } // an InterruptGuard's: stops a cook
    void set_progress(Progress progress) { progress_ = std::move(progress); }

    // Decides each profile's status without changing anything: rcd plan, rcd cache status.
    void look();

    // Finds each profile's archive, all at once: in the local store (its digest checked), else
    // downloaded from a farther store. True when every profile that is not fresh has one: then
    // prepare() only restores, and stages may run while it does, each starting once its own
    // profile is ready (ready_fd). prepare() calls it when nobody did.
    bool fetch();

    // Restores each profile's dependencies, cooking and saving the ones no store has (or, with
    // cook false, leaving them as a miss). Fails only when interrupted: a store that cannot be
    // read is a note, and a profile that cannot be prepared is a miss the stages then build.
    // After a fetch() that found everything it never cooks: stages may be running beside it.
    Status prepare(bool cook = true);

    // Readable once the profile's dependencies are in place, or given up on (for
    // exec::StageJob::ready_fd); done_fd() once prepare() has finished.
    int ready_fd(const std::string& profile) const;
    int done_fd() const { return done_.fd(); }

    // After the stages: saves each profile with `paths` that was not restored whole (a miss or
    // a partial restore) into the local store, so that the next run restores it and push() can
    // share it. A profile that cannot be saved stays a miss (logged). Returns how many it saved.
    int save();

    // Pushes each profile's local entry to the farther stores that lack it; returns how many
    // it pushed. Nothing to cache (no external dependencies) pushes nothing and needs no store.
    Result<int> push();

    const std::vector<ProfileCache>& profiles() const { return setup_.profiles; }
    const std::string& recipe_hash() const { return setup_.recipe_hash; }
    CacheStatus status() const; // the worst of the profiles'

  private:
    // A profile's archive as fetch() found it: in the local store, or downloading.
    struct Fetched {
        std::optional<CacheEntry> entry;
        std::shared_ptr<util::GrowingFile> growing; // the download, as it arrives
        // After `growing`, so that it is destroyed first: its destructor waits for the download.
        std::future<std::optional<CacheEntry>> download;
        std::int64_t size = 0; // of the archive
    };
    // A store, and whether it failed (then it is not asked again).
    struct Rung {
        Store* store;
        bool failed = false;
    };

    bool needs_restore(ProfileCache& profile) const; // has a key and is not fresh (else: fresh)
    std::vector<ProfileCache*> to_prepare(); // those that need a restore; stale markers removed
    // The profiles fetch() looked up, in the order their restores take turns (lanes.hpp).
    std::vector<ProfileCache*> turn_order();
    // The first store that has `key`'s archive, and the archive; a store that fails is
    // dropped. `peek` only looks (plan).
    std::optional<std::pair<Store*, CacheEntry>> locate(const ProfileCache& profile, bool peek,
                                                        bool remote_only);
    std::optional<CacheEntry> bring(Store& store, const CacheEntry& located, ProfileCache& profile,
                                    util::GrowingFile* growing = nullptr);
    std::optional<EntryMeta> latest(const ProfileCache& profile);  // another key's, for partial
    bool restore_fetched(ProfileCache& profile, Fetched& fetched); // true: restored, marked fresh
    // When restore_fetched could not: a partial cache and a cook, or (restore_only) nothing.
    Status fall_back(ProfileCache& profile, const Fetched& fetched, bool allow_cook,
                     bool restore_only);
    Store* usable(std::size_t rung) const; // the rung's store, unless it failed
    void store_failed(Store& store, const Error& error);
    TransferProgress transfer(const std::string& profile) const;
    std::filesystem::path marker(const ProfileCache& profile) const;
    bool is_fresh(const ProfileCache& profile) const; // the target holds what the key names
    void mark_fresh(const ProfileCache& profile) const;
    const std::filesystem::path& root(const ProfileCache& profile) const;
    bool restore(ProfileCache& profile, const CacheEntry& entry);
    bool restore(ProfileCache& profile, const util::GrowingFile& download);
    Status cook(ProfileCache& profile);

    PlannerSetup setup_;
    std::vector<std::unique_ptr<Store>> owned_; // the farther stores
    std::vector<Rung> rungs_;                   // the local store, then the farther ones
    Progress progress_;
    mutable std::mutex mutex_; // guards rungs_' failed flags
    std::mutex cook_mutex_;    // one cook at a time
    std::atomic<bool> interrupted_{false};
    int interrupt_fd_ = -1;
    // By profile, once fetch() ran. After the stores: destroyed first, it waits for the
    // downloads that write to them.
    std::map<std::string, Fetched> fetched_;
    std::optional<bool> found_all_; // what fetch() returned
    std::map<std::string, exec::Gate> gates_;
    exec::Gate done_;
};

} // namespace rcd::cache
