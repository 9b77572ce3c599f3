#include "rcd/cache/planner.hpp"

#include "rcd/cache/archive.hpp"
#include "rcd/cache/cook.hpp"
#include "rcd/cache/key.hpp"
#include "rcd/cache/lanes.hpp"
#include "rcd/cache/recipe.hpp"
#include "rcd/cargo/toolchain.hpp"
#include "rcd/exec/process.hpp"
#include "rcd/image/oci.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/growing_file.hpp"
#include "rcd/util/log.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <fmt/std.h>
#include <future>
#include <unistd.h>

namespace rcd::cache {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kNotStarted = "interrupted before cooking";

// Lockfile entries with a `source` are external packages: without any there is nothing to cache.
bool has_external_packages(const std::optional<std::string>& lockfile) {
    return !lockfile || lockfile->find("\nsource = ") != std::string::npos;
}

// The profile directory a cook builds into (its first command's): profiles that share one
// share files.
std::string profile_directory(const std::vector<CookCommand>& commands) {
    static const std::vector<std::string> none;
    const auto& command = commands.empty() ? none : commands.front().argv;
    for (std::size_t i = 0; i < command.size(); ++i) {
        if (command[i] == "--release")
            return "release";
        if (command[i] == "--profile" && i + 1 < command.size())
            return command[i + 1];
        if (command[i].starts_with("--profile="))
            return command[i].substr(10);
    }
    return "debug";
}

// The real Cook: the recipe's skeleton built against the target directory, then saved.
Result<std::optional<CacheEntry>> cook_skeleton(const Recipe& recipe,
                                                const cargo::Workspace& workspace,
                                                ProfileCache& profile, LocalStore& local,
                                                int interrupt_fd) {
    using Saved = std::optional<CacheEntry>;
    const auto started = Clock::now();
    const auto& target = workspace.target_directory;
    // Outside the project: cargo merges the array values of every .cargo/config.toml from the
    // working directory up, so the skeleton's copy and the project's own would double RUSTFLAGS.
    auto scratch = std::filesystem::temp_directory_path() /
                   fmt::format("rcd-cook-{}-{}", ::getpid(), profile.profile);
    auto cooked =
        cook(recipe, workspace, profile.commands, scratch,
             target / "rcd" / "logs" / ("cook-" + profile.profile + ".log"), interrupt_fd);
    if (!cooked && cooked.error().code == ExitCode::interrupted)
        return std::unexpected(cooked.error());
    if (!cooked) {
        log::info("cache: {}: {}; the stages build the dependencies instead ({})", profile.profile,
                  cooked.error().message, cooked.error().hint);
        return Saved{};
    }
    const long long cook_ms = util::elapsed_ms(started);
    const auto save_started = Clock::now();
    auto stripped = scratch;
    stripped += "-stripped";
    auto saved = local.save(profile.key, profile.profile, target, cooked->paths,
                            strip_debug_copies(target, cooked->host_tools, stripped));
    std::error_code ec;
    std::filesystem::remove_all(stripped, ec);
    if (!saved) {
        // Not fresh: the next run finds no entry, cooks (quickly, in this warm target
        // directory) and saves it then.
        log::info("cache: {}: not saved: {}", profile.profile, saved.error().message);
        return Saved{};
    }
    profile.save_ms = util::elapsed_ms(save_started);
    profile.bytes = saved->size;
    log::info("cache: {}: cooked in {}; saved {} in {} ({})", profile.profile,
              util::format_duration_ms(cook_ms), util::format_bytes(saved->size),
              util::format_duration_ms(profile.save_ms),
              util::format_rate(saved->size, profile.save_ms));
    return Saved{*saved};
}

} // namespace

const char* status_name(CacheStatus status) {
    switch (status) {
    case CacheStatus::fresh:
        return "fresh";
    case CacheStatus::hit_local:
        return "hit-local";
    case CacheStatus::hit_registry:
        return "hit-registry";
    case CacheStatus::partial:
        return "partial";
    case CacheStatus::miss:
        break;
    }
    return "miss";
}

