#include "rcd/cache/planner.hpp"

#include "rcd/cache/cook.hpp"
#include "rcd/cache/key.hpp"
#include "rcd/cache/registry_store.hpp"
#include "rcd/exec/process.hpp"
#include "rcd/util/archive.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/growing_file.hpp"
#include "rcd/util/hash.hpp"
#include "rcd/util/strings.hpp"
#include "rcd/util/turns.hpp"

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

Result<std::string> version_of(const std::vector<std::string>& argv,
                               const std::filesystem::path& dir) {
    auto out = exec::capture(exec::Command{argv, {}, dir, std::nullopt});
    if (!out || out->exit_code != 0)
        return fail(ExitCode::usage, fmt::format("'{}' failed", util::shell_join(argv)),
                    "install the Rust toolchain (rustup, or Debian's rustc and cargo)");
    return util::trim(out->output);
}

// Lockfile entries with a `source` are external packages: without any there is nothing to cache.
bool has_external_packages(const std::optional<std::string>& lockfile) {
    return !lockfile || lockfile->find("\nsource = ") != std::string::npos;
}

// The profile directory a cook command builds into: profiles that share one share files.
std::string profile_directory(const std::vector<std::string>& command) {
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
        return "miss";
    }
    return "miss";
}

std::string Toolchain::id() const {
    return util::sha256_hex(rustc + "\n" + cargo).substr(0, 16);
}

Result<Toolchain> probe_toolchain(const std::filesystem::path& dir) {
    Toolchain toolchain;
    // At once: each goes through rustup's proxy, 50 ms apiece before the first lookup.
    auto cargo =
        std::async(std::launch::async, version_of, std::vector<std::string>{"cargo", "-V"}, dir);
    RCD_ASSIGN(toolchain.rustc, version_of({"rustc", "-vV"}, dir));
    RCD_ASSIGN(toolchain.cargo, cargo.get());
    for (const auto& line : util::split(toolchain.rustc, '\n'))
        if (line.starts_with("host: "))
            toolchain.host = util::trim(line.substr(6));
    return toolchain;
}

Result<Planner> Planner::create(const cargo::Workspace& workspace,
                                const std::vector<ProfileRequest>& requests, LocalStore store,
                                Notify notify) {
    RCD_ASSIGN(auto input, read_recipe_input(workspace));
    RCD_ASSIGN(auto recipe, build_recipe(input));
    Planner planner(workspace, std::move(recipe), std::move(store), std::move(notify));
    // What a killed run left is never mistaken for an entry, and does not pile up.
    planner.store_.remove_leftovers();
    util::remove_stale(workspace.target_directory, ".rcd-unpack-");
    const bool external = has_external_packages(input.lockfile);
    if (external && !requests.empty()) {
        RCD_ASSIGN(planner.toolchain_, probe_toolchain(workspace.root));
    }
    for (const auto& request : requests) {
        bool seen = false;
        for (const auto& p : planner.profiles_)
            seen = seen || p.profile == request.profile;
        if (seen)
            continue; // the first stage of a profile decides its dependency build
        ProfileCache profile;
        profile.profile = request.profile;
        profile.command = cook_command(request.stage_argv, request.profile);
        profile.env = request.env;
        if (!external) {
            profile.status = CacheStatus::fresh;
            profile.detail = "no external dependencies";
        } else {
            auto env = exec::child_environment(request.env);
            std::string triple = env.contains("CARGO_BUILD_TARGET") ? env["CARGO_BUILD_TARGET"]
                                                                    : planner.toolchain_.host;
            profile.key =
                cache_key({planner.recipe_.hash, planner.toolchain_.rustc, planner.toolchain_.cargo,
                           triple, request.profile, profile.command, env});
        }
        planner.gates_->profiles.try_emplace(profile.profile);
        planner.profiles_.push_back(std::move(profile));
    }
    return planner;
}

std::filesystem::path Planner::marker(const ProfileCache& profile) const {
    return workspace_.target_directory / "rcd" / "cache" / (profile.profile + ".key");
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
    for (const auto& p : profiles_)
        worst = std::max(worst, p.status);
    return worst;
}

void Planner::say(const std::string& message) const {
    std::lock_guard lock(*mutex_);
    notify_(message);
}

void Planner::tell(const std::string& message) const {
    std::lock_guard lock(*mutex_);
    if (detail_)
        detail_(message);
}

registry::Progress Planner::transfer(const std::string& profile) const {
    if (!progress_)
        return {};
    return [this, what = "cache " + profile](std::int64_t done, std::int64_t total) {
        progress_(what, done, total);
    };
}

