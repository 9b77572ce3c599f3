// rcd cache status|pull|push|prune: the dependency cache by hand.
#include "rcd/cache/registry_store.hpp"
#include "rcd/ops/cache.hpp"
#include "rcd/ops/commands.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/report/documents.hpp"
#include "rcd/util/strings.hpp"
#include "session.hpp"

#include <fmt/format.h>
#include <iostream>

namespace rcd::ops {

namespace {

// The registry's caches: the newest `keep` of each profile stay.
Result<int> prune_remote(const Invocation& invocation, const CacheOptions& cache_options,
                         const PublishOptions& options) {
    RCD_ASSIGN(auto project, open_project(invocation));
    auto reporter = make_reporter(invocation);
    Console console(invocation, reporter);
    RCD_ASSIGN(auto repository, cache_repository(project, options));
    RCD_ASSIGN(auto ref, registry::parse_reference(repository, false));
    RCD_ASSIGN(auto client, connect_registry(ref.registry, options));
    RCD_ASSIGN(auto result, cache::prune_remote(*client, ref.repository, cache_options.keep));
    if (invocation.json)
        print_json(
            report::remote_prune_json({repository, result.kept, result.deleted, result.protected_},
                                      project.config.name, project.dir.string()));
    reporter.note(fmt::format(
        "rcd: {}: deleted {} cache manifest{}, kept {} (the {} newest of each profile{})",
        repository, result.deleted.size(), result.deleted.size() == 1 ? "" : "s", result.kept,
        cache_options.keep, result.protected_.empty() ? "" : ", and those an image tag names"));
    return 0;
}

// The local store: the least recently used go until it fits.
Result<int> prune_local(const Invocation& invocation, const CacheOptions& cache_options) {
    auto max = util::parse_size(cache_options.max_size);
    if (cache_options.max_size.empty() || !max)
        return fail(ExitCode::usage,
                    fmt::format("--max-size: '{}' is not a size", cache_options.max_size),
                    "give bytes, or a number with K, M or G: --max-size 2G (or --remote --keep N "
                    "for the registry's caches)");
    cache::LocalStore store(cache::LocalStore::default_root());
    RCD_ASSIGN(auto freed, store.prune(*max));
    if (invocation.json)
        print_json(
            report::local_prune_json(store.root().string(), freed, invocation.absolute_dir()));
    make_reporter(invocation)
        .note(fmt::format("rcd: freed {} from {} (limit {})", util::format_bytes(freed),
                          store.root().string(), util::format_bytes(*max)));
    return 0;
}

} // namespace

Result<int> cache(const Invocation& invocation, const CacheOptions& cache_options,
                  const ReleaseOptions& release_options) {
    PublishOptions options = release_options.publish;
    options.push = true;
    options.checks_passed = false;
    if (cache_options.action == "prune")
        return cache_options.remote ? prune_remote(invocation, cache_options, options)
                                    : prune_local(invocation, cache_options);
    const std::string command = "cache " + cache_options.action;
    RCD_ASSIGN(auto project, open_project(invocation));
    auto settings = run_settings("release", invocation, StageOptions{});
    auto reporter = make_reporter(invocation);
    Console console(invocation, reporter);
    console.attach(options);
    RCD_ASSIGN(auto opened, open_cache(project, settings.selection, settings.stage_env, options));
    if (!opened)
        return fail(ExitCode::usage, "nothing here uses the dependency cache",
                    "the cache is for stages that name a 'cook:' profile (rust, go) or declare "
                    "'cache:' (generic)");
    cache::Planner& planner = *opened;
    report::RunReport report = new_report(project, command);
    bool pushed = false;
    if (cache_options.action == "status") {
        planner.look();
    } else if (cache_options.action == "pull") {
        RCD_ASSIGN(auto lock, lock_target(project, true));
        RCD_CHECK(planner.prepare(false));
    } else {
        RCD_ASSIGN(auto count, planner.push());
        pushed = count > 0;
    }
    console.clear();
    report.cache = cache_summary(planner);
    report.cache->pushed = pushed;
    if (invocation.json)
        print_json(report::to_json(report));
    else
        std::cout << report::cache_text(*report.cache);
    return 0;
}

} // namespace rcd::ops