Result<std::unique_ptr<Planner>> Planner::create(const cargo::Workspace& workspace,
                                                 const std::vector<ProfileRequest>& requests,
                                                 LocalStore store) {
    RCD_ASSIGN(auto input, read_recipe_input(workspace));
    RCD_ASSIGN(auto built, build_recipe(input));
    auto recipe = std::make_shared<const Recipe>(std::move(built));
    // What a killed run left is never mistaken for an entry, and does not pile up.
    store.remove_leftovers();
    util::remove_stale(workspace.target_directory, ".rcd-unpack-");
    const bool external = has_external_packages(input.lockfile);
    cargo::Toolchain toolchain;
    if (external && !requests.empty()) {
        RCD_ASSIGN(toolchain, workspace.toolchain());
    }
    PlannerSetup setup{workspace.target_directory,
                       {},
                       recipe->hash,
                       toolchain.id(),
                       std::move(store),
                       [recipe, &workspace](ProfileCache& profile, LocalStore& local, int fd) {
                           return cook_skeleton(*recipe, workspace, profile, local, fd);
                       }};
    for (const auto& request : requests) {
        add_first(setup.profiles, request);
        auto& commands =
            std::find_if(setup.profiles.begin(), setup.profiles.end(), [&](const ProfileCache& p) {
                return p.profile == request.profile;
            })->commands;
        CookCommand command{cook_command(request.stage_argv), request.env};
        if (std::find(commands.begin(), commands.end(), command) == commands.end())
            commands.push_back(std::move(command));
    }
    for (auto& profile : setup.profiles) {
        if (!external) {
            profile.status = CacheStatus::fresh;
            profile.detail = "no external dependencies";
            continue;
        }
        auto commands = profile.commands;
        for (auto& command : commands)
            command.env = exec::child_environment(command.env);
        const auto& env = commands.front().env;
        std::string triple =
            env.contains("CARGO_BUILD_TARGET") ? env.at("CARGO_BUILD_TARGET") : toolchain.host;
        profile.key = cache_key({recipe->hash, toolchain.rustc, toolchain.cargo, triple,
                                 profile.profile, std::move(commands)});
    }
    return std::make_unique<Planner>(std::move(setup));
}

ProfileCache* add_first(std::vector<ProfileCache>& profiles, const ProfileRequest& request) {
    for (const auto& p : profiles)
        if (p.profile == request.profile)
            return nullptr;
    ProfileCache& profile = profiles.emplace_back();
    profile.profile = request.profile;
    return &profile;
}

Planner::Planner(PlannerSetup setup) : setup_(std::move(setup)) {
    rungs_.push_back({&setup_.local});
    for (const auto& profile : setup_.profiles)
        gates_.try_emplace(profile.profile);
}

void Planner::add_store(std::unique_ptr<Store> store) {
    rungs_.push_back({store.get()});
    owned_.push_back(std::move(store));
}

std::filesystem::path Planner::marker(const ProfileCache& profile) const {
    return setup_.target_dir / "rcd" / "cache" / (profile.profile + ".key");
}

// A target directory that lost its marker (cargo clean) is not fresh: nothing is lost by a
// marker that cannot be written.
void Planner::mark_fresh(const ProfileCache& profile) const {
    (void)util::write_file_atomic(marker(profile), profile.key + "\n");
}

bool Planner::is_fresh(const ProfileCache& profile) const {
    auto text = util::read_file(marker(profile));
    return text && util::trim(*text) == profile.key;
}

CacheStatus Planner::status() const {
    CacheStatus worst = CacheStatus::fresh;
    for (const auto& p : setup_.profiles)
        worst = std::max(worst, p.status);
    return worst;
}

TransferProgress Planner::transfer(const std::string& profile) const {
    if (!progress_)
        return {};
    return [this, what = "cache " + profile](std::int64_t done, std::int64_t total) {
        progress_(what, done, total);
    };
}

Store* Planner::usable(std::size_t rung) const {
    std::lock_guard lock(mutex_);
    return rungs_[rung].failed ? nullptr : rungs_[rung].store;
}

void Planner::store_failed(Store& store, const Error& error) {
    {
        std::lock_guard lock(mutex_);
        for (auto& rung : rungs_)
            if (rung.store == &store) {
                if (rung.failed)
                    return; // another lane said so already
                rung.failed = true;
            }
    }
    log::info("cache: the registry cache is not used: {}", error.message);
}

std::optional<std::pair<Store*, CacheEntry>> Planner::locate(const ProfileCache& profile, bool peek,
                                                             bool remote_only) {
    for (std::size_t i = 0; i < rungs_.size(); ++i) {
        Store* store = usable(i);
        if (!store || (remote_only && store->is_local()))
            continue;
        auto found = peek ? store->peek(profile.key) : store->locate(profile.key);
        if (!found && store->is_local()) {
            // A damaged local entry is a miss for this profile; the store serves the others.
            log::info("cache: {}: {}", profile.profile, found.error().message);
            continue;
        }
        if (!found) {
            store_failed(*store, found.error());
            continue;
        }
        if (*found)
            return std::pair{store, **found};
    }
    return std::nullopt;
}