std::optional<RemoteStore> Planner::remote() const {
    std::lock_guard lock(*mutex_);
    return remote_;
}

void Planner::remote_failed(const Error& error) {
    {
        std::lock_guard lock(*mutex_);
        if (!remote_)
            return; // another lane said so already
        remote_.reset();
    }
    say(fmt::format("cache: the registry cache is not used: {}", error.message));
}

std::optional<RemoteCache> Planner::latest(const ProfileCache& profile) {
    auto remote = this->remote();
    if (!remote)
        return std::nullopt;
    auto latest =
        latest_remote(*remote->client, remote->repository, profile.profile, toolchain_.id());
    if (!latest) {
        remote_failed(latest.error());
        return std::nullopt;
    }
    if (*latest && (*latest)->key != profile.key)
        return *latest;
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
    for (auto& profile : profiles_) {
        if (!needs_restore(profile))
            continue;
        if (auto local = store_.find(profile.key, false); local && *local) {
            profile.status = CacheStatus::hit_local;
            profile.bytes = (*local)->size;
            continue;
        }
        profile.status = CacheStatus::miss;
        auto remote = this->remote();
        if (!remote)
            continue;
        if (auto has = has_remote(*remote->client, remote->repository, profile.key); !has)
            remote_failed(has.error());
        else if (*has)
            profile.status = CacheStatus::hit_registry;
        else if (auto older = latest(profile)) {
            profile.status = CacheStatus::partial;
            profile.detail = "from cache " + older->key.substr(0, 16);
        }
    }
}

bool Planner::restore(ProfileCache& profile, const CacheEntry& entry) {
    const auto started = Clock::now();
    // Checked already: as it downloaded, or by fetch().
    if (auto restored = store_.restore(entry, workspace_.target_directory, false); !restored) {
        say(fmt::format("cache: {}: {}", profile.profile, restored.error().message));
        return false;
    }
    profile.restore_ms += util::elapsed_ms(started);
    profile.bytes = entry.size;
    return true;
}

bool Planner::restore(ProfileCache& profile, const util::GrowingFile& download) {
    const auto started = Clock::now();
    if (auto restored = util::unpack_tree(download, fetched_.at(profile.profile).size,
                                          workspace_.target_directory);
        !restored) {
        if (!download.wait_finished().broken) // a failed download speaks for itself
            say(fmt::format("cache: {}: {}", profile.profile, restored.error().message));
        return false;
    }
    profile.restore_ms += util::elapsed_ms(started);
    profile.bytes = fetched_.at(profile.profile).size;
    return true;
}

std::optional<RemoteLayer> Planner::find(const std::string& key) {
    auto remote = this->remote();
    if (!remote)
        return std::nullopt;
    auto found = find_remote(*remote->client, remote->repository, key);
    if (!found) {
        remote_failed(found.error());
        return std::nullopt;
    }
    return *found;
}

std::optional<CacheEntry> Planner::download(const RemoteLayer& layer, ProfileCache& profile,
                                            util::GrowingFile* growing) {
    auto remote = this->remote();
    if (!remote)
        return std::nullopt;
    const auto started = Clock::now();
    auto entry = download_remote(*remote->client, remote->repository, layer, store_,
                                 transfer(profile.profile), growing);
    if (!entry) {
        remote_failed(entry.error());
        return std::nullopt;
    }
    auto ms = util::elapsed_ms(started);
    if (!growing) // a restore that follows the download counts it in its own time
        profile.restore_ms += ms;
    tell(fmt::format("cache: {}: pulled {} from {} in {} ({})", profile.profile,
                     util::format_bytes(entry->size), remote->repository,
                     util::format_duration_ms(ms), util::format_rate(entry->size, ms)));
    return *entry;
}

std::optional<CacheEntry> Planner::pull(const std::string& key, ProfileCache& profile) {
    auto layer = find(key);
    return layer ? download(*layer, profile) : std::nullopt;
}

