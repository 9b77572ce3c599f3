// The dependency-cache planner: for each cooked profile, its key, and where its compiled
// dependencies come from. Restore order: the target directory is already fresh, the local
// store, the registry, the newest registry cache of the same profile and toolchain (partial),
// then cooking.
#pragma once

#include "rcd/cache/local_store.hpp"
#include "rcd/cache/recipe.hpp"
#include "rcd/cache/registry_store.hpp"
#include "rcd/exec/scheduler.hpp"
#include "rcd/registry/client.hpp"

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

struct Toolchain {
    std::string rustc; // `rustc -vV`
    std::string cargo; // `cargo -V`
    std::string host;  // the host triple, from `rustc -vV`

    std::string id() const; // a short hash of both versions: partial restores need the same
};

// Runs `rustc -vV` and `cargo -V` in `dir`, so rust-toolchain files apply.
Result<Toolchain> probe_toolchain(const std::filesystem::path& dir);

// A stage that names a profile with `cook:`; the first stage of each profile decides its key.
struct ProfileRequest {
    std::string profile;
    std::vector<std::string> stage_argv;
    std::map<std::string, std::string> env; // what the stage adds to rcd's environment
};

struct ProfileCache {
    std::string profile;
    std::string key; // empty when the workspace has no external dependencies
    std::vector<std::string> command;
    std::map<std::string, std::string> env;
    CacheStatus status = CacheStatus::miss;
    std::string detail;     // why, for people: "no external dependencies", "cooked 12 crates", ...
    std::int64_t bytes = 0; // the archive restored or saved
    long long restore_ms = 0; // fetching from the registry and unpacking
    long long save_ms = 0;
};

// The registry side: the image's repository on a connected client.
struct RemoteStore {
    std::shared_ptr<registry::Client> client;
    std::string repository;
};

class Planner {
  public:
    using Notify = std::function<void(const std::string&)>;
    // (what, bytes so far, bytes in all) while a cache blob moves to or from the registry.
    using Progress = std::function<void(const std::string&, std::int64_t, std::int64_t)>;

    // Builds the recipe and, when there are external dependencies, each profile's key.
    static Result<Planner> create(const cargo::Workspace& workspace,
                                  const std::vector<ProfileRequest>& requests, LocalStore store,
                                  Notify notify);

    void set_remote(RemoteStore remote) { remote_ = std::move(remote); }
    void set_interrupt_fd(int fd) { interrupt_fd_ = fd; } // an InterruptGuard's: stops a cook
    void set_detail(Notify detail) { detail_ = std::move(detail); } // decisions, for -v
    void set_progress(Progress progress) { progress_ = std::move(progress); }

    // Decides each profile's status without changing anything: rcd plan, rcd cache status.
    void look();

    // Finds each profile's archive, all at once: in the local store (its digest checked), else
    // downloaded from the registry. True when every profile that is not fresh has one: then
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
    int done_fd() const { return gates_->done.fd(); }

    // Pushes each profile's local entry the registry does not have yet; returns how many it
    // pushed. Nothing to cache (no external dependencies) pushes nothing and needs no registry.
    Result<int> push();

    const std::vector<ProfileCache>& profiles() const { return profiles_; }
    const std::string& recipe_hash() const { return recipe_.hash; }
    CacheStatus status() const; // the worst of the profiles'
    const LocalStore& store() const { return store_; }

  private:
    Planner(const cargo::Workspace& workspace, Recipe recipe, LocalStore store, Notify notify)
        : workspace_(workspace), recipe_(std::move(recipe)), store_(std::move(store)),
          notify_(std::move(notify)) {}

    // A profile's archive as fetch() found it: in the local store, or downloading.
    struct Fetched {
        std::optional<CacheEntry> entry;
        std::shared_ptr<util::GrowingFile> growing; // the download, as it arrives
        // After `growing`, so that it is destroyed first: its destructor waits for the download.
        std::future<std::optional<CacheEntry>> download;
        std::int64_t size = 0; // of the archive
    };
    struct Gates {
        std::map<std::string, exec::Gate> profiles;
        exec::Gate done;
    };
    bool needs_restore(ProfileCache& profile) const; // has a key and is not fresh (else: fresh)
    std::vector<ProfileCache*> to_prepare(); // those that need a restore; stale markers removed
    bool restore_fetched(ProfileCache& profile, Fetched& fetched); // true: restored, marked fresh
    // When restore_fetched could not: a partial cache and a cook, or (restore_only) nothing.
    Status fall_back(ProfileCache& profile, const Fetched& fetched, bool allow_cook,
                     bool restore_only);
    void say(const std::string& message) const;  // notify, from any lane
    void tell(const std::string& message) const; // detail, from any lane
    registry::Progress transfer(const std::string& profile) const;
    std::optional<RemoteStore> remote() const; // a copy: lanes run at the same time
    std::filesystem::path marker(const ProfileCache& profile) const;
    bool is_fresh(const ProfileCache& profile) const; // the target holds what the key names
    void mark_fresh(const ProfileCache& profile) const;
    bool restore(ProfileCache& profile, const CacheEntry& entry);
    bool restore(ProfileCache& profile, const util::GrowingFile& download);
    std::optional<RemoteLayer> find(const std::string& key); // the registry's, for this key
    std::optional<CacheEntry> download(const RemoteLayer& layer, ProfileCache& profile,
                                       util::GrowingFile* growing = nullptr);
    std::optional<CacheEntry> pull(const std::string& key, ProfileCache& profile); // both
    std::optional<RemoteCache> latest(const ProfileCache& profile);
    Status cook(ProfileCache& profile);
    void remote_failed(const Error& error);

    const cargo::Workspace& workspace_;
    Recipe recipe_;
    LocalStore store_;
    Notify notify_;
    Notify detail_;
    Progress progress_;
    std::optional<RemoteStore> remote_; // reset when the registry fails; guarded by mutex_
    std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();
    std::shared_ptr<std::mutex> cook_mutex_ = std::make_shared<std::mutex>();
    std::shared_ptr<std::atomic<bool>> interrupted_ = std::make_shared<std::atomic<bool>>(false);
    int interrupt_fd_ = -1;
    Toolchain toolchain_;
    std::vector<ProfileCache> profiles_;
    std::map<std::string, Fetched> fetched_; // by profile, once fetch() ran
    std::optional<bool> found_all_;          // what fetch() returned
    std::shared_ptr<Gates> gates_ = std::make_shared<Gates>();
};

} // namespace rcd::cache