std::optional<CacheEntry> Planner::bring(Store& store, const CacheEntry& located,
                                         ProfileCache& profile, util::GrowingFile* growing) {
    {
        std::lock_guard lock(mutex_);
        for (const auto& rung : rungs_)
            if (rung.store == &store && rung.failed)
                return std::nullopt; // it failed earlier in this run (an earlier download)
    }
    const auto started = Clock::now();
    auto entry = store.fetch(located, transfer(profile.profile), growing);
    if (!entry) {
        store_failed(store, entry.error());
        return std::nullopt;
    }
    if (store.is_local())
        return *entry;
    auto ms = util::elapsed_ms(started);
    if (!growing) // a restore that follows the download counts it in its own time
        profile.restore_ms += ms;
    log::debug("cache: {}: pulled {} from {} in {} ({})", profile.profile,
               util::format_bytes(entry->size), store.name(), util::format_duration_ms(ms),
               util::format_rate(entry->size, ms));
    return *entry;
}

std::optional<EntryMeta> Planner::latest(const ProfileCache& profile) {
    for (std::size_t i = 0; i < rungs_.size(); ++i) {
        Store* store = usable(i);
        if (!store)
            continue;
        auto latest = store->latest(profile.profile, setup_.toolchain_id);
        if (!latest) {
            store_failed(*store, latest.error());
            continue;
        }
        if (*latest && (*latest)->key != profile.key)
            return *latest;
    }
    return std::nullopt;
}

bool Planner::needs_restore(ProfileCache& profile) const {
    if (profile.key.empty())
        return false;
    if (is_fresh(profile)) {
        profile.status = CacheStatus::fresh;
        return false;
    }
    return true;
}

void Planner::look() {
    for (auto& profile : setup_.profiles) {
        if (!needs_restore(profile))
            continue;
        profile.status = CacheStatus::miss;
        if (auto found = locate(profile, true, false)) {
            profile.status =
                found->first->is_local() ? CacheStatus::hit_local : CacheStatus::hit_registry;
            if (found->first->is_local())
                profile.bytes = found->second.size;
        } else if (auto older = latest(profile)) {
            profile.status = CacheStatus::partial;
            profile.detail = "from cache " + older->key.substr(0, 16);
        }
    }
}

const std::filesystem::path& Planner::root(const ProfileCache& profile) const {
    return profile.root.empty() ? setup_.target_dir : profile.root;
}

bool Planner::restore(ProfileCache& profile, const CacheEntry& entry) {
    const auto started = Clock::now();
    // Checked already: as it downloaded, or by locate().
    if (auto restored = setup_.local.restore(entry, root(profile), false); !restored) {
        log::info("cache: {}: {}", profile.profile, restored.error().message);
        return false;
    }
    profile.restore_ms += util::elapsed_ms(started);
    profile.bytes = entry.size;
    return true;
}

bool Planner::restore(ProfileCache& profile, const util::GrowingFile& download) {
    const auto started = Clock::now();
    const auto size = fetched_.at(profile.profile).size;
    if (auto restored = unpack_tree(download, size, root(profile)); !restored) {
        if (!download.wait_finished().broken) // a failed download speaks for itself
            log::info("cache: {}: {}", profile.profile, restored.error().message);
        return false;
    }
    profile.restore_ms += util::elapsed_ms(started);
    profile.bytes = size;
    return true;
}

Status Planner::cook(ProfileCache& profile) {
    // One cook at a time: each purges the workspace's own artifacts from the whole target
    // directory, which would pull them from under another cook's cargo.
    std::lock_guard one_at_a_time(cook_mutex_);
    if (interrupted_) // another lane's cook was interrupted: start nothing new
        return fail(ExitCode::interrupted, kNotStarted, "run the command again to start over");
    if (!setup_.cook)
        return {};
    std::vector<std::string> commands;
    for (const auto& command : profile.commands)
        commands.push_back(util::shell_join(command.argv));
    log::info("cache: {}: cooking the dependencies ({})", profile.profile,
              util::join(commands, "; "));
    auto saved = setup_.cook(profile, setup_.local, interrupt_fd_);
    if (!saved) {
        interrupted_ = true;
        return std::unexpected(saved.error());
    }
    if (*saved)
        mark_fresh(profile);
    return {};
}

std::vector<ProfileCache*> Planner::to_prepare() {
    std::vector<ProfileCache*> out;
    for (auto& profile : setup_.profiles) {
        if (!needs_restore(profile))
            continue;
        // A marker of another key is stale whatever happens next.
        std::error_code ec;
        std::filesystem::remove(marker(profile), ec);
        out.push_back(&profile);
    }
    return out;
}