Status Planner::cook(ProfileCache& profile) {
    // One cook at a time: each purges the workspace's own artifacts from the whole target
    // directory, which would pull them from under another cook's cargo.
    std::lock_guard one_at_a_time(*cook_mutex_);
    if (*interrupted_) // another lane's cook was interrupted: start nothing new
        return fail(ExitCode::interrupted, kNotStarted, "run the command again to start over");
    say(fmt::format("cache: {}: cooking the dependencies ({})", profile.profile,
                    util::shell_join(profile.command)));
    const auto started = Clock::now();
    auto rcd_dir = workspace_.target_directory / "rcd";
    // Outside the project: cargo merges the array values of every .cargo/config.toml from the
    // working directory up, so the skeleton's copy and the project's own would double RUSTFLAGS.
    auto scratch = std::filesystem::temp_directory_path() /
                   fmt::format("rcd-cook-{}-{}", ::getpid(), profile.profile);
    auto cooked =
        cache::cook(recipe_, workspace_, profile.command, profile.env, scratch,
                    rcd_dir / "logs" / ("cook-" + profile.profile + ".log"), interrupt_fd_);
    if (!cooked && cooked.error().code == ExitCode::interrupted) {
        *interrupted_ = true;
        return std::unexpected(cooked.error());
    }
    if (!cooked) {
        say(fmt::format("cache: {}: {}; the stages build the dependencies instead ({})",
                        profile.profile, cooked.error().message, cooked.error().hint));
        return {};
    }
    const long long cook_ms = util::elapsed_ms(started);
    const auto save_started = Clock::now();
    auto stripped = scratch;
    stripped += "-stripped";
    auto saved =
        store_.save(profile.key, profile.profile, workspace_.target_directory, cooked->paths,
                    strip_debug_copies(workspace_.target_directory, cooked->host_tools, stripped));
    std::error_code ec;
    std::filesystem::remove_all(stripped, ec);
    if (!saved) {
        // Not fresh: the next run finds no entry, cooks (quickly, in this warm target
        // directory) and saves it then.
        say(fmt::format("cache: {}: not saved: {}", profile.profile, saved.error().message));
        return {};
    }
    profile.save_ms = util::elapsed_ms(save_started);
    profile.bytes = saved->size;
    say(fmt::format("cache: {}: cooked in {}; saved {} in {} ({})", profile.profile,
                    util::format_duration_ms(cook_ms), util::format_bytes(saved->size),
                    util::format_duration_ms(profile.save_ms),
                    util::format_rate(saved->size, profile.save_ms)));
    mark_fresh(profile);
    return {};
}

std::vector<ProfileCache*> Planner::to_prepare() {
    std::vector<ProfileCache*> out;
    for (auto& profile : profiles_) {
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
    std::vector<std::pair<ProfileCache*, std::future<std::optional<RemoteLayer>>>> lookups;
    for (ProfileCache* profile : to_prepare()) {
        auto& fetched = fetched_[profile->profile];
        auto local = store_.find(profile->key);
        if (!local)
            say(fmt::format("cache: {}: {}", profile->profile, local.error().message));
        if (local && *local) {
            if (auto checked = store_.verify(**local); checked)
                fetched.entry = **local;
            else
                say(fmt::format("cache: {}: {}", profile->profile, checked.error().message));
        }
        if (fetched.entry)
            fetched.size = fetched.entry->size;
        else
            lookups.emplace_back(profile, std::async(std::launch::async, [this, profile] {
                                     return find(profile->key);
                                 }));
    }
    // Every archive's whereabouts are known before anything is restored; the downloads go on
    // while the lanes restore what is here already.
    bool all = true;
    for (auto& [profile, lookup] : lookups) {
        auto layer = lookup.get();
        auto& fetched = fetched_[profile->profile];
        if (!layer) {
            all = false;
            continue;
        }
        fetched.size = layer->size;
        fetched.growing = std::make_shared<util::GrowingFile>();
        fetched.download =
            std::async(std::launch::async, [this, profile, &fetched, layer = *layer] {
                auto entry = download(layer, *profile, fetched.growing.get());
                // Changes nothing when the download gave its verdict; else it never got going.
                fetched.growing->finish(false);
                return entry;
            });
    }
    found_all_ = all;
    return all;
}

int Planner::ready_fd(const std::string& profile) const {
    auto it = gates_->profiles.find(profile);
    return it == gates_->profiles.end() ? done_fd() : it->second.fd();
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
    tell(fmt::format("cache: {}: restored {} in {} ({})", profile.profile,
                     util::format_bytes(profile.bytes),
                     util::format_duration_ms(profile.restore_ms),
                     util::format_rate(profile.bytes, profile.restore_ms)));
    mark_fresh(profile);
    return true;
}

Status Planner::fall_back(ProfileCache& profile, const Fetched& fetched, bool allow_cook,
                          bool restore_only) {
    profile.status = CacheStatus::miss;
    if (fetched.entry) // it cannot be restored: no later run may find it again
        store_.remove(*fetched.entry);
    if (restore_only) {
        // Stages may be running beside this restore, and a cook would pull the workspace's
        // own artifacts from under them: they build these dependencies themselves this time.
        say(fmt::format("cache: {}: the stages build the dependencies themselves this time",
                        profile.profile));
        return {};
    }
    // Partial: the newest cache of this profile and toolchain, then cook the difference.
    if (auto older_meta = latest(profile))
        if (auto older = pull(older_meta->key, profile); older && restore(profile, *older)) {
            profile.status = CacheStatus::partial;
            profile.detail = "from cache " + older_meta->key.substr(0, 16);
        }
    return allow_cook ? cook(profile) : Status{};
}

Status Planner::prepare(bool allow_cook) {
    // Whatever happens, nothing waits for this cache any longer once it returns.
    struct OpenGates {
        const Gates& gates;
        ~OpenGates() {
            for (const auto& [name, gate] : gates.profiles)
                gate.open();
            gates.done.open();
        }
    } open_gates{*gates_};
    const bool restore_only = found_all_ ? *found_all_ : fetch();
    // Profiles that build into the same profile directory share files (host build scripts and
    // proc-macros), so their lane restores them one after the other, and a file already there is
    // not written twice; a cook in one lane does not hold up another lane's restore.
    using Lane = std::vector<std::pair<ProfileCache*, std::size_t>>; // each with its turn
    std::map<std::string, Lane> lanes;
    std::size_t turns_given = 0; // in the order of the stages that need them
    for (auto& profile : profiles_)
        if (fetched_.contains(profile.profile))
            lanes[profile_directory(profile.command)].emplace_back(&profile, turns_given++);
    for (auto& profile : profiles_)
        if (!fetched_.contains(profile.profile))
            gates_->profiles.at(profile.profile).open(); // fresh, or nothing to cache
    // Restores take turns, one archive at a time, in the order of the stages that need them: an
    // unpack writes on every core, so the first stage's archive lands soonest and that stage
    // runs while the next ones restore.
    util::Turns turns;
    std::vector<std::future<Status>> running;
    for (auto& [directory, lane] : lanes)
        running.push_back(std::async(
            std::launch::async, [this, &turns, &lane, allow_cook, restore_only]() -> Status {
                struct PassAll { // a lane that stops early holds up no other
                    util::Turns& turns;
                    const Lane& lane;
                    ~PassAll() {
                        for (const auto& [profile, turn] : lane)
                            turns.pass(turn);
                    }
                } pass_all{turns, lane};
                for (auto [profile, turn] : lane) {
                    auto& fetched = fetched_.at(profile->profile);
                    turns.wait(turn);
                    const bool restored = restore_fetched(*profile, fetched);
                    turns.pass(turn);
                    auto done = restored ? Status{}
                                         : fall_back(*profile, fetched, allow_cook, restore_only);
                    gates_->profiles.at(profile->profile).open();
                    RCD_CHECK(done);
                }
                return {};
            }));
    Status result;
    // The error to report: the cook that was stopped, rather than a lane that never started one.
    for (auto& lane : running)
        if (auto done = lane.get(); !done && (result || result.error().message == kNotStarted))
            result = done;
    return result;
}

Result<int> Planner::push() {
    bool anything = false;
    for (const auto& profile : profiles_)
        anything = anything || !profile.key.empty();
    if (!anything)
        return 0; // no external dependencies: nothing to cache, nothing to push
    auto remote = this->remote();
    if (!remote)
        return fail(ExitCode::registry, "no registry to push the dependency cache to",
                    "add 'registry:' to rcd.yaml, set RCD_REGISTRY, or pass --registry");
    int pushed = 0;
    for (const auto& profile : profiles_) {
        if (profile.key.empty() || profile.status == CacheStatus::hit_registry)
            continue;
        RCD_ASSIGN(auto entry, store_.find(profile.key));
        if (!entry) {
            say(fmt::format("cache: {}: not in the local cache, so not pushed", profile.profile));
            continue;
        }
        RCD_ASSIGN(auto there, has_remote(*remote->client, remote->repository, profile.key));
        if (there)
            continue;
        const auto started = Clock::now();
        RCD_CHECK(push_remote(*remote->client, remote->repository, store_, *entry,
                              {profile.key, profile.profile, toolchain_.id(), recipe_.hash,
                               image::rfc3339(std::time(nullptr))},
                              transfer(profile.profile)));
        ++pushed;
        auto ms = util::elapsed_ms(started);
        tell(fmt::format("cache: {}: pushed {} to {}:{} in {} ({})", profile.profile,
                         util::format_bytes(entry->size), remote->repository,
                         cache_tag(profile.key), util::format_duration_ms(ms),
                         util::format_rate(entry->size, ms)));
    }
    return pushed;
}

} // namespace rcd::cache