bool Planner::fetch() {
    // Every archive's whereabouts are known before anything is restored (the lookups run at
    // once); the downloads go on while the lanes restore what is here already.
    std::vector<std::pair<ProfileCache*, std::future<std::optional<std::pair<Store*, CacheEntry>>>>>
        lookups;
    for (ProfileCache* profile : to_prepare())
        lookups.emplace_back(profile, std::async(std::launch::async, [this, profile] {
                                 return locate(*profile, false, false);
                             }));
    bool all = true;
    std::map<std::string, std::pair<Store*, CacheEntry>> remote;
    for (auto& [profile, lookup] : lookups) {
        auto found = lookup.get();
        auto& fetched = fetched_[profile->profile];
        if (!found) {
            all = false;
            continue;
        }
        auto& [store, located] = *found;
        fetched.size = located.size;
        if (store->is_local())
            fetched.entry = located;
        else
            remote.emplace(profile->profile, *found);
    }
    // One download at a time, in the order the restores take turns: on a link they share, the
    // archive restored first arrives soonest (and is unpacked as it does).
    std::shared_ptr<util::GrowingFile> previous;
    for (ProfileCache* profile : turn_order()) {
        auto it = remote.find(profile->profile);
        if (it == remote.end())
            continue;
        auto& fetched = fetched_.at(profile->profile);
        fetched.growing = std::make_shared<util::GrowingFile>();
        fetched.download =
            std::async(std::launch::async, [this, profile, &fetched, previous,
                                            store = it->second.first, located = it->second.second] {
                if (previous)
                    (void)previous->wait_finished();
                auto entry = bring(*store, located, *profile, fetched.growing.get());
                // Changes nothing when the download gave its verdict; else it never got going.
                fetched.growing->finish(false);
                return entry;
            });
        previous = fetched.growing;
    }
    found_all_ = all;
    return all;
}

std::vector<ProfileCache*> Planner::turn_order() {
    std::vector<ProfileCache*> found; // in the order of the stages that need them
    std::vector<std::string> lanes;
    std::vector<std::int64_t> sizes;
    for (auto& profile : setup_.profiles)
        if (auto it = fetched_.find(profile.profile); it != fetched_.end()) {
            found.push_back(&profile);
            lanes.push_back(profile_directory(profile.commands));
            sizes.push_back(it->second.size);
        }
    std::vector<ProfileCache*> out;
    for (std::size_t i : largest_first_within_lanes(lanes, sizes))
        out.push_back(found[i]);
    return out;
}

int Planner::ready_fd(const std::string& profile) const {
    auto it = gates_.find(profile);
    return it == gates_.end() ? done_fd() : it->second.fd();
}

bool Planner::restore_fetched(ProfileCache& profile, Fetched& fetched) {
    const bool pulled = !fetched.entry && fetched.download.valid();
    bool restored = false;
    if (pulled) {
        // Unpacked as it downloads; from the finished file if the download had to start over.
        restored = restore(profile, *fetched.growing);
        fetched.entry = fetched.download.get();
        if (!restored && fetched.entry && fetched.growing->wait_finished().broken)
            restored = restore(profile, *fetched.entry);
    } else if (fetched.entry) {
        restored = restore(profile, *fetched.entry);
    }
    if (!restored)
        return false;
    profile.status = pulled ? CacheStatus::hit_registry : CacheStatus::hit_local;
    log::debug("cache: {}: restored {} in {} ({})", profile.profile,
               util::format_bytes(profile.bytes), util::format_duration_ms(profile.restore_ms),
               util::format_rate(profile.bytes, profile.restore_ms));
    mark_fresh(profile);
    return true;
}

Status Planner::fall_back(ProfileCache& profile, const Fetched& fetched, bool allow_cook,
                          bool restore_only) {
    profile.status = CacheStatus::miss;
    if (fetched.entry) // it cannot be restored: no later run may find it again
        setup_.local.remove(*fetched.entry);
    if (restore_only) {
        // Stages may be running beside this restore, and a cook would pull the workspace's
        // own artifacts from under them: they build these dependencies themselves this time.
        log::info("cache: {}: the stages build the dependencies themselves this time",
                  profile.profile);
        return {};
    }
    // Partial: the newest cache of this profile and toolchain, then cook the difference.
    if (auto older_meta = latest(profile)) {
        ProfileCache older_profile = profile;
        older_profile.key = older_meta->key;
        if (auto found = locate(older_profile, false, true))
            if (auto older = bring(*found->first, found->second, profile);
                older && restore(profile, *older)) {
                profile.status = CacheStatus::partial;
                profile.detail = "from cache " + older_meta->key.substr(0, 16);
            }
    }
    return allow_cook ? cook(profile) : Status{};
}

Status Planner::prepare(bool allow_cook) {
    // Whatever happens, nothing waits for this cache any longer once it returns.
    struct OpenGates {
        Planner& planner;
        ~OpenGates() {
            for (const auto& [name, gate] : planner.gates_)
                gate.open();
            planner.done_.open();
        }
    } open_gates{*this};
    const bool restore_only = found_all_ ? *found_all_ : fetch();
    for (const auto& profile : setup_.profiles)
        if (!fetched_.contains(profile.profile))
            gates_.at(profile.profile).open(); // fresh, or nothing to cache
    const std::vector<ProfileCache*> items = turn_order();
    std::vector<std::string> lane_of;
    for (const ProfileCache* profile : items)
        lane_of.push_back(profile_directory(profile->commands));
    auto results = run_lanes(
        lane_of,
        [&](std::size_t i) { return restore_fetched(*items[i], fetched_.at(items[i]->profile)); },
        [&](std::size_t i, bool restored) -> Status {
            ProfileCache& profile = *items[i];
            auto done = restored ? Status{}
                                 : fall_back(profile, fetched_.at(profile.profile), allow_cook,
                                             restore_only);
            gates_.at(profile.profile).open();
            return done;
        });
    // The error to report: the cook that was stopped, rather than a lane that never started one.
    Status result;
    for (auto& done : results)
        if (!done && (result || result.error().message == kNotStarted))
            result = done;
    return result;
}

int Planner::save() {
    int saved = 0;
    for (auto& profile : setup_.profiles) {
        if (profile.key.empty() || profile.paths.empty() ||
            (profile.status != CacheStatus::miss && profile.status != CacheStatus::partial))
            continue;
        std::vector<std::string> present;
        for (const auto& path : profile.paths) {
            std::error_code ec;
            if (std::filesystem::exists(root(profile) / path, ec))
                present.push_back(path);
        }
        if (present.empty()) {
            log::info("cache: {}: nothing to save ({} not there)", profile.profile,
                      util::join(profile.paths, ", "));
            continue;
        }
        const auto started = Clock::now();
        auto entry = setup_.local.save(profile.key, profile.profile, root(profile), present);
        if (!entry) {
            log::info("cache: {}: not saved: {}", profile.profile, entry.error().message);
            continue;
        }
        profile.save_ms = util::elapsed_ms(started);
        profile.bytes = entry->size;
        profile.detail = profile.detail.empty() ? "saved after the stages"
                                                : profile.detail + "; saved after the stages";
        mark_fresh(profile);
        ++saved;
        log::info("cache: {}: saved {} in {} ({})", profile.profile,
                  util::format_bytes(entry->size), util::format_duration_ms(profile.save_ms),
                  util::format_rate(entry->size, profile.save_ms));
    }
    return saved;
}

Result<int> Planner::push() {
    bool anything = false;
    for (const auto& profile : setup_.profiles)
        anything = anything || !profile.key.empty();
    if (!anything)
        return 0;                // no external dependencies: nothing to cache, nothing to push
    std::vector<Store*> farther; // the stores that did not fail in this run
    for (std::size_t i = 0; i < rungs_.size(); ++i)
        if (Store* store = usable(i); store && !store->is_local())
            farther.push_back(store);
    if (farther.empty())
        return fail(ExitCode::registry, "no registry to push the dependency cache to",
                    "add 'registry:' to rcd.yaml, set RCD_REGISTRY, or pass --registry");
    int pushed = 0;
    for (const auto& profile : setup_.profiles) {
        if (profile.key.empty() || profile.status == CacheStatus::hit_registry)
            continue;
        RCD_ASSIGN(auto entry, setup_.local.find(profile.key));
        if (!entry) {
            log::info("cache: {}: not in the local cache, so not pushed", profile.profile);
            continue;
        }
        for (Store* to : farther) {
            Store& store = *to;
            const auto started = Clock::now();
            RCD_ASSIGN(bool put, store.put(*entry,
                                           {profile.key, profile.profile, setup_.toolchain_id,
                                            setup_.recipe_hash, image::rfc3339(std::time(nullptr))},
                                           transfer(profile.profile)));
            if (!put)
                continue;
            ++pushed;
            auto ms = util::elapsed_ms(started);
            log::debug("cache: {}: pushed {} to {} in {} ({})", profile.profile,
                       util::format_bytes(entry->size), store.name(), util::format_duration_ms(ms),
                       util::format_rate(entry->size, ms));
        }
    }
    return pushed;
}

} // namespace rcd::cache
